//! Exact solver: bitmask candidates, naked/hidden-single propagation and depth-first search on
//! the cell with the fewest candidates. Fast enough to label and uniqueness-check generated
//! puzzles in bulk.

use super::{Grid, PEERS, UNITS};
use rand::Rng;
use rand::seq::SliceRandom;

const ALL: u16 = 0x1FF;
const PLACED: u16 = 0x200;

/// Candidate state: bit `d-1` set when digit `d` is still possible; `PLACED` marks assigned
/// cells (whose candidate mask is then a single bit).
#[derive(Clone, Copy)]
struct State {
    cand: [u16; 81],
}

/// Cells waiting to be assigned (each cell becomes single at most once, so 81 suffice).
struct Queue {
    cells: [u8; 81],
    len: usize,
}

impl Queue {
    fn new() -> Self {
        Queue {
            cells: [0; 81],
            len: 0,
        }
    }
    fn push(&mut self, c: usize) {
        if self.len < 81 {
            self.cells[self.len] = c as u8;
            self.len += 1;
        }
    }
    fn pop(&mut self) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        Some(self.cells[self.len] as usize)
    }
}

impl State {
    /// Starts from a grid; `None` if two givens clash or propagation finds a contradiction.
    fn from_grid(grid: &Grid) -> Option<State> {
        let mut s = State { cand: [ALL; 81] };
        let mut q = Queue::new();
        for (i, &v) in grid.cells().iter().enumerate() {
            if v != 0 {
                s.cand[i] = 1 << (v - 1);
                q.push(i);
            }
        }
        s.propagate(&mut q).then_some(s)
    }

    /// Assigns queued cells and hidden singles until a fixed point; false on contradiction.
    fn propagate(&mut self, q: &mut Queue) -> bool {
        loop {
            while let Some(cell) = q.pop() {
                let c = self.cand[cell];
                if c & PLACED != 0 {
                    continue;
                }
                if c == 0 {
                    return false;
                }
                self.cand[cell] = c | PLACED;
                for &p in PEERS[cell].iter() {
                    let p = p as usize;
                    let pc = self.cand[p];
                    if pc & c != 0 {
                        if pc & PLACED != 0 {
                            return false;
                        }
                        let n = pc & !c;
                        self.cand[p] = n;
                        if n == 0 {
                            return false;
                        }
                        if n & (n - 1) == 0 {
                            q.push(p);
                        }
                    }
                }
            }
            // Hidden singles: a digit with a single possible cell in a unit.
            let mut found = false;
            for unit in UNITS.iter() {
                let (mut once, mut twice, mut placed) = (0u16, 0u16, 0u16);
                for &cell in unit.iter() {
                    let c = self.cand[cell as usize];
                    if c & PLACED != 0 {
                        placed |= c & ALL;
                    } else {
                        twice |= once & c;
                        once |= c;
                    }
                }
                if (once | placed) != ALL {
                    return false;
                }
                let hidden = once & !twice & !placed;
                if hidden == 0 {
                    continue;
                }
                for &cell in unit.iter() {
                    let cell = cell as usize;
                    let c = self.cand[cell];
                    if c & PLACED != 0 {
                        continue;
                    }
                    let h = c & hidden;
                    if h != 0 {
                        if h & (h - 1) != 0 {
                            return false;
                        }
                        if c != h {
                            self.cand[cell] = h;
                            if c & (c - 1) != 0 {
                                q.push(cell);
                            }
                            found = true;
                        }
                    }
                }
            }
            if !found && q.len == 0 {
                return true;
            }
        }
    }

    /// Unplaced cell with the fewest candidates, or `None` when every cell is placed.
    fn branch_cell(&self) -> Option<usize> {
        let mut best = None;
        let mut best_n = 10;
        for (i, &c) in self.cand.iter().enumerate() {
            if c & PLACED == 0 {
                let n = c.count_ones();
                if n < best_n {
                    best_n = n;
                    best = Some(i);
                    if n == 2 {
                        break;
                    }
                }
            }
        }
        best
    }

    fn solution_grid(&self) -> Grid {
        let mut cells = [0u8; 81];
        for (v, &c) in cells.iter_mut().zip(self.cand.iter()) {
            let m = c & ALL;
            if m.count_ones() == 1 {
                *v = m.trailing_zeros() as u8 + 1;
            }
        }
        Grid::from_cells(cells).unwrap_or_default()
    }
}

/// Search statistics of an exhaustive (up to 2 solutions) solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolveStats {
    /// Number of solutions found, capped at 2 (2 means "not unique").
    pub solutions: usize,
    /// Trial assignments made at branch points. 0 means singles propagation alone solves the
    /// puzzle; larger numbers mean more trial and error. Deterministic for a given puzzle, and
    /// used as the `rating` of generated puzzles (like the search-effort rating of
    /// Sudoku-Extreme).
    pub guesses: u64,
    /// The first solution found.
    pub first: Option<Grid>,
    /// The search stopped at its guess budget before it could decide (see [`solve_within`]).
    pub gave_up: bool,
}

/// Result of [`solve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Solution {
    /// No solution (clashing givens or a dead end everywhere).
    None,
    /// Exactly one solution.
    Unique(Grid),
    /// At least two solutions; one of them is given.
    Multiple(Grid),
}

