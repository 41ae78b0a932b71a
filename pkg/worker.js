// Module worker hosting the TRM wasm runtime, so the page never blocks.
//
// Requests (page -> worker), every one may carry an `id` that its replies repeat:
//   { type: "init", backend: "auto" | "webgpu" | "cpu" }
//   { type: "load", id, url }            fetch (Cache API first, then network with progress), then load
//   { type: "load", id, bytes }          load raw bytes (Uint8Array / ArrayBuffer, transferred)
//   { type: "load", id, url: "preset:NAME" }  a paper-size architecture with random weights (no download)
//   { type: "solve", id, tokens, puzzleIds, options }
//   { type: "cancel" }                   stop the running solve after its current step
//   { type: "simulateDeviceLoss", id }   test hook: destroy the WebGPU device
//   { type: "clearCache", id }           drop the cached weights
// Replies (worker -> page):
//   { type: "ready", backend, reason, adapter, webgpuError, threads, threadsNote, relaxedSimd,
//     relaxedSimdNote }                   again when "auto" moves to WebGPU; threads: the CPU's
//                                         thread count (null on WebGPU), threadsNote: why one;
//                                         relaxedSimd: whether the module's CPU products use
//                                         relaxed SIMD, relaxedSimdNote: why not
//   { type: "stage", id, name }          "downloading", "reading cache", "parsing", "uploading",
//                                         "compiling shaders" | "warming up", "measuring",
//                                         "loading WebGPU" (auto: see maybeMoveToGpu)
//   { type: "progress", id, loaded, total, fromCache }
//   { type: "loaded", id, info }
//   { type: "pass", id, pass }
//   { type: "done", id, result }
//   { type: "result", id, value }         for simulateDeviceLoss / clearCache
//   { type: "error", id?, op, message, fatal? }
// Errors always become messages; nothing escapes as an unhandled rejection.

import "./relaxed-simd.js";

const WEIGHTS_CACHE = "trm-weights-v1";

// The runtime comes in three builds (scripts/build-web.sh): wasm/trm_cpu.js has the CPU backend
// only (a fifth of the download), wasm/trm_cpu_mt.js is the same on a pool of threads (Web
// Workers sharing its memory: only where the page is cross-origin isolated, which the service
// worker's headers make it from the second visit on), and wasm/trm.js has WebGPU and the CPU.
// "cpu" never downloads the last and "webgpu" starts on it. "auto" starts on a CPU module, which
// runs the small models fastest, and moves to the WebGPU module, in a browser with a hardware
// WebGPU adapter, for a model whose CPU supervision step is estimated above GPU_WORTH_MS; that
// module then measures both backends on the model and keeps the faster.
const CPU_MODULE = "trm_cpu";
const CPU_THREADS_MODULE = "trm_cpu_mt";
const GPU_MODULE = "trm";
const GPU_WORTH_MS = 150;
// The CPU modules also come as wasm/NAME_relaxed.js, built with relaxed SIMD (its fused
// multiply-add), for engines that have it.
const RELAXED_SIMD = self.trmRelaxedSimd;
// More threads than this buy little for models this size and each one holds a Web Worker.
const MAX_THREADS = 8;

let requested = "auto";
let runtime = null; // { module, session }: the module in use and its session
let gpuModuleError = null; // why moving to the WebGPU module failed, once it has
let initError = null;
let initDone = null; // Promise for the init
let queue = Promise.resolve(); // load and solve run one after another

const post = (msg, transfer) => {
  try {
    self.postMessage(msg, transfer ?? []);
  } catch (e) {
    self.postMessage({ type: "error", id: msg.id, op: msg.type, message: `cannot post ${msg.type}: ${e.message}` });
  }
};

