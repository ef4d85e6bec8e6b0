//! Iterative lookups in a network where no node knows everyone (§8): records land on the
//! REPLICAS nodes XOR-closest to them, and every node finds them in a few hops.

mod harness;

use std::time::Duration;

use dave_core::event::{Event, LookupEnd, LookupKind};
use harness::{Net, key, make_dat, test_config};

#[test]
fn records_land_on_the_closest_nodes_and_every_node_finds_them() {
    let cfg = test_config();
    let n = 60;
    let mut net = Net::new(n, cfg.clone(), 9);
    net.run_for(Duration::from_secs(45));
    let most = net
        .nodes
        .iter()
        .map(|node| node.peer_count())
        .max()
        .unwrap_or(0);
    assert!(
        most < n - 1,
        "tables are partial ({most} peers at most), so lookups must route"
    );

    let mut dats = Vec::new();
    for r in 0..6 {
        let dat = make_dat(&key(90, r), b"k", b"v", net.now.as_millis(), cfg.min_work);
        let writer = (r * 11) % n;
        net.nodes[writer].put(net.now, dat.clone()).unwrap();
        net.flush(writer);
        dats.push(dat);
    }
    net.run_for(Duration::from_secs(6));
    for dat in &dats {
        let record = dat.record_id();
        let mut by_distance: Vec<(u64, usize)> = (0..n)
            .map(|i| (record.distance(net.nodes[i].node_id()), i))
            .collect();
        by_distance.sort();
        for &(_, i) in by_distance.iter().take(cfg.replicas) {
            assert!(
                net.nodes[i].holds(record),
                "node {i}, among the {} closest, lacks {record:?}",
                cfg.replicas
            );
        }
    }

    let mut asked = 0;
    for i in (0..n).step_by(4) {
        for dat in &dats {
            net.nodes[i].get(net.now, dat.pubkey, b"k").unwrap();
            net.flush(i);
            asked += 1;
        }
    }
    net.run_for(Duration::from_secs(6));
    let reports: Vec<_> = net
        .events
        .iter()
        .flatten()
        .filter_map(|(_, e)| match e {
            Event::LookupFinished(r) if r.kind == LookupKind::Get => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(reports.len(), asked);
    assert!(
        reports.iter().all(|r| r.end == LookupEnd::Found),
        "{:?}",
        reports.iter().find(|r| r.end != LookupEnd::Found)
    );
    assert!(
        reports.iter().any(|r| r.hops >= 2),
        "some reads need more than one hop"
    );
}

/// The writer keeps its own copy (§8): when every PUT datagram of a write is lost, the writer's
/// storage challenges find a replica empty-handed and re-propagate the record, so it is still
/// replicated and found. Before the writer kept its copy, such a record was gone.
#[test]
fn a_write_whose_every_put_is_lost_is_still_replicated_and_found() {
    let cfg = test_config();
    let n = 40;
    let mut net = Net::new(n, cfg.clone(), 13);
    net.run_for(Duration::from_secs(45));
    let dat = make_dat(
        &key(91, 0),
        b"lost",
        b"v",
        net.now.as_millis(),
        cfg.min_work,
    );
    let record = dat.record_id();
    let mut by_distance: Vec<(u64, usize)> = (0..n)
        .map(|i| (record.distance(net.nodes[i].node_id()), i))
        .collect();
    by_distance.sort();
    // A writer that is not among the closest, so only its own copy can survive the loss.
    let writer = by_distance[n - 1].1;
    let writer_addr = net.addrs[writer];
    net.filter = Some(Box::new(move |d| {
        !(d.from == writer_addr && d.bytes[0] == 2)
    }));
    net.nodes[writer].put(net.now, dat.clone()).unwrap();
    net.flush(writer);
    net.run_for(Duration::from_secs(5));
    assert!(net.nodes[writer].holds(record), "the writer keeps its copy");
    assert!(
        by_distance[..cfg.replicas]
            .iter()
            .all(|&(_, i)| !net.nodes[i].holds(record)),
        "every PUT was lost"
    );
    // The loss ends. The writer's first challenge of a replica fails and re-propagates the
    // record to the closest reliable peers the writer knows; challenges of those pass.
    net.filter = None;
    let others = |net: &Net| {
        (0..n)
            .filter(|&i| i != writer && net.nodes[i].holds(record))
            .count()
    };
    let replicated = net.run_until(Duration::from_secs(60), |net| others(net) >= cfg.replicas);
    assert!(replicated, "{} replicas besides the writer", others(&net));
    let failed = net.events[writer]
        .iter()
        .filter(|(_, e)| matches!(e, Event::ChallengeFailed { record: r, .. } if *r == record))
        .count();
    assert!(
        failed >= 1,
        "a challenge found a replica without the record"
    );
    let reader = by_distance[n / 2].1;
    let get = net.nodes[reader].get(net.now, dat.pubkey, b"lost").unwrap();
    net.flush(reader);
    net.run_for(Duration::from_secs(5));
    let found = net.events[reader]
        .iter()
        .any(|(_, e)| matches!(e, Event::LookupFinished(r) if r.id == get && r.found.is_some()));
    assert!(found, "a reader finds the record");
}
