//! One training step of the reference (its `ACTLossHead` over the inner model), made
//! deterministic: from a carry, H_cycles − 1 outer cycles without gradient, one with gradient,
//! the stablemax cross-entropy plus 0.5 · BCE(q_halt, exactly correct), and the backward pass.
//! Which rows run (halting, fresh puzzles) is the ACT loop's business ([`super::act`]).

use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};

use trm_model::model::{Carry, ParamVisitor, Trm};

/// Label value that counts for nothing (the reference's `IGNORE_LABEL_ID`).
pub const IGNORE: i64 = -100;

/// A batch as the trainer feeds it: tokens and labels `[B, seq_len]` row-major, one puzzle
/// identifier per row.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainBatch {
    pub tokens: Vec<i64>,
    pub labels: Vec<i64>,
    pub puzzle_ids: Vec<i64>,
}

impl TrainBatch {
    pub fn rows(&self) -> usize {
        self.puzzle_ids.len()
    }
}

/// Per-row outcome of a step, from the logits the loss saw.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RowOutcome {
    /// Counted (non-ignored) tokens and how many of them the argmax got right.
    pub counted: usize,
    pub correct: usize,
    /// q_halt logit of this step.
    pub q_halt: f32,
}

impl RowOutcome {
    /// Every counted token right (the BCE target of q_halt; `exact_accuracy`).
    pub fn exact(&self) -> bool {
        self.correct == self.counted
    }
}

/// What one forward + backward gives, all off the autodiff graph.
pub struct StepResult {
    /// The new carry, detached.
    pub carry: Carry,
    /// `[B, seq_len, vocab]`
    pub logits: Tensor<3>,
    pub rows: Vec<RowOutcome>,
    pub loss: f64,
    pub lm_loss: f64,
    pub q_halt_loss: f64,
    /// Gradient of `loss` for each parameter, flattened, in [`Trm::params_flat`] order.
    pub grads: Vec<Tensor<1>>,
    /// Gradient for each row's gathered puzzle-embedding row, `[B, puzzle_emb_ndim]`.
    pub puzzle_row_grads: Option<Tensor<2>>,
}

/// The model with every trainable tensor on `device` (an autodiff device) as a gradient leaf.
fn with_grad_leaves(model: &Trm) -> Trm {
    struct Leaves;
    impl ParamVisitor for Leaves {
        fn visit<const D: usize>(&mut self, _: &str, p: &mut Tensor<D>, _: bool) {
            *p = p.clone().autodiff().require_grad();
        }
    }
    let mut m = model.clone();
    m.visit_params(&mut Leaves);
    m
}

/// log p(label) under stablemax: s(v) = v + 1 for v ≥ 0, 1 / (1 − v) below; p = s / Σ s.
/// Each branch only sees the values it is used for, so neither can produce inf or NaN.
pub fn stablemax_log_probs(logits: Tensor<3>) -> Tensor<3> {
    let positive = logits.clone().greater_equal_elem(0.0);
    let above = logits.clone().clamp_min(0.0).add_scalar(1.0);
    let below = logits.clamp_max(0.0).neg().add_scalar(1.0).recip();
    let s = below.mask_where(positive, above);
    let total = s.clone().sum_dim(2);
    s.log() - total.log()
}

/// BCE with logits, elementwise: max(x, 0) − x·y + log(1 + e^−|x|).
fn bce_with_logits(x: Tensor<1>, y: Tensor<1>) -> Tensor<1> {
    relu(x.clone()) - x.clone() * y + x.abs().neg().exp().log1p()
}

