//! Hostile input: a Sybil flood from one /24, malformed datagrams of every kind, and spoofed
//! requests that try to turn a node into an amplifier (§5, §8, §12).

mod harness;

use std::net::SocketAddr;
use std::time::Duration;

use dave_core::addr::network_group;
use dave_core::event::{Event, LookupEnd, RejectKind};
use dave_core::wire::{AddrList, GetAck, Message, PingKind};
use harness::{FakePeer, Net, encode, key, make_dat, test_config};
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

fn sybil_addr(i: usize) -> SocketAddr {
    SocketAddr::from(([66, 66, 66, (i % 250) as u8 + 1], 5000 + (i / 250) as u16))
}

#[test]
fn a_ping_flood_from_one_slash24_takes_at_most_group_limit_slots() {
    let cfg = test_config();
    let mut net = Net::new(6, cfg.clone(), 5);
    net.run_for(Duration::from_secs(20));
    let target = 1;
    let sybils: Vec<FakePeer> = (0..300)
        .map(|i| FakePeer::new(key(77, i), sybil_addr(i)))
        .collect();
    // Every Sybil pings the target with a padded AUTH PING, then answers whatever it is sent.
    for round in 0..6 {
        for s in sybils.iter().skip(round * 50).take(50) {
            let ping = encode(&Message::Ping {
                kind: PingKind::Auth,
                nonce: [round as u8; 32],
                read_only: false,
                pad_to: 160,
            });
            net.inject(s.addr, net.addrs[target], ping);
        }
        for _ in 0..40 {
            net.run_for(Duration::from_millis(250));
            let outside = std::mem::take(&mut net.outside);
            for (_, d) in outside {
                let Some(s) = sybils.iter().find(|s| s.addr == d.to) else {
                    continue;
                };
                if let Some(pong) = s.pong_for(&d.bytes, &s.key, &[]) {
                    net.inject(s.addr, d.from, pong);
                }
            }
        }
    }
    let node = &net.nodes[target];
    let group = network_group(&sybil_addr(0));
    let sybil_peers: Vec<_> = node
        .peers()
        .filter(|p| p.node_id.is_some() && network_group(&p.addr) == group)
        .collect();
    assert!(
        !sybil_peers.is_empty(),
        "the flood reached the table at all"
    );
    assert!(
        sybil_peers.len() <= cfg.group_limit_table,
        "{} Sybils in the table",
        sybil_peers.len()
    );
    let mut per_bucket = std::collections::BTreeMap::new();
    for p in &sybil_peers {
        let bucket = node.node_id().bucket_index(p.node_id.unwrap()).unwrap();
        *per_bucket.entry(bucket).or_insert(0) += 1;
    }
    assert!(
        per_bucket.values().all(|&n| n <= cfg.group_limit),
        "{per_bucket:?}"
    );
    // The honest peers are still there.
    let honest = node
        .peers()
        .filter(|p| p.node_id.is_some() && network_group(&p.addr) != group)
        .count();
    assert!(honest >= 4, "only {honest} honest peers left");
}

