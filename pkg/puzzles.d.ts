// Types of puzzles.js: the Rust puzzle codecs (wasm/trm_tasks) for Sudoku, mazes and ARC.

export type Task = "sudoku" | "maze" | "arc";

export interface TaskRow {
  id: Task;
  name: string;
  seqLen: number;
  vocab: number;
}

/** The reference layout of each task, filled by `loadPuzzles`. */
export declare let TASKS: Record<Task, TaskRow>;

/** Loads the codec module; `source` (bytes or a URL of trm_tasks_bg.wasm) is for Node. */
export declare function loadPuzzles(source?: BufferSource | URL | string): Promise<Record<Task, TaskRow>>;

/** The task a model config reads, or null. */
export declare function taskOf(config: { seq_len: number; vocab_size: number } | null | undefined): Task | null;

export interface Encoded {
  task: Task;
  tokens: Uint32Array;
  /** The puzzle's own size on the model's canvas. */
  rows: number;
  cols: number;
  /** Side of the model's square canvas (9 for Sudoku). */
  side: number;
  /** Worth telling, but not errors (a maze without a goal). */
  notes: string[];
}

/** Puzzle text -> tokens for a model reading `seqLen` tokens. Throws an Error saying what is wrong. */
export declare function encodePuzzle(task: Task, text: string, seqLen?: number, testIndex?: number): Encoded;

/** The text of a token canvas (an input or a prediction), cropped to rows x cols. */
export declare function puzzleText(task: Task, tokens: ArrayLike<number>, rows?: number, cols?: number): string;

/** Sudoku cells (0..80) that repeat a digit in their row, column or box. */
export declare function sudokuConflicts(tokens: ArrayLike<number>): Set<number>;

export interface Verdict {
  /** Every cell equals the answer; null without one. */
  correct: boolean | null;
  /** The task's rules hold without an answer key; null for ARC. */
  valid: boolean | null;
  summary: string;
}

export declare function judge(
  task: Task,
  input: ArrayLike<number>,
  prediction: ArrayLike<number>,
  rows: number,
  cols: number,
  answer?: string | null,
): Verdict;

export interface GalleryEntry {
  id: string;
  /** ARC: which test input of the task. */
  test: number;
  name: string;
  text: string;
  solution: string | null;
  /** ARC: the demonstration pairs. */
  train: { input: number[][]; output: number[][] }[];
}

export type Edit =
  | { op: "set"; row: number; col: number; symbol: string }
  | { op: "fill"; row: number; col: number; symbol: string }
  | { op: "resize"; rows: number; cols: number };

/** The puzzle text with one edit applied. Throws an Error saying what is wrong. */
export declare function editPuzzle(task: Task, text: string, edit: Edit): string;

/** The symbol at row, col of the puzzle text ("." or 1-9, "#", " ", "S", "G", 0-9). */
export declare function puzzleCell(task: Task, text: string, row: number, col: number): string;

/** ARC: the versions of task `id` a model learned, as one batch (the original first). */
export declare function arcVersions(names: string[], id: string, inputText: string, seqLen: number): { puzzleIds: number[]; tokens: Uint32Array };

export interface Ballot {
  /** The answer grid as digit rows, in the original frame. */
  text: string;
  votes: number;
  /** Mean halting probability of its voters. */
  confidence: number;
}

/** ARC: the vote over one batch of versions, best first. */
export declare function arcVote(
  names: string[],
  puzzleIds: ArrayLike<number>,
  inputText: string,
  predictions: ArrayLike<number>,
  haltProbs: ArrayLike<number>,
): Ballot[];

/** Maze: the 8 rotations and mirrors of a maze's canvas tokens as one batch (the maze first). */
export declare function mazeVersions(tokens: ArrayLike<number>): Uint32Array;

export interface MazeBallot {
  /** The answer's canvas tokens, in the maze's own frame. */
  tokens: number[];
  votes: number;
}

/** Maze: the vote over one batch of `mazeVersions`, best first. */
export declare function mazeVote(tokens: ArrayLike<number>, predictions: ArrayLike<number>, confidence: ArrayLike<number>): MazeBallot[];

export declare function galleryEntries(task: Task, json: string): GalleryEntry[];

export declare const LEVELS: { sudoku: string[]; maze: string[] };

/** A new puzzle with a unique answer (Sudoku and maze; ARC has no generator). */
export declare function randomPuzzle(
  task: Task,
  level: string,
  seed?: number,
  size?: { rows: number; cols: number } | { maxSide: number },
): { text: string; solution: string; difficulty: string };
