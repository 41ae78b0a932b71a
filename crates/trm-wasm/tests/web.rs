//! The wasm surface (`crates/trm-wasm/src/session.rs`) in headless Chromium through wasm-bindgen-test: a session
//! on the CPU backend (and on WebGPU, SwiftShader, with the `webgpu` feature) loads a converted
//! fixture, streams every pass, agrees with the native CLI, and turns bad bytes into errors.
//! Run: `cargo test -p trm-wasm --profile web --target wasm32-unknown-unknown --test web`
//! (`scripts/test.sh` runs it so; the page tests check the WebGPU module against the native CLI).
#![cfg(target_family = "wasm")]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Reflect, Uint32Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use trm_wasm::session::Session;

wasm_bindgen_test_configure!(run_in_browser);

const MODEL: &[u8] = include_bytes!("../../../www/models/sudoku-mlp-h64.safetensors");
const EXPECTED: &str = include_str!("../../../tests/browser/expected/sudoku-mlp-h64.json");

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn numbers(v: &JsValue) -> Vec<f64> {
    Array::from(v).iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()
}

/// Collects every pass a solve streams.
fn collector() -> (Function, Rc<RefCell<Vec<JsValue>>>) {
    let passes = Rc::new(RefCell::new(Vec::new()));
    let sink = passes.clone();
    let f = Closure::<dyn FnMut(JsValue)>::new(move |p: JsValue| sink.borrow_mut().push(p));
    (f.into_js_value().unchecked_into(), passes)
}

struct Expected {
    tokens: Vec<u32>,
    steps: usize,
    compare: usize,
    passes: Vec<(Vec<f64>, Vec<f64>)>,
}

fn expected() -> Expected {
    let v: serde_json::Value = serde_json::from_str(EXPECTED).unwrap();
    let nums = |x: &serde_json::Value| x.as_array().unwrap().iter().map(|n| n.as_f64().unwrap()).collect::<Vec<_>>();
    Expected {
        tokens: nums(&v["tokens"]).into_iter().map(|t| t as u32).collect(),
        steps: v["max_steps"].as_u64().unwrap() as usize,
        compare: v["steps_to_compare"].as_u64().unwrap() as usize,
        passes: v["passes"].as_array().unwrap().iter().map(|p| (nums(&p["tokens"]), nums(&p["halt_prob"]))).collect(),
    }
}

async fn solve_and_check(backend: &str) -> Vec<JsValue> {
    let session = Session::create(backend.into()).await.unwrap_or_else(|e| panic!("{backend}: {:?}", JsValue::from(e)));
    assert_eq!(session.backend(), backend);
    let info = session.load(MODEL.to_vec(), None).await.unwrap();
    assert_eq!(get(&info, "task").as_string().as_deref(), Some("sudoku"));
    let exp = expected();
    let (on_pass, passes) = collector();
    let opts = js_sys::Object::new();
    Reflect::set(&opts, &"maxSteps".into(), &(exp.steps as f64).into()).unwrap();
    let result = session.solve(exp.tokens.clone(), vec![], opts.into(), Some(on_pass)).await.unwrap();
    assert_eq!(get(&result, "steps").as_f64(), Some(exp.steps as f64));
    let passes = passes.borrow().clone();
    assert_eq!(passes.len(), exp.steps, "{backend}: one pass per supervision step");
    for (k, (tokens, halt)) in exp.passes.iter().take(exp.compare).enumerate() {
        let got = &passes[k];
        assert_eq!(&numbers(&get(got, "tokens")), tokens, "{backend}: step {} argmax differs from the native CLI", k + 1);
        let h = numbers(&get(got, "haltProb"));
        assert_eq!(h.len(), halt.len(), "{backend}: step {}: one halting probability per row", k + 1);
        for (row, (g, w)) in h.iter().zip(halt).enumerate() {
            assert!((g - w).abs() < 1e-3, "{backend}: step {} row {row} halt probability {g} vs {w}", k + 1);
        }
    }
    passes
}

#[wasm_bindgen_test]
async fn cpu_session_matches_the_native_cli() {
    solve_and_check("cpu").await;
}

#[cfg(feature = "webgpu")]
#[wasm_bindgen_test]
async fn webgpu_session_matches_the_native_cli() {
    solve_and_check("webgpu").await;
}

#[wasm_bindgen_test]
async fn bad_bytes_and_bad_inputs_are_errors_not_panics() {
    let session = Session::create("cpu".into()).await.unwrap();
    let cases = [
        (vec![], "not a TRM web model"),
        (b"not a model".to_vec(), "not a TRM web model"),
        (MODEL[..MODEL.len() / 2].to_vec(), "the file is truncated"),
    ];
    for (bad, why) in cases {
        let err = session.load(bad, None).await.err().expect("bad bytes must not load");
        let msg = get(&JsValue::from(err), "message").as_string().unwrap_or_default();
        assert!(msg.contains(why), "{msg}");
    }
    assert!(session.solve(vec![1; 81], vec![], JsValue::UNDEFINED, None).await.is_err(), "no model loaded");
    session.load(MODEL.to_vec(), None).await.unwrap();
    // Wrong length, token outside the vocabulary, unknown puzzle identifier.
    for (tokens, ids) in [(vec![1u32; 80], vec![]), (vec![99u32; 81], vec![]), (vec![1u32; 81], vec![5u32])] {
        assert!(session.solve(tokens, ids, JsValue::UNDEFINED, None).await.is_err());
    }
    // The session still works.
    let tokens = Uint32Array::from(&expected().tokens[..]).to_vec();
    let opts = js_sys::Object::new();
    Reflect::set(&opts, &"maxSteps".into(), &1.0.into()).unwrap();
    assert!(session.solve(tokens, vec![], opts.into(), None).await.is_ok());
}

/// The wasm matrix kernel (this build's form, SIMD128; the page tests run the relaxed SIMD build
/// against the native CLI) against products summed in f64, on shapes with partial tiles, panels
/// and depth slices.
#[wasm_bindgen_test]
fn matrix_kernel_matches_a_plain_product() {
    use trm_kernels::matmul::{matmul, PackedWeight};
    for (m, k, n) in [(1, 1, 1), (5, 300, 17), (97, 512, 40), (201, 257, 9)] {
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 31 % 97) as f32 - 48.0) / 48.0).collect();
        let w: Vec<f32> = (0..k * n).map(|i| ((i * 47 % 83) as f32 - 41.0) / 41.0).collect();
        let mut c = vec![std::mem::MaybeUninit::new(f32::NAN); m * n];
        matmul(&a, m, &PackedWeight::new(&w, k, n), &mut c);
        for (idx, got) in c.iter().enumerate() {
            // SAFETY: initialised above (and `matmul` writes every element).
            let got = unsafe { got.assume_init() } as f64;
            let (i, j) = (idx / n, idx % n);
            let want: f64 = (0..k).map(|kk| a[i * k + kk] as f64 * w[kk * n + j] as f64).sum();
            assert!((got - want).abs() <= 1e-5 * (1.0 + want.abs()), "{m}x{k}x{n} at ({i}, {j}): {got} vs {want}");
        }
    }
}
