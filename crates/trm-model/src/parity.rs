//! The parity check against reference outputs (`tests/fixtures/parity/*`): teacher-forced on
//! every step from the stored carry, free-running for the leading `free_running_steps`, with the
//! fixture README's tolerance (max |Δ| ≤ 1e-4 · max(1, max |reference|), and identical argmax
//! wherever the reference's top two logits are further apart than that).

use std::collections::HashMap;
use std::path::Path;

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::model::{Carry, Trm};
use crate::weights::checkpoint::load_reference;

pub const TOLERANCE: f64 = 1e-4;

/// Reference tensors from a fixture's safetensors file.
pub struct Fixture {
    pub f32s: HashMap<String, (Vec<usize>, Vec<f32>)>,
    /// Scalars stored in f64 (the training fixtures' losses).
    pub f64s: HashMap<String, Vec<f64>>,
    pub i32s: HashMap<String, (Vec<usize>, Vec<i32>)>,
    meta: HashMap<String, String>,
}

impl Fixture {
    pub fn read(path: &Path) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| e.to_string())?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| e.to_string())?;
        let mut f32s = HashMap::new();
        let mut i32s = HashMap::new();
        let mut f64s = HashMap::new();
        for (name, v) in st.tensors() {
            if v.dtype() == safetensors::Dtype::F64 {
                let vals = v.data().chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")));
                f64s.insert(name, vals.collect());
                continue;
            }
            let chunks = v.data().chunks_exact(4).map(|b| [b[0], b[1], b[2], b[3]]);
            match v.dtype() {
                safetensors::Dtype::F32 => {
                    f32s.insert(name, (v.shape().to_vec(), chunks.map(f32::from_le_bytes).collect()));
                }
                safetensors::Dtype::I32 => {
                    i32s.insert(name, (v.shape().to_vec(), chunks.map(i32::from_le_bytes).collect()));
                }
                other => return Err(format!("{name}: unexpected dtype {other:?}")),
            }
        }
        let meta = header.metadata().clone().unwrap_or_default();
        Ok(Self { f32s, f64s, i32s, meta })
    }

    pub fn f32(&self, name: &str) -> Result<&(Vec<usize>, Vec<f32>), String> {
        self.f32s.get(name).ok_or_else(|| format!("io.safetensors lacks `{name}`"))
    }

    pub fn meta_usize(&self, key: &str) -> Result<usize, String> {
        self.meta
            .get(key)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("io.safetensors metadata lacks `{key}`"))
    }

    /// Slice `index` of the leading axis as a device tensor of rank D.
    pub fn slice<const D: usize>(&self, name: &str, index: usize, device: &Device) -> Result<Tensor<D>, String> {
        let (shape, data) = self.f32(name)?;
        let inner: usize = shape[1..].iter().product();
        let part = data[index * inner..(index + 1) * inner].to_vec();
        Ok(Tensor::from_data(TensorData::new(part, shape[1..].to_vec()), device))
    }
}

/// Errors of one supervision step, each relative to max(1, max |reference|).
#[derive(Debug, Clone, serde::Serialize)]
pub struct StepCheck {
    pub mode: &'static str,
    pub step: usize,
    pub logits: f64,
    pub q: f64,
    pub carry: f64,
    /// Cells whose argmax differs although the reference's top-2 margin exceeds the tolerance.
    pub argmax_mismatches: usize,
}