/// One training step from `carry` (plain tensors on the model's device). Gradients are of the
/// summed loss (the caller divides by the batch size, as the reference does).
pub fn forward_backward(model: &Trm, carry: Carry, batch: &TrainBatch) -> StepResult {
    let cfg = &model.config;
    let plain: Device = model.h_init.device();
    let ad = plain.clone().autodiff();
    let (b, seq, vocab) = (batch.rows(), cfg.seq_len, cfg.vocab_size);
    assert_eq!(batch.tokens.len(), b * seq, "tokens per row");
    assert_eq!(batch.labels.len(), b * seq, "labels per row");

    let grad_model = with_grad_leaves(model);
    let tokens = Tensor::<2, Int>::from_data(TensorData::new(batch.tokens.clone(), [b, seq]), &ad);
    let ids = Tensor::<1, Int>::from_data(TensorData::new(batch.puzzle_ids.clone(), [b]), &plain);
    // The reference gathers the batch's rows into a local table that receives the gradient.
    let rows = model.puzzle_rows(ids).map(|r| r.autodiff().require_grad());
    let x = grad_model.embed(tokens, rows.clone());

    // H_cycles − 1 outer cycles without gradient, on plain tensors.
    let x_plain = x.clone().inner();
    let mut carry = Carry { z_h: carry.z_h.inner(), z_l: carry.z_l.inner() };
    for _ in 1..cfg.h_cycles {
        carry = model.outer_cycle(carry, &x_plain);
    }
    let carry = grad_model.outer_cycle(carry, &x);
    let logits = grad_model.decode(carry.z_h.clone());
    let q = grad_model.q_logits(carry.z_h.clone());
    let q_halt = q.narrow(1, 0, 1).reshape([b]);

    // Which rows are exactly right decides the BCE target: read the logits back first.
    let host_logits: Vec<f32> = logits.clone().inner().into_data().iter::<f32>().collect();
    let host_q: Vec<f32> = q_halt.clone().inner().into_data().iter::<f32>().collect();
    let mut outcomes = Vec::with_capacity(b);
    for r in 0..b {
        let mut o = RowOutcome { q_halt: host_q[r], ..Default::default() };
        for t in 0..seq {
            let label = batch.labels[r * seq + t];
            if label == IGNORE {
                continue;
            }
            o.counted += 1;
            let cell = &host_logits[(r * seq + t) * vocab..(r * seq + t + 1) * vocab];
            let arg = cell.iter().enumerate().fold(0, |best, (i, v)| if *v > cell[best] { i } else { best });
            o.correct += (arg as i64 == label) as usize;
        }
        outcomes.push(o);
    }

    let counted: Vec<f32> = batch.labels.iter().map(|&l| (l != IGNORE) as u8 as f32).collect();
    let mask = Tensor::<2>::from_data(TensorData::new(counted, [b, seq]), &plain);
    let safe_labels: Vec<i64> = batch.labels.iter().map(|&l| if l == IGNORE { 0 } else { l }).collect();
    let label_idx = Tensor::<3, Int>::from_data(TensorData::new(safe_labels, [b, seq, 1]), &ad);
    let log_p = stablemax_log_probs(logits.clone()).gather(2, label_idx).reshape([b, seq]);
    let divisor: Vec<f32> = outcomes.iter().map(|o| o.counted.max(1) as f32).collect();
    let divisor = Tensor::<1>::from_data(TensorData::new(divisor, [b]), &plain);
    let lm_loss = (log_p.neg() * mask).sum_dim(1).reshape([b]).div(divisor).sum();
    let targets: Vec<f32> = outcomes.iter().map(|o| o.exact() as u8 as f32).collect();
    let targets = Tensor::<1>::from_data(TensorData::new(targets, [b]), &plain);
    let q_halt_loss = bce_with_logits(q_halt, targets).sum();
    let loss = lm_loss.clone() + q_halt_loss.clone().mul_scalar(0.5);

    let grads = loss.backward();
    let scalar = |t: Tensor<1>| t.inner().into_scalar::<f32>() as f64;
    struct Collect<'g>(&'g burn::tensor::Gradients, Vec<Tensor<1>>);
    impl ParamVisitor for Collect<'_> {
        fn visit<const D: usize>(&mut self, _: &str, p: &mut Tensor<D>, _: bool) {
            let n = p.shape().num_elements();
            // A parameter the loss does not reach gets a zero gradient.
            let g = p.grad(self.0).map(|g| g.reshape([n]));
            self.1.push(g.unwrap_or_else(|| Tensor::zeros([n], &p.device().without_autodiff())));
        }
    }
    let mut collect = Collect(&grads, Vec::new());
    grad_model.clone().visit_params(&mut collect);
    let param_grads = collect.1;
    let puzzle_row_grads = rows.and_then(|r| r.grad(&grads));
    StepResult {
        carry: Carry { z_h: carry.z_h.inner(), z_l: carry.z_l.inner() },
        logits: logits.inner(),
        rows: outcomes,
        loss: scalar(loss),
        lm_loss: scalar(lm_loss),
        q_halt_loss: scalar(q_halt_loss),
        grads: param_grads,
        puzzle_row_grads,
    }
}

