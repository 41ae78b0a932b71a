// The demo page: pick a model and a puzzle, solve, and step through every pass.
// All compute happens in the worker (pkg/trm-client.js); this file only renders.

import { TrmClient } from "./pkg/trm-client.js";
import { prepCanvas, drawTokens, drawHalt, drawHeat, drawTicks, changedCells, arcExtent } from "./draw.js";
import { wireEditor, syncAriaGrid, ARC_COLOUR_NAMES } from "./editor.js";
import { readParams, viewHash } from "./url-state.js";
import { parseModelList, describeInfo, cardSummary, cardSolvedTasks, aboutModel, fmtMs, fmtP, fmtMB } from "./models.js";
import { TASKS, LEVELS, loadPuzzles, taskOf, encodePuzzle, editPuzzle, puzzleText, sudokuConflicts, galleryEntries, randomPuzzle, judge, arcVersions, arcVote, mazeVersions, mazeVote } from "./pkg/puzzles.js";

const $ = (id) => document.getElementById(id);

const BACKEND_NAMES = { webgpu: "WebGPU", cpu: "CPU (WebAssembly)" };
const TASK_HELP = {
  sudoku: "Click a cell of the input grid and type 1-9 (0 or Backspace clears; arrows move), or edit the text: 81 cells, row by row, digits 1-9 and '.' or 0 for blanks (spaces, | and separator lines are ignored).",
  maze: "On the grid: press on a wall and drag to open a corridor, on an open cell to draw walls; drag S or G to move them (keys: W wall, Space open, S, G; arrows move). As text: one line per row, up to the model's canvas (30×30 for the reference's): '#' wall, ' ' open, S start, G goal; smaller mazes are padded with walls. The model draws the path with 'o'.",
  arc: "On the grid: pick a colour (or press 0-9), click or drag to paint, or use Fill for a whole region (F). As text: rows of colour digits 0-9 (up to the model's canvas, 30×30 for the reference's), or JSON [[...]]. The puzzle identifier selects the learned task embedding: only tasks the model was trained on can be solved.",
};
const HALT_CAPTION = "Halting probability by step; the marker shows where the model would stop (q_halt > 0).";
const EDIT_HINT = { sudoku: "— click a cell and type", maze: "— drag to draw walls, move S and G", arc: "— paint with the colours below" };

// ---------------------------------------------------------------- state

const params = readParams(location.search, location.href, location.hash);
/** Most supervision steps a solve may reach, "think longer" and continued solves included. */
const MAX_STEPS = 128;
const state = {
  params,
  client: null,
  models: [],
  galleries: {}, // task -> entries of www/data/<task>-gallery.json
  randomEntries: {}, // task -> the last generated puzzle
  generated: 0, // puzzles generated so far (with the URL's seed, the n-th has seed + n)
  sizeChosen: false, // the size fields were typed into since the task or random level was chosen
  galleryNotes: {},
  modelEntry: null,
  pendingEntry: null,
  info: null,
  task: params.task ?? "sudoku",
  entries: [],
  run: null,
  view: 0,
  loading: false,
  loadSeq: 0,
  metrics: { readyMs: null, firstLoadedMs: null, firstPassMs: null, renderedPasses: 0 },
  errors: [],
};

// ---------------------------------------------------------------- messages

function showMessage(message, { kind = "general", title = null, warning = false, actions = [] } = {}) {
  const div = document.createElement("div");
  div.className = warning ? "warning" : "error";
  div.setAttribute("role", warning ? "status" : "alert");
  div.dataset.kind = kind;
  const span = document.createElement("span");
  span.className = "msg";
  span.textContent = title ? `${title}: ${message}` : message;
  div.append(span);
  for (const a of actions) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = a.label;
    b.addEventListener("click", a.onClick);
    div.append(b);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "Dismiss";
  close.setAttribute("aria-label", "Dismiss this message");
  close.addEventListener("click", () => div.remove());
  div.append(close);
  $("errors").append(div);
  if (!warning) {
    state.errors.push({ kind, title, message, at: Date.now() });
    document.body.dataset.lastError = kind;
  }
  return div;
}

const showError = (message, opts = {}) => showMessage(message, opts);
const showWarning = (message, opts = {}) => showMessage(message, { ...opts, warning: true });

function clearMessages(kind) {
  for (const el of [...$("errors").children]) if (el.dataset.kind === kind) el.remove();
}

function setState(s) {
  document.body.dataset.state = s;
  updateButtons();
}

function updateButtons() {
  const c = state.client;
  const solving = !!c?.solving;
  // (Not while a video records the passes on view: a new solve would mix into it.)
  $("solve-btn").disabled = !c?.isReady || !state.info || solving || state.loading || !!state.recording;
  $("cancel-btn").disabled = !solving;
  const run = state.run;
  const ended = !!run?.result;
  const edited = ended && run.task === state.task && inputEdited(run);
  const sameModel = run?.loadSeq === state.loadSeq;
  $("longer-btn").disabled = !ended || !sameModel || solving || state.loading || !state.info || !!state.recording || (run.result.steps ?? 0) >= MAX_STEPS;
  $("longer-btn").textContent = edited ? "Continue on the edited puzzle" : "Think longer";
  $("video-btn").disabled = !state.run?.result || solving || !!state.recording;
  $("load-btn").disabled = !c?.isReady || state.loading || !state.models.length;
  $("model-file").disabled = !c?.isReady || state.loading;
}

function setBadge() {
  const c = state.client;
  const badge = $("backend-badge");
  if (!c || c.initError) {
    badge.dataset.backend = "none";
    badge.querySelector(".badge-name").textContent = "No runtime";
    badge.querySelector(".badge-reason").textContent = c?.initError ? `— ${c.initError.message}` : "";
    return;
  }
  if (!c.isReady) {
    badge.dataset.backend = "starting";
    badge.querySelector(".badge-name").textContent = "Starting the runtime…";
    badge.querySelector(".badge-reason").textContent = "";
    return;
  }
  badge.dataset.backend = c.backend;
  let name = BACKEND_NAMES[c.backend] ?? c.backend;
  if (c.backend === "webgpu" && c.adapter?.name) name += ` · ${c.adapter.name}`;
  if (c.backend === "cpu" && c.threads > 1) name += ` · ${c.threads} threads`;
  badge.querySelector(".badge-name").textContent = name;
  badge.title = c.backend === "cpu" ? [c.threadsNote, c.relaxedSimdNote].filter(Boolean).join("; ") : "";
  const speed = state.speed?.backend === c.backend ? ` · ${fmtMs(state.speed.msPerStep)} ms per step` : "";
  badge.querySelector(".badge-reason").textContent = `${c.backendReason ? `— ${c.backendReason}` : ""}${speed}`;
}


function drawInput() {
  let puzzle = null;
  try {
    puzzle = currentPuzzle();
  } catch {
    puzzle = null;
  }
  const canvas = $("input-canvas");
  if (!puzzle) {
    prepCanvas(canvas, 120, 40).clearRect(0, 0, 120, 40);
    return;
  }
  const cursor = document.activeElement === canvas ? state.editor?.cursor : null;
  drawTokens(canvas, puzzle.task, puzzle.tokens, { size: 270, extent: puzzle.task === "sudoku" ? undefined : puzzle, cursor, labels: $("opt-labels").checked });
  const text = puzzleText(puzzle.task, puzzle.tokens, puzzle.rows, puzzle.cols);
  canvas.setAttribute("aria-label", `Input ${TASKS[puzzle.task].name} puzzle, ${puzzle.rows} by ${puzzle.cols}: click or use the arrow keys to edit`);
  syncAriaGrid(canvas, puzzle.task, text.split("\n").filter((l) => l.length), state.editor?.cursor);
}

/** The grid editor (editor.js) on the input canvas, its ARC palette and tools, and the size
 * controls (maze, ARC). */
