#!/usr/bin/env node
// Benchmark the browser runtime (a command, not a test): opens the page in headless Chromium
// (Debian's, through playwright-core) and prints, per backend and model,
//   - time from navigation to the first rendered pass, cold (fresh profile: download and warm-up
//     included) and warm (a reload with the weights in the browser's cache),
//   - bytes downloaded by the cold load (as sent: compressed where the server compresses), and
//     the same responses gzipped (-9), as a compressing static host would send them,
//   - ms per supervision step (median / min over a warm solve), ms for a full N-step solve,
//   - frames per second while scrubbing the timeline (one pass drawn per frame).
//
//   node scripts/bench-web.mjs [--models URL[,URL...]] [--backends webgpu,cpu,cpu-threads]
//                              [--steps 16] [--repeat 1] [--timeout-s 1800] [--json] [--url http://host:port/]
//
// cpu-threads is the CPU backend on a page served cross-origin isolated (the threaded module, one
// thread per core); cpu is the single-thread module (no isolation headers).
// Models default to every entry of www/models/models.json. URLs are relative to the page.
// WebGPU on a GPU-less machine is SwiftShader (a CPU emulation): paper-size models take minutes per
// step there, so use --steps 1 or 2 for it, or a real GPU for meaningful figures.

import { existsSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "./serve.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WWW = path.resolve(HERE, "..", "www");

function parseArgs(argv) {
  const o = { models: null, backends: ["webgpu", "cpu", "cpu-threads"], steps: 16, repeat: 1, timeoutS: 1800, json: false, url: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--models") o.models = v().split(",").filter(Boolean);
    else if (a === "--backends") o.backends = v().split(",").filter(Boolean);
    else if (a === "--steps") o.steps = Number(v());
    else if (a === "--repeat") o.repeat = Number(v());
    else if (a === "--timeout-s") o.timeoutS = Number(v());
    else if (a === "--url") o.url = v();
    else if (a === "--json") o.json = true;
    else if (a === "--help" || a === "-h") o.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  for (const b of o.backends) if (!["webgpu", "cpu", "cpu-threads", "auto"].includes(b)) throw new Error(`unknown backend ${b}`);
  if (o.url && o.backends.includes("cpu-threads")) throw new Error("cpu-threads needs the bench's own (isolating) server: leave out --url or that backend");
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new Error("--steps must be a whole number >= 1");
  if (!Number.isInteger(o.repeat) || o.repeat < 1) throw new Error("--repeat must be a whole number >= 1");
  return o;
}

const median = (xs) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "–");

async function benchOne(browser, base, backend, model, opts) {
  const context = await browser.newContext({ serviceWorkers: "block" });
  const page = await context.newPage();
  const log = [];
  page.on("console", (m) => log.push(m.text()));
  const timeout = opts.timeoutS * 1000;
  const out = { backend, model };
  const requests = [];
  page.on("requestfinished", (r) => requests.push(r));
  try {
    const q = new URLSearchParams({ backend: backend === "cpu-threads" ? "cpu" : backend, model, autosolve: "1", steps: "1" });
    await page.goto(`${base}?${q}`);
    await page.waitForFunction(() => ["solved", "error", "cancelled"].includes(document.body.dataset.state), null, { timeout, polling: 100 });
    const cold = await page.evaluate(() => ({
      state: document.body.dataset.state,
      errors: [...document.querySelectorAll("#errors .error .msg")].map((e) => e.textContent),
      metrics: { ...window.trmApp.metrics },
      info: window.trm?.info ?? null,
      backend: window.trm?.backend ?? null,
      reason: window.trm?.backendReason ?? null,
      threads: window.trm?.threads ?? null,
      input: window.trmApp.state.run ? Array.from(window.trmApp.state.run.input) : null,
      puzzleId: Number(document.getElementById("puzzle-id").value) || 0,
    }));
    if (cold.state !== "solved") throw new Error(cold.errors.join(" | ") || `page ended in state ${cold.state}`);
    const sizes = await Promise.all(requests.map((r) => r.sizes().then((s) => s.responseBodySize + s.responseHeadersSize, () => 0)));
    out.coldBytes = sizes.reduce((a, b) => a + b, 0);
    out.coldRequests = requests.length;
    const bodies = await Promise.all(requests.map(async (r) => (await r.response())?.body().catch(() => null)));
    out.coldGzipBytes = bodies.reduce((a, b) => a + (b ? gzipSync(b, { level: 9 }).length : 0), 0);
    out.coldFiles = requests.map((r) => new URL(r.url()).pathname.split("/").at(-1)).filter((n) => /\.(wasm|safetensors)$/.test(n));
    Object.assign(out, {
      actualBackend: cold.backend,
      threads: cold.threads,
      reason: cold.reason,
      task: cold.info?.task,
      params: cold.info?.params,
      bytes: cold.info?.bytes,
      readyMs: cold.metrics.readyMs,
      loadedMs: cold.metrics.firstLoadedMs,
      warmupMs: cold.info?.warmupMs,
      firstPassMs: cold.metrics.firstPassMs,
    });
    const runs = [];
    for (let r = 0; r < opts.repeat; r++) {
      const res = await page.evaluate(
        async ({ tokens, ids, steps }) => {
          const ms = [];
          const result = await window.trm.solve({ tokens, puzzleIds: ids }, (p) => !p.inner && ms.push(p.ms), { maxSteps: steps });
          return { ms, totalMs: result.totalMs, steps: result.steps, backend: result.backend, fellBack: result.fellBack };
        },
        { tokens: cold.input, ids: cold.info?.task === "arc" ? [cold.puzzleId] : [], steps: opts.steps },
      );
      runs.push(res);
    }
    // Scrubbing: a 16-pass solve with inner updates, then one pass drawn per animation frame.
    await page.evaluate(async () => {
      document.getElementById("opt-inner").checked = true;
      document.getElementById("opt-steps").value = "16";
      await window.trmApp.solve();
    });
    out.scrub = await page.evaluate(async () => {
      const slider = document.getElementById("step-slider");
      const n = window.trmApp.state.run.passes.length;
      const frames = [];
      let i = 0;
      const t0 = performance.now();
      await new Promise((done) => {
        const tick = (t) => {
          frames.push(t);
          slider.value = String(i++ % n);
          slider.dispatchEvent(new Event("input", { bubbles: true }));
          if (performance.now() - t0 < 3000) requestAnimationFrame(tick);
          else done();
        };
        requestAnimationFrame(tick);
      });
      const gaps = frames.slice(1).map((t, k) => t - frames[k]).sort((a, b) => a - b);
      return { passes: n, fps: (frames.length - 1) / ((frames.at(-1) - frames[0]) / 1000), p95FrameMs: gaps[Math.floor(gaps.length * 0.95)] };
    });
    // Warm: the same page again, the weights now in the browser's cache.
    await page.reload();
    await page.waitForFunction(() => ["solved", "error", "cancelled"].includes(document.body.dataset.state), null, { timeout, polling: 100 });
    const warm = await page.evaluate(() => ({ metrics: { ...window.trmApp.metrics }, source: window.trm?.info?.source }));
    out.warmFirstPassMs = warm.metrics.firstPassMs;
    out.warmSource = warm.source;
    const stepMs = runs.flatMap((r) => r.ms);
    out.stepMsMedian = median(stepMs);
    out.stepMsMin = Math.min(...stepMs);
    out.solveMs = median(runs.map((r) => r.totalMs));
    out.steps = runs[0].steps;
    out.solveBackend = runs.at(-1).backend;
    if (runs.some((r) => r.fellBack)) out.fellBack = runs.find((r) => r.fellBack).fellBack;
  } catch (e) {
    out.error = e.message.split("\n")[0];
  } finally {
    await context.close();
  }
  return out;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench-web: ${e.message}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 15).map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
    return;
  }
  let chromium;
  try {
    ({ chromium } = await import("playwright-core"));
  } catch {
    console.error("bench-web: playwright-core is missing (npm install)");
    process.exit(1);
  }
  const exe = process.env.CHROMIUM_PATH ?? ["/usr/bin/chromium", "/usr/lib/chromium/chromium"].find((p) => existsSync(p));
  if (!exe) {
    console.error("bench-web: no Chromium (apt-get install chromium, or set CHROMIUM_PATH)");
    process.exit(1);
  }
  if (!opts.url && !["trm.js", "trm_cpu.js"].every((f) => existsSync(path.join(WWW, "pkg", "wasm", f)))) {
    console.error("bench-web: www/pkg/wasm/trm.js or trm_cpu.js is missing: build the wasm runtime first");
    process.exit(1);
  }
  let models = opts.models;
  if (!models) {
    try {
      const list = JSON.parse(readFileSync(path.join(WWW, "models", "models.json"), "utf8"));
      models = (Array.isArray(list) ? list : list.models).map((m) => m.url);
    } catch (e) {
      console.error(`bench-web: no --models given and www/models/models.json is unreadable (${e.message})`);
      process.exit(1);
    }
  }
  const server = opts.url ? null : await startServer({ root: WWW, port: 0 });
  const isolated = opts.url ? null : await startServer({ root: WWW, port: 0, isolate: true });
  const base = opts.url ?? server.url;
  const browser = await chromium.launch({
    executablePath: exe,
    headless: true,
    args: ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const results = [];
  try {
    for (const model of models) {
      for (const backend of opts.backends) {
        if (!opts.json) process.stderr.write(`… ${backend} ${model}\n`);
        const r = await benchOne(browser, backend === "cpu-threads" ? isolated.url : base, backend, model, opts);
        results.push(r);
        if (!opts.json) process.stderr.write(r.error ? `  error: ${r.error}\n` : `  ${f(r.stepMsMedian, 1)} ms/step, ${f(r.solveMs)} ms per ${r.steps}-step solve\n`);
      }
    }
  } finally {
    await browser.close();
    await server?.close();
    await isolated?.close();
  }
  if (opts.json) {
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  const rows = [["backend", "threads", "model", "task", "MB", "downloaded MB", "gzipped MB", "wasm and weights fetched", "ready ms", "loaded ms", "warm-up ms", "first pass ms", "cached first pass ms", "ms/step (median)", "ms/step (min)", `${opts.steps}-step solve ms`, "scrub fps", "note"]];
  for (const r of results) {
    rows.push([
      r.actualBackend && r.actualBackend !== r.backend.replace("-threads", "") ? `${r.backend}→${r.actualBackend}` : r.backend,
      r.threads ?? "–",
      r.model,
      r.task ?? "",
      r.bytes ? (r.bytes / 1e6).toFixed(1) : "",
      r.coldBytes ? (r.coldBytes / 1e6).toFixed(2) : "",
      r.coldGzipBytes ? (r.coldGzipBytes / 1e6).toFixed(2) : "",
      r.coldFiles ? r.coldFiles.join(" ") : "",
      f(r.readyMs),
      f(r.loadedMs),
      f(r.warmupMs),
      f(r.firstPassMs),
      r.warmSource === "cache" ? f(r.warmFirstPassMs) : r.warmFirstPassMs != null ? `${f(r.warmFirstPassMs)} (not cached)` : "–",
      f(r.stepMsMedian, 1),
      f(r.stepMsMin, 1),
      f(r.solveMs),
      r.scrub ? `${f(r.scrub.fps)} (p95 ${f(r.scrub.p95FrameMs, 1)} ms, ${r.scrub.passes} passes)` : "–",
      r.error ? `error: ${r.error}` : r.fellBack ? `fell back: ${r.fellBack}` : "",
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, c) => ((c < 4 && c !== 1) || c === row.length - 1 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
  console.log("\nfirst pass ms: from navigation start to the first rendered pass (fresh profile: download, wasm start, model warm-up, one step);");
  console.log("cached: the same after a reload, weights from the browser's cache. downloaded: every response of the cold load, headers included.");
  console.log("scrub fps: animation frames per second while the timeline is moved one pass per frame (inner updates on).");
  console.log("ms/step: the runtime's own per-step timing (incl. readback) over a warm solve; solve ms: total of that solve.");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
