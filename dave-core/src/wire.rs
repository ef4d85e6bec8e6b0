//! The datagram codec (docs/protocol.md §4).
//!
//! Byte 0 is the op; every integer is little-endian. Decoding borrows from the datagram and
//! allocates nothing; encoding writes into the caller's buffer and allocates nothing. The decoder
//! checks every length, rejects trailing bytes and non-zero padding, and returns a typed error for
//! anything else: a node drops and counts a bad datagram, it never panics on one.

use std::net::SocketAddr;

use crate::addr::{ADDR_LEN, decode_addr, encode_addr};
use crate::dat::{DAT_FIXED_LEN, DatError, DatRef, check_sizes};
use crate::hash::{PONG_CONTEXT, keyed_hasher};

/// Largest datagram: fits a 1500-byte MTU under IPv6 and UDP headers.
pub const MAX_DATAGRAM: usize = 1424;
/// A PING to an address that has not yet proved it can answer is padded to this length.
pub const PADDED_PING_LEN: usize = 160;
/// A GET to a node that is not a verified peer is padded to this length.
pub const PADDED_GET_LEN: usize = 480;
/// Default NPEER_LIMIT: most addresses an AUTH PONG may carry.
pub const DEFAULT_NPEER_LIMIT: usize = 12;
/// Default REFERRALS: most addresses a GET_ACK not-found may carry.
pub const DEFAULT_REFERRALS: usize = 5;
/// Bit of a PING's kind byte that marks a read-only sender (§4, §5).
pub const PING_READ_ONLY: u8 = 0x80;

const OP_PING: u8 = 0;
const OP_PONG: u8 = 1;
const OP_PUT: u8 = 2;
const OP_GET: u8 = 3;
const OP_GET_ACK: u8 = 4;
const OP_GETMYADDRPORT: u8 = 5;
const OP_GETMYADDRPORT_ACK: u8 = 6;

/// Why a datagram could not be decoded or a message encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// A datagram has at least the op byte.
    #[error("empty datagram")]
    Empty,
    /// Longer than [`MAX_DATAGRAM`].
    #[error("datagram of {0} bytes exceeds 1424")]
    Oversized(usize),
    /// Byte 0 names no message.
    #[error("unknown op {0}")]
    UnknownOp(u8),
    /// The datagram ended inside a field.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// Bytes after the last field of a message that has no padding.
    #[error("{0} trailing bytes")]
    TrailingBytes(usize),
    /// Padding must be zero bytes.
    #[error("non-zero padding")]
    NonZeroPadding,
    /// A PING or PONG kind other than AUTH (0) or LIVE (1).
    #[error("unknown ping kind {0}")]
    UnknownPingKind(u8),
    /// A GET_ACK found flag other than 0 or 1.
    #[error("GET_ACK found flag {0} is not 0 or 1")]
    BadFoundFlag(u8),
    /// A key or key + value size outside the record rules.
    #[error("bad record size: {0}")]
    BadSize(DatError),
    /// More addresses than the limit for this message.
    #[error("{count} addresses, more than the limit of {limit}")]
    TooManyAddrs {
        /// Addresses the message carried or was asked to carry.
        count: usize,
        /// The limit in force.
        limit: usize,
    },
    /// An encoded address list whose length is not a multiple of 18 (only a hand-built
    /// [`AddrList::Encoded`] can be; decoded lists never are).
    #[error("encoded address list of {0} bytes is not a whole number of addresses")]
    RaggedAddrList(usize),
    /// The caller's buffer cannot hold the message (or its padding).
    #[error("buffer of {have} bytes is too small for {need}")]
    BufferTooSmall {
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
}

/// PING and PONG kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PingKind {
    /// Asks the peer to prove its identity: the PONG is signed and carries peers.
    Auth,
    /// Asks the peer only to echo the nonce from the same address.
    Live,
}

impl PingKind {
    fn to_byte(self) -> u8 {
        match self {
            PingKind::Auth => 0,
            PingKind::Live => 1,
        }
    }

