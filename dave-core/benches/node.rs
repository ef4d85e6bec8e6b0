//! Cost of one `Node` input (docs/protocol.md §5–§10) on a node with a full table (96 active peers
//! in buckets 63..=52, as in a network of a few thousand nodes) and a store of 100k records.
//!
//! Run with `cargo bench -p dave-core --bench node -- --warm-up-time 1 --measurement-time 3`.
//! Setup mines, signs and verifies 100k records: it takes several seconds before the first
//! measurement. Each measurement covers the handler and draining its transmits and events.
//!
//! Medians on the shared 2-core development machine (2026-11-25, noisy; signatures dominate
//! wherever they appear): LIVE PING from a peer 0.20 µs; valid LIVE PONG 0.42 µs; AUTH PING from
//! a peer (sign, share 12) 34 µs; padded first-contact AUTH PING 37 µs; GET found 0.49 µs; GET
//! not found with referrals 0.86 µs; PUT of a held version 0.52 µs; new PUT (verify + insert)
//! 61 µs; unasked GET_ACK 0.27 µs; malformed 0.15 µs; GETMYADDRPORT 0.11 µs; next timeout
//! 0.62 µs (mean 8 µs: refresh lookups and challenges are the tail). One re-propagation sweep of
//! 100k records: 0.44 s the first time (500k PUTs queued), 0.14 s in steady state.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use dave_core::config::Config;
use dave_core::crypto::{DirectCrypto, sign_digest};
use dave_core::dat::Dat;
use dave_core::id::NodeId;
use dave_core::node::Node;
use dave_core::time::Time;
use dave_core::wire::{
    AddrList, GetAck, MAX_DATAGRAM, Message, PingKind, Pong, PongAuth, pong_digest,
};
use ed25519_dalek::SigningKey;

const RECORDS: usize = 100_000;
const START_MS: u64 = 1_700_000_000_000;

/// Cheap proof-of-work for the fixture; no backup-log events. Without `republish`,
/// re-propagation is pushed out of the measured window (its sweep is timed separately, once) so
/// that the timeout bench measures the per-peer ticks that make up almost all timeouts.
fn config(republish: bool) -> Config {
    let republish_every = if republish {
        Config::default().republish_every
    } else {
        Duration::from_secs(10 * 365 * 86_400)
    };
    Config {
        min_work: 4,
        persist_events: false,
        republish_every,
        ..Config::default()
    }
}

fn encode(msg: &Message<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let len = msg.encode(&mut buf).expect("encodes");
    buf.truncate(len);
    buf
}

fn peer_addr(i: usize) -> SocketAddr {
    SocketAddr::from(([30, (i / 250) as u8, (i % 250) as u8, 1], 4000))
}

fn pong(ping: &[u8], key: &SigningKey) -> Option<Vec<u8>> {
    let Ok(Message::Ping { kind, nonce, .. }) = Message::decode(ping) else {
        return None;
    };
    let auth = (kind == PingKind::Auth).then(|| {
        let salt = [1u8; 16];
        let sig = sign_digest(key, &pong_digest(&nonce, &salt, &AddrList::EMPTY));
        PongAuth {
            salt,
            pubkey: key.verifying_key().to_bytes(),
            sig,
            addrs: AddrList::EMPTY,
        }
    });
    Some(encode(&Message::Pong(Pong { kind, nonce, auth })))
}

/// A node with a full table and a large store, plus the keys of its peers.
struct Fixture {
    node: Node,
    now: Time,
    peers: Vec<(SigningKey, SocketAddr)>,
    records: Vec<Dat>,
    buf: Vec<u8>,
    /// When the node was created: its periodic timers count from here.
    created: Time,
}

impl Fixture {
    fn drain(&mut self) -> Vec<(SocketAddr, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(t) = self.node.poll_transmit(&mut self.buf) {
            out.push((t.to, self.buf[..t.len].to_vec()));
        }
        while self.node.poll_event().is_some() {}
        out
    }

    /// Drains and discards without allocating (what a driver does on the hot path).
    fn drain_fast(&mut self) {
        while let Some(t) = self.node.poll_transmit(&mut self.buf) {
            black_box(t);
        }
        while let Some(e) = self.node.poll_event() {
            black_box(e);
        }
    }

    /// The peers' side: they answer PINGs, and GETs for the fixture's records (storage
    /// challenges) with the record, as honest peers would.
    fn answer(&mut self, sent: Vec<(SocketAddr, Vec<u8>)>) {
        for (to, bytes) in sent {
            let Some(i) = self.peers.iter().position(|(_, a)| *a == to) else {
                continue;
            };
            let reply = match Message::decode(&bytes) {
                Ok(Message::Ping { .. }) => pong(&bytes, &self.peers[i].0),
                Ok(Message::Get { key, .. }) => <[u8; 8]>::try_from(key)
                    .ok()
                    .and_then(|k| self.records.get(u64::from_le_bytes(k) as usize))
                    .filter(|d| d.key == key)
                    .map(|d| encode(&Message::GetAck(GetAck::Found(d.as_ref())))),
                _ => None,
            };
            if let Some(reply) = reply {
                self.node.handle_datagram(self.now, to, &reply);
            }
        }
        self.drain();
    }

