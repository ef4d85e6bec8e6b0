//! The protobuf mirror that `benches/codec_vs_prost.rs` times against Dave's codec carries the
//! same content as Dave's datagrams, and its validation refuses what Dave's decoder refuses, so
//! the benchmark compares like with like.

#[path = "../benches/prost_mirror/mod.rs"]
mod prost_mirror;

use dave_core::dat::DatError;
use dave_core::wire::{Limits, MAX_DATAGRAM, Message};
use prost::Message as _;
use prost::bytes::Bytes;
use prost_mirror::pb::{self, datagram::Msg, from_dave, get_ack::Result as AckResult, to_dave};
use prost_mirror::{MAX_PB_DATAGRAM, MirrorError, Samples, pb_bytes};

/// Encodes the mirror, decodes it with prost, and checks it as Dave's decoder would.
fn through_prost(mirror: &pb::Datagram) -> Result<Vec<u8>, MirrorError> {
    let bytes = mirror.encode_to_vec();
    let decoded = pb::Datagram::decode(bytes.as_slice()).expect("prost decodes what it encoded");
    assert_eq!(&decoded, mirror, "prost round trip");
    let mut scratch = Vec::new();
    let message = to_dave(&decoded, bytes.len(), &Limits::default(), &mut scratch)?;
    let mut out = [0u8; MAX_DATAGRAM];
    let len = message.encode(&mut out).expect("a checked message encodes");
    Ok(out[..len].to_vec())
}

#[test]
fn every_compared_message_carries_the_same_content_in_both_codecs() {
    let samples = Samples::new();
    for (name, message) in samples.messages() {
        let mut buf = [0u8; MAX_DATAGRAM];
        let len = message.encode(&mut buf).expect("encodes");
        let dave = &buf[..len];
        let mirror = from_dave(&message);
        let pb_bytes = mirror.encode_to_vec();
        let decoded = pb::Datagram::decode(pb_bytes.as_slice()).expect("prost decodes");
        let mut scratch = Vec::new();
        // The same typed message, field by field (addresses compare by value)...
        assert_eq!(
            to_dave(&decoded, pb_bytes.len(), &Limits::default(), &mut scratch),
            Ok(Message::decode(dave).expect("dave decodes")),
            "{name}"
        );
        // ...and so the same Dave datagram, byte for byte.
        assert_eq!(through_prost(&mirror).as_deref(), Ok(dave), "{name}");
        // The zero-copy schema is the same protobuf: same bytes, same content.
        let zero_copy = pb_bytes::from_dave(&message);
        assert_eq!(zero_copy.encode_to_vec(), pb_bytes, "{name}");
        let decoded = pb_bytes::Datagram::decode(Bytes::from(pb_bytes.clone())).expect("decodes");
        assert_eq!(decoded, zero_copy, "{name}");
        assert_eq!(
            pb_bytes::to_dave(&decoded, pb_bytes.len(), &Limits::default(), &mut scratch),
            Ok(Message::decode(dave).expect("dave decodes")),
            "{name}"
        );
        println!("{name}: dave {len} B, protobuf {} B", pb_bytes.len());
    }
}

#[test]
fn the_largest_dave_datagram_is_the_largest_the_mirror_accepts() {
    let mirror = sample("get_ack_found_max");
    assert_eq!(mirror.encode_to_vec().len(), MAX_PB_DATAGRAM);
    let mut buf = [0u8; MAX_DATAGRAM];
    let samples = Samples::new();
    let (_, message) = samples
        .messages()
        .into_iter()
        .find(|(n, _)| *n == "get_ack_found_max")
        .expect("sample");
    assert_eq!(message.encode(&mut buf), Ok(MAX_DATAGRAM));
}

/// The mirror of a named sample message.
fn sample(name: &str) -> pb::Datagram {
    let samples = Samples::new();
    let (_, message) = samples
        .messages()
        .into_iter()
        .find(|(n, _)| *n == name)
        .expect("a sample of that name");
    from_dave(&message)
}

/// Applies `edit` to the message inside a sample's envelope.
fn edited(name: &str, edit: impl FnOnce(&mut Msg)) -> pb::Datagram {
    let mut datagram = sample(name);
    edit(datagram.msg.as_mut().expect("samples have a message"));
    datagram
}