    fn from_byte(byte: u8) -> Result<PingKind, WireError> {
        match byte {
            0 => Ok(PingKind::Auth),
            1 => Ok(PingKind::Live),
            other => Err(WireError::UnknownPingKind(other)),
        }
    }
}

/// A list of addresses: borrowed encoded bytes when decoded, a slice of addresses when encoding.
/// Both compare equal when they hold the same addresses in the same order.
#[derive(Clone, Copy, Debug)]
pub enum AddrList<'a> {
    /// `n × 18` bytes straight from a datagram (length already checked).
    Encoded(&'a [u8]),
    /// Addresses to encode.
    Addrs(&'a [SocketAddr]),
}

impl<'a> AddrList<'a> {
    /// The empty list.
    pub const EMPTY: AddrList<'static> = AddrList::Addrs(&[]);

    /// Number of addresses.
    pub fn len(&self) -> usize {
        match self {
            AddrList::Encoded(bytes) => bytes.len() / ADDR_LEN,
            AddrList::Addrs(addrs) => addrs.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The addresses, in order.
    pub fn iter(&self) -> impl Iterator<Item = SocketAddr> + 'a {
        let (encoded, addrs): (&'a [u8], &'a [SocketAddr]) = match *self {
            AddrList::Encoded(bytes) => (bytes, &[]),
            AddrList::Addrs(addrs) => (&[], addrs),
        };
        encoded
            .chunks_exact(ADDR_LEN)
            .map(|chunk| {
                let mut raw = [0u8; ADDR_LEN];
                raw.copy_from_slice(chunk);
                decode_addr(&raw)
            })
            .chain(addrs.iter().copied())
    }
}

impl PartialEq for AddrList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for AddrList<'_> {}

/// The identity part of an AUTH PONG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PongAuth<'a> {
    /// The responder's own random salt, so the pinger cannot choose the signed text.
    pub salt: [u8; 16],
    /// The responder's public key.
    pub pubkey: [u8; 32],
    /// Signature of [`pong_digest`] over nonce, salt and addresses.
    pub sig: [u8; 64],
    /// Active peers the responder shares (at most NPEER_LIMIT).
    pub addrs: AddrList<'a>,
}

/// A PONG: echoes the PING's nonce; an AUTH PONG also proves identity and shares peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pong<'a> {
    /// AUTH or LIVE, as the PING asked.
    pub kind: PingKind,
    /// The PING's nonce.
    pub nonce: [u8; 32],
    /// Present exactly when `kind` is AUTH.
    pub auth: Option<PongAuth<'a>>,
}

/// The answer to a GET.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetAck<'a> {
    /// The record asked for.
    Found(DatRef<'a>),
    /// Not held here; referrals are closer active peers.
    NotFound {
        /// Owner of the record asked for.
        pubkey: [u8; 32],
        /// Key of the record asked for.
        key: &'a [u8],
        /// Closer active peers (at most REFERRALS).
        referrals: AddrList<'a>,
    },
}

/// Every message of the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// Liveness or identity check. `pad_to` is the total datagram length to pad to with zeros
    /// (0 or anything at most the natural length: none); decoding reports the datagram length.
    Ping {
        /// AUTH or LIVE.
        kind: PingKind,
        /// Random challenge the PONG must echo.
        nonce: [u8; 32],
        /// The sender is read-only (§5): answer it, never make it a candidate or peer. Sent as
        /// bit 7 of the kind byte.
        read_only: bool,
        /// See the variant's doc.
        pad_to: usize,
    },
    /// Answer to a PING.
    Pong(Pong<'a>),
    /// Store this record.
    Put(DatRef<'a>),
    /// Ask for a record. `pad_to` as for PING.
    Get {
        /// Owner's public key.
        pubkey: [u8; 32],
        /// Key, 1..=255 bytes.
        key: &'a [u8],
        /// See [`Message::Ping`].
        pad_to: usize,
    },
    /// Answer to a GET.
    GetAck(GetAck<'a>),
    /// "What address do you see me at?"
    GetMyAddrPort,
    /// The address the sender of GETMYADDRPORT was seen at.
    GetMyAddrPortAck(SocketAddr),
}

/// How many addresses a decoder accepts, from the receiver's `Config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// NPEER_LIMIT: most addresses in an AUTH PONG.
    pub npeer_limit: usize,
    /// REFERRALS: most referrals in a GET_ACK not-found.
    pub referrals: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            npeer_limit: DEFAULT_NPEER_LIMIT,
            referrals: DEFAULT_REFERRALS,
        }
    }
}

