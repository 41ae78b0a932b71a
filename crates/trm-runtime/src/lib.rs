//! The model runtime behind the page, free of JavaScript so that it compiles and is tested
//! natively (flex, and wgpu on lavapipe) as well as in the browser: backend choice, loading with
//! warm-up, and the step loop with cancel, a per-step checkpoint of the carry and the CPU
//! fallback when — and only when — the GPU device is lost. `src/web/session.rs` binds it to JavaScript
//! through a [`Host`].

pub mod messages;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use burn::tensor::{Device, Tensor, TensorData};

use trm_model::model::{Carry, Trm};
use trm_model::recursion::{Batch, InputError, Pass, Recursion, SolveOptions};
use trm_model::weights::TensorMap;
use trm_model::weights::web::WebModel;
pub use trm_model::gpu::Gpu;
pub use messages::{Active, AdapterInfo, ModelInfo, PassMessage, SolveOptionsMessage, SolveResult};

/// The backend a page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendRequest {
    /// WebGPU when present and not slower than the CPU, else the CPU.
    Auto,
    /// WebGPU or an error.
    Webgpu,
    Cpu,
}

impl BackendRequest {
    pub fn wants_gpu(self) -> bool {
        self != BackendRequest::Cpu
    }
}

impl std::str::FromStr for BackendRequest {
    type Err = RuntimeError;
    fn from_str(s: &str) -> Result<Self, RuntimeError> {
        match s {
            "auto" => Ok(Self::Auto),
            "webgpu" => Ok(Self::Webgpu),
            "cpu" => Ok(Self::Cpu),
            other => Err(RuntimeError::Failed(format!("unknown backend `{other}` (auto, webgpu or cpu)"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuntimeError {
    /// The driver reported the GPU device lost (reset, removal, `destroy`).
    #[error("the GPU device was lost ({0})")]
    DeviceLost(String),
    #[error("a solve is already running; cancel it first")]
    Busy,
    #[error("no model loaded")]
    NoModel,
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{0}")]
    Failed(String),
}

/// What the runtime needs from the platform it runs on.
#[allow(async_fn_in_trait)]
pub trait Host {
    /// A monotonic clock in milliseconds.
    fn now_ms(&self) -> f64;
    /// Let the event loop run (a cancel message, a progress post) between steps.
    async fn yield_now(&self);
    /// A loading stage: "uploading", "compiling shaders", "warming up", "measuring".
    fn stage(&self, name: &str);
    /// Deliver one pass; an error ends the solve (it is not a device loss).
    fn pass(&self, pass: &PassMessage<'_>) -> Result<(), String>;
}

struct Loaded {
    model: Trm,
    /// The weights on the host, kept only while the model is on the GPU (the fallback rebuilds
    /// the model on the CPU from them).
    host: Option<TensorMap>,
    names: Option<Vec<String>>,
}

/// A model runtime bound to one backend, with at most one load or solve at a time.
pub struct Engine {
    requested: BackendRequest,
    gpu: Option<Arc<Gpu>>,
    gpu_error: Option<String>,
    active: Cell<Active>,
    reason: RefCell<String>,
    loaded: RefCell<Option<Rc<Loaded>>>,
    cancel: Cell<bool>,
    busy: Cell<bool>,
    /// Where the last solve of the loaded model ended, for a solve that resumes it.
    last: RefCell<Option<Checkpoint>>,
}

/// Clears the busy (and cancel) flag however a load or solve ends.
struct Claim<'a>(&'a Engine);

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.0.busy.set(false);
        self.0.cancel.set(false);
    }
}

/// The carry last read back from the GPU and the steps it has done.
struct Checkpoint {
    z_h: Vec<f32>,
    z_l: Vec<f32>,
    shape: [usize; 3],
    steps: usize,
}

impl Engine {
    /// `gpu` is the outcome of acquiring the device, for requests that want one.
    pub fn new(requested: BackendRequest, gpu: Option<Result<Arc<Gpu>, String>>) -> Result<Self, RuntimeError> {
        let (gpu, gpu_error) = match (requested, gpu) {
            (BackendRequest::Cpu, _) => (None, None),
            (_, Some(Ok(g))) => (Some(g), None),
            (BackendRequest::Webgpu, other) => {
                let why = other.and_then(Result::err).unwrap_or_else(|| "WebGPU was not initialised".into());
                return Err(RuntimeError::Failed(why));
            }
            (BackendRequest::Auto, other) => {
                (None, Some(other.and_then(Result::err).unwrap_or_else(|| "WebGPU was not initialised".into())))
            }
        };
        let (active, reason) = match (&gpu, requested) {
            (Some(_), _) => (Active::Webgpu, "WebGPU adapter found".to_string()),
            (None, BackendRequest::Cpu) => (Active::Cpu, "CPU requested".to_string()),
            (None, _) => (Active::Cpu, gpu_error.clone().unwrap_or_default()),
        };
        Ok(Self {
            requested,
            gpu,
            gpu_error,
            active: Cell::new(active),
            reason: RefCell::new(reason),
            loaded: RefCell::new(None),
            cancel: Cell::new(false),
            busy: Cell::new(false),
            last: RefCell::new(None),
        })
    }

    pub fn backend(&self) -> Active {
        self.active.get()
    }

    /// Why this backend is in use.
    pub fn backend_reason(&self) -> String {
        self.reason.borrow().clone()
    }

    pub fn adapter(&self) -> Option<AdapterInfo> {
        self.gpu.as_ref().map(|g| g.info())
    }

    /// Why WebGPU could not be used, if it was tried and failed.
    pub fn webgpu_error(&self) -> Option<String> {
        self.gpu_error.clone()
    }

    pub fn is_busy(&self) -> bool {
        self.busy.get()
    }

    /// Names of the loaded model's puzzle identifiers (ARC), if recorded.
    pub fn puzzle_identifiers(&self) -> Option<Vec<String>> {
        self.loaded.borrow().as_ref().and_then(|l| l.names.clone())
    }

    /// Stop the running solve after its current step.
    pub fn cancel(&self) {
        if self.busy.get() {
            self.cancel.set(true);
        }
    }

    /// Destroy the GPU device, as a driver reset would. False without a GPU.
    pub fn simulate_device_loss(&self) -> bool {
        self.gpu.as_ref().map(|g| g.destroy()).is_some()
    }

    fn claim(&self) -> Result<Claim<'_>, RuntimeError> {
        if self.busy.replace(true) {
            return Err(RuntimeError::Busy);
        }
        Ok(Claim(self))
    }

    fn device(&self, which: Active) -> Device {
        match (which, &self.gpu) {
            (Active::Webgpu, Some(g)) => g.device(),
            _ => Device::flex(),
        }
    }

    /// An error from work on `which`: a device loss only if the driver says the device is lost
    /// (its notice may arrive a moment after the failed call, hence the yield).
    async fn classify(&self, which: Active, error: String, host: &impl Host) -> RuntimeError {
        if which == Active::Webgpu {
            if let Some(gpu) = &self.gpu {
                if gpu.lost().is_none() {
                    host.yield_now().await;
                }
                if let Some(why) = gpu.lost() {
                    return RuntimeError::DeviceLost(format!("{why}; {error}"));
                }
            }
        }
        RuntimeError::Failed(error)
    }

    /// Warm up (compile every kernel) and time one network call, read back.
    async fn timed_pass(&self, model: &Trm, which: Active, host: &impl Host) -> Result<f64, RuntimeError> {
        let rows = vec![vec![1u32.min(model.config.vocab_size as u32 - 1); model.config.seq_len]];
        let batch = Batch::new(&rows, &[], model)?;
        let t0 = host.now_ms();
        let probe = Recursion::new(model, &batch, SolveOptions::reference(model), &self.device(which)).probe();
        match probe.read_async().await {
            Ok(_) => Ok(host.now_ms() - t0),
            Err(e) => Err(self.classify(which, e, host).await),
        }
    }

    /// Put a decoded model on the device, warm it up and (for `Auto`) pick the faster backend.
    pub async fn install(&self, parsed: WebModel, host: &impl Host) -> Result<ModelInfo, RuntimeError> {
        let _claim = self.claim()?;
        let WebModel { config, tensors, puzzle_identifiers, metadata } = parsed;
        let build = |which: Active| {
            Trm::from_tensors(config.clone(), &mut tensors.clone(), &self.device(which))
                .map_err(|e| RuntimeError::Failed(e.to_string()))
        };
        host.stage("uploading");
        let mut active = self.active.get();
        let mut model = build(active)?;
        host.yield_now().await;
        host.stage(if active == Active::Webgpu { "compiling shaders" } else { "warming up" });
        let mut warmup_ms = match self.timed_pass(&model, active, host).await {
            Ok(ms) => ms,
            // A model that does not run on this GPU (lost, out of memory, a shader the driver
            // rejects) still runs on the CPU.
            Err(e) if active == Active::Webgpu => {
                *self.reason.borrow_mut() = format!("WebGPU failed during warm-up ({e}); using the CPU");
                active = Active::Cpu;
                model = build(active)?;
                self.timed_pass(&model, active, host).await?
            }
            Err(e) => return Err(e),
        };
        if self.requested == BackendRequest::Auto && active == Active::Webgpu {
            let gpu = self.gpu.as_ref().expect("webgpu is active only with a device");
            if gpu.is_software() {
                *self.reason.borrow_mut() = "the WebGPU adapter is a software rasterizer; the CPU backend is faster".into();
                active = Active::Cpu;
                model = build(active)?;
                warmup_ms = self.timed_pass(&model, active, host).await?;
            } else {
                host.stage("measuring");
                let gpu_ms = self.timed_pass(&model, Active::Webgpu, host).await?;
                let cpu_model = build(Active::Cpu)?;
                let cpu_ms = self.timed_pass(&cpu_model, Active::Cpu, host).await?;
                if cpu_ms < gpu_ms {
                    active = Active::Cpu;
                    model = cpu_model;
                }
                *self.reason.borrow_mut() = format!(
                    "measured one network call: WebGPU {gpu_ms:.0} ms, CPU {cpu_ms:.0} ms; using the {}",
                    if active == Active::Cpu { "CPU" } else { "GPU" }
                );
            }
        }
        self.active.set(active);
        let info = ModelInfo {
            params: config.param_count(),
            task: config.task().map(|t| t.name()),
            config,
            puzzle_identifiers: puzzle_identifiers.clone(),
            backend: active,
            backend_reason: self.reason.borrow().clone(),
            warmup_ms,
            metadata,
        };
        let host_copy = (active == Active::Webgpu).then_some(tensors);
        *self.last.borrow_mut() = None;
        *self.loaded.borrow_mut() = Some(Rc::new(Loaded { model, host: host_copy, names: puzzle_identifiers }));
        Ok(info)
    }

    /// Solve B puzzles (`tokens` holds B·seq_len tokens, `puzzle_ids` B identifiers or none for
    /// all-zero), handing every pass to the host as it is read back.
    pub async fn solve(
        &self,
        tokens: &[u32],
        puzzle_ids: &[u32],
        options: &SolveOptionsMessage,
        host: &impl Host,
    ) -> Result<SolveResult, RuntimeError> {
        let _claim = self.claim()?;
        let mut loaded = self.loaded.borrow().clone().ok_or(RuntimeError::NoModel)?;
        let seq = loaded.model.config.seq_len;
        if tokens.is_empty() || tokens.len() % seq != 0 {
            return Err(RuntimeError::Failed(format!("expected a multiple of {seq} tokens, got {}", tokens.len())));
        }
        let rows: Vec<Vec<u32>> = tokens.chunks(seq).map(<[u32]>::to_vec).collect();
        let batch = Batch::new(&rows, puzzle_ids, &loaded.model)?;
        let max_steps = options.max_steps.unwrap_or(loaded.model.config.halt_max_steps).clamp(1, 1024);
        let resume = options.resume;
        let options = SolveOptions { max_steps, stop_on_halt: options.stop_on_halt, inner: options.inner };
        let mut active = self.active.get();
        let mut fell_back = None;
        let mut saved: Option<Checkpoint> = None;
        if resume {
            let last = self.last.borrow_mut().take().ok_or_else(|| {
                RuntimeError::Failed("there is no earlier solve of this model to continue".into())
            })?;
            if last.shape[0] != rows.len() {
                return Err(RuntimeError::Failed(format!(
                    "the last solve had {} puzzle(s), this one has {}: only the same batch size can continue",
                    last.shape[0],
                    rows.len()
                )));
            }
            if last.steps >= max_steps {
                return Err(RuntimeError::Failed(format!(
                    "the last solve already did {} steps: ask for more (maxSteps) to continue it",
                    last.steps
                )));
            }
            saved = Some(last);
        }
        let t_start = host.now_ms();
        loop {
            let device = self.device(active);
            let mut rec = Recursion::new(&loaded.model, &batch, options, &device);
            if let Some(c) = &saved {
                let carry = Carry {
                    z_h: Tensor::from_data(TensorData::new(c.z_h.clone(), c.shape), &device),
                    z_l: Tensor::from_data(TensorData::new(c.z_l.clone(), c.shape), &device),
                };
                rec = rec.with_carry(carry, c.steps);
            }
            match self.run_steps(&mut rec, active, host, &mut saved).await {
                Ok((last, cancelled)) => {
                    // Without it (a read-back failing now) the solve still stands; it just cannot be resumed.
                    *self.last.borrow_mut() = self.checkpoint(&rec, active, host).await.ok();
                    let end = last.iter().find(|p| p.inner.is_none());
                    return Ok(SolveResult {
                        steps: rec.steps_done(),
                        cancelled,
                        tokens: end.map(|p| p.tokens.clone()).unwrap_or_default(),
                        confidence: end.map(|p| p.confidence.clone()).unwrap_or_default(),
                        halt_prob: end.map(|p| p.halt_prob.clone()).unwrap_or_default(),
                        total_ms: host.now_ms() - t_start,
                        backend: active,
                        fell_back,
                    });
                }
                Err(RuntimeError::DeviceLost(e)) if active == Active::Webgpu => {
                    // Rebuild on the CPU and continue from the last checkpoint.
                    let why = format!("the GPU device was lost ({e}); continuing on the CPU");
                    active = Active::Cpu;
                    self.active.set(active);
                    *self.reason.borrow_mut() = why.clone();
                    fell_back = Some(why);
                    let mut tensors = loaded.host.clone().expect("a model on the GPU keeps its host weights");
                    let model = Trm::from_tensors(loaded.model.config.clone(), &mut tensors, &Device::flex())
                        .map_err(|e| RuntimeError::Failed(e.to_string()))?;
                    loaded = Rc::new(Loaded { model, host: None, names: loaded.names.clone() });
                    *self.loaded.borrow_mut() = Some(loaded.clone());
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The carry of `rec`, read back to the host.
    async fn checkpoint(&self, rec: &Recursion<'_>, active: Active, host: &impl Host) -> Result<Checkpoint, RuntimeError> {
        let c = rec.carry().clone();
        let shape = c.z_h.dims();
        let read = async { Ok::<_, String>((host_floats(c.z_h).await?, host_floats(c.z_l).await?)) };
        match read.await {
            Ok((z_h, z_l)) => Ok(Checkpoint { z_h, z_l, shape, steps: rec.steps_done() }),
            Err(e) => Err(self.classify(active, e, host).await),
        }
    }

    /// Run steps until done or cancelled, streaming passes. On the GPU the carry is read back
    /// after every step, so a lost device costs no progress.
    async fn run_steps(
        &self,
        rec: &mut Recursion<'_>,
        active: Active,
        host: &impl Host,
        saved: &mut Option<Checkpoint>,
    ) -> Result<(Vec<Pass>, bool), RuntimeError> {
        let gpu_lost = || match (active, &self.gpu) {
            (Active::Webgpu, Some(g)) => g.lost(),
            _ => None,
        };
        let mut last = Vec::new();
        while !rec.is_done() {
            if self.cancel.get() {
                return Ok((last, true));
            }
            if let Some(why) = gpu_lost() {
                return Err(RuntimeError::DeviceLost(why));
            }
            let t0 = host.now_ms();
            let passes = match rec.step().read_async().await {
                Ok(p) => p,
                Err(e) => return Err(self.classify(active, e, host).await),
            };
            if active == Active::Webgpu {
                *saved = Some(self.checkpoint(rec, active, host).await?);
            }
            rec.observe(&passes);
            let ms = host.now_ms() - t0;
            for p in &passes {
                let message = PassMessage {
                    step: p.step,
                    inner: p.inner,
                    tokens: &p.tokens,
                    confidence: &p.confidence,
                    halt_prob: &p.halt_prob,
                    answer_change: &p.answer_change,
                    reasoning_change: &p.reasoning_change,
                    ms,
                    backend: active,
                };
                host.pass(&message).map_err(RuntimeError::Failed)?;
            }
            last = passes;
            host.yield_now().await;
        }
        Ok((last, false))
    }
}

async fn host_floats(t: Tensor<3>) -> Result<Vec<f32>, String> {
    let data = t.into_data_async().await.map_err(|e| format!("reading the carry back: {e:?}"))?;
    Ok(data.iter::<f32>().collect())
}
