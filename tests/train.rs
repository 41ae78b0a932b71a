//! The trainer: gradients equal the reference trainer's, a tiny model learns, a resumed run
//! continues bit for bit, and an exported model loads with identical outputs.

mod common;

use std::path::PathBuf;

use burn::tensor::{Int, Tensor, TensorData};
use common::flex;
use trm::model::Trm;
use trm::train::TrainConfig;
use trm::train::optim::Adam;
use trm::train::parity::check_train_fixture;
use trm::train::step::{TrainBatch, forward_backward, forward_backward_sharded};
use trm::train::trainer::Trainer;
use trm::weights::web::{self, Storage};

fn train_fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/train").join(name)
}

fn assert_grad_parity(name: &str) {
    let report = check_train_fixture(&train_fixture(name), &flex(), "flex").unwrap_or_else(|e| panic!("{name}: {e}"));
    for s in &report.steps {
        let worst = s.worst_grad().expect("gradients compared");
        println!(
            "{name} step {}: loss {:.2e} lm {:.2e} q_halt {:.2e} logits {:.2e} q {:.2e} carry {:.2e}; worst gradient {:.2e} ({}), {} compared",
            s.step, s.loss, s.lm_loss, s.q_halt_loss, s.logits, s.q_halt, s.carry, worst.error, worst.name, s.grads.len()
        );
    }
    assert_eq!(report.steps.len(), 2);
    assert!(report.passed(), "{name}: {report:#?}");
}

#[test]
fn gradients_match_the_reference_sudoku_mlp() {
    assert_grad_parity("sudoku-mlp-h64");
}

#[test]
fn gradients_match_the_reference_sudoku_att() {
    assert_grad_parity("sudoku-att-h64");
}

#[test]
fn gradients_match_the_reference_arc_with_ignored_labels() {
    assert_grad_parity("arc-att-emb-h64");
}

fn host(t: &Tensor<1>) -> Vec<f32> {
    t.clone().into_data().iter::<f32>().collect()
}

#[test]
fn a_tiny_model_overfits_a_handful_of_puzzles() {
    let dev = flex();
    let mut cfg = TrainConfig::preset("tiny-test").unwrap();
    cfg.arch.h_cycles = 1;
    cfg.arch.l_cycles = 1;
    cfg.optim.lr = 3e-3;
    cfg.optim.weight_decay = 0.0;
    let mut trainer = Trainer::new(cfg.clone(), &dev).unwrap();
    let examples: Vec<_> = (0..4).map(|i| cfg.data.train_example(i)).collect();
    let batch = TrainBatch {
        tokens: examples.iter().flat_map(|e| e.tokens.clone()).collect(),
        labels: examples.iter().flat_map(|e| e.labels.clone()).collect(),
        puzzle_ids: vec![0; 4],
    };
    let mut adam = Adam::new(&trainer.model.params_flat());
    let mut exact = 0;
    for step in 0..400 {
        // One supervision step from the initial state, the same four puzzles every time.
        let out = forward_backward(&trainer.model, trainer.model.initial_carry(4), &batch);
        exact = out.rows.iter().filter(|r| r.exact()).count();
        if exact == 4 {
            println!("all four puzzles exact after {step} steps (loss {:.4})", out.loss / 4.0);
            break;
        }
        let grads = out.grads.into_iter().map(|g| g.div_scalar(4.0)).collect();
        let params = adam.update(&cfg.optim, trainer.model.params_flat(), grads, cfg.optim.lr);
        trainer.model.set_params_flat(params);
    }
    assert_eq!(exact, 4, "the model did not memorise four puzzles");
}

