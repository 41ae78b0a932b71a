//! The `trm` binary end to end: convert (with ARC row selection), info, solve --json, data gen
//! and check, eval --json, and the exit codes (0 success, 1 a failed check, 2 an error).
//! `trm train` has its own file (`train_cli.rs`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::fixture;

fn trm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trm")).args(args).output().expect("the trm binary runs")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trm-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// Exit 2 and an `error:` line containing `needle`.
fn fails_with(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "stdout: {}\nstderr: {}", stdout(o), stderr(o));
    let err = stderr(o);
    assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
}

#[test]
fn convert_keeps_chosen_arc_rows_by_name_and_info_reads_the_result() {
    let dir = temp("convert");
    let src = fixture("arc-att-learned-h64");
    let names: Vec<String> = (0..7).map(|i| format!("task{i}")).collect();
    let ids = dir.join("identifiers.json");
    std::fs::write(&ids, serde_json::to_string(&names).unwrap()).unwrap();
    let keep = dir.join("keep.txt");
    std::fs::write(&keep, "task5\n\n2\n").unwrap();
    let out = dir.join("arc.safetensors");
    let ckpt = src.join("checkpoint.pt");
    let o = trm(&["convert", arg(&ckpt), "-o", arg(&out), "--identifiers", arg(&ids), "--keep-puzzles", arg(&keep)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("2 puzzle rows"), "{}", stdout(&o));

    let info = json(&trm(&["info", arg(&out), "--json"]));
    assert_eq!(info["config"]["num_puzzle_identifiers"], 2);
    assert_eq!(info["puzzle_identifiers"], 2);
    assert_eq!(info["task"], "arc");
    let model = trm::weights::web::read(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(model.puzzle_identifiers, Some(vec!["task5".to_string(), "task2".to_string()]));

    // The kept rows are the original rows 5 and 2, in that order.
    let (_, full) = trm::weights::checkpoint::load_reference(&ckpt, None, None).unwrap();
    let table = |m: &trm::weights::TensorMap| m.get("puzzle_emb.weights").unwrap().clone();
    let (orig, kept) = (table(&full), table(&model.tensors));
    let w = orig.shape[1];
    assert_eq!(kept.data[..w], orig.data[5 * w..6 * w]);
    assert_eq!(kept.data[w..], orig.data[2 * w..3 * w]);

    // Bad selections and identifier files are errors that name the problem.
    std::fs::write(&keep, "no-such-task\n").unwrap();
    fails_with(&trm(&["convert", arg(&ckpt), "-o", arg(&out), "--identifiers", arg(&ids), "--keep-puzzles", arg(&keep)]), "no-such-task");
    fails_with(&trm(&["convert", arg(&ckpt), "-o", arg(&out), "--keep-puzzles", arg(&keep)]), "identifiers were not given");
    std::fs::write(&keep, "9\n").unwrap();
    fails_with(&trm(&["convert", arg(&ckpt), "-o", arg(&out), "--keep-puzzles", arg(&keep)]), "out of range");
    std::fs::write(&ids, r#"["a", "b"]"#).unwrap();
    fails_with(&trm(&["convert", arg(&ckpt), "-o", arg(&out), "--identifiers", arg(&ids)]), "2 identifier names for a checkpoint with 7");
}

#[test]
fn solve_json_streams_every_pass_of_the_shipped_sudoku_model() {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/sudoku-small.safetensors");
    let puzzle = "..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..";
    let v = json(&trm(&["solve", "--model", model, "--task", "sudoku", "--puzzle", puzzle, "--steps", "4", "--json"]));
    assert_eq!(v["task"], "sudoku");
    assert_eq!(v["tokens"].as_array().unwrap().len(), 81);
    let passes = v["passes"].as_array().unwrap();
    assert_eq!(passes.iter().map(|p| p["step"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2, 3, 4]);
    for p in passes {
        assert_eq!(p["tokens"].as_array().unwrap().len(), 81);
        let h = p["haltProb"][0].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&h));
    }
    // The verdict of the last step follows the Sudoku rules, independently checked here with the exact solver.
    let last_grid = trm::tasks::sudoku::Grid::from_tokens(
        &passes[3]["tokens"].as_array().unwrap().iter().map(|t| t.as_u64().unwrap() as u8).collect::<Vec<_>>(),
    );
    let solution = trm::tasks::sudoku::solve(&trm::tasks::sudoku::Grid::parse(puzzle).unwrap()).unique().unwrap();
    assert_eq!(v["verdict"]["valid"].as_bool(), Some(last_grid.is_ok_and(|g| g == solution)), "{}", v["verdict"]);
    assert!(v["verdict"]["correct"].is_null(), "no answer was given");
    // The givens stay where they are in the prediction (token = digit + 1).
    let last: Vec<u64> = passes[3]["tokens"].as_array().unwrap().iter().map(|t| t.as_u64().unwrap()).collect();
    for (i, c) in puzzle.chars().enumerate() {
        if let Some(d) = c.to_digit(10) {
            assert_eq!(last[i], d as u64 + 1, "given at cell {i}");
        }
    }

    fails_with(&trm(&["solve", "--model", model, "--task", "sudoku", "--puzzle", "12x"]), "unexpected character 'x'");
    fails_with(&trm(&["solve", "--model", model, "--task", "sudoku", "--puzzle", "123"]), "81");
    fails_with(&trm(&["solve", "--model", model, "--task", "maze", "--puzzle", "#S G#"]), "not a maze model");
}

#[test]
fn data_gen_check_and_eval_agree() {
    let dir = temp("data");
    let csv = dir.join("sudoku.csv");
    let o = trm(&["data", "gen", "sudoku", "--count", "6", "--seed", "3", "--grade", "easy", "-o", arg(&csv)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("wrote 6 rows"), "{}", stdout(&o));
    let check = json(&trm(&["data", "check", arg(&csv), "--json"]));
    assert_eq!((check["task"].as_str(), check["rows"].as_u64(), check["passed"].as_u64()), (Some("sudoku"), Some(6), Some(6)));

    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/sudoku-small.safetensors");
    let eval = json(&trm(&["eval", "--model", model, "--data", arg(&csv), "--json"]));
    assert_eq!(eval["task"], "sudoku");
    assert_eq!(eval["steps"], 16);
    assert_eq!(eval["all"]["total"], 6);
    let exact = eval["all"]["exact"].as_u64().unwrap();
    assert_eq!(eval["by_grade"]["easy"]["exact"].as_u64(), Some(exact));
    assert_eq!(exact, 6, "the shipped model solves easy puzzles: {eval}");

    // A wrong answer fails the check with exit 1 and names the line.
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let fields: Vec<&str> = lines[2].split(',').collect();
    let mut answer: Vec<char> = fields[2].chars().collect();
    answer.swap(0, 1);
    let broken = [fields[0], fields[1], &answer.iter().collect::<String>(), fields[3]].join(",");
    lines[2] = broken;
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let o = trm(&["data", "check", arg(&csv), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["failures"][0]["line"], 3);

    let maze_csv = dir.join("maze.csv");
    let o = trm(&["data", "gen", "maze", "--count", "3", "--size", "9x11", "-o", arg(&maze_csv)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let check = json(&trm(&["data", "check", arg(&maze_csv), "--json"]));
    assert_eq!((check["task"].as_str(), check["passed"].as_u64()), (Some("maze"), Some(3)));
    fails_with(&trm(&["data", "gen", "maze", "--size", "9by9", "-o", arg(&maze_csv)]), "expected N or ROWSxCOLS");

    // Voting: the shipped maze model on the first 24 of its held-out corridor mazes (its card:
    // 200 of 200 voted, 154 alone); sudoku data is refused.
    let maze_model = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/maze-tiny.safetensors");
    let heldout = concat!(env!("CARGO_MANIFEST_DIR"), "/runs/maze-tiny/heldout.csv");
    let eval = |vote: bool| {
        let mut args = vec!["eval", "--model", maze_model, "--data", heldout, "--limit", "24", "--json"];
        if vote {
            args.push("--vote");
        }
        json(&trm(&args))
    };
    let (voted, alone) = (eval(true), eval(false));
    assert_eq!((voted["task"].as_str(), voted["voted"].as_bool()), (Some("maze"), Some(true)));
    assert_eq!((voted["all"]["total"].as_u64(), voted["all"]["exact"].as_u64()), (Some(24), Some(24)), "{voted}");
    assert!(alone["all"]["exact"].as_u64() < voted["all"]["exact"].as_u64(), "voting must beat one version here: {alone}");
    fails_with(&trm(&["eval", "--model", model, "--data", arg(&csv), "--vote"]), "--vote takes a maze model");
}

#[test]
fn bad_files_and_arguments_exit_2_with_a_clear_message() {
    let dir = temp("errors");
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/sudoku-small.safetensors");
    let bytes = std::fs::read(model).unwrap();
    let truncated = dir.join("truncated.safetensors");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let o = trm(&["info", arg(&truncated)]);
    fails_with(&o, "truncated.safetensors");
    assert!(!stderr(&o).contains("config.json"), "a damaged web file is reported as such: {}", stderr(&o));

    let garbage = dir.join("garbage.bin");
    std::fs::write(&garbage, b"\x00\x01 not a model").unwrap();
    assert_eq!(trm(&["info", arg(&garbage)]).status.code(), Some(2));
    fails_with(&trm(&["info", arg(&dir.join("missing.safetensors"))]), "missing.safetensors");
    fails_with(&trm(&["eval", "--model", model, "--data", arg(&garbage)]), "");
    fails_with(&trm(&["bench", "--preset", "no-such-preset"]), "unknown preset");
    // Usage errors are clap's (exit 2 too).
    assert_eq!(trm(&["solve", "--model", model]).status.code(), Some(2));
    assert_eq!(trm(&["parity"]).status.code(), Some(2));
}

#[test]
fn parity_exits_0_on_a_fixture_and_1_on_a_tampered_one() {
    let o = trm(&["parity", arg(&fixture("sudoku-mlp-h64")), "--json"]);
    let v = json(&o);
    assert_eq!(v.as_array().unwrap().len(), 1);

    // The same checkpoint against tampered outputs: a real failure, exit 1.
    let dir = temp("parity");
    let src = fixture("sudoku-mlp-h64");
    for f in ["checkpoint.pt", "config.json"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    let mut io = std::fs::read(src.join("io.safetensors")).unwrap();
    // Overwrite the reference's q_halt outputs so the comparison fails.
    let n = u64::from_le_bytes(io[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&io[8..8 + n]).unwrap();
    let offsets = &header["q_halt"]["data_offsets"];
    let (start, end) = (offsets[0].as_u64().unwrap() as usize, offsets[1].as_u64().unwrap() as usize);
    for chunk in io[8 + n + start..8 + n + end].chunks_mut(4) {
        chunk.copy_from_slice(&100f32.to_le_bytes());
    }
    std::fs::write(dir.join("io.safetensors"), io).unwrap();
    let o = trm(&["parity", arg(&dir)]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("FAIL"));
}
