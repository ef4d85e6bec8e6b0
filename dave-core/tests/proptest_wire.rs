//! Property tests of the datagram codec (docs/protocol.md §4).
//!
//! Two families:
//! - every message round-trips (encode → decode → equal) and encodes to exactly the length the
//!   table of §4 gives;
//! - the decoder is total: on arbitrary bytes and on mutated valid datagrams it returns `Ok` or
//!   `Err` and never panics, and whatever it accepts re-encodes to exactly the input bytes, so a
//!   datagram has one meaning and one encoding.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use dave_core::dat::{DAT_FIXED_LEN, Dat, MAX_KEY_LEN, MAX_KEY_VAL_LEN};
use dave_core::wire::{
    AddrList, GetAck, Limits, MAX_DATAGRAM, Message, PingKind, Pong, PongAuth, decode_dat_body,
    encode_dat_body,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// Bytes of an encoded address.
const ADDR: usize = 18;

/// Addresses as the decoder hands them back: IPv4 as IPv4, other IPv6 without flow info or
/// scope (the 18-byte format carries neither). Round-trip equality holds for exactly these.
fn canonical_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<u32>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(Ipv4Addr::from(ip).into(), port)),
        (any::<u128>(), any::<u16>())
            .prop_filter("IPv4-mapped decodes as IPv4", |(ip, _)| {
                Ipv6Addr::from(*ip).to_ipv4_mapped().is_none()
            })
            .prop_map(|(ip, port)| SocketAddr::V6(SocketAddrV6::new(ip.into(), port, 0, 0))),
    ]
}

fn addrs(max: usize) -> impl Strategy<Value = Vec<SocketAddr>> {
    prop::collection::vec(canonical_addr(), 0..=max)
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 1..=16),
        prop::collection::vec(any::<u8>(), 1..=MAX_KEY_LEN),
        prop::collection::vec(any::<u8>(), MAX_KEY_LEN),
    ]
}

/// A record with arbitrary (not necessarily valid) crypto fields: the codec does not verify.
/// Value lengths favour the extremes: empty and exactly filling the 1267-byte limit.
fn dat() -> impl Strategy<Value = Dat> {
    key()
        .prop_flat_map(|key| {
            let room = MAX_KEY_VAL_LEN - key.len();
            let val_len = prop_oneof![Just(0), Just(room), 0..=room];
            (Just(key), val_len)
        })
        .prop_flat_map(|(key, val_len)| {
            (
                any::<u64>(),
                any::<[u8; 16]>(),
                any::<[u8; 32]>(),
                prop::collection::vec(any::<u8>(), 64),
                any::<[u8; 32]>(),
                Just(key),
                prop::collection::vec(any::<u8>(), val_len),
            )
        })
        .prop_map(|(time, salt, work, sig, pubkey, key, val)| Dat {
            time,
            salt,
            work,
            sig: sig.try_into().expect("64 bytes"),
            pubkey,
            key,
            val,
        })
}

/// `pad_to` values: none, below the natural length, the PING/GET padding sizes, anything legal.
fn pad_to() -> impl Strategy<Value = usize> {
    prop_oneof![Just(0), Just(160), Just(480), 0..=MAX_DATAGRAM]
}

fn kind() -> impl Strategy<Value = PingKind> {
    prop_oneof![Just(PingKind::Auth), Just(PingKind::Live)]
}

/// An owned message, so strategies can produce what `Message` only borrows.
#[derive(Clone, Debug)]
enum Owned {
    Ping {
        kind: PingKind,
        nonce: [u8; 32],
        read_only: bool,
        pad_to: usize,
    },
    PongLive {
        nonce: [u8; 32],
    },
    PongAuth {
        nonce: [u8; 32],
        salt: [u8; 16],
        pubkey: [u8; 32],
        sig: Vec<u8>,
        addrs: Vec<SocketAddr>,
    },
    Put(Dat),
    Get {
        pubkey: [u8; 32],
        key: Vec<u8>,
        pad_to: usize,
    },
    GetAckFound(Dat),
    GetAckNotFound {
        pubkey: [u8; 32],
        key: Vec<u8>,
        referrals: Vec<SocketAddr>,
    },
    GetMyAddrPort,
    GetMyAddrPortAck(SocketAddr),
}

