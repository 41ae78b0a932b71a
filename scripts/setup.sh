#!/usr/bin/env bash
# Install what building, serving and testing need, idempotently: Debian packages (Chromium and
# its driver for browser tests, Mesa's lavapipe for wgpu without a GPU), the wasm32 target, the
# wasm-bindgen CLI matching Cargo.lock, and the npm dev dependencies (playwright-core, binaryen).
# Usage: scripts/setup.sh [--web-only]   (--web-only: what building the demo needs)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=$(sed -n '/^name = "wasm-bindgen"$/{n;s/version = "\(.*\)"/\1/p}' Cargo.lock)
: "${WASM_BINDGEN_VERSION:?cannot read the wasm-bindgen version from Cargo.lock}"

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

packages=()
if [ "${1:-}" != "--web-only" ]; then
  packages+=(chromium chromium-driver mesa-vulkan-drivers)
fi
missing=()
for p in "${packages[@]}"; do
  # Installed, not merely known: a removed package keeps its configuration files and its entry.
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
# Node.js may come from elsewhere (with npm inside); only install Debian's when there is none.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
# The threaded CPU module rebuilds std with wasm atomics from the toolchain's sources.
rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  echo "setup: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
  # No --locked: its lockfile pins a crate version the registry here lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --quiet
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