    /// Runs time forward, keeping every peer answering.
    fn advance(&mut self, d: Duration) {
        let limit = self.now + d;
        while let Some(t) = self.node.poll_timeout() {
            if t > limit {
                break;
            }
            self.now = self.now.max(t);
            self.node.handle_timeout(self.now);
            let sent = self.drain();
            self.answer(sent);
        }
        self.now = limit;
    }

    fn build(records: usize, republish: bool) -> Fixture {
        let own = SigningKey::from_bytes(&[1; 32]);
        let own_id = NodeId::from_public_key(&own.verifying_key().to_bytes());
        let now = Time::from_millis(START_MS);
        let node = Node::new(
            config(republish),
            own,
            vec![],
            [9; 32],
            Arc::new(DirectCrypto),
            now,
        );
        // K keys for each of buckets 63..=52.
        let mut per_bucket = [0usize; 64];
        let mut peers = Vec::new();
        let mut seed = 0u64;
        while peers.len() < 12 * 8 {
            seed += 1;
            let mut bytes = [2u8; 32];
            bytes[..8].copy_from_slice(&seed.to_le_bytes());
            let key = SigningKey::from_bytes(&bytes);
            let id = NodeId::from_public_key(&key.verifying_key().to_bytes());
            let Some(b) = own_id.bucket_index(id) else {
                continue;
            };
            if b >= 52 && per_bucket[b] < 8 {
                per_bucket[b] += 1;
                let addr = peer_addr(peers.len());
                peers.push((key, addr));
            }
        }
        let mut f = Fixture {
            node,
            now,
            peers,
            records: Vec::new(),
            buf: vec![0; MAX_DATAGRAM],
            created: now,
        };
        for i in 0..f.peers.len() {
            let addr = f.peers[i].1;
            let ping = encode(&Message::Ping {
                kind: PingKind::Auth,
                nonce: [7; 32],
                read_only: false,
                pad_to: 160,
            });
            f.node.handle_datagram(f.now, addr, &ping);
            let sent = f.drain();
            f.answer(sent);
        }
        f.advance(Duration::from_secs(16));
        let owner = SigningKey::from_bytes(&[3; 32]);
        let dats: Vec<Dat> = (0..records)
            .map(|i| {
                let key = (i as u64).to_le_bytes();
                Dat::new(&owner, &key, &[0x55; 32], START_MS, 4, 1, [0; 16]).expect("fits")
            })
            .collect();
        let report = f.node.restore(f.now, dats.iter().cloned());
        assert_eq!(report.loaded, records, "{report:?}");
        f.records = dats;
        f.drain();
        f
    }
}

/// One-shot timings of a whole re-propagation sweep over 100k records: the first one (which
/// pushes every record to its 5 closest peers) and a steady-state one (which pushes nothing).
fn time_sweeps() {
    let mut f = Fixture::build(RECORDS, true);
    let period = config(true).republish_every;
    for (n, label) in [
        (1, "first sweep (pushes 5 copies of each record)"),
        (2, "steady-state sweep"),
    ] {
        let sweep_at = f.created + period * n;
        let until = sweep_at.saturating_duration_since(f.now + Duration::from_secs(1));
        f.advance(until);
        let target = sweep_at + Duration::from_secs(1);
        let start = Instant::now();
        let mut datagrams = 0usize;
        while let Some(t) = f.node.poll_timeout() {
            if t > target {
                break;
            }
            f.now = f.now.max(t);
            f.node.handle_timeout(f.now);
            let sent = f.drain();
            datagrams += sent.len();
            f.answer(sent);
        }
        eprintln!(
            "republish/{label}: {:?} for {RECORDS} records, {datagrams} datagrams",
            start.elapsed()
        );
        f.now = target;
    }
}

