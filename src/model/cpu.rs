//! The SwiGLU gate fused into one vectorised pass for the CPU backend (flex), natively and in
//! wasm. flex evaluates `silu(gate) * up` as two passes with a scalar `expf` per element, which
//! costs about a quarter of a Sudoku-MLP inference step; this pass computes
//! `gate / (1 + exp(-gate)) * up` with a polynomial `exp` that the compiler turns into SIMD code
//! (SSE2 or AVX2+FMA chosen at run time on x86, SIMD128 in wasm). Plain tensors: inference and
//! the trainer's no-gradient cycles; under autodiff, [`swiglu_tracked`].

use burn::tensor::{DType, Device, Tensor, TensorData};

/// `silu(gate) * up` for the output of a SwiGLU's `gate_up_proj` (gate the first half of each
/// row, up the second), or `None` when the tensor is not a plain flex f32 tensor. It reads the
/// product's buffer in place, and with several threads (outside a row shard) each takes a block
/// of rows.
pub fn swiglu(gate_up: &Tensor<3>) -> Option<Tensor<3>> {
    let device = gate_up.device();
    if device.is_autodiff() || device != Device::flex() || gate_up.dtype() != DType::F32 {
        return None;
    }
    let [b, s, w] = gate_up.dims();
    let inter = w / 2;
    let primitive = gate_up.clone().try_into_primitive::<burn::backend::Flex>().ok()?;
    let src = primitive.as_slice::<f32>()?;
    let mut out = vec![0.0f32; b * s * inter];
    gate_rows_threaded(src, &mut out, inter);
    Some(Tensor::from_data(TensorData::new(out, [b, s, inter]), &device))
}

/// [`gate_rows`] over one block of rows per rayon thread when there are several threads, this
/// is not already a rayon task (a row shard), and the work is worth the hand-off.
fn gate_rows_threaded(src: &[f32], out: &mut [f32], inter: usize) {
    #[cfg(any(feature = "flex", feature = "threads"))]
    {
        use rayon::prelude::*;
        let threads = rayon::current_num_threads();
        let rows = out.len() / inter;
        if threads > 1 && rayon::current_thread_index().is_none() && out.len() >= 1 << 15 && rows >= threads {
            let per = rows.div_ceil(threads);
            return out
                .par_chunks_mut(per * inter)
                .zip(src.par_chunks(per * 2 * inter))
                .for_each(|(out, src)| gate_rows(src, out, inter));
        }
    }
    gate_rows(src, out, inter)
}

/// The same under autodiff (the trainer's cycle with gradient), where burn records `silu` as a
/// scalar-`exp` sigmoid forward and a second one in its backward: one vectorised pass computes,
/// from the gate's values g, silu(g) and its slope silu'(g) = σ(g)(1 + g(1 − σ(g))), and the
/// recorded graph is `silu(g) + (gate − g)·silu'(g)`, whose value is silu(g) exactly
/// (`gate − g` is zero) and whose gradient is the slope: products and sums only, which flex
/// vectorises. `None` when the tensor is not a flex f32 tensor under autodiff.
pub fn swiglu_tracked(gate_up: &Tensor<3>) -> Option<Tensor<3>> {
    let device = gate_up.device();
    if !device.is_autodiff() || device.clone().without_autodiff() != Device::flex() || gate_up.dtype() != DType::F32 {
        return None;
    }
    let [b, s, w] = gate_up.dims();
    let inter = w / 2;
    let gate = gate_up.clone().narrow(2, 0, inter);
    let up = gate_up.clone().narrow(2, inter, inter);
    let values = gate.clone().inner().into_data();
    let g = values.as_slice::<f32>().ok()?;
    let (mut silu, mut slope) = (vec![0.0f32; g.len()], vec![0.0f32; g.len()]);
    silu_and_slope(g, &mut silu, &mut slope);
    let constant = |v: Vec<f32>| Tensor::<3>::from_data(TensorData::new(v, [b, s, inter]), &device);
    let gated = constant(silu) + (gate.clone() - gate.detach()) * constant(slope);
    Some(gated * up)
}

fn silu_and_slope(g: &[f32], silu: &mut [f32], slope: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features `silu_and_slope_avx2` is compiled for.
        return unsafe { silu_and_slope_avx2(g, silu, slope) };
    }
    silu_and_slope_generic(g, silu, slope)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn silu_and_slope_avx2(g: &[f32], silu: &mut [f32], slope: &mut [f32]) {
    silu_and_slope_generic(g, silu, slope)
}

#[inline(always)]
fn silu_and_slope_generic(g: &[f32], silu: &mut [f32], slope: &mut [f32]) {
    for ((&x, y), d) in g.iter().zip(silu.iter_mut()).zip(slope.iter_mut()) {
        let sig = 1.0 / (1.0 + exp(-x));
        *y = x * sig;
        *d = sig * (1.0 + x * (1.0 - sig));
    }
}

