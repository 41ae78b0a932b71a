//! Maze codec, dihedral transforms, validator and generator tests.

use proptest::prelude::*;
use trm::tasks::Dihedral;
use trm::tasks::maze::*;

/// numpy results on `np.arange(6).reshape(2, 3)` for ids 0..8 (shape, flattened values).
const NUMPY_2X3: [((usize, usize), [u8; 6]); 8] = [
    ((2, 3), [0, 1, 2, 3, 4, 5]),
    ((3, 2), [2, 5, 1, 4, 0, 3]),
    ((2, 3), [5, 4, 3, 2, 1, 0]),
    ((3, 2), [3, 0, 4, 1, 5, 2]),
    ((2, 3), [2, 1, 0, 5, 4, 3]),
    ((2, 3), [3, 4, 5, 0, 1, 2]),
    ((3, 2), [0, 3, 1, 4, 2, 5]),
    ((3, 2), [5, 2, 4, 1, 3, 0]),
];

#[test]
fn dihedral_ids_match_numpy() {
    let src = [0u8, 1, 2, 3, 4, 5];
    for (id, (shape, want)) in NUMPY_2X3.iter().enumerate() {
        let t = Dihedral::from_id(id as u8).unwrap();
        assert_eq!(t.id() as usize, id);
        let (r, c, out) = t.apply(2, 3, &src).unwrap();
        assert_eq!((r, c), *shape, "shape of t{id}");
        assert_eq!(out, want, "values of t{id}");
    }
    let inv: Vec<u8> = Dihedral::ALL.iter().map(|t| t.inverse().id()).collect();
    assert_eq!(inv, [0, 3, 2, 1, 4, 5, 6, 7]);
    assert!(Dihedral::from_id(8).is_none());
    assert!(Dihedral::Identity.apply(2, 3, &src[..5]).is_none());
}

const SMALL: &str = "\
#####
#S  #
# # #
#  G#
#####
";

#[test]
fn text_forms_and_padding() {
    let m = Maze::parse(SMALL).unwrap();
    assert_eq!((m.rows(), m.cols()), (5, 5));
    assert_eq!(m.to_text(), SMALL);
    assert_eq!(Maze::parse(&SMALL.replace('\n', "\r\n")).unwrap(), m);
    let t = m.to_tokens();
    assert_eq!(t[SIZE + 1], 3, "S -> 3");
    assert_eq!(t[3 * SIZE + 3], 4, "G -> 4");
    assert_eq!(t[SIZE + 2], 2, "open -> 2");
    assert_eq!(t[0], 1, "wall -> 1");
    // Padding is wall, never PAD.
    assert!(t.iter().all(|&x| x != 0));
    assert_eq!(t[29 * SIZE + 29], 1);
    let back = Maze::from_tokens(&t).unwrap();
    assert_eq!(back.cropped(5, 5).unwrap(), m);
    // The reference one-line form.
    let line = m.padded().to_line();
    assert_eq!(line.len(), 900);
    assert_eq!(Maze::parse(&line).unwrap(), m.padded());
    assert_eq!(m.padded().shortest_distance(), m.shortest_distance());
}

#[test]
fn parse_errors() {
    assert!(Maze::parse("").is_err());
    assert!(Maze::parse("##\n#\n").is_err());
    assert!(Maze::parse("#x#\n").is_err());
    assert!(Maze::parse(&"#".repeat(31)).is_err());
    assert!(Maze::parse(&"#\n".repeat(31)).is_err());
    let mut t = Maze::parse(SMALL).unwrap().to_tokens();
    t[7] = 0;
    assert!(Maze::from_tokens(&t).is_err());
    t[7] = 6;
    assert!(Maze::from_tokens(&t).is_err());
}

