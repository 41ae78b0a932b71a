//! Maze CSV parser and the data checker.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trm_tasks::{data, maze};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = maze::parse_csv(text);
    let _ = data::check(text);
});
