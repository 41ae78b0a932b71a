//! The recursion API: every pass, inner passes, halting options, more steps than the reference.

mod common;

use common::{fixture, flex};
use trm::model::{InnerUpdate, Trm};
use trm::recursion::{Batch, InputError, Recursion, SolveOptions};
use trm::weights::checkpoint::load_reference;

fn model(name: &str) -> Trm {
    let dir = fixture(name);
    let (cfg, mut t) = load_reference(&dir.join("checkpoint.pt"), Some(&dir.join("config.json")), None).unwrap();
    Trm::from_tensors(cfg, &mut t, &flex()).unwrap()
}

fn grid(m: &Trm) -> Vec<u32> {
    (0..m.config.seq_len as u32).map(|i| 1 + i % (m.config.vocab_size as u32 - 1)).collect()
}

#[test]
fn inner_passes_follow_the_cycle_structure() {
    let m = model("arc-att-emb96-h64"); // H=2, L=2
    let batch = Batch::new(&[grid(&m)], &[1], &m).unwrap();
    let opts = SolveOptions { max_steps: 2, stop_on_halt: false, inner: true };
    let mut passes = Vec::new();
    Recursion::new(&m, &batch, opts, &flex()).run(|p| passes.push(p.clone())).unwrap();
    let (h, l) = (m.config.h_cycles, m.config.l_cycles);
    assert_eq!(passes.len(), 2 * (h * (l + 1) + 1));
    let kinds: Vec<_> = passes[..h * (l + 1) + 1].iter().map(|p| p.inner).collect();
    assert_eq!(kinds[0], Some(InnerUpdate::Latent { h: 0, l: 0 }));
    assert_eq!(kinds[l], Some(InnerUpdate::Answer { h: 0 }));
    assert_eq!(kinds[h * (l + 1)], None);
    // The last answer update decodes the same z_H as the end of the step.
    assert_eq!(passes[h * (l + 1) - 1].tokens, passes[h * (l + 1)].tokens);
    for p in &passes {
        assert_eq!(p.tokens.len(), m.config.seq_len);
        assert!(p.confidence.iter().all(|c| (0.0..=1.0).contains(c)));
        assert_eq!(p.halt_prob.len(), usize::from(p.inner.is_none()));
    }
}

#[test]
fn runs_the_reference_sixteen_steps_or_more_or_stops_on_halt() {
    let m = model("sudoku-mlp-h64");
    let batch = Batch::new(&[grid(&m)], &[], &m).unwrap();
    let run = |opts| {
        let mut qs = Vec::new();
        Recursion::new(&m, &batch, opts, &flex()).run(|p| qs.push(p.q_halt[0])).unwrap();
        qs
    };
    let full = run(SolveOptions::reference(&m));
    assert_eq!(full.len(), 16);
    assert_eq!(run(SolveOptions { max_steps: 20, stop_on_halt: false, inner: false }).len(), 20);
    // Halting stops after the first step whose q_halt is positive.
    let first = full.iter().position(|&q| q > 0.0).expect("this random model halts within 16 steps");
    let stopped = run(SolveOptions { max_steps: 16, stop_on_halt: true, inner: false });
    assert_eq!(stopped, full[..=first].to_vec());
}

/// A batch (the page's voting versions) stops at the first step where every row wants to halt,
/// not where the first row does.
#[test]
fn a_batch_stops_when_all_its_rows_want_to_halt() {
    let m = model("sudoku-mlp-h64");
    let vocab = m.config.vocab_size as u32;
    let rows: Vec<Vec<u32>> = (0..6u32).map(|k| grid(&m).iter().map(|t| 1 + (t + k * 7) % (vocab - 1)).collect()).collect();
    let batch = Batch::new(&rows, &[], &m).unwrap();
    let run = |opts| {
        let mut qs = Vec::new();
        Recursion::new(&m, &batch, opts, &flex()).run(|p| qs.push(p.q_halt.clone())).unwrap();
        qs
    };
    let full = run(SolveOptions::reference(&m));
    let first: Vec<usize> = (0..rows.len())
        .map(|r| full.iter().position(|q| q[r] > 0.0).expect("this random model halts within 16 steps"))
        .collect();
    let all = full.iter().position(|q| q.iter().all(|&x| x > 0.0)).expect("all rows want to halt at some step");
    let earliest = *first.iter().min().unwrap();
    assert!(earliest < all, "some row must want to halt before all do, for this test to tell: {first:?}, all at {all}");
    let stopped = run(SolveOptions { max_steps: 16, stop_on_halt: true, inner: false });
    assert_eq!(stopped, full[..=all].to_vec());
}

