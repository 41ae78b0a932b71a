//! `trm bench`: how fast one supervision step runs on a backend, in the units that allow a
//! comparison — ms per step, ms per network call, achieved GFLOP/s (from the shapes), and the
//! GFLOP/s of large matmuls on the same backend as the ceiling.

use std::time::Instant;

use burn::tensor::{Device, Tensor, TensorData};

use crate::model::{Linear, Trm};
use crate::recursion::{Batch, Recursion, SolveOptions};

#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchReport {
    pub model: String,
    /// The architecture, in the reference's config.json shape (what `scripts/bench-anchors.py`
    /// builds the reference model from).
    pub config: crate::config::TrmConfig,
    pub backend: String,
    pub batch: usize,
    pub steps_timed: usize,
    pub params: usize,
    /// Median over the timed steps, with the spread.
    pub ms_per_step: f64,
    pub ms_per_step_min: f64,
    pub ms_per_step_max: f64,
    pub ms_per_step_per_puzzle: f64,
    pub ms_per_net_call: f64,
    pub gflops: f64,
    /// GFLOP/s of square 1024² matmuls on this backend.
    pub matmul_gflops: f64,
    /// GFLOP/s of the model's own SwiGLU matmul shapes, [B·len, hidden]·[hidden, 2·inter] then
    /// [B·len, 2·inter]·[2·inter, hidden]: the ceiling for a step of this model.
    pub model_matmul_gflops: f64,
    /// `gflops` as a fraction of `model_matmul_gflops`.
    pub fraction_of_matmul: f64,
    /// First step, including kernel compilation on GPU backends.
    pub first_step_ms: f64,
    /// The same steps queued back to back and read back once at the end: the device's own time
    /// per step, without the wait for each step's read-back that streaming every pass adds.
    pub ms_per_step_queued: f64,
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// Wait until `t` is computed by reading one of its values back. On wgpu `into_data` hands
/// back bytes that are only read (and waited for) when touched, so the value itself is taken:
/// without that, four 1024² matmuls on lavapipe "took" 0.2 ms (50 TFLOP/s) instead of 1.4 s.
pub fn fence(t: Tensor<2>) {
    let data = t.slice([0..1, 0..1]).into_data();
    std::hint::black_box(data.as_slice::<f32>().map(|v| v[0]).ok());
}

/// Median seconds of `reps` runs of `run`, after one untimed warm-up run.
fn median_secs(reps: usize, run: impl Fn()) -> f64 {
    run();
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                run();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

/// GFLOP/s of n×n·n×n matmuls: a chain of `chain` dependent products (each feeds the next, so
/// none can be skipped or reused) read back at the end, median of `reps` chains after a warm-up.
pub fn matmul_gflops(device: &Device, n: usize, chain: usize, reps: usize) -> f64 {
    let data: Vec<f32> = (0..n * n).map(|i| ((i % 97) as f32 - 48.0) / (97.0 * n as f32)).collect();
    let a = Tensor::<2>::from_data(TensorData::new(data, [n, n]), device);
    fence(a.clone());
    let secs = median_secs(reps, || {
        let mut x = a.clone();
        for _ in 0..chain {
            x = a.clone().matmul(x);
        }
        fence(x);
    });
    2.0 * (n as f64).powi(3) * chain as f64 / secs / 1e9
}

/// GFLOP/s of a model's MLP matmuls: x·W_up then ·W_down, `chain` times over ([m, h]·[h, f]
/// and back), read back at the end; median of `reps` chains after a warm-up. Through the
/// model's own [`Linear`] layers, so on the CPU backend this is the packed kernel the model runs.
pub fn mlp_matmul_gflops(device: &Device, m: usize, h: usize, f: usize, chain: usize, reps: usize) -> f64 {
    let fill = |n: usize, scale: usize| -> Vec<f32> { (0..n).map(|i| ((i % 89) as f32 - 44.0) / (89.0 * scale as f32)).collect() };
    let x = Tensor::<2>::from_data(TensorData::new(fill(m * h, 1), [m, h]), device);
    let up = Linear::new(Tensor::<2>::from_data(TensorData::new(fill(h * f, h), [h, f]), device), None);
    let down = Linear::new(Tensor::<2>::from_data(TensorData::new(fill(f * h, f), [f, h]), device), None);
    fence(down.weight.tensor().clone());
    let secs = median_secs(reps, || {
        let mut y = x.clone();
        for _ in 0..chain {
            y = down.forward(up.forward(y));
        }
        fence(y);
    });
    4.0 * (m * h * f) as f64 * chain as f64 / secs / 1e9
}

/// Time `steps` supervision steps (after one warm-up step) of `model` at batch `batch`.
pub fn bench_model(
    model: &Trm,
    name: &str,
    backend: &str,
    device: &Device,
    batch: usize,
    steps: usize,
) -> Result<BenchReport, String> {
    let cfg = &model.config;
    // A valid token grid: every cell the first non-PAD token.
    let rows = vec![vec![1u32.min(cfg.vocab_size as u32 - 1); cfg.seq_len]; batch];
    let batch_in = Batch::new(&rows, &[], model).map_err(|e| e.to_string())?;
    let options = SolveOptions { max_steps: 2 * steps + 1, stop_on_halt: false, inner: false };
    let mut rec = Recursion::new(model, &batch_in, options, device);
    let t0 = Instant::now();
    rec.step().read()?;
    let first_step_ms = t0.elapsed().as_secs_f64() * 1e3;
    let mut times = Vec::with_capacity(steps);
    for _ in 0..steps {
        let t = Instant::now();
        rec.step().read()?;
        times.push(t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    let mut pending: Vec<_> = (0..steps).map(|_| rec.step()).collect();
    pending.pop().expect("at least one step").read()?;
    let queued_s = t.elapsed().as_secs_f64() / steps as f64;
    drop(pending);
    let (min_s, max_s) = times.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &t| (lo.min(t), hi.max(t)));
    let step_s = median(times);
    let flops = 2.0 * cfg.macs_per_step() as f64 * batch as f64;
    let gflops = flops / step_s / 1e9;
    let matmul = matmul_gflops(device, 1024, 4, 3);
    let model_matmul =
        mlp_matmul_gflops(device, batch * cfg.total_len(), cfg.hidden_size, 2 * cfg.swiglu_inter(cfg.hidden_size), 8, 3);
    Ok(BenchReport {
        model: name.to_string(),
        config: cfg.clone(),
        backend: backend.to_string(),
        batch,
        steps_timed: steps,
        params: cfg.param_count(),
        ms_per_step: step_s * 1e3,
        ms_per_step_min: min_s * 1e3,
        ms_per_step_max: max_s * 1e3,
        ms_per_step_per_puzzle: step_s * 1e3 / batch as f64,
        ms_per_net_call: step_s * 1e3 / cfg.net_calls_per_step() as f64,
        gflops,
        matmul_gflops: matmul,
        model_matmul_gflops: model_matmul,
        fraction_of_matmul: gflops / model_matmul,
        first_step_ms,
        ms_per_step_queued: queued_s * 1e3,
    })
}
