//! Propagation chart: fraction of a record's target replicas that hold it against time since the
//! write, median and 10–90 % band over records, with the push-gossip reference curve where the
//! scenario's propagation is gossip-like (docs/simulator.md "The report"; docs/protocol.md §8 PUT and
//! re-propagation).

use std::path::Path;

use plotters::prelude::*;

use super::ReportError;
use super::chart::{self, ChartMeta};
use super::stats::{Band, quantile_sorted, sorted_finite};
use super::theory;

/// Points on the shared time grid the band is evaluated on.
const GRID_POINTS: usize = 240;
/// A record counts as "propagated" once this fraction of its target replicas holds it.
pub const PROPAGATED_FRACTION: f64 = 0.9;

/// Spread of every record written during the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropagationData {
    /// One curve per record: `(seconds since the write, fraction of its target replicas holding
    /// it)`, sorted by time. The curve is a step function: the fraction holds until the next point.
    pub records: Vec<Vec<(f64, f64)>>,
    /// Records written less than the propagation window before the run ended, left out of the
    /// chart (their curves would be cut short); `records.csv` still lists them.
    pub written_late: usize,
    /// Push-gossip reference, when the scenario's propagation is gossip-like.
    pub gossip: Option<GossipModel>,
}

/// Parameters of the push-gossip reference model ([`theory::push_gossip_curve`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GossipModel {
    /// Nodes the record must reach (N).
    pub nodes: u64,
    /// Pushes per informed node per round (f).
    pub fanout: f64,
    /// Length of one round in seconds (time from receiving a record to pushing it on).
    pub round_s: f64,
}

impl GossipModel {
    /// Predicted completion time in seconds: `(log_{1+f} N + ln N / f) · round`.
    pub fn completion_s(&self) -> Option<f64> {
        theory::push_gossip_rounds(self.nodes, self.fanout).map(|r| r * self.round_s)
    }
}

/// Value of a step curve at `t` (0 before its first point).
fn value_at(curve: &[(f64, f64)], t: f64) -> f64 {
    let idx = curve.partition_point(|p| p.0 <= t);
    if idx == 0 { 0.0 } else { curve[idx - 1].1 }
}

/// Seconds after the write at which `curve` first reaches `fraction`, if it does.
pub fn time_to_fraction(curve: &[(f64, f64)], fraction: f64) -> Option<f64> {
    curve.iter().find(|p| p.1 >= fraction).map(|p| p.0)
}

/// Last time any record was observed.
fn horizon(data: &PropagationData) -> f64 {
    data.records
        .iter()
        .filter_map(|c| c.last().map(|p| p.0))
        .fold(0.0, f64::max)
}

/// `(t, p10, p50, p90)` of the records' fractions on an even grid from 0 to the horizon.
pub fn band_over_time(data: &PropagationData) -> Vec<(f64, f64, f64, f64)> {
    let end = horizon(data);
    if data.records.is_empty() || end <= 0.0 {
        return Vec::new();
    }
    (0..=GRID_POINTS)
        .filter_map(|i| {
            let t = end * i as f64 / GRID_POINTS as f64;
            let band = Band::of(data.records.iter().map(|c| value_at(c, t)))?;
            Some((t, band.p10, band.p50, band.p90))
        })
        .collect()
}

/// Seconds until [`PROPAGATED_FRACTION`] of replicas held each record, sorted, for records that
/// got there; and the number that never did.
pub fn propagation_times(data: &PropagationData) -> (Vec<f64>, usize) {
    let times = sorted_finite(
        data.records
            .iter()
            .filter_map(|c| time_to_fraction(c, PROPAGATED_FRACTION)),
    );
    let missing = data.records.len() - times.len();
    (times, missing)
}

