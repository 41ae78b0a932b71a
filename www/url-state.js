// The page's state in its URL, parsed defensively: anything unexpected is ignored with a notice
// the page shows, never an error. `base` is the page's own address (models load only from it).

/**
 * The parameters of the page's address: the query (`?…`) and the fragment (`#…`, where the page
 * writes its state, so a link restores the view); the fragment wins.
 */
export function readParams(search, base, hash = "") {
  const notices = [];
  const p = new URLSearchParams();
  for (const part of [search, typeof hash === "string" ? hash.replace(/^#/, "") : ""]) {
    try {
      for (const [k, v] of new URLSearchParams(typeof part === "string" ? part : "")) p.set(k, v);
    } catch {
      // not a query string: nothing to read
    }
  }
  const get = (k, max = 500) => {
    const v = p.get(k);
    if (v == null) return null;
    if (v.length > max) {
      notices.push(`Ignored the URL parameter "${k}": too long.`);
      return null;
    }
    return v.trim();
  };
  const out = { backend: "auto", model: null, task: null, puzzle: null, text: null, puzzleId: null, steps: null, step: null, inner: false, halt: false, vote: true, autosolve: false, embed: false, sw: true, seed: null, notices };
  const backend = get("backend", 20);
  if (backend != null && backend !== "") {
    const b = backend.toLowerCase();
    if (["auto", "webgpu", "cpu"].includes(b)) out.backend = b;
    else notices.push(`Unknown backend "${backend}" in the URL; using auto (choose auto, webgpu or cpu).`);
  }
  const model = get("model");
  if (model) {
    if (model.toLowerCase() === "none") out.model = "none";
    else if (/^preset:[a-z-]{1,20}$/.test(model)) out.model = model; // random weights built in the page
    else {
      try {
        const u = new URL(model, base);
        if (u.origin !== new URL(base).origin || !/^https?:$/.test(u.protocol)) {
          notices.push("Ignored the URL parameter \"model\": only models from this site can be loaded.");
        } else out.model = model;
      } catch {
        notices.push(`Ignored the URL parameter "model": not a valid address.`);
      }
    }
  }
  const task = get("task", 20);
  if (task) out.task = task.toLowerCase(); // checked against the task table once it has loaded
  out.puzzle = get("puzzle", 200);
  // A puzzle of the visitor's own (30 lines of 30 cells fit).
  const text = p.get("text");
  if (text != null) {
    if (text.length <= 2000) out.text = text;
    else notices.push(`Ignored the URL parameter "text": too long.`);
  }
  const step = get("step", 10);
  if (step) {
    const n = Number(step);
    if (Number.isInteger(n) && n >= 0 && n <= 100000) out.step = n;
    else notices.push(`Ignored step=${step}: use a whole number.`);
  }
  const steps = get("steps", 10);
  if (steps) {
    const n = Number(steps);
    if (Number.isInteger(n) && n >= 1 && n <= 64) out.steps = n;
    else notices.push(`Ignored steps=${steps}: use a whole number from 1 to 64.`);
  }
  // An ARC grid of the visitor's own names the task it is for by the model's puzzle identifier.
  const id = get("id", 10);
  if (id) {
    const n = Number(id);
    if (Number.isInteger(n) && n >= 0 && n <= 1_000_000) out.puzzleId = n;
    else notices.push(`Ignored id=${id}: use a whole number.`);
  }
  // The generator's seed for "New" puzzles (the n-th gets seed + n), so a test or a bug report
  // can make the same puzzles again; without it, each is drawn at random.
  const seed = get("seed", 10);
  if (seed) {
    const n = Number(seed);
    if (Number.isInteger(n) && n >= 0 && n <= 0xffffffff) out.seed = n;
    else notices.push(`Ignored seed=${seed}: use a whole number from 0 to 4294967295.`);
  }
  const flag = (k) => ["1", "true", "yes", "on"].includes((get(k, 10) ?? "").toLowerCase());
  out.vote = !["0", "false", "no", "off"].includes((get("vote", 10) ?? "").toLowerCase());
  out.inner = flag("inner");
  out.halt = flag("halt");
  out.autosolve = flag("autosolve");
  out.embed = flag("embed");
  out.sw = (get("sw", 10) ?? "1") !== "0";
  return out;
}

/**
 * The fragment that restores a view: task, puzzle (a gallery id, or the text itself and, for
 * ARC, its puzzle identifier), model, the solve's settings (they decide which pass is which),
 * the pass on view, embed mode. Only what differs from the defaults is written.
 */
export function viewHash({ task, puzzle = null, text = null, puzzleId = null, model = null, steps = null, inner = false, halt = false, vote = true, step = null, embed = false, solve = false }) {
  const p = new URLSearchParams();
  if (task) p.set("task", task);
  if (puzzle) p.set("puzzle", puzzle);
  else if (text) {
    p.set("text", text);
    if (puzzleId != null) p.set("id", String(puzzleId));
  }
  if (model) p.set("model", model);
  if (steps != null) p.set("steps", String(steps));
  if (inner) p.set("inner", "1");
  if (halt) p.set("halt", "1");
  if (!vote) p.set("vote", "0");
  if (solve) p.set("autosolve", "1");
  if (step != null) p.set("step", String(step));
  if (embed) p.set("embed", "1");
  return `#${p.toString()}`;
}
