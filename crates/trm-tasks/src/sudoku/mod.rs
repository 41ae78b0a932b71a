//! Sudoku: 9x9 grids, the reference token layout, CSV rows, validation, an exact solver, a
//! human-technique grader, a seeded generator and the training augmentations.
//!
//! Token layout (§5.2): 81 tokens, row-major; 0 = PAD, 1 = blank cell, digit `d` = `d + 1`.

mod augment;
mod generate;
mod grade;
mod solver;

pub use augment::Augmentation;
pub use generate::{Generated, Generator, generate, generate_csv, generate_with_givens};
pub use grade::{Difficulty, EXTREME_GUESSES, Grading, Technique, grade};
pub use solver::{Solution, SolveStats, count_solutions, solve, solve_stats, solve_within};

use super::{Result, TaskError, csv_data_lines, parse_rating, split_csv_row};
use std::fmt;
use std::str::FromStr;

/// Tokens per puzzle.
pub const SEQ_LEN: usize = 81;
/// Vocabulary size: PAD, blank, digits 1..9.
pub const VOCAB_SIZE: usize = 11;
/// Token of an empty cell.
pub const BLANK_TOKEN: u8 = 1;

/// A 9x9 grid, row-major; 0 is an empty cell, 1..=9 a digit. Used for puzzles, solutions and
/// (possibly wrong) predictions alike.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Grid {
    cells: [u8; 81],
}

impl Default for Grid {
    fn default() -> Self {
        Grid { cells: [0; 81] }
    }
}

impl Grid {
    /// The empty grid.
    pub const EMPTY: Grid = Grid { cells: [0; 81] };

    /// Builds a grid from 81 values in 0..=9 (0 = empty).
    pub fn from_cells(cells: [u8; 81]) -> Result<Grid> {
        if let Some(i) = cells.iter().position(|&v| v > 9) {
            return Err(TaskError::invalid(format!(
                "cell {i} holds {} (expected 0..=9)",
                cells[i]
            )));
        }
        Ok(Grid { cells })
    }

    /// Parses the common text forms: 81 cells, digits `1`-`9`, `.` or `0` for an empty cell.
    /// Whitespace (including line breaks), box lines (`|`, `+`, `-`) and JSON punctuation
    /// (`[`, `]`, `,`) are ignored, so one-line, 9-line, boxed and JSON (`[[5,3,0,...],...]`)
    /// forms all work.
    pub fn parse(text: &str) -> Result<Grid> {
        let mut cells = [0u8; 81];
        let mut n = 0usize;
        for (pos, ch) in text.chars().enumerate() {
            let v = match ch {
                c if c.is_whitespace() => continue,
                '|' | '+' | '-' | '[' | ']' | ',' => continue,
                '.' | '0' => 0,
                '1'..='9' => ch as u8 - b'0',
                other => {
                    return Err(TaskError::invalid(format!(
                        "unexpected character {other:?} at position {pos} (expected 1-9, '.' or '0' for a blank)"
                    )));
                }
            };
            if n == 81 {
                return Err(TaskError::invalid("more than 81 cells"));
            }
            cells[n] = v;
            n += 1;
        }
        if n != 81 {
            return Err(TaskError::invalid(format!("expected 81 cells, found {n}")));
        }
        Ok(Grid { cells })
    }

    /// The 81 cell values (0 = empty).
    pub fn cells(&self) -> &[u8; 81] {
        &self.cells
    }

    /// Value at row `r`, column `c` (0 = empty); `None` outside the grid.
    pub fn get(&self, r: usize, c: usize) -> Option<u8> {
        (r < 9 && c < 9).then(|| self.cells[r * 9 + c])
    }

    /// Sets row `r`, column `c` to `v` (0 clears the cell). Values above 9 are ignored.
    pub fn set(&mut self, r: usize, c: usize, v: u8) {
        if r < 9 && c < 9 && v <= 9 {
            self.cells[r * 9 + c] = v;
        }
    }

    /// Number of filled cells.
    pub fn filled(&self) -> usize {
        self.cells.iter().filter(|&&v| v != 0).count()
    }

