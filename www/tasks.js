// Puzzle <-> token mapping for the three TRM tasks. Pure functions, no DOM: also used by the
// Node tests and the benchmark.
//
// Sudoku: seq 81, vocab 11 — 0 PAD, 1 blank, digit d -> d + 1.
// Maze:   seq 900 (30x30), vocab 6 — 0 PAD, '#' 1, ' ' 2, 'S' 3, 'G' 4, 'o' 5 (path).
// ARC:    seq 900, vocab 12 — 0 PAD, 1 EOS, colour c -> c + 2; the grid sits at the top-left of a
//         30x30 canvas with an EOS row just below it and an EOS column just right of it.

export const TASKS = {
  sudoku: { id: "sudoku", name: "Sudoku", seqLen: 81, vocab: 11, rows: 9, cols: 9 },
  maze: { id: "maze", name: "Maze", seqLen: 900, vocab: 6, rows: 30, cols: 30 },
  arc: { id: "arc", name: "ARC", seqLen: 900, vocab: 12, rows: 30, cols: 30 },
};

export class PuzzleError extends Error {
  constructor(message) {
    super(message);
    this.name = "PuzzleError";
  }
}

/** The task a model config is built for (same rule as the Rust side), or null. */
export function taskOfConfig(cfg) {
  if (!cfg) return null;
  for (const t of Object.values(TASKS)) {
    if (cfg.vocab_size === t.vocab && cfg.seq_len === t.seqLen) return t.id;
  }
  return null;
}

function lines(text) {
  const ls = String(text).replace(/\r\n?/g, "\n").split("\n");
  while (ls.length && ls[0].trim() === "") ls.shift();
  while (ls.length && ls[ls.length - 1].trim() === "") ls.pop();
  return ls;
}

// ---------------------------------------------------------------- Sudoku

const SUDOKU_BLANKS = new Set(["0", ".", "_", "?", "*", "x", "X"]);

/** Parse 81 cells: digits 1-9, blanks as 0 . _ ? * x; spaces, |, +, commas and separator lines are ignored. Also a JSON 9x9 or 81-array (0 = blank). */
export function parseSudoku(text) {
  const src = String(text ?? "").trim();
  if (!src) throw new PuzzleError("The Sudoku is empty: paste 81 cells (digits 1-9, '.' or 0 for blanks).");
  let cells;
  if (src.startsWith("[")) {
    let arr;
    try {
      arr = JSON.parse(src);
    } catch (e) {
      throw new PuzzleError(`The Sudoku looks like JSON but does not parse: ${e.message}`);
    }
    cells = (Array.isArray(arr[0]) ? arr.flat() : arr).map((v) => Number(v));
    if (cells.some((v) => !Number.isInteger(v) || v < 0 || v > 9)) {
      throw new PuzzleError("Sudoku JSON values must be integers 0-9 (0 = blank).");
    }
  } else {
    cells = [];
    lines(src).forEach((line, li) => {
      if (/^[\s\-+|=]*$/.test(line)) return; // a box separator line such as ------+------
      for (const ch of line) {
        if (ch >= "1" && ch <= "9") cells.push(Number(ch));
        else if (SUDOKU_BLANKS.has(ch)) cells.push(0);
        else if (/[\s|+,;]/.test(ch)) continue;
        else throw new PuzzleError(`Unexpected character '${ch}' on line ${li + 1} of the Sudoku.`);
      }
    });
  }
  if (cells.length !== 81) {
    throw new PuzzleError(`A Sudoku has 81 cells; this one has ${cells.length}.`);
  }
  const tokens = new Uint32Array(81);
  cells.forEach((v, i) => (tokens[i] = v === 0 ? 1 : v + 1));
  return { task: "sudoku", tokens };
}

