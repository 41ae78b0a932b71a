// pkg/*.d.ts: a usage example type-checks against the declarations (tsc --noEmit), and every
// name the declarations promise is exported by the JavaScript.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./helpers.mjs";

test("the package's TypeScript declarations compile against a usage example", () => {
  const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
  assert.ok(existsSync(tsc), "typescript is missing: run npm install");
  const r = spawnSync(process.execPath, [tsc, "-p", path.join(ROOT, "tests", "types")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("every declared export exists in the JavaScript", async () => {
  for (const [dts, js] of [["trm-client.d.ts", "trm-client.js"], ["puzzles.d.ts", "puzzles.js"]]) {
    const declared = [...readFileSync(path.join(ROOT, "pkg", dts), "utf8").matchAll(/^export declare (?:const|let|function|class) (\w+)/gm)].map((m) => m[1]);
    const source = readFileSync(path.join(ROOT, "pkg", js), "utf8");
    for (const name of declared) assert.match(source, new RegExp(`^export (?:const|let|function|async function|class) ${name}\\b`, "m"), `${js} exports ${name}`);
  }
});

test("the demo's copy of the package (www/pkg) is the package", () => {
  for (const f of ["trm-client.js", "worker.js", "puzzles.js", "trm-client.d.ts", "puzzles.d.ts", "package.json"]) {
    const copy = path.join(ROOT, "www", "pkg", f);
    assert.ok(existsSync(copy), `www/pkg/${f} is missing: run scripts/build-web.sh`);
    assert.equal(readFileSync(copy, "utf8"), readFileSync(path.join(ROOT, "pkg", f), "utf8"), `www/pkg/${f} is stale: run scripts/build-web.sh`);
  }
});
