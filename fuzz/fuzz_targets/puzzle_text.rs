//! What a person types into the page or `trm solve`: `tasks::puzzle::encode` for any task and
//! model canvas either encodes or errors; what it encodes renders back to text that encodes to
//! the same tokens. Gallery files (`tasks::gallery::entries`) error, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trm_tasks::{Task, gallery, puzzle};

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let task = Task::ALL[usize::from(head % 3)];
    // The reference canvas, or a smaller square one (a small maze or ARC model).
    let side = 2 + usize::from(head / 3 % 29);
    let seq_len = if head & 0x80 == 0 { task.seq_len() } else { side * side };
    if let Ok(e) = puzzle::encode(task, text, seq_len, usize::from(head >> 5)) {
        assert_eq!(e.tokens.len(), seq_len);
        assert!(e.tokens.iter().all(|&t| usize::from(t) < task.vocab_size()));
        let shown = puzzle::render(task, &e.tokens, e.rows, e.cols);
        let again = puzzle::encode(task, &shown, seq_len, 0).unwrap_or_else(|err| panic!("{shown:?}: {err}"));
        assert_eq!(again.tokens, e.tokens);
    }
    let _ = puzzle::sudoku_conflicts(rest);
    let _ = gallery::entries(task, text);
});
