//! The subcommands of `trm`, one module each, and what they share: loading a model file and
//! checking that it suits a task. Puzzle codecs come from [`trm::tasks`].

use std::path::Path;

use burn::tensor::Device;

use trm::config::TrmConfig;
use trm::device::{Backend, device};
use trm::model::Trm;
use trm::tasks::Task;
use trm::weights::web;
use trm::weights::{TensorMap, checkpoint};

pub mod bench;
pub mod convert;
pub mod data;
pub mod eval;
pub mod info;
pub mod parity;
pub mod solve;
pub mod train;

pub fn check_task(model: &Trm, task: Task) -> Result<(), String> {
    match model.config.task() {
        Some(t) if t == task => Ok(()),
        other => Err(format!(
            "this model (vocab {}, {} cells) is not a {} model{}",
            model.config.vocab_size,
            model.config.seq_len,
            task.name(),
            other.map(|t| format!("; it is a {} model", t.name())).unwrap_or_default()
        )),
    }
}

/// Build a model file on a backend.
pub fn load_model(path: &Path, backend: Backend) -> Result<(Trm, Option<Vec<String>>, Device), String> {
    let dev = device(backend)?;
    let (cfg, mut tensors, names) = load_model_file(path)?;
    let model = Trm::from_tensors(cfg, &mut tensors, &dev).map_err(|e| e.to_string())?;
    Ok((model, names, dev))
}

/// Load a model file: the web format, or a reference checkpoint with its config beside it.
pub fn load_model_file(path: &Path) -> Result<(TrmConfig, TensorMap, Option<Vec<String>>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    match web::read(&bytes) {
        Ok(m) => return Ok((m.config, m.tensors, m.puzzle_identifiers)),
        // A damaged web file is reported as one, not as a checkpoint without a config.
        Err(e) if web::looks_like_web(&bytes) => return Err(format!("{}: {e}", path.display())),
        Err(_) => {}
    }
    let (cfg, tensors) = checkpoint::load_reference(path, None, None).map_err(|e| e.to_string())?;
    Ok((cfg, tensors, None))
}

pub fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

use trm::tasks::puzzle::{tokens_u8, tokens_u32};
