#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each one.
#   fuzz/run.sh [seconds per target, default 60] [work folder, default $TMPDIR/mmfuse-fuzz]
# The seed corpus in fuzz/corpus/ is copied into the work folder, so inputs
# found by the fuzzer never land in the source tree. Crashing inputs are
# written to <work>/<target>/crash-* and the script exits non-zero.
set -euo pipefail

secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work=${2:-${TMPDIR:-/tmp}/mmfuse-fuzz}
cc=${CC_FUZZ:-clang}

mkdir -p "$work"
srcs=("$root"/src/core/error.c "$root"/src/core/mat.c "$root"/src/io/*.c)
flags=(-g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$root/include" -I"$root/src")

status=0
for t in csv safetensors; do
    bin="$work/fuzz_$t"
    echo "== building $bin"
    "$cc" "${flags[@]}" "$here/fuzz_$t.c" "${srcs[@]}" -lcjson -lm -o "$bin"
    mkdir -p "$work/$t/corpus"
    cp -n "$here/corpus/$t/"* "$work/$t/corpus/" 2>/dev/null || true
    echo "== running $t for ${secs}s"
    if ! (cd "$work/$t" && "$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 \
              -rss_limit_mb=2048 -print_final_stats=1 corpus); then
        echo "== $t: the fuzzer found a failure (see $work/$t/crash-*)"
        status=1
    fi
done
exit $status
