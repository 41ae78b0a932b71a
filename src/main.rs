//! `trm`: check parity with the reference, convert checkpoints for the web, solve puzzles, benchmark.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

use trm::config::TrmConfig;
use trm::device::{Backend, device};
use trm::model::Trm;
use trm::recursion::SolveOptions;
use trm::tasks::{Task, data as task_data, maze, sudoku};
use trm::weights::web::{self, Storage};
use trm::weights::{TensorMap, checkpoint};

#[derive(Parser)]
#[command(name = "trm", version, about = "The Tiny Recursive Model (TRM): parity, conversion, solving, benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a port against reference outputs: each DIR holds checkpoint.pt, config.json and
    /// io.safetensors (inference) or train.safetensors (loss and gradients of training steps).
    /// Exits 1 when any error exceeds 1e-4 or a decisive argmax differs.
    Parity {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        #[arg(long, default_value = "flex")]
        backend: Backend,
        #[arg(long)]
        json: bool,
    },
    /// Convert a reference checkpoint (`step_N` zip pickle or safetensors) to the web format.
    Convert {
        checkpoint: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        /// config.json or all_config.yaml (default: found beside the checkpoint).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Grid length, when neither the config nor the tensor shapes tell it.
        #[arg(long)]
        seq_len: Option<usize>,
        #[arg(long, default_value = "f32")]
        storage: Storage,
        /// The dataset's identifiers.json (ARC): names every puzzle-embedding row.
        #[arg(long)]
        identifiers: Option<PathBuf>,
        /// Keep only these puzzle-embedding rows (identifier names, or numbers), one per line
        /// in a file; they are renumbered in the given order.
        #[arg(long)]
        keep_puzzles: Option<PathBuf>,
    },
    /// Solve one puzzle, printing the predicted grid and halting probability of every step.
    Solve {
        /// A web-format model or a reference checkpoint (config beside it).
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        task: Task,
        /// The puzzle: Sudoku (81 chars, `.` or `0` blank) or maze text; for ARC a task JSON.
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        puzzle: Option<String>,
        /// Read the puzzle from a file instead.
        #[arg(long)]
        file: Option<PathBuf>,
        /// ARC: which test input of the task.
        #[arg(long, default_value_t = 0)]
        test_index: usize,
        /// Puzzle identifier: a number, or (ARC) a name from the model's identifiers.
        #[arg(long)]
        puzzle_id: Option<String>,
        #[arg(long, default_value = "flex")]
        backend: Backend,
        /// Supervision steps (default: the model's halt_max_steps, as the reference evaluates).
        #[arg(long)]
        steps: Option<usize>,
        /// Stop as soon as q_halt > 0.
        #[arg(long)]
        stop_on_halt: bool,
        /// Also print the grid decoded after every inner latent and answer update.
        #[arg(long)]
        inner: bool,
        #[arg(long)]
        json: bool,
    },
    /// Exact accuracy of a model on a Sudoku or maze CSV file (`source,question,answer,rating`).
    Eval {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        steps: Option<usize>,
        #[arg(long, default_value_t = 16)]
        batch: usize,
        /// Only the first N puzzles.
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long, default_value = "flex")]
        backend: Backend,
        #[arg(long)]
        json: bool,
    },
    /// Train a model from scratch (or resume a run) and export it with its model card.
    Train {
        #[arg(long)]
        task: Task,
        /// A training configuration (JSON, the shape of the run's train_config.json).
        #[arg(long, conflicts_with = "preset")]
        config: Option<PathBuf>,
        /// A named recipe (sudoku-small, tiny-test).
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
        /// Override the run's total optimiser steps (the schedule's length).
        #[arg(long)]
        steps: Option<u64>,
        /// Evaluate and export the checkpoint in --out without training further.
        #[arg(long)]
        export: bool,
        /// Name of the exported model (default: the folder's name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Generate or check puzzle data files.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Describe a model file: architecture, parameter count, puzzle identifiers.
    Info {
        model: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Time supervision steps of a model file or of a paper-size preset with random weights;
    /// with --train, time training steps (forward, backward, optimiser) instead.
    Bench {
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
    },
}

#[derive(Subcommand)]
enum DataCommand {
    /// Generate puzzles with unique, labelled solutions as reference-style CSV.
    Gen {
        #[command(subcommand)]
        task: GenTask,
    },
    /// Validate every row of a data file (Sudoku: unique solution equal to the answer; maze:
    /// the answer is a shortest path). Exits 1 on any failure.
    Check {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum GenTask {
    Sudoku {
        #[arg(long, default_value_t = 100)]
        count: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// easy, medium, hard, expert or extreme (default: cycle through all).
        #[arg(long)]
        grade: Option<sudoku::Difficulty>,
        #[arg(short, long)]
        output: PathBuf,
    },
    Maze {
        #[arg(long, default_value_t = 100)]
        count: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// ROWSxCOLS or N for N×N, up to 30.
        #[arg(long, default_value = "30")]
        size: String,
        /// 0..1: wall density and path length.
        #[arg(long, default_value_t = 1.0)]
        hardness: f64,
        #[arg(short, long)]
        output: PathBuf,
    },
}

fn parse_size(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("size `{s}`: expected N or ROWSxCOLS");
    match s.split_once(['x', 'X']) {
        Some((r, c)) => Ok((r.trim().parse().map_err(|_| bad())?, c.trim().parse().map_err(|_| bad())?)),
        None => {
            let n = s.trim().parse().map_err(|_| bad())?;
            Ok((n, n))
        }
    }
}

/// Build a model file on a backend.
fn load_model(path: &Path, backend: Backend) -> Result<(Trm, Option<Vec<String>>, burn::tensor::Device), String> {
    let dev = device(backend)?;
    let (cfg, mut tensors, names) = load_model_file(path)?;
    let model = Trm::from_tensors(cfg, &mut tensors, &dev).map_err(|e| e.to_string())?;
    Ok((model, names, dev))
}

/// Load a model file: the web format, or a reference checkpoint with its config beside it.
fn load_model_file(path: &Path) -> Result<(TrmConfig, TensorMap, Option<Vec<String>>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    match web::read(&bytes) {
        Ok(m) => return Ok((m.config, m.tensors, m.puzzle_identifiers)),
        // A damaged web file is reported as one, not as a checkpoint without a config.
        Err(e) if web::looks_like_web(&bytes) => return Err(format!("{}: {e}", path.display())),
        Err(_) => {}
    }
    let (cfg, tensors) = checkpoint::load_reference(path, None, None).map_err(|e| e.to_string())?;
    Ok((cfg, tensors, None))
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Parity { dirs, backend, json } => {
            let dev = device(backend)?;
            let mut ok = true;
            let mut reports = Vec::new();
            for dir in &dirs {
                if trm::train::parity::is_train_fixture(dir) {
                    let report = trm::train::parity::check_train_fixture(dir, &dev, &backend.to_string())?;
                    ok &= report.passed();
                    if json {
                        reports.push(serde_json::to_value(&report).expect("serialisable"));
                        continue;
                    }
                    println!("{} (training step) on {}:", report.fixture, report.backend);
                    for s in &report.steps {
                        let worst = s.worst_grad().map(|g| format!("{:.2e} ({})", g.error, g.name)).unwrap_or_default();
                        println!(
                            "  step {}  loss {:.2e}  lm {:.2e}  q_halt loss {:.2e}  logits {:.2e}  q {:.2e}  carry {:.2e}  worst grad {}{}",
                            s.step, s.loss, s.lm_loss, s.q_halt_loss, s.logits, s.q_halt, s.carry, worst,
                            if s.passed() { "" } else { "  FAIL" }
                        );
                    }
                    println!("  -> {}", if report.passed() { "PASS" } else { "FAIL" });
                    continue;
                }
                let report = trm::parity::check_fixture(dir, &dev, &backend.to_string())?;
                ok &= report.passed();
                if !json {
                    println!("{} on {}:", report.fixture, report.backend);
                    for s in &report.steps {
                        println!(
                            "  {:<15} step {:>2}  logits {:.2e}  q {:.2e}  carry {:.2e}  argmax mismatches {}{}",
                            s.mode,
                            s.step,
                            s.logits,
                            s.q,
                            s.carry,
                            s.argmax_mismatches,
                            if s.passed() { "" } else { "  FAIL" }
                        );
                    }
                    println!(
                        "  max: logits {:.2e}  q {:.2e}  carry {:.2e}  -> {}",
                        report.max(|s| s.logits),
                        report.max(|s| s.q),
                        report.max(|s| s.carry),
                        if report.passed() { "PASS" } else { "FAIL" }
                    );
                }
                reports.push(serde_json::to_value(&report).expect("serialisable"));
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&reports).expect("serialisable"));
            }
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Convert { checkpoint: ckpt, output, config, seq_len, storage, identifiers, keep_puzzles } => {
            let (mut cfg, mut tensors) =
                checkpoint::load_reference(&ckpt, config.as_deref(), seq_len).map_err(|e| e.to_string())?;
            // Building the model on the CPU checks every name and shape before anything is written.
            let dev = device(Backend::Flex)?;
            Trm::from_tensors(cfg.clone(), &mut tensors.clone(), &dev).map_err(|e| e.to_string())?;
            let mut names: Option<Vec<String>> = match &identifiers {
                Some(p) => {
                    let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                    let names: Vec<String> =
                        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
                    if names.len() != cfg.num_puzzle_identifiers {
                        return Err(format!(
                            "{} names {} identifiers but the checkpoint has {} puzzle-embedding rows",
                            p.display(),
                            names.len(),
                            cfg.num_puzzle_identifiers
                        ));
                    }
                    Some(names)
                }
                None => None,
            };
            if let Some(list) = &keep_puzzles {
                let text = std::fs::read_to_string(list).map_err(|e| format!("{}: {e}", list.display()))?;
                let mut rows = Vec::new();
                for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    let row = match (line.parse::<usize>(), &names) {
                        (Ok(n), _) => n,
                        (Err(_), Some(all)) => all
                            .iter()
                            .position(|n| n == line)
                            .ok_or_else(|| format!("puzzle `{line}` is not in the identifiers"))?,
                        (Err(_), None) => return Err(format!("`{line}` is a name: pass --identifiers")),
                    };
                    rows.push(row);
                }
                cfg = web::keep_puzzle_rows(&cfg, &mut tensors, &rows).map_err(|e| e.to_string())?;
                names = Some(
                    rows.iter()
                        .map(|&r| names.as_ref().map(|n| n[r].clone()).unwrap_or_else(|| r.to_string()))
                        .collect(),
                );
            }
            let mut extra = BTreeMap::new();
            extra.insert(
                "source".to_string(),
                ckpt.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            );
            let bytes = web::write(&cfg, &tensors, storage, names.as_deref(), &extra).map_err(|e| e.to_string())?;
            std::fs::write(&output, &bytes).map_err(|e| format!("{}: {e}", output.display()))?;
            println!(
                "wrote {} ({} bytes, {} tensors, {} parameters, {} puzzle rows)",
                output.display(),
                bytes.len(),
                tensors.len(),
                cfg.param_count(),
                cfg.num_puzzle_identifiers
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Solve {
            model, task, puzzle, file, test_index, puzzle_id, backend, steps, stop_on_halt, inner, json,
        } => {
            let (net, names, dev) = load_model(&model, backend)?;
            cli::check_task(&net, task)?;
            let text = match (puzzle, file) {
                (Some(p), _) => p,
                (None, Some(f)) => std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?,
                (None, None) => unreachable!("clap requires one"),
            };
            let enc = cli::encode(task, &text, test_index, puzzle_id.as_deref(), names.as_deref(), net.config.seq_len)?;
            let options = SolveOptions { max_steps: steps.unwrap_or(net.config.halt_max_steps), stop_on_halt, inner };
            cli::solve(&net, &dev, &enc, options, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { model, data, steps, batch, limit, backend, json } => {
            let (net, _, dev) = load_model(&model, backend)?;
            let steps = steps.unwrap_or(net.config.halt_max_steps);
            let report = cli::eval(&net, &dev, &data, steps, batch, limit, json)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report).expect("serialisable"));
            } else {
                cli::print_eval(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Train { task, config, preset, out, resume, threads, steps, export, name } => {
            // As a reader would type it: `trm train ...`, whatever path ran the binary.
            let command_line = std::iter::once("trm".to_string()).chain(std::env::args().skip(1)).collect::<Vec<_>>().join(" ");
            cli::train::run(cli::train::TrainArgs {
                task, config, preset, out, resume, threads, steps, export_only: export, name, command_line,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Data { command: DataCommand::Gen { task } } => {
            let (csv, output) = match task {
                GenTask::Sudoku { count, seed, grade, output } => (task_data::generate_sudoku_csv(count, seed, grade), output),
                GenTask::Maze { count, seed, size, hardness, output } => {
                    let (rows, cols) = parse_size(&size)?;
                    let params = maze::MazeParams { rows, cols, hardness };
                    (task_data::generate_maze_csv(count, seed, params).map_err(|e| e.to_string())?, output)
                }
            };
            std::fs::write(&output, &csv).map_err(|e| format!("{}: {e}", output.display()))?;
            println!("wrote {} rows to {}", csv.lines().count().saturating_sub(1), output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Data { command: DataCommand::Check { file, json } } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let report = task_data::check(&text).map_err(|e| e.to_string())?;
            if json {
                let v = serde_json::json!({
                    "task": report.task.name(), "rows": report.rows, "passed": report.passed(),
                    "failures": report.failures.iter().map(|f| serde_json::json!({"line": f.line, "reason": f.reason})).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&v).expect("serialisable"));
            } else {
                print!("{report}");
            }
            Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Info { model, json } => {
            let (cfg, tensors, names) = load_model_file(&model)?;
            if json {
                let v = serde_json::json!({
                    "config": cfg, "params": cfg.param_count(), "tensors": tensors.len(),
                    "puzzle_identifiers": names.map(|n| n.len()),
                });
                println!("{}", serde_json::to_string_pretty(&v).expect("serialisable"));
            } else {
                println!("{}", serde_json::to_string_pretty(&cfg).expect("serialisable"));
                println!("parameters: {}  tensors: {}", cfg.param_count(), tensors.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { model, config, train, threads, preset, backend, batch, steps, json } => {
            if let Some(n) = threads {
                rayon::ThreadPoolBuilder::new().num_threads(n).build_global().map_err(|e| e.to_string())?;
            }
            let dev = device(backend)?;
            if train {
                let cfg = match (config, preset) {
                    (Some(path), _) => {
                        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                        TrmConfig::from_json(&text).map_err(|e| e.to_string())?
                    }
                    (None, Some(p)) => TrmConfig::preset(&p)
                        .or_else(|| trm::train::TrainConfig::preset(&p).map(|c| c.arch))
                        .ok_or_else(|| format!("unknown preset `{p}`"))?,
                    (None, None) => return Err("--train needs --preset or --config".into()),
                };
                let r = trm::bench::bench_train(&cfg, batch.max(1), steps.max(1), &dev)?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&r).expect("serialisable"));
                } else {
                    println!(
                        "training, {} params, hidden {}, H={} L={}, batch {}, {} thread(s): {:.0} ms/step (min {:.0}, max {:.0}) = {:.1} sample-steps/s",
                        cfg.param_count(), cfg.hidden_size, cfg.h_cycles, cfg.l_cycles, r.batch, r.threads,
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
                    let cfg = TrmConfig::preset(&p)
                        .ok_or_else(|| format!("unknown preset `{p}` ({})", TrmConfig::PRESETS.join(", ")))?;
                    (p, Trm::random(cfg, 0, &dev).map_err(|e| e.to_string())?)
                }
                (None, None) => unreachable!("clap requires one"),
            };
            let r = trm::bench::bench_model(&net, &name, &backend.to_string(), &dev, batch.max(1), steps.max(1))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r).expect("serialisable"));
            } else {
                println!(
                    "{} on {} (batch {}, {} params): {:.1} ms/step ({:.1} ms/step/puzzle), {:.2} ms/net call, \
                     {:.1} GFLOP/s = {:.0}% of a 1024² matmul's {:.1} GFLOP/s; first step {:.0} ms",
                    r.model, r.backend, r.batch, r.params, r.ms_per_step, r.ms_per_step_per_puzzle, r.ms_per_net_call,
                    r.gflops, 100.0 * r.fraction_of_matmul, r.matmul_gflops, r.first_step_ms
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