impl Solution {
    /// The unique solution, if there is one.
    pub fn unique(self) -> Option<Grid> {
        match self {
            Solution::Unique(g) => Some(g),
            _ => None,
        }
    }
}

struct Search<'a, R> {
    limit: usize,
    /// Stop after this many guesses (the search then reports `gave_up`).
    max_guesses: u64,
    stats: SolveStats,
    rng: Option<&'a mut R>,
}

impl<R: Rng> Search<'_, R> {
    fn run(&mut self, s: &State) {
        let Some(cell) = s.branch_cell() else {
            self.stats.solutions += 1;
            if self.stats.first.is_none() {
                self.stats.first = Some(s.solution_grid());
            }
            return;
        };
        let mut digits = [0u16; 9];
        let mut n = 0;
        let mut m = s.cand[cell];
        while m != 0 {
            digits[n] = m & m.wrapping_neg();
            m &= m - 1;
            n += 1;
        }
        if let Some(rng) = self.rng.as_deref_mut() {
            digits[..n].shuffle(rng);
        }
        for &bit in &digits[..n] {
            if self.stats.guesses >= self.max_guesses {
                self.stats.gave_up = true;
                return;
            }
            self.stats.guesses += 1;
            let mut child = *s;
            child.cand[cell] = bit;
            let mut q = Queue::new();
            q.push(cell);
            if child.propagate(&mut q) {
                self.run(&child);
            }
            if self.stats.solutions >= self.limit || self.stats.gave_up {
                return;
            }
        }
    }
}

fn search_grid<R: Rng>(grid: &Grid, limit: usize, max_guesses: u64, rng: Option<&mut R>) -> SolveStats {
    let mut search = Search {
        limit: limit.max(1),
        max_guesses,
        stats: SolveStats {
            solutions: 0,
            guesses: 0,
            first: None,
            gave_up: false,
        },
        rng,
    };
    if let Some(s) = State::from_grid(grid) {
        search.run(&s);
    }
    search.stats
}

/// Solves `grid`, telling whether its solution is unique. Unbounded: for grids that do not
/// come from a person (generated or from a dataset); see [`solve_within`] for the others.
pub fn solve(grid: &Grid) -> Solution {
    verdict(solve_stats(grid))
}

/// [`solve`] with at most `max_guesses` guesses; `None` when that was not enough to decide.
/// A typed-in grid can take the exact search very long: sparse givens that contradict each
/// other only deep in the search (the fuzzer found some needing minutes) must be bounded.
pub fn solve_within(grid: &Grid, max_guesses: u64) -> Option<Solution> {
    let stats = search_grid::<rand::rngs::SmallRng>(grid, 2, max_guesses, None);
    (!stats.gave_up).then(|| verdict(stats))
}

fn verdict(stats: SolveStats) -> Solution {
    match (stats.solutions, stats.first) {
        (1, Some(g)) => Solution::Unique(g),
        (n, Some(g)) if n > 1 => Solution::Multiple(g),
        _ => Solution::None,
    }
}

/// Exhaustive search for up to 2 solutions, with the effort spent.
pub fn solve_stats(grid: &Grid) -> SolveStats {
    search_grid::<rand::rngs::SmallRng>(grid, 2, u64::MAX, None)
}

/// Number of solutions of `grid`, counting no further than `limit` (use 2 for uniqueness).
pub fn count_solutions(grid: &Grid, limit: usize) -> usize {
    search_grid::<rand::rngs::SmallRng>(grid, limit, u64::MAX, None).solutions
}

/// A uniformly shuffled search from the empty grid: a random complete valid grid.
pub(crate) fn random_solution<R: Rng>(rng: &mut R) -> Grid {
    // The first row is a random permutation, which speeds up the search and adds variety.
    let mut first: [u8; 9] = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    first.shuffle(rng);
    let mut cells = [0u8; 81];
    cells[..9].copy_from_slice(&first);
    let grid = Grid::from_cells(cells).unwrap_or_default();
    search_grid(&grid, 1, u64::MAX, Some(rng)).first.unwrap_or_default()
}

/// True if naked and hidden singles alone fill the grid (no search needed).
pub(crate) fn singles_solve(grid: &Grid) -> bool {
    match State::from_grid(grid) {
        Some(s) => s.cand.iter().all(|&c| c & PLACED != 0),
        None => false,
    }
}

/// Singles propagation after assuming digit bit `bit` in `cell` of a partially solved grid
/// (`values`: 0 = open; `cands`: candidate masks of open cells). True if it hits a
/// contradiction, i.e. the assumption is impossible.
pub(crate) fn trial_fails(values: &[u8; 81], cands: &[u16; 81], cell: usize, bit: u16) -> bool {
    let mut s = State { cand: [0; 81] };
    let mut q = Queue::new();
    for i in 0..81 {
        if values[i] != 0 {
            s.cand[i] = (1 << (values[i] - 1)) | PLACED;
        } else {
            s.cand[i] = cands[i] & ALL;
        }
    }
    s.cand[cell] = bit;
    q.push(cell);
    for i in 0..81 {
        let c = s.cand[i];
        if i != cell && c & PLACED == 0 && c & c.wrapping_sub(1) == 0 {
            q.push(i);
        }
    }
    !s.propagate(&mut q)
}
