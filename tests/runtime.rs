//! The page's runtime core (`trm::runtime`), natively: the same engine the wasm bindings wrap,
//! on flex and on wgpu (lavapipe). Device loss has its own process: `runtime_device_loss.rs`.

mod common;

use common::{Recorder, flex, gpu, sudoku_small};
use futures_lite::future::block_on;
use trm::model::Trm;
use trm::recursion::{Batch, InputError, Recursion, SolveOptions};
use trm::runtime::{Active, BackendRequest, Engine, RuntimeError, SolveOptionsMessage};

fn steps(n: usize, inner: bool) -> SolveOptionsMessage {
    SolveOptionsMessage { max_steps: Some(n), inner, ..Default::default() }
}

fn cpu_engine() -> Engine {
    let engine = Engine::new(BackendRequest::Cpu, None).unwrap();
    block_on(engine.install(sudoku_small().0, &Recorder::new())).unwrap();
    engine
}

#[test]
fn the_cpu_engine_streams_every_pass_of_the_recursion() {
    let (model, tokens) = sudoku_small();
    let engine = Engine::new(BackendRequest::Cpu, None).unwrap();
    let host = Recorder::new();
    let info = block_on(engine.install(model.clone(), &host)).unwrap();
    assert_eq!((info.backend, info.task), (Active::Cpu, Some("sudoku")));
    assert_eq!(*host.stages.borrow(), ["uploading", "warming up"]);
    // The warm-up ran a real step on the host's clock.
    assert!(info.warmup_ms > 0.0, "warm-up took {} ms", info.warmup_ms);

    let result = block_on(engine.solve(&tokens, &[], &steps(6, true), &host)).unwrap();
    let direct = Trm::from_tensors(model.config.clone(), &mut model.tensors.clone(), &flex()).unwrap();
    let batch = Batch::new(&[tokens.clone()], &[], &direct).unwrap();
    let mut want = Vec::new();
    let opts = SolveOptions { max_steps: 6, stop_on_halt: false, inner: true };
    Recursion::new(&direct, &batch, opts, &flex()).run(|p| want.push(p.clone())).unwrap();

    let got = host.passes.borrow();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!((g.step, g.inner, &g.tokens, &g.confidence, &g.halt_prob), (w.step, w.inner, &w.tokens, &w.confidence, &w.halt_prob));
        assert_eq!(g.backend, Active::Cpu);
    }
    assert_eq!((result.steps, result.cancelled, result.fell_back.clone()), (6, false, None));
    assert_eq!(result.tokens, want.last().unwrap().tokens);
    assert_eq!(result.halt_prob, want.last().unwrap().halt_prob);
}

#[test]
fn backend_requests_and_a_missing_gpu() {
    assert_eq!("auto".parse::<BackendRequest>(), Ok(BackendRequest::Auto));
    assert_eq!("cpu".parse::<BackendRequest>(), Ok(BackendRequest::Cpu));
    let err = "quantum".parse::<BackendRequest>().unwrap_err().to_string();
    assert!(err.contains("unknown backend `quantum`"), "{err}");

    let no_gpu = || Some(Err("WebGPU is not available: no adapter".to_string()));
    let err = Engine::new(BackendRequest::Webgpu, no_gpu()).err().unwrap();
    assert_eq!(err, RuntimeError::Failed("WebGPU is not available: no adapter".into()));
    let auto = Engine::new(BackendRequest::Auto, no_gpu()).unwrap();
    assert_eq!(auto.backend(), Active::Cpu);
    assert_eq!(auto.webgpu_error().as_deref(), Some("WebGPU is not available: no adapter"));
    assert!(auto.backend_reason().contains("no adapter"));
    assert!(!auto.simulate_device_loss(), "nothing to lose without a GPU");
}

