//! `trm data gen|check`: seeded, labelled puzzle files and their validation.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use trm::tasks::{data as task_data, maze, sudoku};

use super::read_text;

/// Generate or check puzzle data files.
#[derive(Subcommand)]
pub enum DataCommand {
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
pub enum GenTask {
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

pub fn run(command: DataCommand) -> Result<ExitCode, String> {
    match command {
        DataCommand::Gen { task } => {
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
        DataCommand::Check { file, json } => {
            let report = task_data::check(&read_text(&file)?).map_err(|e| e.to_string())?;
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
    }
}
