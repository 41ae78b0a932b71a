//! The trainer: the reference recipe (deep supervision with ACT slots, stablemax loss, AdamATan2,
//! sparse sign-SGD puzzle embeddings, EMA) over the one model definition in [`trm_model::model`],
//! with data streamed from [`trm_tasks`]. `trm train` drives it; it is native-only and behind
//! the `train` feature, so the browser runtime does not grow.

pub mod bench;
pub mod card;
pub mod data;
pub mod init;
pub mod optim;
pub mod parity;
pub mod plot;
pub mod step;
pub mod trainer;

use serde::{Deserialize, Serialize};

use trm_model::config::{PosEncoding, TrmConfig};
use trm_tasks::Task;
use data::{Band, BandSpec, DataConfig};
use optim::{OptimConfig, OptimizerKind};

/// Everything a run needs: architecture, data, optimiser and schedule. Written to the output
/// folder as `train_config.json`; `--config FILE` reads the same shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub arch: TrmConfig,
    pub data: DataConfig,
    pub optim: OptimConfig,
    /// ACT slots trained together (the reference's global batch).
    pub batch_size: usize,
    /// Optimiser steps of the whole run (the schedule's length).
    pub total_steps: u64,
    /// Probability that a slot must run a random minimum number of steps (2..=halt_max_steps).
    pub halt_exploration_prob: f64,
    /// Seed of the initial weights.
    pub init_seed: u64,
    /// Evaluate the EMA weights on held-out puzzles every this many steps (0: only at the end).
    pub eval_every: u64,
    /// Held-out puzzles per band for the periodic evaluations and for the final one.
    pub eval_per_band: usize,
    pub final_eval_per_band: usize,
    /// Write a resumable checkpoint at least this often (seconds of training).
    pub checkpoint_every_secs: u64,
    /// Row shards of the batch computed side by side, their gradients summed
    /// ([`step::forward_backward_sharded`]): on the CPU one shard's small elementwise ops run on
    /// one thread, so shards keep every thread busy. A run's numbers depend on it (the sums
    /// round differently), not on the thread count. Absent in a run from before it existed: 1;
    /// `trm train` gives a new run without it the thread count on the CPU, 1 on a GPU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<usize>,
}