function messageOf(e) {
  if (e == null) return "unknown error";
  if (typeof e === "string") return e;
  if (e instanceof Error || typeof e.message === "string") return e.message || String(e);
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

/** A wasm trap (a Rust panic with panic=abort, out of memory): the instance may be unusable. */
const isFatal = (e) => typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError;

// console_error_panic_hook reports a Rust panic through console.error just before the trap:
// remember it, so the error message says what panicked instead of just "unreachable".
let lastPanic = null;
const consoleError = console.error.bind(console);
console.error = (...args) => {
  const text = args.map((a) => (typeof a === "string" ? a : messageOf(a))).join(" ");
  if (/panicked at/.test(text)) lastPanic = text.split("\n\nStack:")[0].trim();
  consoleError(...args);
};

function fail(op, id, e) {
  const fatal = isFatal(e);
  let message = messageOf(e);
  if (fatal) {
    const why = lastPanic ? `${lastPanic} (${message})` : message;
    message = `The runtime crashed: ${why}. It will be restarted; load the model again.`;
    lastPanic = null;
  }
  post({ type: "error", id, op, message, fatal });
}

/** serde-wasm-bindgen hands out Maps for Rust maps and BigInts for 64-bit ints: make plain data. */
function plain(v) {
  if (v instanceof Map) {
    const o = {};
    for (const [k, x] of v) o[String(k)] = plain(x);
    return o;
  }
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (ArrayBuffer.isView(v)) return Array.from(v, (x) => (typeof x === "bigint" ? Number(x) : x));
  if (v && typeof v === "object") {
    const o = {};
    for (const k of Object.keys(v)) o[k] = plain(v[k]);
    return o;
  }
  return v;
}

async function runtimeMissingMessage(module, err) {
  const url = new URL(`./wasm/${module}.js`, import.meta.url).href;
  let status = null;
  try {
    const r = await fetch(url, { cache: "no-store" });
    status = r.status;
  } catch {
    /* offline or blocked */
  }
  if (status === 404) {
    return `The WebAssembly runtime is not built: pkg/wasm/${module}.js was not found (HTTP 404). Build it with the wasm build script (see the README), then reload.`;
  }
  return `Could not load the WebAssembly runtime (pkg/wasm/${module}.js): ${messageOf(err)}`;
}

/**
 * Import and instantiate one runtime module (with `threads` workers for the threaded one) and
 * open a session on it: a CPU module's relaxed SIMD twin (`<module>_relaxed.js`, its own build
 * and JS glue) where the engine has relaxed SIMD, else or if that fails to start, the module itself.
 */
async function startRuntime(module, backend, threads = 1) {
  let relaxedSimdNote = null; // why the CPU products run without relaxed SIMD, when they do
  // Only the CPU modules have a relaxed SIMD twin (the WebGPU module's CPU backend is a fallback).
  const twin = module !== GPU_MODULE;
  if (twin && RELAXED_SIMD) {
    try {
      return await openRuntime(module, `${module}_relaxed`, backend, threads, { relaxedSimd: true, relaxedSimdNote });
    } catch (e) {
      relaxedSimdNote = `the CPU products use SIMD128's separate multiply and add: the relaxed SIMD module could not start (${messageOf(e)})`;
    }
  } else if (twin) {
    relaxedSimdNote = "the CPU products use SIMD128's separate multiply and add: this browser has no relaxed SIMD";
  }
  return await openRuntime(module, module, backend, threads, { relaxedSimd: false, relaxedSimdNote });
}

/** `startRuntime` for one build (`file`: pkg/wasm/<file>.js and <file>_bg.wasm) of `module`. */
async function openRuntime(module, file, backend, threads, notes) {
  let wasm;
  try {
    wasm = await import(`./wasm/${file}.js`);
  } catch (e) {
    throw new Error(await runtimeMissingMessage(file, e));
  }
  try {
    await wasm.default();
    if (threads > 1) await wasm.initThreadPool(threads);
  } catch (e) {
    throw new Error(`Could not start the WebAssembly runtime (pkg/wasm/${file}_bg.wasm): ${messageOf(e)}`);
  }
  return { module, ...notes, session: await wasm.Session.create(backend) };
}

/**
 * How many threads the CPU backend can have here: the cores, where the page is cross-origin
 * isolated (shared memory needs it), else 1, with the reason.
 */
function cpuThreadPlan() {
  const cores = Math.min(MAX_THREADS, Math.max(1, navigator.hardwareConcurrency || 1));
  if (!self.crossOriginIsolated || typeof SharedArrayBuffer === "undefined") {
    return { threads: 1, note: "one CPU thread: the page is not cross-origin isolated (the service worker makes it so from the next visit)" };
  }
  if (cores < 2) return { threads: 1, note: "one CPU thread: the browser reports one core" };
  return { threads: cores, note: null };
}

let cpuThreadsNote = null; // why the CPU runs on one thread, when it does

/** The CPU runtime: threaded where it can be, else (or when that fails) the single-thread module. */
async function startCpuRuntime(backend) {
  const plan = cpuThreadPlan();
  cpuThreadsNote = plan.note;
  if (plan.threads > 1) {
    try {
      return await startRuntime(CPU_THREADS_MODULE, backend, plan.threads);
    } catch (e) {
      cpuThreadsNote = `one CPU thread: the threaded runtime could not start (${messageOf(e)})`;
    }
  }
  return startRuntime(CPU_MODULE, backend);
}

/** The "ready" message for the session in use (`runtime`'s). */
function readyMessage(s, reason, webgpuError) {
  const threads = s.backend === "cpu" ? s.cpuThreads ?? 1 : null;
  return {
    type: "ready",
    backend: s.backend,
    reason,
    adapter: plain(s.adapter ?? null),
    webgpuError,
    requested,
    threads,
    threadsNote: threads === 1 ? cpuThreadsNote : null,
    relaxedSimd: runtime.relaxedSimd,
    relaxedSimdNote: runtime.relaxedSimdNote,
  };
}

let adapterProbe = null;
/**
 * Whether "auto" stays on the CPU module whatever the model: resolves { reason, missing } when
 * WebGPU is missing or its adapter is a software one (which the CPU backend outruns: the
 * runtime's own rule), null when a hardware adapter is there.
 */
function cpuOnly() {
  adapterProbe ??= (async () => {
    const missing = (reason) => ({ reason: `WebGPU is not available${reason}`, missing: true });
    if (typeof navigator === "undefined" || !navigator.gpu) return missing(" in this browser");
    let adapter = null;
    try {
      adapter = await navigator.gpu.requestAdapter();
    } catch (e) {
      return missing(`: ${messageOf(e)}`);
    }
    if (!adapter) return missing(": the browser offers no adapter");
    if (adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter) {
      return { reason: "the WebGPU adapter is a software rasterizer; the CPU backend is faster", missing: false };
    }
    return null;
  })();
  return adapterProbe;
}

/** Why "auto" is on the CPU module, as the badge shows it; `estimate` for a loaded model. */
async function autoCpuReason(estimate = null) {
  const why = (await cpuOnly())?.reason;
  if (why) return why;
  return estimate == null
    ? "the CPU first; WebGPU is loaded for a model whose CPU step is slow"
    : `a CPU step takes about ${Math.round(estimate)} ms; WebGPU is loaded only for a model above ${GPU_WORTH_MS} ms`;
}

async function init(backend) {
  requested = backend;
  try {
    runtime = backend === "webgpu" ? await startRuntime(GPU_MODULE, "webgpu") : await startCpuRuntime("cpu");
    const s = runtime.session;
    const auto = backend === "auto";
    const noGpu = auto ? await cpuOnly() : null;
    post(readyMessage(s, auto ? await autoCpuReason() : s.backendReason, noGpu?.missing ? noGpu.reason : s.webgpuError ?? null));
  } catch (e) {
    initError = e;
    let message = messageOf(e);
    if (backend === "webgpu" && !/webgpu/i.test(message)) message = `WebGPU could not be started: ${message}`;
    post({ type: "error", op: "init", message, fatal: isFatal(e) });
  }
}

async function requireSession() {
  await initDone;
  if (!runtime) throw new Error(`The runtime is not available: ${messageOf(initError) || "not initialised"}`);
  return runtime.session;
}

/** One supervision step's estimated cost: the warm-up timed one network call. */
function stepEstimateMs(info) {
  const c = info.config ?? {};
  return (info.warmupMs ?? 0) * (c.H_cycles ?? 1) * ((c.L_cycles ?? 0) + 1);
}

/**
 * "auto" on the CPU module, a browser with WebGPU, a model the CPU runs slowly: load the WebGPU
 * module, give it the model (`install(session)` resolves with the info) and keep it from then
 * on. On failure the CPU session stays, and the reason says why.
 */
async function maybeMoveToGpu(info, install, id) {
  if (requested !== "auto" || runtime.module === GPU_MODULE) return info;
  const estimate = stepEstimateMs(info);
  if ((await cpuOnly()) || estimate <= GPU_WORTH_MS) return { ...info, backendReason: await autoCpuReason(estimate) };
  const stayOnCpu = () => ({ ...info, backendReason: `a CPU step takes about ${Math.round(estimate)} ms; ${gpuModuleError}` });
  if (gpuModuleError) return stayOnCpu();
  post({ type: "stage", id, name: "loading WebGPU" });
  let next = null;
  try {
    next = await startRuntime(GPU_MODULE, "auto");
    const moved = await install(next.session);
    runtime.session.free();
    runtime = next;
    const s = runtime.session;
    post(readyMessage(s, moved.backendReason, s.webgpuError ?? null));
    return moved;
  } catch (e) {
    if (isFatal(e)) throw e;
    next?.session.free();
    gpuModuleError = `the WebGPU runtime could not be used (${messageOf(e)})`;
    return stayOnCpu();
  }
}

// ---------------------------------------------------------------- weights

async function openCache() {
  try {
    if (typeof caches === "undefined") return null;
    return await caches.open(WEIGHTS_CACHE);
  } catch {
    return null; // e.g. opaque origins, storage disabled
  }
}

async function readBody(resp, id, fromCache) {
  const enc = resp.headers.get("Content-Encoding");
  const lenHeader = Number(resp.headers.get("Content-Length"));
  // With compression Content-Length counts compressed bytes; the stream yields decoded ones.
  const total = !enc || enc === "identity" ? (Number.isFinite(lenHeader) && lenHeader > 0 ? lenHeader : null) : null;
  if (!resp.body || typeof resp.body.getReader !== "function") {
    const buf = new Uint8Array(await resp.arrayBuffer());
    post({ type: "progress", id, loaded: buf.length, total: buf.length, fromCache });
    return buf;
  }
  const reader = resp.body.getReader();
  let buf = total ? new Uint8Array(total) : null;
  const chunks = [];
  let loaded = 0;
  let lastPost = 0;
  post({ type: "progress", id, loaded: 0, total, fromCache });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (buf && loaded + value.length <= buf.length) buf.set(value, loaded);
    else {
      if (buf) {
        chunks.push(buf.subarray(0, loaded));
        buf = null;
      }
      chunks.push(value);
    }
    loaded += value.length;
    const now = Date.now();
    if (now - lastPost > 50) {
      lastPost = now;
      post({ type: "progress", id, loaded, total, fromCache });
    }
  }
  let out;
  if (buf) out = loaded === buf.length ? buf : buf.subarray(0, loaded);
  else {
    out = new Uint8Array(loaded);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
  }
  if (total && loaded !== total) {
    throw new Error(`The download was cut short: got ${loaded} of ${total} bytes.`);
  }
  post({ type: "progress", id, loaded, total: total ?? loaded, fromCache });
  return out;
}

