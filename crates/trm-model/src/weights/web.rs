//! The web weight format: one safetensors file whose metadata carries everything the browser
//! needs (config, storage, puzzle-identifier names), so a model loads from bytes alone.
//!
//! Tensor names are the normalised reference keys in the reference `[out, in]` layout, so the
//! web format loads through the same [`crate::model::Trm::from_tensors`] as a checkpoint.

use std::collections::{BTreeMap, HashMap};

use safetensors::Dtype;

use super::{HostTensor, TensorMap, WeightsError, read_safetensors};
use crate::config::TrmConfig;

pub const FORMAT: &str = "trm-web";
pub const FORMAT_VERSION: &str = "1";

/// How weights are stored in the file (compute is always f32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    F32,
    F16,
}

impl std::str::FromStr for Storage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "f32" => Ok(Storage::F32),
            "f16" => Ok(Storage::F16),
            _ => Err(format!("unknown storage `{s}` (f32 or f16)")),
        }
    }
}

/// The single metadata entry (`trm-web`) of a web-format file.
#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    format: String,
    format_version: String,
    config: TrmConfig,
    storage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    puzzle_identifiers: Option<Vec<String>>,
    /// Provenance (`source`, ...).
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

/// A model in the web format, decoded to host tensors.
#[derive(Debug, Clone)]
pub struct WebModel {
    pub config: TrmConfig,
    pub tensors: TensorMap,
    /// Name of each puzzle identifier (ARC: `<id>|||t<tid>|||<perm>`), when known.
    pub puzzle_identifiers: Option<Vec<String>>,
    /// Free-form provenance (`source`, `storage`, ...).
    pub metadata: BTreeMap<String, String>,
}

/// Tensors kept in f32 even with f16 storage: tiny, and the initial states are bf16 values
/// that f16 cannot always hold.
fn always_f32(key: &str) -> bool {
    matches!(key, "H_init" | "L_init" | "q_head.bias")
}

/// Serialise a model. `extra` lands in the metadata (e.g. `source`).
pub fn write(
    config: &TrmConfig,
    tensors: &TensorMap,
    storage: Storage,
    puzzle_identifiers: Option<&[String]>,
    extra: &BTreeMap<String, String>,
) -> Result<Vec<u8>, WeightsError> {
    let mut blobs: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for (key, t) in tensors.iter() {
        let (dtype, bytes) = if storage == Storage::F16 && !always_f32(key) {
            let mut out = Vec::with_capacity(t.data.len() * 2);
            for &v in &t.data {
                let h = half::f16::from_f32(v);
                if h.is_infinite() && v.is_finite() {
                    return Err(WeightsError::Format(format!(
                        "tensor `{key}` holds {v}, beyond f16's range; use f32 storage"
                    )));
                }
                out.extend_from_slice(&h.to_bits().to_le_bytes());
            }
            (Dtype::F16, out)
        } else {
            (Dtype::F32, t.data.iter().flat_map(|v| v.to_le_bytes()).collect())
        };
        blobs.push((key.to_string(), dtype, t.shape.clone(), bytes));
    }
    let views = blobs
        .iter()
        .map(|(k, dt, shape, bytes)| {
            safetensors::tensor::TensorView::new(*dt, shape.clone(), bytes)
                .map(|v| (k.clone(), v))
                .map_err(|e| WeightsError::Format(format!("tensor `{k}`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let header = Header {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION.into(),
        config: config.clone(),
        storage: if storage == Storage::F16 { "f16" } else { "f32" }.into(),
        puzzle_identifiers: puzzle_identifiers.map(<[String]>::to_vec),
        metadata: extra.clone(),
    };
    // One metadata entry: safetensors writes its metadata map in hash order, so several entries
    // would make the bytes (and cache-busting hashes) differ from run to run.
    let meta = HashMap::from([(FORMAT.to_string(), serde_json::to_string(&header).expect("header serialises"))]);
    safetensors::tensor::serialize(views, Some(meta))
        .map_err(|e| WeightsError::Format(format!("cannot write safetensors: {e}")))
}

/// Whether `bytes` claim to be a web-format file (a safetensors header naming `trm-web`), even
/// if they are truncated or damaged: such a file's errors are the web reader's to report.
pub fn looks_like_web(bytes: &[u8]) -> bool {
    let head = &bytes[8.min(bytes.len())..bytes.len().min(64 * 1024)];
    bytes.len() > 8 && head.first() == Some(&b'{') && head.windows(FORMAT.len() + 2).any(|w| w == b"\"trm-web\"")
}

/// A safetensors file cut short (an interrupted download, a partial copy) says so, instead of
/// failing later with a parser's message.
fn check_complete(bytes: &[u8]) -> Result<(), WeightsError> {
    let truncated = |needed: u64| {
        WeightsError::Format(format!(
            "the file is truncated: it has {} bytes, its header describes {needed} (an interrupted download?)",
            bytes.len()
        ))
    };
    let Some(n) = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))) else {
        return Ok(()); // too short to tell: the parser reports it
    };
    if !looks_like_web(bytes) {
        return Ok(());
    }
    let Some(end) = n.checked_add(8) else { return Ok(()) };
    let Some(header) = usize::try_from(end).ok().and_then(|e| bytes.get(8..e)) else {
        return Err(truncated(end));
    };
    let Ok(serde_json::Value::Object(entries)) = serde_json::from_slice::<serde_json::Value>(header) else {
        return Ok(());
    };
    let data_end = entries
        .values()
        .filter_map(|t| t.get("data_offsets")?.get(1)?.as_u64())
        .max()
        .unwrap_or(0);
    match end.checked_add(data_end) {
        Some(total) if total > bytes.len() as u64 => Err(truncated(total)),
        _ => Ok(()),
    }
}

/// Decode a web-format file. Anything else (a checkpoint, a truncated download) is a clear error.
pub fn read(bytes: &[u8]) -> Result<WebModel, WeightsError> {
    check_complete(bytes)?;
    let (_, st_header) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| WeightsError::Format(format!("not a TRM web model (not a safetensors file: {e})")))?;
    let text = st_header.metadata().as_ref().and_then(|m| m.get(FORMAT)).ok_or_else(|| {
        WeightsError::Format(
            "not a TRM web model: the safetensors metadata has no `trm-web` entry (convert checkpoints with `trm convert`)"
                .into(),
        )
    })?;
    let version: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| WeightsError::Format(format!("web model header: {e}")))?;
    let version = version.get("format_version").and_then(|v| v.as_str()).unwrap_or("?");
    if version != FORMAT_VERSION {
        return Err(WeightsError::Format(format!(
            "web model format version {version} is not supported (this build reads {FORMAT_VERSION})"
        )));
    }
    let header: Header =
        serde_json::from_str(text).map_err(|e| WeightsError::Format(format!("web model header: {e}")))?;
    header.config.validate()?;
    let (tensors, _) = read_safetensors(bytes).map_err(|e| match e {
        WeightsError::Format(m) => WeightsError::Format(format!("not a TRM web model ({m})")),
        other => other,
    })?;
    let Header { config, storage, puzzle_identifiers, mut metadata, .. } = header;
    if let Some(ids) = &puzzle_identifiers {
        if ids.len() != config.num_puzzle_identifiers {
            return Err(WeightsError::Format(format!(
                "{} puzzle identifier names for {} rows",
                ids.len(),
                config.num_puzzle_identifiers
            )));
        }
    }
    metadata.insert("storage".into(), storage);
    Ok(WebModel { config, tensors, puzzle_identifiers, metadata })
}

