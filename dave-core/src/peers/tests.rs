//! Unit tests of the peer table (§5).

use super::*;
use crate::addr::network_group;

fn key_for(id: u64) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..8].copy_from_slice(&id.to_le_bytes());
    k[8] = 1;
    k
}

fn addr(net: u8, host: u8) -> SocketAddr {
    format!("10.{net}.0.{host}:4000").parse().unwrap()
}

fn verified(id: u64, a: SocketAddr) -> Peer {
    Peer::verified(a, key_for(id), Time::ZERO, Duration::from_millis(10))
}

/// Buckets of `k` with group limits that never bind (every test peer has its own group).
fn roomy_config(k: usize) -> Config {
    Config {
        k,
        group_limit: k,
        group_limit_table: 64,
        ..Config::default()
    }
}

/// A deterministic stand-in for the node's RNG: a 64-bit LCG with the given increment.
fn lcg(mut seed: u64, increment: u64) -> impl FnMut() -> u64 {
    move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(increment);
        seed >> 11
    }
}

fn config() -> Config {
    Config {
        k: 4,
        group_limit: 2,
        group_limit_table: 3,
        ..Config::default()
    }
}

#[test]
fn bucket_holds_k_then_tests_the_worst_incumbent() {
    let cfg = config();
    let mut table = PeerTable::new(NodeId(0), 0);
    // IDs with the top bit set all land in bucket 63.
    for i in 0..4u8 {
        let admit = table.admit(verified((1 << 63) | i as u64, addr(i, 1)), Time::ZERO, &cfg);
        assert!(matches!(admit, Admit::Added(_)), "{admit:?}");
    }
    assert_eq!(table.bucket_len(63), 4);
    let newcomer = verified((1 << 63) | 99, addr(50, 1));
    let Admit::Testing { incumbent } = table.admit(newcomer.clone(), Time::ZERO, &cfg) else {
        panic!("expected a liveness test")
    };
    // A second newcomer waits for the running test.
    assert_eq!(
        table.admit(verified((1 << 63) | 98, addr(51, 1)), Time::ZERO, &cfg),
        Admit::BucketFull
    );
    // The incumbent stays silent: the newcomer takes its place at the deadline.
    let pending = table.evictions.remove(0);
    let (evicted, _) = table
        .settle_eviction(pending, Time::from_millis(15_000), &cfg)
        .unwrap();
    assert_eq!(table.by_addr(&evicted.addr()), None);
    assert!(table.by_addr(&newcomer.addr()).is_some());
    assert!(table.get(incumbent).is_none_or(|p| p.addr != evicted.addr));
    assert_eq!(table.bucket_len(63), 4);
}

#[test]
fn incumbent_that_answers_survives() {
    let cfg = config();
    let mut table = PeerTable::new(NodeId(0), 0);
    for i in 0..4u8 {
        table.admit(verified((1 << 63) | i as u64, addr(i, 1)), Time::ZERO, &cfg);
    }
    let Admit::Testing { incumbent } = table.admit(
        verified((1 << 63) | 99, addr(50, 1)),
        Time::from_millis(100),
        &cfg,
    ) else {
        panic!()
    };
    table
        .get_mut(incumbent)
        .unwrap()
        .answered(Time::from_millis(200), Duration::from_millis(10));
    let pending = table.evictions.remove(0);
    assert!(
        table
            .settle_eviction(pending, Time::from_millis(15_100), &cfg)
            .is_none()
    );
    assert!(table.get(incumbent).is_some());
    assert!(table.by_addr(&addr(50, 1)).is_none());
}