#[test]
fn one_load_or_solve_at_a_time() {
    let engine = cpu_engine();
    let (model, tokens) = sudoku_small();
    let refused = std::cell::RefCell::new(Vec::new());
    let host = Recorder::with(|p| {
        if p.step == 1 {
            assert!(engine.is_busy());
            refused.borrow_mut().push(block_on(engine.solve(&tokens, &[], &steps(1, false), &Recorder::new())).err());
            refused.borrow_mut().push(block_on(engine.install(model.clone(), &Recorder::new())).err().map(|e| e));
        }
        Ok(())
    });
    block_on(engine.solve(&tokens, &[], &steps(2, false), &host)).unwrap();
    assert_eq!(*refused.borrow(), [Some(RuntimeError::Busy), Some(RuntimeError::Busy)]);
    assert!(RuntimeError::Busy.to_string().contains("already running"));
    assert!(!engine.is_busy());
    assert_eq!(block_on(engine.solve(&tokens, &[], &steps(1, false), &Recorder::new())).unwrap().steps, 1);
}

#[test]
fn cancel_stops_after_the_current_step_and_does_not_leak_into_the_next_solve() {
    let engine = cpu_engine();
    let (_, tokens) = sudoku_small();
    let host = Recorder::with(|p| {
        if p.step == 2 {
            engine.cancel();
        }
        Ok(())
    });
    let result = block_on(engine.solve(&tokens, &[], &steps(8, false), &host)).unwrap();
    assert_eq!((result.steps, result.cancelled), (2, true));
    assert_eq!(result.tokens, host.outer()[1].tokens);
    engine.cancel(); // not running: no effect
    let next = block_on(engine.solve(&tokens, &[], &steps(3, false), &Recorder::new())).unwrap();
    assert_eq!((next.steps, next.cancelled), (3, false));
}

fn resume(n: usize) -> SolveOptionsMessage {
    SolveOptionsMessage { resume: true, ..steps(n, false) }
}

/// A resumed solve continues from where the last one ended (finished or cancelled), on the
/// tokens it is given: "think longer" equals one longer solve, and an edited puzzle continues
/// from the old state exactly as the recursion would with that carry.
#[test]
fn a_solve_resumes_where_the_last_one_ended() {
    let engine = cpu_engine();
    let (model, tokens) = sudoku_small();
    let whole = Recorder::new();
    block_on(engine.solve(&tokens, &[], &steps(5, false), &whole)).unwrap();

    block_on(engine.solve(&tokens, &[], &steps(2, false), &Recorder::new())).unwrap();
    let longer = Recorder::new();
    let result = block_on(engine.solve(&tokens, &[], &resume(5), &longer)).unwrap();
    assert_eq!(result.steps, 5);
    let (got, want) = (longer.outer(), whole.outer());
    assert_eq!(got.iter().map(|p| p.step).collect::<Vec<_>>(), [3, 4, 5]);
    for (g, w) in got.iter().zip(&want[2..]) {
        assert_eq!((&g.tokens, &g.halt_prob), (&w.tokens, &w.halt_prob));
    }

    // Cancelled at step 2, then the puzzle is edited: the new input with the old carry.
    let host = Recorder::with(|p| {
        if p.step == 2 {
            engine.cancel();
        }
        Ok(())
    });
    assert!(block_on(engine.solve(&tokens, &[], &steps(8, false), &host)).unwrap().cancelled);
    let mut edited = tokens.clone();
    let blank = edited.iter().position(|&t| t == 1).unwrap();
    edited[blank] = 2;
    let recovered = Recorder::new();
    block_on(engine.solve(&edited, &[], &resume(4), &recovered)).unwrap();

    let direct = Trm::from_tensors(model.config.clone(), &mut model.tensors.clone(), &flex()).unwrap();
    let opts = SolveOptions { max_steps: 2, stop_on_halt: false, inner: false };
    let mut first = Recursion::new(&direct, &Batch::new(&[tokens.clone()], &[], &direct).unwrap(), opts, &flex());
    while !first.is_done() {
        first.step().read().unwrap();
    }
    let carry = first.carry().clone();
    let opts = SolveOptions { max_steps: 4, ..opts };
    let mut want = Vec::new();
    Recursion::new(&direct, &Batch::new(&[edited.clone()], &[], &direct).unwrap(), opts, &flex())
        .with_carry(carry, 2)
        .run(|p| want.push(p.clone()))
        .unwrap();
    let got = recovered.outer();
    assert_eq!(got.len(), 2);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!((g.step, &g.tokens, &g.halt_prob), (w.step, &w.tokens, &w.halt_prob));
    }
}

