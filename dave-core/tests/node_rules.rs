//! The rules of §5–§8 one at a time, on a single node driven by hand with fake peers whose
//! answers the test writes (and forges).

mod harness;

use std::net::SocketAddr;
use std::time::Duration;

use dave_core::config::Config;
use dave_core::event::{Event, LookupEnd, RejectKind};
use dave_core::peers::PeerState;
use dave_core::wire::{AddrList, GetAck, Message, PingKind};
use harness::{FakePeer, Solo, encode, key, make_dat, ping, test_config};

fn fake(i: usize) -> FakePeer {
    FakePeer::new(key(120, i), SocketAddr::from(([20, 0, i as u8, 1], 3000)))
}

/// Answers every PING the node sent to one of `peers` (each with its own key).
fn answer_pings(solo: &mut Solo, peers: &[&FakePeer]) {
    for p in peers {
        for bytes in solo.take_sent_to(p.addr) {
            if let Some(pong) = p.pong_for(&bytes, &p.key, &[]) {
                solo.deliver(p.addr, &pong);
            }
        }
    }
}

/// Makes `p` a verified, then active, peer of the node.
fn join(solo: &mut Solo, peers: &[&FakePeer]) {
    for p in peers {
        solo.deliver(p.addr, &ping(PingKind::Auth, 160));
    }
    answer_pings(solo, peers);
    for _ in 0..3 {
        solo.advance(Duration::from_secs(5));
        answer_pings(solo, peers);
    }
}

fn state_of(solo: &Solo, addr: SocketAddr) -> Option<PeerState> {
    solo.node.peers().find(|p| p.addr == addr).map(|p| p.state)
}

#[test]
fn a_forged_pong_does_not_cancel_the_genuine_one() {
    let edge = fake(1);
    let mut solo = Solo::new(test_config(), vec![edge.addr]);
    solo.advance(Duration::ZERO);
    let pings = solo.take_sent_to(edge.addr);
    assert_eq!(pings.len(), 1);
    assert_eq!(pings[0].len(), 160, "first contact is padded");
    let ping = &pings[0];
    // Wrong nonce.
    let mut wrong = edge.pong_for(ping, &edge.key, &[]).unwrap();
    wrong[2] ^= 1;
    solo.deliver(edge.addr, &wrong);
    assert_eq!(solo.rejected(RejectKind::UnexpectedPong), 1);
    // Right nonce, the edge's key, someone else's signature.
    let mut forged = edge.pong_for(ping, &key(121, 0), &[]).unwrap();
    forged[2 + 32 + 16..2 + 32 + 16 + 32].copy_from_slice(&edge.public_key());
    solo.deliver(edge.addr, &forged);
    assert_eq!(solo.rejected(RejectKind::BadPongSignature), 1);
    // A forged answer from another address with the right nonce.
    let genuine = edge.pong_for(ping, &edge.key, &[]).unwrap();
    solo.deliver(fake(2).addr, &genuine);
    assert_eq!(solo.rejected(RejectKind::UnexpectedPong), 2);
    // The genuine answer still counts, once.
    solo.deliver(edge.addr, &genuine);
    assert!(
        solo.events
            .iter()
            .any(|e| matches!(e, Event::PeerAdded { edge: true, .. }))
    );
    assert_eq!(state_of(&solo, edge.addr), Some(PeerState::Verified));
    solo.deliver(edge.addr, &genuine);
    assert_eq!(
        solo.rejected(RejectKind::UnexpectedPong),
        3,
        "a nonce is consumed by its answer"
    );
}

#[test]
fn a_pinned_key_cannot_change_and_kinds_must_match() {
    let cfg = Config {
        reauth_every: Duration::from_secs(4),
        ..test_config()
    };
    let edge = fake(1);
    let mut solo = Solo::new(cfg, vec![edge.addr]);
    solo.advance(Duration::ZERO);
    answer_pings(&mut solo, &[&edge]);
    solo.advance(Duration::from_secs(5));
    // The last PING (the self-lookup's GETs to the silent edge are interleaved).
    let ping = solo
        .take_sent_to(edge.addr)
        .into_iter()
        .rfind(|d| matches!(Message::decode(d), Ok(Message::Ping { .. })))
        .unwrap();
    let impostor = edge.pong_for(&ping, &key(122, 0), &[]).unwrap();
    solo.deliver(edge.addr, &impostor);
    assert_eq!(solo.rejected(RejectKind::PinnedKeyMismatch), 1);
    // A LIVE pong to an AUTH ping is no answer either.
    let Ok(Message::Ping { nonce, .. }) = Message::decode(&ping) else {
        panic!()
    };
    let live = encode(&Message::Pong(dave_core::wire::Pong {
        kind: PingKind::Live,
        nonce,
        auth: None,
    }));
    solo.deliver(edge.addr, &live);
    assert_eq!(solo.rejected(RejectKind::UnexpectedPong), 1);
    let genuine = edge.pong_for(&ping, &edge.key, &[]).unwrap();
    solo.deliver(edge.addr, &genuine);
    assert_eq!(solo.node.rejections().total(), 2);
    assert_eq!(
        solo.node
            .peers()
            .find(|p| p.addr == edge.addr)
            .unwrap()
            .node_id,
        Some(dave_core::id::NodeId::from_public_key(&edge.public_key()))
    );
}

