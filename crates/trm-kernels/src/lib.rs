//! The network's hot ops behind one trait, [`FusedOps`], with two bodies: [`Reference`], plain
//! burn ops that run on every backend (the GPUs, and the trainer's gradients), and [`Fused`],
//! which takes burn's CPU backend (flex) to the fused kernels in [`cpu`] where a tensor is a plain
//! f32 one and falls back to the reference otherwise. The model calls the ops and never knows
//! which ran; the tests here compare the two bodies on the same inputs.
//!
//! - [`cpu`]: the fused CPU kernels (linear against a packed weight, the SwiGLU gate,
//!   residual + RMSNorm over features or over positions, attention from the fused QKV product).
//! - [`matmul`]: the packed matrix kernel (AVX-512 / AVX2 natively, SIMD128 or relaxed SIMD in
//!   wasm) that `linear` and `attention` run on.
//! - `threads` (with the `rayon` feature): how those kernels and a batch's row shards share
//!   rayon's pool.

pub mod cpu;
pub mod matmul;
#[cfg(feature = "rayon")]
pub mod threads;
mod weight;

use burn::tensor::activation::silu;
use burn::tensor::module::linear;
use burn::tensor::{Device, Tensor, TensorData};

pub use weight::Weight;

/// The ops a TRM block is made of. Shapes: `[B, S, C]` activations; `gate_up` is a SwiGLU's
/// `gate_up_proj` output (gate the first half of each row, up the second); `qkv` a fused
/// `qkv_proj` output, `[B, S, 3·H·d]` (Q's heads, then K's, then V's).
pub trait FusedOps {
    /// `x · W (+ b)`, `W` kept as `[in, out]`.
    fn linear<const D: usize>(&self, x: Tensor<D>, weight: &Weight, bias: Option<&Tensor<1>>) -> Tensor<D>;
    /// `silu(gate) ⊙ up`, `[B, S, C/2]`.
    fn swiglu_gate(&self, gate_up: Tensor<3>) -> Tensor<3>;
    /// `rms_norm(h + f)` over the last axis (no learnable scale).
    fn residual_rms_norm(&self, h: Tensor<3>, f: Tensor<3>, eps: f64) -> Tensor<3>;
    /// `rms_norm(hᵀ + f)ᵀ` for `h` `[B, S, C]` and `f` `[B, C, S]` (the token-mixing MLP's output
    /// on the transposed activations): each channel normalised across positions, in `h`'s layout.
    fn residual_rms_norm_over_positions(&self, h: Tensor<3>, f: Tensor<3>, eps: f64) -> Tensor<3>;
    /// Non-causal multi-head attention from `qkv`, rotary positions applied to Q and K when given:
    /// the heads' outputs side by side, `[B, S, H·d]`.
    fn attention(&self, qkv: Tensor<3>, heads: usize, rotary: Option<&Rotary>) -> Tensor<3>;
    /// `f(start, len)` for contiguous row ranges of a `rows`-row batch on `device`, side by side
    /// on the CPU's threads, each range's ops kept on its thread; `None` where splitting does not
    /// pay (a GPU, one thread, one row). Rows must be independent.
    fn row_shards<T: Send>(&self, rows: usize, device: &Device, f: impl Fn(usize, usize) -> T + Sync) -> Option<Vec<T>>;
    /// `f` where the ops it calls split fastest: on the CPU's thread pool, the caller's own
    /// thread elsewhere.
    fn on_pool<R: Send>(&self, device: &Device, f: impl FnOnce() -> R + Send) -> R;
}

/// NeoX ("rotate-half") rotary tables for positions 0..S, position 0 being the first prefix slot:
/// an input of [`FusedOps::attention`].
#[derive(Debug, Clone)]
pub struct Rotary {
    /// `[S, head_dim]`
    pub cos: Tensor<2>,
    pub sin: Tensor<2>,
}