#[test]
fn unreliable_incumbent_is_replaced_at_once() {
    let cfg = config();
    let mut table = PeerTable::new(NodeId(0), 0);
    for i in 0..4u8 {
        table.admit(verified((1 << 63) | i as u64, addr(i, 1)), Time::ZERO, &cfg);
    }
    let liar = table.by_addr(&addr(2, 1)).unwrap();
    let addr_of_liar = addr(2, 1);
    for _ in 0..3 {
        table.get_mut(liar).unwrap().reliability.record(false, 0.95);
    }
    let liar_id = table.get(liar).map(|p| p.id);
    let admit = table.admit(verified((1 << 63) | 99, addr(50, 1)), Time::ZERO, &cfg);
    assert!(
        matches!(admit, Admit::Replaced { addr, node_id, reliability }
        if addr == addr_of_liar && Some(node_id) == liar_id && reliability < 0.3)
    );
    assert!(table.by_addr(&addr(2, 1)).is_none());
}

#[test]
fn group_limits_per_bucket_and_table() {
    let cfg = config();
    let mut table = PeerTable::new(NodeId(0), 0);
    // Same /24 (10.7.0.x): two per bucket.
    assert!(matches!(
        table.admit(verified((1 << 63) | 1, addr(7, 1)), Time::ZERO, &cfg),
        Admit::Added(_)
    ));
    assert!(matches!(
        table.admit(verified((1 << 63) | 2, addr(7, 2)), Time::ZERO, &cfg),
        Admit::Added(_)
    ));
    assert_eq!(
        table.admit(verified((1 << 63) | 3, addr(7, 3)), Time::ZERO, &cfg),
        Admit::GroupLimit
    );
    // Another bucket admits one more, then the table limit (3) bites.
    assert!(matches!(
        table.admit(verified((1 << 62) | 1, addr(7, 4)), Time::ZERO, &cfg),
        Admit::Added(_)
    ));
    assert_eq!(
        table.admit(verified((1 << 61) | 1, addr(7, 5)), Time::ZERO, &cfg),
        Admit::GroupLimit
    );
    assert_eq!(table.group_count(network_group(&addr(7, 1))), 3);
    // Removing one frees a slot.
    let idx = table.by_addr(&addr(7, 4)).unwrap();
    table.remove(idx);
    assert!(matches!(
        table.admit(verified((1 << 61) | 1, addr(7, 5)), Time::ZERO, &cfg),
        Admit::Added(_)
    ));
}

#[test]
fn edges_are_outside_limits_and_duplicates_refused() {
    let cfg = config();
    let mut table = PeerTable::new(NodeId(0), 0);
    for host in 1..10 {
        let idx = table.add_edge(addr(7, host), Time::ZERO).unwrap();
        assert!(table.pin_edge(
            idx,
            key_for((1 << 63) | host as u64),
            Time::ZERO,
            Duration::ZERO
        ));
    }
    assert_eq!(table.bucket_len(63), 0);
    assert_eq!(table.group_count(network_group(&addr(7, 1))), 0);
    assert!(table.add_edge(addr(7, 1), Time::ZERO).is_none());
    // A second address with a known NodeId, or our own ID, is refused.
    assert_eq!(
        table.admit(verified((1 << 63) | 1, addr(8, 1)), Time::ZERO, &cfg),
        Admit::Duplicate
    );
    assert_eq!(
        table.admit(verified(0, addr(8, 2)), Time::ZERO, &cfg),
        Admit::Duplicate
    );
}

#[test]
fn closest_prefers_reliable_then_distance() {
    let cfg = roomy_config(8);
    let mut table = PeerTable::new(NodeId(0), 0);
    for i in 1..=6u64 {
        table.admit(verified(i << 60, addr(i as u8, 1)), Time::ZERO, &cfg);
    }
    let mut out = Vec::new();
    table.closest(RecordId(1 << 60), 3, 0.3, |_| true, &mut out);
    let ids: Vec<u64> = out
        .iter()
        .map(|&i| table.get(i).unwrap().id.0 >> 60)
        .collect();
    assert_eq!(ids, vec![1, 3, 2]);
    let bad = table.by_id(NodeId(1 << 60)).unwrap();
    for _ in 0..3 {
        table.get_mut(bad).unwrap().reliability.record(false, 0.95);
    }
    out.clear();
    table.closest(RecordId(1 << 60), 3, 0.3, |_| true, &mut out);
    let ids: Vec<u64> = out
        .iter()
        .map(|&i| table.get(i).unwrap().id.0 >> 60)
        .collect();
    assert_eq!(ids, vec![3, 2, 5]);
}