/// The digest an AUTH PONG signs: `H("dave v1 pong", nonce ‖ salt ‖ n ‖ addrs)`.
pub fn pong_digest(nonce: &[u8; 32], salt: &[u8; 16], addrs: &AddrList<'_>) -> [u8; 32] {
    let mut hasher = keyed_hasher(PONG_CONTEXT);
    hasher.update(nonce);
    hasher.update(salt);
    hasher.update(&[u8::try_from(addrs.len()).unwrap_or(u8::MAX)]);
    match addrs {
        AddrList::Encoded(bytes) => {
            hasher.update(bytes);
        }
        AddrList::Addrs(list) => {
            let mut raw = [0u8; ADDR_LEN];
            for addr in *list {
                encode_addr(addr, &mut raw);
                hasher.update(&raw);
            }
        }
    }
    *hasher.finalize().as_bytes()
}

/// The same digest as [`pong_digest`] computed the slow, obvious way; kept for tests.
#[cfg(test)]
fn pong_digest_naive(nonce: &[u8; 32], salt: &[u8; 16], addrs: &[SocketAddr]) -> [u8; 32] {
    use crate::hash::h;
    let mut encoded = Vec::new();
    for addr in addrs {
        let mut raw = [0u8; ADDR_LEN];
        encode_addr(addr, &mut raw);
        encoded.extend_from_slice(&raw);
    }
    h(PONG_CONTEXT, &[nonce, salt, &[addrs.len() as u8], &encoded])
}