/** Fetch weights: from the Cache API if present there, else from the network. */
async function fetchWeights(url, id) {
  const abs = new URL(url, self.location.href).href;
  const cache = await openCache();
  if (cache) {
    let hit = null;
    try {
      hit = await cache.match(abs);
    } catch {
      hit = null;
    }
    if (hit) {
      post({ type: "stage", id, name: "reading cache" });
      return { bytes: await readBody(hit, id, true), source: "cache", url: abs, cache };
    }
  }
  post({ type: "stage", id, name: "downloading" });
  let resp;
  try {
    resp = await fetch(abs);
  } catch (e) {
    throw new Error(`Could not download the weights from ${url}: ${messageOf(e)} (offline?)`);
  }
  if (!resp.ok) throw new Error(`Could not download the weights from ${url}: HTTP ${resp.status} ${resp.statusText}`.trim());
  return { bytes: await readBody(resp, id, false), source: "network", url: abs, cache };
}

/** Store weights under their full (versioned) URL; drop other versions of the same path. */
async function storeWeights(cache, absUrl, bytes) {
  if (!cache) return { cached: false, cacheError: "the Cache API is not available" };
  try {
    const u = new URL(absUrl);
    for (const req of await cache.keys()) {
      const k = new URL(req.url);
      if (k.origin === u.origin && k.pathname === u.pathname && k.href !== u.href) await cache.delete(req);
    }
    await cache.put(
      absUrl,
      new Response(bytes, {
        headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length) },
      }),
    );
    return { cached: true };
  } catch (e) {
    // QuotaExceededError and friends: keep working from memory.
    return { cached: false, cacheError: `${e.name || "Error"}: ${messageOf(e)}` };
  }
}

