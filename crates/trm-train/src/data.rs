//! Training data streamed from the project's own generators: every example is fresh, has a
//! unique labelled solution and carries the reference's augmentation. Example `i` of the
//! training stream is built from seed `item_seed(seed, 2i)` and held-out example `i` from
//! `item_seed(seed, 2i + 1)`, so no held-out puzzle comes from a seed the trainer used, and a
//! resumed run continues the same stream from a counter.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use trm_tasks::{Dihedral, Task, arc, item_seed, maze, sudoku};

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
    /// ARC tasks of a gallery file (`www/data/arc-gallery.json`): their demonstration pairs
    /// under `augmentations` versions each (the first is the original; the others a dihedral
    /// transform × a permutation of colours 1–9), one puzzle identifier per version. The test
    /// pairs are never trained on: they are the held-out set, scored by voting (pass@2).
    Arc { gallery: String, tasks: Vec<String>, augmentations: usize },
}

/// Tag that separates the ARC augmentation draws from the data seeds.
const ARC_STREAM: u64 = 0xA2C_A06;

/// The tasks of a gallery file, read once per process.
pub fn gallery_tasks(path: &str, ids: &[String]) -> Result<Vec<arc::GalleryTask>, String> {
    static CACHE: std::sync::Mutex<Vec<(String, arc::Gallery)>> = std::sync::Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if !cache.iter().any(|(p, _)| p == path) {
        let text = std::fs::read_to_string(path).map_err(|e| format!("ARC gallery {path}: {e}"))?;
        let g = arc::Gallery::from_json(&text).map_err(|e| format!("ARC gallery {path}: {e}"))?;
        cache.push((path.to_string(), g));
    }
    let (_, g) = cache.iter().find(|(p, _)| p == path).expect("just inserted");
    ids.iter()
        .map(|id| g.tasks.iter().find(|t| &t.id == id).cloned().ok_or_else(|| format!("ARC gallery {path} has no task `{id}`")))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataConfig {
    pub task: Task,
    pub seed: u64,
    pub bands: Vec<Band>,
    /// Maze and ARC models: the side of the square canvas (0 = the reference's 30).
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
                        && *max_size <= self.canvas_side()
                        && 0.0 <= *hardness_min
                        && hardness_min <= hardness_max
                        && *hardness_max <= 1.0 => {}
                (BandSpec::Arc { gallery, tasks, augmentations }, Task::Arc) => {
                    if self.bands.len() != 1 || tasks.is_empty() || *augmentations == 0 {
                        return Err("ARC: exactly one band, with at least one task and one augmentation".into());
                    }
                    let side = self.canvas_side();
                    for t in gallery_tasks(gallery, tasks)? {
                        let grids = t.train.iter().flat_map(|p| [&p.input, &p.output]).chain(
                            t.test.iter().flat_map(|p| std::iter::once(&p.input).chain(p.output.as_ref())),
                        );
                        for g in grids {
                            if g.rows().max(g.cols()) > side {
                                return Err(format!("ARC task {}: a {}x{} grid does not fit the {side}x{side} canvas", t.id, g.rows(), g.cols()));
                            }
                        }
                        if t.test.iter().any(|p| p.output.is_none()) {
                            return Err(format!("ARC task {}: a test output is missing (it is the held-out answer)", t.id));
                        }
                    }
                }
                (BandSpec::Maze { .. }, Task::Maze) => {
                    return Err(format!(
                        "band `{}`: sizes must satisfy 3 <= min_size <= max_size <= canvas ({}), hardness 0 <= min <= max <= 1",
                        b.name,
                        self.canvas_side()
                    ));
                }
                (spec, task) => return Err(format!("band `{}`: {spec:?} is not a {} band", b.name, task.name())),
            }
        }
        Ok(())
    }

    /// Side of the square canvas (maze and ARC).
    pub fn canvas_side(&self) -> usize {
        if self.canvas == 0 { maze::SIZE } else { self.canvas }
    }

    /// Tokens per example for this data (the model's `seq_len`).
    pub fn seq_len(&self) -> usize {
        match self.task {
            Task::Maze | Task::Arc => self.canvas_side() * self.canvas_side(),
            t => t.seq_len(),
        }
    }

    /// ARC: the band's tasks and augmentations per task.
    pub fn arc_spec(&self) -> Option<(&str, &[String], usize)> {
        match self.bands.first().map(|b| &b.spec) {
            Some(BandSpec::Arc { gallery, tasks, augmentations }) => Some((gallery, tasks, *augmentations)),
            _ => None,
        }
    }

    /// ARC: version `aug` of task `task` (version 0 is the original).
    pub fn arc_augmentation(&self, task: usize, aug: usize) -> arc::Augmentation {
        let Some((_, _, count)) = self.arc_spec() else { return arc::Augmentation::IDENTITY };
        if aug == 0 {
            return arc::Augmentation::IDENTITY;
        }
        let mut rng = SmallRng::seed_from_u64(item_seed(self.seed ^ ARC_STREAM, (task * count + aug) as u64));
        arc::Augmentation::random(&mut rng)
    }

    /// ARC: puzzle identifier of version `aug` of task `task` (0 is the reference's blank).
    pub fn arc_puzzle_id(&self, task: usize, aug: usize) -> usize {
        let count = self.arc_spec().map_or(1, |s| s.2);
        1 + task * count + aug
    }

    /// Names of the puzzle identifiers (ARC: `<blank>`, then `<task>|||t<k>|||<perm>` per
    /// version), or None for tasks without identifiers.
    pub fn puzzle_identifiers(&self) -> Option<Vec<String>> {
        let (_, tasks, count) = self.arc_spec()?;
        let mut names = vec![arc::BLANK_NAME.to_string()];
        for (t, id) in tasks.iter().enumerate() {
            for a in 0..count {
                let aug = self.arc_augmentation(t, a);
                names.push(if a == 0 { id.clone() } else { aug.name(id) });
            }
        }
        Some(names)
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
                let side = self.canvas_side();
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
            BandSpec::Arc { gallery, tasks, augmentations } => {
                let side = self.canvas_side();
                let all = gallery_tasks(gallery, tasks).expect("validated gallery");
                let t = rng.random_range(0..all.len());
                let a = rng.random_range(0..*augmentations);
                let pair = &all[t].train[rng.random_range(0..all[t].train.len())];
                let aug = self.arc_augmentation(t, a);
                let enc = |g: &arc::Grid| arc::encode_on(&aug.apply(g), 0, 0, side).expect("validated sizes");
                let tokens = enc(&pair.input).into_iter().map(i64::from).collect();
                // PAD cells of the output are not scored (the reference's ignore_label_id 0).
                let labels = enc(&pair.output).into_iter().map(|t| if t == arc::PAD { super::step::IGNORE } else { i64::from(t) }).collect();
                Example { tokens, labels, puzzle_id: self.arc_puzzle_id(t, a) as i64, band, csv: String::new() }
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