impl Rotary {
    pub fn new(positions: usize, head_dim: usize, theta: f64, device: &Device) -> Self {
        let half = head_dim / 2;
        let mut cos = Vec::with_capacity(positions * head_dim);
        let mut sin = Vec::with_capacity(positions * head_dim);
        // fp32 like the reference: inv_freq = 1 / theta^(2j/dim), freqs = t * inv_freq.
        let inv_freq: Vec<f32> = (0..half)
            .map(|j| 1.0 / (theta as f32).powf((2 * j) as f32 / head_dim as f32))
            .collect();
        for t in 0..positions {
            for _ in 0..2 {
                for f in &inv_freq {
                    let angle = t as f32 * f;
                    cos.push(angle.cos());
                    sin.push(angle.sin());
                }
            }
        }
        Self {
            cos: Tensor::from_data(TensorData::new(cos, [positions, head_dim]), device),
            sin: Tensor::from_data(TensorData::new(sin, [positions, head_dim]), device),
        }
    }

    /// Rotate `[B, H, S, head_dim]`: `x·cos + rotate_half(x)·sin`, rotate_half(x) = [−x₂, x₁].
    pub fn apply(&self, x: Tensor<4>) -> Tensor<4> {
        let dim = x.dims()[3];
        let half = dim / 2;
        let first = x.clone().narrow(3, 0, half);
        let second = x.clone().narrow(3, half, half);
        let rotated = Tensor::cat(vec![second.neg(), first], 3);
        let cos = self.cos.clone().unsqueeze::<4>();
        let sin = self.sin.clone().unsqueeze::<4>();
        x * cos + rotated * sin
    }
}

/// RMSNorm without a learnable scale over the last axis: v / sqrt(mean(v²) + eps).
pub fn rms_norm<const D: usize>(x: Tensor<D>, eps: f64) -> Tensor<D> {
    let var = x.clone().square().mean_dim(D - 1);
    x * var.add_scalar(eps).sqrt().recip()
}

/// The ops as plain burn ops: what the GPU backends and the trainer's gradients run, and what
/// [`Fused`] is tested against.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reference;

impl FusedOps for Reference {
    fn linear<const D: usize>(&self, x: Tensor<D>, weight: &Weight, bias: Option<&Tensor<1>>) -> Tensor<D> {
        linear(x, weight.tensor().clone(), bias.cloned())
    }

    fn swiglu_gate(&self, gate_up: Tensor<3>) -> Tensor<3> {
        let inter = gate_up.dims()[2] / 2;
        let gate = gate_up.clone().narrow(2, 0, inter);
        let up = gate_up.narrow(2, inter, inter);
        silu(gate) * up
    }

    fn residual_rms_norm(&self, h: Tensor<3>, f: Tensor<3>, eps: f64) -> Tensor<3> {
        rms_norm(h + f, eps)
    }

    fn residual_rms_norm_over_positions(&self, h: Tensor<3>, f: Tensor<3>, eps: f64) -> Tensor<3> {
        rms_norm(h.swap_dims(1, 2) + f, eps).swap_dims(1, 2)
    }

    fn attention(&self, qkv: Tensor<3>, heads: usize, rotary: Option<&Rotary>) -> Tensor<3> {
        let [b, s, w] = qkv.dims();
        let head_dim = w / (3 * heads);
        // [B, S, 3·H, hd]: head slots 0..H are Q, H..2H are K, 2H..3H are V.
        let qkv = qkv.reshape([b, s, 3 * heads, head_dim]);
        let part = |i: usize| qkv.clone().narrow(2, i * heads, heads).swap_dims(1, 2);
        let (mut q, mut k, v) = (part(0), part(1), part(2));
        if let Some(rot) = rotary {
            q = rot.apply(q);
            k = rot.apply(k);
        }
        softmax_attention(q, k, v).swap_dims(1, 2).reshape([b, s, heads * head_dim])
    }

    fn row_shards<T: Send>(&self, _: usize, _: &Device, _: impl Fn(usize, usize) -> T + Sync) -> Option<Vec<T>> {
        None
    }

    fn on_pool<R: Send>(&self, _: &Device, f: impl FnOnce() -> R + Send) -> R {
        f()
    }
}

