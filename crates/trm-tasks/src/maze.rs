//! Mazes: the reference text/token layout, shortest-path labelling, a validator for predicted
//! paths, a seeded generator and the 8 dihedral transforms.
//!
//! Token layout (§5.3): 900 tokens (30x30, row-major); 0 = PAD, then the charset `"# SGo"`:
//! 1 = `#` wall, 2 = ` ` open, 3 = `S` start, 4 = `G` goal, 5 = `o` path (labels only).
//!
//! **Smaller mazes** are placed at the top-left of the 30x30 canvas and the rest is filled with
//! wall (`#`), never PAD: the reference data are always full 30x30 grids of `# SGo`, so a model
//! trained on them has never seen PAD in a maze, while surplus wall is just more maze that no
//! shortest path can use. Path lengths and validity are unchanged by this padding.

use super::{Dihedral, Result, TaskError, csv_data_lines, item_seed, parse_rating, split_csv_row};
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::fmt;

/// Side of the model canvas.
pub const SIZE: usize = 30;
/// Tokens per maze.
pub const SEQ_LEN: usize = SIZE * SIZE;
/// Vocabulary size: PAD + `# SGo`.
pub const VOCAB_SIZE: usize = 6;
/// Characters of tokens 1..=5, in order.
pub const CHARSET: &str = "# SGo";

/// One maze cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cell {
    Wall,
    Open,
    Start,
    Goal,
    /// A cell on the solution path (only in labels and predictions).
    Path,
}

impl Cell {
    /// Model token (1..=5).
    pub const fn token(self) -> u8 {
        match self {
            Cell::Wall => 1,
            Cell::Open => 2,
            Cell::Start => 3,
            Cell::Goal => 4,
            Cell::Path => 5,
        }
    }

    /// Cell of a token; `None` for PAD (0) and out-of-vocabulary tokens.
    pub const fn from_token(t: u8) -> Option<Cell> {
        match t {
            1 => Some(Cell::Wall),
            2 => Some(Cell::Open),
            3 => Some(Cell::Start),
            4 => Some(Cell::Goal),
            5 => Some(Cell::Path),
            _ => None,
        }
    }

    /// Text character (`# SGo`).
    pub const fn to_char(self) -> char {
        match self {
            Cell::Wall => '#',
            Cell::Open => ' ',
            Cell::Start => 'S',
            Cell::Goal => 'G',
            Cell::Path => 'o',
        }
    }

    /// Cell of a text character.
    pub const fn from_char(c: char) -> Option<Cell> {
        match c {
            '#' => Some(Cell::Wall),
            ' ' => Some(Cell::Open),
            'S' => Some(Cell::Start),
            'G' => Some(Cell::Goal),
            'o' => Some(Cell::Path),
            _ => None,
        }
    }

    /// Whether a path may pass through the cell.
    pub const fn passable(self) -> bool {
        !matches!(self, Cell::Wall)
    }
}

/// A rectangular maze of at most 30x30 cells, row-major.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Maze {
    rows: usize,
    cols: usize,
    cells: Vec<Cell>,
}

impl Maze {
    /// Builds a maze from row-major cells (1..=30 rows and columns).
    pub fn new(rows: usize, cols: usize, cells: Vec<Cell>) -> Result<Maze> {
        if !(1..=SIZE).contains(&rows) || !(1..=SIZE).contains(&cols) {
            return Err(TaskError::invalid(format!(
                "maze size {rows}x{cols} outside 1..=30 x 1..=30"
            )));
        }
        if cells.len() != rows * cols {
            return Err(TaskError::invalid(format!(
                "{} cells for a {rows}x{cols} maze",
                cells.len()
            )));
        }
        Ok(Maze { rows, cols, cells })
    }

