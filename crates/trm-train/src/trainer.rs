//! The training loop: `batch_size` ACT slots, each carrying (z_H, z_L) across optimiser steps.
//! A halted slot takes the next puzzle of the stream and restarts from H_init/L_init; a slot
//! halts after `halt_max_steps` steps, or once q_halt > 0 and it has run its exploration
//! minimum. Checkpoints hold everything the next step depends on, so a resumed run continues
//! bit for bit.

use std::collections::BTreeMap;
use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::TrainConfig;
use super::data::Example;
use super::init::reference_init;
use super::optim::{Adam, ema_update, lr_factor, sign_sgd_rows};
use super::step::{TrainBatch, forward_backward_sharded};
use trm_model::eval;
use trm_model::model::{Carry, Trm, host_tensor};
use trm_tasks::item_seed;
use trm_model::weights::{HostTensor, TensorMap, read_safetensors};

/// Tag that separates the halting-exploration draws from the data seeds.
const EXPLORE_STREAM: u64 = 0x0E_C5_10_7E;

/// One ACT slot: which training example it holds and how far it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    pub example_index: u64,
    pub steps: usize,
    pub halted: bool,
    #[serde(skip)]
    pub example: Option<Example>,
}

/// Training statistics of one optimiser step; accuracy figures count the slots that halted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StepStats {
    pub step: u64,
    pub lr: f64,
    pub loss: f64,
    pub lm_loss: f64,
    pub q_halt_loss: f64,
    pub halted: usize,
    pub halted_exact: usize,
    /// Sum over halted slots of their per-token accuracy.
    pub halted_token_acc: f64,
    pub halted_steps: usize,
    /// Halted slots whose q_halt sign agreed with their exactness.
    pub q_halt_right: usize,
}

/// Exact accuracy of the EMA weights on held-out puzzles, by band.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BandScore {
    pub band: String,
    pub puzzles: usize,
    pub exact: usize,
    pub token_accuracy: f64,
    /// Mazes, final evaluation: exactly right after voting over the 8 rotations and mirrors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voted_exact: Option<usize>,
}

impl BandScore {
    pub fn exact_rate(&self) -> f64 {
        if self.puzzles == 0 { 0.0 } else { self.exact as f64 / self.puzzles as f64 }
    }

    pub fn voted_rate(&self) -> Option<f64> {
        self.voted_exact.map(|v| if self.puzzles == 0 { 0.0 } else { v as f64 / self.puzzles as f64 })
    }
}

/// What the checkpoint's metadata holds besides tensors.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    config: TrainConfig,
    step: u64,
    adam_step: u64,
    next_example: u64,
    slots: Vec<Slot>,
    wall_secs: f64,
    #[serde(default)]
    command: String,
    #[serde(default)]
    hardware: String,
}

pub struct Trainer {
    pub cfg: TrainConfig,
    pub model: Trm,
    pub ema: Vec<Tensor<1>>,
    pub adam: Adam,
    pub step: u64,
    /// Training examples drawn so far (the stream position).
    pub next_example: u64,
    pub slots: Vec<Slot>,
    pub carry: Carry,
    /// Seconds spent training, summed over resumed runs.
    pub wall_secs: f64,
    /// The command that started the run (what a model card says to reproduce it).
    pub command: String,
    /// Where it trained: one machine, or each machine with the step it stopped at when a run
    /// was resumed elsewhere (see [`Self::record_hardware`]).
    pub hardware: String,
    device: Device,
}

impl Trainer {
    /// A fresh run: reference initialisation, every slot halted (so the first step fills them).
    pub fn new(cfg: TrainConfig, device: &Device) -> Result<Self, String> {
        cfg.validate()?;
        let mut tensors = reference_init(&cfg.arch, cfg.init_seed).map_err(|e| e.to_string())?;
        let model = Trm::from_tensors(cfg.arch.clone(), &mut tensors, device).map_err(|e| e.to_string())?;
        let params = model.params_flat();
        let b = cfg.batch_size;
        Ok(Self {
            ema: params.clone(),
            adam: Adam::new(&params),
            step: 0,
            next_example: 0,
            slots: (0..b).map(|_| Slot { example_index: 0, steps: 0, halted: true, example: None }).collect(),
            carry: model.initial_carry(b),
            wall_secs: 0.0,
            command: String::new(),
            hardware: String::new(),
            device: device.clone(),
            model,
            cfg,
        })
    }

