#!/usr/bin/env bash
# Build the package's wasm into pkg/wasm: the browser runtime (crates/trm-wasm) in three builds, CPU
# only (trm_cpu*), the same on threads (trm_cpu_mt*), both also with relaxed SIMD (*_relaxed*),
# and WebGPU with the CPU (trm*), and the puzzle codecs (crates/trm-wasm-tasks: trm_tasks*): for
# wasm32 (SIMD128 from .cargo/config.toml), wasm-bindgen at the
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
# RELAXED ("relaxed" or empty) builds the CPU modules' twins with relaxed SIMD (X_relaxed.js and
# X_relaxed_bg.wasm beside X.js and X_bg.wasm: crates/trm-kernels/src/matmul.rs says why they are
# separate builds; each has its own JS glue, as the two may number their imports apart). Its flag
# goes to the kernels' crate alone (a profile's per-package rustflags, a nightly cargo option that
# RUSTC_BOOTSTRAP allows on this stable toolchain), so the other crates' builds are shared and
# only trm-kernels and the crates above it are compiled twice.
build() { # PACKAGE FEATURES PROFILE OUT_NAME WASM_OPT_LEVEL [RELAXED]
  local target="${CARGO_TARGET_DIR:-target}"
  compile "${6:-}" -p "$1" --lib --profile "$3" --target wasm32-unknown-unknown ${2:+--features "$2"}
  bindgen_and_opt "$target/wasm32-unknown-unknown/$3/${1//-/_}.wasm" "$4${6:+_relaxed}" "$5"
  [ "$4" != trm_cpu ] || check_relaxed "pkg/wasm/$4${6:+_relaxed}_bg.wasm" "${6:-}"
}
compile() { # RELAXED CARGO_ARGS...
  local relaxed="$1"
  shift
  if [ -n "$relaxed" ]; then
    RUSTC_BOOTSTRAP=1 cargo build -Z profile-rustflags \
      --config 'profile.web.package.trm-kernels.rustflags = ["-C", "target-feature=+relaxed-simd"]' "$@"
  else
    cargo build "$@"
  fi
}

# The threaded CPU module: shared memory and atomics need a std compiled with them, which cargo
# builds from the toolchain's rust-src (`-Z build-std`, a nightly flag that RUSTC_BOOTSTRAP
# allows on this stable toolchain; scripts/setup.sh installs rust-src). Its own target folder:
# other flags would rebuild every dependency of the other builds. The linker is told to make the
# memory shared and imported (wasm-bindgen then creates it and hands it to every thread) and to
# export the thread-local storage hooks; it may grow to 4 GiB, as the single-thread module's.
build_threads() { # OUT_NAME WASM_OPT_LEVEL [RELAXED]
  local target="${CARGO_TARGET_DIR:-target}/wasm-threads" link=""
  for a in --shared-memory --import-memory --max-memory=4294967296 --export=__wasm_init_tls \
    --export=__tls_size --export=__tls_align --export=__tls_base; do link+=" -C link-arg=$a"; done
  RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target" \
    RUSTFLAGS="-C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals$link" \
    compile "${3:-}" -p trm-wasm --lib --profile web --target wasm32-unknown-unknown --features threads \
    -Z build-std=panic_abort,std
  bindgen_and_opt "$target/wasm32-unknown-unknown/web/trm_wasm.wasm" "$1${3:+_relaxed}" "$2" --enable-threads
  check_relaxed "pkg/wasm/$1${3:+_relaxed}_bg.wasm" "${3:-}"
}

bindgen_and_opt() { # WASM OUT_NAME WASM_OPT_LEVEL [EXTRA_WASM_OPT_FLAGS]
  wasm-bindgen --target web --no-typescript --out-dir pkg/wasm --out-name "$2" "$1"
  local out="pkg/wasm/$2_bg.wasm"
  if [ "$OPT" = 1 ]; then
    node_modules/.bin/wasm-opt "$3" --enable-simd --enable-relaxed-simd --enable-bulk-memory \
      --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue --enable-sign-ext \
      --enable-mutable-globals ${4:-} "$out" -o "$out.opt"
    mv "$out.opt" "$out"
  fi
  echo "$out: $(stat -c %s "$out") bytes raw, $(gzip -9 -c "$out" | wc -c) bytes gzip -9"
}

# A CPU module holds relaxed SIMD instructions exactly when it is the relaxed twin: one in the
# plain build would make it fail to compile in browsers without relaxed SIMD.
check_relaxed() { # WASM RELAXED
  local n
  n=$(node_modules/.bin/wasm-opt --all-features "$1" --print | grep -cE '\((f32x4|f64x2|i32x4|i16x8|i8x16)\.relaxed_' || true)
  if [ -n "$2" ] && [ "$n" = 0 ]; then echo "$1 has no relaxed SIMD instruction: the flag did not reach the build" >&2; exit 1; fi
  if [ -z "$2" ] && [ "$n" != 0 ]; then echo "$1 has $n relaxed SIMD instructions" >&2; exit 1; fi
  return 0
}
OPT=1
[ "${1:-}" != "--no-opt" ] || OPT=0
rm -rf pkg/wasm
build trm-wasm webgpu web trm -O2
build trm-wasm "" web trm_cpu -O2
build trm-wasm "" web trm_cpu -O2 relaxed
build_threads trm_cpu_mt -O2
build_threads trm_cpu_mt -O2 relaxed
build trm-wasm-tasks "" web-tasks trm_tasks -Oz
rm -rf www/pkg
cp -r pkg www/pkg
echo "pkg/ copied to www/pkg/"