#[test]
fn inputs_are_checked_against_the_model() {
    let m = model("arc-att-learned-h64"); // 7 puzzle ids, vocab 12
    let ok = grid(&m);
    assert_eq!(Batch::new(&[], &[], &m), Err(InputError::Empty));
    assert_eq!(Batch::new(&[ok[..10].to_vec()], &[], &m), Err(InputError::Length { expected: 900, found: 10 }));
    let mut bad = ok.clone();
    bad[5] = 12;
    assert_eq!(Batch::new(&[bad], &[], &m), Err(InputError::Token { cell: 5, token: 12, vocab: 12 }));
    assert_eq!(Batch::new(&[ok.clone()], &[7], &m), Err(InputError::PuzzleId { id: 7, count: 7 }));
    let e = Batch::new(&[ok.clone(), ok.clone()], &[1], &m).unwrap_err();
    assert_eq!(e, InputError::PuzzleIdCount { expected: 2, found: 1 });
    assert_eq!(e.to_string(), "1 puzzle identifiers for 2 puzzles");
    assert!(Batch::new(&[ok.clone(), ok], &[6, 0], &m).is_ok());
}

/// Resuming from a carry (as the runtime does after moving to the CPU) continues the same run:
/// steps k+1..n from `with_carry` equal a straight run's, bit for bit, and the test would see
/// a swapped z_H / z_L.
#[test]
fn with_carry_continues_the_same_run() {
    let m = model("arc-att-emb96-h64");
    let batch = Batch::new(&[grid(&m)], &[1], &m).unwrap();
    let opts = SolveOptions { max_steps: 5, stop_on_halt: false, inner: false };
    let mut straight = Vec::new();
    Recursion::new(&m, &batch, opts, &flex()).run(|p| straight.push(p.clone())).unwrap();

    let k = 2;
    let mut first = Recursion::new(&m, &batch, SolveOptions { max_steps: k, ..opts }, &flex());
    while !first.is_done() {
        first.step().read().unwrap();
    }
    let carry = first.carry().clone();
    let resume = |carry: trm::model::Carry| {
        let mut passes = Vec::new();
        Recursion::new(&m, &batch, opts, &flex()).with_carry(carry, k).run(|p| passes.push(p.clone())).unwrap();
        passes
    };
    let resumed = resume(carry.clone());
    assert_eq!(resumed.iter().map(|p| p.step).collect::<Vec<_>>(), vec![3, 4, 5]);
    assert_eq!(resumed, straight[k..]);

    let swapped = resume(trm::model::Carry { z_h: carry.z_l, z_l: carry.z_h });
    assert_ne!(swapped[0].q_halt, straight[k].q_halt, "a swapped carry must change the result");
}

/// How much each latent moved, as each end-of-step pass carries it, equals the norms computed
/// here, on the host, from the carry the recursion holds before and after the step.
#[test]
fn latent_changes_are_those_of_the_carry() {
    let m = model("maze-att-h64");
    let (seq, prefix, d) = (m.config.seq_len, m.config.prefix_len(), m.config.hidden_size);
    let batch = Batch::new(&[grid(&m)], &[], &m).unwrap();
    let opts = SolveOptions { max_steps: 2, stop_on_halt: false, inner: true };
    let mut rec = Recursion::new(&m, &batch, opts, &flex());
    let host = |t: &burn::tensor::Tensor<3>| t.clone().into_data().iter::<f32>().collect::<Vec<f32>>();
    let norm = |f: &dyn Fn(usize) -> f32| -> Vec<f32> {
        (0..seq).map(|i| (0..d).map(|k| f((prefix + i) * d + k).powi(2)).sum::<f32>().sqrt()).collect()
    };
    for _ in 0..2 {
        let (h0, l0) = (host(&rec.carry().z_h), host(&rec.carry().z_l));
        let passes = rec.step().read().unwrap();
        let (h1, l1) = (host(&rec.carry().z_h), host(&rec.carry().z_l));
        let want_answer = norm(&|j| h1[j] - h0[j]);
        let want_reasoning = norm(&|j| l1[j] - l0[j]);
        assert_ne!(want_answer, want_reasoning);
        for p in &passes {
            if p.inner.is_some() {
                assert!(p.answer_change.is_empty() && p.reasoning_change.is_empty());
                continue;
            }
            for (got, want) in [(&p.answer_change, &want_answer), (&p.reasoning_change, &want_reasoning)] {
                assert_eq!(got.len(), seq);
                let scale = want.iter().fold(0f32, |a, &b| a.max(b.abs()));
                let err = got.iter().zip(want.iter()).fold(0f32, |a, (g, w)| a.max((g - w).abs()));
                assert!(scale > 0.0 && err <= 1e-4 * scale, "max error {err} at scale {scale}");
            }
        }
    }
}
