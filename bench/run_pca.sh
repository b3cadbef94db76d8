#!/usr/bin/env bash
# PCA benchmark: mmfuse (bench_pca) against scikit-learn 1.2.1 (peer_pca.py)
# on the same float32 matrices, both sides with 2 threads (OpenBLAS for
# numpy/scipy too), runs interleaved, median of N runs, peak RSS of each
# side, and the accuracy of each side against scikit-learn on float64.
# Prints a markdown table (also written to bench/out/pca_results.md).
#
#   bench/run_pca.sh [BUILD_DIR] [--runs N] [--quick]
#
# BUILD_DIR is a Release build (default ./build); nothing is built here.
# Cases: randomized, 20000 x 2048, k = 100, random_state 42, mmfuse in its
# default double precision and with --precision mixed (float32 Gram matrix);
# full solver, 5000 x 512, k = 50. --quick shrinks them (4000 x 1024,
# 2000 x 256).
# Data are generated once (fixed seed) and cached in bench/out/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="$root/build"
runs=3
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --runs) runs="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    -*) echo "run_pca.sh: unknown option $1" >&2; exit 2 ;;
    *) build="$1"; shift ;;
  esac
done
exe="$build/bench/bench_pca"
[ -x "$exe" ] || { echo "run_pca.sh: $exe not found (build $build in Release first)" >&2; exit 2; }
py=/usr/bin/python3
out="$root/bench/out"
mkdir -p "$out"

unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_VERBOSE
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2

if [ "$quick" = 1 ]; then
  cases=("randomized 4000 1024 100 double" "randomized 4000 1024 100 mixed" "full 2000 256 50 double")
else
  cases=("randomized 20000 2048 100 double" "randomized 20000 2048 100 mixed" "full 5000 512 50 double")
fi

log="$out/pca_runs.jsonl"
: > "$log"
for c in "${cases[@]}"; do
  read -r solver n p k prec <<<"$c"
  x="$out/pca_X_${n}x${p}.npy"
  if [ ! -f "$x" ]; then
    # a low-rank signal (decaying spectrum) plus noise, float32
    "$py" - "$x" "$n" "$p" <<'EOF'
import sys
import numpy as np
path, n, p = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.RandomState(7)
r = 64
Z = rng.standard_normal((n, r)).astype(np.float32) * np.geomspace(10, 0.5, r).astype(np.float32)
W = rng.standard_normal((r, p)).astype(np.float32) / np.float32(np.sqrt(r))
X = Z @ W + rng.standard_normal((n, p)).astype(np.float32) + np.float32(0.25)
np.save(path, X.astype(np.float32))
EOF
  fi
  data="${solver}_${n}x${p}"
  tag="${data}_${prec}"
  for ((r = 1; r <= runs; r++)); do
    if [ $((r % 2)) = 1 ]; then order="mm sk"; else order="sk mm"; fi
    for side in $order; do
      if [ "$side" = mm ]; then
        line=$("$exe" "$x" --k "$k" --solver "$solver" --threads 2 --precision "$prec" \
                 --out "$out/pca_mm_$tag" | grep '^RESULT ')
      else
        line=$("$py" "$here/peer_pca.py" "$x" --k "$k" --solver "$solver" --out "$out/pca_sk32_$data" | grep '^RESULT ')
      fi
      echo "{\"case\": \"$tag\", \"data\": \"$data\", \"side\": \"$side\", \"r\": ${line#RESULT }}" >> "$log"
    done
  done
  # accuracy reference: scikit-learn on the same values in float64 (not timed)
  [ -f "$out/pca_sk64_${data}_ev.npy" ] && [ "$out/pca_sk64_${data}_ev.npy" -nt "$x" ] ||
    "$py" "$here/peer_pca.py" "$x" --k "$k" --solver "$solver" --f64 --out "$out/pca_sk64_$data" >/dev/null
done

"$py" - "$log" "$out" <<'EOF' | tee "$out/pca_results.md"
import json, sys
import numpy as np
log, out = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(log)]
cases = list(dict.fromkeys(r["case"] for r in rows))

def acc(a, tag, data):
    ref_c = np.load(f"{out}/pca_sk64_{data}_components.npy")
    ref_e = np.load(f"{out}/pca_sk64_{data}_ev.npy")
    c = np.load(f"{out}/pca_{a}_{tag if a == 'mm' else data}_components.npy")
    e = np.load(f"{out}/pca_{a}_{tag if a == 'mm' else data}_ev.npy")
    return float(np.max(np.abs(c - ref_c))), float(np.max(np.abs(e - ref_e) / ref_e))

print("| case (mmfuse precision) | mmfuse median s | sklearn median s | speed-up | mmfuse peak RSS MiB | sklearn peak RSS MiB | mmfuse vs sk-f64: max abs dcomp / max rel dev | sklearn-f32 vs sk-f64: max abs dcomp / max rel dev |")
print("|---|---|---|---|---|---|---|---|")
for tag in cases:
    t = {s: [x["r"]["op_s"] for x in rows if x["case"] == tag and x["side"] == s] for s in ("mm", "sk")}
    m = {s: max(x["r"]["maxrss_kb"] for x in rows if x["case"] == tag and x["side"] == s) / 1024 for s in ("mm", "sk")}
    mm, sk = float(np.median(t["mm"])), float(np.median(t["sk"]))
    mmr = [x for x in rows if x["case"] == tag and x["side"] == "mm"][0]
    path, data = mmr["r"].get("path"), mmr["data"]
    am, asv = acc("mm", tag, data), acc("sk32", tag, data)
    name = tag.replace("_", " ") + (f", {path} path" if path and path != "none" else "")
    print(f"| {name} | {mm:.3f} | {sk:.3f} | {sk / mm:.2f}x | {m['mm']:.0f} | {m['sk']:.0f} | "
          f"{am[0]:.1e} / {am[1]:.1e} | {asv[0]:.1e} / {asv[1]:.1e} |")
runs = {tag: len([x for x in rows if x["case"] == tag and x["side"] == "mm"]) for tag in cases}
print()
print("runs per side: " + ", ".join(f"{k}: {v}" for k, v in runs.items()) +
      "; 2 threads each side (OpenBLAS); times are the fit alone; sklearn fits the float32 array "
      "(float32 arithmetic); mmfuse computes in double, or with a float32 Gram matrix "
      "('mixed'); 'dcomp' = components, 'dev' = explained variance.")
EOF
