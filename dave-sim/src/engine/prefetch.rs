//! Cache hints for the event after the one being handled.
//!
//! A run of thousands of nodes is bound by cache misses, not instructions: each event wakes a
//! different node whose state (its slot, 2 KB, and the datagram's buffer) left the cache since
//! its last event, and the handler walks it one dependent load after another. The next event is
//! known before the current one is handled, so the engine asks the CPU to start fetching its
//! lines meanwhile. A hint changes no result: it names memory, it reads nothing.

/// Asks the CPU to bring the cache line holding `p` closer. Any address is allowed.
#[inline(always)]
pub fn line<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint: it has no architectural effect and never faults, whatever
    // the address (valid, dangling or null); its `sse` feature is part of the x86_64 baseline.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// [`line`] for every cache line of `len` bytes from `p`.
#[inline(always)]
pub fn range<T>(p: *const T, len: usize) {
    let start = p.cast::<u8>();
    for offset in (0..len).step_by(64) {
        line(start.wrapping_add(offset));
    }
}
