//! `x · W` for the CPU backend against a weight packed once, natively (AVX-512, or AVX2 and FMA,
//! detected at run time) and in wasm (SIMD128). gemm, which flex calls, packs the weight again on every
//! call, and its wasm kernel reached 13–15 GFLOP/s in Chromium on the model's shapes where this
//! one reaches about 20; these products are most of a step.
//!
//! The weight `[k, n]` is stored as panels of `NR` columns (32 with AVX-512), each `k` rows of
//! `NR` values; the input is packed per call in tiles of `MR` rows (or read in place where threads
//! share it). A micro-kernel keeps an `MR × NR` block of the output in registers over a slice of
//! depth `KC`, so its panel slice stays in L1.
//!
//! In wasm the kernel has two forms: SIMD128's separate multiply and add, and, in a build with
//! relaxed SIMD (`-C target-feature=+relaxed-simd`), its fused multiply-add (about 1.35× faster
//! in Chromium on the same tile). `scripts/build-web.sh` builds each CPU runtime module both
//! ways, and the worker loads the second only where the engine validates relaxed SIMD: one
//! relaxed instruction anywhere makes a whole module fail to compile elsewhere, and LLVM's wasm
//! backend gives every function the features of any one, so the two must be separate builds.

use std::mem::MaybeUninit;

/// Rows per input tile and columns per weight panel. Natively 6 × 16 with AVX2 (twelve 8-wide
/// accumulators, two loads per step); AVX-512 panels are twice as wide ([`Isa::panel`]). In
/// wasm the engine has 16 vector registers: 4 × 8 (eight accumulators) measured fastest in
/// Chromium; 6 × 8 and 4 × 12 spill and ran at 14–17 GFLOP/s.
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
/// Depth of one pass: a panel slice (`wide`·KC floats) fits in L1. In wasm 512 (24 KiB of
/// panel), which halves the output's reloads between passes against 256: a Sudoku-MLP step in
/// Chromium about 1.5% faster.
#[cfg(target_family = "wasm")]
const KC: usize = 512;
#[cfg(not(target_family = "wasm"))]
const KC: usize = 256;
/// Input rows taken at a time: MC·KC floats of the input stay in L2. Whole tiles: the packing
/// buffer holds MC rows.
const MC: usize = 192;
const _: () = assert!(MC % MR == 0);

/// The instructions a weight is packed for: they fix its panels' width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Isa {
    /// 32-column panels (two 16-wide registers a row); a last panel of at most 16 columns is
    /// packed 16 wide (the token-mixing MLP's 97 outputs would otherwise waste a third).
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(all(target_family = "wasm", target_feature = "simd128"))]
    Simd128,
}

impl Isa {
    /// The best this machine runs, if any.
    fn detect() -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") {
                return Some(Self::Avx512);
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Some(Self::Avx2);
            }
        }
        #[cfg(all(target_family = "wasm", target_feature = "simd128"))]
        return Some(Self::Simd128);
        #[allow(unreachable_code)]
        None
    }

    /// Whether a single thread packs its block of rows before the kernel reads them.
    fn packs_rows(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        if self == Self::Avx512 {
            return false;
        }
        true
    }

    /// Columns of a full panel, and the step a last panel's width is rounded up to.
    fn panel(self) -> (usize, usize) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => (32, 16),
            #[allow(unreachable_patterns)]
            _ => (NR, NR),
        }
    }
}

/// Whether this machine runs the kernel (else the caller takes burn's matmul).
pub fn supported() -> bool {
    Isa::detect().is_some()
}

/// A `[k, n]` row-major weight as panels of columns (zero past `n`): all `wide` columns but the
/// last, which is as narrow as its instructions allow. Panel p starts at `p·k·wide`.
#[derive(Debug)]
pub struct PackedWeight {
    k: usize,
    n: usize,
    isa: Isa,
    data: Vec<f32>,
}

impl PackedWeight {
    pub fn new(w: &[f32], k: usize, n: usize) -> Self {
        Self::for_isa(w, k, n, Isa::detect().expect("packing a weight on a machine without the kernel's instructions"))
    }