// ---------------------------------------------------------------- ops

async function load(msg) {
  const { id } = msg;
  const s = await requireSession();
  const onStage = (name) => post({ type: "stage", id, name: String(name) });
  let bytes, source, absUrl = null, cache = null;
  const preset = msg.url != null && /^preset:([a-z-]+)$/.exec(String(msg.url));
  if (preset) {
    // A paper-size architecture with seeded random weights, built in the runtime: no download.
    const t0 = performance.now();
    const install = async (session) => plain(await session.loadPreset(preset[1], 0, onStage));
    const info = await maybeMoveToGpu(await install(s), install, id);
    Object.assign(info, { loadMs: performance.now() - t0, bytes: 0, source: "preset", url: String(msg.url), cached: false });
    post({ type: "loaded", id, info });
    return;
  }
  if (msg.url != null) {
    ({ bytes, source, url: absUrl, cache } = await fetchWeights(String(msg.url), id));
  } else if (msg.bytes != null) {
    bytes = msg.bytes instanceof Uint8Array ? msg.bytes : new Uint8Array(msg.bytes);
    source = "bytes";
    post({ type: "progress", id, loaded: bytes.length, total: bytes.length, fromCache: false });
  } else {
    throw new Error("load needs a url or bytes");
  }
  if (bytes.length === 0) throw new Error("The weights file is empty.");
  const size = bytes.length;
  const t0 = performance.now();
  const install = async (session) => plain(await session.load(bytes, onStage));
  const info = await maybeMoveToGpu(await install(s), install, id);
  info.loadMs = performance.now() - t0;
  info.bytes = size;
  info.source = source;
  info.url = absUrl;
  if (source === "network") Object.assign(info, await storeWeights(cache, absUrl, bytes));
  else info.cached = source === "cache";
  post({ type: "loaded", id, info });
}

