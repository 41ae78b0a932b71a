// Shared helpers for the browser tests: the static server, Debian's Chromium through
// playwright-core (no browser download), safetensors crafting and page utilities.

import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../../scripts/serve.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "..", "..");
export const WWW = path.join(ROOT, "www");
export const EXPECTED_DIR = path.join(HERE, "expected");
export const FIXTURES_DIR = path.join(HERE, "fixtures");
export const MOCK_RUNTIME = readFileSync(path.join(HERE, "fixtures", "mock-trm.js"));

export const PKG_PRESENT = ["trm.js", "trm_bg.wasm", "trm_cpu.js", "trm_cpu_bg.wasm", "trm_cpu_mt.js", "trm_cpu_mt_bg.wasm"].every((f) => existsSync(path.join(WWW, "pkg", "wasm", f)));

export const CHROMIUM =
  process.env.CHROMIUM_PATH ?? ["/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p)) ?? null;

let playwright = null;
try {
  playwright = await import("playwright-core");
} catch {
  playwright = null;
}

/** Why browser tests cannot run here, or null. */
export const BROWSER_SKIP = !playwright
  ? "playwright-core is not installed (run npm install)"
  : !CHROMIUM
    ? "no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)"
    : !existsSync(path.join(WWW, "pkg", "wasm", "trm_tasks_bg.wasm"))
      ? "www/pkg/wasm/trm_tasks_bg.wasm (the page's puzzle codecs) is missing: run scripts/build-web.sh"
      : null;

export const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launch Chromium with WebGPU enabled (SwiftShader on GPU-less machines); a fresh profile each time. */
export async function launchBrowser() {
  return playwright.chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Serve www/ on a free port. `overrides` maps URL paths to bodies (see serve.mjs); `hits` counts
 * requests per path (server side: nothing that reached the network escapes it). `isolate` sends
 * the cross-origin isolation headers (the threaded CPU runtime's condition).
 */
export async function serveWww(overrides = {}, { isolate = false } = {}) {
  const hits = new Map();
  const over = new Map(Object.entries(overrides));
  const srv = await startServer({
    root: WWW,
    port: 0,
    isolate,
    overrides: over,
    onRequest: (p) => hits.set(p, (hits.get(p) ?? 0) + 1),
  });
  return { ...srv, hits, overrides: over, hitCount: (p) => hits.get(p) ?? 0 };
}

/** A new context + page that records console output and page errors (printed on failure). */
export async function openPage(browser, url, { serviceWorkers = "block", log = [], viewport } = {}) {
  const context = await browser.newContext({ serviceWorkers, ...(viewport ? { viewport } : {}) });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => log.push(`[${m.type()}] ${m.text()}`));
  page.on("pageerror", (e) => errors.push(String(e?.stack ?? e)));
  page.on("worker", (w) => w.on("console", (m) => log.push(`[worker ${m.type()}] ${m.text()}`)));
  if (url) await page.goto(url);
  return { context, page, errors, log };
}

export async function waitForState(page, states, timeout = 120_000) {
  const list = Array.isArray(states) ? states : [states];
  await page.waitForFunction((l) => l.includes(document.body.dataset.state), list, { timeout, polling: 50 });
  return page.evaluate(() => document.body.dataset.state);
}

export async function errorTexts(page) {
  return page.$$eval("#errors .error .msg", (els) => els.filter((e) => e.offsetParent !== null).map((e) => e.textContent));
}

// ---------------------------------------------------------------- safetensors

/** Build a safetensors file: tensors { name: { dtype: "F32", shape, data: Float32Array } }, metadata strings. */
export function makeSafetensors(tensors, metadata = {}) {
  const header = { __metadata__: metadata };
  const blobs = [];
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype ?? "F32", shape: t.shape, data_offsets: [off, off + bytes.length] };
    blobs.push(bytes);
    off += bytes.length;
  }
  let json = Buffer.from(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...blobs]);
}

export function readHeader(buf) {
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.subarray(8, 8 + n).toString("utf8")), dataOffset: 8 + n };
}

/** Rewrite a safetensors file's metadata (tensor data untouched). */
export function rewriteMetadata(buf, edit) {
  const { header, dataOffset } = readHeader(buf);
  header.__metadata__ = edit({ ...(header.__metadata__ ?? {}) });
  let json = Buffer.from(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, buf.subarray(dataOffset)]);
}

/** Edit the `trm-web` JSON header of a web-format model: `edit(header) -> header`. */
export function editWebHeader(buf, edit) {
  return rewriteMetadata(buf, (m) => ({ ...m, "trm-web": JSON.stringify(edit(JSON.parse(m["trm-web"]))) }));
}

