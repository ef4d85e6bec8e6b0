//! Signature verification off the node's thread (issue 11): the state machine stays on one
//! thread, and the ~100 µs Ed25519 check of each incoming record moves to worker threads.
//!
//! ```text
//! socket ──▶ intake thread ──▶ node's queue (arrival order) ──▶ node thread ──▶ Node
//!                 │                         ▲ waits for the record's ticket     │
//!                 └──▶ workers' queue ──▶ workers ──▶ VerifyCache ◀── crypto provider
//! ```
//!
//! - [`record`]: which datagrams carry a record to verify (dave-core's decoder).
//! - [`cache`]: the bounded (pubkey, digest, sig) → result cache; it is also the node's crypto
//!   provider, answering from the cache and verifying itself on a miss.
//! - [`pool`]: the worker threads and the tickets the node's thread waits on.
//! - [`pipeline`]: the intake thread, the two bounded queues, ordering and overload rules.
//! - [`queue`]: the bounded queue both use.
//!
//! The cache only ever holds results of real verifications and the node re-applies every rule,
//! so workers change how fast the node accepts records, never which.

pub mod cache;
pub mod pipeline;
pub mod pool;
pub mod queue;
pub mod record;

use std::sync::Arc;

use dave_core::crypto::{Crypto, DirectCrypto};

pub use cache::VerifyCache;
pub use pipeline::{Pipeline, PipelineCounts};

/// The default number of workers: one per core, or none on a single core. Measured on the
/// project's 2-core machine (`dave-node bench --mode put --verify-workers 0,1,2`): inline
/// verification 15–18k PUT/s, one worker 12–15k (verification stays serial and the hand-over
/// costs about 30 µs of CPU a PUT), two workers 25–27k. The workers wait on verification while
/// the node's thread mostly sleeps, so one per core pays; a single worker never does.
pub fn default_workers() -> usize {
    match std::thread::available_parallelism().map_or(1, |n| n.get()) {
        0 | 1 => 0,
        cores => cores,
    }
}

/// The crypto provider for a node with `workers` verification threads, and the cache behind it
/// (none with 0 workers: the node verifies inline with the plain provider, as before).
pub fn provider(workers: usize) -> (Arc<dyn Crypto>, Option<Arc<VerifyCache>>) {
    if workers == 0 {
        return (Arc::new(DirectCrypto), None);
    }
    let cache = Arc::new(VerifyCache::default());
    let crypto: Arc<dyn Crypto> = Arc::clone(&cache) as Arc<dyn Crypto>;
    (crypto, Some(cache))
}
