//! `trm train`: run (or resume) the trainer with a progress bar, JSON-lines logs, periodic
//! held-out evaluation, resumable checkpoints, a plot of the curves, and at the end a web-format
//! model with its model card.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use trm::device::Backend;
use trm::tasks::Task;
use trm::train::TrainConfig;
use trm::train::card::ModelCard;
use trm::train::plot::{CurvePoint, write_svg};
use trm::train::trainer::{BandScore, StepStats, Trainer, evaluate};
use trm::weights::web::{self, Storage};

/// Train a model from scratch (or resume a run) and export it with its model card.
#[derive(clap::Args)]
pub struct TrainArgs {
    #[arg(long)]
    task: Task,
    /// A training configuration (JSON, the shape of the run's train_config.json).
    #[arg(long, conflicts_with = "preset")]
    config: Option<PathBuf>,
    /// A named recipe (sudoku-small, maze-small, arc-small, tiny-test).
    #[arg(long)]
    preset: Option<String>,
    /// Output folder: checkpoint, metrics.jsonl, curves.svg, the model and its card.
    #[arg(long)]
    out: PathBuf,
    /// Continue the run in --out from its checkpoint.
    #[arg(long)]
    resume: bool,
    /// CPU threads (default: all).
    #[arg(long)]
    threads: Option<usize>,
    /// Where the model trains: flex (CPU) or wgpu (a Vulkan GPU).
    #[arg(long, default_value = "flex")]
    backend: Backend,
    /// Stop training after this many minutes (then checkpoint, evaluate and export as usual).
    #[arg(long)]
    time_limit: Option<f64>,
    /// Export the model with half-precision weights (half the download).
    #[arg(long)]
    f16: bool,
    /// Override the run's total optimiser steps (the schedule's length).
    #[arg(long)]
    steps: Option<u64>,
    /// Row shards of the batch computed side by side (default for a new run: the configuration's,
    /// else the thread count on the CPU and 1 on a GPU; a resumed run keeps its own).
    #[arg(long)]
    shards: Option<usize>,
    /// Evaluate and export the checkpoint in --out without training further.
    #[arg(long = "export")]
    export_only: bool,
    /// Name of the exported model (default: the folder's name).
    #[arg(long)]
    name: Option<String>,
}

const CHECKPOINT: &str = "checkpoint.safetensors";
const METRICS: &str = "metrics.jsonl";
const LOG_EVERY: u64 = 10;

fn load_config(args: &TrainArgs) -> Result<Option<TrainConfig>, String> {
    let cfg = match (&args.config, &args.preset) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let cfg: TrainConfig = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Some(cfg)
        }
        (None, Some(name)) => Some(TrainConfig::preset(name).ok_or_else(|| {
            format!("unknown preset `{name}` ({})", TrainConfig::PRESETS.join(", "))
        })?),
        (None, None) => None,
    };
    if let Some(cfg) = &cfg {
        cfg.validate().map_err(|e| format!("bad training configuration: {e}"))?;
        if cfg.data.task != args.task {
            return Err(format!("the configuration trains a {} model, not {}", cfg.data.task.name(), args.task.name()));
        }
    }
    Ok(cfg)
}

/// Keep the metrics log consistent with a resumed checkpoint: drop lines past its `step`. With
/// `reevaluate` (an `--export` run) the final evaluation logged at that step goes too: the run
/// writes it again.
fn truncate_metrics(path: &Path, step: u64, reevaluate: bool) -> Result<(), String> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(()) };
    let kept: String = text
        .lines()
        .filter(|l| {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(l) else { return false };
            let final_here = reevaluate && v.get("final").and_then(|f| f.as_bool()) == Some(true);
            v.get("step").and_then(|s| s.as_u64()).is_some_and(|s| s < step || (s == step && !final_here))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(path, kept).map_err(|e| format!("{}: {e}", path.display()))
}

fn append(path: &Path, value: &serde_json::Value) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    writeln!(f, "{value}").map_err(|e| format!("{}: {e}", path.display()))
}

