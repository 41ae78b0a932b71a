//! Fast paths for the CPU backend (flex), natively and in wasm, where flex's general kernels
//! leave much of the time on the table. Plain f32 tensors only (inference and the trainer's
//! no-gradient cycles); each returns `None` otherwise and the caller takes burn's ops.
//! - The linear layers' products against weights packed once ([`linear`], [`matmul`]).
//! - The SwiGLU gate in one vectorised pass: flex evaluates `silu(gate) * up` as two passes with
//!   a scalar `expf` per element (about a quarter of a Sudoku-MLP inference step); this computes
//!   `gate / (1 + exp(-gate)) * up` with a polynomial `exp` that the compiler turns into SIMD
//!   code (SSE2 or AVX2+FMA chosen at run time on x86, SIMD128 in wasm). Under autodiff,
//!   [`swiglu_tracked`].
//! - Attention straight from the fused `qkv_proj` product ([`attention`]): per head, the rotary
//!   rotation and the 1/√d scale while packing Q and K, then for each block of queries the two
//!   products on the packed kernel around a vectorised softmax, the output written in the
//!   `[B, S, H·d]` layout `o_proj` reads. flex's own attention tiles long sequences into many
//!   small gemm calls with a scalar `expf`, and the burn ops around it (rotate-half, head split
//!   and merge) each copy the tensor.
//! - The post-norm block's `rms_norm(h + f)` in one pass over rows ([`residual_rms_norm`]), and
//!   for the token-mixing MLP, whose output is transposed and normalised over positions, in
//!   two ([`residual_rms_norm_over_positions`]: the sum and norm, then the transposition back):
//!   burn's ops make seven passes and allocations of it, single-threaded, and a copy of the
//!   transposed view after.

use std::mem::MaybeUninit;

use burn::tensor::{DType, Device, Tensor, TensorData};

use crate::matmul::{self, PackedWeight};
use crate::{Rotary, Weight};

/// A plain flex f32 tensor's storage (not under autodiff), contiguous (copied if it was a
/// strided view); `None` otherwise.
fn flex_f32<const D: usize>(x: &Tensor<D>) -> Option<burn::backend::flex::FlexTensor> {
    let device = x.device();
    if device.is_autodiff() || device != Device::flex() || x.dtype() != DType::F32 {
        return None;
    }
    let t = x.clone().try_into_primitive::<burn::backend::Flex>().ok()?;
    Some(contiguous(t))
}

/// `t` contiguous. A transposed view `[B, C, S]` of a contiguous `[B, S, C]` (the token-mixing
/// MLP's input) is copied by [`transposed`], a block of rows per thread: flex copies it on one
/// thread, with the others waiting.
fn contiguous(t: burn::backend::flex::FlexTensor) -> burn::backend::flex::FlexTensor {
    let layout = t.layout();
    if t.is_contiguous() || layout.num_dims() != 3 || t.dtype() != DType::F32 {
        return t;
    }
    let shape = layout.shape();
    let [b, c, s] = [shape[0], shape[1], shape[2]];
    if layout.strides() != [(s * c) as isize, 1, c as isize] {
        return t.to_contiguous();
    }
    let src = &t.storage::<f32>()[layout.start_offset()..][..b * s * c];
    burn::backend::flex::FlexTensor::from_data(TensorData::new(transposed(src, s, c), [b, c, s]))
}

/// Matrices `[rows, cols]` one after another in `src`, each transposed to `[cols, rows]`: a
/// block of output rows per thread.
fn transposed(src: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(src.len());
    by_rows(&mut out.spare_capacity_mut()[..src.len()], rows, |first, block| {
        for (i, out) in block.chunks_exact_mut(rows).enumerate() {
            let (matrix, col) = ((first + i) / cols, (first + i) % cols);
            let src = &src[matrix * rows * cols + col..];
            for (r, o) in out.iter_mut().enumerate() {
                o.write(src[r * cols]);
            }
        }
    });
    // SAFETY: the blocks wrote every row.
    unsafe { out.set_len(src.len()) };
    out
}