#[test]
fn a_resume_needs_an_earlier_solve_of_the_same_size() {
    let engine = cpu_engine();
    let (_, tokens) = sudoku_small();
    let err = |e: Result<_, RuntimeError>| match e {
        Err(RuntimeError::Failed(m)) => m,
        other => panic!("{other:?}"),
    };
    let fresh = err(block_on(engine.solve(&tokens, &[], &resume(4), &Recorder::new())));
    assert!(fresh.contains("no earlier solve"), "{fresh}");
    block_on(engine.solve(&tokens, &[], &steps(2, false), &Recorder::new())).unwrap();
    let two = [tokens.clone(), tokens.clone()].concat();
    let size = err(block_on(engine.solve(&two, &[], &resume(4), &Recorder::new())));
    assert!(size.contains("same batch size"), "{size}");
    // A refused resume leaves nothing to continue: the state was taken.
    block_on(engine.solve(&tokens, &[], &steps(2, false), &Recorder::new())).unwrap();
    let done = err(block_on(engine.solve(&tokens, &[], &resume(2), &Recorder::new())));
    assert!(done.contains("already did 2 steps"), "{done}");
    // A newly installed model forgets the last solve.
    block_on(engine.solve(&tokens, &[], &steps(1, false), &Recorder::new())).unwrap();
    block_on(engine.install(sudoku_small().0, &Recorder::new())).unwrap();
    assert!(err(block_on(engine.solve(&tokens, &[], &resume(4), &Recorder::new()))).contains("no earlier solve"));
}

#[test]
fn bad_requests_are_typed_errors_and_the_engine_keeps_working() {
    let (_, tokens) = sudoku_small();
    let empty = Engine::new(BackendRequest::Cpu, None).unwrap();
    assert_eq!(block_on(empty.solve(&tokens, &[], &steps(1, false), &Recorder::new())).err(), Some(RuntimeError::NoModel));

    let engine = cpu_engine();
    let solve = |tokens: &[u32], ids: &[u32]| block_on(engine.solve(tokens, ids, &steps(1, false), &Recorder::new()));
    assert!(matches!(solve(&tokens[..80], &[]), Err(RuntimeError::Failed(m)) if m.contains("multiple of 81")));
    assert_eq!(solve(&[99; 81], &[]).err(), Some(RuntimeError::Input(InputError::Token { cell: 0, token: 99, vocab: 11 })));
    assert_eq!(solve(&tokens, &[0, 0]).err(), Some(RuntimeError::Input(InputError::PuzzleIdCount { expected: 1, found: 2 })));
    assert_eq!(solve(&tokens, &[3]).err(), Some(RuntimeError::Input(InputError::PuzzleId { id: 3, count: 1 })));
    assert!(solve(&tokens, &[]).is_ok());
}

