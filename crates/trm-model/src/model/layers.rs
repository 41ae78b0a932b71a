//! The reference's building blocks: CastedLinear, CastedEmbedding, SwiGLU, RoPE attention and
//! the post-norm block. Field names mirror the reference state dict.

use burn::tensor::module::embedding;
use burn::tensor::{Int, Tensor};
use trm_kernels::{Fused, FusedOps, Weight};

pub use trm_kernels::{Rotary, rms_norm};

/// The ops every layer calls: the fused CPU kernels where they apply, plain burn ops elsewhere
/// (`trm-kernels` decides from the tensors; the model never names a backend).
const OPS: Fused = Fused;

/// `CastedLinear`: y = x·Wᵀ (+ b). The weight is kept as burn's `[in, out]` (the checkpoint's
/// `[out, in]` transposed once at load).
#[derive(Debug, Clone)]
pub struct Linear {
    pub weight: Weight,
    pub bias: Option<Tensor<1>>,
}

impl Linear {
    pub fn new(weight: Tensor<2>, bias: Option<Tensor<1>>) -> Self {
        Self { weight: Weight::new(weight), bias }
    }

    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        OPS.linear(x, &self.weight, self.bias.as_ref())
    }

    /// The weight, for a visitor that may replace it.
    pub fn weight_mut(&mut self) -> &mut Tensor<2> {
        self.weight.tensor_mut()
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
        self.down_proj.forward(OPS.swiglu_gate(self.gate_up_proj.forward(x)))
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
        let heads = OPS.attention(self.qkv_proj.forward(h), self.num_heads, rotary);
        self.o_proj.forward(heads)
    }
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
                // Each channel mixed across positions, then normalised across them.
                let mixed = mix.forward(h.clone().swap_dims(1, 2));
                OPS.residual_rms_norm_over_positions(h, mixed, self.eps)
            }
            (None, Some(attn)) => OPS.residual_rms_norm(h.clone(), attn.forward(h, rotary), self.eps),
            (None, None) => h,
        };
        OPS.residual_rms_norm(h.clone(), self.mlp.forward(h), self.eps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

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
