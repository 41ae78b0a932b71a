//! Shared helpers for the integration tests: fixture paths and backends.
#![allow(dead_code)]

use std::path::PathBuf;

use burn::tensor::Device;
use trm::device::{Backend, device};

pub const FIXTURES: [&str; 4] = ["sudoku-mlp-h64", "maze-att-h64", "arc-att-learned-h64", "arc-att-emb96-h64"];

/// `../shared/fixtures/parity/NAME` next to the repository (override with TRM_FIXTURES).
pub fn fixture(name: &str) -> PathBuf {
    let root = std::env::var_os("TRM_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/parity"));
    root.join(name)
}

pub fn flex() -> Device {
    device(Backend::Flex).expect("flex is always available")
}

/// The wgpu device, or None when there is no adapter — unless TRM_REQUIRE_WGPU is set, in
/// which case a missing adapter fails the test (the test command sets it after installing lavapipe).
pub fn wgpu() -> Option<Device> {
    match device(Backend::Wgpu) {
        Ok(d) => Some(d),
        Err(e) if std::env::var_os("TRM_REQUIRE_WGPU").is_some() => panic!("TRM_REQUIRE_WGPU set but {e}"),
        Err(e) => {
            eprintln!("skipping wgpu: {e}");
            None
        }
    }
}
