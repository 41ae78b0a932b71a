//! `trm bench --train`: the trainer's throughput on a fixed batch.

use std::time::Instant;

use burn::tensor::Device;
use trm_model::bench::{fence, median};
use trm_model::model::Trm;

/// Training throughput: one optimiser step = the reference's training forward (H_cycles − 1
/// cycles without gradient, one with), the loss, the backward pass and the AdamATan2 update,
/// on a fixed batch of random tokens (data generation is not timed).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainBenchReport {
    pub config: trm_model::config::TrmConfig,
    pub batch: usize,
    pub steps_timed: usize,
    pub ms_per_step_min: f64,
    pub ms_per_step_median: f64,
    pub ms_per_step_max: f64,
    /// Samples × supervision steps per second (median step).
    pub sample_steps_per_sec: f64,
    pub threads: usize,
    /// Row shards of the batch computed side by side ([`crate::step::forward_backward_sharded`]).
    pub shards: usize,
}

pub fn bench_train(
    config: &trm_model::config::TrmConfig,
    batch: usize,
    steps: usize,
    shards: usize,
    device: &Device,
) -> Result<TrainBenchReport, String> {
    use crate::init::reference_init;
    use crate::optim::{Adam, OptimConfig, OptimizerKind};
    use crate::step::{TrainBatch, forward_backward_sharded};
    use rand::{Rng, SeedableRng};

    let mut tensors = reference_init(config, 0).map_err(|e| e.to_string())?;
    let mut model = Trm::from_tensors(config.clone(), &mut tensors, device).map_err(|e| e.to_string())?;
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0);
    let n = batch * config.seq_len;
    let tokens: Vec<i64> = (0..n).map(|_| rng.random_range(1..config.vocab_size as i64)).collect();
    let train = TrainBatch { labels: tokens.clone(), tokens, puzzle_ids: vec![0; batch] };
    let optim = OptimConfig {
        optimizer: OptimizerKind::AdamAtan2,
        lr: 1e-4,
        lr_warmup_steps: 0,
        lr_min_ratio: 1.0,
        beta1: 0.9,
        beta2: 0.95,
        weight_decay: 0.1,
        puzzle_emb_lr: 1e-2,
        puzzle_emb_weight_decay: 0.1,
        ema: 0.0,
    };
    let mut adam = Adam::new(&model.params_flat());
    let mut carry = model.initial_carry(batch);
    let mut times = Vec::with_capacity(steps);
    for i in 0..=steps {
        let t = Instant::now();
        let out = forward_backward_sharded(&model, carry, &train, shards);
        let grads = out.grads.into_iter().map(|g| g.div_scalar(batch as f64)).collect();
        let params = adam.update(&optim, model.params_flat(), grads, optim.lr);
        model.set_params_flat(params);
        // Reading one value back fences the step (the update is otherwise lazy on GPUs).
        fence(model.lm_head.weight.tensor().clone());
        carry = out.carry;
        if i > 0 {
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    let max = times.iter().copied().fold(0.0, f64::max);
    let med = median(times);
    Ok(TrainBenchReport {
        config: config.clone(),
        batch,
        steps_timed: steps,
        ms_per_step_min: min,
        ms_per_step_median: med,
        ms_per_step_max: max,
        sample_steps_per_sec: batch as f64 * 1e3 / med,
        threads: rayon::current_num_threads(),
        shards: shards.clamp(1, batch),
    })
}