function wireEditing() {
  const shape = () => {
    try {
      const p = currentPuzzle();
      return { rows: p.rows, cols: p.cols };
    } catch {
      return state.task === "sudoku" ? { rows: 9, cols: 9 } : { rows: 1, cols: 1 };
    }
  };
  state.editor = wireEditor($("input-canvas"), {
    task: () => state.task,
    text: () => $("puzzle-text").value,
    shape,
    setText: (text) => {
      $("puzzle-text").value = text;
      state.puzzleTouched = true;
      validatePuzzleText();
    },
    redraw: drawInput,
    announce: (sentence) => ($("cell-status").textContent = sentence),
    error: (message) => ($("puzzle-error").textContent = message),
    colourChanged: showPalette,
    strokeEnd: onGridEdited,
  });
  $("arc-palette").replaceChildren(
    ...ARC_COLOUR_NAMES.map((name, c) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `c${c}`;
      b.setAttribute("role", "radio");
      b.setAttribute("aria-label", `${c}: ${name}`);
      b.title = `${c}: ${name} (key ${c})`;
      b.addEventListener("click", () => {
        state.editor.colour = c;
        showPalette();
      });
      return b;
    }),
  );
  for (const tool of ["paint", "fill"]) {
    $(`tool-${tool}`).addEventListener("click", () => {
      state.editor.tool = tool;
      showPalette();
    });
  }
  showPalette();
  $("resize-btn").addEventListener("click", () => {
    try {
      const text = editPuzzle(state.task, $("puzzle-text").value, { op: "resize", rows: Number($("grid-rows").value), cols: Number($("grid-cols").value) });
      $("puzzle-text").value = text;
      state.puzzleTouched = true;
      validatePuzzleText();
    } catch (e) {
      $("puzzle-error").textContent = e.message;
    }
  });
  $("reset-btn").addEventListener("click", () => selectEntry(state.selectedEntry?.index ?? 0));
  for (const id of ["grid-rows", "grid-cols"]) $(id).addEventListener("input", () => (state.sizeChosen = true));
  $("random-level").addEventListener("change", () => (state.sizeChosen = false));
}

function showPalette() {
  const ed = state.editor;
  [...$("arc-palette").children].forEach((b, c) => b.setAttribute("aria-checked", String(c === ed.colour)));
  $("tool-paint").setAttribute("aria-pressed", String(ed.tool !== "fill"));
  $("tool-fill").setAttribute("aria-pressed", String(ed.tool === "fill"));
}

/** The tools for this task, and the size fields showing the puzzle's size. */
function showEditTools(puzzle) {
  $("arc-tools").hidden = state.task !== "arc";
  $("size-tools").hidden = state.task === "sudoku";
  $("edit-hint").textContent = EDIT_HINT[state.task] ?? "";
  const max = state.task === "maze" ? mazeSide() : Math.round(Math.sqrt(seqLenFor("arc")));
  for (const id of ["grid-rows", "grid-cols"]) $(id).max = String(max);
  $("grid-rows").min = $("grid-cols").min = state.task === "maze" ? "2" : "1";
  if (puzzle && document.activeElement?.closest?.("#size-tools") == null) {
    $("grid-rows").value = String(puzzle.rows);
    $("grid-cols").value = String(puzzle.cols);
  }
}

/** An edit on the grid while a solve runs: stop it and continue from the model's current state
 * on the edited puzzle, so one watches it recover. After a solve, "Think longer" offers it. */
function onGridEdited() {
  const run = state.run;
  if (!run || run.task !== state.task || !state.info) return;
  if (state.client?.solving) {
    state.resumeAfterCancel = true;
    state.client.cancel();
  }
  updateButtons();
}

// ---------------------------------------------------------------- the run and its passes

function passLabel(p) {
  if (!p.inner) return `step ${p.step}`;
  if (p.inner.kind === "latent") return `step ${p.step}, latent update (cycle ${p.inner.h + 1}, update ${p.inner.l + 1})`;
  return `step ${p.step}, answer update (cycle ${p.inner.h + 1})`;
}

/** The indices of a `seq`-cell square canvas inside `extent` ({ rows, cols }; all without one). */
function shownCells(seq, extent) {
  const side = Math.round(Math.sqrt(seq));
  const rows = Math.min(side, extent?.rows ?? side), cols = Math.min(side, extent?.cols ?? side);
  const out = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out.push(r * side + c);
  return out;
}

/** The halting line's width: as wide as its figure allows, up to 360 px (a phone's panel is narrower). */
function haltWidth(canvas) {
  return Math.max(120, Math.min(360, Math.floor(canvas.parentElement.clientWidth || 360)));
}

/** The figures of a solve, hidden when there is none to show. */
function hideRunFigures() {
  $("pass-status").textContent = "";
  for (const id of ["grid-figure", "votes-figure", "latent-figure", "verdict"]) $(id).hidden = true;
}

/** A pass's halting probability: a batch (voting's versions) halts when every row wants to, so
 * the lowest of its rows; null for inner passes. */
function haltOf(p) {
  return p.haltProb?.length ? Math.min(...p.haltProb) : null;
}

function rowSlice(arr, seq) {
  return arr ? Array.prototype.slice.call(arr, 0, seq) : null;
}

function countChanged(a, b) {
  if (!a || !b) return null;
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

function renderPass(index) {
  const run = state.run;
  if (!run || !run.passes.length) return;
  index = Math.max(0, Math.min(run.passes.length - 1, index));
  state.view = index;
  const p = run.passes[index];
  const seq = run.seqLen;
  const tokens = rowSlice(p.tokens, seq);
  const confidence = rowSlice(p.confidence, seq);
  const task = run.task;
  const input = p.input ?? run.input;
  const opts = { input, confidence, size: 360, labels: $("opt-labels").checked };
  let conflicts = null;
  if (task === "sudoku") {
    conflicts = sudokuConflicts(tokens);
    opts.conflicts = conflicts;
  }
  if (task === "arc") opts.extent = arcExtent(input, tokens);
  if (task === "maze") opts.extent = run.shape;
  // An end-of-step pass is compared with the previous step's (with inner updates on, the pass
  // before it is the step's own last answer update, the same grid); an inner one with the pass before.
  const prevIndex = p.inner ? index - 1 : run.passes.findLastIndex((q, i) => i < index && !q.inner);
  const prevTokens = prevIndex >= 0 ? rowSlice(run.passes[prevIndex].tokens, seq) : null;
  opts.changed = changedCells(prevTokens, tokens);
  if (task) drawTokens($("grid-canvas"), task, tokens, opts);
  drawLatent(run, index, opts.extent);
  const steps = run.passes.filter((q) => !q.inner);
  const halt = $("halt-canvas");
  const probs = steps.map((q) => haltOf(q) ?? 0);
  const at = steps.findIndex((q) => q.step === p.step);
  drawHalt(halt, probs, at, { width: haltWidth(halt) });
  const stop = probs.findIndex((q) => q > 0.5);
  halt.setAttribute("aria-label", `Halting probability by step${run.rows > 1 ? ` (the lowest of the ${run.rows} versions)` : ""}: ${probs.map(fmtP).join(", ")}; ${stop >= 0 ? `the model would stop at step ${steps[stop].step}` : "the model would not stop yet"}`);
  $("halt-caption").textContent = run.rows > 1
    ? `Halting probability by step, the lowest of the ${run.rows} versions (a batch halts when all of them want to); the marker shows where it would stop (q_halt > 0).`
    : HALT_CAPTION;
  drawTimelineTicks(run);
  showVotes(run, index);
  $("play-btn").disabled = run.passes.length < 2;
  const text = task ? puzzleText(task, tokens, run.shape.rows, run.shape.cols) : tokens.join(" ");
  $("grid-text").textContent = text;
  $("grid-canvas").setAttribute("aria-label", `Prediction at ${passLabel(p)}:\n${text}`);
  $("grid-caption").textContent = `Prediction — ${passLabel(p)}`;

  const slider = $("step-slider");
  slider.max = String(run.passes.length - 1);
  slider.value = String(index);
  slider.disabled = run.passes.length < 2;
  slider.setAttribute("aria-valuetext", `pass ${index + 1} of ${run.passes.length}: ${passLabel(p)}`);
  $("prev-btn").disabled = index === 0;
  $("next-btn").disabled = index >= run.passes.length - 1;

  const changed = countChanged(prevTokens, tokens);
  // Confidence where it means something: a Sudoku's blanks, the cells of the maze or ARC grid
  // shown (not the canvas's padding, which every model predicts with certainty).
  const judged = task === "sudoku" ? [...Array(seq).keys()].filter((i) => !(input?.[i] >= 2)) : shownCells(seq, opts.extent);
  const meanConf = confidence?.length && judged.length ? judged.reduce((a, i) => a + confidence[i], 0) / judged.length : null;
  const halt0 = haltOf(p);
  const parts = [
    `Pass ${index + 1} of ${run.passes.length}: ${passLabel(p)}`,
    p.inner ? `${fmtMs(p.ms)} ms for the whole step` : `${fmtMs(p.ms)} ms`,
    halt0 != null ? `halt probability ${fmtP(halt0)}${run.rows > 1 ? ` (lowest of ${run.rows})` : ""}` : null,
    changed != null ? `${changed} cells changed ${p.inner ? "by this update" : "in this step"}` : null,
    meanConf != null ? `mean confidence ${meanConf.toFixed(3)} on the ${judged.length} ${task === "sudoku" ? "blanks" : "cells shown"}` : null,
    conflicts ? `${conflicts.size} cells in conflict` : null,
    p.backend ? `on ${BACKEND_NAMES[p.backend] ?? p.backend}` : null,
  ].filter(Boolean);
  $("pass-status").textContent = parts.join(" · ");
  showVerdict(run, input, tokens);
  for (const tr of $("steps-table").tBodies[0].rows) tr.classList.toggle("current", Number(tr.dataset.pass) === index);
  state.metrics.renderedPasses++;
  updateHash();
  if (state.metrics.firstPassMs == null) state.metrics.firstPassMs = performance.now();
}

/** The latent view: how far the reasoning latent z_L (the paper's z) or the answer latent z_H (y)
 * moved per cell in the last completed step up to pass `index`. */
function drawLatent(run, index, extent) {
  const p = run.passes.slice(0, index + 1).reverse().find((q) => q.answerChange?.length);
  $("latent-figure").hidden = !p;
  if (!p) return;
  const mode = $("latent-mode").value;
  const side = Math.round(Math.sqrt(run.seqLen));
  const values = Array.prototype.slice.call(p[mode], 0, run.seqLen);
  // One colour scale for the solve up to this pass: the largest move of any cell shown.
  const cells = shownCells(run.seqLen, run.task === "sudoku" ? null : extent);
  let max = 0;
  for (const q of run.passes.slice(0, index + 1)) if (q[mode]?.length) for (const i of cells) max = Math.max(max, q[mode][i]);
  const { lo, hi } = drawHeat($("latent-canvas"), values, { side, extent: run.task === "sudoku" ? null : extent, size: 270, max });
  $("latent-range").textContent = `step ${p.step}: ${lo.toFixed(2)} to ${hi.toFixed(2)} (scale: 0 dark, ${max.toFixed(2)} light, the largest move so far)`;
  $("latent-canvas").setAttribute("aria-label", `How far the ${mode === "answerChange" ? "answer" : "reasoning"} latent moved per cell in step ${p.step}: ${lo.toFixed(2)} to ${hi.toFixed(2)}, on a scale up to ${max.toFixed(2)}`);
}

/** Voting: the answers of every version at the last step up to pass `index`, mapped back,
 * with their votes, and the verdict when the answer is known (ARC: pass@2). */
function showVotes(run, index) {
  const fig = $("votes-figure");
  const p = run.vote && run.passes.slice(0, index + 1).reverse().find((q) => !q.inner);
  fig.hidden = !p;
  if (!p) return;
  if (run.vote.task === "maze") return showMazeVotes(run, p);
  const v = run.vote;
  let ballots;
  try {
    ballots = arcVote(v.names, v.puzzleIds, v.text, p.tokens, p.haltProb);
  } catch (e) {
    $("vote-caption").textContent = `No vote: ${e.message}`;
    return $("vote-list").replaceChildren();
  }
  const answer = run.answer?.trim();
  const rank = answer ? ballots.findIndex((b) => b.text.trim() === answer) : -1;
  $("vote-list").replaceChildren(
    ...ballots.slice(0, 3).map((b, k) => {
      const enc = encodePuzzle("arc", b.text);
      return ballotFigure(k, b.votes, k === rank, b.text, (canvas) => drawTokens(canvas, "arc", enc.tokens, { extent: enc, size: 110 }));
    }),
  );
  const cast = ballots.reduce((n, b) => n + b.votes, 0);
  const verdict = !answer ? "" : rank >= 0 && rank < 2 ? ` ✓ The answer is candidate ${rank + 1}: right at pass@2.` : ` ✗ The answer is not among the top two${rank >= 0 ? ` (it is candidate ${rank + 1})` : ""}.`;
  $("vote-caption").textContent = `Votes at step ${p.step}: ${v.puzzleIds.length} versions of ${v.base} (rotated, mirrored, recoloured), mapped back; ${cast} cast a grid, ${ballots.length} distinct.${verdict}`;
}

/** One candidate of a vote: its grid (drawn by `draw` on a fresh canvas), "#k: n votes", and a
 * frame when it is right. */
function ballotFigure(k, votes, right, text, draw) {
  const f = document.createElement("figure");
  if (right) f.className = "right";
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `Candidate ${k + 1}, ${votes} votes:\n${text}`);
  draw(canvas);
  const cap = document.createElement("figcaption");
  cap.textContent = `#${k + 1}: ${votes} vote${votes === 1 ? "" : "s"}`;
  f.append(canvas, cap);
  return f;
}