    fn for_isa(w: &[f32], k: usize, n: usize, isa: Isa) -> Self {
        assert_eq!(w.len(), k * n, "weight size");
        let mut me = Self { k, n, isa, data: Vec::new() };
        let wide = me.wide();
        let panels = me.panels();
        me.data = vec![0.0f32; panels.checked_sub(1).map_or(0, |last| (last * wide + me.width(last)) * k)];
        for p in 0..panels {
            let (j0, cols, width) = (p * wide, wide.min(n - p * wide), me.width(p));
            let panel = &mut me.data[p * k * wide..][..k * width];
            for (kk, row) in panel.chunks_exact_mut(width).enumerate() {
                row[..cols].copy_from_slice(&w[kk * n + j0..kk * n + j0 + cols]);
            }
        }
        me
    }

    pub fn dims(&self) -> [usize; 2] {
        [self.k, self.n]
    }

    fn panels(&self) -> usize {
        self.n.div_ceil(self.wide())
    }

    /// Columns of every panel but the last.
    fn wide(&self) -> usize {
        self.isa.panel().0
    }

    /// Values per row of panel `p`.
    fn width(&self, p: usize) -> usize {
        let (wide, step) = self.isa.panel();
        wide.min((self.n - p * wide).next_multiple_of(step))
    }

    /// Whether a thread that takes all the panels packs its block of rows first. Packing pays
    /// for itself over several panels; over one or two (attention's `[S, d]` values) it cost as
    /// much as the products. The AVX-512 kernel reads rows in place faster than it packs them
    /// (a Sudoku-MLP step 210 → 201 ms, batch 16 3,780 → 3,660).
    fn packs_rows(&self) -> bool {
        self.panels() >= 4 && self.isa.packs_rows()
    }

    /// Rows `k0..k0 + kc` of panel `p`, and its width.
    fn panel(&self, p: usize, k0: usize, kc: usize) -> (&[f32], usize) {
        let width = self.width(p);
        (&self.data[p * self.k * self.wide() + k0 * width..][..kc * width], width)
    }
}

/// `c = a · w` for `a` `[m, k]` and `c` `[m, n]`, both row-major: every element of `c` is
/// written (the caller's buffer need not be initialised, nor zeroed first). With
/// several rayon threads, outside a row shard, each thread takes a block of columns, or of
/// rows when there are few columns.
pub fn matmul(a: &[f32], m: usize, w: &PackedWeight, c: &mut [MaybeUninit<f32>]) {
    let (k, n) = (w.k, w.n);
    assert_eq!(a.len(), m * k, "input size");
    assert_eq!(c.len(), m * n, "output size");
    if k == 0 {
        c.fill(MaybeUninit::new(0.0));
        return;
    }
    let panels = w.panels();
    #[cfg(feature = "rayon")]
    {
        let threads = crate::threads::available();
        if threads > 1 && m * k * n >= 1 << 20 {
            // Chunks that threads take as they come free: a thread woken for this product
            // starts late (in Chromium most of a millisecond), and halves fixed in advance kept
            // the other waiting for it.
            let out = crate::threads::SharedOut::new(c);
            let rows = m >= 2 * MR * threads;
            if panels >= 8 * threads || (!rows && panels >= 2 * threads) {
                // Chunks of a few panels (a column block each).
                let per = (panels / (8 * threads)).max(1);
                return crate::threads::for_each(panels.div_ceil(per), |chunk| {
                    // SAFETY: every chunk writes only the columns of its own panels.
                    let c = unsafe { out.range(0..m * n) };
                    block(a, m, w, c, chunk * per..((chunk + 1) * per).min(panels), false);
                });
            }
            if rows {
                // Few panels (the token-mixing MLP's 97 outputs): nine panels made one thread do
                // five while the other did four. Blocks of rows instead, each packed once as on
                // one thread.
                let per = m.div_ceil(8 * threads).next_multiple_of(MR);
                return crate::threads::for_each(m.div_ceil(per), |chunk| {
                    let rows = chunk * per..((chunk + 1) * per).min(m);
                    // SAFETY: every chunk writes only its own rows.
                    let c = unsafe { out.range(rows.start * n..rows.end * n) };
                    block(&a[rows.start * k..rows.end * k], rows.len(), w, c, 0..panels, w.packs_rows());
                });
            }
        }
    }
    block(a, m, w, c, 0..panels, w.packs_rows())
}

