//! Analytic reference models that the charts overlay as dashed lines and report.md sets beside the
//! measured values (issue 5, "Theory overlays").
//!
//! They are textbook idealisations, not predictions of Dave's exact behaviour: their job is to
//! show where the simulation agrees with the model and where Dave's mechanisms (padding, group
//! limits, challenges, re-propagation) make it differ.

/// Parameters of Dave's iterative lookup that set how many hops it takes (docs/protocol.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookupShape {
    /// Honest nodes in the network (N).
    pub nodes: u64,
    /// Bucket size (K).
    pub k: u64,
    /// Queries in flight (ALPHA).
    pub alpha: u64,
    /// Referrals per not-found answer (REFERRALS).
    pub referrals: u64,
    /// Nodes holding each record (REPLICAS): a GET ends at the first of them it asks.
    pub replicas: u64,
}

/// Expected hops of a GET (derivation in docs/simulator.md §"Lookup hops model"):
///
/// `H = (1 − R/N) · (1 + max(0, log2(N / R) − log2(2 (K + 1))) / log2(1 + ALPHA · REFERRALS))`
///
/// - A querier that is itself one of the R holders answers from its own store: 0 hops, with
///   probability R/N for a uniformly chosen record.
/// - A GET ends when it asks one of the R holders, the R closest of N nodes: it must resolve
///   `log2(N / R)` bits of the record's id, not the `log2 N` of a lookup for the single closest.
/// - Hop 1 asks the querier's own closest peers. The bucket covering the record holds K peers
///   spread over the half of the id space nearer it: the closest is about `N / (2 (K + 1))`
///   away in rank, so hop 1 resolves `log2(2 (K + 1))` bits.
/// - Every later hop picks from the `ALPHA · REFERRALS` referrals the ALPHA answers in flight
///   return, each about uniform over the nodes closer than its referrer: the closest of them
///   is `1 + ALPHA · REFERRALS` times closer, `log2(1 + ALPHA · REFERRALS)` bits a hop.
///
/// With ALPHA = REFERRALS = 1 a hop gains one bit; with K, ALPHA and REFERRALS large, one hop
/// suffices. `None` when the model does not apply (N < 2 or any parameter 0).
pub fn lookup_hops(shape: LookupShape) -> Option<f64> {
    let LookupShape {
        nodes,
        k,
        alpha,
        referrals,
        replicas,
    } = shape;
    if nodes < 2 || k == 0 || alpha == 0 || referrals == 0 || replicas == 0 {
        return None;
    }
    let holders = replicas.min(nodes) as f64 / nodes as f64;
    let to_resolve = (1.0 / holders).log2();
    let first_hop = (2.0 * (k as f64 + 1.0)).log2();
    let per_hop = (1.0 + (alpha * referrals) as f64).log2();
    Some((1.0 - holders) * (1.0 + (to_resolve - first_hop).max(0.0) / per_hop))
}

/// Probability that `challenges` independent storage challenges catch a liar that keeps a fraction
/// `kept` of the records it accepted: `1 − s^n`.
///
/// Each challenge asks for one record chosen uniformly among those the liar should hold, and
/// succeeds only if that record was kept. `kept` is clamped to [0, 1].
pub fn liar_detection(kept: f64, challenges: u32) -> f64 {
    let s = kept.clamp(0.0, 1.0);
    1.0 - s.powi(challenges.min(i32::MAX as u32) as i32)
}

/// Rounds until push gossip with fanout `f` reaches all of `n` nodes:
/// `log_{1+f} N + ln(N) / f` (Pittel; Karp et al.).
///
/// The first term is the exponential phase (each informed node informs `f` more per round), the
/// second the slow tail of reaching the last uninformed nodes. `None` for N < 2 or f ≤ 0.
pub fn push_gossip_rounds(n: u64, fanout: f64) -> Option<f64> {
    if n < 2 || fanout.is_nan() || fanout <= 0.0 {
        return None;
    }
    let ln_n = (n as f64).ln();
    Some(ln_n / (1.0 + fanout).ln() + ln_n / fanout)
}

