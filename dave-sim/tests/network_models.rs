//! Every network model measured against its configuration (SIMULATOR.md §"The virtual
//! network"): loss rates within statistical bounds, latency quantiles, bandwidth queueing,
//! partitions, topologies, duplication, oversize drops and spoofed sources.

use std::net::SocketAddr;

use dave_sim::engine::host::{EchoEvent, EchoHost};
use dave_sim::engine::trace::Trace;
use dave_sim::engine::{Emitted, Engine, SimTime};
use dave_sim::metrics::stats::quantile;
use dave_sim::network::clock::Clock;
use dave_sim::network::{DropReason, Network, Route, addr};
use dave_sim::scenario::NetworkSpec;
use dave_sim::sim::net_params::{loss_model, network_params};

fn network(spec: &NetworkSpec, nodes: usize, seed: u64) -> Network {
    Network::new(network_params(spec), nodes, seed)
}

fn spec(json: &str) -> NetworkSpec {
    serde_json::from_str(json).expect("test network spec parses")
}

/// Routes `n` datagrams from node 0 to node 1, spaced 1 ms apart; returns (delays µs, drops).
fn route_many(net: &mut Network, n: u64) -> (Vec<f64>, Vec<DropReason>, u64) {
    let (mut delays, mut drops, mut dups) = (Vec::new(), Vec::new(), 0);
    for i in 0..n {
        let now = i * 1000;
        match net.route(now, 0, 1, 100) {
            Route::Deliver { at, duplicate_at } => {
                delays.push((at - now) as f64);
                dups += u64::from(duplicate_at.is_some());
            }
            Route::Drop(r) => drops.push(r),
        }
    }
    (delays, drops, dups)
}

/// |measured − p| within 5 standard deviations of a binomial proportion.
fn assert_rate(measured: f64, p: f64, n: u64, what: &str) {
    let sd = (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (measured - p).abs() <= 5.0 * sd + 1e-9,
        "{what}: measured {measured}, configured {p} (sd {sd})"
    );
}