#[test]
fn judge_paths() {
    let puzzle = Maze::parse(SMALL).unwrap();
    assert_eq!(puzzle.shortest_distance(), Some(4));
    let label = puzzle.solve().unwrap();
    assert_eq!(label.path_len(), 3);
    let v = judge(&puzzle, &label, Some(&label));
    assert_eq!(
        v,
        Verdict {
            valid_path: true,
            shortest: true,
            exact: true
        }
    );
    // The other shortest route: valid and shortest, not the label.
    let other = Maze::parse("#####\n#S  #\n#o# #\n#ooG#\n#####\n").unwrap();
    let right = Maze::parse("#####\n#Soo#\n# #o#\n#  G#\n#####\n").unwrap();
    let (a, b) = (
        judge(&puzzle, &other, Some(&label)),
        judge(&puzzle, &right, Some(&label)),
    );
    assert!(a.shortest && b.shortest);
    assert!(a.exact != b.exact);
    // Through a wall.
    let wall = Maze::parse("#####\n#S  #\n#ooo#\n#  G#\n#####\n").unwrap();
    assert!(!judge(&puzzle, &wall, None).valid_path);
    // Disconnected.
    let broken = Maze::parse("#####\n#S o#\n# #o#\n#  G#\n#####\n").unwrap();
    assert!(!judge(&puzzle, &broken, None).valid_path);
    // Valid but with an extra mark: not shortest.
    let extra = Maze::parse("#####\n#Soo#\n#o#o#\n#  G#\n#####\n").unwrap();
    let v = judge(&puzzle, &extra, None);
    assert!(v.valid_path && !v.shortest);
    // Moving S is not allowed.
    let moved = Maze::parse("#####\n# So#\n# #o#\n#  G#\n#####\n").unwrap();
    assert!(!judge(&puzzle, &moved, None).valid_path);
    // Tokens: PAD in a prediction makes it invalid.
    let mut t = label.to_tokens();
    assert!(judge_tokens(&puzzle, &t, Some(&label)).exact);
    t[0] = 0;
    assert_eq!(judge_tokens(&puzzle, &t, Some(&label)), Verdict::default());
}

#[test]
fn csv_round_trip_and_check() {
    let csv = generate_csv(
        5,
        3,
        MazeParams {
            rows: 12,
            cols: 17,
            hardness: 0.7,
        },
    )
    .unwrap();
    let rows = parse_csv(&csv).unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0].source, "gen-12x17");
    let again: Vec<String> = rows.iter().map(Row::to_csv).collect();
    assert_eq!(csv.lines().skip(1).collect::<Vec<_>>(), again);
    let report = trm::tasks::data::check(&csv).unwrap();
    assert!(report.ok(), "{report}");
    // Tamper: erase one path mark -> the path is broken.
    let mut row = rows[1].clone();
    let cells: Vec<Cell> = row.answer.cells().to_vec();
    let (i, _) = cells
        .iter()
        .enumerate()
        .find(|(_, c)| **c == Cell::Path)
        .unwrap();
    let mut broken = cells.clone();
    broken[i] = Cell::Open;
    row.answer = Maze::new(SIZE, SIZE, broken).unwrap();
    let bad = format!("{}\n{}\n", csv.lines().next().unwrap(), row.to_csv());
    let report = trm::tasks::data::check(&bad).unwrap();
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].line, 2);
}

#[test]
fn generator_hardness_lengthens_paths() {
    let mean = |h: f64| {
        (0..20u64)
            .map(|s| {
                generate(
                    s,
                    MazeParams {
                        rows: 30,
                        cols: 30,
                        hardness: h,
                    },
                )
                .unwrap()
                .distance
            })
            .sum::<usize>() as f64
            / 20.0
    };
    let (easy, hard) = (mean(0.1), mean(1.0));
    assert!(hard > 2.0 * easy, "easy {easy}, hard {hard}");
    assert!(
        hard >= 100.0,
        "hard mazes should be Maze-Hard-like, mean {hard}"
    );
    assert!(
        generate(
            0,
            MazeParams {
                rows: 31,
                cols: 5,
                hardness: 0.5
            }
        )
        .is_err()
    );
    assert!(
        generate(
            0,
            MazeParams {
                rows: 5,
                cols: 5,
                hardness: 1.5
            }
        )
        .is_err()
    );
}