/// Expected informed fraction after each of `rounds` rounds of push gossip with fanout `f` among
/// `n` nodes, starting from one informed node (element 0 is the start, `1/N`).
///
/// Mean-field recurrence: an uninformed node stays uninformed when none of the `f · I` pushes of
/// the round hits it, probability `(1 − 1/N)^{f·I} ≈ e^{−f·i}`, so `i' = 1 − (1 − i)·e^{−f·i}`.
/// This is the reference curve the propagation chart draws; its time to ~1 tracks
/// [`push_gossip_rounds`].
pub fn push_gossip_curve(n: u64, fanout: f64, rounds: u32) -> Vec<f64> {
    if n == 0 || fanout.is_nan() || fanout <= 0.0 {
        return Vec::new();
    }
    let mut informed = 1.0 / n as f64;
    let mut out = Vec::with_capacity(rounds as usize + 1);
    out.push(informed);
    for _ in 0..rounds {
        informed = 1.0 - (1.0 - informed) * (-fanout * informed).exp();
        out.push(informed);
    }
    out
}

/// Expected bit length (`64 − leading zeros`) of the XOR distance from a record to the farthest of
/// its `replicas` closest nodes among `nodes` uniformly random 64-bit ids: `64 − log2(N / R)`.
///
/// The R closest of N random points lie within a fraction R/N of the id space; the storage chart
/// marks this so a reader sees whether holdings sit where replication should put them.
pub fn replica_distance_bits(nodes: u64, replicas: u64) -> Option<f64> {
    if nodes == 0 || replicas == 0 {
        return None;
    }
    let ratio = replicas.min(nodes) as f64 / nodes as f64;
    Some(64.0 + ratio.log2())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(nodes: u64) -> LookupShape {
        LookupShape {
            nodes,
            k: 8,
            alpha: 3,
            referrals: 5,
            replicas: 5,
        }
    }

    #[test]
    fn lookup_hops_follows_formula() {
        // N = 2880 = 5 · 2 · 9 · 32, K = 8, R = 5: log2(N/R) − log2(18) = 5 bits after hop 1;
        // ALPHA · REFERRALS = 15: 4 bits a hop.
        let remote = 1.0 - 5.0 / 2880.0;
        assert_eq!(lookup_hops(shape(2880)), Some(remote * (1.0 + 5.0 / 4.0)));
        // A network small enough for hop 1 to reach the holders takes one hop, or none when
        // the querier holds the record (5 of 40 nodes do).
        assert_eq!(lookup_hops(shape(40)), Some(35.0 / 40.0));
        assert_eq!(lookup_hops(shape(1)), None);
        assert_eq!(
            lookup_hops(LookupShape {
                alpha: 0,
                ..shape(100)
            }),
            None
        );
    }

    #[test]
    fn more_parallelism_or_referrals_means_fewer_hops() {
        let base = lookup_hops(shape(10_000)).unwrap();
        let wider = lookup_hops(LookupShape {
            alpha: 6,
            ..shape(10_000)
        })
        .unwrap();
        let more = lookup_hops(LookupShape {
            referrals: 10,
            ..shape(10_000)
        })
        .unwrap();
        assert!(wider < base && more < base, "{base} {wider} {more}");
        assert!(lookup_hops(shape(100_000)).unwrap() > base);
    }

    #[test]
    fn liar_detection_follows_formula() {
        assert!((liar_detection(0.5, 3) - 0.875).abs() < 1e-12);
        assert_eq!(liar_detection(0.0, 1), 1.0);
        assert_eq!(liar_detection(1.0, 100), 0.0);
        assert_eq!(liar_detection(0.9, 0), 0.0);
    }

    #[test]
    fn push_gossip_rounds_follows_formula() {
        let r = push_gossip_rounds(1000, 2.0).unwrap();
        let expected = 1000f64.ln() / 3f64.ln() + 1000f64.ln() / 2.0;
        assert!((r - expected).abs() < 1e-12);
        assert_eq!(push_gossip_rounds(1, 2.0), None);
        assert_eq!(push_gossip_rounds(10, 0.0), None);
    }

    #[test]
    fn gossip_curve_is_monotone_and_saturates_near_the_round_estimate() {
        let curve = push_gossip_curve(1000, 2.0, 20);
        assert_eq!(curve.len(), 21);
        assert!(curve.windows(2).all(|w| w[1] >= w[0]));
        let rounds = push_gossip_rounds(1000, 2.0).unwrap().ceil() as usize;
        // By the predicted completion round fewer than one node in N is still uninformed.
        assert!(1.0 - curve[rounds] < 1.0 / 1000.0);
    }

    #[test]
    fn replica_distance_shrinks_with_network_size() {
        assert_eq!(replica_distance_bits(1024, 4), Some(56.0));
        assert_eq!(replica_distance_bits(0, 4), None);
    }
}