/** Maze voting: the 8 rotated and mirrored versions' answers at step `p`, turned back. The top
 * candidate is the model's voted answer, judged like a single one. */
function showMazeVotes(run, p) {
  let ballots;
  try {
    ballots = mazeVote(run.vote.input, p.tokens, p.confidence);
  } catch (e) {
    $("vote-caption").textContent = `No vote: ${e.message}`;
    return $("vote-list").replaceChildren();
  }
  const { rows, cols } = run.shape;
  const verdicts = ballots.map((b) => judge("maze", run.input, b.tokens, rows, cols, run.answer));
  $("vote-list").replaceChildren(
    ...ballots.slice(0, 3).map((b, k) =>
      ballotFigure(k, b.votes, verdicts[k].correct ?? verdicts[k].valid, puzzleText("maze", b.tokens, rows, cols), (canvas) =>
        drawTokens(canvas, "maze", b.tokens, { input: run.input, extent: run.shape, size: 110 }),
      ),
    ),
  );
  const top = verdicts[0]?.summary ? ` The voted answer (#1): ${verdicts[0].summary}` : "";
  $("vote-caption").textContent = `Votes at step ${p.step}: the maze solved in 8 versions (rotated, mirrored), each answer turned back; ${ballots.length} distinct.${top}`;
}

/** Play the passes from the one on view (from the start when at the end), one per tick. */
function setPlaying(on) {
  clearInterval(state.playTimer);
  state.playTimer = null;
  const run = state.run;
  if (on && run?.passes.length > 1) {
    if (state.view >= run.passes.length - 1) renderPass(0);
    $("follow").checked = false;
    state.playTimer = setInterval(() => {
      if (!state.run || state.view >= state.run.passes.length - 1) return setPlaying(false);
      renderPass(state.view + 1);
    }, Number($("play-speed").value) || 500);
  }
  $("play-btn").textContent = state.playTimer ? "Pause" : "Play";
  $("play-btn").setAttribute("aria-label", state.playTimer ? "Pause" : "Play the passes");
}

/** The verdict on the pass on view: ✓/✗ against the answer when known, and the task's rules. */
function showVerdict(run, input, tokens) {
  const el = $("verdict");
  if (!run.task || !input) {
    el.hidden = true;
    return;
  }
  const v = judge(run.task, input, tokens, run.shape.rows, run.shape.cols, run.answer);
  el.hidden = !v.summary;
  // With voting, the grid shown is the original version's own prediction; the vote is judged apart.
  el.textContent = run.vote && v.summary ? `This version alone: ${v.summary}` : v.summary;
  el.dataset.ok = String(v.correct ?? v.valid ?? "");
}

function onSolveStart(detail) {
  setPlaying(false);
  const info = state.info ?? state.client?.info;
  const cfg = info?.config ?? {};
  const seq = cfg.seq_len ?? detail.tokens.length;
  const prev = state.run;
  if (detail.options?.resume && prev && prev.task === (detail.task ?? taskOf(cfg))) {
    // A continued solve: same timeline, new input (the edited puzzle) from the next pass on.
    const input = rowSlice(detail.tokens, seq);
    if (input.some((t, i) => t !== prev.input[i])) prev.edits.push({ at: prev.passes.length, step: prev.result?.steps ?? 0 });
    const from = prev.result?.steps ?? 0;
    Object.assign(prev, { id: detail.id, input, shape: state.pendingShape ?? prev.shape, answer: state.pendingAnswer, result: null, resumedFrom: from, vote: state.pendingVote });
    $("solve-summary").textContent = "Continuing…";
    $("follow").checked = true;
    setState("solving");
    return;
  }
  state.run = {
    id: detail.id,
    task: detail.task ?? taskOf(cfg),
    seqLen: seq,
    // The puzzle's own size on the canvas, for its text (a 10×10 maze on a 30×30 canvas).
    shape: state.pendingShape ?? { rows: 30, cols: 30 },
    answer: state.pendingAnswer ?? null,
    input: rowSlice(detail.tokens, seq),
    rows: seq ? detail.tokens.length / seq : 1,
    options: detail.options,
    passes: [],
    lastStepTokens: null,
    result: null,
    startedAt: performance.now(),
    // Where the puzzle was edited mid-solve: { at: first pass on the new input, step }.
    edits: [],
    vote: state.pendingVote ?? null,
    loadSeq: state.loadSeq, // a continued solve needs the same model loaded
    entryText: state.entryText, // the puzzle picked when it started (edits aside)
  };
  state.view = 0;
  $("steps-table").tBodies[0].replaceChildren();
  $("solve-summary").textContent = "Solving…";
  $("pass-status").textContent = "Waiting for the first pass…";
  $("grid-caption").textContent = "Prediction";
  $("step-slider").max = "0";
  $("step-slider").value = "0";
  if (state.run.task) drawTokens($("input-canvas"), state.run.task, state.run.input, { size: 270, extent: state.run.task === "maze" ? state.run.shape : undefined });
  $("grid-figure").hidden = false;
  setState("solving");
}

