//! The one WebGPU/wgpu device of a process (burn registers its runtime once), with the adapter's
//! description and a flag the driver sets when the device is lost: only that flag turns an error
//! into a device loss, so a bug on the GPU path never masquerades as one.
//!
//! A build without a GPU backend (the browser's CPU-only module) has no device to hold: there
//! [`Gpu`] has no values, so the runtime's GPU paths are statically unreachable.

#[cfg(any(feature = "wgpu", feature = "webgpu"))]
pub use with_gpu::*;
#[cfg(not(any(feature = "wgpu", feature = "webgpu")))]
pub use without_gpu::*;

use serde::Serialize;

/// The adapter a page or process got: name, kind and the limits that decide what fits.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdapterInfo {
    pub name: String,
    pub driver: String,
    pub device_type: String,
    pub backend: String,
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
}

#[cfg(any(feature = "wgpu", feature = "webgpu"))]
mod with_gpu {
    use std::sync::{Arc, Mutex};

    use burn::tensor::Device;
    use burn::tensor::wgpu::WgpuSetup;

    use super::AdapterInfo;

    pub struct Gpu {
        device: Device,
        setup: WgpuSetup,
        lost: Arc<Mutex<Option<String>>>,
    }

    impl Gpu {
        fn new(device: Device, setup: WgpuSetup) -> Self {
            let lost = Arc::new(Mutex::new(None));
            let flag = lost.clone();
            setup.device.set_device_lost_callback(move |reason, message| {
                if let Ok(mut l) = flag.lock() {
                    l.get_or_insert(format!("{reason:?}: {message}"));
                }
            });
            Self { device, setup, lost }
        }

        pub fn device(&self) -> Device {
            self.device.clone()
        }

        pub fn info(&self) -> AdapterInfo {
            let info = self.setup.adapter.get_info();
            let limits = self.setup.device.limits();
            AdapterInfo {
                name: info.name,
                driver: info.driver,
                device_type: format!("{:?}", info.device_type),
                backend: format!("{:?}", info.backend),
                max_buffer_size: limits.max_buffer_size,
                max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size as u64,
            }
        }

        /// A software rasterizer (SwiftShader, lavapipe): slower than the CPU backend.
        pub fn is_software(&self) -> bool {
            matches!(self.setup.adapter.get_info().device_type, burn::tensor::wgpu::wgpu::DeviceType::Cpu)
        }

        /// Why the device was lost, once the driver has said so.
        pub fn lost(&self) -> Option<String> {
            self.lost.lock().ok().and_then(|l| l.clone())
        }

        /// Destroy the device as a driver reset would (for tests of the CPU fallback).
        pub fn destroy(&self) {
            self.setup.device.destroy();
            if let Ok(mut l) = self.lost.lock() {
                l.get_or_insert("Destroyed: the device was destroyed".into());
            }
        }
    }

    /// The process's wgpu device (Vulkan; Mesa's lavapipe where there is no GPU).
    #[cfg(not(target_family = "wasm"))]
    pub fn native() -> Result<Arc<Gpu>, String> {
        use std::sync::OnceLock;
        static GPU: OnceLock<Result<Arc<Gpu>, String>> = OnceLock::new();
        GPU.get_or_init(|| {
            Device::wgpu_options()
                .init_with_setup()
                .map(|(device, setup)| Arc::new(Gpu::new(device, setup)))
                .map_err(|e| format!("no wgpu adapter (install mesa-vulkan-drivers for a CPU one): {e}"))
        })
        .clone()
    }

    /// The page's WebGPU device.
    #[cfg(target_family = "wasm")]
    pub async fn webgpu() -> Result<Arc<Gpu>, String> {
        use std::cell::RefCell;
        thread_local! {
            static GPU: RefCell<Option<Result<Arc<Gpu>, String>>> = const { RefCell::new(None) };
        }
        if let Some(r) = GPU.with(|g| g.borrow().clone()) {
            return r;
        }
        let r = Device::wgpu_options()
            .init_with_setup_async()
            .await
            .map(|(device, setup)| Arc::new(Gpu::new(device, setup)))
            .map_err(|e| format!("WebGPU is not available: {e}"));
        GPU.with(|g| *g.borrow_mut() = Some(r.clone()));
        r
    }
}

#[cfg(not(any(feature = "wgpu", feature = "webgpu")))]
mod without_gpu {
    use std::sync::Arc;

    use burn::tensor::Device;

    use super::AdapterInfo;

    /// No GPU in this build: an enum without variants, so no value of it exists.
    pub enum Gpu {}

    impl Gpu {
        pub fn device(&self) -> Device {
            match *self {}
        }
        pub fn info(&self) -> AdapterInfo {
            match *self {}
        }
        pub fn is_software(&self) -> bool {
            match *self {}
        }
        pub fn lost(&self) -> Option<String> {
            match *self {}
        }
        pub fn destroy(&self) {
            match *self {}
        }
    }

    /// The CPU-only module cannot start WebGPU; the page loads the WebGPU module for that.
    pub async fn webgpu() -> Result<Arc<Gpu>, String> {
        Err("this runtime module is the CPU-only build (the WebGPU one is pkg/wasm/trm.js)".into())
    }
}
