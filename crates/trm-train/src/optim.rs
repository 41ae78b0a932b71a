//! The reference's optimisers, written over flat parameter lists: AdamATan2 (Adam whose
//! m̂/(√v̂ + ε) becomes atan2(m̂, √v̂): no epsilon, bounded steps) or AdamW, both with decoupled
//! weight decay; the sparse sign-SGD step for puzzle-embedding rows; an EMA of the weights; and
//! linear warm-up into a cosine schedule.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// The reference's choice (`adam_atan2`).
    AdamAtan2,
    AdamW,
}

/// Hyper-parameters of the dense optimiser, the sparse puzzle-embedding step and the EMA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimConfig {
    pub optimizer: OptimizerKind,
    pub lr: f64,
    pub lr_warmup_steps: u64,
    /// Final learning rate as a fraction of `lr` (1.0 = constant after warm-up, as the reference).
    pub lr_min_ratio: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub weight_decay: f64,
    pub puzzle_emb_lr: f64,
    pub puzzle_emb_weight_decay: f64,
    /// EMA decay of the weights used for evaluation and export (0 disables it).
    pub ema: f64,
}

/// Learning-rate multiplier at optimiser step `step` (0-based) of `total`.
pub fn lr_factor(cfg: &OptimConfig, step: u64, total: u64) -> f64 {
    if step < cfg.lr_warmup_steps {
        return step as f64 / cfg.lr_warmup_steps.max(1) as f64;
    }
    let span = total.saturating_sub(cfg.lr_warmup_steps).max(1) as f64;
    let progress = ((step - cfg.lr_warmup_steps) as f64 / span).min(1.0);
    let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
    cfg.lr_min_ratio + (1.0 - cfg.lr_min_ratio) * cosine
}

/// Adam moments for every parameter (flat, in `Trm::params_flat` order).
pub struct Adam {
    /// Updates applied so far.
    pub step: u64,
    pub m: Vec<Tensor<1>>,
    pub v: Vec<Tensor<1>>,
}

impl Adam {
    pub fn new(params: &[Tensor<1>]) -> Self {
        let zeros = || params.iter().map(|p| p.zeros_like()).collect();
        Self { step: 0, m: zeros(), v: zeros() }
    }

    /// One update of every parameter with gradients `grads` at learning rate `lr`.
    pub fn update(&mut self, cfg: &OptimConfig, params: Vec<Tensor<1>>, grads: Vec<Tensor<1>>, lr: f64) -> Vec<Tensor<1>> {
        assert_eq!(params.len(), grads.len(), "one gradient per parameter");
        self.step += 1;
        let t = self.step as i32;
        let bc1 = 1.0 - cfg.beta1.powi(t);
        let bc2 = 1.0 - cfg.beta2.powi(t);
        let mut out = Vec::with_capacity(params.len());
        for (i, (p, g)) in params.into_iter().zip(grads).enumerate() {
            let m = self.m[i].clone().mul_scalar(cfg.beta1) + g.clone().mul_scalar(1.0 - cfg.beta1);
            let v = self.v[i].clone().mul_scalar(cfg.beta2) + g.square().mul_scalar(1.0 - cfg.beta2);
            let m_hat = m.clone().div_scalar(bc1);
            let v_hat = v.clone().div_scalar(bc2);
            let direction = match cfg.optimizer {
                OptimizerKind::AdamAtan2 => m_hat.atan2(v_hat.sqrt()),
                OptimizerKind::AdamW => m_hat / v_hat.sqrt().add_scalar(1e-8),
            };
            let decayed = p.mul_scalar(1.0 - lr * cfg.weight_decay);
            out.push(decayed - direction.mul_scalar(lr));
            self.m[i] = m;
            self.v[i] = v;
        }
        out
    }
}

/// The reference's sparse sign-SGD for puzzle-embedding rows: gradients of rows that share an
/// identifier are summed, then each touched row decays and moves by −lr · sign(gradient).
/// `table` is `[rows, dim]` row-major on the host; `row_grads` is `[B, dim]`.
pub fn sign_sgd_rows(table: &mut [f32], dim: usize, ids: &[i64], row_grads: &[f32], lr: f64, weight_decay: f64) {
    let mut summed: std::collections::BTreeMap<usize, Vec<f32>> = std::collections::BTreeMap::new();
    for (b, &id) in ids.iter().enumerate() {
        let acc = summed.entry(id as usize).or_insert_with(|| vec![0.0; dim]);
        for (a, g) in acc.iter_mut().zip(&row_grads[b * dim..(b + 1) * dim]) {
            *a += g;
        }
    }
    let keep = (1.0 - lr * weight_decay) as f32;
    for (id, g) in summed {
        for (w, g) in table[id * dim..(id + 1) * dim].iter_mut().zip(g) {
            let sign = if g > 0.0 { 1.0 } else if g < 0.0 { -1.0 } else { 0.0 };
            *w = *w * keep - lr as f32 * sign;
        }
    }
}

