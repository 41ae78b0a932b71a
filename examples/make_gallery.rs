//! Writes the demo galleries `www/data/sudoku-gallery.json` (7 puzzles per grade) and
//! `www/data/maze-gallery.json` (20 mazes, 5 sizes x 4 hardness levels), reproducibly:
//!
//! ```text
//! cargo run --release --no-default-features --example make_gallery
//! ```

use std::path::Path;
use trm::tasks::gallery::{MazeEntry, MazeGallery, SudokuEntry, SudokuGallery};
use trm::tasks::maze::{self, MazeParams};
use trm::tasks::sudoku::{self, Difficulty};

const SUDOKU_SEED: u64 = 20_250_301;
const MAZE_SEED: u64 = 20_250_302;
const PER_GRADE: usize = 7;

fn lines(m: &maze::Maze) -> Vec<String> {
    m.to_text().lines().map(str::to_string).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/data");
    std::fs::create_dir_all(&out)?;
    let generator = "cargo run --release --no-default-features --example make_gallery".to_string();

    let mut puzzles = Vec::new();
    for d in Difficulty::ALL {
        for (i, g) in sudoku::Generator::new(SUDOKU_SEED, Some(d))
            .take(PER_GRADE)
            .enumerate()
        {
            let grading = sudoku::grade(&g.puzzle)?;
            puzzles.push(SudokuEntry {
                id: format!("{d}-{}", i + 1),
                difficulty: d.to_string(),
                rating: g.rating,
                givens: g.puzzle.filled(),
                techniques: grading.uses.iter().map(ToString::to_string).collect(),
                puzzle: g.puzzle.to_line(),
                solution: g.solution.to_line(),
            });
        }
    }
    let gallery = SudokuGallery {
        generator: generator.clone(),
        format: "puzzle: 81 chars row-major, '.' = empty; solution: 81 digits".into(),
        puzzles,
    };
    std::fs::write(
        out.join("sudoku-gallery.json"),
        serde_json::to_string_pretty(&gallery)? + "\n",
    )?;

    let mut mazes = Vec::new();
    let mut index = 0u64;
    for size in [10usize, 15, 20, 25, 30] {
        for hardness in [0.25, 0.5, 0.75, 1.0] {
            let params = MazeParams {
                rows: size,
                cols: size,
                hardness,
            };
            let g = maze::generate(trm::tasks::item_seed(MAZE_SEED, index), params)?;
            index += 1;
            mazes.push(MazeEntry {
                id: format!("maze-{size}x{size}-h{}", (hardness * 100.0) as u32),
                rows: size,
                cols: size,
                hardness,
                distance: g.distance,
                puzzle: lines(&g.puzzle),
                solution: lines(&g.solution),
            });
        }
    }
    let gallery = MazeGallery {
        generator,
        format: "one string per row; '#' wall, ' ' open, 'S' start, 'G' goal, 'o' path; \
                 the model sees the maze at the top-left of a 30x30 canvas filled with '#'"
            .into(),
        mazes,
    };
    std::fs::write(
        out.join("maze-gallery.json"),
        serde_json::to_string_pretty(&gallery)? + "\n",
    )?;
    println!(
        "wrote {}/sudoku-gallery.json and maze-gallery.json",
        out.display()
    );
    Ok(())
}
