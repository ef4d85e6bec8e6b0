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

/// Issue 10's acceptance: a read-only client reading through a node that joined ten seconds ago
/// finds every record written before it joined — here records that the newcomer is the closest
/// node to, so that it holds none of them when asked and must refer the asker onwards.
#[test]
fn a_get_through_a_node_started_ten_seconds_ago_finds_every_earlier_record() {
    use std::sync::Arc;

    use dave_core::config::Config;
    use dave_core::crypto::DirectCrypto;
    use dave_core::id::{NodeId, RecordId};
    use dave_core::node::Node;

    let cfg = test_config();
    let mut net = Net::new(4, cfg.clone(), 3);
    net.run_for(Duration::from_secs(30));
    let newcomer_key = key(3, 4);
    let newcomer_id = NodeId::from_public_key(&newcomer_key.verifying_key().to_bytes());
    let ids: Vec<NodeId> = net.nodes.iter().map(|n| n.node_id()).collect();
    let owner = key(98, 0);
    let pubkey = owner.verifying_key().to_bytes();
    let keys: Vec<Vec<u8>> = (0u32..)
        .map(|i| i.to_le_bytes().to_vec())
        .filter(|k| {
            let r = RecordId::of(&pubkey, k);
            ids.iter()
                .all(|&id| r.distance(newcomer_id) < r.distance(id))
        })
        .take(8)
        .collect();
    for (i, k) in keys.iter().enumerate() {
        let dat = make_dat(&owner, k, b"before", net.now.as_millis(), cfg.min_work);
        net.nodes[i % 4].put(net.now, dat).unwrap();
        net.flush(i % 4);
    }
    net.run_for(Duration::from_secs(10));

    let newcomer = Node::new(
        cfg.clone(),
        newcomer_key,
        vec![harness::node_addr(0)],
        [4; 32],
        Arc::new(DirectCrypto),
        net.now,
    );
    let n5 = net.add(newcomer, harness::node_addr(4));
    net.flush(n5);
    net.run_for(Duration::from_secs(10));

    let client_cfg = Config {
        read_only: true,
        ..cfg
    };
    let client = Node::new(
        client_cfg,
        key(97, 0),
        vec![harness::node_addr(4)],
        [5; 32],
        Arc::new(DirectCrypto),
        net.now,
    );
    let c = net.add(client, harness::node_addr(5));
    net.flush(c);
    // As `dave-node get` does: look up as soon as the edge has answered.
    let edge_verified = net.run_until(Duration::from_secs(1), |net| {
        net.nodes[c]
            .peers()
            .any(|p| p.is_edge && p.state != PeerState::Candidate)
    });
    assert!(edge_verified);
    let lookups: Vec<_> = keys
        .iter()
        .map(|k| net.nodes[c].get(net.now, pubkey, k).unwrap())
        .collect();
    net.flush(c);
    net.run_for(Duration::from_secs(6));
    let found = lookups
        .iter()
        .filter(|&&id| {
            net.events_of(c, |e| {
                matches!(e, Event::LookupFinished(r) if r.id == id && r.end == LookupEnd::Found)
            })
            .next()
            .is_some()
        })
        .count();
    assert_eq!(found, keys.len(), "found {found} of {}", keys.len());
    // The client stayed out of every table.
    for i in 0..5 {
        assert!(
            net.nodes[i]
                .peers()
                .all(|p| p.addr != harness::node_addr(5)),
            "node {i} took the read-only client in"
        );
    }
}
