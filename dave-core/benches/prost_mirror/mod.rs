//! Dave's datagrams (docs/protocol.md §4) mirrored as protobuf messages, so
//! `benches/codec_vs_prost.rs` can time both codecs on the same content and settle the seed's
//! claim that Dave's wire format is "4× faster than protobuf".
//!
//! The structs are written by hand with prost's derive macros (what `prost-build` would generate
//! from the schema below), so no `protoc` and no build script are needed. They exist twice, from
//! one macro: [`pb`] holds `bytes` fields as prost's default `Vec<u8>`, so decoding copies every
//! field into its own allocation; [`pb_bytes`] holds them as `Bytes` (`prost-build`'s
//! `.bytes(["."])`), so decoding from a `Bytes` buffer slices it without copying, which is
//! protobuf's best case in Rust. Both encode to the same bytes.
//!
//! Each Dave message keeps its fields: fixed-size arrays become `bytes`, the record time stays a
//! little-endian 64-bit integer (`fixed64`), address lists become `repeated Addr`, and Dave's op
//! byte becomes the `oneof` of an envelope. The schema:
//!
//! ```proto
//! syntax = "proto3";
//! package dave.v1;
//!
//! // One datagram; the oneof tag plays the part of Dave's op byte.
//! message Datagram {
//!   oneof msg {
//!     Ping ping = 1;
//!     Pong pong = 2;
//!     Dat put = 3;
//!     Get get = 4;
//!     GetAck get_ack = 5;
//!     GetMyAddrPort get_my_addr_port = 6;
//!     Addr get_my_addr_port_ack = 7;
//!   }
//! }
//!
//! enum PingKind { AUTH = 0; LIVE = 1; }
//!
//! // 16-byte IPv6 address (IPv4 as ::ffff:a.b.c.d) and port, as Dave's 18-byte address.
//! message Addr { bytes ip = 1; uint32 port = 2; }
//!
//! message Ping {
//!   PingKind kind = 1;
//!   bytes nonce = 2;        // 32 bytes
//!   bool read_only = 3;     // Dave: bit 7 of the kind byte
//!   bytes padding = 4;      // zero bytes, as many as Dave pads with
//! }
//!
//! message PongAuth {
//!   bytes salt = 1;         // 16 bytes
//!   bytes pubkey = 2;       // 32 bytes
//!   bytes sig = 3;          // 64 bytes
//!   repeated Addr addrs = 4; // at most NPEER_LIMIT (12)
//! }
//!
//! message Pong {
//!   PingKind kind = 1;
//!   bytes nonce = 2;        // 32 bytes
//!   PongAuth auth = 3;      // present exactly when kind is AUTH
//! }
//!
//! message Dat {
//!   fixed64 time = 1;
//!   bytes salt = 2;         // 16 bytes
//!   bytes work = 3;         // 32 bytes
//!   bytes sig = 4;          // 64 bytes
//!   bytes pubkey = 5;       // 32 bytes
//!   bytes key = 6;          // 1..=255 bytes
//!   bytes val = 7;          // key + val <= 1267 bytes
//! }
//!
//! message Get {
//!   bytes pubkey = 1;       // 32 bytes
//!   bytes key = 2;          // 1..=255 bytes
//!   bytes padding = 3;      // zero bytes
//! }
//!
//! message NotFound {
//!   bytes pubkey = 1;
//!   bytes key = 2;
//!   repeated Addr referrals = 3; // at most REFERRALS (5)
//! }
//!
//! message GetAck { oneof result { Dat found = 1; NotFound not_found = 2; } }
//!
//! message GetMyAddrPort {}
//! ```
//!
//! What `prost`'s decode checks: the protobuf framing (tags, varints, length prefixes within the
//! buffer, wire types, a nesting limit). What it does not, and each schema's `to_dave` adds so
//! the comparison can be made like for like: the length of every fixed-size field (an empty or
//! 1000-byte nonce decodes); key and value sizes; the address limits (a list is bounded only by
//! the buffer); the datagram limit ([`MAX_PB_DATAGRAM`], protobuf's size of Dave's 1424-byte
//! limit); enum values (prost enums are open `i32`s); a port above 65535; zero padding; an AUTH
//! PONG with its identity and a LIVE one without; a datagram or GET_ACK with no variant at all.
//! Two of Dave's rules have no equivalent that can be checked after a prost decode: unknown
//! fields are skipped, and a field sent twice keeps its last value (an embedded message merges
//! both), so a protobuf datagram has many encodings where Dave's has exactly one (Dave rejects
//! trailing bytes).

