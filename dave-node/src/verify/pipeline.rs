//! The receive pipeline: an intake thread reads the socket and sends each datagram carrying a
//! record to the workers; the node's thread takes datagrams in arrival order and, for one sent
//! to a worker, waits for that worker before handing it to the state machine.
//!
//! # Order
//! Datagrams reach the state machine in exactly the order the socket delivered them, across all
//! sources. The state machine thus sees the same sequence as the single-threaded driver (only
//! later), so every property tested of it holds unchanged: a GET that follows a PUT from the
//! same client still finds the record, and a PING, its PONG and the peer's next message are
//! never reordered. Per-source order would let a fast datagram overtake a slow verification,
//! but the node's thread is rarely the bottleneck once verification is off it, and a global
//! order is the one whose correctness needs no argument. The cost is head-of-line waiting: a
//! datagram behind a record waits for that record's verification (~100 µs), while later records
//! are verified in parallel behind it.
//!
//! # Overload
//! Both queues are bounded. When the node's queue is full the datagram is dropped and counted
//! ([`PipelineCounts::dropped`]) before any work is spent on it, as the kernel drops when the
//! socket buffer is full. When the workers' queue is full the datagram still goes to the node,
//! unverified, and the node verifies it itself ([`PipelineCounts::verify_skipped`]): the node
//! thread then helps verifying instead of idling, and nothing is lost that need not be.
//!
//! # Correctness never depends on the workers
//! A worker only fills the cache with results it computed. The node re-applies every rule of
//! §3 and, on a cache miss (a skipped or slow job, an evicted entry), verifies itself; a ticket
//! that is not done after [`TICKET_WAIT`] is simply not waited for any longer.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use dave_core::dat::VerifyRules;
use dave_core::wire::MAX_DATAGRAM;

use super::cache::VerifyCache;
use super::pool::{Job, Ticket, Workers};
use super::queue::Bounded;
use super::record::record_of;
use crate::clock::Clock;
use crate::socket::{Received, RecvHalf};

/// Datagrams waiting for the node's thread at most (≤ 1.5 MB of datagrams). Deeper than the
/// socket's own receive buffer holds of small datagrams, so the pipeline adds no drops of its
/// own at a rate the node keeps up with.
pub const DELIVERY_CAPACITY: usize = 1024;
/// Records waiting for a worker at most.
pub const JOB_CAPACITY: usize = 512;
/// Longest the node's thread waits for one record's worker before verifying it itself.
pub const TICKET_WAIT: Duration = Duration::from_millis(100);
/// Longest the intake blocks in one receive, so it notices a stop request.
pub const INTAKE_WAIT: Duration = Duration::from_millis(50);

/// Counters of the pipeline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PipelineCounts {
    /// Datagrams the intake read from the socket.
    pub received: u64,
    /// Datagrams dropped because the node's queue was full.
    pub dropped: u64,
    /// Records sent to the workers.
    pub verify_queued: u64,
    /// Records the workers' queue had no room for (the node verified them itself).
    pub verify_skipped: u64,
    /// Records whose worker had not finished within [`TICKET_WAIT`].
    pub wait_expired: u64,
}

#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    dropped: AtomicU64,
    verify_queued: AtomicU64,
    verify_skipped: AtomicU64,
    wait_expired: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A datagram on its way to the node.
#[derive(Debug)]
struct Delivery {
    datagram: Arc<[u8]>,
    from: SocketAddr,
    /// Present when a worker verifies the record inside.
    ticket: Option<Arc<Ticket>>,
}

/// The queues and counters shared by the intake thread and the node's thread.
#[derive(Debug)]
pub struct Stage {
    delivery: Bounded<Delivery>,
    jobs: Arc<Bounded<Job>>,
    counters: Counters,
    /// The socket error that stopped the intake, as (kind, text): `io::Error` is not `Clone`
    /// and the node's thread reports it on every later call.
    failure: Mutex<Option<(io::ErrorKind, String)>>,
}

