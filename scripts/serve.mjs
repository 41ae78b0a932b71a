#!/usr/bin/env node
// Zero-dependency static file server for www/ (or another root), bound to 127.0.0.1.
//
//   node scripts/serve.mjs [port] [--port N] [--host H] [--root DIR] [--no-isolate]
//   PORT=8000 node scripts/serve.mjs
//
// It sends the cross-origin isolation headers (COOP/COEP), as a host configured for the threaded
// CPU runtime would; --no-isolate serves like a plain static host, where the page's service
// worker adds them from the second visit on.
//
// Port 0 picks a free port; the chosen URL is printed as "Serving <root> at <url>".
// Also importable: `startServer({ root, port, host, overrides, onRequest, isolate })` (used by the
// tests; `isolate` defaults to false there).

import { createServer } from "node:http";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_ROOT = path.resolve(HERE, "..", "www");

export const MIME = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".wasm": "application/wasm",
  ".safetensors": "application/octet-stream",
  ".bin": "application/octet-stream",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

export function mimeFor(file) {
  return MIME[path.extname(file).toLowerCase()] ?? "application/octet-stream";
}

/** Map a URL path onto a file under `root`, or null when it would escape `root`. */
export function resolveUnder(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null; // malformed %-escape
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  const segments = decoded.split("/");
  if (segments.some((s) => s === ".." || s === ".")) return null;
  const full = path.resolve(root, "." + path.posix.normalize("/" + decoded));
  const rootWithSep = root.endsWith(path.sep) ? root : root + path.sep;
  if (full !== root && !full.startsWith(rootWithSep)) return null;
  return full;
}

/** The headers that make a page cross-origin isolated (SharedArrayBuffer, wasm threads). */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

function send(res, status, body, headers = {}) {
  const buf = Buffer.from(body);
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": buf.length,
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(res.req.method === "HEAD" ? undefined : buf);
}

/**
 * Start the server. Resolves with { server, url, port, close() }.
 * - overrides: Map or object of URL path -> Buffer | string | { body, type, status } | null
 *   (null answers 404 as if the file were absent); checked before the file system.
 * - onRequest(urlPath, req): called for every request (tests count hits with it).
 */
export async function startServer({
  root = DEFAULT_ROOT,
  port = 8000,
  host = "127.0.0.1",
  overrides = null,
  onRequest = null,
  quiet = true,
  isolate = false,
} = {}) {
  root = path.resolve(root);
  const over = overrides instanceof Map ? overrides : new Map(Object.entries(overrides ?? {}));

  const server = createServer(async (req, res) => {
    if (isolate) for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    let urlPath;
    try {
      urlPath = new URL(req.url, "http://localhost").pathname;
    } catch {
      return send(res, 400, "Bad request\n");
    }
    if (onRequest) {
      try {
        onRequest(urlPath, req);
      } catch {
        /* a broken hook must not break serving */
      }
    }
    if (!quiet) console.log(`${req.method} ${req.url}`);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return send(res, 405, "Method not allowed\n", { Allow: "GET, HEAD" });
    }

    if (over.has(urlPath)) {
      const o = over.get(urlPath);
      if (o === null) return send(res, 404, "Not found\n");
      const spec = Buffer.isBuffer(o) || typeof o === "string" || o instanceof Uint8Array ? { body: o } : o;
      const body = Buffer.from(spec.body ?? "");
      return send(res, spec.status ?? 200, body, {
        "Content-Type": spec.type ?? mimeFor(urlPath),
        "Cache-Control": "no-cache",
      });
    }

    let file = resolveUnder(root, urlPath);
    if (!file) return send(res, 403, "Forbidden\n");
    try {
      let st = await fs.stat(file);
      if (st.isDirectory()) {
        if (!urlPath.endsWith("/")) {
          return send(res, 301, "Moved\n", { Location: urlPath + "/" });
        }
        file = path.join(file, "index.html");
        st = await fs.stat(file);
      }
      if (!st.isFile()) return send(res, 404, "Not found\n");
      // Symlinks must not lead out of the root either.
      const real = await fs.realpath(file);
      const realRoot = await fs.realpath(root);
      if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return send(res, 403, "Forbidden\n");

      res.writeHead(200, {
        "Content-Type": mimeFor(file),
        "Content-Length": st.size,
        "Last-Modified": st.mtime.toUTCString(),
        // Revalidate every time: the app's own caching (Cache API, service worker) is explicit.
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
      });
      if (req.method === "HEAD") return res.end();
      const stream = createReadStream(file);
      stream.on("error", () => res.destroy());
      stream.pipe(res);
    } catch (e) {
      if (e && (e.code === "ENOENT" || e.code === "ENOTDIR")) return send(res, 404, "Not found\n");
      return send(res, 500, "Internal error\n");
    }
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actual = server.address().port;
  const url = `http://${host}:${actual}/`;
  return {
    server,
    url,
    port: actual,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

function parseArgs(argv) {
  const out = { port: undefined, host: undefined, root: undefined, verbose: false, isolate: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--port" || a === "-p") out.port = next();
    else if (a.startsWith("--port=")) out.port = a.slice(7);
    else if (a === "--host") out.host = next();
    else if (a.startsWith("--host=")) out.host = a.slice(7);
    else if (a === "--root") out.root = next();
    else if (a.startsWith("--root=")) out.root = a.slice(7);
    else if (a === "--verbose" || a === "-v") out.verbose = true;
    else if (a === "--no-isolate") out.isolate = false;
    else if (a === "--help" || a === "-h") out.help = true;
    else if (/^\d+$/.test(a)) out.port = a;
    else throw new Error(`unknown argument ${a}`);
  }
  return out;
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`serve.mjs: ${e.message}`);
    process.exit(2);
  }
  if (args.help) {
    console.log("usage: node scripts/serve.mjs [port] [--port N] [--host 127.0.0.1] [--root www] [--no-isolate] [--verbose]");
    process.exit(0);
  }
  const portStr = args.port ?? process.env.PORT ?? "8000";
  const port = Number(portStr);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve.mjs: bad port ${portStr}`);
    process.exit(2);
  }
  const root = path.resolve(args.root ?? DEFAULT_ROOT);
  try {
    const { url } = await startServer({ root, port, host: args.host ?? "127.0.0.1", quiet: !args.verbose, isolate: args.isolate });
    console.log(`Serving ${root} at ${url}`);
  } catch (e) {
    console.error(`serve.mjs: cannot listen on port ${port}: ${e.message}`);
    process.exit(1);
  }
}
