//! ARC encoding, crop rule, augmentation names, JSON parsing and voting tests.

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::collections::BTreeMap;
use trm::tasks::Dihedral;
use trm::tasks::arc::*;

fn g(rows: &[&[u8]]) -> Grid {
    Grid::from_rows(&rows.iter().map(|r| r.to_vec()).collect::<Vec<_>>()).unwrap()
}

#[test]
fn eos_rule_golden() {
    let grid = g(&[&[0, 1, 2], &[3, 4, 5]]);
    let t = encode(&grid, 0, 0).unwrap();
    assert_eq!(
        &t[0..5],
        &[2, 3, 4, EOS, PAD],
        "row 0: colours + 2, EOS column, PAD"
    );
    assert_eq!(&t[30..35], &[5, 6, 7, EOS, PAD]);
    assert_eq!(
        &t[60..65],
        &[EOS, EOS, EOS, PAD, PAD],
        "EOS row; corner (2,3) stays PAD"
    );
    assert_eq!(t.iter().filter(|&&x| x == EOS).count(), 5);
    assert_eq!(t, grid.to_tokens());
    // With an offset the markers move with the grid.
    let t = encode(&grid, 4, 7).unwrap();
    assert_eq!(t[4 * 30 + 7], 2);
    assert_eq!(t[4 * 30 + 10], EOS);
    assert_eq!(t[6 * 30 + 7], EOS);
    assert_eq!(t[6 * 30 + 10], PAD);
    assert_eq!(t.iter().filter(|&&x| x == EOS).count(), 5);
    // A grid touching the bottom/right edge has no EOS there.
    let full = Grid::new(30, 2, vec![1; 60]).unwrap();
    let t = encode(&full, 0, 28).unwrap();
    assert_eq!(t.iter().filter(|&&x| x == EOS).count(), 0);
    let t = encode(&full, 0, 0).unwrap();
    assert_eq!(t.iter().filter(|&&x| x == EOS).count(), 30);
    assert!(encode(&full, 1, 0).is_err());
}

#[test]
fn crop_rule_golden() {
    let grid = g(&[&[0, 1, 2], &[3, 4, 5]]);
    assert_eq!(crop(&grid.to_tokens()).unwrap(), grid);
    // No colour at the top-left: empty grid.
    let mut t = [PAD; 900];
    assert_eq!(crop(&t).unwrap(), Grid::new(0, 0, vec![]).unwrap());
    // Full canvas of colour: 30x30.
    t = [2; 900];
    assert_eq!(crop(&t).unwrap().rows(), 30);
    // Row 0 is 5 wide, row 1 stops at 2, rows 2..4 too, then a non-colour at column 0:
    // areas 5, 4, 6, 8 -> 4x2 wins over 1x5.
    let mut t = [PAD; 900];
    t[..5].fill(3);
    for r in 1..4 {
        t[r * 30] = 4;
        t[r * 30 + 1] = 4;
    }
    let c = crop(&t).unwrap();
    assert_eq!((c.rows(), c.cols()), (4, 2));
    assert_eq!(c.cells(), &[1, 1, 2, 2, 2, 2, 2, 2]);
    // Tie: 1x4 (area 4) then 2x2 (area 4): the first is kept.
    let mut t = [PAD; 900];
    t[..4].fill(2);
    t[30] = 2;
    t[31] = 2;
    let c = crop(&t).unwrap();
    assert_eq!((c.rows(), c.cols()), (1, 4));
    // EOS inside a predicted row cuts the width; garbage tokens too.
    let mut t = grid.to_tokens();
    t[1] = EOS;
    assert_eq!(crop(&t).unwrap(), g(&[&[0], &[3]]));
    t[1] = 200;
    assert_eq!(crop(&t).unwrap(), g(&[&[0], &[3]]));
    assert!(crop(&t[..899]).is_err());
}

