//! ARC-AGI: task JSON, the 30x30 canvas encoding with EOS markers, the reference crop rule,
//! dihedral/colour augmentations and their names, and the augmentation voting that turns
//! many model outputs into pass@K scores (§5.4, §5.6).
//!
//! Token layout: 900 tokens (30x30, row-major); 0 = PAD, 1 = EOS, colour `c` = `c + 2`.

use super::{Dihedral, Result, TaskError};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Side of the model canvas (and largest ARC grid side).
pub const SIZE: usize = 30;
/// Tokens per grid.
pub const SEQ_LEN: usize = SIZE * SIZE;
/// Vocabulary size: PAD, EOS, colours 0..=9.
pub const VOCAB_SIZE: usize = 12;
/// Padding token.
pub const PAD: u8 = 0;
/// End-of-grid marker (the row below and the column right of a grid).
pub const EOS: u8 = 1;
/// Token of colour 0; colour `c` is `COLOR_OFFSET + c`.
pub const COLOR_OFFSET: u8 = 2;
/// Separator of augmented puzzle names, `<id>|||t<tid>|||<perm>`.
pub const NAME_SEPARATOR: &str = "|||";
/// Name of puzzle identifier 0 (padding rows), which the evaluator skips.
pub const BLANK_NAME: &str = "<blank>";

/// A grid of colours 0..=9, at most 30x30, row-major. Grids read from task JSON are at least
/// 1x1; the empty 0x0 grid only arises from cropping a prediction with no colour at the top-left.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<Vec<u8>>", into = "Vec<Vec<u8>>")]
pub struct Grid {
    rows: usize,
    cols: usize,
    cells: Vec<u8>,
}

impl Grid {
    /// Builds a grid; sides 1..=30 (or 0x0), colours 0..=9, `cells.len() == rows * cols`.
    pub fn new(rows: usize, cols: usize, cells: Vec<u8>) -> Result<Grid> {
        let empty = rows == 0 && cols == 0;
        if !empty && (!(1..=SIZE).contains(&rows) || !(1..=SIZE).contains(&cols)) {
            return Err(TaskError::invalid(format!(
                "grid size {rows}x{cols} outside 1..=30"
            )));
        }
        if cells.len() != rows * cols {
            return Err(TaskError::invalid(format!(
                "{} cells for a {rows}x{cols} grid",
                cells.len()
            )));
        }
        if let Some(&c) = cells.iter().find(|&&c| c > 9) {
            return Err(TaskError::invalid(format!("colour {c} outside 0..=9")));
        }
        Ok(Grid { rows, cols, cells })
    }

    /// Builds a grid from rows (the JSON form); must be non-empty and rectangular.
    pub fn from_rows(rows: &[Vec<u8>]) -> Result<Grid> {
        let cols = rows.first().map_or(0, Vec::len);
        if rows.is_empty() || cols == 0 {
            return Err(TaskError::invalid("empty grid"));
        }
        if rows.iter().any(|r| r.len() != cols) {
            return Err(TaskError::invalid("grid rows have different lengths"));
        }
        Grid::new(rows.len(), cols, rows.concat())
    }

