//! The byte-exact test vectors of docs/protocol.md §1–§4 (`tests/vectors/dave-v1.json`, computed
//! independently of this crate). Every vector must pass.

use std::net::SocketAddr;

use dave_core::addr::{ADDR_LEN, decode_addr, encode_addr};
use dave_core::crypto::{DirectCrypto, work_hash};
use dave_core::dat::{Dat, DatError, VerifyRules};
use dave_core::hash::leading_zeros;
use dave_core::id::{NodeId, RecordId};
use dave_core::wire::{AddrList, GetAck, Message, PingKind, pong_digest};
use ed25519_dalek::SigningKey;
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/dave-v1.json")).expect("vector file is JSON")
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn array<const N: usize>(v: &Value) -> [u8; N] {
    bytes(v).try_into().expect("right length")
}

fn list<'a>(v: &'a Value, name: &str) -> &'a Vec<Value> {
    v[name].as_array().expect("array")
}

#[test]
fn identities() {
    for id in list(&vectors(), "identities") {
        let key = SigningKey::from_bytes(&array(&id["seed"]));
        let pubkey = key.verifying_key().to_bytes();
        assert_eq!(pubkey, array::<32>(&id["pubkey"]));
        assert_eq!(
            NodeId::from_public_key(&pubkey).0,
            id["node_id"].as_u64().expect("u64")
        );
    }
}

#[test]
fn leading_zero_counts() {
    for v in list(&vectors(), "lz") {
        assert_eq!(
            u64::from(leading_zeros(&array(&v["hash"]))),
            v["lz"].as_u64().expect("u64")
        );
    }
}

#[test]
fn addresses() {
    for v in list(&vectors(), "addresses") {
        let addr: SocketAddr = v["addr"].as_str().expect("str").parse().expect("address");
        let mut out = [0u8; ADDR_LEN];
        encode_addr(&addr, &mut out);
        assert_eq!(out.to_vec(), bytes(&v["encoded"]));
        assert_eq!(decode_addr(&out), addr);
    }
}

fn dat_of(v: &Value) -> Dat {
    Dat {
        time: v["time"].as_u64().expect("u64"),
        salt: array(&v["salt"]),
        work: array(&v["work"]),
        sig: array(&v["sig"]),
        pubkey: array(&v["pubkey"]),
        key: bytes(&v["key"]),
        val: bytes(&v["val"]),
    }
}

fn rules(work_bits: u32) -> VerifyRules {
    VerifyRules {
        min_work: work_bits,
        max_clock_skew_ms: 2_000,
        ttl_ms: 365 * 24 * 3600 * 1000,
    }
}

#[test]
fn dats() {
    for v in list(&vectors(), "dats") {
        let dat = dat_of(v);
        let work_bits = v["work_bits"].as_u64().expect("u64") as u32;
        assert_eq!(dat.as_ref().sign_digest(), array::<32>(&v["sign_digest"]));
        assert_eq!(work_hash(&dat.salt, &dat.sig), dat.work);
        assert!(leading_zeros(&dat.work) >= work_bits);
        assert_eq!(
            dat.record_id(),
            RecordId(v["record_id"].as_u64().expect("u64"))
        );
        assert_eq!(
            dat.as_ref()
                .verify(dat.time, &rules(work_bits), &DirectCrypto),
            Ok(())
        );

        let key = SigningKey::from_bytes(&array(&v["seed"]));
        assert_eq!(key.verifying_key().to_bytes(), dat.pubkey);
        // Mining from the vector's own salt must find that salt at once: same signature, same work.
        let mined =
            Dat::new(&key, &dat.key, &dat.val, dat.time, work_bits, 1, dat.salt).expect("fits");
        assert_eq!(mined, dat);

        let mut buf = vec![0u8; 1424];
        let len = dave_core::wire::encode_dat_body(&dat.as_ref(), &mut buf).expect("encodes");
        assert_eq!(buf[..len].to_vec(), bytes(&v["encoded_dat"]));
        let decoded = dave_core::wire::decode_dat_body(&buf[..len]).expect("decodes");
        assert_eq!(decoded.to_owned_dat(), dat);
    }
}

#[test]
fn malleated_dat_fails_signature() {
    let all = vectors();
    for v in list(&all, "dats_malleated") {
        let original = &list(&all, "dats")[v["of"].as_u64().expect("index") as usize];
        let mut dat = dat_of(original);
        dat.key = bytes(&v["key"]);
        dat.val = bytes(&v["val"]);
        assert_eq!(dat.as_ref().sign_digest(), array::<32>(&v["sign_digest"]));
        assert_eq!(
            dat.as_ref().verify(dat.time, &rules(8), &DirectCrypto),
            Err(DatError::SignatureInvalid)
        );
    }
}

