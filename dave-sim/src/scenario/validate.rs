//! Rules that involve more than one field (single values are checked while parsing).
//! Each failure is `(JSON path, problem)`; the loader adds the file, line and column.

use super::adversary::{AdversarySpec, Behaviour};
use super::network::*;
use super::types::*;
use super::values::NodeSet;

/// Largest proof-of-work the workload may ask for: mining costs real CPU (2^bits hashes).
const MAX_WORK_BITS: u32 = 24;
/// Samples a run may take: each costs a pass over every node and rows in the CSV files.
const MAX_SAMPLES: u64 = 100_000;
/// MIN_WORK of docs/protocol.md §11, which nodes use unless the scenario overrides it.
const DEFAULT_MIN_WORK: u32 = 16;
/// Key plus value limit from docs/protocol.md §3.
const MAX_KEY_PLUS_VALUE: u32 = 1267;
/// /24 prefixes available in one /16.
const SLASH24_PER_16: u32 = 256;
/// /16 prefixes the address plan can hand out (see `network::addr`).
pub const MAX_SLASH16: u32 = crate::network::addr::HONEST_SLASH16;

type Problem = (String, String);

fn fail<T>(path: &str, problem: impl Into<String>) -> Result<T, Problem> {
    Err((path.to_string(), problem.into()))
}

/// Checks cross-field rules.
pub fn check(s: &Scenario) -> Result<(), Problem> {
    let n = s.nodes.count;
    if s.name.trim().is_empty() || s.name.contains(['/', '\\']) {
        return fail(
            "name",
            "the name must be non-empty and contain no path separators",
        );
    }
    if s.duration.0 == 0 {
        return fail("duration", "the duration must be greater than 0");
    }
    if s.sample_every.0 == 0 {
        return fail("sample_every", "sample_every must be greater than 0");
    }
    if s.duration.0 / s.sample_every.0 > MAX_SAMPLES {
        return fail(
            "sample_every",
            format!(
                "sample_every {} gives more than {MAX_SAMPLES} samples over {}",
                s.sample_every, s.duration
            ),
        );
    }
    if n == 0 {
        return fail("nodes.count", "there must be at least one node");
    }
    check_population(s)?;
    check_groups(s)?;
    if s.edges.seeds > n {
        return fail(
            "edges.seeds",
            format!("{} seed nodes but only {n} nodes", s.edges.seeds),
        );
    }
    if s.edges.count > s.edges.seeds {
        return fail(
            "edges.count",
            format!(
                "{} edges per node but only {} seed nodes",
                s.edges.count, s.edges.seeds
            ),
        );
    }
    check_network(s)?;
    for (i, fault) in s.faults.iter().enumerate() {
        let base = format!("faults.{i}.{}", fault.kind());
        if fault.at() > s.duration {
            return fail(
                &format!("{base}.at"),
                format!(
                    "at {} is after the end of the run ({})",
                    fault.at(),
                    s.duration
                ),
            );
        }
        match fault {
            FaultSpec::Partition { groups, .. } => {
                if groups.is_empty() {
                    return fail(
                        &format!("{base}.groups"),
                        "a partition needs at least one group",
                    );
                }
                for (g, set) in groups.iter().enumerate() {
                    check_set(&format!("{base}.groups.{g}"), set, n)?;
                }
            }
            FaultSpec::Crash { nodes, .. } | FaultSpec::Restart { nodes, .. } => {
                check_set(&format!("{base}.nodes"), nodes, n)?;
            }
            FaultSpec::Heal { .. } => {}
        }
    }
    if let Some(w) = &s.workload {
        if w.writers > n {
            return fail(
                "workload.writers",
                format!("{} writers but only {n} nodes", w.writers),
            );
        }
        if w.readers > n {
            return fail(
                "workload.readers",
                format!("{} readers but only {n} nodes", w.readers),
            );
        }
        if w.put_every.0 == 0 {
            return fail("workload.put_every", "put_every must be greater than 0");
        }
        if w.get_every.0 == 0 {
            return fail("workload.get_every", "get_every must be greater than 0");
        }
        if !(1..=255).contains(&w.key_bytes) {
            return fail("workload.key_bytes", "key_bytes must be between 1 and 255");
        }
        if w.key_bytes + w.value_bytes.min(u32::MAX - 255) > MAX_KEY_PLUS_VALUE {
            return fail(
                "workload.value_bytes",
                format!(
                    "key_bytes + value_bytes must be at most {MAX_KEY_PLUS_VALUE} (docs/protocol.md §3)"
                ),
            );
        }
        let min_work = s.nodes.config.min_work.unwrap_or(DEFAULT_MIN_WORK);
        if w.work_bits < min_work {
            return fail(
                "workload.work_bits",
                format!(
                    "work_bits {} is below the nodes' min_work {min_work}: every write would be refused",
                    w.work_bits
                ),
            );
        }
        if w.work_bits > MAX_WORK_BITS {
            return fail(
                "workload.work_bits",
                format!("work_bits must be at most {MAX_WORK_BITS}: mining is real CPU"),
            );
        }
    }
    for (i, group) in s.adversaries.iter().enumerate() {
        check_adversary(s, i, group)?;
    }
    s.nodes
        .config
        .to_config()
        .validate()
        .or_else(|e| fail(&format!("nodes.config.{}", e.field), e.problem))
}