/** Another puzzle or model: the last solve leaves the page (a running one is cancelled), so no
 * prediction, verdict, vote or step table stays beside a puzzle or model it was not computed for,
 * and "Think longer" cannot continue it there. */
function clearRun() {
  if (!state.run) return;
  if (state.client?.solving) {
    state.resumeAfterCancel = false;
    state.client.cancel();
  }
  setPlaying(false);
  state.run = null;
  state.view = 0;
  hideRunFigures();
  $("steps-table").tBodies[0].replaceChildren();
  $("solve-summary").textContent = "";
  const slider = $("step-slider");
  Object.assign(slider, { max: "0", value: "0", disabled: true });
  for (const id of ["prev-btn", "next-btn", "play-btn"]) $(id).disabled = true;
  drawHalt($("halt-canvas"), [], -1, { width: haltWidth($("halt-canvas")) });
  drawTimelineTicks({ passes: [], edits: [] });
  updateButtons();
  updateHash();
}

function onPass(id, pass) {
  const run = state.run;
  if (!run || run.id !== id) return;
  pass.input = run.input; // the puzzle this pass saw (an edit mid-solve changes it)
  run.passes.push(pass);
  const index = run.passes.length - 1;
  if (!pass.inner) {
    const tokens = rowSlice(pass.tokens, run.seqLen);
    const tr = document.createElement("tr");
    tr.dataset.pass = String(index);
    const cells = [
      null,
      fmtMs(pass.ms),
      pass.haltProb?.length ? fmtP(haltOf(pass)) : "–",
      String(countChanged(run.lastStepTokens, tokens) ?? "–"),
      { webgpu: "WebGPU", cpu: "CPU" }[pass.backend] ?? pass.backend ?? "",
    ];
    const th = document.createElement("th");
    th.scope = "row";
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = String(pass.step);
    b.setAttribute("aria-label", `Show step ${pass.step}`);
    b.addEventListener("click", () => {
      $("follow").checked = false;
      renderPass(index);
    });
    th.append(b);
    tr.append(th);
    for (const text of cells.slice(1)) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    $("steps-table").tBodies[0].append(tr);
    run.lastStepTokens = tokens;
  }
  if ($("follow").checked || run.passes.length === 1) renderPass(index);
  else {
    $("step-slider").max = String(run.passes.length - 1);
    $("step-slider").disabled = false;
    $("next-btn").disabled = state.view >= run.passes.length - 1;
    drawTimelineTicks(run);
  }
}

function drawTimelineTicks(run) {
  const canvas = $("ticks-canvas");
  drawTicks(canvas, run.passes, run.edits, { width: canvas.parentElement.clientWidth || 360 });
}

function onDone(id, result) {
  const run = state.run;
  if (!run || run.id !== id) return settleAfterClearedRun();
  run.result = result;
  // An edit during the last step: the solve ended before the cancel; "Continue on the edited
  // puzzle" offers the rest, and a later Cancel must not continue.
  if (!result.cancelled) state.resumeAfterCancel = false;
  if (result.cancelled && state.resumeAfterCancel) {
    // Cancelled for an edit on the grid: go on from here on the edited puzzle.
    state.resumeAfterCancel = false;
    setState("solving");
    setTimeout(continueSolve, 0);
    return;
  }
  const steps = result.steps ?? 0;
  const ran = steps - (run.resumedFrom ?? 0); // a continued solve times only its own steps
  const parts = [
    result.cancelled ? `Cancelled after ${steps} step${steps === 1 ? "" : "s"}` : `Done: ${steps} step${steps === 1 ? "" : "s"}`,
    run.resumedFrom ? `continued from step ${run.resumedFrom}` : null,
    `${fmtMs(result.totalMs)} ms${run.resumedFrom ? ` for the last ${ran}` : " in all"}`,
    ran > 0 ? `${fmtMs(result.totalMs / ran)} ms per step` : null,
    result.haltProb?.length ? `final halt probability ${fmtP(Math.min(...result.haltProb))}${result.haltProb.length > 1 ? ` (lowest of ${result.haltProb.length})` : ""}` : null,
    `on ${BACKEND_NAMES[result.backend] ?? result.backend}`,
  ].filter(Boolean);
  $("solve-summary").textContent = parts.join(" · ");
  if (ran > 0) state.speed = { backend: result.backend, msPerStep: result.totalMs / ran };
  if (result.fellBack) showWarning(result.fellBack, { kind: "fallback", title: "The GPU was lost during the solve; it continued on the CPU" });
  setBadge();
  setState(result.cancelled ? "cancelled" : "solved");
}

/** The end of a solve whose run left the page (see [clearRun]): the page is idle again. */
function settleAfterClearedRun() {
  if (document.body.dataset.state === "solving" && !state.client?.solving) setState(state.info ? "loaded" : "ready");
  else updateButtons();
}

function onSolveError(detail) {
  state.resumeAfterCancel = false;
  const run = state.run;
  if (run && run.id === detail.id) {
    $("solve-summary").textContent = `The solve failed: ${detail.message}`;
    if (!run.passes.length) hideRunFigures();
    if (!run.fromUi) showError(detail.message, { kind: "solve", title: "The solve failed" });
  } else return settleAfterClearedRun();
  setBadge();
  setState(state.info ? "loaded" : "ready");
}

// ---------------------------------------------------------------- puzzles

function populatePuzzles() {
  const task = state.task;
  const sel = $("puzzle-select");
  // No gallery here (or it could not be read): start from a generated puzzle where there is a generator.
  if (!state.galleries[task]?.length && !state.randomEntries[task] && LEVELS[task]) state.randomEntries[task] = randomEntry(task, LEVELS[task][0]);
  // A maze model on a smaller canvas: a generated maze that fits it (made when the gallery has
  // none that does), and the gallery's mazes too big for it last, marked.
  const generated = state.randomEntries.maze;
  if (task === "maze" && (generated ? !fitsModel(generated) : !(state.galleries.maze ?? []).some(fitsModel))) {
    const level = $("random-level").value;
    state.randomEntries.maze = randomEntry("maze", LEVELS.maze.includes(level) ? level : LEVELS.maze[0]);
  }
  // ARC: the tasks the loaded model learned (it has their puzzle embeddings) come first, and say
  // so; first of all those whose held-out test its card says it solves.
  const learned = (e) => task === "arc" && learnedByModel(e);
  const solved = new Set(task === "arc" ? cardSolvedTasks(state.info?.metadata) : []);
  const rank = (e) => (task === "maze" ? (fitsModel(e) ? 2 : 3) : learned(e) ? (solved.has(e.id) ? 0 : 1) : 2);
  const list = [...(state.galleries[task] ?? []), state.randomEntries[task]].filter(Boolean);
  const entries = list
    .map((e, i) => [rank(e), i, e])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map(([rank, , e], i) => ({ ...e, index: i, rank }));
  state.entries = entries;
  sel.replaceChildren(
    ...entries.map((e, i) => {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = e.name + [" — learned by this model; solved in its held-out test", " — learned by this model", "", " — too big for this model"][e.rank];
      return o;
    }),
  );
  const note = state.galleryNotes[task];
  $("puzzle-help").textContent = TASK_HELP[task] + (note ? ` ${note}` : "");
  $("arc-id-row").hidden = task !== "arc";
  $("random-row").hidden = !LEVELS[task];
  $("random-level").replaceChildren(
    ...(LEVELS[task] ?? []).map((level) => {
      const o = document.createElement("option");
      o.value = o.textContent = level;
      return o;
    }),
  );
}

/** Whether the loaded model has the puzzle embedding of this ARC gallery entry's task. */
function learnedByModel(e) {
  const names = state.info?.puzzleIdentifiers;
  return !!e?.puzzleName && Array.isArray(names) && names.includes(e.puzzleName);
}

/** A generated puzzle as a picker entry: a maze of the level's size, or of the size typed into
 * the size fields since the level was last chosen. */
function randomEntry(task, level) {
  const [rows, cols] = [Number($("grid-rows").value), Number($("grid-cols").value)];
  const size = task !== "maze" ? undefined : state.sizeChosen && rows >= 2 && cols >= 2 ? { rows, cols } : { maxSide: mazeSide() };
  const seed = params.seed == null ? undefined : (params.seed + state.generated++) >>> 0;
  const g = randomPuzzle(task, level, seed, size);
  return { key: `${task}:random`, name: `Random ${level} ${TASKS[task].name} (${g.difficulty})`, task, text: g.text, solution: g.solution };
}

