//! The wasm surface. [`puzzles`] (the puzzle codecs) is in every wasm build and is all of the
//! small `trm_tasks` module the page loads first, so it can parse, check, generate and show
//! puzzles before the model runtime ([`session`], `model` feature) has downloaded.

pub mod puzzles;
#[cfg(feature = "model")]
pub mod session;

unsafe extern "C" {
    /// Synthesised by the linker: runs the static constructors (burn's kernel registries use
    /// `inventory`). A module that never calls it is linked "command-style", with every export
    /// wrapped to run all constructors first: each call from JavaScript (thousands per streamed
    /// pass) re-ran them, and a 64-version ARC pass spent ~6 s there.
    fn __wasm_call_ctors();
}

/// Runs once, when the module is instantiated.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    // SAFETY: the linker's constructor function, called once per instance before any other
    // export (wasm-bindgen runs the start function at instantiation).
    unsafe { __wasm_call_ctors() };
    // Panics in wasm are bugs; when one happens anyway, the console says where.
    console_error_panic_hook::set_once();
}
