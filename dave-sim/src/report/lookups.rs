//! Lookup charts: GET success rate over time, GET latency CDF and a histogram of lookup hops with
//! the lookup-hops model of [`theory::lookup_hops`] (docs/protocol.md §8 "Lookup"; docs/simulator.md
//! §"Lookup hops model").

use std::path::Path;

use plotters::prelude::*;

use super::ReportError;
use super::chart::{self, ChartMeta};
use super::stats::{quantile_sorted, sorted_finite};
use super::theory;

/// Height of the hops chart's y axis over the tallest bar's round-up, so the legend clears it.
const HOPS_HEADROOM: f64 = 1.35;

/// Most windows the success-over-time chart splits the run into.
const MAX_WINDOWS: f64 = 40.0;

/// One GET issued during the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LookupRow {
    /// Virtual time the GET was issued, seconds since the start of the run.
    pub issued_at_s: f64,
    /// Whether it found the record.
    pub success: bool,
    /// Time to the answer in milliseconds (meaningful for successes).
    pub latency_ms: f64,
    /// Hops (rounds of the iterative lookup) until it ended.
    pub hops: u32,
}

/// Parameters of the lookup-hops reference ([`theory::lookup_hops`]).
pub type HopModel = theory::LookupShape;

impl HopModel {
    /// Predicted mean hops.
    pub fn predicted(&self) -> Option<f64> {
        theory::lookup_hops(*self)
    }

    /// The model and its parameters, for legends and tables.
    pub fn describe(&self) -> String {
        format!(
            "(1−R/N)(1+log2(N/(2R(K+1)))/log2(1+αr)), N={}, K={}, α={}, r={}, R={}",
            self.nodes, self.k, self.alpha, self.referrals, self.replicas
        )
    }
}

/// Every GET of the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LookupData {
    /// The GETs, in any order.
    pub rows: Vec<LookupRow>,
    /// Length of the run in seconds (sets the time axis even if GETs stop early).
    pub duration_s: f64,
    /// Kademlia reference for the hop histogram.
    pub hop_model: Option<HopModel>,
}

impl LookupData {
    /// Fraction of GETs that succeeded, `None` without GETs.
    pub fn success_rate(&self) -> Option<f64> {
        if self.rows.is_empty() {
            return None;
        }
        let ok = self.rows.iter().filter(|r| r.success).count();
        Some(ok as f64 / self.rows.len() as f64)
    }

    /// Mean hops over all GETs, `None` without GETs.
    pub fn mean_hops(&self) -> Option<f64> {
        if self.rows.is_empty() {
            return None;
        }
        Some(self.rows.iter().map(|r| f64::from(r.hops)).sum::<f64>() / self.rows.len() as f64)
    }

    /// Latencies of successful GETs in milliseconds, sorted.
    fn success_latencies(&self) -> Vec<f64> {
        sorted_finite(self.rows.iter().filter(|r| r.success).map(|r| r.latency_ms))
    }
}

/// A window length of 1, 2 or 5 × 10^k seconds giving at most [`MAX_WINDOWS`] windows.
fn window_len(duration_s: f64) -> f64 {
    let raw = (duration_s / MAX_WINDOWS).max(1e-3);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|w| *w >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// `(window centre, success rate, GETs in window)` for every window that saw a GET.
pub fn success_over_time(data: &LookupData) -> (f64, Vec<(f64, f64, usize)>) {
    let end = data
        .rows
        .iter()
        .map(|r| r.issued_at_s)
        .fold(data.duration_s, f64::max);
    let width = window_len(end);
    let windows = ((end / width).ceil() as usize).max(1);
    let mut counts = vec![(0usize, 0usize); windows];
    for row in &data.rows {
        let i = ((row.issued_at_s.max(0.0) / width) as usize).min(windows - 1);
        counts[i].0 += 1;
        counts[i].1 += usize::from(row.success);
    }
    let points = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| c.0 > 0)
        .map(|(i, c)| ((i as f64 + 0.5) * width, c.1 as f64 / c.0 as f64, c.0))
        .collect();
    (width, points)
}

