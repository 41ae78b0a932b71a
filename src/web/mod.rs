//! The wasm surface. [`puzzles`] (the puzzle codecs) is in every wasm build and is all of the
//! small `trm_tasks` module the page loads first, so it can parse, check, generate and show
//! puzzles before the model runtime ([`session`], `model` feature) has downloaded.

pub mod puzzles;
#[cfg(feature = "model")]
pub mod session;

/// Panics in wasm are bugs; when one happens anyway, the console says where.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}