/// ema ← decay · ema + (1 − decay) · params.
pub fn ema_update(ema: Vec<Tensor<1>>, params: &[Tensor<1>], decay: f64) -> Vec<Tensor<1>> {
    ema.into_iter()
        .zip(params)
        .map(|(e, p)| e.mul_scalar(decay) + p.clone().mul_scalar(1.0 - decay))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn cfg(optimizer: OptimizerKind) -> OptimConfig {
        OptimConfig {
            optimizer,
            lr: 0.1,
            lr_warmup_steps: 10,
            lr_min_ratio: 0.1,
            beta1: 0.9,
            beta2: 0.95,
            weight_decay: 0.5,
            puzzle_emb_lr: 0.01,
            puzzle_emb_weight_decay: 0.1,
            ema: 0.9,
        }
    }

    fn t(v: &[f32]) -> Tensor<1> {
        Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), &Device::flex())
    }

    fn host(t: &Tensor<1>) -> Vec<f32> {
        t.clone().into_data().iter::<f32>().collect()
    }

    #[test]
    fn schedule_warms_up_then_follows_the_cosine_down_to_the_floor() {
        let c = cfg(OptimizerKind::AdamAtan2);
        assert_eq!(lr_factor(&c, 0, 110), 0.0);
        assert!((lr_factor(&c, 5, 110) - 0.5).abs() < 1e-12);
        assert!((lr_factor(&c, 10, 110) - 1.0).abs() < 1e-12);
        assert!((lr_factor(&c, 60, 110) - 0.55).abs() < 1e-12);
        assert!((lr_factor(&c, 110, 110) - 0.1).abs() < 1e-12);
        assert!((lr_factor(&c, 500, 110) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn first_adam_atan2_step_is_the_bias_corrected_atan2() {
        // Step 1: m̂ = g, v̂ = g², so the direction is atan2(g, |g|) = ±π/4.
        let c = cfg(OptimizerKind::AdamAtan2);
        let mut adam = Adam::new(&[t(&[1.0, -2.0, 0.0])]);
        let out = adam.update(&c, vec![t(&[1.0, -2.0, 0.0])], vec![t(&[3.0, -0.5, 0.0])], 0.1);
        let p = host(&out[0]);
        let keep = 1.0 - 0.1 * 0.5;
        let q = std::f32::consts::FRAC_PI_4 * 0.1;
        for (got, want) in p.iter().zip([1.0 * keep - q, -2.0 * keep + q, 0.0]) {
            assert!((got - want).abs() < 1e-6, "{p:?}");
        }
    }

    #[test]
    fn adamw_first_step_moves_by_lr() {
        let c = cfg(OptimizerKind::AdamW);
        let mut adam = Adam::new(&[t(&[0.0])]);
        let out = adam.update(&c, vec![t(&[0.0])], vec![t(&[4.0])], 0.1);
        assert!((host(&out[0])[0] + 0.1).abs() < 1e-6);
    }

    #[test]
    fn sign_sgd_sums_duplicate_rows_before_the_sign() {
        // Rows 0 and 2 of a 3×2 table; row 0 appears twice with opposite-sign gradients.
        let mut table = vec![1.0, 1.0, 5.0, 5.0, 2.0, 2.0];
        let grads = [0.5, -1.0, -0.25, -1.0, 3.0, 0.0];
        sign_sgd_rows(&mut table, 2, &[0, 0, 2], &grads, 0.1, 0.0);
        assert_eq!(table, vec![0.9, 1.1, 5.0, 5.0, 1.9, 2.0]);
    }

    #[test]
    fn ema_moves_towards_the_weights() {
        let e = ema_update(vec![t(&[0.0, 10.0])], &[t(&[1.0, 0.0])], 0.9);
        let v = host(&e[0]);
        assert!((v[0] - 0.1).abs() < 1e-6 && (v[1] - 9.0).abs() < 1e-6);
    }
}
