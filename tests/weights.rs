//! Loading weights: every mismatch is an error naming the key, never a silent fallback; the web
//! format round-trips.

mod common;

use std::collections::BTreeMap;

use common::{FIXTURES, fixture, flex};
use trm::model::Trm;
use trm::recursion::{Batch, Recursion, SolveOptions};
use trm::weights::checkpoint::{load_reference, read_tensors};
use trm::weights::web::{self, Storage};
use trm::weights::{HostTensor, WeightsError};

fn load(name: &str) -> (trm::config::TrmConfig, trm::weights::TensorMap) {
    let dir = fixture(name);
    load_reference(&dir.join("checkpoint.pt"), Some(&dir.join("config.json")), None).unwrap()
}

#[test]
fn checkpoints_load_with_either_prefix() {
    // sudoku-mlp keys carry `_orig_mod.model.inner.`, arc-att-learned only `model.inner.`.
    for name in FIXTURES {
        let (cfg, mut t) = load(name);
        assert!(t.get("H_init").is_some(), "{name}");
        Trm::from_tensors(cfg, &mut t, &flex()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn truncated_checkpoint_is_an_error() {
    let bytes = std::fs::read(fixture(FIXTURES[0]).join("checkpoint.pt")).unwrap();
    let dir = tempdir();
    for cut in [10, bytes.len() / 2, bytes.len() - 100] {
        let p = dir.join(format!("cut{cut}"));
        std::fs::write(&p, &bytes[..cut]).unwrap();
        assert!(read_tensors(&p).is_err(), "a checkpoint cut at {cut} bytes loaded");
    }
}

#[test]
fn wrong_shape_names_the_key() {
    let (cfg, mut t) = load(FIXTURES[1]);
    let mut copy = trm::weights::TensorMap::new();
    for (k, v) in t.iter() {
        let v = if k == "lm_head.weight" { HostTensor::new(vec![v.shape[1], v.shape[0]], v.data.clone()) } else { v.clone() };
        copy.insert(&format!("_orig_mod.model.inner.{k}"), v).unwrap();
    }
    t = copy;
    let err = Trm::from_tensors(cfg, &mut t, &flex()).unwrap_err();
    assert!(matches!(&err, WeightsError::Shape { key, .. } if key.ends_with("lm_head.weight")), "{err}");
}

#[test]
fn unknown_and_missing_keys_are_errors() {
    let (cfg, t) = load(FIXTURES[1]);
    let mut extra = t.clone();
    extra.insert("L_level.layers.9.mlp.down_proj.weight", HostTensor::new(vec![1], vec![0.0])).unwrap();
    let err = Trm::from_tensors(cfg.clone(), &mut extra, &flex()).unwrap_err();
    assert!(err.to_string().contains("L_level.layers.9.mlp.down_proj.weight"), "{err}");

    let mut missing = trm::weights::TensorMap::new();
    for (k, v) in t.iter().filter(|(k, _)| *k != "q_head.bias") {
        missing.insert(k, v.clone()).unwrap();
    }
    let err = Trm::from_tensors(cfg, &mut missing, &flex()).unwrap_err();
    assert!(matches!(&err, WeightsError::Missing(k) if k == "q_head.bias"), "{err}");
}

#[test]
fn wrong_architecture_config_is_an_error() {
    // An attention checkpoint read with an MLP config: the first missing tensor is named.
    let (mut cfg, mut t) = load(FIXTURES[1]);
    cfg.mlp_t = true;
    let err = Trm::from_tensors(cfg, &mut t, &flex()).unwrap_err().to_string();
    assert!(err.contains("mlp_t"), "{err}");
}

#[test]
fn puzzle_row_count_must_match_the_config() {
    let (mut cfg, mut t) = load(FIXTURES[2]);
    cfg.num_puzzle_identifiers += 1;
    let err = Trm::from_tensors(cfg, &mut t, &flex()).unwrap_err();
    assert!(matches!(err, WeightsError::PuzzleRows { found: 7, expected: 8, .. }), "{err}");
}

/// Final-step passes of a free run (the leading steps, where random recursions are not yet chaotic).
fn passes(model: &Trm, steps: usize) -> Vec<trm::recursion::Pass> {
    let cfg = &model.config;
    let rows: Vec<Vec<u32>> = (0..2u32)
        .map(|r| (0..cfg.seq_len as u32).map(|i| (i * 7 + r * 3) % cfg.vocab_size as u32).collect())
        .collect();
    let ids: Vec<u32> = (0..2).map(|r| r % cfg.num_puzzle_identifiers.max(1) as u32).collect();
    let batch = Batch::new(&rows, &ids, model).unwrap();
    let opts = SolveOptions { max_steps: steps, stop_on_halt: false, inner: false };
    let mut all = Vec::new();
    Recursion::new(model, &batch, opts, &flex()).run(|p| all.push(p.clone())).unwrap();
    all
}

#[test]
fn web_format_round_trips() {
    for name in FIXTURES {
        let (cfg, t) = load(name);
        let original = Trm::from_tensors(cfg.clone(), &mut t.clone(), &flex()).unwrap();
        let want = passes(&original, 2);

        let bytes = web::write(&cfg, &t, Storage::F32, None, &BTreeMap::new()).unwrap();
        let back = web::read(&bytes).unwrap();
        assert_eq!(back.config, cfg);
        let f32_model = Trm::from_tensors(back.config, &mut back.tensors.clone(), &flex()).unwrap();
        assert_eq!(passes(&f32_model, 2), want, "{name}: f32 web format changed the outputs");

        let bytes16 = web::write(&cfg, &t, Storage::F16, None, &BTreeMap::new()).unwrap();
        assert!(bytes16.len() < bytes.len() * 6 / 10, "{name}: f16 file not smaller");
        let back16 = web::read(&bytes16).unwrap();
        let f16_model = Trm::from_tensors(back16.config, &mut back16.tensors.clone(), &flex()).unwrap();
        let (dev, flips, near_flips, cells) = first_step_logit_change(&original, &f16_model);
        println!(
            "{name}: f16 storage, first step: max logit change {dev:.2e} of scale; argmax flips: {near_flips} \
             near-ties, {flips} decisive, of {cells} cells"
        );
        assert!(dev < 5e-2, "{name}: f16 storage moved the logits by {dev:.2e} of their scale");
        assert_eq!(flips, 0, "{name}: f16 storage flipped a decisive argmax (max change {dev:.2e})");
    }
}

/// A cell is decisive when its top-2 logits differ by more than this fraction of the logit scale.
/// f16 keeps ~3 significant digits and random-weight recursions amplify rounding ~30× per
/// supervision step (the fixtures' README), so f16 weights move step-1 logits by up to ~3% of
/// their scale here; only cells with a margin above that may never flip.
const F16_MARGIN: f32 = 1e-1;

/// Compare the first supervision step of two models on the same input: (max |Δlogit| / scale,
/// argmax flips at decisive cells, flips at near-tie cells, cells).
fn first_step_logit_change(a: &Trm, b: &Trm) -> (f32, usize, usize, usize) {
    use burn::tensor::{Int, Tensor, TensorData};
    let cfg = &a.config;
    let rows: Vec<i64> = (0..cfg.seq_len as i64).map(|i| (i * 7) % cfg.vocab_size as i64).collect();
    let logits = |m: &Trm| -> Vec<f32> {
        let tokens = Tensor::<2, Int>::from_data(TensorData::new(rows.clone(), [1, cfg.seq_len]), &flex());
        let ids = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64], [1]), &flex());
        let x = m.input_embeddings(tokens, ids);
        m.step(m.initial_carry(1), &x, false).logits.into_data().iter::<f32>().collect()
    };
    let (la, lb) = (logits(a), logits(b));
    let scale = la.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let dev = la.iter().zip(&lb).fold(0.0f32, |m, (x, y)| m.max((x - y).abs())) / scale;
    let argmax = |r: &[f32]| r.iter().enumerate().fold((0, f32::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b }).0;
    let (mut flips, mut near_flips) = (0, 0);
    for (ra, rb) in la.chunks(cfg.vocab_size).zip(lb.chunks(cfg.vocab_size)) {
        if argmax(ra) == argmax(rb) {
            continue;
        }
        let mut s = ra.to_vec();
        s.sort_by(|x, y| y.total_cmp(x));
        if s[0] - s[1] <= F16_MARGIN * scale { near_flips += 1 } else { flips += 1 }
    }
    (dev, flips, near_flips, cfg.seq_len)
}

