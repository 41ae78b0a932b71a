// The page's interactions against the real wasm runtime (CPU backend) in headless Chromium:
//  - maze and ARC grids edited with the pointer and the keyboard (walls, S and G, palette, flood
//    fill, resize, a new maze of a chosen size, reset);
//  - an edit in the middle of a solve: the solve stops and continues from the model's state on the
//    edited puzzle, on one timeline; "Think longer" continues from where the model stopped;
//  - a model file dropped on the page loads; ARC voting over the versions the model learned;
//  - on a phone-sized screen (360 px) the page never gets wider than the screen.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { BROWSER_SKIP, PKG_PRESENT, ROOT, WWW, launchBrowser, serveWww, openPage, waitForState, errorTexts } from "./helpers.mjs";

const SKIP = BROWSER_SKIP ?? (PKG_PRESENT ? false : "www/pkg/wasm/trm.js is absent: build the wasm runtime first (scripts/build-web.sh)");
const T = { timeout: 600_000, skip: SKIP };
if (SKIP) test("prerequisites of the browser tests", () => assert.fail(SKIP));

// An ARC model trained by `trm train --preset arc-small` (committed with its run).
const ARC_MODEL = path.join(ROOT, "www", "models", "arc-small.safetensors");
// The tasks its card (written by `trm train` beside it) says it solves: the rows of the held-out
// table right at pass@2 ("| <task> | <test inputs> | 100.0% | …").
const ARC_CARD_SOLVED = readFileSync(path.join(ROOT, "www", "models", "arc-small.md"), "utf8")
  .split("\n")
  .map((line) => /^\| ([0-9a-f]{8}) \| \d+ \| 100\.0% \|/.exec(line)?.[1])
  .filter(Boolean);
// The seed of the page's "New" puzzles (URL parameter seed): the n-th generated has SEED + n.
// Seed 7's 7x9 maze ends in an all-open row (which trimming the text's end would drop).
const SEED = 7;

let browser, srv, puzzles;
before(async () => {
  if (SKIP) return;
  // The page's copy of the puzzle module, in Node: the generator a seed should reproduce.
  puzzles = await import("../../www/pkg/puzzles.js");
  await puzzles.loadPuzzles(readFileSync(path.join(WWW, "pkg", "wasm", "trm_tasks_bg.wasm")));
  browser = await launchBrowser();
  srv = await serveWww();
});
after(async () => {
  await browser?.close();
  await srv?.close();
});

const dump = (log, errors) => `\n--- page log ---\n${log.slice(-40).join("\n")}\n--- page errors ---\n${errors.join("\n")}`;

async function freshPage(query) {
  const o = await openPage(browser, `${srv.url}${query}`);
  const state = await waitForState(o.page, ["ready", "error", "loaded"], 300_000);
  assert.notEqual(state, "error", `the runtime did not start: ${JSON.stringify(await errorTexts(o.page))}${dump(o.log, o.errors)}`);
  return o;
}

/** The page position of the centre of cell (row, col) of the input grid. */
async function cellPoint(page, row, col) {
  return page.evaluate(
    ({ row, col }) => {
      const r = document.getElementById("input-canvas").getBoundingClientRect();
      const { rows, cols } = window.trmApp.currentPuzzle();
      return { x: r.left + ((col + 0.5) * r.width) / cols, y: r.top + ((row + 0.5) * r.height) / rows };
    },
    { row, col },
  );
}

async function drag(page, cells) {
  const [first, ...rest] = cells;
  const p = await cellPoint(page, ...first);
  await page.mouse.move(p.x, p.y);
  await page.mouse.down();
  for (const c of rest) {
    const q = await cellPoint(page, ...c);
    await page.mouse.move(q.x, q.y, { steps: 4 });
  }
  await page.mouse.up();
}

const text = (page) => page.inputValue("#puzzle-text");
/** The rows of a puzzle text (ending in a newline): an all-open maze row is a row too. */
const rows = (t) => t.replace(/\n$/, "").split("\n");

