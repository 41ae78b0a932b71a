//! Driving the recursion: every supervision step (and, on request, every inner update) comes out
//! as a [`Pass`] the caller can render, print or compare. The reference evaluation runs
//! `halt_max_steps` (16) steps and treats halting as information; that is the default here.

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Int, Tensor, TensorData, Transaction};

use crate::model::{Carry, InnerUpdate, Trm};

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum InputError {
    #[error("expected {expected} tokens per puzzle, got {found}")]
    Length { expected: usize, found: usize },
    #[error("token {token} at cell {cell} is outside this model's vocabulary of {vocab}")]
    Token { cell: usize, token: u32, vocab: usize },
    #[error("puzzle identifier {id} is outside this model's {count} identifiers")]
    PuzzleId { id: u32, count: usize },
    #[error("{found} puzzle identifiers for {expected} puzzles")]
    PuzzleIdCount { expected: usize, found: usize },
    #[error("an empty batch")]
    Empty,
}

/// B puzzles as tokens, checked against a model's vocabulary and identifier table.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub tokens: Vec<u32>,
    pub puzzle_ids: Vec<u32>,
}

impl Batch {
    pub fn new(rows: &[Vec<u32>], puzzle_ids: &[u32], model: &Trm) -> Result<Self, InputError> {
        let cfg = &model.config;
        if rows.is_empty() {
            return Err(InputError::Empty);
        }
        let mut tokens = Vec::with_capacity(rows.len() * cfg.seq_len);
        for row in rows {
            if row.len() != cfg.seq_len {
                return Err(InputError::Length { expected: cfg.seq_len, found: row.len() });
            }
            if let Some((cell, &token)) = row.iter().enumerate().find(|(_, t)| **t as usize >= cfg.vocab_size) {
                return Err(InputError::Token { cell, token, vocab: cfg.vocab_size });
            }
            tokens.extend_from_slice(row);
        }
        let ids: Vec<u32> = if puzzle_ids.is_empty() { vec![0; rows.len()] } else { puzzle_ids.to_vec() };
        if ids.len() != rows.len() {
            return Err(InputError::PuzzleIdCount { expected: rows.len(), found: ids.len() });
        }
        let count = cfg.num_puzzle_identifiers.max(1);
        if let Some(&id) = ids.iter().find(|&&id| id as usize >= count) {
            return Err(InputError::PuzzleId { id, count });
        }
        Ok(Self { tokens, puzzle_ids: ids })
    }

    pub fn len(&self) -> usize {
        self.puzzle_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.puzzle_ids.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolveOptions {
    /// Supervision steps to run; the reference evaluates exactly `halt_max_steps`, more is allowed.
    pub max_steps: usize,
    /// Stop once every row has q_halt > 0 (the training-time halting rule).
    pub stop_on_halt: bool,
    /// Also decode after every inner latent and answer update.
    pub inner: bool,
}

impl SolveOptions {
    pub fn reference(model: &Trm) -> Self {
        Self { max_steps: model.config.halt_max_steps, stop_on_halt: false, inner: false }
    }
}

/// One rendered pass for every row of the batch. Serialised in the same camelCase shape as the
/// page's pass messages (`runtime::PassMessage`), so `trm solve --json` and the page agree.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pass {
    /// 1-based supervision step.
    pub step: usize,
    /// `None` for the end of a supervision step; otherwise which inner update this decodes.
    pub inner: Option<InnerUpdate>,
    /// Predicted token per cell, `[B · seq_len]` (argmax of the logits).
    pub tokens: Vec<u32>,
    /// Max softmax probability per cell, `[B · seq_len]`.
    pub confidence: Vec<f32>,
    /// sigmoid(q_halt) per row (end-of-step passes only; empty for inner ones).
    pub halt_prob: Vec<f32>,
    /// Raw q_halt logits per row (end-of-step passes only).
    pub q_halt: Vec<f32>,
    /// Per cell, `[B · seq_len]`, the L2 norm over the hidden size of how much the answer latent
    /// z_H (the paper's y) moved during this step (end-of-step passes only): where the answer is
    /// still changing. The latents' own sizes would show nothing: every block ends in an RMSNorm,
    /// so each cell's vector has norm √hidden.
    pub answer_change: Vec<f32>,
    /// The same for the reasoning latent z_L (the paper's z): where the model is still working.
    pub reasoning_change: Vec<f32>,
}

/// Tensors of one step that are still on the device, to be read in one transaction.
pub struct PendingStep {
    step: usize,
    decoded: Vec<(Option<InnerUpdate>, Tensor<2, Int>, Tensor<2>)>,
    q_halt: Tensor<1>,
    /// Per-cell norms of how much z_H and z_L moved over the step (see [`Pass::answer_change`]).
    changes: Option<(Tensor<2>, Tensor<2>)>,
}

impl PendingStep {
    fn transaction(self) -> (usize, Vec<Option<InnerUpdate>>, Transaction) {
        let mut tx = Transaction::default();
        let mut kinds = Vec::new();
        for (kind, pred, conf) in self.decoded {
            kinds.push(kind);
            tx = tx.register(pred).register(conf);
        }
        if let Some((answer, reasoning)) = self.changes {
            tx = tx.register(answer).register(reasoning);
        }
        (self.step, kinds, tx.register(self.q_halt))
    }