#[test]
fn messages_have_one_camel_case_shape() {
    let engine = cpu_engine();
    let (_, tokens) = sudoku_small();
    let json = std::cell::RefCell::new(None);
    let host = Recorder::with(|p| {
        json.replace(Some(serde_json::to_value(p).unwrap()));
        Ok(())
    });
    let result = block_on(engine.solve(&tokens, &[], &steps(1, false), &host)).unwrap();
    let pass = json.take().unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k = v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        k.sort();
        k
    };
    assert_eq!(keys(&pass), ["answerChange", "backend", "confidence", "haltProb", "inner", "ms", "reasoningChange", "step", "tokens"]);
    assert_eq!(pass["answerChange"].as_array().unwrap().len(), 81);
    assert_eq!(pass["reasoningChange"].as_array().unwrap().len(), 81);
    assert_eq!(pass["backend"], "cpu");
    assert_eq!(pass["inner"], serde_json::Value::Null);
    let result = serde_json::to_value(&result).unwrap();
    assert_eq!(keys(&result), ["backend", "cancelled", "confidence", "fellBack", "haltProb", "steps", "tokens", "totalMs"]);

    // With inner updates: each names its kind and cycle as the page reads them (sudoku-small:
    // H=2, L=3), and carries no halting or latent change (those belong to the step's own pass).
    let inner = std::cell::RefCell::new(Vec::new());
    let host = Recorder::with(|p| {
        inner.borrow_mut().push(serde_json::to_value(p).unwrap());
        Ok(())
    });
    block_on(engine.solve(&tokens, &[], &steps(1, true), &host)).unwrap();
    let passes = inner.take();
    let kinds: Vec<_> = passes.iter().map(|p| p["inner"].clone()).collect();
    let latent = |h: u32, l: u32| serde_json::json!({ "kind": "latent", "h": h, "l": l });
    let answer = |h: u32| serde_json::json!({ "kind": "answer", "h": h });
    assert_eq!(kinds, [latent(0, 0), latent(0, 1), latent(0, 2), answer(0), latent(1, 0), latent(1, 1), latent(1, 2), answer(1), serde_json::Value::Null]);
    for p in &passes[..8] {
        assert!(p["haltProb"].as_array().unwrap().is_empty() && p["answerChange"].as_array().unwrap().is_empty());
    }

    let opts: SolveOptionsMessage = serde_json::from_str(r#"{"maxSteps": 3, "stopOnHalt": true}"#).unwrap();
    assert_eq!(opts, SolveOptionsMessage { max_steps: Some(3), stop_on_halt: true, ..Default::default() });
    assert!(serde_json::from_str::<SolveOptionsMessage>(r#"{"max_steps": 3}"#).is_err(), "a misspelt option is an error");
}

/// On the GPU: the same passes as the CPU engine; a failing pass callback is an error of the
/// solve, not a device loss (no fallback); `Auto` on a software adapter picks the CPU.
#[test]
fn the_gpu_engine_falls_back_only_on_a_device_loss() {
    let Some(gpu) = gpu() else { return };
    let (model, tokens) = sudoku_small();
    let engine = Engine::new(BackendRequest::Webgpu, Some(Ok(gpu.clone()))).unwrap();
    let host = Recorder::new();
    let info = block_on(engine.install(model.clone(), &host)).unwrap();
    assert_eq!(info.backend, Active::Webgpu);
    assert_eq!(*host.stages.borrow(), ["uploading", "compiling shaders"]);

    let failing = Recorder::with(|_| Err("the page went away".into()));
    let err = block_on(engine.solve(&tokens, &[], &steps(4, false), &failing)).unwrap_err();
    assert_eq!(err, RuntimeError::Failed("the page went away".into()));
    assert_eq!(engine.backend(), Active::Webgpu, "not a device loss: no fallback");
    assert_eq!(failing.passes.borrow().len(), 1);

    let on_gpu = Recorder::new();
    let result = block_on(engine.solve(&tokens, &[], &steps(16, false), &on_gpu)).unwrap();
    assert_eq!((result.backend, result.fell_back.clone()), (Active::Webgpu, None));
    let on_cpu = Recorder::new();
    block_on(cpu_engine().solve(&tokens, &[], &steps(16, false), &on_cpu)).unwrap();
    for (g, c) in on_gpu.outer().iter().zip(on_cpu.outer()) {
        assert_eq!(g.tokens, c.tokens, "step {}", g.step);
        assert!((g.halt_prob[0] - c.halt_prob[0]).abs() < 1e-4, "step {}: {:?} vs {:?}", g.step, g.halt_prob, c.halt_prob);
    }

    if gpu.is_software() {
        let auto = Engine::new(BackendRequest::Auto, Some(Ok(gpu))).unwrap();
        let info = block_on(auto.install(model, &Recorder::new())).unwrap();
        assert_eq!(info.backend, Active::Cpu);
        assert!(info.backend_reason.contains("software rasterizer"), "{}", info.backend_reason);
    }
}
