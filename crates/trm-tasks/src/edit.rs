//! Editing a puzzle the way a person does on the page: set a cell, flood-fill a region, resize
//! the grid. Edits take the puzzle's text and give the new text, so the page keeps one source of
//! truth (its editor) and never needs to know a token layout.

use super::{Result, Task, TaskError, arc, maze, sudoku};
use serde::Deserialize;

/// One edit. Cells are written as in the puzzle's text: Sudoku `1`-`9` or `.`, maze `#`, ` `,
/// `S`, `G`, ARC colours `0`-`9`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Edit {
    /// Sets one cell. A maze has one start and one goal: placing `S` or `G` moves it.
    Set { row: usize, col: usize, symbol: char },
    /// ARC: paints the 4-connected region of one colour around `(row, col)` with `symbol`.
    Fill { row: usize, col: usize, symbol: char },
    /// Maze and ARC: a new size, keeping the top-left cells; new maze cells are walls, new ARC
    /// cells colour 0.
    Resize { rows: usize, cols: usize },
}

/// The symbol at `(row, col)` of the puzzle `text`.
pub fn cell(task: Task, text: &str, row: usize, col: usize) -> Result<char> {
    let outside = || TaskError::invalid(format!("there is no cell at row {}, column {}", row + 1, col + 1));
    match task {
        Task::Sudoku => {
            let v = sudoku::Grid::parse(text)?.get(row, col).ok_or_else(outside)?;
            Ok(if v == 0 { '.' } else { char::from(b'0' + v) })
        }
        Task::Maze => Ok(maze::Maze::parse(text)?.get(row, col).ok_or_else(outside)?.to_char()),
        Task::Arc => Ok(char::from(b'0' + arc::Grid::parse(text)?.get(row, col).ok_or_else(outside)?)),
    }
}

/// `text` with `edit` applied, in the codec's own layout (nine lines for a Sudoku).
pub fn apply(task: Task, text: &str, edit: Edit) -> Result<String> {
    match task {
        Task::Sudoku => edit_sudoku(sudoku::Grid::parse(text)?, edit),
        Task::Maze => edit_maze(maze::Maze::parse(text)?, edit),
        Task::Arc => edit_arc(arc::Grid::parse(text)?, edit),
    }
}

fn unsupported(task: Task, edit: Edit) -> TaskError {
    let what = match edit {
        Edit::Set { .. } => "setting a cell",
        Edit::Fill { .. } => "flood fill",
        Edit::Resize { .. } => "resizing",
    };
    TaskError::invalid(format!("{what} is not an edit of a {} puzzle", task.title()))
}

fn check_cell(row: usize, col: usize, rows: usize, cols: usize) -> Result<usize> {
    if row < rows && col < cols {
        Ok(row * cols + col)
    } else {
        Err(TaskError::invalid(format!("there is no cell at row {}, column {} of a {rows}x{cols} grid", row + 1, col + 1)))
    }
}

fn edit_sudoku(mut grid: sudoku::Grid, edit: Edit) -> Result<String> {
    let Edit::Set { row, col, symbol } = edit else { return Err(unsupported(Task::Sudoku, edit)) };
    check_cell(row, col, 9, 9)?;
    let v = match symbol {
        '1'..='9' => symbol as u8 - b'0',
        '.' | '0' | ' ' => 0,
        _ => return Err(TaskError::invalid(format!("{symbol:?} is not a Sudoku cell (1-9, or . for blank)"))),
    };
    grid.set(row, col, v);
    Ok(grid.to_pretty())
}

fn edit_maze(m: maze::Maze, edit: Edit) -> Result<String> {
    let (rows, cols) = (m.rows(), m.cols());
    let mut cells = m.cells().to_vec();
    let (rows, cols) = match edit {
        Edit::Set { row, col, symbol } => {
            let at = check_cell(row, col, rows, cols)?;
            let new = match maze::Cell::from_char(symbol) {
                Some(c @ (maze::Cell::Wall | maze::Cell::Open | maze::Cell::Start | maze::Cell::Goal)) => c,
                _ => return Err(TaskError::invalid(format!("{symbol:?} is not a maze cell to place (#, space, S or G)"))),
            };
            if matches!(new, maze::Cell::Start | maze::Cell::Goal) {
                for c in cells.iter_mut().filter(|c| **c == new) {
                    *c = maze::Cell::Open;
                }
            }
            cells[at] = new;
            (rows, cols)
        }
        Edit::Resize { rows: r, cols: c } => {
            if !(2..=maze::SIZE).contains(&r) || !(2..=maze::SIZE).contains(&c) {
                return Err(TaskError::invalid(format!("a maze is 2 to {} cells a side, not {r}x{c}", maze::SIZE)));
            }
            cells = resized(&cells, (rows, cols), (r, c), maze::Cell::Wall);
            (r, c)
        }
        Edit::Fill { .. } => return Err(unsupported(Task::Maze, edit)),
    };
    Ok(maze::Maze::new(rows, cols, cells)?.to_text())
}

fn edit_arc(grid: arc::Grid, edit: Edit) -> Result<String> {
    let colour = |symbol: char| match symbol {
        '0'..='9' => Ok(symbol as u8 - b'0'),
        _ => Err(TaskError::invalid(format!("{symbol:?} is not an ARC colour (0-9)"))),
    };
    let (rows, cols) = (grid.rows(), grid.cols());
    let mut cells = grid.cells().to_vec();
    let (rows, cols) = match edit {
        Edit::Set { row, col, symbol } => {
            cells[check_cell(row, col, rows, cols)?] = colour(symbol)?;
            (rows, cols)
        }
        Edit::Fill { row, col, symbol } => {
            flood_fill(&mut cells, rows, cols, check_cell(row, col, rows, cols)?, colour(symbol)?);
            (rows, cols)
        }
        Edit::Resize { rows: r, cols: c } => {
            if !(1..=arc::SIZE).contains(&r) || !(1..=arc::SIZE).contains(&c) {
                return Err(TaskError::invalid(format!("an ARC grid is 1 to {} cells a side, not {r}x{c}", arc::SIZE)));
            }
            cells = resized(&cells, (rows, cols), (r, c), 0);
            (r, c)
        }
    };
    Ok(arc::Grid::new(rows, cols, cells)?.to_string())
}

/// Row-major `cells` of size `from` cut or grown to `to`, new cells `fill`.
fn resized<T: Copy>(cells: &[T], from: (usize, usize), to: (usize, usize), fill: T) -> Vec<T> {
    (0..to.0 * to.1)
        .map(|i| {
            let (r, c) = (i / to.1, i % to.1);
            if r < from.0 && c < from.1 { cells[r * from.1 + c] } else { fill }
        })
        .collect()
}

/// Paints the 4-connected region of `cells[start]`'s colour with `colour` (iterative: a 30×30
/// region would overflow no stack, but the wasm stack is small).
fn flood_fill(cells: &mut [u8], rows: usize, cols: usize, start: usize, colour: u8) {
    let old = cells[start];
    if old == colour {
        return;
    }
    let mut stack = vec![start];
    cells[start] = colour;
    while let Some(i) = stack.pop() {
        let (r, c) = (i / cols, i % cols);
        let neighbours = [
            (r > 0).then(|| i - cols),
            (r + 1 < rows).then(|| i + cols),
            (c > 0).then(|| i - 1),
            (c + 1 < cols).then(|| i + 1),
        ];
        for n in neighbours.into_iter().flatten() {
            if cells[n] == old {
                cells[n] = colour;
                stack.push(n);
            }
        }
    }
}