impl<'a> Message<'a> {
    /// Decodes a datagram with the default address limits.
    pub fn decode(bytes: &'a [u8]) -> Result<Message<'a>, WireError> {
        Message::decode_with(bytes, &Limits::default())
    }

    /// Decodes a datagram, accepting at most `limits` addresses per list.
    pub fn decode_with(bytes: &'a [u8], limits: &Limits) -> Result<Message<'a>, WireError> {
        if bytes.len() > MAX_DATAGRAM {
            return Err(WireError::Oversized(bytes.len()));
        }
        let mut r = Reader { rest: bytes };
        let op = r.u8("op").map_err(|_| WireError::Empty)?;
        let message = match op {
            OP_PING => {
                let flags_kind = r.u8("ping kind")?;
                let kind = PingKind::from_byte(flags_kind & !PING_READ_ONLY)?;
                let nonce = r.array("ping nonce")?;
                r.zero_padding()?;
                Message::Ping {
                    kind,
                    nonce,
                    read_only: flags_kind & PING_READ_ONLY != 0,
                    pad_to: bytes.len(),
                }
            }
            OP_PONG => Message::Pong(decode_pong(&mut r, limits)?),
            OP_PUT => Message::Put(decode_dat(&mut r)?),
            OP_GET => {
                let pubkey = r.array("get pubkey")?;
                let key = r.key("get key")?;
                r.zero_padding()?;
                Message::Get {
                    pubkey,
                    key,
                    pad_to: bytes.len(),
                }
            }
            OP_GET_ACK => Message::GetAck(decode_get_ack(&mut r, limits)?),
            OP_GETMYADDRPORT => Message::GetMyAddrPort,
            OP_GETMYADDRPORT_ACK => Message::GetMyAddrPortAck(decode_addr(&r.array("address")?)),
            other => return Err(WireError::UnknownOp(other)),
        };
        r.finish()?;
        Ok(message)
    }

    /// Encodes into `out`, returning the datagram length. Allocates nothing. Refuses messages the
    /// decoder would refuse (bad sizes, too many addresses) so a node never sends junk.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, WireError> {
        let mut w = Writer { out, len: 0 };
        match self {
            Message::Ping {
                kind,
                nonce,
                read_only,
                pad_to,
            } => {
                let flag = if *read_only { PING_READ_ONLY } else { 0 };
                w.put(&[OP_PING, kind.to_byte() | flag])?;
                w.put(nonce)?;
                w.pad_to(*pad_to)?;
            }
            Message::Pong(pong) => encode_pong(&mut w, pong)?,
            Message::Put(dat) => {
                w.put(&[OP_PUT])?;
                encode_dat(&mut w, dat)?;
            }
            Message::Get {
                pubkey,
                key,
                pad_to,
            } => {
                w.put(&[OP_GET])?;
                w.put(pubkey)?;
                w.key(key)?;
                w.pad_to(*pad_to)?;
            }
            Message::GetAck(GetAck::Found(dat)) => {
                w.put(&[OP_GET_ACK, 1])?;
                encode_dat(&mut w, dat)?;
            }
            Message::GetAck(GetAck::NotFound {
                pubkey,
                key,
                referrals,
            }) => {
                w.put(&[OP_GET_ACK, 0])?;
                w.put(pubkey)?;
                w.key(key)?;
                w.addrs(referrals)?;
            }
            Message::GetMyAddrPort => w.put(&[OP_GETMYADDRPORT])?,
            Message::GetMyAddrPortAck(addr) => {
                w.put(&[OP_GETMYADDRPORT_ACK])?;
                w.addr(addr)?;
            }
        }
        if w.len > MAX_DATAGRAM {
            return Err(WireError::Oversized(w.len));
        }
        Ok(w.len)
    }
}

/// Decodes the body of a PUT (a record), also used by GET_ACK found and by backup files.
pub fn decode_dat_body(bytes: &[u8]) -> Result<DatRef<'_>, WireError> {
    let mut r = Reader { rest: bytes };
    let dat = decode_dat(&mut r)?;
    r.finish()?;
    Ok(dat)
}

/// Encodes a record as a PUT body into `out`, returning its length.
pub fn encode_dat_body(dat: &DatRef<'_>, out: &mut [u8]) -> Result<usize, WireError> {
    let mut w = Writer { out, len: 0 };
    encode_dat(&mut w, dat)?;
    Ok(w.len)
}

fn decode_pong<'a>(r: &mut Reader<'a>, limits: &Limits) -> Result<Pong<'a>, WireError> {
    let kind = PingKind::from_byte(r.u8("pong kind")?)?;
    let nonce = r.array("pong nonce")?;
    let auth = match kind {
        PingKind::Live => None,
        PingKind::Auth => Some(PongAuth {
            salt: r.array("pong salt")?,
            pubkey: r.array("pong pubkey")?,
            sig: r.array("pong signature")?,
            addrs: r.addrs("pong addresses", limits.npeer_limit)?,
        }),
    };
    Ok(Pong { kind, nonce, auth })
}

fn encode_pong(w: &mut Writer<'_>, pong: &Pong<'_>) -> Result<(), WireError> {
    w.put(&[OP_PONG, pong.kind.to_byte()])?;
    w.put(&pong.nonce)?;
    match (pong.kind, &pong.auth) {
        (PingKind::Live, None) => Ok(()),
        (PingKind::Auth, Some(auth)) => {
            w.put(&auth.salt)?;
            w.put(&auth.pubkey)?;
            w.put(&auth.sig)?;
            w.addrs(&auth.addrs)
        }
        // An AUTH PONG without identity, or a LIVE one with it, would not decode back to itself.
        (PingKind::Live, Some(_)) | (PingKind::Auth, None) => {
            Err(WireError::Truncated("pong identity"))
        }
    }
}

