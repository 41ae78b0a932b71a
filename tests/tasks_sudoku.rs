//! Sudoku codec, solver, grader, generator and augmentation tests.

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use trm::tasks::sudoku::*;

const HARD: &str =
    "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..";
const HARD_SOLUTION: &str =
    "812753649943682175675491283154237896369845721287169534521974368438526917796318452";

fn cells_strategy() -> impl Strategy<Value = [u8; 81]> {
    prop::collection::vec(0u8..=9, 81).prop_map(|v| {
        let mut out = [0u8; 81];
        out.copy_from_slice(&v);
        out
    })
}

#[test]
fn token_layout_matches_reference() {
    let g = Grid::parse(HARD).unwrap();
    let t = g.to_tokens();
    assert_eq!(t[0], 9, "digit 8 -> token 9");
    assert_eq!(t[1], 1, "blank -> token 1");
    assert!(t.iter().all(|&x| (1..=10).contains(&x)));
    assert_eq!(SEQ_LEN, 81);
    assert_eq!(VOCAB_SIZE, 11);
}

#[test]
fn parse_forms_and_errors() {
    let g = Grid::parse(HARD).unwrap();
    assert_eq!(Grid::parse(&g.to_pretty()).unwrap(), g);
    assert_eq!(Grid::parse(&HARD.replace('.', "0")).unwrap(), g);
    let spaced: String = HARD.chars().flat_map(|c| [c, ' ']).collect();
    assert_eq!(Grid::parse(&spaced).unwrap(), g);
    assert!(Grid::parse(&HARD[..80]).is_err());
    assert!(Grid::parse(&format!("{HARD}1")).is_err());
    let err = Grid::parse(&HARD.replacen('.', "x", 1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("'x'"), "{err}");
    assert!(Grid::parse("").is_err());
    assert_eq!(g.to_string(), HARD);
}

#[test]
fn tokens_reject_pad_and_out_of_vocab() {
    let mut t = Grid::parse(HARD).unwrap().to_tokens();
    t[5] = 0;
    assert!(Grid::from_tokens(&t).is_err());
    t[5] = 11;
    assert!(Grid::from_tokens(&t).is_err());
    assert!(Grid::from_tokens(&t[..80]).is_err());
}

#[test]
fn csv_rows() {
    let text = format!("source,question,answer,rating\nsrc,{HARD},{HARD_SOLUTION},3\n\n");
    let rows = parse_csv(&text).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].source, "src");
    assert_eq!(rows[0].rating, 3.0);
    assert_eq!(rows[0].to_csv(), format!("src,{HARD},{HARD_SOLUTION},3"));
    // Header-less files are not truncated; CRLF is fine.
    let rows = parse_csv(&format!("a,{HARD},{HARD_SOLUTION},0\r\n")).unwrap();
    assert_eq!(rows.len(), 1);
    // Errors carry the line number.
    let bad =
        format!("source,question,answer,rating\na,{HARD},{HARD_SOLUTION},0\nb,{HARD},123,0\n");
    let err = parse_csv(&bad).unwrap_err().to_string();
    assert!(err.starts_with("line 3"), "{err}");
    assert!(parse_csv(&format!("a,{HARD},{HARD_SOLUTION}\n")).is_err());
    assert!(parse_csv(&format!("a,{HARD},{HARD_SOLUTION},x\n")).is_err());
    assert!(parse_csv(&format!("a,{HARD},{HARD_SOLUTION},1,2\n")).is_err());
}

#[test]
fn solver_known_hard_puzzle() {
    let g = Grid::parse(HARD).unwrap();
    let sol = solve(&g).unique().unwrap();
    assert_eq!(sol.to_line(), HARD_SOLUTION);
    assert!(sol.check_against(&g).is_solved());
    assert!(solve_stats(&g).guesses > 0);
}

#[test]
fn solver_counts() {
    assert_eq!(count_solutions(&Grid::EMPTY, 2), 2);
    let mut clash = Grid::parse(HARD).unwrap();
    clash.set(0, 1, 8); // second 8 in row 0
    assert_eq!(count_solutions(&clash, 2), 0);
    assert_eq!(solve(&clash), Solution::None);
    let mut open = Grid::parse(HARD).unwrap();
    open.set(0, 0, 0);
    assert!(matches!(solve(&open), Solution::Multiple(_)));
}

#[test]
fn validator_reports_cells() {
    let puzzle = Grid::parse(HARD).unwrap();
    let mut attempt = Grid::parse(HARD_SOLUTION).unwrap();
    assert!(attempt.check_against(&puzzle).is_solved());
    attempt.set(0, 1, 8); // duplicate of (0,0) in row and box; given? (0,1) is blank
    let c = attempt.check_against(&puzzle);
    assert!(!c.is_solved());
    assert!(c.conflicts.contains(&0) && c.conflicts.contains(&1));
    assert!(c.givens_changed.is_empty());
    attempt.set(0, 0, 1);
    let c = attempt.check_against(&puzzle);
    assert_eq!(c.givens_changed, vec![0]);
    attempt.set(4, 4, 0);
    assert!(!attempt.check_against(&puzzle).complete);
}

#[test]
fn difficulty_names_round_trip() {
    for d in Difficulty::ALL {
        assert_eq!(d.to_string().parse::<Difficulty>().unwrap(), d);
    }
    assert_eq!(" Hard ".parse::<Difficulty>().unwrap(), Difficulty::Hard);
    assert!("insane".parse::<Difficulty>().is_err());
}

