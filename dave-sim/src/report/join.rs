//! Join chart: how a node's peer table grows in the seconds after it starts (median and 10–90 %
//! band over every start of the run, first joins and rejoins alike), with the join time
//! percentiles of docs/simulator.md §"Join time".

use std::path::Path;

use plotters::prelude::*;

use super::ReportError;
use super::chart::{self, ChartMeta};

/// Table sizes after a start and the run's join times.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JoinData {
    /// `(seconds since the start, p10, p50, p90)` of peers in the table (verified or active,
    /// edges included), one point per curve step.
    pub band: Vec<(f64, f64, f64, f64)>,
    /// `join_time_p50_ms`, when measured.
    pub p50_ms: Option<f64>,
    /// `join_time_p90_ms`, when measured.
    pub p90_ms: Option<f64>,
    /// Starts measured (joined, or not within the window).
    pub measured: u64,
}

/// Renders `join.png`.
pub(crate) fn render(path: &Path, meta: &ChartMeta, data: &JoinData) -> Result<(), ReportError> {
    chart::render_png(
        path,
        &meta.footer(),
        "Peer table size since a node started",
        |root| {
            if data.band.is_empty() {
                return chart::no_data_note(root, "no node start was followed in this run");
            }
            let end = data.band.iter().map(|p| p.0).fold(0.0, f64::max);
            let top = data.band.iter().map(|p| p.3).fold(0.0, f64::max);
            let mut chart = chart::cartesian(
                root,
                None,
                0.0..chart::upper(end),
                0.0..chart::upper(top),
                "time since the node started (s)",
                "peers in its table (verified or active)",
            )?;
            chart::band_and_median(&mut chart, &data.band, chart::colour(0), "table size")?;
            for (q, ms, colour) in [("p50", data.p50_ms, 1), ("p90", data.p90_ms, 2)] {
                if let Some(ms) = ms.filter(|m| m.is_finite()) {
                    let x = ms / 1e3;
                    let style = chart::colour(colour).stroke_width(2);
                    chart
                        .draw_series(LineSeries::new([(x, 0.0), (x, chart::upper(top))], style))?
                        .label(format!("join time {q} = {} ms", chart::tick(ms)))
                        .legend(chart::line_glyph(style));
                }
            }
            chart::legend(&mut chart, SeriesLabelPosition::LowerRight)
        },
    )
}

/// What the join chart shows for this run.
pub(crate) fn sentence(data: &JoinData) -> String {
    let at = |t: f64| {
        data.band
            .iter()
            .rev()
            .find(|p| p.0 <= t)
            .map(|p| format!("{:.0}", p.2))
    };
    match (data.measured, data.p50_ms, data.p90_ms) {
        (0, _, _) => "No node start was measured.".to_owned(),
        (n, p50, p90) => {
            let ms = |v: Option<f64>| {
                v.filter(|m| m.is_finite())
                    .map_or("not reached".to_owned(), |m| {
                        format!("{} ms", chart::tick(m))
                    })
            };
            format!(
                "Over {n} starts a node held the REPLICAS nodes closest to it (or, for each it lacked, a full bucket of verified peers where it would go or REPLICAS verified peers nearer) after {} at the median and {} at the 90th percentile; its table held a median of {} peers 1 s after the start and {} after 10 s.",
                ms(p50),
                ms(p90),
                at(1.0).unwrap_or_else(|| "?".into()),
                at(10.0).unwrap_or_else(|| "?".into()),
            )
        }
    }
}
