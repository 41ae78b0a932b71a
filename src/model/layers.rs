//! The reference's building blocks: CastedLinear, CastedEmbedding, SwiGLU, RoPE attention and
//! the post-norm block. Field names mirror the reference state dict.

use burn::tensor::activation::silu;
use burn::tensor::module::{embedding, linear};
use burn::tensor::{Device, Int, Tensor, TensorData};

/// RMSNorm without a learnable scale over the last axis: v / sqrt(mean(v²) + eps).
pub fn rms_norm<const D: usize>(x: Tensor<D>, eps: f64) -> Tensor<D> {
    let var = x.clone().square().mean_dim(D - 1);
    x * var.add_scalar(eps).sqrt().recip()
}

/// `CastedLinear`: y = x·Wᵀ (+ b). The weight is kept as burn's `[in, out]` (the checkpoint's
/// `[out, in]` transposed once at load).
#[derive(Debug, Clone)]
pub struct Linear {
    pub weight: Tensor<2>,
    pub bias: Option<Tensor<1>>,
    /// The weight packed for the CPU backend's product (`cpu::linear`) on first use, shared by
    /// clones. Whoever replaces `weight` empties it ([`Linear::weight_mut`]).
    pub packed: PackedSlot,
}

/// Where a [`Linear`] keeps its packed weight (nothing without a CPU backend).
#[cfg(any(feature = "flex", target_family = "wasm"))]
pub type PackedSlot = std::sync::OnceLock<std::sync::Arc<super::matmul::PackedWeight>>;
#[cfg(not(any(feature = "flex", target_family = "wasm")))]
pub type PackedSlot = ();

impl Linear {
    pub fn new(weight: Tensor<2>, bias: Option<Tensor<1>>) -> Self {
        Self { weight, bias, packed: PackedSlot::default() }
    }

    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        #[cfg(any(feature = "flex", target_family = "wasm"))]
        if let Some(y) = super::cpu::linear(&x, self) {
            return y;
        }
        linear(x, self.weight.clone(), self.bias.clone())
    }

    /// The weight, for a visitor that may replace it: the packed copy is dropped first.
    pub fn weight_mut(&mut self) -> &mut Tensor<2> {
        self.packed = PackedSlot::default();
        &mut self.weight
    }

    pub fn out_features(&self) -> usize {
        self.weight.dims()[1]
    }
}

/// `CastedEmbedding`: a `[num, dim]` table.
#[derive(Debug, Clone)]
pub struct Embedding {
    pub embedding_weight: Tensor<2>,
}

impl Embedding {
    pub fn forward(&self, ids: Tensor<2, Int>) -> Tensor<3> {
        embedding(self.embedding_weight.clone(), ids)
    }
}

/// SwiGLU: down(silu(gate) ⊙ up), with gate and up the two halves of one `gate_up_proj`.
#[derive(Debug, Clone)]
pub struct SwiGlu {
    pub gate_up_proj: Linear,
    pub down_proj: Linear,
}

impl SwiGlu {
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let inter = self.gate_up_proj.out_features() / 2;
        let gate_up = self.gate_up_proj.forward(x);
        #[cfg(any(feature = "flex", target_family = "wasm"))]
        if let Some(gated) = super::cpu::swiglu(&gate_up) {
            return self.down_proj.forward(gated);
        }
        #[cfg(all(feature = "flex", feature = "train"))]
        if let Some(gated) = super::cpu::swiglu_tracked(&gate_up) {
            return self.down_proj.forward(gated);
        }
        let gate = gate_up.clone().narrow(2, 0, inter);
        let up = gate_up.narrow(2, inter, inter);
        self.down_proj.forward(silu(gate) * up)
    }
}

/// NeoX ("rotate-half") rotary tables for positions 0..S, position 0 being the first prefix slot.
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

    /// Rotate `[B, H, S, head_dim]`.
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

/// Non-causal multi-head self-attention with a fused `qkv_proj`.
#[derive(Debug, Clone)]
pub struct Attention {
    pub qkv_proj: Linear,
    pub o_proj: Linear,
    pub num_heads: usize,
}

