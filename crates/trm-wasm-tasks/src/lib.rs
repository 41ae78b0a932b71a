//! The puzzle codecs for JavaScript (the page's first module, `trm_tasks`): `trm-tasks` through
//! wasm-bindgen, nothing more, so puzzles can be parsed, checked, generated and shown before the
//! model runtime has downloaded.
//! Tokens cross as `Uint32Array`s (the runtime's input type); errors are `Error`s whose
//! message is written for the person who typed the puzzle.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use trm_tasks::puzzle::{tokens_u8, tokens_u32};
use trm_tasks::{Task, arc, edit, gallery, maze, puzzle, sudoku};

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js(v: &impl Serialize) -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(v).map_err(js_err)
}

fn task(name: &str) -> Result<Task, JsError> {
    name.parse().map_err(js_err)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TaskRow {
    id: &'static str,
    name: &'static str,
    seq_len: usize,
    vocab: usize,
}

/// The tasks with the reference's layouts: `[{id, name, seqLen, vocab}]`.
#[wasm_bindgen(js_name = taskTable)]
pub fn task_table() -> Result<JsValue, JsError> {
    let rows: Vec<TaskRow> = Task::ALL
        .iter()
        .map(|&t| TaskRow { id: t.name(), name: t.title(), seq_len: t.seq_len(), vocab: t.vocab_size() })
        .collect();
    to_js(&rows)
}

/// The task a model with this layout reads (`"sudoku"`, `"maze"`, `"arc"`), or `undefined`.
#[wasm_bindgen(js_name = taskOf)]
pub fn task_of(seq_len: usize, vocab_size: usize) -> Option<String> {
    Task::of_layout(seq_len, vocab_size).map(|t| t.name().to_string())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EncodedMessage<'a> {
    task: &'static str,
    tokens: Vec<u32>,
    rows: usize,
    cols: usize,
    side: usize,
    notes: &'a [String],
}

/// Encodes puzzle text for a model reading `seqLen` tokens (see `tasks::puzzle::encode`):
/// `{task, tokens, rows, cols, side, notes}`.
#[wasm_bindgen(js_name = encodePuzzle)]
pub fn encode_puzzle(task_name: &str, text: &str, seq_len: usize, test_index: usize) -> Result<JsValue, JsError> {
    let e = puzzle::encode(task(task_name)?, text, seq_len, test_index).map_err(js_err)?;
    to_js(&EncodedMessage {
        task: e.task.name(),
        tokens: tokens_u32(&e.tokens),
        rows: e.rows,
        cols: e.cols,
        side: e.side,
        notes: &e.notes,
    })
}

/// The text of a token canvas (input or prediction), cropped to `rows`×`cols`.
#[wasm_bindgen(js_name = renderPuzzle)]
pub fn render_puzzle(task_name: &str, tokens: &[u32], rows: usize, cols: usize) -> Result<String, JsError> {
    Ok(puzzle::render(task(task_name)?, &tokens_u8(tokens), rows, cols))
}

/// Sudoku cells (0..81) in a row, column or box conflict.
#[wasm_bindgen(js_name = sudokuConflicts)]
pub fn sudoku_conflicts(tokens: &[u32]) -> Vec<u32> {
    puzzle::sudoku_conflicts(&tokens_u8(tokens)).into_iter().map(|i| i as u32).collect()
}

/// The entries of a gallery file (`www/data/<task>-gallery.json`):
/// `[{id, test, name, text, solution, train}]`.
#[wasm_bindgen(js_name = galleryEntries)]
pub fn gallery_entries(task_name: &str, json: &str) -> Result<JsValue, JsError> {
    to_js(&gallery::entries(task(task_name)?, json).map_err(js_err)?)
}

#[derive(Serialize)]
struct Generated {
    text: String,
    solution: String,
    difficulty: String,
}

/// A new Sudoku with a unique solution, of grade `difficulty` (easy, medium, hard, expert,
/// extreme): `{text, solution, difficulty}`. The same seed gives the same puzzle.
#[wasm_bindgen(js_name = randomSudoku)]
pub fn random_sudoku(seed: u32, difficulty: &str) -> Result<JsValue, JsError> {
    let d: sudoku::Difficulty = difficulty.parse().map_err(js_err)?;
    let g = sudoku::generate(u64::from(seed), d);
    to_js(&Generated { text: g.puzzle.to_line(), solution: g.solution.to_line(), difficulty: d.to_string() })
}

/// A new `rows`×`cols` maze (2..=30) with hardness 0..=1: `{text, solution, difficulty}`, the
/// solution marking its one shortest path.
#[wasm_bindgen(js_name = randomMaze)]
pub fn random_maze(seed: u32, rows: usize, cols: usize, hardness: f64) -> Result<JsValue, JsError> {
    // A unique shortest route, as the trainer's mazes have: the answer is the only right one.
    let g = maze::generate_unique(u64::from(seed), maze::MazeParams { rows, cols, hardness }).map_err(js_err)?;
    to_js(&Generated {
        text: g.puzzle.to_text(),
        solution: g.solution.to_text(),
        difficulty: format!("{} moves", g.distance),
    })
}

/// What can be said of a prediction (`tasks::puzzle::verdict`): `{correct, valid, summary}`,
/// `correct` null without an answer, `valid` null for ARC.
#[wasm_bindgen]
pub fn verdict(
    task_name: &str,
    input: &[u32],
    prediction: &[u32],
    rows: usize,
    cols: usize,
    answer: Option<String>,
) -> Result<JsValue, JsError> {
    let v = puzzle::verdict(task(task_name)?, &tokens_u8(input), &tokens_u8(prediction), rows, cols, answer.as_deref());
    to_js(&v)
}

/// The puzzle text with one edit applied (`tasks::edit`): `edit` is
/// `{op: "set", row, col, symbol}`, `{op: "fill", row, col, symbol}` or `{op: "resize", rows, cols}`.
#[wasm_bindgen(js_name = editPuzzle)]
pub fn edit_puzzle(task_name: &str, text: &str, edit: JsValue) -> Result<String, JsError> {
    let edit: edit::Edit = serde_wasm_bindgen::from_value(edit).map_err(|e| js_err(format!("not an edit: {e}")))?;
    edit::apply(task(task_name)?, text, edit).map_err(js_err)
}

/// The symbol at `row`, `col` of the puzzle text (`.` or a digit, `# SG`, a colour digit).
#[wasm_bindgen(js_name = puzzleCell)]
pub fn puzzle_cell(task_name: &str, text: &str, row: usize, col: usize) -> Result<String, JsError> {
    Ok(edit::cell(task(task_name)?, text, row, col).map_err(js_err)?.to_string())
}

fn arc_grid(text: &str) -> Result<arc::Grid, JsError> {
    arc::Grid::parse(text).map_err(js_err)
}

/// The versions of ARC task `id` among a model's puzzle identifiers `names`, as one batch:
/// `{puzzleIds, tokens}` (see `tasks::puzzle::arc_versions`); no ids when it knows none.
#[wasm_bindgen(js_name = arcVersions)]
pub fn arc_versions(names: Vec<String>, id: &str, input_text: &str, seq_len: usize) -> Result<JsValue, JsError> {
    let side = trm_tasks::canvas_side(seq_len).ok_or_else(|| js_err(format!("{seq_len} tokens are not a square ARC canvas")))?;
    let v = puzzle::arc_versions(&names, id, &arc_grid(input_text)?, side).map_err(js_err)?;
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Message {
        puzzle_ids: Vec<usize>,
        tokens: Vec<u32>,
    }
    to_js(&Message { tokens: tokens_u32(&v.tokens), puzzle_ids: v.puzzle_ids })
}

/// The vote over one batch of versions: `[{text, votes, confidence}]`, best first.
#[wasm_bindgen(js_name = arcVote)]
pub fn arc_vote(names: Vec<String>, puzzle_ids: &[u32], input_text: &str, predictions: &[u32], halt_probs: &[f32]) -> Result<JsValue, JsError> {
    let ids: Vec<usize> = puzzle_ids.iter().map(|&i| i as usize).collect();
    let ballots = puzzle::arc_vote(&names, &ids, &arc_grid(input_text)?, &tokens_u8(predictions), halt_probs).map_err(js_err)?;
    to_js(&ballots)
}

/// The 8 rotations and mirrors of a maze's model canvas `tokens`, as one batch (the maze itself
/// first): 8 canvases one after another.
#[wasm_bindgen(js_name = mazeVersions)]
pub fn maze_versions(tokens: &[u32]) -> Result<Vec<u32>, JsError> {
    Ok(tokens_u32(&puzzle::maze_versions(&tokens_u8(tokens)).map_err(js_err)?))
}

/// The vote over one batch of [`maze_versions`]: `[{tokens, votes}]`, best first, each answer
/// on the maze's canvas in its own frame.
#[wasm_bindgen(js_name = mazeVote)]
pub fn maze_vote(tokens: &[u32], predictions: &[u32], confidence: &[f32]) -> Result<JsValue, JsError> {
    let ballots = puzzle::maze_vote(&tokens_u8(tokens), &tokens_u8(predictions), confidence).map_err(js_err)?;
    to_js(&ballots)
}

/// Runs once, when the module is instantiated: panics in wasm are bugs; when one happens anyway,
/// the console says where.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}
