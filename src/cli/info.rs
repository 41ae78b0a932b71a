//! `trm info`: what a model file holds.

use std::path::PathBuf;
use std::process::ExitCode;

use super::load_model_file;

/// Describe a model file: architecture, parameter count, puzzle identifiers.
#[derive(clap::Args)]
pub struct InfoArgs {
    model: PathBuf,
    #[arg(long)]
    json: bool,
}

pub fn run(args: InfoArgs) -> Result<ExitCode, String> {
    let (cfg, tensors, names) = load_model_file(&args.model)?;
    if args.json {
        let v = serde_json::json!({
            "config": cfg, "params": cfg.param_count(), "tensors": tensors.len(),
            "task": cfg.task().map(|t| t.name()), "puzzle_identifiers": names.map(|n| n.len()),
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("serialisable"));
    } else {
        println!("{}", serde_json::to_string_pretty(&cfg).expect("serialisable"));
        println!("parameters: {}  tensors: {}", cfg.param_count(), tensors.len());
    }
    Ok(ExitCode::SUCCESS)
}
