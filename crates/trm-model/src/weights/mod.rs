//! Named weights on the host: read from reference checkpoints (zip-pickle `step_N` files or
//! safetensors) and from/to the compact web format, before [`crate::model::Trm::from_tensors`]
//! places them on a device.
//!
//! Keys are normalised by stripping the reference's wrapper prefixes (`_orig_mod.`, `model.`,
//! `inner.`), so `_orig_mod.model.inner.lm_head.weight` becomes `lm_head.weight`.

#[cfg(not(target_family = "wasm"))]
pub mod checkpoint;
pub mod web;

use std::collections::BTreeMap;

use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::config::{ConfigError, TrmConfig};

#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("missing tensor `{0}`")]
    Missing(String),
    #[error("tensor `{key}` has shape {found:?}, expected {expected:?}")]
    Shape { key: String, found: Vec<usize>, expected: Vec<usize> },
    #[error("tensor `{key}` has {found} puzzle-embedding rows but the config says num_puzzle_identifiers = {expected}; \
             the table only makes sense with the identifiers of its own dataset build")]
    PuzzleRows { key: String, found: usize, expected: usize },
    #[error("unused tensors (not part of this architecture): {}", .0.join(", "))]
    Unused(Vec<String>),
    #[error("tensor `{key}` appears twice (as `{first}` and `{second}`)")]
    Duplicate { key: String, first: String, second: String },
    #[error("tensor `{key}` has unsupported element type {dtype}")]
    Dtype { key: String, dtype: String },
    #[error("{0}")]
    Format(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// One tensor on the host, always f32 (bf16/f16 sources are widened exactly).
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl HostTensor {
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        Self { shape, data }
    }

    /// `[out, in]` → `[in, out]` (PyTorch linear layout to burn's).
    pub fn transposed_2d(&self) -> Self {
        let (r, c) = (self.shape[0], self.shape[1]);
        let mut out = vec![0.0; r * c];
        for i in 0..r {
            for j in 0..c {
                out[j * r + i] = self.data[i * c + j];
            }
        }
        Self { shape: vec![c, r], data: out }
    }

    pub fn to_tensor<const D: usize>(&self, device: &Device) -> Tensor<D> {
        Tensor::from_data(TensorData::new(self.data.clone(), self.shape.clone()), device)
    }
}

/// The prefixes the reference trainer wraps around module paths.
pub fn normalize_key(key: &str) -> &str {
    let mut k = key;
    for prefix in ["_orig_mod.", "model.", "inner."] {
        k = k.strip_prefix(prefix).unwrap_or(k);
    }
    k
}

/// Tensors by normalised name. Loading takes them out one by one, so leftovers are unused keys.
#[derive(Debug, Clone, Default)]
pub struct TensorMap {
    tensors: BTreeMap<String, (String, HostTensor)>,
}

impl TensorMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Insert under the normalised form of `raw_key`; two raw keys that normalise alike are an error.
    pub fn insert(&mut self, raw_key: &str, tensor: HostTensor) -> Result<(), WeightsError> {
        let key = normalize_key(raw_key).to_string();
        if let Some((first, _)) = self.tensors.get(&key) {
            return Err(WeightsError::Duplicate {
                key,
                first: first.clone(),
                second: raw_key.to_string(),
            });
        }
        self.tensors.insert(key, (raw_key.to_string(), tensor));
        Ok(())
    }

    pub fn shape(&self, key: &str) -> Option<&[usize]> {
        self.tensors.get(key).map(|(_, t)| t.shape.as_slice())
    }

    pub fn get(&self, key: &str) -> Option<&HostTensor> {
        self.tensors.get(key).map(|(_, t)| t)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.tensors.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &HostTensor)> {
        self.tensors.iter().map(|(k, (_, t))| (k.as_str(), t))
    }

    /// Remove a tensor, checking its shape.
    pub fn take(&mut self, key: &str, shape: &[usize]) -> Result<HostTensor, WeightsError> {
        let (raw, tensor) = self
            .tensors
            .remove(key)
            .ok_or_else(|| WeightsError::Missing(key.to_string()))?;
        if tensor.shape != shape {
            return Err(WeightsError::Shape {
                key: raw,
                found: tensor.shape,
                expected: shape.to_vec(),
            });
        }
        Ok(tensor)
    }

    pub fn ensure_consumed(&self) -> Result<(), WeightsError> {
        if self.tensors.is_empty() {
            Ok(())
        } else {
            Err(WeightsError::Unused(self.tensors.values().map(|(raw, _)| raw.clone()).collect()))
        }
    }

    /// Every tensor `config` needs, filled with seeded random values (LeCun-uniform weights,
    /// unit-scale initial states): what benchmarks and shape tests load.
    pub fn random_for(config: &TrmConfig, seed: u64) -> Result<Self, WeightsError> {
        config.validate()?;
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut map = Self::new();
        for (key, shape) in expected_shapes(config) {
            let fan_in = if shape.len() == 2 && key.ends_with(".weight") && !key.contains("embed") {
                shape[1]
            } else {
                1
            };
            let bound = (3.0 / fan_in as f32).sqrt();
            let n = shape.iter().product();
            let data = (0..n).map(|_| rng.random_range(-bound..bound)).collect();
            map.insert(&key, HostTensor::new(shape, data))?;
        }
        Ok(map)
    }
}