#[test]
fn grader_basics() {
    let hard = grade(&Grid::parse(HARD).unwrap()).unwrap();
    assert!(hard.difficulty >= Difficulty::Expert, "{hard:?}");
    assert!(grade(&Grid::EMPTY).is_err());
    // A full grid minus one cell needs only a single.
    let mut g = Grid::parse(HARD_SOLUTION).unwrap();
    g.set(3, 3, 0);
    let e = grade(&g).unwrap();
    assert_eq!(e.difficulty, Difficulty::Easy);
}

fn check_generated(g: &Generated, want: Difficulty) {
    assert_eq!(g.difficulty, want);
    assert_eq!(
        solve(&g.puzzle),
        Solution::Unique(g.solution),
        "{}",
        g.puzzle
    );
    assert!(g.solution.is_full() && g.solution.conflicts().is_empty());
    assert!(g.solution.check_against(&g.puzzle).is_solved());
    let graded = grade(&g.puzzle).unwrap();
    assert_eq!(graded.difficulty, want);
    assert_eq!(graded.guesses, g.rating);
    if want == Difficulty::Easy {
        assert!(g.puzzle.filled() >= 30);
    }
}

#[test]
fn generator_every_grade_and_reproducible() {
    for (i, d) in Difficulty::ALL.into_iter().enumerate() {
        let g = generate(1000 + i as u64, d);
        check_generated(&g, d);
        assert_eq!(generate(1000 + i as u64, d), g, "same seed, same puzzle");
    }
    // Mixed streams cycle through the grades, and items do not depend on the batch.
    let stream = Generator::new(7, None);
    let items: Vec<Generated> = stream.clone().take(6).collect();
    assert_eq!(items[5].difficulty, Difficulty::Easy);
    assert_eq!(items[3], stream.nth_item(3));
}

#[test]
fn generated_csv_passes_check() {
    let csv = generate_csv(10, 42, Some(Difficulty::Medium));
    let rows = parse_csv(&csv).unwrap();
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r.source == "medium"));
    let report = trm::tasks::data::check(&csv).unwrap();
    assert!(report.ok(), "{report}");
    assert_eq!(report.rows, 10);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn text_and_tokens_round_trip(cells in cells_strategy()) {
        let g = Grid::from_cells(cells).unwrap();
        prop_assert_eq!(Grid::parse(&g.to_line()).unwrap(), g);
        prop_assert_eq!(Grid::parse(&g.to_pretty()).unwrap(), g);
        prop_assert_eq!(Grid::from_tokens(&g.to_tokens()).unwrap(), g);
    }

    #[test]
    fn parser_never_panics(s in "[0-9. \n\tx]{0,100}") {
        let _ = Grid::parse(&s);
        let _ = Row::parse(&s, 1);
    }

    #[test]
    fn augmentation_inverse_and_validity(seed in any::<u64>()) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let aug = Augmentation::random(&mut rng);
        let puzzle = Grid::parse(HARD).unwrap();
        let sol = Grid::parse(HARD_SOLUTION).unwrap();
        let (p2, s2) = (aug.apply(&puzzle), aug.apply(&sol));
        prop_assert_eq!(aug.inverse().apply(&p2), puzzle);
        prop_assert_eq!(aug.inverse().apply(&s2), sol);
        prop_assert!(s2.conflicts().is_empty() && s2.is_full());
        prop_assert_eq!(p2.filled(), puzzle.filled());
        prop_assert_eq!(solve(&p2), Solution::Unique(s2));
        prop_assert_eq!(Augmentation::IDENTITY.apply(&puzzle), puzzle);
    }

    #[test]
    fn augmentation_inverse_any_grid(seed in any::<u64>(), cells in cells_strategy()) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let aug = Augmentation::random(&mut rng);
        let g = Grid::from_cells(cells).unwrap();
        prop_assert_eq!(aug.inverse().apply(&aug.apply(&g)), g);
        prop_assert_eq!(aug.apply(&aug.inverse().apply(&g)), g);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn generated_puzzles_unique_and_graded(seed in any::<u64>(), d in 0usize..4) {
        let want = Difficulty::ALL[d];
        let g = generate(seed, want);
        check_generated(&g, want);
    }
}

/// Found by the `sudoku_text` fuzz target: sparse givens that contradict each other only deep
/// in the search (minutes unbounded). A bounded solve gives up quickly instead; the data
/// checker reports such a row.
#[test]
fn a_grid_built_to_defeat_the_search_is_bounded() {
    let grid = Grid::parse(
        "000000008000012000000000000000080000000000000000000002763000000000000000002763000",
    )
    .unwrap();
    let t = std::time::Instant::now();
    assert_eq!(solve_within(&grid, trm::tasks::data::SOLVE_BUDGET), None);
    let secs = t.elapsed().as_secs_f64();
    assert!(secs < 30.0, "gave up after {secs:.1} s");
    let hard = Grid::parse(HARD).unwrap();
    let guesses = solve_stats(&hard).guesses;
    assert!(guesses < trm::tasks::data::SOLVE_BUDGET / 100, "a famous hard puzzle needs {guesses} guesses");
    assert_eq!(solve_within(&hard, trm::tasks::data::SOLVE_BUDGET), Some(Solution::Unique(Grid::parse(HARD_SOLUTION).unwrap())));
    let row = format!("{},{},{},0\n", "x", grid.to_line(), HARD_SOLUTION);
    let report = trm::tasks::data::check(&format!("{}\n{row}", CSV_HEADER)).unwrap();
    assert!(report.to_string().contains("could not decide within 1000000 guesses"), "{report}");
}