#[test]
fn messages() {
    let all = vectors();
    let dats: Vec<Dat> = list(&all, "dats").iter().map(dat_of).collect();
    for v in list(&all, "messages") {
        let name = v["name"].as_str().expect("name");
        let encoded = bytes(&v["encoded"]);
        assert_eq!(
            encoded.len() as u64,
            v["length"].as_u64().expect("u64"),
            "{name}"
        );
        let decoded = Message::decode(&encoded).unwrap_or_else(|e| panic!("{name}: {e}"));
        let addrs: Vec<SocketAddr> = v["addrs"]
            .as_array()
            .or(v["referrals"].as_array())
            .map(|a| {
                a.iter()
                    .map(|s| s.as_str().expect("str").parse().expect("addr"))
                    .collect()
            })
            .unwrap_or_default();
        let key_bytes = v.get("key").map(bytes).unwrap_or_default();
        let kind = |k: &Value| {
            if k.as_u64() == Some(0) {
                PingKind::Auth
            } else {
                PingKind::Live
            }
        };
        let expected = match name {
            n if n.starts_with("ping") => Message::Ping {
                kind: kind(&v["kind"]),
                nonce: array(&v["nonce"]),
                read_only: v["read_only"].as_bool().unwrap_or(false),
                pad_to: encoded.len(),
            },
            "pong-live" => Message::Pong(dave_core::wire::Pong {
                kind: PingKind::Live,
                nonce: array(&v["nonce"]),
                auth: None,
            }),
            "pong-auth" => {
                let nonce = array(&v["nonce"]);
                let salt = array(&v["salt"]);
                let digest = pong_digest(&nonce, &salt, &AddrList::Addrs(&addrs));
                assert_eq!(digest, array::<32>(&v["signed_digest"]));
                let pubkey = array(&v["pubkey"]);
                let sig = array(&v["sig"]);
                assert!(dave_core::crypto::verify_digest(&pubkey, &digest, &sig));
                Message::Pong(dave_core::wire::Pong {
                    kind: PingKind::Auth,
                    nonce,
                    auth: Some(dave_core::wire::PongAuth {
                        salt,
                        pubkey,
                        sig,
                        addrs: AddrList::Addrs(&addrs),
                    }),
                })
            }
            "put" | "put-max" => {
                Message::Put(dats[v["dat"].as_u64().expect("index") as usize].as_ref())
            }
            n if n.starts_with("get-ack-found") => Message::GetAck(GetAck::Found(
                dats[v["dat"].as_u64().expect("index") as usize].as_ref(),
            )),
            "get-ack-not-found" => Message::GetAck(GetAck::NotFound {
                pubkey: array(&v["pubkey"]),
                key: &key_bytes,
                referrals: AddrList::Addrs(&addrs),
            }),
            n if n.starts_with("get") && n != "getmyaddrport" && n != "getmyaddrport-ack" => {
                Message::Get {
                    pubkey: array(&v["pubkey"]),
                    key: &key_bytes,
                    pad_to: encoded.len(),
                }
            }
            "getmyaddrport" => Message::GetMyAddrPort,
            "getmyaddrport-ack" => {
                Message::GetMyAddrPortAck(v["addr"].as_str().expect("str").parse().expect("addr"))
            }
            other => panic!("vector {other} has no expectation"),
        };
        assert_eq!(decoded, expected, "{name}");
        let mut buf = [0u8; 1424];
        let len = expected
            .encode(&mut buf)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(buf[..len].to_vec(), encoded, "{name} re-encodes byte-exact");
    }
}

#[test]
fn invalid_datagrams_are_rejected_for_the_stated_reason() {
    use dave_core::wire::WireError;
    for v in list(&vectors(), "invalid") {
        let encoded = bytes(&v["encoded"]);
        let why = v["why"].as_str().expect("why");
        let err = Message::decode(&encoded).expect_err(why);
        let expected = match why {
            "empty datagram" => matches!(err, WireError::Empty),
            "unknown op" => matches!(err, WireError::UnknownOp(7)),
            w if w.contains("truncated") => matches!(err, WireError::Truncated(_)),
            w if w.contains("padding not zero") => matches!(err, WireError::NonZeroPadding),
            w if w.contains("kind unknown") => matches!(err, WireError::UnknownPingKind(2)),
            w if w.contains("PONG kind with the read-only flag") => {
                matches!(err, WireError::UnknownPingKind(0x81))
            }
            w if w.contains("trailing") => matches!(err, WireError::TrailingBytes(1)),
            w if w.contains("empty key") => {
                matches!(err, WireError::BadSize(DatError::KeyLength(0)))
            }
            w if w.contains("13 addresses") => {
                matches!(
                    err,
                    WireError::TooManyAddrs {
                        count: 13,
                        limit: 12
                    }
                )
            }
            w if w.contains("1268") => matches!(err, WireError::BadSize(DatError::TooLarge(1268))),
            w if w.contains("found flag") => matches!(err, WireError::BadFoundFlag(2)),
            other => panic!("invalid vector {other:?} has no expectation"),
        };
        assert!(expected, "{why}: got {err:?}");
    }
}
