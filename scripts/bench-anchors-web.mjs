#!/usr/bin/env node
// Our browser CPU runtime against ONNX Runtime Web's wasm backend on the same supervision step,
// in one run, in headless Chromium (Debian's, through playwright-core). A benchmark command,
// never part of CI; the ONNX Runtime Web package goes in a throwaway folder.
//
//   trm bench --preset sudoku-mlp --batch 1 --steps 5 --threads 2 --json > ours.json
//   python scripts/bench-anchors.py --reference REF --ours ours.json --save-onnx /tmp/step.onnx
//   npm install --prefix /tmp/ort-web onnxruntime-web
//   node scripts/bench-anchors-web.mjs --arch ours.json --onnx /tmp/step.onnx --ort /tmp/ort-web \
//        [--threads 1,2] [--steps 5] [--json]
//
// --arch: `trm bench --json` output (its `model` is the preset our runtime builds in the page with
// random weights, its `config` the architecture, batch 1); --onnx: that step exported by
// bench-anchors.py. Ours runs through the page's own client and worker (www/pkg): one thread on
// the single-thread module (page not cross-origin isolated), more on the threaded module (page
// served isolated, one thread per core: the worker's choice, so N must equal the cores Chromium
// reports). ONNX Runtime Web runs its wasm backend (SIMD, threads through its own workers) with
// ort.env.wasm.numThreads = N on an isolated page. Each side: one warm-up step, then --steps
// timed steps, the carry fed back; ms per step, min / median / max. Ours runs twice: as the
// worker picks it (relaxed SIMD's fused multiply-add, where Chromium has it) and with the
// relaxed SIMD files withheld, so the worker falls back to SIMD128 ("ours-simd128").

import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "./serve.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WWW = path.resolve(HERE, "..", "www");

