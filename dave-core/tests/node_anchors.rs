//! Anchors (§5): a node announces its longest-proven active peers, and a node restarted from
//! them has them verified again within a round trip instead of rebuilding from its edges.

mod harness;

use std::sync::Arc;
use std::time::Duration;

use dave_core::crypto::DirectCrypto;
use dave_core::event::Event;
use dave_core::node::Node;
use dave_core::peers::PeerState;
use harness::{Net, key, test_config};

#[test]
fn a_restart_from_anchors_has_its_proven_peers_back_at_once() {
    let cfg = test_config();
    let mut net = Net::new(16, cfg.clone(), 9);
    net.run_for(Duration::from_secs(150));
    let victim = 5;
    let announced: Vec<Vec<std::net::SocketAddr>> = net.events[victim]
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Anchors(a) => Some(a.clone()),
            _ => None,
        })
        .collect();
    let anchors = announced.last().expect("anchors announced").clone();
    assert!(anchors.len() >= 4, "{anchors:?}");
    assert!(anchors.len() <= cfg.anchors);
    assert!(
        !anchors.contains(&net.addrs[0]),
        "the edge is not an anchor"
    );
    let verified_of = |n: &Node| {
        n.peers()
            .filter(|p| p.state != PeerState::Candidate && !p.is_edge)
            .count()
    };
    // Restart with the same key and no edges: only the anchors can bring peers back.
    let mut seed = [3u8; 32];
    seed[0] = 77;
    let mut restarted = Node::new(
        cfg.clone(),
        key(9, victim),
        Vec::new(),
        seed,
        Arc::new(DirectCrypto),
        net.now,
    );
    restarted.restore_anchors(net.now, anchors.iter().copied());
    net.nodes[victim] = restarted;
    net.flush(victim);
    net.run_for(Duration::from_millis(500));
    assert!(
        verified_of(&net.nodes[victim]) >= anchors.len(),
        "{} of {} anchors verified again",
        verified_of(&net.nodes[victim]),
        anchors.len()
    );
}
