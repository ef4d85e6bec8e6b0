//! What one run measured and the table that puts the two side by side.

/// One network's run of one population.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    /// Wall time of the run, s.
    pub wall_s: f64,
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

/// Prints the header of the table.
pub fn header(duration_s: u64, budget_s: u64) {
    println!(
        "turmoil vs dave-sim: same dave-core nodes, {duration_s} virtual s, 20 ms links, modeled crypto; \
         turmoil tick 1 ms, wall budget {budget_s} s"
    );
    println!(
        "{:>6}  {:<8} {:>9} {:>7} {:>5} {:>10} {:>10} {:>9} {:>10} {:>7} {:>7}",
        "nodes",
        "network",
        "wall s",
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

/// Prints one population's two rows and the ratio line.
pub fn rows(nodes: u32, duration_s: u64, turmoil: &Measured, sim: &Measured) {
    for (name, m) in [("turmoil", turmoil), ("dave-sim", sim)] {
        println!(
            "{:>6}  {:<8} {:>9.2} {:>7.1} {:>5} {:>10} {:>10} {:>9.0} {:>10.2} {:>7.1} {:>7.1}",
            nodes,
            name,
            m.wall_s,
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
    let finished = turmoil.virtual_s + 1e-3 >= duration_s as f64;
    let ratio = sim.speed() / turmoil.speed().max(1e-12);
    let projected = duration_s as f64 / turmoil.speed().max(1e-12);
    println!(
        "{:>6}  turmoil/dave-sim wall time for the same virtual time: {:.0}x{}",
        nodes,
        ratio,
        if finished {
            String::new()
        } else {
            format!(
                " (turmoil stopped by the budget at {:.1} of {} virtual s; the full run would take about {:.0} s)",
                turmoil.virtual_s, duration_s, projected
            )
        }
    );
    if turmoil.send_failed > 0 {
        println!(
            "{:>6}  turmoil refused {} sends (no host at the address)",
            nodes, turmoil.send_failed
        );
    }
}
