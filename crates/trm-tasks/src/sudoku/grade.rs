//! Difficulty grading by the human techniques a puzzle needs.
//!
//! The grader solves like a person: it always applies the easiest technique that makes
//! progress, and the grade is the hardest tier it had to use. Puzzles that no implemented
//! technique cracks need trial and error; they are `Expert` when little search is needed and
//! `Extreme` when the exhaustive solver needs at least [`EXTREME_GUESSES`] trial assignments
//! (or one-level trial stalls altogether): the Sudoku-Extreme regime, whose rating is also a
//! search-effort count.

use super::solver::trial_fails;
use super::{CELL_UNITS, Grid, PEERS, Result, TaskError, UNITS, solve_stats};
use std::fmt;
use std::str::FromStr;

/// Difficulty grades, from what a beginner solves to what needs nested trial and error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Difficulty {
    /// Naked and hidden singles suffice.
    Easy,
    /// Needs locked candidates (pointing/claiming) or naked/hidden pairs.
    Medium,
    /// Needs triples/quads, X-Wing, Swordfish or XY-Wing.
    Hard,
    /// Beyond those techniques: needs trial and error (assume a candidate, follow singles to a
    /// contradiction), but little of it (search effort below [`EXTREME_GUESSES`]).
    Expert,
    /// Needs trial and error with search effort of at least [`EXTREME_GUESSES`] guesses, like
    /// Sudoku-Extreme.
    Extreme,
}

impl Difficulty {
    /// All grades, easiest first.
    pub const ALL: [Difficulty; 5] = [
        Difficulty::Easy,
        Difficulty::Medium,
        Difficulty::Hard,
        Difficulty::Expert,
        Difficulty::Extreme,
    ];

    /// Lower-case name (also the `source` column of generated CSV rows).
    pub const fn name(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
            Difficulty::Expert => "expert",
            Difficulty::Extreme => "extreme",
        }
    }
}

impl fmt::Display for Difficulty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Difficulty {
    type Err = TaskError;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        Difficulty::ALL
            .into_iter()
            .find(|d| d.name() == t)
            .ok_or_else(|| {
                TaskError::invalid(format!(
                    "unknown difficulty {s:?} (expected easy, medium, hard, expert or extreme)"
                ))
            })
    }
}

/// Solving techniques, in the order the grader tries them (easiest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Technique {
    HiddenSingle,
    NakedSingle,
    LockedCandidates,
    NakedPair,
    HiddenPair,
    XWing,
    NakedTriple,
    HiddenTriple,
    Swordfish,
    XYWing,
    NakedQuad,
    HiddenQuad,
    /// Assume a candidate, follow singles, and remove it when that leads to a contradiction.
    Trial,
    /// Nothing above makes progress: nested search is needed.
    NestedTrial,
}

impl Technique {
    /// The grade a puzzle gets when this is the hardest technique it needs.
    pub const fn difficulty(self) -> Difficulty {
        use Technique::*;
        match self {
            HiddenSingle | NakedSingle => Difficulty::Easy,
            LockedCandidates | NakedPair | HiddenPair => Difficulty::Medium,
            XWing | NakedTriple | HiddenTriple | Swordfish | XYWing | NakedQuad | HiddenQuad => {
                Difficulty::Hard
            }
            Trial => Difficulty::Expert,
            NestedTrial => Difficulty::Extreme,
        }
    }
}

/// Search effort ([`super::SolveStats::guesses`]) from which a puzzle that needs trial and
/// error is graded `Extreme` rather than `Expert`.
pub const EXTREME_GUESSES: u64 = 20;

impl fmt::Display for Technique {
    /// The name a solver would use, e.g. "hidden single", "X-Wing".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Technique::*;
        f.pad(match self {
            HiddenSingle => "hidden single",
            NakedSingle => "naked single",
            LockedCandidates => "locked candidates",
            NakedPair => "naked pair",
            HiddenPair => "hidden pair",
            XWing => "X-Wing",
            NakedTriple => "naked triple",
            HiddenTriple => "hidden triple",
            Swordfish => "Swordfish",
            XYWing => "XY-Wing",
            NakedQuad => "naked quad",
            HiddenQuad => "hidden quad",
            Trial => "trial and error",
            NestedTrial => "nested trial and error",
        })
    }
}