test("maze and ARC grids are edited with the pointer and the keyboard", T, async () => {
  const { page, context, errors, log } = await freshPage(`?backend=cpu&model=none&task=maze&seed=${SEED}`);
  try {
    await page.evaluate(() => window.trmApp.setPuzzle("maze", "#####\n#S  #\n# # #\n#  G#\n#####\n"));
    assert.equal(await page.isVisible("#size-tools"), true);
    assert.equal(await page.isVisible("#arc-tools"), false);
    assert.equal(await page.inputValue("#grid-rows"), "5");
    // Press on a wall: a stroke that opens walls. On an open cell: one that draws them.
    await drag(page, [[2, 2]]);
    assert.equal((await text(page)).split("\n")[2], "#   #");
    await drag(page, [[3, 1], [3, 2], [3, 3]]);
    assert.equal((await text(page)).split("\n")[3], "###G#", "a wall stroke never overwrites G");
    // Drag S over open cells; a wall on the way is skipped, the goal never overwritten.
    await drag(page, [[1, 1], [1, 2], [2, 2]]);
    assert.equal(await text(page), "#####\n#   #\n# S #\n###G#\n#####\n");
    // The keyboard: the cursor is where the pointer was; S is moved with the key.
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("s");
    assert.equal((await text(page)).split("\n")[1], "# S #");
    assert.match(await page.textContent("#cell-status"), /Row 2, column 3: start/);
    // Resize, then a new random maze of a chosen size.
    await page.fill("#grid-rows", "6");
    await page.fill("#grid-cols", "7");
    await page.click("#resize-btn");
    assert.deepEqual(rows(await text(page)).map((l) => l.length), [7, 7, 7, 7, 7, 7]);
    await page.fill("#grid-rows", "7");
    await page.fill("#grid-cols", "9");
    await page.click("#random-btn");
    // The page's first generated puzzle: the generator's maze for SEED, at the typed size.
    const maze = await text(page);
    assert.deepEqual(rows(maze).map((l) => l.length), Array(7).fill(9));
    assert.equal(maze, puzzles.randomPuzzle("maze", "easy", SEED, { rows: 7, cols: 9 }).text);
    assert.equal(await page.textContent("#puzzle-error"), "");

    await page.selectOption("#task-select", "arc");
    assert.equal(await page.isVisible("#arc-tools"), true);
    // Picking ARC loads an ARC model; its progress bar moves the grid, so let it finish first.
    assert.notEqual(await waitForState(page, ["loaded", "ready", "error"]), "error");
    await page.evaluate(() => window.trmApp.setPuzzle("arc", "110\n010\n001"));
    await page.click("#arc-palette .c5");
    await page.click("#tool-fill");
    assert.equal(await page.getAttribute("#tool-fill", "aria-pressed"), "true");
    await drag(page, [[0, 0]]);
    assert.equal(await text(page), "550\n050\n001\n");
    // Keys 0-9 pick the colour and paint at the cursor; F fills with it.
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("3");
    assert.equal(await text(page), "553\n050\n001\n");
    assert.equal(await page.getAttribute("#arc-palette .c3", "aria-checked"), "true");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("f");
    assert.equal(await text(page), "553\n053\n001\n");
    await page.click("#tool-paint");
    await drag(page, [[2, 0], [2, 1]]);
    assert.equal(await text(page), "553\n053\n331\n");
    await page.fill("#grid-rows", "2");
    await page.fill("#grid-cols", "4");
    await page.click("#resize-btn");
    assert.equal(await text(page), "5530\n0530\n");
    // Reset: back to the gallery's puzzle.
    await page.selectOption("#puzzle-select", "0");
    const original = await text(page);
    await page.focus("#input-canvas");
    await page.keyboard.press("7");
    if ((await text(page)) === original) await page.keyboard.press("8");
    assert.notEqual(await text(page), original);
    await page.click("#reset-btn");
    assert.equal(await text(page), original);
    assert.deepEqual(errors, [], dump(log, errors));
  } finally {
    await context.close();
  }
});

