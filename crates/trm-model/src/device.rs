//! Which burn backend runs the model: the pure-Rust CPU backend (flex) or wgpu (Vulkan natively,
//! Mesa's lavapipe where there is no GPU; WebGPU in browsers).

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Flex,
    Wgpu,
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "flex" | "cpu" => Ok(Backend::Flex),
            "wgpu" | "gpu" | "webgpu" => Ok(Backend::Wgpu),
            _ => Err(format!("unknown backend `{s}` (flex or wgpu)")),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Flex => "flex",
            Backend::Wgpu => "wgpu",
        })
    }
}

/// Get a device for `backend`. The wgpu runtime can be initialised once per process; later
/// calls reuse it (see [`crate::gpu::native`]).
#[cfg(not(target_family = "wasm"))]
pub fn device(backend: Backend) -> Result<burn::tensor::Device, String> {
    match backend {
        Backend::Flex => Ok(burn::tensor::Device::flex()),
        #[cfg(feature = "wgpu")]
        Backend::Wgpu => crate::gpu::native().map(|g| g.device()),
        #[allow(unreachable_patterns)]
        other => Err(format!("this build has no {other} backend")),
    }
}
