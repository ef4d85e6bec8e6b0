//! Traffic charts: datagrams and bytes per node per second by op over time, and dropped datagrams
//! by reason (docs/simulator.md "The report", "The virtual network").

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ReportError;
use super::chart::{self, ChartMeta};

/// Traffic of one op at one sample time, averaged over nodes and the sample interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TrafficPoint {
    /// End of the sample interval, seconds since the start of the run.
    pub t_s: f64,
    /// Datagrams of this op delivered per node per second.
    pub datagrams_per_node_s: f64,
    /// Bytes (UDP payload) of this op delivered per node per second.
    pub bytes_per_node_s: f64,
}

/// Time series of one op (PING, PONG, PUT, GET, GET_ACK, GETMYADDRPORT, …).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpSeries {
    /// Op name as the wire format calls it.
    pub op: String,
    /// Samples, sorted by time.
    pub points: Vec<TrafficPoint>,
}

/// Traffic of the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrafficData {
    /// One series per op, in the order the legend lists them.
    pub ops: Vec<OpSeries>,
    /// `(reason, datagrams dropped)` over the whole run.
    pub drops: Vec<(String, u64)>,
}

/// Mean over the run of one quantity of an op's series.
fn run_mean(series: &OpSeries, pick: impl Fn(&TrafficPoint) -> f64) -> f64 {
    if series.points.is_empty() {
        return 0.0;
    }
    series.points.iter().map(pick).sum::<f64>() / series.points.len() as f64
}

/// Which quantity of a [`TrafficPoint`] a panel plots.
type Pick = fn(&TrafficPoint) -> f64;

/// Width of the legend column on the right of the traffic chart.
const LEGEND_WIDTH: u32 = 300;

/// Renders `traffic.png`: datagrams (top panel) and bytes (bottom panel) per node per second,
/// sharing one legend column on the right so no line hides under it.
pub(crate) fn render(path: &Path, meta: &ChartMeta, data: &TrafficData) -> Result<(), ReportError> {
    chart::render_png(path, &meta.footer(), "Traffic per node by op", |root| {
        if data.ops.iter().all(|s| s.points.is_empty()) {
            return chart::no_data_note(root, "no traffic was sampled in this run");
        }
        let end = data
            .ops
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.t_s))
            .fold(0.0, f64::max);
        let (plots, legend_area) = root.split_horizontally(root.dim_in_pixel().0 - LEGEND_WIDTH);
        let (top, bottom) = plots.split_vertically(plots.dim_in_pixel().1 / 2);
        let panels: [(&chart::Root, &str, &str, Pick); 2] = [
            (&top, "Datagrams delivered", "datagrams / node / s", |p| {
                p.datagrams_per_node_s
            }),
            (
                &bottom,
                "Bytes delivered (UDP payload)",
                "bytes / node / s",
                |p| p.bytes_per_node_s,
            ),
        ];
        for (area, caption, y_desc, pick) in panels {
            let max = data
                .ops
                .iter()
                .flat_map(|s| s.points.iter().map(pick))
                .fold(0.0, f64::max);
            let mut chart = chart::cartesian(
                area,
                Some(caption),
                0.0..chart::upper(end),
                0.0..chart::upper(max),
                "time since the start of the run (s)",
                y_desc,
            )?;
            for (i, series) in data.ops.iter().enumerate() {
                let style = chart::colour(i).stroke_width(2);
                chart.draw_series(LineSeries::new(
                    series.points.iter().map(|p| (p.t_s, pick(p))),
                    style,
                ))?;
            }
        }
        let entries: Vec<(RGBColor, String, String)> = data
            .ops
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    chart::colour(i),
                    s.op.clone(),
                    format!(
                        "{} datagrams/s, {} B/s",
                        chart::tick(run_mean(s, |p| p.datagrams_per_node_s)),
                        chart::tick(run_mean(s, |p| p.bytes_per_node_s))
                    ),
                )
            })
            .collect();
        chart::side_legend(&legend_area, "op: mean per node", &entries)
    })
}

/// Renders `drops.png`: a bar per drop reason, reasons named on the x axis.
pub(crate) fn render_drops(
    path: &Path,
    meta: &ChartMeta,
    data: &TrafficData,
) -> Result<(), ReportError> {
    chart::render_png(
        path,
        &meta.footer(),
        "Dropped datagrams by reason",
        |root| {
            let drops: Vec<&(String, u64)> = data.drops.iter().filter(|d| d.1 > 0).collect();
            if drops.is_empty() {
                return chart::no_data_note(root, "no datagram was dropped in this run");
            }
            let max = drops.iter().map(|d| d.1).max().unwrap_or(1) as f64;
            let labels: Vec<String> = drops.iter().map(|d| d.0.clone()).collect();
            let categorical = |v: &f64| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            };
            let mut chart = chart::cartesian_with_x_labels(
                root,
                None,
                -0.5..drops.len() as f64 - 0.5,
                0.0..chart::upper(max) * 1.08,
                "reason",
                "datagrams dropped over the whole run (count)",
                drops.len(),
                &categorical,
            )?;
            for (i, (_, count)) in drops.iter().enumerate() {
                let x = i as f64;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.3, 0.0), (x + 0.3, *count as f64)],
                    chart::bar_style(chart::colour(i)),
                )))?;
                chart.draw_series(std::iter::once(Text::new(
                    count.to_string(),
                    (x, *count as f64 + max * 0.02),
                    TextStyle::from((chart::FONT, 20).into_font())
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                )))?;
            }
            Ok(())
        },
    )
}

/// One sentence on the busiest op.
pub(crate) fn sentence(data: &TrafficData) -> String {
    let busiest = data
        .ops
        .iter()
        .filter(|s| !s.points.is_empty())
        .map(|s| (s, run_mean(s, |p| p.datagrams_per_node_s)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.op.cmp(&a.0.op)));
    let Some((series, datagrams)) = busiest else {
        return "No traffic was sampled.".to_owned();
    };
    let total_bytes: f64 = data
        .ops
        .iter()
        .map(|s| run_mean(s, |p| p.bytes_per_node_s))
        .sum();
    format!(
        "{} was the busiest op at {} datagrams per node per second on average; all ops together cost each node {} bytes per second.",
        series.op,
        chart::tick(datagrams),
        chart::tick(total_bytes)
    )
}

/// One sentence on drops.
pub(crate) fn drops_sentence(data: &TrafficData) -> String {
    let total: u64 = data.drops.iter().map(|d| d.1).sum();
    let top = data
        .drops
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    match top {
        Some((reason, count)) if total > 0 => format!(
            "{total} datagrams were dropped, {:.1} % of them for {reason}.",
            *count as f64 * 100.0 / total as f64
        ),
        _ => "No datagram was dropped.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_name_the_largest_item() {
        let point = |d| TrafficPoint {
            t_s: 1.0,
            datagrams_per_node_s: d,
            bytes_per_node_s: d * 100.0,
        };
        let data = TrafficData {
            ops: vec![
                OpSeries {
                    op: "PING".into(),
                    points: vec![point(2.0)],
                },
                OpSeries {
                    op: "GET".into(),
                    points: vec![point(0.5)],
                },
            ],
            drops: vec![("loss".into(), 3), ("oversize".into(), 1)],
        };
        assert!(sentence(&data).starts_with("PING was the busiest op at 2 datagrams"));
        assert!(sentence(&data).contains("250 bytes"));
        assert_eq!(
            drops_sentence(&data),
            "4 datagrams were dropped, 75.0 % of them for loss."
        );
    }
}