/// Curves and evaluations read back from the metrics log (so resumed runs plot whole).
fn read_history(path: &Path) -> (Vec<CurvePoint>, Vec<(u64, Vec<BandScore>)>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut curve = Vec::new();
    let mut evals = Vec::new();
    for v in text.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()) {
        let step = v["step"].as_u64().unwrap_or(0);
        match v["kind"].as_str() {
            Some("train") => curve.push(CurvePoint {
                step,
                loss: v["loss"].as_f64().unwrap_or(f64::NAN),
                train_exact: v["exact"].as_f64().unwrap_or(0.0),
            }),
            Some("eval") => {
                if let Ok(scores) = serde_json::from_value::<Vec<BandScore>>(v["bands"].clone()) {
                    evals.push((step, scores));
                }
            }
            _ => {}
        }
    }
    (curve, evals)
}

fn band_summary(scores: &[BandScore]) -> String {
    let one = |s: &BandScore| match s.voted_rate() {
        Some(v) => format!("{} {:.1}% (voted {:.1}%)", s.band, 100.0 * s.exact_rate(), 100.0 * v),
        None => format!("{} {:.1}%", s.band, 100.0 * s.exact_rate()),
    };
    scores.iter().map(one).collect::<Vec<_>>().join(", ")
}

pub fn run(args: TrainArgs) -> Result<std::process::ExitCode, String> {
    // As a reader would type it: `trm train ...`, whatever path ran the binary.
    let command_line = std::iter::once("trm".to_string()).chain(std::env::args().skip(1)).collect::<Vec<_>>().join(" ");
    let deadline = match args.time_limit {
        None => None,
        Some(m) => Some(
            std::time::Duration::try_from_secs_f64(m * 60.0)
                .map_err(|_| format!("--time-limit must be a number of minutes ≥ 0, not {m}"))?,
        ),
    };
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
    let device = trm::device::device(args.backend)?;
    let hardware = match args.backend {
        Backend::Flex => trm::train::card::cpu_hardware(threads),
        Backend::Wgpu => {
            let gpu = trm::gpu::native()?;
            if gpu.is_software() {
                eprintln!("warning: {} is a software renderer, slower than --backend flex", gpu.info().name);
            }
            trm::train::card::gpu_hardware(&gpu.info(), threads)
        }
        #[allow(unreachable_patterns)]
        other => return Err(format!("this build has no {other} backend")),
    };
    let cfg = load_config(&args)?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let probe = args.out.join(".write-test");
    std::fs::write(&probe, b"").map_err(|e| format!("{} is not writable: {e}", args.out.display()))?;
    let _ = std::fs::remove_file(&probe);
    let ckpt = args.out.join(CHECKPOINT);
    let metrics = args.out.join(METRICS);

    let mut trainer = if args.resume || args.export_only {
        if !ckpt.is_file() {
            return Err(format!("no checkpoint to resume: {} does not exist", ckpt.display()));
        }
        let t = Trainer::load(&ckpt, cfg.as_ref(), &device)?;
        if t.cfg.data.task != args.task {
            return Err(format!("{} holds a {} run, not {}", ckpt.display(), t.cfg.data.task.name(), args.task.name()));
        }
        truncate_metrics(&metrics, t.step, args.export_only)?;
        t
    } else {
        if ckpt.exists() {
            return Err(format!(
                "{} already holds a run; pass --resume to continue it or choose another --out",
                args.out.display()
            ));
        }
        let mut cfg = cfg.ok_or("give --config FILE or --preset NAME")?;
        if cfg.shards.is_none() {
            cfg.shards = Some(if args.backend == Backend::Flex { threads.min(cfg.batch_size) } else { 1 });
        }
        let _ = std::fs::remove_file(&metrics);
        let mut t = Trainer::new(cfg, &device)?;
        t.command = command_line.clone();
        t
    };
    if let Some(steps) = args.steps {
        trainer.cfg.total_steps = steps;
    }
    if let Some(shards) = args.shards {
        trainer.cfg.shards = Some(shards);
    }
    trainer.cfg.validate().map_err(|e| format!("bad training configuration: {e}"))?;
    if args.resume && !args.export_only && trainer.step < trainer.cfg.total_steps {
        // The card's "reproduce" block lists every command of a resumed run, one per line.
        trainer.command = if trainer.command.is_empty() { command_line.clone() } else { format!("{}\n{command_line}", trainer.command) };
    }
    let cfg_text = serde_json::to_string_pretty(&trainer.cfg).expect("serialisable");
    std::fs::write(args.out.join("train_config.json"), cfg_text).map_err(|e| e.to_string())?;
    let total = trainer.cfg.total_steps;

    if !args.export_only && trainer.step < total {
        eprintln!(
            "training a {}-parameter {} model: {} steps of batch {} ({} shard(s)) on {}, from step {}",
            trainer.cfg.arch.param_count(),
            trainer.cfg.data.task.name(),
            total,
            trainer.cfg.batch_size,
            trainer.cfg.shards.unwrap_or(1),
            hardware,
            trainer.step
        );
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} eta {eta}").expect("valid template"),
        );
        bar.set_position(trainer.step);
        let mut window: Vec<StepStats> = Vec::new();
        let mut last_save = Instant::now();
        let mut window_start = Instant::now();
        let mut last_eval: Option<String> = None;
        let started = Instant::now();
        let resumed_at = trainer.step;
        while trainer.step < total {
            if deadline.is_some_and(|d| started.elapsed() >= d) {
                bar.suspend(|| eprintln!("time limit reached at step {} of {}", trainer.step, total));
                break;
            }
            if trainer.step == resumed_at {
                trainer.record_hardware(&hardware);
            }
            let t0 = Instant::now();
            let stats = trainer.train_step();
            trainer.wall_secs += t0.elapsed().as_secs_f64();
            if !stats.loss.is_finite() {
                trainer.save(&args.out.join("diverged.safetensors"))?;
                return Err(format!("the loss became {} at step {}; state saved to diverged.safetensors", stats.loss, stats.step));
            }
            window.push(stats);
            if trainer.step % LOG_EVERY == 0 || trainer.step == total {
                let n = window.len() as f64;
                let halted: usize = window.iter().map(|s| s.halted).sum();
                let per = |f: fn(&StepStats) -> f64| window.iter().map(f).sum::<f64>();
                let secs = window_start.elapsed().as_secs_f64();
                let rec = serde_json::json!({
                    "kind": "train",
                    "step": trainer.step,
                    "lr": window.last().map(|s| s.lr),
                    "loss": per(|s| s.loss) / n,
                    "lm_loss": per(|s| s.lm_loss) / n,
                    "q_halt_loss": per(|s| s.q_halt_loss) / n,
                    "halted": halted,
                    "exact": per(|s| s.halted_exact as f64) / halted.max(1) as f64,
                    "accuracy": per(|s| s.halted_token_acc) / halted.max(1) as f64,
                    "q_halt_accuracy": per(|s| s.q_halt_right as f64) / halted.max(1) as f64,
                    "mean_halt_steps": per(|s| s.halted_steps as f64) / halted.max(1) as f64,
                    "sample_steps_per_sec": n * trainer.cfg.batch_size as f64 / secs,
                    "puzzles_seen": trainer.next_example,
                    "wall_secs": trainer.wall_secs,
                });
                append(&metrics, &rec)?;
                bar.set_message(format!(
                    "loss {:.3} acc {:.1}% exact {:.1}% halt@{:.1} {:.0} samples/s{}",
                    rec["loss"].as_f64().unwrap_or(0.0),
                    100.0 * rec["accuracy"].as_f64().unwrap_or(0.0),
                    100.0 * rec["exact"].as_f64().unwrap_or(0.0),
                    rec["mean_halt_steps"].as_f64().unwrap_or(0.0),
                    rec["sample_steps_per_sec"].as_f64().unwrap_or(0.0),
                    last_eval.as_ref().map(|e| format!(" | held-out {e}")).unwrap_or_default()
                ));
                window.clear();
                window_start = Instant::now();
            }
            bar.set_position(trainer.step);
            let eval_every = trainer.cfg.eval_every;
            if eval_every > 0 && trainer.step % eval_every == 0 && trainer.step < total {
                let scores = trainer.evaluate(trainer.cfg.eval_per_band);
                append(&metrics, &serde_json::json!({"kind": "eval", "step": trainer.step, "bands": scores}))?;
                last_eval = Some(band_summary(&scores));
                let (curve, evals) = read_history(&metrics);
                write_svg(&args.out.join("curves.svg"), &curve, &evals)?;
                window_start = Instant::now();
            }
            if last_save.elapsed().as_secs() >= trainer.cfg.checkpoint_every_secs {
                trainer.save(&ckpt)?;
                last_save = Instant::now();
            }
        }
        bar.finish();
        trainer.save(&ckpt)?;
    }

    // Final evaluation and export of the EMA weights.
    if trainer.cfg.data.task == Task::Arc {
        eprintln!("evaluating on the ARC tasks' test pairs (voting over every version)");
    } else {
        eprintln!("evaluating on {} held-out puzzles per band", trainer.cfg.final_eval_per_band);
    }
    let model = trainer.ema_model();
    let scores = evaluate(&model, &trainer.cfg, trainer.cfg.final_eval_per_band, true, &device);
    append(&metrics, &serde_json::json!({"kind": "eval", "step": trainer.step, "final": true, "bands": scores}))?;
    let (curve, evals) = read_history(&metrics);
    write_svg(&args.out.join("curves.svg"), &curve, &evals)?;

    // The held-out puzzles as a CSV, so `trm eval` can measure them again (ARC's held-out set
    // is the gallery tasks' test pairs).
    if trainer.cfg.data.task != Task::Arc {
        let mut csv = format!("{}\n", trainer.cfg.data.csv_header());
        for band in 0..trainer.cfg.data.bands.len() {
            for i in 0..trainer.cfg.final_eval_per_band as u64 {
                csv += &trainer.cfg.data.heldout_example(band, i).csv;
                csv.push('\n');
            }
        }
        std::fs::write(args.out.join("heldout.csv"), csv).map_err(|e| e.to_string())?;
    }

    let name = args.name.clone().unwrap_or_else(|| {
        args.out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into())
    });
    let card = ModelCard::new(
        &name,
        &trainer.cfg,
        trainer.step,
        trainer.next_example,
        trainer.wall_secs,
        // Recorded at the first step trained; a checkpoint from before that was recorded says so.
        if trainer.hardware.is_empty() { "not recorded".to_string() } else { trainer.hardware.clone() },
        scores.clone(),
        if trainer.command.is_empty() { &command_line } else { &trainer.command },
    );
    let mut extra = std::collections::BTreeMap::new();
    extra.insert("source".to_string(), format!("trm train ({name})"));
    // The page drops its "random weights" warning for trained files.
    extra.insert("trained".to_string(), "true".to_string());
    extra.insert("card".to_string(), serde_json::to_string(&card).expect("serialisable"));
    let names = trainer.cfg.data.puzzle_identifiers();
    let bytes = web::write(&trainer.cfg.arch, &model.to_tensors(), if args.f16 { Storage::F16 } else { Storage::F32 }, names.as_deref(), &extra)
        .map_err(|e| e.to_string())?;
    let model_path = args.out.join(format!("{name}.safetensors"));
    std::fs::write(&model_path, &bytes).map_err(|e| format!("{}: {e}", model_path.display()))?;
    std::fs::write(args.out.join(format!("{name}.card.json")), serde_json::to_string_pretty(&card).expect("serialisable"))
        .map_err(|e| e.to_string())?;
    std::fs::write(args.out.join(format!("{name}.md")), card.to_markdown()).map_err(|e| e.to_string())?;
    println!(
        "{}: step {}, {} puzzles seen, {:.1} min; held-out exact: {}",
        model_path.display(),
        trainer.step,
        trainer.next_example,
        trainer.wall_secs / 60.0,
        band_summary(&scores)
    );
    Ok(std::process::ExitCode::SUCCESS)
}
