//! Seeded generation of unique-solution puzzles of a requested grade.
//!
//! A random complete grid is dug out cell by cell (random order) while the puzzle keeps a
//! unique solution. Easy puzzles are dug only while singles still solve them and keep 30-36
//! givens; the other grades are dug to a minimal puzzle, graded, and redrawn until the grade
//! matches. For the rare top grades a hill climb swaps givens to make the puzzle harder.

use super::grade::needs_only_singles;
use super::solver::random_solution;
use super::{CSV_HEADER, Difficulty, Grid, Row, count_solutions, grade, solve_stats};
use crate::item_seed;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// A generated puzzle with its solution and grade.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub puzzle: Grid,
    pub solution: Grid,
    pub difficulty: Difficulty,
    /// Search effort ([`super::SolveStats::guesses`]), the numeric `rating` of the CSV row.
    pub rating: u64,
}

impl Generated {
    /// The reference CSV row; `source` is the grade name.
    pub fn to_row(&self) -> Row {
        Row {
            source: self.difficulty.name().to_string(),
            question: self.puzzle,
            answer: self.solution,
            rating: self.rating as f64,
        }
    }
}

/// Generates one puzzle of grade `difficulty`, fully determined by `seed`.
pub fn generate(seed: u64, difficulty: Difficulty) -> Generated {
    let mut rng = SmallRng::seed_from_u64(seed);
    loop {
        if let Some(g) = attempt(&mut rng, difficulty) {
            return g;
        }
    }
}

/// An endless, reproducible stream of puzzles: item `i` uses seed `item_seed(seed, i)`, so any
/// prefix is the same whatever is generated after it. `difficulty: None` cycles through all
/// grades (easy, medium, hard, expert, extreme, easy, ...).
#[derive(Debug, Clone)]
pub struct Generator {
    seed: u64,
    index: u64,
    difficulty: Option<Difficulty>,
}

impl Generator {
    pub fn new(seed: u64, difficulty: Option<Difficulty>) -> Generator {
        Generator {
            seed,
            index: 0,
            difficulty,
        }
    }

    /// The grade of item `index`.
    pub fn difficulty_of(&self, index: u64) -> Difficulty {
        self.difficulty
            .unwrap_or(Difficulty::ALL[(index % 5) as usize])
    }

    /// Item `index` of the stream (independent of the iterator position).
    pub fn nth_item(&self, index: u64) -> Generated {
        generate(item_seed(self.seed, index), self.difficulty_of(index))
    }
}

impl Iterator for Generator {
    type Item = Generated;
    fn next(&mut self) -> Option<Generated> {
        let g = self.nth_item(self.index);
        self.index += 1;
        Some(g)
    }
}

/// `count` puzzles as reference CSV text (header included).
pub fn generate_csv(count: usize, seed: u64, difficulty: Option<Difficulty>) -> String {
    let mut out = String::with_capacity(64 + count * 180);
    out.push_str(CSV_HEADER);
    out.push('\n');
    for g in Generator::new(seed, difficulty).take(count) {
        out.push_str(&g.to_row().to_csv());
        out.push('\n');
    }
    out
}

fn shuffled_cells<R: Rng>(rng: &mut R) -> [u8; 81] {
    let mut order = [0u8; 81];
    for (i, o) in order.iter_mut().enumerate() {
        *o = i as u8;
    }
    order.shuffle(rng);
    order
}

/// A puzzle with about `givens` clues: a random complete grid dug in random order while the
/// solution stays unique, stopping at `givens` (or at a minimal puzzle, if that has more).
/// Returns (puzzle, solution). The trainer's bands of difficulty are counted in givens.
pub fn generate_with_givens(seed: u64, givens: usize) -> (Grid, Grid) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let solution = random_solution(&mut rng);
    let mut cells = *solution.cells();
    let mut filled = 81;
    for &c in shuffled_cells(&mut rng).iter() {
        if filled <= givens {
            break;
        }
        let c = c as usize;
        let v = cells[c];
        cells[c] = 0;
        if count_solutions(&Grid::from_cells(cells).unwrap_or_default(), 2) == 1 {
            filled -= 1;
        } else {
            cells[c] = v;
        }
    }
    (Grid::from_cells(cells).unwrap_or_default(), solution)
}

/// Removes givens in random order while the puzzle stays unique.
fn dig_minimal<R: Rng>(rng: &mut R, start: &Grid) -> Grid {
    let mut cells = *start.cells();
    for &c in shuffled_cells(rng).iter() {
        let c = c as usize;
        let v = cells[c];
        if v == 0 {
            continue;
        }
        cells[c] = 0;
        let g = Grid::from_cells(cells).unwrap_or_default();
        if count_solutions(&g, 2) != 1 {
            cells[c] = v;
        }
    }
    Grid::from_cells(cells).unwrap_or_default()
}

fn finish(puzzle: Grid, solution: Grid, difficulty: Difficulty) -> Generated {
    let rating = solve_stats(&puzzle).guesses;
    Generated {
        puzzle,
        solution,
        difficulty,
        rating,
    }
}

/// One try at a puzzle of the wanted grade.
fn attempt<R: Rng>(rng: &mut R, want: Difficulty) -> Option<Generated> {
    let solution = random_solution(rng);
    if want == Difficulty::Easy {
        let target = rng.random_range(30..=36);
        let mut cells = *solution.cells();
        let mut givens = 81;
        for &c in shuffled_cells(rng).iter() {
            if givens <= target {
                break;
            }
            let c = c as usize;
            let v = cells[c];
            cells[c] = 0;
            if needs_only_singles(&Grid::from_cells(cells).unwrap_or_default()) {
                givens -= 1;
            } else {
                cells[c] = v;
            }
        }
        let puzzle = Grid::from_cells(cells).unwrap_or_default();
        return Some(finish(puzzle, solution, Difficulty::Easy));
    }
    let puzzle = dig_minimal(rng, &solution);
    let got = grade(&puzzle).ok()?;
    if got.difficulty == want {
        return Some(Generated {
            puzzle,
            solution,
            difficulty: want,
            rating: got.guesses,
        });
    }
    let got = got.difficulty;
    if got < want && want >= Difficulty::Expert {
        return climb(rng, puzzle, solution, want);
    }
    None
}

/// Hill climb towards a harder grade: repeatedly add one given from the solution, then dig
/// to minimal again, keeping the result when it is at least as hard (by grade, then search
/// effort). Gives up after a bounded number of moves.
fn climb<R: Rng>(rng: &mut R, start: Grid, solution: Grid, want: Difficulty) -> Option<Generated> {
    let score = |p: &Grid| -> Option<(Difficulty, u64)> {
        let g = grade(p).ok()?;
        Some((g.difficulty, g.guesses))
    };
    let mut best = start;
    let mut best_score = score(&best)?;
    for _ in 0..60 {
        let mut cells = *best.cells();
        // Add two givens from the solution, then dig back to a minimal puzzle.
        for _ in 0..2 {
            let empty: Vec<usize> = (0..81).filter(|&i| cells[i] == 0).collect();
            if let Some(&c) = empty.get(rng.random_range(0..empty.len().max(1))) {
                cells[c] = solution.cells()[c];
            }
        }
        let cand = dig_minimal(rng, &Grid::from_cells(cells).unwrap_or_default());
        let Some(s) = score(&cand) else { continue };
        if s.0 == want {
            return Some(Generated {
                puzzle: cand,
                solution,
                difficulty: want,
                rating: s.1,
            });
        }
        if s.0 < want && s >= best_score {
            best = cand;
            best_score = s;
        }
    }
    None
}
