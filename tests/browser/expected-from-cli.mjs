#!/usr/bin/env node
// Write an expected-output file for wasm.test.mjs from the native CLI's `trm solve --json`:
//
//   trm solve --model www/models/X.safetensors --task sudoku --puzzle ... --json \
//     | node tests/browser/expected-from-cli.mjs models/X.safetensors[?v=...] [--compare N] \
//     > tests/browser/expected/X.json
//
// --compare: how many leading passes the browser must match (default: all of them; a trained
// model is not chaotic, a random-weight one is, so compare only its first steps).

import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const modelUrl = args.find((a) => !a.startsWith("--"));
const i = args.indexOf("--compare");
if (!modelUrl) {
  console.error("usage: trm solve ... --json | node expected-from-cli.mjs MODEL_URL [--compare N]");
  process.exit(2);
}
const cli = JSON.parse(readFileSync(0, "utf8"));
const passes = cli.passes.filter((p) => p.inner == null);
const out = {
  model_url: modelUrl,
  task: cli.task,
  tokens: cli.tokens,
  puzzle_ids: cli.puzzle_ids,
  max_steps: passes.length,
  steps_to_compare: i >= 0 ? Number(args[i + 1]) : passes.length,
  tolerance: 1e-3,
  passes: passes.map((p) => ({ step: p.step, tokens: p.tokens, halt_prob: p.halt_prob, confidence: p.confidence })),
};
process.stdout.write(JSON.stringify(out) + "\n");