/**
 * A mock-runtime model (real safetensors container, fake tensors). `haltStep`, `lostAt` and
 * `lostReason` set what the mock runtime does with it (fixtures/mock-trm.js: mock_halt_step,
 * mock_device_lost_at, mock_device_lost_reason); left out, its defaults.
 */
export function mockModel({ task = "sudoku", hidden = 8, H = 2, L = 2, steps = 4, stepMs = 20, warmupMs = 3.5, names = null, panic = false, seqLen = null, haltStep = null, lostAt = null, lostReason = null } = {}) {
  const dims = { sudoku: [81, 11], maze: [seqLen ?? 900, 6], arc: [seqLen ?? 900, 12] }[task];
  const config = {
    seq_len: dims[0],
    vocab_size: dims[1],
    num_puzzle_identifiers: names ? names.length : 1,
    puzzle_emb_ndim: task === "arc" ? hidden : 0,
    H_cycles: H,
    L_cycles: L,
    L_layers: 2,
    hidden_size: hidden,
    num_heads: 2,
    expansion: 4,
    pos_encodings: task === "sudoku" ? "none" : "rope",
    mlp_t: task === "sudoku",
    halt_max_steps: steps,
  };
  const header = { format: "trm-web", format_version: "1", config, storage: "f32", metadata: { source: "mock", mock_step_ms: String(stepMs), mock_warmup_ms: String(warmupMs) } };
  if (names) header.puzzle_identifiers = names;
  if (panic) header.metadata.mock_panic = "1";
  if (haltStep != null) header.metadata.mock_halt_step = String(haltStep);
  if (lostAt != null) header.metadata.mock_device_lost_at = String(lostAt);
  if (lostReason != null) header.metadata.mock_device_lost_reason = lostReason;
  const metadata = { "trm-web": JSON.stringify(header) };
  const emb = new Float32Array(dims[1] * hidden).map((_, i) => Math.sin(i));
  return makeSafetensors({ "embed_tokens.embedding_weight": { shape: [dims[1], hidden], data: emb }, "q_head.bias": { shape: [2], data: new Float32Array([0, 0]) } }, metadata);
}

// ---------------------------------------------------------------- expected outputs (native CLI)

/** tests/browser/expected/*.json: [{ file, name, data }]. */
export function loadExpected() {
  if (!existsSync(EXPECTED_DIR)) return [];
  return readdirSync(EXPECTED_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ file: path.join(EXPECTED_DIR, f), name: f.replace(/\.json$/, ""), data: JSON.parse(readFileSync(path.join(EXPECTED_DIR, f), "utf8")) }));
}

/**
 * Compare streamed passes with the expected ones: argmax identical (except cells listed in a pass's
 * optional `ambiguous`), halt probabilities (and confidences, when given) within `tol`.
 * Returns a list of human-readable mismatches (empty when equal).
 */
export function comparePasses(actual, expected, { steps, tol = 1e-3 } = {}) {
  const out = [];
  const n = steps ?? expected.length;
  for (let k = 0; k < n; k++) {
    const e = expected[k];
    const a = actual.find((p) => p.step === e.step && !p.inner);
    if (!a) {
      out.push(`step ${e.step}: no pass received`);
      continue;
    }
    const skip = new Set(e.ambiguous ?? []);
    if (a.tokens.length !== e.tokens.length) out.push(`step ${e.step}: ${a.tokens.length} tokens, expected ${e.tokens.length}`);
    const diff = [];
    for (let i = 0; i < e.tokens.length; i++) if (!skip.has(i) && a.tokens[i] !== e.tokens[i]) diff.push(i);
    if (diff.length) out.push(`step ${e.step}: ${diff.length} cells differ in argmax (first at ${diff[0]}: got ${a.tokens[diff[0]]}, expected ${e.tokens[diff[0]]})`);
    const eh = e.halt_prob ?? e.haltProb ?? [];
    for (let r = 0; r < eh.length; r++) {
      const d = Math.abs((a.haltProb[r] ?? NaN) - eh[r]);
      if (!(d <= tol)) out.push(`step ${e.step}: halt probability row ${r} is ${a.haltProb[r]}, expected ${eh[r]} (|Δ| ${d})`);
    }
    if (Array.isArray(e.confidence)) {
      let worst = 0, at = -1;
      e.confidence.forEach((c, i) => {
        const d = Math.abs(a.confidence[i] - c);
        if (!(d <= worst)) [worst, at] = [d, i];
      });
      if (!(worst <= tol)) out.push(`step ${e.step}: confidence differs by ${worst} at cell ${at}`);
    }
  }
  return out;
}
