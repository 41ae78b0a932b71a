//! One puzzle as a model sees it: the text a person writes turned into the tokens of a model's
//! canvas, and the tokens a model predicts turned back into text. The CLI (`trm solve`) and the
//! page (through `web::puzzles`) both go through here, so they cannot disagree on a layout.

use super::{Result, Task, TaskError, arc, canvas_side, maze, sudoku};
use serde::Serialize;

/// A puzzle in a model's token layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Encoded {
    pub task: Task,
    /// `seq_len` tokens, row-major on a `side`×`side` canvas.
    pub tokens: Vec<u8>,
    /// The puzzle's own size on the canvas: a 10×10 maze on a 30×30 canvas is 10×10.
    pub rows: usize,
    pub cols: usize,
    /// Side of the model's square canvas (9 for Sudoku).
    pub side: usize,
    /// Worth telling the person, but not errors: a maze without a start, say.
    pub notes: Vec<String>,
}

/// Encodes `text` for a model of `task` that reads `seq_len` tokens.
///
/// Sudoku: 81 cells in any common text form ([`sudoku::Grid::parse`]). Maze: the `# SGo` text
/// ([`maze::Maze::parse`]), at most the canvas, padded with walls. ARC: a grid
/// ([`arc::Grid::parse`]) or a whole task JSON, whose `test_index`-th test input is taken.
pub fn encode(task: Task, text: &str, seq_len: usize, test_index: usize) -> Result<Encoded> {
    let side = match task {
        Task::Sudoku if seq_len == sudoku::SEQ_LEN => 9,
        Task::Sudoku => None.ok_or_else(|| TaskError::invalid(format!("a Sudoku model reads 81 tokens, not {seq_len}")))?,
        Task::Maze | Task::Arc => canvas_side(seq_len)
            .ok_or_else(|| TaskError::invalid(format!("{seq_len} tokens are not a square {task} canvas")))?,
    };
    match task {
        Task::Sudoku => {
            let grid = sudoku::Grid::parse(text)?;
            Ok(Encoded { task, tokens: grid.to_tokens().to_vec(), rows: 9, cols: 9, side, notes: Vec::new() })
        }
        Task::Maze => {
            let m = maze::Maze::parse(text)?;
            let tokens = m.to_tokens_on(side)?;
            let count = |cell| m.cells().iter().filter(|&&c| c == cell).count();
            let mut notes = Vec::new();
            for (cell, name) in [(maze::Cell::Start, "start 'S'"), (maze::Cell::Goal, "goal 'G'")] {
                let n = count(cell);
                if n != 1 {
                    notes.push(format!("a maze needs one {name}; this one has {n}"));
                }
            }
            Ok(Encoded { task, tokens, rows: m.rows().min(side), cols: m.cols().min(side), side, notes })
        }
        Task::Arc => {
            let grid = if text.trim_start().starts_with('{') {
                let t = arc::ArcTask::from_json(text)?;
                let n = t.test.len();
                t.test
                    .into_iter()
                    .nth(test_index)
                    .ok_or_else(|| TaskError::invalid(format!("the task has {n} test inputs; there is no test input {test_index}")))?
                    .input
            } else {
                arc::Grid::parse(text)?
            };
            let tokens = arc::encode_on(&grid, 0, 0, side)?;
            Ok(Encoded { task, tokens, rows: grid.rows(), cols: grid.cols(), side, notes: Vec::new() })
        }
    }
}