function parseArgs(argv) {
  const o = { arch: null, onnx: null, ort: null, threads: [1, 2], steps: 5, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--arch") o.arch = v();
    else if (a === "--onnx") o.onnx = v();
    else if (a === "--ort") o.ort = v();
    else if (a === "--threads") o.threads = v().split(",").map(Number);
    else if (a === "--steps") o.steps = Number(v());
    else if (a === "--json") o.json = true;
    else if (a === "--help" || a === "-h") o.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (o.help) return o;
  for (const k of ["arch", "onnx", "ort"]) if (!o[k]) throw new Error(`--${k} is required (see --help)`);
  if (!o.threads.every((t) => Number.isInteger(t) && t >= 1)) throw new Error("--threads takes whole numbers >= 1");
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new Error("--steps must be a whole number >= 1");
  return o;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (ms) => ({ min: Math.min(...ms), median: median(ms), max: Math.max(...ms) });

/** Our side: the page's client on a preset with random weights; per-step times from the runtime. */
const OURS_PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { TrmClient } from "/pkg/trm-client.js";
window.bench = async (preset, tokens, steps) => {
  const c = new TrmClient({ backend: "cpu" });
  await c.ready;
  await c.load("preset:" + preset);
  const ms = [];
  await c.solve({ tokens }, (p) => !p.inner && ms.push(p.ms), { maxSteps: steps + 1 });
  return { ms: ms.slice(1), threads: c.threads, isolated: self.crossOriginIsolated, relaxedSimd: c.relaxedSimd };
};
</script>`;

/** ONNX Runtime Web's side: the exported step on its wasm backend. */
const ORT_PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as ort from "/__anchors/ort/ort.wasm.min.mjs";
window.bench = async (threads, shapes, tokens, steps) => {
  ort.env.wasm.wasmPaths = "/__anchors/ort/";
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  const sess = await ort.InferenceSession.create("/__anchors/step.onnx", { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5);
  const z = () => new ort.Tensor("float32", Float32Array.from({ length: shapes.z.reduce((a, b) => a * b) }, rand), shapes.z);
  const feed = { z_h: z(), z_l: z(), inputs: new ort.Tensor("int32", Int32Array.from(tokens), shapes.inputs), puzzle_identifiers: new ort.Tensor("int32", new Int32Array(shapes.inputs[0]), [shapes.inputs[0]]) };
  const ms = [];
  for (let i = 0; i <= steps; i++) {
    const t = performance.now();
    const out = await sess.run(feed);
    if (i > 0) ms.push(performance.now() - t);
    feed.z_h = out.z_h_out;
    feed.z_l = out.z_l_out;
  }
  return { ms, threads: ort.env.wasm.numThreads, isolated: self.crossOriginIsolated };
};
</script>`;

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench-anchors-web: ${e.message}`);
    process.exit(2);
  }
  if (o.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 20).map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
    return;
  }
  const arch = JSON.parse(readFileSync(o.arch, "utf8"));
  if (arch.batch !== 1) throw new Error(`--arch has batch ${arch.batch}: the page solves one puzzle, so bench batch 1`);
  const cfg = arch.config;
  const dist = path.join(o.ort, "node_modules", "onnxruntime-web", "dist");
  if (!existsSync(path.join(dist, "ort.wasm.min.mjs"))) throw new Error(`no onnxruntime-web under ${o.ort} (npm install --prefix ${o.ort} onnxruntime-web)`);
  const ortVersion = JSON.parse(readFileSync(path.join(dist, "..", "package.json"), "utf8")).version;
  const overrides = { "/__anchors/ours.html": { body: OURS_PAGE, type: "text/html" }, "/__anchors/ort.html": { body: ORT_PAGE, type: "text/html" } };
  overrides["/__anchors/step.onnx"] = { body: readFileSync(o.onnx), type: "application/octet-stream" };
  for (const f of readdirSync(dist).filter((f) => /^ort-wasm-simd-threaded\.(mjs|wasm)$|^ort\.wasm\.min\.mjs$/.test(f))) {
    overrides[`/__anchors/ort/${f}`] = { body: readFileSync(path.join(dist, f)), type: f.endsWith(".wasm") ? "application/wasm" : "text/javascript" };
  }
  const positions = cfg.seq_len + (cfg.puzzle_emb_ndim > 0 ? cfg.puzzle_emb_len : 0);
  const shapes = { z: [1, positions, cfg.hidden_size], inputs: [1, cfg.seq_len] };
  let seed = 7;
  const tokens = Array.from({ length: cfg.seq_len }, () => 1 + ((seed = (seed * 48271) % 2147483647) % (cfg.vocab_size - 1)));

  const { chromium } = await import("playwright-core");
  const exe = process.env.CHROMIUM_PATH ?? ["/usr/bin/chromium", "/usr/lib/chromium/chromium"].find((p) => existsSync(p));
  const noRelaxed = { ...overrides, "/pkg/wasm/trm_cpu_relaxed_bg.wasm": null, "/pkg/wasm/trm_cpu_mt_relaxed_bg.wasm": null };
  const servers = {
    plain: await startServer({ root: WWW, port: 0, overrides }),
    isolated: await startServer({ root: WWW, port: 0, overrides, isolate: true }),
    plainSimd128: await startServer({ root: WWW, port: 0, overrides: noRelaxed }),
    isolatedSimd128: await startServer({ root: WWW, port: 0, overrides: noRelaxed, isolate: true }),
  };
  const browser = await chromium.launch({ executablePath: exe, headless: true, args: ["--headless=new", "--no-sandbox", "--no-first-run", "--disable-background-networking"] });
  const rows = [];
  try {
    for (const threads of o.threads) {
      for (const side of ["ours", "ours-simd128", "onnxruntime-web"]) {
        const context = await browser.newContext({ serviceWorkers: "block" });
        const page = await context.newPage();
        try {
          const ours = side !== "onnxruntime-web";
          const server = servers[`${ours && threads === 1 ? "plain" : "isolated"}${side === "ours-simd128" ? "Simd128" : ""}`];
          await page.goto(`${server.url}__anchors/${ours ? "ours" : "ort"}.html`);
          await page.waitForFunction(() => typeof window.bench === "function");
          const r =
            ours
              ? await page.evaluate(([p, t, n]) => window.bench(p, t, n), [arch.model, tokens, o.steps])
              : await page.evaluate(([t, s, tok, n]) => window.bench(t, s, tok, n), [threads, shapes, tokens, o.steps]);
          if (r.threads !== threads) throw new Error(`${side} ran on ${r.threads} thread(s), not ${threads} (isolated: ${r.isolated}; ours takes one per core)`);
          if (ours && r.relaxedSimd !== (side === "ours")) throw new Error(`${side} ran with relaxedSimd ${r.relaxedSimd}`);
          rows.push({ side, threads, ...spread(r.ms) });
        } finally {
          await context.close();
        }
        if (!o.json) process.stderr.write(`… ${side}, ${threads} thread(s): ${rows.at(-1).median.toFixed(1)} ms/step\n`);
      }
    }
  } finally {
    await browser.close();
    for (const s of Object.values(servers)) await s.close();
  }
  const out = { model: arch.model, params: arch.params, onnxruntimeWeb: ortVersion, steps: o.steps, rows };
  out.ratios = o.threads.map((t) => {
    const [ours, simd128, theirs] = ["ours", "ours-simd128", "onnxruntime-web"].map((s) => rows.find((r) => r.side === s && r.threads === t));
    return { threads: t, oursOverOrtWeb: ours.median / theirs.median, oursSimd128OverOrtWeb: simd128.median / theirs.median };
  });
  if (o.json) return console.log(JSON.stringify(out, null, 2));
  console.log(`${arch.model} (${arch.params} parameters), batch 1, ms per supervision step (min / median / max of ${o.steps}), onnxruntime-web ${ortVersion}`);
  for (const t of o.threads) {
    const [a, s, b] = ["ours", "ours-simd128", "onnxruntime-web"].map((x) => rows.find((r) => r.side === x && r.threads === t));
    const f = (r) => `${r.min.toFixed(0)} / ${r.median.toFixed(0)} / ${r.max.toFixed(0)}`;
    console.log(
      `${t} thread(s): ours ${f(a)}  ours without relaxed SIMD ${f(s)}  onnxruntime-web ${f(b)}  ` +
        `ours ÷ ORT Web ${(a.median / b.median).toFixed(2)} (without relaxed SIMD ${(s.median / b.median).toFixed(2)})`,
    );
  }
}

main().catch((e) => {
  console.error(`bench-anchors-web: ${e.message}`);
  process.exit(1);
});
