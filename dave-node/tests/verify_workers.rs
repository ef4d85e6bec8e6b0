//! A node with verification workers over real UDP (issue 11): it stores every genuine record
//! it is sent, exactly once, and refuses every forged one, whether the worker or the node
//! verified it.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use dave_core::config::Config;
use dave_core::crypto::work_hash;
use dave_core::dat::{Dat, DatError};
use dave_core::event::{Event, RejectReason};
use dave_core::node::Node;
use dave_core::wire::{MAX_DATAGRAM, Message};
use dave_node::clock::Clock;
use dave_node::driver::Driver;
use dave_node::socket::Socket;
use dave_node::verify;
use ed25519_dalek::SigningKey;

fn put(dat: &Dat) -> Vec<u8> {
    let mut buf = [0u8; MAX_DATAGRAM];
    let len = Message::Put(dat.as_ref()).encode(&mut buf).unwrap();
    buf[..len].to_vec()
}

#[test]
fn workers_never_let_a_forged_record_in_and_deliver_every_put_once() {
    for workers in [1, 2] {
        let clock = Clock::new();
        let (crypto, cache) = verify::provider(workers);
        let config = Config {
            min_work: 0,
            ..Config::default()
        };
        let node = Node::new(
            config,
            SigningKey::from_bytes(&[1; 32]),
            Vec::new(),
            [2; 32],
            crypto,
            clock.now(),
        );
        let socket = Socket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let to = socket.local_addr().unwrap();
        let cache = cache.expect("workers use the cache");
        let mut driver =
            Driver::with_verification(node, socket, clock, cache.clone(), workers).unwrap();

        let writer = SigningKey::from_bytes(&[3; 32]);
        let now_ms = clock.now().as_millis();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut genuine = 0;
        let mut forged = 0;
        for i in 0..60 {
            let mut dat = Dat::new(
                &writer,
                format!("k{i}").as_bytes(),
                b"v",
                now_ms,
                0,
                1,
                [0; 16],
            )
            .unwrap();
            if i % 3 == 2 {
                // A wrong signature with work recomputed for it: only the signature check
                // can refuse it.
                dat.sig[1] ^= 0x20;
                dat.work = work_hash(&dat.salt, &dat.sig);
                forged += 1;
            } else {
                genuine += 1;
            }
            client.send_to(&put(&dat), to).unwrap();
        }

        let (mut stored, mut bad_sig, mut other) = (0, 0, 0);
        let deadline = Instant::now() + Duration::from_secs(30);
        while stored + bad_sig < genuine + forged && Instant::now() < deadline {
            driver
                .turn(Duration::from_millis(20), &mut |event| match event {
                    Event::RecordStored { .. } => stored += 1,
                    Event::DatagramRejected {
                        reason: RejectReason::InvalidRecord(DatError::SignatureInvalid),
                        ..
                    } => bad_sig += 1,
                    Event::DatagramRejected { .. } | Event::RecordRefused { .. } => other += 1,
                    _ => {}
                })
                .unwrap();
        }
        assert_eq!(
            (stored, bad_sig, other),
            (genuine, forged, 0),
            "{workers} workers"
        );
        assert_eq!(driver.node().record_count(), genuine);
        let traffic = driver.traffic();
        assert_eq!(traffic.received, 60);
        assert_eq!(traffic.rx_dropped, 0);
        assert_eq!(traffic.verify_queued + traffic.verify_skipped, 60);
        let stats = cache.stats();
        // The node asked once per PUT, and found the worker's answer unless a ticket was not
        // waited for (a worker slower than TICKET_WAIT); the workers verified each at most once.
        assert_eq!(stats.hits + stats.misses, 60, "{stats:?}");
        assert!(stats.warmed <= 60, "{stats:?}");
    }
}
