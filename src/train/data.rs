//! Training data streamed from the project's own generators: every example is fresh, has a
//! unique labelled solution and carries the reference's augmentation. Example `i` of the
//! training stream is built from seed `item_seed(seed, 2i)` and held-out example `i` from
//! `item_seed(seed, 2i + 1)`, so no held-out puzzle comes from a seed the trainer used, and a
//! resumed run continues the same stream from a counter.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::tasks::{Dihedral, Task, item_seed, maze, sudoku};

/// A slice of the difficulty range, sampled with a weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub name: String,
    pub weight: f64,
    #[serde(flatten)]
    pub spec: BandSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BandSpec {
    /// Sudoku with `min..=max` givens.
    Givens { min: usize, max: usize },
    /// Square mazes of side `min_size..=max_size`: corridor mazes (one route between any two
    /// cells) or scattered walls (redrawn until the shortest route is unique); `hardness`
    /// drawn from `hardness_min..=hardness_max` (see [`maze::MazeParams`]).
    Maze { min_size: usize, max_size: usize, corridor: bool, hardness_min: f64, hardness_max: f64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataConfig {
    pub task: Task,
    pub seed: u64,
    pub bands: Vec<Band>,
    /// Maze models: the side of the square canvas (0 = the reference's 30).
    #[serde(default)]
    pub canvas: usize,
}

/// One example as the model sees it (labels: the solution's tokens).
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub tokens: Vec<i64>,
    pub labels: Vec<i64>,
    pub puzzle_id: i64,
    /// Index into [`DataConfig::bands`].
    pub band: usize,
    /// The puzzle and solution as CSV (reference layout), for held-out files.
    pub csv: String,
}

impl DataConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.bands.is_empty() || self.bands.iter().any(|b| !(b.weight >= 0.0)) {
            return Err("data: at least one band, with non-negative weights".into());
        }
        if self.bands.iter().map(|b| b.weight).sum::<f64>() <= 0.0 {
            return Err("data: the band weights sum to zero".into());
        }
        for b in &self.bands {
            match (&b.spec, self.task) {
                (BandSpec::Givens { min, max }, Task::Sudoku) if min <= max && *max <= 81 && *min >= 17 => {}
                (BandSpec::Givens { .. }, Task::Sudoku) => {
                    return Err(format!("band `{}`: givens must satisfy 17 <= min <= max <= 81", b.name));
                }
                (BandSpec::Maze { min_size, max_size, hardness_min, hardness_max, .. }, Task::Maze)
                    if 3 <= *min_size
                        && min_size <= max_size
                        && *max_size <= self.maze_side()
                        && 0.0 <= *hardness_min
                        && hardness_min <= hardness_max
                        && *hardness_max <= 1.0 => {}
                (BandSpec::Maze { .. }, Task::Maze) => {
                    return Err(format!(
                        "band `{}`: sizes must satisfy 3 <= min_size <= max_size <= canvas ({}), hardness 0 <= min <= max <= 1",
                        b.name,
                        self.maze_side()
                    ));
                }
                (spec, task) => return Err(format!("band `{}`: {spec:?} is not a {} band", b.name, task.name())),
            }
        }
        Ok(())
    }

    /// Side of the maze canvas.
    pub fn maze_side(&self) -> usize {
        if self.canvas == 0 { maze::SIZE } else { self.canvas }
    }

    /// Tokens per example for this data (the model's `seq_len`).
    pub fn seq_len(&self) -> usize {
        match self.task {
            Task::Maze => self.maze_side() * self.maze_side(),
            t => t.seq_len(),
        }
    }

    /// Training example `index`.
    pub fn train_example(&self, index: u64) -> Example {
        self.example(item_seed(self.seed, 2 * index), None)
    }

    /// Held-out example `index` of band `band`.
    pub fn heldout_example(&self, band: usize, index: u64) -> Example {
        let seed = item_seed(self.seed, 2 * (index * self.bands.len() as u64 + band as u64) + 1);
        self.example(seed, Some(band))
    }

    fn pick_band(&self, rng: &mut SmallRng) -> usize {
        let total: f64 = self.bands.iter().map(|b| b.weight).sum();
        let mut x = rng.random::<f64>() * total;
        for (i, b) in self.bands.iter().enumerate() {
            if x < b.weight {
                return i;
            }
            x -= b.weight;
        }
        self.bands.len() - 1
    }

    fn example(&self, seed: u64, band: Option<usize>) -> Example {
        let mut rng = SmallRng::seed_from_u64(seed);
        let band = band.unwrap_or_else(|| self.pick_band(&mut rng));
        match &self.bands[band].spec {
            BandSpec::Givens { min, max } => {
                let givens = rng.random_range(*min..=*max);
                let (puzzle, solution) = sudoku::generate_with_givens(rng.random(), givens);
                let aug = sudoku::Augmentation::random(&mut rng);
                let (puzzle, solution) = (aug.apply(&puzzle), aug.apply(&solution));
                let row = sudoku::Row {
                    source: self.bands[band].name.clone(),
                    question: puzzle,
                    answer: solution,
                    rating: puzzle.filled() as f64,
                };
                Example {
                    tokens: puzzle.to_tokens().iter().map(|&t| t as i64).collect(),
                    labels: solution.to_tokens().iter().map(|&t| t as i64).collect(),
                    puzzle_id: 0,
                    band,
                    csv: row.to_csv(),
                }
            }
            BandSpec::Maze { min_size, max_size, corridor, hardness_min, hardness_max } => {
                let side = self.maze_side();
                let size = rng.random_range(*min_size..=*max_size);
                let hardness = rng.random_range(*hardness_min..=*hardness_max);
                let seed = rng.random();
                let g = if *corridor {
                    maze::generate_corridor(seed, size, size, hardness)
                } else {
                    maze::generate_unique(seed, maze::MazeParams { rows: size, cols: size, hardness })
                }
                .expect("validated band parameters");
                let t = Dihedral::ALL[rng.random_range(0..8)];
                let (puzzle, solution) = (g.puzzle.transform(t), g.solution.transform(t));
                let row = maze::Row {
                    source: self.bands[band].name.clone(),
                    question: puzzle.padded(),
                    answer: solution.padded(),
                    rating: g.distance as f64,
                };
                let tokens = |m: &maze::Maze| -> Vec<i64> {
                    m.to_tokens_on(side).expect("fits the canvas").iter().map(|&t| t as i64).collect()
                };
                Example { tokens: tokens(&puzzle), labels: tokens(&solution), puzzle_id: 0, band, csv: row.to_csv() }
            }
        }
    }

    /// The CSV header of this task's held-out files.
    pub fn csv_header(&self) -> &'static str {
        // Maze files share the reference's column layout.
        sudoku::CSV_HEADER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> DataConfig {
        DataConfig {
            task: Task::Sudoku,
            seed: 3,
            canvas: 0,
            bands: vec![
                Band { name: "givens 45-52".into(), weight: 1.0, spec: BandSpec::Givens { min: 45, max: 52 } },
                Band { name: "givens 24-29".into(), weight: 1.0, spec: BandSpec::Givens { min: 24, max: 29 } },
            ],
        }
    }

    #[test]
    fn examples_are_unique_puzzles_in_their_band_and_reproducible() {
        let c = cfg();
        for i in 0..6 {
            let e = c.train_example(i);
            assert_eq!(e, c.train_example(i));
            let puzzle = sudoku::Grid::from_tokens(&e.tokens.iter().map(|&t| t as u8).collect::<Vec<_>>()).unwrap();
            let answer = sudoku::Grid::from_tokens(&e.labels.iter().map(|&t| t as u8).collect::<Vec<_>>()).unwrap();
            assert_eq!(sudoku::solve(&puzzle).unique(), Some(answer));
            let BandSpec::Givens { min, max } = c.bands[e.band].spec else { panic!("a Sudoku band") };
            // Digging stops at a minimal puzzle, which may keep a few more givens than asked.
            assert!(puzzle.filled() >= min && (puzzle.filled() <= max || e.band == 1), "{}", puzzle.filled());
        }
    }

    #[test]
    fn heldout_seeds_never_meet_training_seeds() {
        let c = cfg();
        let train: std::collections::HashSet<Vec<i64>> = (0..200).map(|i| c.train_example(i).tokens).collect();
        for band in 0..2 {
            for i in 0..50 {
                assert!(!train.contains(&c.heldout_example(band, i).tokens));
            }
        }
    }

    #[test]
    fn bad_bands_are_errors() {
        let mut c = cfg();
        c.bands[0].spec = BandSpec::Givens { min: 50, max: 40 };
        assert!(c.validate().unwrap_err().contains("givens 45-52"));
        c.bands.clear();
        assert!(c.validate().is_err());
    }
}

