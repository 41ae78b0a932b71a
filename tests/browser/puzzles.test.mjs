// pkg/puzzles.js: the Rust puzzle codecs (pkg/wasm/trm_tasks, built by scripts/build-web.sh) as the
// page uses them, run in Node. Expected values come from the Rust side: the gallery token
// hashes from tests/tasks_gallery.rs.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, WWW, FIXTURES_DIR } from "./helpers.mjs";
import { TASKS, loadPuzzles, taskOf, encodePuzzle, puzzleText, sudokuConflicts, galleryEntries, randomPuzzle, LEVELS } from "../../pkg/puzzles.js";

const WASM = path.join(ROOT, "pkg", "wasm", "trm_tasks_bg.wasm");
const SUDOKU = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79";
const sha = (tokens) => createHash("sha256").update(Uint8Array.from(tokens)).digest("hex");

before(async () => {
  assert.ok(existsSync(WASM), `${WASM} is missing: run scripts/build-web.sh first`);
  await loadPuzzles(readFileSync(WASM));
});

test("the task table and taskOf come from Rust", () => {
  assert.deepEqual(Object.keys(TASKS), ["sudoku", "maze", "arc"]);
  assert.deepEqual(TASKS.sudoku, { id: "sudoku", name: "Sudoku", seqLen: 81, vocab: 11 });
  assert.equal(taskOf({ seq_len: 81, vocab_size: 11 }), "sudoku");
  assert.equal(taskOf({ seq_len: 900, vocab_size: 6 }), "maze");
  assert.equal(taskOf({ seq_len: 100, vocab_size: 6 }), "maze", "a small square maze canvas");
  assert.equal(taskOf({ seq_len: 900, vocab_size: 12 }), "arc");
  assert.equal(taskOf({ seq_len: 10, vocab_size: 12 }), null);
  assert.equal(taskOf(null), null);
});

test("every gallery entry encodes to the tokens Rust encodes", () => {
  const want = JSON.parse(readFileSync(path.join(FIXTURES_DIR, "gallery-tokens.json"), "utf8"));
  const seen = new Set();
  for (const task of Object.keys(TASKS)) {
    const entries = galleryEntries(task, readFileSync(path.join(WWW, "data", `${task}-gallery.json`), "utf8"));
    assert.ok(entries.length >= 20, `${task}: ${entries.length} entries`);
    for (const e of entries) {
      const key = `${task}:${e.id}${e.test ? `#${e.test + 1}` : ""}`;
      const enc = encodePuzzle(task, e.text);
      assert.equal(enc.tokens.length, TASKS[task].seqLen);
      assert.equal(sha(enc.tokens), want[key], key);
      assert.ok(e.solution, `${key} has its answer`);
      if (task === "arc") assert.ok(e.train.length > 0, `${key} has demonstrations`);
      seen.add(key);
    }
  }
  assert.deepEqual([...seen].sort(), Object.keys(want).sort(), "the page lists exactly the fixture's entries");
});