impl TrainConfig {
    pub const PRESETS: [&'static str; 7] =
        ["sudoku-small", "sudoku-paper", "maze-small", "maze-medium", "arc-small", "arc-medium", "tiny-test"];

    /// The gallery tasks the `arc-small` recipe trains on: grids of at most 10×10, so a 10×10
    /// canvas holds them.
    pub const ARC_SMALL_TASKS: [&'static str; 10] = [
        "6d0aefbc", "8be77c9e", "62c24649", "00576224", "66e6c45b", "68b67ca3", "ed98d772", "2072aba6", "0c786b71",
        "e633a9e5",
    ];

    /// Named recipes; `sudoku-small` is what the shipped Sudoku model was trained with.
    pub fn preset(name: &str) -> Option<Self> {
        let sudoku_bands = vec![
            band("givens 45-52", 1.0, 45, 52),
            band("givens 37-44", 1.0, 37, 44),
            band("givens 30-36", 1.0, 30, 36),
            band("givens 24-29", 1.0, 24, 29),
        ];
        let optim = OptimConfig {
            optimizer: OptimizerKind::AdamAtan2,
            lr: 1e-3,
            lr_warmup_steps: 200,
            lr_min_ratio: 0.1,
            beta1: 0.9,
            beta2: 0.95,
            weight_decay: 0.1,
            puzzle_emb_lr: 1e-2,
            puzzle_emb_weight_decay: 0.1,
            ema: 0.999,
        };
        match name {
            "sudoku-small" => Some(Self {
                arch: sudoku_arch(64, 2, 3),
                data: DataConfig { task: Task::Sudoku, seed: 1, bands: sudoku_bands, canvas: 0 },
                optim,
                batch_size: 64,
                total_steps: 6_000,
                halt_exploration_prob: 0.1,
                init_seed: 0,
                eval_every: 500,
                eval_per_band: 50,
                final_eval_per_band: 500,
                checkpoint_every_secs: 300,
                shards: None,
            }),
            // The paper's size (hidden 512, MLP token mixing, ~5M parameters) with sudoku-small's
            // recursion, for a few minutes on a GPU (`--backend wgpu`): a short schedule, so a
            // short EMA; the learning rate scaled to the wider layers' smaller initial weights.
            "sudoku-paper" => Some(Self {
                arch: sudoku_arch(512, 2, 3),
                data: DataConfig { task: Task::Sudoku, seed: 1, bands: sudoku_bands, canvas: 0 },
                optim: OptimConfig { lr: 4e-4, lr_warmup_steps: 100, ema: 0.995, ..optim },
                batch_size: 256,
                total_steps: 800,
                halt_exploration_prob: 0.1,
                init_seed: 0,
                eval_every: 200,
                eval_per_band: 50,
                final_eval_per_band: 500,
                checkpoint_every_secs: 120,
                shards: None,
            }),
            "maze-small" => Some(Self {
                arch: canvas_arch(15, Task::Maze, 1),
                data: DataConfig {
                    task: Task::Maze,
                    seed: 1,
                    bands: vec![
                        maze_band("maze corridor 5-15", true, 0.3),
                        maze_band("maze open 5-15", false, 0.1),
                    ],
                    canvas: 15,
                },
                optim,
                batch_size: 48,
                total_steps: 3_000,
                halt_exploration_prob: 0.1,
                init_seed: 0,
                eval_every: 500,
                eval_per_band: 30,
                final_eval_per_band: 200,
                checkpoint_every_secs: 300,
                shards: None,
            }),
            // maze-small's data on a wider model (hidden 256, 4 heads, H=2 × L=3) with a larger
            // batch, for a few minutes on a GPU.
            "maze-medium" => {
                let small = Self::preset("maze-small")?;
                Some(Self {
                    arch: TrmConfig { hidden_size: 256, puzzle_emb_ndim: 256, num_heads: 4, h_cycles: 2, l_cycles: 3, ..small.arch },
                    optim: OptimConfig { lr: 7e-4, lr_warmup_steps: 100, ema: 0.995, ..optim },
                    batch_size: 192,
                    total_steps: 800,
                    eval_every: 200,
                    checkpoint_every_secs: 120,
                    ..small
                })
            }
            "arc-small" => {
                let versions = 64;
                Some(Self {
                    arch: canvas_arch(10, Task::Arc, 1 + Self::ARC_SMALL_TASKS.len() * versions),
                    data: DataConfig {
                        task: Task::Arc,
                        seed: 1,
                        bands: vec![Band {
                            name: "arc gallery".into(),
                            weight: 1.0,
                            spec: BandSpec::Arc {
                                gallery: "www/data/arc-gallery.json".into(),
                                tasks: Self::ARC_SMALL_TASKS.iter().map(|s| s.to_string()).collect(),
                                augmentations: versions,
                            },
                        }],
                        canvas: 10,
                    },
                    optim,
                    batch_size: 64,
                    total_steps: 4_000,
                    halt_exploration_prob: 0.1,
                    init_seed: 0,
                    eval_every: 1000,
                    eval_per_band: 0,
                    final_eval_per_band: 0,
                    checkpoint_every_secs: 300,
                    shards: None,
                })
            }
            // arc-small's tasks on a wider model (hidden 128) with the reference's ARC recursion
            // (H=3 × L=4), for a few minutes on a GPU.
            "arc-medium" => {
                let small = Self::preset("arc-small")?;
                Some(Self {
                    arch: TrmConfig { hidden_size: 128, puzzle_emb_ndim: 128, h_cycles: 3, l_cycles: 4, ..small.arch },
                    optim: OptimConfig { lr_warmup_steps: 100, ema: 0.995, ..optim },
                    total_steps: 2_000,
                    eval_every: 500,
                    checkpoint_every_secs: 120,
                    ..small
                })
            }
            // Seconds on a laptop: what the tests and a first try run.
            "tiny-test" => Some(Self {
                arch: sudoku_arch(32, 1, 2),
                data: DataConfig { task: Task::Sudoku, seed: 1, bands: vec![band("givens 45-52", 1.0, 45, 52)], canvas: 0 },
                optim: OptimConfig { lr_warmup_steps: 5, ema: 0.9, ..optim },
                batch_size: 8,
                total_steps: 50,
                halt_exploration_prob: 0.1,
                init_seed: 0,
                eval_every: 0,
                eval_per_band: 8,
                final_eval_per_band: 8,
                checkpoint_every_secs: 300,
                shards: None,
            }),
            _ => None,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        self.arch.validate().map_err(|e| e.to_string())?;
        self.data.validate()?;
        if self.arch.seq_len != self.data.seq_len() || self.arch.vocab_size != self.data.task.vocab_size() {
            return Err(format!(
                "arch: a {} model on this data reads seq_len {} and vocab_size {}, not {} and {}",
                self.data.task.name(),
                self.data.seq_len(),
                self.data.task.vocab_size(),
                self.arch.seq_len,
                self.arch.vocab_size
            ));
        }
        if let Some(names) = self.data.puzzle_identifiers() {
            if self.arch.num_puzzle_identifiers != names.len() {
                return Err(format!(
                    "arch: num_puzzle_identifiers must be {} (the blank id plus one per task version), not {}",
                    names.len(),
                    self.arch.num_puzzle_identifiers
                ));
            }
        }
        if self.batch_size == 0 || self.total_steps == 0 {
            return Err("batch_size and total_steps must be positive".into());
        }
        if let Some(n) = self.shards {
            if n == 0 || n > self.batch_size {
                return Err(format!("shards must lie in 1..=batch_size ({}), not {n}", self.batch_size));
            }
        }
        if !(0.0..=1.0).contains(&self.halt_exploration_prob) {
            return Err("halt_exploration_prob must lie in [0, 1]".into());
        }
        if !(0.0..1.0).contains(&self.optim.ema) {
            return Err("optim.ema must lie in [0, 1)".into());
        }
        if !(self.optim.lr > 0.0) {
            return Err("optim.lr must be positive".into());
        }
        Ok(())
    }
}

fn band(name: &str, weight: f64, min: usize, max: usize) -> Band {
    Band { name: name.into(), weight, spec: BandSpec::Givens { min, max } }
}

/// A small attention model (hidden 64, 2 heads, RoPE, H_cycles 2 × L_cycles 2) on a square
/// canvas of `side`×`side` cells.
fn canvas_arch(side: usize, task: Task, puzzle_ids: usize) -> TrmConfig {
    TrmConfig {
        seq_len: side * side,
        vocab_size: task.vocab_size(),
        num_puzzle_identifiers: puzzle_ids,
        num_heads: 2,
        pos_encodings: PosEncoding::Rope,
        mlp_t: false,
        ..sudoku_arch(64, 2, 2)
    }
}

fn maze_band(name: &str, corridor: bool, hardness_min: f64) -> Band {
    Band {
        name: name.into(),
        weight: 1.0,
        spec: BandSpec::Maze { min_size: 5, max_size: 15, corridor, hardness_min, hardness_max: 1.0 },
    }
}

/// A Sudoku MLP-mixer (the paper's Sudoku architecture) of a given width and recursion, with
/// a one-position puzzle prefix instead of the reference's sixteen (cheaper on a CPU).
fn sudoku_arch(hidden: usize, h_cycles: usize, l_cycles: usize) -> TrmConfig {
    TrmConfig {
        seq_len: 81,
        vocab_size: 11,
        num_puzzle_identifiers: 1,
        puzzle_emb_ndim: hidden,
        puzzle_emb_len: 1,
        h_cycles,
        l_cycles,
        l_layers: 2,
        hidden_size: hidden,
        num_heads: (hidden / 64).max(1),
        expansion: 4.0,
        pos_encodings: PosEncoding::None,
        mlp_t: true,
        halt_max_steps: 16,
        rms_norm_eps: 1e-5,
        rope_theta: 10000.0,
        no_act_continue: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        // Presets name their data files relative to the repository's root, where `trm train` runs.
        std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).unwrap();
        for p in TrainConfig::PRESETS {
            TrainConfig::preset(p).unwrap().validate().unwrap();
        }
    }

    #[test]
    fn a_mismatched_architecture_is_a_clear_error() {
        let mut c = TrainConfig::preset("tiny-test").unwrap();
        c.arch.seq_len = 900;
        assert!(c.validate().unwrap_err().contains("seq_len 81"));
    }
}