/// `x · W` through [`matmul`] against the weight, packed on the first call; `None` for tensors
/// other than plain flex f32 ones, or a machine without the kernel's instructions. A
/// non-contiguous input (the token-mixing MLP's transposed view) is copied first, as flex's own
/// matmul does.
pub fn linear<const D: usize>(x: &Tensor<D>, weight: &Weight) -> Option<Tensor<D>> {
    if !matmul::supported() {
        return None;
    }
    let input = flex_f32(x)?;
    let weight = weight.packed(|| {
        let [k, n] = weight.dims();
        let w = flex_f32(weight.tensor())?;
        Some(PackedWeight::new(w.as_slice::<f32>()?, k, n))
    })?;
    let mut dims = x.dims();
    let [k, n] = weight.dims();
    if dims[D - 1] != k {
        return None;
    }
    let m = dims[..D - 1].iter().product();
    let mut out = Vec::with_capacity(m * n);
    matmul::matmul(input.as_slice::<f32>()?, m, &weight, &mut out.spare_capacity_mut()[..m * n]);
    // SAFETY: `matmul` wrote all `m·n` elements (no zeroing pass over the largest buffers of a step).
    unsafe { out.set_len(m * n) };
    dims[D - 1] = n;
    Some(Tensor::from_data(TensorData::new(out, dims), &x.device()))
}

/// `rms_norm(h + f)` over the last axis, both `[B, S, C]`, one row at a time (a block of rows
/// per thread, outside a row shard); `None` unless both are plain flex f32 tensors.
pub fn residual_rms_norm(h: &Tensor<3>, f: &Tensor<3>, eps: f64) -> Option<Tensor<3>> {
    let dims = h.dims();
    if f.dims() != dims {
        return None;
    }
    let (h_values, f_values) = (flex_f32(h)?, flex_f32(f)?);
    let (h_rows, f_rows, c) = (h_values.as_slice::<f32>()?, f_values.as_slice::<f32>()?, dims[2]);
    let mut out = Vec::with_capacity(h_rows.len());
    by_rows(&mut out.spare_capacity_mut()[..h_rows.len()], c, |first, block| {
        let rows = first * c..first * c + block.len();
        for ((h, f), out) in h_rows[rows.clone()].chunks_exact(c).zip(f_rows[rows].chunks_exact(c)).zip(block.chunks_exact_mut(c)) {
            write_normalised(out, |j| h[j] + f[j], eps);
        }
    });
    // SAFETY: the blocks wrote every row.
    unsafe { out.set_len(h_rows.len()) };
    Some(Tensor::from_data(TensorData::new(out, dims), &h.device()))
}

/// The token-mixing block's norm: `f` is `[B, C, S]`, the MLP's output on the transposed
/// activations, and `rms_norm(hᵀ + f)` is over positions for each channel. Returns it in `h`'s
/// `[B, S, C]` layout, contiguous: burn's ops would normalise the transposed view and the next
/// layer copy it back. Both passes (the sum and norm in `f`'s layout, a row per channel, then the
/// transposition back) take a block of rows per thread.
pub fn residual_rms_norm_over_positions(h: &Tensor<3>, f: &Tensor<3>, eps: f64) -> Option<Tensor<3>> {
    let [b, s, c] = h.dims();
    if f.dims() != [b, c, s] {
        return None;
    }
    let (h_values, f_values) = (flex_f32(h)?, flex_f32(f)?);
    let (h_rows, f_rows) = (h_values.as_slice::<f32>()?, f_values.as_slice::<f32>()?);
    let mut sum = Vec::with_capacity(f_rows.len());
    by_rows(&mut sum.spare_capacity_mut()[..f_rows.len()], s, |first, block| {
        for (i, (out, f)) in block.chunks_exact_mut(s).zip(f_rows[first * s..].chunks_exact(s)).enumerate() {
            let (matrix, channel) = ((first + i) / c, (first + i) % c);
            let h = &h_rows[matrix * s * c + channel..];
            write_normalised(out, |pos| h[pos * c] + f[pos], eps);
        }
    });
    // SAFETY: the blocks wrote every row.
    unsafe { sum.set_len(f_rows.len()) };
    Some(Tensor::from_data(TensorData::new(transposed(&sum, c, s), [b, s, c]), &h.device()))
}

