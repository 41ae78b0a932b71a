#!/usr/bin/env node
// Write tests/browser/expected/<name>.json for wasm.test.mjs straight from a parity fixture's
// reference outputs (the PyTorch run in io.safetensors), as an alternative to the native CLI.
//
//   node tests/browser/make-expected.mjs <fixture dir> <model_url> [--name NAME] [--max-steps N] [--webgpu-steps N]
//   e.g. node tests/browser/make-expected.mjs tests/fixtures/parity/sudoku-mlp-h64 \
//          models/sudoku-mlp-h64.safetensors --max-steps 2
//
// model_url: where the page finds the same model converted to the web format (relative to www/).
// steps_to_compare = the fixture's free_running_steps (random-weight recursions are chaotic: later
// steps legitimately diverge). Cells whose top-2 reference logits are within the parity tolerance
// (1e-4 x max(1, max |logit|)) are listed as `ambiguous` and not compared for argmax.
// halt_prob = sigmoid(q_halt); confidence = max softmax probability per cell.
// --webgpu-steps N: on WebGPU (SwiftShader in the tests, minutes per step of a 900-cell fixture)
// run and compare only the first N steps; the CPU runs keep them all. 0: the CPU runs alone.

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));

function readSafetensors(file) {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  const base = 8 + n;
  const tensor = (name) => {
    const t = header[name];
    if (!t) throw new Error(`${file}: no tensor ${name}`);
    const [a, b] = t.data_offsets;
    const bytes = Buffer.from(buf.subarray(base + a, base + b)); // copy: aligned
    const Arr = { F32: Float32Array, I32: Int32Array }[t.dtype];
    if (!Arr) throw new Error(`${name}: unsupported dtype ${t.dtype}`);
    return { shape: t.shape, data: new Arr(bytes.buffer, bytes.byteOffset, bytes.length / Arr.BYTES_PER_ELEMENT) };
  };
  return { metadata: header.__metadata__ ?? {}, tensor };
}

function main() {
  const args = process.argv.slice(2);
  const pos = [];
  const opt = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--name") opt.name = args[++i];
    else if (args[i] === "--max-steps") opt.maxSteps = Number(args[++i]);
    else if (args[i] === "--webgpu-steps") opt.webgpuSteps = Number(args[++i]);
    else pos.push(args[i]);
  }
  if (pos.length !== 2) {
    console.error("usage: node tests/browser/make-expected.mjs <fixture dir> <model_url> [--name NAME] [--max-steps N] [--webgpu-steps N]");
    process.exit(2);
  }
  const [dir, modelUrl] = pos;
  const cfg = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8"));
  const io = readSafetensors(path.join(dir, "io.safetensors"));
  const inputs = io.tensor("inputs");
  const ids = io.tensor("puzzle_identifiers");
  const logits = io.tensor("logits");
  const qHalt = io.tensor("q_halt");
  const [steps, B, seq, vocab] = logits.shape;
  const free = Number(io.metadata.free_running_steps ?? steps);
  const passes = [];
  for (let s = 0; s < steps; s++) {
    const tokens = [], confidence = [], ambiguous = [];
    let maxAbs = 0;
    const off = s * B * seq * vocab;
    for (let i = 0; i < B * seq * vocab; i++) maxAbs = Math.max(maxAbs, Math.abs(logits.data[off + i]));
    const tol = 1e-4 * Math.max(1, maxAbs);
    for (let c = 0; c < B * seq; c++) {
      const row = logits.data.subarray(off + c * vocab, off + (c + 1) * vocab);
      let best = 0;
      for (let v = 1; v < vocab; v++) if (row[v] > row[best]) best = v;
      let second = -Infinity;
      for (let v = 0; v < vocab; v++) if (v !== best) second = Math.max(second, row[v]);
      let z = 0;
      for (let v = 0; v < vocab; v++) z += Math.exp(row[v] - row[best]);
      tokens.push(best);
      confidence.push(Number((1 / z).toPrecision(7)));
      if (row[best] - second <= tol) ambiguous.push(c);
    }
    const halt = Array.from(qHalt.data.subarray(s * B, (s + 1) * B), (q) => Number((1 / (1 + Math.exp(-q))).toPrecision(7)));
    const pass = { step: s + 1, tokens, halt_prob: halt, confidence };
    if (ambiguous.length) pass.ambiguous = ambiguous;
    passes.push(pass);
  }
  const name = opt.name ?? path.basename(path.resolve(dir));
  const out = {
    model_url: modelUrl,
    task: { "11:81": "sudoku", "6:900": "maze", "12:900": "arc" }[`${cfg.vocab_size}:${cfg.seq_len}`] ?? null,
    source: `reference PyTorch outputs of ${name} (io.safetensors)`,
    tokens: Array.from(inputs.data),
    puzzle_ids: Array.from(ids.data),
    steps_to_compare: Math.min(free, steps),
    max_steps: opt.maxSteps ?? steps,
    ...(opt.webgpuSteps ? { webgpu_max_steps: opt.webgpuSteps } : {}),
    ...(opt.webgpuSteps === 0 ? { backends: ["cpu"] } : {}),
    tolerance: 1e-3,
    passes: passes.slice(0, Math.min(free, steps)),
  };
  mkdirSync(path.join(HERE, "expected"), { recursive: true });
  const file = path.join(HERE, "expected", `${name}.json`);
  writeFileSync(file, JSON.stringify(out) + "\n");
  console.log(`wrote ${path.relative(process.cwd(), file)}: ${out.passes.length} pass(es) to compare, max_steps ${out.max_steps}, batch ${B}`);
}

main();
