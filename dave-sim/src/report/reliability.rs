//! Reliability charts: the scores honest nodes hold of honest and of adversarial peers over time
//! (median and 10–90 % band), and liar detection against `1 − s^n` (docs/protocol.md §9).

use std::path::Path;

use plotters::prelude::*;

use super::ReportError;
use super::chart::{self, ChartMeta};
use super::stats::Band;
use super::theory;

/// The scores honest nodes hold of their peers at one sample time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReliabilitySnapshot {
    /// Sample time, seconds since the start of the run.
    pub t_s: f64,
    /// Every score an honest node holds of an honest peer.
    pub of_honest: Vec<f64>,
    /// Every score an honest node holds of an adversarial peer.
    pub of_adversarial: Vec<f64>,
}

/// Measured liar detection, compared with [`theory::liar_detection`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiarDetection {
    /// Fraction of accepted records the liars keep (s).
    pub kept: f64,
    /// `(challenges n, fraction of (challenger, liar) pairs that had seen at least one failed
    /// challenge after n challenges)`, sorted by n.
    pub measured: Vec<(u32, f64)>,
}

/// Scores over the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReliabilityData {
    /// One snapshot per sample time, sorted by time.
    pub snapshots: Vec<ReliabilitySnapshot>,
    /// RELIABILITY_MIN of the run's config: peers below it are avoided and evicted first.
    pub reliability_min: Option<f64>,
    /// Liar detection, when the scenario has storage liars.
    pub detection: Option<LiarDetection>,
}

/// `(t, p10, p50, p90)` of one class of scores, for snapshots that have any.
fn band_series(
    data: &ReliabilityData,
    pick: impl Fn(&ReliabilitySnapshot) -> &[f64],
) -> Vec<(f64, f64, f64, f64)> {
    data.snapshots
        .iter()
        .filter_map(|s| Band::of(pick(s).iter().copied()).map(|b| (s.t_s, b.p10, b.p50, b.p90)))
        .collect()
}

/// Renders `reliability.png`.
pub(crate) fn render(
    path: &Path,
    meta: &ChartMeta,
    data: &ReliabilityData,
) -> Result<(), ReportError> {
    chart::render_png(
        path,
        &meta.footer(),
        "Reliability scores held by honest nodes",
        |root| {
            let honest = band_series(data, |s| &s.of_honest);
            let adversarial = band_series(data, |s| &s.of_adversarial);
            if honest.is_empty() && adversarial.is_empty() {
                return chart::no_data_note(root, "no reliability scores were sampled in this run");
            }
            let end = data.snapshots.iter().map(|s| s.t_s).fold(0.0, f64::max);
            let mut chart = chart::cartesian(
                root,
                None,
                0.0..chart::upper(end),
                0.0..1.05,
                "time since the start of the run (s)",
                "reliability score (s+1)/(s+f+2)",
            )?;
            chart::band_and_median(&mut chart, &honest, chart::colour(0), "of honest peers")?;
            chart::band_and_median(
                &mut chart,
                &adversarial,
                chart::colour(1),
                "of adversarial peers",
            )?;
            if let Some(min) = data.reliability_min {
                let style = chart::colour(6).stroke_width(1);
                chart
                    .draw_series(LineSeries::new(
                        [(0.0, min), (chart::upper(end), min)],
                        style,
                    ))?
                    .label(format!("RELIABILITY_MIN = {min}"))
                    .legend(chart::line_glyph(style));
            }
            chart::legend(&mut chart, SeriesLabelPosition::LowerLeft)
        },
    )
}

