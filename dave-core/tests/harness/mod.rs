//! A small in-memory network of Dave nodes for behaviour tests, in the manner of quinn-proto's
//! `Pair`: datagrams wait in a queue ordered by delivery time, and time jumps straight to the
//! next delivery or node deadline. Everything is deterministic: the same construction gives the
//! same run, byte for byte.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use dave_core::config::Config;
use dave_core::crypto::DirectCrypto;
use dave_core::dat::Dat;
use dave_core::event::Event;
use dave_core::node::Node;
use dave_core::time::Time;
use dave_core::wire::MAX_DATAGRAM;
use ed25519_dalek::SigningKey;

/// A test configuration: the spec's defaults with cheap proof-of-work.
pub fn test_config() -> Config {
    Config {
        min_work: 4,
        ..Config::default()
    }
}

/// The address of node `i`: each node in its own /24.
pub fn node_addr(i: usize) -> SocketAddr {
    SocketAddr::from(([10, (i / 250) as u8, (i % 250) as u8, 1], 4000))
}

/// A deterministic signing key for index `i` of a family of keys.
pub fn key(family: u8, i: usize) -> SigningKey {
    let mut seed = [family; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    SigningKey::from_bytes(&seed)
}

/// Signs and mines a record at time `time_ms`.
pub fn make_dat(owner: &SigningKey, key: &[u8], val: &[u8], time_ms: u64, min_work: u32) -> Dat {
    Dat::new(owner, key, val, time_ms, min_work, 1, [7; 16]).expect("test record fits")
}

/// A datagram in flight.
#[derive(Clone, Debug)]
pub struct Datagram {
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub bytes: Vec<u8>,
}

/// Decides whether a datagram is delivered (false = lost).
pub type Filter = Box<dyn FnMut(&Datagram) -> bool>;

/// The network.
pub struct Net {
    pub nodes: Vec<Node>,
    pub addrs: Vec<SocketAddr>,
    by_addr: BTreeMap<SocketAddr, usize>,
    queue: BTreeMap<(Time, u64), Datagram>,
    seq: u64,
    pub now: Time,
    pub latency: Duration,
    /// Events of each node, in order.
    pub events: Vec<Vec<(Time, Event)>>,
    /// Datagrams sent to addresses that are not nodes (attackers, victims).
    pub outside: Vec<(Time, Datagram)>,
    /// Every datagram sent, as (time, from, to, len): the transcript for determinism checks.
    pub transcript: Vec<(Time, SocketAddr, SocketAddr, usize)>,
    pub filter: Option<Filter>,
    buf: Vec<u8>,
}

impl Net {
    /// `n` nodes, all bootstrapping from node 0 (node 0 has no edges).
    pub fn new(n: usize, config: Config, seed: u8) -> Net {
        Self::with_edges(n, config, seed, |i| {
            if i == 0 { vec![] } else { vec![node_addr(0)] }
        })
    }

    /// `n` nodes with the given edges per node.
    pub fn with_edges(
        n: usize,
        config: Config,
        seed: u8,
        edges: impl Fn(usize) -> Vec<SocketAddr>,
    ) -> Net {
        Self::with_addrs(n, config, seed, node_addr, edges)
    }

    /// `n` nodes at the given addresses with the given edges per node.
    pub fn with_addrs(
        n: usize,
        config: Config,
        seed: u8,
        addr: impl Fn(usize) -> SocketAddr,
        edges: impl Fn(usize) -> Vec<SocketAddr>,
    ) -> Net {
        let now = Time::from_millis(1_000_000);
        let crypto = Arc::new(DirectCrypto);
        let mut net = Net {
            nodes: Vec::new(),
            addrs: Vec::new(),
            by_addr: BTreeMap::new(),
            queue: BTreeMap::new(),
            seq: 0,
            now,
            latency: Duration::from_millis(20),
            events: Vec::new(),
            outside: Vec::new(),
            transcript: Vec::new(),
            filter: None,
            buf: vec![0; MAX_DATAGRAM],
        };
        for i in 0..n {
            let mut rng_seed = [seed; 32];
            rng_seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let node = Node::new(
                config.clone(),
                key(seed, i),
                edges(i),
                rng_seed,
                crypto.clone(),
                now,
            );
            net.add(node, addr(i));
        }
        net.flush_all();
        net
    }

    /// Adds a node at an address.
    pub fn add(&mut self, node: Node, addr: SocketAddr) -> usize {
        self.nodes.push(node);
        self.addrs.push(addr);
        self.events.push(Vec::new());
        self.by_addr.insert(addr, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    pub fn index_of(&self, addr: &SocketAddr) -> Option<usize> {
        self.by_addr.get(addr).copied()
    }

    /// Queues a datagram from anywhere (an attacker, a spoofer) for delivery after the latency.
    pub fn inject(&mut self, from: SocketAddr, to: SocketAddr, bytes: Vec<u8>) {
        let at = self.now + self.latency;
        self.seq += 1;
        self.queue
            .insert((at, self.seq), Datagram { from, to, bytes });
    }

    /// Drains node `i`'s transmits and events.
    pub fn flush(&mut self, i: usize) {
        let from = self.addrs[i];
        while let Some(t) = self.nodes[i].poll_transmit(&mut self.buf) {
            self.transcript.push((self.now, from, t.to, t.len));
            let d = Datagram {
                from,
                to: t.to,
                bytes: self.buf[..t.len].to_vec(),
            };
            if self.by_addr.contains_key(&t.to) {
                let at = self.now + self.latency;
                self.seq += 1;
                self.queue.insert((at, self.seq), d);
            } else {
                self.outside.push((self.now, d));
            }
        }
        while let Some(e) = self.nodes[i].poll_event() {
            self.events[i].push((self.now, e));
        }
    }

    pub fn flush_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.flush(i);
        }
    }

    /// The next moment anything happens.
    fn next_time(&self) -> Option<Time> {
        let q = self.queue.first_key_value().map(|(&(t, _), _)| t);
        let n = self.nodes.iter().filter_map(|n| n.poll_timeout()).min();
        match (q, n) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs one instant: delivers every datagram due, fires every due timer. Returns false if
    /// nothing is left to happen before `limit`.
    pub fn step(&mut self, limit: Time) -> bool {
        let Some(t) = self.next_time() else {
            return false;
        };
        if t > limit {
            return false;
        }
        self.now = self.now.max(t);
        while let Some((&(at, seq), _)) = self.queue.first_key_value() {
            if at > self.now {
                break;
            }
            let Some(d) = self.queue.remove(&(at, seq)) else {
                break;
            };
            if let Some(filter) = self.filter.as_mut() {
                if !filter(&d) {
                    continue;
                }
            }
            if let Some(i) = self.index_of(&d.to) {
                self.nodes[i].handle_datagram(self.now, d.from, &d.bytes);
                self.flush(i);
            }
        }
        for i in 0..self.nodes.len() {
            if self.nodes[i].poll_timeout().is_some_and(|t| t <= self.now) {
                self.nodes[i].handle_timeout(self.now);
                self.flush(i);
            }
        }
        true
    }

    /// Runs for a virtual duration.
    pub fn run_for(&mut self, d: Duration) {
        let limit = self.now + d;
        while self.step(limit) {}
        self.now = limit;
    }

    /// Runs until `done` holds (checked after each step) or `d` passes; returns whether it held.
    pub fn run_until(&mut self, d: Duration, mut done: impl FnMut(&Net) -> bool) -> bool {
        let limit = self.now + d;
        while !done(self) {
            if !self.step(limit) {
                self.now = limit;
                return done(self);
            }
        }
        true
    }

    /// All events of node `i` matching a predicate.
    pub fn events_of<'a>(
        &'a self,
        i: usize,
        f: impl Fn(&Event) -> bool + 'a,
    ) -> impl Iterator<Item = &'a Event> + 'a {
        self.events[i].iter().map(|(_, e)| e).filter(move |e| f(e))
    }
}

/// A peer played by the test: it holds a key and answers a node's PINGs by hand, so tests can
/// forge, delay or corrupt any answer.
pub struct FakePeer {
    pub key: SigningKey,
    pub addr: SocketAddr,
}

impl FakePeer {
    pub fn new(key: SigningKey, addr: SocketAddr) -> FakePeer {
        FakePeer { key, addr }
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The PONG answering a PING datagram, signed with `signer` (normally our own key) and
    /// sharing `addrs`; None if `ping` is not a PING.
    pub fn pong_for(
        &self,
        ping: &[u8],
        signer: &SigningKey,
        addrs: &[SocketAddr],
    ) -> Option<Vec<u8>> {
        use dave_core::wire::{AddrList, Message, PingKind, Pong, PongAuth, pong_digest};
        let Ok(Message::Ping { kind, nonce, .. }) = Message::decode(ping) else {
            return None;
        };
        let auth = match kind {
            PingKind::Live => None,
            PingKind::Auth => {
                let salt = [3u8; 16];
                let list = AddrList::Addrs(addrs);
                let sig =
                    dave_core::crypto::sign_digest(signer, &pong_digest(&nonce, &salt, &list));
                Some(PongAuth {
                    salt,
                    pubkey: signer.verifying_key().to_bytes(),
                    sig,
                    addrs: list,
                })
            }
        };
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let len = Message::Pong(Pong { kind, nonce, auth })
            .encode(&mut buf)
            .ok()?;
        buf.truncate(len);
        Some(buf)
    }
}

/// A PING from a node that is not read-only, as a fake peer sends it (nonce all ones).
pub fn ping(kind: dave_core::wire::PingKind, pad_to: usize) -> Vec<u8> {
    encode(&dave_core::wire::Message::Ping {
        kind,
        nonce: [1; 32],
        read_only: false,
        pad_to,
    })
}

/// Encodes a message into a fresh vector.
pub fn encode(msg: &dave_core::wire::Message<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let len = msg.encode(&mut buf).expect("test message encodes");
    buf.truncate(len);
    buf
}

/// A single node driven by hand: its transmits and events are collected for inspection.
pub struct Solo {
    pub node: Node,
    pub now: Time,
    pub sent: Vec<Datagram>,
    pub events: Vec<Event>,
    buf: Vec<u8>,
}

impl Solo {
    pub fn new(config: Config, edges: Vec<SocketAddr>) -> Solo {
        let now = Time::from_millis(1_000_000);
        let node = Node::new(
            config,
            key(200, 0),
            edges,
            [5; 32],
            Arc::new(DirectCrypto),
            now,
        );
        let mut solo = Solo {
            node,
            now,
            sent: Vec::new(),
            events: Vec::new(),
            buf: vec![0; MAX_DATAGRAM],
        };
        solo.drain();
        solo
    }

    pub fn addr() -> SocketAddr {
        node_addr(0)
    }

    pub fn drain(&mut self) {
        let from = Self::addr();
        while let Some(t) = self.node.poll_transmit(&mut self.buf) {
            self.sent.push(Datagram {
                from,
                to: t.to,
                bytes: self.buf[..t.len].to_vec(),
            });
        }
        while let Some(e) = self.node.poll_event() {
            self.events.push(e);
        }
    }

    pub fn deliver(&mut self, from: SocketAddr, bytes: &[u8]) {
        self.node.handle_datagram(self.now, from, bytes);
        self.drain();
    }

    /// Advances time, firing every deadline on the way.
    pub fn advance(&mut self, d: Duration) {
        let limit = self.now + d;
        while let Some(t) = self.node.poll_timeout() {
            if t > limit {
                break;
            }
            self.now = self.now.max(t);
            self.node.handle_timeout(self.now);
            self.drain();
        }
        self.now = limit;
        self.node.handle_timeout(self.now);
        self.drain();
    }

    /// Removes and returns the datagrams sent to `to`.
    pub fn take_sent_to(&mut self, to: SocketAddr) -> Vec<Vec<u8>> {
        let (mine, rest): (Vec<_>, Vec<_>) = self.sent.drain(..).partition(|d| d.to == to);
        self.sent = rest;
        mine.into_iter().map(|d| d.bytes).collect()
    }

    pub fn rejected(&self, kind: dave_core::event::RejectKind) -> u64 {
        self.node.rejections().get(kind)
    }
}