/// Keep only the puzzle-embedding rows `keep` (in that order), renumbered 0..keep.len():
/// an ARC checkpoint's table is ~1.8 GB, the demo needs a few hundred rows.
pub fn keep_puzzle_rows(
    config: &TrmConfig,
    tensors: &mut TensorMap,
    keep: &[usize],
) -> Result<TrmConfig, WeightsError> {
    let key = "puzzle_emb.weights";
    let table = tensors
        .take(key, &[config.num_puzzle_identifiers, config.puzzle_emb_ndim])?;
    let width = config.puzzle_emb_ndim;
    let mut data = Vec::with_capacity(keep.len() * width);
    for &row in keep {
        if row >= config.num_puzzle_identifiers {
            return Err(WeightsError::Format(format!(
                "puzzle identifier {row} is out of range (the table has {} rows)",
                config.num_puzzle_identifiers
            )));
        }
        data.extend_from_slice(&table.data[row * width..(row + 1) * width]);
    }
    tensors.insert(key, HostTensor::new(vec![keep.len(), width], data))?;
    let mut cfg = config.clone();
    cfg.num_puzzle_identifiers = keep.len();
    cfg.validate()?;
    Ok(cfg)
}

/// `names` must name every puzzle-embedding row of `config`.
pub fn check_identifiers(config: &TrmConfig, names: &[String]) -> Result<(), WeightsError> {
    if names.len() != config.num_puzzle_identifiers {
        return Err(WeightsError::Format(format!(
            "{} identifier names for a checkpoint with {} puzzle-embedding rows",
            names.len(),
            config.num_puzzle_identifiers
        )));
    }
    Ok(())
}

/// Keep the puzzle-embedding rows `wanted` (each an identifier name from `names`, or a row
/// number), in that order, renumbered from 0. Returns the new config and the kept rows' names
/// (the row number where the checkpoint had no names).
pub fn select_puzzles(
    config: &TrmConfig,
    tensors: &mut TensorMap,
    names: Option<&[String]>,
    wanted: &[String],
) -> Result<(TrmConfig, Vec<String>), WeightsError> {
    let rows = wanted
        .iter()
        .map(|w| match (w.parse::<usize>(), names) {
            (Ok(n), _) => Ok(n),
            (Err(_), Some(all)) => all
                .iter()
                .position(|n| n == w)
                .ok_or_else(|| WeightsError::Format(format!("puzzle `{w}` is not in the identifiers"))),
            (Err(_), None) => Err(WeightsError::Format(format!("`{w}` is a name, and the checkpoint's identifiers were not given"))),
        })
        .collect::<Result<Vec<usize>, _>>()?;
    let cfg = keep_puzzle_rows(config, tensors, &rows)?;
    let kept = rows.iter().map(|&r| names.and_then(|n| n.get(r).cloned()).unwrap_or_else(|| r.to_string())).collect();
    Ok((cfg, kept))
}