function newRandomPuzzle() {
  const task = state.task;
  try {
    state.randomEntries[task] = randomEntry(task, $("random-level").value);
  } catch (err) {
    $("puzzle-error").textContent = err.message;
    return;
  }
  const level = $("random-level").value;
  populatePuzzles();
  $("random-level").value = level;
  state.puzzleTouched = true;
  selectEntry(state.entries.find((e) => e.key === `${task}:random`).index);
}

function selectEntry(index) {
  const e = state.entries[index] ?? state.entries[0];
  if (!e) return;
  $("puzzle-select").value = String(e.index);
  // The editor shows the codec's own layout of the puzzle (9 lines for a Sudoku), or the text as written if it does not parse.
  let text = e.text;
  try {
    const enc = encodePuzzle(e.task, e.text, seqLenFor(e.task));
    text = puzzleText(e.task, enc.tokens, enc.rows, enc.cols);
  } catch {
    text = e.text;
  }
  // Another puzzle (not "Reset" back to the one solved): the last solve leaves the page.
  if (state.run && state.run.entryText !== text) clearRun();
  $("puzzle-text").value = text;
  state.entryText = text; // while the editor holds exactly this, the entry's answer applies
  state.selectedEntry = e;
  updateHash();
  showDemonstrations(e);
  $("puzzle-id").value = String(resolvePuzzleId(e) ?? 0);
  validatePuzzleText();
}

/** ARC: the task's demonstration pairs, input → output, beside the test input. */
function showDemonstrations(e) {
  const pairs = e?.task === "arc" ? (e.train ?? []) : [];
  $("demos").hidden = !pairs.length;
  $("demo-list").replaceChildren(
    ...pairs.map((pair, i) => {
      const div = document.createElement("div");
      div.className = "demo-pair";
      const arrow = document.createElement("span");
      arrow.textContent = "→";
      arrow.setAttribute("aria-hidden", "true");
      const [a, b] = [pair.input, pair.output].map((grid, k) => {
        const canvas = document.createElement("canvas");
        canvas.setAttribute("role", "img");
        const text = grid.map((row) => row.join("")).join("\n");
        canvas.setAttribute("aria-label", `Demonstration ${i + 1} ${k ? "output" : "input"}:\n${text}`);
        const enc = encodePuzzle("arc", text);
        drawTokens(canvas, "arc", enc.tokens, { extent: enc, size: 110 });
        return canvas;
      });
      div.append(a, arrow, b);
      return div;
    }),
  );
}

function resolvePuzzleId(e) {
  const names = state.info?.puzzleIdentifiers;
  if (e?.puzzleName && Array.isArray(names)) {
    const i = names.indexOf(e.puzzleName);
    if (i >= 0) return i;
  }
  return e?.puzzleId ?? 0;
}

function setTask(task, { keepText = false } = {}) {
  if (!TASKS[task]) return;
  state.task = task;
  $("task-select").value = task;
  populatePuzzles();
  populateModels();
  if (!keepText) selectEntry(0);
}

/** The side of the square canvas a maze is encoded on: the loaded maze model's, else 30. */
function mazeSide() {
  return Math.round(Math.sqrt(seqLenFor("maze")));
}

/** Whether a picker entry's puzzle fits the loaded model's canvas (the codec decides). */
function fitsModel(e) {
  try {
    encodePuzzle(e.task, e.text, seqLenFor(e.task));
    return true;
  } catch {
    return false;
  }
}

/** Tokens per puzzle of the loaded model when it reads this task (a maze model may use a smaller canvas), else the task's reference layout. */
function seqLenFor(task) {
  const cfg = state.info?.config;
  return cfg && (state.info.task ?? taskOf(cfg)) === task ? cfg.seq_len : TASKS[task].seqLen;
}

function currentPuzzle() {
  const parsed = encodePuzzle(state.task, $("puzzle-text").value, seqLenFor(state.task));
  let puzzleId = 0;
  if (state.task === "arc") {
    const v = Number($("puzzle-id").value);
    if (!Number.isInteger(v) || v < 0) throw new Error("The puzzle identifier must be a whole number ≥ 0.");
    puzzleId = v;
  }
  return { ...parsed, puzzleId };
}

function validatePuzzleText() {
  updateHash();
  let msg = "";
  let puzzle = null;
  try {
    puzzle = currentPuzzle();
    if (puzzle.notes?.length) msg = `Note: ${puzzle.notes.join("; ")}.`;
  } catch (e) {
    msg = e.message;
  }
  $("puzzle-error").textContent = msg;
  showEditTools(puzzle);
  drawInput();
  updatePuzzleIdName();
  updateButtons();
}

function updatePuzzleIdName() {
  const names = state.info?.puzzleIdentifiers;
  const v = Number($("puzzle-id").value);
  $("puzzle-id-name").textContent = Array.isArray(names) && names[v] != null ? `= ${names[v]}` : "";
}

async function loadGalleries() {
  await Promise.all(
    Object.keys(TASKS).map(async (task) => {
      try {
        const r = await fetch(`data/${task}-gallery.json`);
        if (!r.ok) {
          state.galleryNotes[task] = "(No example gallery here yet: use the built-in example or paste a puzzle.)";
          return;
        }
        state.galleries[task] = galleryEntries(task, await r.text()).map((e) => ({
          ...e,
          key: `${task}:${e.id}${e.test ? `#${e.test + 1}` : ""}`,
          task,
          // ARC: the task id is the puzzle-identifier name a model trained on it knows.
          puzzleName: task === "arc" ? e.id : undefined,
        }));
      } catch (e) {
        state.galleryNotes[task] = `(The gallery could not be read: ${e.message}.)`;
      }
    }),
  );
}

// ---------------------------------------------------------------- models

async function loadModelList() {
  const sel = $("model-select");
  try {
    const r = await fetch("models/models.json");
    if (!r.ok) throw new Error(`models/models.json: HTTP ${r.status}`);
    state.models = parseModelList(await r.json(), Object.keys(TASKS));
  } catch (e) {
    state.models = [];
    state.modelListError = e.message;
  }
  if (!state.models.length) {
    const o = document.createElement("option");
    o.value = "";
    o.textContent = state.modelListError ? "(no model list: models/models.json is missing)" : "(the model list is empty)";
    sel.replaceChildren(o);
    return;
  }
  populateModels();
}

/** The model picker: the models for the current task (and any of unknown task), under their
 * group ("Trained models", "Test models ..."), groups in list order. */
function populateModels() {
  const sel = $("model-select");
  if (!state.models.length) return;
  const nodes = [];
  const groups = new Map();
  state.models.forEach((m, i) => {
    if (m.task && m.task !== state.task) return;
    const o = document.createElement("option");
    o.value = String(i);
    o.textContent = `${m.name}${m.task ? ` — ${TASKS[m.task].name}` : ""}${m.size ? ` (${fmtMB(m.size)})` : ""}`;
    if (m.note) o.title = m.note;
    if (!m.group) return nodes.push(o);
    if (!groups.has(m.group)) {
      const g = document.createElement("optgroup");
      g.label = m.group;
      groups.set(m.group, g);
      nodes.push(g);
    }
    groups.get(m.group).append(o);
  });
  sel.replaceChildren(...nodes);
  const current = (state.pendingEntry ?? state.modelEntry)?.index;
  if (current != null && state.models[current]?.task === state.task) sel.value = String(current);
  showModelAbout();
}

/** Under the picker, before anything loads: what the chosen model is, its size, how it was
 * trained and its measured accuracy (from models.json), and its card. */
function showModelAbout() {
  const m = state.models[Number($("model-select").value)];
  $("model-select").title = m?.note ?? "";
  // Once the chosen model is loaded its card (below) says the same, so it is said once.
  const loaded = m != null && m.url === state.modelEntry?.url && !$("model-card").hidden;
  $("model-about").hidden = loaded;
  withCardLink($("model-about"), aboutModel(m), m?.card);
}

/** `el` shows `text`, then a link to the model card when there is one. */
function withCardLink(el, text, card) {
  const nodes = text ? [`${text} `] : [];
  if (card) {
    const a = document.createElement("a");
    a.href = card;
    a.target = "_blank";
    a.textContent = "Model card";
    nodes.push(a);
  }
  el.replaceChildren(...nodes);
}

function findModel(ref) {
  if (!ref) return null;
  const byName = state.models.find((m) => m.name === ref);
  if (byName) return byName;
  try {
    const abs = new URL(ref, location.href).href;
    return state.models.find((m) => new URL(m.url, location.href).href === abs) ?? { name: ref, url: ref, task: null, note: "", trained: false };
  } catch {
    return null;
  }
}