fn benches(c: &mut Criterion) {
    time_sweeps();
    let mut f = Fixture::build(RECORDS, false);
    let active = f.node.active_peer_count();
    eprintln!(
        "fixture: {} peers ({active} active), {} records",
        f.node.peer_count(),
        f.node.record_count()
    );
    let peer = f.peers[0].1;
    let stranger = SocketAddr::from(([40, 1, 1, 1], 5000));

    let live = encode(&Message::Ping {
        kind: PingKind::Live,
        nonce: [1; 32],
        read_only: false,
        pad_to: 0,
    });
    c.bench_function("datagram/ping_live_from_peer", |b| {
        b.iter(|| {
            f.node.handle_datagram(f.now, peer, black_box(&live));
            f.drain_fast();
        })
    });
    let auth = encode(&Message::Ping {
        kind: PingKind::Auth,
        nonce: [1; 32],
        read_only: false,
        pad_to: 0,
    });
    c.bench_function("datagram/ping_auth_from_peer (signs, shares 12)", |b| {
        b.iter(|| {
            f.node.handle_datagram(f.now, peer, black_box(&auth));
            f.drain_fast();
        })
    });
    let held = &f.records[17];
    let get_found = encode(&Message::Get {
        pubkey: held.pubkey,
        key: &held.key,
        pad_to: 0,
    });
    c.bench_function("datagram/get_found", |b| {
        b.iter(|| {
            f.node.handle_datagram(f.now, peer, black_box(&get_found));
            f.drain_fast();
        })
    });
    let get_missing = encode(&Message::Get {
        pubkey: [8; 32],
        key: b"absent",
        pad_to: 0,
    });
    c.bench_function("datagram/get_not_found_with_referrals", |b| {
        b.iter(|| {
            f.node.handle_datagram(f.now, peer, black_box(&get_missing));
            f.drain_fast();
        })
    });
    let put_stale = encode(&Message::Put(f.records[5].as_ref()));
    c.bench_function("datagram/put_stale (no signature check)", |b| {
        b.iter(|| {
            f.node.handle_datagram(f.now, peer, black_box(&put_stale));
            f.drain_fast();
        })
    });
    // Fresh records, made untimed one by one: each PUT verifies a signature and inserts.
    let writer = SigningKey::from_bytes(&[4; 32]);
    let mut next = 0u64;
    c.bench_function("datagram/put_new (verify + insert)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                next += 1;
                let time = f.now.as_millis();
                let fresh = [0x66; 32];
                let dat = Dat::new(&writer, &next.to_le_bytes(), &fresh, time, 4, 1, [0; 16]);
                let bytes = &encode(&Message::Put(dat.expect("fits").as_ref()));
                let start = Instant::now();
                f.node.handle_datagram(f.now, peer, black_box(bytes));
                f.drain_fast();
                total += start.elapsed();
            }
            total
        })
    });
    eprintln!(
        "after put_new: {} records, rejections {:?}",
        f.node.record_count(),
        f.node
            .rejections()
            .iter()
            .filter(|(_, n)| *n > 0)
            .collect::<Vec<_>>()
    );
    let ack = encode(&Message::GetAck(GetAck::NotFound {
        pubkey: [8; 32],
        key: b"x",
        referrals: AddrList::EMPTY,
    }));
    c.bench_function("datagram/get_ack_unasked (rejected)", |b| {
        b.iter(|| {
            f.node.handle_datagram(f.now, peer, black_box(&ack));
            f.drain_fast();
        })
    });
    let junk = vec![0u8, 9, 1, 2, 3];
    c.bench_function("datagram/malformed (rejected)", |b| {
        b.iter(|| {
            f.node.handle_datagram(f.now, stranger, black_box(&junk));
            f.drain_fast();
        })
    });
    c.bench_function("datagram/getmyaddrport_from_peer", |b| {
        b.iter(|| {
            f.node.handle_datagram(f.now, peer, black_box(&[5u8]));
            f.drain_fast();
        })
    });
    // Valid LIVE PONGs: let the node ping its peers, then time each answer.
    c.bench_function("datagram/pong_live_valid", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let t = f.node.poll_timeout().unwrap_or(f.now);
                f.now = f.now.max(t);
                f.node.handle_timeout(f.now);
                let sent = f.drain();
                for (to, bytes) in sent {
                    let Some(i) = f.peers.iter().position(|(_, a)| *a == to) else {
                        continue;
                    };
                    let Some(answer) = pong(&bytes, &f.peers[i].0) else {
                        continue;
                    };
                    let timed = bytes.get(1) == Some(&1) && done < iters;
                    let start = Instant::now();
                    f.node.handle_datagram(f.now, to, &answer);
                    f.drain_fast();
                    if timed {
                        total += start.elapsed();
                        done += 1;
                    }
                }
            }
            total
        })
    });
    // Timeouts: whatever is due next (mostly one peer's ping; sometimes a challenge, a refresh
    // or a re-propagation batch), with the peers answering untimed.
    c.bench_function("timeout/next_deadline", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = f.node.poll_timeout().unwrap_or(f.now);
                f.now = f.now.max(t);
                let start = Instant::now();
                f.node.handle_timeout(f.now);
                let sent = f.drain();
                total += start.elapsed();
                f.answer(sent);
            }
            total
        })
    });
    // First contact of a new address: its padded AUTH PING (we sign a PONG, ping back).
    let mut n = 0u32;
    c.bench_function("datagram/ping_auth_first_contact (padded)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n = n.wrapping_add(1);
                let from = SocketAddr::from(([50, (n >> 16) as u8, (n >> 8) as u8, n as u8], 6000));
                let ping = encode(&Message::Ping {
                    kind: PingKind::Auth,
                    nonce: [2; 32],
                    read_only: false,
                    pad_to: 160,
                });
                let start = Instant::now();
                f.node.handle_datagram(f.now, from, &ping);
                f.drain_fast();
                total += start.elapsed();
            }
            total
        })
    });
}

criterion_group! {
    name = node;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3)).sample_size(30);
    targets = benches
}
criterion_main!(node);
