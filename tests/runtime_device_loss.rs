//! The GPU is lost after step 1 of a solve on wgpu (lavapipe here): steps 2..n run on the CPU
//! from the checkpointed carry and equal a CPU-only run's. Its own process, because the device
//! it destroys is the process's only wgpu device.

mod common;

use common::{Recorder, gpu, sudoku_small};
use futures_lite::future::block_on;
use trm::runtime::{Active, BackendRequest, Engine, SolveOptionsMessage};

#[test]
fn losing_the_device_at_step_1_continues_on_the_cpu_with_the_same_answers() {
    let Some(gpu) = gpu() else { return };
    let (model, tokens) = sudoku_small();
    let opts = SolveOptionsMessage { max_steps: Some(8), ..Default::default() };

    let cpu = Engine::new(BackendRequest::Cpu, None).unwrap();
    block_on(cpu.install(model.clone(), &Recorder::new())).unwrap();
    let reference = Recorder::new();
    block_on(cpu.solve(&tokens, &[], &opts, &reference)).unwrap();

    let engine = Engine::new(BackendRequest::Webgpu, Some(Ok(gpu))).unwrap();
    block_on(engine.install(model, &Recorder::new())).unwrap();
    assert_eq!(engine.backend(), Active::Webgpu);
    let host = Recorder::with(|p| {
        if p.step == 1 {
            assert!(engine.simulate_device_loss());
        }
        Ok(())
    });
    let result = block_on(engine.solve(&tokens, &[], &opts, &host)).unwrap();

    assert_eq!((result.steps, result.cancelled, result.backend), (8, false, Active::Cpu));
    let why = result.fell_back.expect("the result says the GPU was lost");
    assert!(why.contains("lost") && why.contains("continuing on the CPU"), "{why}");
    assert_eq!(engine.backend(), Active::Cpu);
    let got = host.outer();
    assert_eq!(got.iter().map(|p| p.step).collect::<Vec<_>>(), (1..=8).collect::<Vec<_>>(), "no step lost or repeated");
    assert_eq!(got[0].backend, Active::Webgpu);
    assert!(got[1..].iter().all(|p| p.backend == Active::Cpu));
    for (g, c) in got.iter().zip(reference.outer()).skip(1) {
        assert_eq!(g.tokens, c.tokens, "step {}", g.step);
        assert!((g.halt_prob[0] - c.halt_prob[0]).abs() < 1e-4, "step {}: {:?} vs {:?}", g.step, g.halt_prob, c.halt_prob);
    }
    // The engine keeps working, now on the CPU.
    let again = block_on(engine.solve(&tokens, &[], &opts, &Recorder::new())).unwrap();
    assert_eq!((again.backend, again.fell_back), (Active::Cpu, None));
    assert_eq!(again.tokens, result.tokens);
}