use std::net::SocketAddr;

use dave_core::addr::ADDR_LEN;
use dave_core::dat::{Dat, DatError, MAX_KEY_LEN, MAX_KEY_VAL_LEN};
use dave_core::wire::{self, AddrList, DEFAULT_NPEER_LIMIT, DEFAULT_REFERRALS, Message};
use ed25519_dalek::SigningKey;

/// Largest protobuf datagram the mirror accepts: the mirror of the largest Dave datagram (a
/// GET_ACK carrying a record of 255-byte key and 1012-byte value, 1424 bytes in Dave's form).
/// Protobuf needs 16 bytes more for it (tags and length prefixes), so under protobuf that record
/// would not fit the 1500-byte MTU budget that fixes Dave's 1424; the check stands in for
/// Dave's `MAX_DATAGRAM` and refuses exactly what exceeds the largest valid message.
pub const MAX_PB_DATAGRAM: usize = 1440;

/// Dave's length of an unpadded PING: op, kind, nonce.
const PING_LEN: usize = 1 + 1 + 32;
/// Dave's length of an unpadded GET less its key: op, pubkey, key length.
const GET_FIXED_LEN: usize = 1 + 32 + 1;

/// Why a decoded protobuf datagram is not a valid Dave message: the checks Dave's decoder makes
/// and prost's does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MirrorError {
    /// The encoded datagram is longer than [`MAX_PB_DATAGRAM`].
    Oversized(usize),
    /// A `oneof` with no variant set.
    Missing(&'static str),
    /// A fixed-size field of the wrong length.
    FieldLength {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// A kind other than AUTH or LIVE.
    UnknownPingKind(i32),
    /// An AUTH PONG without identity, or a LIVE one with it.
    IdentityMismatch,
    /// A key or key + value size outside the record rules.
    BadSize(DatError),
    /// More addresses than the receiver's limit.
    TooManyAddrs {
        /// Addresses carried.
        count: usize,
        /// The limit in force.
        limit: usize,
    },
    /// A port above 65535.
    BadPort(u32),
    /// Padding that is not all zero.
    NonZeroPadding,
}

/// What a schema may hold a `bytes` field in.
pub trait BytesField: AsRef<[u8]> {
    /// A field holding a copy of `bytes`.
    fn copy_from(bytes: &[u8]) -> Self;
}

impl BytesField for Vec<u8> {
    fn copy_from(bytes: &[u8]) -> Self {
        bytes.to_vec()
    }
}

impl BytesField for prost::bytes::Bytes {
    fn copy_from(bytes: &[u8]) -> Self {
        prost::bytes::Bytes::copy_from_slice(bytes)
    }
}

/// Dave's 18-byte form of a protobuf address.
fn dave_addr(ip: &[u8], port: u32) -> Result<[u8; ADDR_LEN], MirrorError> {
    let ip: [u8; 16] = array("address ip", ip)?;
    let port = u16::try_from(port).map_err(|_| MirrorError::BadPort(port))?;
    let mut raw = [0u8; ADDR_LEN];
    raw[..16].copy_from_slice(&ip);
    raw[16..].copy_from_slice(&port.to_le_bytes());
    Ok(raw)
}

/// A key of 1..=255 bytes, as Dave's `u8` length prefix allows.
fn dave_key(key: &[u8]) -> Result<&[u8], MirrorError> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(MirrorError::BadSize(DatError::KeyLength(key.len())));
    }
    Ok(key)
}