/// Element j of `row` set to `value(j)`, then the row scaled to a root mean square of 1 (RMSNorm
/// without a weight).
fn write_normalised(row: &mut [MaybeUninit<f32>], value: impl Fn(usize) -> f32, eps: f64) {
    for (j, o) in row.iter_mut().enumerate() {
        o.write(value(j));
    }
    // SAFETY: every element of the row was just written.
    let row = unsafe { &mut *(row as *mut [MaybeUninit<f32>] as *mut [f32]) };
    let scale = inverse_rms(row.iter().map(|x| x * x).sum::<f32>(), row.len(), eps);
    row.iter_mut().for_each(|x| *x *= scale);
}

/// 1 / sqrt(mean + eps) for a sum of `n` squares.
fn inverse_rms(sum_of_squares: f32, n: usize, eps: f64) -> f32 {
    ((sum_of_squares as f64 / n as f64 + eps).sqrt()).recip() as f32
}

/// `silu(gate) * up` for the output of a SwiGLU's `gate_up_proj` (gate the first half of each
/// row, up the second), or `None` when the tensor is not a plain flex f32 tensor. It reads the
/// product's buffer in place, and with several threads (outside a row shard) each takes a block
/// of rows.
pub fn swiglu(gate_up: &Tensor<3>) -> Option<Tensor<3>> {
    let primitive = flex_f32(gate_up)?;
    let [b, s, w] = gate_up.dims();
    let inter = w / 2;
    let src = primitive.as_slice::<f32>()?;
    let mut out = Vec::with_capacity(b * s * inter);
    gate_rows_threaded(src, &mut out.spare_capacity_mut()[..b * s * inter], inter);
    // SAFETY: the gate wrote every element (no zeroing pass first, on one thread).
    unsafe { out.set_len(b * s * inter) };
    Some(Tensor::from_data(TensorData::new(out, [b, s, inter]), &gate_up.device()))
}

/// [`gate_rows`] a block of rows at a time ([`by_rows`]).
fn gate_rows_threaded(src: &[f32], out: &mut [MaybeUninit<f32>], inter: usize) {
    by_rows(out, inter, |first, block| gate_rows(&src[first * 2 * inter..][..2 * block.len()], block, inter));
}

/// `f(first_row, block)` over `out`'s rows (`width` wide): one block of rows per rayon thread
/// when there are several, this is not inside a row shard and the work is worth the hand-off;
/// else one call for all.
fn by_rows(out: &mut [MaybeUninit<f32>], width: usize, f: impl Fn(usize, &mut [MaybeUninit<f32>]) + Sync) {
    debug_assert_eq!(out.len() % width, 0, "whole rows");
    #[cfg(feature = "rayon")]
    {
        let threads = crate::threads::available();
        let rows = out.len() / width;
        if threads > 1 && out.len() >= 1 << 15 && rows >= threads {
            let per = rows.div_ceil(threads);
            let (len, out) = (out.len(), crate::threads::SharedOut::new(out));
            return crate::threads::for_each(rows.div_ceil(per), |i| {
                // SAFETY: the blocks are disjoint rows.
                f(i * per, unsafe { out.range(i * per * width..((i + 1) * per * width).min(len)) })
            });
        }
    }
    f(0, out)
}

/// The same under autodiff (the trainer's cycle with gradient), where burn records `silu` as a
/// scalar-`exp` sigmoid forward and a second one in its backward: one vectorised pass computes,
/// from the gate's values g, silu(g) and its slope silu'(g) = σ(g)(1 + g(1 − σ(g))), and the
/// recorded graph is `silu(g) + (gate − g)·silu'(g)`, whose value is silu(g) exactly
/// (`gate − g` is zero) and whose gradient is the slope: products and sums only, which flex
/// vectorises. `None` when the tensor is not a flex f32 tensor under autodiff.
#[cfg(feature = "autodiff")]
pub fn swiglu_tracked(gate_up: &Tensor<3>) -> Option<Tensor<3>> {
    let device = gate_up.device();
    if !device.is_autodiff() || device.clone().without_autodiff() != Device::flex() || gate_up.dtype() != DType::F32 {
        return None;
    }
    let [b, s, w] = gate_up.dims();
    let inter = w / 2;
    let gate = gate_up.clone().narrow(2, 0, inter);
    let up = gate_up.clone().narrow(2, inter, inter);
    let values = gate.clone().inner().into_data();
    let g = values.as_slice::<f32>().ok()?;
    let (mut silu, mut slope) = (vec![0.0f32; g.len()], vec![0.0f32; g.len()]);
    silu_and_slope(g, &mut silu, &mut slope);
    let constant = |v: Vec<f32>| Tensor::<3>::from_data(TensorData::new(v, [b, s, inter]), &device);
    let gated = constant(silu) + (gate.clone() - gate.detach()) * constant(slope);
    Some(gated * up)
}

