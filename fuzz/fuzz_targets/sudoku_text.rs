//! Sudoku text parser: any input either parses or errors; parsed grids round-trip and solve.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trm::tasks::sudoku::{Grid, count_solutions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(g) = Grid::parse(text) {
        assert_eq!(Grid::parse(&g.to_line()).unwrap(), g);
        assert_eq!(Grid::from_tokens(&g.to_tokens()).unwrap(), g);
        let _ = g.conflicts();
        assert!(count_solutions(&g, 2) <= 2);
    }
    let _ = Grid::from_tokens(data);
});
