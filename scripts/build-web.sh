#!/usr/bin/env bash
# Build the package's wasm into pkg/wasm: the browser runtime in three builds, CPU only (trm_cpu*),
# the same on threads (trm_cpu_mt*) and WebGPU with the CPU (trm*), each as two files (with and
# without relaxed SIMD), and the puzzle codecs (trm_tasks*): the crate for wasm32 (SIMD128 from
# .cargo/config.toml), wasm-bindgen at the
# version Cargo.lock pins, then wasm-opt from npm's binaryen (Debian's is too old and silently
# breaks the module). Then the demo takes the package like any user would: pkg/ is copied to
# www/pkg/. Prints the sizes.
# Usage: scripts/build-web.sh [--no-opt]
set -euo pipefail
cd "$(dirname "$0")/.."

# The model runtime (`web` profile: release with LTO; native release builds skip LTO to keep
# links fast) with WebGPU, then without it (cubecl's kernel generator is most of the first: the
# worker loads it only when a model runs on the GPU), then the puzzle codecs alone (`web-tasks`
# profile, optimised for size): the page loads those first, so puzzles work while the runtime
# downloads.
build() { # FEATURES PROFILE OUT_NAME WASM_OPT_LEVEL
  local target="${CARGO_TARGET_DIR:-target}"
  cargo build --lib --profile "$2" --target wasm32-unknown-unknown --no-default-features ${1:+--features "$1"}
  bindgen_and_opt "$target/wasm32-unknown-unknown/$2/trm.wasm" "$3" "$4"
}

# The threaded CPU module: shared memory and atomics need a std compiled with them, which cargo
# builds from the toolchain's rust-src (`-Z build-std`, a nightly flag that RUSTC_BOOTSTRAP
# allows on this stable toolchain; scripts/setup.sh installs rust-src). Its own target folder:
# other flags would rebuild every dependency of the other builds. The linker is told to make the
# memory shared and imported (wasm-bindgen then creates it and hands it to every thread) and to
# export the thread-local storage hooks; it may grow to 4 GiB, as the single-thread module's.
build_threads() { # OUT_NAME WASM_OPT_LEVEL
  local target="${CARGO_TARGET_DIR:-target}/wasm-threads" link=""
  for a in --shared-memory --import-memory --max-memory=4294967296 --export=__wasm_init_tls \
    --export=__tls_size --export=__tls_align --export=__tls_base; do link+=" -C link-arg=$a"; done
  RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target" \
    RUSTFLAGS="-C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals$link" \
    cargo build --lib --profile web --target wasm32-unknown-unknown --no-default-features --features threads \
    -Z build-std=panic_abort,std
  bindgen_and_opt "$target/wasm32-unknown-unknown/web/trm.wasm" "$1" "$2" --enable-threads
}

bindgen_and_opt() { # WASM OUT_NAME WASM_OPT_LEVEL [EXTRA_WASM_OPT_FLAGS]
  wasm-bindgen --target web --no-typescript --out-dir pkg/wasm --out-name "$2" "$1"
  local out="pkg/wasm/$2_bg.wasm"
  local features="--enable-simd --enable-relaxed-simd --enable-bulk-memory --enable-nontrapping-float-to-int
    --enable-reference-types --enable-multivalue --enable-sign-ext --enable-mutable-globals ${4:-}"
  if [ "$OPT" = 1 ]; then
    node_modules/.bin/wasm-opt "$3" $features "$out" -o "$out.opt"
    mv "$out.opt" "$out"
  fi
  # A runtime module's matrix kernel uses relaxed SIMD (src/model/matmul.rs), which an engine
  # without it refuses for the whole module: X_relaxed_bg.wasm keeps it, for the worker to load
  # where the engine validates it; X_bg.wasm, which the glue loads by default, has those
  # instructions replaced by traps, never reached unless `useRelaxedSimd()` is called.
  if [ "$2" != trm_tasks ]; then
    mv "$out" "pkg/wasm/$2_relaxed_bg.wasm"
    node_modules/.bin/wasm-opt $features $([ "$OPT" = 1 ] || echo --debuginfo) --remove-relaxed-simd \
      "pkg/wasm/$2_relaxed_bg.wasm" -o "$out"
    size "pkg/wasm/$2_relaxed_bg.wasm"
  fi
  size "$out"
}
size() { echo "$1: $(stat -c %s "$1") bytes raw, $(gzip -9 -c "$1" | wc -c) bytes gzip -9"; }
OPT=1
[ "${1:-}" != "--no-opt" ] || OPT=0
build webgpu web trm -O2
build model web trm_cpu -O2
build_threads trm_cpu_mt -O2
build "" web-tasks trm_tasks -Oz
rm -rf www/pkg
cp -r pkg www/pkg
echo "pkg/ copied to www/pkg/"