#[test]
fn a_sharded_step_equals_the_whole_batch_step() {
    let dev = flex();
    let cfg = TrainConfig::preset("tiny-test").unwrap();
    let trainer = Trainer::new(cfg.clone(), &dev).unwrap();
    let b = 7; // shards of 3, 2 and 2 rows (uneven on purpose)
    let examples: Vec<_> = (0..b as u64).map(|i| cfg.data.train_example(i)).collect();
    let batch = TrainBatch {
        tokens: examples.iter().flat_map(|e| e.tokens.clone()).collect(),
        labels: examples.iter().flat_map(|e| e.labels.clone()).collect(),
        puzzle_ids: vec![0; b],
    };
    let whole = forward_backward(&trainer.model, trainer.model.initial_carry(b), &batch);
    let parts = forward_backward_sharded(&trainer.model, trainer.model.initial_carry(b), &batch, 3);
    assert_eq!(parts.rows.len(), b);
    for (x, y) in whole.rows.iter().zip(&parts.rows) {
        assert_eq!((x.counted, x.correct), (y.counted, y.correct));
        assert!((x.q_halt - y.q_halt).abs() < 1e-5);
    }
    assert!((whole.loss - parts.loss).abs() < 1e-5 * whole.loss.abs().max(1.0));
    let near = |a: Vec<f32>, b: Vec<f32>, what: &str| {
        let scale = a.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-12);
        let err = a.iter().zip(&b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(err <= 1e-5 * scale, "{what}: max error {err} against max |value| {scale}");
    };
    let flat = |t: &Tensor<3>| host(&t.clone().reshape([t.shape().num_elements()]));
    near(flat(&whole.carry.z_h), flat(&parts.carry.z_h), "z_H");
    near(flat(&whole.logits), flat(&parts.logits), "logits");
    assert_eq!(whole.grads.len(), parts.grads.len());
    for (i, (g, h)) in whole.grads.iter().zip(&parts.grads).enumerate() {
        near(host(g), host(h), &format!("gradient {i}"));
    }
}

