//! Latency distributions (constant, uniform, normal, log-normal, Pareto).
//!
//! Samples are in whole microseconds, clamped to `[0, MAX_LATENCY_US]` so that a heavy tail
//! cannot push a datagram past the end of any run.

use rand::RngExt;
use rand_chacha::ChaCha12Rng;
use rand_distr::{Distribution, LogNormal, Normal, Pareto};

/// Cap on one latency sample: 60 s.
pub const MAX_LATENCY_US: u64 = 60_000_000;

/// A ready-to-sample latency model.
#[derive(Debug, Clone)]
pub enum LatencyModel {
    /// Always this many µs.
    Constant(u64),
    /// Uniform in `[min, max]` µs.
    Uniform(u64, u64),
    /// Normal, truncated at 0.
    Normal(Normal<f64>),
    /// Log-normal.
    LogNormal(LogNormal<f64>),
    /// Pareto.
    Pareto(Pareto<f64>),
}

impl LatencyModel {
    /// One sample in µs.
    pub fn sample(&self, rng: &mut ChaCha12Rng) -> u64 {
        let clamp = |x: f64| {
            if x.is_nan() || x <= 0.0 {
                0
            } else {
                (x as u64).min(MAX_LATENCY_US)
            }
        };
        match self {
            LatencyModel::Constant(c) => *c,
            LatencyModel::Uniform(a, b) => rng.random_range(*a..=*b),
            LatencyModel::Normal(d) => clamp(d.sample(rng)),
            LatencyModel::LogNormal(d) => clamp(d.sample(rng)),
            LatencyModel::Pareto(d) => clamp(d.sample(rng)),
        }
    }
}
