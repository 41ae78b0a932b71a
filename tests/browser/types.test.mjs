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

// A wasm module whose code never calls the linker's __wasm_call_ctors is linked "command-style":
// every export runs all static constructors first (burn registers kernels with `inventory`), and
// the thousands of JS→wasm calls of one streamed pass re-ran them (a 64-version ARC pass took
// 7 s instead of 1.4 s). src/web calls it once at start; the build keeps the function names
// (`--no-opt`, as the tests build it), where the linker's wrappers would show.
test("the wasm modules are linked reactor-style: no export re-runs the constructors", () => {
  for (const name of ["trm_bg.wasm", "trm_cpu_bg.wasm", "trm_cpu_mt_bg.wasm", "trm_tasks_bg.wasm"]) {
    const file = path.join(ROOT, "pkg", "wasm", name);
    assert.ok(existsSync(file), `pkg/wasm/${name} is missing: run scripts/build-web.sh --no-opt`);
    const names = WebAssembly.Module.customSections(new WebAssembly.Module(readFileSync(file)), "name");
    assert.equal(names.length, 1, `${name} has no name section (built with wasm-opt?): build with --no-opt to check`);
    assert.ok(!Buffer.from(names[0]).includes("command_export"), `${name} wraps its exports in __wasm_call_ctors`);
  }
});
