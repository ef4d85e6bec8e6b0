//! Latency distributions (constant, uniform, normal, log-normal, Pareto).
//!
//! Samples are in whole microseconds, clamped to `[0, MAX_LATENCY_US]` so that a heavy tail
//! cannot push a datagram past the end of any run.

use rand::RngExt;
use rand_chacha::ChaCha12Rng;
use rand_distr::{Distribution, LogNormal, Normal, Pareto};

use crate::scenario::LatencySpec;

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
    /// Builds the model. Parameters were range-checked when the scenario was parsed; a
    /// degenerate one (e.g. zero spread) falls back to a constant.
    pub fn from_spec(spec: &LatencySpec) -> LatencyModel {
        match spec {
            LatencySpec::Constant(d) => LatencyModel::Constant(d.0),
            LatencySpec::Uniform { min, max } => {
                LatencyModel::Uniform(min.0.min(max.0), max.0.max(min.0))
            }
            LatencySpec::Normal { mean, sd } => match Normal::new(mean.0 as f64, sd.0 as f64) {
                Ok(n) => LatencyModel::Normal(n),
                Err(_) => LatencyModel::Constant(mean.0),
            },
            LatencySpec::LogNormal { median, sigma } => {
                match LogNormal::new((median.0.max(1) as f64).ln(), sigma.0) {
                    Ok(n) => LatencyModel::LogNormal(n),
                    Err(_) => LatencyModel::Constant(median.0),
                }
            }
            LatencySpec::Pareto { scale, shape } => {
                match Pareto::new(scale.0.max(1) as f64, shape.0) {
                    Ok(p) => LatencyModel::Pareto(p),
                    Err(_) => LatencyModel::Constant(scale.0),
                }
            }
        }
    }

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
