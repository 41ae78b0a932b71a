// Service worker: keeps the app shell (page, scripts, wasm runtime, model list, galleries) so the
// page works offline after one visit. The WebGPU runtime (pkg/wasm/trm.js) and the threaded CPU
// runtime (pkg/wasm/trm_cpu_mt.js) are not fetched ahead: a visit that uses one keeps it through the
// fetch handler (and offline, a CPU visit falls back to the single-thread module). Network first
// (so a rebuilt runtime shows up at once), cache as the fallback. Model weights are not handled here: the worker keeps them in the Cache API
// ("trm-weights-v1") itself.

const SHELL_CACHE = "trm-shell-v10";
const REQUIRED = [
  "./",
  "./index.html",
  "./app.js",
  "./style.css",
  "./manifest.webmanifest",
  "./icon.svg",
  "./pkg/puzzles.js",
  "./draw.js",
  "./editor.js",
  "./url-state.js",
  "./models.js",
  "./pkg/wasm/trm_tasks.js",
  "./pkg/wasm/trm_tasks_bg.wasm",
  "./pkg/trm-client.js",
  "./pkg/worker.js",
  "./pkg/relaxed-simd.js",
];
// The CPU runtime the worker will load: the relaxed SIMD build where the engine has it.
importScripts("./pkg/relaxed-simd.js");
const CPU_RUNTIME = self.trmRelaxedSimd ? "./pkg/wasm/trm_cpu_relaxed" : "./pkg/wasm/trm_cpu";
const OPTIONAL = [
  `${CPU_RUNTIME}.js`,
  `${CPU_RUNTIME}_bg.wasm`,
  "./models/models.json",
  "./data/sudoku-gallery.json",
  "./data/maze-gallery.json",
  "./data/arc-gallery.json",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      await cache.addAll(REQUIRED);
      // Absent until built / generated: cache what exists.
      await Promise.all(OPTIONAL.map((u) => cache.add(u).catch(() => {})));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("trm-shell-") && name !== SHELL_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

// Cross-origin isolation: shared memory (the threaded CPU runtime, pkg/wasm/trm_cpu_mt) needs the
// page and its workers served with COOP/COEP, which a static host can't be told to send. Every
// same-origin response this worker hands out carries them, so a visit it controls (from the
// second on) is isolated. Nothing the page loads is cross-origin, so require-corp blocks nothing.
const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

function isolated(resp) {
  if (!resp || resp.type === "opaque" || resp.type === "opaqueredirect" || resp.status === 0) return resp;
  const headers = new Headers(resp.headers);
  for (const [k, v] of Object.entries(ISOLATION_HEADERS)) headers.set(k, v);
  return new Response(resp.body, { status: resp.status, statusText: resp.statusText, headers });
}

function isWeights(url) {
  return /\.(safetensors|bin|trm)$/i.test(url.pathname);
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || isWeights(url)) return;
  if (req.headers.has("range")) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      try {
        const resp = await fetch(req);
        if (resp.ok && resp.type === "basic") {
          const copy = resp.clone();
          event.waitUntil(cache.put(req, copy).catch(() => {}));
        }
        return isolated(resp);
      } catch (e) {
        const hit = (await cache.match(req, { ignoreSearch: req.mode === "navigate" })) ??
          (req.mode === "navigate" ? await cache.match("./index.html") : undefined);
        if (hit) return isolated(hit);
        throw e;
      }
    })(),
  );
});
