//! Puzzle codecs, generators and validators (no burn dependency).
//!
//! The model only sees token sequences; this layer turns puzzles people know (Sudoku, mazes,
//! ARC-AGI tasks) into exactly the token layouts of the reference datasets
//! (`trm-reference.md` §5) and back, and provides the solvers, generators and checkers that
//! label data and score predictions. Everything here is plain Rust so that the CLI, the trainer,
//! the tests, the fuzzers and the wasm runtime share one implementation.

pub mod arc;
pub mod data;
pub mod edit;
pub mod gallery;
pub mod maze;
pub mod puzzle;
pub mod sudoku;

use std::fmt;
use std::str::FromStr;

/// Errors of the task layer. Parsers return these for malformed input instead of panicking.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// The input does not describe a valid puzzle, grid or token sequence.
    #[error("{0}")]
    Invalid(String),
    /// A CSV data line is malformed (`line` counts from 1, header included).
    #[error("line {line}: {msg}")]
    Csv { line: usize, msg: String },
    /// JSON that is not well formed or does not have the expected shape.
    #[error("JSON: {0}")]
    Json(String),
}

impl TaskError {
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        TaskError::Invalid(msg.into())
    }
}

/// Result alias of the task layer.
pub type Result<T, E = TaskError> = std::result::Result<T, E>;

/// The three reference tasks, with the sequence length and vocabulary size of their datasets
/// (§5.5). A checkpoint is only usable with the task whose layout it was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Sudoku,
    Maze,
    Arc,
}

impl Task {
    /// All tasks, in a fixed order.
    pub const ALL: [Task; 3] = [Task::Sudoku, Task::Maze, Task::Arc];

    /// Tokens per example (without the 16 puzzle-embedding prefix positions).
    pub const fn seq_len(self) -> usize {
        match self {
            Task::Sudoku => sudoku::SEQ_LEN,
            Task::Maze => maze::SEQ_LEN,
            Task::Arc => arc::SEQ_LEN,
        }
    }

    /// Vocabulary size; token 0 is PAD in every task.
    pub const fn vocab_size(self) -> usize {
        match self {
            Task::Sudoku => sudoku::VOCAB_SIZE,
            Task::Maze => maze::VOCAB_SIZE,
            Task::Arc => arc::VOCAB_SIZE,
        }
    }

    /// The name people know it by ("Sudoku", "Maze", "ARC").
    pub const fn title(self) -> &'static str {
        match self {
            Task::Sudoku => "Sudoku",
            Task::Maze => "Maze",
            Task::Arc => "ARC",
        }
    }

    /// The task whose token layout a model of `seq_len` tokens and `vocab_size` reads. Maze and
    /// ARC models may use a smaller square canvas than the reference's 30×30.
    pub fn of_layout(seq_len: usize, vocab_size: usize) -> Option<Task> {
        for task in [Task::Maze, Task::Arc] {
            if vocab_size == task.vocab_size() && canvas_side(seq_len).is_some() {
                return Some(task);
            }
        }
        Task::ALL.into_iter().find(|t| t.vocab_size() == vocab_size && t.seq_len() == seq_len)
    }

    /// Lower-case name used on the command line and in file names.
    pub const fn name(self) -> &'static str {
        match self {
            Task::Sudoku => "sudoku",
            Task::Maze => "maze",
            Task::Arc => "arc",
        }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Task {
    type Err = TaskError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sudoku" => Ok(Task::Sudoku),
            "maze" => Ok(Task::Maze),
            "arc" | "arc-agi" => Ok(Task::Arc),
            other => Err(TaskError::invalid(format!(
                "unknown task {other:?} (expected sudoku, maze or arc)"
            ))),
        }
    }
}

/// Side of a square canvas of `seq_len` tokens (2..=30): the reference's grids are 30×30,
/// small maze and ARC models may use a smaller square.
pub fn canvas_side(seq_len: usize) -> Option<usize> {
    (2..=30).find(|s| s * s == seq_len)
}

/// The 8 symmetries of a square, numbered exactly as `dataset/common.py` of the reference
/// (§5.3), because ARC augmentation names (`t<id>`) refer to these ids.
///
/// Rotations follow numpy's `rot90`, i.e. counter-clockwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dihedral {
    /// id 0
    Identity,
    /// id 1: `np.rot90(x)`, a quarter turn counter-clockwise.
    Rot90,
    /// id 2: half turn.
    Rot180,
    /// id 3: `np.rot90(x, 3)`, a quarter turn clockwise.
    Rot270,
    /// id 4: `np.fliplr` (mirror columns).
    FlipLr,
    /// id 5: `np.flipud` (mirror rows).
    FlipUd,
    /// id 6: `x.T` (main-diagonal reflection).
    Transpose,
    /// id 7: `np.fliplr(np.rot90(x))` (anti-diagonal reflection).
    AntiTranspose,
}