impl Stage {
    /// Empty queues of the given capacities.
    pub fn new(delivery_capacity: usize, job_capacity: usize) -> Stage {
        Stage {
            delivery: Bounded::new(delivery_capacity),
            jobs: Arc::new(Bounded::new(job_capacity)),
            counters: Counters::default(),
            failure: Mutex::new(None),
        }
    }

    /// The workers' queue, for [`Workers::spawn`].
    pub fn jobs(&self) -> Arc<Bounded<Job>> {
        Arc::clone(&self.jobs)
    }

    /// The intake's handling of one datagram: drop it if the node's queue is full, queue its
    /// record for a worker if it has one and a worker has room, then queue it for the node.
    pub fn accept(&self, datagram: &[u8], from: SocketAddr) {
        bump(&self.counters.received);
        // Only this thread pushes, so room seen now is room at the push below.
        if !self.delivery.has_room() {
            bump(&self.counters.dropped);
            return;
        }
        let datagram: Arc<[u8]> = Arc::from(datagram);
        let ticket = match record_of(&datagram) {
            Some(_) => {
                let ticket = Ticket::new();
                match self
                    .jobs
                    .try_push(Job::new(Arc::clone(&datagram), Arc::clone(&ticket)))
                {
                    Ok(()) => {
                        bump(&self.counters.verify_queued);
                        Some(ticket)
                    }
                    Err(_refused) => {
                        bump(&self.counters.verify_skipped);
                        None
                    }
                }
            }
            None => None,
        };
        let delivery = Delivery {
            datagram,
            from,
            ticket,
        };
        if self.delivery.try_push(delivery).is_err() {
            bump(&self.counters.dropped);
        }
    }

    /// The node's side: the next datagram in arrival order, copied into `buf` (truncated to
    /// it; give it `MAX_DATAGRAM + 1` bytes), after its worker finished. Waits up to `wait`
    /// for one to arrive. Once the intake has failed and the queue is drained, its error.
    pub fn next(&self, buf: &mut [u8], wait: Duration) -> io::Result<Received> {
        let Some(delivery) = self.delivery.pop_within(wait) else {
            let failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
            return match &*failure {
                Some((kind, text)) => Err(io::Error::new(*kind, text.clone())),
                None => Ok(Received::Empty),
            };
        };
        if let Some(ticket) = &delivery.ticket
            && !ticket.wait_within(TICKET_WAIT)
        {
            bump(&self.counters.wait_expired);
        }
        let len = delivery.datagram.len().min(buf.len());
        buf[..len].copy_from_slice(&delivery.datagram[..len]);
        Ok(Received::Datagram(len, delivery.from))
    }

    /// Records the error that ended the intake.
    fn fail(&self, error: &io::Error) {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((error.kind(), error.to_string()));
    }

    /// The counters so far.
    pub fn counts(&self) -> PipelineCounts {
        let c = &self.counters;
        PipelineCounts {
            received: c.received.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            verify_queued: c.verify_queued.load(Ordering::Relaxed),
            verify_skipped: c.verify_skipped.load(Ordering::Relaxed),
            wait_expired: c.wait_expired.load(Ordering::Relaxed),
        }
    }
}

/// The running pipeline: intake thread, workers and the stage between them. Dropping it stops
/// the intake (within [`INTAKE_WAIT`]) and the workers.
#[derive(Debug)]
pub struct Pipeline {
    stage: Arc<Stage>,
    stop: Arc<AtomicBool>,
    intake: Option<JoinHandle<()>>,
    _workers: Workers,
}

impl Pipeline {
    /// Starts `workers` verification threads and the intake reading `socket`. `rules` and
    /// `clock` are the node's (see [`Workers::spawn`]).
    pub fn start(
        socket: RecvHalf,
        workers: usize,
        cache: Arc<VerifyCache>,
        rules: VerifyRules,
        clock: Clock,
    ) -> io::Result<Pipeline> {
        let stage = Arc::new(Stage::new(DELIVERY_CAPACITY, JOB_CAPACITY));
        let workers = Workers::spawn(workers, stage.jobs(), cache, rules, clock)?;
        let stop = Arc::new(AtomicBool::new(false));
        let intake = {
            let stage = Arc::clone(&stage);
            let stop = Arc::clone(&stop);
            thread::Builder::new()
                .name("dave-intake".into())
                .spawn(move || intake(&socket, &stage, &stop))?
        };
        Ok(Pipeline {
            stage,
            stop,
            intake: Some(intake),
            _workers: workers,
        })
    }