#[cfg(test)]
mod maze_tests {
    use super::*;

    #[test]
    fn maze_examples_fit_the_canvas_and_have_a_unique_shortest_route() {
        let c = DataConfig {
            task: Task::Maze,
            seed: 5,
            canvas: 12,
            bands: vec![
                Band { name: "maze corridor".into(), weight: 1.0, spec: BandSpec::Maze { min_size: 5, max_size: 12, corridor: true, hardness_min: 0.5, hardness_max: 1.0 } },
                Band { name: "maze open".into(), weight: 1.0, spec: BandSpec::Maze { min_size: 5, max_size: 12, corridor: false, hardness_min: 0.2, hardness_max: 1.0 } },
            ],
        };
        c.validate().unwrap();
        for i in 0..20 {
            let e = c.train_example(i);
            assert_eq!(e.tokens.len(), 144);
            let to_u8 = |v: &[i64]| v.iter().map(|&t| t as u8).collect::<Vec<_>>();
            let puzzle = maze::Maze::from_canvas_tokens(&to_u8(&e.tokens)).unwrap();
            let label = maze::Maze::from_canvas_tokens(&to_u8(&e.labels)).unwrap();
            assert_eq!(puzzle.shortest_routes(2), 1, "{puzzle:?}");
            let v = maze::judge(&puzzle, &label, Some(&label));
            assert!(v.shortest && v.exact, "{label:?}");
        }
        let mut bad = c.clone();
        bad.canvas = 8;
        assert!(bad.validate().unwrap_err().contains("canvas (8)"));
    }
}
