//! The population over turmoil: every node is a turmoil host running one task that owns a
//! `dave_core::Node` and a simulated UDP socket, driven the way `dave-node`'s driver drives a
//! real one — feed a due timer, drain transmits into `send_to`, then wait on the socket until
//! the node's next deadline.
//!
//! turmoil steps in fixed ticks: each step moves every host's clock and every link forward by
//! [`TICK`] and lets each host's runtime run. The tick chosen is 1 ms, turmoil's default and
//! the coarsest that keeps timer and delivery times within 5 % of the 20 ms latency; a finer
//! tick costs proportionally more steps. Timers and deliveries therefore land on the next
//! millisecond, where dave-sim's are exact to the microsecond — a difference the protocol
//! does not notice at 20 ms latencies (the peer tables below agree).

use std::cell::{Cell, RefCell};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

use dave_core::crypto::Crypto;
use dave_core::node::Node;
use dave_core::peers::PeerState;
use dave_core::time::Time;
use dave_core::wire::MAX_DATAGRAM;
use ed25519_dalek::SigningKey;

use crate::population::{LATENCY, NodeSpec, Population};
use crate::report::{self, Measured};

/// Virtual time one turmoil step advances.
pub const TICK: Duration = Duration::from_millis(1);

/// Datagrams a host's socket queues before turmoil drops the next (its default is 64). Large
/// enough that a seed node flooded by joins in one tick loses nothing, as in dave-sim, where
/// only a bandwidth model (off here) drops.
const UDP_QUEUE: usize = 65_536;

/// Datagram counters shared by every host task (turmoil runs all hosts on one thread).
#[derive(Default)]
struct Counters {
    sent: Cell<u64>,
    received: Cell<u64>,
    send_failed: Cell<u64>,
}

/// A node slot the host task fills when it joins; the harness reads the tables at the end.
type Slot = Rc<RefCell<Option<Node>>>;

/// Runs `pop` over turmoil for `duration` of virtual time or until `budget` of wall time has
/// passed (setting up included), whichever is first.
pub fn run(pop: &Population, duration: Duration, budget: Duration) -> Result<Measured, String> {
    // Setting up counts, as dave-sim's wall time counts its own: turmoil's links are made here.
    let started = Instant::now();
    let cpu_before = report::cpu_seconds();
    let mut sim = turmoil::Builder::new()
        // Never the limit: the loop below stops at `duration`.
        .simulation_duration(duration * 2 + Duration::from_secs(1))
        .tick_duration(TICK)
        .min_message_latency(LATENCY)
        .max_message_latency(LATENCY)
        .udp_capacity(UDP_QUEUE)
        .rng_seed(1)
        .build();
    let counters = Rc::new(Counters::default());
    let mut slots = Vec::with_capacity(pop.nodes.len());
    for spec in &pop.nodes {
        let slot: Slot = Rc::default();
        slots.push(slot.clone());
        let ip = spec.addr.ip();
        let host = HostInputs {
            port: spec.addr.port(),
            spec: NodeInputs::of(spec, pop),
            counters: counters.clone(),
            slot,
        };
        sim.host(ip, move || host.clone().serve());
    }
    while sim.elapsed() < duration && started.elapsed() < budget {
        sim.step().map_err(|e| format!("turmoil: {e}"))?;
    }
    let wall_s = started.elapsed().as_secs_f64();
    let cpu_s = report::cpu_seconds() - cpu_before;
    let nodes: Vec<_> = slots.iter().map(|s| s.borrow()).collect();
    let started_nodes: Vec<&Node> = nodes.iter().filter_map(|n| n.as_ref()).collect();
    let per_node = |f: &dyn Fn(&Node) -> usize| {
        started_nodes.iter().map(|n| f(n) as f64).sum::<f64>() / started_nodes.len().max(1) as f64
    };
    Ok(Measured {
        wall_s,
        cpu_s,
        virtual_s: sim.elapsed().as_secs_f64(),
        delivered: counters.received.get(),
        sent: counters.sent.get(),
        send_failed: counters.send_failed.get(),
        started: started_nodes.len(),
        active_mean: per_node(&|n| n.active_peer_count()),
        table_mean: per_node(&|n| {
            n.peers()
                .filter(|p| p.state != PeerState::Candidate)
                .count()
        }),
    })
}

/// What a node is created from (cloned into every start of its host).
#[derive(Clone)]
struct NodeInputs {
    join_at: Duration,
    edges: Vec<SocketAddr>,
    key_seed: [u8; 32],
    rng_seed: [u8; 32],
    config: dave_core::config::Config,
    crypto: std::sync::Arc<dyn Crypto>,
}

impl NodeInputs {
    fn of(spec: &NodeSpec, pop: &Population) -> NodeInputs {
        NodeInputs {
            join_at: Duration::from_micros(spec.start.join_at),
            edges: spec.start.edges.clone(),
            key_seed: spec.start.key_seed,
            rng_seed: spec.start.rng_seed,
            config: pop.config.clone(),
            crypto: pop.crypto.clone(),
        }
    }
}

/// One host's software and the harness's handles on it.
#[derive(Clone)]
struct HostInputs {
    port: u16,
    spec: NodeInputs,
    counters: Rc<Counters>,
    slot: Slot,
}

impl HostInputs {
    /// The host's one task: join at the node's join time, then serve forever.
    async fn serve(self) -> turmoil::Result {
        let socket = turmoil::net::UdpSocket::bind(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            self.port,
        ))
        .await?;
        // Every host's runtime starts at the simulation's start, so this is virtual time 0.
        let origin = tokio::time::Instant::now();
        let now = || Time::from_micros(origin.elapsed().as_micros() as u64);
        tokio::time::sleep_until(origin + self.spec.join_at).await;
        let s = &self.spec;
        *self.slot.borrow_mut() = Some(Node::new(
            s.config.clone(),
            SigningKey::from_bytes(&s.key_seed),
            s.edges.clone(),
            s.rng_seed,
            s.crypto.clone(),
            now(),
        ));
        let mut send_buf = vec![0u8; MAX_DATAGRAM];
        // One byte more than the largest valid datagram, as dave-node's driver reads.
        let mut recv_buf = vec![0u8; MAX_DATAGRAM + 1];
        loop {
            let deadline = {
                let mut guard = self.slot.borrow_mut();
                let Some(node) = guard.as_mut() else {
                    return Ok(());
                };
                if node.poll_timeout().is_some_and(|d| d <= now()) {
                    node.handle_timeout(now());
                }
                while let Some(t) = node.poll_transmit(&mut send_buf) {
                    match socket.try_send_to(&send_buf[..t.len], t.to) {
                        Ok(_) => bump(&self.counters.sent),
                        // An address no host has (turmoil refuses it): lost, as on the Internet.
                        Err(_) => bump(&self.counters.send_failed),
                    }
                }
                while node.poll_event().is_some() {}
                node.poll_timeout()
            };
            let recv = socket.recv_from(&mut recv_buf);
            let got = match deadline {
                Some(d) => {
                    match tokio::time::timeout_at(
                        origin + Duration::from_micros(d.as_micros()),
                        recv,
                    )
                    .await
                    {
                        Ok(r) => Some(r?),
                        Err(_elapsed) => None,
                    }
                }
                None => Some(recv.await?),
            };
            if let Some((len, from)) = got {
                bump(&self.counters.received);
                if let Some(node) = self.slot.borrow_mut().as_mut() {
                    node.handle_datagram(now(), from, &recv_buf[..len]);
                }
            }
        }
    }
}

fn bump(c: &Cell<u64>) {
    c.set(c.get() + 1);
}