/// One malformed datagram of every kind the codec or the node must refuse, with the counter it
/// must land in.
fn malformed_cases(
    cfg: &dave_core::config::Config,
    node_key: &[u8; 32],
) -> Vec<(&'static str, Vec<u8>, RejectKind)> {
    let good = make_dat(&key(60, 0), b"k", b"v", 1_000_000, cfg.min_work);
    let mut put = encode(&Message::Put(good.as_ref()));
    let mut bad_sig = put.clone();
    let sig_at = 1 + 8 + 16 + 32;
    bad_sig[sig_at] ^= 1;
    let mut bad_val = put.clone();
    let last = bad_val.len() - 1;
    bad_val[last] ^= 1;
    let expired = make_dat(&key(60, 1), b"k", b"v", 1, cfg.min_work);
    let future = make_dat(&key(60, 2), b"k", b"v", 9_000_000, cfg.min_work);
    let weak = make_dat(&key(60, 3), b"k", b"v", 1_000_000, 0);
    let weak = if dave_core::hash::leading_zeros(&weak.work) >= cfg.min_work {
        make_dat(&key(60, 4), b"k", b"v", 1_000_000, 0)
    } else {
        weak
    };
    let many: Vec<SocketAddr> = (0..13)
        .map(|i| SocketAddr::from(([10, 9, 9, i as u8], 1)))
        .collect();
    let mut too_many = vec![1u8, 0];
    too_many.extend([0u8; 32]);
    too_many.extend([0u8; 16]);
    too_many.extend(node_key);
    too_many.extend([0u8; 64]);
    too_many.push(13);
    for a in &many {
        let mut raw = [0u8; 18];
        dave_core::addr::encode_addr(a, &mut raw);
        too_many.extend(raw);
    }
    put.truncate(put.len() - 1);
    vec![
        ("empty", vec![], RejectKind::Malformed),
        ("unknown op", vec![9, 1, 2], RejectKind::Malformed),
        ("truncated ping", vec![0, 0, 1, 2], RejectKind::Malformed),
        (
            "bad ping kind",
            [vec![0, 7], vec![0; 32]].concat(),
            RejectKind::Malformed,
        ),
        (
            "non-zero padding",
            [vec![0, 1], vec![0; 32], vec![0, 0, 1]].concat(),
            RejectKind::Malformed,
        ),
        ("oversized", vec![0; 1425], RejectKind::Oversized),
        ("truncated put", put, RejectKind::Malformed),
        ("pong with 13 addresses", too_many, RejectKind::Malformed),
        (
            "unexpected live pong",
            [vec![1, 1], vec![4; 32]].concat(),
            RejectKind::UnexpectedPong,
        ),
        (
            "get with empty key",
            [vec![3], vec![1; 32], vec![0]].concat(),
            RejectKind::Malformed,
        ),
        ("get_ack bad flag", vec![4, 2], RejectKind::Malformed),
        (
            "unasked get_ack",
            encode(&Message::GetAck(GetAck::NotFound {
                pubkey: [1; 32],
                key: b"x",
                referrals: AddrList::EMPTY,
            })),
            RejectKind::UnexpectedGetAck,
        ),
        (
            "unasked addr ack",
            encode(&Message::GetMyAddrPortAck(SocketAddr::from((
                [1, 2, 3, 4],
                5,
            )))),
            RejectKind::UnexpectedAddrAck,
        ),
        ("trailing bytes", vec![5, 0], RejectKind::Malformed),
        ("put with bad signature", bad_sig, RejectKind::InvalidRecord),
        ("put with altered value", bad_val, RejectKind::InvalidRecord),
        (
            "put of expired record",
            encode(&Message::Put(expired.as_ref())),
            RejectKind::InvalidRecord,
        ),
        (
            "put from the future",
            encode(&Message::Put(future.as_ref())),
            RejectKind::InvalidRecord,
        ),
        (
            "put with weak work",
            encode(&Message::Put(weak.as_ref())),
            RejectKind::InvalidRecord,
        ),
    ]
}

#[test]
fn malformed_datagrams_are_dropped_and_counted_and_the_node_still_works() {
    // A TTL shorter than the harness clock's start, so a record from time 1 ms is expired.
    let cfg = dave_core::config::Config {
        ttl: Duration::from_secs(500),
        ..test_config()
    };
    let mut net = Net::new(8, cfg.clone(), 6);
    net.run_for(Duration::from_secs(25));
    let victim = 2;
    let attacker = SocketAddr::from(([77, 7, 7, 7], 7777));
    let cases = malformed_cases(&cfg, &net.nodes[victim].public_key());
    for (name, bytes, kind) in &cases {
        let before = net.nodes[victim].rejections().get(*kind);
        net.nodes[victim].handle_datagram(net.now, attacker, bytes);
        net.flush(victim);
        let after = net.nodes[victim].rejections().get(*kind);
        assert_eq!(after, before + 1, "{name}: not counted as {kind:?}");
        assert!(net.nodes[victim].record_count() == 0, "{name}: stored");
    }
    // Random junk: never a panic; every datagram is either handled or counted.
    let mut seed = 0x1234_5678u64;
    for _ in 0..3000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 200) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|i| (seed >> (i % 56)) as u8 ^ i as u8)
            .collect();
        net.nodes[victim].handle_datagram(net.now, attacker, &bytes);
        net.flush(victim);
    }
    assert!(net.nodes[victim].rejections().get(RejectKind::Malformed) > 2000);
    // Still a working node: it writes and reads.
    let dat = make_dat(
        &key(61, 0),
        b"after",
        b"attack",
        net.now.as_millis(),
        cfg.min_work,
    );
    net.nodes[victim].put(net.now, dat.clone()).unwrap();
    net.flush(victim);
    net.run_for(Duration::from_secs(6));
    let reader = 5;
    let id = net.nodes[reader]
        .get(net.now, dat.pubkey, b"after")
        .unwrap();
    net.flush(reader);
    net.run_for(Duration::from_secs(6));
    let found = net
        .events_of(
            reader,
            |e| matches!(e, Event::LookupFinished(r) if r.id == id && r.end == LookupEnd::Found),
        )
        .count();
    assert_eq!(found, 1);
}