fn decode_get_ack<'a>(r: &mut Reader<'a>, limits: &Limits) -> Result<GetAck<'a>, WireError> {
    match r.u8("found flag")? {
        1 => Ok(GetAck::Found(decode_dat(r)?)),
        0 => Ok(GetAck::NotFound {
            pubkey: r.array("get_ack pubkey")?,
            key: r.key("get_ack key")?,
            referrals: r.addrs("referrals", limits.referrals)?,
        }),
        other => Err(WireError::BadFoundFlag(other)),
    }
}

fn decode_dat<'a>(r: &mut Reader<'a>) -> Result<DatRef<'a>, WireError> {
    let time = u64::from_le_bytes(r.array("dat time")?);
    let salt = r.array("dat salt")?;
    let work = r.array("dat work")?;
    let sig = r.array("dat signature")?;
    let pubkey = r.array("dat pubkey")?;
    let key = r.key("dat key")?;
    let val_len = usize::from(u16::from_le_bytes(r.array("dat value length")?));
    check_sizes(key.len(), val_len).map_err(WireError::BadSize)?;
    let val = r.take(val_len, "dat value")?;
    Ok(DatRef {
        time,
        salt,
        work,
        sig,
        pubkey,
        key,
        val,
    })
}

fn encode_dat(w: &mut Writer<'_>, dat: &DatRef<'_>) -> Result<(), WireError> {
    check_sizes(dat.key.len(), dat.val.len()).map_err(WireError::BadSize)?;
    w.reserve(DAT_FIXED_LEN + dat.key.len() + dat.val.len())?;
    w.put(&dat.time.to_le_bytes())?;
    w.put(&dat.salt)?;
    w.put(&dat.work)?;
    w.put(&dat.sig)?;
    w.put(&dat.pubkey)?;
    w.key(dat.key)?;
    // check_sizes bounds the value by 1267 bytes, so it fits a u16.
    w.put(&(dat.val.len() as u16).to_le_bytes())?;
    w.put(dat.val)
}

/// A cursor over a datagram that fails, never panics, when a field runs past the end.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if self.rest.len() < n {
            return Err(WireError::Truncated(what));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.take(1, what)?[0])
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// A `u8`-length-prefixed key of 1..=255 bytes.
    fn key(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let len = usize::from(self.u8(what)?);
        if len == 0 {
            return Err(WireError::BadSize(DatError::KeyLength(0)));
        }
        self.take(len, what)
    }

    /// A `u8` count then that many addresses, refusing more than `limit` before reading them.
    fn addrs(&mut self, what: &'static str, limit: usize) -> Result<AddrList<'a>, WireError> {
        let count = usize::from(self.u8(what)?);
        if count > limit {
            return Err(WireError::TooManyAddrs { count, limit });
        }
        Ok(AddrList::Encoded(self.take(count * ADDR_LEN, what)?))
    }

    /// The rest must be zero bytes.
    /// OR-folds instead of stopping at the first non-zero byte: the fold vectorises, and padding
    /// is what unverified senders send most (measured 1 KiB: ~1.5 µs with `any`, ~0.1 µs folded).
    fn zero_padding(&mut self) -> Result<(), WireError> {
        if self.rest.iter().fold(0u8, |acc, &b| acc | b) != 0 {
            return Err(WireError::NonZeroPadding);
        }
        self.rest = &[];
        Ok(())
    }

    fn finish(&self) -> Result<(), WireError> {
        match self.rest.len() {
            0 => Ok(()),
            n => Err(WireError::TrailingBytes(n)),
        }
    }
}

/// A cursor over the caller's buffer that fails, never panics, when it runs out of room.
struct Writer<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn reserve(&self, n: usize) -> Result<(), WireError> {
        let need = self.len + n;
        if need > self.out.len() {
            return Err(WireError::BufferTooSmall {
                need,
                have: self.out.len(),
            });
        }
        Ok(())
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.reserve(bytes.len())?;
        self.out[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
        Ok(())
    }

