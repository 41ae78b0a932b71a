//! Measures the task layer: generator speed per Sudoku grade, exact-solver speed on generated
//! extreme puzzles, and `data::check` on large generated Sudoku and maze files.
//!
//! ```text
//! cargo run --release --no-default-features --example tasks_bench -- [gen|solve|check|all]
//! ```

use std::time::Instant;
use trm::tasks::data;
use trm::tasks::maze::MazeParams;
use trm::tasks::sudoku::{self, Difficulty, Generator, Grid};

const SEED: u64 = 77;

/// CPU time of this thread in seconds (Linux), so that timings are not skewed by other load on
/// the machine; falls back to wall time elsewhere.
struct Clock(Instant, Option<f64>);

fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

impl Clock {
    fn start() -> Clock {
        Clock(Instant::now(), cpu_seconds())
    }
    /// Seconds of CPU time (or wall time when unavailable).
    fn secs(&self) -> f64 {
        match (self.1, cpu_seconds()) {
            (Some(a), Some(b)) => b - a,
            _ => self.0.elapsed().as_secs_f64(),
        }
    }
}

fn gen_speed() {
    println!("Sudoku generator speed (single thread):");
    for (d, n) in [
        (Difficulty::Easy, 500),
        (Difficulty::Medium, 200),
        (Difficulty::Hard, 100),
        (Difficulty::Expert, 100),
        (Difficulty::Extreme, 50),
    ] {
        let t = Clock::start();
        let stream = Generator::new(SEED, Some(d));
        let rating: u64 = stream.take(n).map(|g| g.rating).sum();
        let s = t.secs();
        println!(
            "  {d:>8}: {n:4} puzzles in {s:6.2} s = {:8.1} puzzles/s ({:6.2} ms each), mean rating {:.1}",
            n as f64 / s,
            1e3 * s / n as f64,
            rating as f64 / n as f64
        );
    }
}

fn solve_speed() {
    let n = 1000;
    let t = Clock::start();
    let puzzles: Vec<Grid> = Generator::new(SEED + 1, Some(Difficulty::Extreme))
        .take(n)
        .map(|g| g.puzzle)
        .collect();
    println!("generated {n} extreme puzzles in {:.1} s", t.secs());
    let guesses: u64 = puzzles.iter().map(|p| sudoku::solve_stats(p).guesses).sum();
    println!(
        "  mean search effort {:.1} guesses",
        guesses as f64 / n as f64
    );
    let unique = |p: &Grid| sudoku::solve(p).unique().is_some() as usize;
    let first = |p: &Grid| sudoku::count_solutions(p, 1);
    type Mode<'a> = (&'a str, &'a dyn Fn(&Grid) -> usize);
    let modes: [Mode; 2] = [
        ("solve + uniqueness (2-solution search)", &unique),
        ("first solution only", &first),
    ];
    for (what, f) in modes {
        let passes = 5;
        let t = Clock::start();
        let mut ok = 0;
        for _ in 0..passes {
            ok += puzzles.iter().map(f).sum::<usize>();
        }
        let s = t.secs();
        assert_eq!(ok, passes * n);
        println!(
            "  {what}: {:.0} puzzles/s ({:.1} µs each)",
            (passes * n) as f64 / s,
            1e6 * s / (passes * n) as f64
        );
    }
    let t = Clock::start();
    for p in &puzzles {
        sudoku::grade(p).unwrap();
    }
    let s = t.secs();
    println!("  technique grader: {:.0} puzzles/s", n as f64 / s);
}

fn check_files() {
    let n = 10_000;
    let t = Clock::start();
    let csv = data::generate_sudoku_csv(n, SEED + 2, None);
    println!("generated {n} mixed-grade Sudokus in {:.1} s", t.secs());
    let t = Clock::start();
    let report = data::check(&csv).unwrap();
    print!("  check in {:.2} s: {report}", t.secs());
    assert!(report.ok() && report.rows == n);

    let t = Clock::start();
    let mut csv = data::generate_maze_csv(500, SEED + 3, MazeParams::default()).unwrap();
    for (i, size) in [8usize, 12, 16, 20, 24].into_iter().enumerate() {
        let params = MazeParams {
            rows: size,
            cols: size + 3,
            hardness: 0.2 * i as f64 + 0.1,
        };
        let more = data::generate_maze_csv(100, SEED + 4 + i as u64, params).unwrap();
        csv.extend(more.lines().skip(1).map(|l| format!("{l}\n")));
    }
    println!(
        "generated 1000 mazes (500 at 30x30 hardness 1, 500 of other sizes) in {:.1} s",
        t.secs()
    );
    let t = Clock::start();
    let report = data::check(&csv).unwrap();
    print!("  check in {:.2} s: {report}", t.secs());
    assert!(report.ok() && report.rows == 1000);
}

fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    if what == "gen" || what == "all" {
        gen_speed();
    }
    if what == "solve" || what == "all" {
        solve_speed();
    }
    if what == "check" || what == "all" {
        check_files();
    }
}