#[test]
fn peers_activate_deactivate_and_silent_ones_drop_but_edges_stay() {
    let edge = fake(1);
    let peer = fake(2);
    let mut solo = Solo::new(test_config(), vec![edge.addr]);
    solo.advance(Duration::ZERO);
    join(&mut solo, &[&edge, &peer]);
    assert_eq!(state_of(&solo, edge.addr), Some(PeerState::Active));
    assert_eq!(state_of(&solo, peer.addr), Some(PeerState::Active));
    // Both fall silent.
    solo.advance(Duration::from_secs(25));
    assert!(
        solo.events
            .iter()
            .any(|e| matches!(e, Event::PeerDeactivated { addr, .. } if *addr == peer.addr))
    );
    assert_eq!(state_of(&solo, peer.addr), Some(PeerState::Verified));
    solo.advance(Duration::from_secs(60));
    assert!(
        solo.events
            .iter()
            .any(|e| matches!(e, Event::PeerDropped { addr, .. } if *addr == peer.addr))
    );
    assert_eq!(state_of(&solo, peer.addr), None);
    // The edge stays, but silent for DROP_AFTER its key is released: restarted with a new key,
    // it is admitted again.
    assert_eq!(
        state_of(&solo, edge.addr),
        Some(PeerState::Candidate),
        "edges are never dropped"
    );
    let reborn = FakePeer::new(key(127, 0), edge.addr);
    solo.sent.clear();
    solo.advance(Duration::from_secs(5));
    answer_pings(&mut solo, &[&reborn]);
    let new_id = dave_core::id::NodeId::from_public_key(&reborn.public_key());
    assert!(
        solo.events.iter().any(
            |e| matches!(e, Event::PeerAdded { node_id, edge: true, .. } if *node_id == new_id)
        )
    );
    assert_eq!(state_of(&solo, edge.addr), Some(PeerState::Verified));
}

#[test]
fn lookups_count_answers_only_from_asked_addresses_once() {
    let cfg = test_config();
    let peers: Vec<FakePeer> = (1..=3).map(fake).collect();
    let refs: Vec<&FakePeer> = peers.iter().collect();
    let mut solo = Solo::new(cfg.clone(), vec![]);
    join(&mut solo, &refs);
    solo.sent.clear();
    let owner = key(123, 0);
    let dat = make_dat(
        &owner,
        b"wanted",
        b"value",
        solo.now.as_millis(),
        cfg.min_work,
    );
    let id = solo.node.get(solo.now, dat.pubkey, b"wanted").unwrap();
    solo.drain();
    let asked: Vec<SocketAddr> = solo.sent.iter().map(|d| d.to).collect();
    assert_eq!(asked.len(), 3, "ALPHA queries in flight");
    let not_found = encode(&Message::GetAck(GetAck::NotFound {
        pubkey: dat.pubkey,
        key: b"wanted",
        referrals: AddrList::EMPTY,
    }));
    solo.deliver(fake(9).addr, &not_found);
    assert_eq!(solo.rejected(RejectKind::UnexpectedGetAck), 1);
    solo.deliver(asked[0], &not_found);
    solo.deliver(asked[0], &not_found);
    assert_eq!(solo.rejected(RejectKind::DuplicateAnswer), 1);
    // A found answer for another record, and an invalid one, do not end the lookup.
    let other = make_dat(
        &owner,
        b"other",
        b"value",
        solo.now.as_millis(),
        cfg.min_work,
    );
    solo.deliver(
        asked[1],
        &encode(&Message::GetAck(GetAck::Found(other.as_ref()))),
    );
    assert_eq!(solo.rejected(RejectKind::UnexpectedGetAck), 2);
    let mut bad = dat.clone();
    bad.val = b"forged".to_vec();
    solo.deliver(
        asked[1],
        &encode(&Message::GetAck(GetAck::Found(bad.as_ref()))),
    );
    assert_eq!(solo.rejected(RejectKind::InvalidRecord), 1);
    assert!(
        !solo
            .events
            .iter()
            .any(|e| matches!(e, Event::LookupFinished(r) if r.id == id))
    );
    solo.deliver(
        asked[2],
        &encode(&Message::GetAck(GetAck::Found(dat.as_ref()))),
    );
    let report = solo.events.iter().find_map(|e| match e {
        Event::LookupFinished(r) if r.id == id => Some(r.clone()),
        _ => None,
    });
    let report = report.expect("lookup finished");
    assert_eq!(report.end, LookupEnd::Found);
    assert_eq!(report.found, Some(dat));
    assert_eq!(report.hops, 1);
    assert_eq!(report.queries, 3);
}

#[test]
fn a_lookup_follows_referrals_and_a_put_never_targets_referral_only_addresses() {
    let cfg = Config {
        alpha: 1,
        replicas: 2,
        ..test_config()
    };
    let near = fake(1);
    let mut solo = Solo::new(cfg.clone(), vec![]);
    join(&mut solo, &[&near]);
    solo.sent.clear();
    let dat = make_dat(&key(124, 0), b"w", b"v", solo.now.as_millis(), cfg.min_work);
    let id = solo.node.put(solo.now, dat.clone()).unwrap();
    solo.drain();
    // The only peer refers to an address that never identifies itself (a would-be victim).
    let victim = SocketAddr::from(([99, 9, 9, 9], 9));
    let refer = [victim];
    let ack = encode(&Message::GetAck(GetAck::NotFound {
        pubkey: dat.pubkey,
        key: b"w",
        referrals: AddrList::Addrs(&refer),
    }));
    solo.deliver(near.addr, &ack);
    let to_victim = solo.take_sent_to(victim);
    assert!(
        to_victim.iter().any(|b| b[0] == 3 && b.len() == 480),
        "a GET to a non-peer is padded"
    );
    assert!(
        to_victim.iter().any(|b| b[0] == 0 && b.len() == 160),
        "a referral is pinged as a padded candidate"
    );
    solo.advance(Duration::from_secs(6));
    let report = solo.events.iter().find_map(|e| match e {
        Event::LookupFinished(r) if r.id == id => Some(r.clone()),
        _ => None,
    });
    let report = report.expect("PUT lookup finished");
    assert_eq!(report.replicas, 1, "{report:?}");
    assert!(
        solo.take_sent_to(victim).iter().all(|b| b[0] != 2),
        "no PUT to the referral"
    );
    assert!(
        solo.take_sent_to(near.addr).iter().any(|b| b[0] == 2),
        "PUT to the peer that answered"
    );
}