/// The state-dict keys and shapes of an architecture, in the reference's `[out, in]` layout.
pub fn expected_shapes(c: &TrmConfig) -> Vec<(String, Vec<usize>)> {
    let d = c.hidden_size;
    let s = c.total_len();
    let inter = c.swiglu_inter(d);
    let mut v = vec![
        ("H_init".to_string(), vec![d]),
        ("L_init".to_string(), vec![d]),
        ("embed_tokens.embedding_weight".to_string(), vec![c.vocab_size, d]),
        ("lm_head.weight".to_string(), vec![c.vocab_size, d]),
        ("q_head.weight".to_string(), vec![2, d]),
        ("q_head.bias".to_string(), vec![2]),
    ];
    if c.puzzle_emb_ndim > 0 {
        v.push(("puzzle_emb.weights".into(), vec![c.num_puzzle_identifiers, c.puzzle_emb_ndim]));
    }
    if c.pos_encodings == crate::config::PosEncoding::Learned {
        v.push(("embed_pos.embedding_weight".into(), vec![s, d]));
    }
    for i in 0..c.l_layers {
        let p = format!("L_level.layers.{i}");
        if c.mlp_t {
            let it = c.swiglu_inter(s);
            v.push((format!("{p}.mlp_t.gate_up_proj.weight"), vec![2 * it, s]));
            v.push((format!("{p}.mlp_t.down_proj.weight"), vec![s, it]));
        } else {
            v.push((format!("{p}.self_attn.qkv_proj.weight"), vec![3 * d, d]));
            v.push((format!("{p}.self_attn.o_proj.weight"), vec![d, d]));
        }
        v.push((format!("{p}.mlp.gate_up_proj.weight"), vec![2 * inter, d]));
        v.push((format!("{p}.mlp.down_proj.weight"), vec![d, inter]));
    }
    v
}

/// Widen little-endian bytes of a float dtype to f32.
pub fn floats_from_le_bytes(key: &str, dtype: &str, bytes: &[u8]) -> Result<Vec<f32>, WeightsError> {
    let bad = || WeightsError::Format(format!("tensor `{key}`: byte length {} does not fit {dtype}", bytes.len()));
    Ok(match dtype {
        "F32" => {
            if bytes.len() % 4 != 0 {
                return Err(bad());
            }
            bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
        }
        "F16" | "BF16" => {
            if bytes.len() % 2 != 0 {
                return Err(bad());
            }
            let halves = bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]]));
            if dtype == "F16" {
                halves.map(|h| half::f16::from_bits(h).to_f32()).collect()
            } else {
                halves.map(|h| half::bf16::from_bits(h).to_f32()).collect()
            }
        }
        "F64" => {
            if bytes.len() % 8 != 0 {
                return Err(bad());
            }
            bytes
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("chunk of 8")) as f32)
                .collect()
        }
        other => return Err(WeightsError::Dtype { key: key.into(), dtype: other.into() }),
    })
}

/// Read every float tensor of a safetensors file (reference key names, any float dtype).
pub fn read_safetensors(bytes: &[u8]) -> Result<(TensorMap, BTreeMap<String, String>), WeightsError> {
    let (_, meta) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| WeightsError::Format(format!("not a safetensors file: {e}")))?;
    let st = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| WeightsError::Format(format!("not a safetensors file: {e}")))?;
    let mut map = TensorMap::new();
    for (name, view) in st.tensors() {
        let dtype = format!("{:?}", view.dtype());
        let data = floats_from_le_bytes(&name, &dtype, view.data())?;
        map.insert(&name, HostTensor::new(view.shape().to_vec(), data))?;
    }
    let metadata = meta.metadata().clone().unwrap_or_default().into_iter().collect();
    Ok((map, metadata))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_stripped_in_order() {
        assert_eq!(normalize_key("_orig_mod.model.inner.lm_head.weight"), "lm_head.weight");
        assert_eq!(normalize_key("model.inner.H_init"), "H_init");
        assert_eq!(normalize_key("inner.q_head.bias"), "q_head.bias");
        assert_eq!(normalize_key("lm_head.weight"), "lm_head.weight");
    }

    #[test]
    fn duplicate_after_normalisation_is_an_error() {
        let mut m = TensorMap::new();
        m.insert("model.inner.H_init", HostTensor::new(vec![1], vec![0.0])).unwrap();
        let e = m.insert("_orig_mod.model.inner.H_init", HostTensor::new(vec![1], vec![0.0]));
        assert!(matches!(e, Err(WeightsError::Duplicate { .. })));
    }

    #[test]
    fn take_checks_shape_and_names_the_key() {
        let mut m = TensorMap::new();
        m.insert("_orig_mod.model.inner.lm_head.weight", HostTensor::new(vec![2, 3], vec![0.0; 6]))
            .unwrap();
        let e = m.take("lm_head.weight", &[3, 2]).unwrap_err().to_string();
        assert!(e.contains("_orig_mod.model.inner.lm_head.weight") && e.contains("[2, 3]"), "{e}");
        assert!(matches!(m.take("nope", &[1]), Err(WeightsError::Missing(k)) if k == "nope"));
    }

    #[test]
    fn transpose_moves_rows_to_columns() {
        let t = HostTensor::new(vec![2, 3], vec![1., 2., 3., 4., 5., 6.]);
        assert_eq!(t.transposed_2d(), HostTensor::new(vec![3, 2], vec![1., 4., 2., 5., 3., 6.]));
    }

    #[test]
    fn half_precision_bytes_widen_exactly() {
        let bf = half::bf16::from_f32(1.5).to_bits().to_le_bytes();
        assert_eq!(floats_from_le_bytes("k", "BF16", &bf).unwrap(), vec![1.5]);
        assert!(floats_from_le_bytes("k", "I64", &[0; 8]).is_err());
        assert!(floats_from_le_bytes("k", "F32", &[0; 3]).is_err());
    }
}
