//! A scenario's `expect` bounds judged on every seed: a bound holds only if it holds on all of
//! them, and a failure names each seed it failed on, so it can be rerun alone.

use super::runner::SeedRun;
use super::stats::Spread;

/// One bound's value on one seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedValue {
    /// The seed.
    pub seed: u64,
    /// Measured value (NaN: no data, which fails the bound).
    pub value: f64,
    /// Whether the bound held on this seed.
    pub pass: bool,
}

/// One `expect` bound over all seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectationOutcome {
    /// Metric name.
    pub metric: String,
    /// The bound as written, e.g. `>= 0.9`.
    pub bound: String,
    /// Its value on each seed, in seed order.
    pub per_seed: Vec<SeedValue>,
}

impl ExpectationOutcome {
    /// Whether the bound held on every seed.
    pub fn passed(&self) -> bool {
        self.per_seed.iter().all(|s| s.pass)
    }

    /// The seeds it failed on, in seed order.
    pub fn failing(&self) -> impl Iterator<Item = &SeedValue> {
        self.per_seed.iter().filter(|s| !s.pass)
    }

    /// Mean and spread of the measured values.
    pub fn spread(&self) -> Spread {
        let values: Vec<f64> = self.per_seed.iter().map(|s| s.value).collect();
        Spread::of(&values)
    }
}

/// The bounds of one scenario over its runs (given in seed order), in the scenario's order.
pub fn evaluate(runs: &[SeedRun]) -> Vec<ExpectationOutcome> {
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    first
        .expectations
        .iter()
        .map(|e| ExpectationOutcome {
            metric: e.metric.clone(),
            bound: e.bound.clone(),
            per_seed: runs
                .iter()
                .map(|run| {
                    let found = run
                        .expectations
                        .iter()
                        .find(|r| r.metric == e.metric && r.bound == e.bound);
                    SeedValue {
                        seed: run.seed,
                        value: found.map_or(f64::NAN, |r| r.measured),
                        pass: found.is_some_and(|r| r.pass),
                    }
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ExpectationResult;

    fn run(seed: u64, measured: f64) -> SeedRun {
        SeedRun {
            seed,
            trace_hash: String::new(),
            metrics: Default::default(),
            expectations: vec![ExpectationResult {
                metric: "get_success_rate".into(),
                bound: ">= 0.9".into(),
                measured,
                pass: measured >= 0.9,
            }],
        }
    }

    #[test]
    fn a_bound_fails_if_one_seed_misses_it_and_names_that_seed() {
        let runs: Vec<SeedRun> = [0.95, 0.97, 0.85, 0.99, 0.93]
            .iter()
            .zip(1..)
            .map(|(v, s)| run(s, *v))
            .collect();
        let out = evaluate(&runs);
        assert_eq!(out.len(), 1);
        assert!(!out[0].passed());
        let failing: Vec<u64> = out[0].failing().map(|s| s.seed).collect();
        assert_eq!(failing, [3]);
        assert_eq!(out[0].spread().min, 0.85);
        assert!(evaluate(&runs[..2])[0].passed());
    }
}