#[test]
fn own_address_is_adopted_from_an_edge_then_dropped_and_never_added() {
    let edge = fake(1);
    let mut solo = Solo::new(test_config(), vec![edge.addr]);
    solo.advance(Duration::ZERO);
    answer_pings(&mut solo, &[&edge]);
    solo.advance(Duration::from_secs(5));
    answer_pings(&mut solo, &[&edge]);
    let question = solo.take_sent_to(edge.addr);
    assert!(
        question.iter().any(|b| b == &[5]),
        "asks its edge for its address"
    );
    let own = Solo::addr();
    solo.deliver(edge.addr, &encode(&Message::GetMyAddrPortAck(own)));
    assert_eq!(solo.node.address(), Some(own));
    // A second, unasked answer is refused.
    solo.deliver(
        edge.addr,
        &encode(&Message::GetMyAddrPortAck(SocketAddr::from((
            [1, 1, 1, 1],
            1,
        )))),
    );
    assert_eq!(solo.rejected(RejectKind::UnexpectedAddrAck), 1);
    solo.deliver(own, &encode(&Message::GetMyAddrPort));
    assert_eq!(solo.rejected(RejectKind::OwnAddress), 1);
    // An AUTH PONG sharing our own address does not make it a candidate.
    solo.advance(Duration::from_secs(300));
    for bytes in solo.take_sent_to(edge.addr) {
        if let Some(pong) = edge.pong_for(&bytes, &edge.key, &[own, fake(5).addr]) {
            solo.deliver(edge.addr, &pong);
        }
    }
    assert!(solo.node.peers().all(|p| p.addr != own));
    assert!(
        solo.node.peers().any(|p| p.addr == fake(5).addr),
        "other shared addresses are candidates"
    );
}

#[test]
fn getmyaddrport_is_answered_only_to_verified_peers() {
    let peer = fake(1);
    let mut solo = Solo::new(test_config(), vec![]);
    solo.deliver(peer.addr, &[5]);
    assert_eq!(solo.rejected(RejectKind::NotVerified), 1);
    assert!(solo.take_sent_to(peer.addr).is_empty());
    join(&mut solo, &[&peer]);
    solo.sent.clear();
    solo.deliver(peer.addr, &[5]);
    let answer = solo.take_sent_to(peer.addr);
    assert_eq!(answer, vec![encode(&Message::GetMyAddrPortAck(peer.addr))]);
}

#[test]
fn an_auth_pong_with_more_than_npeer_limit_addresses_is_rejected_whole() {
    let cfg = Config {
        npeer_limit: 2,
        ..test_config()
    };
    let edge = fake(1);
    let mut solo = Solo::new(cfg, vec![edge.addr]);
    solo.advance(Duration::ZERO);
    let ping = solo.take_sent_to(edge.addr).pop().unwrap();
    let three = [fake(5).addr, fake(6).addr, fake(7).addr];
    solo.deliver(edge.addr, &edge.pong_for(&ping, &edge.key, &three).unwrap());
    assert_eq!(solo.rejected(RejectKind::Malformed), 1);
    assert_eq!(solo.node.peers().count(), 1, "nothing added");
    solo.deliver(
        edge.addr,
        &edge.pong_for(&ping, &edge.key, &three[..2]).unwrap(),
    );
    assert_eq!(solo.node.peers().count(), 3);
}

#[test]
fn stores_emit_persist_and_restore_reverifies() {
    let cfg = test_config();
    let mut solo = Solo::new(cfg.clone(), vec![]);
    let now_ms = solo.now.as_millis();
    let good = make_dat(&key(125, 0), b"a", b"1", now_ms, cfg.min_work);
    let mut tampered = make_dat(&key(125, 1), b"b", b"2", now_ms, cfg.min_work);
    tampered.val = b"3".to_vec();
    let future = make_dat(&key(125, 2), b"c", b"4", now_ms + 60_000, cfg.min_work);
    let report = solo
        .node
        .restore(solo.now, vec![good.clone(), tampered, future, good.clone()]);
    assert_eq!((report.loaded, report.invalid, report.refused), (1, 2, 1));
    solo.drain();
    assert!(
        !solo.events.iter().any(|e| matches!(e, Event::Persist(_))),
        "restoring does not re-log"
    );
    assert!(solo.node.holds(good.record_id()));
    // A PUT received from the network is verified, stored and logged.
    let newer = make_dat(&key(125, 0), b"a", b"5", now_ms + 1, cfg.min_work);
    solo.deliver(fake(1).addr, &encode(&Message::Put(newer.as_ref())));
    assert!(
        solo.events
            .iter()
            .any(|e| matches!(e, Event::RecordStored { replaced: true, .. }))
    );
    assert!(
        solo.events
            .iter()
            .any(|e| e == &Event::Persist(newer.clone()))
    );
    assert_eq!(solo.node.records().next(), Some(&newer));
    // The older version again is refused as stale without a signature check.
    solo.deliver(fake(1).addr, &encode(&Message::Put(good.as_ref())));
    assert!(
        solo.events
            .iter()
            .any(|e| matches!(e, Event::RecordRefused { .. }))
    );
    assert_eq!(solo.node.records().next(), Some(&newer));
}

