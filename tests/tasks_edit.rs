//! Puzzle edits (`tasks::edit`), as the page's grid editor applies them.

use proptest::prelude::*;
use trm::tasks::Task;
use trm::tasks::arc;
use trm::tasks::edit::{Edit, apply, cell};

fn set(row: usize, col: usize, symbol: char) -> Edit {
    Edit::Set { row, col, symbol }
}

#[test]
fn sudoku_cells_are_set_and_cleared() {
    let text = "1".to_string() + &".".repeat(80);
    let out = apply(Task::Sudoku, &text, set(8, 8, '9')).unwrap();
    assert_eq!(out.lines().count(), 9);
    assert_eq!(out.lines().last().unwrap(), "........9");
    assert_eq!(cell(Task::Sudoku, &out, 8, 8).unwrap(), '9');
    let cleared = apply(Task::Sudoku, &out, set(0, 0, '.')).unwrap();
    assert_eq!(cell(Task::Sudoku, &cleared, 0, 0).unwrap(), '.');
    assert!(apply(Task::Sudoku, &text, set(9, 0, '1')).unwrap_err().to_string().contains("row 10"));
    assert!(apply(Task::Sudoku, &text, set(0, 0, 'x')).is_err());
    assert!(apply(Task::Sudoku, &text, Edit::Resize { rows: 4, cols: 4 }).unwrap_err().to_string().contains("resizing"));
}

#[test]
fn a_maze_keeps_one_start_and_one_goal() {
    let text = "#####\n#S  #\n# # #\n#  G#\n#####\n";
    let moved = apply(Task::Maze, text, set(3, 1, 'S')).unwrap();
    assert_eq!(moved, "#####\n#   #\n# # #\n#S G#\n#####\n");
    let goal = apply(Task::Maze, &moved, set(1, 3, 'G')).unwrap();
    assert_eq!(goal.matches('G').count(), 1);
    assert_eq!(cell(Task::Maze, &goal, 1, 3).unwrap(), 'G');
    let wall = apply(Task::Maze, &goal, set(1, 1, '#')).unwrap();
    assert_eq!(cell(Task::Maze, &wall, 1, 1).unwrap(), '#');
    assert!(apply(Task::Maze, text, set(0, 0, 'o')).is_err(), "the path is the model's to draw");
    assert!(apply(Task::Maze, text, Edit::Fill { row: 1, col: 1, symbol: '#' }).is_err());
}

#[test]
fn resizing_keeps_the_top_left_and_pads() {
    let maze = apply(Task::Maze, "#S#\n# #\n#G#\n", Edit::Resize { rows: 4, cols: 5 }).unwrap();
    assert_eq!(maze, "#S###\n# ###\n#G###\n#####\n");
    let small = apply(Task::Maze, &maze, Edit::Resize { rows: 2, cols: 2 }).unwrap();
    assert_eq!(small, "#S\n# \n");
    assert!(apply(Task::Maze, &maze, Edit::Resize { rows: 31, cols: 5 }).is_err());
    let grid = apply(Task::Arc, "12\n34\n", Edit::Resize { rows: 3, cols: 1 }).unwrap();
    assert_eq!(grid, "1\n3\n0\n");
    assert!(apply(Task::Arc, &grid, Edit::Resize { rows: 0, cols: 1 }).is_err());
}

#[test]
fn flood_fill_paints_one_connected_region() {
    let text = "110\n010\n001\n";
    let out = apply(Task::Arc, text, Edit::Fill { row: 0, col: 0, symbol: '5' }).unwrap();
    // The 1s at (0,0), (0,1), (1,1) touch; the 1 at (2,2) only touches diagonally.
    assert_eq!(out, "550\n050\n001\n");
    assert_eq!(apply(Task::Arc, &out, Edit::Fill { row: 0, col: 0, symbol: '5' }).unwrap(), out);
    assert!(apply(Task::Arc, text, Edit::Fill { row: 3, col: 0, symbol: '5' }).is_err());
    assert!(apply(Task::Arc, text, Edit::Fill { row: 0, col: 0, symbol: 'a' }).is_err());
}

#[test]
fn edits_arrive_as_json_from_the_page() {
    let e: Edit = serde_json::from_str(r#"{"op":"fill","row":1,"col":2,"symbol":"3"}"#).unwrap();
    assert_eq!(e, Edit::Fill { row: 1, col: 2, symbol: '3' });
    let e: Edit = serde_json::from_str(r#"{"op":"resize","rows":4,"cols":6}"#).unwrap();
    assert_eq!(e, Edit::Resize { rows: 4, cols: 6 });
}

fn arc_grid() -> impl Strategy<Value = arc::Grid> {
    (1usize..=8, 1usize..=8).prop_flat_map(|(r, c)| {
        proptest::collection::vec(0u8..=3, r * c).prop_map(move |cells| arc::Grid::new(r, c, cells).unwrap())
    })
}

proptest! {
    /// A fill changes only cells of the start's colour, all to the new colour, and leaves no
    /// cell of the old colour next to a filled one (the region is complete).
    #[test]
    fn fill_is_exactly_the_region(g in arc_grid(), r in 0usize..8, c in 0usize..8, colour in 0u8..=9) {
        prop_assume!(r < g.rows() && c < g.cols());
        let out = apply(Task::Arc, &g.to_string(), Edit::Fill { row: r, col: c, symbol: char::from(b'0' + colour) }).unwrap();
        let h = arc::Grid::parse(&out).unwrap();
        let old = g.get(r, c).unwrap();
        prop_assert_eq!(h.get(r, c), Some(colour));
        for i in 0..g.rows() {
            for j in 0..g.cols() {
                let (a, b) = (g.get(i, j).unwrap(), h.get(i, j).unwrap());
                if a != b {
                    prop_assert!(a == old && b == colour);
                }
                if old != colour && b == colour && a == old {
                    for (ni, nj) in [(i.wrapping_sub(1), j), (i + 1, j), (i, j.wrapping_sub(1)), (i, j + 1)] {
                        prop_assert_ne!(h.get(ni, nj), Some(old));
                    }
                }
            }
        }
    }

    /// Resizing up and back down is the identity.
    #[test]
    fn resize_round_trips(g in arc_grid(), extra_r in 0usize..5, extra_c in 0usize..5) {
        let text = g.to_string();
        let big = apply(Task::Arc, &text, Edit::Resize { rows: g.rows() + extra_r, cols: g.cols() + extra_c }).unwrap();
        prop_assert_eq!(apply(Task::Arc, &big, Edit::Resize { rows: g.rows(), cols: g.cols() }).unwrap(), text);
    }
}