#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn silu_and_slope(g: &[f32], silu: &mut [f32], slope: &mut [f32]) {
    for ((&x, y), d) in g.iter().zip(silu.iter_mut()).zip(slope.iter_mut()) {
        let sig = 1.0 / (1.0 + exp(-x));
        *y = x * sig;
        *d = sig * (1.0 + x * (1.0 - sig));
    }
}

/// Each row of `src` is `[gate | up]`; the matching row of `out` gets `silu(gate) * up` (every
/// element written).
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn gate_rows(src: &[f32], out: &mut [MaybeUninit<f32>], inter: usize) {
    #[cfg(all(target_family = "wasm", target_feature = "simd128"))]
    if inter % 4 == 0 {
        return gate_rows_simd128(src, out, inter);
    }
    for (row, o) in src.chunks_exact(2 * inter).zip(out.chunks_exact_mut(inter)) {
        let (gate, up) = row.split_at(inter);
        for ((o, &g), &u) in o.iter_mut().zip(gate).zip(up) {
            o.write(g / (1.0 + exp(-g)) * u);
        }
    }
}

/// The SIMD128 form of [`gate_rows`]'s loop (`inter` a multiple of 4), on [`exp_simd128`]: the
/// compiler vectorises the generic loop too, but only explicit code gets relaxed SIMD's fused
/// multiply-add in the relaxed build.
#[cfg(all(target_family = "wasm", target_feature = "simd128"))]
fn gate_rows_simd128(src: &[f32], out: &mut [MaybeUninit<f32>], inter: usize) {
    use core::arch::wasm32::*;
    for (row, o) in src.chunks_exact(2 * inter).zip(out.chunks_exact_mut(inter)) {
        let (gate, up) = row.split_at(inter);
        for ((o, g), u) in o.chunks_exact_mut(4).zip(gate.chunks_exact(4)).zip(up.chunks_exact(4)) {
            // SAFETY: each chunk holds exactly 4 floats.
            unsafe {
                let g = v128_load(g.as_ptr() as *const v128);
                let u = v128_load(u.as_ptr() as *const v128);
                let sigmoid_den = f32x4_add(f32x4_splat(1.0), exp_simd128(f32x4_neg(g)));
                v128_store(o.as_mut_ptr() as *mut v128, f32x4_mul(f32x4_div(g, sigmoid_den), u));
            }
        }
    }
}

// [`exp`]'s constants: ln 2 in two parts, 1.5·2^23 (adding and subtracting it rounds to the
// nearest integer without a libm call) and e^r's polynomial from its highest coefficient.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const ROUND: f32 = 12_582_912.0;
const EXP_POLY: [f32; 6] = [1.987_569_1e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5];

/// `e^x` to about 2 ulp, branch-free so that loops over it vectorise: x = n·ln2 + r with
/// |r| ≤ ln2/2, a degree-6 polynomial for e^r, and 2^n built in the exponent bits. Inputs are
/// clamped to where 2^n stays a normal f32 (e^-87.3 ≈ 1.2e-38, e^88 ≈ 1.7e38).
#[inline(always)]
fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.3, 88.0);
    let t = x * std::f32::consts::LOG2_E + ROUND;
    let n = t - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    // Plain multiply-adds: `mul_add` is a libm call where the target has no FMA (wasm, SSE2).
    let p = EXP_POLY[1..].iter().fold(EXP_POLY[0], |p, c| p * r + c);
    let e = p * r * r + r + 1.0;
    // t = 1.5·2^23 + n, so n sits in t's low mantissa bits: integer arithmetic moves it into
    // the exponent (`n as i32` compiled to one scalar conversion per lane on x86).
    let biased = (t.to_bits() as i32 - ROUND.to_bits() as i32 + 127) as u32;
    e * f32::from_bits(biased << 23)
}