#[test]
fn records_expire_and_are_forgotten() {
    let cfg = Config {
        ttl: Duration::from_secs(3600),
        ..test_config()
    };
    let mut solo = Solo::new(cfg.clone(), vec![]);
    let dat = make_dat(&key(126, 0), b"a", b"1", solo.now.as_millis(), cfg.min_work);
    let id = dat.record_id();
    solo.deliver(fake(1).addr, &encode(&Message::Put(dat.as_ref())));
    assert!(solo.node.holds(id));
    solo.advance(Duration::from_secs(3601));
    assert!(!solo.node.holds(id));
    assert!(solo.events.contains(&Event::Forget(id)));
    assert_eq!(solo.node.stored_bytes(), 0);
}

/// Fake peers whose NodeIds all fall in bucket 63 of the Solo node.
fn same_bucket_peers(n: usize) -> Vec<FakePeer> {
    let own = harness::key(200, 0).verifying_key().to_bytes();
    let own_id = dave_core::id::NodeId::from_public_key(&own);
    (0..)
        .map(|i| FakePeer::new(key(128, i), SocketAddr::from(([21, 0, i as u8, 1], 3000))))
        .filter(|p| {
            own_id.bucket_index(dave_core::id::NodeId::from_public_key(&p.public_key())) == Some(63)
        })
        .take(n)
        .collect()
}

#[test]
fn a_full_bucket_tests_its_incumbent_before_evicting_it() {
    let cfg = Config {
        k: 1,
        ..test_config()
    };
    let peers = same_bucket_peers(3);
    let (incumbent, patient, usurper) = (&peers[0], &peers[1], &peers[2]);
    let mut solo = Solo::new(cfg, vec![]);
    join(&mut solo, &[incumbent]);
    // A newcomer for the full bucket: the incumbent is pinged, answers, and stays.
    solo.sent.clear();
    solo.deliver(patient.addr, &ping(PingKind::Auth, 160));
    answer_pings(&mut solo, &[patient, incumbent]);
    for _ in 0..4 {
        solo.advance(Duration::from_secs(4));
        answer_pings(&mut solo, &[patient, incumbent]);
    }
    assert!(
        solo.events
            .iter()
            .all(|e| !matches!(e, Event::PeerEvicted { .. }))
    );
    assert_eq!(state_of(&solo, incumbent.addr), Some(PeerState::Active));
    assert_eq!(
        state_of(&solo, patient.addr),
        None,
        "a live incumbent is not displaced"
    );
    // Another newcomer while the incumbent falls silent: after DEACTIVATE_AFTER it is evicted.
    solo.deliver(usurper.addr, &ping(PingKind::Auth, 160));
    answer_pings(&mut solo, &[usurper]);
    solo.take_sent_to(incumbent.addr);
    solo.advance(Duration::from_secs(16));
    assert!(
        solo.events
            .iter()
            .any(|e| matches!(e, Event::PeerEvicted { addr, .. } if *addr == incumbent.addr))
    );
    assert_eq!(state_of(&solo, incumbent.addr), None);
    assert!(state_of(&solo, usurper.addr).is_some());
}

#[test]
fn storage_challenges_are_plain_gets_with_an_rtt_deadline() {
    let cfg = test_config();
    let holder = fake(1);
    let mut solo = Solo::new(cfg.clone(), vec![]);
    join(&mut solo, &[&holder]);
    // The holder pushes us a record: we now know it holds it.
    let dat = make_dat(
        &key(130, 0),
        b"kept",
        b"v",
        solo.now.as_millis(),
        cfg.min_work,
    );
    solo.deliver(holder.addr, &encode(&Message::Put(dat.as_ref())));
    assert!(solo.node.holds(dat.record_id()));
    // Every GET is padded to 480 bytes (§8), lookups' and challenges' alike.
    let plain_get = encode(&Message::Get {
        pubkey: dat.pubkey,
        key: b"kept",
        pad_to: 480,
    });
    let mut outcomes = Vec::new();
    for round in 0..3 {
        // Run to the next challenge, answering pings only.
        let mut challenge = None;
        for _ in 0..30 {
            solo.advance(Duration::from_millis(500));
            let gets: Vec<Vec<u8>> = solo
                .sent
                .iter()
                .filter(|d| d.to == holder.addr && d.bytes[0] == 3)
                .map(|d| d.bytes.clone())
                .collect();
            solo.sent
                .retain(|d| !(d.to == holder.addr && d.bytes[0] == 3));
            answer_pings(&mut solo, &[&holder]);
            if let Some(get) = gets.into_iter().next() {
                challenge = Some(get);
                break;
            }
        }
        let challenge = challenge.expect("a challenge within CHALLENGE_EVERY");
        assert_eq!(challenge, plain_get, "a challenge is byte-for-byte a GET");
        match round {
            0 => solo.deliver(
                holder.addr,
                &encode(&Message::GetAck(GetAck::Found(dat.as_ref()))),
            ),
            1 => solo.deliver(
                holder.addr,
                &encode(&Message::GetAck(GetAck::NotFound {
                    pubkey: dat.pubkey,
                    key: b"kept",
                    referrals: AddrList::EMPTY,
                })),
            ),
            // Silence: the deadline is 4 smoothed RTTs (this harness answers pings up to 500 ms
            // late, so at most 2 s) and at least CHALLENGE_MIN.
            _ => solo.advance(Duration::from_millis(2500)),
        }
        let last = solo.events.iter().rev().find_map(|e| match e {
            Event::ChallengePassed { reliability, .. } => Some(("passed", *reliability)),
            Event::ChallengeFailed {
                reason,
                reliability,
                ..
            } => Some((
                if *reason == dave_core::event::ChallengeFailure::Timeout {
                    "timeout"
                } else {
                    "failed"
                },
                *reliability,
            )),
            _ => None,
        });
        outcomes.push(last.expect("challenge concluded"));
    }
    assert_eq!(
        outcomes.iter().map(|o| o.0).collect::<Vec<_>>(),
        vec!["passed", "failed", "timeout"]
    );
    assert!(outcomes[0].1 > 0.5 && outcomes[1].1 < outcomes[0].1 && outcomes[2].1 < outcomes[1].1);
    let score = solo
        .node
        .peers()
        .find(|p| p.addr == holder.addr)
        .unwrap()
        .reliability;
    assert_eq!(
        score, outcomes[2].1,
        "the score is local and matches the events"
    );
}