#[test]
fn a_resumed_run_continues_bit_for_bit() {
    let dev = flex();
    // Two shards: the checkpoint keeps them, and a configuration that does not say resumes with them.
    let cfg = TrainConfig { shards: Some(2), ..TrainConfig::preset("tiny-test").unwrap() };
    let mut straight = Trainer::new(cfg.clone(), &dev).unwrap();
    for _ in 0..6 {
        straight.train_step();
    }
    let dir = std::env::temp_dir().join(format!("trm-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("checkpoint.safetensors");
    let mut first = Trainer::new(cfg.clone(), &dev).unwrap();
    for _ in 0..3 {
        first.train_step();
    }
    first.save(&path).unwrap();
    let mut resumed = Trainer::load(&path, Some(&TrainConfig { shards: None, ..cfg.clone() }), &dev).unwrap();
    assert_eq!(resumed.cfg.shards, Some(2));
    for _ in 0..3 {
        resumed.train_step();
    }
    assert_eq!(resumed.step, 6);
    assert_eq!(resumed.next_example, straight.next_example);
    assert_eq!(resumed.slots, straight.slots);
    for (a, b) in resumed.model.params_flat().iter().zip(straight.model.params_flat().iter()) {
        assert_eq!(host(a), host(b));
    }
    for (a, b) in resumed.ema.iter().zip(&straight.ema) {
        assert_eq!(host(a), host(b));
    }
    let flat = |t: &Tensor<3>| host(&t.clone().reshape([t.shape().num_elements()]));
    assert_eq!(flat(&resumed.carry.z_h), flat(&straight.carry.z_h));
    assert_eq!(flat(&resumed.carry.z_l), flat(&straight.carry.z_l));

    // A checkpoint of another configuration is refused with a clear message.
    let mut other = cfg.clone();
    other.arch.hidden_size = 64;
    let e = Trainer::load(&path, Some(&other), &dev).err().expect("mismatch refused");
    assert!(e.contains("different architecture"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_exported_model_loads_with_identical_outputs() {
    let dev = flex();
    let cfg = TrainConfig::preset("tiny-test").unwrap();
    let mut trainer = Trainer::new(cfg.clone(), &dev).unwrap();
    for _ in 0..3 {
        trainer.train_step();
    }
    let model = trainer.ema_model();
    let bytes = web::write(&cfg.arch, &model.to_tensors(), Storage::F32, None, &Default::default()).unwrap();
    let mut read = web::read(&bytes).unwrap();
    let loaded = Trm::from_tensors(read.config.clone(), &mut read.tensors, &dev).unwrap();
    let e = cfg.data.heldout_example(0, 0);
    let run = |m: &Trm| {
        let tokens = Tensor::<2, Int>::from_data(TensorData::new(e.tokens.clone(), [1, 81]), &dev);
        let ids = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64], [1]), &dev);
        let x = m.input_embeddings(tokens, ids);
        let out = m.step(m.initial_carry(1), &x, false);
        out.logits.reshape([81 * 11]).into_data().iter::<f32>().collect::<Vec<_>>()
    };
    assert_eq!(run(&model), run(&loaded));
}

#[test]
fn arc_training_uses_one_identifier_per_task_version_and_scores_by_voting() {
    let dev = flex();
    let mut cfg = TrainConfig::preset("arc-small").unwrap();
    let tasks = vec!["6d0aefbc".to_string(), "8be77c9e".to_string()];
    if let trm::train::data::BandSpec::Arc { tasks: t, augmentations, .. } = &mut cfg.data.bands[0].spec {
        *t = tasks.clone();
        *augmentations = 3;
    }
    cfg.arch.hidden_size = 32;
    cfg.arch.puzzle_emb_ndim = 32;
    cfg.arch.num_puzzle_identifiers = 1 + 2 * 3;
    cfg.batch_size = 4;
    cfg.validate().unwrap();
    let names = cfg.data.puzzle_identifiers().unwrap();
    assert_eq!(names.len(), 7);
    assert_eq!((names[0].as_str(), names[1].as_str()), ("<blank>", "6d0aefbc"));
    assert!(names[2].starts_with("6d0aefbc|||t") && names[4] == "8be77c9e");
    for i in 0..20 {
        let e = cfg.data.train_example(i);
        assert!((1..7).contains(&e.puzzle_id));
        // The tasks' grids (3×3 to 6×6) are smaller than the canvas: the PAD cells around the output
        // are not scored, and every scored cell is a real token (EOS or a colour, never PAD).
        let ignore = trm::train::step::IGNORE;
        assert!(e.labels.iter().any(|&l| l == ignore), "example {i}: PAD cells are not scored");
        assert!(e.labels.iter().any(|&l| l != ignore), "example {i}: the output is scored");
        assert!(e.labels.iter().all(|&l| l == ignore || l > 0), "example {i}: no PAD label is scored");
    }
    let mut trainer = Trainer::new(cfg.clone(), &dev).unwrap();
    for _ in 0..2 {
        trainer.train_step();
    }
    let scores = trm::train::trainer::evaluate_arc(&trainer.ema_model(), &cfg, &dev);
    assert_eq!(scores.iter().map(|s| s.band.as_str()).collect::<Vec<_>>(), ["6d0aefbc", "8be77c9e"]);
    // One vote per test input of each task, as the gallery lists them.
    let gallery = trm::tasks::arc::Gallery::from_json(&std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/data/arc-gallery.json"),
    ).unwrap())
    .unwrap();
    for s in &scores {
        let task = gallery.tasks.iter().find(|t| t.id == s.band).expect("a gallery task");
        assert_eq!(s.puzzles, task.test.len(), "{}", s.band);
        assert!(s.exact <= s.puzzles && (0.0..=1.0).contains(&s.token_accuracy), "{s:?}");
    }
    assert!(scores.iter().all(|s| s.puzzles == 1));

    // A wrong identifier count is a clear error.
    let mut bad = cfg.clone();
    bad.arch.num_puzzle_identifiers = 5;
    assert!(bad.validate().unwrap_err().contains("num_puzzle_identifiers must be 7"));
}

/// The ACT slots as the reference runs them: a slot whose q_halt is positive halts (exploration
/// off), takes the next puzzle of the stream and restarts from the initial state; one that never
/// wants to halt runs `halt_max_steps` steps on the same puzzle. A learning rate of 1e-9 keeps
/// the weights (and the halting head, set by hand) all but still.
#[test]
fn halted_slots_take_fresh_puzzles_and_restart_from_the_initial_state() {
    let dev = flex();
    let mut cfg = TrainConfig::preset("tiny-test").unwrap();
    cfg.halt_exploration_prob = 0.0;
    cfg.optim.lr = 1e-9;
    let b = cfg.batch_size;
    let max = cfg.arch.halt_max_steps;
    // q = (halt, continue) = (bias, 0) for every row, whatever the state.
    let with_halting_bias = |bias: f32| {
        let mut t = Trainer::new(cfg.clone(), &dev).unwrap();
        let d = cfg.arch.hidden_size;
        *t.model.q_head.weight_mut() = Tensor::from_data(TensorData::new(vec![0.0f32; d * 2], [d, 2]), &dev);
        t.model.q_head.bias = Some(Tensor::from_data(TensorData::new(vec![bias, 0.0], [2]), &dev));
        t
    };
    let host = |t: &Tensor<3>| t.clone().into_data().iter::<f32>().collect::<Vec<f32>>();

    // Always halting: every step takes the next b puzzles and starts them from H_init/L_init, so
    // the second step's carry is what a fresh trainer computes on puzzles b..2b.
    let mut halting = with_halting_bias(20.0);
    let first = halting.train_step();
    assert_eq!((first.halted, halting.next_example), (b, b as u64));
    assert!(halting.slots.iter().all(|s| s.halted && s.steps == 1));
    halting.train_step();
    assert_eq!(halting.next_example, 2 * b as u64);
    assert_eq!(halting.slots.iter().map(|s| s.example_index).collect::<Vec<_>>(), (b as u64..2 * b as u64).collect::<Vec<_>>());
    let mut fresh = with_halting_bias(20.0);
    fresh.next_example = b as u64;
    fresh.train_step();
    let close = |a: Vec<f32>, b: Vec<f32>| a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= 1e-4 * (1.0 + y.abs()));
    assert!(close(host(&halting.carry.z_h), host(&fresh.carry.z_h)), "a halted slot restarts from the initial state");
    assert!(close(host(&halting.carry.z_l), host(&fresh.carry.z_l)));

    // Never halting: the same puzzles for halt_max_steps steps, then all halt at once.
    let mut stubborn = with_halting_bias(-20.0);
    for step in 1..=max {
        let stats = stubborn.train_step();
        assert_eq!(stubborn.next_example, b as u64, "no fresh puzzle before step {max}");
        assert_eq!(stats.halted, if step == max { b } else { 0 }, "step {step}");
        assert!(stubborn.slots.iter().all(|s| s.steps == step));
    }
}