#[test]
fn web_format_rejects_bad_bytes() {
    let (cfg, t) = load(FIXTURES[0]);
    let bytes = web::write(&cfg, &t, Storage::F32, None, &BTreeMap::new()).unwrap();
    for bad in [&b""[..], &b"garbage bytes, not a model"[..], &bytes[..bytes.len() / 2], &bytes[..9]] {
        assert!(web::read(bad).is_err());
    }
    // A download cut short says so, with the sizes.
    for cut in [bytes.len() / 2, bytes.len() - 1] {
        let err = web::read(&bytes[..cut]).unwrap_err().to_string();
        assert!(err.contains(&format!("the file is truncated: it has {cut} bytes, its header describes {}", bytes.len())), "{err}");
    }
    // A plain safetensors file without the web metadata.
    let ckpt = std::fs::read(fixture(FIXTURES[0]).join("io.safetensors")).unwrap();
    let err = web::read(&ckpt).unwrap_err().to_string();
    assert!(err.contains("not a TRM web model"), "{err}");
}

#[test]
fn puzzle_rows_can_be_subset_and_renamed() {
    let (cfg, mut t) = load(FIXTURES[2]);
    let full = t.get("puzzle_emb.weights").unwrap().clone();
    let sub = web::keep_puzzle_rows(&cfg, &mut t, &[5, 2]).unwrap();
    assert_eq!(sub.num_puzzle_identifiers, 2);
    let kept = t.get("puzzle_emb.weights").unwrap();
    let w = cfg.puzzle_emb_ndim;
    assert_eq!(&kept.data[..w], &full.data[5 * w..6 * w]);
    assert_eq!(&kept.data[w..], &full.data[2 * w..3 * w]);
    let names = vec!["a|||t1|||0123456789".to_string(), "b".to_string()];
    let bytes = web::write(&sub, &t, Storage::F32, Some(&names), &BTreeMap::new()).unwrap();
    assert_eq!(web::read(&bytes).unwrap().puzzle_identifiers, Some(names));
    assert!(web::keep_puzzle_rows(&cfg, &mut load(FIXTURES[2]).1, &[7]).is_err());
}

