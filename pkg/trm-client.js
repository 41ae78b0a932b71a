// Tiny ES-module client for the TRM worker.
//
//   import { TrmClient } from "./trm-client.js";
//   const trm = new TrmClient({ backend: "auto" });      // "auto" | "webgpu" | "cpu"
//   await trm.ready;                                      // { backend, reason, adapter, webgpuError, threads, threadsNote, relaxedSimd, relaxedSimdNote }
//   const info = await trm.load("models/x.safetensors", (p) => console.log(p.stage, p.loaded, p.total));
//     (p.type is "stage" when a new stage begins, "progress" for bytes; total is null when unknown)
//   const result = await trm.solve({ tokens, puzzleIds: [0] }, (pass) => draw(pass), { maxSteps: 16 });
//   trm.cancel();
//
// Weights fetched by URL are kept in the Cache API (cache "trm-weights-v1", keyed by the full URL, so
// put a version in the URL); the next load of the same URL makes no network request.
// The client is also an EventTarget: "ready", "stage", "progress", "loaded", "solvestart", "pass",
// "done", "solveerror", "error", "restart" (CustomEvent, payload in `detail`).

export const WEIGHTS_CACHE = "trm-weights-v1";
const BACKENDS = ["auto", "webgpu", "cpu"];

export class TrmError extends Error {
  constructor(message, { op = null, fatal = false } = {}) {
    super(message);
    this.name = "TrmError";
    this.op = op;
    this.fatal = fatal;
  }
}

function baseHref() {
  return typeof document !== "undefined" ? document.baseURI : self.location.href;
}

export class TrmClient extends EventTarget {
  constructor({ backend = "auto", workerUrl = null } = {}) {
    super();
    const b = String(backend ?? "auto").toLowerCase();
    if (!BACKENDS.includes(b)) throw new TrmError(`unknown backend "${backend}" (auto, webgpu or cpu)`, { op: "init" });
    this.requestedBackend = b;
    this.workerUrl = workerUrl ?? new URL("./worker.js", import.meta.url);
    this._nextId = 1;
    this._pending = new Map();
    this._start();
  }

  _start() {
    this.backend = null;
    this.backendReason = null;
    this.adapter = null;
    this.webgpuError = null;
    this.threads = null;
    this.threadsNote = null;
    this.relaxedSimd = null;
    this.relaxedSimdNote = null;
    this.info = null;
    this.isReady = false;
    this.initError = null;
    this.solving = false;
    this._solveId = null;
    this.ready = new Promise((resolve, reject) => {
      this._readyResolve = resolve;
      this._readyReject = reject;
    });
    this.ready.catch(() => {}); // callers see the rejection; no unhandled-rejection noise
    let worker;
    try {
      worker = new Worker(this.workerUrl, { type: "module" });
    } catch (e) {
      this._initFailed(new TrmError(`Could not start the worker: ${e.message}`, { op: "init" }));
      return;
    }
    this._worker = worker;
    worker.onmessage = (ev) => this._onMessage(ev.data);
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      const err = new TrmError(`The worker failed: ${ev.message || "could not load worker.js"}`, { op: "worker", fatal: true });
      if (!this.isReady) this._initFailed(err);
      this._failAll(err);
      this._emit("error", { message: err.message, op: "worker", fatal: true });
    };
    worker.onmessageerror = () => this._emit("error", { message: "a message from the worker could not be read", op: "worker" });
    worker.postMessage({ type: "init", backend: this.requestedBackend });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _initFailed(err) {
    this.initError = err;
    this._readyReject(err);
    this._emit("error", { message: err.message, op: "init", fatal: err.fatal });
  }

  _failAll(err) {
    for (const [, p] of this._pending) p.reject(err);
    this._pending.clear();
    this.solving = false;
  }

