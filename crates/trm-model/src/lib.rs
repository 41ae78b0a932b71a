//! The TRM network and everything that runs it: the configuration, the devices (burn's CPU
//! backend flex, wgpu natively, WebGPU in the browser), the model (which calls the fused ops of
//! `trm-kernels` and never names a backend), weights (reference checkpoints and the single-file
//! web format), the recursion driver that yields every pass, and the one evaluation path
//! (versions → solve → vote → score) that the trainer, `trm eval` and the runtime share.

pub mod config;
pub mod device;
pub mod eval;
pub mod gpu;
pub mod model;
pub mod recursion;
pub mod weights;

#[cfg(not(target_family = "wasm"))]
pub mod bench;
#[cfg(not(target_family = "wasm"))]
pub mod parity;
