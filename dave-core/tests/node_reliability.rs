//! Storage challenges over a network with a node that drops what it is given (§9).

mod harness;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use dave_core::event::Event;
use harness::{Net, key, make_dat, test_config};

#[test]
fn a_node_that_drops_records_loses_its_standing_and_its_records_move() {
    // Re-propagation every minute so that the test sees several sweeps in five minutes.
    let cfg = dave_core::config::Config {
        republish_every: Duration::from_secs(60),
        ..test_config()
    };
    let mut net = Net::new(12, cfg.clone(), 4);
    let liar = 3;
    let liar_addr = net.addrs[liar];
    // The liar never keeps a record: every PUT to it is lost. The log notes who still pushes.
    let puts_to_liar: Rc<RefCell<Vec<(std::net::SocketAddr, u64)>>> = Rc::default();
    let log = puts_to_liar.clone();
    let clock = Rc::new(RefCell::new(0u64));
    let clock_in = clock.clone();
    net.filter = Some(Box::new(move |d| {
        if d.to == liar_addr && d.bytes.first() == Some(&2) {
            log.borrow_mut().push((d.from, *clock_in.borrow()));
            return false;
        }
        true
    }));
    net.run_for(Duration::from_secs(30));

    let mut records = Vec::new();
    for r in 0..24usize {
        let writer = (r * 5) % 12;
        if writer == liar {
            continue;
        }
        let dat = make_dat(
            &key(50, r),
            format!("rec{r}").as_bytes(),
            b"payload",
            net.now.as_millis(),
            cfg.min_work,
        );
        net.nodes[writer].put(net.now, dat.clone()).unwrap();
        net.flush(writer);
        records.push(dat);
    }
    // When each node first scored the liar below RELIABILITY_MIN.
    let mut flagged_at = [None; 12];
    for _ in 0..60 {
        net.run_for(Duration::from_secs(5));
        *clock.borrow_mut() = net.now.as_millis();
        for (i, n) in net.nodes.iter().enumerate() {
            let low = n
                .peers()
                .any(|p| p.addr == liar_addr && p.reliability < cfg.reliability_min);
            if i != liar && low && flagged_at[i].is_none() {
                flagged_at[i] = Some(net.now.as_millis());
            }
        }
    }
    let failures: usize = (0..12)
        .map(|i| {
            net.events_of(
                i,
                |e| matches!(e, Event::ChallengeFailed { addr, .. } if *addr == liar_addr),
            )
            .count()
        })
        .sum();
    let passes: usize = (0..12)
        .map(|i| {
            net.events_of(i, |e| matches!(e, Event::ChallengePassed { .. }))
                .count()
        })
        .sum();
    assert!(failures >= 2, "the liar failed {failures} challenges");
    assert!(
        passes > failures,
        "honest nodes pass their challenges: {passes} passes, {failures} failures"
    );
    assert!(
        flagged_at.iter().any(Option::is_some),
        "some node scores the liar below RELIABILITY_MIN"
    );

    // Nodes that rank the liar below the minimum stop pushing records to it (the log's clock
    // ticks every 5 s, hence the margin).
    for (i, flagged) in flagged_at.iter().enumerate() {
        if let Some(at) = flagged {
            let late_pushes = puts_to_liar
                .borrow()
                .iter()
                .filter(|(from, t)| *from == net.addrs[i] && *t > at + 5_000)
                .count();
            assert_eq!(late_pushes, 0, "node {i} still pushes to the liar");
        }
    }
    // Every record sits on at least REPLICAS honest nodes.
    for dat in &records {
        let honest = (0..12)
            .filter(|&i| i != liar && net.nodes[i].holds(dat.record_id()))
            .count();
        assert!(
            honest >= cfg.replicas,
            "record {:?} held by {honest} honest nodes",
            dat.record_id()
        );
    }
    assert_eq!(net.nodes[liar].record_count(), 0);
}

#[test]
fn with_challenges_off_no_challenge_is_sent_and_scores_stay_at_the_prior() {
    let cfg = dave_core::config::Config {
        challenges: false,
        ..test_config()
    };
    let mut net = Net::new(8, cfg.clone(), 4);
    net.run_for(Duration::from_secs(30));
    for r in 0..8usize {
        let dat = make_dat(
            &key(51, r),
            format!("rec{r}").as_bytes(),
            b"payload",
            net.now.as_millis(),
            cfg.min_work,
        );
        net.nodes[r].put(net.now, dat).unwrap();
        net.flush(r);
    }
    net.run_for(Duration::from_secs(120));
    let challenge_events = net
        .events
        .iter()
        .flatten()
        .filter(|(_, e)| {
            matches!(
                e,
                Event::ChallengePassed { .. } | Event::ChallengeFailed { .. }
            )
        })
        .count();
    assert_eq!(challenge_events, 0);
    assert!(
        net.nodes
            .iter()
            .flat_map(|n| n.peers())
            .all(|p| !p.challenged && p.reliability == 0.5)
    );
}
