// The page's state in its URL, parsed defensively: anything unexpected is ignored with a notice
// the page shows, never an error. `base` is the page's own address (models load only from it).

export function readParams(search, base) {
  const notices = [];
  let p;
  try {
    p = new URLSearchParams(typeof search === "string" ? search : "");
  } catch {
    p = new URLSearchParams();
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
  const out = { backend: "auto", model: null, task: null, puzzle: null, steps: null, inner: false, halt: false, autosolve: false, sw: true, notices };
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
  const steps = get("steps", 10);
  if (steps) {
    const n = Number(steps);
    if (Number.isInteger(n) && n >= 1 && n <= 64) out.steps = n;
    else notices.push(`Ignored steps=${steps}: use a whole number from 1 to 64.`);
  }
  const flag = (k) => ["1", "true", "yes", "on"].includes((get(k, 10) ?? "").toLowerCase());
  out.inner = flag("inner");
  out.halt = flag("halt");
  out.autosolve = flag("autosolve");
  out.sw = (get("sw", 10) ?? "1") !== "0";
  return out;
}
