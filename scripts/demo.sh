#!/usr/bin/env bash
# Build the browser runtime and serve the demo on http://127.0.0.1:${PORT:-8000}/ (installs what
# the build needs first: the wasm32 target, wasm-bindgen-cli, binaryen's wasm-opt).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --web-only
scripts/build-web.sh
exec node scripts/serve.mjs "${PORT:-8000}"