/// Renders `liar_detection.png`: measured detection against `1 − s^n`.
pub(crate) fn render_detection(
    path: &Path,
    meta: &ChartMeta,
    data: &ReliabilityData,
) -> Result<(), ReportError> {
    chart::render_png(
        path,
        &meta.footer(),
        "Storage-liar detection by challenges",
        |root| {
            let Some(detection) = &data.detection else {
                return chart::no_data_note(root, "no storage liars in this run");
            };
            let n_max = detection
                .measured
                .iter()
                .map(|p| p.0)
                .max()
                .unwrap_or(0)
                .max(10);
            let mut chart = chart::cartesian(
                root,
                None,
                0.0..f64::from(n_max) * 1.05,
                0.0..1.05,
                "challenges of one liar by one honest node (n)",
                "liars caught at least once (fraction)",
            )?;
            let theory_points = (0..=n_max)
                .map(|n| (f64::from(n), theory::liar_detection(detection.kept, n)))
                .collect();
            chart::dashed(
                &mut chart,
                theory_points,
                &format!("1 − s^n with s = {}", detection.kept),
            )?;
            if !detection.measured.is_empty() {
                let style = chart::colour(1).stroke_width(3);
                chart
                    .draw_series(LineSeries::new(
                        detection.measured.iter().map(|p| (f64::from(p.0), p.1)),
                        style,
                    ))?
                    .label("measured")
                    .legend(chart::line_glyph(style));
                chart.draw_series(
                    detection
                        .measured
                        .iter()
                        .map(|p| Circle::new((f64::from(p.0), p.1), 4, chart::colour(1).filled())),
                )?;
            }
            chart::legend(&mut chart, SeriesLabelPosition::LowerRight)
        },
    )
}

/// One sentence on the scores at the last sample.
pub(crate) fn sentence(data: &ReliabilityData) -> String {
    let last_with = |pick: &dyn Fn(&ReliabilitySnapshot) -> &[f64]| {
        data.snapshots
            .iter()
            .rev()
            .find_map(|s| Band::of(pick(s).iter().copied()).map(|b| (s.t_s, b)))
    };
    let honest = last_with(&|s| &s.of_honest);
    let adversarial = last_with(&|s| &s.of_adversarial);
    match (honest, adversarial) {
        (None, None) => "No reliability scores were sampled.".to_owned(),
        (Some((t, h)), None) => format!(
            "At t = {} s honest nodes scored honest peers {:.2} at the median (10–90 %: {:.2}–{:.2}); there were no adversarial peers to score.",
            chart::tick(t),
            h.p50,
            h.p10,
            h.p90
        ),
        (None, Some((t, a))) => format!(
            "At t = {} s honest nodes scored adversarial peers {:.2} at the median; no honest peer scores were sampled.",
            chart::tick(t),
            a.p50
        ),
        (Some((t, h)), Some((_, a))) => format!(
            "At t = {} s honest nodes scored honest peers {:.2} and adversarial peers {:.2} at the median, a gap of {:.2}.",
            chart::tick(t),
            h.p50,
            a.p50,
            h.p50 - a.p50
        ),
    }
}

/// One sentence on liar detection against the model.
pub(crate) fn detection_sentence(data: &ReliabilityData) -> String {
    let Some(detection) = &data.detection else {
        return "The scenario has no storage liars, so there is nothing to detect.".to_owned();
    };
    match detection.measured.last() {
        Some((n, measured)) => format!(
            "After {n} challenges {:.1} % of liars keeping s = {} of their records had been caught, against {:.1} % predicted by 1 − s^n.",
            measured * 100.0,
            detection.kept,
            theory::liar_detection(detection.kept, *n) * 100.0
        ),
        None => format!(
            "No challenge of a liar was recorded; 1 − s^n with s = {} is drawn for reference.",
            detection.kept
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_reports_the_gap_at_the_last_sample() {
        let data = ReliabilityData {
            snapshots: vec![
                ReliabilitySnapshot {
                    t_s: 10.0,
                    of_honest: vec![0.5],
                    of_adversarial: vec![0.5],
                },
                ReliabilitySnapshot {
                    t_s: 20.0,
                    of_honest: vec![0.9, 0.8, 0.7],
                    of_adversarial: vec![0.2],
                },
            ],
            reliability_min: Some(0.3),
            detection: None,
        };
        let s = sentence(&data);
        assert!(s.contains("t = 20 s"), "{s}");
        assert!(
            s.contains("honest peers 0.80 and adversarial peers 0.20"),
            "{s}"
        );
    }

    #[test]
    fn detection_sentence_quotes_theory() {
        let data = ReliabilityData {
            detection: Some(LiarDetection {
                kept: 0.5,
                measured: vec![(1, 0.4), (3, 0.8)],
            }),
            ..ReliabilityData::default()
        };
        let s = detection_sentence(&data);
        assert!(
            s.contains("80.0 %") && s.contains("87.5 % predicted"),
            "{s}"
        );
    }
}
