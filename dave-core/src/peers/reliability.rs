//! The decayed Laplace reliability score of docs/protocol.md §9.
//!
//! Only `+`, `*` and `/` on `f64`: IEEE 754 makes these bit-for-bit reproducible, so two runs of
//! the simulator agree on every comparison made with the score.

/// Exponentially decayed counts of passed and failed storage challenges.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Reliability {
    successes: f64,
    failures: f64,
}

impl Reliability {
    /// `(s + 1) / (s + f + 2)`: a peer never challenged scores 0.5.
    pub fn score(&self) -> f64 {
        (self.successes + 1.0) / (self.successes + self.failures + 2.0)
    }

    /// Whether any challenge outcome has been recorded (decay never reaches zero).
    pub fn challenged(&self) -> bool {
        self.successes > 0.0 || self.failures > 0.0
    }

    /// Records one challenge outcome after decaying both counts by `decay`.
    pub fn record(&mut self, passed: bool, decay: f64) {
        self.successes *= decay;
        self.failures *= decay;
        if passed {
            self.successes += 1.0;
        } else {
            self.failures += 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_half_and_moves_with_outcomes() {
        let mut r = Reliability::default();
        assert_eq!(r.score(), 0.5);
        r.record(false, 0.95);
        assert!((r.score() - 1.0 / 3.0).abs() < 1e-12);
        r.record(false, 0.95);
        assert!(
            r.score() < 0.3,
            "two failures fall below the default RELIABILITY_MIN"
        );
        for _ in 0..20 {
            r.record(true, 0.95);
        }
        assert!(r.score() > 0.85);
    }

    #[test]
    fn old_outcomes_fade() {
        let mut r = Reliability::default();
        for _ in 0..50 {
            r.record(false, 0.5);
        }
        for _ in 0..5 {
            r.record(true, 0.5);
        }
        assert!(r.score() > 0.6, "{}", r.score());
    }
}
