//! `trm convert`: a reference checkpoint to the single-file web format.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use trm::device::{Backend, device};
use trm::model::Trm;
use trm::weights::checkpoint;
use trm::weights::web::{self, Storage};

use super::read_text;

/// Convert a reference checkpoint (`step_N` zip pickle or safetensors) to the web format.
#[derive(clap::Args)]
pub struct ConvertArgs {
    checkpoint: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
    /// config.json or all_config.yaml (default: found beside the checkpoint).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Grid length, when neither the config nor the tensor shapes tell it.
    #[arg(long)]
    seq_len: Option<usize>,
    #[arg(long, default_value = "f32")]
    storage: Storage,
    /// The dataset's identifiers.json (ARC): names every puzzle-embedding row.
    #[arg(long)]
    identifiers: Option<PathBuf>,
    /// Keep only these puzzle-embedding rows (identifier names, or numbers), one per line
    /// in a file; they are renumbered in the given order.
    #[arg(long)]
    keep_puzzles: Option<PathBuf>,
}

pub fn run(args: ConvertArgs) -> Result<ExitCode, String> {
    let ConvertArgs { checkpoint: ckpt, output, config, seq_len, storage, identifiers, keep_puzzles } = args;
    let (mut cfg, mut tensors) = checkpoint::load_reference(&ckpt, config.as_deref(), seq_len).map_err(|e| e.to_string())?;
    // Building the model on the CPU checks every name and shape before anything is written.
    Trm::from_tensors(cfg.clone(), &mut tensors.clone(), &device(Backend::Flex)?).map_err(|e| e.to_string())?;
    let mut names: Option<Vec<String>> = match &identifiers {
        Some(p) => {
            let names: Vec<String> = serde_json::from_str(&read_text(p)?).map_err(|e| format!("{}: {e}", p.display()))?;
            web::check_identifiers(&cfg, &names).map_err(|e| format!("{}: {e}", p.display()))?;
            Some(names)
        }
        None => None,
    };
    if let Some(list) = &keep_puzzles {
        let wanted: Vec<String> = read_text(list)?.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        let (kept_cfg, kept_names) =
            web::select_puzzles(&cfg, &mut tensors, names.as_deref(), &wanted).map_err(|e| format!("{}: {e}", list.display()))?;
        cfg = kept_cfg;
        names = Some(kept_names);
    }
    let mut extra = BTreeMap::new();
    extra.insert("source".to_string(), ckpt.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    let bytes = web::write(&cfg, &tensors, storage, names.as_deref(), &extra).map_err(|e| e.to_string())?;
    std::fs::write(&output, &bytes).map_err(|e| format!("{}: {e}", output.display()))?;
    println!(
        "wrote {} ({} bytes, {} tensors, {} parameters, {} puzzle rows)",
        output.display(),
        bytes.len(),
        tensors.len(),
        cfg.param_count(),
        cfg.num_puzzle_identifiers
    );
    Ok(ExitCode::SUCCESS)
}
