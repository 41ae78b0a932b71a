//! The browser's model runtime: [`session::Session`], the runtime core (`trm-runtime`) with the
//! browser as its host. One product in three builds (scripts/build-web.sh): `trm_cpu` (the CPU
//! backend), `trm_cpu_mt` (`threads`: the same on a pool of Web Workers) and `trm` (`webgpu`:
//! WebGPU, with the CPU as its fallback). The puzzle codecs are a module of their own
//! (`trm-wasm-tasks`), which the page loads first.

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
