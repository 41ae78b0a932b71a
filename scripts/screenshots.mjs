#!/usr/bin/env node
// Screenshots of the demo at phone and desktop widths, with the real runtime (www/pkg must be
// built): the first screen, then after a solve of each task's default puzzle.
//   node scripts/screenshots.mjs [OUT_DIR]      (default: screenshots/)
// Uses Debian's Chromium through playwright-core, like the browser tests.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { launchBrowser, serveWww, waitForState } from "../tests/browser/helpers.mjs";

const out = path.resolve(process.argv[2] ?? "screenshots");
mkdirSync(out, { recursive: true });
const srv = await serveWww();
const browser = await launchBrowser();
const sizes = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } };
try {
  for (const [name, viewport] of Object.entries(sizes)) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1, serviceWorkers: "block" });
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(`${srv.url}?backend=cpu`);
    await waitForState(page, ["loaded", "error"], 300_000);
    console.log(`${name}: loaded in ${Date.now() - t0} ms`);
    await page.screenshot({ path: path.join(out, `${name}-first.png`) });
    for (const task of ["sudoku", "maze", "arc"]) {
      if (task !== "sudoku") {
        await page.selectOption("#task-select", task);
        await page.waitForFunction((t) => window.trm.info?.task === t && document.body.dataset.state === "loaded", task, { timeout: 300_000 });
      }
      await page.click("#solve-btn");
      await waitForState(page, ["solved", "error"], 600_000);
      await page.screenshot({ path: path.join(out, `${name}-${task}-solved.png`), fullPage: true });
      console.log(`${name}: ${task} solved, ${await page.textContent("#solve-summary")}; verdict: ${await page.textContent("#verdict")}`);
      if (task === "arc") console.log(`${name}: ${await page.textContent("#vote-caption")}`);
    }
    await context.close();
  }
} finally {
  await browser.close();
  await srv.close();
}