    /// Parses the text forms: the reference one-line form (exactly 900 characters of `# SGo`,
    /// read as 30x30) or several lines of equal length (at most 30x30). Trailing `\r` and a
    /// final empty line are tolerated; spaces are cells, so nothing else is trimmed.
    pub fn parse(text: &str) -> Result<Maze> {
        let mut lines: Vec<&str> = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        while lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        if lines.len() == 1 && lines[0].chars().count() == SEQ_LEN {
            return Self::from_chars(SIZE, SIZE, lines[0]);
        }
        let rows = lines.len();
        let cols = lines.first().map_or(0, |l| l.chars().count());
        if let Some((i, l)) = lines
            .iter()
            .enumerate()
            .find(|(_, l)| l.chars().count() != cols)
        {
            return Err(TaskError::invalid(format!(
                "line {} has {} characters, expected {cols} like the first line",
                i + 1,
                l.chars().count()
            )));
        }
        Self::from_chars(rows, cols, &lines.concat())
    }

    fn from_chars(rows: usize, cols: usize, s: &str) -> Result<Maze> {
        let cells = s
            .chars()
            .enumerate()
            .map(|(i, ch)| {
                Cell::from_char(ch).ok_or_else(|| {
                    TaskError::invalid(format!(
                        "unexpected character {ch:?} at cell {i} (expected one of \"# SGo\")"
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Maze::new(rows, cols, cells)
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row-major cells.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Cell at row `r`, column `c`, if inside.
    pub fn get(&self, r: usize, c: usize) -> Option<Cell> {
        (r < self.rows && c < self.cols).then(|| self.cells[r * self.cols + c])
    }

    /// One line, row-major (for a 30x30 maze: the reference 900-character form).
    pub fn to_line(&self) -> String {
        self.cells.iter().map(|c| c.to_char()).collect()
    }

    /// One text line per row.
    pub fn to_text(&self) -> String {
        let mut s = String::with_capacity(self.rows * (self.cols + 1));
        for r in 0..self.rows {
            s.extend(
                self.cells[r * self.cols..(r + 1) * self.cols]
                    .iter()
                    .map(|c| c.to_char()),
            );
            s.push('\n');
        }
        s
    }

    /// The 30x30 model form: this maze at the top-left, walls elsewhere (see module docs).
    pub fn padded(&self) -> Maze {
        let mut cells = vec![Cell::Wall; SEQ_LEN];
        for r in 0..self.rows {
            for c in 0..self.cols {
                cells[r * SIZE + c] = self.cells[r * self.cols + c];
            }
        }
        Maze {
            rows: SIZE,
            cols: SIZE,
            cells,
        }
    }

    /// The `rows` x `cols` top-left part (undoes [`Maze::padded`]).
    pub fn cropped(&self, rows: usize, cols: usize) -> Result<Maze> {
        if rows > self.rows || cols > self.cols {
            return Err(TaskError::invalid("crop larger than the maze"));
        }
        let mut cells = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            cells.extend_from_slice(&self.cells[r * self.cols..r * self.cols + cols]);
        }
        Maze::new(rows, cols, cells)
    }

    /// Model tokens of the padded 30x30 form.
    pub fn to_tokens(&self) -> [u8; SEQ_LEN] {
        let p = if self.rows == SIZE && self.cols == SIZE {
            None
        } else {
            Some(self.padded())
        };
        let m = p.as_ref().unwrap_or(self);
        let mut out = [0u8; SEQ_LEN];
        for (o, c) in out.iter_mut().zip(m.cells.iter()) {
            *o = c.token();
        }
        out
    }

    /// Decodes 900 tokens into a 30x30 maze; PAD or unknown tokens are an error.
    pub fn from_tokens(tokens: &[u8]) -> Result<Maze> {
        if tokens.len() != SEQ_LEN {
            return Err(TaskError::invalid(format!(
                "expected 900 tokens, got {}",
                tokens.len()
            )));
        }
        let cells = tokens
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                Cell::from_token(t).ok_or_else(|| {
                    TaskError::invalid(format!("token {t} at position {i} is not a maze cell"))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Maze::new(SIZE, SIZE, cells)
    }

    /// This maze on a `side`×`side` model canvas: smaller mazes are padded with walls (as
    /// [`Maze::padded`] does for 30×30); a larger one is cropped when everything outside the
    /// canvas is wall (the padding of a smaller maze), and is an error otherwise.
    pub fn on_canvas(&self, side: usize) -> Result<Maze> {
        if !(2..=SIZE).contains(&side) {
            return Err(TaskError::invalid(format!("canvas side {side} outside 2..=30")));
        }
        let mut cells = vec![Cell::Wall; side * side];
        for r in 0..self.rows {
            for c in 0..self.cols {
                let cell = self.cells[r * self.cols + c];
                if r < side && c < side {
                    cells[r * side + c] = cell;
                } else if cell != Cell::Wall {
                    return Err(TaskError::invalid(format!(
                        "a {}x{} maze does not fit this model's {side}x{side} canvas",
                        self.rows, self.cols
                    )));
                }
            }
        }
        Maze::new(side, side, cells)
    }

    /// Model tokens on a `side`×`side` canvas (see [`Maze::on_canvas`]).
    pub fn to_tokens_on(&self, side: usize) -> Result<Vec<u8>> {
        Ok(self.on_canvas(side)?.cells.iter().map(|c| c.token()).collect())
    }

    /// Decodes the tokens of a square canvas (900 for 30×30, 225 for 15×15, ...).
    pub fn from_canvas_tokens(tokens: &[u8]) -> Result<Maze> {
        let side = canvas_side(tokens.len())
            .ok_or_else(|| TaskError::invalid(format!("{} tokens are not a square maze canvas", tokens.len())))?;
        let cells = tokens
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                Cell::from_token(t).ok_or_else(|| TaskError::invalid(format!("token {t} at position {i} is not a maze cell")))
            })
            .collect::<Result<Vec<_>>>()?;
        Maze::new(side, side, cells)
    }

    /// Number of distinct shortest S-to-G routes, counted up to `cap`; 0 when unreachable.
    pub fn shortest_routes(&self, cap: u64) -> u64 {
        let base = self.without_path();
        let (Some(s), Some(g)) = (base.start(), base.goal()) else { return 0 };
        let (s, g) = (s.0 * self.cols + s.1, g.0 * self.cols + g.1);
        let dist = base.bfs(s, Cell::passable);
        if dist[g] == u32::MAX {
            return 0;
        }
        let mut order: Vec<usize> = (0..dist.len()).filter(|&i| dist[i] <= dist[g]).collect();
        order.sort_by_key(|&i| dist[i]);
        let mut ways = vec![0u64; dist.len()];
        ways[s] = 1;
        for i in order {
            if i == s {
                continue;
            }
            let w: u64 = base.neighbours(i).filter(|&n| dist[n] != u32::MAX && dist[n] + 1 == dist[i]).map(|n| ways[n]).sum();
            ways[i] = w.min(cap);
        }
        ways[g]
    }

    fn find(&self, want: Cell) -> Vec<usize> {
        (0..self.cells.len())
            .filter(|&i| self.cells[i] == want)
            .collect()
    }

    /// Position `(row, col)` of the single `S`, if exactly one.
    pub fn start(&self) -> Option<(usize, usize)> {
        match self.find(Cell::Start)[..] {
            [i] => Some((i / self.cols, i % self.cols)),
            _ => None,
        }
    }

    /// Position `(row, col)` of the single `G`, if exactly one.
    pub fn goal(&self) -> Option<(usize, usize)> {
        match self.find(Cell::Goal)[..] {
            [i] => Some((i / self.cols, i % self.cols)),
            _ => None,
        }
    }

    /// The same maze with path cells turned back into open cells (the model input of a label).
    pub fn without_path(&self) -> Maze {
        let cells = self
            .cells
            .iter()
            .map(|&c| if c == Cell::Path { Cell::Open } else { c })
            .collect();
        Maze {
            rows: self.rows,
            cols: self.cols,
            cells,
        }
    }

    /// Number of path (`o`) cells.
    pub fn path_len(&self) -> usize {
        self.cells.iter().filter(|&&c| c == Cell::Path).count()
    }

    fn neighbours(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let (r, c) = (i / self.cols, i % self.cols);
        let up = (r > 0).then(|| i - self.cols);
        let down = (r + 1 < self.rows).then(|| i + self.cols);
        let left = (c > 0).then(|| i - 1);
        let right = (c + 1 < self.cols).then(|| i + 1);
        [up, down, left, right].into_iter().flatten()
    }

    /// Breadth-first distances from cell `from` through cells accepted by `ok`.
    fn bfs(&self, from: usize, ok: impl Fn(Cell) -> bool) -> Vec<u32> {
        let mut dist = vec![u32::MAX; self.cells.len()];
        let mut q = VecDeque::new();
        dist[from] = 0;
        q.push_back(from);
        while let Some(i) = q.pop_front() {
            for n in self.neighbours(i) {
                if dist[n] == u32::MAX && ok(self.cells[n]) {
                    dist[n] = dist[i] + 1;
                    q.push_back(n);
                }
            }
        }
        dist
    }

    /// Number of moves of a shortest S-to-G route through non-wall cells, if one exists.
    pub fn shortest_distance(&self) -> Option<usize> {
        let (s, g) = (self.start()?, self.goal()?);
        let d = self.bfs(s.0 * self.cols + s.1, Cell::passable)[g.0 * self.cols + g.1];
        (d != u32::MAX).then_some(d as usize)
    }

    /// This maze (path cells ignored) labelled with one shortest path; ties are broken by
    /// `rng` when given, else by the fixed order up, down, left, right. `None` without exactly
    /// one S and one G, or when G is unreachable.
    pub fn solve_with<R: Rng>(&self, mut rng: Option<&mut R>) -> Option<Maze> {
        let base = self.without_path();
        let (s, g) = (base.start()?, base.goal()?);
        let (s, g) = (s.0 * self.cols + s.1, g.0 * self.cols + g.1);
        let dist = base.bfs(g, Cell::passable);
        if dist[s] == u32::MAX {
            return None;
        }
        let mut out = base.clone();
        let mut at = s;
        while dist[at] > 1 {
            let next: Vec<usize> = base
                .neighbours(at)
                .filter(|&n| dist[n] == dist[at] - 1)
                .collect();
            at = match rng.as_deref_mut() {
                Some(r) => *next.choose(r)?,
                None => *next.first()?,
            };
            out.cells[at] = Cell::Path;
        }
        Some(out)
    }

    /// [`Maze::solve_with`] with the fixed tie-break order.
    pub fn solve(&self) -> Option<Maze> {
        self.solve_with::<SmallRng>(None)
    }

    /// Applies a dihedral transform (ids as in the reference, §5.3).
    pub fn transform(&self, t: Dihedral) -> Maze {
        match t.apply(self.rows, self.cols, &self.cells) {
            Some((rows, cols, cells)) => Maze { rows, cols, cells },
            None => self.clone(),
        }
    }
}

impl fmt::Display for Maze {
    /// The multi-line text form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl fmt::Debug for Maze {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Maze {}x{}\n{}", self.rows, self.cols, self.to_text())
    }
}

/// How a predicted grid answers a maze.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verdict {
    /// Walls, open cells, S and G are unchanged except that path marks (`o`) were put on open
    /// cells only, and the marks connect S to G.
    pub valid_path: bool,
    /// A valid path that is also shortest: exactly one shortest route is marked, nothing else.
    pub shortest: bool,
    /// Identical to the label (labels are one shortest path among possibly several).
    pub exact: bool,
}

/// Judges `prediction` for maze `puzzle` (any path marks in `puzzle` are ignored); `label`, if
/// given, decides [`Verdict::exact`]. Shapes must match, else nothing is valid.
pub fn judge(puzzle: &Maze, prediction: &Maze, label: Option<&Maze>) -> Verdict {
    let puzzle = puzzle.without_path();
    let exact = label.is_some_and(|l| l == prediction);
    let (Some(s), Some(g), Some(dist)) =
        (puzzle.start(), puzzle.goal(), puzzle.shortest_distance())
    else {
        return Verdict {
            exact,
            ..Verdict::default()
        };
    };
    if prediction.rows != puzzle.rows || prediction.cols != puzzle.cols {
        return Verdict {
            exact,
            ..Verdict::default()
        };
    }
    let kept = puzzle
        .cells
        .iter()
        .zip(prediction.cells.iter())
        .all(|(&p, &q)| p == q || (p == Cell::Open && q == Cell::Path));
    let cols = puzzle.cols;
    let (s, g) = (s.0 * cols + s.1, g.0 * cols + g.1);
    let reach = prediction.bfs(s, |c| matches!(c, Cell::Path | Cell::Goal));
    let valid_path = kept && reach[g] != u32::MAX;
    let shortest = valid_path && prediction.path_len() + 1 == dist;
    Verdict {
        valid_path,
        shortest,
        exact,
    }
}

/// [`judge`] on model output tokens of any square canvas (900 for the reference's 30×30);
/// undecodable tokens, or a puzzle that does not fit the canvas, make it invalid.
pub fn judge_tokens(puzzle: &Maze, tokens: &[u8], label: Option<&Maze>) -> Verdict {
    let side = canvas_side(tokens.len()).unwrap_or(0);
    let on = |m: &Maze| m.on_canvas(side).ok();
    match (Maze::from_canvas_tokens(tokens), on(puzzle)) {
        (Ok(pred), Some(puzzle)) => judge(&puzzle, &pred, label.and_then(on).as_ref()),
        _ => Verdict::default(),
    }
}

// ---------------------------------------------------------------------------------------------
// Voting

/// Test-time voting over a maze's 8 dihedral versions, as the reference votes over augmented
/// versions for ARC: the model solves every rotation and mirror of the maze, each answer is
/// turned back, and the grid most versions agree on wins. Each version sits at the canvas's
/// top-left like the training mazes (trailing wall rows and columns, the padding of a smaller
/// maze, are trimmed first).
#[derive(Debug, Clone)]
pub struct DihedralVote {
    puzzle: Maze,
    side: usize,
}

/// One distinct answer of a vote: a maze the shape of the trimmed puzzle, in its frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub maze: Maze,
    pub votes: usize,
    /// The highest summed log probability of the cells among the versions that gave it.
    pub log_confidence: f64,
}

impl DihedralVote {
    /// `puzzle` on a `side`×`side` model canvas; an error when it does not fit.
    pub fn new(puzzle: &Maze, side: usize) -> Result<DihedralVote> {
        let puzzle = puzzle.on_canvas(side)?;
        let (mut rows, mut cols) = (1, 1);
        for r in 0..side {
            for c in 0..side {
                if puzzle.cells[r * side + c] != Cell::Wall {
                    rows = rows.max(r + 1);
                    cols = cols.max(c + 1);
                }
            }
        }
        Ok(DihedralVote { puzzle: puzzle.cropped(rows, cols)?, side })
    }

    /// Model tokens of the 8 versions, in [`Dihedral::ALL`] order.
    pub fn versions(&self) -> Vec<Vec<u8>> {
        Dihedral::ALL
            .iter()
            .map(|&t| self.puzzle.transform(t).to_tokens_on(self.side).expect("a transform of a square canvas fits it"))
            .collect()
    }

    /// The distinct answers among the versions' predicted canvases (`predictions[i]` answers
    /// `versions()[i]`), best first: most votes, ties broken by the higher summed log
    /// confidence (`confidence[i]`: the per-cell probabilities of that prediction). Predictions
    /// that do not decode as a maze cast no vote.
    pub fn ranked(&self, predictions: &[&[u8]], confidence: &[&[f32]]) -> Vec<Candidate> {
        let mut candidates: Vec<Candidate> = Vec::new();
        for (i, (&t, tokens)) in Dihedral::ALL.iter().zip(predictions).enumerate() {
            let (rows, cols) = t.output_shape(self.puzzle.rows, self.puzzle.cols);
            let Some(back) = Maze::from_canvas_tokens(tokens)
                .and_then(|m| m.cropped(rows, cols))
                .ok()
                .map(|m| m.transform(t.inverse()))
            else {
                continue;
            };
            let score: f64 = confidence.get(i).map_or(0.0, |c| c.iter().map(|&p| (p.max(1e-30) as f64).ln()).sum());
            match candidates.iter_mut().find(|c| c.maze == back) {
                Some(c) => {
                    c.votes += 1;
                    c.log_confidence = c.log_confidence.max(score);
                }
                None => candidates.push(Candidate { maze: back, votes: 1, log_confidence: score }),
            }
        }
        candidates.sort_by(|a, b| b.votes.cmp(&a.votes).then(b.log_confidence.total_cmp(&a.log_confidence)));
        candidates
    }

    /// An answer back on the model canvas, comparable with the labels and a single prediction.
    pub fn canvas_tokens(&self, answer: &Maze) -> Vec<u8> {
        answer.to_tokens_on(self.side).expect("the trimmed puzzle's shape fits the canvas")
    }
}

// ---------------------------------------------------------------------------------------------
// Generation

/// Generator settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MazeParams {
    /// Rows, 2..=30.
    pub rows: usize,
    /// Columns, 2..=30.
    pub cols: usize,
    /// 0.0..=1.0. Raises the wall density from 15% to 38% (more branching and dead ends; 38%
    /// is just below the percolation threshold, where open regions are most winding) and
    /// pushes the goal towards the far end of the start's region, so the shortest path gets
    /// longer. At 1.0 on 30x30 the mean shortest path is about 110 moves.
    pub hardness: f64,
}

impl Default for MazeParams {
    /// 30x30 at full hardness, like Maze-Hard.
    fn default() -> Self {
        MazeParams {
            rows: SIZE,
            cols: SIZE,
            hardness: 1.0,
        }
    }
}

impl MazeParams {
    fn validate(&self) -> Result<()> {
        if !(2..=SIZE).contains(&self.rows) || !(2..=SIZE).contains(&self.cols) {
            return Err(TaskError::invalid(format!(
                "maze size {}x{} outside 2..=30 x 2..=30",
                self.rows, self.cols
            )));
        }
        if !(0.0..=1.0).contains(&self.hardness) {
            return Err(TaskError::invalid(format!(
                "hardness {} outside 0..=1",
                self.hardness
            )));
        }
        Ok(())
    }

    /// Shortest-path length the generator aims for: at full hardness 12% of the cell count
    /// (108 moves on 30x30, close to Maze-Hard's >110), scaled down linearly with hardness.
    pub fn target_distance(&self) -> usize {
        ((self.rows * self.cols) as f64 * 0.12 * self.hardness)
            .round()
            .max(1.0) as usize
    }
}

/// A generated maze: the puzzle (no path) and its label (one shortest path marked).
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub puzzle: Maze,
    pub solution: Maze,
    /// Moves on the shortest path (path cells + 1).
    pub distance: usize,
}

impl Generated {
    /// The reference CSV row (30x30 padded), `source` = `gen-<rows>x<cols>`, rating = distance.
    pub fn to_row(&self) -> Row {
        Row {
            source: format!("gen-{}x{}", self.puzzle.rows, self.puzzle.cols),
            question: self.puzzle.padded(),
            answer: self.solution.padded(),
            rating: self.distance as f64,
        }
    }
}

/// Generates one maze, fully determined by `seed` and `params`.
///
/// Walls are scattered at random with a density set by the hardness; the start is taken at
/// the periphery of the largest open region (with probability = hardness) or anywhere in it,
/// and the goal among the cells at least `hardness` x (largest distance) away. Up to 64 draws
/// are made and the first reaching [`MazeParams::target_distance`] is kept (else the longest).
pub fn generate(seed: u64, params: MazeParams) -> Result<Generated> {
    params.validate()?;
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut best: Option<Generated> = None;
    for _ in 0..64 {
        if let Some(g) = draw(&mut rng, &params) {
            let done = g.distance >= params.target_distance();
            if best.as_ref().is_none_or(|b| g.distance > b.distance) {
                best = Some(g);
            }
            if done {
                break;
            }
        }
    }
    best.ok_or_else(|| TaskError::invalid("could not place a start and a goal"))
}

fn draw<R: Rng>(rng: &mut R, p: &MazeParams) -> Option<Generated> {
    let (rows, cols, h) = (p.rows, p.cols, p.hardness);
    let density = 0.15 + 0.23 * h;
    let cells: Vec<Cell> = (0..rows * cols)
        .map(|_| {
            if rng.random_bool(density) {
                Cell::Wall
            } else {
                Cell::Open
            }
        })
        .collect();
    let mut maze = Maze { rows, cols, cells };
    // Largest open region.
    let mut region = vec![usize::MAX; rows * cols];
    let mut best = (0usize, 0usize); // (size, seed cell)
    for i in 0..rows * cols {
        if maze.cells[i] == Cell::Open && region[i] == usize::MAX {
            let d = maze.bfs(i, Cell::passable);
            let members: Vec<usize> = (0..d.len()).filter(|&k| d[k] != u32::MAX).collect();
            for &m in &members {
                region[m] = i;
            }
            if members.len() > best.0 {
                best = (members.len(), i);
            }
        }
    }
    if best.0 < 2 {
        return None;
    }
    let members: Vec<usize> = (0..rows * cols).filter(|&k| region[k] == best.1).collect();
    let mut start = *members.choose(rng)?;
    if rng.random_bool(h) {
        // Periphery: the farthest cell from a random one.
        let d = maze.bfs(start, Cell::passable);
        let far = members.iter().map(|&k| d[k]).max()?;
        let ends: Vec<usize> = members.iter().copied().filter(|&k| d[k] == far).collect();
        start = *ends.choose(rng)?;
    }
    let d = maze.bfs(start, Cell::passable);
    let far = members.iter().map(|&k| d[k]).max()?;
    let lo = ((far as f64) * h).ceil().max(1.0) as u32;
    let goals: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&k| d[k] >= lo && k != start)
        .collect();
    let goal = *goals.choose(rng)?;
    maze.cells[start] = Cell::Start;
    maze.cells[goal] = Cell::Goal;
    let solution = maze.solve_with(Some(rng))?;
    Some(Generated {
        distance: d[goal] as usize,
        puzzle: maze,
        solution,
    })
}

