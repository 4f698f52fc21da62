//! Counts the process's heap allocations (`summoner_allocations_total`): [`Counting`] wraps
//! the global allocator the binary chooses (`src/main.rs`) and adds one per allocation to a
//! counter of the calling thread's own, so counting is a plain add on a cache line no other
//! thread writes, not a locked one. Read when the metrics are scraped.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// `A`, counting its allocations (a reallocation counts as one: it may move).
pub struct Counting<A>(pub A);

/// Threads with a counter of their own; later threads share one counted with locked adds.
const OWN_COUNTERS: usize = 128;

/// One thread's counter, alone on its cache line.
#[repr(align(64))]
struct Counter(AtomicU64);

static OWN: [Counter; OWN_COUNTERS] = [const { Counter(AtomicU64::new(0)) }; OWN_COUNTERS];
static SHARED: AtomicU64 = AtomicU64::new(0);
static NEXT_OWN: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // Constant-initialised and without a destructor: on targets with native thread-locals
    // (Linux, where the server runs) reading it never allocates. A thread's counter is not
    // given back when it exits; past `OWN_COUNTERS` threads, the shared one counts.
    static MINE: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn count() {
    let mine = MINE
        .try_with(|mine| {
            if mine.get() == usize::MAX {
                mine.set(NEXT_OWN.fetch_add(1, Ordering::Relaxed));
            }
            mine.get()
        })
        .unwrap_or(usize::MAX);
    match OWN.get(mine) {
        // Only this thread writes its counter: load and store need no lock.
        Some(own) => own.0.store(own.0.load(Ordering::Relaxed) + 1, Ordering::Relaxed),
        None => {
            SHARED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Allocations so far (0 when the binary's allocator does not count).
pub fn total() -> u64 {
    OWN.iter().map(|c| c.0.load(Ordering::Relaxed)).sum::<u64>() + SHARED.load(Ordering::Relaxed)
}

// SAFETY: every call is passed on unchanged to `A`, which upholds `GlobalAlloc`'s contract;
// counting touches no memory of the caller's and never allocates.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's guarantees about `layout` are passed on.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as for `alloc`.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` was allocated by this allocator, that is by `A`, with `layout`.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `A` with `layout`.
        unsafe { self.0.dealloc(ptr, layout) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static COUNTED: Counting<std::alloc::System> = Counting(std::alloc::System);

    #[test]
    fn each_allocation_and_reallocation_counts_once_and_a_free_not_at_all() {
        let layout = Layout::from_size_align(64, 8).expect("a layout");
        let before = total();
        // SAFETY: a fresh allocation of `layout`, grown once and freed with its new layout.
        unsafe {
            let p = COUNTED.alloc(layout);
            assert!(!p.is_null());
            let p = COUNTED.realloc(p, layout, 128);
            assert!(!p.is_null());
            COUNTED.dealloc(p, Layout::from_size_align(128, 8).expect("a layout"));
        }
        // Other tests' threads do not allocate through `COUNTED`: exactly two here.
        assert_eq!(total() - before, 2);
    }
}
