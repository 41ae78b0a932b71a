//! The TRM network: one tiny stack of blocks (`L_level`) applied recursively to a latent `z_L`
//! and an answer `z_H`. Field names mirror the reference state dict (`inner.*`), so loading
//! weights is a name match (see [`crate::weights`]).

pub mod layers;

use burn::tensor::{Device, Int, Tensor};
use trm_kernels::{Fused, FusedOps};

pub use layers::{Attention, Block, Embedding, Linear, Rotary, SwiGlu, rms_norm};

/// See [`layers`]: the ops decide where the fused CPU kernels and the thread pool apply.
const OPS: Fused = Fused;

use crate::config::{PosEncoding, TrmConfig};
use crate::weights::{HostTensor, TensorMap, WeightsError};

/// Something that walks the trainable tensors: the trainer (autodiff, optimizer, EMA) and the
/// exporter. `transposed` marks linear weights, kept as burn's `[in, out]` while the reference
/// names them in `[out, in]`.
pub trait ParamVisitor {
    fn visit<const D: usize>(&mut self, name: &str, param: &mut Tensor<D>, transposed: bool);
}

pub use trm_kernels::even_ranges as row_shards;

/// A device tensor copied to the host.
pub fn host_tensor<const D: usize>(t: Tensor<D>) -> HostTensor {
    let shape = t.dims().to_vec();
    HostTensor::new(shape, t.into_data().iter::<f32>().collect())
}

/// `L_level`: the shared network f(h, inj) = blocks(h + inj).
#[derive(Debug, Clone)]
pub struct ReasoningModule {
    pub layers: Vec<Block>,
}

/// The puzzle-embedding table (`puzzle_emb.weights`, one row per puzzle identifier).
#[derive(Debug, Clone)]
pub struct PuzzleEmbedding {
    pub weights: Tensor<2>,
}

/// The recursion state: the answer latent `z_H` (paper: y) and the reasoning latent `z_L`
/// (paper: z), each `[B, prefix + seq_len, hidden]`.
#[derive(Debug, Clone)]
pub struct Carry {
    pub z_h: Tensor<3>,
    pub z_l: Tensor<3>,
}

/// Which inner update an intermediate decode follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum InnerUpdate {
    /// After latent update `l` of outer cycle `h`: lm_head applied to `z_L`.
    Latent { h: usize, l: usize },
    /// After the answer update of outer cycle `h`: lm_head applied to `z_H`.
    Answer { h: usize },
}

/// Outputs of one supervision step, still on the device.
pub struct StepOutput {
    pub carry: Carry,
    /// `[B, seq_len, vocab]`
    pub logits: Tensor<3>,
    /// `[B, 2]`: q_halt, q_continue.
    pub q: Tensor<2>,
    /// Decoded intermediate logits, when asked for.
    pub inner: Vec<(InnerUpdate, Tensor<3>)>,
}

