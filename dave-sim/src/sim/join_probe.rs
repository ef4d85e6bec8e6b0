//! Join-probe driver: every `JOIN_PROBE_EVERY_US` of virtual time while some start is being
//! followed, hands the followed nodes' tables to the collector's [`JoinTracker`], which decides
//! when each joined (docs/simulator.md §"Join time").
//!
//! [`JoinTracker`]: crate::metrics::join::JoinTracker

use super::host::ScenarioHost;
use super::{Action, Stage};
use crate::engine::SimTime;
use crate::metrics::join::JOIN_PROBE_EVERY_US;

/// Schedules the probes, for hosts that have identities (the echo host has none).
pub fn schedule<H: ScenarioHost>(stage: &mut Stage<'_, H>) {
    if !H::SUPPORTS_WORKLOAD {
        return;
    }
    let mut t = JOIN_PROBE_EVERY_US;
    while t < stage.end {
        stage.engine.schedule(SimTime(t), Action::JoinProbe);
        t += JOIN_PROBE_EVERY_US;
    }
}

/// One probe at `t`.
pub fn probe<H: ScenarioHost>(stage: &mut Stage<'_, H>, t: SimTime) {
    if !stage.collector.joins.following() {
        return;
    }
    let engine = &stage.engine;
    let (built_at, up) = &mut stage.join_up;
    if *built_at != engine.population_changes() {
        // Reading every host's id touches every node's memory: only when someone started
        // or stopped since the last probe.
        let n = stage.scenario.nodes.count;
        up.clear();
        up.extend(
            (0..n).filter_map(|i| engine.host(i).and_then(|h| h.node_id()).map(|id| (id, i))),
        );
        up.sort_unstable();
        *built_at = engine.population_changes();
    }
    let want = stage.collector.replicas_target;
    let bucket_size = stage.bucket_size;
    stage
        .collector
        .joins
        .probe(t.0, want, bucket_size, up, |node, table_wanted, table| {
            let host = engine.host(node)?;
            if table_wanted {
                host.table_ids(table);
            }
            host.node_id()
        });
}
