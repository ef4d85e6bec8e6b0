//! Whole-network behaviour over the in-memory harness: bootstrap, PUT/GET, determinism.

mod harness;

use std::time::Duration;

use dave_core::event::{Event, LookupEnd, LookupKind};
use dave_core::peers::PeerState;
use harness::{Net, key, make_dat, test_config};

#[test]
fn twenty_nodes_bootstrap_from_one_edge() {
    let mut net = Net::new(20, test_config(), 1);
    net.run_for(Duration::from_secs(40));
    for (i, node) in net.nodes.iter().enumerate() {
        let active = node
            .peers()
            .filter(|p| p.state == PeerState::Active)
            .count();
        assert!(active >= 8, "node {i} has only {active} active peers");
        assert!(node.address().is_some(), "node {i} adopted no address");
        assert_eq!(node.address(), Some(net.addrs[i]));
    }
}

#[test]
fn a_put_is_readable_from_every_node() {
    let cfg = test_config();
    let mut net = Net::new(20, cfg.clone(), 2);
    net.run_for(Duration::from_secs(30));
    let owner = key(99, 0);
    let dat = make_dat(
        &owner,
        b"greeting",
        b"hello dave",
        net.now.as_millis(),
        cfg.min_work,
    );
    let put = net.nodes[5].put(net.now, dat.clone()).unwrap();
    net.flush(5);
    net.run_for(Duration::from_secs(6));
    let report = net
        .events_of(5, |e| matches!(e, Event::LookupFinished(r) if r.id == put))
        .next()
        .cloned();
    let Some(Event::LookupFinished(report)) = report else {
        panic!("PUT lookup did not finish")
    };
    assert_eq!(report.kind, LookupKind::Put);
    assert!(report.replicas >= 4, "{report:?}");
    let holders = net
        .nodes
        .iter()
        .filter(|n| n.holds(dat.record_id()))
        .count();
    assert!(holders >= 4, "only {holders} nodes hold the record");

    for i in 0..net.nodes.len() {
        let id = net.nodes[i].get(net.now, dat.pubkey, b"greeting").unwrap();
        net.flush(i);
        net.run_for(Duration::from_secs(6));
        let found = net
            .events_of(i, |e| matches!(e, Event::LookupFinished(r) if r.id == id))
            .next();
        match found {
            Some(Event::LookupFinished(r)) => {
                assert_eq!(r.end, LookupEnd::Found, "node {i}: {r:?}");
                assert_eq!(r.found.as_ref(), Some(&dat));
            }
            other => panic!("node {i}: GET did not finish: {other:?}"),
        }
    }
}

#[test]
fn same_inputs_give_identical_outputs() {
    let run = || {
        let cfg = test_config();
        let mut net = Net::new(12, cfg.clone(), 3);
        net.run_for(Duration::from_secs(20));
        let dat = make_dat(&key(98, 0), b"k", b"v", net.now.as_millis(), cfg.min_work);
        net.nodes[3].put(net.now, dat).unwrap();
        net.flush(3);
        net.run_for(Duration::from_secs(30));
        let events: Vec<String> = net
            .events
            .iter()
            .flatten()
            .map(|e| format!("{e:?}"))
            .collect();
        (net.transcript.clone(), events)
    };
    let (t1, e1) = run();
    let (t2, e2) = run();
    assert!(t1.len() > 1000, "a real run: {} datagrams", t1.len());
    assert_eq!(t1, t2);
    assert_eq!(e1, e2);
}
