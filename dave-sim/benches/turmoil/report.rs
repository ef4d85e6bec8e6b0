//! What one run measured and the table that puts the two side by side.

/// One network's run of one population.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    /// Wall time of the run, s.
    pub wall_s: f64,
    /// CPU time of the thread that ran it, s (0 if unknown): on a shared machine wall time
    /// includes waiting for a core, CPU time is what one idle core would need.
    pub cpu_s: f64,
    /// Virtual time reached, s (short of the duration when turmoil ran out of budget).
    pub virtual_s: f64,
    /// Datagrams handed to a node.
    pub delivered: u64,
    /// Datagrams sent (dave-sim: delivered plus dropped).
    pub sent: u64,
    /// Sends refused (turmoil: no host at the address).
    pub send_failed: u64,
    /// Nodes started by the end.
    pub started: usize,
    /// Mean active peers per started node at the end.
    pub active_mean: f64,
    /// Mean verified-or-active peers per node at the end (dave-sim: over its 16 sampled
    /// nodes; turmoil: over every node).
    pub table_mean: f64,
}

impl Measured {
    /// Virtual seconds simulated per wall second.
    pub fn speed(&self) -> f64 {
        self.virtual_s / self.wall_s.max(1e-9)
    }

    /// Datagrams delivered per virtual second.
    fn rate(&self) -> f64 {
        self.delivered as f64 / self.virtual_s.max(1e-9)
    }
}

/// CPU time this thread has run, s, from `/proc/thread-self/schedstat` (ns); 0 if unknown.
/// Both simulators run on the calling thread (turmoil's hosts are tasks on it).
pub fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

/// Prints the header of the table.
pub fn header(duration_s: u64, budget_s: u64) {
    println!(
        "turmoil vs dave-sim: same dave-core nodes, {duration_s} virtual s, 20 ms links, modeled crypto; \
         turmoil tick 1 ms, wall budget {budget_s} s"
    );
    println!(
        "{:>6}  {:<8} {:>9} {:>9} {:>7} {:>5} {:>10} {:>10} {:>9} {:>10} {:>7} {:>7}",
        "nodes",
        "network",
        "wall s",
        "cpu s",
        "virt s",
        "up",
        "sent",
        "delivered",
        "dgram/vs",
        "virt s/s",
        "active",
        "table"
    );
}

/// Prints one population's rows — turmoil, dave-sim over the full duration and, when turmoil
/// stopped early, dave-sim over the span turmoil reached — and the ratio line.
pub fn rows(
    nodes: u32,
    duration_s: u64,
    turmoil: &Measured,
    sim: &Measured,
    same_span: Option<&Measured>,
) {
    let mut lines = vec![("turmoil", turmoil), ("dave-sim", sim)];
    if let Some(m) = same_span {
        lines.push(("dave-sim", m));
    }
    for (name, m) in lines {
        println!(
            "{:>6}  {:<8} {:>9.2} {:>9.2} {:>7.1} {:>5} {:>10} {:>10} {:>9.0} {:>10.2} {:>7.1} {:>7.1}",
            nodes,
            name,
            m.wall_s,
            m.cpu_s,
            m.virtual_s,
            m.started,
            m.sent,
            m.delivered,
            m.rate(),
            m.speed(),
            m.active_mean,
            m.table_mean
        );
    }
    // Like with like: the dave-sim run that covered the same virtual span as turmoil.
    let peer = same_span.unwrap_or(sim);
    let ratio = turmoil.wall_s / peer.wall_s.max(1e-9);
    let cpu_ratio = turmoil.cpu_s / peer.cpu_s.max(1e-9);
    let full = sim.speed() / turmoil.speed().max(1e-12);
    match same_span {
        None => println!(
            "{nodes:>6}  turmoil/dave-sim wall time for the same {duration_s} virtual s: {ratio:.0}x ({cpu_ratio:.0}x in CPU time)"
        ),
        Some(m) => println!(
            "{nodes:>6}  turmoil/dave-sim wall time for the same {:.1} virtual s: {ratio:.0}x ({cpu_ratio:.0}x in CPU time); \
             turmoil stopped by the budget at {:.1} of {duration_s} virtual s, the full run would take \
             about {:.0} s at its pace so far ({full:.0}x dave-sim's full run)",
            m.virtual_s,
            turmoil.virtual_s,
            duration_s as f64 / turmoil.speed().max(1e-12),
        ),
    }
    if turmoil.send_failed > 0 {
        println!(
            "{nodes:>6}  turmoil refused {} sends (no host at the address)",
            turmoil.send_failed
        );
    }
}