/// [`exp`] on four lanes, its multiply-adds fused in the relaxed SIMD build.
#[cfg(all(target_family = "wasm", target_feature = "simd128"))]
#[inline(always)]
fn exp_simd128(x: core::arch::wasm32::v128) -> core::arch::wasm32::v128 {
    use crate::matmul::madd;
    use core::arch::wasm32::*;
    let x = f32x4_pmax(f32x4_pmin(x, f32x4_splat(88.0)), f32x4_splat(-87.3));
    let t = madd(x, f32x4_splat(std::f32::consts::LOG2_E), f32x4_splat(ROUND));
    let n = f32x4_sub(t, f32x4_splat(ROUND));
    let r = madd(n, f32x4_splat(-LN2_LO), madd(n, f32x4_splat(-LN2_HI), x));
    let p = EXP_POLY[1..].iter().fold(f32x4_splat(EXP_POLY[0]), |p, c| madd(p, r, f32x4_splat(*c)));
    let e = madd(f32x4_mul(p, r), r, f32x4_add(r, f32x4_splat(1.0)));
    let biased = i32x4_add(i32x4_sub(t, i32x4_splat(ROUND.to_bits() as i32)), i32x4_splat(127));
    f32x4_mul(e, i32x4_shl(biased, 23))
}

/// Non-causal multi-head attention for the output of a fused `qkv_proj` (`[B, S, 3·H·d]`: Q's
/// heads, then K's, then V's), rotary positions applied to Q and K when given: returns the heads'
/// outputs side by side, `[B, S, H·d]`, or `None` when the tensors are not plain flex f32 ones.
pub fn attention(qkv: &Tensor<3>, heads: usize, rotary: Option<&Rotary>) -> Option<Tensor<3>> {
    if !matmul::supported() {
        return None;
    }
    let primitive = flex_f32(qkv)?;
    let [b, s, w] = qkv.dims();
    let d = w / (3 * heads);
    let in_place = |t: &Tensor<2>| t.clone().try_into_primitive::<burn::backend::Flex>().ok();
    let tables = match rotary {
        Some(rot) if rot.cos.dims() == [s, d] && rot.sin.dims() == [s, d] => {
            Some((in_place(&rot.cos)?, in_place(&rot.sin)?))
        }
        Some(_) => return None,
        None => None,
    };
    let tables = match &tables {
        Some((cos, sin)) => Some((cos.as_slice::<f32>()?, sin.as_slice::<f32>()?)),
        None => None,
    };
    let src = primitive.as_slice::<f32>()?;
    let shape = Heads { s, d, heads };
    let run = |task: usize| shape.head(&src[(task / heads) * s * w..][..s * w], task % heads, tables);
    let tasks = b * heads;
    #[cfg(feature = "rayon")]
    let outputs: Vec<Vec<f32>> = {
        use rayon::prelude::*;
        if crate::threads::available() > 1 && tasks > 1 {
            // A head's products stay on the thread that takes it.
            (0..tasks).into_par_iter().map(|task| crate::threads::shard(|| run(task))).collect()
        } else {
            (0..tasks).map(run).collect()
        }
    };
    #[cfg(not(feature = "rayon"))]
    let outputs: Vec<Vec<f32>> = (0..tasks).map(run).collect();
    // Heads side by side: row i of head h goes to columns h·d.. of row i.
    let mut out = vec![0.0f32; b * s * heads * d];
    for (task, head) in outputs.iter().enumerate() {
        let (batch, h) = (task / heads, task % heads);
        for (i, row) in head.chunks_exact(d).enumerate() {
            out[(batch * s + i) * heads * d + h * d..][..d].copy_from_slice(row);
        }
    }
    Some(Tensor::from_data(TensorData::new(out, [b, s, heads * d]), &qkv.device()))
}

/// The sizes of one attention call: sequence, head width, heads.
struct Heads {
    s: usize,
    d: usize,
    heads: usize,
}

