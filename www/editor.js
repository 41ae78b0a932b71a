// Editing the input grid with the pointer and the keyboard, for every task:
//   Sudoku: click a cell, type 1-9; 0, "." or Backspace clears; arrows move.
//   Maze:   press on a wall and drag to open cells, on an open cell to draw walls; drag S or G
//           to move them; keys: W or # wall, Space or Backspace open, S start, G goal.
//   ARC:    pick a colour (palette or keys 0-9), paint by clicking or dragging, or flood-fill
//           with the fill tool (F fills at the cursor); Enter paints at the cursor.
// Every edit goes through the Rust codec (editPuzzle), which returns the new puzzle text; the
// page's text editor stays the one source of truth.

import { editPuzzle, puzzleCell } from "./pkg/puzzles.js";

export const ARC_COLOUR_NAMES = ["black", "blue", "red", "green", "yellow", "grey", "magenta", "orange", "light blue", "maroon"];
const MAZE_NAMES = { "#": "wall", " ": "open", S: "start", G: "goal", o: "path" };

/** The cell under a pointer at (x, y) of an element laid out in `rect`, for a rows×cols grid. */
export function cellAt(x, y, rect, rows, cols) {
  const clamp = (v, n) => Math.max(0, Math.min(n - 1, v));
  return { row: clamp(Math.floor(((y - rect.top) / rect.height) * rows), rows), col: clamp(Math.floor(((x - rect.left) / rect.width) * cols), cols) };
}

/**
 * What a pointer stroke that starts on a cell holding `start` paints: maze strokes move S or G,
 * erase walls or draw them; ARC strokes paint the chosen colour (or flood-fill with the fill
 * tool). Sudoku has no strokes (null).
 */
export function strokeFor(task, start, { colour = 0, tool = "paint" } = {}) {
  if (task === "maze") {
    if (start === "S" || start === "G") return { op: "set", symbol: start, move: true };
    return { op: "set", symbol: start === "#" ? " " : "#" };
  }
  if (task === "arc") return { op: tool === "fill" ? "fill" : "set", symbol: String(colour) };
  return null;
}

/**
 * The edit a key makes at the cursor, or null: Sudoku digits; maze W/#, Space/Backspace, S, G;
 * ARC digits choose the colour and paint (`colour` says which), Enter paints, F fills.
 */
export function keyEdit(task, key, { colour = 0 } = {}) {
  if (task === "sudoku") {
    if (/^[1-9]$/.test(key)) return { op: "set", symbol: key };
    if (["0", ".", "Backspace", "Delete", " "].includes(key)) return { op: "set", symbol: "." };
    return null;
  }
  if (task === "maze") {
    const symbol = { w: "#", W: "#", "#": "#", " ": " ", Backspace: " ", Delete: " ", s: "S", S: "S", g: "G", G: "G" }[key];
    return symbol ? { op: "set", symbol } : null;
  }
  if (task === "arc") {
    if (/^[0-9]$/.test(key)) return { op: "set", symbol: key, colour: Number(key) };
    if (key === "Enter" || key === " ") return { op: "set", symbol: String(colour) };
    if (key === "f" || key === "F") return { op: "fill", symbol: String(colour) };
  }
  return null;
}

/** A cell's symbol in words: "blank", "wall", "colour 3 (green)". */
export function cellName(task, symbol) {
  if (task === "sudoku") return symbol === "." ? "blank" : symbol;
  if (task === "maze") return MAZE_NAMES[symbol] ?? symbol;
  return `colour ${symbol} (${ARC_COLOUR_NAMES[Number(symbol)] ?? "?"})`;
}

/** A sentence for screen readers: the cell at the cursor. */
export function describeCell(task, symbol, row, col) {
  const keys = {
    sudoku: "Type 1 to 9, or Backspace to clear; arrows move.",
    maze: "W wall, Space open, S start, G goal; arrows move.",
    arc: "Keys 0 to 9 paint a colour, F fills; arrows move.",
  }[task];
  return `Row ${row + 1}, column ${col + 1}: ${cellName(task, symbol)}. ${keys}`;
}

/**
 * The grid for assistive technology: the canvas's fallback content as an ARIA grid (rows of
 * gridcells naming each cell), the cursor's cell as its active descendant. `lines` are the
 * puzzle's rows as the codec writes them, one character per cell.
 */