    /// Note that the steps from here on run on `hw`. A run resumed on other hardware keeps
    /// both: "A (to step 7000), then B".
    pub fn record_hardware(&mut self, hw: &str) {
        let last = self.hardware.rsplit(", then ").next().unwrap_or_default();
        if self.hardware.is_empty() {
            self.hardware = hw.to_string();
        } else if last != hw {
            self.hardware = format!("{} (to step {}), then {hw}", self.hardware, self.step);
        }
    }

    /// Samples (slot-steps) trained so far.
    pub fn sample_steps(&self) -> u64 {
        self.step * self.cfg.batch_size as u64
    }

    /// The EMA weights as a model (the one evaluated and exported).
    pub fn ema_model(&self) -> Trm {
        let mut m = self.model.clone();
        if self.cfg.optim.ema > 0.0 {
            m.set_params_flat(self.ema.clone());
        }
        m
    }

    /// One optimiser step.
    pub fn train_step(&mut self) -> StepStats {
        let cfg = &self.cfg;
        let (b, seq) = (cfg.batch_size, cfg.arch.seq_len);
        let (s, d) = (cfg.arch.total_len(), cfg.arch.hidden_size);

        // Halted slots take fresh puzzles and restart from the initial state.
        let mut reset = vec![0.0f32; b];
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if slot.halted {
                slot.example_index = self.next_example;
                self.next_example += 1;
                slot.example = None;
                slot.steps = 0;
                slot.halted = false;
                reset[i] = 1.0;
            }
        }
        // Each example depends only on its index, so generating them in parallel keeps the
        // stream (and resume) exact.
        self.slots.par_iter_mut().filter(|s| s.example.is_none()).for_each(|slot| {
            slot.example = Some(cfg.data.train_example(slot.example_index));
        });
        if reset.iter().any(|&r| r > 0.0) {
            let m = Tensor::<1>::from_data(TensorData::new(reset, [b]), &self.device).reshape([b, 1, 1]);
            let keep = m.clone().neg().add_scalar(1.0);
            let init = self.model.initial_carry(b);
            let mix = |cur: Tensor<3>, fresh: Tensor<3>| cur * keep.clone() + fresh * m.clone();
            self.carry = Carry {
                z_h: mix(self.carry.z_h.clone(), init.z_h),
                z_l: mix(self.carry.z_l.clone(), init.z_l),
            };
        }
        let examples: Vec<&Example> = self.slots.iter().map(|s| s.example.as_ref().expect("filled above")).collect();
        let batch = TrainBatch {
            tokens: examples.iter().flat_map(|e| e.tokens.iter().copied()).collect(),
            labels: examples.iter().flat_map(|e| e.labels.iter().copied()).collect(),
            puzzle_ids: examples.iter().map(|e| e.puzzle_id).collect(),
        };
        debug_assert_eq!(batch.tokens.len(), b * seq);
        debug_assert_eq!(self.carry.z_h.dims(), [b, s, d]);

        let out = forward_backward_sharded(&self.model, self.carry.clone(), &batch, self.cfg.shards.unwrap_or(1));

        // Dense parameters: the reference back-propagates loss / batch size.
        let factor = lr_factor(&cfg.optim, self.step, cfg.total_steps);
        let lr = cfg.optim.lr * factor;
        let grads: Vec<Tensor<1>> = out.grads.into_iter().map(|g| g.div_scalar(b as f64)).collect();
        let params = self.adam.update(&cfg.optim, self.model.params_flat(), grads, lr);
        if cfg.optim.ema > 0.0 {
            self.ema = ema_update(std::mem::take(&mut self.ema), &params, cfg.optim.ema);
        }
        self.model.set_params_flat(params);
        // Puzzle-embedding rows: sparse sign-SGD on the rows this batch used.
        if let (Some(row_grads), Some(table)) = (out.puzzle_row_grads, self.model.puzzle_emb.as_mut()) {
            let shape = table.weights.dims();
            let mut host = host_tensor(table.weights.clone()).data;
            let grads: Vec<f32> = row_grads.into_data().iter::<f32>().collect();
            let lr = cfg.optim.puzzle_emb_lr * factor;
            sign_sgd_rows(&mut host, shape[1], &batch.puzzle_ids, &grads, lr, cfg.optim.puzzle_emb_weight_decay);
            table.weights = Tensor::from_data(TensorData::new(host, shape), &self.device);
        }

