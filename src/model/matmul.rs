//! `x · W` for the CPU backend against a weight packed once, natively (AVX2 and FMA, detected at
//! run time) and in wasm (SIMD128). gemm, which flex calls, packs the weight again on every
//! call, and its wasm kernel reached 13–15 GFLOP/s in Chromium on the model's shapes where this
//! one reaches about 20; these products are most of a step.
//!
//! The weight `[k, n]` is stored as panels of `NR` columns, each `k` rows of `NR` values; the
//! input is packed per call in tiles of `MR` rows. A micro-kernel keeps an `MR × NR` block of
//! the output in registers over a slice of depth `KC`, so its panel slice stays in L1.
//!
//! In wasm the kernel has two forms: SIMD128's separate multiply and add, and, in a build with
//! relaxed SIMD (`-C target-feature=+relaxed-simd`), its fused multiply-add (about 1.35× faster
//! in Chromium on the same tile). `scripts/build-web.sh` builds each CPU runtime module both
//! ways, and the worker loads the second only where the engine validates relaxed SIMD: one
//! relaxed instruction anywhere makes a whole module fail to compile elsewhere, and LLVM's wasm
//! backend gives every function the features of any one, so the two must be separate builds.

use std::mem::MaybeUninit;

/// Rows per input tile and columns per weight panel. Natively 6 × 16 (twelve 8-wide
/// accumulators, two loads per step). In wasm the engine has 16 vector registers: 4 × 8 (eight
/// accumulators) measured fastest in Chromium; 6 × 8 and 4 × 12 spill and ran at 14–17 GFLOP/s.
/// With fused multiply-add (the relaxed SIMD build), 3 × 12 ran at 28, 4 × 8 at 26–27 and 5 × 8
/// (spilling) at 13; 3 × 12 made a whole Sudoku-MLP step about 3% faster than 4 × 8 there.
#[cfg(target_arch = "x86_64")]
const TILE: (usize, usize) = (6, 16);
#[cfg(all(target_family = "wasm", not(target_feature = "relaxed-simd")))]
const TILE: (usize, usize) = (4, 8);
#[cfg(all(target_family = "wasm", target_feature = "relaxed-simd"))]
const TILE: (usize, usize) = (3, 12);
#[cfg(not(any(target_arch = "x86_64", target_family = "wasm")))]
const TILE: (usize, usize) = (1, 1);

const MR: usize = TILE.0;
const NR: usize = TILE.1;
/// Depth of one pass: a panel slice (NR·KC floats) fits in L1.
const KC: usize = 256;
/// Input rows packed at a time: MC·KC floats fit in L2. Whole tiles: the packing buffer holds MC rows.
const MC: usize = 192;
const _: () = assert!(MC % MR == 0);

/// Whether this machine runs the kernel (else the caller takes burn's matmul).
pub fn supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
    #[cfg(all(target_family = "wasm", target_feature = "simd128"))]
    return true;
    #[allow(unreachable_code)]
    false
}

/// A `[k, n]` row-major weight as panels of `NR` columns (zero past `n`).
#[derive(Debug)]
pub struct PackedWeight {
    k: usize,
    n: usize,
    data: Vec<f32>,
}

impl PackedWeight {
    pub fn new(w: &[f32], k: usize, n: usize) -> Self {
        assert_eq!(w.len(), k * n, "weight size");
        let panels = n.div_ceil(NR);
        let mut data = vec![0.0f32; panels * k * NR];
        for (p, panel) in data.chunks_exact_mut(k * NR).enumerate() {
            let (j0, cols) = (p * NR, NR.min(n - p * NR));
            for (kk, row) in panel.chunks_exact_mut(NR).enumerate() {
                row[..cols].copy_from_slice(&w[kk * n + j0..kk * n + j0 + cols]);
            }
        }
        Self { k, n, data }
    }

    pub fn dims(&self) -> [usize; 2] {
        [self.k, self.n]
    }