    fn key(&mut self, key: &[u8]) -> Result<(), WireError> {
        let len = u8::try_from(key.len())
            .ok()
            .filter(|&l| l > 0)
            .ok_or(WireError::BadSize(DatError::KeyLength(key.len())))?;
        self.put(&[len])?;
        self.put(key)
    }

    fn addr(&mut self, addr: &SocketAddr) -> Result<(), WireError> {
        let mut raw = [0u8; ADDR_LEN];
        encode_addr(addr, &mut raw);
        self.put(&raw)
    }

    /// A count byte then the addresses. The encoder only enforces what the format can express
    /// (255); the configured limits are the receiver's to apply, and a sender keeps within them.
    fn addrs(&mut self, addrs: &AddrList<'_>) -> Result<(), WireError> {
        if let AddrList::Encoded(bytes) = addrs
            && bytes.len() % ADDR_LEN != 0
        {
            return Err(WireError::RaggedAddrList(bytes.len()));
        }
        let count = addrs.len();
        let limit = usize::from(u8::MAX);
        if count > limit {
            return Err(WireError::TooManyAddrs { count, limit });
        }
        self.put(&[count as u8])?;
        match addrs {
            AddrList::Encoded(bytes) => self.put(bytes),
            AddrList::Addrs(list) => list.iter().try_for_each(|a| self.addr(a)),
        }
    }