        // Halting, with the reference's exploration.
        let mut rng = SmallRng::seed_from_u64(item_seed(cfg.data.seed ^ EXPLORE_STREAM, self.step));
        let max = cfg.arch.halt_max_steps;
        let mut stats = StepStats {
            step: self.step,
            lr,
            loss: out.loss / b as f64,
            lm_loss: out.lm_loss / b as f64,
            q_halt_loss: out.q_halt_loss / b as f64,
            ..Default::default()
        };
        for (slot, row) in self.slots.iter_mut().zip(&out.rows) {
            slot.steps += 1;
            let explore = rng.random::<f64>() < cfg.halt_exploration_prob;
            let min_steps = rng.random_range(2..=max.max(2));
            let min_steps = if explore { min_steps } else { 0 };
            slot.halted = slot.steps >= max || (max > 1 && row.q_halt > 0.0 && slot.steps >= min_steps);
            if slot.halted {
                stats.halted += 1;
                stats.halted_exact += row.exact() as usize;
                stats.halted_token_acc += row.correct as f64 / row.counted.max(1) as f64;
                stats.halted_steps += slot.steps;
                stats.q_halt_right += ((row.q_halt > 0.0) == row.exact()) as usize;
            }
        }
        self.carry = out.carry;
        self.step += 1;
        stats
    }

    /// Exact accuracy of the EMA weights on `per_band` held-out puzzles of every band, after
    /// `halt_max_steps` steps (the reference's evaluation).
    pub fn evaluate(&self, per_band: usize) -> Vec<BandScore> {
        evaluate(&self.ema_model(), &self.cfg, per_band, false, &self.device)
    }

    /// Write a resumable checkpoint to `path` (atomically: a temporary file, then a rename).
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let mut map = TensorMap::new();
        let mut put = |name: String, t: HostTensor| map.insert(&name, t).map_err(|e| e.to_string());
        for (k, t) in self.model.to_tensors().iter() {
            put(format!("model/{k}"), t.clone())?;
        }
        for (i, ((e, m), v)) in self.ema.iter().zip(&self.adam.m).zip(&self.adam.v).enumerate() {
            put(format!("ema/{i}"), host_tensor(e.clone()))?;
            put(format!("adam_m/{i}"), host_tensor(m.clone()))?;
            put(format!("adam_v/{i}"), host_tensor(v.clone()))?;
        }
        put("carry/z_h".into(), host_tensor(self.carry.z_h.clone()))?;
        put("carry/z_l".into(), host_tensor(self.carry.z_l.clone()))?;
        let state = State {
            config: self.cfg.clone(),
            step: self.step,
            adam_step: self.adam.step,
            next_example: self.next_example,
            slots: self.slots.clone(),
            wall_secs: self.wall_secs,
            command: self.command.clone(),
            hardware: self.hardware.clone(),
        };
        let mut meta = BTreeMap::new();
        meta.insert("trm-train-state".to_string(), serde_json::to_string(&state).expect("serialisable"));
        let bytes = write_f32_safetensors(&map, &meta)?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Resume from a checkpoint written by [`Self::save`]. `expected` (the run's configuration)
    /// must match the checkpoint's, except for the schedule length and evaluation settings.
    pub fn load(path: &Path, expected: Option<&TrainConfig>, device: &Device) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot resume from {}: {e}", path.display()))?;
        let (mut map, meta) = read_safetensors(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        let state: State = meta
            .get("trm-train-state")
            .ok_or_else(|| format!("{} is not a trm training checkpoint", path.display()))
            .and_then(|s| serde_json::from_str(s).map_err(|e| format!("{}: {e}", path.display())))?;
        if let Some(want) = expected {
            if want.arch != state.config.arch || want.data != state.config.data || want.batch_size != state.config.batch_size
                || want.optim != state.config.optim
            {
                return Err(format!(
                    "{} was trained with a different architecture, data, optimiser or batch size; \
                     resume with its own configuration (its train_config.json) or start a new folder",
                    path.display()
                ));
            }
        }
        let mut cfg = match expected {
            Some(want) => want.clone(),
            None => state.config.clone(),
        };
        // A configuration that does not say keeps the run's own sharding (the numbers depend on it).
        cfg.shards = cfg.shards.or(state.config.shards);
        let mut model_tensors = TensorMap::new();
        let mut flat: BTreeMap<String, Vec<f32>> = BTreeMap::new();
        let mut carry = (None, None);
        let keys: Vec<String> = map.keys().map(str::to_string).collect();
        for key in keys {
            let shape = map.shape(&key).expect("listed").to_vec();
            let t = map.take(&key, &shape).map_err(|e| e.to_string())?;
            if let Some(name) = key.strip_prefix("model/") {
                model_tensors.insert(name, t).map_err(|e| e.to_string())?;
            } else if key == "carry/z_h" {
                carry.0 = Some(t);
            } else if key == "carry/z_l" {
                carry.1 = Some(t);
            } else {
                flat.insert(key, t.data);
            }
        }
        let model = Trm::from_tensors(cfg.arch.clone(), &mut model_tensors, device).map_err(|e| e.to_string())?;
        let n = model.params_flat().len();
        let list = |prefix: &str| -> Result<Vec<Tensor<1>>, String> {
            (0..n)
                .map(|i| {
                    let v = flat
                        .get(&format!("{prefix}/{i}"))
                        .ok_or_else(|| format!("{}: `{prefix}/{i}` is missing", path.display()))?;
                    Ok(Tensor::from_data(TensorData::new(v.clone(), [v.len()]), device))
                })
                .collect()
        };
        let (Some(z_h), Some(z_l)) = carry else {
            return Err(format!("{}: the carry is missing", path.display()));
        };
        let mut slots = state.slots;
        for s in &mut slots {
            s.example = None;
        }
        Ok(Self {
            ema: list("ema")?,
            adam: Adam { step: state.adam_step, m: list("adam_m")?, v: list("adam_v")? },
            step: state.step,
            next_example: state.next_example,
            slots,
            carry: Carry { z_h: z_h.to_tensor(device), z_l: z_l.to_tensor(device) },
            wall_secs: state.wall_secs,
            command: state.command,
            hardware: state.hardware,
            device: device.clone(),
            model,
            cfg,
        })
    }
}

