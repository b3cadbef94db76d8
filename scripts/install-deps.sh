#!/usr/bin/env bash
# Installs what mmfuse needs on Debian 12 (run as root, or with sudo available).
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also the Python reference packages used by the tests
#   scripts/install-deps.sh --bench  also what the benchmarks need
# Idempotent: when every package is already installed it does nothing.
set -euo pipefail

build_pkgs=(gcc make cmake pkg-config libopenblas-dev liblapacke-dev libcjson-dev
            libutf8proc-dev libxxhash-dev libsndfile1-dev libsoxr-dev libkissfft-dev
            libjpeg62-turbo-dev libpng-dev libwebp-dev libexif-dev libstb-dev
            libcurl4-openssl-dev)
test_pkgs=(python3 python3-numpy python3-scipy python3-sklearn python3-torch python3-torchaudio
           python3-torchvision python3-pil python3-soundfile python3-skimage dataset-fashion-mnist
           chromium)
bench_pkgs=(python3-pandas time)

want=("${build_pkgs[@]}")
for arg in "$@"; do
  case "$arg" in
    --test)  want+=("${test_pkgs[@]}") ;;
    --bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "install-deps: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root to install: ${missing[*]}" >&2
    echo "install-deps: run as root, or install them with apt-get yourself" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -q >/dev/null 2>&1 || true
  if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    echo "install-deps: apt-get could not install: ${missing[*]}" >&2
    echo "install-deps: this script targets Debian 12; check the network or the package names" >&2
    exit 1
  fi
fi
