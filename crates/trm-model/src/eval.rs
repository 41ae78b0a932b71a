//! The one evaluation path: versions → solve → vote → score. The trainer's periodic
//! evaluations, `trm eval` and the runtime all come through here, so a figure on a card, in the
//! terminal and on the page is computed the same way.
//!
//! (The synchronous solves are native; the browser's runtime reads passes back asynchronously.)
//! - [`solve`]: a batch of puzzles to the end of `steps` supervision steps (the reference
//!   evaluates `halt_max_steps` and treats halting as information), through [`Recursion`].
//! - [`solve_mazes_voted`]: each maze in its 8 rotations and mirrors in one batch, each answer
//!   turned back, and the answer most versions agree on ([`trm_tasks::puzzle::maze_vote`]).
//! - [`score_maze`]: exact, and a valid shortest path (maze labels are not unique).

use trm_tasks::TaskError;
use trm_tasks::maze::{Maze, judge_tokens};

use crate::recursion::InputError;
#[cfg(not(target_family = "wasm"))]
use {
    crate::model::Trm,
    crate::recursion::{Batch, Pass, Recursion, SolveOptions},
    burn::tensor::Device,
    trm_tasks::puzzle::{maze_versions, maze_vote, tokens_u8, tokens_u32},
};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Task(#[from] TaskError),
    /// The device failed (a lost GPU, an allocation that did not fit).
    #[error("the device failed: {0}")]
    Device(String),
}

/// The last end-of-step pass of `steps` supervision steps on `rows` (token sequences) under
/// `puzzle_ids` (empty: identifier 0 for every row).
#[cfg(not(target_family = "wasm"))]
pub fn solve(model: &Trm, rows: &[Vec<u32>], puzzle_ids: &[u32], steps: usize, device: &Device) -> Result<Pass, EvalError> {
    let batch = Batch::new(rows, puzzle_ids, model)?;
    let options = SolveOptions { max_steps: steps, stop_on_halt: false, inner: false };
    let passes = Recursion::new(model, &batch, options, device).run(|_| {}).map_err(EvalError::Device)?;
    passes
        .into_iter()
        .rev()
        .find(|p| p.inner.is_none())
        .ok_or_else(|| EvalError::Device("no supervision step ran".into()))
}

/// Each maze (canvas tokens) solved in its 8 dihedral versions at once and voted: the answer
/// most versions agree on, in the maze's own frame; where no version decodes as a maze, the
/// maze's own version's raw prediction.
#[cfg(not(target_family = "wasm"))]
pub fn solve_mazes_voted(model: &Trm, mazes: &[Vec<u8>], steps: usize, device: &Device) -> Result<Vec<Vec<u8>>, EvalError> {
    let seq = model.config.seq_len;
    let mut rows = Vec::with_capacity(8 * mazes.len());
    for maze in mazes {
        rows.extend(maze_versions(maze)?.chunks(seq).map(tokens_u32));
    }
    let end = solve(model, &rows, &[], steps, device)?;
    mazes
        .iter()
        .enumerate()
        .map(|(i, maze)| {
            let at = 8 * i * seq..8 * (i + 1) * seq;
            let predictions = tokens_u8(&end.tokens[at.clone()]);
            let ballots = maze_vote(maze, &predictions, &end.confidence[at])?;
            Ok(ballots.into_iter().next().map(|b| b.tokens).unwrap_or_else(|| predictions[..seq].to_vec()))
        })
        .collect()
}

/// How a maze answer scores against its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MazeScore {
    /// Token for token the label.
    pub exact: bool,
    /// A path from S to G as short as the label's (several may exist).
    pub shortest: bool,
}

/// `prediction` (canvas tokens) judged against the maze `puzzle` and its `label`.
pub fn score_maze(puzzle: &[u8], prediction: &[u8], label: &[u8]) -> Result<MazeScore, EvalError> {
    let maze = Maze::from_canvas_tokens(puzzle)?;
    let solved = Maze::from_canvas_tokens(label)?;
    Ok(MazeScore { exact: prediction == label, shortest: judge_tokens(&maze, prediction, Some(&solved)).shortest })
}
