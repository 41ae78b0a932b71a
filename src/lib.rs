//! trm-web: the Tiny Recursive Model (TRM) in Rust.
//!
//! `tasks` (puzzle codecs, generators, validators) has no burn dependency; everything else
//! needs the `model` feature.

pub mod tasks;

#[cfg(feature = "model")]
pub mod config;
#[cfg(feature = "model")]
pub mod model;
#[cfg(feature = "model")]
pub mod recursion;
#[cfg(feature = "model")]
pub mod weights;
#[cfg(feature = "model")]
pub mod device;
#[cfg(all(feature = "model", any(feature = "wgpu", target_family = "wasm")))]
pub mod gpu;
/// The page's runtime core; natively it needs both backends (its CPU fallback is flex).
#[cfg(all(feature = "model", any(all(feature = "wgpu", feature = "flex"), target_family = "wasm")))]
pub mod runtime;
#[cfg(all(feature = "model", not(target_family = "wasm")))]
pub mod parity;
#[cfg(all(feature = "model", not(target_family = "wasm")))]
pub mod bench;

#[cfg(all(feature = "train", not(target_family = "wasm")))]
pub mod train;

#[cfg(target_family = "wasm")]
pub mod web;