    /// Parses a grid typed or pasted by a person: JSON rows (`[[0,1],[2,3]]`), or one line per
    /// row of colour digits, written together (`0123`) or separated by spaces or commas.
    /// Blank lines around the grid are ignored.
    pub fn parse(text: &str) -> Result<Grid> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TaskError::invalid("the grid is empty: write rows of colour digits 0-9, or JSON [[...]]"));
        }
        if text.starts_with('[') {
            let rows: Vec<Vec<u8>> = serde_json::from_str(text).map_err(|e| TaskError::Json(e.to_string()))?;
            return Grid::from_rows(&rows);
        }
        let mut rows = Vec::new();
        for (r, line) in text.lines().enumerate() {
            let line = line.trim();
            let spaced = line.contains(|c: char| c.is_whitespace() || c == ',');
            let cells: Vec<&str> = if spaced {
                line.split(|c: char| c.is_whitespace() || c == ',').filter(|s| !s.is_empty()).collect()
            } else {
                line.char_indices().map(|(i, ch)| &line[i..i + ch.len_utf8()]).collect()
            };
            let row = cells
                .iter()
                .enumerate()
                .map(|(c, cell)| match cell.as_bytes() {
                    [d @ b'0'..=b'9'] => Ok(d - b'0'),
                    _ => Err(TaskError::invalid(format!(
                        "unexpected {cell:?} in row {}, column {} (colours are 0-9)",
                        r + 1,
                        c + 1
                    ))),
                })
                .collect::<Result<Vec<u8>>>()?;
            rows.push(row);
        }
        if let Some((r, row)) = rows.iter().enumerate().find(|(_, row)| row.len() != rows[0].len()) {
            return Err(TaskError::invalid(format!(
                "row {} has {} cells, row 1 has {}",
                r + 1,
                row.len(),
                rows[0].len()
            )));
        }
        Grid::from_rows(&rows)
    }

    /// Rows of colours (the JSON form).
    pub fn to_rows(&self) -> Vec<Vec<u8>> {
        if self.cols == 0 {
            return Vec::new();
        }
        self.cells.chunks(self.cols).map(<[u8]>::to_vec).collect()
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row-major colours.
    pub fn cells(&self) -> &[u8] {
        &self.cells
    }

    /// Colour at row `r`, column `c`, if inside.
    pub fn get(&self, r: usize, c: usize) -> Option<u8> {
        (r < self.rows && c < self.cols).then(|| self.cells[r * self.cols + c])
    }

    /// Model tokens of this grid at the top-left of the canvas (how test inputs are encoded).
    pub fn to_tokens(&self) -> [u8; SEQ_LEN] {
        // A grid that passed `new` always fits at (0, 0).
        encode(self, 0, 0).unwrap_or([PAD; SEQ_LEN])
    }

    /// Applies a dihedral transform (reference ids).
    pub fn transform(&self, t: Dihedral) -> Grid {
        match t.apply(self.rows, self.cols, &self.cells) {
            Some((rows, cols, cells)) => Grid { rows, cols, cells },
            None => self.clone(),
        }
    }

    /// Recolours every cell `c` to `map[c]`.
    pub fn map_colors(&self, map: &[u8; 10]) -> Grid {
        let cells = self
            .cells
            .iter()
            .map(|&c| map[c as usize % 10] % 10)
            .collect();
        Grid {
            rows: self.rows,
            cols: self.cols,
            cells,
        }
    }

    /// SHA-256 (hex) of the shape bytes then the colour bytes, exactly like the reference
    /// `_grid_hash`; the evaluator's identity of a grid.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update([self.rows as u8, self.cols as u8]);
        h.update(&self.cells);
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl TryFrom<Vec<Vec<u8>>> for Grid {
    type Error = TaskError;
    fn try_from(rows: Vec<Vec<u8>>) -> Result<Grid> {
        Grid::from_rows(&rows)
    }
}

impl From<Grid> for Vec<Vec<u8>> {
    fn from(g: Grid) -> Self {
        g.to_rows()
    }
}

impl fmt::Debug for Grid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Grid {}x{} {:?}", self.rows, self.cols, self.to_rows())
    }
}