/// The text of a predicted (or input) token canvas for `task`, cropped to the puzzle's
/// `rows`×`cols` where that applies. Untrained models predict anything, PAD included: cells
/// that are not valid for the task show as `?` rather than failing.
pub fn render(task: Task, tokens: &[u8], rows: usize, cols: usize) -> String {
    match task {
        Task::Sudoku => match sudoku::Grid::from_tokens(tokens) {
            Ok(g) => g.to_pretty(),
            Err(_) => raw_grid(tokens, 9, |v| match v {
                2..=10 => char::from(b'0' + v - 1),
                1 => '.',
                _ => '?',
            }),
        },
        Task::Maze => {
            let side = canvas_side(tokens.len()).unwrap_or(maze::SIZE);
            match maze::Maze::from_canvas_tokens(tokens).and_then(|m| m.cropped(rows.min(side), cols.min(side))) {
                Ok(m) => m.to_text(),
                Err(_) => raw_grid(tokens, side, |v| maze::CHARSET.chars().nth(usize::from(v).wrapping_sub(1)).unwrap_or('?')),
            }
        }
        Task::Arc => match arc::crop(tokens) {
            Ok(g) if g.rows() > 0 => g.to_string(),
            Ok(_) => "(no grid: the top-left cell is not a colour)\n".to_string(),
            Err(e) => format!("(no grid: {e})\n"),
        },
    }
}

/// Sudoku cells (0..81) that repeat a digit in their row, column or box. Tokens that are not
/// digits (blank, PAD, anything an untrained model predicts) count as empty.
pub fn sudoku_conflicts(tokens: &[u8]) -> Vec<usize> {
    let mut cells = [0u8; 81];
    for (cell, &t) in cells.iter_mut().zip(tokens) {
        *cell = if (2..=10).contains(&t) { t - 1 } else { 0 };
    }
    sudoku::Grid::from_cells(cells).map(|g| g.conflicts()).unwrap_or_default()
}

/// What can be said of a prediction: against the answer when it is known, and by the task's
/// own rules when they need no answer key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Every cell equals the known answer; `None` without one.
    pub correct: Option<bool>,
    /// The rules hold without an answer key: a Sudoku complete, free of conflicts and keeping
    /// its givens; a maze path that is a valid shortest path. `None` for ARC, which has no
    /// such rules.
    pub valid: Option<bool>,
    /// One sentence for a person.
    pub summary: String,
}

/// Judges `prediction` for the puzzle encoded as `input` (both token canvases of the same
/// model; `rows`×`cols` the puzzle's own size, as [`Encoded`] has it). `answer` is the
/// answer's text when known (a gallery's solution), read like a puzzle of the task.
pub fn verdict(task: Task, input: &[u8], prediction: &[u8], rows: usize, cols: usize, answer: Option<&str>) -> Verdict {
    let mut correct = None;
    let (valid, rules) = match task {
        Task::Sudoku => {
            let grid = |t: &[u8]| sudoku::Grid::from_tokens(t);
            if let Some(a) = answer.and_then(|a| sudoku::Grid::parse(a).ok()) {
                correct = Some(grid(prediction).is_ok_and(|p| p == a));
            }
            match (grid(input), grid(prediction)) {
                (Ok(puzzle), Ok(p)) => {
                    let c = p.check_against(&puzzle);
                    let mut bad = Vec::new();
                    if !c.complete {
                        bad.push(format!("{} cells still blank", p.cells().iter().filter(|&&v| v == 0).count()));
                    }
                    if !c.conflicts.is_empty() {
                        bad.push(format!("{} cells in conflict", c.conflicts.len()));
                    }
                    if !c.givens_changed.is_empty() {
                        bad.push(format!("{} givens changed", c.givens_changed.len()));
                    }
                    let ok = bad.is_empty();
                    (Some(ok), if ok { "a complete grid with no conflict that keeps every given".to_string() } else { bad.join(", ") })
                }
                _ => (Some(false), "some cells are not digits".to_string()),
            }
        }
        Task::Maze => {
            let side = canvas_side(input.len()).unwrap_or(0);
            let crop = |t: &[u8]| maze::Maze::from_canvas_tokens(t).and_then(|m| m.cropped(rows.min(side), cols.min(side)));
            let label = answer.and_then(|a| maze::Maze::parse(a).ok());
            match crop(input) {
                Ok(puzzle) => {
                    let v = maze::judge_tokens(&puzzle, prediction, label.as_ref());
                    if label.is_some() {
                        correct = Some(v.exact);
                    }
                    let rules = if v.shortest {
                        "a shortest path from S to G"
                    } else if v.valid_path {
                        "a path from S to G, but not a shortest one"
                    } else {
                        "not a path from S to G through open cells"
                    };
                    (Some(v.shortest), rules.to_string())
                }
                Err(_) => (Some(false), "the puzzle is not a maze".to_string()),
            }
        }
        Task::Arc => {
            if let Some(a) = answer.and_then(|a| arc::Grid::parse(a).ok()) {
                correct = Some(arc::crop(prediction).is_ok_and(|p| p == a));
            }
            (None, String::new())
        }
    };
    let answer_part = match correct {
        Some(true) => "✓ equals the answer",
        Some(false) => "✗ differs from the answer",
        None => "",
    };
    let summary = [answer_part, &rules].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join("; ");
    Verdict { correct, valid, summary }
}

