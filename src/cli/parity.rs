//! `trm parity DIR…`: the port against reference outputs (inference and training fixtures).

use std::path::PathBuf;
use std::process::ExitCode;

use trm::device::{Backend, device};

/// Check a port against reference outputs: each DIR holds checkpoint.pt, config.json and
/// io.safetensors (inference) or train.safetensors (loss and gradients of training steps).
/// Exits 1 when any error exceeds 1e-4 or a decisive argmax differs.
#[derive(clap::Args)]
pub struct ParityArgs {
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    #[arg(long, default_value = "flex")]
    backend: Backend,
    #[arg(long)]
    json: bool,
}

pub fn run(args: ParityArgs) -> Result<ExitCode, String> {
    let ParityArgs { dirs, backend, json } = args;
    let dev = device(backend)?;
    let mut ok = true;
    let mut reports = Vec::new();
    for dir in &dirs {
        if trm::train::parity::is_train_fixture(dir) {
            let report = trm::train::parity::check_train_fixture(dir, &dev, &backend.to_string())?;
            ok &= report.passed();
            if json {
                reports.push(serde_json::to_value(&report).expect("serialisable"));
                continue;
            }
            println!("{} (training step) on {}:", report.fixture, report.backend);
            for s in &report.steps {
                let worst = s.worst_grad().map(|g| format!("{:.2e} ({})", g.error, g.name)).unwrap_or_default();
                println!(
                    "  step {}  loss {:.2e}  lm {:.2e}  q_halt loss {:.2e}  logits {:.2e}  q {:.2e}  carry {:.2e}  worst grad {}{}",
                    s.step, s.loss, s.lm_loss, s.q_halt_loss, s.logits, s.q_halt, s.carry, worst,
                    if s.passed() { "" } else { "  FAIL" }
                );
            }
            println!("  -> {}", if report.passed() { "PASS" } else { "FAIL" });
            continue;
        }
        let report = trm::parity::check_fixture(dir, &dev, &backend.to_string(), trm::parity::Coverage::Full)?;
        ok &= report.passed();
        if !json {
            println!("{} on {}:", report.fixture, report.backend);
            for s in &report.steps {
                println!(
                    "  {:<15} step {:>2}  logits {:.2e}  q {:.2e}  carry {:.2e}  argmax mismatches {}{}",
                    s.mode,
                    s.step,
                    s.logits,
                    s.q,
                    s.carry,
                    s.argmax_mismatches,
                    if s.passed() { "" } else { "  FAIL" }
                );
            }
            println!(
                "  max: logits {:.2e}  q {:.2e}  carry {:.2e}  -> {}",
                report.max(|s| s.logits),
                report.max(|s| s.q),
                report.max(|s| s.carry),
                if report.passed() { "PASS" } else { "FAIL" }
            );
        }
        reports.push(serde_json::to_value(&report).expect("serialisable"));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&reports).expect("serialisable"));
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
