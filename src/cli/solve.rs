//! `trm solve`: one puzzle, every pass printed (or as JSON lines of the runtime's shape).

use std::path::PathBuf;
use std::process::ExitCode;

use burn::tensor::Device;
use serde::Serialize;

use trm::device::Backend;
use trm::model::Trm;
use trm::recursion::{Batch, Pass, Recursion, SolveOptions};
use trm::tasks::Task;
use trm::tasks::puzzle::{self, Encoded};

use super::{check_task, load_model, read_text, tokens_u32, tokens_u8};

/// Solve one puzzle, printing the predicted grid and halting probability of every step.
#[derive(clap::Args)]
pub struct SolveArgs {
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
}

pub fn run(args: SolveArgs) -> Result<ExitCode, String> {
    let SolveArgs { model, task, puzzle, file, test_index, puzzle_id, backend, steps, stop_on_halt, inner, json } = args;
    let (net, names, dev) = load_model(&model, backend)?;
    check_task(&net, task)?;
    let text = match (puzzle, file) {
        (Some(p), _) => p,
        (None, Some(f)) => read_text(&f)?,
        (None, None) => unreachable!("clap requires one"),
    };
    let enc = puzzle::encode(task, &text, net.config.seq_len, test_index).map_err(|e| e.to_string())?;
    for note in &enc.notes {
        eprintln!("note: {note}");
    }
    let puzzle_id = match puzzle_id.as_deref() {
        None => 0,
        Some(s) => s.parse::<u32>().or_else(|_| {
            names
                .as_deref()
                .and_then(|n| n.iter().position(|x| x == s))
                .map(|p| p as u32)
                .ok_or_else(|| format!("puzzle identifier `{s}` is not in this model's identifiers"))
        })?,
    };
    let options = SolveOptions { max_steps: steps.unwrap_or(net.config.halt_max_steps), stop_on_halt, inner };
    solve(&net, &dev, &enc, puzzle_id, options, json)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct JsonPass<'a> {
    #[serde(flatten)]
    pass: &'a Pass,
    ms: f64,
}

/// Run the recursion on one puzzle, printing every pass.
fn solve(model: &Trm, device: &Device, enc: &Encoded, puzzle_id: u32, options: SolveOptions, json: bool) -> Result<(), String> {
    let tokens = tokens_u32(&enc.tokens);
    let batch = Batch::new(std::slice::from_ref(&tokens), &[puzzle_id], model).map_err(|e| e.to_string())?;
    let mut rec = Recursion::new(model, &batch, options, device);
    let mut out = Vec::new();
    let mut last = enc.tokens.clone();
    while !rec.is_done() {
        let t = std::time::Instant::now();
        let passes = rec.step().read()?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        rec.observe(&passes);
        for p in &passes {
            if p.inner.is_none() {
                last = tokens_u8(&p.tokens);
            }
            if json {
                out.push(serde_json::to_value(JsonPass { pass: p, ms }).expect("serialisable"));
                continue;
            }
            match (p.inner, p.halt_prob.first()) {
                (Some(kind), _) => println!("step {} {:?}:", p.step, kind),
                (None, Some(h)) => println!("step {} ({ms:.0} ms): halt probability {h:.3}", p.step),
                (None, None) => println!("step {}:", p.step),
            }
            let predicted = tokens_u8(&p.tokens);
            print!("{}", puzzle::render(enc.task, &predicted, enc.rows, enc.cols));
            let conflicts = if enc.task == Task::Sudoku { puzzle::sudoku_conflicts(&predicted).len() } else { 0 };
            if conflicts > 0 {
                println!("({conflicts} cells in conflict)");
            }
        }
    }
    let verdict = puzzle::verdict(enc.task, &enc.tokens, &last, enc.rows, enc.cols, None);
    if json {
        let v = serde_json::json!({
            "task": enc.task.name(), "tokens": tokens, "puzzleIds": [puzzle_id], "passes": out, "verdict": verdict,
        });
        println!("{}", serde_json::to_string(&v).expect("serialisable"));
    } else if !verdict.summary.is_empty() {
        println!("verdict: {}", verdict.summary);
    }
    Ok(())
}