/** The model card a trained model carries in its header (`trm train` writes it): how it was
 * trained and its held-out accuracy, with a link to the full card when models.json names one. */
function showCard(info, entry) {
  const el = $("model-card");
  const text = cardSummary(info.metadata);
  el.hidden = !text;
  withCardLink(el, text, text ? entry?.card : null);
  showModelAbout();
}

/** One line above the puzzle: which model will solve it, and whether it was trained. */
function updateModelLine(info, entry) {
  const task = info.task ?? taskOf(info.config);
  const trained = entry?.trained || String(info.metadata?.trained ?? "").toLowerCase() === "true";
  const a = document.createElement("a");
  a.href = "#model-panel";
  a.textContent = "change";
  // ARC: which of the gallery's tasks it can solve (those whose puzzle embeddings it learned).
  let learned = "";
  if (task === "arc" && Array.isArray(info.puzzleIdentifiers)) {
    const n = new Set((state.galleries.arc ?? []).filter(learnedByModel).map((e) => e.id)).size;
    const solved = cardSolvedTasks(info.metadata).length;
    learned = n ? ` · learned ${n} of the gallery's tasks (listed first)${solved ? `, solves ${solved} of their held-out tests` : ""}` : " · learned none of the gallery's tasks";
  }
  $("model-line").replaceChildren(
    `Model: ${entry?.name ?? "your file"} (${task ? TASKS[task].name : "unknown task"}, ${trained ? "trained" : "random weights"})${learned} · `,
    a,
  );
}

/** The storage panel: each cached weights file with its size, and a button to delete it. */
async function showStorage() {
  let files = [];
  try {
    files = await TrmClient.cachedWeights();
  } catch (e) {
    $("cache-list").replaceChildren(Object.assign(document.createElement("li"), { textContent: `The cache cannot be read: ${e.message}` }));
    return;
  }
  const total = files.reduce((n, f) => n + f.bytes, 0);
  $("cache-list").replaceChildren(
    ...files.map((f) => {
      const li = document.createElement("li");
      const name = decodeURIComponent(new URL(f.url).pathname.split("/").pop());
      li.append(`${name} — ${fmtMB(f.bytes)}`);
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "Delete";
      b.setAttribute("aria-label", `Delete the cached ${name}`);
      b.addEventListener("click", async () => {
        await TrmClient.uncache(f.url);
        $("cache-text").textContent = `${name} deleted from this browser.`;
        showStorage();
      });
      li.append(b);
      return li;
    }),
    ...(files.length ? [] : [Object.assign(document.createElement("li"), { textContent: "No model weights are stored." })]),
  );
  $("clear-cache-btn").disabled = !files.length;
  if (files.length > 1) $("cache-list").append(Object.assign(document.createElement("li"), { textContent: `${fmtMB(total)} in all` }));
}

function onLoaded(info) {
  const entry = state.pendingEntry ?? findModel(info.url) ?? { name: info.url ?? "Model from a file", trained: false };
  state.pendingEntry = null;
  state.info = info;
  state.modelEntry = entry;
  if (state.run && state.run.loadSeq !== state.loadSeq) clearRun();
  state.speed = null; // the badge's "ms per step" is the next solve's, on this model
  if (state.metrics.firstLoadedMs == null) state.metrics.firstLoadedMs = performance.now();
  const modelTask = info.task ?? taskOf(info.config);
  $("model-info").textContent = describeInfo(info, entry?.name, modelTask ? TASKS[modelTask].name : null);
  updateModelLine(info, entry);
  const trained = entry.trained || String(info.metadata?.trained ?? "").toLowerCase() === "true";
  const warn = $("model-warning");
  warn.hidden = trained;
  warn.textContent = trained
    ? ""
    : "These weights are random (untrained): the model's answers are meaningless. It is here to exercise the runtime, not to solve puzzles.";
  showCard(info, entry);
  if (info.source === "network") {
    $("cache-text").textContent = info.cached ? "Weights saved in this browser: the next load needs no download." : `Weights not cached (${info.cacheError ?? "unknown reason"}); they stay in memory.`;
  } else if (info.source === "cache") $("cache-text").textContent = "Weights loaded from the browser cache (no download).";
  else $("cache-text").textContent = "";
  showStorage();
  const cfg = info.config ?? {};
  if (cfg.halt_max_steps && params.steps == null) $("opt-steps").value = String(cfg.halt_max_steps);
  const task = info.task ?? taskOf(cfg);
  if (task && task !== state.task && !state.puzzleTouched) setTask(task);
  else validatePuzzleText(); // the model's canvas may differ: encode the puzzle for it
  populateModels();
  if (state.task === "arc" || state.task === "maze") {
    // List the ARC tasks this model learned first, the mazes too big for its canvas last. A
    // puzzle the visitor picked or edited stays selected; the list's default (its first entry,
    // unedited) moves to the new first entry.
    const prev = state.selectedEntry;
    const isDefault = prev?.index === 0 && $("puzzle-text").value === state.entryText && !params.puzzle && !params.text;
    populatePuzzles();
    const e = isDefault ? null : state.entries.find((x) => x.key === prev?.key);
    if (e) {
      $("puzzle-select").value = String(e.index);
      state.selectedEntry = e;
    } else if (isDefault) selectEntry(0);
  }
  $("puzzle-id").max = String(Math.max(0, (cfg.num_puzzle_identifiers ?? 1) - 1));
  if (state.selectedEntry) $("puzzle-id").value = String(resolvePuzzleId(state.selectedEntry));
  // A shared link's own ARC grid: the identifier it was solved under (once, on the first load).
  if (params.puzzleId != null && !state.linkIdApplied && state.task === "arc" && $("puzzle-text").value !== state.entryText) {
    $("puzzle-id").value = String(Math.min(params.puzzleId, Number($("puzzle-id").max)));
  }
  state.linkIdApplied = true;
  updatePuzzleIdName();
  setBadge();
  setState("loaded");
  // A task picked while this model loaded: load the task's own model now.
  const wanted = state.taskModelWanted;
  state.taskModelWanted = null;
  const m = wanted === state.task && task !== state.task ? state.models.find((x) => x.task === state.task) : null;
  if (m) setTimeout(() => loadModel(m.url, m), 0);
}

async function loadModel(source, entry) {
  const c = state.client;
  if (!c) return;
  clearMessages("load");
  if (c.solving) c.cancel();
  state.loadSeq++;
  state.loading = true;
  state.pendingEntry = entry;
  setState("loading");
  $("load-status").hidden = false;
  const bar = $("load-progress");
  const text = $("load-text");
  bar.removeAttribute("value");
  text.textContent = `Loading ${entry.name}${entry.size ? ` (${fmtMB(entry.size)} to download, or less from the cache)` : ""}…`;
  const onProgress = ({ stage, loaded, total, fromCache }) => {
    if (stage === "downloading" || stage === "reading cache") {
      if (total) {
        bar.max = total;
        bar.value = loaded;
        text.textContent = `${fromCache ? "Reading from the cache" : "Downloading"} ${entry.name}: ${fmtMB(loaded)} of ${fmtMB(total)} (${((100 * loaded) / total).toFixed(0)}%)`;
      } else text.textContent = `${fromCache ? "Reading from the cache" : "Downloading"} ${entry.name}: ${fmtMB(loaded)}`;
    } else {
      bar.removeAttribute("value");
      text.textContent = `${entry.name}: ${stage}…`;
    }
  };
  try {
    await c.load(source, onProgress);
    text.textContent = `${entry.name} is ready.`;
    bar.max = 1;
    bar.value = 1;
    updateHash();
  } catch (e) {
    state.pendingEntry = null;
    text.textContent = `Could not load ${entry.name}.`;
    bar.max = 1;
    bar.value = 0;
    const still = state.info ? ` The previous model (${state.modelEntry?.name ?? "unnamed"}) is still loaded.` : "";
    showError(`${e.message}${still}`, { kind: "load", title: `Could not load the model “${entry.name}”` });
  } finally {
    state.loading = false;
    setState(state.info ? (c.solving ? "solving" : "loaded") : c.isReady ? "ready" : "error");
  }
}

// ---------------------------------------------------------------- solving

/** Whether the puzzle in the editor differs from the input the run last used. */
function inputEdited(run) {
  try {
    const p = currentPuzzle();
    return p.tokens.length !== run.input.length || p.tokens.some((t, i) => t !== run.input[i]);
  } catch {
    return false;
  }
}

/** Continue the last solve for 16 more steps, on the puzzle as it is now (edited or not). */
function continueSolve({ thinkLonger = false } = {}) {
  const done = state.run?.result?.steps ?? 0;
  return solveCurrent({ resume: true, maxSteps: Math.min(MAX_STEPS, done + 16), thinkLonger });
}