/// Keeps `peers` alive (answering every ping) for `d` in one-second steps; returns the PUTs the
/// node sent meanwhile, as (to, record).
fn keep_alive(
    solo: &mut Solo,
    peers: &[&FakePeer],
    d: Duration,
) -> Vec<(SocketAddr, dave_core::dat::Dat)> {
    let mut puts = Vec::new();
    let step = Duration::from_secs(1);
    let mut left = d;
    while !left.is_zero() {
        let dt = left.min(step);
        solo.advance(dt);
        puts.extend(
            solo.sent
                .iter()
                .filter_map(|d| match Message::decode(&d.bytes) {
                    Ok(Message::Put(dat)) => Some((d.to, dat.to_owned_dat())),
                    _ => None,
                }),
        );
        answer_pings(solo, peers);
        solo.sent.retain(|d| d.bytes[0] != 2);
        left -= dt;
    }
    puts
}

#[test]
fn an_older_version_does_not_mark_its_sender_and_a_new_version_is_pushed_to_everyone_again() {
    // The fake peers do not answer challenges, whose failures would re-push (§9): off here.
    let cfg = Config {
        republish_every: Duration::from_secs(30),
        challenges: false,
        ..test_config()
    };
    let (a, b) = (fake(1), fake(2));
    let mut solo = Solo::new(cfg.clone(), vec![]);
    join(&mut solo, &[&a, &b]);
    let owner = key(126, 0);
    let now_ms = solo.now.as_millis();
    let v1 = make_dat(&owner, b"k", b"1", now_ms, cfg.min_work);
    let v2 = make_dat(&owner, b"k", b"2", now_ms + 1, cfg.min_work);
    let record = v1.record_id();
    let id_of = |p: &FakePeer| dave_core::id::NodeId::from_public_key(&p.public_key());
    // A sends v1 (so A holds v1), then v2 arrives from B: A does not hold v2.
    solo.deliver(a.addr, &encode(&Message::Put(v1.as_ref())));
    solo.deliver(b.addr, &encode(&Message::Put(v2.as_ref())));
    let pushed = solo.node.store().get(record).unwrap().pushed().to_vec();
    assert_eq!(pushed, vec![id_of(&b)], "v2's holders are not v1's");
    // A sends v1 again: an older version does not make A a holder of ours.
    solo.deliver(a.addr, &encode(&Message::Put(v1.as_ref())));
    let pushed = solo.node.store().get(record).unwrap().pushed().to_vec();
    assert_eq!(pushed, vec![id_of(&b)], "an older PUT marks nobody");
    // So re-propagation brings v2 to A, and not back to B.
    solo.sent.clear();
    let puts = keep_alive(&mut solo, &[&a, &b], Duration::from_secs(31));
    assert_eq!(puts, vec![(a.addr, v2.clone())]);
}

#[test]
fn a_not_found_answer_refers_the_closest_peers_known_even_when_farther_than_the_answerer() {
    let cfg = test_config();
    let peers: Vec<FakePeer> = (1..=4).map(fake).collect();
    let refs: Vec<&FakePeer> = peers.iter().collect();
    let mut solo = Solo::new(cfg.clone(), vec![]);
    join(&mut solo, &refs);
    let own = solo.node.node_id();
    let ids: Vec<dave_core::id::NodeId> = peers
        .iter()
        .map(|p| dave_core::id::NodeId::from_public_key(&p.public_key()))
        .collect();
    // A record this node is closer to than every peer: the newcomer that holds nothing yet.
    let owner = key(127, 0).verifying_key().to_bytes();
    let key_bytes = (0u32..)
        .map(|i| i.to_le_bytes().to_vec())
        .find(|k| {
            let r = dave_core::id::RecordId::of(&owner, k);
            ids.iter().all(|&id| r.distance(own) < r.distance(id))
        })
        .unwrap();
    let asker = peers[0].addr;
    solo.sent.clear();
    let get = encode(&Message::Get {
        pubkey: owner,
        key: &key_bytes,
        pad_to: 0,
    });
    solo.deliver(asker, &get);
    let answers = solo.take_sent_to(asker);
    let referred: Vec<SocketAddr> = answers
        .iter()
        .find_map(|b| match Message::decode(b) {
            Ok(Message::GetAck(GetAck::NotFound { referrals, .. })) => {
                Some(referrals.iter().collect())
            }
            _ => None,
        })
        .expect("a not-found answer");
    let mut expected: Vec<SocketAddr> = peers[1..].iter().map(|p| p.addr).collect();
    expected.sort();
    let mut got = referred.clone();
    got.sort();
    assert_eq!(got, expected, "every other peer referred, never the asker");
}

