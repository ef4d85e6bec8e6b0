//! The spread of a metric over seeds, and Welch's t-test between two sets of seeds.
//!
//! # Why Welch's t-test
//! Each seed is an independent run, so a metric over seeds is an independent sample, and a
//! regression is a shift of its mean. Welch's test compares two means without assuming the two
//! samples share a variance, which matters here: a change that breaks something *sometimes*
//! (one seed in five) makes a metric noisier as well as worse, and Student's pooled test would
//! then overstate its confidence. At equal variances Welch loses almost nothing to Student.
//! The alternatives fit CI's few seeds worse: a bootstrap interval from 2–5 values takes only a
//! handful of distinct values, and a rank test cannot reach p < 0.05 at all with three seeds a
//! side (its smallest one-sided p-value is 1/20). The test is one-sided in the metric's worse
//! direction: a check asks "did it get worse", and improvements are reported with the mirror
//! p-value. The t distribution's tails come from `statrs` (regularized incomplete beta).

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Mean and spread of the finite values of a metric over seeds, summed in seed order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Finite values.
    pub n: usize,
    /// Values that were NaN (the run had no data for the metric).
    pub missing: usize,
    /// Arithmetic mean (NaN when `n` is 0).
    pub mean: f64,
    /// Sample standard deviation, n − 1 denominator (0 when `n` < 2).
    pub sd: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`, taken in the given order.
    pub fn of(values: &[f64]) -> Spread {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let n = finite.len();
        let mean = if n == 0 {
            f64::NAN
        } else {
            finite.iter().sum::<f64>() / n as f64
        };
        let sd = if n < 2 {
            0.0
        } else {
            (finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
        };
        Spread {
            n,
            missing: values.len() - n,
            mean,
            sd,
            min: finite.iter().copied().fold(f64::NAN, f64::min),
            max: finite.iter().copied().fold(f64::NAN, f64::max),
        }
    }

    /// Sample variance.
    fn variance(&self) -> f64 {
        self.sd * self.sd
    }
}

/// Welch's t-test of `new` against `base`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    /// t statistic of `new − base` (infinite when both samples are constant and differ).
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// One-sided p-value that `new`'s mean is greater than `base`'s.
    pub p_greater: f64,
    /// One-sided p-value that `new`'s mean is less than `base`'s.
    pub p_less: f64,
}

/// Welch's t-test, or `None` when either side has fewer than two finite values (no variance
/// can be estimated, so no test is possible).
///
/// Two constant samples are decided exactly: equal means give p = 1 both ways, different means
/// p = 0 in the direction they differ (a metric that is constant over seeds and moved is a
/// certain change, not a noisy one).
pub fn welch(base: &Spread, new: &Spread) -> Option<Welch> {
    if base.n < 2 || new.n < 2 {
        return None;
    }
    let diff = new.mean - base.mean;
    let (vb, vn) = (
        base.variance() / base.n as f64,
        new.variance() / new.n as f64,
    );
    let se2 = vb + vn;
    if se2 == 0.0 {
        let (p_greater, p_less) = match diff.partial_cmp(&0.0) {
            Some(std::cmp::Ordering::Greater) => (0.0, 1.0),
            Some(std::cmp::Ordering::Less) => (1.0, 0.0),
            _ => (1.0, 1.0),
        };
        let t = if diff == 0.0 {
            0.0
        } else {
            diff.signum() * f64::INFINITY
        };
        return Some(Welch {
            t,
            df: (base.n + new.n - 2) as f64,
            p_greater,
            p_less,
        });
    }
    let t = diff / se2.sqrt();
    let df = se2 * se2
        / (vb * vb / (base.n - 1) as f64 + vn * vn / (new.n - 1) as f64).max(f64::MIN_POSITIVE);
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some(Welch {
        t,
        df,
        p_greater: dist.sf(t),
        p_less: dist.cdf(t),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_ignores_missing_values() {
        let s = Spread::of(&[1.0, f64::NAN, 3.0, 2.0]);
        assert_eq!(
            (s.n, s.missing, s.mean, s.min, s.max),
            (3, 1, 2.0, 1.0, 3.0)
        );
        assert!((s.sd - 1.0).abs() < 1e-12);
        let empty = Spread::of(&[f64::NAN]);
        assert_eq!((empty.n, empty.missing), (0, 1));
        assert!(empty.mean.is_nan());
    }

    /// t and df by hand; the tail by Simpson integration of the t density (independent of the
    /// incomplete beta function statrs uses).
    #[test]
    fn matches_a_hand_computed_welch_test() {
        let a = Spread::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let b = Spread::of(&[2.0, 4.0, 6.0, 8.0, 10.0]);
        let w = welch(&a, &b).unwrap();
        // t = 3 / sqrt(2.5/5 + 10/5) = 1.897367, df = 6.25 / ((0.25 + 4) / 4) = 5.882353.
        assert!((w.t - 1.897_366_596).abs() < 1e-6, "{w:?}");
        assert!((w.df - 5.882_352_941).abs() < 1e-6, "{w:?}");
        assert!((w.p_greater - 0.053_765_6).abs() < 1e-6, "{w:?}");
        assert!((w.p_greater + w.p_less - 1.0).abs() < 1e-12);
    }

    #[test]
    fn t_tail_matches_tables() {
        // The 0.975 quantile of t with 4 df is 2.776445: its upper tail is 0.025.
        let base = Spread {
            n: 3,
            missing: 0,
            mean: 0.0,
            sd: 1.0,
            min: 0.0,
            max: 0.0,
        };
        // With equal n = 3 and sd = 1 on both sides: se = sqrt(2/3), df = 4.
        let new = Spread {
            mean: 2.776_445 * (2.0f64 / 3.0).sqrt(),
            ..base
        };
        let w = welch(&base, &new).unwrap();
        assert!((w.df - 4.0).abs() < 1e-12);
        assert!((w.p_greater - 0.025).abs() < 1e-6, "{w:?}");
    }

    #[test]
    fn constant_samples_are_decided_exactly_and_single_seeds_not_at_all() {
        let c = |v: f64| Spread::of(&[v, v, v]);
        let w = welch(&c(1.0), &c(2.0)).unwrap();
        assert_eq!((w.p_greater, w.p_less), (0.0, 1.0));
        let same = welch(&c(1.0), &c(1.0)).unwrap();
        assert_eq!((same.p_greater, same.p_less), (1.0, 1.0));
        assert!(welch(&Spread::of(&[1.0]), &c(2.0)).is_none());
    }
}