/// The versions of ARC task `id` a model learned, as one batch for the runtime: the puzzle
/// identifiers (indices into the model's `names`) called `id` or `id|||…`, the original first,
/// and the test input under each version's augmentation on the model's `side`×`side` canvas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArcVersions {
    pub puzzle_ids: Vec<usize>,
    /// `puzzle_ids.len()` canvases, one after another.
    pub tokens: Vec<u8>,
}

/// See [`ArcVersions`]. Empty when the model knows no version of `id`.
pub fn arc_versions(names: &[String], id: &str, input: &arc::Grid, side: usize) -> Result<ArcVersions> {
    let mut versions: Vec<(usize, arc::Augmentation)> = names
        .iter()
        .enumerate()
        .filter_map(|(i, name)| arc::Augmentation::parse_name(name).ok().filter(|(base, _)| *base == id).map(|(_, a)| (i, a)))
        .collect();
    versions.sort_by_key(|(i, a)| (*a != arc::Augmentation::IDENTITY, *i));
    let mut tokens = Vec::with_capacity(versions.len() * side * side);
    for (_, aug) in &versions {
        tokens.extend(arc::encode_on(&aug.apply(input), 0, 0, side)?);
    }
    Ok(ArcVersions { puzzle_ids: versions.into_iter().map(|(i, _)| i).collect(), tokens })
}

/// One distinct answer of an ARC vote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ballot {
    /// The grid as text (digit rows), in the original frame.
    pub text: String,
    pub votes: usize,
    /// Mean halting probability of the versions that voted for it.
    pub confidence: f64,
}

/// The reference's vote (§9) over one batch of versions ([`arc_versions`]): every version's
/// prediction (`predictions`: one canvas per row) is cropped, mapped back to the original frame
/// and votes; the answers come ranked by votes, then mean halting probability.
pub fn arc_vote(names: &[String], puzzle_ids: &[usize], input: &arc::Grid, predictions: &[u8], halt_probs: &[f32]) -> Result<Vec<Ballot>> {
    let rows = puzzle_ids.len();
    if rows == 0 || predictions.len() % rows != 0 || halt_probs.len() != rows {
        return Err(TaskError::invalid(format!(
            "{rows} versions, {} prediction tokens and {} halting probabilities do not match",
            predictions.len(),
            halt_probs.len()
        )));
    }
    let seq = predictions.len() / rows;
    let side = canvas_side(seq).ok_or_else(|| TaskError::invalid(format!("{seq} tokens are not a square ARC canvas")))?;
    let mut votes = arc::Votes::new();
    let mut base = None;
    for ((&id, prediction), &p) in puzzle_ids.iter().zip(predictions.chunks(seq)).zip(halt_probs) {
        let name = names.get(id).ok_or_else(|| TaskError::invalid(format!("there is no puzzle identifier {id}")))?;
        let (b, aug) = arc::Augmentation::parse_name(name)?;
        if *base.get_or_insert(b) != b {
            return Err(TaskError::invalid(format!("versions of two tasks in one vote: {} and {b}", base.unwrap_or_default())));
        }
        let canvas = arc::encode_on(&aug.apply(input), 0, 0, side)?;
        // A prediction with no grid at its top-left casts no vote.
        let _ = votes.add_confidence(name, &canvas, prediction, f64::from(p));
    }
    Ok(votes
        .ranked(base.unwrap_or_default(), input)
        .into_iter()
        .map(|c| Ballot { text: c.grid.to_string(), votes: c.votes, confidence: c.confidence })
        .collect())
}