test("puzzle text in several forms; errors say what is wrong", () => {
  const { tokens, rows, cols } = encodePuzzle("sudoku", SUDOKU);
  assert.ok(tokens instanceof Uint32Array);
  assert.equal(tokens[0], 6, "digit 5 -> token 6");
  assert.equal(tokens[2], 1, "blank -> token 1");
  assert.deepEqual([rows, cols], [9, 9]);
  assert.equal(puzzleText("sudoku", tokens).replace(/\n/g, ""), SUDOKU);
  const boxed = SUDOKU.match(/.{9}/g).map((r) => `${r.slice(0, 3)} | ${r.slice(3, 6)} | ${r.slice(6)}`).join("\n");
  assert.deepEqual(encodePuzzle("sudoku", boxed).tokens, tokens);
  assert.throws(() => encodePuzzle("sudoku", "123"), /expected 81 cells, found 3/);
  assert.throws(() => encodePuzzle("sudoku", SUDOKU.slice(0, 80) + "a"), /unexpected character 'a'/);
  assert.throws(() => encodePuzzle("chess", SUDOKU), /unknown task "chess"/);

  const maze = encodePuzzle("maze", "S #\n  #\n# G\n");
  assert.deepEqual([maze.rows, maze.cols, maze.side, maze.tokens.length], [3, 3, 30, 900]);
  assert.equal(maze.tokens[3], 1, "outside a small maze is wall");
  assert.equal(puzzleText("maze", maze.tokens, 3, 3), "S #\n  #\n# G\n");
  assert.deepEqual(encodePuzzle("maze", "S #\n  #\n# G\n", 100).tokens.length, 100, "on a model's smaller canvas");
  assert.deepEqual(encodePuzzle("maze", "S  \n   \n").notes, ["a maze needs one goal 'G'; this one has 0"]);
  assert.throws(() => encodePuzzle("maze", "S X\n  G\n"), /unexpected character 'X'/);

  const arc = encodePuzzle("arc", "0 1 2\n3 4 5");
  assert.deepEqual(arc.tokens.slice(0, 4), Uint32Array.from([2, 3, 4, 1]), "colours + 2, EOS right of the grid");
  assert.deepEqual(encodePuzzle("arc", "[[0,1,2],[3,4,5]]").tokens, arc.tokens);
  assert.equal(puzzleText("arc", arc.tokens), "012\n345\n");
  assert.throws(() => encodePuzzle("arc", "01\n2"), /row 2 has 1 cells, row 1 has 2/);
  assert.throws(() => galleryEntries("maze", '{"puzzles": []}'), /not a maze gallery/);
});

test("predictions with any tokens render and score", () => {
  const t = new Uint32Array(81).fill(1);
  t[0] = 0;
  t[1] = 5;
  t[2] = 5;
  t[3] = 4000;
  assert.deepEqual([...sudokuConflicts(t)].sort((a, b) => a - b), [1, 2]);
  assert.ok(puzzleText("sudoku", t).startsWith("?44?"));
  assert.equal(puzzleText("arc", new Uint32Array(900)), "(no grid: the top-left cell is not a colour)\n");
});

test("random puzzles: reproducible by seed, valid, every level", () => {
  for (const level of LEVELS.sudoku) {
    const t0 = performance.now();
    const g = randomPuzzle("sudoku", level, 7);
    const ms = performance.now() - t0;
    console.log(`random ${level} Sudoku: ${ms.toFixed(0)} ms (${g.difficulty})`);
    assert.equal(g.difficulty, level);
    assert.deepEqual(randomPuzzle("sudoku", level, 7), g);
    const puzzle = encodePuzzle("sudoku", g.text).tokens;
    const solution = encodePuzzle("sudoku", g.solution).tokens;
    assert.ok(puzzle.every((v, i) => v === 1 || v === solution[i]), "the solution keeps the givens");
    assert.equal(sudokuConflicts(solution).size, 0);
  }
  for (const level of LEVELS.maze) {
    const g = randomPuzzle("maze", level, 7);
    const enc = encodePuzzle("maze", g.text);
    assert.deepEqual(enc.notes, [], `${level}: one start, one goal`);
    assert.ok(encodePuzzle("maze", g.solution).tokens.includes(5), `${level}: the solution marks a path`);
  }
  assert.notDeepEqual(randomPuzzle("maze", "easy", 1), randomPuzzle("maze", "easy", 2));
  // A model's smaller canvas caps the level's size.
  const small = randomPuzzle("maze", "hard", 7, { maxSide: 7 });
  assert.deepEqual(small.text.split("\n").filter(Boolean).map((l) => l.length), Array(7).fill(7));
  assert.throws(() => randomPuzzle("arc", "easy"), /no generator for ARC/);
  assert.throws(() => randomPuzzle("sudoku", "trivial"), /unknown difficulty "trivial"/);
});