    fn panel(&self, p: usize) -> &[f32] {
        &self.data[p * self.k * NR..(p + 1) * self.k * NR]
    }
}

/// `c = a · w` for `a` `[m, k]` and `c` `[m, n]`, both row-major: every element of `c` is
/// written (the caller's buffer need not be initialised, nor zeroed first). With
/// several rayon threads, outside a rayon task (a row shard), each thread takes a block of
/// columns, or of rows when there are few columns.
pub fn matmul(a: &[f32], m: usize, w: &PackedWeight, c: &mut [MaybeUninit<f32>]) {
    let (k, n) = (w.k, w.n);
    assert!(supported(), "packed matmul on a machine without its instructions");
    assert_eq!(a.len(), m * k, "input size");
    assert_eq!(c.len(), m * n, "output size");
    if k == 0 {
        c.fill(MaybeUninit::new(0.0));
        return;
    }
    let panels = n.div_ceil(NR);
    #[cfg(any(feature = "flex", feature = "threads"))]
    {
        use rayon::prelude::*;
        let threads = rayon::current_num_threads();
        if threads > 1 && rayon::current_thread_index().is_none() && m * k * n >= 1 << 20 {
            if panels >= 4 * threads {
                let per = panels.div_ceil(threads);
                let out = SharedOut(c.as_mut_ptr(), c.len());
                return (0..threads).into_par_iter().for_each(|t| {
                    let lo = (t * per).min(panels);
                    // SAFETY: every thread writes only the columns of its own panels.
                    let c = unsafe { out.slice() };
                    block(a, m, w, c, lo..((t + 1) * per).min(panels));
                });
            }
            if m >= 2 * MR * threads {
                let per = m.div_ceil(threads).div_ceil(MR) * MR;
                return c
                    .par_chunks_mut(per * n)
                    .zip(a.par_chunks(per * k))
                    .for_each(|(c, a)| block(a, c.len() / n, w, c, 0..panels));
            }
        }
    }
    block(a, m, w, c, 0..panels)
}

/// `a · b + c` on four lanes, fused in a build with relaxed SIMD.
#[cfg(all(target_family = "wasm", target_feature = "simd128"))]
#[inline(always)]
pub(crate) fn madd(a: core::arch::wasm32::v128, b: core::arch::wasm32::v128, c: core::arch::wasm32::v128) -> core::arch::wasm32::v128 {
    use core::arch::wasm32::*;
    #[cfg(target_feature = "relaxed-simd")]
    return f32x4_relaxed_madd(a, b, c);
    #[cfg(not(target_feature = "relaxed-simd"))]
    f32x4_add(f32x4_mul(a, b), c)
}

/// The output shared by threads that write disjoint columns of it.
#[cfg(any(feature = "flex", feature = "threads"))]
#[derive(Clone, Copy)]
struct SharedOut(*mut MaybeUninit<f32>, usize);
#[cfg(any(feature = "flex", feature = "threads"))]
unsafe impl Send for SharedOut {}
#[cfg(any(feature = "flex", feature = "threads"))]
unsafe impl Sync for SharedOut {}
#[cfg(any(feature = "flex", feature = "threads"))]
impl SharedOut {
    #[allow(clippy::mut_from_ref)]
    unsafe fn slice(&self) -> &mut [MaybeUninit<f32>] {
        unsafe { std::slice::from_raw_parts_mut(self.0, self.1) }
    }
}