impl StepOutput {
    /// The outputs of consecutive row shards as one batch, in row order.
    fn concat(parts: Vec<StepOutput>) -> StepOutput {
        let cat3 = |f: &dyn Fn(&StepOutput) -> Tensor<3>| Tensor::cat(parts.iter().map(f).collect(), 0);
        let inner = (0..parts[0].inner.len())
            .map(|k| (parts[0].inner[k].0, cat3(&|p: &StepOutput| p.inner[k].1.clone())))
            .collect();
        StepOutput {
            carry: Carry { z_h: cat3(&|p| p.carry.z_h.clone()), z_l: cat3(&|p| p.carry.z_l.clone()) },
            logits: cat3(&|p| p.logits.clone()),
            q: Tensor::cat(parts.iter().map(|p| p.q.clone()).collect(), 0),
            inner,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Trm {
    pub config: TrmConfig,
    pub embed_tokens: Embedding,
    pub lm_head: Linear,
    pub q_head: Linear,
    pub puzzle_emb: Option<PuzzleEmbedding>,
    pub embed_pos: Option<Embedding>,
    pub rotary_emb: Option<Rotary>,
    pub l_level: ReasoningModule,
    /// Initial `z_H` row, `[hidden]` (a persistent bf16 buffer in the reference).
    pub h_init: Tensor<1>,
    pub l_init: Tensor<1>,
}

impl Trm {
    /// Build the network from named host tensors, consuming every one of them: a missing, extra
    /// or wrongly shaped tensor is an error naming its key.
    pub fn from_tensors(
        config: TrmConfig,
        tensors: &mut TensorMap,
        device: &Device,
    ) -> Result<Self, WeightsError> {
        config.validate()?;
        let d = config.hidden_size;
        let s = config.total_len();
        let inter = config.swiglu_inter(d);
        let linear = |t: &mut TensorMap, key: &str, out: usize, inp: usize, bias: bool| {
            let w = t.take(&format!("{key}.weight"), &[out, inp])?;
            let bias = if bias {
                Some(t.take(&format!("{key}.bias"), &[out])?.to_tensor::<1>(device))
            } else {
                None
            };
            Ok::<_, WeightsError>(Linear::new(w.transposed_2d().to_tensor(device), bias))
        };
        let swiglu = |t: &mut TensorMap, key: &str, width: usize, inter: usize| {
            Ok::<_, WeightsError>(SwiGlu {
                gate_up_proj: linear(t, &format!("{key}.gate_up_proj"), 2 * inter, width, false)?,
                down_proj: linear(t, &format!("{key}.down_proj"), width, inter, false)?,
            })
        };

        let embed_tokens = Embedding {
            embedding_weight: tensors
                .take("embed_tokens.embedding_weight", &[config.vocab_size, d])?
                .to_tensor(device),
        };
        let lm_head = linear(tensors, "lm_head", config.vocab_size, d, false)?;
        let q_head = linear(tensors, "q_head", 2, d, true)?;
        let puzzle_emb = if config.puzzle_emb_ndim > 0 {
            let key = "puzzle_emb.weights";
            if let Some(shape) = tensors.shape(key) {
                if shape.len() == 2
                    && shape[1] == config.puzzle_emb_ndim
                    && shape[0] != config.num_puzzle_identifiers
                {
                    return Err(WeightsError::PuzzleRows {
                        key: key.into(),
                        found: shape[0],
                        expected: config.num_puzzle_identifiers,
                    });
                }
            }
            let w = tensors.take(key, &[config.num_puzzle_identifiers, config.puzzle_emb_ndim])?;
            Some(PuzzleEmbedding { weights: w.to_tensor(device) })
        } else {
            None
        };
        let embed_pos = if config.pos_encodings == PosEncoding::Learned {
            Some(Embedding {
                embedding_weight: tensors.take("embed_pos.embedding_weight", &[s, d])?.to_tensor(device),
            })
        } else {
            None
        };
        let rotary_emb = (config.pos_encodings == PosEncoding::Rope)
            .then(|| Rotary::new(s, config.head_dim(), config.rope_theta, device));
        let mut layers = Vec::with_capacity(config.l_layers);
        for i in 0..config.l_layers {
            let key = format!("L_level.layers.{i}");
            let (self_attn, mlp_t) = if config.mlp_t {
                let inter_t = config.swiglu_inter(s);
                (None, Some(swiglu(tensors, &format!("{key}.mlp_t"), s, inter_t)?))
            } else {
                let attn = Attention {
                    qkv_proj: linear(tensors, &format!("{key}.self_attn.qkv_proj"), 3 * d, d, false)?,
                    o_proj: linear(tensors, &format!("{key}.self_attn.o_proj"), d, d, false)?,
                    num_heads: config.num_heads,
                };
                (Some(attn), None)
            };
            let mlp = swiglu(tensors, &format!("{key}.mlp"), d, inter)?;
            layers.push(Block { self_attn, mlp_t, mlp, eps: config.rms_norm_eps });
        }
        let h_init = tensors.take("H_init", &[d])?.to_tensor(device);
        let l_init = tensors.take("L_init", &[d])?.to_tensor(device);
        tensors.ensure_consumed()?;
        Ok(Self {
            config,
            embed_tokens,
            lm_head,
            q_head,
            puzzle_emb,
            embed_pos,
            rotary_emb,
            l_level: ReasoningModule { layers },
            h_init,
            l_init,
        })
    }

    /// x = sqrt(D) · [puzzle prefix ; token embeddings] (+ learned positions), `[B, S, D]`.
    /// Inputs must already be range-checked (see [`crate::recursion::Batch`]).
    pub fn input_embeddings(&self, tokens: Tensor<2, Int>, puzzle_ids: Tensor<1, Int>) -> Tensor<3> {
        let rows = self.puzzle_rows(puzzle_ids);
        self.embed(tokens, rows)
    }

    /// The puzzle-embedding rows of a batch, `[B, puzzle_emb_ndim]` (None without a table).
    /// The trainer gathers them itself: they are trained by a sparse step of their own.
    pub fn puzzle_rows(&self, puzzle_ids: Tensor<1, Int>) -> Option<Tensor<2>> {
        self.puzzle_emb.as_ref().map(|p| p.weights.clone().select(0, puzzle_ids))
    }

    /// [`Self::input_embeddings`] from already gathered puzzle rows.
    pub fn embed(&self, tokens: Tensor<2, Int>, puzzle_rows: Option<Tensor<2>>) -> Tensor<3> {
        let cfg = &self.config;
        let d = cfg.hidden_size;
        let [b, _] = tokens.dims();
        let mut x = self.embed_tokens.forward(tokens);
        if let Some(p) = puzzle_rows {
            let prefix = cfg.prefix_len();
            let pad = prefix * d - cfg.puzzle_emb_ndim;
            let p = if pad > 0 {
                let zeros = Tensor::zeros([b, pad], &p.device());
                Tensor::cat(vec![p, zeros], 1)
            } else {
                p
            };
            x = Tensor::cat(vec![p.reshape([b, prefix, d]), x], 1);
        }
        if let Some(pos) = &self.embed_pos {
            // The reference scales by 1/sqrt(2) written as this literal.
            x = (x + pos.embedding_weight.clone().unsqueeze::<3>()).mul_scalar(0.707106781f32);
        }
        x.mul_scalar((d as f64).sqrt())
    }

    /// The shared network: f(h, inj) = blocks(h + inj).
    pub fn net(&self, h: Tensor<3>, inj: Tensor<3>) -> Tensor<3> {
        let mut h = h + inj;
        for block in &self.l_level.layers {
            h = block.forward(h, self.rotary_emb.as_ref());
        }
        h
    }

    /// z_H = H_init and z_L = L_init at every position of every row.
    pub fn initial_carry(&self, batch: usize) -> Carry {
        let s = self.config.total_len();
        let d = self.config.hidden_size;
        let expand = |v: &Tensor<1>| v.clone().reshape([1, 1, d]).expand([batch, s, d]);
        Carry { z_h: expand(&self.h_init), z_l: expand(&self.l_init) }
    }

    /// lm_head on the grid positions, `[B, seq_len, vocab]`.
    pub fn decode(&self, z: Tensor<3>) -> Tensor<3> {
        let prefix = self.config.prefix_len();
        let seq = self.config.seq_len;
        self.lm_head.forward(z.narrow(1, prefix, seq))
    }

    /// One outer cycle: L_cycles latent updates z_L = f(z_L, z_H + x), then the answer update
    /// z_H = f(z_H, z_L).
    pub fn outer_cycle(&self, carry: Carry, x: &Tensor<3>) -> Carry {
        let Carry { z_h, mut z_l } = carry;
        let inj = z_h.clone() + x.clone();
        for _ in 0..self.config.l_cycles {
            z_l = self.net(z_l, inj.clone());
        }
        Carry { z_h: self.net(z_h, z_l.clone()), z_l }
    }

    /// `[B, 2]` (q_halt, q_continue) from position 0 of z_H.
    pub fn q_logits(&self, z_h: Tensor<3>) -> Tensor<2> {
        let [b, _, d] = z_h.dims();
        self.q_head.forward(z_h.narrow(1, 0, 1).reshape([b, d]))
    }

    /// One supervision step: H_cycles × { L_cycles latent updates; one answer update }, then the
    /// heads. With `inner`, also decode after every latent and answer update.
    ///
    /// Rows are independent, so where the ops say it pays (the CPU with several threads) the
    /// batch runs as row shards side by side: flex computes the small elementwise ops of one
    /// call on one thread, so a batch alone keeps one core busy.
    pub fn step(&self, carry: Carry, x: &Tensor<3>, inner: bool) -> StepOutput {
        let device = x.device();
        let [b, _, _] = x.dims();
        OPS.on_pool(&device, || {
            let parts = OPS.row_shards(b, &device, |start, len| {
                let rows = |t: &Tensor<3>| t.clone().narrow(0, start, len);
                self.step_whole(Carry { z_h: rows(&carry.z_h), z_l: rows(&carry.z_l) }, &rows(x), inner)
            });
            match parts {
                Some(parts) => StepOutput::concat(parts),
                None => self.step_whole(carry, x, inner),
            }
        })
    }

    fn step_whole(&self, carry: Carry, x: &Tensor<3>, inner: bool) -> StepOutput {
        let mut carry = carry;
        let mut decoded = Vec::new();
        for h in 0..self.config.h_cycles {
            if !inner {
                carry = self.outer_cycle(carry, x);
                continue;
            }
            // The same cycle as `outer_cycle`, decoding after every update.
            let Carry { z_h, mut z_l } = carry;
            let inj = z_h.clone() + x.clone();
            for l in 0..self.config.l_cycles {
                z_l = self.net(z_l, inj.clone());
                decoded.push((InnerUpdate::Latent { h, l }, self.decode(z_l.clone())));
            }
            let z_h = self.net(z_h, z_l.clone());
            decoded.push((InnerUpdate::Answer { h }, self.decode(z_h.clone())));
            carry = Carry { z_h, z_l };
        }
        let logits = self.decode(carry.z_h.clone());
        let q = self.q_logits(carry.z_h.clone());
        StepOutput { carry, logits, q, inner: decoded }
    }

    /// Visit every trainable tensor under its reference name (not the puzzle-embedding table,
    /// which trains by its own sparse rule, nor the H_init/L_init buffers).
    pub fn visit_params(&mut self, v: &mut impl ParamVisitor) {
        v.visit("embed_tokens.embedding_weight", &mut self.embed_tokens.embedding_weight, false);
        if let Some(pos) = &mut self.embed_pos {
            v.visit("embed_pos.embedding_weight", &mut pos.embedding_weight, false);
        }
        v.visit("lm_head.weight", self.lm_head.weight_mut(), true);
        v.visit("q_head.weight", self.q_head.weight_mut(), true);
        if let Some(bias) = &mut self.q_head.bias {
            v.visit("q_head.bias", bias, false);
        }
        for (i, block) in self.l_level.layers.iter_mut().enumerate() {
            let p = format!("L_level.layers.{i}");
            if let Some(attn) = &mut block.self_attn {
                v.visit(&format!("{p}.self_attn.qkv_proj.weight"), attn.qkv_proj.weight_mut(), true);
                v.visit(&format!("{p}.self_attn.o_proj.weight"), attn.o_proj.weight_mut(), true);
            }
            for (name, sg) in [("mlp_t", block.mlp_t.as_mut()), ("mlp", Some(&mut block.mlp))] {
                if let Some(sg) = sg {
                    v.visit(&format!("{p}.{name}.gate_up_proj.weight"), sg.gate_up_proj.weight_mut(), true);
                    v.visit(&format!("{p}.{name}.down_proj.weight"), sg.down_proj.weight_mut(), true);
                }
            }
        }
    }

    /// The trainable tensors, flattened, in [`Self::visit_params`] order.
    pub fn params_flat(&self) -> Vec<Tensor<1>> {
        struct Collect(Vec<Tensor<1>>);
        impl ParamVisitor for Collect {
            fn visit<const D: usize>(&mut self, _: &str, p: &mut Tensor<D>, _: bool) {
                let n = p.shape().num_elements();
                self.0.push(p.clone().reshape([n]));
            }
        }
        let mut c = Collect(Vec::new());
        self.clone().visit_params(&mut c);
        c.0
    }

    /// Replace the trainable tensors by `values` (as [`Self::params_flat`] gives them).
    pub fn set_params_flat(&mut self, values: Vec<Tensor<1>>) {
        struct Assign(std::vec::IntoIter<Tensor<1>>);
        impl ParamVisitor for Assign {
            fn visit<const D: usize>(&mut self, name: &str, p: &mut Tensor<D>, _: bool) {
                let v = self.0.next().unwrap_or_else(|| panic!("no value for `{name}`"));
                *p = v.reshape(p.shape());
            }
        }
        let mut a = Assign(values.into_iter());
        self.visit_params(&mut a);
        assert!(a.0.next().is_none(), "more values than parameters");
    }

    /// Every tensor on the host under its reference name and `[out, in]` layout: what the web
    /// format and training checkpoints store.
    pub fn to_tensors(&self) -> TensorMap {
        struct Host(TensorMap);
        impl ParamVisitor for Host {
            fn visit<const D: usize>(&mut self, name: &str, p: &mut Tensor<D>, transposed: bool) {
                let t = host_tensor(p.clone());
                let t = if transposed { t.transposed_2d() } else { t };
                self.0.insert(name, t).expect("unique parameter names");
            }
        }
        let mut h = Host(TensorMap::new());
        self.clone().visit_params(&mut h);
        let mut map = h.0;
        let mut put = |name: &str, t: HostTensor| map.insert(name, t).expect("unique names");
        if let Some(p) = &self.puzzle_emb {
            put("puzzle_emb.weights", host_tensor(p.weights.clone()));
        }
        put("H_init", host_tensor(self.h_init.clone()));
        put("L_init", host_tensor(self.l_init.clone()));
        map
    }

    /// Random weights of the right shapes (for benchmarks and tests), built through the same
    /// loader as real checkpoints.
    pub fn random(config: TrmConfig, seed: u64, device: &Device) -> Result<Self, WeightsError> {
        let mut tensors = TensorMap::random_for(&config, seed)?;
        Self::from_tensors(config, &mut tensors, device)
    }
}
