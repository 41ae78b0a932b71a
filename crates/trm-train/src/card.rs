//! The model card written beside every exported model: what it is, how it was trained, and
//! how well it does on held-out puzzles, all measured by the run that made it.

use serde::{Deserialize, Serialize};

use super::TrainConfig;
use super::trainer::BandScore;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelCard {
    pub name: String,
    pub task: String,
    pub parameters: usize,
    pub architecture: trm_model::config::TrmConfig,
    pub data: String,
    pub augmentation: String,
    pub training: TrainConfig,
    pub optimizer_steps: u64,
    /// Distinct training puzzles drawn from the generator.
    pub puzzles_seen: u64,
    /// Slot-steps trained (each a forward and backward of one puzzle at one supervision step).
    pub sample_steps: u64,
    pub wall_time_secs: f64,
    pub hardware: String,
    /// Held-out exact accuracy by band, after `eval_steps` supervision steps.
    pub eval_steps: usize,
    pub accuracy: Vec<BandScore>,
    /// The command that reproduces the run.
    pub command: String,
}

/// "Intel(R) Xeon(R) ..., 2 threads, CPU (burn flex)" from /proc/cpuinfo, or the architecture.
pub fn cpu_hardware(threads: usize) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{cpu}, {threads} thread{}, CPU (burn flex)", if threads == 1 { "" } else { "s" })
}

/// "NVIDIA H200 (Vulkan, burn wgpu); data on 16 CPU threads".
#[cfg(feature = "wgpu")]
pub fn gpu_hardware(adapter: &trm_model::gpu::AdapterInfo, threads: usize) -> String {
    format!("{} ({}, burn wgpu); data on {threads} CPU thread{}", adapter.name, adapter.backend, if threads == 1 { "" } else { "s" })
}

fn describe_data(cfg: &TrainConfig) -> (String, String) {
    use super::data::BandSpec;
    let bands: Vec<String> = cfg
        .data
        .bands
        .iter()
        .map(|b| match &b.spec {
            BandSpec::Givens { min, max } => format!("{min}–{max} givens (weight {})", b.weight),
            BandSpec::Maze { min_size, max_size, corridor, hardness_min, hardness_max } => format!(
                "{} mazes {min_size}×{min_size} to {max_size}×{max_size}, hardness {hardness_min}–{hardness_max} (weight {})",
                if *corridor { "corridor" } else { "scattered-wall" },
                b.weight
            ),
            BandSpec::Arc { tasks, augmentations, .. } => format!(
                "the demonstration pairs of {} ARC tasks ({}), {augmentations} versions each; their test pairs held out",
                tasks.len(),
                tasks.join(", ")
            ),
        })
        .collect();
    let data = match cfg.data.task {
        // ARC trains on a fixed set of pairs, drawn again and again; Sudoku and mazes are generated.
        trm_tasks::Task::Arc => format!("drawn at random from {}", bands.join(", ")),
        task => format!("fresh generated {} puzzles with unique solutions, never repeated: {}", task.name(), bands.join(", ")),
    };
    let aug = match cfg.data.task {
        trm_tasks::Task::Sudoku => "digit permutation, band/stack and row/column shuffles, transpose (the reference's)",
        trm_tasks::Task::Maze => "the 8 dihedral transforms",
        trm_tasks::Task::Arc => "dihedral transforms × colour permutations, one puzzle identifier per augmented task",
    };
    (data, aug.to_string())
}