#[test]
fn share_spreads_over_groups_and_excludes_asker() {
    let cfg = roomy_config(8);
    let mut table = PeerTable::new(NodeId(0), 0);
    let mut n = 1u64;
    for net in 0..3u8 {
        for host in 1..=4u8 {
            let idx = match table.admit(verified(n << 58, addr(net, host)), Time::ZERO, &cfg) {
                Admit::Added(i) => i,
                other => panic!("{other:?}"),
            };
            n += 1;
            table.get_mut(idx).unwrap().active = true;
        }
    }
    let mut rng = lcg(7, 1);
    let mut out = Vec::new();
    table.share(&addr(0, 1), 3, &mut rng, &mut out);
    assert_eq!(out.len(), 3);
    let mut groups: Vec<_> = out.iter().map(network_group).collect();
    groups.sort();
    groups.dedup();
    assert_eq!(groups.len(), 3, "one per group first: {out:?}");
    out.clear();
    table.share(&addr(0, 1), 50, &mut rng, &mut out);
    assert_eq!(out.len(), 11);
    assert!(!out.contains(&addr(0, 1)));
}

#[test]
fn shares_every_eligible_peer_equally_often() {
    // Twelve active peers of twelve groups, some inactive ones among them: over many shares of
    // three, each active peer is shared about a quarter of the time (the lazy shuffle draws a
    // uniform order), and an inactive one never.
    let cfg = roomy_config(16);
    let mut table = PeerTable::new(NodeId(0), 0);
    let mut active = Vec::new();
    for net in 0..18u8 {
        let peer = verified(u64::from(net + 1) << 58, addr(net, 1));
        let Admit::Added(idx) = table.admit(peer, Time::ZERO, &cfg) else {
            panic!("admitted");
        };
        if net % 3 != 2 {
            table.get_mut(idx).unwrap().active = true;
            active.push(addr(net, 1));
        }
    }
    let mut rng = lcg(11, 1442695040888963407);
    let rounds = 4000;
    let mut counts = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for _ in 0..rounds {
        out.clear();
        table.share(&addr(200, 1), 3, &mut rng, &mut out);
        assert_eq!(out.len(), 3);
        for a in &out {
            *counts.entry(*a).or_insert(0u32) += 1;
        }
    }
    assert_eq!(counts.len(), active.len(), "{counts:?}");
    for a in &active {
        let share = f64::from(counts[a]) / f64::from(rounds);
        assert!((share - 0.25).abs() < 0.04, "{a}: {share}");
    }
}

#[test]
fn wants_peers_while_a_far_bucket_has_room_whatever_the_near_ones_hold() {
    let cfg = roomy_config(2);
    let mut table = PeerTable::new(NodeId(0), 0);
    assert!(table.wants_peers(cfg.k), "an empty table");
    let mut net = 0u8;
    let mut last = None;
    for bucket in 60..64u32 {
        for i in 0..2u64 {
            net += 1;
            let admit = table.admit(verified((1 << bucket) | i, addr(net, 1)), Time::ZERO, &cfg);
            let Admit::Added(idx) = admit else {
                panic!("{admit:?}")
            };
            last = Some(idx);
        }
    }
    // A node near us (bucket 40) leaves the near buckets with room, as they nearly always
    // have; a random newcomer would land there once in 2^24.
    assert!(matches!(
        table.admit(verified((1 << 40) | 1, addr(99, 1)), Time::ZERO, &cfg),
        Admit::Added(_)
    ));
    assert!(
        !table.wants_peers(cfg.k),
        "the four farthest buckets are full"
    );
    table.remove(last.expect("a peer in bucket 63"));
    assert!(table.wants_peers(cfg.k), "bucket 63 has room again");
}