impl Dihedral {
    /// All transforms, indexed by id.
    pub const ALL: [Dihedral; 8] = [
        Dihedral::Identity,
        Dihedral::Rot90,
        Dihedral::Rot180,
        Dihedral::Rot270,
        Dihedral::FlipLr,
        Dihedral::FlipUd,
        Dihedral::Transpose,
        Dihedral::AntiTranspose,
    ];

    /// The reference id (0..8).
    pub const fn id(self) -> u8 {
        self as u8
    }

    /// The transform with reference id `id`, if `id < 8`.
    pub const fn from_id(id: u8) -> Option<Dihedral> {
        if (id as usize) < 8 {
            Some(Self::ALL[id as usize])
        } else {
            None
        }
    }

    /// The transform undoing this one; the reference table is `[0, 3, 2, 1, 4, 5, 6, 7]`.
    pub const fn inverse(self) -> Dihedral {
        match self {
            Dihedral::Rot90 => Dihedral::Rot270,
            Dihedral::Rot270 => Dihedral::Rot90,
            other => other,
        }
    }

    /// Whether the transform swaps the number of rows and columns.
    pub const fn swaps_axes(self) -> bool {
        matches!(
            self,
            Dihedral::Rot90 | Dihedral::Rot270 | Dihedral::Transpose | Dihedral::AntiTranspose
        )
    }

    /// Shape `(rows, cols)` of the output for an input of shape `(rows, cols)`.
    pub const fn output_shape(self, rows: usize, cols: usize) -> (usize, usize) {
        if self.swaps_axes() {
            (cols, rows)
        } else {
            (rows, cols)
        }
    }

    /// The input cell `(r, c)` that lands on output cell `(i, j)` (input shape `rows` x `cols`).
    pub const fn source(self, i: usize, j: usize, rows: usize, cols: usize) -> (usize, usize) {
        let (h, w) = (rows, cols);
        match self {
            Dihedral::Identity => (i, j),
            Dihedral::Rot90 => (j, w - 1 - i),
            Dihedral::Rot180 => (h - 1 - i, w - 1 - j),
            Dihedral::Rot270 => (h - 1 - j, i),
            Dihedral::FlipLr => (i, w - 1 - j),
            Dihedral::FlipUd => (h - 1 - i, j),
            Dihedral::Transpose => (j, i),
            Dihedral::AntiTranspose => (h - 1 - j, w - 1 - i),
        }
    }

    /// Transforms a row-major `rows` x `cols` grid; returns the new shape and cells.
    ///
    /// Returns `None` when `cells.len() != rows * cols`.
    pub fn apply<T: Copy>(
        self,
        rows: usize,
        cols: usize,
        cells: &[T],
    ) -> Option<(usize, usize, Vec<T>)> {
        if cells.len() != rows.checked_mul(cols)? {
            return None;
        }
        let (out_r, out_c) = self.output_shape(rows, cols);
        let mut out = Vec::with_capacity(cells.len());
        for i in 0..out_r {
            for j in 0..out_c {
                let (r, c) = self.source(i, j, rows, cols);
                out.push(cells[r * cols + c]);
            }
        }
        Some((out_r, out_c, out))
    }
}

impl fmt::Display for Dihedral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.id())
    }
}

/// Splits a reference CSV line into its four positional columns
/// (`source,question,answer,rating`); the reference reads them by position.
pub(crate) fn split_csv_row(line: &str, line_no: usize) -> Result<[&str; 4]> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut fields = line.split(',');
    let mut out = [""; 4];
    for slot in out.iter_mut() {
        *slot = fields.next().ok_or_else(|| TaskError::Csv {
            line: line_no,
            msg: "expected 4 columns: source,question,answer,rating".into(),
        })?;
    }
    if fields.next().is_some() {
        return Err(TaskError::Csv {
            line: line_no,
            msg: "more than 4 columns (commas are not allowed inside fields)".into(),
        });
    }
    Ok(out)
}

/// Iterates over the data lines of a reference CSV text as `(line number, line)`.
///
/// The reference builders skip the first row unconditionally; here it is skipped only when it
/// looks like the header (`source,...`), so that header-less files are not silently truncated.
/// Blank lines are ignored.
pub(crate) fn csv_data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
        .filter(|(n, l)| !(*n == 1 && l.trim_start_matches('\u{feff}').starts_with("source,")))
}

/// Parses the rating column: a number (the reference files hold integers).
pub(crate) fn parse_rating(s: &str, line: usize) -> Result<f64> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(0.0);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(TaskError::Csv {
            line,
            msg: format!("rating {s:?} is not a number"),
        }),
    }
}

/// Stateless 64-bit mixer (SplitMix64 finaliser): derives an independent seed for item `index`
/// of a seeded batch, so that item `i` is the same whatever the batch size or thread count.
pub fn item_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