/// [`forward_backward`] with the batch cut into `shards` row ranges computed side by side (rayon):
/// the loss is a sum over rows, so the gradients are the shards' sums, and every other output is
/// the shards' outputs in row order. flex runs the small elementwise ops of one shard on one
/// thread; shards keep every thread busy. The sums' rounding differs from one unsharded pass, so
/// a run's numbers depend on `shards` (not on the thread count).
pub fn forward_backward_sharded(model: &Trm, carry: Carry, batch: &TrainBatch, shards: usize) -> StepResult {
    use rayon::prelude::*;
    let b = batch.rows();
    let shards = shards.clamp(1, b.max(1));
    if shards == 1 {
        return forward_backward(model, carry, batch);
    }
    let seq = model.config.seq_len;
    let bounds: Vec<(usize, usize)> = trm_kernels::even_ranges(b, shards).collect();
    let parts: Vec<StepResult> = bounds
        .into_par_iter()
        .map(|(lo, rows)| {
            let hi = lo + rows;
            let part = TrainBatch {
                tokens: batch.tokens[lo * seq..hi * seq].to_vec(),
                labels: batch.labels[lo * seq..hi * seq].to_vec(),
                puzzle_ids: batch.puzzle_ids[lo..hi].to_vec(),
            };
            let c = Carry { z_h: carry.z_h.clone().narrow(0, lo, rows), z_l: carry.z_l.clone().narrow(0, lo, rows) };
            trm_kernels::threads::shard(|| forward_backward(model, c, &part))
        })
        .collect();
    let mut parts = parts.into_iter();
    let first = parts.next().expect("at least one shard");
    let (mut z_h, mut z_l, mut logits) = (vec![first.carry.z_h], vec![first.carry.z_l], vec![first.logits]);
    let mut rows = first.rows;
    let (mut loss, mut lm_loss, mut q_halt_loss) = (first.loss, first.lm_loss, first.q_halt_loss);
    let mut grads = first.grads;
    let mut row_grads: Option<Vec<Tensor<2>>> = first.puzzle_row_grads.map(|g| vec![g]);
    for p in parts {
        z_h.push(p.carry.z_h);
        z_l.push(p.carry.z_l);
        logits.push(p.logits);
        rows.extend(p.rows);
        loss += p.loss;
        lm_loss += p.lm_loss;
        q_halt_loss += p.q_halt_loss;
        grads = grads.into_iter().zip(p.grads).map(|(a, g)| a + g).collect();
        if let (Some(all), Some(g)) = (row_grads.as_mut(), p.puzzle_row_grads) {
            all.push(g);
        }
    }
    StepResult {
        carry: Carry { z_h: Tensor::cat(z_h, 0), z_l: Tensor::cat(z_l, 0) },
        logits: Tensor::cat(logits, 0),
        rows,
        loss,
        lm_loss,
        q_halt_loss,
        grads,
        puzzle_row_grads: row_grads.map(|g| Tensor::cat(g, 0)),
    }
}
