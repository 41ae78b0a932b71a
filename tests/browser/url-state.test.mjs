// www/url-state.js in Node: the page's URL parameters, parsed defensively.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readParams, viewHash } from "../../www/url-state.js";

const BASE = "https://example.org/trm/";

test("valid parameters are read", () => {
  const p = readParams("?backend=CPU&model=sudoku-small&task=Maze&puzzle=easy-1&steps=8&inner=1&halt=yes&autosolve=on&sw=0&seed=4294967295", BASE);
  assert.deepEqual(
    { ...p, notices: p.notices.length },
    { backend: "cpu", model: "sudoku-small", task: "maze", puzzle: "easy-1", text: null, puzzleId: null, steps: 8, step: null, inner: true, halt: true, vote: true, autosolve: true, embed: false, sw: false, seed: 4294967295, notices: 0 },
  );
  assert.equal(readParams("?model=preset:sudoku-mlp", BASE).model, "preset:sudoku-mlp");
  assert.equal(readParams("?model=models/x.safetensors", BASE).model, "models/x.safetensors");
  assert.equal(readParams("?model=none", BASE).model, "none");
  assert.equal(readParams("", BASE).seed, null, "without a seed, New puzzles are drawn at random");
  assert.equal(readParams("?seed=0", BASE).seed, 0);
});

test("anything else is ignored with a notice, never an error", () => {
  const p = readParams(`?backend=tpu&model=https://evil.example/x.safetensors&steps=0&puzzle=${"x".repeat(300)}`, BASE);
  assert.equal(p.backend, "auto");
  assert.equal(p.model, null);
  assert.equal(p.steps, null);
  assert.equal(p.puzzle, null);
  assert.equal(p.notices.length, 4, p.notices.join("\n"));
  assert.ok(p.notices.some((n) => /only models from this site/.test(n)));
  for (const junk of [null, undefined, 42, "%%%", "?steps=1e9&steps=-1", "?model=javascript:alert(1)"]) {
    assert.doesNotThrow(() => readParams(junk, BASE));
  }
  assert.equal(readParams("?model=javascript:alert(1)", BASE).model, null);
  for (const seed of ["-1", "1.5", "4294967296", "x"]) {
    const q = readParams(`?seed=${seed}`, BASE);
    assert.deepEqual([q.seed, q.notices.length], [null, 1], `seed=${seed}`);
  }
});

test("the fragment holds a view; it wins over the query; a written view reads back", () => {
  const text = "S  \n## \n  G\n";
  const hash = viewHash({ task: "maze", text, model: "maze-small", step: 5, embed: true, solve: true });
  const p = readParams("?task=sudoku&model=other", BASE, hash);
  assert.deepEqual([p.task, p.text, p.model, p.step, p.embed, p.autosolve, p.puzzle], ["maze", text, "maze-small", 5, true, true, null]);
  assert.equal(readParams("", BASE, viewHash({ task: "sudoku", puzzle: "easy-3", text })).text, null, "a gallery id rather than its text");
  assert.equal(readParams("", BASE, `#text=${"x".repeat(2001)}`).notices.length, 1);
  // The solve's settings and an own ARC grid's identifier travel with the view.
  const arc = viewHash({ task: "arc", text: "12\n34", puzzleId: 7, steps: 8, inner: true, halt: true, vote: false, step: 3 });
  const q = readParams("", BASE, arc);
  assert.deepEqual([q.text, q.puzzleId, q.steps, q.inner, q.halt, q.vote, q.step], ["12\n34", 7, 8, true, true, false, 3]);
  assert.equal(readParams("", BASE, viewHash({ task: "arc", puzzle: "arc:x", puzzleId: 7 })).puzzleId, null, "a gallery task has its own");
  assert.equal(readParams("", BASE, viewHash({ task: "sudoku" })).vote, true);
  assert.equal(readParams("", BASE, "#id=-1").puzzleId, null);
  assert.equal(readParams("", BASE, "#step=-2").step, null);
});
