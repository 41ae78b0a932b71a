//! Training data streamed from the project's own generators: every example is fresh, has a
//! unique labelled solution and carries the reference's augmentation. Example `i` of the
//! training stream is built from seed `item_seed(seed, 2i)` and held-out example `i` from
//! `item_seed(seed, 2i + 1)`, so no held-out puzzle comes from a seed the trainer used, and a
//! resumed run continues the same stream from a counter.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::tasks::{Task, item_seed, sudoku};

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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataConfig {
    pub task: Task,
    pub seed: u64,
    pub bands: Vec<Band>,
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
                (spec, task) => return Err(format!("band `{}`: {spec:?} is not a {} band", b.name, task.name())),
            }
        }
        Ok(())
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
        }
    }

    /// The CSV header of this task's held-out files.
    pub fn csv_header(&self) -> &'static str {
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
            let BandSpec::Givens { min, max } = c.bands[e.band].spec;
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