/// Result of [`grade`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grading {
    pub difficulty: Difficulty,
    /// The hardest technique used.
    pub hardest: Technique,
    /// Distinct techniques used, easiest first.
    pub uses: Vec<Technique>,
    /// Number of technique applications until solved or stuck.
    pub steps: usize,
    /// Search effort of the exact solver ([`super::SolveStats::guesses`]).
    pub guesses: u64,
}

/// Grades a puzzle by the techniques needed to solve it; errors unless it has exactly one
/// solution (grading is meaningless otherwise).
pub fn grade(puzzle: &Grid) -> Result<Grading> {
    let stats = solve_stats(puzzle);
    match stats.solutions {
        0 => return Err(TaskError::invalid("puzzle has no solution")),
        1 => {}
        _ => return Err(TaskError::invalid("puzzle has more than one solution")),
    }
    let mut logic = Logic::new(puzzle);
    let mut used = [false; 14];
    let mut steps = 0;
    let mut hardest = Technique::HiddenSingle;
    loop {
        if logic.solved() {
            break;
        }
        let t = logic.step().unwrap_or(Technique::NestedTrial);
        steps += 1;
        used[t as usize] = true;
        hardest = hardest.max(t);
        if t == Technique::NestedTrial {
            break;
        }
    }
    let uses = ALL_TECHNIQUES
        .into_iter()
        .filter(|&t| used[t as usize])
        .collect();
    let mut difficulty = hardest.difficulty();
    if difficulty == Difficulty::Expert && stats.guesses >= EXTREME_GUESSES {
        difficulty = Difficulty::Extreme;
    }
    Ok(Grading {
        difficulty,
        hardest,
        uses,
        steps,
        guesses: stats.guesses,
    })
}

/// Cheap check used by the generator: do singles alone solve the puzzle?
pub(crate) fn needs_only_singles(puzzle: &Grid) -> bool {
    super::solver::singles_solve(puzzle)
}

const ALL_TECHNIQUES: [Technique; 14] = {
    use Technique::*;
    [
        HiddenSingle,
        NakedSingle,
        LockedCandidates,
        NakedPair,
        HiddenPair,
        XWing,
        NakedTriple,
        HiddenTriple,
        Swordfish,
        XYWing,
        NakedQuad,
        HiddenQuad,
        Trial,
        NestedTrial,
    ]
};

/// Pencil-mark state of a person solving: placed values and candidates of open cells.
struct Logic {
    val: [u8; 81],
    cand: [u16; 81],
}

impl Logic {
    fn new(g: &Grid) -> Logic {
        let mut l = Logic {
            val: [0; 81],
            cand: [0x1FF; 81],
        };
        for (i, &v) in g.cells().iter().enumerate() {
            if v != 0 {
                l.place(i, v);
            }
        }
        l
    }

    fn place(&mut self, cell: usize, v: u8) {
        self.val[cell] = v;
        self.cand[cell] = 0;
        let bit = !(1u16 << (v - 1));
        for &p in PEERS[cell].iter() {
            self.cand[p as usize] &= bit;
        }
    }

    fn solved(&self) -> bool {
        self.val.iter().all(|&v| v != 0)
    }

    /// Removes `mask` from the candidates of `cell`; true if something was removed.
    fn eliminate(&mut self, cell: usize, mask: u16) -> bool {
        let before = self.cand[cell];
        self.cand[cell] &= !mask;
        before != self.cand[cell]
    }

    /// Applies the easiest technique that makes progress.
    fn step(&mut self) -> Option<Technique> {
        use Technique::*;
        if self.hidden_single() {
            return Some(HiddenSingle);
        }
        if self.naked_single() {
            return Some(NakedSingle);
        }
        if self.locked_candidates() {
            return Some(LockedCandidates);
        }
        if self.naked_subset(2) {
            return Some(NakedPair);
        }
        if self.hidden_subset(2) {
            return Some(HiddenPair);
        }
        if self.fish(2) {
            return Some(XWing);
        }
        if self.naked_subset(3) {
            return Some(NakedTriple);
        }
        if self.hidden_subset(3) {
            return Some(HiddenTriple);
        }
        if self.fish(3) {
            return Some(Swordfish);
        }
        if self.xy_wing() {
            return Some(XYWing);
        }
        if self.naked_subset(4) {
            return Some(NakedQuad);
        }
        if self.hidden_subset(4) {
            return Some(HiddenQuad);
        }
        if self.trial() {
            return Some(Trial);
        }
        None
    }

