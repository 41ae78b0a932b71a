//! The wasm surface. [`puzzles`] (the puzzle codecs) is in every wasm build and is all of the
//! small `trm_tasks` module the page loads first, so it can parse, check, generate and show
//! puzzles before the model runtime ([`session`], `model` feature) has downloaded.

pub mod puzzles;
#[cfg(feature = "model")]
pub mod session;

/// `initThreadPool(n)`: starts the `n` Web Workers of the threaded CPU module (`trm_cpu_mt`) that
/// flex's rayon pool runs on. The worker calls it once, before opening a session.
#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

unsafe extern "C" {
    /// Synthesised by the linker: runs the static constructors (burn's kernel registries use
    /// `inventory`). A module that never calls it is linked "command-style", with every export
    /// wrapped to run all constructors first: each call from JavaScript (thousands per streamed
    /// pass) re-ran them, and a 64-version ARC pass spent ~6 s there.
    fn __wasm_call_ctors();
}

/// Run the static constructors, once per instance. The page's start function does it; so does
/// `Session.create`, for hosts that never run the start function (wasm-bindgen-test).
pub(crate) fn run_constructors() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: the linker's constructor function, run once per instance.
    ONCE.call_once(|| unsafe { __wasm_call_ctors() });
}

/// Runs once, when the module is instantiated.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    run_constructors();
    // Panics in wasm are bugs; when one happens anyway, the console says where.
    console_error_panic_hook::set_once();
}