test("an edit mid-solve continues from the model's state; Think longer continues too", T, async () => {
  const { page, context, errors, log } = await freshPage("?backend=cpu&task=sudoku&model=sudoku-small");
  try {
    await waitForState(page, ["loaded"], 300_000);
    await page.fill("#opt-steps", "40");
    // Damage the puzzle from the page's own pass handler at step 3: a keystroke on the grid.
    await page.evaluate(() => {
      window.trm.addEventListener("pass", (ev) => {
        if (ev.detail.pass.step !== 3 || ev.detail.pass.inner || window.__edited) return;
        window.__edited = true;
        // The first given: clearing it is sure to change the puzzle.
        const first = document.getElementById("puzzle-text").value.replace(/\s/g, "").search(/[1-9]/);
        window.trmApp.state.editor.cursor = { row: Math.floor(first / 9), col: first % 9 };
        const canvas = document.getElementById("input-canvas");
        canvas.focus();
        canvas.dispatchEvent(new KeyboardEvent("keydown", { key: "Backspace", bubbles: true }));
      });
    });
    const before = await text(page);
    await page.click("#solve-btn");
    await page.waitForFunction(() => window.trmApp.state.run?.result && !window.trmApp.state.run.result.cancelled && document.body.dataset.state === "solved", null, { timeout: 300_000 });
    const run = await page.evaluate(() => {
      const r = window.trmApp.state.run;
      return { steps: r.passes.map((p) => p.step), edits: r.edits, result: r.result.steps, first: Array.from(r.passes[0].input), last: Array.from(r.passes.at(-1).input) };
    });
    assert.notEqual(await text(page), before, "the grid edit changed the puzzle");
    assert.equal(run.edits.length, 1);
    const at = run.edits[0].step;
    assert.ok(at >= 3 && at < 40, `edited after step ${at}`);
    // One timeline: steps 1..at on the old puzzle, then 16 more on the edited one, no restart.
    assert.deepEqual(run.steps, Array.from({ length: at + 16 }, (_, i) => i + 1));
    assert.equal(run.result, at + 16);
    assert.notDeepEqual(run.first, run.last, "the passes after the edit saw the edited puzzle");
    assert.equal(await page.textContent("#longer-btn"), "Think longer");
    await page.click("#longer-btn");
    await page.waitForFunction((n) => window.trmApp.state.run?.result?.steps === n && document.body.dataset.state === "solved", at + 32, { timeout: 300_000 });
    assert.equal(await page.evaluate(() => window.trmApp.state.run.passes.length), at + 32);
    // An edit after the solve: the button offers to continue on it.
    await page.focus("#input-canvas");
    const solved = await text(page);
    for (const key of ["1", "2"]) if ((await text(page)) === solved) await page.keyboard.press(key);
    assert.notEqual(await text(page), solved);
    assert.equal(await page.textContent("#longer-btn"), "Continue on the edited puzzle");
    assert.deepEqual(await errorTexts(page), []);
    assert.deepEqual(errors, [], dump(log, errors));
  } finally {
    await context.close();
  }
});