/// Query rows per block of scores: a block's `[QUERIES, S]` scores stay in L2 between the two
/// products and the softmax (at 916 positions, the whole `[S, S]` matrix of a head is 3.4 MB).
const QUERIES: usize = 96;

impl Heads {
    /// Head `h` of one sequence (`qkv`: its `[S, 3·H·d]` rows): softmax(Q·Kᵀ/√d)·V as `[S, d]`,
    /// Kᵀ and V packed as the products' weights, the queries a block at a time.
    fn head(&self, qkv: &[f32], h: usize, rotary: Option<(&[f32], &[f32])>) -> Vec<f32> {
        let Heads { s, d, heads } = *self;
        let w = 3 * heads * d;
        let scale = 1.0 / (d as f32).sqrt();
        let (mut q, mut kt, mut v, mut k) = (vec![0.0f32; s * d], vec![0.0f32; d * s], vec![0.0f32; s * d], vec![0.0f32; d]);
        for i in 0..s {
            let row = &qkv[i * w..][..w];
            let table = rotary.map(|(cos, sin)| (&cos[i * d..][..d], &sin[i * d..][..d]));
            pack(&row[h * d..][..d], &mut q[i * d..][..d], table, scale);
            pack(&row[(heads + h) * d..][..d], &mut k, table, 1.0);
            for (j, x) in k.iter().enumerate() {
                kt[j * s + i] = *x;
            }
            v[i * d..][..d].copy_from_slice(&row[(2 * heads + h) * d..][..d]);
        }
        let (kt, v) = (PackedWeight::new(&kt, d, s), PackedWeight::new(&v, s, d));
        let mut out = Vec::with_capacity(s * d);
        let mut scores = Vec::with_capacity(QUERIES.min(s) * s);
        for i0 in (0..s).step_by(QUERIES) {
            let rows = QUERIES.min(s - i0);
            scores.clear();
            matmul::matmul(&q[i0 * d..][..rows * d], rows, &kt, &mut scores.spare_capacity_mut()[..rows * s]);
            // SAFETY: `matmul` wrote all `rows·s` elements.
            unsafe { scores.set_len(rows * s) };
            softmax_rows(&mut scores, s);
            matmul::matmul(&scores, rows, &v, &mut out.spare_capacity_mut()[i0 * d..][..rows * d]);
        }
        // SAFETY: the blocks wrote all `s·d` elements.
        unsafe { out.set_len(s * d) };
        out
    }
}

/// One row of Q or K for one head into its packed row: rotate-half rotary when given
/// (`x·cos + rotate_half(x)·sin`, rotate_half(x) = [−x₂, x₁]), times `scale`.
fn pack(x: &[f32], out: &mut [f32], rotary: Option<(&[f32], &[f32])>, scale: f32) {
    let half = x.len() / 2;
    match rotary {
        Some((cos, sin)) => {
            for j in 0..x.len() {
                let rotated = if j < half { -x[j + half] } else { x[j - half] };
                out[j] = (x[j] * cos[j] + rotated * sin[j]) * scale;
            }
        }
        None => out.iter_mut().zip(x).for_each(|(o, &v)| *o = v * scale),
    }
}

/// `e^x`, or 0 far below the row's maximum: `exp` would give its floor (1.2e-38) there, which
/// divided by the row's sum is a subnormal, and a product with subnormals takes Intel cores a
/// microcode assist per operation (with random weights, most of the ARC-size preset's
/// probabilities: its attention products ran 3× slower than the rest). e^-75 ≈ 3e-33 stays
/// normal after dividing by a sum of up to 10⁵ terms of at most 1.
#[inline(always)]
fn exp_or_zero(x: f32) -> f32 {
    // Computed either way: a select of two values vectorises, a skipped call did not.
    let e = exp(x);
    if x < -75.0 { 0.0 } else { e }
}