impl Owned {
    fn message(&self) -> Message<'_> {
        match self {
            Owned::Ping {
                kind,
                nonce,
                read_only,
                pad_to,
            } => Message::Ping {
                kind: *kind,
                nonce: *nonce,
                read_only: *read_only,
                pad_to: *pad_to,
            },
            Owned::PongLive { nonce } => Message::Pong(Pong {
                kind: PingKind::Live,
                nonce: *nonce,
                auth: None,
            }),
            Owned::PongAuth {
                nonce,
                salt,
                pubkey,
                sig,
                addrs,
            } => Message::Pong(Pong {
                kind: PingKind::Auth,
                nonce: *nonce,
                auth: Some(PongAuth {
                    salt: *salt,
                    pubkey: *pubkey,
                    sig: sig.as_slice().try_into().expect("64 bytes"),
                    addrs: AddrList::Addrs(addrs),
                }),
            }),
            Owned::Put(dat) => Message::Put(dat.as_ref()),
            Owned::Get {
                pubkey,
                key,
                pad_to,
            } => Message::Get {
                pubkey: *pubkey,
                key,
                pad_to: *pad_to,
            },
            Owned::GetAckFound(dat) => Message::GetAck(GetAck::Found(dat.as_ref())),
            Owned::GetAckNotFound {
                pubkey,
                key,
                referrals,
            } => Message::GetAck(GetAck::NotFound {
                pubkey: *pubkey,
                key,
                referrals: AddrList::Addrs(referrals),
            }),
            Owned::GetMyAddrPort => Message::GetMyAddrPort,
            Owned::GetMyAddrPortAck(addr) => Message::GetMyAddrPortAck(*addr),
        }
    }

    /// The datagram length §4 gives, computed independently of the encoder.
    fn expected_len(&self) -> usize {
        match self {
            Owned::Ping { pad_to, .. } => (1 + 1 + 32).max(*pad_to),
            Owned::PongLive { .. } => 1 + 1 + 32,
            Owned::PongAuth { addrs, .. } => 1 + 1 + 32 + 16 + 32 + 64 + 1 + ADDR * addrs.len(),
            Owned::Put(dat) => 1 + DAT_FIXED_LEN + dat.key.len() + dat.val.len(),
            Owned::Get { key, pad_to, .. } => (1 + 32 + 1 + key.len()).max(*pad_to),
            Owned::GetAckFound(dat) => 2 + DAT_FIXED_LEN + dat.key.len() + dat.val.len(),
            Owned::GetAckNotFound { key, referrals, .. } => {
                2 + 32 + 1 + key.len() + 1 + ADDR * referrals.len()
            }
            Owned::GetMyAddrPort => 1,
            Owned::GetMyAddrPortAck(_) => 1 + ADDR,
        }
    }

    /// What decoding the encoding must give: the message itself, except that padded messages
    /// report the datagram's actual length in `pad_to`.
    fn expected_decoded(&self) -> Message<'_> {
        let len = self.expected_len();
        match self.message() {
            Message::Ping {
                kind,
                nonce,
                read_only,
                ..
            } => Message::Ping {
                kind,
                nonce,
                read_only,
                pad_to: len,
            },
            Message::Get { pubkey, key, .. } => Message::Get {
                pubkey,
                key,
                pad_to: len,
            },
            other => other,
        }
    }
}

fn ping() -> impl Strategy<Value = Owned> {
    (kind(), any::<[u8; 32]>(), any::<bool>(), pad_to()).prop_map(
        |(kind, nonce, read_only, pad_to)| Owned::Ping {
            kind,
            nonce,
            read_only,
            pad_to,
        },
    )
}

fn pong_live() -> impl Strategy<Value = Owned> {
    any::<[u8; 32]>().prop_map(|nonce| Owned::PongLive { nonce })
}

