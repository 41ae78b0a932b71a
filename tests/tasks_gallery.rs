//! The committed demo galleries in `www/data/` parse and hold valid, labelled puzzles.

use serde_json::Value;
use std::collections::BTreeSet;
use trm::tasks::arc::{Gallery, crop};
use trm::tasks::maze::{Maze, judge};
use trm::tasks::sudoku::{Difficulty, Grid, Solution, grade, solve};

fn read(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("www/data")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn arc_gallery() {
    let g = Gallery::from_json(&read("arc-gallery.json")).unwrap();
    assert!(g.tasks.len() >= 30);
    assert!(g.license.contains("Apache-2.0"));
    let ids: BTreeSet<&str> = g.tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids.len(), g.tasks.len(), "ids are unique");
    for t in &g.tasks {
        for p in &t.test {
            let out = p
                .output
                .as_ref()
                .expect("gallery tasks ship their test outputs");
            assert_eq!(&crop(&out.to_tokens()).unwrap(), out);
        }
    }
    assert!(read("ARC-LICENSE.txt").contains("Apache License"));
}

#[test]
fn sudoku_gallery() {
    let v: Value = serde_json::from_str(&read("sudoku-gallery.json")).unwrap();
    let puzzles = v["puzzles"].as_array().unwrap();
    assert!(puzzles.len() >= 30);
    let mut grades = BTreeSet::new();
    for p in puzzles {
        let puzzle = Grid::parse(p["puzzle"].as_str().unwrap()).unwrap();
        let solution = Grid::parse(p["solution"].as_str().unwrap()).unwrap();
        assert_eq!(solve(&puzzle), Solution::Unique(solution));
        let d: Difficulty = p["difficulty"].as_str().unwrap().parse().unwrap();
        assert_eq!(grade(&puzzle).unwrap().difficulty, d);
        grades.insert(d);
    }
    assert_eq!(
        grades.len(),
        Difficulty::ALL.len(),
        "every grade is represented"
    );
}

#[test]
fn maze_gallery() {
    let v: Value = serde_json::from_str(&read("maze-gallery.json")).unwrap();
    let mazes = v["mazes"].as_array().unwrap();
    assert_eq!(mazes.len(), 20);
    let mut sizes = BTreeSet::new();
    for m in mazes {
        let text = |k: &str| -> String {
            m[k].as_array()
                .unwrap()
                .iter()
                .map(|l| format!("{}\n", l.as_str().unwrap()))
                .collect()
        };
        let puzzle = Maze::parse(&text("puzzle")).unwrap();
        let solution = Maze::parse(&text("solution")).unwrap();
        assert!(judge(&puzzle, &solution, None).shortest);
        assert_eq!(
            puzzle.shortest_distance(),
            m["distance"].as_u64().map(|d| d as usize)
        );
        sizes.insert((puzzle.rows(), puzzle.cols()));
    }
    assert!(sizes.len() >= 3);
}

/// `tests/browser/fixtures/gallery-tokens.json`: the SHA-256 of the model tokens of every
/// gallery entry, encoded here from the galleries' structured fields. The page test loads each
/// entry through the page (gallery file -> codec module -> editor text -> tokens) and compares.
/// `UPDATE_EXPECTED=1 cargo test --test tasks_gallery` rewrites the file after a gallery change.
#[test]
fn browser_fixture_holds_the_rust_encoding_of_every_gallery_entry() {
    use sha2::{Digest, Sha256};
    use std::collections::BTreeMap;
    use trm::tasks::arc;
    use trm::tasks::gallery::{MazeGallery, SudokuGallery};
    let hash = |tokens: &[u8]| format!("{:x}", Sha256::digest(tokens));
    let mut want = BTreeMap::new();
    let s: SudokuGallery = serde_json::from_str(&read("sudoku-gallery.json")).unwrap();
    for p in s.puzzles {
        want.insert(format!("sudoku:{}", p.id), hash(&Grid::parse(&p.puzzle).unwrap().to_tokens()));
    }
    let m: MazeGallery = serde_json::from_str(&read("maze-gallery.json")).unwrap();
    for e in m.mazes {
        let rows: String = e.puzzle.iter().map(|r| format!("{r}\n")).collect();
        want.insert(format!("maze:{}", e.id), hash(&Maze::parse(&rows).unwrap().to_tokens()));
    }
    for t in Gallery::from_json(&read("arc-gallery.json")).unwrap().tasks {
        for (i, test) in t.test.iter().enumerate() {
            let key = if i == 0 { format!("arc:{}", t.id) } else { format!("arc:{}#{}", t.id, i + 1) };
            want.insert(key, hash(&arc::encode(&test.input, 0, 0).unwrap()));
        }
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/fixtures/gallery-tokens.json");
    let text = serde_json::to_string_pretty(&want).unwrap() + "\n";
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        // Rewriting is never a pass: the new file is compared on the next run, after review.
        std::fs::write(&path, &text).unwrap();
        panic!("{} rewritten: review the diff, then rerun without UPDATE_EXPECTED", path.display());
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == text, "{} is stale: rerun with UPDATE_EXPECTED=1", path.display());
}
