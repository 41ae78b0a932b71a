// End-to-end tests of the real wasm runtime (www/pkg, built from src/web/) in headless Chromium:
//  (a) WebGPU: the page reports backend webgpu; a solve streams the expected number of passes whose
//      grids and halt probabilities equal the native CLI's (tests/browser/expected/<model>.json);
//  (b) CPU (?backend=cpu): the same, on the single-thread module and, served cross-origin
//      isolated, on the threaded one (trm_cpu_mt, one thread per core);
//  (c) corrupted, garbage and wrong-architecture weights each give a visible, clear error, and the page
//      keeps working (a valid load + solve afterwards);
//  (d) cached weights: a second load makes no network request for them;
//  (e) device loss after step 1 on WebGPU: the solve completes on the CPU with fellBack set, and
//      steps 2..n equal the native CLI's (a CPU run).
// Skipped (with a message) when www/pkg/wasm/trm.js is absent; everything else is a failure.
//
// Expected files (from the native CLI, or from a parity fixture's reference outputs with
// `node tests/browser/make-expected.mjs <fixture dir> <model_url>`), one per fixture model:
//   { model_url, task, tokens: [B*seq_len], puzzle_ids: [B] | [], steps_to_compare: N,
//     max_steps?: M (default: the model's halt_max_steps), webgpu_max_steps?: W (fewer on WebGPU),
//     tolerance?: 1e-3,
//     passes: [{ step, tokens: [B*seq_len argmax], halt_prob: [B], confidence?: [B*seq_len],
//                ambiguous?: [cell indices whose top-2 logits are within tolerance] }] }

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  BROWSER_SKIP,
  PKG_PRESENT,
  WWW,
  launchBrowser,
  serveWww,
  openPage,
  waitForState,
  errorTexts,
  editWebHeader,
  loadExpected,
  comparePasses,
} from "./helpers.mjs";

const SKIP = BROWSER_SKIP ?? (PKG_PRESENT ? false : "www/pkg/wasm/trm.js is absent: build the wasm runtime first (scripts/build-web.sh)");
const T = { timeout: 900_000, skip: SKIP };
// Nothing here may pass green by skipping: a missing prerequisite is a failure that says what to do.
if (SKIP) test("prerequisites of the browser tests", () => assert.fail(SKIP));
// The threaded CPU module runs where the page is cross-origin isolated (its server's headers).
const VARIANTS = [
  { backend: "webgpu", isolate: false, label: "webgpu" },
  { backend: "cpu", isolate: false, label: "cpu" },
  { backend: "cpu", isolate: true, label: "cpu threads" },
];
// A browser without relaxed SIMD, as far as the worker can tell: the relaxed SIMD files answer
// 404, so it falls back to the files without (the same fallback as a failed validation).
const NO_RELAXED = { backend: "cpu", isolate: false, label: "cpu without relaxed SIMD", noRelaxed: true };

const EXPECTED = loadExpected();
// The smallest fixture drives the error / cache / device-loss tests.
// The smallest puzzle, and of those the model with the most comparable steps (a trained one).
const PRIMARY =
  [...EXPECTED].sort((a, b) => (a.data.tokens?.length ?? 1e9) - (b.data.tokens?.length ?? 1e9) || b.data.steps_to_compare - a.data.steps_to_compare)[0] ?? null;
const NO_EXPECTED = `no expected outputs in tests/browser/expected/*.json (generate them with the native CLI; format in wasm.test.mjs)`;

function modelFile(url) {
  const p = new URL(url, "http://x/").pathname;
  return path.join(WWW, decodeURIComponent(p));
}

let browser, srv, srvIsolated, srvNoRelaxed;
const overrides = {};
before(async () => {
  if (SKIP) return;
  if (PRIMARY && existsSync(modelFile(PRIMARY.data.model_url))) {
    const good = readFileSync(modelFile(PRIMARY.data.model_url));
    const cfgEdit = (h) => ({ ...h, config: { ...h.config, hidden_size: h.config.hidden_size * 2 } });
    overrides["/__test__/truncated.safetensors"] = good.subarray(0, Math.floor(good.length / 2));
    overrides["/__test__/garbage.safetensors"] = Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919 + 13) % 251));
    overrides["/__test__/wrong-arch.safetensors"] = editWebHeader(good, cfgEdit);
    const flipped = Buffer.from(good);
    const dataStart = 8 + Number(good.readBigUInt64LE(0));
    for (let i = dataStart; i < flipped.length; i += 4) flipped[i + 3] = 0x7f; // NaN/huge exponents: a solve still runs
    overrides["/__test__/bitrot.safetensors"] = flipped;
  }
  browser = await launchBrowser();
  srv = await serveWww(overrides);
  srvIsolated = await serveWww({}, { isolate: true });
  srvNoRelaxed = await serveWww({ "/pkg/wasm/trm_cpu_relaxed_bg.wasm": null });
});
after(async () => {
  await browser?.close();
  await srv?.close();
  await srvIsolated?.close();
  await srvNoRelaxed?.close();
});