#[test]
fn grid_hash_matches_reference() {
    // hashlib.sha256(bytes([2, 3]) + np.array([[0,1,2],[3,4,5]], np.uint8).tobytes())
    assert_eq!(
        g(&[&[0, 1, 2], &[3, 4, 5]]).hash(),
        "ab9cb75e0fc8851387cceea2ca1eb5eaebad6285055146bf55cd20bcbc33c3b4"
    );
    assert_eq!(
        Grid::new(0, 0, vec![]).unwrap().hash(),
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
    );
}

#[test]
fn augmented_name_golden() {
    let (base, aug) = Augmentation::parse_name("007bbfb7|||t3|||0518236947").unwrap();
    assert_eq!(base, "007bbfb7");
    assert_eq!(aug.dihedral, Dihedral::Rot270);
    assert_eq!(aug.perm, [0, 5, 1, 8, 2, 3, 6, 9, 4, 7]);
    assert_eq!(aug.name("007bbfb7"), "007bbfb7|||t3|||0518236947");
    // numpy: np.rot90(mapping[grid], 3) and back with argsort.
    let grid = g(&[&[0, 1, 2], &[3, 4, 5]]);
    let out = aug.apply(&grid);
    assert_eq!(out, g(&[&[8, 0], &[2, 5], &[3, 1]]));
    assert_eq!(aug.invert(&out), grid);
    // Originals have no separator and mean identity.
    let (base, aug) = Augmentation::parse_name("007bbfb7").unwrap();
    assert_eq!((base, aug), ("007bbfb7", Augmentation::IDENTITY));
    for bad in [
        "x|||t8|||0123456789",
        "x|||t3|||012345678",
        "x|||t3|||0123456788",
        "x|||3|||0123456789",
        "x|||t3",
        "x|||t3|||0123456789|||t1|||0123456789",
        "x|||t03|||0123456789",
        "x|||t3|||01234567a9",
    ] {
        assert!(Augmentation::parse_name(bad).is_err(), "{bad}");
    }
}

const TASK: &str = r#"{"train": [{"input": [[1, 0], [0, 0]], "output": [[0, 1], [0, 0]]}],
  "test": [{"input": [[0, 0], [2, 0]], "output": [[0, 0], [0, 2]]},
           {"input": [[3]]}], "name": "ignored"}"#;

#[test]
fn task_json() {
    let t = ArcTask::from_json(TASK).unwrap();
    assert_eq!(t.train.len(), 1);
    assert_eq!(t.test[0].output, Some(g(&[&[0, 0], &[0, 2]])));
    assert_eq!(t.test[1].output, None);
    assert_eq!(ArcTask::from_json(&t.to_json()).unwrap(), t);
    for bad in [
        "",
        "[]",
        "{",
        r#"{"train": [], "test": [{"input": [[1]]}]}"#,
        r#"{"train": [{"input": [[1]], "output": [[1]]}], "test": []}"#,
        r#"{"train": [{"input": [[10]], "output": [[1]]}], "test": [{"input": [[1]]}]}"#,
        r#"{"train": [{"input": [[-1]], "output": [[1]]}], "test": [{"input": [[1]]}]}"#,
        r#"{"train": [{"input": [[1.5]], "output": [[1]]}], "test": [{"input": [[1]]}]}"#,
        r#"{"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": [{"input": [[1]]}]}"#,
        r#"{"train": [{"input": [], "output": [[1]]}], "test": [{"input": [[1]]}]}"#,
        r#"{"train": [{"input": [[]], "output": [[1]]}], "test": [{"input": [[1]]}]}"#,
        r#"{"train": [{"input": [[1]]}], "test": [{"input": [[1]]}]}"#,
    ] {
        assert!(ArcTask::from_json(bad).is_err(), "{bad}");
    }
    let wide = format!(
        r#"{{"train": [{{"input": [[{}]], "output": [[1]]}}], "test": [{{"input": [[1]]}}]}}"#,
        vec!["0"; 31].join(",")
    );
    assert!(ArcTask::from_json(&wide).is_err());
}