async function solve(msg) {
  const { id } = msg;
  const s = await requireSession();
  const tokens = msg.tokens instanceof Uint32Array ? msg.tokens : Uint32Array.from(msg.tokens ?? []);
  const ids = msg.puzzleIds instanceof Uint32Array ? msg.puzzleIds : Uint32Array.from(msg.puzzleIds ?? []);
  const options = {};
  const o = msg.options ?? {};
  if (o.maxSteps != null) options.maxSteps = Number(o.maxSteps);
  options.stopOnHalt = !!o.stopOnHalt;
  options.inner = !!o.inner;
  options.resume = !!o.resume;
  const onPass = (p) => {
    const pass = plain(p);
    pass.inner = pass.inner ?? null;
    post({ type: "pass", id, pass });
  };
  const result = plain(await s.solve(tokens, ids, options, onPass));
  result.fellBack = result.fellBack ?? null;
  post({ type: "done", id, result });
}

function enqueue(op, msg, fn) {
  const run = queue.then(() => fn(msg)).catch((e) => fail(op, msg.id, e));
  queue = run;
  return run;
}

self.addEventListener("message", (ev) => {
  const msg = ev.data ?? {};
  try {
    switch (msg.type) {
      case "init":
        if (initDone) return post({ type: "error", op: "init", message: "already initialised" });
        initDone = init(["auto", "webgpu", "cpu"].includes(msg.backend) ? msg.backend : "auto");
        return;
      case "load":
        enqueue("load", msg, load);
        return;
      case "solve":
        enqueue("solve", msg, solve);
        return;
      case "cancel":
        if (runtime) runtime.session.cancel();
        return;
      case "simulateDeviceLoss":
        post({ type: "result", id: msg.id, value: runtime ? !!runtime.session.simulateDeviceLoss() : false });
        return;
      case "clearCache":
        (async () => {
          const ok = typeof caches !== "undefined" ? await caches.delete(WEIGHTS_CACHE) : false;
          post({ type: "result", id: msg.id, value: ok });
        })().catch((e) => fail("clearCache", msg.id, e));
        return;
      default:
        post({ type: "error", id: msg.id, op: String(msg.type), message: `unknown request type ${msg.type}` });
    }
  } catch (e) {
    fail(msg.type, msg.id, e);
  }
});

self.addEventListener("unhandledrejection", (ev) => {
  ev.preventDefault();
  post({ type: "error", op: "internal", message: messageOf(ev.reason), fatal: isFatal(ev.reason) });
});
self.addEventListener("error", (ev) => {
  ev.preventDefault();
  post({ type: "error", op: "internal", message: ev.message || messageOf(ev.error), fatal: isFatal(ev.error) });
});
