//! Sudoku text parser: any input either parses or errors; parsed grids round-trip and solve
//! (within a guess budget).
#![no_main]
use libfuzzer_sys::fuzz_target;
use trm_tasks::sudoku::{Grid, solve_within};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(g) = Grid::parse(text) {
        assert_eq!(Grid::parse(&g.to_line()).unwrap(), g);
        assert_eq!(Grid::from_tokens(&g.to_tokens()).unwrap(), g);
        let _ = g.conflicts();
        // Bounded: unbounded, some grids take minutes (see tests/tasks_sudoku.rs).
        let _ = solve_within(&g, 100_000);
    }
    let _ = Grid::from_tokens(data);
});