impl fmt::Display for Grid {
    /// One line of digits per row.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for row in self.to_rows() {
            let line: String = row.iter().map(|&c| (b'0' + c) as char).collect();
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

/// Encodes `grid` on the 30x30 canvas at offset `(r0, c0)`, like the reference builder:
/// colours become `c + 2`; if there is room, the row just below the grid is EOS over the grid's
/// columns and the column just right of it is EOS over the grid's rows; the diagonal corner
/// and everything else stay PAD.
pub fn encode(grid: &Grid, r0: usize, c0: usize) -> Result<[u8; SEQ_LEN]> {
    let v = encode_on(grid, r0, c0, SIZE)?;
    Ok(v.try_into().expect("a 30x30 canvas"))
}

/// [`encode`] on a `side`×`side` canvas (a small ARC model may use e.g. 10×10).
pub fn encode_on(grid: &Grid, r0: usize, c0: usize, side: usize) -> Result<Vec<u8>> {
    let (rows, cols) = (grid.rows, grid.cols);
    if r0 + rows > side || c0 + cols > side {
        return Err(TaskError::invalid(format!(
            "a {rows}x{cols} grid at offset ({r0}, {c0}) does not fit in {side}x{side}"
        )));
    }
    let mut out = vec![PAD; side * side];
    for r in 0..rows {
        for c in 0..cols {
            out[(r0 + r) * side + c0 + c] = grid.cells[r * cols + c] + COLOR_OFFSET;
        }
    }
    if r0 + rows < side {
        for c in 0..cols {
            out[(r0 + rows) * side + c0 + c] = EOS;
        }
    }
    if c0 + cols < side {
        for r in 0..rows {
            out[(r0 + r) * side + c0 + cols] = EOS;
        }
    }
    Ok(out)
}

/// A random translation offset for a set of grids encoded together (an input and its output):
/// uniform in `0..=30 - max rows` and `0..=30 - max cols` (training-split augmentation).
pub fn random_offset<R: Rng>(rng: &mut R, grids: &[&Grid]) -> (usize, usize) {
    let rows = grids.iter().map(|g| g.rows).max().unwrap_or(0).min(SIZE);
    let cols = grids.iter().map(|g| g.cols).max().unwrap_or(0).min(SIZE);
    (
        rng.random_range(0..=SIZE - rows),
        rng.random_range(0..=SIZE - cols),
    )
}

/// Decodes a 30x30 token grid with the reference crop rule (`_crop` in `evaluators/arc.py`):
/// scan rows from the top with a column limit starting at 30; in each row the limit shrinks to
/// the first column (within the limit) whose token is not a colour (2..=11); the largest
/// rectangle `rows 0..=r x columns 0..limit` seen (first one on ties) is returned as colours.
/// Works on any square canvas (900 tokens for the reference's 30×30); errors on other lengths.
pub fn crop(tokens: &[u8]) -> Result<Grid> {
    let side = super::canvas_side(tokens.len())
        .ok_or_else(|| TaskError::invalid(format!("expected 900 tokens (or another square canvas), got {}", tokens.len())))?;
    let is_color = |t: u8| (COLOR_OFFSET..COLOR_OFFSET + 10).contains(&t);
    let (mut best_area, mut best) = (0usize, (0usize, 0usize));
    let mut limit = side;
    for r in 0..side {
        if let Some(c) = (0..limit).find(|&c| !is_color(tokens[r * side + c])) {
            limit = c;
        }
        let area = (r + 1) * limit;
        if area > best_area {
            best_area = area;
            best = (r + 1, limit);
        }
    }
    let (rows, cols) = best;
    let mut cells = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        cells.extend(tokens[r * side..r * side + cols].iter().map(|&t| t - COLOR_OFFSET));
    }
    Grid::new(rows, cols, cells)
}

// ---------------------------------------------------------------------------------------------
// Augmentations and their names

/// A colour permutation followed by a dihedral transform, as in the reference builder: the
/// augmented grid is `dihedral(perm[grid])`. Its name is `<id>|||t<tid>|||<perm as 10 digits>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Augmentation {
    pub dihedral: Dihedral,
    /// Colour `c` becomes `perm[c]`; a permutation of 0..=9.
    pub perm: [u8; 10],
}

impl Augmentation {
    /// No change.
    pub const IDENTITY: Augmentation = Augmentation {
        dihedral: Dihedral::Identity,
        perm: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    };

    /// A random transform id and a random permutation of colours 1..=9 (black, 0, stays 0).
    pub fn random<R: Rng>(rng: &mut R) -> Augmentation {
        let dihedral = Dihedral::ALL[rng.random_range(0..8)];
        let mut perm = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        perm[1..].shuffle(rng);
        Augmentation { dihedral, perm }
    }

