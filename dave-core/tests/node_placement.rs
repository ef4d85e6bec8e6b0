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
