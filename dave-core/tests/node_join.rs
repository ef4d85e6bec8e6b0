//! Joining (issue 15): a node fills its neighbourhood within round trips of starting, whether
//! its whole network starts with it or it joins one that is running.

mod harness;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use dave_core::config::Config;
use dave_core::crypto::DirectCrypto;
use dave_core::id::NodeId;
use dave_core::node::Node;
use dave_core::peers::PeerState;
use harness::{Net, key, node_addr, test_config};

/// NodeIds node `i` holds verified (edges included).
fn verified(net: &Net, i: usize) -> Vec<NodeId> {
    net.nodes[i]
        .peers()
        .filter(|p| p.state != PeerState::Candidate)
        .filter_map(|p| p.node_id)
        .collect()
}

/// Whether node `i`'s table holds, verified, the `want` other nodes closest to it, except those
/// whose k-bucket is full: test-before-evict (§5) keeps a full bucket's live incumbents rather
/// than admit a closer newcomer, which is what keeps an attacker with ground NodeIds out. With
/// k = 8, a 60-node network fills the bucket of a node's fifth closest in about a third of
/// seeds, so "holds its five closest" alone is not something the protocol promises.
fn holds_closest(net: &Net, i: usize, want: usize) -> bool {
    let own = net.nodes[i].node_id();
    let mut others: Vec<NodeId> = net
        .nodes
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(_, n)| n.node_id())
        .collect();
    others.sort_by_key(|id| own.0 ^ id.0);
    let known = verified(net, i);
    let k = net.nodes[i].config().k;
    let bucketed: Vec<Option<usize>> = net.nodes[i]
        .peers()
        .filter(|p| p.state != PeerState::Candidate && !p.is_edge)
        .filter_map(|p| p.node_id)
        .map(|id| own.bucket_index(id))
        .collect();
    let bucket_full = |id: &NodeId| {
        let bucket = own.bucket_index(*id);
        bucketed.iter().filter(|&&b| b == bucket).count() >= k
    };
    others
        .iter()
        .take(want)
        .all(|id| known.contains(id) || bucket_full(id))
}

/// Runs until every node in `which` holds its `want` closest, for at most `limit`; returns
/// each one's join time in milliseconds (None if it did not join in time).
fn join_times(net: &mut Net, which: &[usize], want: usize, limit: Duration) -> Vec<Option<u64>> {
    let start = net.now;
    let mut joined = vec![None; which.len()];
    net.run_until(limit, |net| {
        for (slot, &i) in joined.iter_mut().zip(which) {
            if slot.is_none() && holds_closest(net, i, want) {
                *slot = Some(net.now.saturating_duration_since(start).as_millis() as u64);
            }
        }
        joined.iter().all(Option::is_some)
    });
    joined
}

/// The latest join time, failing with every time if some node did not join.
fn slowest(times: &[Option<u64>]) -> u64 {
    let all: Option<Vec<u64>> = times.iter().copied().collect();
    let all = all.unwrap_or_else(|| panic!("not every node joined: {times:?}"));
    all.into_iter().max().unwrap_or(0)
}

#[test]
fn five_nodes_started_together_know_each_other_within_round_trips() {
    // 20 ms one way: 200 ms is five round trips. (Before issue 15: 10 s, the first refresh.)
    let mut net = Net::new(5, test_config(), 7);
    let all: Vec<usize> = (0..5).collect();
    let times = join_times(&mut net, &all, 4, Duration::from_secs(2));
    assert!(slowest(&times) <= 200, "{times:?}");
}

#[test]
fn sixty_nodes_started_together_find_their_neighbourhoods_within_a_second() {
    // Everyone asks the one edge at once, before it knows anybody: the retry and the repeated
    // self-lookup take every node to its five closest. (Before issue 15: 10 s and 20 s.)
    for seed in [7, 8] {
        let mut net = Net::new(60, test_config(), seed);
        let all: Vec<usize> = (0..60).collect();
        let times = join_times(&mut net, &all, 5, Duration::from_secs(5));
        assert!(slowest(&times) <= 1000, "seed {seed}: {times:?}");
    }
}

