//! Gradient parity with the reference trainer (`tests/fixtures/train/*`): for each stored
//! deep-supervision step, teacher-forced from the stored carry, the loss terms, logits, q_halt,
//! the new carry and the gradient of every parameter (and of the gathered puzzle-embedding
//! rows) must agree within 1e-4 of each tensor's largest magnitude.

use std::path::Path;

use burn::tensor::{Device, Tensor};
use serde::Serialize;

use super::step::{TrainBatch, forward_backward};
use trm_model::model::{Carry, ParamVisitor, Trm};
use trm_model::parity::{Fixture, TOLERANCE};
use trm_model::weights::HostTensor;
use trm_model::weights::checkpoint::load_reference;

/// Error of one compared quantity, relative to the reference's largest magnitude.
#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    pub name: String,
    pub error: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct GradStepCheck {
    pub step: usize,
    pub loss: f64,
    pub lm_loss: f64,
    pub q_halt_loss: f64,
    pub logits: f64,
    pub q_halt: f64,
    pub carry: f64,
    /// Every gradient, worst first.
    pub grads: Vec<Compared>,
}

impl GradStepCheck {
    pub fn worst_grad(&self) -> Option<&Compared> {
        self.grads.first()
    }

    pub fn passed(&self) -> bool {
        [self.loss, self.lm_loss, self.q_halt_loss, self.logits, self.q_halt, self.carry]
            .iter()
            .chain(self.grads.iter().map(|g| &g.error))
            .all(|e| *e <= TOLERANCE)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GradParityReport {
    pub fixture: String,
    pub backend: String,
    pub steps: Vec<GradStepCheck>,
}

impl GradParityReport {
    pub fn passed(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(GradStepCheck::passed)
    }
}

/// max |ours − reference| / max |reference| (a zero reference must be matched exactly).
pub fn rel_to_max(ours: &[f32], reference: &[f32]) -> f64 {
    if ours.len() != reference.len() {
        return f64::INFINITY;
    }
    let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs() as f64));
    let diff = ours.iter().zip(reference).fold(0.0f64, |m, (a, b)| m.max((*a as f64 - *b as f64).abs()));
    if diff.is_nan() || ours.iter().any(|v| !v.is_finite()) {
        f64::INFINITY
    } else if scale == 0.0 {
        if diff == 0.0 { 0.0 } else { f64::INFINITY }
    } else {
        diff / scale
    }
}

fn host<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

/// Whether `dir` holds a training fixture (as opposed to an inference one).
pub fn is_train_fixture(dir: &Path) -> bool {
    dir.join("train.safetensors").is_file()
}

/// Run the check on one folder (`checkpoint.pt`, `config.json`, `train.safetensors`).
pub fn check_train_fixture(dir: &Path, device: &Device, backend: &str) -> Result<GradParityReport, String> {
    let (config, mut tensors) = load_reference(&dir.join("checkpoint.pt"), Some(&dir.join("config.json")), None)
        .map_err(|e| e.to_string())?;
    let model = Trm::from_tensors(config, &mut tensors, device).map_err(|e| e.to_string())?;
    let fx = Fixture::read(&dir.join("train.safetensors"))?;
    let steps = fx.meta_usize("steps")?;
    let ints = |name: &str| -> Result<Vec<i64>, String> {
        let (_, v) = fx.i32s.get(name).ok_or_else(|| format!("train.safetensors lacks `{name}`"))?;
        Ok(v.iter().map(|&x| x as i64).collect())
    };
    let batch = TrainBatch { tokens: ints("inputs")?, labels: ints("labels")?, puzzle_ids: ints("puzzle_identifiers")? };
    let scalar = |name: &str| -> Result<f64, String> {
        fx.f64s.get(name).and_then(|v| v.first().copied()).ok_or_else(|| format!("train.safetensors lacks `{name}`"))
    };
    let rel_scalar = |ours: f64, reference: f64| (ours - reference).abs() / reference.abs().max(f64::MIN_POSITIVE);

    // Reference names and layouts of our gradients, in `params_flat` order.
    struct Names(Vec<(String, Vec<usize>, bool)>);
    impl ParamVisitor for Names {
        fn visit<const D: usize>(&mut self, name: &str, p: &mut Tensor<D>, transposed: bool) {
            self.0.push((name.to_string(), p.dims().to_vec(), transposed));
        }
    }
    let mut names = Names(Vec::new());
    model.clone().visit_params(&mut names);

    let mut checks = Vec::new();
    for k in 0..steps {
        let carry = Carry { z_h: fx.slice::<3>("carry_z_H", k, device)?, z_l: fx.slice::<3>("carry_z_L", k, device)? };
        let out = forward_backward(&model, carry, &batch);
        let mut grads = Vec::new();
        for ((name, shape, transposed), g) in names.0.iter().zip(out.grads) {
            let key = format!("grad_{k}.{name}");
            let (_, reference) = fx.f32(&key)?;
            let ours = HostTensor::new(shape.clone(), host(g));
            // burn keeps linear weights as [in, out]; the reference stores [out, in].
            let ours = if *transposed { ours.transposed_2d().data } else { ours.data };
            grads.push(Compared { name: name.clone(), error: rel_to_max(&ours, reference) });
        }
        if let Some(rows) = out.puzzle_row_grads {
            let (_, reference) = fx.f32(&format!("grad_{k}.puzzle_emb_rows"))?;
            grads.push(Compared { name: "puzzle_emb_rows".into(), error: rel_to_max(&host(rows), reference) });
        }
        grads.sort_by(|a, b| b.error.total_cmp(&a.error));
        let (_, ref_logits) = fx.f32(&format!("logits_{k}"))?;
        let (_, ref_q) = fx.f32(&format!("q_halt_{k}"))?;
        let q: Vec<f32> = out.rows.iter().map(|r| r.q_halt).collect();
        let carry_err = rel_to_max(&host(out.carry.z_h), &host(fx.slice::<3>("carry_z_H", k + 1, device)?))
            .max(rel_to_max(&host(out.carry.z_l), &host(fx.slice::<3>("carry_z_L", k + 1, device)?)));
        checks.push(GradStepCheck {
            step: k,
            loss: rel_scalar(out.loss, scalar(&format!("loss_{k}"))?),
            lm_loss: rel_scalar(out.lm_loss, scalar(&format!("lm_loss_{k}"))?),
            q_halt_loss: rel_scalar(out.q_halt_loss, scalar(&format!("q_halt_loss_{k}"))?),
            logits: rel_to_max(&host(out.logits), ref_logits),
            q_halt: rel_to_max(&q, ref_q),
            carry: carry_err,
            grads,
        });
    }
    Ok(GradParityReport {
        fixture: dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        backend: backend.to_string(),
        steps: checks,
    })
}
