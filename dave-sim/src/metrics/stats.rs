//! Small statistics helpers. Quantiles use the nearest-rank method on sorted data, so they
//! are exact sample values and reproducible bit for bit.

/// Nearest-rank quantile `q` in `[0, 1]` of `values` (sorted in place); NaN when empty.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    nearest_rank(values, q).unwrap_or(f64::NAN)
}

/// Nearest-rank quantile `q` in `[0, 1]` of already sorted `sorted`; `None` when empty. The one
/// quantile rule of the simulator: summary.json, report.md, the charts and sweeps all use it, so
/// a percentile reads the same wherever it is shown.
pub fn nearest_rank(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Arithmetic mean; NaN when empty.
pub fn mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, n) = values
        .into_iter()
        .fold((0.0, 0u64), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let mut v = vec![5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(quantile(&mut v, 0.5), 3.0);
        assert_eq!(quantile(&mut v, 0.99), 5.0);
        assert_eq!(quantile(&mut v, 0.0), 1.0);
        assert!(quantile(&mut [], 0.5).is_nan());
        assert_eq!(mean([1.0, 2.0, 6.0]), 3.0);
    }
}
