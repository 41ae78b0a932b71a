#!/usr/bin/env bash
# Build the browser runtime into www/pkg: the crate for wasm32 (`web` profile, SIMD128 from
# .cargo/config.toml), wasm-bindgen at the version Cargo.lock pins, then wasm-opt from npm's
# binaryen (Debian's is too old and silently breaks the module). Prints the sizes.
# Usage: scripts/build-web.sh [--no-opt]
set -euo pipefail
cd "$(dirname "$0")/.."

# The `web` profile: release with LTO (native release builds skip LTO to keep links fast).
cargo build --lib --profile web --target wasm32-unknown-unknown --no-default-features --features model
wasm="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/web/trm.wasm"
wasm-bindgen --target web --no-typescript --out-dir www/pkg --out-name trm "$wasm"
out=www/pkg/trm_bg.wasm
if [ "${1:-}" != "--no-opt" ]; then
  node_modules/.bin/wasm-opt -O2 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-reference-types --enable-multivalue --enable-sign-ext --enable-mutable-globals \
    "$out" -o "$out.opt"
  mv "$out.opt" "$out"
fi
raw=$(stat -c %s "$out")
gz=$(gzip -9 -c "$out" | wc -c)
echo "www/pkg/trm_bg.wasm: $raw bytes raw, $gz bytes gzip -9"