/// Most nodes a scenario may ask for. The simulator allocates its address plan, hosts, event
/// queues and per-node metrics up front; `scenarios/scale-100k.json` peaks at about 30 KiB a node
/// (README, Performance), so a million nodes already needs about 31 GB.
/// Larger populations are refused here rather than aborting later in an allocation failure.
pub const MAX_NODES: u32 = 1_000_000;
/// Measured memory per node of `scenarios/scale-100k.json`, for the error message.
const BYTES_PER_NODE_MEASURED: u64 = 31_000;

/// Refuses a population that memory cannot hold (the address plan's limits are checked by
/// `check_groups`).
fn check_population(s: &Scenario) -> Result<(), Problem> {
    if s.nodes.count > MAX_NODES {
        return fail(
            "nodes.count",
            format!(
                "{} nodes is more than the simulator supports: at most {MAX_NODES} (a node \
                 takes about {} KB, so {MAX_NODES} already need about {} GB)",
                s.nodes.count,
                BYTES_PER_NODE_MEASURED / 1000,
                u64::from(MAX_NODES) * BYTES_PER_NODE_MEASURED / 1_000_000_000
            ),
        );
    }
    if let Some(regression) = &s.regression {
        super::regression::check(regression)?;
    }
    Ok(())
}

/// Attacker hosts a run may have in all (each is a host of the engine).
const MAX_ATTACKERS: u32 = 100_000;

fn check_adversary(s: &Scenario, i: usize, g: &AdversarySpec) -> Result<(), Problem> {
    let base = format!("adversaries.{i}");
    let n = g.addresses;
    if n == 0 {
        return fail(
            &format!("{base}.addresses"),
            "a group needs at least one address",
        );
    }
    let total: u64 = s.adversaries.iter().map(|g| u64::from(g.addresses)).sum();
    if total > u64::from(MAX_ATTACKERS) {
        return fail(
            &format!("{base}.addresses"),
            format!("at most {MAX_ATTACKERS} attacker addresses in all"),
        );
    }
    let s24 = g.ipv4_24s.unwrap_or(n);
    if s24 == 0 || s24 > n {
        return fail(
            &format!("{base}.ipv4_24s"),
            format!("ipv4_24s must be between 1 and the group's {n} addresses"),
        );
    }
    if n.div_ceil(s24) > 250 {
        return fail(
            &format!("{base}.ipv4_24s"),
            "at most 250 addresses fit in one /24",
        );
    }
    let s16 = g.ipv4_16s.unwrap_or(s24);
    if s16 == 0 || s16 > s24 || s24.div_ceil(s16) > SLASH24_PER_16 {
        return fail(
            &format!("{base}.ipv4_16s"),
            format!(
                "ipv4_16s must be between 1 and the group's {s24} /24s, with at most 256 /24s per /16"
            ),
        );
    }
    let slash16s: u64 = s
        .adversaries
        .iter()
        .map(|g| u64::from(g.ipv4_16s.unwrap_or(g.ipv4_24s.unwrap_or(g.addresses))))
        .sum();
    let max16 = crate::network::addr::ATTACKER_SLASH16;
    if slash16s > u64::from(max16) {
        return fail(
            &format!("{base}.ipv4_16s"),
            format!(
                "attacker groups may use at most {max16} /16 prefixes in all: pack them with ipv4_24s/ipv4_16s"
            ),
        );
    }
    if g.start > s.duration {
        return fail(
            &format!("{base}.start"),
            format!(
                "start {} is after the end of the run ({})",
                g.start, s.duration
            ),
        );
    }
    let non_seed = s.nodes.count - s.edges.seeds.min(s.nodes.count);
    let victims = |path: &str, v: u32| {
        if v == 0 || v > non_seed {
            fail(
                &format!("{base}.behaviour.{path}"),
                format!("victims must be between 1 and the {non_seed} non-seed honest nodes"),
            )
        } else {
            Ok(())
        }
    };
    match &g.behaviour {
        Behaviour::Eclipse(e) => {
            victims("eclipse.victims", e.victims)?;
            if e.ping_every.0 == 0 {
                return fail(
                    &format!("{base}.behaviour.eclipse.ping_every"),
                    "ping_every must be greater than 0",
                );
            }
        }
        Behaviour::Reflector(r) => {
            victims("reflector.victims", r.victims)?;
            positive_rate(&format!("{base}.behaviour.reflector.rate"), r.rate)?;
        }
        Behaviour::Spammer(p) => {
            positive_rate(&format!("{base}.behaviour.spammer.rate"), p.rate)?;
            if p.distinct_keys == 0 {
                return fail(
                    &format!("{base}.behaviour.spammer.distinct_keys"),
                    "distinct_keys must be at least 1",
                );
            }
        }
        Behaviour::Sybil(y) => {
            // Targets are the first records of writer slots 0..targets, so the workload must
            // have that many writers.
            let writers = s.workload.as_ref().map_or(0, |w| w.writers);
            if y.targets == 0 || y.targets > writers {
                return fail(
                    &format!("{base}.behaviour.sybil.targets"),
                    format!(
                        "targets must be between 1 and the workload's {writers} writers (a target is a writer's first record)"
                    ),
                );
            }
            if y.identities == 0 {
                return fail(
                    &format!("{base}.behaviour.sybil.identities"),
                    "identities must be at least 1",
                );
            }
        }
        Behaviour::Liar(_) => {}
        Behaviour::Poisoner(p) => {
            if p.fake.0 + p.unroutable.0 > 1.0 {
                return fail(
                    &format!("{base}.behaviour.poisoner.unroutable"),
                    "fake + unroutable must be at most 1",
                );
            }
            if p.ping_every.0 == 0 {
                return fail(
                    &format!("{base}.behaviour.poisoner.ping_every"),
                    "ping_every must be greater than 0",
                );
            }
        }
    }
    Ok(())
}