/// Softmax of each `width`-long row in place, with sixteen running lanes for the maximum and the
/// sum: the compiler may not reorder a float reduction by itself, and one lane at a time would
/// not vectorise.
#[multiversion::multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn softmax_rows(x: &mut [f32], width: usize) {
    const LANES: usize = 16;
    for row in x.chunks_exact_mut(width) {
        let mut lanes = [f32::NEG_INFINITY; LANES];
        let mut chunks = row.chunks_exact(LANES);
        for c in &mut chunks {
            for (m, &v) in lanes.iter_mut().zip(c) {
                *m = if v > *m { v } else { *m };
            }
        }
        let max = chunks.remainder().iter().chain(&lanes).fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let mut sums = [0.0f32; LANES];
        let mut chunks = row.chunks_exact_mut(LANES);
        for c in &mut chunks {
            for (s, v) in sums.iter_mut().zip(c) {
                *v = exp_or_zero(*v - max);
                *s += *v;
            }
        }
        let mut sum: f32 = sums.iter().sum();
        for v in chunks.into_remainder() {
            *v = exp_or_zero(*v - max);
            sum += *v;
        }
        let inv = 1.0 / sum;
        row.iter_mut().for_each(|v| *v *= inv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uninit(n: usize) -> Vec<MaybeUninit<f32>> {
        vec![MaybeUninit::new(f32::NAN); n]
    }

    /// The values of a buffer that the code under test was to write in full (NaN-filled before).
    fn written(v: Vec<MaybeUninit<f32>>) -> Vec<f32> {
        // SAFETY: `uninit` initialised every element.
        v.into_iter().map(|x| unsafe { x.assume_init() }).collect()
    }

    #[test]
    fn exp_matches_std_to_a_few_ulp_over_the_whole_range() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let (a, b) = (exp(x) as f64, (x as f64).exp());
            worst = worst.max(((a - b) / b).abs());
            x += 0.000_731;
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
        assert_eq!(exp(-1000.0), exp(-87.3));
        assert!(exp(1000.0).is_finite());
    }

    #[test]
    fn silu_and_its_slope_match_the_formulas() {
        let g: Vec<f32> = (0..101).map(|i| (i as f32 - 50.0) / 4.0).collect();
        let (mut y, mut d) = (vec![0.0; g.len()], vec![0.0; g.len()]);
        silu_and_slope(&g, &mut y, &mut d);
        for ((&x, &y), &d) in g.iter().zip(&y).zip(&d) {
            let x = x as f64;
            let sig = 1.0 / (1.0 + (-x).exp());
            let h = 1e-4;
            let numeric = ((x + h) / (1.0 + (-(x + h)).exp()) - (x - h) / (1.0 + (-(x - h)).exp())) / (2.0 * h);
            assert!((y as f64 - x * sig).abs() <= 1e-6 * (x * sig).abs().max(1.0), "silu({x})");
            assert!((d as f64 - numeric).abs() <= 1e-5, "silu'({x}): {d} vs {numeric}");
        }
    }

    #[test]
    fn threaded_gate_equals_one_pass() {
        // Large enough for one block per thread of the global pool (two on a 2-core machine).
        let (rows, inter) = (97, 512);
        let src: Vec<f32> = (0..rows * 2 * inter).map(|i| ((i * 7919) % 400) as f32 / 20.0 - 10.0).collect();
        let (mut one, mut split) = (uninit(rows * inter), uninit(rows * inter));
        gate_rows(&src, &mut one, inter);
        gate_rows_threaded(&src, &mut split, inter);
        assert_eq!(written(one), written(split));
    }

    #[test]
    fn residual_norms_equal_burn_ops() {
        let device = Device::flex();
        // 2 × 97 × 512: rows in a block per thread (past `by_rows`' threshold) on a multi-core machine.
        let (b, s, c) = (2, 97, 512);
        let values = |seed: usize| (0..b * s * c).map(|i| ((i * seed) % 1000) as f32 / 250.0 - 2.0).collect::<Vec<_>>();
        let h = Tensor::<3>::from_data(TensorData::new(values(7919), [b, s, c]), &device);
        let f = Tensor::<3>::from_data(TensorData::new(values(104_729), [b, s, c]), &device);
        let f_t = Tensor::<3>::from_data(TensorData::new(values(104_729), [b, c, s]), &device);
        let worst = |fast: Tensor<3>, want: Tensor<3>| {
            assert_eq!(fast.dims(), want.dims());
            let want: Vec<f32> = want.into_data().iter::<f32>().collect();
            fast.into_data().iter::<f32>().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max)
        };
        let eps = 1e-5;
        let rows = worst(residual_rms_norm(&h, &f, eps).unwrap(), crate::rms_norm(h.clone() + f.clone(), eps));
        // A non-contiguous `h` (the token-mixing block's is a transposed view elsewhere) reads the same.
        let h_view = h.clone().swap_dims(1, 2).swap_dims(1, 2);
        let over_positions = worst(
            residual_rms_norm_over_positions(&h_view, &f_t, eps).unwrap(),
            crate::rms_norm(h.clone().swap_dims(1, 2) + f_t.clone(), eps).swap_dims(1, 2),
        );
        assert!(rows < 1e-5 && over_positions < 1e-5, "worst differences: rows {rows}, over positions {over_positions}");
        assert!(residual_rms_norm(&h, &f_t, eps).is_none(), "shapes that differ");
    }

    /// The token-mixing MLP's input, a transposed view, is copied (a block of rows per thread
    /// here) into the order flex's own copy gives.
    #[test]
    fn transposed_views_copy_in_order() {
        let (b, s, c) = (2, 97, 512);
        let x = Tensor::<3>::from_data(TensorData::new((0..b * s * c).map(|i| i as f32).collect::<Vec<_>>(), [b, s, c]), &Device::flex());
        let view = x.swap_dims(1, 2);
        let copied = flex_f32(&view).unwrap();
        assert_eq!(copied.layout().shape().to_vec(), vec![b, c, s]);
        let want: Vec<f32> = view.into_data().iter::<f32>().collect();
        assert_eq!(copied.as_slice::<f32>().unwrap(), &want[..]);
    }

    /// Probabilities far below a row's largest are 0, never subnormal (slow on Intel cores).
    #[test]
    fn softmax_rows_give_no_subnormals() {
        let mut x: Vec<f32> = (0..40).map(|i| -(i as f32) * 3.0).collect();
        softmax_rows(&mut x, 40);
        assert!(x.iter().all(|p| *p == 0.0 || p.is_normal()), "{x:?}");
        assert!(x[..25].iter().all(|p| *p > 0.0) && x[26..].iter().all(|p| *p == 0.0), "{x:?}");
    }

    #[test]
    fn softmax_rows_sum_to_one_and_keep_the_order() {
        // Widths around the 16 lanes, and a row whose exponentials would overflow without the max.
        for width in [1, 7, 15, 16, 17, 40] {
            let offset = |i: usize| if i < width { 0.0 } else { 200.0 };
            let mut x: Vec<f32> = (0..2 * width).map(|i| (i as f32 * 0.37).sin() * 5.0 + offset(i)).collect();
            let before = x.clone();
            softmax_rows(&mut x, width);
            for (row, orig) in x.chunks(width).zip(before.chunks(width)) {
                let sum: f32 = row.iter().sum();
                assert!((sum - 1.0).abs() < 1e-5, "width {width}: sum {sum}");
                let m = orig.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                for (&p, &v) in row.iter().zip(orig) {
                    let want = ((v - m) as f64).exp() / orig.iter().map(|&u| ((u - m) as f64).exp()).sum::<f64>();
                    assert!((p as f64 - want).abs() < 1e-6, "width {width}");
                }
            }
        }
    }

    #[test]
    fn gated_rows_equal_silu_times_up() {
        let inter = 37;
        let src: Vec<f32> = (0..3 * 2 * inter).map(|i| ((i * 7919) % 200) as f32 / 10.0 - 10.0).collect();
        let mut out = uninit(3 * inter);
        gate_rows(&src, &mut out, inter);
        for (r, o) in written(out).chunks(inter).enumerate() {
            for (j, &v) in o.iter().enumerate() {
                let (g, u) = (src[r * 2 * inter + j] as f64, src[r * 2 * inter + inter + j] as f64);
                let want = g / (1.0 + (-g).exp()) * u;
                assert!((v as f64 - want).abs() <= 1e-5 * want.abs().max(1.0), "row {r} col {j}: {v} vs {want}");
            }
        }
    }
}