pub use super::canvas_side;

/// A corridor maze (a "perfect" maze: a spanning tree carved by a randomised depth-first
/// search on the odd cells), so exactly one route joins any two cells. S and G are a random
/// cell and, with probability `hardness`, the cell farthest from it (else a random one).
pub fn generate_corridor(seed: u64, rows: usize, cols: usize, hardness: f64) -> Result<Generated> {
    MazeParams { rows, cols, hardness }.validate()?;
    if rows < 3 || cols < 3 {
        return Err(TaskError::invalid("a corridor maze needs at least 3x3"));
    }
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut maze = Maze { rows, cols, cells: vec![Cell::Wall; rows * cols] };
    let (hr, hc) = ((rows - 1) / 2, (cols - 1) / 2);
    let at = |r: usize, c: usize| (2 * r + 1) * cols + 2 * c + 1;
    let mut seen = vec![false; hr * hc];
    let mut stack = vec![(rng.random_range(0..hr), rng.random_range(0..hc))];
    seen[stack[0].0 * hc + stack[0].1] = true;
    maze.cells[at(stack[0].0, stack[0].1)] = Cell::Open;
    while let Some(&(r, c)) = stack.last() {
        let mut next = Vec::with_capacity(4);
        if r > 0 && !seen[(r - 1) * hc + c] { next.push((r - 1, c)); }
        if r + 1 < hr && !seen[(r + 1) * hc + c] { next.push((r + 1, c)); }
        if c > 0 && !seen[r * hc + c - 1] { next.push((r, c - 1)); }
        if c + 1 < hc && !seen[r * hc + c + 1] { next.push((r, c + 1)); }
        match next.choose(&mut rng) {
            None => {
                stack.pop();
            }
            Some(&(nr, nc)) => {
                seen[nr * hc + nc] = true;
                maze.cells[at(nr, nc)] = Cell::Open;
                // The wall between the two cells.
                maze.cells[(r + nr + 1) * cols + c + nc + 1] = Cell::Open;
                stack.push((nr, nc));
            }
        }
    }
    let open: Vec<usize> = (0..rows * cols).filter(|&i| maze.cells[i] == Cell::Open).collect();
    let start = *open.choose(&mut rng).ok_or_else(|| TaskError::invalid("no open cell"))?;
    let d = maze.bfs(start, Cell::passable);
    let goal = if rng.random_bool(hardness) {
        let far = open.iter().map(|&k| d[k]).max().unwrap_or(0);
        *open.iter().filter(|&&k| d[k] == far).collect::<Vec<_>>().choose(&mut rng).copied().expect("a farthest cell")
    } else {
        *open.iter().filter(|&&k| k != start).collect::<Vec<_>>().choose(&mut rng).copied()
            .ok_or_else(|| TaskError::invalid("only one open cell"))?
    };
    maze.cells[start] = Cell::Start;
    maze.cells[goal] = Cell::Goal;
    let solution = maze.solve().ok_or_else(|| TaskError::invalid("unreachable goal"))?;
    Ok(Generated { distance: d[goal] as usize, puzzle: maze, solution })
}