/// softmax(q·kᵀ/√d)·v over `[B, H, S, d]` heads. The value product is normalised after it,
/// (e·v) / Σe with e = exp(s − max s), instead of the weights before it, which spares a pass
/// over the `[S, S]` weights, the largest tensor; and without masks no row is all −∞, so burn's
/// two clamps guarding against that (and their kernels) go too.
fn softmax_attention(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>) -> Tensor<4> {
    let scale = (q.dims()[3] as f64).sqrt().recip();
    let scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(scale);
    // The shift only keeps exp finite; the result does not depend on it, so neither does its gradient.
    let shift = scores.clone().max_dim(3).detach();
    let weights = (scores - shift).exp();
    let sum = weights.clone().sum_dim(3);
    weights.matmul(v) / sum
}

/// The fused CPU kernels ([`cpu`]) for plain f32 tensors on burn's CPU backend, the trainer's
/// SwiGLU gate under autodiff there, and [`Reference`] for everything else.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fused;

impl FusedOps for Fused {
    fn linear<const D: usize>(&self, x: Tensor<D>, weight: &Weight, bias: Option<&Tensor<1>>) -> Tensor<D> {
        if bias.is_none() {
            if let Some(y) = cpu::linear(&x, weight) {
                return y;
            }
        }
        Reference.linear(x, weight, bias)
    }

    fn swiglu_gate(&self, gate_up: Tensor<3>) -> Tensor<3> {
        if let Some(y) = cpu::swiglu(&gate_up) {
            return y;
        }
        #[cfg(feature = "autodiff")]
        if let Some(y) = cpu::swiglu_tracked(&gate_up) {
            return y;
        }
        Reference.swiglu_gate(gate_up)
    }

    fn residual_rms_norm(&self, h: Tensor<3>, f: Tensor<3>, eps: f64) -> Tensor<3> {
        cpu::residual_rms_norm(&h, &f, eps).unwrap_or_else(|| Reference.residual_rms_norm(h, f, eps))
    }

    fn residual_rms_norm_over_positions(&self, h: Tensor<3>, f: Tensor<3>, eps: f64) -> Tensor<3> {
        cpu::residual_rms_norm_over_positions(&h, &f, eps)
            .unwrap_or_else(|| Reference.residual_rms_norm_over_positions(h, f, eps))
    }

    fn attention(&self, qkv: Tensor<3>, heads: usize, rotary: Option<&Rotary>) -> Tensor<3> {
        cpu::attention(&qkv, heads, rotary).unwrap_or_else(|| Reference.attention(qkv, heads, rotary))
    }

    #[cfg(feature = "rayon")]
    fn row_shards<T: Send>(&self, rows: usize, device: &Device, f: impl Fn(usize, usize) -> T + Sync) -> Option<Vec<T>> {
        use rayon::prelude::*;
        if *device != Device::flex() {
            return None;
        }
        let shards = threads::available().min(rows);
        if shards < 2 {
            return None;
        }
        let ranges: Vec<(usize, usize)> = even_ranges(rows, shards).collect();
        Some(ranges.into_par_iter().map(|(start, len)| threads::shard(|| f(start, len))).collect())
    }

    #[cfg(not(feature = "rayon"))]
    fn row_shards<T: Send>(&self, _: usize, _: &Device, _: impl Fn(usize, usize) -> T + Sync) -> Option<Vec<T>> {
        None
    }

    fn on_pool<R: Send>(&self, device: &Device, f: impl FnOnce() -> R + Send) -> R {
        #[cfg(feature = "rayon")]
        if *device == Device::flex() {
            return threads::on_pool(f);
        }
        let _ = device;
        f()
    }
}

/// `rows` cut into `shards` contiguous ranges as even as they come, `(start, len)` in row order:
/// how a batch is split across threads (inference and training).
pub fn even_ranges(rows: usize, shards: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..shards).map(move |i| (i * rows / shards, (i + 1) * rows / shards - i * rows / shards))
}

#[cfg(test)]
mod tests;
