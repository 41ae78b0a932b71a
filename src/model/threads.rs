//! How the CPU backend's ops share rayon's threads. An op (a product, the SwiGLU gate,
//! attention's heads) splits across the pool at top level; inside a row shard (a batch cut into
//! one shard per thread, for inference or training) it runs on its shard's thread alone.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

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

    #[test]
    fn ops_stay_on_their_thread_inside_a_shard() {
        let outside = available();
        assert_eq!(shard(available), 1);
        assert_eq!(available(), outside);
    }
}
