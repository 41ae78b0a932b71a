//! The task-facing commands of `trm`: solve one puzzle showing every pass, evaluate a model on a
//! data file, generate and check data. Puzzle codecs come from [`trm::tasks`].

use std::collections::BTreeMap;
use std::path::Path;

use burn::tensor::Device;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use trm::model::Trm;
use trm::recursion::{Batch, Pass, Recursion, SolveOptions};
use trm::tasks::{Task, arc, maze, sudoku};

pub mod train;

pub fn check_task(model: &Trm, task: Task) -> Result<(), String> {
    match model.config.task() {
        Some(t) if t == task => Ok(()),
        other => Err(format!(
            "this model (vocab {}, {} cells) is not a {} model{}",
            model.config.vocab_size,
            model.config.seq_len,
            task.name(),
            other.map(|t| format!("; it is a {} model", t.name())).unwrap_or_default()
        )),
    }
}

/// A puzzle as the model sees it, plus what is needed to show predictions.
pub struct Encoded {
    pub task: Task,
    pub tokens: Vec<u32>,
    pub puzzle_id: u32,
    render: Box<dyn Fn(&[u32]) -> String>,
}

fn tokens_u32(t: &[u8]) -> Vec<u32> {
    t.iter().map(|&v| v as u32).collect()
}

fn tokens_u8(t: &[u32]) -> Vec<u8> {
    t.iter().map(|&v| v.min(255) as u8).collect()
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
pub fn solve(model: &Trm, device: &Device, enc: &Encoded, options: SolveOptions, json: bool) -> Result<(), String> {
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
    pub all: Tally,
    /// Sudoku: by difficulty grade.
    pub by_grade: BTreeMap<String, Tally>,
    pub seconds: f64,
}

/// Exact accuracy of a model on a CSV data file (Sudoku or maze), after `steps` steps.
pub fn eval(
    model: &Trm,
    device: &Device,
    data: &Path,
    steps: usize,
    batch_size: usize,
    limit: Option<usize>,
    quiet: bool,
) -> Result<EvalReport, String> {
    let text = std::fs::read_to_string(data).map_err(|e| format!("{}: {e}", data.display()))?;
    let task = trm::tasks::data::detect_task(&text).map_err(|e| e.to_string())?;
    check_task(model, task)?;
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
    let mut report = EvalReport { task: task.name(), steps, all: Tally::default(), by_grade: BTreeMap::new(), seconds: 0.0 };
    let options = SolveOptions { max_steps: steps, stop_on_halt: false, inner: false };
    let seq = model.config.seq_len;
    for chunk in rows.chunks(batch_size.max(1)) {
        let questions: Vec<Vec<u32>> = chunk.iter().map(|r| r.0.clone()).collect();
        let batch = Batch::new(&questions, &[], model).map_err(|e| e.to_string())?;
        let last = Recursion::new(model, &batch, options, device).run(|_| {})?;
        let end = last.iter().find(|p| p.inner.is_none()).ok_or("no pass")?;
        for (i, (q, answer, grade)) in chunk.iter().enumerate() {
            let pred = tokens_u8(&end.tokens[i * seq..(i + 1) * seq]);
            let exact = pred == *answer;
            let shortest = task == Task::Maze && {
                let puzzle = maze::Maze::from_canvas_tokens(&tokens_u8(q)).map_err(|e| e.to_string())?;
                let label = maze::Maze::from_canvas_tokens(answer).map_err(|e| e.to_string())?;
                maze::judge_tokens(&puzzle, &pred, Some(&label)).shortest
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
        "{}: {} puzzles, {} steps, exact accuracy {:.2}% ({}/{}){} in {:.1} s",
        r.task,
        r.all.total,
        r.steps,
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
