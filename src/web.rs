//! The whole JavaScript-facing surface (wasm-bindgen). A [`Session`] owns a device (WebGPU or
//! the CPU backend), a loaded model and at most one running solve, which streams every pass to a
//! JS callback. Everything GPU-side is read back asynchronously: browsers cannot block.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use burn::tensor::{Device, Tensor, TensorData};
use burn::tensor::wgpu::WgpuSetup;
use js_sys::{Function, Promise};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::config::TrmConfig;
use crate::model::{Carry, Trm};
use crate::recursion::{Batch, Pass, Recursion, SolveOptions};
use crate::weights::TensorMap;
use crate::weights::web as web_format;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Let the worker's event loop run (a `cancel` message, a progress post) between steps.
async fn yield_to_event_loop() {
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

/// The one WebGPU runtime of this page (burn can register it only once).
struct Gpu {
    device: Device,
    setup: WgpuSetup,
}

thread_local! {
    static GPU: RefCell<Option<Result<Rc<Gpu>, String>>> = const { RefCell::new(None) };
}

async fn webgpu() -> Result<Rc<Gpu>, String> {
    if let Some(r) = GPU.with(|g| g.borrow().clone()) {
        return r;
    }
    let r = Device::wgpu_options()
        .init_with_setup_async()
        .await
        .map(|(device, setup)| Rc::new(Gpu { device, setup }))
        .map_err(|e| format!("WebGPU is not available: {e}"));
    GPU.with(|g| *g.borrow_mut() = Some(r.clone()));
    r
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AdapterInfo {
    name: String,
    driver: String,
    device_type: String,
    backend: String,
    max_buffer_size: u64,
    max_storage_buffer_binding_size: u64,
}

impl Gpu {
    fn info(&self) -> AdapterInfo {
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

    fn is_software(&self) -> bool {
        matches!(self.setup.adapter.get_info().device_type, burn::tensor::wgpu::wgpu::DeviceType::Cpu)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Active {
    Webgpu,
    Cpu,
}

struct Loaded {
    model: Trm,
    host: TensorMap,
    names: Option<Vec<String>>,
}

struct Inner {
    requested: String,
    gpu: Option<Rc<Gpu>>,
    gpu_error: Option<String>,
    active: Cell<Active>,
    reason: RefCell<String>,
    loaded: RefCell<Option<Rc<Loaded>>>,
    cancel: Cell<bool>,
    busy: Cell<bool>,
}

/// A model runtime bound to one backend. Create with `Session.create("auto" | "webgpu" | "cpu")`.
#[wasm_bindgen]
pub struct Session {
    inner: Rc<Inner>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelInfo {
    config: TrmConfig,
    params: usize,
    task: Option<&'static str>,
    puzzle_identifiers: Option<Vec<String>>,
    backend: Active,
    backend_reason: String,
    warmup_ms: f64,
    metadata: std::collections::BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsPass<'a> {
    step: usize,
    inner: Option<crate::model::InnerUpdate>,
    tokens: &'a [u32],
    confidence: &'a [f32],
    halt_prob: &'a [f32],
    ms: f64,
    backend: Active,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SolveResult {
    steps: usize,
    cancelled: bool,
    tokens: Vec<u32>,
    confidence: Vec<f32>,
    halt_prob: Vec<f32>,
    total_ms: f64,
    backend: Active,
    /// Set when the GPU was lost mid-solve and the CPU took over.
    fell_back: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct JsSolveOptions {
    max_steps: Option<usize>,
    stop_on_halt: bool,
    inner: bool,
}

impl Inner {
    fn device(&self, which: Active) -> Device {
        match which {
            Active::Webgpu => self.gpu.as_ref().expect("webgpu active only with a device").device.clone(),
            Active::Cpu => Device::flex(),
        }
    }
}

/// Warm up (compile every kernel) and time one network call, read back.
async fn timed_pass(model: &Trm, device: &Device) -> Result<f64, String> {
    let rows = vec![vec![1u32.min(model.config.vocab_size as u32 - 1); model.config.seq_len]];
    let batch = Batch::new(&rows, &[], model).map_err(|e| e.to_string())?;
    let t0 = now_ms();
    Recursion::new(model, &batch, SolveOptions::reference(model), device).probe().read_async().await?;
    Ok(now_ms() - t0)
}

#[wasm_bindgen]
impl Session {
    /// `backend`: "auto" (WebGPU when present and faster), "webgpu" (fail without it) or "cpu".
    pub async fn create(backend: String) -> Result<Session, JsError> {
        let (gpu, gpu_error) = match backend.as_str() {
            "cpu" => (None, None),
            "auto" | "webgpu" => match webgpu().await {
                Ok(g) => (Some(g), None),
                Err(e) if backend == "auto" => (None, Some(e)),
                Err(e) => return Err(js_err(e)),
            },
            other => return Err(js_err(format!("unknown backend `{other}` (auto, webgpu or cpu)"))),
        };
        let (active, reason) = match (&gpu, backend.as_str()) {
            (Some(_), _) => (Active::Webgpu, "WebGPU adapter found".to_string()),
            (None, "cpu") => (Active::Cpu, "CPU requested".to_string()),
            (None, _) => (Active::Cpu, gpu_error.clone().unwrap_or_default()),
        };
        Ok(Session {
            inner: Rc::new(Inner {
                requested: backend,
                gpu,
                gpu_error,
                active: Cell::new(active),
                reason: RefCell::new(reason),
                loaded: RefCell::new(None),
                cancel: Cell::new(false),
                busy: Cell::new(false),
            }),
        })
    }

    /// "webgpu" or "cpu".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        match self.inner.active.get() {
            Active::Webgpu => "webgpu".into(),
            Active::Cpu => "cpu".into(),
        }
    }

    /// Why this backend is in use.
    #[wasm_bindgen(getter, js_name = backendReason)]
    pub fn backend_reason(&self) -> String {
        self.inner.reason.borrow().clone()
    }

    /// The WebGPU adapter (name, type, limits), or null.
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> JsValue {
        match &self.inner.gpu {
            Some(g) => serde_wasm_bindgen::to_value(&g.info()).unwrap_or(JsValue::NULL),
            None => JsValue::NULL,
        }
    }

    /// Why WebGPU could not be used, if it was tried and failed.
    #[wasm_bindgen(getter, js_name = webgpuError)]
    pub fn webgpu_error(&self) -> Option<String> {
        self.inner.gpu_error.clone()
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
}

impl Session {
    /// Put a decoded model on the device, warm it up and (for "auto") pick the faster backend.
    async fn install(&self, parsed: web_format::WebModel, on_stage: Option<Function>) -> Result<JsValue, JsError> {
        let inner = self.inner.clone();
        if inner.busy.get() {
            return Err(js_err("a solve is running; cancel it first"));
        }
        let stage = |name: &str| {
            if let Some(f) = &on_stage {
                let _ = f.call1(&JsValue::NULL, &name.into());
            }
        };
        let host = parsed.tensors;
        let build = |which: Active| Trm::from_tensors(parsed.config.clone(), &mut host.clone(), &inner.device(which));

        stage("uploading");
        let mut active = inner.active.get();
        let mut model = build(active).map_err(js_err)?;
        yield_to_event_loop().await;
        stage(if active == Active::Webgpu { "compiling shaders" } else { "warming up" });
        let mut warmup_ms = match timed_pass(&model, &inner.device(active)).await {
            Ok(ms) => ms,
            Err(e) if active == Active::Webgpu => {
                *inner.reason.borrow_mut() = format!("WebGPU failed during warm-up ({e}); using the CPU");
                active = Active::Cpu;
                model = build(active).map_err(js_err)?;
                timed_pass(&model, &inner.device(active)).await.map_err(js_err)?
            }
            Err(e) => return Err(js_err(e)),
        };
        if inner.requested == "auto" && active == Active::Webgpu {
            let gpu = inner.gpu.as_ref().expect("webgpu active");
            if gpu.is_software() {
                *inner.reason.borrow_mut() =
                    "the WebGPU adapter is a software rasterizer; the CPU backend is faster".into();
                active = Active::Cpu;
                model = build(active).map_err(js_err)?;
                warmup_ms = timed_pass(&model, &inner.device(active)).await.map_err(js_err)?;
            } else {
                stage("measuring");
                let gpu_ms = timed_pass(&model, &inner.device(Active::Webgpu)).await.map_err(js_err)?;
                let cpu_model = build(Active::Cpu).map_err(js_err)?;
                let cpu_ms = timed_pass(&cpu_model, &Device::flex()).await.map_err(js_err)?;
                if cpu_ms < gpu_ms {
                    active = Active::Cpu;
                    model = cpu_model;
                }
                *inner.reason.borrow_mut() = format!(
                    "measured one network call: WebGPU {gpu_ms:.0} ms, CPU {cpu_ms:.0} ms; using the {}",
                    if active == Active::Cpu { "CPU" } else { "GPU" }
                );
            }
        }
        inner.active.set(active);
        let info = ModelInfo {
            params: parsed.config.param_count(),
            task: parsed.config.task().map(|t| t.name()),
            config: parsed.config.clone(),
            puzzle_identifiers: parsed.puzzle_identifiers.clone(),
            backend: active,
            backend_reason: inner.reason.borrow().clone(),
            warmup_ms,
            metadata: parsed.metadata.clone(),
        };
        *inner.loaded.borrow_mut() = Some(Rc::new(Loaded { model, host, names: parsed.puzzle_identifiers }));
        serde_wasm_bindgen::to_value(&info).map_err(js_err)
    }
}

#[wasm_bindgen]
impl Session {

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
        let inner = self.inner.clone();
        let loaded = inner.loaded.borrow().clone().ok_or_else(|| js_err("no model loaded"))?;
        if inner.busy.replace(true) {
            return Err(js_err("a solve is already running"));
        }
        let result = solve_inner(&inner, &loaded, tokens, puzzle_ids, options, on_pass).await;
        inner.busy.set(false);
        inner.cancel.set(false);
        result
    }

    /// Stop the running solve after its current step.
    pub fn cancel(&self) {
        if self.inner.busy.get() {
            self.inner.cancel.set(true);
        }
    }

    /// Destroy the WebGPU device, as a driver reset would (for tests of the CPU fallback).
    #[wasm_bindgen(js_name = simulateDeviceLoss)]
    pub fn simulate_device_loss(&self) -> bool {
        match &self.inner.gpu {
            Some(g) => {
                g.setup.device.destroy();
                true
            }
            None => false,
        }
    }

    /// Names of the model's puzzle identifiers (ARC), if recorded.
    #[wasm_bindgen(getter, js_name = puzzleIdentifiers)]
    pub fn puzzle_identifiers(&self) -> JsValue {
        let names = self.inner.loaded.borrow().as_ref().and_then(|l| l.names.clone());
        serde_wasm_bindgen::to_value(&names).unwrap_or(JsValue::NULL)
    }
}

async fn solve_inner(
    inner: &Rc<Inner>,
    loaded: &Rc<Loaded>,
    tokens: Vec<u32>,
    puzzle_ids: Vec<u32>,
    options: JsValue,
    on_pass: Option<Function>,
) -> Result<JsValue, JsError> {
    let opts: JsSolveOptions = if options.is_undefined() || options.is_null() {
        JsSolveOptions::default()
    } else {
        serde_wasm_bindgen::from_value(options).map_err(|e| js_err(format!("solve options: {e}")))?
    };
    let mut model_ref: Rc<Loaded> = loaded.clone();
    let seq = model_ref.model.config.seq_len;
    if tokens.is_empty() || tokens.len() % seq != 0 {
        return Err(js_err(format!("expected a multiple of {seq} tokens, got {}", tokens.len())));
    }
    let rows: Vec<Vec<u32>> = tokens.chunks(seq).map(<[u32]>::to_vec).collect();
    let batch = Batch::new(&rows, &puzzle_ids, &model_ref.model).map_err(js_err)?;
    let max_steps = opts.max_steps.unwrap_or(model_ref.model.config.halt_max_steps).clamp(1, 1024);
    let options = SolveOptions { max_steps, stop_on_halt: opts.stop_on_halt, inner: opts.inner };
    let mut active = inner.active.get();
    let mut fell_back = None;
    // The last state read back to the host, to continue on the CPU if the GPU is lost.
    let mut saved: Option<(Vec<f32>, Vec<f32>, usize)> = None;
    let t_start = now_ms();
    loop {
        let current = model_ref.clone();
        let device = inner.device(active);
        let mut rec = Recursion::new(&current.model, &batch, options, &device);
        if let Some((h, l, steps)) = &saved {
            let shape = rec.carry().z_h.dims();
            let carry = Carry {
                z_h: Tensor::from_data(TensorData::new(h.clone(), shape), &device),
                z_l: Tensor::from_data(TensorData::new(l.clone(), shape), &device),
            };
            rec = rec.with_carry(carry, *steps);
        }
        match run_steps(inner, &mut rec, active, &on_pass, &mut saved).await {
            Ok((last, cancelled)) => {
                let end = last.iter().find(|p| p.inner.is_none());
                let result = SolveResult {
                    steps: rec.steps_done(),
                    cancelled,
                    tokens: end.map(|p| p.tokens.clone()).unwrap_or_default(),
                    confidence: end.map(|p| p.confidence.clone()).unwrap_or_default(),
                    halt_prob: end.map(|p| p.halt_prob.clone()).unwrap_or_default(),
                    total_ms: now_ms() - t_start,
                    backend: active,
                    fell_back,
                };
                return serde_wasm_bindgen::to_value(&result).map_err(js_err);
            }
            Err(e) if active == Active::Webgpu => {
                // The GPU is gone: rebuild on the CPU and continue from the last saved state.
                let why = format!("the GPU device was lost ({e}); continuing on the CPU");
                active = Active::Cpu;
                inner.active.set(active);
                *inner.reason.borrow_mut() = why.clone();
                fell_back = Some(why);
                let model = Trm::from_tensors(current.model.config.clone(), &mut current.host.clone(), &Device::flex())
                    .map_err(js_err)?;
                model_ref = Rc::new(Loaded { model, host: current.host.clone(), names: current.names.clone() });
                *inner.loaded.borrow_mut() = Some(model_ref.clone());
            }
            Err(e) => return Err(js_err(e)),
        }
    }
}

/// Run steps until done or cancelled, streaming passes. On WebGPU the carry is also read back
/// after every step, so a lost device costs no progress.
async fn run_steps(
    inner: &Rc<Inner>,
    rec: &mut Recursion<'_>,
    active: Active,
    on_pass: &Option<Function>,
    saved: &mut Option<(Vec<f32>, Vec<f32>, usize)>,
) -> Result<(Vec<Pass>, bool), String> {
    let mut last = Vec::new();
    while !rec.is_done() {
        if inner.cancel.get() {
            return Ok((last, true));
        }
        let t0 = now_ms();
        let pending = rec.step();
        let passes = pending.read_async().await?;
        if active == Active::Webgpu {
            let (h, l) = host_carry(rec.carry().clone()).await?;
            *saved = Some((h, l, rec.steps_done()));
        }
        rec.observe(&passes);
        let ms = now_ms() - t0;
        if let Some(f) = on_pass {
            for p in &passes {
                let js = JsPass {
                    step: p.step,
                    inner: p.inner,
                    tokens: &p.tokens,
                    confidence: &p.confidence,
                    halt_prob: &p.halt_prob,
                    ms,
                    backend: active,
                };
                let v = serde_wasm_bindgen::to_value(&js).map_err(|e| e.to_string())?;
                let _ = f.call1(&JsValue::NULL, &v);
            }
        }
        last = passes;
        yield_to_event_loop().await;
    }
    Ok((last, false))
}

async fn host_carry(c: Carry) -> Result<(Vec<f32>, Vec<f32>), String> {
    let h = c.z_h.into_data_async().await.map_err(|e| format!("{e:?}"))?;
    let l = c.z_l.into_data_async().await.map_err(|e| format!("{e:?}"))?;
    Ok((h.iter::<f32>().collect(), l.iter::<f32>().collect()))
}