#[test]
fn schedule_orders_due_peers() {
    let mut table = PeerTable::new(NodeId(0), 0);
    let a = table.add_edge(addr(1, 1), Time::from_millis(5)).unwrap();
    let b = table.add_edge(addr(1, 2), Time::from_millis(3)).unwrap();
    assert_eq!(table.next_due(), Some(Time::from_millis(3)));
    assert_eq!(table.pop_due(Time::from_millis(4)), Some(b));
    assert_eq!(table.pop_due(Time::from_millis(4)), None);
    table.reschedule(b, Time::from_millis(10));
    assert_eq!(table.pop_due(Time::from_millis(10)), Some(a));
    assert_eq!(table.pop_due(Time::from_millis(10)), Some(b));
    assert_eq!(table.next_due(), None);
}

#[test]
fn group_limits_of_zero_disable_them() {
    let cfg = Config {
        group_limit: 0,
        group_limit_table: 0,
        ..config()
    };
    let mut table = PeerTable::new(NodeId(0), 0);
    // Four peers of one /24 in one bucket and more in others: no group limit refuses any.
    for (i, bucket_bit) in [63u32, 63, 63, 63, 62, 61].into_iter().enumerate() {
        let admit = table.admit(
            verified((1 << bucket_bit) | i as u64, addr(7, i as u8 + 1)),
            Time::ZERO,
            &cfg,
        );
        assert!(matches!(admit, Admit::Added(_)), "peer {i}: {admit:?}");
    }
    assert_eq!(table.group_count(network_group(&addr(7, 1))), 6);
    let mut candidates = Candidates::default();
    for host in 1..=10 {
        let c = Candidate::new(&addr(9, host));
        assert_eq!(candidates.offer(c, 64, 0, || 0), Offer::Added);
    }
}

#[test]
fn without_test_before_evict_a_newcomer_displaces_the_worst_incumbent_at_once() {
    let cfg = Config {
        test_before_evict: false,
        ..config()
    };
    let mut table = PeerTable::new(NodeId(0), 0);
    for i in 0..4u8 {
        table.admit(verified((1 << 63) | i as u64, addr(i, 1)), Time::ZERO, &cfg);
    }
    let newcomer = verified((1 << 63) | 99, addr(50, 1));
    let admit = table.admit(newcomer.clone(), Time::ZERO, &cfg);
    assert!(matches!(admit, Admit::Replaced { .. }), "{admit:?}");
    assert!(table.evictions.is_empty(), "no liveness test");
    assert!(table.by_addr(&newcomer.addr()).is_some());
    assert_eq!(table.bucket_len(63), 4);
}

#[test]
fn entries_stay_small() {
    // A simulated node keeps about a hundred entries, a hundred thousand nodes a run: the
    // slab's element size is the simulator's memory per node (docs/simulator.md).
    let size = std::mem::size_of::<Option<Peer>>();
    assert!(size <= 112, "a peer entry takes {size} bytes");
    // What a ping or pong from the peer reads stays in the entry's first 64 bytes.
    assert!(std::mem::offset_of!(Peer, next_ping) + 8 <= 64);
    assert_eq!(std::mem::size_of::<Option<PendingPing>>(), 8);
}

proptest::proptest! {
    #[test]
    fn pending_pings_pack_kind_send_time_and_retry(micros in 0u64..(1 << 60), live: bool) {
        let kind = if live { PingKind::Live } else { PingKind::Auth };
        let ping = PendingPing::new(kind, Time::from_micros(micros));
        proptest::prop_assert_eq!(ping.kind(), kind);
        proptest::prop_assert_eq!(ping.sent(), Time::from_micros(micros));
        proptest::prop_assert_eq!(ping.retries(), 0);
        let latest = PendingPing::new(kind, Time::from_micros((1 << 60) - 1));
        proptest::prop_assert_eq!(latest.retries(), 0);
        for n in 1..=3 {
            let retry = ping.with_retries(n);
            proptest::prop_assert_eq!(retry.retries(), n);
            proptest::prop_assert_eq!(retry.kind(), kind);
            proptest::prop_assert_eq!(retry.sent(), Time::from_micros(micros));
        }
    }
}