/// Renders `lookups_success.png`.
pub(crate) fn render_success(
    path: &Path,
    meta: &ChartMeta,
    data: &LookupData,
) -> Result<(), ReportError> {
    chart::render_png(path, &meta.footer(), "GET success rate over time", |root| {
        let Some(overall) = data.success_rate() else {
            return chart::no_data_note(root, "no GETs were issued in this run");
        };
        let (width, points) = success_over_time(data);
        let end = points.last().map_or(width, |p| p.0 + width / 2.0);
        let mut chart = chart::cartesian(
            root,
            None,
            0.0..end.max(data.duration_s),
            0.0..1.05,
            "time since the start of the run (s)",
            "GETs that found the record (fraction)",
        )?;
        // The whole-run line goes first so the per-window line stays visible where they meet.
        let overall_style = chart::colour(1).stroke_width(2);
        chart
            .draw_series(LineSeries::new(
                [(0.0, overall), (end.max(data.duration_s), overall)],
                overall_style,
            ))?
            .label(format!(
                "whole run: {:.1} % of {} GETs",
                overall * 100.0,
                data.rows.len()
            ))
            .legend(chart::line_glyph(overall_style));
        let style = chart::colour(0).stroke_width(3);
        chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), style))?
            .label(format!("per {} s window", chart::tick(width)))
            .legend(chart::line_glyph(style));
        chart.draw_series(
            points
                .iter()
                .map(|p| Circle::new((p.0, p.1), 4, chart::colour(0).filled())),
        )?;
        chart::legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// Renders `lookups_latency.png`: empirical CDF over all GETs, so failures show as the gap
