//! The whole stack under one name, for the `trm` command line and the integration tests in
//! `tests/`: each module is one of the workspace's crates (or a module of `trm-model`), so a
//! path like `trm::model::Trm` says which layer it comes from. The layers themselves are the
//! crates: `trm-tasks` → `trm-kernels` → `trm-model` → `trm-runtime` / `trm-train`.

pub use trm_kernels as kernels;
pub use trm_model::{bench, config, device, eval, gpu, model, parity, recursion, weights};
pub use trm_runtime as runtime;
pub use trm_tasks as tasks;
pub use trm_train as train;
