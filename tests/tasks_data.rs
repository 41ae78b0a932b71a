//! Task metadata and the data-file checker used by `trm data check`.

use trm::tasks::data::{check, detect_task};
use trm::tasks::{Task, item_seed};

const Q: &str = "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..";
const A: &str = "812753649943682175675491283154237896369845721287169534521974368438526917796318452";

#[test]
fn task_metadata_matches_reference() {
    assert_eq!(
        (Task::Sudoku.seq_len(), Task::Sudoku.vocab_size()),
        (81, 11)
    );
    assert_eq!((Task::Maze.seq_len(), Task::Maze.vocab_size()), (900, 6));
    assert_eq!((Task::Arc.seq_len(), Task::Arc.vocab_size()), (900, 12));
    for t in Task::ALL {
        assert_eq!(t.to_string().parse::<Task>().unwrap(), t);
    }
    assert!("chess".parse::<Task>().is_err());
}

#[test]
fn item_seeds_differ() {
    let seeds: std::collections::BTreeSet<u64> = (0..1000).map(|i| item_seed(5, i)).collect();
    assert_eq!(seeds.len(), 1000);
    assert_ne!(item_seed(5, 0), item_seed(6, 0));
}

#[test]
fn sudoku_rows_are_checked_one_by_one() {
    let mut not_unique = Q.to_string();
    not_unique.replace_range(0..1, ".");
    let mut wrong = A.to_string();
    wrong.replace_range(80..81, "1");
    let text = format!(
        "source,question,answer,rating\n\
         ok,{Q},{A},1\n\
         multi,{not_unique},{A},1\n\
         wrong,{Q},{wrong},1\n\
         short,{Q},{},1\n\
         ok,{Q},{A},1\n",
        &A[..80]
    );
    assert_eq!(detect_task(&text).unwrap(), Task::Sudoku);
    let report = check(&text).unwrap();
    assert_eq!(report.rows, 5);
    assert_eq!(report.passed(), 2);
    let lines: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, [3, 4, 5]);
    assert!(report.failures[0].reason.contains("more than one solution"));
    assert!(report.failures[1].reason.contains("differs"));
    assert!(report.to_string().contains("5 rows, 2 passed, 3 failed"));
}

#[test]
fn detect_and_arc_json() {
    assert!(check("").is_err());
    assert!(check("source,question,answer,rating\n").is_err());
    assert!(check("a,123,456,0\n").is_err());
    let task = r#"{"train": [{"input": [[1]], "output": [[2]]}], "test": [{"input": [[3]]}]}"#;
    let r = check(task).unwrap();
    assert_eq!((r.task, r.rows, r.ok()), (Task::Arc, 1, true));
    let challenges = format!(r#"{{"a": {task}, "b": {task}}}"#);
    assert_eq!(check(&challenges).unwrap().rows, 2);
    assert!(check(r#"{"train": 5}"#).is_err());
}