impl Attention {
    pub fn forward(&self, h: Tensor<3>, rotary: Option<&Rotary>) -> Tensor<3> {
        let [b, s, d] = h.dims();
        let heads = self.num_heads;
        let head_dim = d / heads;
        let qkv = self.qkv_proj.forward(h);
        #[cfg(any(feature = "flex", target_family = "wasm"))]
        if let Some(out) = super::cpu::attention(&qkv, heads, rotary) {
            return self.o_proj.forward(out);
        }
        // [B, S, 3·H, hd]: head slots 0..H are Q, H..2H are K, 2H..3H are V.
        let qkv = qkv.reshape([b, s, 3 * heads, head_dim]);
        let part = |i: usize| qkv.clone().narrow(2, i * heads, heads).swap_dims(1, 2);
        let (mut q, mut k, v) = (part(0), part(1), part(2));
        if let Some(rot) = rotary {
            q = rot.apply(q);
            k = rot.apply(k);
        }
        let out = attention(q, k, v);
        self.o_proj.forward(out.swap_dims(1, 2).reshape([b, s, d]))
    }
}

/// softmax(q·kᵀ/√d)·v over `[B, H, S, d]` heads, as the GPU backends and the trainer run it (CPU
/// inference takes `cpu::attention`): the value product
/// is normalised after it, (e·v) / Σe with e = exp(s − max s), instead of the weights before it,
/// which spares a pass over the `[S, S]` weights, the largest tensor; and without masks no row
/// is all −∞, so burn's two clamps guarding against that (and their kernels) go too.
fn attention(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>) -> Tensor<4> {
    let scale = (q.dims()[3] as f64).sqrt().recip();
    let scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(scale);
    // The shift only keeps exp finite; the result does not depend on it, so neither does its gradient.
    let shift = scores.clone().max_dim(3).detach();
    let weights = (scores - shift).exp();
    let sum = weights.clone().sum_dim(3);
    weights.matmul(v) / sum
}

/// One post-norm block: token mixing (attention, or a SwiGLU over the sequence axis when
/// `mlp_t`), then the channel SwiGLU, each followed by RMSNorm of the residual sum.
#[derive(Debug, Clone)]
pub struct Block {
    pub self_attn: Option<Attention>,
    pub mlp_t: Option<SwiGlu>,
    pub mlp: SwiGlu,
    pub eps: f64,
}

impl Block {
    pub fn forward(&self, h: Tensor<3>, rotary: Option<&Rotary>) -> Tensor<3> {
        let h = match (&self.mlp_t, &self.self_attn) {
            (Some(mix), _) => {
                let mixed = mix.forward(h.clone().swap_dims(1, 2));
                self.post_norm_over_positions(h, mixed)
            }
            (None, Some(attn)) => self.post_norm(h.clone(), attn.forward(h, rotary)),
            (None, None) => h,
        };
        self.post_norm(h.clone(), self.mlp.forward(h))
    }

    /// `rms_norm(hᵀ + f)ᵀ` for the token-mixing MLP's output `f` (`[B, C, S]`): each channel is
    /// normalised across positions, the transposed axis.
    fn post_norm_over_positions(&self, h: Tensor<3>, f: Tensor<3>) -> Tensor<3> {
        #[cfg(any(feature = "flex", target_family = "wasm"))]
        if let Some(out) = super::cpu::residual_rms_norm_over_positions(&h, &f, self.eps) {
            return out;
        }
        rms_norm(h.swap_dims(1, 2) + f, self.eps).swap_dims(1, 2)
    }

    /// `rms_norm(h + f)`.
    fn post_norm(&self, h: Tensor<3>, f: Tensor<3>) -> Tensor<3> {
        #[cfg(any(feature = "flex", target_family = "wasm"))]
        if let Some(out) = super::cpu::residual_rms_norm(&h, &f, self.eps) {
            return out;
        }
        rms_norm(h + f, self.eps)
    }
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;