    fn hidden_single(&mut self) -> bool {
        for unit in UNITS.iter() {
            for d in 0..9u8 {
                let bit = 1u16 << d;
                let mut only = None;
                let mut count = 0;
                for &c in unit.iter() {
                    let c = c as usize;
                    if self.cand[c] & bit != 0 {
                        count += 1;
                        only = Some(c);
                    }
                }
                if count == 1
                    && let Some(c) = only
                {
                    self.place(c, d + 1);
                    return true;
                }
            }
        }
        false
    }

    fn naked_single(&mut self) -> bool {
        for c in 0..81 {
            let m = self.cand[c];
            if self.val[c] == 0 && m.count_ones() == 1 {
                self.place(c, m.trailing_zeros() as u8 + 1);
                return true;
            }
        }
        false
    }

    /// Pointing (box -> line) and claiming (line -> box).
    fn locked_candidates(&mut self) -> bool {
        for (ui, unit) in UNITS.iter().enumerate() {
            for d in 0..9 {
                let bit = 1u16 << d;
                let cells: Vec<usize> = unit
                    .iter()
                    .map(|&c| c as usize)
                    .filter(|&c| self.cand[c] & bit != 0)
                    .collect();
                if cells.len() < 2 {
                    continue;
                }
                // Units (other than this one) containing every candidate cell.
                for (k, &target) in CELL_UNITS[cells[0]].iter().enumerate() {
                    let target = target as usize;
                    if target == ui || !cells.iter().all(|&c| CELL_UNITS[c][k] as usize == target) {
                        continue;
                    }
                    let mut changed = false;
                    for &o in UNITS[target].iter() {
                        let o = o as usize;
                        if !unit.contains(&(o as u8)) {
                            changed |= self.eliminate(o, bit);
                        }
                    }
                    if changed {
                        return true;
                    }
                }
            }
        }
        false
    }

    fn naked_subset(&mut self, n: u32) -> bool {
        for unit in UNITS.iter() {
            let open: Vec<usize> = unit
                .iter()
                .map(|&c| c as usize)
                .filter(|&c| self.val[c] == 0)
                .collect();
            if open.len() <= n as usize {
                continue;
            }
            for pick in 1u32..(1 << open.len()) {
                if pick.count_ones() != n {
                    continue;
                }
                let mut union = 0u16;
                for (i, &c) in open.iter().enumerate() {
                    if pick & (1 << i) != 0 {
                        union |= self.cand[c];
                    }
                }
                if union.count_ones() != n {
                    continue;
                }
                let mut changed = false;
                for (i, &c) in open.iter().enumerate() {
                    if pick & (1 << i) == 0 {
                        changed |= self.eliminate(c, union);
                    }
                }
                if changed {
                    return true;
                }
            }
        }
        false
    }

    fn hidden_subset(&mut self, n: u32) -> bool {
        for unit in UNITS.iter() {
            // Position mask (within the unit) of each open digit.
            let mut pos = [0u16; 9];
            for (i, &c) in unit.iter().enumerate() {
                let m = self.cand[c as usize];
                for (d, p) in pos.iter_mut().enumerate() {
                    if m & (1 << d) != 0 {
                        *p |= 1 << i;
                    }
                }
            }
            let digits: Vec<usize> = (0..9).filter(|&d| pos[d] != 0).collect();
            if digits.len() <= n as usize {
                continue;
            }
            for pick in 1u32..(1 << digits.len()) {
                if pick.count_ones() != n {
                    continue;
                }
                let (mut cells, mut keep) = (0u16, 0u16);
                for (i, &d) in digits.iter().enumerate() {
                    if pick & (1 << i) != 0 {
                        cells |= pos[d];
                        keep |= 1 << d;
                    }
                }
                if cells.count_ones() != n {
                    continue;
                }
                let mut changed = false;
                for (i, &c) in unit.iter().enumerate() {
                    if cells & (1 << i) != 0 {
                        changed |= self.eliminate(c as usize, !keep & 0x1FF);
                    }
                }
                if changed {
                    return true;
                }
            }
        }
        false
    }

