//! `trm bench`: supervision steps of a model (inference), or training steps.

use std::path::PathBuf;
use std::process::ExitCode;

use trm::config::TrmConfig;
use trm::device::{Backend, device};
use trm::model::Trm;

use super::{load_model_file, read_text};

/// Time supervision steps of a model file or of a paper-size preset with random weights;
/// with --train, time training steps (forward, backward, optimiser) instead.
#[derive(clap::Args)]
pub struct BenchArgs {
    #[arg(long, conflicts_with_all = ["preset", "config"], required_unless_present_any = ["preset", "config"])]
    model: Option<PathBuf>,
    /// With --train: an architecture as a reference config.json.
    #[arg(long, requires = "train", conflicts_with = "preset")]
    config: Option<PathBuf>,
    /// Time training steps (samples × supervision steps per second).
    #[arg(long)]
    train: bool,
    /// CPU threads (default: all).
    #[arg(long)]
    threads: Option<usize>,
    /// With --train: row shards of the batch computed side by side (default: the thread count
    /// on the CPU, 1 on a GPU), as `trm train` gives a new run.
    #[arg(long, requires = "train")]
    shards: Option<usize>,
    /// sudoku-mlp, sudoku-att, maze or arc (random weights).
    #[arg(long)]
    preset: Option<String>,
    #[arg(long, default_value = "flex")]
    backend: Backend,
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Steps timed after one warm-up step.
    #[arg(long, default_value_t = 3)]
    steps: usize,
    #[arg(long)]
    json: bool,
}

pub fn run(args: BenchArgs) -> Result<ExitCode, String> {
    let BenchArgs { model, config, train, threads, shards, preset, backend, batch, steps, json } = args;
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().map_err(|e| e.to_string())?;
    }
    let dev = device(backend)?;
    if backend == Backend::Wgpu {
        // Say which adapter ran: a "GPU" timing on a software renderer is a CPU emulation.
        let info = trm::gpu::native()?.info();
        eprintln!("wgpu adapter: {} ({}, {}, driver {})", info.name, info.device_type, info.backend, info.driver);
    }
    if train {
        let cfg = match (config, preset) {
            (Some(path), _) => TrmConfig::from_json(&read_text(&path)?).map_err(|e| e.to_string())?,
            (None, Some(p)) => TrmConfig::preset(&p)
                .or_else(|| trm::train::TrainConfig::preset(&p).map(|c| c.arch))
                .ok_or_else(|| format!("unknown preset `{p}`"))?,
            (None, None) => return Err("--train needs --preset or --config".into()),
        };
        let shards = shards.unwrap_or(if backend == Backend::Flex { rayon::current_num_threads() } else { 1 });
        let r = trm::train::bench::bench_train(&cfg, batch.max(1), steps.max(1), shards, &dev)?;
        if json {
            println!("{}", serde_json::to_string_pretty(&r).expect("serialisable"));
        } else {
            println!(
                "training, {} params, hidden {}, H={} L={}, batch {} in {} shard(s), {} thread(s): {:.0} ms/step (min {:.0}, max {:.0}) = {:.1} sample-steps/s",
                cfg.param_count(), cfg.hidden_size, cfg.h_cycles, cfg.l_cycles, r.batch, r.shards, r.threads,
                r.ms_per_step_median, r.ms_per_step_min, r.ms_per_step_max, r.sample_steps_per_sec
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (name, net) = match (model, preset) {
        (Some(path), _) => {
            let (cfg, mut tensors, _) = load_model_file(&path)?;
            (path.display().to_string(), Trm::from_tensors(cfg, &mut tensors, &dev).map_err(|e| e.to_string())?)
        }
        (None, Some(p)) => {
            let cfg =
                TrmConfig::preset(&p).ok_or_else(|| format!("unknown preset `{p}` ({})", TrmConfig::PRESETS.join(", ")))?;
            (p, Trm::random(cfg, 0, &dev).map_err(|e| e.to_string())?)
        }
        (None, None) => unreachable!("clap requires one"),
    };
    let r = trm::bench::bench_model(&net, &name, &backend.to_string(), &dev, batch.max(1), steps.max(1))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r).expect("serialisable"));
    } else {
        println!(
            "{} on {} (batch {}, {} params): {:.1} ms/step (min {:.1}, max {:.1}; {:.1} ms/step/puzzle), \
             {:.2} ms/net call, {:.1} GFLOP/s = {:.0}% of its MLP matmuls' {:.1} GFLOP/s (1024² matmul: {:.1}); \
             first step {:.0} ms; queued without per-step read-back {:.1} ms/step",
            r.model, r.backend, r.batch, r.params, r.ms_per_step, r.ms_per_step_min, r.ms_per_step_max,
            r.ms_per_step_per_puzzle, r.ms_per_net_call, r.gflops, 100.0 * r.fraction_of_matmul,
            r.model_matmul_gflops, r.matmul_gflops, r.first_step_ms, r.ms_per_step_queued
        );
    }
    Ok(ExitCode::SUCCESS)
}
