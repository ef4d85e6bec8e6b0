//! Eclipse chart: the fraction of each victim's active peer table held by attackers over time
//! (docs/simulator.md "The report"; docs/protocol.md §5 anti-poisoning and test-before-evict).

use std::path::Path;

use plotters::prelude::*;

use super::ReportError;
use super::chart::{self, ChartMeta};
use super::stats::Band;

/// Victims drawn as one line each; with more, the chart shows their median and 10–90 % band.
const MAX_VICTIM_LINES: usize = 6;

/// One victim's table over time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VictimSeries {
    /// How the legend names the victim (e.g. its address).
    pub label: String,
    /// `(seconds since the start, fraction of its active table held by attackers)`, sorted.
    pub points: Vec<(f64, f64)>,
}

/// Eclipse attacks of the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EclipseData {
    /// When the attack starts, seconds since the start of the run.
    pub attack_start_s: Option<f64>,
    /// Every victim.
    pub victims: Vec<VictimSeries>,
}

/// `(t, p10, p50, p90)` across victims at each sample time of the first victim (victims are
/// sampled together).
fn victims_band(data: &EclipseData) -> Vec<(f64, f64, f64, f64)> {
    let Some(first) = data.victims.first() else {
        return Vec::new();
    };
    first
        .points
        .iter()
        .enumerate()
        .filter_map(|(i, (t, _))| {
            let band = Band::of(
                data.victims
                    .iter()
                    .filter_map(|v| v.points.get(i).map(|p| p.1)),
            )?;
            Some((*t, band.p10, band.p50, band.p90))
        })
        .collect()
}

/// Renders `eclipse.png`.
pub(crate) fn render(path: &Path, meta: &ChartMeta, data: &EclipseData) -> Result<(), ReportError> {
    chart::render_png(
        path,
        &meta.footer(),
        "Attackers' share of victims' active peer tables",
        |root| {
            if data.victims.iter().all(|v| v.points.is_empty()) {
                return chart::no_data_note(root, "no eclipse victims in this run");
            }
            let end = data
                .victims
                .iter()
                .flat_map(|v| v.points.iter().map(|p| p.0))
                .fold(0.0, f64::max);
            let mut chart = chart::cartesian(
                root,
                None,
                0.0..chart::upper(end),
                0.0..1.05,
                "time since the start of the run (s)",
                "active peers held by attackers (fraction)",
            )?;
            if data.victims.len() <= MAX_VICTIM_LINES {
                for (i, victim) in data.victims.iter().enumerate() {
                    let style = chart::colour(i + 1).stroke_width(3);
                    chart
                        .draw_series(LineSeries::new(victim.points.iter().copied(), style))?
                        .label(format!("victim {}", victim.label))
                        .legend(chart::line_glyph(style));
                }
            } else {
                chart::band_and_median(
                    &mut chart,
                    &victims_band(data),
                    chart::colour(1),
                    &format!("{} victims", data.victims.len()),
                )?;
            }
            let half = chart::colour(6).stroke_width(1);
            chart
                .draw_series(LineSeries::new(
                    [(0.0, 0.5), (chart::upper(end), 0.5)],
                    half,
                ))?
                .label("half the table")
                .legend(chart::line_glyph(half));
            if let Some(start) = data.attack_start_s {
                chart::dashed(
                    &mut chart,
                    vec![(start, 0.0), (start, 1.05)],
                    &format!("attack starts, t = {} s", chart::tick(start)),
                )?;
            }
            chart::legend(&mut chart, SeriesLabelPosition::UpperLeft)
        },
    )
}

/// One sentence: the worst moment for any victim and where the victims ended.
pub(crate) fn sentence(data: &EclipseData) -> String {
    let peak = data
        .victims
        .iter()
        .flat_map(|v| v.points.iter().map(move |p| (p.1, p.0, v.label.as_str())))
        .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let Some((share, t, label)) = peak else {
        return "The scenario has no eclipse victims.".to_owned();
    };
    let last = Band::of(
        data.victims
            .iter()
            .filter_map(|v| v.points.last().map(|p| p.1)),
    );
    let mut s = format!(
        "Attackers held at most {:.1} % of a victim's active table (victim {label} at t = {} s)",
        share * 100.0,
        chart::tick(t)
    );
    if let Some(last) = last {
        s += &format!(
            "; at the end the median victim's table was {:.1} % attackers",
            last.p50 * 100.0
        );
    }
    s + "."
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_finds_the_peak() {
        let data = EclipseData {
            attack_start_s: Some(10.0),
            victims: vec![VictimSeries {
                label: "10.0.0.1:4000".into(),
                points: vec![(0.0, 0.0), (20.0, 0.25), (30.0, 0.125)],
            }],
        };
        let s = sentence(&data);
        assert!(
            s.contains("at most 25.0 %") && s.contains("t = 20 s"),
            "{s}"
        );
        assert!(s.contains("12.5 % attackers"), "{s}");
    }

    #[test]
    fn band_spans_victims() {
        let victims = (0..10)
            .map(|i| VictimSeries {
                label: i.to_string(),
                points: vec![(1.0, f64::from(i) / 10.0)],
            })
            .collect();
        let band = victims_band(&EclipseData {
            attack_start_s: None,
            victims,
        });
        assert_eq!(band.len(), 1);
        // Nearest-rank median of 0.0, 0.1, …, 0.9 (the summary's quantile rule).
        assert!((band[0].2 - 0.4).abs() < 1e-12);
    }
}
