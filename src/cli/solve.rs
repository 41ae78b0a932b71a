//! `trm solve`: one puzzle, every pass printed (or as JSON lines of the runtime's shape).

use std::path::PathBuf;
use std::process::ExitCode;

use burn::tensor::Device;
use serde::Serialize;

use trm::device::Backend;
use trm::model::Trm;
use trm::recursion::{Batch, Pass, Recursion, SolveOptions};
use trm::tasks::{Task, arc, maze, sudoku};

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
    let enc = encode(task, &text, test_index, puzzle_id.as_deref(), names.as_deref(), net.config.seq_len)?;
    let options = SolveOptions { max_steps: steps.unwrap_or(net.config.halt_max_steps), stop_on_halt, inner };
    solve(&net, &dev, &enc, options, json)?;
    Ok(ExitCode::SUCCESS)
}

/// A puzzle as the model sees it, plus what is needed to show predictions.
pub struct Encoded {
    pub task: Task,
    pub tokens: Vec<u32>,
    pub puzzle_id: u32,
    render: Box<dyn Fn(&[u32]) -> String>,
}

/// Parse a puzzle for `task`: Sudoku and maze text, or an ARC task JSON (its `test_index`-th
/// test input). `puzzle_id` may be a number or, for ARC, a name from the model's identifiers.
/// `seq_len` is the model's: a maze model may use a canvas smaller than 30×30.
pub fn encode(
    task: Task,
    text: &str,
    test_index: usize,
    puzzle_id: Option<&str>,
    names: Option<&[String]>,
    seq_len: usize,
) -> Result<Encoded, String> {
    let id_from = |wanted: Option<&str>| -> Result<u32, String> {
        match wanted {
            None => Ok(0),
            Some(s) => s.parse::<u32>().or_else(|_| {
                names
                    .and_then(|n| n.iter().position(|x| x == s))
                    .map(|p| p as u32)
                    .ok_or_else(|| format!("puzzle identifier `{s}` is not in this model's identifiers"))
            }),
        }
    };
    match task {
        Task::Sudoku => {
            let grid = sudoku::Grid::parse(text).map_err(|e| e.to_string())?;
            Ok(Encoded {
                task,
                tokens: tokens_u32(&grid.to_tokens()),
                puzzle_id: id_from(puzzle_id)?,
                render: Box::new(|t| match sudoku::Grid::from_tokens(&tokens_u8(t)) {
                    Ok(g) => {
                        let conflicts = g.conflicts().len();
                        format!("{}{}", g.to_pretty(), if conflicts > 0 { format!("({conflicts} cells in conflict)\n") } else { String::new() })
                    }
                    // Untrained models also predict PAD and blank: show those as `?` and `.`.
                    Err(_) => raw_grid(t, 9, |v| match v {
                        2..=10 => char::from(b'0' + v as u8 - 1),
                        1 => '.',
                        _ => '?',
                    }),
                }),
            })
        }
        Task::Maze => {
            let m = maze::Maze::parse(text).map_err(|e| e.to_string())?;
            let side = maze::canvas_side(seq_len).ok_or_else(|| format!("{seq_len} tokens are not a maze canvas"))?;
            let (rows, cols) = (m.rows().min(side), m.cols().min(side));
            Ok(Encoded {
                task,
                tokens: tokens_u32(&m.to_tokens_on(side).map_err(|e| e.to_string())?),
                puzzle_id: id_from(puzzle_id)?,
                render: Box::new(move |t| match maze::Maze::from_canvas_tokens(&tokens_u8(t)) {
                    Ok(p) => match p.cropped(rows, cols) {
                        Ok(m) => format!("{}\n", m.to_text()),
                        Err(e) => format!("(cannot crop: {e})\n"),
                    },
                    Err(_) => raw_grid(t, side, |v| maze::CHARSET.chars().nth((v as usize).wrapping_sub(1)).unwrap_or('?')),
                }),
            })
        }
        Task::Arc => {
            let arc_task = arc::ArcTask::from_json(text).map_err(|e| e.to_string())?;
            let test = arc_task
                .test
                .get(test_index)
                .ok_or_else(|| format!("the task has {} test inputs", arc_task.test.len()))?;
            let tokens = arc::encode(&test.input, 0, 0).map_err(|e| e.to_string())?;
            Ok(Encoded {
                task,
                tokens: tokens_u32(&tokens),
                puzzle_id: id_from(puzzle_id)?,
                render: Box::new(|t| match arc::crop(&tokens_u8(t)) {
                    Ok(g) => g.to_rows().iter().map(|r| r.iter().map(|c| char::from(b'0' + c)).collect::<String>() + "\n").collect(),
                    Err(e) => format!("(no grid: {e})\n"),
                }),
            })
        }
    }
}

/// A token grid drawn cell by cell, for predictions that are not valid puzzles.
fn raw_grid(tokens: &[u32], width: usize, cell: impl Fn(u32) -> char) -> String {
    tokens.chunks(width).map(|row| row.iter().map(|&v| cell(v)).collect::<String>() + "\n").collect()
}

impl Encoded {
    pub fn render(&self, tokens: &[u32]) -> String {
        (self.render)(tokens)
    }
}

#[derive(Serialize)]
struct JsonPass<'a> {
    #[serde(flatten)]
    pass: &'a Pass,
    ms: f64,
}

/// Run the recursion on one puzzle, printing every pass.
fn solve(model: &Trm, device: &Device, enc: &Encoded, options: SolveOptions, json: bool) -> Result<(), String> {
    let batch = Batch::new(std::slice::from_ref(&enc.tokens), &[enc.puzzle_id], model).map_err(|e| e.to_string())?;
    let mut rec = Recursion::new(model, &batch, options, device);
    let mut out = Vec::new();
    while !rec.is_done() {
        let t = std::time::Instant::now();
        let passes = rec.step().read()?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        rec.observe(&passes);
        for p in &passes {
            if json {
                out.push(serde_json::to_value(JsonPass { pass: p, ms }).expect("serialisable"));
                continue;
            }
            match (p.inner, p.halt_prob.first()) {
                (Some(kind), _) => println!("step {} {:?}:", p.step, kind),
                (None, Some(h)) => println!("step {} ({ms:.0} ms): halt probability {h:.3}", p.step),
                (None, None) => println!("step {}:", p.step),
            }
            print!("{}", enc.render(&p.tokens));
        }
    }
    if json {
        let v = serde_json::json!({
            "task": enc.task.name(), "tokens": enc.tokens, "puzzle_ids": [enc.puzzle_id], "passes": out,
        });
        println!("{}", serde_json::to_string(&v).expect("serialisable"));
    }
    Ok(())
}
