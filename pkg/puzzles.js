// The puzzle codecs: the Rust ones (src/tasks, bound in src/web/puzzles.rs) compiled to the
// small wasm/trm_tasks module, so the page, the CLI and the trainer share one
// implementation. It loads before the model runtime, so puzzles can be parsed, checked,
// generated and drawn while the model downloads. Call `loadPuzzles()` before anything else here.

import init, * as codec from "./wasm/trm_tasks.js";

/** id -> { id, name, seqLen, vocab }: the reference layout of each task. Filled by loadPuzzles. */
export let TASKS = {};

/** Loads the codec module; `source` (bytes or a URL) is for Node, the page passes nothing. */
export async function loadPuzzles(source) {
  await init(source === undefined ? undefined : { module_or_path: source });
  TASKS = Object.fromEntries(codec.taskTable().map((t) => [t.id, t]));
  return TASKS;
}

/** The task a model config reads ("sudoku", "maze", "arc"), or null. */
export function taskOf(cfg) {
  return cfg?.seq_len && cfg?.vocab_size ? (codec.taskOf(cfg.seq_len, cfg.vocab_size) ?? null) : null;
}

/**
 * Puzzle text -> { task, tokens: Uint32Array, rows, cols, side, notes } for a model reading
 * `seqLen` tokens (default: the task's reference layout). Throws an Error saying what is wrong.
 */
export function encodePuzzle(task, text, seqLen = TASKS[task]?.seqLen, testIndex = 0) {
  const e = codec.encodePuzzle(task, String(text ?? ""), seqLen, testIndex);
  return { ...e, tokens: Uint32Array.from(e.tokens) };
}

/** The text of a token canvas (an input or a prediction), cropped to rows x cols. */
export function puzzleText(task, tokens, rows = 30, cols = 30) {
  return codec.renderPuzzle(task, Uint32Array.from(tokens), rows, cols);
}

/** Sudoku cells (0..80) that repeat a digit in their row, column or box. */
export function sudokuConflicts(tokens) {
  return new Set(codec.sudokuConflicts(Uint32Array.from(tokens)));
}

/**
 * What can be said of a prediction: { correct (null without an answer), valid (the task's rules:
 * null for ARC), summary }. `answer` is the answer's text when known.
 */
export function judge(task, input, prediction, rows, cols, answer = null) {
  return codec.verdict(task, Uint32Array.from(input), Uint32Array.from(prediction), rows, cols, answer ?? undefined);
}

/**
 * The puzzle text with one edit applied, in the codec's layout: { op: "set", row, col, symbol },
 * { op: "fill", row, col, symbol } (ARC flood fill) or { op: "resize", rows, cols } (maze, ARC).
 * Symbols as in the text: Sudoku 1-9 or ".", maze "#", " ", "S", "G", ARC colours 0-9.
 * Throws an Error saying what is wrong.
 */
export function editPuzzle(task, text, edit) {
  return codec.editPuzzle(task, String(text ?? ""), edit);
}

/** The symbol at row, col of the puzzle text. */
export function puzzleCell(task, text, row, col) {
  return codec.puzzleCell(task, String(text ?? ""), row, col);
}

/**
 * ARC: the versions of task `id` a model learned (its puzzle identifiers `names` called `id` or
 * `id|||…`, the original first), with the test input under each version's augmentation, as one
 * batch: { puzzleIds, tokens: Uint32Array }. No ids when the model knows none.
 */
export function arcVersions(names, id, inputText, seqLen) {
  const v = codec.arcVersions(names, id, inputText, seqLen);
  return { puzzleIds: v.puzzleIds, tokens: Uint32Array.from(v.tokens) };
}

/**
 * ARC: the reference's vote over one batch of versions — each prediction mapped back to the
 * original frame — as [{ text, votes, confidence }], best first.
 */
export function arcVote(names, puzzleIds, inputText, predictions, haltProbs) {
  return codec.arcVote(names, Uint32Array.from(puzzleIds), inputText, Uint32Array.from(predictions), Float32Array.from(haltProbs));
}

/**
 * Maze: the 8 rotations and mirrors of a maze's model canvas `tokens`, the maze itself first,
 * as one batch: 8 canvases in a Uint32Array.
 */
export function mazeVersions(tokens) {
  return Uint32Array.from(codec.mazeVersions(Uint32Array.from(tokens)));
}

/**
 * Maze: the vote over one batch of `mazeVersions` — each prediction turned back to the maze's
 * frame — as [{ tokens, votes }] on the maze's canvas, best first (ties: the more confident).
 */
export function mazeVote(tokens, predictions, confidence) {
  return codec.mazeVote(Uint32Array.from(tokens), Uint32Array.from(predictions), Float32Array.from(confidence));
}

/** The entries of a gallery file's text: [{ id, test, name, text, solution, train }]. */
export function galleryEntries(task, json) {
  return codec.galleryEntries(task, json);
}

/**
 * A new puzzle with a unique answer: { text, solution, difficulty }. Mazes are of the level's
 * size unless `size` ({ rows, cols }, 2-30 each) says otherwise; `size: { maxSide }` keeps the
 * level's size within a model's smaller canvas.
 */
export function randomPuzzle(task, level, seed = crypto.getRandomValues(new Uint32Array(1))[0], size = undefined) {
  if (task === "sudoku") return codec.randomSudoku(seed, level);
  if (task === "maze") {
    const { side: levelSide, hardness } = MAZE_LEVELS[level] ?? MAZE_LEVELS.medium;
    const side = Math.min(levelSide, size?.maxSide ?? levelSide);
    return codec.randomMaze(seed, size?.rows ?? side, size?.cols ?? side, hardness);
  }
  throw new Error(`There is no generator for ${TASKS[task]?.name ?? task} puzzles: pick one from the gallery.`);
}

/** The levels "random puzzle" offers per task (Sudoku's are the grader's grades). */
export const LEVELS = {
  sudoku: ["easy", "medium", "hard", "expert", "extreme"],
  maze: ["easy", "medium", "hard", "expert"],
};
const MAZE_LEVELS = {
  easy: { side: 10, hardness: 0.25 },
  medium: { side: 15, hardness: 0.5 },
  hard: { side: 20, hardness: 0.75 },
  expert: { side: 30, hardness: 1 },
};