/// [`generate`], then every cell that lies on another shortest route than the labelled one
/// becomes wall, so the label is the only right answer (the distance does not change).
pub fn generate_unique(seed: u64, params: MazeParams) -> Result<Generated> {
    let g = generate(seed, params)?;
    let (s, goal) = match (g.puzzle.start(), g.puzzle.goal()) {
        (Some(s), Some(goal)) => (s, goal),
        _ => return Err(TaskError::invalid("generated maze without start or goal")),
    };
    let cols = g.puzzle.cols;
    let from_s = g.puzzle.bfs(s.0 * cols + s.1, Cell::passable);
    let to_g = g.puzzle.bfs(goal.0 * cols + goal.1, Cell::passable);
    let d = g.distance as u32;
    let mut puzzle = g.puzzle.clone();
    let mut solution = g.solution.clone();
    for i in 0..puzzle.cells.len() {
        let on_a_shortest_route = from_s[i] != u32::MAX && to_g[i] != u32::MAX && from_s[i] + to_g[i] == d;
        if on_a_shortest_route && puzzle.cells[i] == Cell::Open && solution.cells[i] == Cell::Open {
            puzzle.cells[i] = Cell::Wall;
            solution.cells[i] = Cell::Wall;
        }
    }
    Ok(Generated { puzzle, solution, distance: g.distance })
}