    /// Colours first, then geometry.
    pub fn apply(&self, g: &Grid) -> Grid {
        g.map_colors(&self.perm).transform(self.dihedral)
    }

    /// Undoes [`Augmentation::apply`]: inverse dihedral, then inverse colour map
    /// (`argsort` of the permutation), in the reference evaluator's order.
    pub fn invert(&self, g: &Grid) -> Grid {
        let mut inv = [0u8; 10];
        for (c, &p) in self.perm.iter().enumerate() {
            inv[p as usize % 10] = c as u8;
        }
        g.transform(self.dihedral.inverse()).map_colors(&inv)
    }

    /// The augmented puzzle name `<base>|||t<tid>|||<perm>`.
    pub fn name(&self, base: &str) -> String {
        let perm: String = self.perm.iter().map(|&c| (b'0' + c) as char).collect();
        format!(
            "{base}{NAME_SEPARATOR}t{}{NAME_SEPARATOR}{perm}",
            self.dihedral.id()
        )
    }

    /// Splits a puzzle name into the original id and its augmentation. Names without `|||`
    /// are originals (identity). Otherwise the name must be exactly
    /// `<base>|||t<0..7>|||<permutation of the 10 digits>`.
    pub fn parse_name(name: &str) -> Result<(&str, Augmentation)> {
        if !name.contains(NAME_SEPARATOR) {
            return Ok((name, Augmentation::IDENTITY));
        }
        let parts: Vec<&str> = name.split(NAME_SEPARATOR).collect();
        let bad = |why: &str| TaskError::invalid(format!("augmented name {name:?}: {why}"));
        let [base, t, perm] = parts[..] else {
            return Err(bad("expected <id>|||t<tid>|||<perm>"));
        };
        let tid = t
            .strip_prefix('t')
            .filter(|d| d.len() == 1)
            .and_then(|d| d.parse::<u8>().ok())
            .and_then(Dihedral::from_id)
            .ok_or_else(|| bad("transform must be t0..t7"))?;
        let digits = perm.as_bytes();
        if digits.len() != 10 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(bad("permutation must be 10 digits"));
        }
        let mut p = [0u8; 10];
        let mut seen = [false; 10];
        for (slot, &d) in p.iter_mut().zip(digits) {
            *slot = d - b'0';
            if std::mem::replace(&mut seen[*slot as usize], true) {
                return Err(bad("permutation repeats a digit"));
            }
        }
        Ok((
            base,
            Augmentation {
                dihedral: tid,
                perm: p,
            },
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Task JSON

/// A demonstration pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    pub input: Grid,
    pub output: Grid,
}

/// A test input, with its expected output when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestInput {
    pub input: Grid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Grid>,
}

/// An ARC task in the public JSON format `{"train": [{input, output}], "test": [{input,
/// output?}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArcTask {
    pub train: Vec<Example>,
    pub test: Vec<TestInput>,
}

impl ArcTask {
    /// Parses and checks a task (grids 1..=30 per side, colours 0..=9, at least one
    /// demonstration and one test input). Malformed input is an error, never a panic.
    pub fn from_json(text: &str) -> Result<ArcTask> {
        let t: ArcTask = serde_json::from_str(text).map_err(|e| TaskError::Json(e.to_string()))?;
        t.validate()?;
        Ok(t)
    }

    fn validate(&self) -> Result<()> {
        if self.train.is_empty() {
            return Err(TaskError::invalid("task has no demonstration pair"));
        }
        if self.test.is_empty() {
            return Err(TaskError::invalid("task has no test input"));
        }
        Ok(())
    }