export function syncAriaGrid(canvas, task, lines, cursor) {
  const rows = lines.map((line, r) => {
    const row = document.createElement("div");
    row.setAttribute("role", "row");
    row.append(
      ...[...line].map((symbol, c) => {
        const cell = document.createElement("div");
        cell.setAttribute("role", "gridcell");
        cell.id = `input-cell-${r}-${c}`;
        cell.textContent = cellName(task, symbol);
        return cell;
      }),
    );
    return row;
  });
  canvas.replaceChildren(...rows);
  canvas.setAttribute("role", "grid");
  canvas.setAttribute("aria-rowcount", String(lines.length));
  canvas.setAttribute("aria-colcount", String(lines[0]?.length ?? 0));
  const at = cursor && `input-cell-${cursor.row}-${cursor.col}`;
  if (at && canvas.querySelector(`#${at}`)) canvas.setAttribute("aria-activedescendant", at);
  else canvas.removeAttribute("aria-activedescendant");
}

/**
 * Wires the editor to the input canvas. `host`: { task() , text(), shape() -> {rows, cols},
 * setText(text, { fromGrid: true }), redraw(), announce(sentence) }. Returns the editor state
 * ({ cursor, colour, tool }) the page draws and shows.
 */
export function wireEditor(canvas, host) {
  const ed = { cursor: { row: 0, col: 0 }, colour: 1, tool: "paint", stroke: null };
  canvas.tabIndex = 0;

  const symbolAt = ({ row, col }) => {
    try {
      return puzzleCell(host.task(), host.text(), row, col);
    } catch {
      return null;
    }
  };
  /** Applies `edit` at `at`; true when the puzzle changed. */
  const apply = (edit, at) => {
    try {
      const text = editPuzzle(host.task(), host.text(), { op: edit.op, row: at.row, col: at.col, symbol: edit.symbol });
      if (text === host.text()) return false;
      host.setText(text, { fromGrid: true });
      ed.edited = true;
      return true;
    } catch (e) {
      host.error?.(e.message);
      return false;
    }
  };
  const announce = () => {
    const s = symbolAt(ed.cursor);
    if (s != null) host.announce(describeCell(host.task(), s, ed.cursor.row, ed.cursor.col));
  };
  const pointerCell = (e) => {
    const { rows, cols } = host.shape();
    return cellAt(e.clientX, e.clientY, canvas.getBoundingClientRect(), rows, cols);
  };

  canvas.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    const at = pointerCell(e);
    ed.cursor = at;
    canvas.focus();
    const stroke = strokeFor(host.task(), symbolAt(at), ed);
    if (stroke) {
      ed.edited = false;
      ed.stroke = { ...stroke, last: null };
      canvas.setPointerCapture?.(e.pointerId);
      paintStroke(at);
    }
    host.redraw();
    announce();
    e.preventDefault();
  });
  const paintStroke = (at) => {
    const s = ed.stroke;
    if (!s || (s.last && s.last.row === at.row && s.last.col === at.col)) return;
    // A moving S or G lands only on open cells; wall strokes leave S and G alone.
    const under = symbolAt(at);
    if (s.move ? under !== s.symbol && under !== " " && under !== "o" : under === "S" || under === "G") return;
    s.last = at;
    apply(s, at);
  };
  canvas.addEventListener("pointermove", (e) => {
    if (!ed.stroke) return;
    const at = pointerCell(e);
    ed.cursor = at;
    if (ed.stroke.op !== "fill") paintStroke(at);
  });
  const end = () => {
    if (ed.stroke) {
      ed.stroke = null;
      if (ed.edited) host.strokeEnd?.();
    }
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("focus", () => {
    host.redraw();
    announce();
  });
  canvas.addEventListener("blur", () => host.redraw());
  canvas.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const { rows, cols } = host.shape();
    const move = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[e.key];
    if (move) {
      e.preventDefault();
      e.stopPropagation();
      ed.cursor = {
        row: Math.max(0, Math.min(rows - 1, ed.cursor.row + move[0])),
        col: Math.max(0, Math.min(cols - 1, ed.cursor.col + move[1])),
      };
      host.redraw();
      return announce();
    }
    const edit = keyEdit(host.task(), e.key, ed);
    if (!edit) return;
    e.preventDefault();
    e.stopPropagation();
    if (edit.colour != null) {
      ed.colour = edit.colour;
      host.colourChanged?.(ed.colour);
    }
    ed.cursor = { row: Math.min(ed.cursor.row, rows - 1), col: Math.min(ed.cursor.col, cols - 1) };
    if (apply(edit, ed.cursor)) host.strokeEnd?.();
    announce();
  });
  return ed;
}