impl ModelCard {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &str,
        cfg: &TrainConfig,
        optimizer_steps: u64,
        puzzles_seen: u64,
        wall_time_secs: f64,
        hardware: String,
        accuracy: Vec<BandScore>,
        command: &str,
    ) -> Self {
        let (data, augmentation) = describe_data(cfg);
        Self {
            name: name.to_string(),
            task: cfg.data.task.name().to_string(),
            parameters: cfg.arch.param_count(),
            architecture: cfg.arch.clone(),
            data,
            augmentation,
            training: cfg.clone(),
            optimizer_steps,
            puzzles_seen,
            sample_steps: optimizer_steps * cfg.batch_size as u64,
            wall_time_secs,
            hardware,
            eval_steps: cfg.arch.halt_max_steps,
            accuracy,
            command: command.to_string(),
        }
    }

    pub fn to_markdown(&self) -> String {
        let a = &self.architecture;
        let mut s = format!("# {}\n\n", self.name);
        s += &format!(
            "A Tiny Recursive Model for **{}**, trained from scratch by `trm train` (hardware below).\n\n",
            self.task
        );
        s += "| | |\n|---|---|\n";
        s += &format!("| parameters | {} |\n", self.parameters);
        s += &format!(
            "| architecture | hidden {}, {} layers, {}, H_cycles {} × L_cycles {}, {} supervision steps |\n",
            a.hidden_size,
            a.l_layers,
            if a.mlp_t { "MLP token mixing".to_string() } else { format!("attention ({} heads, {:?})", a.num_heads, a.pos_encodings) },
            a.h_cycles,
            a.l_cycles,
            a.halt_max_steps
        );
        s += &format!("| data | {} |\n", self.data);
        s += &format!("| augmentation | {} |\n", self.augmentation);
        s += &format!(
            "| optimiser | {:?}, lr {} (warm-up {} steps, cosine to ×{}), weight decay {}, batch {}, EMA {} |\n",
            self.training.optim.optimizer,
            self.training.optim.lr,
            self.training.optim.lr_warmup_steps,
            self.training.optim.lr_min_ratio,
            self.training.optim.weight_decay,
            self.training.batch_size,
            self.training.optim.ema
        );
        if self.optimizer_steps < self.training.total_steps {
            // A run stopped early (a time limit): its schedule was longer than what it trained.
            s += &format!("| optimiser steps | {} (of a {}-step schedule) |\n", self.optimizer_steps, self.training.total_steps);
        } else {
            s += &format!("| optimiser steps | {} |\n", self.optimizer_steps);
        }
        s += &format!("| puzzles seen | {} |\n", self.puzzles_seen);
        s += &format!("| sample-steps | {} |\n", self.sample_steps);
        s += &format!("| wall time | {:.1} h |\n", self.wall_time_secs / 3600.0);
        s += &format!("| hardware | {} |\n\n", self.hardware);
        if self.task == "arc" {
            s += &format!(
                "## Held-out accuracy\n\nThe tasks' test pairs (never trained on), after {} supervision steps, EMA \
                 weights: every version of a test input runs under its own puzzle identifier, the predictions are \
                 mapped back and vote (the reference's evaluator). A test input counts as solved when its output is \
                 among the top two candidates (pass@2).\n\n| task | test inputs | pass@2 | single versions right |\n|---|---|---|---|\n",
                self.eval_steps
            );
        } else if self.accuracy.iter().any(|b| b.voted_exact.is_some()) {
            s += &format!(
                "## Held-out accuracy\n\nExact (every cell right) after {} supervision steps, EMA weights, puzzles \
                 from seeds the trainer never used; voted: each maze solved in its 8 rotations and mirrors, the \
                 answers turned back and the most frequent one taken (as the page does by default):\n\n\
                 | band | puzzles | exact | exact, voted | per cell |\n|---|---|---|---|---|\n",
                self.eval_steps
            );
        } else {
            s += &format!(
                "## Held-out accuracy\n\nExact (every cell right) after {} supervision steps, EMA weights, puzzles \
                 from seeds the trainer never used:\n\n| band | puzzles | exact | per cell |\n|---|---|---|---|\n",
                self.eval_steps
            );
        }
        for b in &self.accuracy {
            let voted = b.voted_rate().map(|v| format!(" {:.1}% |", 100.0 * v)).unwrap_or_default();
            s += &format!(
                "| {} | {} | {:.1}% |{voted} {:.1}% |\n",
                b.band,
                b.puzzles,
                100.0 * b.exact_rate(),
                100.0 * b.token_accuracy
            );
        }
        s += &format!("\n## Reproduce\n\n```\n{}\n```\n", self.command);
        s
    }
}
