//! Sweep charts: for each metric, mean and 95 % confidence interval over seeds against the first
//! swept parameter, one series per combination of the others (SIMULATOR.md "Sweeps and scale").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::ReportError;
use super::chart;
use super::stats::MeanCi;
use super::sweep::{AggregateRow, Manifest};

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

/// One chart per metric: mean and 95 % CI against the first parameter, one series per
/// combination of the other parameters.
pub(crate) fn render_charts(
    out: &Path,
    manifest: &Manifest,
    rows: &[AggregateRow],
) -> Result<Vec<PathBuf>, ReportError> {
    let plan = &manifest.plan;
    let footer = format!(
        "scenario: {}   seeds: {}–{} ({} per point)",
        manifest.scenario,
        plan.seed_base,
        plan.seed_base + plan.seeds - 1,
        plan.seeds
    );
    let Some(x_param) = plan.params.first() else {
        // Seeds only: there is no parameter to plot against; aggregate.csv holds the numbers.
        return Ok(Vec::new());
    };
    let numeric: Option<Vec<f64>> = x_param
        .values
        .iter()
        .map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    // Values spanning decades (10, 100, 1000) would crowd into one corner of a linear axis; they
    // are drawn evenly spaced in the order given, which for such grids is a log scale.
    let numeric = numeric.filter(|xs| {
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        !(lo > 0.0 && hi / lo >= 20.0)
    });
    let x_desc = if numeric.is_some() {
        x_param.path.clone()
    } else {
        format!("{} (values evenly spaced)", x_param.path)
    };
    let by_metric: BTreeMap<&str, Vec<&AggregateRow>> =
        rows.iter().fold(BTreeMap::new(), |mut m, r| {
            m.entry(r.metric.as_str()).or_insert_with(Vec::new).push(r);
            m
        });
    let mut files = Vec::new();
    for (metric, rows) in by_metric {
        let path = out.join(chart_file(metric));
        let title = format!("{metric} against {}", x_param.path);
        chart::render_png(&path, &footer, &title, |root| {
            let x_of = |point: usize| {
                let i = plan.point_indices(point)[0];
                numeric.as_ref().map_or(i as f64, |xs| xs[i])
            };
            let (x_lo, x_hi) = match &numeric {
                Some(xs) => {
                    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let pad = ((hi - lo) * 0.05).max(if hi == lo { 1.0 } else { 0.0 });
                    (lo - pad, hi + pad)
                }
                None => (-0.5, x_param.values.len() as f64 - 0.5),
            };
            // Rates and fractions live in [0, 1]; a t interval over few seeds can poke past the
            // bounds, which would only confuse on a chart (aggregate.csv keeps the raw interval).
            let bounded = metric.ends_with("_rate") || metric.contains("fraction");
            let clamp = |v: f64| if bounded { v.clamp(0.0, 1.0) } else { v };
            let y_lo = rows
                .iter()
                .map(|r| clamp(r.stats.low()))
                .fold(f64::INFINITY, f64::min);
            let y_hi = rows
                .iter()
                .map(|r| clamp(r.stats.high()))
                .fold(f64::NEG_INFINITY, f64::max);
            // A metric constant across the grid (often 0) still gets a readable axis around it.
            let span = y_hi - y_lo;
            let pad = if span > 1e-9 * y_hi.abs().max(1.0) {
                span * 0.08
            } else {
                (y_hi.abs() * 0.1).max(1.0)
            };
            let labels = &x_param.values;
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
                &x_desc,
                &format!("{metric} (mean, 95 % CI over seeds)"),
                x_labels,
                x_label,
            )?;
            // Series: one per combination of the other parameters' values.
            let mut series: BTreeMap<Vec<usize>, Vec<&AggregateRow>> = BTreeMap::new();
            for r in &rows {
                let rest = plan.point_indices(r.point)[1..].to_vec();
                series.entry(rest).or_default().push(r);
            }
            for (i, (rest, points)) in series.iter().enumerate() {
                let colour = chart::colour(i);
                let mut points: Vec<(f64, &MeanCi)> =
                    points.iter().map(|r| (x_of(r.point), &r.stats)).collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
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
                let label = if rest.is_empty() {
                    format!("mean of {} seeds, 95 % CI", plan.seeds)
                } else {
                    rest.iter()
                        .zip(&plan.params[1..])
                        .map(|(v, p)| format!("{}={}", p.path, p.values[*v]))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
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