#[test]
fn batch_rows_do_not_interact() {
    let (cfg, mut t) = load(FIXTURES[2]);
    let model = Trm::from_tensors(cfg, &mut t, &flex()).unwrap();
    let both = passes(&model, 1).pop().unwrap();
    let seq = model.config.seq_len;
    let rows: Vec<Vec<u32>> = (0..2u32)
        .map(|r| (0..seq as u32).map(|i| (i * 7 + r * 3) % model.config.vocab_size as u32).collect())
        .collect();
    for (r, row) in rows.iter().enumerate() {
        let batch = Batch::new(std::slice::from_ref(row), &[r as u32], &model).unwrap();
        let opts = SolveOptions { max_steps: 1, stop_on_halt: false, inner: false };
        let single = Recursion::new(&model, &batch, opts, &flex()).run(|_| {}).unwrap().pop().unwrap();
        assert_eq!(single.tokens, both.tokens[r * seq..(r + 1) * seq]);
        assert!((single.halt_prob[0] - both.halt_prob[r]).abs() < 1e-5);
    }
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("trm-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn committed_demo_models_are_current_conversions() {
    // www/models holds `trm convert` outputs of the fixtures (scripts/make-models.mjs); the
    // format is deterministic, so a stale file or a format change shows up here.
    for name in FIXTURES {
        let (cfg, t) = load(name);
        let extra = BTreeMap::from([("source".to_string(), "checkpoint.pt".to_string())]);
        let fresh = web::write(&cfg, &t, Storage::F32, None, &extra).unwrap();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("www/models/{name}.safetensors"));
        let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(committed == fresh, "{} is stale: rerun `node scripts/make-models.mjs`", path.display());
    }
}

