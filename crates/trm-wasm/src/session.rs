//! The JavaScript bindings (wasm-bindgen) of the runtime core in [`trm_runtime`]: a
//! [`Session`] wraps an [`Engine`] and gives it the browser as its [`Host`] — the clock,
//! `setTimeout` to let the worker's event loop run, and the JS callbacks.

use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use trm_model::config::TrmConfig;
use trm_runtime::{BackendRequest, Engine, Host, ModelInfo, PassMessage, SolveOptionsMessage};
use trm_model::weights::TensorMap;
use trm_model::weights::web as web_format;

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The browser as the runtime's host.
struct Browser<'a> {
    on_stage: Option<&'a Function>,
    on_pass: Option<&'a Function>,
}

impl Host for Browser<'_> {
    fn now_ms(&self) -> f64 {
        let global = js_sys::global();
        js_sys::Reflect::get(&global, &"performance".into())
            .ok()
            .and_then(|p| {
                let now = js_sys::Reflect::get(&p, &"now".into()).ok()?.dyn_into::<Function>().ok()?;
                now.call0(&p).ok()?.as_f64()
            })
            .unwrap_or_else(js_sys::Date::now)
    }

    async fn yield_now(&self) {
        let promise = Promise::new(&mut |resolve, _| {
            let global = js_sys::global();
            if let Ok(set_timeout) = js_sys::Reflect::get(&global, &"setTimeout".into()) {
                if let Ok(f) = set_timeout.dyn_into::<Function>() {
                    let _ = f.call2(&global, &resolve, &0.into());
                    return;
                }
            }
            let _ = resolve.call0(&JsValue::NULL);
        });
        let _ = JsFuture::from(promise).await;
    }

    fn stage(&self, name: &str) {
        if let Some(f) = self.on_stage {
            let _ = f.call1(&JsValue::NULL, &name.into());
        }
    }

    fn pass(&self, pass: &PassMessage<'_>) -> Result<(), String> {
        if let Some(f) = self.on_pass {
            let v = serde_wasm_bindgen::to_value(pass).map_err(|e| format!("passing a pass to JavaScript: {e}"))?;
            f.call1(&JsValue::NULL, &v).map_err(|e| format!("the pass callback threw: {e:?}"))?;
        }
        Ok(())
    }
}

/// A model runtime bound to one backend. Create with `Session.create("auto" | "webgpu" | "cpu")`.
#[wasm_bindgen]
pub struct Session {
    engine: Rc<Engine>,
}

#[wasm_bindgen]
impl Session {
    /// `backend`: "auto" (WebGPU when present and faster), "webgpu" (fail without it) or "cpu".
    pub async fn create(backend: String) -> Result<Session, JsError> {
        super::run_constructors();
        let requested: BackendRequest = backend.parse().map_err(js_err)?;
        let gpu = if requested.wants_gpu() { Some(trm_model::gpu::webgpu().await) } else { None };
        Ok(Session { engine: Rc::new(Engine::new(requested, gpu).map_err(js_err)?) })
    }