    fn finish(step: usize, kinds: Vec<Option<InnerUpdate>>, data: Vec<TensorData>) -> Vec<Pass> {
        let q_halt: Vec<f32> = data.last().expect("q_halt registered").iter::<f32>().collect();
        let n = 2 * kinds.len();
        let (answer_change, reasoning_change): (Vec<f32>, Vec<f32>) = if data.len() == n + 3 {
            (data[n].iter::<f32>().collect(), data[n + 1].iter::<f32>().collect())
        } else {
            (Vec::new(), Vec::new())
        };
        let halt_prob: Vec<f32> = q_halt.iter().map(|q| 1.0 / (1.0 + (-q).exp())).collect();
        kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| {
                let end = kind.is_none();
                Pass {
                    step,
                    inner: kind,
                    tokens: data[2 * i].iter::<i64>().map(|v| v as u32).collect(),
                    confidence: data[2 * i + 1].iter::<f32>().collect(),
                    halt_prob: if end { halt_prob.clone() } else { Vec::new() },
                    q_halt: if end { q_halt.clone() } else { Vec::new() },
                    answer_change: if end { answer_change.clone() } else { Vec::new() },
                    reasoning_change: if end { reasoning_change.clone() } else { Vec::new() },
                }
            })
            .collect()
    }

    /// Read back synchronously (native only: browsers cannot block).
    #[cfg(not(target_family = "wasm"))]
    pub fn read(self) -> Result<Vec<Pass>, String> {
        let (step, kinds, tx) = self.transaction();
        let data = tx.try_execute().map_err(|e| format!("reading results from the device: {e:?}"))?;
        Ok(Self::finish(step, kinds, data))
    }

    pub async fn read_async(self) -> Result<Vec<Pass>, String> {
        let (step, kinds, tx) = self.transaction();
        let data = tx.execute_async().await.map_err(|e| format!("reading results from the device: {e:?}"))?;
        Ok(Self::finish(step, kinds, data))
    }
}

/// Argmax and its softmax probability per cell.
fn predict(logits: Tensor<3>) -> (Tensor<2, Int>, Tensor<2>) {
    let [b, s, _] = logits.dims();
    let probs = softmax(logits.clone(), 2);
    let pred = logits.argmax(2).reshape([b, s]);
    let conf = probs.max_dim(2).reshape([b, s]);
    (pred, conf)
}

/// A recursion in progress over one batch.
pub struct Recursion<'m> {
    model: &'m Trm,
    x: Tensor<3>,
    carry: Carry,
    steps_done: usize,
    all_halted: bool,
    pub options: SolveOptions,
}