/// Exact accuracy of `model` on `per_band` held-out puzzles per band after `halt_max_steps`
/// (ARC: every test input of every task, scored by voting; see [`evaluate_arc`]). With `vote`,
/// mazes are also scored voted over their 8 rotations and mirrors (8 times the work).
pub fn evaluate(model: &Trm, cfg: &TrainConfig, per_band: usize, vote: bool, device: &Device) -> Vec<BandScore> {
    if cfg.data.task == trm_tasks::Task::Arc {
        return evaluate_arc(model, cfg, device);
    }
    let seq = cfg.arch.seq_len;
    let mut scores = Vec::new();
    for (bi, band) in cfg.data.bands.iter().enumerate() {
        let mut score = BandScore { band: band.name.clone(), ..Default::default() };
        let examples: Vec<Example> = (0..per_band as u64).map(|i| cfg.data.heldout_example(bi, i)).collect();
        let mut token_hits = 0usize;
        for part in examples.chunks(64) {
            let tokens: Vec<i64> = part.iter().flat_map(|e| e.tokens.iter().copied()).collect();
            let ids: Vec<i64> = part.iter().map(|e| e.puzzle_id).collect();
            let (pred, _) = predict(model, &tokens, &ids, device);
            for (r, e) in part.iter().enumerate() {
                let row = &pred[r * seq..(r + 1) * seq];
                let hits = row.iter().zip(&e.labels).filter(|(p, l)| **p as i64 == **l).count();
                token_hits += hits;
                score.exact += (hits == seq) as usize;
            }
            score.puzzles += part.len();
            if vote && cfg.data.task == trm_tasks::Task::Maze {
                *score.voted_exact.get_or_insert(0) += voted_hits(model, part, device);
            }
        }
        score.token_accuracy = token_hits as f64 / (score.puzzles * seq).max(1) as f64;
        scores.push(score);
    }
    scores
}

/// How many of the mazes `examples` come out exactly right voted over their 8 rotations and
/// mirrors (the one evaluation path, [`trm_model::eval::solve_mazes_voted`], as `trm eval --vote`).
fn voted_hits(model: &Trm, examples: &[Example], device: &Device) -> usize {
    let canvas = |t: &[i64]| -> Vec<u8> { t.iter().map(|&t| t as u8).collect() };
    let mazes: Vec<Vec<u8>> = examples.iter().map(|e| canvas(&e.tokens)).collect();
    let answers = eval::solve_mazes_voted(model, &mazes, model.config.halt_max_steps, device)
        .expect("held-out mazes fit the canvas, and the CPU backend does not fail");
    answers.iter().zip(examples).filter(|(a, e)| **a == canvas(&e.labels)).count()
}

