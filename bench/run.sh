#!/usr/bin/env bash
# Runs the benchmark suite: mmfuse against the Python peers (scikit-learn,
# the reference article's pipeline) on the same inputs, and prints a markdown
# table that is also written to bench/out/results.md.
#
#   bench/run.sh [BUILD_DIR] [--quick] [suite options...]
#
# BUILD_DIR is a Release build (default ./build); nothing is built here.
# --quick runs small inputs (about a minute). Other options go to
# bench/suite.py (--runs N, --docs N, --eval-rows N, --only tfidf,logreg,evaluate,
# --peer-eval-jobs N, --peer-eval-blas N, --settle SECONDS, --mm-env KEY=VALUE;
# see `bench/suite.py --help`).
# Generated data is cached in bench/out/ (git-ignored).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="$root/build"
args=()
for a in "$@"; do
  case "$a" in
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) args+=("$a") ;;
    *) if [ "${#args[@]}" -gt 0 ] && [[ "${args[-1]}" == --* ]] && [[ "${args[-1]}" != --quick ]]; then
         args+=("$a")          # the value of a suite option
       else
         build="$a"
       fi ;;
  esac
done

for exe in mmfuse mmfuse_demo_data bench/bench_tfidf bench/bench_logreg; do
  if [ ! -x "$build/$exe" ]; then
    echo "bench/run.sh: $build/$exe not found; build first:" >&2
    echo "  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j" >&2
    exit 2
  fi
done
if [ ! -x /usr/bin/time ]; then
  echo "bench/run.sh: /usr/bin/time is missing (apt-get install time)" >&2
  exit 2
fi

# The same thread count on both sides; no OpenBLAS core/cache overrides.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2

exec /usr/bin/python3 "$here/suite.py" --build "$build" "${args[@]}"
