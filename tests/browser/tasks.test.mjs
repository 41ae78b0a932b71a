// www/tasks.js: puzzle <-> token mapping. Pure functions, run in Node.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  parseSudoku,
  sudokuText,
  sudokuConflicts,
  parseMaze,
  mazeText,
  sampleMaze,
  parseArcGrid,
  arcGridToTokens,
  arcTokensToGrid,
  parseArc,
  taskOfConfig,
  normalizeGallery,
  checkTokens,
  samplePuzzle,
  PuzzleError,
} from "../../www/tasks.js";

const SUDOKU = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79";

test("sudoku: digits d -> d+1, blanks -> 1, round trip through text", () => {
  const { tokens } = parseSudoku(SUDOKU);
  assert.equal(tokens.length, 81);
  assert.equal(tokens[0], 6); // 5
  assert.equal(tokens[1], 4); // 3
  assert.equal(tokens[2], 1); // blank
  assert.equal(sudokuText(tokens).replace(/\n/g, ""), SUDOKU);
  const pretty = "5 3 . | . 7 . | . . .\n6 . . | 1 9 5 | . . .\n. 9 8 | . . . | . 6 .\n------+-------+------\n8 . . | . 6 . | . . 3\n4 . . | 8 . 3 | . . 1\n7 . . | . 2 . | . . 6\n------+-------+------\n. 6 . | . . . | 2 8 .\n. . . | 4 1 9 | . . 5\n. . . | . 8 . | . 7 9";
  assert.deepEqual(parseSudoku(pretty).tokens, tokens);
  assert.deepEqual(parseSudoku(SUDOKU.replace(/\./g, "0")).tokens, tokens);
  const grid = JSON.stringify(Array.from({ length: 9 }, (_, r) => [...SUDOKU.slice(r * 9, r * 9 + 9)].map((c) => (c === "." ? 0 : Number(c)))));
  assert.deepEqual(parseSudoku(grid).tokens, tokens);
  assert.throws(() => parseSudoku("123"), /81 cells; this one has 3/);
  assert.throws(() => parseSudoku(SUDOKU.slice(0, 80) + "a"), PuzzleError);
  assert.throws(() => parseSudoku(""), /empty/);
});

test("sudoku conflicts", () => {
  const t = new Uint32Array(81).fill(1);
  t[0] = 6;
  t[8] = 6; // same row
  t[40] = 6; // different row, column and box
  assert.deepEqual([...sudokuConflicts(t)].sort((a, b) => a - b), [0, 8]);
});

test("maze: '#'1 ' '2 S3 G4 o5, 30x30, padding of short rows", () => {
  const text = sampleMaze(3);
  const { tokens, notes } = parseMaze(text);
  assert.equal(tokens.length, 900);
  assert.deepEqual(notes, []);
  assert.equal(tokens[0], 1);
  assert.equal(tokens[31], 3); // S at (1,1)
  assert.equal(tokens[27 * 30 + 27], 4); // G
  assert.equal(mazeText(tokens), text);
  const short = text.split("\n").map((l) => l.replace(/ +$/, "")).join("\n");
  assert.deepEqual(parseMaze(short).tokens, tokens);
  assert.deepEqual(parseMaze(text.replace(/\n/g, "")).tokens, tokens, "a single 900-char line works");
  assert.throws(() => parseMaze("#S G#"), /30 rows/);
  assert.throws(() => parseMaze(text.replace("S", "X")), /Unexpected character 'X'/);
  assert.equal(parseMaze(text.replace("o", "o").replace(" ", "o")).tokens.includes(5), true);
});