    /// True when no cell is empty.
    pub fn is_full(&self) -> bool {
        self.cells.iter().all(|&v| v != 0)
    }

    /// One-line form with `.` for empty cells (the reference `question` column).
    pub fn to_line(&self) -> String {
        self.cells
            .iter()
            .map(|&v| if v == 0 { '.' } else { (b'0' + v) as char })
            .collect()
    }

    /// Nine lines of nine characters, `.` for empty cells.
    pub fn to_pretty(&self) -> String {
        let line = self.to_line();
        let mut s = String::with_capacity(90);
        for r in 0..9 {
            s.push_str(&line[r * 9..r * 9 + 9]);
            s.push('\n');
        }
        s
    }

    /// Model input tokens: blank = 1, digit `d` = `d + 1`.
    pub fn to_tokens(&self) -> [u8; 81] {
        self.cells.map(|v| v + 1)
    }

    /// Decodes 81 tokens (1 = blank, 2..=10 = digits). PAD (0) or out-of-vocabulary tokens are
    /// an error, since a Sudoku sequence has none.
    pub fn from_tokens(tokens: &[u8]) -> Result<Grid> {
        if tokens.len() != SEQ_LEN {
            return Err(TaskError::invalid(format!(
                "expected 81 tokens, got {}",
                tokens.len()
            )));
        }
        let mut cells = [0u8; 81];
        for (i, (&t, cell)) in tokens.iter().zip(cells.iter_mut()).enumerate() {
            if !(1..=10).contains(&t) {
                return Err(TaskError::invalid(format!(
                    "token {t} at position {i} is not a Sudoku cell token (1..=10)"
                )));
            }
            *cell = t - 1;
        }
        Ok(Grid { cells })
    }

    /// Cells (indices 0..81) involved in a row, column or box duplicate.
    pub fn conflicts(&self) -> Vec<usize> {
        let mut bad = [false; 81];
        for unit in UNITS.iter() {
            for (a, &ca) in unit.iter().enumerate() {
                let va = self.cells[ca as usize];
                if va == 0 {
                    continue;
                }
                for &cb in &unit[a + 1..] {
                    if self.cells[cb as usize] == va {
                        bad[ca as usize] = true;
                        bad[cb as usize] = true;
                    }
                }
            }
        }
        (0..81).filter(|&i| bad[i]).collect()
    }

    /// Compares an attempt with the puzzle it answers; see [`Check`].
    pub fn check_against(&self, puzzle: &Grid) -> Check {
        let givens_changed = (0..81)
            .filter(|&i| puzzle.cells[i] != 0 && self.cells[i] != puzzle.cells[i])
            .collect();
        Check {
            conflicts: self.conflicts(),
            givens_changed,
            complete: self.is_full(),
        }
    }
}

impl fmt::Display for Grid {
    /// The one-line form, so that `Display` and [`FromStr`] round-trip.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_line())
    }
}

impl fmt::Debug for Grid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Grid({})", self.to_line())
    }
}

impl FromStr for Grid {
    type Err = TaskError;
    fn from_str(s: &str) -> Result<Grid> {
        Grid::parse(s)
    }
}

/// Outcome of checking an attempt against its puzzle, with per-cell detail for a UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Cells taking part in a row/column/box duplicate.
    pub conflicts: Vec<usize>,
    /// Given cells of the puzzle whose value was changed or erased.
    pub givens_changed: Vec<usize>,
    /// No empty cell left.
    pub complete: bool,
}

impl Check {
    /// Solved: complete, no conflict, every given kept. For a unique puzzle this is the same as
    /// equality with its solution.
    pub fn is_solved(&self) -> bool {
        self.complete && self.conflicts.is_empty() && self.givens_changed.is_empty()
    }
}

/// One row of the reference CSV (`source,question,answer,rating`).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Free-form origin; generated rows hold their [`Difficulty`] name.
    pub source: String,
    pub question: Grid,
    pub answer: Grid,
    /// Difficulty score (for generated rows: search effort, see [`SolveStats::guesses`]).
    pub rating: f64,
}

