//! Maze text parser: parsed mazes round-trip, pad/crop and can be solved and judged.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trm_tasks::maze::{Maze, judge, judge_tokens};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(m) = Maze::parse(text) {
        assert_eq!(Maze::parse(&m.to_text()).unwrap(), m);
        let back = Maze::from_tokens(&m.to_tokens()).unwrap();
        assert_eq!(back.cropped(m.rows(), m.cols()).unwrap(), m);
        let _ = m.shortest_distance();
        if let Some(label) = m.solve() {
            assert!(judge(&m, &label, Some(&label)).shortest);
        }
        let _ = judge(&m, &m, None);
        let _ = judge_tokens(&m, data, None);
    }
    let _ = Maze::from_tokens(data);
});
