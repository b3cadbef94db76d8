#!/usr/bin/env bash
# The bundled demo data is exactly what the generator writes.
set -u
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$MMFUSE_BUILD/mmfuse_demo_data" "$out" || { echo "0 passed, 1 failed"; exit 1; }
if cmp -s "$out" "$MMFUSE_SRC/data/demo/products.csv"; then
  echo "1 passed, 0 failed"
else
  echo "data/demo/products.csv differs from the generator's output (regenerate it with build/mmfuse_demo_data data/demo/products.csv)"
  echo "0 passed, 1 failed"; exit 1
fi