#[test]
fn a_pin_holds_the_keys_first_sixteen_bytes() {
    let key = key_for(5);
    let peer = verified(5, addr(1, 1));
    assert!(peer.holds_key(&key));
    for byte in [2, 12] {
        let mut other = key;
        other[byte] ^= 1;
        assert!(!peer.holds_key(&other), "byte {byte}");
    }
    assert!(!Peer::unverified(addr(1, 2), false, Time::ZERO).holds_key(&key));
}

/// One step of the schedule model test: add an edge due at a time, reschedule, remove, or pop.
#[derive(Clone, Debug)]
enum ScheduleOp {
    Add(u8, u16),
    Reschedule(u8, u16),
    Remove(u8),
    Pop(u16),
}

fn schedule_op() -> impl proptest::strategy::Strategy<Value = ScheduleOp> {
    use proptest::prelude::*;
    // 64 times for up to 48 peers, so ties (broken by index) happen; hosts from a small range so
    // operations meet peers already in the table.
    prop_oneof![
        (0u8..48, 0u16..64).prop_map(|(h, t)| ScheduleOp::Add(h, t)),
        (0u8..48, 0u16..64).prop_map(|(h, t)| ScheduleOp::Reschedule(h, t)),
        (0u8..48).prop_map(ScheduleOp::Remove),
        (0u16..64).prop_map(ScheduleOp::Pop),
    ]
}

proptest::proptest! {
    /// The heap gives the order of a `BTreeSet<(Time, PeerIdx)>` (what it replaced) through
    /// adds, reschedules, removals and pops, including peers popped and not yet put back.
    #[test]
    fn the_schedule_orders_like_a_sorted_set(
        ops in proptest::collection::vec(schedule_op(), 1..400),
    ) {
        use std::collections::BTreeSet;
        let mut table = PeerTable::new(NodeId(0), 0);
        let mut model: BTreeSet<(Time, PeerIdx)> = BTreeSet::new();
        let mut due: std::collections::BTreeMap<PeerIdx, Time> = Default::default();
        let at = |t: u16| Time::from_millis(u64::from(t));
        for op in ops {
            match op {
                ScheduleOp::Add(host, t) => {
                    // A new edge gets a free slot, never one that is scheduled.
                    if let Some(idx) = table.add_edge(addr(host % 16, host / 16 + 1), at(t)) {
                        proptest::prop_assert!(due.insert(idx, at(t)).is_none());
                        model.insert((at(t), idx));
                    }
                }
                ScheduleOp::Reschedule(host, t) => {
                    if let Some(idx) = table.by_addr(&addr(host % 16, host / 16 + 1)) {
                        if let Some(old) = due.insert(idx, at(t)) {
                            model.remove(&(old, idx));
                        }
                        model.insert((at(t), idx));
                        table.reschedule(idx, at(t));
                    }
                }
                ScheduleOp::Remove(host) => {
                    if let Some(idx) = table.by_addr(&addr(host % 16, host / 16 + 1)) {
                        if let Some(old) = due.remove(&idx) {
                            model.remove(&(old, idx));
                        }
                        table.remove(idx);
                    }
                }
                ScheduleOp::Pop(t) => {
                    let expected = model.first().filter(|&&(d, _)| d <= at(t)).copied();
                    if let Some(entry) = expected {
                        model.remove(&entry);
                    }
                    proptest::prop_assert_eq!(table.pop_due(at(t)), expected.map(|(_, i)| i));
                }
            }
            proptest::prop_assert_eq!(table.next_due(), model.first().map(|&(d, _)| d));
        }
    }
}