/// A rate per second must be a finite number above 0.
fn positive_rate(path: &str, rate: f64) -> Result<(), Problem> {
    if rate.is_finite() && rate > 0.0 {
        Ok(())
    } else {
        fail(path, format!("rate must be a number above 0, not {rate}"))
    }
}

fn check_set(path: &str, set: &NodeSet, n: u32) -> Result<(), Problem> {
    match set.max_index() {
        Some(max) if max >= n => fail(
            path,
            format!("node {max} does not exist: there are {n} nodes (0..{n})"),
        ),
        _ => Ok(()),
    }
}

fn check_groups(s: &Scenario) -> Result<(), Problem> {
    let n = s.nodes.count;
    let s24 = s.nodes.groups.ipv4_24s.unwrap_or(n);
    if s24 == 0 || s24 > n {
        return fail(
            "nodes.groups.ipv4_24s",
            format!("ipv4_24s must be between 1 and the node count {n}"),
        );
    }
    if s24 < n && n.div_ceil(s24) > 250 {
        return fail("nodes.groups.ipv4_24s", "at most 250 nodes fit in one /24");
    }
    let s16 = s.nodes.groups.ipv4_16s.unwrap_or(s24);
    if s16 == 0 || s16 > s24 {
        return fail(
            "nodes.groups.ipv4_16s",
            format!("ipv4_16s must be between 1 and the number of /24s ({s24})"),
        );
    }
    if s24.div_ceil(s16) > SLASH24_PER_16 {
        return fail(
            "nodes.groups.ipv4_16s",
            "too few /16s: at most 256 /24s fit in one /16",
        );
    }
    if s16 > MAX_SLASH16 {
        return fail(
            "nodes.groups.ipv4_16s",
            format!(
                "{s16} /16 prefixes, but the address plan has at most {MAX_SLASH16} (by default \
                 every node gets its own /24 and /16: pack larger populations with \
                 nodes.groups.ipv4_24s and ipv4_16s; at most 250 nodes a /24, 256 /24s a /16)"
            ),
        );
    }
    Ok(())
}

fn check_network(s: &Scenario) -> Result<(), Problem> {
    let net = &s.network;
    if let LatencySpec::Uniform { min, max } = &net.latency
        && min > max
    {
        return fail("network.latency.uniform.min", "min must not exceed max");
    }
    if let Some(b) = &net.bandwidth
        && b.uplink_kbps == 0
    {
        return fail(
            "network.bandwidth.uplink_kbps",
            "uplink_kbps must be greater than 0",
        );
    }
    match &net.topology {
        TopologySpec::Full => {}
        TopologySpec::Regions { weights, latency } => {
            if weights.is_empty() {
                return fail("network.topology.regions.weights", "at least one region");
            }
            if latency.len() != weights.len() {
                return fail(
                    "network.topology.regions.latency",
                    format!(
                        "the latency matrix needs {} rows, one per region",
                        weights.len()
                    ),
                );
            }
            for (i, row) in latency.iter().enumerate() {
                if row.len() != weights.len() {
                    return fail(
                        &format!("network.topology.regions.latency.{i}"),
                        format!("row {i} needs {} entries, one per region", weights.len()),
                    );
                }
            }
        }
        TopologySpec::RandomGeometric { sites, .. } => {
            if *sites == 0 || *sites > 4096 {
                return fail(
                    "network.topology.random_geometric.sites",
                    "sites must be between 1 and 4096",
                );
            }
        }
        TopologySpec::EdgeList { sites, edges } => {
            if *sites == 0 || *sites > 4096 {
                return fail(
                    "network.topology.edge_list.sites",
                    "sites must be between 1 and 4096",
                );
            }
            for (i, (a, b, _)) in edges.iter().enumerate() {
                if a >= sites || b >= sites {
                    return fail(
                        &format!("network.topology.edge_list.edges.{i}"),
                        format!("edge ({a}, {b}) names a site outside 0..{sites}"),
                    );
                }
            }
        }
    }
    Ok(())
}