fn pong_auth() -> impl Strategy<Value = Owned> {
    (
        any::<[u8; 32]>(),
        any::<[u8; 16]>(),
        any::<[u8; 32]>(),
        prop::collection::vec(any::<u8>(), 64),
        addrs(12),
    )
        .prop_map(|(nonce, salt, pubkey, sig, addrs)| Owned::PongAuth {
            nonce,
            salt,
            pubkey,
            sig,
            addrs,
        })
}

fn get() -> impl Strategy<Value = Owned> {
    (any::<[u8; 32]>(), key(), pad_to()).prop_map(|(pubkey, key, pad_to)| Owned::Get {
        pubkey,
        key,
        pad_to,
    })
}

fn get_ack_not_found() -> impl Strategy<Value = Owned> {
    (any::<[u8; 32]>(), key(), addrs(5)).prop_map(|(pubkey, key, referrals)| {
        Owned::GetAckNotFound {
            pubkey,
            key,
            referrals,
        }
    })
}

fn any_message() -> impl Strategy<Value = Owned> {
    prop_oneof![
        ping(),
        pong_live(),
        pong_auth(),
        dat().prop_map(Owned::Put),
        get(),
        dat().prop_map(Owned::GetAckFound),
        get_ack_not_found(),
        Just(Owned::GetMyAddrPort),
        canonical_addr().prop_map(Owned::GetMyAddrPortAck),
    ]
}

/// Encodes, checks the length, decodes, checks the result, and checks that re-encoding the
/// decoded message reproduces the datagram.
fn check_round_trip(owned: &Owned) -> Result<(), TestCaseError> {
    let mut buf = [0u8; MAX_DATAGRAM];
    let len = owned
        .message()
        .encode(&mut buf)
        .map_err(|e| TestCaseError::fail(format!("encode failed: {e}")))?;
    prop_assert_eq!(len, owned.expected_len());
    prop_assert!(len <= MAX_DATAGRAM);
    let decoded = Message::decode(&buf[..len])
        .map_err(|e| TestCaseError::fail(format!("decode failed: {e}")))?;
    prop_assert_eq!(decoded, owned.expected_decoded());
    let mut again = [0u8; MAX_DATAGRAM];
    let len_again = decoded
        .encode(&mut again)
        .map_err(|e| TestCaseError::fail(format!("re-encode failed: {e}")))?;
    prop_assert_eq!(&again[..len_again], &buf[..len]);
    Ok(())
}

/// Decodes `bytes` under `limits`; whenever that succeeds, re-encoding must give `bytes` back.
fn check_decoder_is_total(bytes: &[u8], limits: &Limits) -> Result<(), TestCaseError> {
    if let Ok(message) = Message::decode_with(bytes, limits) {
        let mut buf = [0u8; MAX_DATAGRAM];
        let len = message
            .encode(&mut buf)
            .map_err(|e| TestCaseError::fail(format!("accepted {message:?} won't encode: {e}")))?;
        prop_assert_eq!(&buf[..len], bytes);
    }
    if let Ok(dat) = decode_dat_body(bytes) {
        let mut buf = [0u8; MAX_DATAGRAM];
        let len = encode_dat_body(&dat, &mut buf)
            .map_err(|e| TestCaseError::fail(format!("accepted record won't encode: {e}")))?;
        prop_assert_eq!(&buf[..len], bytes);
    }
    Ok(())
}

