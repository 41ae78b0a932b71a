//! ARC task JSON, Kaggle challenges/solutions and gallery parsers: errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trm_tasks::arc::{ArcTask, Gallery, crop, load_kaggle};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(task) = ArcTask::from_json(text) {
        assert_eq!(ArcTask::from_json(&task.to_json()).unwrap(), task);
        for ex in &task.train {
            assert_eq!(crop(&ex.input.to_tokens()).unwrap(), ex.input);
            assert_eq!(crop(&ex.output.to_tokens()).unwrap(), ex.output);
        }
    }
    let _ = load_kaggle(text, Some(text));
    let _ = Gallery::from_json(text);
});
