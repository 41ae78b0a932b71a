//! How the CPU backend's ops share rayon's threads. An op (a product, the SwiGLU gate,
//! attention's heads) splits across the pool at top level; inside a row shard (a batch cut into
//! one shard per thread, for inference or training) it runs on its shard's thread alone.

use std::cell::Cell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

thread_local! {
    static IN_SHARD: Cell<bool> = const { Cell::new(false) };
}

/// How many threads an op may split over here: rayon's count, or one inside a shard.
pub fn available() -> usize {
    if IN_SHARD.with(Cell::get) { 1 } else { rayon::current_num_threads() }
}

/// `f` as one shard of a split batch: the ops it runs stay on this thread.
pub fn shard<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            IN_SHARD.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(IN_SHARD.with(|s| s.replace(true)));
    f()
}

/// `f` on a thread of rayon's pool (directly when this is one), with the pool's other threads
/// kept looking for work until it returns. From a thread outside the pool every split op is
/// handed over and waited for: the caller sleeps while one pool thread wakes, wakes the next, and
/// the caller is woken at the end; a Sudoku-MLP step has about 250 such ops, and in Chromium a
/// wake takes most of a millisecond. Here the thread that splits an op works on it at once, and
/// the others, spinning, take their parts without being woken.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let threads = rayon::current_num_threads();
    if threads < 2 || rayon::current_thread_index().is_some() {
        return f();
    }
    let done = &AtomicBool::new(false);
    rayon::scope(|s| {
        let owner = rayon::current_thread_index();
        for _ in 1..threads {
            s.spawn(move |_| {
                // The owner may pop one of these while it waits inside `f`: it must not spin.
                if rayon::current_thread_index() == owner {
                    return;
                }
                while !done.load(Ordering::Acquire) {
                    if rayon::yield_now() != Some(rayon::Yield::Executed) {
                        std::thread::yield_now();
                    }
                }
            });
        }
        // Set however `f` ends: the scope waits for the spinners even when `f` panics.
        let _done = Done(done);
        f()
    })
}

/// `f(0..chunks)` split over the threads [`available`] here: each takes the next chunk as it
/// comes free, and the caller waits for the last by spinning. rayon's own waits (a `join`, the
/// end of a parallel iterator) put the waiting thread to sleep once it finds no work, and in
/// Chromium a sleeping thread takes most of a millisecond to wake: with the step's ~400 split
/// ops, the thread that ran a step slept 15% of it waiting for the other's last chunk.
pub fn for_each(chunks: usize, f: impl Fn(usize) + Sync) {
    let threads = available().min(chunks);
    if threads < 2 {
        return (0..chunks).for_each(f);
    }
    let (next, finished) = (&AtomicUsize::new(0), &AtomicUsize::new(0));
    let f = &f;
    let work = move || {
        loop {
            let chunk = next.fetch_add(1, Ordering::Relaxed);
            if chunk >= chunks {
                return;
            }
            // Counted however `f` ends: a panic in a chunk must not leave the caller spinning.
            let _finished = Count(finished);
            f(chunk);
        }
    };
    rayon::scope(|s| {
        for _ in 1..threads {
            s.spawn(move |_| work());
        }
        work();
        while finished.load(Ordering::Acquire) < chunks {
            std::hint::spin_loop();
        }
    });
}

/// A buffer that threads write disjoint parts of.
#[derive(Clone, Copy)]
pub struct SharedOut(*mut MaybeUninit<f32>, usize);

// SAFETY: only the parts callers hand out are written, each by one thread (see `range`).
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

impl SharedOut {
    pub fn new(out: &mut [MaybeUninit<f32>]) -> Self {
        Self(out.as_mut_ptr(), out.len())
    }

    /// Elements `range` of the buffer.
    ///
    /// # Safety
    /// The buffer outlives the slice, and no other thread writes the elements it writes.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn range(&self, range: std::ops::Range<usize>) -> &mut [MaybeUninit<f32>] {
        assert!(range.start <= range.end && range.end <= self.1, "a range of the buffer");
        unsafe { std::slice::from_raw_parts_mut(self.0.add(range.start), range.len()) }
    }
}

/// Adds one to its counter when dropped.
struct Count<'a>(&'a AtomicUsize);

impl Drop for Count<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Release);
    }
}

/// Sets its flag when dropped.
struct Done<'a>(&'a AtomicBool);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic inside `f` reaches the caller instead of leaving the spinners waiting forever.
    #[test]
    fn a_panic_on_the_pool_is_not_a_hang() {
        let caught = std::panic::catch_unwind(|| on_pool(|| panic!("inside")));
        assert!(caught.is_err());
        assert_eq!(on_pool(|| 7), 7);
    }

    /// Every chunk runs once, on the pool or not, and a panicking chunk reaches the caller.
    #[test]
    fn for_each_runs_every_chunk_once() {
        for chunks in [0, 1, 2, 3, 64] {
            let runs: Vec<AtomicUsize> = (0..chunks).map(|_| AtomicUsize::new(0)).collect();
            let count = || for_each(chunks, |i| _ = runs[i].fetch_add(1, Ordering::Relaxed));
            count();
            on_pool(count);
            assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 2), "{chunks} chunks");
        }
        let caught = std::panic::catch_unwind(|| for_each(8, |i| assert_ne!(i, 5)));
        assert!(caught.is_err());
    }

    #[test]
    fn ops_stay_on_their_thread_inside_a_shard() {
        let outside = available();
        assert_eq!(shard(available), 1);
        assert_eq!(available(), outside);
    }
}