    /// The task as compact JSON in the public format.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Reads the Kaggle split: `challenges` maps id -> task whose test inputs lack outputs;
/// `solutions` (optional) maps id -> one output grid per test input, which is merged in.
pub fn load_kaggle(challenges: &str, solutions: Option<&str>) -> Result<BTreeMap<String, ArcTask>> {
    let mut tasks: BTreeMap<String, ArcTask> =
        serde_json::from_str(challenges).map_err(|e| TaskError::Json(e.to_string()))?;
    for (id, t) in &tasks {
        t.validate()
            .map_err(|e| TaskError::invalid(format!("task {id}: {e}")))?;
    }
    if let Some(sol) = solutions {
        let sol: BTreeMap<String, Vec<Grid>> =
            serde_json::from_str(sol).map_err(|e| TaskError::Json(e.to_string()))?;
        for (id, outputs) in sol {
            let Some(task) = tasks.get_mut(&id) else {
                return Err(TaskError::invalid(format!(
                    "solution for unknown task {id}"
                )));
            };
            if outputs.len() != task.test.len() {
                return Err(TaskError::invalid(format!(
                    "task {id}: {} solutions for {} test inputs",
                    outputs.len(),
                    task.test.len()
                )));
            }
            for (t, o) in task.test.iter_mut().zip(outputs) {
                t.output = Some(o);
            }
        }
    }
    Ok(tasks)
}

/// One task of the demo gallery (`www/data/arc-gallery.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryTask {
    /// The ARC task id (e.g. `007bbfb7`).
    pub id: String,
    /// Where it comes from, e.g. `arc-agi-1/training`.
    pub dataset: String,
    pub train: Vec<Example>,
    pub test: Vec<TestInput>,
}

/// The demo gallery file: attribution plus tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gallery {
    pub source: String,
    pub license: String,
    pub tasks: Vec<GalleryTask>,
}

impl Gallery {
    /// Parses and checks a gallery file.
    pub fn from_json(text: &str) -> Result<Gallery> {
        let g: Gallery = serde_json::from_str(text).map_err(|e| TaskError::Json(e.to_string()))?;
        for t in &g.tasks {
            ArcTask {
                train: t.train.clone(),
                test: t.test.clone(),
            }
            .validate()
            .map_err(|e| TaskError::invalid(format!("task {}: {e}", t.id)))?;
        }
        Ok(g)
    }
}

// ---------------------------------------------------------------------------------------------
// Voting and scoring

/// Logistic function in f64, as the evaluator applies to `q_halt` logits.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// One distinct predicted grid for a test input, with its votes.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub grid: Grid,
    pub votes: usize,
    /// Mean sigmoid(q_halt) over the votes.
    pub confidence: f64,
}

/// Vote store of the ARC evaluator: every model output (one augmented version of one test
/// input) is mapped back to the original frame and votes for its predicted grid. Start a fresh
/// store for each checkpoint evaluation (the reference pools votes across evaluations, §9.3).
#[derive(Debug, Clone, Default)]
pub struct Votes {
    /// original name -> input hash -> (prediction hash, sigmoid(q_halt)) in arrival order.
    preds: HashMap<String, HashMap<String, Vec<(String, f64)>>>,
    grids: HashMap<String, Grid>,
}

impl Votes {
    pub fn new() -> Votes {
        Votes::default()
    }

    /// Records one model output. `name` is the row's puzzle name (from `identifiers.json`),
    /// `input`/`prediction` are 900-token canvases and `q_halt_logit` the halting logit.
    /// Returns `Ok(false)` for padding rows (`<blank>`), which the evaluator ignores.
    pub fn add(
        &mut self,
        name: &str,
        input: &[u8],
        prediction: &[u8],
        q_halt_logit: f64,
    ) -> Result<bool> {
        self.add_confidence(name, input, prediction, sigmoid(q_halt_logit))
    }

    /// [`Votes::add`] with the halting probability itself (`sigmoid(q_halt)`), as the page's
    /// runtime reports it.
    pub fn add_confidence(
        &mut self,
        name: &str,
        input: &[u8],
        prediction: &[u8],
        confidence: f64,
    ) -> Result<bool> {
        if name == BLANK_NAME {
            return Ok(false);
        }
        let (base, aug) = Augmentation::parse_name(name)?;
        let input_hash = aug.invert(&crop(input)?).hash();
        let pred = aug.invert(&crop(prediction)?);
        let pred_hash = pred.hash();
        self.grids.entry(pred_hash.clone()).or_insert(pred);
        self.preds
            .entry(base.to_string())
            .or_default()
            .entry(input_hash)
            .or_default()
            .push((pred_hash, confidence));
        Ok(true)
    }