fn array<const N: usize>(field: &'static str, bytes: &[u8]) -> Result<[u8; N], MirrorError> {
    bytes.try_into().map_err(|_| MirrorError::FieldLength {
        field,
        len: bytes.len(),
    })
}

/// OR-folds like Dave's decoder, so both pay the same for a padded datagram.
fn zero_padding(padding: &[u8]) -> Result<(), MirrorError> {
    if padding.iter().fold(0u8, |acc, &b| acc | b) != 0 {
        return Err(MirrorError::NonZeroPadding);
    }
    Ok(())
}

/// Defines a module holding the schema's types, with `bytes` fields of type `$B` (prost's
/// `bytes = $bytes`), and the conversions to and from Dave's messages.
macro_rules! mirror {
    ($(#[$doc:meta])* $module:ident, $bytes:tt, $B:ty) => {
        $(#[$doc])*
        pub mod $module {
            use std::net::SocketAddr;

            use dave_core::addr::{ADDR_LEN, decode_addr, encode_addr};
            use dave_core::dat::{DatRef, check_sizes};
            use dave_core::wire::{self, AddrList, Limits, Message};

            use super::{
                BytesField, GET_FIXED_LEN, MAX_PB_DATAGRAM, MirrorError, PING_LEN, array,
                dave_addr, dave_key, zero_padding,
            };
            use datagram::Msg;
            use get_ack::Result as AckResult;

            /// The envelope: one datagram.
            #[derive(Clone, PartialEq, prost::Message)]
            pub struct Datagram {
                /// Which message, as Dave's op byte says.
                #[prost(oneof = "datagram::Msg", tags = "1, 2, 3, 4, 5, 6, 7")]
                pub msg: Option<datagram::Msg>,
            }

            /// The envelope's `oneof`.
            pub mod datagram {
                /// Dave's op byte.
                #[derive(Clone, PartialEq, prost::Oneof)]
                pub enum Msg {
                    /// Op 0.
                    #[prost(message, tag = "1")]
                    Ping(super::Ping),
                    /// Op 1.
                    #[prost(message, tag = "2")]
                    Pong(super::Pong),
                    /// Op 2: the record.
                    #[prost(message, tag = "3")]
                    Put(super::Dat),
                    /// Op 3.
                    #[prost(message, tag = "4")]
                    Get(super::Get),
                    /// Op 4.
                    #[prost(message, tag = "5")]
                    GetAck(super::GetAck),
                    /// Op 5.
                    #[prost(message, tag = "6")]
                    GetMyAddrPort(super::GetMyAddrPort),
                    /// Op 6: the address the asker was seen at.
                    #[prost(message, tag = "7")]
                    GetMyAddrPortAck(super::Addr),
                }
            }

            /// PING and PONG kinds, with Dave's numbering.
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
            #[repr(i32)]
            pub enum PingKind {
                /// Identity check.
                Auth = 0,
                /// Liveness check.
                Live = 1,
            }

            /// An address: Dave's 18 bytes as IPv6 octets and a port.
            #[derive(Clone, PartialEq, prost::Message)]
            pub struct Addr {
                /// 16 bytes.
                #[prost(bytes = $bytes, tag = "1")]
                pub ip: $B,
                /// At most 65535.
                #[prost(uint32, tag = "2")]
                pub port: u32,
            }

            /// PING.
            #[derive(Clone, PartialEq, prost::Message)]
            pub struct Ping {
                /// A [`PingKind`].
                #[prost(enumeration = "PingKind", tag = "1")]
                pub kind: i32,
                /// 32 bytes.
                #[prost(bytes = $bytes, tag = "2")]
                pub nonce: $B,
                /// Dave's bit 7 of the kind byte.
                #[prost(bool, tag = "3")]
                pub read_only: bool,
                /// Zero bytes, as many as Dave pads with.
                #[prost(bytes = $bytes, tag = "4")]
                pub padding: $B,
            }

            /// The identity part of an AUTH PONG.
            #[derive(Clone, PartialEq, prost::Message)]
            pub struct PongAuth {
                /// 16 bytes.
                #[prost(bytes = $bytes, tag = "1")]
                pub salt: $B,
                /// 32 bytes.
                #[prost(bytes = $bytes, tag = "2")]
                pub pubkey: $B,
                /// 64 bytes.
                #[prost(bytes = $bytes, tag = "3")]
                pub sig: $B,
                /// At most NPEER_LIMIT.
                #[prost(message, repeated, tag = "4")]
                pub addrs: Vec<Addr>,
            }

            /// PONG.
            #[derive(Clone, PartialEq, prost::Message)]
            pub struct Pong {
                /// A [`PingKind`].
                #[prost(enumeration = "PingKind", tag = "1")]
                pub kind: i32,
                /// 32 bytes.
                #[prost(bytes = $bytes, tag = "2")]
                pub nonce: $B,
                /// Present exactly when `kind` is AUTH.
                #[prost(message, optional, tag = "3")]
                pub auth: Option<PongAuth>,
            }

            /// A record (PUT, GET_ACK found).
            #[derive(Clone, PartialEq, prost::Message)]
            pub struct Dat {
                /// Milliseconds since the epoch.
                #[prost(fixed64, tag = "1")]
                pub time: u64,
                /// 16 bytes.
                #[prost(bytes = $bytes, tag = "2")]
                pub salt: $B,
                /// 32 bytes.
                #[prost(bytes = $bytes, tag = "3")]
                pub work: $B,
                /// 64 bytes.
                #[prost(bytes = $bytes, tag = "4")]
                pub sig: $B,
                /// 32 bytes.
                #[prost(bytes = $bytes, tag = "5")]
                pub pubkey: $B,
                /// 1..=255 bytes.
                #[prost(bytes = $bytes, tag = "6")]
                pub key: $B,
                /// key + val ≤ 1267 bytes.
                #[prost(bytes = $bytes, tag = "7")]
                pub val: $B,
            }

            /// GET.
            #[derive(Clone, PartialEq, prost::Message)]
            pub struct Get {
                /// 32 bytes.
                #[prost(bytes = $bytes, tag = "1")]
                pub pubkey: $B,
                /// 1..=255 bytes.
                #[prost(bytes = $bytes, tag = "2")]
                pub key: $B,
                /// Zero bytes, as many as Dave pads with.
                #[prost(bytes = $bytes, tag = "3")]
                pub padding: $B,
            }

            /// GET_ACK not found.
            #[derive(Clone, PartialEq, prost::Message)]
            pub struct NotFound {
                /// 32 bytes.
                #[prost(bytes = $bytes, tag = "1")]
                pub pubkey: $B,
                /// 1..=255 bytes.
                #[prost(bytes = $bytes, tag = "2")]
                pub key: $B,
                /// At most REFERRALS.
                #[prost(message, repeated, tag = "3")]
                pub referrals: Vec<Addr>,
            }

            /// GET_ACK.
            #[derive(Clone, PartialEq, prost::Message)]
            pub struct GetAck {
                /// Found or not.
                #[prost(oneof = "get_ack::Result", tags = "1, 2")]
                pub result: Option<get_ack::Result>,
            }

            /// GET_ACK's `oneof`.
            pub mod get_ack {
                /// Dave's found flag.
                #[derive(Clone, PartialEq, prost::Oneof)]
                pub enum Result {
                    /// Found = 1: the record.
                    #[prost(message, tag = "1")]
                    Found(super::Dat),
                    /// Found = 0: the request and its referrals.
                    #[prost(message, tag = "2")]
                    NotFound(super::NotFound),
                }
            }

            /// GETMYADDRPORT: no fields.
            #[derive(Clone, PartialEq, prost::Message)]
            pub struct GetMyAddrPort {}

            fn field(bytes: &[u8]) -> $B {
                <$B as BytesField>::copy_from(bytes)
            }

            /// The protobuf mirror of a Dave message. Addresses become their 16 IPv6 octets
            /// and port, as Dave encodes them; padding becomes as many zero bytes as Dave
            /// would pad with.
            pub fn from_dave(message: &Message<'_>) -> Datagram {
                let msg = match message {
                    Message::Ping {
                        kind,
                        nonce,
                        read_only,
                        pad_to,
                    } => Msg::Ping(Ping {
                        kind: pb_kind(*kind) as i32,
                        nonce: field(nonce),
                        read_only: *read_only,
                        padding: field(&vec![0; pad_to.saturating_sub(PING_LEN)]),
                    }),
                    Message::Pong(pong) => Msg::Pong(Pong {
                        kind: pb_kind(pong.kind) as i32,
                        nonce: field(&pong.nonce),
                        auth: pong.auth.as_ref().map(|auth| PongAuth {
                            salt: field(&auth.salt),
                            pubkey: field(&auth.pubkey),
                            sig: field(&auth.sig),
                            addrs: pb_addrs(&auth.addrs),
                        }),
                    }),
                    Message::Put(dat) => Msg::Put(pb_dat(dat)),
                    Message::Get {
                        pubkey,
                        key,
                        pad_to,
                    } => Msg::Get(Get {
                        pubkey: field(pubkey),
                        key: field(key),
                        padding: field(&vec![0; pad_to.saturating_sub(GET_FIXED_LEN + key.len())]),
                    }),
                    Message::GetAck(wire::GetAck::Found(dat)) => Msg::GetAck(GetAck {
                        result: Some(AckResult::Found(pb_dat(dat))),
                    }),
                    Message::GetAck(wire::GetAck::NotFound {
                        pubkey,
                        key,
                        referrals,
                    }) => Msg::GetAck(GetAck {
                        result: Some(AckResult::NotFound(NotFound {
                            pubkey: field(pubkey),
                            key: field(key),
                            referrals: pb_addrs(referrals),
                        })),
                    }),
                    Message::GetMyAddrPort => Msg::GetMyAddrPort(GetMyAddrPort {}),
                    Message::GetMyAddrPortAck(addr) => Msg::GetMyAddrPortAck(pb_addr(addr)),
                };
                Datagram { msg: Some(msg) }
            }

            /// Checks a decoded protobuf datagram of `len` bytes as Dave's decoder checks a
            /// datagram, and returns the same typed message Dave's decoder would. Address lists
            /// are copied into `scratch` in Dave's 18-byte form (Dave's decoder borrows them from
            /// the datagram instead), so a reused `scratch` makes this allocate nothing.
            pub fn to_dave<'a>(
                datagram: &'a Datagram,
                len: usize,
                limits: &Limits,
                scratch: &'a mut Vec<u8>,
            ) -> Result<Message<'a>, MirrorError> {
                if len > MAX_PB_DATAGRAM {
                    return Err(MirrorError::Oversized(len));
                }
                let msg = datagram
                    .msg
                    .as_ref()
                    .ok_or(MirrorError::Missing("datagram"))?;
                Ok(match msg {
                    Msg::Ping(ping) => {
                        zero_padding(&ping.padding)?;
                        Message::Ping {
                            kind: dave_kind(ping.kind)?,
                            nonce: array("ping nonce", &ping.nonce)?,
                            read_only: ping.read_only,
                            pad_to: PING_LEN + ping.padding.len(),
                        }
                    }
                    Msg::Pong(pong) => {
                        let kind = dave_kind(pong.kind)?;
                        let auth = match (kind, &pong.auth) {
                            (wire::PingKind::Live, None) => None,
                            (wire::PingKind::Auth, Some(auth)) => Some(wire::PongAuth {
                                salt: array("pong salt", &auth.salt)?,
                                pubkey: array("pong pubkey", &auth.pubkey)?,
                                sig: array("pong signature", &auth.sig)?,
                                addrs: dave_addrs(&auth.addrs, limits.npeer_limit, scratch)?,
                            }),
                            (wire::PingKind::Live, Some(_)) | (wire::PingKind::Auth, None) => {
                                return Err(MirrorError::IdentityMismatch);
                            }
                        };
                        Message::Pong(wire::Pong {
                            kind,
                            nonce: array("pong nonce", &pong.nonce)?,
                            auth,
                        })
                    }
                    Msg::Put(dat) => Message::Put(dave_dat(dat)?),
                    Msg::Get(get) => {
                        zero_padding(&get.padding)?;
                        Message::Get {
                            pubkey: array("get pubkey", &get.pubkey)?,
                            key: dave_key(&get.key)?,
                            pad_to: GET_FIXED_LEN + get.key.len() + get.padding.len(),
                        }
                    }
                    Msg::GetAck(ack) => match ack.result.as_ref() {
                        Some(AckResult::Found(dat)) => {
                            Message::GetAck(wire::GetAck::Found(dave_dat(dat)?))
                        }
                        Some(AckResult::NotFound(not_found)) => {
                            Message::GetAck(wire::GetAck::NotFound {
                                pubkey: array("get_ack pubkey", &not_found.pubkey)?,
                                key: dave_key(&not_found.key)?,
                                referrals: dave_addrs(
                                    &not_found.referrals,
                                    limits.referrals,
                                    scratch,
                                )?,
                            })
                        }
                        None => return Err(MirrorError::Missing("get_ack result")),
                    },
                    Msg::GetMyAddrPort(_) => Message::GetMyAddrPort,
                    Msg::GetMyAddrPortAck(addr) => {
                        Message::GetMyAddrPortAck(decode_addr(&dave_addr(&addr.ip, addr.port)?))
                    }
                })
            }

            fn pb_kind(kind: wire::PingKind) -> PingKind {
                match kind {
                    wire::PingKind::Auth => PingKind::Auth,
                    wire::PingKind::Live => PingKind::Live,
                }
            }

            fn dave_kind(kind: i32) -> Result<wire::PingKind, MirrorError> {
                match PingKind::try_from(kind) {
                    Ok(PingKind::Auth) => Ok(wire::PingKind::Auth),
                    Ok(PingKind::Live) => Ok(wire::PingKind::Live),
                    Err(_) => Err(MirrorError::UnknownPingKind(kind)),
                }
            }

            fn pb_addr(addr: &SocketAddr) -> Addr {
                let mut raw = [0u8; ADDR_LEN];
                encode_addr(addr, &mut raw);
                Addr {
                    ip: field(&raw[..16]),
                    port: u32::from(u16::from_le_bytes([raw[16], raw[17]])),
                }
            }

            fn pb_addrs(addrs: &AddrList<'_>) -> Vec<Addr> {
                addrs.iter().map(|addr| pb_addr(&addr)).collect()
            }

            /// Refuses more than `limit` addresses before looking at any, as Dave's decoder
            /// does.
            fn dave_addrs<'a>(
                addrs: &[Addr],
                limit: usize,
                scratch: &'a mut Vec<u8>,
            ) -> Result<AddrList<'a>, MirrorError> {
                if addrs.len() > limit {
                    return Err(MirrorError::TooManyAddrs {
                        count: addrs.len(),
                        limit,
                    });
                }
                scratch.clear();
                for addr in addrs {
                    scratch.extend_from_slice(&dave_addr(&addr.ip, addr.port)?);
                }
                let encoded: &'a Vec<u8> = scratch;
                Ok(AddrList::Encoded(encoded))
            }

            fn pb_dat(dat: &DatRef<'_>) -> Dat {
                Dat {
                    time: dat.time,
                    salt: field(&dat.salt),
                    work: field(&dat.work),
                    sig: field(&dat.sig),
                    pubkey: field(&dat.pubkey),
                    key: field(dat.key),
                    val: field(dat.val),
                }
            }

            fn dave_dat(dat: &Dat) -> Result<DatRef<'_>, MirrorError> {
                check_sizes(dat.key.len(), dat.val.len()).map_err(MirrorError::BadSize)?;
                Ok(DatRef {
                    time: dat.time,
                    salt: array("dat salt", &dat.salt)?,
                    work: array("dat work", &dat.work)?,
                    sig: array("dat signature", &dat.sig)?,
                    pubkey: array("dat pubkey", &dat.pubkey)?,
                    key: &dat.key,
                    val: &dat.val,
                })
            }
        }
    };
}