impl Row {
    /// Parses one CSV data line; `line` is used in error messages.
    pub fn parse(text: &str, line: usize) -> Result<Row> {
        let [source, q, a, rating] = split_csv_row(text, line)?;
        let err = |what: &str, e: TaskError| TaskError::Csv {
            line,
            msg: format!("{what}: {e}"),
        };
        let question = parse_row_grid(q).map_err(|e| err("question", e))?;
        let answer = parse_row_grid(a).map_err(|e| err("answer", e))?;
        Ok(Row {
            source: source.to_string(),
            question,
            answer,
            rating: parse_rating(rating, line)?,
        })
    }

    /// The CSV line (without newline); `answer` is written as 81 digits.
    pub fn to_csv(&self) -> String {
        let answer: String = self
            .answer
            .cells
            .iter()
            .map(|&v| (b'0' + v) as char)
            .collect();
        format!(
            "{},{},{},{}",
            self.source,
            self.question.to_line(),
            answer,
            self.rating
        )
    }
}

/// The CSV header line of the reference files.
pub const CSV_HEADER: &str = "source,question,answer,rating";

/// Parses a CSV field: exactly 81 characters, no whitespace tolerated inside a field.
fn parse_row_grid(s: &str) -> Result<Grid> {
    let n = s.chars().count();
    if n != 81 {
        return Err(TaskError::invalid(format!(
            "expected 81 characters, found {n}"
        )));
    }
    if s.chars().any(char::is_whitespace) {
        return Err(TaskError::invalid("whitespace inside a grid field"));
    }
    Grid::parse(s)
}

/// Parses a whole reference CSV text (header skipped); stops at the first malformed line.
pub fn parse_csv(text: &str) -> Result<Vec<Row>> {
    csv_rows(text).collect()
}

/// Lazily parses the data lines of a reference CSV text (for large files).
pub fn csv_rows(text: &str) -> impl Iterator<Item = Result<Row>> + '_ {
    csv_data_lines(text).map(|(n, l)| Row::parse(l, n))
}

// ---------------------------------------------------------------------------------------------
// Geometry tables shared by the solver and the grader.

/// The 27 units: rows 0..9, columns 9..18, boxes 18..27.
pub(crate) const UNITS: [[u8; 9]; 27] = build_units();
/// For each cell, its row, column and box unit index.
pub(crate) const CELL_UNITS: [[u8; 3]; 81] = build_cell_units();
/// For each cell, the 20 other cells sharing a unit with it.
pub(crate) const PEERS: [[u8; 20]; 81] = build_peers();

const fn box_of(cell: usize) -> usize {
    (cell / 27) * 3 + (cell % 9) / 3
}

const fn build_units() -> [[u8; 9]; 27] {
    let mut u = [[0u8; 9]; 27];
    let mut i = 0;
    while i < 9 {
        let mut k = 0;
        while k < 9 {
            u[i][k] = (i * 9 + k) as u8;
            u[9 + i][k] = (k * 9 + i) as u8;
            let (br, bc) = ((i / 3) * 3, (i % 3) * 3);
            u[18 + i][k] = ((br + k / 3) * 9 + bc + k % 3) as u8;
            k += 1;
        }
        i += 1;
    }
    u
}

const fn build_cell_units() -> [[u8; 3]; 81] {
    let mut t = [[0u8; 3]; 81];
    let mut c = 0;
    while c < 81 {
        t[c] = [(c / 9) as u8, (9 + c % 9) as u8, (18 + box_of(c)) as u8];
        c += 1;
    }
    t
}

const fn build_peers() -> [[u8; 20]; 81] {
    let mut p = [[0u8; 20]; 81];
    let mut c = 0;
    while c < 81 {
        let mut n = 0;
        let mut o = 0;
        while o < 81 {
            if o != c && (o / 9 == c / 9 || o % 9 == c % 9 || box_of(o) == box_of(c)) {
                p[c][n] = o as u8;
                n += 1;
            }
            o += 1;
        }
        c += 1;
    }
    p
}
