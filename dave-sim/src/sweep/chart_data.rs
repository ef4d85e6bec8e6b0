//! What the sweep charts show, as plain data for `report::sweep_chart` to draw: one chart per
//! metric, the first swept parameter on the x axis, one series per combination of the others.

use std::collections::BTreeMap;

use super::files::{AggregateRow, Manifest};
use crate::report::sweep_chart::{SweepChart, SweepCharts, SweepSeries};

/// The charts of a whole sweep; none when it sweeps seeds only (there is no parameter to plot
/// against; `aggregate.csv` holds the numbers).
pub fn of(manifest: &Manifest, rows: &[AggregateRow]) -> Option<SweepCharts> {
    let plan = &manifest.plan;
    let footer = format!(
        "scenario: {}   seeds: {}–{} ({} per point)",
        manifest.scenario,
        plan.seed_base,
        plan.seed_base + plan.seeds - 1,
        plan.seeds
    );
    let x_param = plan.params.first()?;
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
    let x_of = |point: usize| {
        let i = plan.point_indices(point)[0];
        numeric.as_ref().map_or(i as f64, |xs| xs[i])
    };
    let by_metric: BTreeMap<&str, Vec<&AggregateRow>> =
        rows.iter().fold(BTreeMap::new(), |mut m, r| {
            m.entry(r.metric.as_str()).or_insert_with(Vec::new).push(r);
            m
        });
    let charts = by_metric
        .into_iter()
        .map(|(metric, rows)| {
            let mut series: BTreeMap<Vec<usize>, Vec<&AggregateRow>> = BTreeMap::new();
            for r in rows {
                let rest = plan.point_indices(r.point)[1..].to_vec();
                series.entry(rest).or_default().push(r);
            }
            let series = series
                .into_iter()
                .map(|(rest, rows)| {
                    let mut points: Vec<_> =
                        rows.iter().map(|r| (x_of(r.point), r.stats)).collect();
                    points.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let label = if rest.is_empty() {
                        format!("mean of {} seeds, 95 % CI", plan.seeds)
                    } else {
                        rest.iter()
                            .zip(&plan.params[1..])
                            .map(|(v, p)| format!("{}={}", p.path, p.values[*v]))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    SweepSeries { label, points }
                })
                .collect();
            SweepChart {
                metric: metric.to_owned(),
                series,
            }
        })
        .collect();
    Some(SweepCharts {
        footer,
        x_param: x_param.path.clone(),
        x_desc,
        x_labels: x_param.values.clone(),
        x_numeric: numeric,
        charts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::stats::MeanCi;
    use crate::sweep::plan::{Shard, SweepPlan};
    use serde_json::json;

    fn manifest(params: &[&str]) -> Manifest {
        let plan =
            SweepPlan::new(params.iter().map(|p| p.parse().unwrap()).collect(), 1, 3).unwrap();
        Manifest::new(&json!({"name": "s"}), &plan, Shard::WHOLE)
    }

    fn row(point: usize, metric: &str, mean: f64) -> AggregateRow {
        AggregateRow {
            point,
            metric: metric.into(),
            stats: MeanCi::of(&[mean]).unwrap(),
        }
    }

    #[test]
    fn one_chart_per_metric_one_series_per_other_values() {
        let m = manifest(&["x=1,2", "y=a,b"]);
        let rows = vec![
            row(3, "m", 4.0),
            row(0, "m", 1.0),
            row(1, "m", 2.0),
            row(2, "m", 3.0),
        ];
        let c = of(&m, &rows).unwrap();
        assert_eq!(c.footer, "scenario: s   seeds: 1–3 (3 per point)");
        assert_eq!(c.x_numeric, Some(vec![1.0, 2.0]));
        assert_eq!(c.charts.len(), 1);
        let s = &c.charts[0].series;
        assert_eq!(
            s.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(),
            ["y=a", "y=b"]
        );
        let xs: Vec<(f64, f64)> = s[1].points.iter().map(|(x, p)| (*x, p.mean)).collect();
        assert_eq!(xs, vec![(1.0, 2.0), (2.0, 4.0)], "sorted by x");
    }

    #[test]
    fn decades_are_spaced_evenly_and_seeds_only_has_no_chart() {
        let c = of(&manifest(&["x=10,100,1000"]), &[row(0, "m", 1.0)]).unwrap();
        assert_eq!(c.x_numeric, None);
        assert_eq!(c.x_desc, "x (values evenly spaced)");
        assert_eq!(c.charts[0].series[0].label, "mean of 3 seeds, 95 % CI");
        assert!(of(&manifest(&[]), &[row(0, "m", 1.0)]).is_none());
    }
}
