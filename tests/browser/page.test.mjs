// The page, worker and client in headless Chromium, without the wasm build:
//  - with no runtime at all (www/pkg missing), the page says so clearly and keeps working;
//  - with a JavaScript stand-in for the runtime (fixtures/mock-trm.js, same Session contract), the
//    whole JS side: every pass rendered, scrubbing, inner passes, cancel, cached weights, byte-accurate
//    progress, clear errors for bad files with recovery, device-loss fallback, missing WebGPU,
//    defensive URL parsing, offline use through the service worker.
// The end-to-end tests against the real wasm runtime are in wasm.test.mjs.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BROWSER_SKIP,
  CHROMIUM,
  CHROMIUM_ARGS,
  MOCK_RUNTIME,
  launchBrowser,
  serveWww,
  openPage,
  waitForState,
  errorTexts,
  mockModel,
  rewriteMetadata,
  editWebHeader,
  WWW,
  FIXTURES_DIR,
} from "./helpers.mjs";
import { mockPass } from "./fixtures/mock-trm.js";
import { loadPuzzles, encodePuzzle, puzzleText } from "../../pkg/puzzles.js";
import { createHash } from "node:crypto";
import { readFileSync, mkdtempSync, cpSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { startServer } from "../../scripts/serve.mjs";
import path from "node:path";

const sudokuText = (tokens) => puzzleText("sudoku", tokens);
const parseSudoku = (text) => encodePuzzle("sudoku", text);

const SKIP = BROWSER_SKIP ?? false;
const T = { timeout: 180_000, skip: SKIP };
// Nothing here may pass green by skipping: a missing prerequisite is a failure that says what to do.
if (SKIP) test("prerequisites of the browser tests", () => assert.fail(SKIP));

let browser;
before(async () => {
  if (SKIP) return;
  await loadPuzzles(readFileSync(path.join(WWW, "pkg", "wasm", "trm_tasks_bg.wasm")));
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const SUDOKU_MODEL = mockModel({ task: "sudoku", steps: 6, stepMs: 20 });
const SLOW_MODEL = mockModel({ task: "sudoku", steps: 12, stepMs: 150 });
const MAZE_MODEL = mockModel({ task: "maze", steps: 3 });
// A model whose halt probability first passes 0.5 at step HALT_AT (not the mock's default, 4).
const HALT_AT = 3;
const HALT_MODEL = mockModel({ task: "sudoku", steps: 6, haltStep: HALT_AT });
function mockSite(extra = {}) {
  return {
    "/pkg/wasm/trm.js": { body: MOCK_RUNTIME, type: "text/javascript; charset=utf-8" },
    "/pkg/wasm/trm_bg.wasm": { body: Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), type: "application/wasm" },
    "/pkg/wasm/trm_cpu.js": { body: MOCK_RUNTIME, type: "text/javascript; charset=utf-8" },
    "/pkg/wasm/trm_cpu_bg.wasm": { body: Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), type: "application/wasm" },
    "/pkg/wasm/trm_cpu_mt.js": { body: MOCK_RUNTIME, type: "text/javascript; charset=utf-8" },
    "/pkg/wasm/trm_cpu_mt_bg.wasm": { body: Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), type: "application/wasm" },
    // The relaxed SIMD builds, which the worker tries first where the browser has relaxed SIMD.
    "/pkg/wasm/trm_cpu_relaxed.js": { body: MOCK_RUNTIME, type: "text/javascript; charset=utf-8" },
    "/pkg/wasm/trm_cpu_relaxed_bg.wasm": { body: Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), type: "application/wasm" },
    "/pkg/wasm/trm_cpu_mt_relaxed.js": { body: MOCK_RUNTIME, type: "text/javascript; charset=utf-8" },
    "/pkg/wasm/trm_cpu_mt_relaxed_bg.wasm": { body: Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), type: "application/wasm" },
    "/models/models.json": JSON.stringify([
      { name: "mock-sudoku", url: "models/mock-sudoku.safetensors?v=1", task: "sudoku", note: "mock" },
      { name: "mock-maze", url: "models/mock-maze.safetensors", task: "maze" },
      { name: "mock-slow", url: "models/mock-slow.safetensors", task: "sudoku" },
    ]),
    "/models/mock-sudoku.safetensors": SUDOKU_MODEL,
    "/models/mock-maze.safetensors": MAZE_MODEL,
    "/models/mock-slow.safetensors": SLOW_MODEL,
    ...extra,
  };
}

const NO_RUNTIME = {
  "/pkg/wasm/trm.js": null,
  "/pkg/wasm/trm_bg.wasm": null,
  "/pkg/wasm/trm_cpu.js": null,
  "/pkg/wasm/trm_cpu_bg.wasm": null,
  "/pkg/wasm/trm_cpu_mt.js": null,
  "/pkg/wasm/trm_cpu_mt_bg.wasm": null,
  "/pkg/wasm/trm_cpu_relaxed.js": null,
  "/pkg/wasm/trm_cpu_relaxed_bg.wasm": null,
  "/pkg/wasm/trm_cpu_mt_relaxed.js": null,
  "/pkg/wasm/trm_cpu_mt_relaxed_bg.wasm": null,
};

async function withSite(overrides, fn, options = {}) {
  const srv = await serveWww(overrides, options);
  try {
    return await fn(srv);
  } finally {
    await srv.close();
  }
}

function dump(log, errors) {
  return `\n--- page log ---\n${log.slice(-40).join("\n")}\n--- page errors ---\n${errors.join("\n")}`;
}