  _onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    const p = msg.id != null ? this._pending.get(msg.id) : null;
    switch (msg.type) {
      case "ready":
        this.backend = msg.backend;
        this.backendReason = msg.reason;
        this.adapter = msg.adapter ?? null;
        this.webgpuError = msg.webgpuError ?? null;
        this.threads = msg.threads ?? null;
        this.threadsNote = msg.threadsNote ?? null;
        this.relaxedSimd = msg.relaxedSimd ?? null;
        this.relaxedSimdNote = msg.relaxedSimdNote ?? null;
        this.isReady = true;
        this._readyResolve({
          backend: msg.backend,
          reason: msg.reason,
          adapter: this.adapter,
          webgpuError: this.webgpuError,
          threads: this.threads,
          threadsNote: this.threadsNote,
          relaxedSimd: this.relaxedSimd,
          relaxedSimdNote: this.relaxedSimdNote,
        });
        this._emit("ready", msg);
        break;
      case "stage":
        if (p) {
          p.stage = msg.name;
          p.onProgress?.({ type: "stage", stage: msg.name, loaded: p.loaded ?? 0, total: p.total ?? null, fromCache: p.fromCache ?? false });
        }
        this._emit("stage", msg);
        break;
      case "progress":
        if (p) {
          Object.assign(p, { loaded: msg.loaded, total: msg.total, fromCache: msg.fromCache });
          p.onProgress?.({ type: "progress", stage: p.stage ?? "downloading", loaded: msg.loaded, total: msg.total, fromCache: msg.fromCache });
        }
        this._emit("progress", msg);
        break;
      case "loaded":
        this.info = msg.info;
        if (msg.info?.backend) this.backend = msg.info.backend;
        if (msg.info?.backendReason) this.backendReason = msg.info.backendReason;
        this._emit("loaded", msg);
        if (p) {
          this._pending.delete(msg.id);
          p.resolve(msg.info);
        }
        break;
      case "pass":
        if (msg.pass?.backend) this.backend = msg.pass.backend;
        if (p) {
          try {
            p.onPass?.(msg.pass);
          } catch (e) {
            console.error("onPass callback threw:", e);
          }
        }
        this._emit("pass", msg);
        break;
      case "done":
        if (msg.id === this._solveId) {
          this.solving = false;
          this._solveId = null;
        }
        if (msg.result?.backend) this.backend = msg.result.backend;
        if (msg.result?.fellBack) this.backendReason = msg.result.fellBack;
        this._emit("done", msg);
        if (p) {
          this._pending.delete(msg.id);
          p.resolve(msg.result);
        }
        break;
      case "result":
        if (p) {
          this._pending.delete(msg.id);
          p.resolve(msg.value);
        }
        break;
      case "error": {
        const err = new TrmError(msg.message, { op: msg.op, fatal: !!msg.fatal });
        if (msg.op === "init" && !this.isReady) {
          this._initFailed(err);
          break;
        }
        if (msg.op === "solve" || msg.id === this._solveId) {
          if (msg.id === this._solveId) {
            this.solving = false;
            this._solveId = null;
          }
          this._emit("solveerror", msg);
        }
        if (p) {
          this._pending.delete(msg.id);
          p.reject(err);
        } else {
          this._emit("error", msg);
        }
        if (msg.fatal) this.restart();
        break;
      }
      default:
        break;
    }
  }

  _request(msg, extra = {}, transfer = []) {
    if (!this._worker) return Promise.reject(this.initError ?? new TrmError("the worker is not running"));
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject, ...extra });
      try {
        this._worker.postMessage({ ...msg, id }, transfer);
      } catch (e) {
        this._pending.delete(id);
        reject(new TrmError(`could not send ${msg.type}: ${e.message}`, { op: msg.type }));
      }
    });
  }

  /** Load a model from a URL (cached) or from bytes (Uint8Array, ArrayBuffer, Blob). Resolves with its info. */
  async load(source, onProgress) {
    await this.ready;
    const msg = { type: "load" };
    const transfer = [];
    if (typeof source === "string" || source instanceof URL) {
      msg.url = new URL(String(source), baseHref()).href;
    } else {
      let bytes;
      if (typeof Blob !== "undefined" && source instanceof Blob) bytes = new Uint8Array(await source.arrayBuffer());
      else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source.slice(0));
      else if (ArrayBuffer.isView(source)) bytes = new Uint8Array(source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength));
      else throw new TrmError("load() takes a URL or the bytes of a model (Uint8Array, ArrayBuffer or Blob)", { op: "load" });
      msg.bytes = bytes;
      transfer.push(bytes.buffer);
    }
    // this.info keeps the previous model until the new one is in: a failed load leaves it usable.
    return this._request(msg, { onProgress }, transfer);
  }

  /**
   * Solve. `puzzle`: { tokens, puzzleIds? } (or just the tokens) with B·seq_len tokens.
   * `onPass(pass)` is called for every pass; resolves with the final result.
   * options: { maxSteps, stopOnHalt, inner, resume }.
   */
  solve(puzzle, onPass, options = {}) {
    if (this.solving) return Promise.reject(new TrmError("a solve is already running", { op: "solve" }));
    if (!this.info) return Promise.reject(new TrmError("no model loaded", { op: "solve" }));
    const src = Array.isArray(puzzle) || ArrayBuffer.isView(puzzle) ? { tokens: puzzle } : puzzle ?? {};
    // The runtime checks the tokens and identifiers against the model (one set of rules, in Rust).
    const tokens = Uint32Array.from(src.tokens ?? []);
    const puzzleIds = Uint32Array.from(src.puzzleIds ?? (src.puzzleId != null ? [src.puzzleId] : []));
    const opts = {
      maxSteps: options.maxSteps ?? undefined,
      stopOnHalt: !!options.stopOnHalt,
      inner: !!options.inner,
      resume: !!options.resume,
    };
    if (!this._worker) return Promise.reject(this.initError ?? new TrmError("the worker is not running", { op: "solve" }));
    const id = this._nextId;
    this.solving = true;
    this._solveId = id;
    this._emit("solvestart", { id, tokens, puzzleIds, options: opts, task: this.info.task ?? null });
    const promise = this._request({ type: "solve", tokens, puzzleIds, options: opts }, { onPass });
    const clear = () => {
      if (this._solveId === id) {
        this.solving = false;
        this._solveId = null;
      }
    };
    promise.then(clear, clear);
    return promise;
  }

  /** Stop the running solve after its current step; it resolves with cancelled: true. */
  cancel() {
    if (this._worker && this.solving) this._worker.postMessage({ type: "cancel" });
  }

  /** Test hook: destroy the WebGPU device; the running or next solve continues on the CPU. */
  simulateDeviceLoss() {
    return this._request({ type: "simulateDeviceLoss" });
  }

  /** Drop every cached weights file. */
  clearCache() {
    return this._request({ type: "clearCache" });
  }

  /** Whether the weights at `url` are in the cache. */
  static async isCached(url) {
    try {
      const cache = await caches.open(WEIGHTS_CACHE);
      return !!(await cache.match(new URL(String(url), baseHref()).href));
    } catch {
      return false;
    }
  }

  /** The cached weights files: [{ url, bytes }] (the page and the worker share one origin's caches). */
  static async cachedWeights() {
    if (typeof caches === "undefined") return [];
    const cache = await caches.open(WEIGHTS_CACHE);
    const out = [];
    for (const req of await cache.keys()) {
      const resp = await cache.match(req);
      const len = Number(resp?.headers.get("content-length"));
      out.push({ url: req.url, bytes: Number.isFinite(len) && len > 0 ? len : (await resp.blob()).size });
    }
    return out;
  }

  /** Drop one cached weights file; resolves whether it was there. */
  static async uncache(url) {
    if (typeof caches === "undefined") return false;
    return (await caches.open(WEIGHTS_CACHE)).delete(new URL(String(url), baseHref()).href);
  }

  /** Start a fresh worker (after a crash); the model must be loaded again. */
  restart() {
    this.terminate(new TrmError("the runtime was restarted", { op: "restart" }));
    this._start();
    this._emit("restart", {});
  }

  terminate(reason = new TrmError("the client was terminated", { op: "terminate" })) {
    if (this._worker) this._worker.terminate();
    this._worker = null;
    this._failAll(reason);
  }
}
