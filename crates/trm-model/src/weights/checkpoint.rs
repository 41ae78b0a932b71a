//! Reference checkpoints on disk: the trainer's extension-less `step_N` zip-pickle files (or
//! safetensors with the same names), with the config from a `config.json` or the `arch:` block
//! of the `all_config.yaml` that sits beside them.

use std::path::{Path, PathBuf};

use super::{HostTensor, TensorMap, WeightsError, floats_from_le_bytes, read_safetensors};
use crate::config::{ArchBlock, ConfigError, PosEncoding, TrmConfig};

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> WeightsError + '_ {
    move |source| WeightsError::Io { path: path.display().to_string(), source }
}

/// Read a checkpoint file: zip pickle (`torch.save`) or safetensors, told apart by content.
pub fn read_tensors(path: &Path) -> Result<TensorMap, WeightsError> {
    let mut magic = [0u8; 4];
    {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(io_err(path))?;
        let n = f.read(&mut magic).map_err(io_err(path))?;
        if n < 4 {
            return Err(WeightsError::Format(format!("{}: file too short to be a checkpoint", path.display())));
        }
    }
    if &magic == b"PK\x03\x04" {
        read_pytorch(path)
    } else {
        let bytes = std::fs::read(path).map_err(io_err(path))?;
        read_safetensors(&bytes)
            .map(|(m, _)| m)
            .map_err(|e| WeightsError::Format(format!("{}: neither a PyTorch zip checkpoint nor {e}", path.display())))
    }
}

/// Read a `torch.save` state dict. bf16 buffers (`H_init`, `L_init`) are widened exactly.
pub fn read_pytorch(path: &Path) -> Result<TensorMap, WeightsError> {
    let reader = pytorch_reader::PytorchReader::new(path)
        .map_err(|e| WeightsError::Format(format!("{}: cannot read PyTorch checkpoint: {e}", path.display())))?;
    let mut map = TensorMap::new();
    let mut names = reader.keys();
    names.sort();
    for name in names {
        let t = reader.get(&name).expect("key listed by the reader");
        let dtype = match t.dtype() {
            pytorch_reader::DType::F32 => "F32",
            pytorch_reader::DType::F16 => "F16",
            pytorch_reader::DType::BF16 => "BF16",
            pytorch_reader::DType::F64 => "F64",
            other => return Err(WeightsError::Dtype { key: name, dtype: format!("{other:?}") }),
        };
        let bytes = t
            .read()
            .map_err(|e| WeightsError::Format(format!("{}: tensor `{name}`: {e}", path.display())))?;
        // The reader yields native-endian bytes; every supported host is little-endian.
        let data = floats_from_le_bytes(&name, dtype, &bytes)?;
        map.insert(&name, HostTensor::new(t.shape().to_vec(), data))?;
    }
    Ok(map)
}

/// Where the config of a checkpoint lives, when not given: `config.json` or `all_config.yaml`
/// in the checkpoint's folder.
pub fn find_config(checkpoint: &Path) -> Option<PathBuf> {
    let dir = checkpoint.parent()?;
    ["config.json", "all_config.yaml"].iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// The grid length for known task vocabularies (Sudoku 11 → 81; Maze 6 and ARC 12 → 900).
fn seq_len_for_vocab(vocab: usize) -> Option<usize> {
    match vocab {
        11 => Some(81),
        6 | 12 => Some(900),
        _ => None,
    }
}

/// Read a config file (`.json` with reference field names, or a yaml with an `arch:` block),
/// filling what the yaml lacks from the tensor shapes.
pub fn read_config(path: &Path, tensors: &TensorMap, seq_len: Option<usize>) -> Result<TrmConfig, WeightsError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let kind = if path.extension().is_some_and(|e| e == "json") { ConfigKind::Json } else { ConfigKind::AllConfigYaml };
    parse_config(&text, kind, tensors, seq_len).map_err(|e| match e {
        WeightsError::Config(ConfigError(m)) => ConfigError(format!("{}: {m}", path.display())).into(),
        other => other,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    /// `config.json`, with the reference's field names.
    Json,
    /// The trainer's `all_config.yaml` (its `arch:` block).
    AllConfigYaml,
}

/// A config file's text as a model config; a yaml's missing sizes come from the tensor shapes.
pub fn parse_config(text: &str, kind: ConfigKind, tensors: &TensorMap, seq_len: Option<usize>) -> Result<TrmConfig, WeightsError> {
    if kind == ConfigKind::Json {
        let mut cfg: TrmConfig = serde_json::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        if let Some(s) = seq_len {
            cfg.seq_len = s;
        }
        cfg.validate()?;
        return Ok(cfg);
    }
    let arch = ArchBlock::from_all_config_yaml(text)?;
    let dims = |k: &str| tensors.shape(k).map(<[usize]>::to_vec);
    let vocab = dims("embed_tokens.embedding_weight")
        .filter(|s| s.len() == 2)
        .map(|s| s[0])
        .ok_or_else(|| WeightsError::Missing("embed_tokens.embedding_weight".into()))?;
    let num_ids = dims("puzzle_emb.weights").filter(|s| s.len() == 2).map(|s| s[0]).unwrap_or(0);
    let total_from_shapes = if arch.mlp_t() {
        dims("L_level.layers.0.mlp_t.down_proj.weight").map(|s| s[0])
    } else if arch.pos_encodings()? == PosEncoding::Learned {
        dims("embed_pos.embedding_weight").map(|s| s[0])
    } else {
        None
    };
    let seq = seq_len
        .or(arch.usize("seq_len"))
        .or(total_from_shapes.and_then(|t| t.checked_sub(arch.prefix_len())))
        .or_else(|| seq_len_for_vocab(vocab))
        .ok_or_else(|| {
            ConfigError(format!("cannot infer seq_len for vocab_size {vocab}; pass it explicitly"))
        })?;
    Ok(arch.into_config(seq, vocab, num_ids)?)
}

/// Load a reference checkpoint and its config (found beside it unless given).
pub fn load_reference(
    checkpoint: &Path,
    config: Option<&Path>,
    seq_len: Option<usize>,
) -> Result<(TrmConfig, TensorMap), WeightsError> {
    let tensors = read_tensors(checkpoint)?;
    let config_path = match config {
        Some(p) => p.to_path_buf(),
        None => find_config(checkpoint).ok_or_else(|| {
            ConfigError(format!(
                "no config.json or all_config.yaml beside {}; pass one",
                checkpoint.display()
            ))
        })?,
    };
    let cfg = read_config(&config_path, &tensors, seq_len)?;
    Ok((cfg, tensors))
}
