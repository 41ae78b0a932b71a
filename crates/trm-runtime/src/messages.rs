//! The messages the runtime exchanges with its host (the page's worker), one shape each. They
//! serialise with camelCase keys, as JavaScript reads them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use trm_model::config::TrmConfig;
pub use trm_model::gpu::AdapterInfo;
use trm_model::model::InnerUpdate;

/// Which backend runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Active {
    Webgpu,
    Cpu,
}

impl Active {
    pub fn name(self) -> &'static str {
        match self {
            Active::Webgpu => "webgpu",
            Active::Cpu => "cpu",
        }
    }
}

/// What a load resolves with.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    pub config: TrmConfig,
    pub params: usize,
    pub task: Option<&'static str>,
    pub puzzle_identifiers: Option<Vec<String>>,
    pub backend: Active,
    pub backend_reason: String,
    pub warmup_ms: f64,
    pub metadata: BTreeMap<String, String>,
}

/// One streamed pass.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassMessage<'a> {
    pub step: usize,
    pub inner: Option<InnerUpdate>,
    pub tokens: &'a [u32],
    pub confidence: &'a [f32],
    pub halt_prob: &'a [f32],
    /// Per cell, how much the answer latent z_H and the reasoning latent z_L moved over the
    /// step (end-of-step passes; empty for inner ones).
    pub answer_change: &'a [f32],
    pub reasoning_change: &'a [f32],
    /// Wall time of this supervision step, read-back included.
    pub ms: f64,
    pub backend: Active,
}

/// What a solve resolves with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SolveResult {
    pub steps: usize,
    pub cancelled: bool,
    pub tokens: Vec<u32>,
    pub confidence: Vec<f32>,
    pub halt_prob: Vec<f32>,
    pub total_ms: f64,
    pub backend: Active,
    /// Set when the GPU was lost mid-solve and the CPU took over.
    pub fell_back: Option<String>,
}

/// `{ maxSteps, stopOnHalt, inner, resume }`, every key optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SolveOptionsMessage {
    /// Total supervision steps, counting those a resumed solve already did.
    pub max_steps: Option<usize>,
    pub stop_on_halt: bool,
    pub inner: bool,
    /// Continue from the state the last solve ended in (finished or cancelled) instead of the
    /// initial one, on these tokens: "think longer", or an edited puzzle the model must recover
    /// on. The batch must have the last solve's size.
    pub resume: bool,
}