#[test]
fn a_node_joining_a_running_network_meets_its_neighbourhood_and_is_met() {
    let cfg = test_config();
    let mut net = Net::new(40, cfg.clone(), 9);
    net.run_for(Duration::from_secs(30));
    for n in 0..3 {
        let newcomer = Node::new(
            cfg.clone(),
            key(9, 40 + n),
            vec![node_addr(0)],
            [40 + n as u8; 32],
            Arc::new(DirectCrypto),
            net.now,
        );
        let i = net.add(newcomer, node_addr(40 + n));
        net.flush(i);
        let times = join_times(&mut net, &[i], 5, Duration::from_secs(5));
        assert!(slowest(&times) <= 500, "newcomer {n}: {times:?}");
        // Its neighbours took it in too: they are the ones that will store its records.
        net.run_for(Duration::from_millis(200));
        let id = net.nodes[i].node_id();
        let mut others: Vec<usize> = (0..i).collect();
        others.sort_by_key(|&j| id.0 ^ net.nodes[j].node_id().0);
        for &j in others.iter().take(5) {
            assert!(
                verified(&net, j).contains(&id),
                "neighbour {j} missed newcomer {n}"
            );
        }
    }
}

/// Ten nodes on one machine: 127.0.0.1 to 127.0.0.10, one /24.
fn loopback(i: usize) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1 + i as u8], 4000))
}

fn loopback_cluster(config: Config) -> Net {
    Net::with_addrs(10, config, 11, loopback, |i| {
        if i == 0 { vec![] } else { vec![loopback(0)] }
    })
}

#[test]
fn group_limits_cap_a_loopback_cluster_unless_it_is_local() {
    let mut capped = loopback_cluster(test_config());
    capped.run_for(Duration::from_secs(5));
    let smallest = (0..10).map(|i| verified(&capped, i).len()).min();
    assert!(
        smallest.is_some_and(|n| n < 9),
        "group limits should cap a /24 cluster: {smallest:?}"
    );

    let local = Config {
        local: true,
        ..test_config()
    };
    let mut net = loopback_cluster(local);
    let all: Vec<usize> = (0..10).collect();
    let times = join_times(&mut net, &all, 5, Duration::from_secs(2));
    assert!(slowest(&times) <= 500, "{times:?}");
    // Beyond its closest, a node of a cluster that started together meets the rest of its
    // far buckets by the first table refresh (ACTIVATE_AFTER + PING_EVERY): at the start
    // nobody is active, so AUTH PONGs have no one to share, and lookups refer the nearest.
    let times = join_times(&mut net, &all, 9, Duration::from_secs(12));
    assert!(times.iter().all(Option::is_some), "{times:?}");
}

#[test]
fn a_local_node_keeps_the_group_limits_for_public_addresses() {
    // Public addresses in one /24, on nodes configured local: the limits still hold.
    let public = |i: usize| SocketAddr::from(([198, 51, 100, 1 + i as u8], 4000));
    let config = Config {
        local: true,
        ..test_config()
    };
    let mut net = Net::with_addrs(10, config.clone(), 12, public, |i| {
        if i == 0 { vec![] } else { vec![public(0)] }
    });
    net.run_for(Duration::from_secs(5));
    for i in 0..10 {
        let own = net.nodes[i]
            .peers()
            .filter(|p| p.state != PeerState::Candidate && !p.is_edge)
            .count();
        assert!(own <= config.group_limit_table, "node {i} holds {own}");
    }
}

#[test]
fn nodes_whose_edge_comes_up_late_retry_it_within_a_second() {
    // The edge's socket is not up for the first second: everything sent to it is lost.
    let mut net = Net::new(5, test_config(), 13);
    let edge = node_addr(0);
    net.filter = Some(Box::new(move |d| d.to != edge));
    net.run_for(Duration::from_secs(1));
    net.filter = None;
    let all: Vec<usize> = (0..5).collect();
    // Pinged again 0.5 s and 1.5 s after the start (PING_EVERY, 5 s, before issue 15).
    let times = join_times(&mut net, &all, 4, Duration::from_secs(4));
    assert!(slowest(&times) <= 1000, "{times:?}");
}