/// Each row of `src` is `[gate | up]`; the matching row of `out` gets `silu(gate) * up`.
fn gate_rows(src: &[f32], out: &mut [f32], inter: usize) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features `gate_rows_avx2` is compiled for.
        return unsafe { gate_rows_avx2(src, out, inter) };
    }
    gate_rows_generic(src, out, inter)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gate_rows_avx2(src: &[f32], out: &mut [f32], inter: usize) {
    gate_rows_generic(src, out, inter)
}

#[inline(always)]
fn gate_rows_generic(src: &[f32], out: &mut [f32], inter: usize) {
    for (row, o) in src.chunks_exact(2 * inter).zip(out.chunks_exact_mut(inter)) {
        let (gate, up) = row.split_at(inter);
        for ((o, &g), &u) in o.iter_mut().zip(gate).zip(up) {
            *o = g / (1.0 + exp(-g)) * u;
        }
    }
}

/// `e^x` to about 2 ulp, branch-free so that loops over it vectorise: x = n·ln2 + r with
/// |r| ≤ ln2/2, a degree-6 polynomial for e^r, and 2^n built in the exponent bits. Inputs are
/// clamped to where 2^n stays a normal f32 (e^-87.3 ≈ 1.2e-38, e^88 ≈ 1.7e38).
#[inline(always)]
fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5·2^23 rounds to the nearest integer without a libm call.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.0);
    let t = x * LOG2E + ROUND;
    let n = t - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    // Plain multiply-adds: `mul_add` is a libm call where the target has no FMA (wasm, SSE2).
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    // t = 1.5·2^23 + n, so n sits in t's low mantissa bits: integer arithmetic moves it into
    // the exponent (`n as i32` compiled to one scalar conversion per lane on x86).
    let biased = (t.to_bits() as i32 - ROUND.to_bits() as i32 + 127) as u32;
    e * f32::from_bits(biased << 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_std_to_a_few_ulp_over_the_whole_range() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let (a, b) = (exp(x) as f64, (x as f64).exp());
            worst = worst.max(((a - b) / b).abs());
            x += 0.000_731;
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
        assert_eq!(exp(-1000.0), exp(-87.3));
        assert!(exp(1000.0).is_finite());
    }

    #[test]
    fn silu_and_its_slope_match_the_formulas() {
        let g: Vec<f32> = (0..101).map(|i| (i as f32 - 50.0) / 4.0).collect();
        let (mut y, mut d) = (vec![0.0; g.len()], vec![0.0; g.len()]);
        silu_and_slope(&g, &mut y, &mut d);
        for ((&x, &y), &d) in g.iter().zip(&y).zip(&d) {
            let x = x as f64;
            let sig = 1.0 / (1.0 + (-x).exp());
            let h = 1e-4;
            let numeric = ((x + h) / (1.0 + (-(x + h)).exp()) - (x - h) / (1.0 + (-(x - h)).exp())) / (2.0 * h);
            assert!((y as f64 - x * sig).abs() <= 1e-6 * (x * sig).abs().max(1.0), "silu({x})");
            assert!((d as f64 - numeric).abs() <= 1e-5, "silu'({x}): {d} vs {numeric}");
        }
    }

    #[test]
    fn threaded_gate_equals_one_pass() {
        // Large enough for one block per thread of the global pool (two on a 2-core machine).
        let (rows, inter) = (97, 512);
        let src: Vec<f32> = (0..rows * 2 * inter).map(|i| ((i * 7919) % 400) as f32 / 20.0 - 10.0).collect();
        let (mut one, mut split) = (vec![0.0; rows * inter], vec![0.0; rows * inter]);
        gate_rows(&src, &mut one, inter);
        gate_rows_threaded(&src, &mut split, inter);
        assert_eq!(one, split);
    }

    #[test]
    fn gated_rows_equal_silu_times_up() {
        let inter = 37;
        let src: Vec<f32> = (0..3 * 2 * inter).map(|i| ((i * 7919) % 200) as f32 / 10.0 - 10.0).collect();
        let mut out = vec![0.0; 3 * inter];
        gate_rows(&src, &mut out, inter);
        for (r, o) in out.chunks(inter).enumerate() {
            for (j, &v) in o.iter().enumerate() {
                let (g, u) = (src[r * 2 * inter + j] as f64, src[r * 2 * inter + inter + j] as f64);
                let want = g / (1.0 + (-g).exp()) * u;
                assert!((v as f64 - want).abs() <= 1e-5 * want.abs().max(1.0), "row {r} col {j}: {v} vs {want}");
            }
        }
    }
}