#[test]
fn bernoulli_loss_rate_matches_configuration() {
    let mut net = network(&spec(r#"{"loss": {"bernoulli": 0.1}}"#), 2, 7);
    let n = 50_000;
    let (_, drops, _) = route_many(&mut net, n);
    assert!(drops.iter().all(|d| *d == DropReason::Loss));
    assert_rate(drops.len() as f64 / n as f64, 0.1, n, "bernoulli");
}

#[test]
fn gilbert_elliott_mean_loss_and_burstiness() {
    let s = spec(
        r#"{"loss": {"gilbert_elliott": {"p_good_to_bad": 0.02, "p_bad_to_good": 0.2, "loss_good": 0.01, "loss_bad": 0.5}}}"#,
    );
    let expected = loss_model(&s.loss).mean_loss();
    assert!((expected - (0.2 * 0.01 + 0.02 * 0.5) / 0.22).abs() < 1e-12);
    let mut net = network(&s, 2, 3);
    let n = 200_000u64;
    let mut lost = Vec::with_capacity(n as usize);
    for i in 0..n {
        lost.push(matches!(
            net.route(i * 1000, 0, 1, 100),
            Route::Drop(DropReason::Loss)
        ));
    }
    let rate = lost.iter().filter(|l| **l).count() as f64 / n as f64;
    assert!(
        (rate - expected).abs() < 0.15 * expected,
        "GE mean loss {rate}, expected {expected}"
    );
    // Bursty: a loss is followed by another loss far more often than the mean rate.
    let pairs = lost.windows(2).filter(|w| w[0]).count() as f64;
    let both = lost.windows(2).filter(|w| w[0] && w[1]).count() as f64;
    assert!(
        both / pairs > 2.0 * rate,
        "P(loss | loss) = {} should exceed 2× the mean {rate}",
        both / pairs
    );
}

#[test]
fn latency_models_have_the_configured_quantiles() {
    let n = 20_000;
    let cases: &[(&str, f64, f64, f64)] = &[
        // (latency spec, expected p50 µs, expected p90 µs, relative tolerance)
        (r#"{"constant": "25ms"}"#, 25_000.0, 25_000.0, 0.0),
        (
            r#"{"uniform": {"min": "10ms", "max": "30ms"}}"#,
            20_000.0,
            28_000.0,
            0.03,
        ),
        (
            r#"{"normal": {"mean": "50ms", "sd": "10ms"}}"#,
            50_000.0,
            50_000.0 + 1.2816 * 10_000.0,
            0.03,
        ),
        (
            r#"{"log_normal": {"median": "40ms", "sigma": 0.5}}"#,
            40_000.0,
            40_000.0 * (0.5f64 * 1.2816).exp(),
            0.04,
        ),
        // Pareto: quantile q = scale / (1 − q)^(1/shape).
        (
            r#"{"pareto": {"scale": "20ms", "shape": 2.0}}"#,
            20_000.0 * 2f64.sqrt(),
            20_000.0 * 10f64.sqrt(),
            0.05,
        ),
    ];
    for (latency, p50, p90, tol) in cases {
        let mut net = network(&spec(&format!(r#"{{"latency": {latency}}}"#)), 2, 11);
        let (mut d, drops, _) = route_many(&mut net, n);
        assert!(drops.is_empty());
        let (m50, m90) = (quantile(&mut d, 0.5), quantile(&mut d, 0.9));
        assert!(
            (m50 - p50).abs() <= tol * p50 + 1.0,
            "{latency}: p50 {m50} vs {p50}"
        );
        assert!(
            (m90 - p90).abs() <= tol * p90 + 1.0,
            "{latency}: p90 {m90} vs {p90}"
        );
    }
}

#[test]
fn jitter_reorders_datagrams() {
    let mut net = network(
        &spec(r#"{"latency": {"constant": "10ms"}, "jitter": "20ms"}"#),
        2,
        5,
    );
    let arrivals: Vec<u64> = (0..1000)
        .map(|i| match net.route(i * 1000, 0, 1, 100) {
            Route::Deliver { at, .. } => at,
            Route::Drop(r) => panic!("unexpected drop {r:?}"),
        })
        .collect();
    let inversions = arrivals.windows(2).filter(|w| w[1] < w[0]).count();
    assert!(
        inversions > 100,
        "jitter of 20 ms over 1 ms spacing must reorder, got {inversions}"
    );
    assert!(arrivals.iter().enumerate().all(|(i, &a)| {
        let d = a - i as u64 * 1000;
        (10_000..=30_000).contains(&d)
    }));
}

#[test]
fn duplication_rate_matches_configuration() {
    let mut net = network(&spec(r#"{"duplication": 0.2}"#), 2, 9);
    let n = 20_000;
    let (_, _, dups) = route_many(&mut net, n);
    assert_rate(dups as f64 / n as f64, 0.2, n, "duplication");
}

#[test]
fn uplink_bandwidth_queues_then_tail_drops() {
    // 800 kbit/s: a 1000-byte datagram takes 10 ms; the queue holds 5000 bytes.
    let mut net = network(
        &spec(
            r#"{"latency": {"constant": "0ms"}, "bandwidth": {"uplink_kbps": 800, "queue_bytes": 5000}}"#,
        ),
        2,
        1,
    );
    let results: Vec<Route> = (0..20).map(|_| net.route(0, 0, 1, 1000)).collect();
    let delivered: Vec<u64> = results
        .iter()
        .filter_map(|r| match r {
            Route::Deliver { at, .. } => Some(*at),
            Route::Drop(_) => None,
        })
        .collect();
    // One on the wire plus five waiting.
    assert_eq!(
        delivered,
        vec![10_000, 20_000, 30_000, 40_000, 50_000, 60_000]
    );
    assert!(
        results[6..]
            .iter()
            .all(|r| *r == Route::Drop(DropReason::QueueFull))
    );
    // Once the queue drained the link accepts again, after the backlog.
    assert_eq!(
        net.route(60_000, 0, 1, 1000),
        Route::Deliver {
            at: 70_000,
            duplicate_at: None
        }
    );
}

#[test]
fn partitions_block_traffic_until_healed() {
    let mut net = network(&NetworkSpec::default(), 4, 1);
    net.partitions.split(&[vec![0, 1]]);
    assert!(matches!(net.route(0, 0, 1, 10), Route::Deliver { .. }));
    assert_eq!(net.route(0, 0, 2, 10), Route::Drop(DropReason::Partition));
    assert_eq!(net.route(0, 3, 1, 10), Route::Drop(DropReason::Partition));
    assert!(matches!(net.route(0, 2, 3, 10), Route::Deliver { .. }));
    net.partitions.heal();
    assert!(matches!(net.route(0, 0, 2, 10), Route::Deliver { .. }));
}

#[test]
fn region_topology_adds_the_matrix_latency() {
    let s = spec(
        r#"{"latency": {"constant": "1ms"}, "topology": {"regions": {"weights": [1, 1], "latency": [["2ms", "50ms"], ["60ms", "2ms"]]}}}"#,
    );
    let mut net = network(&s, 40, 2);
    for a in 0..40 {
        for b in 0..40 {
            let expected = 1_000
                + match (net.topology.site(a), net.topology.site(b)) {
                    (0, 0) | (1, 1) => 2_000,
                    (0, 1) => 50_000,
                    _ => 60_000,
                };
            assert_eq!(
                net.route(0, a, b, 10),
                Route::Deliver {
                    at: expected,
                    duplicate_at: None
                }
            );
        }
    }
}

#[test]
fn edge_list_topology_uses_shortest_paths_and_isolates_unlinked_sites() {
    let s = spec(
        r#"{"latency": {"constant": "0ms"}, "topology": {"edge_list": {"sites": 4, "edges": [[0, 1, "10ms"], [1, 2, "10ms"], [0, 2, "50ms"]]}}}"#,
    );
    let mut net = network(&s, 64, 4);
    let mut seen_unreachable = false;
    for a in 0..64 {
        for b in 0..64 {
            let (sa, sb) = (net.topology.site(a), net.topology.site(b));
            let r = net.route(0, a, b, 10);
            let expected = match (sa.min(sb), sa.max(sb)) {
                (x, y) if x == y => Some(0),
                (0, 1) | (1, 2) => Some(10_000),
                (0, 2) => Some(20_000), // via site 1, not the 50 ms link
                _ => None,
            };
            match expected {
                Some(at) => assert_eq!(
                    r,
                    Route::Deliver {
                        at,
                        duplicate_at: None
                    },
                    "sites {sa}->{sb}"
                ),
                None => {
                    seen_unreachable = true;
                    assert_eq!(r, Route::Drop(DropReason::Unreachable));
                }
            }
        }
    }
    assert!(
        seen_unreachable,
        "site 3 has no links; some node should sit there"
    );
}

#[test]
fn random_geometric_topology_latency_grows_with_distance_and_is_symmetric() {
    let s = spec(
        r#"{"latency": {"constant": "0ms"}, "topology": {"random_geometric": {"sites": 30, "radius": 0.5, "per_unit": "100ms"}}}"#,
    );
    let mut net = network(&s, 60, 8);
    for a in 0..60 {
        for b in 0..60 {
            let (x, y) = (net.route(0, a, b, 10), net.route(0, b, a, 10));
            assert_eq!(x, y, "symmetric");
            if let Route::Deliver { at, .. } = x {
                // Never more than crossing the square's diagonal twice over links.
                assert!(at <= 300_000);
            }
        }
    }
}

type EchoEngine = Engine<EchoHost, ()>;

fn echo_world(n: u32, net: &str) -> (EchoEngine, Vec<SocketAddr>) {
    let addrs = addr::plan(n, n, n);
    let network = network(&spec(net), n as usize, 1);
    (
        Engine::new(network, addrs.clone(), Vec::new(), Trace::default()),
        addrs,
    )
}

fn run_to(engine: &mut EchoEngine, secs: u64) -> Vec<Emitted<EchoEvent>> {
    let mut all = Vec::new();
    let mut batch = Vec::new();
    while engine.next_action(SimTime(secs * 1_000_000)).is_some() {}
    engine.take_events(&mut batch);
    all.append(&mut batch);
    all
}

#[test]
fn oversize_datagrams_are_dropped_and_counted() {
    let (mut e, addrs) = echo_world(2, "{}");
    e.start(0, EchoHost::new(vec![addrs[1]], 100_000, 1425, 0));
    e.start(1, EchoHost::new(vec![addrs[0]], 100_000, 1424, 0));
    run_to(&mut e, 1);
    let s = e.stats();
    // Pings at 0, 0.1, …, 1.0 s: eleven sent; the last one is still in flight at the end.
    assert_eq!(
        s.dropped[DropReason::Oversize.index()],
        11,
        "node 0's 1425-byte pings"
    );
    // Node 1's 1424-byte pings arrive and are answered with 1424-byte pongs.
    assert_eq!(s.delivered, 20);
}

#[test]
fn spoofed_sources_direct_replies_at_the_victim() {
    let (mut e, addrs) = echo_world(3, "{}");
    // Node 0 pings node 1 claiming to be node 2: node 1's pongs go to node 2.
    e.start(
        0,
        EchoHost::new(vec![addrs[1]], 100_000, 64, 0).spoofing(addrs[2]),
    );
    e.start(1, EchoHost::new(vec![], 1, 64, 0));
    e.start(2, EchoHost::new(vec![], 1, 64, 0));
    let events = run_to(&mut e, 1);
    let pongs_at = |n: u32| {
        events
            .iter()
            .filter(|ev| ev.node == n && matches!(ev.event, EchoEvent::Pong { .. }))
            .count()
    };
    assert_eq!(pongs_at(2), 10, "the victim receives the replies");
    assert_eq!(pongs_at(0), 0, "the attacker receives none");
    assert_eq!(e.stats().spoofed, 11);
}

#[test]
fn datagrams_to_a_stopped_node_are_dropped_as_node_down() {
    let (mut e, addrs) = echo_world(2, r#"{"latency": {"constant": "10ms"}}"#);
    e.start(0, EchoHost::new(vec![addrs[1]], 100_000, 64, 0));
    e.start(1, EchoHost::new(vec![], 1, 64, 0));
    e.stop(1);
    run_to(&mut e, 1);
    assert_eq!(e.stats().dropped[DropReason::NodeDown.index()], 10);
    assert_eq!(e.stats().delivered, 0);
}

#[test]
fn round_trip_time_is_twice_the_constant_latency() {
    let (mut e, addrs) = echo_world(2, r#"{"latency": {"constant": "30ms"}}"#);
    e.start(0, EchoHost::new(vec![addrs[1]], 100_000, 64, 0));
    e.start(1, EchoHost::new(vec![], 1, 64, 0));
    let events = run_to(&mut e, 1);
    let rtts: Vec<u64> = events
        .iter()
        .filter_map(|ev| match ev.event {
            EchoEvent::Pong { rtt_us } => Some(rtt_us),
            EchoEvent::Pinged => None,
        })
        .collect();
    assert!(
        !rtts.is_empty() && rtts.iter().all(|&r| r == 60_000),
        "{rtts:?}"
    );
}

#[test]
fn hosts_see_their_own_skewed_and_drifting_clock() {
    let addrs = addr::plan(2, 2, 2);
    let network = network(&spec(r#"{"latency": {"constant": "30ms"}}"#), 2, 1);
    // Node 0 runs 5 s ahead and 10 % fast; node 1 keeps true time.
    let clocks = vec![
        Clock {
            offset_us: 5_000_000,
            drift_ppm: 100_000,
        },
        Clock::default(),
    ];
    let mut e: EchoEngine = Engine::new(network, addrs.clone(), clocks, Trace::default());
    assert_eq!(e.local_now(0), SimTime(5_000_000));
    // Node 0 pings every 100 ms of its own clock, starting at its local 5 s (virtual 0).
    e.start(0, EchoHost::new(vec![addrs[1]], 100_000, 64, 5_000_000));
    e.start(1, EchoHost::new(vec![], 1, 64, 0));
    let events = run_to(&mut e, 1);
    let rtts: Vec<u64> = events
        .iter()
        .filter_map(|ev| match ev.event {
            EchoEvent::Pong { rtt_us } => Some(rtt_us),
            EchoEvent::Pinged => None,
        })
        .collect();
    // A 60 ms round trip reads 66 ms on a clock running 10 % fast.
    assert!(
        !rtts.is_empty() && rtts.iter().all(|&r| (65_999..=66_001).contains(&r)),
        "{rtts:?}"
    );
    // 100 ms of its clock is 90.9 ms of virtual time: 11 pings in the first virtual second.
    let pinged = events
        .iter()
        .filter(|ev| ev.node == 1 && ev.event == EchoEvent::Pinged)
        .count();
    assert_eq!(pinged, 11);
}