    fn dev() -> Device {
        Device::flex()
    }

    fn t<const D: usize>(data: Vec<f32>, shape: [usize; D]) -> Tensor<D> {
        Tensor::from_data(TensorData::new(data, shape), &dev())
    }

    fn host<const D: usize>(x: Tensor<D>) -> Vec<f32> {
        x.into_data().iter::<f32>().collect()
    }

    fn close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn rms_norm_divides_by_root_mean_square() {
        // [3, 4]: mean of squares 12.5 → scale 1/sqrt(12.5 + eps).
        let y = host(rms_norm(t(vec![3.0, 4.0], [1, 2]), 0.0));
        let s = 12.5f32.sqrt();
        close(&y, &[3.0 / s, 4.0 / s]);
        // eps counts: a zero row stays zero, and eps = 1 shrinks [1, 1] to 1/sqrt(2).
        close(&host(rms_norm(t(vec![0.0, 0.0], [1, 2]), 1e-5)), &[0.0, 0.0]);
        close(&host(rms_norm(t(vec![1.0, 1.0], [1, 2]), 1.0)), &[0.5f32.sqrt(); 2]);
    }

    #[test]
    fn linear_uses_transposed_weight_and_bias() {
        // burn layout [in=2, out=3]: y = x·W + b.
        let lin = Linear::new(t(vec![1., 2., 3., 4., 5., 6.], [2, 3]), Some(t(vec![0.5, 0., -1.], [3])));
        close(&host(lin.forward(t(vec![1.0, 1.0], [1, 2]))), &[5.5, 7.0, 8.0]);
    }

    #[test]
    fn swiglu_gates_the_first_half() {
        // gate_up: x → [gate, up] = [x, 2x]; down: sum. out = silu(x)·2x.
        let sg = SwiGlu {
            gate_up_proj: Linear::new(t(vec![1.0, 2.0], [1, 2]), None),
            down_proj: Linear::new(t(vec![1.0], [1, 1]), None),
        };
        let x = 1.5f32;
        let silu = x / (1.0 + (-x).exp());
        close(&host(sg.forward(t(vec![x], [1, 1, 1]))), &[silu * 2.0 * x]);
    }

    #[test]
    fn rotary_rotates_halves_neox_style() {
        let rot = Rotary::new(3, 4, 10000.0, &dev());
        // Position 2, head_dim 4: inv_freq = [1, 0.01]; q = [1, 0, 0, 0] → q·cos + rotate_half(q)·sin,
        // rotate_half(q) = [-q2, -q3, q0, q1] = [0, 0, 1, 0].
        let mut q = vec![0.0; 12];
        q[8] = 1.0;
        let y = host(rot.apply(t(q, [1, 1, 3, 4])));
        close(&y[8..], &[2f32.cos(), 0.0, 2f32.sin(), 0.0]);
        // Position 0 is the identity.
        let y0 = host(rot.apply(t(vec![1., 2., 3., 4., 0., 0., 0., 0., 0., 0., 0., 0.], [1, 1, 3, 4])));
        close(&y0[..4], &[1., 2., 3., 4.]);
    }

    #[test]
    fn attention_averages_values_with_softmax_weights() {
        // One head of width 1, identity projections, no rotary: out_i = Σ_j softmax(q_i k_j)·v_j.
        let attn = Attention {
            qkv_proj: Linear::new(t(vec![1.0, 1.0, 1.0], [1, 3]), None),
            o_proj: Linear::new(t(vec![1.0], [1, 1]), None),
            num_heads: 1,
        };
        let xs = [0.5f32, -1.0];
        let y = host(attn.forward(t(xs.to_vec(), [1, 2, 1]), None));
        for (i, &q) in xs.iter().enumerate() {
            let w: Vec<f32> = xs.iter().map(|&k| (q * k).exp()).collect();
            let want = (w[0] * xs[0] + w[1] * xs[1]) / (w[0] + w[1]);
            assert!((y[i] - want).abs() < 1e-5, "{y:?}");
        }
    }
}