/// The voted ARC evaluation that scored the shipped `arc-small` (its card: 7 of 10 tasks right
/// at pass@2) gives the same tasks again from the shipped file and its training configuration.
#[test]
fn the_shipped_arc_model_scores_as_its_card_says() {
    let dev = flex();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let cfg: TrainConfig = serde_json::from_str(&std::fs::read_to_string(root.join("runs/arc-small/train_config.json")).unwrap()).unwrap();
    let mut file = web::read(&std::fs::read(root.join("www/models/arc-small.safetensors")).unwrap()).unwrap();
    let model = Trm::from_tensors(file.config.clone(), &mut file.tensors, &dev).unwrap();
    let scores = trm::train::trainer::evaluate_arc(&model, &cfg, &dev);
    let solved: Vec<&str> = scores.iter().filter(|s| s.exact == 1).map(|s| s.band.as_str()).collect();
    let card: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root.join("runs/arc-small/arc-small.card.json")).unwrap()).unwrap();
    let want: Vec<&str> = card["accuracy"].as_array().unwrap().iter().filter(|s| s["exact"] == 1).map(|s| s["band"].as_str().unwrap()).collect();
    assert_eq!(solved, want);
    assert_eq!(solved.len(), 7);
}

/// The checkpoints committed in `runs/` (written before the workspace redesign) still load
/// under their own configuration and train on: `trm train --resume` continues them.
#[test]
fn committed_checkpoints_still_resume() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("runs");
    for run in ["sudoku-small", "maze-tiny", "arc-small"] {
        let dir = root.join(run);
        let cfg: TrainConfig =
            serde_json::from_str(&std::fs::read_to_string(dir.join("train_config.json")).unwrap()).unwrap();
        let trainer = Trainer::load(&dir.join("checkpoint.safetensors"), Some(&cfg), &flex())
            .unwrap_or_else(|e| panic!("{run}: {e}"));
        assert!(trainer.step > 0, "{run}: a trained checkpoint");
        if run == "sudoku-small" {
            let mut trainer = trainer;
            let at = trainer.step;
            let stats = trainer.train_step();
            assert_eq!(trainer.step, at + 1);
            assert!(stats.loss.is_finite(), "{run}: loss {}", stats.loss);
        }
    }
}
