//! Storage chart: records held per node against the XOR distance between the holder and the
//! record, in powers of two (docs/protocol.md §2 distance, §7 retention by distance, §8 replication to
//! the closest nodes).

use std::path::Path;

use plotters::prelude::*;

use super::ReportError;
use super::chart::{self, ChartMeta};
use super::theory;

/// Where records sit at the end of the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageData {
    /// Honest nodes in the network (denominator of "per node").
    pub nodes: u64,
    /// XOR distance between holder and record for every record every honest node holds at the
    /// end of the run; `None` when the run does not record holdings (not the same as holding
    /// nothing, and the report says which).
    pub held_distances: Option<Vec<u64>>,
    /// REPLICAS of the run's config, to mark where replication should put records.
    pub replicas: Option<u64>,
}

/// Bit length of a distance: 0 for distance 0, else `64 − leading zeros` (1..=64).
fn bit_length(distance: u64) -> usize {
    64 - distance.leading_zeros() as usize
}

/// Records per node in each distance class `0..=64`.
pub fn per_node_by_bits(held: &[u64], nodes: u64) -> [f64; 65] {
    let mut counts = [0u64; 65];
    for d in held {
        counts[bit_length(*d)] += 1;
    }
    let nodes = nodes.max(1) as f64;
    counts.map(|c| c as f64 / nodes)
}

/// Renders `storage.png`.
pub(crate) fn render(path: &Path, meta: &ChartMeta, data: &StorageData) -> Result<(), ReportError> {
    chart::render_png(
        path,
        &meta.footer(),
        "Records held per node by XOR distance",
        |root| {
            let Some(held) = &data.held_distances else {
                return chart::no_data_note(
                    root,
                    "this run does not record where records are held",
                );
            };
            if held.is_empty() {
                return chart::no_data_note(
                    root,
                    "no honest node held a record at the end of this run",
                );
            }
            let per_node = per_node_by_bits(held, data.nodes);
            let used: Vec<usize> = (0..per_node.len()).filter(|b| per_node[*b] > 0.0).collect();
            let expected = data
                .replicas
                .and_then(|r| theory::replica_distance_bits(data.nodes, r));
            let lowest = used.first().copied().unwrap_or(0) as f64;
            let x_min = (lowest - 1.0)
                .min(expected.map_or(lowest, |e| e - 1.0))
                .max(-0.5);
            let y_max = per_node.iter().copied().fold(0.0, f64::max);
            let mut chart = chart::cartesian(
                root,
                None,
                x_min..64.5,
                0.0..chart::upper(y_max) * 1.1,
                "XOR distance holder ↔ record, log2 (bits: 64 − leading zeros)",
                "records per node",
            )?;
            let bar = chart::colour(0);
            chart
                .draw_series(used.iter().map(|b| {
                    let x = *b as f64;
                    Rectangle::new(
                        [(x - 0.4, 0.0), (x + 0.4, per_node[*b])],
                        chart::bar_style(bar),
                    )
                }))?
                .label(format!(
                    "measured: {} holdings over {} nodes",
                    held.len(),
                    data.nodes
                ))
                .legend(chart::bar_glyph(bar));
            if let (Some(e), Some(r)) = (expected, data.replicas) {
                chart::dashed(
                    &mut chart,
                    vec![(e, 0.0), (e, chart::upper(y_max) * 1.1)],
                    &format!(
                        "{r} closest of N={} reach 64 − log2(N/{r}) = {e:.1}",
                        data.nodes
                    ),
                )?;
            }
            chart::legend(&mut chart, SeriesLabelPosition::UpperLeft)
        },
    )
}

/// One sentence: mean holdings and how many sit within the replication radius.
pub(crate) fn sentence(data: &StorageData) -> String {
    let Some(held) = &data.held_distances else {
        return "This run does not record where records are held, so there is no storage chart."
            .to_owned();
    };
    if held.is_empty() {
        return "No honest node held a record at the end of the run.".to_owned();
    }
    let per_node = held.len() as f64 / data.nodes.max(1) as f64;
    let mut s = format!("Honest nodes held {per_node:.1} records each on average");
    if let Some(e) = data
        .replicas
        .and_then(|r| theory::replica_distance_bits(data.nodes, r))
    {
        let radius = e.ceil() as usize;
        let near = held.iter().filter(|d| bit_length(**d) <= radius).count();
        s += &format!(
            ", {:.1} % of them within 2^{radius}, where the closest replicas should be",
            near as f64 * 100.0 / held.len() as f64
        );
    }
    s + "."
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_fall_in_bit_length_classes() {
        let data = StorageData {
            nodes: 2,
            held_distances: Some(vec![0, 1, 2, 3, u64::MAX]),
            replicas: None,
        };
        let per_node = per_node_by_bits(&[0, 1, 2, 3, u64::MAX], 2);
        assert_eq!(per_node[0], 0.5);
        assert_eq!(per_node[1], 0.5);
        assert_eq!(per_node[2], 1.0);
        assert_eq!(per_node[64], 0.5);
        assert_eq!(
            sentence(&data),
            "Honest nodes held 2.5 records each on average."
        );
    }
}