#[test]
fn a_newly_activated_closer_peer_gets_the_records_at_once_and_paced() {
    // The fake peer does not answer challenges, whose failures would re-push (§9): off here.
    let cfg = Config {
        challenges: false,
        ..test_config()
    };
    let a = fake(1);
    let mut solo = Solo::new(cfg.clone(), vec![]);
    // 40 records: with a single peer, it is among the REPLICAS closest of every one.
    let now_ms = solo.now.as_millis();
    let records: Vec<dave_core::dat::Dat> = (0..40u32)
        .map(|i| make_dat(&key(128, i as usize), b"k", b"v", now_ms, cfg.min_work))
        .collect();
    let report = solo.node.restore(solo.now, records.clone());
    assert_eq!(report.loaded, 40);
    solo.deliver(a.addr, &ping(PingKind::Auth, 160));
    answer_pings(&mut solo, &[&a]);
    // Watch in 50 ms steps for 20 s, well before the first re-propagation (REPUBLISH_EVERY).
    let mut per_step = Vec::new();
    let mut handed = Vec::new();
    for _ in 0..400 {
        let puts = keep_alive_by(&mut solo, &[&a], Duration::from_millis(50));
        per_step.push(puts.len());
        handed.extend(puts.into_iter().map(|(to, d)| {
            assert_eq!(to, a.addr);
            d
        }));
    }
    assert_eq!(state_of(&solo, a.addr), Some(PeerState::Active));
    handed.sort_by_key(|d| d.record_id());
    let mut expected = records;
    expected.sort_by_key(|d| d.record_id());
    assert_eq!(handed, expected, "every record handed over once");
    let burst = per_step.iter().max().copied().unwrap_or(0);
    assert!(
        burst <= 16,
        "at most 16 PUTs per 100 ms step, saw {burst} in 50 ms"
    );
    assert!(
        per_step.iter().filter(|&&n| n > 0).count() >= 3,
        "the hand-over is spread over several steps: {per_step:?}"
    );
}

/// Like [`keep_alive`] with one step of `d`.
fn keep_alive_by(
    solo: &mut Solo,
    peers: &[&FakePeer],
    d: Duration,
) -> Vec<(SocketAddr, dave_core::dat::Dat)> {
    solo.advance(d);
    let puts = solo
        .sent
        .iter()
        .filter_map(|d| match Message::decode(&d.bytes) {
            Ok(Message::Put(dat)) => Some((d.to, dat.to_owned_dat())),
            _ => None,
        })
        .collect();
    answer_pings(solo, peers);
    solo.sent.retain(|d| d.bytes[0] != 2);
    puts
}

#[test]
fn a_read_only_pinger_is_answered_but_never_becomes_a_candidate_or_peer() {
    let mut solo = Solo::new(test_config(), vec![]);
    let client = fake(7);
    for kind in [PingKind::Auth, PingKind::Live] {
        let ping = encode(&Message::Ping {
            kind,
            nonce: [9; 32],
            read_only: true,
            pad_to: 160,
        });
        solo.deliver(client.addr, &ping);
        let answers = solo.take_sent_to(client.addr);
        assert_eq!(answers.len(), 1, "{kind:?}: one PONG and no PING back");
        assert_eq!(answers[0][0], 1, "{kind:?}: a PONG");
    }
    solo.advance(Duration::from_secs(30));
    assert_eq!(
        state_of(&solo, client.addr),
        None,
        "never a candidate or peer"
    );
    assert!(solo.take_sent_to(client.addr).is_empty());
    // The same PING without the flag makes a candidate that is pinged back.
    let ping = encode(&Message::Ping {
        kind: PingKind::Auth,
        nonce: [9; 32],
        read_only: false,
        pad_to: 160,
    });
    solo.deliver(client.addr, &ping);
    assert_eq!(solo.take_sent_to(client.addr).len(), 2);
}

#[test]
fn a_read_only_node_flags_and_pads_every_request_and_keeps_nothing() {
    let cfg = Config {
        read_only: true,
        ..test_config()
    };
    let edge = fake(1);
    let mut solo = Solo::new(cfg.clone(), vec![edge.addr]);
    for _ in 0..4 {
        solo.advance(Duration::from_secs(5));
        for bytes in solo.take_sent_to(edge.addr) {
            let Ok(Message::Ping {
                read_only, pad_to, ..
            }) = Message::decode(&bytes)
            else {
                continue;
            };
            assert!(read_only, "every PING flagged");
            assert_eq!(pad_to, 160, "every PING padded");
            if let Some(pong) = edge.pong_for(&bytes, &edge.key, &[]) {
                solo.deliver(edge.addr, &pong);
            }
        }
    }
    assert_eq!(state_of(&solo, edge.addr), Some(PeerState::Active));
    let dat = make_dat(&key(129, 0), b"w", b"v", solo.now.as_millis(), cfg.min_work);
    let id = solo.node.put(solo.now, dat.clone()).unwrap();
    solo.drain();
    let gets: Vec<Vec<u8>> = solo
        .take_sent_to(edge.addr)
        .into_iter()
        .filter(|b| b[0] == 3)
        .collect();
    assert_eq!(gets.len(), 1);
    assert_eq!(gets[0].len(), 480, "a GET to a verified peer is padded too");
    let ack = encode(&Message::GetAck(GetAck::NotFound {
        pubkey: dat.pubkey,
        key: b"w",
        referrals: AddrList::EMPTY,
    }));
    solo.deliver(edge.addr, &ack);
    let report = solo.events.iter().find_map(|e| match e {
        Event::LookupFinished(r) if r.id == id => Some(r.clone()),
        _ => None,
    });
    let report = report.expect("PUT lookup finished");
    assert!(!report.stored_locally, "a read-only node keeps nothing");
    assert!(!solo.node.holds(dat.record_id()));
    assert!(solo.take_sent_to(edge.addr).iter().any(|b| b[0] == 2));
}