mirror!(
    /// The schema with prost's default `Vec<u8>` for `bytes`: decoding allocates every field.
    pb,
    "vec",
    Vec<u8>
);

mirror!(
    /// The schema with `Bytes` for `bytes`: decoding from a `Bytes` buffer slices it, copying
    /// nothing (only the address lists' `Vec`s are allocated).
    pb_bytes,
    "bytes",
    prost::bytes::Bytes
);

/// Record time of the samples.
const NOW_MS: u64 = 1_700_000_000_000;
/// MIN_WORK of §11, so the records are what a real node accepts.
const MIN_WORK: u32 = 16;

/// The records and address lists the compared messages borrow, built as
/// `benches/codec.rs` builds them.
pub struct Samples {
    max: Dat,
    small: Dat,
    peers: Vec<SocketAddr>,
    referrals: Vec<SocketAddr>,
}

impl Samples {
    /// Mines two records (about 0.1 s at 16 bits).
    pub fn new() -> Samples {
        let signer = SigningKey::from_bytes(&[42; 32]);
        let key = [b'k'; MAX_KEY_LEN];
        let val = [b'v'; MAX_KEY_VAL_LEN - MAX_KEY_LEN];
        Samples {
            max: Dat::new(&signer, &key, &val, NOW_MS, MIN_WORK, 1, [0; 16]).expect("fits"),
            small: Dat::new(&signer, b"profile", b"hello", NOW_MS, MIN_WORK, 1, [0; 16])
                .expect("fits"),
            peers: addrs(DEFAULT_NPEER_LIMIT),
            referrals: addrs(DEFAULT_REFERRALS),
        }
    }