/// Columns `panels` of `c = a · w`.
fn block(a: &[f32], m: usize, w: &PackedWeight, c: &mut [MaybeUninit<f32>], panels: std::ops::Range<usize>) {
    let (k, n) = (w.k, w.n);
    let mut tiles_buf = vec![0.0f32; MC.min(m.div_ceil(MR) * MR) * KC.min(k)];
    for k0 in (0..k).step_by(KC) {
        let kc = KC.min(k - k0);
        for i0 in (0..m).step_by(MC) {
            let mc = MC.min(m - i0);
            // Tile t holds element (r, kk) of its MR rows at t·MR·kc + kk·MR + r.
            let tiles = mc.div_ceil(MR);
            for t in 0..tiles {
                let tile = &mut tiles_buf[t * MR * kc..(t + 1) * MR * kc];
                for r in 0..MR.min(mc - t * MR) {
                    let row = &a[(i0 + t * MR + r) * k + k0..][..kc];
                    for (kk, v) in row.iter().enumerate() {
                        tile[kk * MR + r] = *v;
                    }
                }
            }
            for p in panels.clone() {
                let cols = NR.min(n - p * NR);
                let panel = &w.panel(p)[k0 * NR..(k0 + kc) * NR];
                for t in 0..tiles {
                    let rows = MR.min(mc - t * MR);
                    let tile = &tiles_buf[t * MR * kc..(t + 1) * MR * kc];
                    let out = &mut c[(i0 + t * MR) * n + p * NR..];
                    assert!(out.len() >= (rows - 1) * n + cols);
                    let args = kernel::Args { a: tile.as_ptr(), b: panel.as_ptr(), kc, c: out.as_mut_ptr().cast(), ldc: n, cols, first: k0 == 0 };
                    // SAFETY: the tile and panel hold kc steps of MR and NR values; `out` was
                    // checked to hold `rows` rows of `cols` values `n` apart.
                    unsafe {
                        match rows {
                            1 => kernel::run::<1>(args),
                            2 => kernel::run::<2>(args),
                            3 => kernel::run::<3>(args),
                            4 if MR >= 4 => kernel::run::<4>(args),
                            5 if MR >= 5 => kernel::run::<5>(args),
                            6 if MR >= 6 => kernel::run::<6>(args),
                            _ => unreachable!("a tile has at most MR rows"),
                        }
                    }
                }
            }
        }
    }
}

mod kernel {
    /// One micro-tile: `R` rows of the packed input tile `a` times the panel slice `b`, over
    /// `kc` steps, stored into (`first`) or added to `cols` columns of `c`.
    #[derive(Clone, Copy)]
    pub struct Args {
        pub a: *const f32,
        pub b: *const f32,
        pub kc: usize,
        pub c: *mut f32,
        pub ldc: usize,
        pub cols: usize,
        pub first: bool,
    }

    /// Write an accumulated row (`NR` values in `acc`) to the output row.
    #[inline(always)]
    unsafe fn store_row(acc: &[f32; super::NR], row: *mut f32, cols: usize, first: bool) {
        for (j, v) in acc.iter().enumerate().take(cols) {
            unsafe { *row.add(j) = if first { *v } else { *row.add(j) + *v } };
        }
    }

