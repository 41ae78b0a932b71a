//! `trm train` through the built binary: a tiny run writes every promised file, its model
//! loads in `trm eval`, and bad configurations or folders are clear errors (exit 2).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn trm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trm")).args(args).output().expect("the trm binary runs")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trm-train-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn a_tiny_run_exports_a_model_that_trm_eval_reads() {
    let out = temp("run");
    let o = trm(&["train", "--task", "sudoku", "--preset", "tiny-test", "--out", arg(&out), "--steps", "12", "--threads", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["checkpoint.safetensors", "metrics.jsonl", "curves.svg", "heldout.csv", "train_config.json", "out.safetensors", "out.card.json", "out.md"] {
        let f = if f.starts_with("out.") { f.replacen("out", out.file_name().unwrap().to_str().unwrap(), 1) } else { f.to_string() };
        assert!(out.join(&f).is_file(), "{f} missing");
    }
    let name = out.file_name().unwrap().to_str().unwrap().to_string();
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(format!("{name}.card.json"))).unwrap()).unwrap();
    assert_eq!(card["optimizer_steps"], 12);
    assert_eq!(card["task"], "sudoku");
    let svg = std::fs::read_to_string(out.join("curves.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("exact accuracy"));

    let model = out.join(format!("{name}.safetensors"));
    let o = trm(&["eval", "--model", arg(&model), "--data", arg(&out.join("heldout.csv")), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // The card's held-out figure is what trm eval measures on the same puzzles.
    let band = &card["accuracy"][0];
    assert_eq!(report["all"]["total"], band["puzzles"]);
    assert_eq!(report["all"]["exact"], band["exact"]);

    // A damaged web file is reported as one (not as a checkpoint without its config).
    let cut = out.join("cut.safetensors");
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let o = trm(&["info", arg(&cut)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("the file is truncated") && !stderr(&o).contains("config.json"), "{}", stderr(&o));

    // Starting again in the same folder is refused; --resume continues it.
    let o = trm(&["train", "--task", "sudoku", "--preset", "tiny-test", "--out", arg(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));
    let o = trm(&["train", "--task", "sudoku", "--out", arg(&out), "--resume", "--steps", "14", "--threads", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    assert!(lines.contains("\"step\":14"), "{lines}");

    // A time limit stops training where it is and still exports (the card says so); --f16
    // halves the weights.
    let f32_bytes = std::fs::metadata(&model).unwrap().len();
    let o = trm(&["train", "--task", "sudoku", "--out", arg(&out), "--resume", "--steps", "20", "--time-limit", "0", "--f16", "--threads", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("time limit reached at step 14 of 20"), "{}", stderr(&o));
    let md = std::fs::read_to_string(out.join(format!("{name}.md"))).unwrap();
    assert!(md.contains("| optimiser steps | 14 (of a 20-step schedule) |"), "{md}");
    // Every command of the run, resumes included, is in the card's reproduce block.
    let block = md.split("## Reproduce").nth(1).unwrap_or_default();
    for part in ["--preset tiny-test", "--resume --steps 14", "--resume --steps 20 --time-limit 0"] {
        assert!(block.contains(part), "{part} missing from {block}");
    }
    // Resumed on other hardware (here: two threads instead of one), the card names both; the
    // last call trained no step, so it adds nothing.
    assert!(
        md.contains("1 thread, CPU (burn flex) (to step 12), then ") && md.contains("2 threads, CPU (burn flex) |"),
        "{md}"
    );
    let f16_bytes = std::fs::metadata(&model).unwrap().len();
    assert!(f16_bytes < f32_bytes * 6 / 10, "f16 {f16_bytes} bytes, f32 {f32_bytes}");

    // --export evaluates again: the log keeps one final evaluation at that step, not two.
    let o = trm(&["train", "--task", "sudoku", "--out", arg(&out), "--export", "--threads", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let finals = lines.lines().filter(|l| l.contains("\"final\":true") && l.contains("\"step\":14")).count();
    assert_eq!(finals, 1, "{lines}");
    std::fs::remove_dir_all(&out).ok();
}

/// A maze run's final evaluation also votes over each maze's 8 rotations and mirrors; the card
/// shows it, and `trm eval --vote` measures the same on the held-out file.
#[test]
fn a_maze_run_scores_the_vote_as_trm_eval_does() {
    let out = temp("maze");
    std::fs::create_dir_all(&out).unwrap();
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/runs/maze-tiny/train_config.json")).unwrap())
            .unwrap();
    cfg["arch"]["hidden_size"] = 16.into();
    cfg["arch"]["puzzle_emb_ndim"] = 16.into();
    for (k, v) in [("total_steps", 3), ("batch_size", 8), ("eval_every", 1000), ("eval_per_band", 2), ("final_eval_per_band", 6)] {
        cfg[k] = v.into();
    }
    let path = out.join("maze.json");
    std::fs::write(&path, cfg.to_string()).unwrap();
    let run = out.join("run");
    let o = trm(&["train", "--task", "maze", "--config", arg(&path), "--out", arg(&run), "--threads", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let card: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("run.card.json")).unwrap()).unwrap();
    let md = std::fs::read_to_string(run.join("run.md")).unwrap();
    assert!(md.contains("| band | puzzles | exact | exact, voted | per cell |"), "{md}");
    let o = trm(&["eval", "--model", arg(&run.join("run.safetensors")), "--data", arg(&run.join("heldout.csv")), "--vote", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for band in card["accuracy"].as_array().unwrap() {
        let name = band["band"].as_str().unwrap();
        assert_eq!(band["puzzles"], 6);
        assert!(band["voted_exact"].is_u64(), "{band}");
        assert_eq!(report["by_grade"][name]["exact"], band["voted_exact"], "{name}: {report}");
    }
}

#[test]
fn bad_configurations_and_folders_are_clear_errors() {
    let dir = temp("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"arch\": 1}").unwrap();
    let o = trm(&["train", "--task", "sudoku", "--config", arg(&bad), "--out", arg(&dir.join("a"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.json"), "{}", stderr(&o));

    let o = trm(&["train", "--task", "sudoku", "--preset", "no-such", "--out", arg(&dir.join("b"))]);
    assert!(stderr(&o).contains("unknown preset"), "{}", stderr(&o));

    let o = trm(&["train", "--task", "maze", "--preset", "tiny-test", "--out", arg(&dir.join("c"))]);
    assert!(stderr(&o).contains("trains a sudoku model"), "{}", stderr(&o));

    for bad in ["inf", "-1", "NaN"] {
        let o = trm(&["train", "--task", "sudoku", "--preset", "tiny-test", "--out", arg(&dir.join(format!("t{bad}"))), &format!("--time-limit={bad}")]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("--time-limit must be a number of minutes"), "{}", stderr(&o));
    }

    let o = trm(&["train", "--task", "sudoku", "--out", arg(&dir.join("d")), "--resume"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no checkpoint to resume"), "{}", stderr(&o));

    // An output folder that cannot be created (a file is in the way).
    let file = dir.join("file");
    std::fs::write(&file, "x").unwrap();
    let o = trm(&["train", "--task", "sudoku", "--preset", "tiny-test", "--out", arg(&file.join("sub"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot create"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}