test("ARC: colour c -> c+2 at the top-left, EOS row below and EOS column right", () => {
  const grid = [
    [0, 1, 2],
    [3, 4, 5],
  ];
  const t = arcGridToTokens(grid);
  assert.equal(t.length, 900);
  assert.deepEqual([t[0], t[1], t[2], t[30], t[31], t[32]], [2, 3, 4, 5, 6, 7]);
  assert.equal(t[3], 1, "EOS right of row 0");
  assert.equal(t[33], 1, "EOS right of row 1");
  assert.deepEqual([t[60], t[61], t[62]], [1, 1, 1], "EOS row below");
  assert.equal(t[63], 0, "the corner stays PAD");
  assert.equal(t.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0), 6 + 2 + 3);
  assert.deepEqual(arcTokensToGrid(t), grid);
  const full = Array.from({ length: 30 }, () => new Array(30).fill(9));
  const tf = arcGridToTokens(full);
  assert.ok(tf.every((v) => v === 11), "a 30x30 grid has no EOS");
  assert.deepEqual(arcTokensToGrid(tf), full);
  assert.deepEqual(parseArcGrid("012\n345"), [[0, 1, 2], [3, 4, 5]]);
  assert.deepEqual(parseArcGrid("0 1 2\n3 4 5"), [[0, 1, 2], [3, 4, 5]]);
  assert.deepEqual(parseArc("[[0,1,2],[3,4,5]]").tokens, t);
  assert.throws(() => parseArcGrid("01\n2"), /row 2 has 1/);
  assert.throws(() => parseArcGrid("0a"), /Unexpected 'a'/);
  assert.throws(() => arcGridToTokens([[10]]), /colours are 0-9/);
  assert.deepEqual(arcTokensToGrid(new Uint32Array(900)), [], "no colour at the top-left: empty crop");
});

test("taskOfConfig, checkTokens, samples", () => {
  assert.equal(taskOfConfig({ seq_len: 81, vocab_size: 11 }), "sudoku");
  assert.equal(taskOfConfig({ seq_len: 900, vocab_size: 6 }), "maze");
  assert.equal(taskOfConfig({ seq_len: 900, vocab_size: 12 }), "arc");
  assert.equal(taskOfConfig({ seq_len: 10, vocab_size: 12 }), null);
  assert.equal(checkTokens(new Uint32Array(162).fill(1), { seq_len: 81, vocab_size: 11 }), null);
  assert.match(checkTokens(new Uint32Array(80), { seq_len: 81, vocab_size: 11 }), /multiple of 81/);
  assert.match(checkTokens(new Uint32Array(81).fill(11), { seq_len: 81, vocab_size: 11 }), /outside the model's vocabulary/);
  for (const task of ["sudoku", "maze", "arc"]) assert.ok(samplePuzzle(task).tokens.length > 0);
});

test("galleries of several shapes normalise; bad entries are skipped", () => {
  const digits = SUDOKU.replace(/\./g, "0");
  const { entries, skipped } = normalizeGallery("sudoku", {
    puzzles: [
      SUDOKU,
      { name: "easy", puzzle: digits, solution: "x", difficulty: 1.5 },
      { question: [...digits].map(Number) },
      { tokens: Array.from(parseSudoku(SUDOKU).tokens) },
      { puzzle: "bad" },
      42,
    ],
  });
  assert.equal(entries.length, 4);
  assert.equal(skipped, 2);
  for (const e of entries) assert.deepEqual(e.tokens, parseSudoku(SUDOKU).tokens, e.name);
  assert.equal(entries[1].name, "easy");
  assert.equal(entries[1].solution, null);
  const arc = normalizeGallery("arc", [
    { name: "t1", test: [{ input: [[1, 2]], output: [[2, 1]] }], puzzle_id: 3 },
    { grid: "12\n34", identifier: "abc|||t0|||0" },
  ]);
  assert.equal(arc.entries.length, 2);
  assert.equal(arc.entries[0].puzzleId, 3);
  assert.deepEqual(arc.entries[0].solution, arcGridToTokens([[2, 1]]));
  assert.equal(arc.entries[1].puzzleName, "abc|||t0|||0");
  assert.equal(normalizeGallery("maze", { nothing: 1 }).entries.length, 0);
});