test("without the wasm runtime the page says so clearly and keeps working", T, async () => {
  await withSite(NO_RUNTIME, async (srv) => {
    // A fixed seed: the "New" puzzles below are the same on every run.
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?seed=11`);
    try {
      assert.equal(await waitForState(page, ["error"], 30_000), "error");
      const msgs = await errorTexts(page);
      assert.ok(msgs.some((m) => /runtime is not built/i.test(m) && /pkg\/wasm\/trm_cpu\.js/.test(m)), `error shown: ${JSON.stringify(msgs)}`);
      assert.match(await page.textContent("#backend-badge"), /No runtime/);
      assert.equal(await page.evaluate(() => typeof window.trm), "undefined");
      // Still usable (the puzzle codecs are their own module): switch task, the puzzle box
      // follows; Solve stays disabled.
      await page.selectOption("#task-select", "maze");
      const first = JSON.parse(readFileSync(path.join(WWW, "data", "maze-gallery.json"), "utf8")).mazes[0];
      assert.equal(await page.inputValue("#puzzle-text"), first.puzzle.map((r) => `${r}\n`).join(""));
      assert.equal(await page.isDisabled("#solve-btn"), true);
      await page.fill("#puzzle-text", "not a maze");
      await page.waitForFunction(() => /unexpected character 'n'/.test(document.getElementById("puzzle-error").textContent));
      // A new random puzzle comes from the Rust generator in the page.
      await page.selectOption("#random-level", "hard");
      await page.click("#random-btn");
      await page.waitForFunction(() => /^Random hard Maze/.test(document.querySelector("#puzzle-select option:checked")?.textContent ?? ""));
      assert.equal((await page.inputValue("#puzzle-text")).split("\n").filter(Boolean).length, 20, "hard mazes are 20x20");
      // Sizes typed into the size fields win over the level's, until the level is chosen again.
      await page.fill("#grid-rows", "12");
      await page.fill("#grid-cols", "14");
      await page.click("#random-btn");
      await page.waitForFunction(() => document.getElementById("puzzle-text").value.split("\n").filter(Boolean).length === 12);
      assert.equal((await page.inputValue("#puzzle-text")).split("\n")[0].length, 14, "a typed size sets the maze's columns");
      await page.selectOption("#random-level", "easy");
      await page.selectOption("#random-level", "hard");
      await page.click("#random-btn");
      await page.waitForFunction(() => document.getElementById("puzzle-text").value.split("\n").filter(Boolean).length === 20);
      assert.equal(await page.textContent("#puzzle-error"), "");
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("every gallery entry, loaded through the page, has the tokens Rust encodes", T, async () => {
  const want = JSON.parse(readFileSync(path.join(FIXTURES_DIR, "gallery-tokens.json"), "utf8"));
  const sha = (tokens) => createHash("sha256").update(Uint8Array.from(tokens)).digest("hex");
  await withSite(NO_RUNTIME, async (srv) => {
    const { page, context, errors, log } = await openPage(browser, srv.url);
    try {
      await waitForState(page, ["error"], 30_000);
      const seen = [];
      for (const task of ["sudoku", "maze", "arc"]) {
        await page.selectOption("#task-select", task);
        const n = await page.evaluate(() => window.trmApp.state.entries.length);
        for (let i = 0; i < n; i++) {
          await page.selectOption("#puzzle-select", String(i));
          const { key, tokens, error } = await page.evaluate(() => {
            try {
              return { key: window.trmApp.state.selectedEntry.key, tokens: Array.from(window.trmApp.currentPuzzle().tokens) };
            } catch (e) {
              return { error: e.message };
            }
          });
          assert.equal(error, undefined, `${task} entry ${i}`);
          assert.equal(sha(tokens), want[key], key);
          if (task === "arc") {
            // The task's demonstration pairs are shown beside its test input.
            const { pairs, canvases, hidden } = await page.evaluate(() => ({
              pairs: window.trmApp.state.selectedEntry.train.length,
              canvases: document.querySelectorAll("#demo-list canvas").length,
              hidden: document.getElementById("demos").hidden,
            }));
            assert.ok(pairs > 0 && !hidden && canvases === 2 * pairs, `${key}: ${pairs} pairs, ${canvases} canvases`);
          }
          seen.push(key);
        }
      }
      assert.deepEqual(seen.sort(), Object.keys(want).sort());
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("a solve streams every pass; the grid, slider and step table show each one", T, async () => {
  await withSite(mockSite({ "/models/mock-halt.safetensors": HALT_MODEL }), async (srv) => {
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=cpu`);
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      assert.equal(await page.evaluate(() => window.trm.backend), "cpu");
      assert.match(await page.textContent("#backend-badge"), /CPU/);
      assert.match(await page.textContent("#model-warning"), /random \(untrained\).*meaningless/);
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      const st = await page.evaluate(() => ({
        passes: window.trmApp.state.run.passes.length,
        rendered: window.trmApp.metrics.renderedPasses,
        max: document.getElementById("step-slider").max,
        rows: document.querySelectorAll("#steps-table tbody tr").length,
        text: document.getElementById("grid-text").textContent,
      }));
      assert.equal(st.passes, 6);
      assert.ok(st.rendered >= 6, `every pass rendered (${st.rendered})`);
      assert.equal(st.max, "5");
      assert.equal(st.rows, 6);
      // The gallery entry's answer is known: the verdict says how the prediction compares (the
      // mock's last pass changes every given, so it cannot be the answer).
      assert.match(await page.textContent("#verdict"), /^✗ differs from the answer; /);
      const input = Array.from(parseSudoku(await page.inputValue("#puzzle-text")).tokens);
      assert.equal(st.text, sudokuText(mockPass(input, 81, 11, 6, 1).tokens));
      // Scrub back to the first pass with the keyboard.
      await page.focus("#step-slider");
      await page.keyboard.press("Home");
      assert.equal(await page.textContent("#grid-text"), sudokuText(mockPass(input, 81, 11, 1, 1).tokens));
      const status = await page.textContent("#pass-status");
      assert.match(status, /Pass 1 of 6: step 1 .* halt probability 0\.119/);
      // Mean confidence over the blanks only (the givens are predicted with certainty).
      const blanks = input.map((t, i) => i).filter((i) => input[i] < 2);
      const conf = mockPass(input, 81, 11, 1, 1).confidence;
      const mean = blanks.reduce((a, i) => a + conf[i], 0) / blanks.length;
      assert.ok(status.includes(`mean confidence ${mean.toFixed(3)} on the ${blanks.length} blanks`), status);
      await page.click("#next-btn");
      assert.equal(await page.textContent("#grid-text"), sudokuText(mockPass(input, 81, 11, 2, 1).tokens));
      // The badge gives the measured speed; "Think longer" continues for 16 more steps.
      assert.match(await page.textContent("#backend-badge"), /\d ms per step/);
      // Save PNG and a WebM video of every pass.
      const [png] = await Promise.all([page.waitForEvent("download"), page.click("#png-btn")]);
      assert.match(png.suggestedFilename(), /^trm-sudoku-step2\.png$/);
      const pngBytes = readFileSync(await png.path());
      assert.equal(pngBytes.subarray(1, 4).toString(), "PNG");
      const recording = async () => {
        await page.click("#video-btn");
        // A solve during the recording would mix into it.
        assert.equal(await page.isDisabled("#solve-btn"), true, "no new solve while a video records");
      };
      const [video] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), recording()]);
      assert.equal(video.suggestedFilename(), "trm-sudoku-6-passes.webm");
      const webm = readFileSync(await video.path());
      assert.ok(webm.length > 1000 && webm.readUInt32BE(0) === 0x1a45dfa3, `a WebM file (${webm.length} bytes)`);
      assert.equal(await page.evaluate(() => window.trmApp.state.view), 1, "the pass on view is back");
      await page.click("#longer-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      assert.equal(await page.evaluate(() => window.trmApp.state.run.passes.length), 22);
      assert.equal(await page.textContent("#grid-text"), sudokuText(mockPass(input, 81, 11, 22, 1).tokens));
      // The same puzzle picked again keeps the solve on view; another puzzle takes it off the
      // page, so no prediction, verdict or table sits beside a puzzle it was not for.
      await page.selectOption("#puzzle-select", await page.inputValue("#puzzle-select"));
      assert.equal(await page.isVisible("#grid-figure"), true);
      assert.equal(await page.evaluate(() => window.trmApp.state.run?.passes.length), 22);
      await page.selectOption("#puzzle-select", "1");
      const cleared = await page.evaluate(() => ({
        run: window.trmApp.state.run,
        figures: ["grid-figure", "verdict", "latent-figure"].map((id) => document.getElementById(id).hidden),
        rows: document.querySelectorAll("#steps-table tbody tr").length,
        status: document.getElementById("pass-status").textContent,
        longer: document.getElementById("longer-btn").disabled,
      }));
      assert.deepEqual(cleared, { run: null, figures: [true, true, true], rows: 0, status: "", longer: true });
      // Halting on: the solve stops where the model wants to (HALT_MODEL's halt probability
      // passes 0.5 at step HALT_AT, of 6), and the page says so; "Think longer" then runs its 16
      // steps all the same.
      await page.evaluate(() => window.trmApp.loadModel("models/mock-halt.safetensors"));
      await page.check("#opt-halt");
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      assert.equal(await page.isVisible("#grid-figure"), true);
      assert.equal(await page.evaluate(() => window.trmApp.state.run.result.steps), HALT_AT);
      assert.equal(await page.evaluate(() => document.querySelectorAll("#steps-table tbody tr").length), HALT_AT);
      assert.match(await page.textContent("#solve-summary"), new RegExp(`^Done: ${HALT_AT} steps · `));
      assert.match(await page.getAttribute("#halt-canvas", "aria-label"), new RegExp(`; the model would stop at step ${HALT_AT}$`));
      await page.click("#longer-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      assert.equal(await page.evaluate(() => window.trmApp.state.run.result.steps), HALT_AT + 16);
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("the Sudoku grid is edited in place; passes play back and the halting line is drawn", T, async () => {
  await withSite(mockSite(), async (srv) => {
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=cpu`);
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      const before = (await page.inputValue("#puzzle-text")).split("\n")[0];
      const blank = before.indexOf(".");
      assert.ok(blank >= 0, `the first row has a blank: ${before}`);
      // Click the blank cell of the first row, type a digit, then move right and clear.
      const box = await page.locator("#input-canvas").boundingBox();
      await page.mouse.click(box.x + ((blank + 0.5) * box.width) / 9, box.y + (0.5 * box.height) / 9);
      await page.keyboard.press("7");
      const after = (await page.inputValue("#puzzle-text")).split("\n")[0];
      assert.equal(after, before.slice(0, blank) + "7" + before.slice(blank + 1));
      assert.equal(await page.textContent("#cell-status"), `Row 1, column ${blank + 1}: 7. Type 1 to 9, or Backspace to clear; arrows move.`);
      // For screen readers the grid is an ARIA grid (the canvas's fallback content), the cursor its active cell.
      const aria = await page.evaluate(() => {
        const c = document.getElementById("input-canvas");
        const active = document.getElementById(c.getAttribute("aria-activedescendant"));
        return { role: c.getAttribute("role"), rows: c.querySelectorAll("[role=row]").length, cells: c.querySelectorAll("[role=gridcell]").length, active: active?.id, text: active?.textContent };
      });
      assert.deepEqual(aria, { role: "grid", rows: 9, cells: 81, active: `input-cell-0-${blank}`, text: "7" });
      await page.keyboard.press("ArrowLeft");
      await page.keyboard.press("Backspace");
      const cleared = (await page.inputValue("#puzzle-text")).split("\n")[0];
      assert.equal(cleared[blank - 1], ".", "the cell left of it was cleared");
      assert.equal(cleared[blank], "7");
      await page.check("#opt-labels"); // labelled cells redraw without error
      // Solve, then play the passes back from the first.
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      await page.click("#prev-btn");
      await page.selectOption("#play-speed", "100");
      await page.click("#play-btn");
      assert.equal(await page.textContent("#play-btn"), "Pause");
      await page.waitForFunction(() => /^Pass 6 of 6/.test(document.getElementById("pass-status").textContent), null, { timeout: 10_000 });
      await page.waitForFunction(() => document.getElementById("play-btn").textContent === "Play");
      const drawn = await page.evaluate(() => {
        const c = document.getElementById("halt-canvas");
        const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 3; i < px.length; i += 4) ink += px[i] > 0 ? 1 : 0;
        return ink;
      });
      assert.ok(drawn > 200, `the halting line has ink (${drawn} pixels)`);
      // The latent view shows how far z_L (or z_H) moved per cell in the step on view, on one
      // colour scale for the solve.
      assert.equal(await page.isVisible("#latent-canvas"), true);
      assert.match(await page.textContent("#latent-range"), /^step 6: 1\.00 to 5\.90 \(scale: 0 dark, 5\.90 light, the largest move so far\)$/);
      await page.selectOption("#latent-mode", "answerChange");
      assert.match(await page.getAttribute("#latent-canvas", "aria-label"), /^How far the answer latent moved per cell in step 6: 0\.00 to 0\.32, on a scale up to 1\.90$/);
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("the address holds the view: a copied link restores it; embed mode shows only the puzzle", T, async () => {
  await withSite(mockSite(), async (srv) => {
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=cpu`);
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      await page.selectOption("#task-select", "maze");
      await page.waitForFunction(() => window.trm.info?.task === "maze" && document.body.dataset.state === "loaded");
      await page.selectOption("#puzzle-select", "3");
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      await page.click("#prev-btn");
      const want = await page.evaluate(() => ({
        key: window.trmApp.state.selectedEntry.key,
        view: window.trmApp.state.view,
        grid: document.getElementById("grid-text").textContent,
      }));
      await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
      await page.click("#share-btn");
      await page.waitForFunction(() => /Link copied/.test(document.getElementById("share-status").textContent));
      const link = await page.evaluate(() => navigator.clipboard.readText());
      assert.match(link, /#task=maze&puzzle=maze%3Amaze-[^&]+&model=mock-maze&autosolve=1&step=1$/);
      await page.waitForFunction((l) => location.href === l, link, { timeout: 5_000 }).catch(() => {});
      assert.equal(await page.evaluate(() => location.href), link, "the address bar holds the same view");

      // The link in a fresh page: same task, puzzle, model and pass on view.
      const other = await openPage(browser, link);
      try {
        await other.page.waitForFunction(() => window.trmApp?.state.run?.result && window.trmApp.state.view === 1, null, { timeout: 60_000 });
        const got = await other.page.evaluate(() => ({
          key: window.trmApp.state.selectedEntry.key,
          view: window.trmApp.state.view,
          grid: document.getElementById("grid-text").textContent,
        }));
        assert.deepEqual(got, want);
        assert.deepEqual(other.errors, [], dump(other.log, other.errors));
      } finally {
        await other.context.close();
      }

      // The solve's settings travel too: with inner updates on, the pass on view is an inner one.
      await page.check("#opt-inner");
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      await page.focus("#step-slider");
      await page.keyboard.press("Home");
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowRight");
      const wantInner = await page.evaluate(() => ({ view: window.trmApp.state.view, caption: document.getElementById("grid-caption").textContent }));
      await page.click("#share-btn");
      await page.waitForFunction(() => /Link copied/.test(document.getElementById("share-status").textContent));
      const innerLink = await page.evaluate(() => navigator.clipboard.readText());
      assert.match(innerLink, /&inner=1&autosolve=1&step=2$/);
      const third = await openPage(browser, innerLink);
      try {
        await third.page.waitForFunction(() => window.trmApp?.state.run?.result && window.trmApp.state.view === 2, null, { timeout: 60_000 });
        assert.equal(await third.page.isChecked("#opt-inner"), true);
        assert.equal(await third.page.textContent("#grid-caption"), wantInner.caption);
        assert.match(wantInner.caption, /^Prediction — step 1, (latent|answer) update/);
      } finally {
        await third.context.close();
      }
      await page.uncheck("#opt-inner");

      // A puzzle of one's own travels as text; embed mode hides all but the puzzle and its timeline.
      await page.fill("#puzzle-text", "S o\n#o#\n  G\n");
      await page.click("#embed-btn");
      await page.waitForFunction(() => /Embed code copied/.test(document.getElementById("share-status").textContent));
      const snippet = await page.evaluate(() => navigator.clipboard.readText());
      const src = /<iframe src="([^"]+)"/.exec(snippet)?.[1];
      assert.ok(src && /&embed=1/.test(src) && /text=S\+o%0A/.test(src), snippet);
      const embed = await openPage(browser, src.replaceAll("&amp;", "&"));
      try {
        await waitForState(embed.page, ["loaded", "solved", "error"]);
        assert.equal(await embed.page.inputValue("#puzzle-text"), "S o\n#o#\n  G\n");
        for (const hidden of ["#model-panel", "#puzzle-panel", "footer", ".lede"]) assert.equal(await embed.page.isVisible(hidden), false, hidden);
        for (const shown of ["#solve-btn", "#input-canvas", "#full-demo"]) assert.equal(await embed.page.isVisible(shown), true, shown);
        // The model's download progress shows under the puzzle (the settings panel is hidden).
        assert.equal(await embed.page.evaluate(() => !!document.getElementById("load-status").closest("#stage")), true);
        assert.match(await embed.page.textContent("#load-text"), /is ready\.$/);
        assert.doesNotMatch(await embed.page.getAttribute("#full-demo", "href"), /embed=1/);
        assert.deepEqual(embed.errors, [], dump(embed.log, embed.errors));
      } finally {
        await embed.context.close();
      }
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("inner updates stream as passes of their own", T, async () => {
  await withSite(mockSite(), async (srv) => {
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=cpu&inner=1&steps=2`);
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      const kinds = await page.evaluate(() => window.trmApp.state.run.passes.map((p) => (p.inner ? `${p.step}:${p.inner.kind}${p.inner.h}${p.inner.l ?? ""}` : `${p.step}`)));
      // H=2, L=2: per step 2 x (2 latent + 1 answer) inner passes, then the step itself.
      const one = (s) => [`${s}:latent00`, `${s}:latent01`, `${s}:answer0`, `${s}:latent10`, `${s}:latent11`, `${s}:answer1`, `${s}`];
      assert.deepEqual(kinds, [...one(1), ...one(2)]);
      assert.equal(await page.evaluate(() => document.querySelectorAll("#steps-table tbody tr").length), 2);
    } finally {
      await context.close();
    }
  });
});

test("cancel stops a solve after the current step; the next solve works", T, async () => {
  await withSite(mockSite(), async (srv) => {
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=cpu&model=mock-slow`);
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      await page.click("#solve-btn");
      await page.waitForFunction(() => window.trmApp.state.run?.passes.length >= 2);
      // A second solve while one runs is refused.
      const second = await page.evaluate(() => window.trm.solve({ tokens: new Uint32Array(81).fill(1) }).then(() => "ok", (e) => e.message));
      assert.match(second, /already running/);
      await page.click("#cancel-btn");
      assert.equal(await waitForState(page, ["cancelled", "solved", "error"]), "cancelled");
      const r = await page.evaluate(() => window.trmApp.state.run.result);
      assert.equal(r.cancelled, true);
      assert.ok(r.steps < 12, `stopped early (${r.steps})`);
      assert.match(await page.textContent("#solve-summary"), /Cancelled after/);
      await page.fill("#opt-steps", "2");
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved");
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("weights are cached: a second load makes no network request; progress is byte-accurate", T, async () => {
  const big = mockModel({ task: "sudoku", steps: 2, hidden: 4096 }); // ~180 kB
  await withSite(mockSite({ "/models/big.safetensors": big }), async (srv) => {
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=cpu`);
    const weightRequests = [];
    context.on("request", (r) => {
      if (/\.safetensors/.test(r.url())) weightRequests.push(r.url());
    });
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      assert.equal(srv.hitCount("/models/mock-sudoku.safetensors"), 1);
      assert.equal(await page.evaluate(() => window.trm.info.source), "network");
      assert.equal(await page.evaluate(() => window.trm.info.cached), true);
      // Progress of a fresh download: monotonic, ends at the file size, total known up front.
      const prog = await page.evaluate(async () => {
        const events = [];
        const info = await window.trm.load("models/big.safetensors", (p) => events.push(p));
        return { events, bytes: info.bytes };
      });
      const dl = prog.events.filter((e) => e.type === "progress" && e.stage === "downloading");
      assert.ok(dl.length >= 2, JSON.stringify(prog.events.slice(0, 5)));
      assert.ok(dl.every((e) => e.total === big.length), "total from Content-Length");
      assert.equal(dl.at(-1).loaded, big.length);
      for (let i = 1; i < dl.length; i++) assert.ok(dl[i].loaded >= dl[i - 1].loaded);
      assert.equal(prog.bytes, big.length);
      assert.ok(prog.events.some((e) => e.stage === "parsing"));
      assert.ok(prog.events.some((e) => e.stage === "warming up"));

      assert.ok(weightRequests.length >= 2, `the worker's requests are observed: ${weightRequests}`);
      // A new visit in the same browser profile: the weights come from the Cache API.
      weightRequests.length = 0;
      await page.reload();
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      assert.equal(await page.evaluate(() => window.trm.info.source), "cache");
      assert.equal(srv.hitCount("/models/mock-sudoku.safetensors"), 1, "no second request reached the server");
      assert.deepEqual(weightRequests, [], "the browser made no request for the weights");
      assert.match(await page.textContent("#cache-text"), /from the browser cache/);
      const again = await page.evaluate(async () => (await window.trm.load("models/big.safetensors")).source);
      assert.equal(again, "cache");
      assert.equal(srv.hitCount("/models/big.safetensors"), 1);
      // A new version (another ?v=) is downloaded and replaces the old one in the cache.
      const versions = await page.evaluate(async () => {
        const src = [];
        for (const u of ["models/big.safetensors?v=2", "models/big.safetensors?v=2"]) src.push((await window.trm.load(u)).source);
        const keys = (await (await caches.open("trm-weights-v1")).keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search);
        return { src, keys: keys.filter((k) => k.startsWith("/models/big")) };
      });
      assert.deepEqual(versions.src, ["network", "cache"]);
      assert.deepEqual(versions.keys, ["/models/big.safetensors?v=2"]);
      assert.equal(srv.hitCount("/models/big.safetensors"), 2);
      // The storage panel lists each cached file with its size, and deletes one at a time.
      await page.waitForFunction(() => document.querySelectorAll("#cache-list button").length === 2);
      const listed = await page.$$eval("#cache-list li", (li) => li.map((x) => x.textContent));
      assert.ok(listed.some((t) => /^mock-sudoku\.safetensors — [\d.]+ (kB|MB)Delete$/.test(t)), JSON.stringify(listed));
      assert.ok(listed.some((t) => /^big\.safetensors — [\d.]+ (kB|MB)Delete$/.test(t)), JSON.stringify(listed));
      assert.ok(listed.some((t) => /in all$/.test(t)), JSON.stringify(listed));
      await page.click('#cache-list button[aria-label="Delete the cached mock-sudoku.safetensors"]');
      await page.waitForFunction(() => document.querySelectorAll("#cache-list button").length === 1);
      assert.equal(await page.evaluate(async () => (await caches.open("trm-weights-v1")).keys().then((k) => k.length)), 1);
      // Deleting the cache makes the next load download again.
      await page.click("#clear-cache-btn");
      await page.waitForFunction(() => /deleted/.test(document.getElementById("cache-text").textContent));
      assert.equal(await page.evaluate(async () => (await window.trm.load("models/big.safetensors")).source), "network");
      assert.equal(srv.hitCount("/models/big.safetensors"), 3);
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("corrupted, garbage and wrong-architecture files give clear errors; the page keeps working", T, async () => {
  const truncated = SUDOKU_MODEL.subarray(0, SUDOKU_MODEL.length - 40);
  const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251));
  const wrongArch = editWebHeader(SUDOKU_MODEL, (h) => ({ ...h, config: { ...h.config, hidden_size: 16 } }));
  const notWeb = rewriteMetadata(SUDOKU_MODEL, () => ({ source: "not a web model" }));
  await withSite(
    mockSite({
      "/models/truncated.safetensors": truncated,
      "/models/garbage.safetensors": garbage,
      "/models/wrong-arch.safetensors": wrongArch,
      "/models/not-web.safetensors": notWeb,
    }),
    async (srv) => {
      const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=cpu&model=none`);
      try {
        await waitForState(page, ["ready"]);
        // The runtime's own texts are asserted against the real runtime (wasm.test.mjs); here the
        // page shows whatever it says, one error at a time.
        const attempt = async (url, pattern = /./) => {
          await page.evaluate((u) => window.trmApp.loadModel(u), url);
          const msgs = await errorTexts(page);
          assert.ok(msgs.some((m) => /Could not load the model/.test(m) && pattern.test(m)), `${url}: ${JSON.stringify(msgs)}`);
          assert.equal(msgs.length, 1, "one load error at a time");
        };
        await attempt("models/truncated.safetensors");
        await attempt("models/garbage.safetensors");
        await attempt("models/wrong-arch.safetensors");
        await attempt("models/not-web.safetensors");
        await attempt("models/missing.safetensors", /HTTP 404/);
        // Garbage bytes from a file chosen by the user.
        await page.setInputFiles("#model-file", { name: "junk.safetensors", mimeType: "application/octet-stream", buffer: garbage });
        await page.waitForFunction(() => /junk\.safetensors/.test(document.getElementById("errors").textContent));
        // A maze model with a Sudoku puzzle.
        await page.evaluate(() => window.trmApp.loadModel("mock-maze"));
        assert.equal(await page.evaluate(() => window.trm.info.task), "maze");
        await page.selectOption("#task-select", "sudoku");
        // Picking a task picks a model for it (the first listed for the task).
        await page.waitForFunction(() => window.trm.info?.task === "sudoku" && document.body.dataset.state === "loaded");
        assert.match(await page.textContent("#model-line"), /mock-sudoku \(Sudoku, random weights\)/);
        // A model of another task loaded on purpose keeps the user's task, and is refused for its puzzles.
        await page.evaluate(() => window.trmApp.loadModel("mock-maze"));
        assert.equal(await page.inputValue("#task-select"), "sudoku");
        await page.click("#solve-btn");
        const msgs = await errorTexts(page);
        assert.ok(msgs.some((m) => /Wrong model for this puzzle.*Maze model.*Sudoku/.test(m)), JSON.stringify(msgs));
        // A bad puzzle text is a clear error too.
        await page.selectOption("#task-select", "maze");
        await page.fill("#puzzle-text", "#S#\n##");
        await page.click("#solve-btn");
        assert.ok((await errorTexts(page)).some((m) => /The puzzle is not valid.*line 2 has 2 characters, expected 3/.test(m)));
        // And everything still works: a valid model loads and solves.
        await page.evaluate(() => window.trmApp.loadModel("mock-sudoku"));
        assert.equal(await page.evaluate(() => window.trm.info.task), "sudoku");
        assert.equal(await page.inputValue("#task-select"), "maze", "the user's task choice is kept");
        await page.selectOption("#task-select", "sudoku");
        await page.click("#solve-btn");
        assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
        assert.equal(await page.evaluate(() => window.trmApp.state.run.passes.length), 6);
        assert.deepEqual(await errorTexts(page), [], "errors of earlier attempts are cleared");
        assert.deepEqual(errors, [], dump(log, errors));
      } finally {
        await context.close();
      }
    },
  );
});

test("a runtime crash (Rust panic) is reported with its message; the runtime restarts and keeps working", T, async () => {
  await withSite(mockSite({ "/models/panic.safetensors": mockModel({ task: "sudoku", steps: 4, panic: true }) }), async (srv) => {
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=cpu&model=models/panic.safetensors`);
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      await page.click("#solve-btn");
      await page.waitForFunction(() => /runtime crashed/.test(document.getElementById("errors").textContent));
      const msgs = await errorTexts(page);
      assert.ok(msgs.some((m) => /The solve failed: The runtime crashed: panicked at .*mock panic for the tests/s.test(m)), JSON.stringify(msgs));
      assert.ok(!msgs.some((m) => /Stack:/.test(m)), "no stack dump in the message");
      // The client restarted the worker and the page reloads the model by itself.
      await page.waitForFunction(() => window.trm.info?.url?.endsWith("/models/panic.safetensors") && document.body.dataset.state === "loaded");
      await page.evaluate(() => window.trmApp.loadModel("mock-sudoku"));
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("device loss mid-solve: the solve continues on the CPU and says so", T, async () => {
  // The (mock) runtime loses the WebGPU device before step LOST_AT and falls back with its
  // reason; what the page does with that is what is checked here. The real runtime's fallback
  // (the hook window.trm.simulateDeviceLoss included) is in wasm.test.mjs.
  const LOST_AT = 3;
  const reason = "adapter unplugged in the test";
  const fellBack = `the GPU device was lost (${reason}); continuing on the CPU`;
  const lossy = mockModel({ task: "sudoku", steps: 6, lostAt: LOST_AT, lostReason: reason });
  await withSite(mockSite({ "/models/mock-lossy.safetensors": lossy }), async (srv) => {
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=webgpu&model=models/mock-lossy.safetensors`);
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      assert.equal(await page.evaluate(() => window.trm.backend), "webgpu");
      assert.match(await page.textContent("#backend-badge"), /WebGPU/);
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      // The step table says where each step ran: before the loss on WebGPU, from it on the CPU.
      const where = await page.$$eval("#steps-table tbody tr", (trs) => trs.map((tr) => tr.lastElementChild.textContent));
      assert.deepEqual(where, Array.from({ length: 6 }, (_, i) => (i + 1 < LOST_AT ? "WebGPU" : "CPU")));
      assert.match(await page.textContent("#solve-summary"), /^Done: 6 steps · .* · on CPU \(WebAssembly\)$/);
      // A warning with the runtime's reason, not an error; the badge moved to the CPU and says why.
      const warnings = await page.$$eval("#errors .warning .msg", (els) => els.map((e) => e.textContent));
      assert.deepEqual(warnings, [`The GPU was lost during the solve; it continued on the CPU: ${fellBack}`]);
      assert.deepEqual(await errorTexts(page), [], "a warning, not an error");
      const badge = await page.evaluate(() => {
        const b = document.getElementById("backend-badge");
        return { backend: b.dataset.backend, name: b.querySelector(".badge-name").textContent, reason: b.querySelector(".badge-reason").textContent };
      });
      assert.equal(badge.backend, "cpu");
      assert.match(badge.name, /^CPU/);
      assert.ok(badge.reason.startsWith(`— ${fellBack}`), badge.reason);
      assert.equal(await page.evaluate(() => window.trm.backend), "cpu");
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

// "auto" with the CPU module and a model whose CPU step is slow: mock-heavy reports one network
// call of 40 ms at H=2, L=2, an estimated 240 ms per step.
function heavySite(extra = {}) {
  return mockSite({
    "/models/models.json": JSON.stringify([
      { name: "mock-sudoku", url: "models/mock-sudoku.safetensors?v=1", task: "sudoku" },
      { name: "mock-heavy", url: "models/mock-heavy.safetensors", task: "sudoku" },
    ]),
    "/models/mock-heavy.safetensors": mockModel({ task: "sudoku", steps: 3, warmupMs: 40 }),
    ...extra,
  });
}

async function loadWithStages(page, url) {
  return page.evaluate(async (u) => {
    const stages = [];
    const info = await window.trm.load(u, (p) => p.type === "stage" && stages.push(p.stage));
    return { info, stages, reason: window.trm.backendReason, backend: window.trm.backend };
  }, url);
}

test("auto on a software WebGPU adapter: every model stays on the CPU module, nothing more downloads", T, async () => {
  await withSite(heavySite(), async (srv) => {
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=auto&model=mock-sudoku`);
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      assert.match(await page.textContent("#backend-badge"), /CPU.*software rasterizer/);
      const heavy = await loadWithStages(page, "models/mock-heavy.safetensors");
      assert.equal(heavy.backend, "cpu");
      assert.match(heavy.reason, /software rasterizer/);
      assert.ok(!heavy.stages.includes("loading WebGPU"), `stages: ${heavy.stages}`);
      assert.equal(srv.hitCount("/pkg/wasm/trm_cpu_relaxed.js"), 1);
      assert.equal(srv.hitCount("/pkg/wasm/trm.js"), 0, "the WebGPU module is not downloaded");
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("auto on a hardware WebGPU adapter: fast models stay on the CPU module; a slow one moves to the WebGPU module, once", T, async () => {
  // SwiftShader is the only adapter here: the worker is served with a prelude that makes it
  // report itself as hardware.
  const prelude = `{
    const request = navigator.gpu.requestAdapter.bind(navigator.gpu);
    navigator.gpu.requestAdapter = async (options) => {
      const adapter = await request(options);
      const i = adapter?.info;
      if (i) Object.defineProperty(adapter, "info", { value: { vendor: i.vendor, architecture: "hardware (test)", device: i.device, description: i.description, isFallbackAdapter: false } });
      return adapter;
    };
  }\n`;
  const worker = prelude + readFileSync(path.join(WWW, "pkg", "worker.js"), "utf8");
  await withSite(heavySite({ "/pkg/worker.js": { body: worker, type: "text/javascript; charset=utf-8" } }), async (srv) => {
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=auto&model=mock-sudoku`);
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      assert.equal(await page.evaluate(() => window.trm.backend), "cpu");
      assert.match(await page.textContent("#backend-badge"), /CPU.*a CPU step takes about \d+ ms; WebGPU is loaded only for a model above 150 ms/);
      assert.equal(srv.hitCount("/pkg/wasm/trm_cpu_relaxed.js"), 1);
      assert.equal(srv.hitCount("/pkg/wasm/trm.js"), 0, "no WebGPU module for a fast model");
      const heavy = await loadWithStages(page, "models/mock-heavy.safetensors");
      assert.ok(heavy.stages.includes("loading WebGPU"), `stages: ${heavy.stages}`);
      assert.equal(srv.hitCount("/pkg/wasm/trm.js"), 1);
      assert.equal(heavy.info.backend, "webgpu");
      assert.equal(heavy.backend, "webgpu");
      assert.equal(await page.evaluate(() => window.trm.adapter?.name ?? null) !== null, true, "the adapter is reported");
      // From now on every load stays in the WebGPU module: no second download, no move.
      const again = await loadWithStages(page, "models/mock-sudoku.safetensors?v=1");
      assert.ok(!again.stages.includes("loading WebGPU"), `stages: ${again.stages}`);
      assert.equal(again.backend, "webgpu");
      assert.equal(srv.hitCount("/pkg/wasm/trm.js"), 1);
      assert.equal(srv.hitCount("/pkg/wasm/trm_cpu_relaxed.js"), 1);
      const result = await page.evaluate(() => window.trm.solve({ tokens: new Uint32Array(81).fill(1) }, () => {}));
      assert.equal(result.backend, "webgpu");
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("a maze model on a 7x7 canvas: the page offers mazes that fit it and marks the gallery's as too big", T, async () => {
  const site = mockSite({
    "/models/models.json": JSON.stringify([{ name: "mock-maze7", url: "models/mock-maze7.safetensors", task: "maze" }]),
    "/models/mock-maze7.safetensors": mockModel({ task: "maze", steps: 3, seqLen: 49 }),
  });
  await withSite(site, async (srv) => {
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=cpu&task=maze&model=mock-maze7&seed=7`);
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      const rows = async () => (await page.inputValue("#puzzle-text")).split("\n").filter(Boolean);
      await page.waitForFunction(() => /^Random/.test(document.querySelector("#puzzle-select option:checked")?.textContent ?? ""));
      assert.deepEqual((await rows()).map((r) => r.length), Array(7).fill(7), "a generated 7x7 maze is selected");
      const labels = await page.$$eval("#puzzle-select option", (os) => os.map((o) => o.textContent));
      assert.ok(labels.slice(1).length > 0 && labels.slice(1).every((l) => / — too big for this model$/.test(l)), JSON.stringify(labels));
      assert.equal(await page.textContent("#puzzle-error"), "");
      // "New" keeps to the canvas whatever the level.
      await page.selectOption("#random-level", "expert");
      await page.click("#random-btn");
      await page.waitForFunction(() => /^Random expert/.test(document.querySelector("#puzzle-select option:checked")?.textContent ?? ""));
      assert.deepEqual((await rows()).map((r) => r.length), Array(7).fill(7));
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      // Voting (on by default): the maze's 8 rotations and mirrors ran as one batch and voted.
      assert.equal(await page.evaluate(() => window.trmApp.state.run.rows), 8);
      assert.equal(await page.isVisible("#votes-figure"), true);
      assert.match(await page.textContent("#vote-caption"), /^Votes at step 3: the maze solved in 8 versions .* \d+ distinct\./);
      // A batch halts when every version wants to: the halting line shows the lowest of them.
      assert.match(await page.textContent("#halt-caption"), /the lowest of the 8 versions/);
      assert.match(await page.getAttribute("#halt-canvas", "aria-label"), /^Halting probability by step \(the lowest of the 8 versions\): /);
      // The box applies to the next new solve: "Think longer" goes on with the 8 versions.
      await page.uncheck("#opt-vote");
      await page.click("#longer-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      assert.match(await page.textContent("#solve-summary"), /continued from step 3/);
      assert.equal(await page.evaluate(() => window.trmApp.state.run.rows), 8);
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      assert.equal(await page.evaluate(() => window.trmApp.state.run.rows), 1);
      assert.equal(await page.isVisible("#votes-figure"), false);
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("missing WebGPU: a clear error, and one click to use the CPU instead", { ...T, skip: SKIP || !CHROMIUM }, async () => {
  const { chromium } = await import("playwright-core");
  const noGpu = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS.filter((a) => a !== "--enable-unsafe-webgpu") });
  try {
    await withSite(mockSite(), async (srv) => {
      const { page, errors, log } = await openPage(noGpu, `${srv.url}?backend=webgpu`);
      assert.equal(await waitForState(page, ["error", "loaded"]), "error", dump(log, errors));
      const msgs = await errorTexts(page);
      assert.ok(msgs.some((m) => /WebGPU is not available/.test(m)), JSON.stringify(msgs));
      await page.click("text=Use the CPU instead");
      await page.waitForURL(/backend=cpu/);
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      assert.equal(await page.evaluate(() => window.trm.backend), "cpu");
      // auto without WebGPU falls back to the CPU and says why.
      await page.goto(`${srv.url}?backend=auto`);
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded");
      assert.match(await page.textContent("#backend-badge"), /CPU.*WebGPU is not available/);
    });
  } finally {
    await noGpu.close();
  }
});

test("URL parameters are parsed defensively", T, async () => {
  await withSite(mockSite(), async (srv) => {
    const q = "?backend=quantum&model=https://evil.example/x.safetensors&steps=9999&task=%00%ff&puzzle=" + "x".repeat(300) + "&inner=maybe";
    const { page, context, errors, log } = await openPage(browser, srv.url + q);
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      const text = await page.textContent("#errors");
      assert.match(text, /Unknown backend "quantum"/);
      assert.match(text, /only models from this site/);
      assert.match(text, /steps=9999/);
      assert.equal(await page.inputValue("#backend-select"), "auto");
      assert.equal(await page.evaluate(() => window.trmApp.state.modelEntry.name), "mock-sudoku", "the first listed model instead");
      assert.equal(srv.hitCount("/x.safetensors"), 0);
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("works offline after one visit (service worker + cached weights)", T, async () => {
  const srv = await serveWww(mockSite());
  let closed = false;
  const { page, context, errors, log } = await openPage(browser, null, { serviceWorkers: "allow" });
  try {
    await page.goto(`${srv.url}?backend=cpu`);
    assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
    });
    // One controlled visit so everything (incl. the runtime) has gone through the service worker.
    await page.reload();
    assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
    await srv.close();
    closed = true;
    await page.reload();
    assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
    assert.equal(await page.evaluate(() => window.trm.info.source), "cache");
    await page.click("#solve-btn");
    assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
    assert.deepEqual(errors, [], dump(log, errors));
  } finally {
    await context.close();
    if (!closed) await srv.close();
  }
});

test("the service worker makes the second visit cross-origin isolated: the CPU runs on the threaded module", T, async () => {
  await withSite(mockSite(), async (srv) => {
    const { page, context, errors, log } = await openPage(browser, null, { serviceWorkers: "allow" });
    try {
      await page.goto(`${srv.url}?backend=cpu&model=mock-sudoku`);
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      const first = await page.evaluate(() => ({ isolated: self.crossOriginIsolated, threads: window.trm.threads, note: window.trm.threadsNote }));
      assert.deepEqual(first, { isolated: false, threads: 1, note: "one CPU thread: the page is not cross-origin isolated (the service worker makes it so from the next visit)" });
      assert.equal(srv.hitCount("/pkg/wasm/trm_cpu_mt.js") + srv.hitCount("/pkg/wasm/trm_cpu_mt_relaxed.js"), 0);
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
      });
      await page.reload();
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      const second = await page.evaluate(() => ({ isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency, threads: window.trm.threads, note: window.trm.threadsNote }));
      assert.equal(second.isolated, true);
      assert.equal(second.threads, Math.min(8, second.cores));
      assert.equal(second.note, second.threads > 1 ? null : "one CPU thread: the browser reports one core");
      if (second.threads > 1) {
        assert.equal(srv.hitCount("/pkg/wasm/trm_cpu_mt_relaxed.js"), 1);
        assert.match(await page.textContent("#backend-badge"), new RegExp(`CPU \\(WebAssembly\\) · ${second.threads} threads`));
      }
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  });
});

test("cross-origin isolated, but the threaded module fails to start: the single-thread module runs and the badge says why", T, async () => {
  await withSite(mockSite({ "/pkg/wasm/trm_cpu_mt.js": null, "/pkg/wasm/trm_cpu_mt_relaxed.js": null }), async (srv) => {
    const { page, context, errors, log } = await openPage(browser, `${srv.url}?backend=cpu&model=mock-sudoku`);
    try {
      assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
      const t = await page.evaluate(() => ({ isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency, threads: window.trm.threads, note: window.trm.threadsNote }));
      assert.equal(t.isolated, true);
      assert.ok(t.cores > 1, "needs a browser that reports more than one core");
      assert.equal(t.threads, 1);
      assert.match(t.note, /^one CPU thread: the threaded runtime could not start \(The WebAssembly runtime is not built: pkg\/wasm\/trm_cpu_mt\.js was not found/);
      assert.equal(await page.getAttribute("#backend-badge", "title"), t.note);
      assert.equal(srv.hitCount("/pkg/wasm/trm_cpu_relaxed.js"), 1);
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
      assert.deepEqual(errors, [], dump(log, errors));
    } finally {
      await context.close();
    }
  }, { isolate: true });
});

test("works from a sub-path of a static host (a project page at /<repo>/), service worker included", T, async () => {
  // The site folder as a static host would hold it, under /trm/ (the big runtime is the stand-in).
  const root = mkdtempSync(path.join(tmpdir(), "trm-site-"));
  cpSync(WWW, path.join(root, "trm"), { recursive: true, filter: (f) => !/\/trm(_cpu|_cpu_mt)?_bg\.wasm$/.test(f) });
  const overrides = Object.fromEntries(Object.entries(mockSite()).map(([k, v]) => [`/trm${k}`, v]));
  const paths = [];
  const srv = await startServer({ root, port: 0, overrides, onRequest: (p) => paths.push(p) });
  const { page, context, errors, log } = await openPage(browser, null, { serviceWorkers: "allow" });
  try {
    await page.goto(`${srv.url}trm/?backend=cpu`);
    assert.equal(await waitForState(page, ["loaded", "error"]), "loaded", dump(log, errors));
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(new URL(scope).pathname, "/trm/");
    await page.click("#solve-btn");
    assert.equal(await waitForState(page, ["solved", "error"]), "solved", dump(log, errors));
    assert.deepEqual(paths.filter((p) => !p.startsWith("/trm/")), [], "every request stays under the sub-path");
    assert.deepEqual(errors, [], dump(log, errors));
  } finally {
    await context.close();
    await srv.close();
    rmSync(root, { recursive: true, force: true });
  }
});
