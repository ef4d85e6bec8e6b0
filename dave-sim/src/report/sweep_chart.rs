//! Sweep charts (drawing only; `sweep::chart_data` decides what they show): for each metric, mean and 95 % confidence interval over seeds against the first
//! swept parameter, one series per combination of the others (SIMULATOR.md "Sweeps and scale").

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::ReportError;
use super::chart;
use super::stats::MeanCi;

/// File name of the chart of `metric`: characters outside `[A-Za-z0-9_-]` become `_`.
fn chart_file(metric: &str) -> String {
    let safe: String = metric
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("sweep_{safe}.png")
}

/// Every chart of a sweep, as the sweep computed them.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepCharts {
    /// Footer line of every chart (scenario, seeds).
    pub footer: String,
    /// The swept parameter on the x axis (its dotted path).
    pub x_param: String,
    /// The x axis description.
    pub x_desc: String,
    /// The parameter's values as given, for a categorical axis.
    pub x_labels: Vec<String>,
    /// The values as numbers when the axis is linear; `None` for evenly spaced values.
    pub x_numeric: Option<Vec<f64>>,
    /// One chart per metric.
    pub charts: Vec<SweepChart>,
}

/// The chart of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepChart {
    /// Metric name.
    pub metric: String,
    /// One series per combination of the other parameters' values.
    pub series: Vec<SweepSeries>,
}

/// One series: its legend and (x, statistics over seeds) sorted by x. x is the parameter's
/// value on a numeric axis, else its index.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSeries {
    /// Legend text.
    pub label: String,
    /// The points.
    pub points: Vec<(f64, MeanCi)>,
}

/// Draws one chart per metric: mean and 95 % CI against the first parameter, one series per
/// combination of the other parameters.
pub fn render_charts(out: &Path, charts: &SweepCharts) -> Result<Vec<PathBuf>, ReportError> {
    let footer = &charts.footer;
    let x_desc = &charts.x_desc;
    let numeric = &charts.x_numeric;
    let mut files = Vec::new();
    for c in &charts.charts {
        let metric = c.metric.as_str();
        let path = out.join(chart_file(metric));
        let title = format!("{metric} against {}", charts.x_param);
        chart::render_png(&path, footer, &title, |root| {
            let (x_lo, x_hi) = match numeric {
                Some(xs) => {
                    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let pad = ((hi - lo) * 0.05).max(if hi == lo { 1.0 } else { 0.0 });
                    (lo - pad, hi + pad)
                }
                None => (-0.5, charts.x_labels.len() as f64 - 0.5),
            };
            // Rates and fractions live in [0, 1]; a t interval over few seeds can poke past the
            // bounds, which would only confuse on a chart (aggregate.csv keeps the raw interval).
            let bounded = metric.ends_with("_rate") || metric.contains("fraction");
            let clamp = |v: f64| if bounded { v.clamp(0.0, 1.0) } else { v };
            let all = || {
                c.series
                    .iter()
                    .flat_map(|s| s.points.iter().map(|(_, p)| p))
            };
            let y_lo = all().map(|p| clamp(p.low())).fold(f64::INFINITY, f64::min);
            let y_hi = all()
                .map(|p| clamp(p.high()))
                .fold(f64::NEG_INFINITY, f64::max);
            // A metric constant across the grid (often 0) still gets a readable axis around it.
            let span = y_hi - y_lo;
            let pad = if span > 1e-9 * y_hi.abs().max(1.0) {
                span * 0.08
            } else {
                (y_hi.abs() * 0.1).max(1.0)
            };
            let labels = &charts.x_labels;
            let categorical = |v: &f64| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            };
            let numeric_label = |v: &f64| chart::tick(*v);
            let (x_labels, x_label): (usize, &dyn Fn(&f64) -> String) = match numeric {
                Some(_) => (10, &numeric_label),
                None => (labels.len(), &categorical),
            };
            let mut chart = chart::cartesian_with_x_labels(
                root,
                None,
                x_lo..x_hi,
                (y_lo - pad)..(y_hi + pad),
                x_desc,
                &format!("{metric} (mean, 95 % CI over seeds)"),
                x_labels,
                x_label,
            )?;
            for (i, series) in c.series.iter().enumerate() {
                let colour = chart::colour(i);
                let points = &series.points;
                let mut band: Vec<(f64, f64)> =
                    points.iter().map(|(x, s)| (*x, clamp(s.high()))).collect();
                band.extend(points.iter().rev().map(|(x, s)| (*x, clamp(s.low()))));
                chart.draw_series(std::iter::once(Polygon::new(
                    band,
                    colour.mix(0.18).filled(),
                )))?;
                chart.draw_series(points.iter().map(|(x, s)| {
                    PathElement::new(
                        vec![(*x, clamp(s.low())), (*x, clamp(s.high()))],
                        colour.stroke_width(2),
                    )
                }))?;
                let label = series.label.clone();
                let style = colour.stroke_width(3);
                chart
                    .draw_series(LineSeries::new(
                        points.iter().map(|(x, s)| (*x, s.mean)),
                        style,
                    ))?
                    .label(label)
                    .legend(chart::line_glyph(style));
                chart.draw_series(
                    points
                        .iter()
                        .map(|(x, s)| Circle::new((*x, s.mean), 5, colour.filled())),
                )?;
            }
            chart::legend(&mut chart, SeriesLabelPosition::UpperRight)
        })?;
        files.push(path);
    }
    Ok(files)
}