/// Renders `propagation.png`.
pub(crate) fn render(
    path: &Path,
    meta: &ChartMeta,
    data: &PropagationData,
) -> Result<(), ReportError> {
    let band = band_over_time(data);
    chart::render_png(
        path,
        &meta.footer(),
        "Record propagation to target replicas",
        |root| {
            if band.is_empty() {
                let note = match data.written_late {
                    0 => "no records were written in this run".to_owned(),
                    n => format!("{n} records written, all too late in the run to follow"),
                };
                return chart::no_data_note(root, &note);
            }
            let end = horizon(data);
            let model = data.gossip.and_then(|g| {
                let completion = g.completion_s()?;
                (g.round_s > 0.0).then_some((g, completion))
            });
            // Show the model's completion if it is within reach of the data, without letting a slow
            // model squash the measured curve into the left edge.
            let x_max = match model {
                Some((_, completion)) => end.max(completion.min(4.0 * end)),
                None => end,
            };
            let mut chart = chart::cartesian(
                root,
                None,
                0.0..chart::upper(x_max),
                0.0..1.05,
                "time since the write (s)",
                "fraction of target replicas holding the record",
            )?;
            chart::band_and_median(
                &mut chart,
                &band,
                chart::colour(0),
                &format!("measured over {} records", data.records.len()),
            )?;
            if let Some((g, completion)) = model {
                let rounds = (x_max / g.round_s).ceil().min(10_000.0) as u32;
                let curve = theory::push_gossip_curve(g.nodes, g.fanout, rounds);
                let points = curve
                    .iter()
                    .enumerate()
                    .map(|(r, f)| (r as f64 * g.round_s, *f))
                    .collect();
                chart::dashed(
                    &mut chart,
                    points,
                    &format!(
                        "push-gossip model, N={} f={}: done ≈ {:.1} s",
                        g.nodes, g.fanout, completion
                    ),
                )?;
            } else {
                // Say so rather than leave a reader looking for a dashed line.
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                    .label(NO_MODEL)
                    .legend(|(x, y)| EmptyElement::at((x, y)));
            }
            chart::legend(&mut chart, SeriesLabelPosition::LowerRight)
        },
    )
}

/// One sentence on what the chart shows for this run.
pub(crate) fn sentence(data: &PropagationData) -> String {
    if data.records.is_empty() {
        return match data.written_late {
            0 => "No records were written, so there is no propagation to show.".to_owned(),
            n => format!(
                "{n} records were written, all less than {:.0} s before the end of the run, too late to follow their whole propagation; records.csv lists their replica times.",
                crate::metrics::collector::PROPAGATION_WINDOW_US as f64 / 1e6
            ),
        };
    }
    let (times, missing) = propagation_times(data);
    let pct = (PROPAGATED_FRACTION * 100.0).round();
    let mut s = match (quantile_sorted(&times, 0.5), quantile_sorted(&times, 0.9)) {
        (Some(p50), Some(p90)) => format!(
            "Of {} records, half reached {pct} % of their target replicas within {:.2} s of the write and 90 % of those that got there within {:.2} s",
            data.records.len(),
            p50,
            p90
        ),
        _ => format!(
            "None of the {} records reached {pct} % of their target replicas",
            data.records.len()
        ),
    };
    if missing > 0 && !times.is_empty() {
        s += &format!("; {missing} never got there");
    }
    match data.gossip.and_then(|g| g.completion_s()) {
        Some(completion) => {
            s += &format!(" (the push-gossip model predicts full spread after {completion:.2} s)");
        }
        None => s += &format!(" (there is {NO_MODEL}; docs/simulator.md says why)"),
    }
    s + "."
}

/// What the chart says when no analytic reference applies: Dave writes a record straight to the
/// REPLICAS closest nodes its PUT lookup finds, so how fast replicas appear is the PUT lookup's
/// latency plus one delivery, which the lookup charts measure; push gossip, the model this chart
/// can draw, does not describe it.
const NO_MODEL: &str = "no analytic model: a PUT goes straight to the replicas its lookup finds";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_curve_values_and_crossing_times() {
        let curve = [(1.0, 0.2), (2.0, 0.6), (3.0, 1.0)];
        assert_eq!(value_at(&curve, 0.5), 0.0);
        assert_eq!(value_at(&curve, 2.5), 0.6);
        assert_eq!(value_at(&curve, 9.0), 1.0);
        assert_eq!(time_to_fraction(&curve, 0.9), Some(3.0));
        assert_eq!(time_to_fraction(&curve, 1.1), None);
    }

    #[test]
    fn sentence_counts_records_that_never_propagate() {
        let data = PropagationData {
            records: vec![vec![(0.5, 1.0)], vec![(0.2, 0.4)]],
            written_late: 0,
            gossip: None,
        };
        let s = sentence(&data);
        assert!(s.contains("Of 2 records"), "{s}");
        assert!(s.contains("1 never got there"), "{s}");
        assert!(s.contains("no analytic model"), "{s}");
    }

    #[test]
    fn sentence_tells_late_records_from_no_records() {
        let none = PropagationData::default();
        assert!(sentence(&none).starts_with("No records were written"));
        let late = PropagationData {
            written_late: 96,
            ..PropagationData::default()
        };
        let s = sentence(&late);
        assert!(
            s.starts_with("96 records were written, all less than 30 s"),
            "{s}"
        );
    }
}
