// scripts/serve.mjs: MIME types, Content-Length, no directory traversal, CLI. No browser needed.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, mkdirSync, symlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import net from "node:net";
import { startServer, resolveUnder } from "../../scripts/serve.mjs";
import { ROOT } from "./helpers.mjs";

let dir, outside, srv;

before(async () => {
  const base = mkdtempSync(path.join(tmpdir(), "trm-serve-"));
  dir = path.join(base, "www");
  outside = path.join(base, "secret.txt");
  mkdirSync(path.join(dir, "pkg"), { recursive: true });
  mkdirSync(path.join(dir, "models"));
  mkdirSync(path.join(dir, "sub"));
  writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>t</title>");
  writeFileSync(path.join(dir, "app.js"), "export {};");
  writeFileSync(path.join(dir, "style.css"), "body{}");
  writeFileSync(path.join(dir, "pkg", "trm.js"), "export default 1;");
  writeFileSync(path.join(dir, "pkg", "trm_bg.wasm"), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  writeFileSync(path.join(dir, "models", "models.json"), "[]");
  writeFileSync(path.join(dir, "models", "m.safetensors"), Buffer.alloc(1000, 7));
  writeFileSync(path.join(dir, "sub", "index.html"), "sub");
  writeFileSync(outside, "TOP SECRET");
  symlinkSync(outside, path.join(dir, "link.txt"));
  srv = await startServer({ root: dir, port: 0 });
});

after(async () => {
  await srv?.close();
  rmSync(path.dirname(dir), { recursive: true, force: true });
});

/** A raw HTTP request, so paths are sent exactly as written (fetch would normalise ../). */
function rawGet(port, target, method = "GET") {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => {
      sock.write(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    let data = "";
    sock.on("data", (d) => (data += d.toString("latin1")));
    sock.on("end", () => {
      const [head, ...rest] = data.split("\r\n\r\n");
      resolve({ status: Number(head.split(" ")[1]), head, body: rest.join("\r\n\r\n") });
    });
    sock.on("error", reject);
  });
}

test("serves files with the right MIME type and Content-Length", async () => {
  const cases = [
    ["index.html", "text/html"],
    ["app.js", "text/javascript"],
    ["style.css", "text/css"],
    ["pkg/trm.js", "text/javascript"],
    ["pkg/trm_bg.wasm", "application/wasm"],
    ["models/models.json", "application/json"],
    ["models/m.safetensors", "application/octet-stream"],
  ];
  for (const [p, mime] of cases) {
    const r = await fetch(srv.url + p);
    assert.equal(r.status, 200, p);
    assert.ok(r.headers.get("content-type").startsWith(mime), `${p}: ${r.headers.get("content-type")}`);
    const body = Buffer.from(await r.arrayBuffer());
    assert.equal(Number(r.headers.get("content-length")), body.length, `${p} Content-Length`);
  }
  const big = await fetch(srv.url + "models/m.safetensors");
  assert.equal(big.headers.get("content-length"), "1000");
});

test("directories serve index.html; missing files are 404; HEAD answers with a GET's headers", async () => {
  const root = await fetch(srv.url);
  assert.equal(root.status, 200);
  assert.match(await root.text(), /<title>t<\/title>/);
  const redirect = await fetch(srv.url + "sub", { redirect: "manual" });
  assert.equal(redirect.status, 301);
  assert.equal((await fetch(srv.url + "sub/")).status, 200);
  assert.equal((await fetch(srv.url + "nope.js")).status, 404);
  assert.equal((await fetch(srv.url + "app.js?v=3")).status, 200, "query strings are ignored");
  // (Node's http module never sends a HEAD response's body, whatever the handler writes: the
  // headers are serve.mjs's part.)
  const head = await rawGet(srv.port, "/models/m.safetensors", "HEAD");
  const get = await rawGet(srv.port, "/models/m.safetensors");
  assert.equal(head.status, 200);
  const fields = (r) => r.head.split("\r\n").slice(1).filter((h) => !/^date:/i.test(h)).sort();
  assert.deepEqual(fields(head), fields(get));
  assert.match(head.head, /content-length: 1000/i);
  assert.equal((await rawGet(srv.port, "/nope.js", "HEAD")).status, 404);
  const post = await fetch(srv.url + "app.js", { method: "POST", body: "x" });
  assert.equal(post.status, 405);
});

test("no directory traversal, encoded or not, and no symlinks out of the root", async () => {
  for (const target of [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E%2Fsecret.txt",
    "/sub/../../secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e%5csecret.txt",
    "/....//secret.txt",
    "/%00",
    "/%zz",
    "/link.txt",
  ]) {
    const r = await rawGet(srv.port, target);
    assert.ok([400, 403, 404].includes(r.status), `${target} -> ${r.status}`);
    assert.doesNotMatch(r.body, /TOP SECRET/, target);
  }
  assert.equal(resolveUnder("/srv/www", "/../etc/passwd"), null);
  assert.equal(resolveUnder("/srv/www", "/a/%2e%2e/%2e%2e/x"), null);
  assert.equal(resolveUnder("/srv/www", "/a/b.js"), path.resolve("/srv/www/a/b.js"));
});

test("overrides and the request hook (used by the browser tests)", async () => {
  const seen = [];
  const s = await startServer({
    root: dir,
    port: 0,
    overrides: { "/x.json": '{"a":1}', "/app.js": null },
    onRequest: (p) => seen.push(p),
  });
  try {
    const r = await fetch(s.url + "x.json");
    assert.equal(r.headers.get("content-type"), "application/json; charset=utf-8");
    assert.deepEqual(await r.json(), { a: 1 });
    assert.equal((await fetch(s.url + "app.js")).status, 404);
    assert.deepEqual(seen, ["/x.json", "/app.js"]);
  } finally {
    await s.close();
  }
});

test("CLI: node scripts/serve.mjs --port 0 --root DIR prints its URL and serves", async () => {
  const child = spawn(process.execPath, [path.join(ROOT, "scripts", "serve.mjs"), "--port", "0", "--root", dir], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 10_000);
      child.stdout.on("data", (d) => {
        out += d;
        const m = out.match(/at (http:\/\/127\.0\.0\.1:\d+\/)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const r = await fetch(url + "pkg/trm_bg.wasm");
    assert.equal(r.headers.get("content-type"), "application/wasm");
  } finally {
    child.kill();
  }
  const bad = spawn(process.execPath, [path.join(ROOT, "scripts", "serve.mjs"), "--port", "notaport"], { stdio: "pipe" });
  const code = await new Promise((r) => bad.on("exit", r));
  assert.equal(code, 2);
});