#[test]
fn kaggle_split() {
    let ch = r#"{"aa": {"train": [{"input": [[1]], "output": [[2]]}], "test": [{"input": [[3]]}]},
                 "bb": {"train": [{"input": [[1]], "output": [[2]]}], "test": [{"input": [[4]]}, {"input": [[5]]}]}}"#;
    let sol = r#"{"aa": [[[6]]], "bb": [[[7]], [[8]]]}"#;
    let tasks = load_kaggle(ch, Some(sol)).unwrap();
    assert_eq!(tasks["bb"].test[1].output, Some(g(&[&[8]])));
    assert!(
        load_kaggle(ch, None).unwrap()["aa"].test[0]
            .output
            .is_none()
    );
    assert!(load_kaggle(ch, Some(r#"{"aa": [[[6]], [[6]]]}"#)).is_err());
    assert!(load_kaggle(ch, Some(r#"{"zz": [[[6]]]}"#)).is_err());
}

/// Feeds the votes for one test input through augmented names, like model rows would arrive.
fn vote(votes: &mut Votes, id: &str, input: &Grid, pred: &Grid, aug: Augmentation, q: f64) {
    let name = aug.name(id);
    let tin = aug.apply(input).to_tokens();
    let tout = aug.apply(pred).to_tokens();
    assert!(votes.add(&name, &tin, &tout, q).unwrap());
}

#[test]
fn voting_and_pass_at_k() {
    let task = ArcTask::from_json(TASK).unwrap();
    let mut tasks = BTreeMap::new();
    let mut with_outputs = task.clone();
    with_outputs.test[1].output = Some(g(&[&[4]]));
    tasks.insert("p1".to_string(), with_outputs);
    let (in0, in1) = (task.test[0].input.clone(), task.test[1].input.clone());
    let right = g(&[&[0, 0], &[0, 2]]);
    let wrong_a = g(&[&[2, 0], &[0, 0]]);
    let wrong_b = g(&[&[1]]);
    let mut rng = SmallRng::seed_from_u64(1);
    let mut votes = Votes::new();
    // Test input 0: wrong_a gets 2 votes, right 2 votes with lower confidence, wrong_b 1.
    vote(
        &mut votes,
        "p1",
        &in0,
        &wrong_a,
        Augmentation::random(&mut rng),
        2.0,
    );
    vote(
        &mut votes,
        "p1",
        &in0,
        &right,
        Augmentation::random(&mut rng),
        0.0,
    );
    vote(
        &mut votes,
        "p1",
        &in0,
        &wrong_a,
        Augmentation::IDENTITY,
        2.0,
    );
    vote(
        &mut votes,
        "p1",
        &in0,
        &right,
        Augmentation::random(&mut rng),
        0.0,
    );
    vote(
        &mut votes,
        "p1",
        &in0,
        &wrong_b,
        Augmentation::random(&mut rng),
        9.0,
    );
    // Padding rows are skipped.
    assert!(!votes.add(BLANK_NAME, &[0; 900], &[0; 900], 0.0).unwrap());
    let ranked = votes.ranked("p1", &in0);
    assert_eq!(ranked.len(), 3);
    assert_eq!(ranked[0].grid, wrong_a);
    assert_eq!(ranked[0].votes, 2);
    assert!((ranked[0].confidence - sigmoid(2.0)).abs() < 1e-15);
    assert_eq!(ranked[1].grid, right);
    assert_eq!(ranked[2].grid, wrong_b);
    // Test input 1 never predicted correctly.
    vote(
        &mut votes,
        "p1",
        &in1,
        &wrong_b,
        Augmentation::random(&mut rng),
        0.0,
    );
    let score = votes.score(&tasks, &[1, 2, 10]).unwrap();
    assert_eq!(score.pass_at(1), Some(0.0));
    assert_eq!(
        score.pass_at(2),
        Some(0.5),
        "one of two test inputs solved at K=2"
    );
    assert_eq!(score.pass_at(10), Some(0.5));
    assert_eq!(
        score.puzzles[0].attempts[0],
        vec![wrong_a.clone(), right.clone()]
    );
    // One more vote for `right` makes it first: pass@1 = 0.5.
    vote(
        &mut votes,
        "p1",
        &in0,
        &right,
        Augmentation::random(&mut rng),
        -5.0,
    );
    let score = votes.score(&tasks, &[1, 2]).unwrap();
    assert_eq!(score.pass_at(1), Some(0.5));
    // Exact ties keep first-seen order.
    let mut v = Votes::new();
    vote(&mut v, "p1", &in0, &wrong_b, Augmentation::IDENTITY, 1.0);
    vote(&mut v, "p1", &in0, &right, Augmentation::IDENTITY, 1.0);
    let r = v.ranked("p1", &in0);
    assert_eq!((r[0].grid.clone(), r[1].grid.clone()), (wrong_b, right));
    // Unknown names and malformed tokens are errors, not panics.
    assert!(
        v.add("p1|||t9|||0123456789", &[0; 900], &[0; 900], 0.0)
            .is_err()
    );
    assert!(v.add("p1", &[0; 10], &[0; 900], 0.0).is_err());
}

fn grid_strategy() -> impl Strategy<Value = Grid> {
    (1usize..=30, 1usize..=30).prop_flat_map(|(r, c)| {
        prop::collection::vec(0u8..=9, r * c).prop_map(move |v| Grid::new(r, c, v).unwrap())
    })
}

/// Independent statement of the crop rule: the largest all-colour rectangle anchored at the
/// top-left, fewest rows on ties.
fn brute_crop(t: &[u8]) -> (usize, usize) {
    let mut best = (0, 0);
    for r in 1..=30 {
        for c in 1..=30 {
            let ok = (0..r).all(|i| (0..c).all(|j| (2..=11).contains(&t[i * 30 + j])));
            if ok && r * c > best.0 * best.1 {
                best = (r, c);
            }
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn encode_crop_round_trip(grid in grid_strategy()) {
        prop_assert_eq!(crop(&grid.to_tokens()).unwrap(), grid);
    }

    #[test]
    fn crop_matches_brute_force(tokens in prop::collection::vec(
        prop_oneof![8 => 2u8..=11, 1 => 0u8..=1, 1 => any::<u8>()], 900)) {
        let c = crop(&tokens).unwrap();
        prop_assert_eq!((c.rows(), c.cols()), brute_crop(&tokens));
    }

    #[test]
    fn translated_encoding_keeps_eos_rule(grid in grid_strategy(), seed in any::<u64>()) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let (r0, c0) = random_offset(&mut rng, &[&grid]);
        let t = encode(&grid, r0, c0).unwrap();
        let eos = t.iter().filter(|&&x| x == EOS).count();
        let want = if r0 + grid.rows() < 30 { grid.cols() } else { 0 }
            + if c0 + grid.cols() < 30 { grid.rows() } else { 0 };
        prop_assert_eq!(eos, want);
        prop_assert_eq!(t.iter().filter(|&&x| x >= 2).count(), grid.rows() * grid.cols());
    }

    #[test]
    fn augmentation_inverts(grid in grid_strategy(), seed in any::<u64>()) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let aug = Augmentation::random(&mut rng);
        prop_assert_eq!(aug.perm[0], 0, "black stays black");
        prop_assert_eq!(aug.invert(&aug.apply(&grid)), grid.clone());
        let name = aug.name("abc");
        let (base, parsed) = Augmentation::parse_name(&name).unwrap();
        prop_assert_eq!(base, "abc");
        prop_assert_eq!(parsed, aug);
        // Voting keys: the inverse-transformed crop of the augmented input is the original.
        let back = aug.invert(&crop(&aug.apply(&grid).to_tokens()).unwrap());
        prop_assert_eq!(back.hash(), grid.hash());
    }

    #[test]
    fn json_parser_never_panics(s in "[\\[\\]{}0-9,:\" a-z.-]{0,120}") {
        let _ = ArcTask::from_json(&s);
        let _ = load_kaggle(&s, Some(&s));
    }
}