/// Run `halt_max_steps` steps on a batch ([`trm_model::eval::solve`]); returns the argmax
/// tokens and the final q_halt logits.
pub fn predict(model: &Trm, tokens: &[i64], ids: &[i64], device: &Device) -> (Vec<u8>, Vec<f32>) {
    let seq = model.config.seq_len;
    let rows: Vec<Vec<u32>> = tokens.chunks(seq).map(|r| r.iter().map(|&t| t as u32).collect()).collect();
    let ids: Vec<u32> = ids.iter().map(|&i| i as u32).collect();
    let end = eval::solve(model, &rows, &ids, model.config.halt_max_steps, device)
        .expect("the trainer's own batches are valid input, and the CPU backend does not fail");
    (end.tokens.iter().map(|&t| t as u8).collect(), end.q_halt)
}

/// The reference's ARC evaluation on the held-out test pairs: every version of a task's test
/// input runs under its own puzzle identifier, predictions are mapped back and vote; a test
/// input counts as solved when its true output is among the top two candidates (pass@2).
/// One score per task: `puzzles` = its test inputs, `exact` = those solved at pass@2,
/// `token_accuracy` = the fraction of single versions whose prediction is exactly right.
pub fn evaluate_arc(model: &Trm, cfg: &TrainConfig, device: &Device) -> Vec<BandScore> {
    use trm_tasks::arc;
    let Some((gallery, ids, count)) = cfg.data.arc_spec() else { return Vec::new() };
    let Ok(tasks) = super::data::gallery_tasks(gallery, ids) else { return Vec::new() };
    let side = cfg.data.canvas_side();
    let names = cfg.data.puzzle_identifiers().unwrap_or_default();
    let mut scores = Vec::new();
    for (t, task) in tasks.iter().enumerate() {
        let mut votes = arc::Votes::new();
        let mut score = BandScore { band: task.id.clone(), ..Default::default() };
        let mut right_versions = 0usize;
        for test in &task.test {
            let mut tokens = Vec::new();
            let mut pids = Vec::new();
            let mut inputs = Vec::new();
            for a in 0..count {
                let aug = cfg.data.arc_augmentation(t, a);
                let enc = arc::encode_on(&aug.apply(&test.input), 0, 0, side).unwrap_or_else(|_| vec![arc::PAD; side * side]);
                tokens.extend(enc.iter().map(|&v| v as i64));
                pids.push(cfg.data.arc_puzzle_id(t, a) as i64);
                inputs.push(enc);
            }
            let (pred, q) = predict(model, &tokens, &pids, device);
            let seq = side * side;
            for a in 0..count {
                let name = &names[cfg.data.arc_puzzle_id(t, a)];
                let p = &pred[a * seq..(a + 1) * seq];
                let _ = votes.add(name, &inputs[a], p, q[a] as f64);
                let back = arc::crop(p).map(|g| cfg.data.arc_augmentation(t, a).invert(&g));
                right_versions += (back.ok().as_ref() == test.output.as_ref()) as usize;
            }
            let ranked = votes.ranked(&task.id, &test.input);
            score.puzzles += 1;
            score.exact += ranked.iter().take(2).any(|c| Some(&c.grid) == test.output.as_ref()) as usize;
        }
        score.token_accuracy = right_versions as f64 / (task.test.len() * count).max(1) as f64;
        scores.push(score);
    }
    scores
}

/// An f32 safetensors file of `map` with string metadata.
fn write_f32_safetensors(map: &TensorMap, meta: &BTreeMap<String, String>) -> Result<Vec<u8>, String> {
    let blobs: Vec<(String, Vec<usize>, Vec<u8>)> = map
        .iter()
        .map(|(k, t)| (k.to_string(), t.shape.clone(), t.data.iter().flat_map(|v| v.to_le_bytes()).collect()))
        .collect();
    let views = blobs
        .iter()
        .map(|(k, shape, bytes)| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                .map(|v| (k.clone(), v))
                .map_err(|e| format!("tensor `{k}`: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let meta: std::collections::HashMap<String, String> = meta.clone().into_iter().collect();
    safetensors::tensor::serialize(views, Some(meta)).map_err(|e| format!("cannot write a checkpoint: {e}"))
}