/// Requests a spoofer can send in the name of a victim.
fn spoofed_request(choice: u8, pad: bool, record_owner: [u8; 32]) -> Vec<u8> {
    match choice % 6 {
        0 => encode(&Message::Ping {
            kind: PingKind::Auth,
            nonce: [choice; 32],
            read_only: false,
            pad_to: if pad { 160 } else { 0 },
        }),
        1 => encode(&Message::Ping {
            kind: PingKind::Live,
            nonce: [choice; 32],
            read_only: false,
            pad_to: 0,
        }),
        2 => encode(&Message::Get {
            pubkey: record_owner,
            key: b"big",
            pad_to: if pad { 480 } else { 0 },
        }),
        3 => encode(&Message::Get {
            pubkey: [9; 32],
            key: b"absent",
            pad_to: if pad { 480 } else { 0 },
        }),
        4 => encode(&Message::GetMyAddrPort),
        _ => vec![choice, 0xff],
    }
}

#[test]
fn replies_to_an_unverified_address_never_exceed_three_times_what_it_sent() {
    let cfg = test_config();
    let mut net = Net::new(8, cfg.clone(), 7);
    net.run_for(Duration::from_secs(25));
    let owner = key(62, 0);
    let big = make_dat(
        &owner,
        b"big",
        &[5u8; 1200],
        net.now.as_millis(),
        cfg.min_work,
    );
    net.nodes[1].put(net.now, big.clone()).unwrap();
    net.flush(1);
    net.run_for(Duration::from_secs(6));
    let holders: Vec<usize> = (0..8)
        .filter(|&i| net.nodes[i].holds(big.record_id()))
        .collect();
    assert!(!holders.is_empty());

    let mut runner = TestRunner::new_with_rng(
        ProptestConfig {
            cases: 48,
            ..ProptestConfig::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let strategy = (
        proptest::collection::vec((0u8..6, proptest::bool::ANY), 1..30),
        0usize..8,
        0u8..250,
    );
    let net = std::cell::RefCell::new(net);
    let answered = std::cell::Cell::new(0usize);
    runner
        .run(&strategy, |(requests, target, victim_host)| {
            let mut net = net.borrow_mut();
            let target = holders
                .get(target % holders.len())
                .copied()
                .filter(|_| target % 2 == 0)
                .unwrap_or(target);
            let victim = SocketAddr::from(([99, 1, victim_host, 1], 4242));
            let to = net.addrs[target];
            let mut received = 0usize;
            for (choice, pad) in requests {
                let bytes = spoofed_request(choice, pad, big.pubkey);
                received += bytes.len();
                net.inject(victim, to, bytes);
                net.run_for(Duration::from_millis(100));
            }
            net.run_for(Duration::from_secs(12));
            let sent: usize = net
                .outside
                .iter()
                .filter(|(_, d)| d.to == victim)
                .map(|(_, d)| d.bytes.len())
                .sum();
            net.outside.clear();
            answered.set(answered.get() + sent);
            proptest::prop_assert!(
                sent <= 3 * received,
                "sent {} to a victim that sent {}",
                sent,
                received
            );
            Ok(())
        })
        .unwrap();
    assert!(
        answered.get() > 10_000,
        "the node did answer within its allowance: {} bytes",
        answered.get()
    );
}

#[test]
fn with_anti_amplification_off_an_unverified_address_gets_full_answers() {
    let cfg = dave_core::config::Config {
        anti_amplification: false,
        ..test_config()
    };
    let mut net = Net::new(4, cfg, 7);
    net.run_for(Duration::from_secs(25));
    let victim = SocketAddr::from(([99, 1, 7, 1], 4242));
    let ping = encode(&Message::Ping {
        kind: PingKind::Auth,
        nonce: [3; 32],
        read_only: false,
        pad_to: 0,
    });
    let received = ping.len();
    let to = net.addrs[0];
    net.inject(victim, to, ping);
    net.run_for(Duration::from_secs(1));
    let sent: usize = net
        .outside
        .iter()
        .filter(|(_, d)| d.to == victim)
        .map(|(_, d)| d.bytes.len())
        .sum();
    assert!(
        sent > 3 * received,
        "an unpadded AUTH PING ({received} B) drew a full AUTH PONG and PING ({sent} B)"
    );
}