/** 9 lines of 9 characters; '.' for blank (and PAD). */
export function sudokuText(tokens) {
  const out = [];
  for (let r = 0; r < 9; r++) {
    let s = "";
    for (let c = 0; c < 9; c++) {
      const t = tokens[r * 9 + c];
      s += t >= 2 && t <= 10 ? String(t - 1) : ".";
    }
    out.push(s);
  }
  return out.join("\n");
}

/** Cells that repeat a digit in their row, column or box (0-based indices). */
export function sudokuConflicts(tokens) {
  const bad = new Set();
  const groups = [];
  for (let i = 0; i < 9; i++) {
    const row = [], col = [], box = [];
    for (let j = 0; j < 9; j++) {
      row.push(i * 9 + j);
      col.push(j * 9 + i);
      box.push((Math.floor(i / 3) * 3 + Math.floor(j / 3)) * 9 + (i % 3) * 3 + (j % 3));
    }
    groups.push(row, col, box);
  }
  for (const g of groups) {
    const seen = new Map();
    for (const idx of g) {
      const t = tokens[idx];
      if (t < 2 || t > 10) continue;
      if (seen.has(t)) {
        bad.add(idx);
        bad.add(seen.get(t));
      } else seen.set(t, idx);
    }
  }
  return bad;
}

// ---------------------------------------------------------------- Maze

const MAZE_CHARS = { "#": 1, " ": 2, ".": 2, S: 3, G: 4, E: 4, o: 5, "*": 5 };
const MAZE_GLYPHS = ["?", "#", " ", "S", "G", "o"];

/** Parse a 30x30 maze: '#' wall, ' ' or '.' open, 'S' start, 'G' (or 'E') goal, 'o' path. Short lines are padded with open cells (editors drop trailing spaces). A single 900-character line also works. */
export function parseMaze(text) {
  const src = String(text ?? "");
  if (!src.trim()) throw new PuzzleError("The maze is empty: paste 30 lines of 30 cells ('#' wall, ' ' open, S start, G goal).");
  let rows = lines(src);
  if (rows.length === 1 && rows[0].length === 900) {
    rows = Array.from({ length: 30 }, (_, r) => rows[0].slice(r * 30, r * 30 + 30));
  }
  if (rows.length !== 30) throw new PuzzleError(`A maze has 30 rows; this one has ${rows.length}.`);
  const tokens = new Uint32Array(900);
  let padded = 0;
  rows.forEach((line, r) => {
    if (line.length > 30) throw new PuzzleError(`Maze row ${r + 1} has ${line.length} cells; at most 30.`);
    if (line.length < 30) padded++;
    for (let c = 0; c < 30; c++) {
      const ch = c < line.length ? line[c] : " ";
      const t = MAZE_CHARS[ch];
      if (t === undefined) throw new PuzzleError(`Unexpected character '${ch}' in maze row ${r + 1}, column ${c + 1}.`);
      tokens[r * 30 + c] = t;
    }
  });
  const count = (t) => tokens.reduce((n, v) => n + (v === t ? 1 : 0), 0);
  const notes = [];
  if (padded) notes.push(`${padded} short row(s) padded with open cells`);
  if (count(3) !== 1) notes.push(`expected one start 'S', found ${count(3)}`);
  if (count(4) !== 1) notes.push(`expected one goal 'G', found ${count(4)}`);
  return { task: "maze", tokens, notes };
}

export function mazeText(tokens) {
  const out = [];
  for (let r = 0; r < 30; r++) {
    let s = "";
    for (let c = 0; c < 30; c++) s += MAZE_GLYPHS[tokens[r * 30 + c]] ?? "?";
    out.push(s);
  }
  return out.join("\n");
}

