//! `trm`: check parity with the reference, convert checkpoints for the web, solve puzzles,
//! evaluate, generate data, train, benchmark. Each subcommand lives in its own `cli` module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

/// flex allocates every intermediate tensor; glibc's malloc maps each large one afresh, so each
/// first touch of a page faults. mimalloc reuses freed memory (Sudoku-MLP at batch 16: see the
/// docs/performance.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "trm", version, about = "The Tiny Recursive Model (TRM): parity, conversion, solving, training, benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Parity(cli::parity::ParityArgs),
    Convert(cli::convert::ConvertArgs),
    Solve(cli::solve::SolveArgs),
    Eval(cli::eval::EvalArgs),
    Train(cli::train::TrainArgs),
    #[command(subcommand)]
    Data(cli::data::DataCommand),
    Info(cli::info::InfoArgs),
    Bench(cli::bench::BenchArgs),
}

/// Exit status: 0 success, 1 a check that ran and failed (parity, data check), 2 an error.
fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Parity(a) => cli::parity::run(a),
        Command::Convert(a) => cli::convert::run(a),
        Command::Solve(a) => cli::solve::run(a),
        Command::Eval(a) => cli::eval::run(a),
        Command::Train(a) => cli::train::run(a),
        Command::Data(c) => cli::data::run(c),
        Command::Info(a) => cli::info::run(a),
        Command::Bench(a) => cli::bench::run(a),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })
}