/// `count` mazes as reference CSV text (header included, 30x30 padded rows); maze `i` uses
/// seed `item_seed(seed, i)`.
pub fn generate_csv(count: usize, seed: u64, params: MazeParams) -> Result<String> {
    params.validate()?;
    let mut out = String::with_capacity(64 + count * 1820);
    out.push_str(super::sudoku::CSV_HEADER);
    out.push('\n');
    for i in 0..count {
        out.push_str(
            &generate(item_seed(seed, i as u64), params)?
                .to_row()
                .to_csv(),
        );
        out.push('\n');
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// CSV

/// One row of the reference CSV (`source,question,answer,rating`); grids are 30x30.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub source: String,
    pub question: Maze,
    pub answer: Maze,
    pub rating: f64,
}

impl Row {
    /// Parses one CSV data line (grids: exactly 900 characters each).
    pub fn parse(text: &str, line: usize) -> Result<Row> {
        let [source, q, a, rating] = split_csv_row(text, line)?;
        let grid = |what: &str, s: &str| {
            let n = s.chars().count();
            if n != SEQ_LEN {
                return Err(TaskError::Csv {
                    line,
                    msg: format!("{what}: expected 900 characters, found {n}"),
                });
            }
            Maze::from_chars(SIZE, SIZE, s).map_err(|e| TaskError::Csv {
                line,
                msg: format!("{what}: {e}"),
            })
        };
        Ok(Row {
            source: source.to_string(),
            question: grid("question", q)?,
            answer: grid("answer", a)?,
            rating: parse_rating(rating, line)?,
        })
    }

    /// The CSV line (without newline).
    pub fn to_csv(&self) -> String {
        format!(
            "{},{},{},{}",
            self.source,
            self.question.to_line(),
            self.answer.to_line(),
            self.rating
        )
    }
}

/// Parses a whole reference CSV text (header skipped); stops at the first malformed line.
pub fn parse_csv(text: &str) -> Result<Vec<Row>> {
    csv_rows(text).collect()
}

/// Lazily parses the data lines of a reference CSV text.
pub fn csv_rows(text: &str) -> impl Iterator<Item = Result<Row>> + '_ {
    csv_data_lines(text).map(|(n, l)| Row::parse(l, n))
}
