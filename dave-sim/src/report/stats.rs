//! Small, deterministic statistics used by the charts, report.md and sweep aggregation.
//!
//! Everything here works on already-sorted or caller-sorted data and sums in slice order, so the
//! same inputs give bit-identical outputs on every machine (docs/simulator.md, "Determinism").

/// The `q`-quantile (0 ≤ q ≤ 1) of `sorted` by the nearest-rank method, or `None` for an empty
/// slice: the same rule as summary.json's metrics ([`crate::metrics::stats::nearest_rank`]), so
/// report.md and the charts quote exactly the percentiles `expect` checks.
///
/// Callers sort once and ask for several quantiles, which is why this takes a sorted slice.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    crate::metrics::stats::nearest_rank(sorted, q)
}

/// Finite values of `values`, sorted ascending: the form [`quantile_sorted`] needs.
pub fn sorted_finite(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut out: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    out.sort_by(f64::total_cmp);
    out
}

/// Median, 10th and 90th percentile of a set of values: the "median and 10–90 % band" every
/// time-series chart draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
}

impl Band {
    /// The band of the finite values in `values`, or `None` if there are none.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Band> {
        let sorted = sorted_finite(values);
        Some(Band {
            p10: quantile_sorted(&sorted, 0.10)?,
            p50: quantile_sorted(&sorted, 0.50)?,
            p90: quantile_sorted(&sorted, 0.90)?,
        })
    }
}

/// Mean with a two-sided 95 % confidence interval, from Student's t distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanCi {
    /// Number of finite observations.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator); 0 when n = 1.
    pub std_dev: f64,
    /// Half-width of the 95 % confidence interval; 0 when n = 1 (no spread can be estimated,
    /// and a chart would rather show a point than an infinite band).
    pub half_width: f64,
}

impl MeanCi {
    /// Mean and 95 % CI of the finite values of `values`, summed in the given order (callers pass
    /// them sorted by seed so the result does not depend on which thread or shard ran first).
    pub fn of(values: &[f64]) -> Option<MeanCi> {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let n = finite.len();
        if n == 0 {
            return None;
        }
        let mean = finite.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Some(MeanCi {
                n,
                mean,
                std_dev: 0.0,
                half_width: 0.0,
            });
        }
        let var = finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
        let std_dev = var.sqrt();
        let half_width = student_t_975(n - 1) * std_dev / (n as f64).sqrt();
        Some(MeanCi {
            n,
            mean,
            std_dev,
            half_width,
        })
    }

    /// Lower end of the 95 % confidence interval.
    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    /// Upper end of the 95 % confidence interval.
    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom (the multiplier of a 95 %
/// two-sided confidence interval).
///
/// Exact table values up to 30 degrees of freedom, where sweeps with few seeds live and the
/// difference from the normal quantile matters most; beyond that the Cornish–Fisher expansion
/// around z = 1.959964, which is accurate to better than 1e-4 there.
pub fn student_t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
        2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
        2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
        2.048407, 2.045230, 2.042272,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        _ => {
            let z = 1.959_963_984_540_054_f64;
            let d = df as f64;
            z + (z.powi(3) + z) / (4.0 * d)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
                + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z)
                    / (384.0 * d * d * d)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank_like_the_summary() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), Some(2.0));
        assert_eq!(quantile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&v, 1.0), Some(4.0));
        assert_eq!(quantile_sorted(&v, 0.9), Some(4.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
        // report.md and summary.json quote one number for one percentile.
        let latencies: Vec<f64> = (0..997).map(|i| f64::from((i * 7919) % 1000)).collect();
        let sorted = sorted_finite(latencies.clone());
        for q in [0.1, 0.5, 0.9, 0.99] {
            let summary = crate::metrics::stats::quantile(&mut latencies.clone(), q);
            assert_eq!(quantile_sorted(&sorted, q), Some(summary), "q = {q}");
        }
    }

    #[test]
    fn band_ignores_non_finite_values() {
        let band = Band::of([f64::NAN, 5.0, 1.0, 3.0]).unwrap();
        assert_eq!(band.p50, 3.0);
        assert!(Band::of([f64::NAN]).is_none());
    }

    #[test]
    fn confidence_interval_matches_hand_computation() {
        // mean 2, sample sd 1, n 3 → half width t(2) · 1/√3.
        let ci = MeanCi::of(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(ci.mean, 2.0);
        assert!((ci.std_dev - 1.0).abs() < 1e-12);
        assert!((ci.half_width - 4.302653 / 3f64.sqrt()).abs() < 1e-9);
        let single = MeanCi::of(&[7.0]).unwrap();
        assert_eq!((single.mean, single.half_width), (7.0, 0.0));
        assert!(MeanCi::of(&[]).is_none());
    }

    #[test]
    fn t_quantile_expansion_joins_the_table_smoothly() {
        assert!((student_t_975(31) - 2.039513).abs() < 1e-4);
        assert!((student_t_975(60) - 2.000298).abs() < 1e-4);
        assert!((student_t_975(1000) - 1.962339).abs() < 1e-4);
    }
}