#[test]
fn prost_accepts_what_dave_refuses_and_the_validation_refuses_it() {
    let field = |field, len| MirrorError::FieldLength { field, len };
    let cases: Vec<(&str, pb::Datagram, MirrorError)> = vec![
        (
            "short nonce",
            edited("ping_live", |m| {
                if let Msg::Ping(ping) = m {
                    ping.nonce.pop();
                }
            }),
            field("ping nonce", 31),
        ),
        (
            "unknown kind",
            edited("ping_live", |m| {
                if let Msg::Ping(ping) = m {
                    ping.kind = 7;
                }
            }),
            MirrorError::UnknownPingKind(7),
        ),
        (
            "non-zero padding",
            edited("get", |m| {
                if let Msg::Get(get) = m {
                    get.padding = vec![0, 1];
                }
            }),
            MirrorError::NonZeroPadding,
        ),
        (
            "LIVE PONG with identity",
            edited("pong_auth_12_addrs", |m| {
                if let Msg::Pong(pong) = m {
                    pong.kind = pb::PingKind::Live as i32;
                }
            }),
            MirrorError::IdentityMismatch,
        ),
        (
            "13 peers",
            edited("pong_auth_12_addrs", |m| {
                if let Msg::Pong(pong) = m
                    && let Some(auth) = pong.auth.as_mut()
                {
                    auth.addrs.push(auth.addrs[0].clone());
                }
            }),
            MirrorError::TooManyAddrs {
                count: 13,
                limit: 12,
            },
        ),
        (
            "4-byte IP",
            edited("get_ack_not_found_5_referrals", |m| {
                if let Msg::GetAck(pb::GetAck {
                    result: Some(AckResult::NotFound(not_found)),
                }) = m
                {
                    not_found.referrals[0].ip.truncate(4);
                }
            }),
            field("address ip", 4),
        ),
        (
            "port above 65535",
            edited("getmyaddrport_ack", |m| {
                if let Msg::GetMyAddrPortAck(addr) = m {
                    addr.port = 70_000;
                }
            }),
            MirrorError::BadPort(70_000),
        ),
        (
            "empty key",
            edited("get", |m| {
                if let Msg::Get(get) = m {
                    get.key.clear();
                }
            }),
            MirrorError::BadSize(DatError::KeyLength(0)),
        ),
        (
            "value one byte too long",
            edited("put_max", |m| {
                if let Msg::Put(dat) = m {
                    dat.val.push(b'v');
                }
            }),
            MirrorError::BadSize(DatError::TooLarge(1268)),
        ),
        (
            "value one byte too long, short key",
            edited("put_small", |m| {
                if let Msg::Put(dat) = m {
                    dat.val = vec![b'v'; 1267 - 7 + 1];
                }
            }),
            MirrorError::BadSize(DatError::TooLarge(1268)),
        ),
        (
            "padded past the largest message",
            edited("get", |m| {
                if let Msg::Get(get) = m {
                    get.padding = vec![0; MAX_PB_DATAGRAM];
                }
            }),
            // Envelope 3 + pubkey 34 + key 9 + padding 3 + 1440 bytes.
            MirrorError::Oversized(MAX_PB_DATAGRAM + 49),
        ),
        (
            "short signature",
            edited("put_small", |m| {
                if let Msg::Put(dat) = m {
                    dat.sig.truncate(63);
                }
            }),
            field("dat signature", 63),
        ),
        (
            "GET_ACK with no result",
            edited("get_ack_found_max", |m| {
                if let Msg::GetAck(ack) = m {
                    ack.result = None;
                }
            }),
            MirrorError::Missing("get_ack result"),
        ),
        (
            "empty datagram",
            pb::Datagram { msg: None },
            MirrorError::Missing("datagram"),
        ),
    ];
    for (what, datagram, expected) in cases {
        // through_prost asserts that prost itself decoded the datagram without complaint.
        assert_eq!(through_prost(&datagram), Err(expected), "{what}");
    }
}

/// Why the validation cannot be complete: prost skips unknown fields, so a protobuf datagram
/// has many encodings where Dave's has one (Dave refuses trailing bytes).
#[test]
fn prost_skips_unknown_fields_that_dave_would_refuse_as_trailing_bytes() {
    let mirror = sample("ping_live");
    let mut bytes = mirror.encode_to_vec();
    // Field 15, wire type 2 (length-delimited), 3 bytes.
    bytes.extend_from_slice(&[15 << 3 | 2, 3, 0xaa, 0xbb, 0xcc]);
    assert_eq!(
        pb::Datagram::decode(bytes.as_slice()).as_ref(),
        Ok(&mirror),
        "prost ignores the unknown field"
    );
}
