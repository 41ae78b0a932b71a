// The model list (models/models.json) and what the page says about a model and its numbers.
// Pure functions: tested in Node (tests/browser/models.test.mjs).

export const fmtMs = (ms) => (ms == null || !Number.isFinite(ms) ? "–" : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
export const fmtP = (p) => (p == null || !Number.isFinite(p) ? "–" : p.toFixed(3));
export const fmtMB = (b) => (b == null ? "?" : b < 1e5 ? `${(b / 1e3).toFixed(1)} kB` : `${(b / 1e6).toFixed(b < 1e6 ? 2 : 1)} MB`);

/**
 * The entries of models.json (a list, or `{ models: [...] }`) that name a URL, in order:
 * `{ name, url, task, note, trained, card, group, index, size }`; `task` is null unless it is
 * one of `tasks` (the codec's task ids).
 */
export function parseModelList(json, tasks) {
  const list = Array.isArray(json) ? json : Array.isArray(json?.models) ? json.models : [];
  return list
    .filter((m) => m && typeof m.url === "string" && m.url)
    .map((m, i) => ({
      name: String(m.name ?? m.url),
      url: m.url,
      task: tasks.includes(m.task) ? m.task : null,
      note: m.note ? String(m.note) : "",
      trained: m.trained === true,
      card: typeof m.card === "string" ? m.card : null,
      group: typeof m.group === "string" ? m.group : null,
      index: i,
      size: Number.isFinite(m.size ?? m.bytes) ? (m.size ?? m.bytes) : null,
    }));
}

/** What the picker says of a listed model before it loads: size, trained or not, its note. */
export function aboutModel(m) {
  if (!m) return "";
  const head = [m.size != null ? fmtMB(m.size) : null, m.trained ? "trained" : "random weights"].filter(Boolean).join(", ");
  return [head, m.note].filter(Boolean).join(". ");
}

/** One line about a loaded model: task, size, architecture, where its weights came from. */
export function describeInfo(info, name, taskName) {
  const c = info.config ?? {};
  const arch = c.mlp_t ? "MLP token mixing" : `attention (${c.pos_encodings ?? "?"} positions)`;
  const from = { cache: "the browser cache", bytes: "a file" }[info.source] ?? "the network";
  return [
    `${name ?? "Model"}: ${taskName ?? "unknown task"}`,
    info.params != null ? `${info.params >= 1e5 ? `${(info.params / 1e6).toFixed(2)}M` : info.params.toLocaleString("en-US")} parameters` : null,
    `hidden ${c.hidden_size}, H=${c.H_cycles} L=${c.L_cycles}, ${arch}`,
    `${c.halt_max_steps} supervision steps`,
    info.metadata?.storage ? `${info.metadata.storage} weights` : null,
    info.source === "preset" ? "random weights built in the page" : `${fmtMB(info.bytes)} from ${from}`,
    info.warmupMs != null ? `warm-up ${fmtMs(info.warmupMs)} ms` : null,
  ]
    .filter(Boolean)
    .join(" · ");
}

/** The model card a trained model carries in its metadata (`trm train` writes it), or null. */
function card(metadata) {
  try {
    const c = metadata?.card ? JSON.parse(metadata.card) : null;
    return c && Array.isArray(c.accuracy) ? c : null;
  } catch {
    return null;
  }
}

/** ARC: the tasks (bands of a parsed card) whose held-out test outputs were right at pass@2. */
function solvedTasks(c) {
  return c?.task === "arc" ? c.accuracy.filter((b) => b.puzzles > 0 && b.exact === b.puzzles).map((b) => String(b.band)) : [];
}

/**
 * ARC: the tasks whose held-out test outputs the model got right at pass@2 in the evaluation of
 * the card in its metadata; empty for other cards or none.
 */
export function cardSolvedTasks(metadata) {
  return solvedTasks(card(metadata));
}

/**
 * A parsed card's held-out accuracy in a sentence: exact accuracy per band, or (ARC, one band
 * per task) the tasks solved at pass@2. Also the note of models.json (scripts/make-models.mjs).
 */
export function accuracyText(c) {
  if (c.task === "arc") {
    const solved = solvedTasks(c);
    return `Held-out test outputs right at pass@2 after ${c.eval_steps} steps: ${solved.length} of ${c.accuracy.length} tasks${solved.length ? ` (${solved.join(", ")})` : ""}.`;
  }
  const pct = (n, b) => `${((100 * n) / Math.max(1, b.puzzles)).toFixed(1)}%`;
  const bands = c.accuracy.map((b) => `${b.band} ${pct(b.exact, b)}`).join(", ");
  const voted = c.accuracy.every((b) => Number.isInteger(b.voted_exact))
    ? ` Voted over each maze's 8 rotations and mirrors: ${c.accuracy.map((b) => `${b.band} ${pct(b.voted_exact, b)}`).join(", ")}.`
    : "";
  return `Held-out exact accuracy after ${c.eval_steps} steps: ${bands}.${voted}`;
}

/** How long and where a card's run trained: "1.7 h on a CPU", "10 min on a GPU (NVIDIA H200)". */
export function trainedWhere(c) {
  const secs = c.wall_time_secs ?? 0;
  const time = secs < 3600 ? `${Math.round(secs / 60)} min` : `${(secs / 3600).toFixed(1)} h`;
  // `trm train --backend wgpu` writes "<adapter> (<API>, burn wgpu); data on N CPU threads"; a
  // run resumed on other hardware writes "<first> (to step N), then <second>".
  const machines = String(c.hardware ?? "")
    .split(", then ")
    .map((h) => (h.includes("burn wgpu") ? `a GPU (${h.split(" (")[0]})` : "a CPU"))
    .filter((m, i, all) => m !== all[i - 1]);
  return `${time} on ${machines.join(", then ")}`;
}

/** The summary of a trained model's card, or null when there is none (or it does not parse). */
export function cardSummary(metadata) {
  const c = card(metadata);
  if (!c) return null;
  const seen = `${(c.puzzles_seen ?? 0).toLocaleString("en-US")} ${c.task === "arc" ? "generated pairs" : "puzzles"}`;
  return `Trained from scratch by trm train in ${trainedWhere(c)} (${seen}). ${accuracyText(c)}`;
}
