//! The reference's initialisation (§1.10 of the reference notes): truncated LeCun-normal linear
//! weights, embeddings with std 1/√hidden, a silent q_head (weights 0, bias −5: halting
//! probability ≈ 0.0067), a zero puzzle-embedding table, and H_init/L_init drawn once with std 1
//! in bf16.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use trm_model::config::TrmConfig;
use trm_model::weights::{HostTensor, TensorMap, WeightsError, expected_shapes};

/// A standard normal truncated to ±2, rescaled so that the result has standard deviation `std`
/// (JAX's `truncated_normal` convention, which the reference imitates).
pub fn trunc_normal<R: Rng>(rng: &mut R, n: usize, std: f32) -> Vec<f32> {
    if std == 0.0 {
        return vec![0.0; n];
    }
    // Variance of N(0,1) truncated to [-2, 2]: 1 - 2·2·φ(2)/Z, with Z = P(|N| < 2).
    let phi2 = (-2.0f64).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let z = 0.954_499_736_103_642;
    let comp = std as f64 / (1.0 - 4.0 * phi2 / z).sqrt();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        // Box–Muller; rejection keeps |x| < 2.
        let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
        let u2: f64 = rng.random();
        let r = (-2.0 * u1.ln()).sqrt();
        for x in [r * (std::f64::consts::TAU * u2).cos(), r * (std::f64::consts::TAU * u2).sin()] {
            if x.abs() < 2.0 && out.len() < n {
                out.push((x * comp) as f32);
            }
        }
    }
    out
}

/// Every tensor of `config`, initialised as the reference trainer does.
pub fn reference_init(config: &TrmConfig, seed: u64) -> Result<TensorMap, WeightsError> {
    config.validate()?;
    let mut rng = SmallRng::seed_from_u64(seed);
    let d = config.hidden_size as f32;
    let mut map = TensorMap::new();
    for (key, shape) in expected_shapes(config) {
        let n: usize = shape.iter().product();
        let data = match key.as_str() {
            "q_head.weight" | "puzzle_emb.weights" => vec![0.0; n],
            "q_head.bias" => vec![-5.0; n],
            "H_init" | "L_init" => trunc_normal(&mut rng, n, 1.0)
                .into_iter()
                .map(|v| half::bf16::from_f32(v).to_f32())
                .collect(),
            k if k.starts_with("embed_") => trunc_normal(&mut rng, n, 1.0 / d.sqrt()),
            // Linear weights, `[out, in]`: LeCun normal over the input width.
            _ => trunc_normal(&mut rng, n, 1.0 / (shape[1] as f32).sqrt()),
        };
        map.insert(&key, HostTensor::new(shape, data))?;
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_normal_has_the_requested_spread_and_bounds() {
        let mut rng = SmallRng::seed_from_u64(7);
        let v = trunc_normal(&mut rng, 200_000, 0.5);
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!(mean.abs() < 5e-3, "mean {mean}");
        assert!((var.sqrt() - 0.5).abs() < 5e-3, "std {}", var.sqrt());
        let bound = 2.0 * 0.5 / (1.0 - 4.0 * (-2.0f64).exp() / (2.0 * std::f64::consts::PI).sqrt() / 0.9545).sqrt();
        assert!(v.iter().all(|&x| (x as f64).abs() < bound + 1e-6));
    }

    #[test]
    fn reference_init_silences_the_halting_head() {
        let cfg = TrmConfig::preset("sudoku-mlp").unwrap();
        let map = reference_init(&cfg, 1).unwrap();
        assert!(map.get("q_head.weight").unwrap().data.iter().all(|&v| v == 0.0));
        assert!(map.get("q_head.bias").unwrap().data.iter().all(|&v| v == -5.0));
        assert!(map.get("puzzle_emb.weights").unwrap().data.iter().all(|&v| v == 0.0));
        let h = &map.get("H_init").unwrap().data;
        assert!(h.iter().all(|&v| half::bf16::from_f32(v).to_f32() == v), "H_init holds bf16 values");
        assert_eq!(map.len(), expected_shapes(&cfg).len());
    }
}