/// The 8 rotations and mirrors of a maze's model canvas `input` (`DihedralVote::versions`), the
/// maze itself first, as one batch: 8 canvases one after another.
pub fn maze_versions(input: &[u8]) -> Result<Vec<u8>> {
    Ok(maze_vote_on(input)?.versions().concat())
}

fn maze_vote_on(input: &[u8]) -> Result<maze::DihedralVote> {
    let side = canvas_side(input.len())
        .ok_or_else(|| TaskError::invalid(format!("{} tokens are not a square maze canvas", input.len())))?;
    maze::DihedralVote::new(&maze::Maze::from_canvas_tokens(input)?, side)
}

/// One distinct answer of a maze vote ([`maze::DihedralVote`]), back on the model canvas.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MazeBallot {
    /// The answer's canvas tokens, in the original frame.
    pub tokens: Vec<u8>,
    pub votes: usize,
}

/// The vote over a batch of [`maze_versions`] of the canvas `input`: `predictions` and
/// `confidence` hold one canvas per version, in that order.
pub fn maze_vote(input: &[u8], predictions: &[u8], confidence: &[f32]) -> Result<Vec<MazeBallot>> {
    let seq = input.len();
    if seq == 0 || predictions.len() != 8 * seq || confidence.len() != 8 * seq {
        return Err(TaskError::invalid(format!(
            "8 versions of {seq} cells do not match {} prediction tokens and {} confidences",
            predictions.len(),
            confidence.len()
        )));
    }
    let vote = maze_vote_on(input)?;
    let predictions: Vec<&[u8]> = predictions.chunks(seq).collect();
    let confidence: Vec<&[f32]> = confidence.chunks(seq).collect();
    Ok(vote
        .ranked(&predictions, &confidence)
        .into_iter()
        .map(|c| MazeBallot { tokens: vote.canvas_tokens(&c.maze), votes: c.votes })
        .collect())
}

/// Tokens as the runtime passes them (`u32`) to the codecs' bytes; anything above 255 is out of
/// every vocabulary and becomes 255, which decodes as invalid.
pub fn tokens_u8(tokens: &[u32]) -> Vec<u8> {
    tokens.iter().map(|&t| u8::try_from(t).unwrap_or(u8::MAX)).collect()
}

/// The codecs' tokens as the runtime takes them.
pub fn tokens_u32(tokens: &[u8]) -> Vec<u32> {
    tokens.iter().map(|&t| u32::from(t)).collect()
}

