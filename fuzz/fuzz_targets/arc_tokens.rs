//! ARC model-output side: crop rule on arbitrary tokens, augmented-name parser and voting.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trm_tasks::arc::{Augmentation, Votes, crop};

fuzz_target!(|data: &[u8]| {
    if data.len() >= 900 {
        let (tokens, rest) = data.split_at(900);
        let g = crop(tokens).unwrap();
        assert!(g.rows() <= 30 && g.cols() <= 30);
        let name = String::from_utf8_lossy(rest);
        if let Ok((base, aug)) = Augmentation::parse_name(&name) {
            assert_eq!(aug.invert(&aug.apply(&g)), g);
            if name.contains("|||") {
                assert_eq!(aug.name(base), name);
            }
        }
        let mut votes = Votes::new();
        let _ = votes.add(&name, tokens, tokens, 0.5);
    } else {
        let _ = crop(data);
        let _ = Augmentation::parse_name(&String::from_utf8_lossy(data));
    }
});
