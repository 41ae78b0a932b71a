// Drawing a token canvas (an input or a prediction) for each task. No state and no DOM besides
// the canvas it is handed.

// Official ARC palette (fchollet/ARC-AGI apps/css/common.css), colours 0-9.
const ARC_PALETTE = ["#000000", "#0074D9", "#FF4136", "#2ECC40", "#FFDC00", "#AAAAAA", "#F012BE", "#FF851B", "#7FDBFF", "#870C25"];
const MAZE_COLOURS = ["#c8c8c8", "#2b2b33", "#ffffff", "#2ECC40", "#FF4136", "#1f77ff"];
const CHANGED = "#ff8c00";
const MAZE_LABELS = ["?", "", "", "S", "G", "•"];

/** A label centred in a cell, dark or light to read on its fill: colours need not carry meaning alone. */
function label(ctx, text, x, y, cell, light) {
  if (!text || cell < 10) return;
  ctx.font = `${Math.round(cell * 0.55)}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillStyle = light ? "#fff" : "#111";
  ctx.fillText(text, x + cell / 2, y + cell / 2 + 1);
}

export function prepCanvas(canvas, w, h) {
  const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

export function drawSudoku(canvas, tokens, { input = null, confidence = null, conflicts = null, size = 360 } = {}) {
  const cell = Math.floor(size / 9);
  const ctx = prepCanvas(canvas, cell * 9 + 1, cell * 9 + 1);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, cell * 9 + 1, cell * 9 + 1);
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let i = 0; i < 81; i++) {
    const r = Math.floor(i / 9), c = i % 9;
    const t = tokens[i];
    const given = input && input[i] >= 2;
    if (conflicts?.has(i)) {
      ctx.fillStyle = "#ffd6d6";
      ctx.fillRect(c * cell, r * cell, cell, cell);
    } else if (given) {
      ctx.fillStyle = "#eef0f4";
      ctx.fillRect(c * cell, r * cell, cell, cell);
    }
    if (t >= 2 && t <= 10) {
      const changedGiven = given && input[i] !== t;
      ctx.font = `${given ? "bold " : ""}${Math.round(cell * 0.6)}px system-ui, sans-serif`;
      const alpha = !input || given ? 1 : 0.35 + 0.65 * (confidence ? confidence[i] : 1);
      ctx.globalAlpha = alpha;
      ctx.fillStyle = changedGiven ? "#c00000" : given || !input ? "#111" : "#1f5fbf";
      ctx.fillText(String(t - 1), c * cell + cell / 2, r * cell + cell / 2 + 1);
      ctx.globalAlpha = 1;
    }
  }
  for (let k = 0; k <= 9; k++) {
    ctx.strokeStyle = k % 3 === 0 ? "#222" : "#aaa";
    ctx.lineWidth = k % 3 === 0 ? 2 : 1;
    ctx.beginPath();
    ctx.moveTo(k * cell + 0.5, 0);
    ctx.lineTo(k * cell + 0.5, cell * 9 + 1);
    ctx.moveTo(0, k * cell + 0.5);
    ctx.lineTo(cell * 9 + 1, k * cell + 0.5);
    ctx.stroke();
  }
  return { ctx, cell, side: 9, rows: 9, cols: 9 };
}

/** Side of a square token canvas (30 for the reference's 900 tokens). */
export const sideOf = (tokens) => Math.max(1, Math.round(Math.sqrt(tokens.length)));

/** Rows/cols of an ARC canvas worth drawing: the extent of non-PAD tokens in any of the arrays. */
export function arcExtent(...arrays) {
  let rows = 1, cols = 1;
  for (const t of arrays) {
    if (!t) continue;
    const side = sideOf(t);
    for (let i = 0; i < t.length; i++) {
      if (t[i] !== 0) {
        rows = Math.max(rows, Math.floor(i / side) + 1);
        cols = Math.max(cols, (i % side) + 1);
      }
    }
  }
  return { rows, cols };
}

/** A maze; `extent` ({ rows, cols }: the maze's own size) leaves out the wall padding around a small maze. */
export function drawMaze(canvas, tokens, { extent, size = 360, labels = false } = {}) {
  const side = sideOf(tokens);
  const rows = Math.min(side, extent?.rows ?? side), cols = Math.min(side, extent?.cols ?? side);
  const cell = Math.max(4, Math.floor(size / Math.max(rows, cols)));
  const ctx = prepCanvas(canvas, cell * cols, cell * rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const t = tokens[r * side + c];
      ctx.fillStyle = MAZE_COLOURS[t] ?? "#f0f";
      ctx.fillRect(c * cell, r * cell, cell, cell);
      if (labels) label(ctx, MAZE_LABELS[t] ?? "?", c * cell, r * cell, cell, t === 1 || t >= 3);
    }
  }
  return { ctx, cell, side, rows, cols };
}

export function drawArc(canvas, tokens, { extent, size = 360, labels = false } = {}) {
  const { rows, cols } = extent ?? arcExtent(tokens);
  const side = sideOf(tokens);
  const cell = Math.max(6, Math.min(36, Math.floor(size / Math.max(rows, cols))));
  const ctx = prepCanvas(canvas, cell * cols + 1, cell * rows + 1);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, cell * cols + 1, cell * rows + 1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const t = tokens[r * side + c];
      const x = c * cell, y = r * cell;
      if (t >= 2 && t <= 11) {
        ctx.fillStyle = ARC_PALETTE[t - 2];
        ctx.fillRect(x, y, cell, cell);
        if (labels) label(ctx, String(t - 2), x, y, cell, [0, 1, 9].includes(t - 2));
      } else if (t === 1) {
        // EOS: light grey with a diagonal, so it reads apart from the colours.
        ctx.fillStyle = "#e2e2e2";
        ctx.fillRect(x, y, cell, cell);
        ctx.strokeStyle = "#9a9a9a";
        ctx.beginPath();
        ctx.moveTo(x + 2, y + cell - 2);
        ctx.lineTo(x + cell - 2, y + 2);
        ctx.stroke();
      } else {
        ctx.fillStyle = "#fafafa"; // PAD
        ctx.fillRect(x, y, cell, cell);
      }
    }
  }
  ctx.strokeStyle = "#555";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let c = 0; c <= cols; c++) {
    ctx.moveTo(c * cell + 0.5, 0);
    ctx.lineTo(c * cell + 0.5, rows * cell + 1);
  }
  for (let r = 0; r <= rows; r++) {
    ctx.moveTo(0, r * cell + 0.5);
    ctx.lineTo(cols * cell + 1, r * cell + 0.5);
  }
  ctx.stroke();
  return { ctx, cell, side, rows, cols };
}

/**
 * Draws `tokens` for `task`. opts: { input, confidence, conflicts (Set), extent, size,
 * changed (Set of cells that changed since the previous pass, outlined), labels (colour numbers
 * on ARC cells, S/G/path marks on maze cells), cursor ({ row, col }: the editor's cell) }.
 */
export function drawTokens(canvas, task, tokens, opts = {}) {
  const draw = { sudoku: drawSudoku, maze: drawMaze, arc: drawArc }[task];
  if (!draw) return;
  const { ctx, cell, side, rows, cols } = draw(canvas, tokens, opts);
  const at = opts.cursor;
  if (at && at.row < rows && at.col < cols) {
    // Two rings, dark inside light, so the cursor shows on every colour.
    ctx.lineWidth = 2;
    for (const [colour, inset] of [["#ffffff", 1], ["#1f5fbf", 3]]) {
      ctx.strokeStyle = colour;
      ctx.strokeRect(at.col * cell + inset, at.row * cell + inset, cell - 2 * inset + 1, cell - 2 * inset + 1);
    }
  }
  if (!opts.changed?.size) return;
  ctx.strokeStyle = CHANGED;
  ctx.lineWidth = Math.max(1.5, cell / 10);
  const inset = ctx.lineWidth / 2 + 0.5;
  for (const i of opts.changed) {
    const r = Math.floor(i / side), c = i % side;
    if (r < rows && c < cols) ctx.strokeRect(c * cell + inset, r * cell + inset, cell - 2 * inset, cell - 2 * inset);
  }
}

/** The cells (indices) where `b` differs from `a`; empty when there is no `a`. */
export function changedCells(a, b) {
  const out = new Set();
  if (a && b) for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) out.add(i);
  return out;
}

/**
 * The halting probability of each supervision step as a sparkline: the dashed line is 0.5
 * (q_halt > 0), the red marker the first step past it — where the model would stop — and the
 * ring the step on view.
 */
export function drawHalt(canvas, probs, current, { width = 360, height = 56 } = {}) {
  const ctx = prepCanvas(canvas, width, height);
  const pad = 8;
  const n = probs.length;
  const x = (i) => pad + (n > 1 ? (i * (width - 2 * pad)) / (n - 1) : 0);
  const y = (p) => height - pad - p * (height - 2 * pad);
  ctx.strokeStyle = "#b8b8c0";
  ctx.lineWidth = 1;
  ctx.setLineDash([3, 3]);
  ctx.beginPath();
  ctx.moveTo(pad, y(0.5) + 0.5);
  ctx.lineTo(width - pad, y(0.5) + 0.5);
  ctx.stroke();
  ctx.setLineDash([]);
  if (!n) return;
  const stop = probs.findIndex((p) => p > 0.5);
  if (stop >= 0) {
    ctx.strokeStyle = "#c62828";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x(stop), 2);
    ctx.lineTo(x(stop), height - 2);
    ctx.stroke();
  }
  ctx.strokeStyle = "#1f5fbf";
  ctx.lineWidth = 2;
  ctx.beginPath();
  probs.forEach((p, i) => (i ? ctx.lineTo(x(i), y(p ?? 0)) : ctx.moveTo(x(i), y(p ?? 0))));
  ctx.stroke();
  ctx.fillStyle = "#1f5fbf";
  probs.forEach((p, i) => {
    ctx.beginPath();
    ctx.arc(x(i), y(p ?? 0), 2.5, 0, 2 * Math.PI);
    ctx.fill();
  });
  if (current >= 0 && current < n) {
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.arc(x(current), y(probs[current] ?? 0), 5, 0, 2 * Math.PI);
    ctx.stroke();
  }
}

// A colour-blind-safe sequential ramp (viridis), low to high.
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function ramp(t) {
  const x = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x)), f = x - i;
  const [a, b] = [RAMP[i], RAMP[i + 1]];
  return `rgb(${a.map((v, k) => Math.round(v + f * (b[k] - v))).join(",")})`;
}

/**
 * A per-cell heat map (the latent view): `values` (≥ 0) on a `side`×`side` canvas, the `extent`
 * ({ rows, cols }) shown, 0 dark and `max` light (the shown cells' own largest value by default).
 * A fixed `max` across steps lets a settling state fade to dark rather than have its last tiny
 * moves stretched over the whole scale. Returns the shown cells' range.
 */
export function drawHeat(canvas, values, { side, extent, size = 270, max } = {}) {
  const rows = Math.min(side, extent?.rows ?? side), cols = Math.min(side, extent?.cols ?? side);
  const cell = Math.max(4, Math.floor(size / Math.max(rows, cols)));
  const ctx = prepCanvas(canvas, cell * cols, cell * rows);
  let lo = Infinity, hi = -Infinity;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[r * side + c];
      if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    }
  }
  const top = max > 0 ? max : hi > 0 ? hi : 1;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[r * side + c];
      ctx.fillStyle = Number.isFinite(v) ? ramp(Math.min(1, Math.max(0, v / top))) : "#f0f";
      ctx.fillRect(c * cell, r * cell, cell, cell);
    }
  }
  return { lo, hi };
}

/**
 * The timeline's ticks under the slider: one per pass, tall for a supervision step, short for an
 * inner (latent or answer) update; an orange mark where the puzzle was edited mid-solve.
 */
export function drawTicks(canvas, passes, edits = [], { width = 360, height = 12 } = {}) {
  const ctx = prepCanvas(canvas, width, height);
  const n = passes.length;
  if (n < 2) return;
  // The range input's thumb travels inset by half its width (about 8 px) at each end.
  const x = (i) => 8 + (i * (width - 16)) / (n - 1);
  ctx.fillStyle = "#5b5b66";
  passes.forEach((p, i) => {
    const h = p.inner ? height * 0.35 : height * 0.8;
    ctx.fillRect(Math.round(x(i)) - 0.5, 0, 1, h);
  });
  ctx.fillStyle = "#e67700";
  for (const e of edits) if (e.at < n) ctx.fillRect(Math.round(x(e.at)) - 1.5, 0, 3, height);
}
