//! Speed of the foundation (docs/protocol.md §3, §4): the codec for every message, record
//! verification and its parts, and mining.
//!
//! Run with `cargo bench -p dave-core --bench codec -- --warm-up-time 1 --measurement-time 3`.
//! Targets (issue 2): decoding a maximal PUT under 100 ns; verification dominated by its single
//! Ed25519 check (compare `verify/record` with `verify/signature_only`).

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use dave_core::crypto::{Crypto, DirectCrypto};
use dave_core::dat::{Dat, MAX_KEY_LEN, MAX_KEY_VAL_LEN, VerifyRules};
use dave_core::wire::{
    AddrList, DEFAULT_NPEER_LIMIT, DEFAULT_REFERRALS, GetAck, MAX_DATAGRAM, Message,
    PADDED_GET_LEN, PADDED_PING_LEN, PingKind, Pong, PongAuth,
};
use ed25519_dalek::SigningKey;

const NOW_MS: u64 = 1_700_000_000_000;
/// MIN_WORK of §11: what a real node demands, and what the verification benches check.
const MIN_WORK: u32 = 16;
const RULES: VerifyRules = VerifyRules {
    min_work: MIN_WORK,
    max_clock_skew_ms: 2_000,
    ttl_ms: 365 * 24 * 3600 * 1000,
};

fn signer() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

/// A record with a 255-byte key and a value filling the 1267-byte limit: the largest PUT
/// (1423 bytes) and, as a GET_ACK, the largest datagram (1424 bytes).
fn max_dat() -> Dat {
    let key = [b'k'; MAX_KEY_LEN];
    let val = [b'v'; MAX_KEY_VAL_LEN - MAX_KEY_LEN];
    Dat::new(&signer(), &key, &val, NOW_MS, MIN_WORK, 1, [0; 16]).expect("fits")
}

fn small_dat() -> Dat {
    Dat::new(
        &signer(),
        b"profile",
        b"hello",
        NOW_MS,
        MIN_WORK,
        1,
        [0; 16],
    )
    .expect("fits")
}

fn addrs(n: usize) -> Vec<SocketAddr> {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                SocketAddr::from(([10, 0, i as u8, 1], 4000 + i as u16))
            } else {
                SocketAddr::from(([0x2001, 0xdb8, i as u16, 0, 0, 0, 0, 1], 4000 + i as u16))
            }
        })
        .collect()
}

/// Encodes and decodes one message, each as its own benchmark.
fn bench_message(c: &mut Criterion, name: &str, message: &Message<'_>) {
    let mut buf = [0u8; MAX_DATAGRAM];
    let len = message.encode(&mut buf).expect("encodes");
    c.bench_function(&format!("encode/{name}_{len}B"), |b| {
        let mut out = [0u8; MAX_DATAGRAM];
        b.iter(|| black_box(message).encode(black_box(&mut out)))
    });
    let datagram = &buf[..len];
    c.bench_function(&format!("decode/{name}_{len}B"), |b| {
        b.iter(|| Message::decode(black_box(datagram)).is_ok())
    });
}

fn codec(c: &mut Criterion) {
    let big = max_dat();
    let small = small_dat();
    let peers = addrs(DEFAULT_NPEER_LIMIT);
    let referrals = addrs(DEFAULT_REFERRALS);
    let ping = |kind, pad_to| Message::Ping {
        kind,
        nonce: [7; 32],
        read_only: false,
        pad_to,
    };
    bench_message(c, "ping_live", &ping(PingKind::Live, 0));
    bench_message(
        c,
        "ping_auth_padded",
        &ping(PingKind::Auth, PADDED_PING_LEN),
    );
    bench_message(
        c,
        "pong_live",
        &Message::Pong(Pong {
            kind: PingKind::Live,
            nonce: [7; 32],
            auth: None,
        }),
    );
    bench_message(
        c,
        "pong_auth_12_addrs",
        &Message::Pong(Pong {
            kind: PingKind::Auth,
            nonce: [7; 32],
            auth: Some(PongAuth {
                salt: [1; 16],
                pubkey: [2; 32],
                sig: [3; 64],
                addrs: AddrList::Addrs(&peers),
            }),
        }),
    );
    bench_message(c, "put_small", &Message::Put(small.as_ref()));
    bench_message(c, "put_max", &Message::Put(big.as_ref()));
    let get = |key: &'static [u8], pad_to| Message::Get {
        pubkey: [2; 32],
        key,
        pad_to,
    };
    bench_message(c, "get", &get(b"profile", 0));
    bench_message(c, "get_padded", &get(b"profile", PADDED_GET_LEN));
    bench_message(
        c,
        "get_ack_found_max",
        &Message::GetAck(GetAck::Found(big.as_ref())),
    );
    bench_message(
        c,
        "get_ack_not_found_5_referrals",
        &Message::GetAck(GetAck::NotFound {
            pubkey: [2; 32],
            key: b"profile",
            referrals: AddrList::Addrs(&referrals),
        }),
    );
    bench_message(c, "getmyaddrport", &Message::GetMyAddrPort);
    bench_message(
        c,
        "getmyaddrport_ack",
        &Message::GetMyAddrPortAck(referrals[1]),
    );
}

fn verification(c: &mut Criterion) {
    let crypto: &dyn Crypto = &DirectCrypto;
    for (name, dat) in [("small", small_dat()), ("max", max_dat())] {
        let record = dat.as_ref();
        assert_eq!(record.verify(NOW_MS, &RULES, crypto), Ok(()));
        c.bench_function(&format!("verify/record_{name}"), |b| {
            b.iter(|| black_box(&record).verify(black_box(NOW_MS), &RULES, crypto))
        });
        c.bench_function(&format!("verify/sign_digest_{name}"), |b| {
            b.iter(|| black_box(&record).sign_digest())
        });
    }
    let dat = small_dat();
    let digest = dat.as_ref().sign_digest();
    c.bench_function("verify/signature_only", |b| {
        b.iter(|| crypto.verify(black_box(&dat.pubkey), black_box(&digest), &dat.sig))
    });
    c.bench_function("verify/work_only", |b| {
        b.iter(|| crypto.check_work(black_box(&dat.salt), &dat.sig, &dat.work, MIN_WORK))
    });
    let key = signer();
    c.bench_function("sign/digest", |b| {
        b.iter(|| crypto.sign(&key, black_box(&digest)))
    });
}

/// `Dat::new` (sign, then mine on one thread) at 8, 12 and 16 bits. Each iteration starts the
/// salt search somewhere new, so no iteration repeats another's search; the expected number of
/// hashes is 2^bits, so single iterations vary widely and the median is what to read.
fn mining(c: &mut Criterion) {
    let key = signer();
    let mut group = c.benchmark_group("mine");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    for bits in [8u32, 12, 16] {
        let mut start: u128 = 0;
        group.bench_function(format!("{bits}_bits"), |b| {
            b.iter_batched(
                || {
                    start = start.wrapping_add(1 << 64);
                    start.to_le_bytes()
                },
                |salt_start| {
                    Dat::new(&key, b"profile", b"hello", NOW_MS, bits, 1, salt_start).expect("fits")
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, codec, verification, mining);
criterion_main!(benches);
