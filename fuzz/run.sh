#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each one.
#   fuzz/run.sh [seconds per target, default 60] [work folder, default $TMPDIR/mmfuse-fuzz] [targets...]
# Targets: csv safetensors (io sources only), model pipeline_json (the whole
# library, built once with cmake into <work>/lib). Default: all four.
# The seed corpus in fuzz/corpus/ is copied into the work folder, so inputs
# found by the fuzzer never land in the source tree. Crashing inputs are
# written to <work>/<target>/crash-* and the script exits non-zero.
set -euo pipefail

secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work=${2:-${TMPDIR:-/tmp}/mmfuse-fuzz}
shift $(( $# > 2 ? 2 : $# ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv safetensors model pipeline_json)
cc=${CC_FUZZ:-clang}

mkdir -p "$work"
work=$(cd "$work" && pwd)
io_srcs=("$root"/src/core/error.c "$root"/src/core/mat.c "$root"/src/io/*.c)
flags=(-g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$root/include" -I"$root/src")
# what libmmfuse.a links against (CMakeLists.txt: MM_DEPS)
lib_deps=(-fopenmp -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -lcjson -lutf8proc -lsndfile
          -lsoxr -lkissfft-float -ljpeg -lpng16 -lwebp -lexif -lcurl -lm)

build_lib() {
    [ -f "$work/lib/libmmfuse.a" ] && [ "${REBUILD:-0}" = 0 ] && return
    echo "== building the library with $cc into $work/lib"
    cmake -S "$root" -B "$work/lib" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug -DMM_SANITIZE=ON \
          -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
    cmake --build "$work/lib" --target mmfuse_static -j "$(nproc)" >/dev/null
}

status=0
for t in "${targets[@]}"; do
    bin="$work/fuzz_$t"
    echo "== building $bin"
    case $t in
    csv|safetensors)
        "$cc" "${flags[@]}" "$here/fuzz_$t.c" "${io_srcs[@]}" -lcjson -lm -o "$bin"
        max_len=4096 ;;
    model|pipeline_json)
        build_lib
        "$cc" "${flags[@]}" "$here/fuzz_$t.c" "$work/lib/libmmfuse.a" "${lib_deps[@]}" -o "$bin"
        max_len=16384 ;;
    *)
        echo "unknown target '$t'" >&2
        exit 2 ;;
    esac
    mkdir -p "$work/$t/corpus"
    cp -n "$here/corpus/$t/"* "$work/$t/corpus/" 2>/dev/null || true
    echo "== running $t for ${secs}s"
    if ! (cd "$work/$t" && "$bin" -max_total_time="$secs" -max_len="$max_len" -timeout=10 \
              -rss_limit_mb=2048 -print_final_stats=1 corpus); then
        echo "== $t: the fuzzer found a failure (see $work/$t/crash-*)"
        status=1
    fi
done
exit $status