function dump(log, errors) {
  return `\n--- page log ---\n${log.slice(-60).join("\n")}\n--- page errors ---\n${errors.join("\n")}`;
}

async function freshPage(query, server = srv) {
  const o = await openPage(browser, `${server.url}${query}`);
  const state = await waitForState(o.page, ["ready", "error", "loaded"], 300_000);
  assert.notEqual(state, "error", `the runtime did not start: ${JSON.stringify(await errorTexts(o.page))}${dump(o.log, o.errors)}`);
  return o;
}

/** Load a model and solve a puzzle through window.trm; returns { info, passes, result }. */
async function loadAndSolve(page, { url, tokens, puzzleIds = [], options = {}, loseDeviceAtStep = null }) {
  return page.evaluate(
    async ({ url, tokens, puzzleIds, options, loseDeviceAtStep }) => {
      const stages = [];
      const info = await window.trm.load(url, (p) => p.type === "stage" && stages.push(p.stage));
      const passes = [];
      let lost = false;
      const result = await window.trm.solve(
        { tokens, puzzleIds },
        (p) => {
          passes.push(p);
          if (loseDeviceAtStep != null && p.step === loseDeviceAtStep && !p.inner && !lost) {
            lost = true;
            window.trm.simulateDeviceLoss();
          }
        },
        options,
      );
      return { info, passes, result, stages };
    },
    { url, tokens, puzzleIds, options, loseDeviceAtStep },
  );
}

// ---------------------------------------------------------------- (a) and (b)

if (!EXPECTED.length) {
  test("parity with the native CLI", T, () => assert.fail(NO_EXPECTED));
}

for (const exp of EXPECTED) {
  // An expected file may name the backends it is checked on (see scripts/make-models.mjs).
  const variants = [...VARIANTS, ...(exp === PRIMARY ? [NO_RELAXED] : [])];
  for (const { backend, isolate, label, noRelaxed } of variants.filter((v) => !exp.data.backends || exp.data.backends.includes(v.backend))) {
    test(`${label}: ${exp.name} streams the native CLI's passes`, T, async () => {
      const d = exp.data;
      assert.ok(existsSync(modelFile(d.model_url)), `model file ${d.model_url} is missing under www/`);
      const { page, context, errors, log } = await freshPage(`?backend=${backend}&model=none`, noRelaxed ? srvNoRelaxed : isolate ? srvIsolated : srv);
      try {
        assert.equal(await page.evaluate(() => window.trm.backend), backend, `backend reported (${await page.evaluate(() => window.trm.backendReason)})`);
        const badge = await page.textContent("#backend-badge");
        assert.match(badge, backend === "webgpu" ? /WebGPU/ : /CPU/);
        if (backend === "cpu") {
          const t = await page.evaluate(() => ({ isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency, threads: window.trm.threads, note: window.trm.threadsNote }));
          assert.equal(t.isolated, isolate);
          // Isolated, the threaded module runs on every core (this machine has more than one).
          const want = isolate ? Math.min(8, t.cores) : 1;
          assert.ok(!isolate || want > 1, `the browser reports ${t.cores} core(s): the threaded module cannot be tested here`);
          assert.equal(t.threads, want, `CPU threads (${t.note})`);
          if (isolate) assert.match(badge, new RegExp(`${want} threads`));
          else assert.match(t.note, /not cross-origin isolated/);
          // Chromium has relaxed SIMD: the worker runs the relaxed SIMD file unless it is withheld.
          const r = await page.evaluate(() => ({ on: window.trm.relaxedSimd, note: window.trm.relaxedSimdNote }));
          assert.equal(r.on, !noRelaxed, `relaxed SIMD (${r.note})`);
          if (noRelaxed) assert.match(r.note, /separate multiply and add: the relaxed SIMD module could not start/);
        }
        // SwiftShader takes minutes per step of the large fixtures: WebGPU may run fewer.
        const maxSteps = backend === "webgpu" && d.webgpu_max_steps ? Math.min(d.webgpu_max_steps, d.max_steps ?? Infinity) : d.max_steps;
        const { info, passes, result, stages } = await loadAndSolve(page, {
          url: d.model_url,
          tokens: d.tokens,
          puzzleIds: d.puzzle_ids ?? [],
          options: maxSteps ? { maxSteps } : {},
        });
        if (d.task) assert.equal(info.task, d.task);
        assert.equal(info.backend, backend);
        assert.ok(stages.includes("parsing") && stages.includes(backend === "webgpu" ? "compiling shaders" : "warming up"), `stages: ${stages}`);
        const steps = maxSteps ?? info.config.halt_max_steps;
        const outer = passes.filter((p) => !p.inner);
        assert.equal(outer.length, steps, "one pass per supervision step");
        assert.deepEqual(outer.map((p) => p.step), Array.from({ length: steps }, (_, i) => i + 1));
        // Each step is timed (a real step takes well over the browser's 0.1 ms timer resolution).
        const rows = d.puzzle_ids?.length || d.tokens.length / info.config.seq_len;
        const odd = outer.filter((p) => !(p.backend === backend && Number.isFinite(p.ms) && p.ms > 0 && p.haltProb.length === rows));
        assert.deepEqual(odd.map((p) => ({ step: p.step, backend: p.backend, ms: p.ms, rows: p.haltProb.length })), [], `each pass: backend ${backend}, a time, ${rows} halt probabilities`);
        assert.equal(result.steps, steps);
        assert.equal(result.cancelled, false);
        assert.equal(result.fellBack, null);
        assert.deepEqual(result.tokens, outer.at(-1).tokens);
        const mism = comparePasses(outer, d.passes, { steps: Math.min(d.steps_to_compare, steps), tol: d.tolerance ?? 1e-3 });
        assert.deepEqual(mism, [], `differences from the native CLI:\n${mism.join("\n")}`);
        // The page rendered them all.
        const ui = await page.evaluate(() => ({ n: window.trmApp.state.run?.passes.length, text: document.getElementById("grid-text").textContent }));
        assert.equal(ui.n, passes.length);
        assert.ok(ui.text.length > 0);
        assert.deepEqual(errors, [], dump(log, errors));
      } finally {
        await context.close();
      }
    });
  }
}