#[test]
fn safetensors_checkpoints_with_reference_names_load() {
    // The same state dict as safetensors: reference key names, bf16 initial states.
    let (cfg, t) = load(FIXTURES[0]);
    let mut blobs = Vec::new();
    for (k, v) in t.iter() {
        let (dtype, bytes): (safetensors::Dtype, Vec<u8>) = if k.ends_with("_init") {
            (safetensors::Dtype::BF16, v.data.iter().flat_map(|x| half::bf16::from_f32(*x).to_bits().to_le_bytes()).collect())
        } else {
            (safetensors::Dtype::F32, v.data.iter().flat_map(|x| x.to_le_bytes()).collect())
        };
        blobs.push((format!("_orig_mod.model.inner.{k}"), dtype, v.shape.clone(), bytes));
    }
    let views: Vec<_> = blobs
        .iter()
        .map(|(k, d, s, b)| (k.clone(), safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    let path = tempdir().join("step_1");
    std::fs::write(&path, safetensors::tensor::serialize(views, None).unwrap()).unwrap();
    let mut back = read_tensors(&path).unwrap();
    for (k, v) in t.iter() {
        assert_eq!(back.get(k).unwrap(), v, "{k}");
    }
    Trm::from_tensors(cfg, &mut back, &flex()).unwrap();
}

#[test]
fn all_config_yaml_beside_a_step_file_gives_the_config() {
    // The layout of community checkpoints: `step_N` + `all_config.yaml`; shapes fill seq_len,
    // vocab_size and num_puzzle_identifiers.
    for name in ["sudoku-mlp-h64", "maze-att-h64"] {
        let (want, _) = load(name);
        let dir = tempdir().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(fixture(name).join("checkpoint.pt"), dir.join("step_100")).unwrap();
        let yaml = format!(
            "arch:\n  name: recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1\n  loss:\n    name: losses@ACTLossHead\n    \
             loss_type: stablemax_cross_entropy\n  H_cycles: {}\n  H_layers: 0\n  L_cycles: {}\n  L_layers: 2\n  expansion: 4\n  \
             forward_dtype: bfloat16\n  halt_exploration_prob: 0.1\n  halt_max_steps: 16\n  hidden_size: {}\n  mlp_t: {}\n  \
             no_ACT_continue: true\n  num_heads: {}\n  pos_encodings: {}\n  puzzle_emb_len: 16\n  puzzle_emb_ndim: ${{.hidden_size}}\n\
             data_path: data/whatever\nglobal_batch_size: 768\n",
            want.h_cycles, want.l_cycles, want.hidden_size, want.mlp_t, want.num_heads, String::from(want.pos_encodings)
        );
        std::fs::write(dir.join("all_config.yaml"), yaml).unwrap();
        let (got, mut t) = load_reference(&dir.join("step_100"), None, None).unwrap();
        assert_eq!(got, want, "{name}");
        Trm::from_tensors(got, &mut t, &flex()).unwrap();
    }
}

/// `param_count` (the paper's count: no puzzle-embedding table, no H/L_init) against tensors
/// that were really built: the reference's own checkpoints, and the paper-size models the
/// loader builds, which are the paper's "5M" and "7M".
#[test]
fn parameter_counts_come_from_the_tensors() {
    let paper_count = |t: &trm::weights::TensorMap| -> usize {
        t.iter()
            .filter(|(k, _)| !matches!(*k, "puzzle_emb.weights" | "H_init" | "L_init"))
            .map(|(_, v)| v.data.len())
            .sum()
    };
    for name in FIXTURES {
        let (cfg, t) = load(name);
        assert_eq!(cfg.param_count(), paper_count(&t), "{name}: the reference checkpoint's tensors");
    }
    for (preset, low, high) in [("sudoku-mlp", 4.9e6, 5.1e6), ("sudoku-att", 6.7e6, 7.0e6), ("maze", 6.7e6, 7.0e6), ("arc", 6.7e6, 7.0e6)] {
        let cfg = trm::config::TrmConfig::preset(preset).unwrap();
        let model = Trm::random(cfg.clone(), 0, &flex()).unwrap();
        let built: usize = model.params_flat().iter().map(|p| p.dims()[0]).sum();
        assert_eq!(cfg.param_count(), built, "{preset}: the tensors the loader built");
        assert!((low..high).contains(&(built as f64)), "{preset}: {built} is not the paper's size");
    }
}