    /// Zero bytes up to a total length of `total` (nothing if already that long).
    fn pad_to(&mut self, total: usize) -> Result<(), WireError> {
        if total > MAX_DATAGRAM {
            return Err(WireError::Oversized(total));
        }
        if total > self.len {
            self.reserve(total - self.len)?;
            self.out[self.len..total].fill(0);
            self.len = total;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("valid address")
    }

    fn round_trip(message: &Message<'_>) -> Vec<u8> {
        let mut buf = [0u8; MAX_DATAGRAM];
        let len = message.encode(&mut buf).expect("encodes");
        let decoded = Message::decode(&buf[..len]).expect("decodes");
        assert_eq!(&decoded, message);
        buf[..len].to_vec()
    }

    #[test]
    fn pong_digest_matches_the_obvious_computation() {
        let addrs = [addr("1.2.3.4:5"), addr("[2001:db8::1]:9")];
        let fast = pong_digest(&[1; 32], &[2; 16], &AddrList::Addrs(&addrs));
        assert_eq!(fast, pong_digest_naive(&[1; 32], &[2; 16], &addrs));
        let mut encoded = [0u8; 36];
        encode_addr(&addrs[0], (&mut encoded[..18]).try_into().expect("18"));
        encode_addr(&addrs[1], (&mut encoded[18..]).try_into().expect("18"));
        assert_eq!(
            fast,
            pong_digest(&[1; 32], &[2; 16], &AddrList::Encoded(&encoded))
        );
    }

    #[test]
    fn padded_messages_keep_their_length() {
        let ping = Message::Ping {
            kind: PingKind::Auth,
            nonce: [7; 32],
            read_only: false,
            pad_to: PADDED_PING_LEN,
        };
        assert_eq!(round_trip(&ping).len(), PADDED_PING_LEN);
        let get = Message::Get {
            pubkey: [1; 32],
            key: b"k",
            pad_to: PADDED_GET_LEN,
        };
        assert_eq!(round_trip(&get).len(), PADDED_GET_LEN);
        let unpadded = Message::Get {
            pubkey: [1; 32],
            key: b"k",
            pad_to: 35,
        };
        assert_eq!(round_trip(&unpadded).len(), 35);
    }

    #[test]
    fn the_largest_auth_pong_is_363_bytes() {
        let addrs = vec![addr("9.9.9.9:9"); DEFAULT_NPEER_LIMIT];
        let pong = Message::Pong(Pong {
            kind: PingKind::Auth,
            nonce: [0; 32],
            auth: Some(PongAuth {
                salt: [1; 16],
                pubkey: [2; 32],
                sig: [3; 64],
                addrs: AddrList::Addrs(&addrs),
            }),
        });
        assert_eq!(round_trip(&pong).len(), 363);
    }

    #[test]
    fn encoder_refuses_what_the_decoder_would_refuse() {
        let mut buf = [0u8; MAX_DATAGRAM];
        let long_key = [1u8; 256];
        let get = Message::Get {
            pubkey: [0; 32],
            key: &long_key,
            pad_to: 0,
        };
        assert!(matches!(get.encode(&mut buf), Err(WireError::BadSize(_))));
        let referrals = vec![addr("1.1.1.1:1"); DEFAULT_REFERRALS + 1];
        let ack = Message::GetAck(GetAck::NotFound {
            pubkey: [0; 32],
            key: b"k",
            referrals: AddrList::Addrs(&referrals),
        });
        let len = ack
            .encode(&mut buf)
            .expect("an encoder may send what a larger limit accepts");
        assert!(matches!(
            Message::decode(&buf[..len]),
            Err(WireError::TooManyAddrs { count: 6, limit: 5 })
        ));
        let live_with_auth = Message::Pong(Pong {
            kind: PingKind::Live,
            nonce: [0; 32],
            auth: Some(PongAuth {
                salt: [0; 16],
                pubkey: [0; 32],
                sig: [0; 64],
                addrs: AddrList::EMPTY,
            }),
        });
        assert!(live_with_auth.encode(&mut buf).is_err());
        let ragged = Message::GetAck(GetAck::NotFound {
            pubkey: [0; 32],
            key: b"k",
            referrals: AddrList::Encoded(&[0; 19]),
        });
        assert_eq!(ragged.encode(&mut buf), Err(WireError::RaggedAddrList(19)));
        let mut small = [0u8; 10];
        assert!(matches!(
            Message::GetMyAddrPortAck(addr("1.2.3.4:5")).encode(&mut small),
            Err(WireError::BufferTooSmall { need: 19, have: 10 })
        ));
        let too_padded = Message::Ping {
            kind: PingKind::Live,
            nonce: [0; 32],
            read_only: false,
            pad_to: MAX_DATAGRAM + 1,
        };
        assert_eq!(
            too_padded.encode(&mut buf),
            Err(WireError::Oversized(MAX_DATAGRAM + 1))
        );
    }

    #[test]
    fn decoder_errors() {
        assert_eq!(Message::decode(&[]), Err(WireError::Empty));
        assert_eq!(Message::decode(&[9]), Err(WireError::UnknownOp(9)));
        assert_eq!(Message::decode(&[5, 0]), Err(WireError::TrailingBytes(1)));
        assert_eq!(
            Message::decode(&[0; MAX_DATAGRAM + 1]),
            Err(WireError::Oversized(1425))
        );
        assert_eq!(
            Message::decode(&[0, 0, 1]),
            Err(WireError::Truncated("ping nonce"))
        );
        assert_eq!(Message::decode(&[4, 2]), Err(WireError::BadFoundFlag(2)));
        let mut pong = vec![1, 1];
        pong.extend_from_slice(&[0; 32]);
        pong.push(0);
        assert_eq!(Message::decode(&pong), Err(WireError::TrailingBytes(1)));
        let mut get = vec![3];
        get.extend_from_slice(&[0; 32]);
        get.extend_from_slice(&[1, b'k', 0, 0, 1]);
        assert_eq!(Message::decode(&get), Err(WireError::NonZeroPadding));
    }

    #[test]
    fn custom_limits_apply() {
        let addrs = vec![addr("9.9.9.9:9"); 3];
        let mut buf = [0u8; MAX_DATAGRAM];
        let len = Message::GetAck(GetAck::NotFound {
            pubkey: [0; 32],
            key: b"k",
            referrals: AddrList::Addrs(&addrs),
        })
        .encode(&mut buf)
        .expect("encodes");
        let tight = Limits {
            npeer_limit: 12,
            referrals: 2,
        };
        assert_eq!(
            Message::decode_with(&buf[..len], &tight),
            Err(WireError::TooManyAddrs { count: 3, limit: 2 })
        );
    }
}