/// A token canvas drawn cell by cell, for predictions that are not valid puzzles.
fn raw_grid(tokens: &[u8], width: usize, cell: impl Fn(u8) -> char) -> String {
    tokens.chunks(width.max(1)).map(|row| row.iter().map(|&v| cell(v)).collect::<String>() + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUDOKU: &str = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79";

    #[test]
    fn sudoku_forms_agree() {
        let one = encode(Task::Sudoku, SUDOKU, 81, 0).unwrap();
        let boxed: String = SUDOKU
            .as_bytes()
            .chunks(9)
            .enumerate()
            .map(|(r, row)| {
                let row = std::str::from_utf8(row).unwrap();
                let sep = if r % 3 == 0 && r > 0 { "------+-------+------\n" } else { "" };
                format!("{sep}{} | {} | {}\n", &row[0..3], &row[3..6], &row[6..9])
            })
            .collect();
        assert_eq!(encode(Task::Sudoku, &boxed, 81, 0).unwrap(), one);
        let json = format!(
            "[{}]",
            SUDOKU.as_bytes().chunks(9).map(|r| format!("[{}]", r.iter().map(|&c| if c == b'.' { "0".into() } else { (c as char).to_string() }).collect::<Vec<_>>().join(","))).collect::<Vec<_>>().join(",")
        );
        assert_eq!(encode(Task::Sudoku, &json, 81, 0).unwrap(), one);
        assert_eq!(render(Task::Sudoku, &one.tokens, 9, 9).replace('\n', ""), SUDOKU);
        assert!(encode(Task::Sudoku, SUDOKU, 100, 0).is_err());
    }

    #[test]
    fn small_maze_on_a_big_canvas_is_padded_with_walls() {
        let e = encode(Task::Maze, "S  \n## \n  G\n", 900, 0).unwrap();
        assert_eq!((e.rows, e.cols, e.side), (3, 3, 30));
        assert_eq!(e.tokens[3], maze::Cell::Wall.token(), "right of the maze is wall, not open");
        assert_eq!(render(Task::Maze, &e.tokens, e.rows, e.cols), "S  \n## \n  G\n");
        assert!(e.notes.is_empty());
        let no_goal = encode(Task::Maze, "S  \n## \n   \n", 900, 0).unwrap();
        assert_eq!(no_goal.notes, ["a maze needs one goal 'G'; this one has 0"]);
        let e = encode(Task::Maze, "S  \n## \n  G\n", 100, 0).unwrap();
        assert_eq!((e.tokens.len(), e.side), (100, 10));
    }

    #[test]
    fn arc_grid_or_task() {
        let g = encode(Task::Arc, "012\n345", 900, 0).unwrap();
        assert_eq!((g.rows, g.cols), (2, 3));
        assert_eq!(encode(Task::Arc, "0 1 2\n3 4 5", 900, 0).unwrap(), g);
        assert_eq!(encode(Task::Arc, "[[0,1,2],[3,4,5]]", 900, 0).unwrap(), g);
        let task = r#"{"train":[{"input":[[1]],"output":[[2]]}],"test":[{"input":[[9]]},{"input":[[0,1,2],[3,4,5]]}]}"#;
        assert_eq!(encode(Task::Arc, task, 900, 1).unwrap(), g);
        assert!(encode(Task::Arc, task, 900, 2).unwrap_err().to_string().contains("2 test inputs"));
        assert_eq!(render(Task::Arc, &g.tokens, 0, 0), "012\n345\n");
        assert!(encode(Task::Arc, "01\n2", 900, 0).unwrap_err().to_string().contains("row 2 has 1"));
        assert!(encode(Task::Arc, "0a", 900, 0).is_err());
        assert_eq!(render(Task::Arc, &[0; 900], 0, 0), "(no grid: the top-left cell is not a colour)\n");
    }

    #[test]
    fn verdicts_with_and_without_an_answer() {
        let solution = "534678912672195348198342567859761423426853791713924856961537284287419635345286179";
        let puzzle = encode(Task::Sudoku, SUDOKU, 81, 0).unwrap();
        let solved = encode(Task::Sudoku, solution, 81, 0).unwrap().tokens;
        let v = verdict(Task::Sudoku, &puzzle.tokens, &solved, 9, 9, Some(solution));
        assert_eq!((v.correct, v.valid), (Some(true), Some(true)));
        assert_eq!(v.summary, "✓ equals the answer; a complete grid with no conflict that keeps every given");
        let v = verdict(Task::Sudoku, &puzzle.tokens, &puzzle.tokens, 9, 9, None);
        assert_eq!((v.correct, v.valid), (None, Some(false)));
        assert_eq!(v.summary, "51 cells still blank");
        let mut wrong = solved;
        wrong.swap(0, 1);
        let v = verdict(Task::Sudoku, &puzzle.tokens, &wrong, 9, 9, Some(solution));
        assert_eq!((v.correct, v.valid), (Some(false), Some(false)));
        assert!(v.summary.contains("cells in conflict") && v.summary.contains("givens changed"), "{}", v.summary);

        let m = encode(Task::Maze, "S  \n## \n  G\n", 100, 0).unwrap();
        let path = encode(Task::Maze, "Soo\n##o\n  G\n", 100, 0).unwrap().tokens;
        let v = verdict(Task::Maze, &m.tokens, &path, m.rows, m.cols, Some("Soo\n##o\n  G\n"));
        assert_eq!((v.correct, v.valid), (Some(true), Some(true)), "{}", v.summary);
        let v = verdict(Task::Maze, &m.tokens, &m.tokens, m.rows, m.cols, None);
        assert_eq!((v.correct, v.valid, v.summary.as_str()), (None, Some(false), "not a path from S to G through open cells"));

        let a = encode(Task::Arc, "12\n34", 900, 0).unwrap();
        let v = verdict(Task::Arc, &a.tokens, &a.tokens, 2, 2, Some("12\n34"));
        assert_eq!((v.correct, v.valid), (Some(true), None));
        let v = verdict(Task::Arc, &a.tokens, &a.tokens, 2, 2, Some("1"));
        assert_eq!(v.summary, "✗ differs from the answer");
    }

    #[test]
    fn arc_versions_vote_in_the_original_frame() {
        use crate::Dihedral;
        use arc::{Augmentation, Grid};
        let flip = Augmentation { dihedral: Dihedral::ALL[2], perm: [0, 2, 1, 3, 4, 5, 6, 7, 8, 9] };
        let names: Vec<String> = vec![arc::BLANK_NAME.into(), flip.name("abc"), "abc".into(), "other".into()];
        let input = Grid::parse("12\n00").unwrap();
        let v = arc_versions(&names, "abc", &input, 3).unwrap();
        assert_eq!(v.puzzle_ids, [2, 1], "the original first");
        assert_eq!(&v.tokens[..9], &arc::encode_on(&input, 0, 0, 3).unwrap()[..]);
        assert_eq!(&v.tokens[9..], &arc::encode_on(&flip.apply(&input), 0, 0, 3).unwrap()[..]);
        assert!(arc_versions(&names, "zzz", &input, 3).unwrap().puzzle_ids.is_empty());

        // Both versions predict the same grid in their own frames: two votes for one answer.
        let answer = Grid::parse("3\n4").unwrap();
        let preds = [arc::encode_on(&answer, 0, 0, 3).unwrap(), arc::encode_on(&flip.apply(&answer), 0, 0, 3).unwrap()].concat();
        let ballots = arc_vote(&names, &v.puzzle_ids, &input, &preds, &[0.5, 1.0]).unwrap();
        assert_eq!(ballots, [Ballot { text: "3\n4\n".into(), votes: 2, confidence: 0.75 }]);
        // A wrong one in the flipped frame: two answers with a vote each, ranked by confidence.
        let preds = [arc::encode_on(&answer, 0, 0, 3).unwrap(), arc::encode_on(&answer, 0, 0, 3).unwrap()].concat();
        let ballots = arc_vote(&names, &v.puzzle_ids, &input, &preds, &[0.25, 0.75]).unwrap();
        assert_eq!(ballots.iter().map(|b| (b.votes, b.confidence)).collect::<Vec<_>>(), [(1, 0.75), (1, 0.25)]);
        assert!(arc_vote(&names, &v.puzzle_ids, &input, &preds, &[0.5]).is_err());
        assert!(arc_vote(&names, &[2, 3], &input, &preds, &[0.5, 0.5]).unwrap_err().to_string().contains("two tasks"));
        assert!(arc_vote(&names, &[9, 2], &input, &preds, &[0.5, 0.5]).is_err());
    }

    #[test]
    fn predictions_with_pad_render_and_score() {
        let mut t = [1u8; 81];
        t[0] = 0;
        t[1] = 5;
        t[2] = 5;
        assert!(render(Task::Sudoku, &t, 9, 9).starts_with("?44"));
        assert_eq!(sudoku_conflicts(&t), [1, 2]);
        assert!(render(Task::Maze, &[0; 900], 30, 30).starts_with("??"));
    }
}