#[test]
fn a_node_lookup_refers_the_peers_closest_to_its_id_and_the_join_aims_at_the_own_id() {
    use dave_core::id::{NODE_LOOKUP_KEY, NodeId};
    let peers: Vec<FakePeer> = (1..=8).map(fake).collect();
    let refs: Vec<&FakePeer> = peers.iter().collect();
    let mut solo = Solo::new(test_config(), vec![]);
    // The join's self-lookup, sent once the first peer is verified, is a node lookup of the
    // node's own id (§5, §8).
    let first = &peers[0];
    solo.deliver(first.addr, &ping(PingKind::Auth, 160));
    answer_pings(&mut solo, &[first]);
    solo.advance(Duration::from_millis(1));
    let own = solo.node.node_id();
    let aims_at_own_id = solo.take_sent_to(first.addr).iter().any(|b| {
        matches!(Message::decode(b), Ok(Message::Get { pubkey, key, .. })
            if pubkey == NODE_LOOKUP_KEY && key == own.0.to_le_bytes())
    });
    assert!(aims_at_own_id, "the join looks up the own id");
    join(&mut solo, &refs);

    let id_of = |p: &FakePeer| NodeId::from_public_key(&p.public_key());
    let target = id_of(&peers[7]).0 ^ 0xff;
    let asker = peers[0].addr;
    solo.sent.clear();
    let get = encode(&Message::Get {
        pubkey: NODE_LOOKUP_KEY,
        key: &target.to_le_bytes(),
        pad_to: 480,
    });
    solo.deliver(asker, &get);
    let referred: Vec<SocketAddr> = solo
        .take_sent_to(asker)
        .iter()
        .find_map(|b| match Message::decode(b) {
            Ok(Message::GetAck(GetAck::NotFound {
                pubkey,
                key,
                referrals,
            })) => {
                assert_eq!((pubkey, key), (NODE_LOOKUP_KEY, &target.to_le_bytes()[..]));
                Some(referrals.iter().collect())
            }
            _ => None,
        })
        .expect("a not-found answer");
    let mut others: Vec<&FakePeer> = peers[1..].iter().collect();
    others.sort_by_key(|p| id_of(p).0 ^ target);
    let expected: Vec<SocketAddr> = others.iter().take(5).map(|p| p.addr).collect();
    let mut got = referred;
    got.sort_by_key(|a| others.iter().position(|p| p.addr == *a));
    assert_eq!(
        got, expected,
        "the REFERRALS closest to the id, never the asker"
    );
}

#[test]
fn an_unanswered_handshake_ping_is_retried_when_the_candidate_pings_again() {
    let a = fake(1);
    let mut solo = Solo::new(test_config(), vec![]);
    let auth_pings_to_a = |solo: &mut Solo| {
        solo.take_sent_to(a.addr)
            .iter()
            .filter(|b| {
                matches!(
                    Message::decode(b),
                    Ok(Message::Ping {
                        kind: PingKind::Auth,
                        ..
                    })
                )
            })
            .count()
    };
    // A pings first; the node answers and pings back, and that ping's answer is lost.
    solo.deliver(a.addr, &ping(PingKind::Auth, 160));
    assert_eq!(auth_pings_to_a(&mut solo), 1, "pinged back at once");
    // A pings again within QUERY_TIMEOUT: the first ping may still be answered.
    solo.advance(Duration::from_millis(500));
    solo.deliver(a.addr, &ping(PingKind::Live, 0));
    assert_eq!(
        auth_pings_to_a(&mut solo),
        0,
        "no retry while an answer may come"
    );
    // Past QUERY_TIMEOUT the first is presumed lost: A's next ping brings a new one, which
    // fits the allowance A's 34 bytes left after the LIVE PONG.
    solo.advance(Duration::from_millis(700));
    solo.deliver(a.addr, &ping(PingKind::Live, 0));
    assert_eq!(auth_pings_to_a(&mut solo), 1, "retried");
    assert_eq!(state_of(&solo, a.addr), Some(PeerState::Candidate));
}