fn grid_strategy() -> impl Strategy<Value = (usize, usize, Vec<u8>)> {
    (1usize..=30, 1usize..=30)
        .prop_flat_map(|(r, c)| (Just(r), Just(c), prop::collection::vec(any::<u8>(), r * c)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_transform_has_its_inverse((r, c, cells) in grid_strategy(), id in 0u8..8) {
        let t = Dihedral::from_id(id).unwrap();
        let (r2, c2, out) = t.apply(r, c, &cells).unwrap();
        prop_assert_eq!((r2, c2), t.output_shape(r, c));
        let (r3, c3, back) = t.inverse().apply(r2, c2, &out).unwrap();
        prop_assert_eq!((r3, c3), (r, c));
        prop_assert_eq!(back, cells);
    }

    #[test]
    fn transforms_compose_like_the_group((r, c, cells) in grid_strategy()) {
        let rot = |t: Dihedral, (r, c, v): (usize, usize, Vec<u8>)| t.apply(r, c, &v).unwrap();
        let once = rot(Dihedral::Rot90, (r, c, cells.clone()));
        prop_assert_eq!(rot(Dihedral::Rot90, once.clone()), rot(Dihedral::Rot180, (r, c, cells.clone())));
        let thrice = rot(Dihedral::Rot90, rot(Dihedral::Rot90, once.clone()));
        prop_assert_eq!(thrice, rot(Dihedral::Rot270, (r, c, cells.clone())));
        prop_assert_eq!(rot(Dihedral::FlipLr, once), rot(Dihedral::AntiTranspose, (r, c, cells)));
    }

    #[test]
    fn parser_never_panics(s in "[# SGox\n\r]{0,200}") {
        let _ = Maze::parse(&s);
        let _ = Row::parse(&s, 1);
    }

    #[test]
    fn maze_text_and_tokens_round_trip(seed in any::<u64>(), rows in 2usize..=30, cols in 2usize..=30) {
        let g = generate(seed, MazeParams { rows, cols, hardness: 0.5 }).unwrap();
        prop_assert_eq!(Maze::parse(&g.solution.to_text()).unwrap(), g.solution.clone());
        let back = Maze::from_tokens(&g.solution.to_tokens()).unwrap();
        prop_assert_eq!(back.cropped(rows, cols).unwrap(), g.solution);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn generated_mazes_are_labelled_with_a_shortest_path(
        seed in any::<u64>(), rows in 2usize..=30, cols in 2usize..=30, h in 0.0f64..=1.0
    ) {
        let params = MazeParams { rows, cols, hardness: h };
        let g = generate(seed, params).unwrap();
        prop_assert_eq!((g.puzzle.rows(), g.puzzle.cols()), (rows, cols));
        prop_assert!(g.puzzle.start().is_some() && g.puzzle.goal().is_some());
        prop_assert_eq!(g.puzzle.path_len(), 0);
        prop_assert_eq!(g.puzzle.shortest_distance(), Some(g.distance));
        prop_assert_eq!(g.solution.without_path(), g.puzzle.clone());
        let v = judge(&g.puzzle, &g.solution, Some(&g.solution));
        prop_assert!(v.valid_path && v.shortest && v.exact);
        prop_assert_eq!(generate(seed, params).unwrap(), g.clone());
        // Symmetries keep the label a shortest path.
        for t in Dihedral::ALL {
            let (p, s) = (g.puzzle.transform(t), g.solution.transform(t));
            prop_assert!(judge(&p, &s, None).shortest);
            prop_assert_eq!(s.transform(t.inverse()), g.solution.clone());
        }
        prop_assert!(trm::tasks::data::check_maze_row(&g.to_row()).is_ok());
    }
}

/// Versions predicted perfectly (each version's own solution) all map back to the solution and
/// win unanimously; a minority of wrong answers is outvoted, and ties go to the more confident.
#[test]
fn dihedral_vote_maps_versions_back() {
    let g = generate_unique(7, MazeParams { rows: 6, cols: 5, hardness: 0.8 }).unwrap();
    let side = 7;
    let vote = DihedralVote::new(&g.puzzle, side).unwrap();
    let versions = vote.versions();
    assert_eq!(versions.len(), 8);
    assert_eq!(versions[0], g.puzzle.to_tokens_on(side).unwrap(), "identity is the maze itself");
    // Each version of the (trimmed) solution is that version's right answer.
    let trimmed = DihedralVote::new(&g.solution, side).unwrap();
    let mut answers = trimmed.versions();
    let ones = vec![1.0f32; side * side];
    let conf: Vec<&[f32]> = vec![&ones[..]; 8];
    let preds: Vec<&[u8]> = answers.iter().map(|a| a.as_slice()).collect();
    let ranked = vote.ranked(&preds, &conf);
    assert_eq!(ranked.len(), 1);
    let won = &ranked[0];
    assert_eq!(won.votes, 8);
    assert_eq!(vote.canvas_tokens(&won.maze), g.solution.to_tokens_on(side).unwrap());

    // Three versions answer with the bare puzzle (no path): outvoted 5 to 3.
    for a in answers.iter_mut().take(3) {
        *a = versions[0].clone();
    }
    let preds: Vec<&[u8]> = answers.iter().map(|a| a.as_slice()).collect();
    let ranked = vote.ranked(&preds, &conf);
    let won = &ranked[0];
    assert_eq!(won.votes, 5);
    assert!(ranked.len() >= 2 && ranked[1..].iter().all(|c| c.votes < 5));
    assert_eq!(vote.canvas_tokens(&won.maze), g.solution.to_tokens_on(side).unwrap());

    // One vote each: the most confident prediction wins; undecodable ones are skipped.
    let bad = vec![99u8; side * side];
    let low = vec![0.5f32; side * side];
    let solution_rot90 = &trimmed.versions()[1];
    let preds: Vec<&[u8]> = vec![&versions[0], solution_rot90, &bad, &bad, &bad, &bad, &bad, &bad];
    let ranked = vote.ranked(&preds, &[&low, &ones]);
    assert_eq!(ranked.iter().map(|c| c.votes).collect::<Vec<_>>(), [1, 1]);
    let won = &ranked[0];
    assert_eq!(vote.canvas_tokens(&won.maze), g.solution.to_tokens_on(side).unwrap());
    assert!(vote.ranked(&[&bad[..]; 8], &[]).is_empty());
    // A maze larger than the canvas is an error, not a panic.
    assert!(DihedralVote::new(&generate_unique(1, MazeParams { rows: 9, cols: 9, hardness: 0.5 }).unwrap().puzzle, 7).is_err());
}

/// The codecs' form of the vote (what the page calls): flat batches in, ballots on the canvas out.
#[test]
fn maze_vote_over_flat_batches() {
    use trm::tasks::puzzle::maze_vote;
    let g = generate_unique(11, MazeParams { rows: 5, cols: 7, hardness: 0.6 }).unwrap();
    let side = 7;
    let input = g.puzzle.to_tokens_on(side).unwrap();
    let answers: Vec<u8> = DihedralVote::new(&g.solution, side).unwrap().versions().concat();
    let conf = vec![0.9f32; 8 * side * side];
    let ballots = maze_vote(&input, &answers, &conf).unwrap();
    assert_eq!(ballots.len(), 1);
    assert_eq!((ballots[0].votes, &ballots[0].tokens), (8, &g.solution.to_tokens_on(side).unwrap()));
    assert!(maze_vote(&input, &answers[..side * side], &conf).is_err(), "one version for eight");
    assert!(maze_vote(&input[..48], &answers[..8 * 48], &conf[..8 * 48]).is_err(), "not a square canvas");
}