    /// See [`Stage::next`].
    pub fn recv_within(&self, buf: &mut [u8], wait: Duration) -> io::Result<Received> {
        self.stage.next(buf, wait)
    }

    /// The counters so far.
    pub fn counts(&self) -> PipelineCounts {
        self.stage.counts()
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(intake) = self.intake.take() {
            // The intake holds no lock across a receive; a panic there leaves nothing to undo.
            let _ = intake.join();
        }
    }
}

/// The intake thread: reads until `stop` or a socket error, which it leaves for the node.
fn intake(socket: &RecvHalf, stage: &Stage, stop: &AtomicBool) {
    // One byte larger than the largest valid datagram, as in the driver: an oversized datagram
    // reaches the node as such and is rejected there.
    let mut buf = vec![0u8; MAX_DATAGRAM + 1];
    while !stop.load(Ordering::Relaxed) {
        match socket.recv(&mut buf) {
            Ok(Received::Datagram(len, from)) => stage.accept(&buf[..len], from),
            Ok(Received::Empty) => {}
            Err(e) => {
                stage.fail(&e);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::Socket;
    use dave_core::crypto::work_hash;
    use dave_core::dat::Dat;
    use dave_core::wire::{Message, PADDED_GET_LEN};
    use ed25519_dalek::SigningKey;

    /// No work needed, so a forged signature with recomputed work reaches the signature check.
    fn rules() -> VerifyRules {
        VerifyRules {
            min_work: 0,
            max_clock_skew_ms: 60_000,
            ttl_ms: 3_600_000,
        }
    }

    fn record(i: usize, clock: &Clock) -> Dat {
        let key = SigningKey::from_bytes(&[11; 32]);
        let name = format!("r{i}");
        Dat::new(
            &key,
            name.as_bytes(),
            b"v",
            clock.now().as_millis(),
            0,
            1,
            [0; 16],
        )
        .unwrap()
    }

    fn put(dat: &Dat) -> Vec<u8> {
        let mut buf = [0u8; MAX_DATAGRAM];
        let len = Message::Put(dat.as_ref()).encode(&mut buf).unwrap();
        buf[..len].to_vec()
    }

    /// A record whose signature is wrong but whose work was recomputed for it.
    fn forged(mut dat: Dat) -> Dat {
        dat.sig[5] ^= 0x10;
        dat.work = work_hash(&dat.salt, &dat.sig);
        dat
    }

    fn from(i: usize) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 4000 + (i % 7) as u16))
    }

    fn drain(stage: &Stage) -> Vec<(Vec<u8>, SocketAddr)> {
        let mut buf = vec![0u8; MAX_DATAGRAM + 1];
        let mut out = Vec::new();
        while let Received::Datagram(len, from) = stage.next(&mut buf, Duration::ZERO).unwrap() {
            out.push((buf[..len].to_vec(), from));
        }
        out
    }

    #[test]
    fn every_datagram_is_delivered_once_in_arrival_order() {
        let clock = Clock::new();
        let mut sent = Vec::new();
        let mut genuine = Vec::new();
        let mut fakes = Vec::new();
        for i in 0..40 {
            let dat = record(i, &clock);
            let fake = forged(record(1000 + i, &clock));
            let get = Message::Get {
                pubkey: dat.pubkey,
                key: &dat.key,
                pad_to: PADDED_GET_LEN,
            };
            let mut buf = [0u8; MAX_DATAGRAM];
            let get_len = get.encode(&mut buf).unwrap();
            sent.push(put(&dat));
            sent.push(vec![0xee, i as u8]);
            sent.push(put(&fake));
            sent.push(buf[..get_len].to_vec());
            genuine.push(dat);
            fakes.push(fake);
        }
        let sent: Vec<_> = sent
            .into_iter()
            .enumerate()
            .map(|(i, d)| (d, from(i)))
            .collect();
        let stage = Stage::new(DELIVERY_CAPACITY, JOB_CAPACITY);
        for (datagram, from) in &sent {
            stage.accept(datagram, *from);
        }
        let cache = Arc::new(VerifyCache::default());
        let workers = Workers::spawn(2, stage.jobs(), Arc::clone(&cache), rules(), clock).unwrap();
        assert_eq!(drain(&stage), sent);
        let counts = stage.counts();
        assert_eq!(counts.received, 160);
        assert_eq!((counts.dropped, counts.verify_skipped), (0, 0));
        assert_eq!(counts.verify_queued, 80, "one job per PUT");
        assert_eq!(counts.wait_expired, 0);
        drop(workers);
        // Every record was verified by a worker before its datagram was delivered, and the
        // node's provider now answers each from the cache: genuine true, forged false.
        assert_eq!(cache.stats().warmed, 80);
        for dat in &genuine {
            assert!(cache.check(&claim(dat)));
        }
        for dat in &fakes {
            assert!(!cache.check(&claim(dat)));
        }
        assert_eq!(cache.stats().hits, 80);
        assert_eq!(cache.stats().misses, 0);
    }

    fn claim(dat: &Dat) -> super::super::cache::Claim {
        super::super::cache::Claim {
            pubkey: dat.pubkey,
            digest: dat.as_ref().sign_digest(),
            sig: dat.sig,
        }
    }

    #[test]
    fn overload_drops_and_skips_are_counted() {
        let clock = Clock::new();
        let puts: Vec<_> = (0..10).map(|i| put(&record(i, &clock))).collect();
        // Room for 4 datagrams to the node, 1 job for a worker; no worker runs yet.
        let stage = Stage::new(4, 1);
        for (i, datagram) in puts.iter().enumerate() {
            stage.accept(datagram, from(i));
        }
        let counts = stage.counts();
        assert_eq!(counts.received, 10);
        assert_eq!(counts.dropped, 6, "the node's queue holds 4");
        assert_eq!(counts.verify_queued, 1, "the workers' queue holds 1");
        assert_eq!(
            counts.verify_skipped, 3,
            "delivered for the node to verify itself"
        );
        let cache = Arc::new(VerifyCache::default());
        let _workers = Workers::spawn(1, stage.jobs(), cache, rules(), clock).unwrap();
        let delivered = drain(&stage);
        let expected: Vec<_> = puts[..4]
            .iter()
            .enumerate()
            .map(|(i, d)| (d.clone(), from(i)))
            .collect();
        assert_eq!(delivered, expected, "the first four, once each, in order");
        assert_eq!(stage.counts().wait_expired, 0);
    }

    #[test]
    fn the_pipeline_delivers_what_the_socket_received() {
        let socket = Socket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let to = socket.local_addr().unwrap();
        let (_tx, rx) = socket.split(INTAKE_WAIT).unwrap();
        let clock = Clock::new();
        let cache = Arc::new(VerifyCache::default());
        let pipeline = Pipeline::start(rx, 2, Arc::clone(&cache), rules(), clock).unwrap();
        let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let sent: Vec<Vec<u8>> = (0..20)
            .map(|i| {
                if i % 2 == 0 {
                    put(&record(i, &clock))
                } else {
                    vec![0xee, i as u8]
                }
            })
            .collect();
        for datagram in &sent {
            peer.send_to(datagram, to).unwrap();
        }
        let mut buf = vec![0u8; MAX_DATAGRAM + 1];
        let mut got = Vec::new();
        while got.len() < sent.len() {
            match pipeline
                .recv_within(&mut buf, Duration::from_secs(10))
                .unwrap()
            {
                Received::Datagram(len, from) => {
                    assert_eq!(from, peer.local_addr().unwrap());
                    got.push(buf[..len].to_vec());
                }
                Received::Empty => panic!("datagram {} lost on loopback", got.len()),
            }
        }
        assert_eq!(got, sent);
        assert_eq!(pipeline.counts().verify_queued, 10);
        assert_eq!(cache.stats().warmed, 10);
    }
}