    /// Distinct predictions for test input `input` of puzzle `id`, ranked by (votes, mean
    /// confidence) descending; exact ties keep first-seen order (Python's stable sort).
    pub fn ranked(&self, id: &str, input: &Grid) -> Vec<Candidate> {
        let Some(list) = self.preds.get(id).and_then(|m| m.get(&input.hash())) else {
            return Vec::new();
        };
        let mut order: Vec<&str> = Vec::new();
        let mut stats: HashMap<&str, (usize, f64)> = HashMap::new();
        for (h, q) in list {
            let e = stats.entry(h.as_str()).or_insert_with(|| {
                order.push(h.as_str());
                (0, 0.0)
            });
            e.0 += 1;
            e.1 += q;
        }
        let mut out: Vec<Candidate> = order
            .into_iter()
            .filter_map(|h| {
                let (n, sum) = stats[h];
                Some(Candidate {
                    grid: self.grids.get(h)?.clone(),
                    votes: n,
                    confidence: sum / n as f64,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (b.votes, b.confidence)
                .partial_cmp(&(a.votes, a.confidence))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        out
    }

    /// Scores every puzzle of `tasks` (test outputs required) at each K of `ks`: a test input
    /// passes at K when its true output is among the top K candidates; a puzzle's score is the
    /// mean over its test inputs and the total is the mean over puzzles.
    pub fn score(&self, tasks: &BTreeMap<String, ArcTask>, ks: &[usize]) -> Result<Score> {
        let mut puzzles = Vec::with_capacity(tasks.len());
        let mut total = vec![0.0; ks.len()];
        for (id, task) in tasks {
            let mut pass = vec![0.0; ks.len()];
            let mut attempts = Vec::with_capacity(task.test.len());
            for t in &task.test {
                let Some(label) = &t.output else {
                    return Err(TaskError::invalid(format!(
                        "task {id}: a test output is missing"
                    )));
                };
                let ranked = self.ranked(id, &t.input);
                for (p, &k) in pass.iter_mut().zip(ks) {
                    if ranked.iter().take(k).any(|c| &c.grid == label) {
                        *p += 1.0;
                    }
                }
                attempts.push(ranked.iter().take(2).map(|c| c.grid.clone()).collect());
            }
            let n = task.test.len().max(1) as f64;
            for (tot, p) in total.iter_mut().zip(pass.iter_mut()) {
                *p /= n;
                *tot += *p;
            }
            puzzles.push(PuzzleScore {
                id: id.clone(),
                pass,
                attempts,
            });
        }
        let n = tasks.len().max(1) as f64;
        Ok(Score {
            ks: ks.to_vec(),
            pass: total.into_iter().map(|t| t / n).collect(),
            puzzles,
        })
    }
}

/// Score of one puzzle.
#[derive(Debug, Clone, PartialEq)]
pub struct PuzzleScore {
    pub id: String,
    /// Per K: fraction of the puzzle's test inputs solved within the top K.
    pub pass: Vec<f64>,
    /// Per test input: the top-2 candidates (the submission's attempt_1, attempt_2).
    pub attempts: Vec<Vec<Grid>>,
}

/// Result of [`Votes::score`]. The reported ARC metric is pass@2.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub ks: Vec<usize>,
    /// Per K: mean over puzzles.
    pub pass: Vec<f64>,
    pub puzzles: Vec<PuzzleScore>,
}

impl Score {
    /// pass@`k`, if `k` was scored.
    pub fn pass_at(&self, k: usize) -> Option<f64> {
        self.ks.iter().position(|&x| x == k).map(|i| self.pass[i])
    }
}
