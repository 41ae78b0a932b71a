//! The demo galleries in `www/data/` (`<task>-gallery.json`): the file shapes, written by the
//! `make_gallery` example (Sudoku, maze) and `scripts/arc_gallery.py` (ARC), and read by the
//! tests and the page, so writer and readers share one definition.

use super::{Result, Task, TaskError, arc};
use serde::{Deserialize, Serialize};

/// `sudoku-gallery.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SudokuGallery {
    pub generator: String,
    pub format: String,
    pub puzzles: Vec<SudokuEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SudokuEntry {
    pub id: String,
    pub difficulty: String,
    /// Search effort of the exact solver (the CSV `rating`).
    pub rating: u64,
    pub givens: usize,
    pub techniques: Vec<String>,
    /// 81 characters, row-major, `.` for a blank.
    pub puzzle: String,
    pub solution: String,
}

/// `maze-gallery.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MazeGallery {
    pub generator: String,
    pub format: String,
    pub mazes: Vec<MazeEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MazeEntry {
    pub id: String,
    pub rows: usize,
    pub cols: usize,
    pub hardness: f64,
    /// Moves on the shortest path.
    pub distance: usize,
    /// One string per row.
    pub puzzle: Vec<String>,
    pub solution: Vec<String>,
}

/// One gallery puzzle as the page lists it, whatever the task: the text goes into the editor
/// and through [`super::puzzle::encode`] like anything a person types.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The gallery's id; for ARC the task id, which is also the puzzle-identifier name an
    /// ARC model was trained with.
    pub id: String,
    /// ARC: which of the task's test inputs this is (0 for other tasks).
    pub test: usize,
    /// What the puzzle picker shows.
    pub name: String,
    pub text: String,
    /// The answer's text, when the gallery knows it.
    pub solution: Option<String>,
    /// ARC: the demonstration pairs shown beside the test input.
    pub train: Vec<arc::Example>,
}

/// The entries of a gallery file for `task`. A file of the wrong shape is an error that says
/// what was expected.
pub fn entries(task: Task, json: &str) -> Result<Vec<Entry>> {
    let bad = |e: serde_json::Error| TaskError::Json(format!("not a {task} gallery: {e}"));
    let lines = |rows: &[String]| rows.iter().map(|r| format!("{r}\n")).collect::<String>();
    Ok(match task {
        Task::Sudoku => serde_json::from_str::<SudokuGallery>(json)
            .map_err(bad)?
            .puzzles
            .into_iter()
            .map(|p| Entry {
                name: format!("{} ({}, {} givens)", p.id, p.difficulty, p.givens),
                id: p.id,
                test: 0,
                text: p.puzzle,
                solution: Some(p.solution),
                train: Vec::new(),
            })
            .collect(),
        Task::Maze => serde_json::from_str::<MazeGallery>(json)
            .map_err(bad)?
            .mazes
            .into_iter()
            .map(|m| Entry {
                name: format!("{}×{} maze, hardness {}, {} moves", m.rows, m.cols, m.hardness, m.distance),
                id: m.id,
                test: 0,
                text: lines(&m.puzzle),
                solution: Some(lines(&m.solution)),
                train: Vec::new(),
            })
            .collect(),
        Task::Arc => arc::Gallery::from_json(json)?
            .tasks
            .into_iter()
            .flat_map(|t| {
                let n = t.test.len();
                t.test.into_iter().enumerate().map(move |(i, test)| Entry {
                    id: t.id.clone(),
                    test: i,
                    name: format!("{} ({}){}", t.id, t.dataset, if n == 1 { String::new() } else { format!(", test {} of {n}", i + 1) }),
                    text: test.input.to_string(),
                    solution: test.output.map(|o| o.to_string()),
                    train: t.train.clone(),
                })
            })
            .collect(),
    })
}