/** A deterministic 30x30 maze (depth-first carving) with S and G, for when no gallery is present. */
export function sampleMaze(seed = 1) {
  let s = seed >>> 0 || 1;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const g = Array.from({ length: 30 }, () => new Array(30).fill("#"));
  const stack = [[1, 1]];
  g[1][1] = " ";
  while (stack.length) {
    const [r, c] = stack[stack.length - 1];
    const nbrs = [[0, 2], [2, 0], [0, -2], [-2, 0]]
      .map(([dr, dc]) => [r + dr, c + dc, r + dr / 2, c + dc / 2])
      .filter(([nr, nc]) => nr > 0 && nr < 28 && nc > 0 && nc < 28 && g[nr][nc] === "#");
    if (!nbrs.length) {
      stack.pop();
      continue;
    }
    const [nr, nc, wr, wc] = nbrs[Math.floor(rand() * nbrs.length)];
    g[wr][wc] = " ";
    g[nr][nc] = " ";
    stack.push([nr, nc]);
  }
  g[1][1] = "S";
  g[27][27] = "G";
  return g.map((row) => row.join("")).join("\n");
}

// ---------------------------------------------------------------- ARC

/** Parse an ARC grid: JSON [[...]] or lines of digits 0-9 (optionally separated by spaces/commas). */
export function parseArcGrid(text) {
  const src = String(text ?? "").trim();
  if (!src) throw new PuzzleError("The ARC grid is empty: paste rows of colour digits 0-9, or JSON [[...]].");
  let grid;
  if (src.startsWith("[")) {
    try {
      grid = JSON.parse(src);
    } catch (e) {
      throw new PuzzleError(`The ARC grid looks like JSON but does not parse: ${e.message}`);
    }
    if (!Array.isArray(grid) || !grid.every(Array.isArray)) throw new PuzzleError("ARC JSON must be a list of rows, e.g. [[0,1],[2,3]].");
  } else {
    grid = lines(src).map((line, r) => {
      const cells = /[\s,]/.test(line.trim()) ? line.trim().split(/[\s,]+/) : [...line.trim()];
      return cells.map((ch, c) => {
        if (!/^\d$/.test(ch)) throw new PuzzleError(`Unexpected '${ch}' in ARC row ${r + 1}, column ${c + 1} (colours are 0-9).`);
        return Number(ch);
      });
    });
  }
  return validateArcGrid(grid);
}

export function validateArcGrid(grid) {
  if (!Array.isArray(grid) || grid.length < 1 || grid.length > 30) {
    throw new PuzzleError(`An ARC grid has 1-30 rows; this one has ${Array.isArray(grid) ? grid.length : 0}.`);
  }
  const w = grid[0].length;
  if (w < 1 || w > 30) throw new PuzzleError(`An ARC grid has 1-30 columns; this one has ${w}.`);
  grid.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== w) throw new PuzzleError(`ARC row ${r + 1} has ${row?.length ?? 0} cells; row 1 has ${w}.`);
    row.forEach((v, c) => {
      if (!Number.isInteger(v) || v < 0 || v > 9) throw new PuzzleError(`ARC cell (${r + 1}, ${c + 1}) is ${JSON.stringify(v)}; colours are 0-9.`);
    });
  });
  return grid.map((row) => row.slice());
}

export function arcGridToTokens(grid) {
  grid = validateArcGrid(grid);
  const rows = grid.length, cols = grid[0].length;
  const tokens = new Uint32Array(900);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) tokens[r * 30 + c] = grid[r][c] + 2;
  if (rows < 30) for (let c = 0; c < cols; c++) tokens[rows * 30 + c] = 1;
  if (cols < 30) for (let r = 0; r < rows; r++) tokens[r * 30 + cols] = 1;
  return tokens;
}

export function parseArc(text) {
  return { task: "arc", tokens: arcGridToTokens(parseArcGrid(text)) };
}

