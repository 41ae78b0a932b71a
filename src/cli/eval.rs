//! `trm eval`: exact accuracy of a model on a Sudoku or maze CSV file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use burn::tensor::Device;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use trm::device::Backend;
use trm::model::Trm;
use trm::eval;
use trm::tasks::puzzle::tokens_u8;
use trm::tasks::{Task, maze, sudoku};

use super::{check_task, load_model, read_text, tokens_u32};

/// Exact accuracy of a model on a Sudoku or maze CSV file (`source,question,answer,rating`).
#[derive(clap::Args)]
pub struct EvalArgs {
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
    /// Maze only: solve the 8 rotations and mirrors of each maze and score the answer most of
    /// them agree on (test-time voting, as the reference does for ARC).
    #[arg(long)]
    vote: bool,
}

pub fn run(args: EvalArgs) -> Result<ExitCode, String> {
    let EvalArgs { model, data, steps, batch, limit, backend, json, vote } = args;
    let (net, _, dev) = load_model(&model, backend)?;
    let steps = steps.unwrap_or(net.config.halt_max_steps);
    let report = eval(&net, &dev, &data, steps, batch, limit, json, vote)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report).expect("serialisable"));
    } else {
        print_eval(&report);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Default, Serialize)]
pub struct Tally {
    pub total: usize,
    pub exact: usize,
    /// Maze only: predictions that are a valid shortest path (labels are not unique).
    pub valid_shortest: usize,
}

#[derive(Debug, Serialize)]
pub struct EvalReport {
    pub task: &'static str,
    pub steps: usize,
    /// Whether each maze's answer was voted over its 8 dihedral versions.
    pub voted: bool,
    pub all: Tally,
    /// Sudoku: by difficulty grade.
    pub by_grade: BTreeMap<String, Tally>,
    pub seconds: f64,
}

/// Exact accuracy of a model on a CSV data file (Sudoku or maze), after `steps` steps.
#[allow(clippy::too_many_arguments)]
pub fn eval(
    model: &Trm,
    device: &Device,
    data: &Path,
    steps: usize,
    batch_size: usize,
    limit: Option<usize>,
    quiet: bool,
    vote: bool,
) -> Result<EvalReport, String> {
    let text = read_text(data)?;
    let task = trm::tasks::data::detect_task(&text).map_err(|e| e.to_string())?;
    check_task(model, task)?;
    if vote && task != Task::Maze {
        return Err("--vote takes a maze model and maze data".into());
    }
    // (question tokens, answer tokens, grade label)
    let mut rows: Vec<(Vec<u32>, Vec<u8>, Option<String>)> = match task {
        Task::Sudoku => sudoku::parse_csv(&text)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|r| {
                // The trainer's held-out files name their band (`givens 45-52`); other files
                // are grouped by grade.
                let grade = if r.source.starts_with("givens ") {
                    Some(r.source.clone())
                } else {
                    r.source
                        .parse::<sudoku::Difficulty>()
                        .ok()
                        .or_else(|| sudoku::grade(&r.question).ok().map(|g| g.difficulty))
                        .map(|d| d.to_string())
                };
                (tokens_u32(&r.question.to_tokens()), r.answer.to_tokens().to_vec(), grade)
            })
            .collect(),
        Task::Maze => {
            let side = maze::canvas_side(model.config.seq_len).ok_or("not a maze canvas")?;
            maze::parse_csv(&text)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|r| {
                    let q = r.question.to_tokens_on(side).map_err(|e| e.to_string())?;
                    let a = r.answer.to_tokens_on(side).map_err(|e| e.to_string())?;
                    let band = r.source.starts_with("maze ").then(|| r.source.clone());
                    Ok((tokens_u32(&q), a, band))
                })
                .collect::<Result<_, String>>()?
        }
        Task::Arc => return Err("ARC is scored by voting over augmentations; eval takes Sudoku or maze CSV".into()),
    };
    if let Some(n) = limit {
        rows.truncate(n);
    }
    let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new(rows.len() as u64) };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} puzzles, {per_sec}, eta {eta}").expect("valid template"),
    );
    let start = std::time::Instant::now();
    let mut report = EvalReport { task: task.name(), steps, voted: vote, all: Tally::default(), by_grade: BTreeMap::new(), seconds: 0.0 };
    let seq = model.config.seq_len;
    for chunk in rows.chunks(batch_size.max(1)) {
        // The one evaluation path: versions → solve → vote, then each answer scored.
        let predictions: Vec<Vec<u8>> = if vote {
            let mazes: Vec<Vec<u8>> = chunk.iter().map(|r| tokens_u8(&r.0)).collect();
            eval::solve_mazes_voted(model, &mazes, steps, device).map_err(|e| e.to_string())?
        } else {
            let questions: Vec<Vec<u32>> = chunk.iter().map(|r| r.0.clone()).collect();
            let end = eval::solve(model, &questions, &[], steps, device).map_err(|e| e.to_string())?;
            end.tokens.chunks(seq).map(tokens_u8).collect()
        };
        for ((q, answer, grade), pred) in chunk.iter().zip(&predictions) {
            let (exact, shortest) = match task {
                Task::Maze => {
                    let score = eval::score_maze(&tokens_u8(q), pred, answer).map_err(|e| e.to_string())?;
                    (score.exact, score.shortest)
                }
                _ => (pred == answer, false),
            };
            for t in std::iter::once(&mut report.all)
                .chain(grade.as_ref().map(|g| report.by_grade.entry(g.clone()).or_default()))
            {
                t.total += 1;
                t.exact += exact as usize;
                t.valid_shortest += shortest as usize;
            }
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

pub fn print_eval(r: &EvalReport) {
    let pct = |n: usize, d: usize| if d == 0 { 0.0 } else { 100.0 * n as f64 / d as f64 };
    println!(
        "{}: {} puzzles, {} steps{}, exact accuracy {:.2}% ({}/{}){} in {:.1} s",
        r.task,
        r.all.total,
        r.steps,
        if r.voted { ", voted over 8 rotations and mirrors" } else { "" },
        pct(r.all.exact, r.all.total),
        r.all.exact,
        r.all.total,
        if r.task == "maze" {
            format!(", valid shortest path {:.2}%", pct(r.all.valid_shortest, r.all.total))
        } else {
            String::new()
        },
        r.seconds
    );
    // Easiest grade first.
    let mut grades: Vec<_> = r.by_grade.iter().collect();
    grades.sort_by_key(|(g, _)| g.parse::<sudoku::Difficulty>().map(|d| d as usize).unwrap_or(usize::MAX));
    for (g, t) in grades {
        println!("  {g:<8} {:>6.2}% ({}/{})", pct(t.exact, t.total), t.exact, t.total);
    }
}