/// between the curve's top and 1.
pub(crate) fn render_latency(
    path: &Path,
    meta: &ChartMeta,
    data: &LookupData,
) -> Result<(), ReportError> {
    chart::render_png(path, &meta.footer(), "GET latency (CDF)", |root| {
        let latencies = data.success_latencies();
        if latencies.is_empty() {
            let note = if data.rows.is_empty() {
                "no GETs were issued in this run"
            } else {
                "no GET succeeded in this run"
            };
            return chart::no_data_note(root, note);
        }
        let total = data.rows.len() as f64;
        let max = latencies.last().copied().unwrap_or(1.0);
        let mut chart = chart::cartesian(
            root,
            None,
            0.0..chart::upper(max),
            0.0..1.05,
            "latency from GET to answer (ms)",
            "GETs answered within that latency (fraction)",
        )?;
        let mut steps = vec![(0.0, 0.0)];
        for (i, l) in latencies.iter().enumerate() {
            steps.push((*l, i as f64 / total));
            steps.push((*l, (i + 1) as f64 / total));
        }
        let p50 = quantile_sorted(&latencies, 0.5).unwrap_or(0.0);
        let p99 = quantile_sorted(&latencies, 0.99).unwrap_or(0.0);
        let style = chart::colour(0).stroke_width(3);
        chart
            .draw_series(LineSeries::new(steps, style))?
            .label(format!(
                "{} successful GETs: p50 {} ms, p99 {} ms",
                latencies.len(),
                chart::tick(p50),
                chart::tick(p99)
            ))
            .legend(chart::line_glyph(style));
        let failed = data.rows.len() - latencies.len();
        if failed > 0 {
            let top = latencies.len() as f64 / total;
            let gap_style = chart::colour(1).stroke_width(2);
            chart
                .draw_series(LineSeries::new(
                    [(0.0, top), (chart::upper(max), top)],
                    gap_style,
                ))?
                .label(format!(
                    "{failed} GETs failed: the curve stops at {:.1} %",
                    top * 100.0
                ))
                .legend(chart::line_glyph(gap_style));
        }
        chart::legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// Renders `lookups_hops.png`: share of GETs by hop count, measured mean and the reference.
pub(crate) fn render_hops(
    path: &Path,
    meta: &ChartMeta,
    data: &LookupData,
) -> Result<(), ReportError> {
    chart::render_png(path, &meta.footer(), "Lookup hops per GET", |root| {
        let Some(mean) = data.mean_hops() else {
            return chart::no_data_note(root, "no GETs were issued in this run");
        };
        let max_hops = data.rows.iter().map(|r| r.hops).max().unwrap_or(0) as usize;
        let mut counts = vec![0usize; max_hops + 1];
        for row in &data.rows {
            counts[row.hops as usize] += 1;
        }
        let total = data.rows.len() as f64;
        let predicted = data.hop_model.and_then(|m| m.predicted());
        let x_max = (max_hops as f64).max(predicted.unwrap_or(0.0).ceil()) + 1.0;
        let y_max = counts.iter().copied().max().unwrap_or(0) as f64 / total;
        // Hops are whole numbers: label only integer positions, one per bar up to 20 bars.
        let integer_label = |v: &f64| {
            if (v - v.round()).abs() < 1e-9 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        };
        let mut chart = chart::cartesian_with_x_labels(
            root,
            None,
            -0.5..x_max,
            // Headroom for the three-line legend above the tallest bar.
            0.0..chart::upper(y_max) * HOPS_HEADROOM,
            "hops (rounds of queries until the lookup ended)",
            "share of GETs (fraction)",
            ((x_max + 1.5) as usize).min(20),
            &integer_label,
        )?;
        let bar = chart::colour(0);
        chart
            .draw_series(counts.iter().enumerate().map(|(h, c)| {
                let x = h as f64;
                Rectangle::new(
                    [(x - 0.35, 0.0), (x + 0.35, *c as f64 / total)],
                    chart::bar_style(bar),
                )
            }))?
            .label(format!("measured, {} GETs", data.rows.len()))
            .legend(chart::bar_glyph(bar));
        let top = chart::upper(y_max) * HOPS_HEADROOM;
        let mean_style = chart::colour(1).stroke_width(3);
        chart
            .draw_series(LineSeries::new([(mean, 0.0), (mean, top)], mean_style))?
            .label(format!("measured mean {mean:.2} hops"))
            .legend(chart::line_glyph(mean_style));
        if let (Some(model), Some(p)) = (data.hop_model, predicted) {
            chart::dashed(
                &mut chart,
                vec![(p, 0.0), (p, top)],
                &format!("model {p:.2} hops: {}", model.describe()),
            )?;
        }
        chart::legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// One sentence on GET success over time.
pub(crate) fn success_sentence(data: &LookupData) -> String {
    let Some(overall) = data.success_rate() else {
        return "No GETs were issued, so there is no success rate to show.".to_owned();
    };
    let (width, points) = success_over_time(data);
    let worst = points
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.total_cmp(&b.0)));
    let mut s = format!(
        "{:.1} % of {} GETs found their record",
        overall * 100.0,
        data.rows.len()
    );
    if let Some(w) = worst.filter(|w| w.1 < overall) {
        s += &format!(
            "; the worst {} s window, around t = {} s, managed {:.1} %",
            chart::tick(width),
            chart::tick(w.0),
            w.1 * 100.0
        );
    }
    s + "."
}

/// One sentence on GET latency.
pub(crate) fn latency_sentence(data: &LookupData) -> String {
    let latencies = data.success_latencies();
    match (
        quantile_sorted(&latencies, 0.5),
        quantile_sorted(&latencies, 0.99),
    ) {
        (Some(p50), Some(p99)) => format!(
            "Successful GETs were answered in {} ms at the median and {} ms at the 99th percentile.",
            chart::tick(p50),
            chart::tick(p99)
        ),
        _ => "No GET succeeded, so there is no latency to show.".to_owned(),
    }
}

/// One sentence on lookup hops against the reference.
pub(crate) fn hops_sentence(data: &LookupData) -> String {
    let Some(mean) = data.mean_hops() else {
        return "No GETs were issued, so there are no hops to show.".to_owned();
    };
    match data.hop_model.and_then(|m| m.predicted().map(|p| (m, p))) {
        Some((m, p)) => format!(
            "Lookups took {mean:.2} hops on average against {p:.2} predicted by {} ({:+.0} %).",
            m.describe(),
            (mean / p - 1.0) * 100.0
        ),
        None => format!("Lookups took {mean:.2} hops on average."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: f64, success: bool) -> LookupRow {
        LookupRow {
            issued_at_s: t,
            success,
            latency_ms: 100.0,
            hops: 2,
        }
    }

    #[test]
    fn windows_are_round_numbers() {
        assert_eq!(window_len(600.0), 20.0);
        assert_eq!(window_len(40.0), 1.0);
        assert_eq!(window_len(100.0), 5.0);
    }

    #[test]
    fn success_is_counted_per_window() {
        let data = LookupData {
            rows: vec![row(0.1, true), row(0.2, false), row(39.0, true)],
            duration_s: 40.0,
            hop_model: None,
        };
        let (width, points) = success_over_time(&data);
        assert_eq!(width, 1.0);
        assert_eq!(points, vec![(0.5, 0.5, 2), (39.5, 1.0, 1)]);
        assert!(success_sentence(&data).starts_with("66.7 % of 3 GETs"));
    }

    #[test]
    fn hops_sentence_compares_with_theory() {
        let data = LookupData {
            rows: vec![row(0.0, true); 4],
            duration_s: 1.0,
            hop_model: Some(HopModel {
                nodes: 2880,
                k: 8,
                alpha: 3,
                referrals: 5,
                replicas: 5,
            }),
        };
        let s = hops_sentence(&data);
        // (1 − 5/2880) · 2.25 = 2.246.
        assert!(s.contains("2.00 hops on average against 2.25"), "{s}");
        assert!(s.contains("-11 %"), "{s}");
    }
}
