//! Partitions: every node has a side; nodes on different sides cannot reach each other.
//! A heal puts everyone back on side 0.

/// Side of every node.
#[derive(Debug, Clone)]
pub struct Partitions {
    side: Vec<u32>,
}

impl Partitions {
    /// Everyone connected.
    pub fn new(nodes: usize) -> Partitions {
        Partitions {
            side: vec![0; nodes],
        }
    }

    /// Splits the network: group `g` becomes side `g + 1`; nodes in no group stay on side 0.
    /// A node listed in several groups ends on the last one.
    pub fn split(&mut self, groups: &[Vec<u32>]) {
        self.heal();
        for (g, members) in groups.iter().enumerate() {
            for &m in members {
                if let Some(s) = self.side.get_mut(m as usize) {
                    *s = g as u32 + 1;
                }
            }
        }
    }

    /// Ends every partition.
    pub fn heal(&mut self) {
        self.side.iter_mut().for_each(|s| *s = 0);
    }

    /// Whether `a` can reach `b`.
    pub fn connected(&self, a: usize, b: usize) -> bool {
        self.side[a] == self.side[b]
    }
}