    #[cfg(target_arch = "x86_64")]
    pub unsafe fn run<const R: usize>(args: Args) {
        unsafe { fma::<R>(args) }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn fma<const R: usize>(Args { a, b, kc, c, ldc, cols, first }: Args) {
        use super::{MR, NR};
        use std::arch::x86_64::*;
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); 2]; R];
            for kk in 0..kc {
                let b0 = _mm256_loadu_ps(b.add(kk * NR));
                let b1 = _mm256_loadu_ps(b.add(kk * NR + 8));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = _mm256_broadcast_ss(&*a.add(kk * MR + r));
                    acc[0] = _mm256_fmadd_ps(av, b0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(av, b1, acc[1]);
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                let row = c.add(r * ldc);
                if cols == NR {
                    let (lo, hi) = if first {
                        (acc[0], acc[1])
                    } else {
                        (_mm256_add_ps(_mm256_loadu_ps(row), acc[0]), _mm256_add_ps(_mm256_loadu_ps(row.add(8)), acc[1]))
                    };
                    _mm256_storeu_ps(row, lo);
                    _mm256_storeu_ps(row.add(8), hi);
                } else {
                    let mut tmp = [0.0f32; NR];
                    _mm256_storeu_ps(tmp.as_mut_ptr(), acc[0]);
                    _mm256_storeu_ps(tmp.as_mut_ptr().add(8), acc[1]);
                    store_row(&tmp, row, cols, first);
                }
            }
        }
    }

    #[cfg(all(target_family = "wasm", target_feature = "simd128"))]
    pub unsafe fn run<const R: usize>(Args { a, b, kc, c, ldc, cols, first }: Args) {
        use super::{MR, NR};
        use core::arch::wasm32::*;
        const V: usize = NR / 4;
        unsafe {
            let mut acc = [[f32x4_splat(0.0); V]; R];
            // A one-row tile would wait on each accumulator's latency: odd steps of depth go to
            // a second set, added at the end.
            let mut odd = [f32x4_splat(0.0); V];
            let mut kk = 0;
            while kk < kc {
                let bv = panel_row::<V>(b.add(kk * NR));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = v128_load32_splat(a.add(kk * MR + r) as *const u32);
                    for (acc, bv) in acc.iter_mut().zip(&bv) {
                        *acc = super::madd(av, *bv, *acc);
                    }
                }
                if R == 1 && kk + 1 < kc {
                    let bv = panel_row::<V>(b.add((kk + 1) * NR));
                    let av = v128_load32_splat(a.add((kk + 1) * MR) as *const u32);
                    for (odd, bv) in odd.iter_mut().zip(&bv) {
                        *odd = super::madd(av, *bv, *odd);
                    }
                    kk += 1;
                }
                kk += 1;
            }
            if R == 1 {
                for (acc, odd) in acc[0].iter_mut().zip(&odd) {
                    *acc = f32x4_add(*acc, *odd);
                }
            }
            let mut tmp = [0.0f32; NR];
            for (r, acc) in acc.iter().enumerate() {
                for (v, acc) in acc.iter().enumerate() {
                    v128_store(tmp.as_mut_ptr().add(4 * v) as *mut v128, *acc);
                }
                store_row(&tmp, c.add(r * ldc), cols, first);
            }
        }
    }

    /// One depth step of a panel: `V` vectors of 4.
    #[cfg(all(target_family = "wasm", target_feature = "simd128"))]
    #[inline(always)]
    unsafe fn panel_row<const V: usize>(b: *const f32) -> [core::arch::wasm32::v128; V] {
        use core::arch::wasm32::*;
        core::array::from_fn(|v| unsafe { v128_load(b.add(4 * v) as *const v128) })
    }

    #[cfg(not(any(target_arch = "x86_64", all(target_family = "wasm", target_feature = "simd128"))))]
    pub unsafe fn run<const R: usize>(_: Args) {
        unreachable!("`supported()` is false here")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a plain triple loop, on shapes that leave partial tiles, panels and depth slices.
    #[test]
    fn matches_a_plain_product_on_ragged_shapes() {
        if !supported() {
            return;
        }
        for (m, k, n) in [(1, 1, 1), (7, 300, 17), (97, 512, 40), (200, 257, 33), (13, 97, 97)] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0).collect();
            let w: Vec<f32> = (0..k * n).map(|i| ((i * 53 % 89) as f32 - 44.0) / 44.0).collect();
            let mut c = vec![MaybeUninit::new(f32::NAN); m * n];
            matmul(&a, m, &PackedWeight::new(&w, k, n), &mut c);
            // SAFETY: `matmul` wrote every element.
            let c: Vec<f32> = c.into_iter().map(|v| unsafe { v.assume_init() }).collect();
            for i in 0..m {
                for j in 0..n {
                    let want: f64 = (0..k).map(|kk| a[i * k + kk] as f64 * w[kk * n + j] as f64).sum();
                    let got = c[i * n + j] as f64;
                    assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "{m}x{k}x{n} at ({i}, {j}): {got} vs {want}");
                }
            }
        }
    }
}