test("a dropped model file loads; ARC solves vote over the versions the model learned", T, async () => {
  const { page, context, errors, log } = await freshPage("?backend=cpu&task=arc&model=none");
  try {
    const bytes = readFileSync(ARC_MODEL).toString("base64");
    const hint = await page.evaluate(async (b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([data], "arc-small.safetensors"));
      const fire = (type) => document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      fire("dragenter");
      fire("dragover");
      const shown = !document.getElementById("drop-hint").hidden;
      fire("drop");
      return { shown, hidden: document.getElementById("drop-hint").hidden };
    }, bytes);
    assert.deepEqual(hint, { shown: true, hidden: true });
    await waitForState(page, ["loaded"], 300_000);
    assert.ok(ARC_CARD_SOLVED.length > 0, "www/models/arc-small.md lists the tasks solved at pass@2");
    assert.match(
      await page.textContent("#model-line"),
      new RegExp(`arc-small\\.safetensors \\(ARC, trained\\) · learned 10 of the gallery's tasks \\(listed first\\), solves ${ARC_CARD_SOLVED.length} of their held-out tests`),
    );
    // The tasks its card says it solves come first, and are marked so.
    const marked = await page.$$eval("#puzzle-select option", (os) => os.map((o) => o.textContent));
    const solvedMarks = marked.filter((t) => t.endsWith(" — learned by this model; solved in its held-out test"));
    assert.deepEqual(marked.slice(0, solvedMarks.length), solvedMarks, "listed first");
    assert.deepEqual(solvedMarks.map((t) => /[0-9a-f]{8}/.exec(t)?.[0]).sort(), [...ARC_CARD_SOLVED].sort());
    const names = await page.evaluate(() => window.trm.info.puzzleIdentifiers);
    const versions = names.filter((n) => n.split("|||")[0] === "6d0aefbc").length;
    assert.ok(versions > 1);
    const option = await page.$$eval("#puzzle-select option", (os) => os.find((o) => o.textContent.startsWith("6d0aefbc") || o.textContent.includes("6d0aefbc"))?.value);
    assert.ok(option != null, "the gallery lists the task");
    await page.selectOption("#puzzle-select", option);
    assert.match(await page.$eval(`#puzzle-select option[value="${option}"]`, (o) => o.textContent), /learned by this model/);
    await page.click("#solve-btn");
    assert.equal(await waitForState(page, ["solved", "error"], 300_000), "solved", dump(log, errors));
    const run = await page.evaluate(() => {
      const r = window.trmApp.state.run;
      return { rows: r.passes[0].haltProb.length, ids: r.vote?.puzzleIds.length };
    });
    assert.deepEqual(run, { rows: versions, ids: versions }, "one batch of every version");
    assert.equal(await page.isVisible("#votes-figure"), true);
    const caption = await page.textContent("#vote-caption");
    assert.match(caption, new RegExp(`Votes at step 16: ${versions} versions of 6d0aefbc`));
    // Its card: 6d0aefbc's held-out test output is among the top two voted answers.
    assert.match(caption, /✓ The answer is candidate [12]: right at pass@2/);
    assert.ok((await page.$$("#vote-list figure")).length >= 1);
    // Scrubbing back shows the vote at that step.
    await page.focus("#step-slider");
    await page.keyboard.press("Home");
    assert.match(await page.textContent("#vote-caption"), /Votes at step 1:/);
    // Without voting: one version, no vote shown.
    await page.uncheck("#opt-vote");
    await page.click("#solve-btn");
    assert.equal(await waitForState(page, ["solved", "error"], 300_000), "solved", dump(log, errors));
    assert.equal(await page.evaluate(() => window.trmApp.state.run.passes[0].haltProb.length), 1);
    assert.equal(await page.isVisible("#votes-figure"), false);
    assert.deepEqual(errors, [], dump(log, errors));
  } finally {
    await context.close();
  }
});