/** The answer grid in an ARC canvas: the largest top-left rectangle of colour tokens (may be empty). */
export function arcTokensToGrid(tokens) {
  let numC = 30, best = 0, bestR = 0, bestC = 0;
  for (let r = 0; r < 30; r++) {
    let lead = 0;
    while (lead < numC && tokens[r * 30 + lead] >= 2 && tokens[r * 30 + lead] <= 11) lead++;
    numC = Math.min(numC, lead);
    if (numC === 0) break;
    const area = (r + 1) * numC;
    if (area > best) [best, bestR, bestC] = [area, r + 1, numC];
  }
  return Array.from({ length: bestR }, (_, r) => Array.from({ length: bestC }, (_, c) => tokens[r * 30 + c] - 2));
}

export function arcText(tokens) {
  const g = arcTokensToGrid(tokens);
  return g.length ? g.map((row) => row.join("")).join("\n") : "(no grid: the top-left cell is not a colour)";
}

/** Rows/cols of the canvas worth drawing: the extent of non-PAD tokens in any of the given token arrays. */
export function arcExtent(...arrays) {
  let rows = 1, cols = 1;
  for (const t of arrays) {
    if (!t) continue;
    for (let i = 0; i < 900; i++) {
      if (t[i] !== 0) {
        rows = Math.max(rows, Math.floor(i / 30) + 1);
        cols = Math.max(cols, (i % 30) + 1);
      }
    }
  }
  return { rows, cols };
}

// ---------------------------------------------------------------- generic

export function parsePuzzle(task, text) {
  switch (task) {
    case "sudoku":
      return parseSudoku(text);
    case "maze":
      return parseMaze(text);
    case "arc":
      return parseArc(text);
    default:
      throw new PuzzleError(`Unknown task '${task}'.`);
  }
}

export function tokensText(task, tokens) {
  switch (task) {
    case "sudoku":
      return sudokuText(tokens);
    case "maze":
      return mazeText(tokens);
    case "arc":
      return arcText(tokens);
    default:
      return Array.from(tokens).join(" ");
  }
}

/** Check tokens against a task / model config; returns an error message or null. */
export function checkTokens(tokens, cfg) {
  const seq = cfg.seq_len, vocab = cfg.vocab_size;
  if (!tokens.length || tokens.length % seq !== 0) return `expected a multiple of ${seq} tokens, got ${tokens.length}`;
  for (let i = 0; i < tokens.length; i++) {
    if (!(tokens[i] >= 0 && tokens[i] < vocab)) return `token ${tokens[i]} at position ${i} is outside the model's vocabulary (0..${vocab - 1})`;
  }
  return null;
}

export const SAMPLES = {
  // A classic, widely published example Sudoku.
  sudoku: "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79",
  maze: sampleMaze(7),
  arc: "0 0 1 0\n0 1 2 1\n1 2 3 2\n0 1 2 1",
};

export function samplePuzzle(task) {
  return { ...parsePuzzle(task, SAMPLES[task]), name: `Built-in ${TASKS[task].name} example`, text: SAMPLES[task] };
}

// ---------------------------------------------------------------- galleries

const PUZZLE_KEYS = ["tokens", "puzzle", "question", "input", "test_input", "grid", "board", "maze", "text", "quiz"];
const SOLUTION_KEYS = ["solution", "answer", "label", "output", "test_output", "target"];
const ID_KEYS = ["puzzle_id", "puzzleId", "puzzle_identifier", "puzzleIdentifier", "identifier_id"];
const NAME_KEYS = ["name", "title", "id", "label_name", "key"];