/// Columns `panels` of `c = a · w`: for each slice of depth and block of rows (which stay in
/// L2), every panel slice (in L1) times every tile of `MR` rows. With `pack` the tiles are
/// copied first into the order the kernel reads them (depth-major); else the kernel reads
/// `a`'s rows where they are, which measured a few percent slower but needs no copy when
/// threads share the rows (each would make its own).
fn block(a: &[f32], m: usize, w: &PackedWeight, c: &mut [MaybeUninit<f32>], panels: std::ops::Range<usize>, pack: bool) {
    let (k, n) = (w.k, w.n);
    let mut tiles = if pack { vec![0.0f32; MC.min(m.div_ceil(MR) * MR) * KC.min(k)] } else { Vec::new() };
    for k0 in (0..k).step_by(KC) {
        let kc = KC.min(k - k0);
        for i0 in (0..m).step_by(MC) {
            let mc = MC.min(m - i0);
            if pack {
                pack_tiles(&a[i0 * k..], k, mc, k0, kc, &mut tiles);
            }
            for p in panels.clone() {
                let cols = w.wide().min(n - p * w.wide());
                let (panel, width) = w.panel(p, k0, kc);
                for t in 0..mc.div_ceil(MR) {
                    let (row, rows) = (i0 + t * MR, MR.min(mc - t * MR));
                    let (input, lda) = if pack { (&tiles[t * MR * kc..], 0) } else { (&a[row * k + k0..], k) };
                    let out = &mut c[row * n + p * w.wide()..];
                    assert!(input.len() >= if pack { MR * kc } else { (rows - 1) * k + kc });
                    assert!(out.len() >= (rows - 1) * n + cols);
                    let args = kernel::Args { a: input.as_ptr(), lda, b: panel.as_ptr(), width, kc, c: out.as_mut_ptr().cast(), ldc: n, cols, first: k0 == 0 };
                    // SAFETY: the panel holds kc steps of `width` values (as `w.isa` packs
                    // them), `input` holds the tile's `rows` rows of `kc` values (packed, or `k`
                    // apart) and `out` its rows of `cols` values `n` apart (both checked).
                    unsafe {
                        if pack {
                            kernel::tile::<true>(w.isa, rows, args)
                        } else {
                            kernel::tile::<false>(w.isa, rows, args)
                        }
                    }
                }
            }
        }
    }
}