/** Voting on, as one batch: for ARC every version of the task the model learned, for a maze its
 * 8 rotations and mirrors; else null. */
function voteBatch(puzzle, { always = false } = {}) {
  if (!always && !$("opt-vote").checked) return null;
  if (puzzle.task === "maze") {
    const input = Uint32Array.from(puzzle.tokens);
    return { task: "maze", input, tokens: mazeVersions(input), puzzleIds: [] };
  }
  const names = state.info?.puzzleIdentifiers;
  if (puzzle.task !== "arc" || !Array.isArray(names)) return null;
  const base = String(names[puzzle.puzzleId] ?? "").split("|||")[0];
  if (!base || base === "<blank>") return null;
  const text = puzzleText("arc", puzzle.tokens);
  const v = arcVersions(names, base, text, puzzle.tokens.length);
  return v.puzzleIds.length > 1 ? { ...v, task: "arc", names, text, base } : null;
}

async function solveCurrent({ resume = false, maxSteps = null, thinkLonger = false } = {}) {
  const c = state.client;
  clearMessages("solve");
  clearMessages("fallback");
  if (!c?.isReady) return showError("The runtime is not running.", { kind: "solve" });
  if (!state.info) return showError("Load a model first.", { kind: "solve" });
  let puzzle;
  try {
    puzzle = currentPuzzle();
  } catch (e) {
    return showError(e.message, { kind: "solve", title: "The puzzle is not valid" });
  }
  const cfg = state.info.config ?? {};
  const modelTask = state.info.task ?? taskOf(cfg);
  if (modelTask !== puzzle.task) {
    const mt = modelTask ? `a ${TASKS[modelTask].name} model` : "not a model for any known task";
    return showError(
      `This model is ${mt} (seq_len ${cfg.seq_len}, vocab ${cfg.vocab_size}), but the puzzle is ${TASKS[puzzle.task].name === "ARC" ? "an ARC task" : `a ${TASKS[puzzle.task].name}`}. Load a ${TASKS[puzzle.task].name} model, or pick a puzzle for this model.`,
      { kind: "solve", title: "Wrong model for this puzzle" },
    );
  }
  const steps = Number($("opt-steps").value);
  const options = {
    maxSteps: maxSteps ?? (Number.isInteger(steps) && steps >= 1 && steps <= 64 ? steps : undefined),
    inner: $("opt-inner").checked,
    stopOnHalt: $("opt-halt").checked && !thinkLonger,
    resume,
  };
  state.pendingShape = { rows: puzzle.rows, cols: puzzle.cols };
  state.pendingAnswer = $("puzzle-text").value === state.entryText ? (state.selectedEntry?.solution ?? null) : null;
  // A continued solve keeps the batch it started with (the runtime checks it).
  // (the voting box may have changed since: it applies to the next new solve).
  const vote = resume ? (state.run?.vote ? voteBatch(puzzle, { always: true }) : null) : voteBatch(puzzle);
  state.pendingVote = vote;
  const batch = vote ? { tokens: vote.tokens, puzzleIds: vote.puzzleIds } : { tokens: puzzle.tokens, puzzleIds: puzzle.task === "arc" ? [puzzle.puzzleId] : [] };
  const promise = c.solve(batch, null, options);
  if (state.run) state.run.fromUi = true;
  try {
    return await promise;
  } catch (e) {
    if (!state.run || state.run.result == null) $("solve-summary").textContent = `The solve failed: ${e.message}`;
    showError(e.message, { kind: "solve", title: "The solve failed" });
    return null;
  }
}

// ---------------------------------------------------------------- start-up

function startClient() {
  let client;
  try {
    client = new TrmClient({ backend: params.backend });
  } catch (e) {
    showError(e.message, { kind: "init", title: "The runtime could not start" });
    return;
  }
  state.client = client;
  client.addEventListener("solvestart", (ev) => onSolveStart(ev.detail));
  client.addEventListener("pass", (ev) => onPass(ev.detail.id, ev.detail.pass));
  client.addEventListener("done", (ev) => onDone(ev.detail.id, ev.detail.result));
  client.addEventListener("solveerror", (ev) => onSolveError(ev.detail));
  client.addEventListener("loaded", (ev) => onLoaded(ev.detail.info));
  client.addEventListener("error", (ev) => {
    const d = ev.detail ?? {};
    if (d.op === "init") return; // reported by the ready handler below
    showError(d.message, { kind: d.op ?? "runtime", title: "Runtime error" });
  });
  client.addEventListener("restart", () => {
    state.info = null;
    $("model-info").textContent = "The runtime was restarted: load the model again.";
    setBadge();
    setState(client.isReady ? "ready" : "starting");
    const seq = state.loadSeq;
    client.ready.then(() => {
      setBadge();
      setState("ready");
      // Reload the last good model, unless someone loaded another one meanwhile.
      if (state.loadSeq === seq && state.modelEntry?.url) loadModel(state.modelEntry.url, state.modelEntry);
    }, () => setBadge());
  });
  return client.ready.then(
    () => {
      state.metrics.readyMs = performance.now();
      window.trm = client;
      setBadge();
      setState("ready");
    },
    (e) => {
      setBadge();
      window.trmInitError = e.message;
      const actions = [];
      if (params.backend !== "cpu") actions.push({ label: "Use the CPU instead", onClick: () => switchBackend("cpu") });
      const title = params.backend === "webgpu" && /webgpu/i.test(e.message) ? "WebGPU is not available" : "The runtime could not start";
      showError(e.message, { kind: "init", title, actions });
      setState("error");
    },
  );
}

function switchBackend(b) {
  const u = new URL(location.href);
  u.searchParams.set("backend", b);
  location.assign(u.href);
}

function wireUi() {
  wireEditing();
  wireDrop();
  $("backend-select").value = params.backend;
  $("backend-select").addEventListener("change", (e) => switchBackend(e.target.value));
  $("task-select").addEventListener("change", (e) => {
    state.puzzleTouched = true;
    state.sizeChosen = false;
    setTask(e.target.value);
    // Picking a task picks a model for it: the first listed (trained models come first).
    const loaded = state.info ? (state.info.task ?? taskOf(state.info.config)) : null;
    const m = state.models.find((x) => x.task === state.task);
    if (!m || loaded === state.task) return;
    // While the runtime starts or another model loads, this one follows it (see onLoaded).
    if (state.client?.isReady && !state.loading) loadModel(m.url, m);
    else state.taskModelWanted = state.task;
  });
  $("puzzle-select").addEventListener("change", (e) => selectEntry(Number(e.target.value)));
  $("random-btn").addEventListener("click", newRandomPuzzle);
  $("share-btn").addEventListener("click", () => copyText(viewLink({ embed: false }), "Link"));
  $("embed-btn").addEventListener("click", () =>
    copyText(`<iframe src="${viewLink({ embed: true })}" title="Tiny Recursive Model: ${TASKS[state.task].name}" width="100%" height="640" style="border:0;max-width:760px" loading="lazy"></iframe>`, "Embed code"),
  );
  $("png-btn").addEventListener("click", savePng);
  $("video-btn").addEventListener("click", saveVideo);
  if (params.embed) {
    document.body.classList.add("embed");
    const full = new URL(location.href);
    full.hash = full.hash.replace(/(^#|&)embed=1/, "$1");
    $("full-demo").href = full.href;
    // The settings panel is hidden here: the model's download progress goes under the puzzle.
    $("model-line").after($("load-status"));
  }
  let timer = null;
  $("puzzle-text").addEventListener("input", () => {
    state.puzzleTouched = true;
    clearTimeout(timer);
    timer = setTimeout(validatePuzzleText, 200);
  });
  $("puzzle-id").addEventListener("input", () => {
    updatePuzzleIdName();
  });
  $("opt-inner").checked = params.inner;
  $("opt-halt").checked = params.halt;
  $("opt-vote").checked = params.vote;
  if (params.steps) $("opt-steps").value = String(params.steps);
  $("solve-btn").addEventListener("click", () => solveCurrent());
  $("cancel-btn").addEventListener("click", () => state.client?.cancel());
  $("load-btn").addEventListener("click", () => {
    const m = state.models[Number($("model-select").value)];
    if (m) loadModel(m.url, m);
  });
  $("model-select").addEventListener("change", showModelAbout);
  $("model-file").addEventListener("change", (e) => {
    const f = e.target.files?.[0];
    if (f) loadModel(f, { name: f.name, trained: false });
    e.target.value = "";
  });
  $("clear-cache-btn").addEventListener("click", async () => {
    try {
      const ok = await state.client?.clearCache();
      $("cache-text").textContent = ok ? "Cached weights deleted." : "There were no cached weights.";
      showStorage();
    } catch (e) {
      $("cache-text").textContent = `Could not delete the cached weights: ${e.message}`;
    }
  });
  $("step-slider").addEventListener("input", (e) => {
    setPlaying(false);
    $("follow").checked = false;
    renderPass(Number(e.target.value));
  });
  $("prev-btn").addEventListener("click", () => {
    $("follow").checked = false;
    renderPass(state.view - 1);
  });
  $("next-btn").addEventListener("click", () => renderPass(state.view + 1));
  $("play-btn").addEventListener("click", () => setPlaying(!state.playTimer));
  // Think longer: 16 more supervision steps from where the model stopped (on the puzzle as it
  // is now: after an edit, the model starts from its old state and must recover).
  $("longer-btn").addEventListener("click", () => {
    $("follow").checked = true;
    // "Think longer" means the 16 steps even where the model would halt; a continue on an
    // edited puzzle keeps the halting choice.
    const run = state.run;
    continueSolve({ thinkLonger: !(run?.task === state.task && inputEdited(run)) });
  });
  $("latent-mode").addEventListener("change", () => state.run?.passes.length && renderPass(state.view));
  $("opt-labels").addEventListener("change", () => {
    drawInput();
    if (state.run?.passes.length) renderPass(state.view);
  });
  $("play-speed").addEventListener("change", () => state.playTimer && setPlaying(true));
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (t instanceof HTMLElement && (t.closest("input, textarea, select, [contenteditable]") || t.isContentEditable)) return;
    if (!state.run?.passes.length) return;
    const last = state.run.passes.length - 1;
    const go = { ArrowLeft: state.view - 1, ArrowRight: state.view + 1, Home: 0, End: last }[e.key];
    if (go === undefined) return;
    e.preventDefault();
    if (e.key !== "End") $("follow").checked = false;
    renderPass(go);
  });
}

