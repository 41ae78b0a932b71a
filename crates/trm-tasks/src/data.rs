//! Data-file level operations for the CLI (`trm data gen`, `trm data check`): generating CSV
//! files and validating every row of one.

use super::{Result, Task, TaskError, csv_data_lines, maze, split_csv_row, sudoku};
use std::fmt;

/// Why one data row failed the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowFailure {
    /// Line number in the file, counting from 1 (the header is line 1).
    pub line: usize,
    pub reason: String,
}

/// Result of checking a data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub task: Task,
    /// Data rows examined (for ARC JSON: tasks).
    pub rows: usize,
    pub failures: Vec<RowFailure>,
}

impl CheckReport {
    /// Rows that passed.
    pub fn passed(&self) -> usize {
        self.rows - self.failures.len()
    }

    /// True when every row passed.
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

impl fmt::Display for CheckReport {
    /// A summary line, then up to 20 failures.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} rows, {} passed, {} failed",
            self.task,
            self.rows,
            self.passed(),
            self.failures.len()
        )?;
        for fail in self.failures.iter().take(20) {
            writeln!(f, "  line {}: {}", fail.line, fail.reason)?;
        }
        if self.failures.len() > 20 {
            writeln!(f, "  ... {} more", self.failures.len() - 20)?;
        }
        Ok(())
    }
}

/// Guesses the exact solver may make on one row of a file being checked: real puzzles need
/// far fewer (the demo gallery's hardest 36, a famous "hardest" puzzle a few hundred); a grid
/// built to defeat the search is reported instead of hanging the check.
pub const SOLVE_BUDGET: u64 = 1_000_000;

/// Checks a Sudoku row: the question is consistent and has exactly one solution, and the
/// answer is that solution.
pub fn check_sudoku_row(row: &sudoku::Row) -> std::result::Result<(), String> {
    if !row.question.conflicts().is_empty() {
        return Err("question breaks a row/column/box rule".into());
    }
    let Some(solution) = sudoku::solve_within(&row.question, SOLVE_BUDGET) else {
        return Err(format!("could not decide within {SOLVE_BUDGET} guesses whether the question has one solution"));
    };
    match solution {
        sudoku::Solution::None => Err("question has no solution".into()),
        sudoku::Solution::Multiple(_) => Err("question has more than one solution".into()),
        sudoku::Solution::Unique(sol) if sol != row.answer => {
            Err("answer differs from the unique solution".into())
        }
        sudoku::Solution::Unique(_) => Ok(()),
    }
}

/// Checks a maze row: the question has one S and one G and no path marks, and the answer is
/// the question with one shortest S-to-G path marked.
pub fn check_maze_row(row: &maze::Row) -> std::result::Result<(), String> {
    let q = &row.question;
    if q.start().is_none() || q.goal().is_none() {
        return Err("question needs exactly one S and one G".into());
    }
    if q.path_len() != 0 {
        return Err("question contains path cells".into());
    }
    if q.shortest_distance().is_none() {
        return Err("G is unreachable from S".into());
    }
    let v = maze::judge(q, &row.answer, None);
    if !v.valid_path {
        return Err("answer is not a path from S to G over open cells".into());
    }
    if !v.shortest {
        return Err("answer path is not a shortest path".into());
    }
    Ok(())
}

/// Which task a CSV text holds, from the length of the first row's question (81 or 900).
pub fn detect_task(text: &str) -> Result<Task> {
    if text.trim_start().starts_with('{') {
        return Ok(Task::Arc);
    }
    let Some((line, first)) = csv_data_lines(text).next() else {
        return Err(TaskError::invalid("no data rows"));
    };
    let [_, q, _, _] = split_csv_row(first, line)?;
    match q.chars().count() {
        sudoku::SEQ_LEN => Ok(Task::Sudoku),
        maze::SEQ_LEN => Ok(Task::Maze),
        n => Err(TaskError::Csv {
            line,
            msg: format!("question has {n} characters: neither Sudoku (81) nor maze (900)"),
        }),
    }
}

/// Checks every row of a data file. CSV files (Sudoku or maze, detected by [`detect_task`])
/// are checked row by row and malformed rows are reported as failures; ARC JSON (a single
/// task or a Kaggle challenges file) is parsed and validated as a whole.
pub fn check(text: &str) -> Result<CheckReport> {
    check_with_progress(text, |_| {})
}

/// [`check`], calling `progress(rows_done)` after each row (for a progress bar).
pub fn check_with_progress(text: &str, mut progress: impl FnMut(usize)) -> Result<CheckReport> {
    let task = detect_task(text)?;
    let mut report = CheckReport {
        task,
        rows: 0,
        failures: Vec::new(),
    };
    if task == Task::Arc {
        let n = match super::arc::ArcTask::from_json(text) {
            Ok(_) => 1,
            Err(single) => super::arc::load_kaggle(text, None)
                .map_err(|e| {
                    TaskError::invalid(format!(
                        "neither a task ({single}) nor a challenges file ({e})"
                    ))
                })?
                .len(),
        };
        report.rows = n;
        progress(n);
        return Ok(report);
    }
    for (line, l) in csv_data_lines(text) {
        let outcome = match task {
            Task::Sudoku => sudoku::Row::parse(l, line)
                .map_err(|e| e.to_string())
                .and_then(|r| check_sudoku_row(&r)),
            _ => maze::Row::parse(l, line)
                .map_err(|e| e.to_string())
                .and_then(|r| check_maze_row(&r)),
        };
        report.rows += 1;
        if let Err(reason) = outcome {
            report.failures.push(RowFailure { line, reason });
        }
        progress(report.rows);
    }
    Ok(report)
}

/// `count` generated Sudokus as CSV (see [`sudoku::Generator`]); `difficulty: None` mixes all
/// grades in turn.
pub fn generate_sudoku_csv(
    count: usize,
    seed: u64,
    difficulty: Option<sudoku::Difficulty>,
) -> String {
    sudoku::generate_csv(count, seed, difficulty)
}

/// `count` generated mazes as CSV (see [`maze::generate`]).
pub fn generate_maze_csv(count: usize, seed: u64, params: maze::MazeParams) -> Result<String> {
    maze::generate_csv(count, seed, params)
}