test("with the real runtime: a shared link restores the view, and the demo works offline after one visit", T, async () => {
  const own = await serveWww();
  let closed = false;
  const { page, context, errors, log } = await openPage(browser, null, { serviceWorkers: "allow" });
  try {
    await page.goto(`${own.url}?backend=cpu&model=sudoku-small`);
    assert.equal(await waitForState(page, ["loaded", "error"], 300_000), "loaded", dump(log, errors));
    await page.click("#solve-btn");
    assert.equal(await waitForState(page, ["solved", "error"], 300_000), "solved", dump(log, errors));
    // The trained model solves the gallery's first Sudoku, and says so.
    assert.match(await page.textContent("#verdict"), /✓ equals the answer/);
    await page.focus("#step-slider");
    await page.keyboard.press("Home");
    await page.keyboard.press("ArrowRight");
    const want = await page.evaluate(() => ({ view: window.trmApp.state.view, grid: document.getElementById("grid-text").textContent, key: window.trmApp.state.selectedEntry.key }));
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.click("#share-btn");
    await page.waitForFunction(() => /Link copied/.test(document.getElementById("share-status").textContent));
    const link = await page.evaluate(() => navigator.clipboard.readText());
    const other = await openPage(browser, link);
    try {
      await other.page.waitForFunction(() => window.trmApp?.state.run?.result && window.trmApp.state.view === 1, null, { timeout: 300_000 });
      const got = await other.page.evaluate(() => ({ view: window.trmApp.state.view, grid: document.getElementById("grid-text").textContent, key: window.trmApp.state.selectedEntry.key }));
      assert.deepEqual(got, want, "the same pass of the same puzzle, computed again");
    } finally {
      await other.context.close();
    }

    // Offline: one controlled visit, then the server goes away.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
    });
    await page.goto(`${own.url}?backend=cpu&model=sudoku-small`);
    assert.equal(await waitForState(page, ["loaded", "error"], 300_000), "loaded", dump(log, errors));
    await own.close();
    closed = true;
    await page.reload();
    assert.equal(await waitForState(page, ["loaded", "error"], 300_000), "loaded", dump(log, errors));
    assert.equal(await page.evaluate(() => window.trm.info.source), "cache");
    await page.click("#solve-btn");
    assert.equal(await waitForState(page, ["solved", "error"], 300_000), "solved", dump(log, errors));
    assert.match(await page.textContent("#verdict"), /✓ equals the answer/);
    // The loaded model's card says how it was trained, once: the picker's note on it is hidden
    // until another model is chosen there.
    assert.match(await page.textContent("#model-card"), /^Trained from scratch by trm train in .* Held-out exact accuracy after 16 steps: givens 45-52/);
    assert.equal(await page.isHidden("#model-about"), true);
    const another = await page.evaluate(() => [...document.querySelectorAll("#model-select option")].find((o) => o.value !== "" && !o.selected)?.value);
    await page.selectOption("#model-select", another);
    assert.equal(await page.isVisible("#model-about"), true);
    assert.deepEqual(errors, [], dump(log, errors));
  } finally {
    await context.close();
    if (!closed) await own.close();
  }
});

test("on a phone-sized screen nothing is wider than the screen, before and after a solve of each task", T, async () => {
  const { page, context, errors, log } = await openPage(browser, null, { viewport: { width: 360, height: 740 } });
  // The page's scroll width against the window's, and (to say why) the elements whose right edge
  // passes the window's, outside the step table's own scrolling box.
  const overflow = () =>
    page.evaluate(() => {
      const w = window.innerWidth;
      const wide = [...document.querySelectorAll("body *")]
        .filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > w + 0.5 && !el.closest(".table-scroll"))
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} (right edge ${Math.round(el.getBoundingClientRect().right)})`);
      return { scrollWidth: document.documentElement.scrollWidth, width: w, wide: wide.slice(0, 8) };
    });
  const fits = async (when) => {
    const o = await overflow();
    assert.ok(o.scrollWidth <= o.width && o.wide.length === 0, `${when}: the page is ${o.scrollWidth} px wide on a ${o.width} px screen: ${o.wide.join(", ")}`);
  };
  try {
    // The ARC solve votes over 64 versions: two steps are enough to lay out its figures.
    for (const [task, model, steps] of [["sudoku", "sudoku-small", 16], ["maze", "maze-tiny", 16], ["arc", "arc-small", 2]]) {
      await page.goto(`${srv.url}?backend=cpu&task=${task}&model=${model}&steps=${steps}`);
      assert.equal(await waitForState(page, ["loaded", "error"], 300_000), "loaded", dump(log, errors));
      await fits(`${task}, loaded`);
      await page.click("#solve-btn");
      assert.equal(await waitForState(page, ["solved", "error"], 300_000), "solved", dump(log, errors));
      await fits(`${task}, solved`);
    }
    assert.deepEqual(errors, [], dump(log, errors));
  } finally {
    await context.close();
  }
});