impl StepCheck {
    pub fn passed(&self) -> bool {
        self.logits <= TOLERANCE && self.q <= TOLERANCE && self.carry <= TOLERANCE && self.argmax_mismatches == 0
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ParityReport {
    pub fixture: String,
    pub backend: String,
    pub steps: Vec<StepCheck>,
}

impl ParityReport {
    pub fn passed(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(StepCheck::passed)
    }

    pub fn max(&self, f: impl Fn(&StepCheck) -> f64) -> f64 {
        self.steps.iter().map(f).fold(0.0, f64::max)
    }
}

fn rel_err(ours: &[f32], reference: &[f32]) -> f64 {
    assert_eq!(ours.len(), reference.len(), "shape mismatch");
    let scale = reference.iter().fold(1.0f64, |m, v| m.max(v.abs() as f64));
    let diff = ours
        .iter()
        .zip(reference)
        .fold(0.0f64, |m, (a, b)| m.max(((*a as f64) - (*b as f64)).abs()));
    if diff.is_nan() || ours.iter().any(|v| !v.is_finite()) { f64::INFINITY } else { diff / scale }
}

fn argmax_mismatches(ours: &[f32], reference: &[f32], vocab: usize) -> usize {
    let scale = reference.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let tol = TOLERANCE as f32 * scale;
    let argmax = |row: &[f32]| {
        row.iter().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0
    };
    ours.chunks_exact(vocab)
        .zip(reference.chunks_exact(vocab))
        .filter(|(o, r)| {
            let mut sorted = r.to_vec();
            sorted.sort_by(|a, b| b.total_cmp(a));
            let decisive = sorted.len() < 2 || sorted[0] - sorted[1] > tol;
            decisive && argmax(o) != argmax(r)
        })
        .count()
}

fn host(t: Tensor<3>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

/// Which steps a check runs. The free-running leading steps are always checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Every step teacher-forced as well: the fixtures' own procedure (`trm parity`, flex tests).
    Full,
    /// Teacher-forced only at the last step, when the free run stops short of it: a step runs
    /// the same kernels whatever its carry, and a free-running step that passes compares the same
    /// outputs from the port's own carry. For backends that take minutes per fixture (wgpu on
    /// Mesa's lavapipe, a software Vulkan).
    Quick,
}

/// Run the check on one fixture folder (`checkpoint.pt`, `config.json`, `io.safetensors`).
pub fn check_fixture(dir: &Path, device: &Device, backend: &str, coverage: Coverage) -> Result<ParityReport, String> {
    let (config, mut tensors) = load_reference(&dir.join("checkpoint.pt"), Some(&dir.join("config.json")), None)
        .map_err(|e| e.to_string())?;
    let model = Trm::from_tensors(config, &mut tensors, device).map_err(|e| e.to_string())?;
    let fx = Fixture::read(&dir.join("io.safetensors"))?;
    let steps = fx.meta_usize("steps")?;
    let free_steps = fx.meta_usize("free_running_steps")?;
    let (in_shape, inputs) = fx.i32s.get("inputs").ok_or("io.safetensors lacks `inputs`")?;
    let (_, ids) = fx.i32s.get("puzzle_identifiers").ok_or("io.safetensors lacks `puzzle_identifiers`")?;
    let (b, seq) = (in_shape[0], in_shape[1]);
    let tokens = Tensor::<2, Int>::from_data(
        TensorData::new(inputs.iter().map(|&v| v as i64).collect::<Vec<_>>(), [b, seq]),
        device,
    );
    let id_t = Tensor::<1, Int>::from_data(TensorData::new(ids.iter().map(|&v| v as i64).collect::<Vec<_>>(), [b]), device);
    let x = model.input_embeddings(tokens, id_t);
    let vocab = model.config.vocab_size;

    let compare = |mode: &'static str, k: usize, carry: Carry| -> Result<(StepCheck, Carry), String> {
        let out = model.step(carry, &x, false);
        let logits = host(out.logits);
        let q: Vec<f32> = out.q.into_data().iter::<f32>().collect();
        let ref_logits = fx.slice::<3>("logits", k, device).map(host)?;
        let ref_q: Vec<f32> = {
            let (_, qh) = fx.f32("q_halt")?;
            let (_, qc) = fx.f32("q_continue")?;
            (0..b).flat_map(|r| [qh[k * b + r], qc[k * b + r]]).collect()
        };
        let z_h = host(out.carry.z_h.clone());
        let z_l = host(out.carry.z_l.clone());
        let ref_h = host(fx.slice::<3>("carry_z_H", k + 1, device)?);
        let ref_l = host(fx.slice::<3>("carry_z_L", k + 1, device)?);
        let check = StepCheck {
            mode,
            step: k + 1,
            logits: rel_err(&logits, &ref_logits),
            q: rel_err(&q, &ref_q),
            carry: rel_err(&z_h, &ref_h).max(rel_err(&z_l, &ref_l)),
            argmax_mismatches: argmax_mismatches(&logits, &ref_logits, vocab),
        };
        Ok((check, out.carry))
    };

    let mut checks = Vec::new();
    let teacher_forced = |k: usize| coverage == Coverage::Full || (k + 1 == steps && k >= free_steps);
    for k in (0..steps).filter(|&k| teacher_forced(k)) {
        let carry = Carry {
            z_h: fx.slice::<3>("carry_z_H", k, device)?,
            z_l: fx.slice::<3>("carry_z_L", k, device)?,
        };
        checks.push(compare("teacher-forced", k, carry)?.0);
    }
    let mut carry = model.initial_carry(b);
    for k in 0..free_steps.min(steps) {
        let (check, next) = compare("free-running", k, carry)?;
        checks.push(check);
        carry = next;
    }
    Ok(ParityReport {
        fixture: dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        backend: backend.to_string(),
        steps: checks,
    })
}