/// One edit of a valid datagram.
#[derive(Clone, Debug)]
enum Mutation {
    /// XOR one byte with a non-zero mask.
    Flip(Index, u8),
    /// Overwrite one byte (lengths, counts, flags and kinds are single bytes).
    Set(Index, u8),
    /// Keep only a prefix.
    Truncate(Index),
    /// Add bytes at the end (zeros hit the padding rules, others the trailing-bytes rule).
    Append(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 1..=u8::MAX).prop_map(|(i, mask)| Mutation::Flip(i, mask)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        any::<Index>().prop_map(Mutation::Truncate),
        prop_oneof![
            prop::collection::vec(Just(0u8), 1..=64),
            prop::collection::vec(any::<u8>(), 1..=64),
        ]
        .prop_map(Mutation::Append),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    match mutation {
        Mutation::Flip(i, mask) => {
            let at = i.index(bytes.len());
            bytes[at] ^= mask;
        }
        Mutation::Set(i, b) => {
            let at = i.index(bytes.len());
            bytes[at] = *b;
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len())),
        Mutation::Append(tail) => bytes.extend_from_slice(tail),
    }
}

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        Just(Limits::default()),
        (0..=usize::from(u8::MAX), 0..=usize::from(u8::MAX)).prop_map(
            |(npeer_limit, referrals)| {
                Limits {
                    npeer_limit,
                    referrals,
                }
            }
        ),
    ]
}

proptest! {
    #[test]
    fn ping_round_trips(m in ping()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn pong_live_round_trips(m in pong_live()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn pong_auth_round_trips(m in pong_auth()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn put_round_trips(d in dat()) {
        check_round_trip(&Owned::Put(d))?;
    }

    #[test]
    fn get_round_trips(m in get()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn get_ack_found_round_trips(d in dat()) {
        check_round_trip(&Owned::GetAckFound(d))?;
    }

    #[test]
    fn get_ack_not_found_round_trips(m in get_ack_not_found()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn getmyaddrport_ack_round_trips(a in canonical_addr()) {
        check_round_trip(&Owned::GetMyAddrPortAck(a))?;
        check_round_trip(&Owned::GetMyAddrPort)?;
    }

    /// A record body round-trips on its own too (PUT bodies, GET_ACK bodies, backup files).
    #[test]
    fn dat_body_round_trips(d in dat()) {
        let mut buf = [0u8; MAX_DATAGRAM];
        let len = encode_dat_body(&d.as_ref(), &mut buf)
            .map_err(|e| TestCaseError::fail(format!("encode failed: {e}")))?;
        prop_assert_eq!(len, d.encoded_len());
        let back = decode_dat_body(&buf[..len])
            .map_err(|e| TestCaseError::fail(format!("decode failed: {e}")))?;
        prop_assert_eq!(back.to_owned_dat(), d);
    }

    /// Encoding into a buffer too small for the message is an error, never a panic or a
    /// partial datagram passed off as whole.
    #[test]
    fn short_buffers_are_refused(m in any_message(), cut in any::<Index>()) {
        let need = m.expected_len();
        let mut buf = vec![0u8; cut.index(need)];
        prop_assert!(m.message().encode(&mut buf).is_err());
    }

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..=1500),
        limits in limits(),
    ) {
        check_decoder_is_total(&bytes, &limits)?;
    }

    /// Arbitrary bodies behind a valid op and a plausible second byte (kind / found flag), so
    /// the search reaches past the first two checks.
    #[test]
    fn decode_never_panics_behind_a_valid_op(
        op in 0u8..=6,
        second in prop_oneof![0u8..=1, any::<u8>()],
        body in prop::collection::vec(any::<u8>(), 0..=MAX_DATAGRAM),
        limits in limits(),
    ) {
        let mut bytes = vec![op, second];
        bytes.extend_from_slice(&body);
        check_decoder_is_total(&bytes, &limits)?;
    }

    #[test]
    fn decode_never_panics_on_mutated_datagrams(
        m in any_message(),
        edits in prop::collection::vec(mutation(), 1..=3),
        limits in limits(),
    ) {
        let mut bytes = vec![0u8; MAX_DATAGRAM];
        let len = m.message().encode(&mut bytes)
            .map_err(|e| TestCaseError::fail(format!("encode failed: {e}")))?;
        bytes.truncate(len);
        for edit in &edits {
            if !bytes.is_empty() || matches!(edit, Mutation::Append(_)) {
                apply(&mut bytes, edit);
            }
        }
        check_decoder_is_total(&bytes, &limits)?;
    }
}
