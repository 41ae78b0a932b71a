//! Validity-preserving Sudoku symmetries, as drawn by the reference training-set builder
//! (`shuffle_sudoku` in `build_sudoku_dataset.py`, §5.2).

use super::Grid;
use rand::Rng;
use rand::seq::SliceRandom;

/// One augmentation: optional transpose, then row/column permutation, then digit relabelling.
///
/// Output cell `(i, j)` takes the (possibly transposed) input cell `(rows[i], cols[j])` and maps
/// its digit `d` to `digits[d - 1]`; empty cells stay empty. Row and column permutations only
/// shuffle bands/stacks and lines within them, so validity and uniqueness are preserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Augmentation {
    /// New value of digit `d` is `digits[d - 1]` (a permutation of 1..=9).
    pub digits: [u8; 9],
    /// Transpose before permuting.
    pub transpose: bool,
    /// Source row of each output row.
    pub rows: [u8; 9],
    /// Source column of each output column.
    pub cols: [u8; 9],
}

impl Augmentation {
    /// The identity.
    pub const IDENTITY: Augmentation = Augmentation {
        digits: [1, 2, 3, 4, 5, 6, 7, 8, 9],
        transpose: false,
        rows: [0, 1, 2, 3, 4, 5, 6, 7, 8],
        cols: [0, 1, 2, 3, 4, 5, 6, 7, 8],
    };

    /// Draws an augmentation like the reference: digit permutation, transpose with probability
    /// 1/2, band order and rows within each band, stack order and columns within each stack.
    pub fn random<R: Rng>(rng: &mut R) -> Augmentation {
        let mut digits = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        digits.shuffle(rng);
        let transpose = rng.random_bool(0.5);
        Augmentation {
            digits,
            transpose,
            rows: line_perm(rng),
            cols: line_perm(rng),
        }
    }

    /// Applies the augmentation (use the same one on a puzzle and its solution).
    pub fn apply(&self, g: &Grid) -> Grid {
        let src = g.cells();
        let mut out = [0u8; 81];
        for i in 0..9 {
            for j in 0..9 {
                let (r, c) = (self.rows[i] as usize % 9, self.cols[j] as usize % 9);
                let v = if self.transpose {
                    src[c * 9 + r]
                } else {
                    src[r * 9 + c]
                };
                out[i * 9 + j] = if v == 0 {
                    0
                } else {
                    self.digits[(v - 1) as usize]
                };
            }
        }
        Grid::from_cells(out).unwrap_or_default()
    }

    /// The augmentation undoing this one (`inverse().apply(&apply(g)) == g`).
    pub fn inverse(&self) -> Augmentation {
        let mut digits = [0u8; 9];
        for (d, &to) in self.digits.iter().enumerate() {
            digits[(to as usize + 8) % 9] = d as u8 + 1;
        }
        let inv = |p: &[u8; 9]| {
            let mut q = [0u8; 9];
            for (i, &s) in p.iter().enumerate() {
                q[s as usize % 9] = i as u8;
            }
            q
        };
        // Forward: out(i,j) = T(in)(rows[i], cols[j]). Undoing it: first un-permute, then
        // transpose back, which swaps the roles of the row and column permutations.
        let (ri, ci) = (inv(&self.rows), inv(&self.cols));
        if self.transpose {
            Augmentation {
                digits,
                transpose: true,
                rows: ci,
                cols: ri,
            }
        } else {
            Augmentation {
                digits,
                transpose: false,
                rows: ri,
                cols: ci,
            }
        }
    }
}

fn line_perm<R: Rng>(rng: &mut R) -> [u8; 9] {
    let mut bands = [0u8, 1, 2];
    bands.shuffle(rng);
    let mut out = [0u8; 9];
    for (b, &band) in bands.iter().enumerate() {
        let mut inner = [0u8, 1, 2];
        inner.shuffle(rng);
        for k in 0..3 {
            out[b * 3 + k] = band * 3 + inner[k];
        }
    }
    out
}
