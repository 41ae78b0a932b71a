// Regenerate the demo's model list and the browser tests' expected outputs with the native CLI:
//  - www/models/<name>.safetensors and <name>.md: the trained models (`trm train` runs in
//    runs/<name>/, with their cards), listed first so the page opens on a model that solves;
//  - www/models/<fixture>.safetensors: the parity fixtures' reference checkpoints in the web
//    format (random weights: their answers are meaningless, but they are the reference's own);
//  - www/models/models.json: those plus the paper-size presets (random weights built in the page);
//  - tests/browser/expected/<name>.json, what the browser must reproduce: for a fixture, the
//    reference's own PyTorch outputs (tests/browser/make-expected.mjs on its io.safetensors), an
//    independent source; for a trained model (no reference run exists), `trm solve --json` on a
//    gallery puzzle.
// Usage: node scripts/make-models.mjs   (after `cargo build --release --bin trm`; fixtures from
// tests/fixtures/parity or $TRM_FIXTURES)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { accuracyText, trainedWhere } from "../www/models.js";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const fixtures = process.env.TRM_FIXTURES ?? path.join(root, "tests/fixtures/parity");
const trm = process.env.TRM ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, "target"), "release/trm");
const run = (args) => execFileSync(trm, args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 });

const gallery = (name) => JSON.parse(readFileSync(path.join(root, "www/data", name), "utf8"));
const sudoku = gallery("sudoku-gallery.json").puzzles[0].puzzle;
const arcTask = gallery("arc-gallery.json").tasks.find((t) => t.id === "6d0aefbc");
const arc = JSON.stringify({ train: arcTask.train, test: arcTask.test });
// A corridor maze of 7x7, what `maze-tiny`'s canvas holds (the gallery's start at 10x10).
const maze7 = ["G  #  #", "## #  #", "##    #", " ## # #", " #  ###", " #S# ##", "#######"].join("\n");

// [fixture, task, steps run in the browser, of those on WebGPU]; the steps compared are the
// fixture's free-running ones (of those run). CI's software WebGPU (SwiftShader) takes minutes per
// step of a 900-cell fixture; the trained models cover many steps on it. `maze-att-h64` runs on
// the CPU alone (0): on WebGPU it took 80 s of CI and added nothing the others lack there (RoPE:
// arc-small, maze-tiny, arc-att-emb96-h64; 16 puzzle-embedding rows: sudoku-mlp-h64,
// arc-att-learned-h64; 900 cells: both ARC fixtures); `trm parity --backend wgpu` checks it natively.
const FIXTURES = [
  ["sudoku-mlp-h64", "sudoku", 2],
  ["maze-att-h64", "maze", 3, 0],
  ["arc-att-learned-h64", "arc", 3, 1],
  ["arc-att-emb96-h64", "arc", 2, 1],
];

// [run name, task, puzzle args, passes the browser tests compare, backends they run]: the page's
// trained models, from runs/<name>/ (trm train). The first of a task is its default. The
// paper-size model is compared over fewer passes and on the CPU path alone: CI's software WebGPU
// (SwiftShader) needs about 6 minutes for its first 4 passes, the wasm CPU path 5 s.
const TRAINED = [
  ["sudoku-small", "sudoku", ["--puzzle", sudoku], 16],
  ["sudoku-paper", "sudoku", ["--puzzle", sudoku], 4, ["cpu"]],
  ["arc-small", "arc", ["--puzzle", arc, "--puzzle-id", arcTask.id], 16],
  ["maze-tiny", "maze", ["--puzzle", maze7], 16],
];

mkdirSync(path.join(root, "www/models"), { recursive: true });
mkdirSync(path.join(root, "tests/browser/expected"), { recursive: true });
const models = [];
const versioned = (file) => createHash("sha256").update(readFileSync(path.join(root, file))).digest("hex").slice(0, 12);

/** `trm solve --json` on `file`, written as the browser's expected outputs. */
function expect(name, file, url, task, puzzle, maxSteps, compare, backends) {
  const out = JSON.parse(run(["solve", "--model", file, "--task", task, ...puzzle, "--steps", String(maxSteps), "--json"]));
  const expected = {
    model_url: url,
    task,
    tokens: out.tokens,
    puzzle_ids: out.puzzleIds,
    max_steps: maxSteps,
    steps_to_compare: compare,
    tolerance: 1e-3,
    ...(backends ? { backends } : {}),
    passes: out.passes.map((p) => ({ step: p.step, tokens: p.tokens, halt_prob: p.haltProb, confidence: p.confidence })),
  };
  writeFileSync(path.join(root, `tests/browser/expected/${name}.json`), JSON.stringify(expected) + "\n");
  console.log(`${file} (${url}); expected outputs of ${out.passes.length} passes`);
}

for (const [name, task, puzzle, compare, backends] of TRAINED) {
  const src = path.join(root, "runs", name);
  if (!existsSync(path.join(src, `${name}.safetensors`))) throw new Error(`runs/${name}/${name}.safetensors is missing: train it first (see its card)`);
  const file = `www/models/${name}.safetensors`;
  copyFileSync(path.join(src, `${name}.safetensors`), path.join(root, file));
  copyFileSync(path.join(src, `${name}.md`), path.join(root, `www/models/${name}.md`));
  const card = JSON.parse(readFileSync(path.join(src, `${name}.card.json`), "utf8"));
  const url = `models/${name}.safetensors?v=${versioned(file)}`;
  models.push({
    name,
    url,
    task,
    trained: true,
    size: statSync(path.join(root, file)).size,
    card: `models/${name}.md`,
    group: "Trained models",
    note: `Trained from scratch by trm train (${card.parameters.toLocaleString("en-US")} parameters, ${trainedWhere(card)}). ${accuracyText(card)}`,
  });
  // A trained model is not chaotic: the browser must reproduce every pass.
  expect(name, file, url, task, puzzle, compare, compare, backends);
}

for (const [name, task, maxSteps, webgpuSteps] of FIXTURES) {
  const file = `www/models/${name}.safetensors`;
  run(["convert", path.join(fixtures, name, "checkpoint.pt"), "-o", file]);
  const url = `models/${name}.safetensors?v=${versioned(file)}`;
  models.push({
    name,
    url,
    task,
    size: statSync(path.join(root, file)).size,
    group: "Test models (random weights)",
    note: "A parity fixture: the reference's random-weight checkpoint (hidden 64). Its answers are meaningless.",
  });
  execFileSync(process.execPath, [path.join(root, "tests/browser/make-expected.mjs"), path.join(fixtures, name), url, "--max-steps", String(maxSteps), ...(webgpuSteps != null ? ["--webgpu-steps", String(webgpuSteps)] : [])], {
    cwd: root,
    stdio: "inherit",
  });
}
for (const [preset, task, params] of [
  ["sudoku-mlp", "sudoku", "5.0M"],
  ["sudoku-att", "sudoku", "6.8M"],
  ["maze", "maze", "6.8M"],
  ["arc", "arc", "6.8M"],
]) {
  models.push({
    name: `${preset} (paper size, random weights)`,
    url: `preset:${preset}`,
    task,
    group: "Test models (random weights)",
    note: `The paper's ${params}-parameter architecture with random weights, built in the page: real speed, meaningless answers.`,
  });
}
writeFileSync(path.join(root, "www/models/models.json"), JSON.stringify({ models }, null, 2) + "\n");
console.log(`www/models/models.json: ${models.length} models`);