    /// X-Wing (n = 2) and Swordfish (n = 3), rows or columns as base lines.
    fn fish(&mut self, n: u32) -> bool {
        for d in 0..9 {
            let bit = 1u16 << d;
            for rows_base in [true, false] {
                let cell = |line: usize, k: usize| {
                    if rows_base {
                        line * 9 + k
                    } else {
                        k * 9 + line
                    }
                };
                let mut masks = [0u16; 9];
                for (line, m) in masks.iter_mut().enumerate() {
                    for k in 0..9 {
                        if self.cand[cell(line, k)] & bit != 0 {
                            *m |= 1 << k;
                        }
                    }
                }
                let lines: Vec<usize> = (0..9)
                    .filter(|&l| masks[l] != 0 && masks[l].count_ones() <= n)
                    .collect();
                if lines.len() < n as usize {
                    continue;
                }
                for pick in 1u32..(1 << lines.len()) {
                    if pick.count_ones() != n {
                        continue;
                    }
                    let mut cover = 0u16;
                    let mut base = 0u16;
                    for (i, &l) in lines.iter().enumerate() {
                        if pick & (1 << i) != 0 {
                            cover |= masks[l];
                            base |= 1 << l;
                        }
                    }
                    if cover.count_ones() != n {
                        continue;
                    }
                    let mut changed = false;
                    for line in 0..9 {
                        if base & (1 << line) != 0 {
                            continue;
                        }
                        for k in 0..9 {
                            if cover & (1 << k) != 0 {
                                changed |= self.eliminate(cell(line, k), bit);
                            }
                        }
                    }
                    if changed {
                        return true;
                    }
                }
            }
        }
        false
    }

    fn sees(a: usize, b: usize) -> bool {
        a != b && PEERS[a].contains(&(b as u8))
    }

    fn xy_wing(&mut self) -> bool {
        let bivalue: Vec<usize> = (0..81)
            .filter(|&c| self.cand[c].count_ones() == 2)
            .collect();
        for &pivot in &bivalue {
            let pm = self.cand[pivot];
            for &p1 in &bivalue {
                let m1 = self.cand[p1];
                if !Self::sees(pivot, p1) || (m1 & pm).count_ones() != 1 {
                    continue;
                }
                let c = m1 & !pm; // the digit the pincers share
                let needed = (pm & !m1) | c; // second pincer: the other pivot digit + c
                for &p2 in &bivalue {
                    if p2 == p1 || self.cand[p2] != needed || !Self::sees(pivot, p2) {
                        continue;
                    }
                    let mut changed = false;
                    for o in 0..81 {
                        if o != pivot && Self::sees(o, p1) && Self::sees(o, p2) {
                            changed |= self.eliminate(o, c);
                        }
                    }
                    if changed {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// One-level trial: removes every candidate whose assumption leads, by singles alone, to a
    /// contradiction (one pass over the open cells, fewest candidates first).
    fn trial(&mut self) -> bool {
        let mut order: Vec<usize> = (0..81).filter(|&c| self.val[c] == 0).collect();
        order.sort_by_key(|&c| self.cand[c].count_ones());
        for c in order {
            let mut m = self.cand[c];
            while m != 0 {
                let bit = m & m.wrapping_neg();
                m &= m - 1;
                if trial_fails(&self.val, &self.cand, c, bit) {
                    self.cand[c] &= !bit;
                    return true;
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sudoku::{Difficulty, generate, solve};

    /// Every deduction must keep the true solution: no technique may remove a solution digit.
    #[test]
    fn techniques_never_eliminate_the_solution() {
        let mut seen = [false; 14];
        for seed in 0..60u64 {
            let d = Difficulty::ALL[(seed % 5) as usize];
            let g = generate(seed, d);
            let sol = solve(&g.puzzle).unique().unwrap();
            let mut logic = Logic::new(&g.puzzle);
            while !logic.solved() {
                let Some(t) = logic.step() else { break };
                seen[t as usize] = true;
                for c in 0..81 {
                    let v = sol.cells()[c];
                    if logic.val[c] != 0 {
                        assert_eq!(logic.val[c], v, "{t:?} placed a wrong digit");
                    } else {
                        assert!(
                            logic.cand[c] & (1 << (v - 1)) != 0,
                            "{t:?} removed the solution"
                        );
                    }
                }
            }
        }
        for t in [
            Technique::LockedCandidates,
            Technique::NakedPair,
            Technique::XYWing,
            Technique::Trial,
        ] {
            assert!(seen[t as usize], "{t:?} never exercised");
        }
    }
}
