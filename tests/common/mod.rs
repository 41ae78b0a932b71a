//! Shared helpers for the integration tests: fixture paths and backends.
#![allow(dead_code)]

use std::path::PathBuf;

use burn::tensor::Device;
use trm::device::{Backend, device};

pub const FIXTURES: [&str; 4] = ["sudoku-mlp-h64", "maze-att-h64", "arc-att-learned-h64", "arc-att-emb96-h64"];

/// `tests/fixtures/parity/NAME` (the reference outputs, copied into the repository) (override with TRM_FIXTURES).
pub fn fixture(name: &str) -> PathBuf {
    let root = std::env::var_os("TRM_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parity"));
    root.join(name)
}

pub fn flex() -> Device {
    device(Backend::Flex).expect("flex is always available")
}

/// The wgpu device. A missing adapter fails the test (`scripts/setup.sh` installs Mesa's
/// lavapipe); only an explicit `TRM_SKIP_WGPU=1` turns it into a skip, for a machine that
/// cannot have one.
pub fn wgpu() -> Option<Device> {
    match device(Backend::Wgpu) {
        Ok(d) => Some(d),
        Err(e) if std::env::var_os("TRM_SKIP_WGPU").is_some() => {
            eprintln!("skipping wgpu (TRM_SKIP_WGPU is set): {e}");
            None
        }
        Err(e) => panic!("{e} (set TRM_SKIP_WGPU=1 to skip the wgpu tests on a machine without one)"),
    }
}

/// The runtime's host in tests: a clock, no event loop, and every pass recorded; `on_pass`
/// runs after recording (to cancel, lose the device or fail mid-solve).
pub struct Recorder<'a> {
    pub passes: std::cell::RefCell<Vec<RecordedPass>>,
    pub stages: std::cell::RefCell<Vec<String>>,
    on_pass: Box<dyn Fn(&trm::runtime::PassMessage<'_>) -> Result<(), String> + 'a>,
    start: std::time::Instant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordedPass {
    pub step: usize,
    pub inner: Option<trm::model::InnerUpdate>,
    pub tokens: Vec<u32>,
    pub confidence: Vec<f32>,
    pub halt_prob: Vec<f32>,
    pub backend: trm::runtime::Active,
}

impl<'a> Recorder<'a> {
    pub fn new() -> Self {
        Self::with(|_| Ok(()))
    }

    pub fn with(on_pass: impl Fn(&trm::runtime::PassMessage<'_>) -> Result<(), String> + 'a) -> Self {
        Self {
            passes: Default::default(),
            stages: Default::default(),
            on_pass: Box::new(on_pass),
            start: std::time::Instant::now(),
        }
    }

    /// The end-of-step passes.
    pub fn outer(&self) -> Vec<RecordedPass> {
        self.passes.borrow().iter().filter(|p| p.inner.is_none()).cloned().collect()
    }
}

impl trm::runtime::Host for Recorder<'_> {
    fn now_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1e3
    }

    async fn yield_now(&self) {}

    fn stage(&self, name: &str) {
        self.stages.borrow_mut().push(name.to_string());
    }

    fn pass(&self, p: &trm::runtime::PassMessage<'_>) -> Result<(), String> {
        self.passes.borrow_mut().push(RecordedPass {
            step: p.step,
            inner: p.inner,
            tokens: p.tokens.to_vec(),
            confidence: p.confidence.to_vec(),
            halt_prob: p.halt_prob.to_vec(),
            backend: p.backend,
        });
        (self.on_pass)(p)
    }
}

/// The shipped trained Sudoku model (web format) and the puzzle of its browser expectations.
pub fn sudoku_small() -> (trm::weights::web::WebModel, Vec<u32>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(root.join("www/models/sudoku-small.safetensors")).unwrap();
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("tests/browser/expected/sudoku-small.json")).unwrap()).unwrap();
    let tokens = expected["tokens"].as_array().unwrap().iter().map(|t| t.as_u64().unwrap() as u32).collect();
    (trm::weights::web::read(&bytes).unwrap(), tokens)
}

/// The wgpu runtime's GPU (lavapipe here), with the same skip rule as [`wgpu`].
pub fn gpu() -> Option<std::sync::Arc<trm::gpu::Gpu>> {
    wgpu()?;
    Some(trm::gpu::native().expect("the adapter that gave a wgpu device"))
}
