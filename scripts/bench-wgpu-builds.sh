#!/usr/bin/env bash
# Whether burn's `fusion` (elementwise chains fused into the kernels around them) and `autotune`
# pay on a GPU: release builds of `trm` without and with them, then `trm bench --backend wgpu`
# of each, interleaved, on the page's models and the paper-size presets, parity with the
# reference fixtures, and a training step. Never part of CI.
#
#   scripts/bench-wgpu-builds.sh build DIR   # here: the three builds, stripped, into DIR
#   scripts/bench-wgpu-builds.sh run DIR     # on the GPU's machine (DIR copied there), from the
#                                            # repository root; prints the adapter first
#
# Each build compiles burn's GPU stack anew (about 12 minutes on 2 cores). Fixtures come from
# tests/fixtures or $TRM_FIXTURES.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?build or run}
dir=${2:?a folder for the builds}
builds=(base fusion tune)

if [ "$mode" = build ]; then
  mkdir -p "$dir"
  target="${CARGO_TARGET_DIR:-target}"
  features=("" "burn/fusion" "burn/fusion,burn/autotune")
  for i in 0 1 2; do
    cargo build --release --bin trm ${features[$i]:+--features "${features[$i]}"}
    cp "$target/release/trm" "$dir/trm-${builds[$i]}"
    strip "$dir/trm-${builds[$i]}"
  done
  ls -l "$dir"
  exit 0
fi

[ "$mode" = run ] || { echo "usage: $0 build|run DIR" >&2; exit 2; }
fixtures="${TRM_FIXTURES:-tests/fixtures}"
"$dir/trm-base" bench --backend wgpu --model www/models/sudoku-small.safetensors --steps 1 2>&1 | grep 'wgpu adapter'
bench() {
  for b in "${builds[@]}"; do
    echo "== $b: $*"
    timeout 300 "$dir/trm-$b" bench --backend wgpu "$@" 2>&1 | grep -v '^wgpu adapter' || true
  done
}
for round in 1 2; do
  bench --preset sudoku-mlp --steps 16
  bench --model www/models/sudoku-paper.safetensors --steps 16
  bench --model www/models/sudoku-small.safetensors --steps 16
  bench --model www/models/maze-tiny.safetensors --batch 8 --steps 16
  bench --model www/models/arc-small.safetensors --batch 64 --steps 16
  bench --preset arc --steps 8
done
for b in "${builds[@]}"; do
  echo "== $b: parity"
  timeout 300 "$dir/trm-$b" parity --backend wgpu "$fixtures"/parity/*/ "$fixtures"/train/*/ 2>&1 | grep -E 'on wgpu|PASS|FAIL|error' || true
  echo "== $b: training"
  timeout 300 "$dir/trm-$b" bench --train --backend wgpu --preset sudoku-paper --batch 256 --steps 4 2>&1 | grep -v '^wgpu adapter' || true
done
