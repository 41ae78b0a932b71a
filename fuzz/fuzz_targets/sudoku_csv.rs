//! Sudoku CSV parser and the data checker: malformed rows are errors or reported failures.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trm_tasks::{data, sudoku};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rows) = sudoku::parse_csv(text) {
        for r in rows {
            assert_eq!(
                sudoku::Row::parse(&r.to_csv(), 1).unwrap().question,
                r.question
            );
        }
    }
    let _ = data::check(text);
});