/// The kinds of the PINGs the node sent to `to` (taking them).
fn pings_to(solo: &mut Solo, to: SocketAddr) -> Vec<(PingKind, usize)> {
    solo.take_sent_to(to)
        .iter()
        .filter_map(|b| match Message::decode(b) {
            Ok(Message::Ping { kind, .. }) => Some((kind, b.len())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_settled_node_paces_strangers_that_live_ping_it_but_answers_first_contact_at_once() {
    let config = test_config();
    let k = config.k;
    let peers: Vec<FakePeer> = (1..=k + 8).map(fake).collect();
    let refs: Vec<&FakePeer> = peers.iter().collect();
    let mut solo = Solo::new(config, vec![]);
    join(&mut solo, &refs);
    let held = solo
        .node
        .peers()
        .filter(|p| p.state == PeerState::Active)
        .count();
    assert!(held >= k, "the table holds K peers ({held})");
    solo.sent.clear();

    // Two strangers that hold the node LIVE-ping it: answered with a LIVE PONG, and no
    // handshake at once (they found no room before, most likely, and will not now)...
    let (s, t) = (fake(200), fake(201));
    for stranger in [&s, &t] {
        solo.deliver(stranger.addr, &ping(PingKind::Live, 0));
        assert_eq!(
            pings_to(&mut solo, stranger.addr),
            vec![],
            "no handshake at once"
        );
        assert_eq!(state_of(&solo, stranger.addr), Some(PeerState::Candidate));
    }
    // ...but paced: one padded AUTH PING now, the next a second later.
    solo.advance(Duration::ZERO);
    let first: Vec<_> = [&s, &t]
        .iter()
        .flat_map(|p| pings_to(&mut solo, p.addr))
        .collect();
    assert_eq!(first, vec![(PingKind::Auth, 160)], "one paced handshake");
    solo.advance(Duration::from_millis(999));
    assert!(
        [&s, &t]
            .iter()
            .all(|p| pings_to(&mut solo, p.addr).is_empty())
    );
    solo.advance(Duration::from_millis(1));
    let second: Vec<_> = [&s, &t]
        .iter()
        .flat_map(|p| pings_to(&mut solo, p.addr))
        .collect();
    assert_eq!(
        second,
        vec![(PingKind::Auth, 160)],
        "the other, a second later"
    );

    // A stranger's AUTH PING is first contact: answered and pinged back at once.
    let u = fake(202);
    solo.deliver(u.addr, &ping(PingKind::Auth, 160));
    let kinds: Vec<PingKind> = pings_to(&mut solo, u.addr).iter().map(|p| p.0).collect();
    assert_eq!(kinds, vec![PingKind::Auth], "pinged back at once");

    // A stranger whose handshake went unanswered past QUERY_TIMEOUT is retried at once when
    // it pings again (its answer was presumably lost).
    solo.advance(Duration::from_millis(1100));
    solo.deliver(s.addr, &ping(PingKind::Live, 0));
    let kinds: Vec<PingKind> = pings_to(&mut solo, s.addr).iter().map(|p| p.0).collect();
    assert_eq!(kinds, vec![PingKind::Auth], "retried at once");
}

#[test]
fn a_lost_handshake_is_retried_twice_after_query_timeout_but_only_within_the_allowance() {
    let config = test_config();
    let timeout = config.query_timeout;
    let (edge, shared, pinger) = (fake(1), fake(2), fake(3));
    let mut solo = Solo::new(config, vec![edge.addr]);
    solo.advance(Duration::ZERO);
    // The edge answers and shares an address the node, holding fewer than K peers, pings at
    // once. That address never answers and never sends anything.
    for bytes in solo.take_sent_to(edge.addr) {
        if let Some(pong) = edge.pong_for(&bytes, &edge.key, &[shared.addr]) {
            solo.deliver(edge.addr, &pong);
        }
    }
    assert_eq!(
        pings_to(&mut solo, shared.addr),
        vec![(PingKind::Auth, 160)]
    );
    // A pinger's handshake: the node answers and pings back; the answers to its pings are
    // lost, while the pinger (which verified the node) keeps talking within each second.
    solo.deliver(pinger.addr, &ping(PingKind::Auth, 160));
    assert_eq!(pings_to(&mut solo, pinger.addr).len(), 1, "pinged back");
    for retry in 1..=3 {
        solo.advance(timeout / 2);
        solo.deliver(pinger.addr, &ping(PingKind::Live, 0));
        assert!(
            pings_to(&mut solo, pinger.addr).is_empty(),
            "no retry while an answer may come"
        );
        solo.advance(timeout / 2);
        let pings = pings_to(&mut solo, pinger.addr);
        if retry <= 2 {
            assert_eq!(pings.len(), 1, "retry {retry} once QUERY_TIMEOUT passed");
            assert_eq!(pings[0].0, PingKind::Auth);
            assert!(pings[0].1 > 34, "padded within the allowance: {pings:?}");
        } else {
            assert!(pings.is_empty(), "no third retry: {pings:?}");
        }
        assert!(
            pings_to(&mut solo, shared.addr).is_empty(),
            "an address that sent nothing gets no second datagram"
        );
    }
}

/// Fake peers whose NodeIds fall `per_bucket` into each of the node's `buckets` farthest
/// buckets (63 first), each in its own /24.
fn far_bucket_peers(
    node: dave_core::id::NodeId,
    buckets: usize,
    per_bucket: usize,
) -> Vec<FakePeer> {
    let mut found: Vec<Vec<FakePeer>> = (0..buckets).map(|_| Vec::new()).collect();
    for i in 0..60_000usize {
        let key = key(121, i);
        let id = dave_core::id::NodeId::from_public_key(&key.verifying_key().to_bytes());
        let Some(b) = node.bucket_index(id).and_then(|b| 63usize.checked_sub(b)) else {
            continue;
        };
        if b < buckets && found[b].len() < per_bucket {
            let addr = SocketAddr::from(([21, (i / 250) as u8, (i % 250) as u8, 1], 3000));
            found[b].push(FakePeer::new(key, addr));
        }
        if found.iter().all(|f| f.len() == per_bucket) {
            break;
        }
    }
    found.into_iter().flatten().collect()
}

#[test]
fn a_node_whose_far_buckets_are_full_keeps_no_shared_or_stranger_candidates() {
    let config = test_config();
    let k = config.k;
    let mut solo = Solo::new(config, vec![]);
    let own = solo.node.node_id();
    let peers = far_bucket_peers(own, 4, k);
    assert_eq!(peers.len(), 4 * k);
    // Handshakes with a newcomer that shares an address, and a stranger's LIVE PING.
    let offers = |solo: &mut Solo, round: usize| {
        let newcomer = fake(10 + round);
        let shared = fake(20 + round);
        let stranger = fake(30 + round);
        solo.deliver(newcomer.addr, &ping(PingKind::Auth, 160));
        for bytes in solo.take_sent_to(newcomer.addr) {
            if let Some(pong) = newcomer.pong_for(&bytes, &newcomer.key, &[shared.addr]) {
                solo.deliver(newcomer.addr, &pong);
            }
        }
        solo.deliver(stranger.addr, &ping(PingKind::Live, 0));
        (state_of(solo, shared.addr), state_of(solo, stranger.addr))
    };
    // K peers in the farthest bucket only: the three next have room, so both are kept.
    let refs: Vec<&FakePeer> = peers[..k].iter().collect();
    join(&mut solo, &refs);
    assert_eq!(
        offers(&mut solo, 0),
        (Some(PeerState::Candidate), Some(PeerState::Candidate))
    );
    // All four far buckets full: neither is kept.
    let refs: Vec<&FakePeer> = peers.iter().collect();
    join(&mut solo, &refs);
    assert_eq!(offers(&mut solo, 1), (None, None));
}