impl<'m> Recursion<'m> {
    pub fn new(model: &'m Trm, batch: &Batch, options: SolveOptions, device: &Device) -> Self {
        let b = batch.len();
        let seq = model.config.seq_len;
        let tokens = Tensor::<2, Int>::from_data(
            TensorData::new(batch.tokens.iter().map(|&t| t as i64).collect::<Vec<_>>(), [b, seq]),
            device,
        );
        let ids = Tensor::<1, Int>::from_data(
            TensorData::new(batch.puzzle_ids.iter().map(|&t| t as i64).collect::<Vec<_>>(), [b]),
            device,
        );
        let x = model.input_embeddings(tokens, ids);
        Self { model, x, carry: model.initial_carry(b), steps_done: 0, all_halted: false, options }
    }

    /// Resume from a known state (e.g. after moving to another device).
    pub fn with_carry(mut self, carry: Carry, steps_done: usize) -> Self {
        self.carry = carry;
        self.steps_done = steps_done;
        self
    }

    pub fn steps_done(&self) -> usize {
        self.steps_done
    }

    pub fn carry(&self) -> &Carry {
        &self.carry
    }

    pub fn is_done(&self) -> bool {
        self.steps_done >= self.options.max_steps || (self.options.stop_on_halt && self.all_halted)
    }

    /// Run one supervision step; its passes are read back by the caller (sync or async).
    pub fn step(&mut self) -> PendingStep {
        let before = self.carry.clone();
        let out = self.model.step(self.carry.clone(), &self.x, self.options.inner);
        let changes = self.changes(&before, &out.carry);
        self.carry = out.carry;
        self.steps_done += 1;
        let mut decoded: Vec<_> = out
            .inner
            .into_iter()
            .map(|(kind, logits)| {
                let (p, c) = predict(logits);
                (Some(kind), p, c)
            })
            .collect();
        let (p, c) = predict(out.logits);
        decoded.push((None, p, c));
        let [b, _] = out.q.dims();
        PendingStep { step: self.steps_done, decoded, q_halt: out.q.narrow(1, 0, 1).reshape([b]), changes: Some(changes) }
    }

    /// Per-cell L2 norms over the hidden size of how much z_H and z_L moved, puzzle prefix left out.
    fn changes(&self, before: &Carry, after: &Carry) -> (Tensor<2>, Tensor<2>) {
        let (prefix, seq) = (self.model.config.prefix_len(), self.model.config.seq_len);
        let moved = |after: &Tensor<3>, before: &Tensor<3>| {
            let [b, _, _] = after.dims();
            let d = (after.clone() - before.clone()).narrow(1, prefix, seq);
            (d.clone() * d).sum_dim(2).sqrt().reshape([b, seq])
        };
        (moved(&after.z_h, &before.z_h), moved(&after.z_l, &before.z_l))
    }

    /// One network call and both heads, without advancing: touches every kernel a step uses, so
    /// reading it back warms a GPU up (shader compilation) and times one call.
    pub fn probe(&self) -> PendingStep {
        let z = self.model.net(self.carry.z_l.clone(), self.carry.z_h.clone() + self.x.clone());
        let [b, _, d] = z.dims();
        let q = self.model.q_head.forward(z.clone().narrow(1, 0, 1).reshape([b, d]));
        let (p, c) = predict(self.model.decode(z));
        PendingStep { step: self.steps_done, decoded: vec![(None, p, c)], q_halt: q.narrow(1, 0, 1).reshape([b]), changes: None }
    }

    /// Record the halting decision of the last step (for `stop_on_halt`).
    pub fn observe(&mut self, passes: &[Pass]) {
        if let Some(end) = passes.iter().find(|p| p.inner.is_none()) {
            self.all_halted = !end.q_halt.is_empty() && end.q_halt.iter().all(|&q| q > 0.0);
        }
    }

    /// Run to the end synchronously, handing each step's passes to `on_pass`.
    #[cfg(not(target_family = "wasm"))]
    pub fn run(mut self, mut on_pass: impl FnMut(&Pass)) -> Result<Vec<Pass>, String> {
        let mut last = Vec::new();
        while !self.is_done() {
            let passes = self.step().read()?;
            self.observe(&passes);
            passes.iter().for_each(&mut on_pass);
            last = passes;
        }
        Ok(last)
    }
}