/// The first `rows` rows of `a` (`k` wide) at depths `k0..k0 + kc` as tiles of `MR` rows: tile
/// t holds element (r, kk) at t·MR·kc + kk·MR + r. A last partial tile's missing rows are left
/// as they were (the kernel reads only a tile's own rows).
fn pack_tiles(a: &[f32], k: usize, rows: usize, k0: usize, kc: usize, out: &mut [f32]) {
    for (t, tile) in out.chunks_mut(MR * kc).take(rows.div_ceil(MR)).enumerate() {
        for r in 0..MR.min(rows - t * MR) {
            let row = &a[(t * MR + r) * k + k0..][..kc];
            for (kk, v) in row.iter().enumerate() {
                tile[kk * MR + r] = *v;
            }
        }
    }
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

mod kernel {
    use super::Isa;

    /// One micro-tile: `R` rows of the input `a` (a packed tile, or rows `lda` apart) times the
    /// panel slice `b` (`width` values a step), over `kc` steps, stored into (`first`) or added
    /// to `cols` columns of `c`.
    #[derive(Clone, Copy)]
    pub struct Args {
        pub a: *const f32,
        pub lda: usize,
        pub b: *const f32,
        pub width: usize,
        pub kc: usize,
        pub c: *mut f32,
        pub ldc: usize,
        pub cols: usize,
        pub first: bool,
    }

    /// Write an accumulated row (`acc`, at least `cols` values) to the output row.
    #[allow(dead_code)]
    #[inline(always)]
    unsafe fn store_row(acc: &[f32], row: *mut f32, cols: usize, first: bool) {
        for (j, v) in acc.iter().enumerate().take(cols) {
            unsafe { *row.add(j) = if first { *v } else { *row.add(j) + *v } };
        }
    }

    /// The kernel for a tile of `rows` rows, packed (`PACKED`) or read in place, with the
    /// instructions its weight was packed for.
    ///
    /// # Safety
    /// As [`run`], and the machine has `isa`'s instructions.
    pub unsafe fn tile<const PACKED: bool>(isa: Isa, rows: usize, args: Args) {
        macro_rules! rows {
            ($f:ident $(, $v:literal)?) => {
                match rows {
                    1 => $f::<1, $($v,)? PACKED>(args),
                    2 => $f::<2, $($v,)? PACKED>(args),
                    3 => $f::<3, $($v,)? PACKED>(args),
                    4 if super::MR >= 4 => $f::<4, $($v,)? PACKED>(args),
                    5 if super::MR >= 5 => $f::<5, $($v,)? PACKED>(args),
                    6 if super::MR >= 6 => $f::<6, $($v,)? PACKED>(args),
                    _ => unreachable!("a tile has at most MR rows"),
                }
            };
        }
        unsafe {
            match isa {
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 if args.width == 32 => rows!(avx512, 2),
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => rows!(avx512, 1),
                #[allow(unreachable_patterns)]
                _ => rows!(run),
            }
        }
    }

    /// Where element (`r`, `kk`) of the tile is: packed depth-major, or in rows `lda` apart.
    #[inline(always)]
    fn at<const PACKED: bool>(r: usize, kk: usize, lda: usize) -> usize {
        if PACKED { kk * super::MR + r } else { r * lda + kk }
    }

    #[cfg(target_arch = "x86_64")]
    unsafe fn run<const R: usize, const PACKED: bool>(args: Args) {
        unsafe { fma::<R, PACKED>(args) }
    }

    /// `R` rows times `V` 16-wide columns: with six rows and two columns, twelve accumulators
    /// of the 32 registers, the panel's two loads shared by six fused multiply-adds each.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn avx512<const R: usize, const V: usize, const PACKED: bool>(Args { a, lda, b, width, kc, c, ldc, cols, first }: Args) {
        use std::arch::x86_64::*;
        unsafe {
            let mut acc = [[_mm512_setzero_ps(); V]; R];
            // As in `fma`: short tiles alternate between two sets against FMA latency.
            let mut odd = [[_mm512_setzero_ps(); V]; R];
            let step = |kk: usize, acc: &mut [[__m512; V]; R]| {
                let bv: [__m512; V] = core::array::from_fn(|v| _mm512_loadu_ps(b.add(kk * width + 16 * v)));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = _mm512_set1_ps(*a.add(at::<PACKED>(r, kk, lda)));
                    for (acc, bv) in acc.iter_mut().zip(&bv) {
                        *acc = _mm512_fmadd_ps(av, *bv, *acc);
                    }
                }
            };
            let mut kk = 0;
            while kk < kc {
                step(kk, &mut acc);
                if R * V <= 4 && kk + 1 < kc {
                    step(kk + 1, &mut odd);
                    kk += 1;
                }
                kk += 1;
            }
            for (r, acc) in acc.iter_mut().enumerate() {
                let row = c.add(r * ldc);
                for (v, acc) in acc.iter_mut().enumerate() {
                    if R * V <= 4 {
                        *acc = _mm512_add_ps(*acc, odd[r][v]);
                    }
                    let lanes = cols.saturating_sub(16 * v).min(16);
                    let mask = ((1u32 << lanes) - 1) as __mmask16;
                    let out = row.add(16 * v);
                    let sum = if first { *acc } else { _mm512_add_ps(_mm512_maskz_loadu_ps(mask, out), *acc) };
                    _mm512_mask_storeu_ps(out, mask, sum);
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn fma<const R: usize, const PACKED: bool>(Args { a, lda, b, width, kc, c, ldc, cols, first }: Args) {
        use super::NR;
        use std::arch::x86_64::*;
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); 2]; R];
            // Tiles of one or two rows would wait on each accumulator's latency (five cycles):
            // odd steps of depth go to a second set, added at the end.
            let mut odd = [[_mm256_setzero_ps(); 2]; R];
            let step = |kk: usize, acc: &mut [[__m256; 2]; R]| {
                let b0 = _mm256_loadu_ps(b.add(kk * width));
                let b1 = _mm256_loadu_ps(b.add(kk * width + 8));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = _mm256_broadcast_ss(&*a.add(at::<PACKED>(r, kk, lda)));
                    acc[0] = _mm256_fmadd_ps(av, b0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(av, b1, acc[1]);
                }
            };
            let mut kk = 0;
            while kk < kc {
                step(kk, &mut acc);
                if R <= 2 && kk + 1 < kc {
                    step(kk + 1, &mut odd);
                    kk += 1;
                }
                kk += 1;
            }
            if R <= 2 {
                for (acc, odd) in acc.iter_mut().zip(&odd) {
                    acc[0] = _mm256_add_ps(acc[0], odd[0]);
                    acc[1] = _mm256_add_ps(acc[1], odd[1]);
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
    unsafe fn run<const R: usize, const PACKED: bool>(Args { a, lda, b, width, kc, c, ldc, cols, first }: Args) {
        use super::NR;
        use core::arch::wasm32::*;
        const V: usize = NR / 4;
        unsafe {
            let mut acc = [[f32x4_splat(0.0); V]; R];
            // A one-row tile would wait on each accumulator's latency: odd steps of depth go to
            // a second set, added at the end.
            let mut odd = [f32x4_splat(0.0); V];
            let mut kk = 0;
            while kk < kc {
                let bv = panel_row::<V>(b.add(kk * width));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = v128_load32_splat(a.add(at::<PACKED>(r, kk, lda)) as *const u32);
                    for (acc, bv) in acc.iter_mut().zip(&bv) {
                        *acc = super::madd(av, *bv, *acc);
                    }
                }
                if R == 1 && kk + 1 < kc {
                    let bv = panel_row::<V>(b.add((kk + 1) * width));
                    let av = v128_load32_splat(a.add(at::<PACKED>(0, kk + 1, lda)) as *const u32);
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
            // Whole vectors straight to the output; through a scalar copy only past `cols`.
            for (r, acc) in acc.iter().enumerate() {
                let row = c.add(r * ldc);
                for (v, acc) in acc.iter().enumerate() {
                    let (out, lanes) = (row.add(4 * v), cols.saturating_sub(4 * v).min(4));
                    if lanes == 4 {
                        let sum = if first { *acc } else { f32x4_add(v128_load(out as *const v128), *acc) };
                        v128_store(out as *mut v128, sum);
                    } else if lanes > 0 {
                        let mut tmp = [0.0f32; 4];
                        v128_store(tmp.as_mut_ptr() as *mut v128, *acc);
                        store_row(&tmp, out, lanes, first);
                    }
                }
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
    unsafe fn run<const R: usize, const PACKED: bool>(_: Args) {
        unreachable!("`supported()` is false here")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every instruction set this machine runs (so AVX2 is tested on an AVX-512 machine too).
    fn isas() -> Vec<Isa> {
        #[cfg(target_arch = "x86_64")]
        return [Isa::Avx512, Isa::Avx2]
            .into_iter()
            .filter(|isa| match isa {
                Isa::Avx512 => std::is_x86_feature_detected!("avx512f"),
                Isa::Avx2 => std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"),
            })
            .collect();
        #[allow(unreachable_code)]
        Isa::detect().into_iter().collect()
    }

    /// Against a plain triple loop, on shapes that leave partial tiles, panels and depth slices:
    /// `matmul` (with several threads split by columns, the last two shapes, or by rows, the
    /// others of over a million products) and either input layout, with each instruction set.
    #[test]
    fn matches_a_plain_product_on_ragged_shapes() {
        for isa in isas() {
            for (m, k, n) in [(1, 1, 1), (7, 300, 17), (97, 512, 40), (200, 257, 33), (13, 97, 97), (37, 300, 200), (700, 1600, 3), (5, 20, 48), (20, 100, 600), (5, 1000, 300)] {
                let a: Vec<f32> = (0..m * k).map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0).collect();
                let weight: Vec<f32> = (0..k * n).map(|i| ((i * 53 % 89) as f32 - 44.0) / 44.0).collect();
                let w = PackedWeight::for_isa(&weight, k, n, isa);
                let ways: [(&str, &dyn Fn(&mut [MaybeUninit<f32>])); 3] = [
                    ("matmul", &|c| matmul(&a, m, &w, c)),
                    ("packed", &|c| block(&a, m, &w, c, 0..w.panels(), true)),
                    ("in place", &|c| block(&a, m, &w, c, 0..w.panels(), false)),
                ];
                for (way, product) in ways {
                    let mut c = vec![MaybeUninit::new(f32::NAN); m * n];
                    product(&mut c);
                    // SAFETY: every way writes every element.
                    let c: Vec<f32> = c.into_iter().map(|v| unsafe { v.assume_init() }).collect();
                    for i in 0..m {
                        for j in 0..n {
                            let want: f64 = (0..k).map(|kk| a[i * k + kk] as f64 * weight[kk * n + j] as f64).sum();
                            let got = c[i * n + j] as f64;
                            assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "{isa:?} {way} {m}x{k}x{n} at ({i}, {j}): {got} vs {want}");
                        }
                    }
                }
            }
        }
    }
}