/** "Use your own": a model file dropped anywhere on the page loads like one picked in the form. */
function wireDrop() {
  const hint = $("drop-hint");
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
  let depth = 0;
  document.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    depth++;
    hint.hidden = false;
  });
  document.addEventListener("dragleave", (e) => {
    if (hasFiles(e) && --depth <= 0) {
      depth = 0;
      hint.hidden = true;
    }
  });
  document.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    hint.hidden = true;
    const f = e.dataTransfer.files?.[0];
    if (!f) return;
    if (!state.client?.isReady || state.loading) return showError("Wait for the runtime (or the model being loaded), then drop the file again.", { kind: "load", title: `Could not load “${f.name}”` });
    loadModel(f, { name: f.name, trained: false });
  });
}

function registerServiceWorker() {
  if (!params.sw || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("sw.js").catch((e) => console.warn("service worker not registered:", e));
}

async function main() {
  await loadPuzzles();
  if (params.task && !TASKS[params.task]) {
    params.notices.push(`Unknown task "${params.task}" in the URL (${Object.keys(TASKS).join(", ")}).`);
    params.task = null;
  }
  wireUi();
  for (const n of params.notices) showWarning(n, { kind: "url" });
  registerServiceWorker();
  const ready = startClient();
  await Promise.all([loadModelList(), loadGalleries()]);
  // Which model: the URL's, else the first listed (these are small).
  let entry = null;
  if (params.model && params.model !== "none") entry = findModel(params.model);
  else if (params.model !== "none" && state.models.length) entry = state.models.find((m) => m.task === params.task) ?? state.models[0];
  if (entry?.index != null) $("model-select").value = String(entry.index);
  const task = params.task ?? entry?.task ?? state.models[0]?.task ?? "sudoku";
  setTask(task);
  if (params.puzzle) {
    const i = state.entries.findIndex((e, k) => e.name === params.puzzle || e.key === params.puzzle || String(k) === params.puzzle);
    if (i >= 0) selectEntry(i);
    else showWarning(`There is no example "${params.puzzle}" for ${TASKS[task].name}; showing the first one.`, { kind: "url" });
  } else if (params.text != null) {
    $("puzzle-text").value = params.text;
    state.puzzleTouched = true;
    validatePuzzleText();
  }
  updateButtons();
  await ready;
  if (!state.client?.isReady) return;
  if (entry) await loadModel(entry.url, entry);
  if (params.autosolve && state.info) {
    await solveCurrent();
    if (params.step != null && state.run?.passes.length) {
      $("follow").checked = false;
      renderPass(params.step);
    }
  }
  state.started = true;
  updateHash();
}

/** The view as a link: written into the address bar (replacing, not adding history). */
function viewLink({ embed = params.embed } = {}) {
  const e = state.selectedEntry;
  const text = $("puzzle-text").value;
  const fromGallery = e && e.key !== `${e.task}:random` && text === state.entryText;
  const run = state.run?.passes.length ? state.run : null;
  const steps = Number($("opt-steps").value);
  const hash = viewHash({
    task: state.task,
    puzzle: fromGallery ? e.key : null,
    text: fromGallery ? null : text,
    puzzleId: state.task === "arc" && !fromGallery ? Number($("puzzle-id").value) : null,
    model: state.modelEntry?.index != null ? state.modelEntry.name : null,
    steps: Number.isInteger(steps) && steps !== (state.info?.config?.halt_max_steps ?? 16) ? steps : null,
    inner: $("opt-inner").checked,
    halt: $("opt-halt").checked,
    vote: $("opt-vote").checked,
    solve: !!run,
    step: run ? state.view : null,
    embed,
  });
  const u = new URL(location.href);
  u.hash = hash;
  return u.href;
}

let hashTimer = null;
function updateHash() {
  // The start-up reads the address; it must not rewrite it first. At most one write per 100 ms,
  // always of the latest view.
  if (!state.started || hashTimer) return;
  hashTimer = setTimeout(() => {
    hashTimer = null;
    history.replaceState(null, "", viewLink());
  }, 100);
}

async function copyText(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    $("share-status").textContent = `${what} copied.`;
  } catch {
    // No clipboard permission (an iframe, an old browser): show it to copy by hand.
    $("share-text").value = text;
    $("share-text").hidden = false;
    $("share-text").select();
    $("share-status").textContent = `Copy the ${what.toLowerCase()} below.`;
  }
}

function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** A WebM of the whole refinement: every pass of the last solve drawn in turn and recorded. */
async function saveVideo() {
  const run = state.run;
  if (!run?.passes.length || state.recording) return;
  const canvas = $("grid-canvas");
  if (typeof MediaRecorder === "undefined" || !canvas.captureStream) {
    $("share-status").textContent = "This browser cannot record video.";
    return;
  }
  state.recording = true;
  setPlaying(false);
  $("follow").checked = false;
  updateButtons();
  const keep = state.view;
  try {
    const stream = canvas.captureStream(0);
    const track = stream.getVideoTracks()[0];
    const recorder = new MediaRecorder(stream, { mimeType: MediaRecorder.isTypeSupported("video/webm;codecs=vp9") ? "video/webm;codecs=vp9" : "video/webm" });
    const chunks = [];
    recorder.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    const stopped = new Promise((r) => (recorder.onstop = r));
    recorder.start();
    for (let i = 0; i < run.passes.length; i++) {
      if (state.run !== run) throw new Error("another puzzle or model was picked during the recording");
      $("share-status").textContent = `Recording pass ${i + 1} of ${run.passes.length}…`;
      renderPass(i);
      track.requestFrame?.();
      await new Promise((r) => setTimeout(r, 250));
    }
    recorder.stop();
    await stopped;
    download(new Blob(chunks, { type: "video/webm" }), `trm-${run.task}-${run.passes.length}-passes.webm`);
    $("share-status").textContent = "Video saved.";
  } catch (e) {
    $("share-status").textContent = `Could not record the video: ${e.message}`;
  } finally {
    state.recording = false;
    if (state.run === run) renderPass(keep);
    updateButtons();
  }
}

function savePng() {
  const run = state.run;
  const name = `trm-${run?.task ?? state.task}-${run ? `step${run.passes[state.view]?.step ?? 0}` : "input"}.png`;
  const canvas = run ? $("grid-canvas") : $("input-canvas");
  canvas.toBlob((blob) => blob && download(blob, name), "image/png");
}

window.trmApp = {
  state,
  currentPuzzle: () => currentPuzzle(),
  solve: () => solveCurrent(),
  loadModel: (ref) => {
    const m = typeof ref === "string" ? findModel(ref) : null;
    return m ? loadModel(m.url, m) : loadModel(ref, { name: ref?.name ?? "bytes", trained: false });
  },
  setPuzzle: (task, text) => {
    setTask(task);
    state.puzzleTouched = true;
    $("puzzle-text").value = text;
    validatePuzzleText();
  },
  get metrics() {
    return state.metrics;
  },
  render: (i) => renderPass(i),
};

main().catch((e) => {
  console.error(e);
  showError(e.message ?? String(e), { kind: "internal", title: "The page failed to start" });
});
