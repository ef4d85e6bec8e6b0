//! Memory of one node: the simulator runs thousands, so a node with a full table and an empty
//! store must stay within tens of KB. Measured with a counting allocator (this test binary only).

mod harness;

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use dave_core::id::NodeId;
use dave_core::peers::PeerState;
use dave_core::wire::PingKind;
use harness::{FakePeer, Solo, ping, test_config};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn a_node_with_a_full_table_and_an_empty_store_takes_tens_of_kb() {
    // K peers in each of buckets 63..=52: the table of a node in a network of a few thousand.
    let own = NodeId::from_public_key(&harness::key(200, 0).verifying_key().to_bytes());
    let mut per_bucket = [0usize; 64];
    let mut peers = Vec::new();
    for i in 0.. {
        if peers.len() == 12 * 8 {
            break;
        }
        let key = harness::key(129, i);
        let Some(b) = own.bucket_index(NodeId::from_public_key(&key.verifying_key().to_bytes()))
        else {
            continue;
        };
        if b >= 52 && per_bucket[b] < 8 {
            per_bucket[b] += 1;
            let n = peers.len();
            peers.push(FakePeer::new(
                key,
                SocketAddr::from(([30, 0, n as u8, 1], 4000)),
            ));
        }
    }
    let before = LIVE.load(Ordering::Relaxed);
    let mut solo = Solo::new(test_config(), vec![]);
    // In groups smaller than the candidate list, as a real join would arrive.
    for group in peers.chunks(32) {
        for p in group {
            solo.deliver(p.addr, &ping(PingKind::Auth, 160));
            for bytes in solo.take_sent_to(p.addr) {
                if let Some(pong) = p.pong_for(&bytes, &p.key, &[]) {
                    solo.deliver(p.addr, &pong);
                }
            }
        }
    }
    for _ in 0..5 {
        for p in &peers {
            for bytes in solo.take_sent_to(p.addr) {
                if let Some(pong) = p.pong_for(&bytes, &p.key, &[]) {
                    solo.deliver(p.addr, &pong);
                }
            }
        }
        solo.advance(Duration::from_secs(4));
    }
    solo.sent = Vec::new();
    solo.events = Vec::new();
    let active = solo
        .node
        .peers()
        .filter(|p| p.state == PeerState::Active)
        .count();
    assert_eq!(active, 96);
    let bytes = LIVE.load(Ordering::Relaxed) - before - std::mem::size_of::<Solo>() as isize;
    let node = std::mem::size_of::<dave_core::node::Node>() as isize;
    eprintln!(
        "node with 96 active peers: {} B heap + {node} B inline",
        bytes
    );
    // About 82 KB before issue 11's compaction (B-tree indexes, 224-byte peer entries with
    // stored nonces, a 64-byte ledger entry per address, 256 empty store shards); about 38 KB
    // after its second pass, 23 KB after its third (112-byte entries, compact slot indexes,
    // accounts in the entries, 16-byte recently-verified entries, a lookup list that empties),
    // 15.5 KB after its fourth (a heap schedule instead of a B-tree, a shared config, no
    // outbox, event queue or scratch room kept between inputs).
    assert!(bytes + node < 18 * 1024, "{} bytes", bytes + node);
}
