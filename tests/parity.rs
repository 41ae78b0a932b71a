//! The port reproduces the reference on every parity fixture, on the CPU backend and on wgpu.

mod common;

use common::{FIXTURES, fixture, flex, wgpu};
use trm::parity::{Coverage, check_fixture};

fn assert_parity(name: &str, device: &burn::tensor::Device, backend: &str, coverage: Coverage) {
    let report = check_fixture(&fixture(name), device, backend, coverage).unwrap_or_else(|e| panic!("{name}: {e}"));
    for s in &report.steps {
        println!(
            "{name} {backend} {} step {}: logits {:.2e} q {:.2e} carry {:.2e} argmax mismatches {}",
            s.mode, s.step, s.logits, s.q, s.carry, s.argmax_mismatches
        );
    }
    assert!(report.passed(), "{name} on {backend} exceeds the tolerance: {report:#?}");
}

#[test]
fn sudoku_mlp_flex() {
    assert_parity(FIXTURES[0], &flex(), "flex", Coverage::Full);
}

#[test]
fn maze_att_flex() {
    assert_parity(FIXTURES[1], &flex(), "flex", Coverage::Full);
}

#[test]
fn arc_att_learned_flex() {
    assert_parity(FIXTURES[2], &flex(), "flex", Coverage::Full);
}

#[test]
fn arc_att_emb96_flex() {
    assert_parity(FIXTURES[3], &flex(), "flex", Coverage::Full);
}

/// One test for all fixtures on wgpu: the runtime is initialised once per process. The quick
/// coverage (the free-running steps and the last step): the full one took 9.4 min here on
/// lavapipe, most of the native tests' time; `trm parity --backend wgpu` runs it all.
#[test]
fn all_fixtures_wgpu() {
    let Some(dev) = wgpu() else { return };
    for name in FIXTURES {
        assert_parity(name, &dev, "wgpu", Coverage::Quick);
    }
}