// ---------------------------------------------------------------- (c) errors

test("corrupted, garbage and wrong-architecture weights: clear errors, and the page keeps working", T, async () => {
  assert.ok(PRIMARY, NO_EXPECTED);
  const d = PRIMARY.data;
  const { page, context, errors, log } = await freshPage("?backend=cpu&model=none");
  try {
    const attempt = async (url, pattern) => {
      await page.evaluate((u) => window.trmApp.loadModel(u), url);
      const msgs = await errorTexts(page);
      assert.equal(msgs.length, 1, `${url}: exactly one error visible: ${JSON.stringify(msgs)}`);
      assert.match(msgs[0], /Could not load the model/);
      assert.match(msgs[0], pattern, url);
      return msgs[0];
    };
    const seen = [];
    seen.push(await attempt("__test__/truncated.safetensors", /the file is truncated: it has \d+ bytes, its header describes \d+ \(an interrupted download\?\)/));
    seen.push(await attempt("__test__/garbage.safetensors", /not a TRM web model/));
    seen.push(await attempt("__test__/wrong-arch.safetensors", /tensor `[\w.]+` has shape \[[\d, ]+\], expected \[[\d, ]+\]/));
    console.log(`error messages shown:\n  ${seen.join("\n  ")}`);
    // Wrong task for the puzzle: this model with a puzzle of another task.
    await page.evaluate((u) => window.trmApp.loadModel(u), d.model_url);
    const task = await page.evaluate(() => window.trm.info.task);
    assert.equal(await errorTexts(page).then((m) => m.length), 0, "the valid load cleared the load error");
    const other = task === "sudoku" ? "maze" : "sudoku";
    await page.selectOption("#task-select", other);
    // Picking a task loads a model for it; one of another task loaded on purpose is refused.
    await page.waitForFunction((t) => window.trm.info?.task === t && document.body.dataset.state === "loaded", other, { timeout: 300_000 });
    await page.evaluate((u) => window.trmApp.loadModel(u), d.model_url);
    assert.equal(await page.inputValue("#task-select"), other);
    await page.click("#solve-btn");
    assert.ok((await errorTexts(page)).some((m) => /Wrong model for this puzzle/.test(m)));
    // Out-of-vocabulary tokens straight through the API are refused with a clear message.
    const bad = await page.evaluate(() => window.trm.solve({ tokens: new Uint32Array(window.trm.info.config.seq_len).fill(99) }).then(() => "ok", (e) => e.message));
    assert.match(bad, /vocabulary/);
    // Still working: a valid solve through the UI.
    await page.selectOption("#task-select", task);
    await page.fill("#opt-steps", "2");
    await page.click("#solve-btn");
    assert.equal(await waitForState(page, ["solved", "error"], 600_000), "solved", dump(log, errors));
    assert.equal(await page.evaluate(() => window.trmApp.state.run.result.steps), 2);
    // Bit-rotted weights parse but compute garbage: that must not crash the page either.
    await page.evaluate(() => window.trmApp.loadModel("__test__/bitrot.safetensors"));
    assert.match(await page.evaluate(() => window.trm.info?.url ?? ""), /bitrot\.safetensors$/, "the bit-rotted file is the model loaded");
    await page.click("#solve-btn");
    await page.waitForFunction(() => document.body.dataset.state !== "solving" && window.trmApp.state.run?.result != null || /failed/.test(document.getElementById("solve-summary").textContent), null, { timeout: 600_000 });
    const crashed = (await errorTexts(page)).filter((m) => /crashed/.test(m));
    assert.deepEqual(crashed, [], "NaN weights must not crash the runtime");
    // The picker's paper-size presets are built in the runtime (random weights) and solve.
    await page.evaluate(() => window.trmApp.loadModel("preset:sudoku-mlp"));
    const preset = await page.evaluate(() => ({ source: window.trm.info?.source, params: window.trm.info?.params, seq: window.trm.info?.config?.seq_len }));
    assert.deepEqual(preset, { source: "preset", params: 5028866, seq: 81 });
    const out = await page.evaluate(() => window.trm.solve({ tokens: new Uint32Array(81).fill(1) }, null, { maxSteps: 1 }).then((r) => ({ steps: r.steps, tokens: r.tokens.length })));
    assert.deepEqual(out, { steps: 1, tokens: 81 });
    assert.deepEqual(errors, [], dump(log, errors));
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------- (d) cache

test("cached weights: a second load makes no network request for them", T, async () => {
  assert.ok(PRIMARY, NO_EXPECTED);
  const url = PRIMARY.data.model_url;
  const pathname = new URL(url, srv.url).pathname;
  const before = srv.hitCount(pathname);
  const { page, context, errors, log } = await freshPage("?backend=cpu&model=none");
  const requests = [];
  context.on("request", (r) => {
    if (new URL(r.url()).pathname === pathname) requests.push(r.url());
  });
  try {
    const first = await page.evaluate(async (u) => await window.trm.load(u), url);
    assert.equal(first.source, "network");
    assert.equal(first.cached, true, first.cacheError);
    assert.equal(srv.hitCount(pathname), before + 1);
    assert.equal(requests.length, 1);
    await page.reload();
    await waitForState(page, ["ready"], 300_000);
    const second = await page.evaluate(async (u) => await window.trm.load(u), url);
    assert.equal(second.source, "cache");
    assert.equal(second.bytes, first.bytes);
    assert.equal(srv.hitCount(pathname), before + 1, "the server saw no second request");
    assert.equal(requests.length, 1, "the browser made no second request");
    assert.deepEqual(errors, [], dump(log, errors));
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------- (e) device loss

test("device loss mid-solve on WebGPU: the solve completes on the CPU", T, async () => {
  assert.ok(PRIMARY, NO_EXPECTED);
  const d = PRIMARY.data;
  const { page, context, errors, log } = await freshPage("?backend=webgpu&model=none");
  try {
    assert.equal(await page.evaluate(() => window.trm.backend), "webgpu");
    const steps = Math.min(6, d.max_steps ?? 16);
    const { passes, result } = await loadAndSolve(page, {
      url: d.model_url,
      tokens: d.tokens,
      puzzleIds: d.puzzle_ids ?? [],
      options: { maxSteps: steps },
      loseDeviceAtStep: 1,
    });
    const outer = passes.filter((p) => !p.inner);
    assert.equal(result.cancelled, false);
    assert.equal(result.steps, steps, "all steps ran");
    assert.equal(outer.length, steps);
    // fellBack says what happened, in the runtime's words (crates/trm-runtime).
    assert.match(String(result.fellBack), /^the GPU device was lost \(.+\); continuing on the CPU$/s);
    assert.equal(result.backend, "cpu");
    assert.equal(outer[0].backend, "webgpu");
    // The loss is noticed between steps; at the latest, step 3 runs on the CPU.
    assert.ok(outer.slice(2).every((p) => p.backend === "cpu"), outer.map((p) => p.backend).join(" "));
    assert.equal(await page.evaluate(() => window.trm.backend), "cpu");
    // Continuing from the last checkpointed carry keeps every answer equal to the native CLI's.
    const mism = comparePasses(outer, d.passes, { steps: Math.min(d.steps_to_compare, steps), tol: d.tolerance ?? 1e-3 });
    assert.deepEqual(mism, [], mism.join("\n"));
    await page.waitForFunction(() => /continued on the CPU/.test(document.getElementById("errors").textContent));
    assert.deepEqual(errors, [], dump(log, errors));
  } finally {
    await context.close();
  }
});
