// Whether this engine has relaxed SIMD: sets `self.trmRelaxedSimd`. The worker (an ES module)
// imports this file and the site's service worker (a classic script) loads it with
// importScripts, so it has neither imports nor exports. The CPU runtime modules also come built
// with relaxed SIMD (wasm/NAME_relaxed.js), whose matrix kernel uses its fused multiply-add
// (about 1.35× the products' speed in Chromium); an engine without relaxed SIMD refuses such a
// file whole, so it is used only where this one-function module (f32x4.relaxed_madd on three
// zero vectors) validates.
self.trmRelaxedSimd = (() => {
  const zero = [0xfd, 0x0c, ...new Array(16).fill(0)];
  const body = [0x00, ...zero, ...zero, ...zero, 0xfd, 0x85, 0x02, 0x0b];
  const bytes = [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0, 10, body.length + 2, 1, body.length, ...body];
  try {
    return WebAssembly.validate(new Uint8Array(bytes));
  } catch {
    return false;
  }
})();
