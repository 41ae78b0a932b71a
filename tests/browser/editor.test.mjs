// www/editor.js in Node: which cell a pointer is on, what a stroke or a key does, and the edits
// themselves through the Rust codec (editPuzzle, as the page's copy of pkg/ loads it).

import { test, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { WWW } from "./helpers.mjs";
import { loadPuzzles, editPuzzle, puzzleCell, arcVersions, arcVote, mazeVersions, mazeVote, encodePuzzle, puzzleText } from "../../www/pkg/puzzles.js";
import { cellAt, strokeFor, keyEdit, describeCell } from "../../www/editor.js";

const WASM = path.join(WWW, "pkg", "wasm", "trm_tasks_bg.wasm");

before(async () => {
  assert.ok(existsSync(WASM), `${WASM} is missing: run scripts/build-web.sh first`);
  await loadPuzzles(readFileSync(WASM));
});

test("a pointer maps to the cell under it, clamped to the grid", () => {
  const rect = { left: 10, top: 20, width: 300, height: 150 };
  assert.deepEqual(cellAt(10, 20, rect, 5, 10), { row: 0, col: 0 });
  assert.deepEqual(cellAt(309, 169, rect, 5, 10), { row: 4, col: 9 });
  assert.deepEqual(cellAt(40, 50, rect, 5, 10), { row: 1, col: 1 });
  assert.deepEqual(cellAt(-100, 999, rect, 5, 10), { row: 4, col: 0 });
});

test("strokes: a maze stroke opens walls, draws walls or moves S and G; ARC paints or fills", () => {
  assert.deepEqual(strokeFor("maze", "#"), { op: "set", symbol: " " });
  assert.deepEqual(strokeFor("maze", " "), { op: "set", symbol: "#" });
  assert.deepEqual(strokeFor("maze", "S"), { op: "set", symbol: "S", move: true });
  assert.deepEqual(strokeFor("arc", "0", { colour: 4 }), { op: "set", symbol: "4" });
  assert.deepEqual(strokeFor("arc", "0", { colour: 4, tool: "fill" }), { op: "fill", symbol: "4" });
  assert.equal(strokeFor("sudoku", "5"), null);
});

test("keys: Sudoku digits, maze cells, ARC colours, fill", () => {
  assert.deepEqual(keyEdit("sudoku", "7"), { op: "set", symbol: "7" });
  assert.deepEqual(keyEdit("sudoku", "Backspace"), { op: "set", symbol: "." });
  assert.equal(keyEdit("sudoku", "a"), null);
  assert.deepEqual(keyEdit("maze", "w"), { op: "set", symbol: "#" });
  assert.deepEqual(keyEdit("maze", "g"), { op: "set", symbol: "G" });
  assert.equal(keyEdit("maze", "o"), null, "the path is the model's");
  assert.deepEqual(keyEdit("arc", "3"), { op: "set", symbol: "3", colour: 3 });
  assert.deepEqual(keyEdit("arc", "Enter", { colour: 6 }), { op: "set", symbol: "6" });
  assert.deepEqual(keyEdit("arc", "f", { colour: 2 }), { op: "fill", symbol: "2" });
  assert.match(describeCell("arc", "3", 0, 1), /Row 1, column 2: colour 3 \(green\)/);
  assert.match(describeCell("maze", "#", 2, 2), /Row 3, column 3: wall/);
});

test("edits go through the Rust codec and errors say what is wrong", () => {
  const maze = "#####\n#S  #\n# # #\n#  G#\n#####\n";
  assert.equal(editPuzzle("maze", maze, { op: "set", row: 3, col: 1, symbol: "S" }), "#####\n#   #\n# # #\n#S G#\n#####\n");
  assert.equal(puzzleCell("maze", maze, 1, 1), "S");
  assert.equal(editPuzzle("arc", "110\n010\n001", { op: "fill", row: 0, col: 0, symbol: "5" }), "550\n050\n001\n");
  assert.equal(editPuzzle("arc", "12\n34", { op: "resize", rows: 1, cols: 3 }), "120\n");
  assert.throws(() => editPuzzle("maze", maze, { op: "fill", row: 0, col: 0, symbol: "#" }), /flood fill is not an edit of a Maze puzzle/);
  assert.throws(() => editPuzzle("arc", "12", { op: "paint", row: 0, col: 0 }), /not an edit/);
  assert.throws(() => editPuzzle("sudoku", ".".repeat(81), { op: "set", row: 9, col: 0, symbol: "1" }), /row 10/);
});

test("ARC votes: the versions of a task as one batch, and their vote in the original frame", () => {
  const names = ["<blank>", "t1|||t2|||0213456789", "t1", "t2"];
  const v = arcVersions(names, "t1", "12\n00", 9);
  assert.deepEqual(v.puzzleIds, [2, 1], "the original version first");
  assert.equal(v.tokens.length, 18);
  // Version 1 is the half turn with colours 1 and 2 swapped: "3\n4" there reads "4\n3" back.
  const canvas = (rows) => {
    const t = new Uint32Array(9);
    rows.forEach((row, r) => [...row].forEach((d, c) => (t[r * 3 + c] = Number(d) + 2)));
    return t;
  };
  const both = [...canvas(["3", "4"]), ...canvas(["4", "3"])];
  assert.deepEqual(arcVote(names, v.puzzleIds, "12\n00", both, [0.5, 1]), [{ text: "3\n4\n", votes: 2, confidence: 0.75 }]);
  assert.throws(() => arcVote(names, [2, 3], "12\n00", both, [0.5, 1]), /two tasks/);
});

test("maze votes: 8 rotations and mirrors as one batch, answers turned back to the maze's frame", () => {
  const maze = encodePuzzle("maze", "#####\n#S  #\n### #\n#G  #\n#####\n", 49);
  const solved = encodePuzzle("maze", "#####\n#Soo#\n###o#\n#Goo#\n#####\n", 49);
  const versions = mazeVersions(maze.tokens);
  assert.equal(versions.length, 8 * 49);
  assert.deepEqual(Array.from(versions.slice(0, 49)), Array.from(maze.tokens), "the maze itself first");
  // Every version answered with its own turn of the solution: one candidate, 8 votes.
  const answers = mazeVersions(solved.tokens);
  const ballots = mazeVote(maze.tokens, answers, new Float32Array(8 * 49).fill(0.9));
  assert.equal(ballots.length, 1);
  assert.equal(ballots[0].votes, 8);
  assert.equal(puzzleText("maze", ballots[0].tokens, 5, 5), puzzleText("maze", solved.tokens, 5, 5));
  assert.throws(() => mazeVote(maze.tokens, answers.slice(0, 49), new Float32Array(49)), /8 versions/);
  assert.throws(() => mazeVersions(new Uint32Array(48)), /not a square/);
});