    /// "webgpu" or "cpu".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.engine.backend().name().into()
    }

    /// How many threads the CPU backend computes on: the rayon pool of the threaded module
    /// (`trm_cpu_mt`), else 1.
    #[wasm_bindgen(getter, js_name = cpuThreads)]
    pub fn cpu_threads(&self) -> usize {
        #[cfg(feature = "threads")]
        return rayon::current_num_threads();
        #[cfg(not(feature = "threads"))]
        1
    }

    /// Why this backend is in use.
    #[wasm_bindgen(getter, js_name = backendReason)]
    pub fn backend_reason(&self) -> String {
        self.engine.backend_reason()
    }

    /// The WebGPU adapter (name, type, limits), or null.
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> JsValue {
        self.engine.adapter().and_then(|a| serde_wasm_bindgen::to_value(&a).ok()).unwrap_or(JsValue::NULL)
    }

    /// Why WebGPU could not be used, if it was tried and failed.
    #[wasm_bindgen(getter, js_name = webgpuError)]
    pub fn webgpu_error(&self) -> Option<String> {
        self.engine.webgpu_error()
    }

    /// Load a model in the web format. `on_stage(name)` is called as it goes ("parsing",
    /// "uploading", "compiling shaders", "measuring"). Resolves with the model's description.
    pub async fn load(&self, bytes: Vec<u8>, on_stage: Option<Function>) -> Result<JsValue, JsError> {
        if let Some(f) = &on_stage {
            let _ = f.call1(&JsValue::NULL, &"parsing".into());
        }
        let parsed = web_format::read(&bytes).map_err(js_err)?;
        drop(bytes);
        self.install(parsed, on_stage).await
    }

    /// A paper-size architecture ("sudoku-mlp", "sudoku-att", "maze", "arc") with seeded random
    /// weights, built here without a download: real speed, meaningless answers.
    #[wasm_bindgen(js_name = loadPreset)]
    pub async fn load_preset(&self, name: String, seed: u32, on_stage: Option<Function>) -> Result<JsValue, JsError> {
        let config = TrmConfig::preset(&name)
            .ok_or_else(|| js_err(format!("unknown preset `{name}` ({})", TrmConfig::PRESETS.join(", "))))?;
        let tensors = TensorMap::random_for(&config, seed as u64).map_err(js_err)?;
        let mut metadata = std::collections::BTreeMap::new();
        metadata.insert("source".to_string(), format!("random weights, preset {name}, seed {seed}"));
        let model = web_format::WebModel { config, tensors, puzzle_identifiers: None, metadata };
        self.install(model, on_stage).await
    }

    /// Solve B puzzles (`tokens` holds B·seq_len tokens, `puzzle_ids` B identifiers or none for
    /// all-zero). `on_pass(pass)` receives every pass as it is read back; resolves with the
    /// final state. Options: `{ maxSteps, stopOnHalt, inner }`.
    pub async fn solve(
        &self,
        tokens: Vec<u32>,
        puzzle_ids: Vec<u32>,
        options: JsValue,
        on_pass: Option<Function>,
    ) -> Result<JsValue, JsError> {
        let options: SolveOptionsMessage = if options.is_undefined() || options.is_null() {
            SolveOptionsMessage::default()
        } else {
            serde_wasm_bindgen::from_value(options).map_err(|e| js_err(format!("solve options: {e}")))?
        };
        let engine = self.engine.clone();
        let host = Browser { on_stage: None, on_pass: on_pass.as_ref() };
        let result = engine.solve(&tokens, &puzzle_ids, &options, &host).await.map_err(js_err)?;
        serde_wasm_bindgen::to_value(&result).map_err(js_err)
    }

    /// Stop the running solve after its current step.
    pub fn cancel(&self) {
        self.engine.cancel();
    }

    /// Destroy the WebGPU device, as a driver reset would (for tests of the CPU fallback).
    #[wasm_bindgen(js_name = simulateDeviceLoss)]
    pub fn simulate_device_loss(&self) -> bool {
        self.engine.simulate_device_loss()
    }

    /// Names of the model's puzzle identifiers (ARC), if recorded.
    #[wasm_bindgen(getter, js_name = puzzleIdentifiers)]
    pub fn puzzle_identifiers(&self) -> JsValue {
        serde_wasm_bindgen::to_value(&self.engine.puzzle_identifiers()).unwrap_or(JsValue::NULL)
    }
}

impl Session {
    async fn install(&self, parsed: web_format::WebModel, on_stage: Option<Function>) -> Result<JsValue, JsError> {
        let engine = self.engine.clone();
        let host = Browser { on_stage: on_stage.as_ref(), on_pass: None };
        let info: ModelInfo = engine.install(parsed, &host).await.map_err(js_err)?;
        serde_wasm_bindgen::to_value(&info).map_err(js_err)
    }
}