    /// Every compared message, named as in `benches/codec.rs`.
    pub fn messages(&self) -> Vec<(&'static str, Message<'_>)> {
        vec![
            (
                "ping_live",
                Message::Ping {
                    kind: wire::PingKind::Live,
                    nonce: [7; 32],
                    read_only: false,
                    pad_to: 0,
                },
            ),
            (
                "pong_live",
                Message::Pong(wire::Pong {
                    kind: wire::PingKind::Live,
                    nonce: [7; 32],
                    auth: None,
                }),
            ),
            (
                "pong_auth_12_addrs",
                Message::Pong(wire::Pong {
                    kind: wire::PingKind::Auth,
                    nonce: [7; 32],
                    auth: Some(wire::PongAuth {
                        salt: [1; 16],
                        pubkey: [2; 32],
                        sig: [3; 64],
                        addrs: AddrList::Addrs(&self.peers),
                    }),
                }),
            ),
            ("put_small", Message::Put(self.small.as_ref())),
            ("put_max", Message::Put(self.max.as_ref())),
            (
                "get",
                Message::Get {
                    pubkey: [2; 32],
                    key: b"profile",
                    pad_to: 0,
                },
            ),
            (
                "get_ack_found_max",
                Message::GetAck(wire::GetAck::Found(self.max.as_ref())),
            ),
            (
                "get_ack_not_found_5_referrals",
                Message::GetAck(wire::GetAck::NotFound {
                    pubkey: [2; 32],
                    key: b"profile",
                    referrals: AddrList::Addrs(&self.referrals),
                }),
            ),
            (
                "getmyaddrport_ack",
                Message::GetMyAddrPortAck(self.referrals[1]),
            ),
        ]
    }
}

/// Alternating IPv4 and IPv6 addresses, as `benches/codec.rs` uses.
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
