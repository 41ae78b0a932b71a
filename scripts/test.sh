#!/usr/bin/env bash
# Every test: native Rust (unit, puzzle tasks, weights, parity on the CPU backend and on wgpu
# over Mesa's lavapipe), the wasm surface in headless Chromium (wasm-bindgen-test, the CPU
# backend), and the page in headless Chromium (Playwright; the WebGPU module on SwiftShader and
# both CPU modules against the native CLI).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each stage's heading says when it started, so a slow CI run shows where the time went.
stage() { echo "== $1 (${SECONDS} s in)"; }

scripts/setup.sh
# Mesa's WSI probe complains on every adapter query without it.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"

stage "native tests (cargo test --release)"
# Release: the same build outputs as the CLI and the trainer (the dev profile would compile
# every dependency a second time). Every native crate of the workspace; lavapipe is installed by
# setup: a missing wgpu adapter is a failure, not a skip.
cargo test --release

stage "browser runtime (www/pkg)"
# wasm-opt is skipped here (minutes on 2 cores); the demo build runs it.
scripts/build-web.sh --no-opt

stage "wasm surface in headless Chromium (wasm-bindgen-test)"
# The CPU module's features: the test reuses that build's dependencies and links without the
# WebGPU stack, whose link-time optimisation made this one test binary take 14 minutes here. The
# WebGPU session's parity with the native CLI is the page tests' (tests/browser/wasm.test.mjs).
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=900 \
  cargo test -p trm-wasm --profile web --target wasm32-unknown-unknown --test web

stage "page in headless Chromium (node --test + playwright-core)"
npm run --silent test:browser
echo "== all tests passed in ${SECONDS} s"