function toTokens(task, value) {
  const t = TASKS[task];
  if (value == null) return null;
  if (typeof value === "string") return parsePuzzle(task, value).tokens;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const arr = Array.from(value);
    if (task === "arc" && Array.isArray(arr[0])) return arcGridToTokens(arr);
    const flat = Array.isArray(arr[0]) ? arr.flat() : arr;
    if (flat.length === t.seqLen && flat.every((v) => Number.isInteger(v) && v >= 0 && v < t.vocab)) {
      // Already tokens for Maze/ARC; for Sudoku a flat 81-array could be tokens or digits.
      if (task === "sudoku" && !flat.includes(10)) {
        // Digits (0 = blank) rather than tokens: any 0, or a complete grid (each digit 9 times).
        const complete = [1, 2, 3, 4, 5, 6, 7, 8, 9].every((d) => flat.filter((v) => v === d).length === 9);
        if (flat.includes(0) || complete) return parseSudoku(JSON.stringify(flat)).tokens;
      }
      return Uint32Array.from(flat);
    }
    if (task === "sudoku" && flat.length === 81) return parseSudoku(JSON.stringify(flat)).tokens;
    throw new PuzzleError(`expected ${t.seqLen} values, got ${flat.length}`);
  }
  if (typeof value === "object" && task === "arc" && value.input) return toTokens(task, value.input);
  throw new PuzzleError("unrecognised puzzle value");
}

/**
 * Normalise a gallery file of any reasonable shape into
 * [{ key, name, task, tokens, solution?, puzzleId, puzzleName?, source }].
 * Accepts an array, or an object with puzzles/items/examples/entries/tasks; entries may be strings or
 * objects. Returns { entries, skipped }.
 */
export function normalizeGallery(task, json) {
  let list = json;
  let fileTask = task;
  if (list && !Array.isArray(list) && typeof list === "object") {
    if (typeof list.task === "string" && TASKS[list.task]) fileTask = list.task;
    list = list.puzzles ?? list.items ?? list.examples ?? list.entries ?? list.tasks ?? list.gallery ?? null;
  }
  if (!Array.isArray(list)) return { entries: [], skipped: 0, error: "no list of puzzles in the file" };
  const entries = [];
  let skipped = 0;
  list.forEach((item, i) => {
    try {
      let entryTask = fileTask;
      let value, solution, puzzleId = 0, name, puzzleName, extra = {};
      if (typeof item === "string") value = item;
      else if (item && typeof item === "object") {
        if (typeof item.task === "string" && TASKS[item.task]) entryTask = item.task;
        const pk = PUZZLE_KEYS.find((k) => item[k] != null);
        value = pk ? item[pk] : undefined;
        // ARC task objects: {test: [{input, output}], train: [...]}.
        if (value === undefined && Array.isArray(item.test) && item.test[0]?.input) {
          value = item.test[0].input;
          solution = item.test[0].output;
        }
        const sk = SOLUTION_KEYS.find((k) => item[k] != null);
        if (sk && solution === undefined) solution = item[sk];
        const ik = ID_KEYS.find((k) => item[k] != null);
        if (ik !== undefined) {
          if (typeof item[ik] === "number") puzzleId = item[ik];
          else if (typeof item[ik] === "string" && /^\d+$/.test(item[ik])) puzzleId = Number(item[ik]);
          else if (typeof item[ik] === "string") puzzleName = item[ik];
        }
        if (typeof item.puzzle_name === "string") puzzleName = item.puzzle_name;
        if (typeof item.identifier === "string") puzzleName = puzzleName ?? item.identifier;
        const nk = NAME_KEYS.find((k) => typeof item[k] === "string" || typeof item[k] === "number");
        name = nk ? String(item[nk]) : undefined;
        for (const k of ["difficulty", "rating", "source", "note", "train"]) if (item[k] != null) extra[k] = item[k];
      }
      if (value === undefined) throw new PuzzleError("no puzzle field");
      const tokens = toTokens(entryTask, value);
      let solTokens = null;
      try {
        solTokens = solution != null ? toTokens(entryTask, solution) : null;
      } catch {
        solTokens = null;
      }
      entries.push({
        key: `${entryTask}:${i}`,
        name: name ?? `${TASKS[entryTask].name} #${i + 1}`,
        task: entryTask,
        tokens,
        solution: solTokens,
        puzzleId,
        puzzleName,
        ...extra,
      });
    } catch (e) {
      skipped++;
    }
  });
  return { entries, skipped };
}
