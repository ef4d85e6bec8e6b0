//! The byte layout of the backup file: a file header, then framed entries.
//!
//! ```text
//! file   = header entry*
//! header = magic "DAVE-BAK" (8 bytes) ‖ version u32 LE (= 1)
//! entry  = len u32 LE ‖ crc u32 LE ‖ payload (len bytes)
//! payload = kind u8 ‖ body
//! crc    = CRC-32 (IEEE) of (len LE bytes ‖ payload)
//! ```
//!
//! The length is covered by the checksum so that a flipped length bit cannot make a wrong slice of
//! the file look like a frame. CRC-32 is enough here: it guards against torn writes and media
//! corruption, not against an attacker who can write the file (records are re-verified with their
//! signatures when the node restores them, docs/protocol.md §7). This module is pure: it never touches a
//! file, so its parser can be property-tested on arbitrary bytes.

use std::fmt;

/// First bytes of every backup file: refuses to treat some other file as a log.
pub const MAGIC: [u8; 8] = *b"DAVE-BAK";
/// Format version written after the magic. Bump it for any incompatible change of layout.
pub const VERSION: u32 = 1;
/// Length of the file header (magic and version).
pub const HEADER_LEN: usize = MAGIC.len() + 4;
/// Length of an entry's frame header (length and checksum).
pub const FRAME_HEADER_LEN: usize = 8;
/// Largest payload accepted. A Dat is at most one datagram (1424 bytes); this leaves room for
/// later entry kinds while still rejecting a garbage length long before it is read.
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// What an entry says about the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// The body is a record the store now holds (it replaces any older version).
    Persist = 1,
    /// The body names a record the store no longer holds.
    Forget = 2,
}

impl EntryKind {
    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::Persist),
            2 => Some(Self::Forget),
            _ => None,
        }
    }
}

/// One decoded entry, borrowing its body from the buffer it was parsed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRef<'a> {
    /// Persist or forget.
    pub kind: EntryKind,
    /// The bytes after the kind byte.
    pub body: &'a [u8],
}

/// Why parsing stopped before the end of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DamageKind {
    /// Fewer than 8 bytes remain: a write stopped inside a frame header.
    TornFrameHeader,
    /// The header claims more bytes than remain: a write stopped inside a payload.
    TornPayload {
        /// Payload length the frame header claims.
        claimed: usize,
    },
    /// The length is zero or above [`MAX_PAYLOAD`]: no writer produces that.
    BadLength {
        /// The length read.
        claimed: usize,
    },
    /// The checksum does not match the bytes: corruption, or a torn write that happened to end
    /// on a plausible boundary.
    ChecksumMismatch,
    /// The checksum is good but the kind byte is unknown: written by a newer format.
    UnknownKind {
        /// The kind byte read.
        kind: u8,
    },
}

impl fmt::Display for DamageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TornFrameHeader => write!(f, "torn frame header"),
            Self::TornPayload { claimed } => {
                write!(f, "torn payload (frame claims {claimed} bytes)")
            }
            Self::BadLength { claimed } => write!(f, "impossible entry length {claimed}"),
            Self::ChecksumMismatch => write!(f, "checksum mismatch"),
            Self::UnknownKind { kind } => write!(f, "unknown entry kind {kind}"),
        }
    }
}

/// Result of checking the file header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderCheck {
    /// A complete header of the supported version.
    Valid,
    /// The file is shorter than a header but what is there matches it: a creation that was cut
    /// short (including the empty file). Safe to rewrite.
    Torn,
    /// The magic is wrong: this is not a backup file, and must not be overwritten.
    NotABackup,
    /// A backup file of a version this build cannot read.
    UnsupportedVersion(u32),
}

/// The file header bytes.
pub fn header() -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[..MAGIC.len()].copy_from_slice(&MAGIC);
    out[MAGIC.len()..].copy_from_slice(&VERSION.to_le_bytes());
    out
}

/// Checks the first bytes of a file against the header.
pub fn check_header(bytes: &[u8]) -> HeaderCheck {
    let expected = header();
    if bytes.len() < HEADER_LEN {
        // A torn header is a prefix of the magic (the version is written in the same call, but a
        // crash can stop a write at any byte).
        return if expected.starts_with(bytes) {
            HeaderCheck::Torn
        } else {
            HeaderCheck::NotABackup
        };
    }
    if bytes[..MAGIC.len()] != MAGIC {
        return HeaderCheck::NotABackup;
    }
    let mut version = [0u8; 4];
    version.copy_from_slice(&bytes[MAGIC.len()..HEADER_LEN]);
    match u32::from_le_bytes(version) {
        VERSION => HeaderCheck::Valid,
        other => HeaderCheck::UnsupportedVersion(other),
    }
}

/// Appends one framed entry to `out`. Callers check [`fits`] first: an oversized body would be
/// framed with a length the decoder refuses (a debug build asserts).
pub fn encode_entry(kind: EntryKind, body: &[u8], out: &mut Vec<u8>) {
    debug_assert!(fits(body), "entry body too large");
    let len = u32::try_from(body.len() + 1).unwrap_or(u32::MAX);
    let len_bytes = len.to_le_bytes();
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len_bytes);
    crc.update(&[kind as u8]);
    crc.update(body);
    out.extend_from_slice(&len_bytes);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.push(kind as u8);
    out.extend_from_slice(body);
}

/// Whether a body is small enough to be framed.
pub fn fits(body: &[u8]) -> bool {
    body.len() < MAX_PAYLOAD
}

/// Size of the frame holding a body of `body_len` bytes.
pub fn framed_len(body_len: usize) -> usize {
    FRAME_HEADER_LEN + 1 + body_len
}

/// Parses the entry at the start of `bytes`; on success returns it and its framed length.
pub fn decode_entry(bytes: &[u8]) -> Result<(EntryRef<'_>, usize), DamageKind> {
    let Some((header, rest)) = bytes.split_first_chunk::<FRAME_HEADER_LEN>() else {
        return Err(DamageKind::TornFrameHeader);
    };
    let len_bytes = [header[0], header[1], header[2], header[3]];
    let claimed = u32::from_le_bytes(len_bytes) as usize;
    let stored_crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if claimed == 0 || claimed > MAX_PAYLOAD {
        return Err(DamageKind::BadLength { claimed });
    }
    let Some(payload) = rest.get(..claimed) else {
        return Err(DamageKind::TornPayload { claimed });
    };
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len_bytes);
    crc.update(payload);
    if crc.finalize() != stored_crc {
        return Err(DamageKind::ChecksumMismatch);
    }
    let kind =
        EntryKind::from_byte(payload[0]).ok_or(DamageKind::UnknownKind { kind: payload[0] })?;
    Ok((
        EntryRef {
            kind,
            body: &payload[1..],
        },
        FRAME_HEADER_LEN + claimed,
    ))
}

/// Every complete valid entry at the start of `bytes` (which excludes the file header), the
/// offset just past the last one, and why parsing stopped early, if it did.
pub fn decode_all(bytes: &[u8]) -> (Vec<EntryRef<'_>>, usize, Option<DamageKind>) {
    let mut entries = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        match decode_entry(&bytes[offset..]) {
            Ok((entry, len)) => {
                entries.push(entry);
                offset += len;
            }
            Err(damage) => return (entries, offset, Some(damage)),
        }
    }
    (entries, offset, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kind_strategy() -> impl Strategy<Value = EntryKind> {
        prop_oneof![Just(EntryKind::Persist), Just(EntryKind::Forget)]
    }

    fn encode_many(entries: &[(EntryKind, Vec<u8>)]) -> (Vec<u8>, Vec<usize>) {
        let mut out = Vec::new();
        let mut ends = Vec::new();
        for (kind, body) in entries {
            encode_entry(*kind, body, &mut out);
            ends.push(out.len());
        }
        (out, ends)
    }

    #[test]
    fn header_round_trips_and_rejects_strangers() {
        assert_eq!(check_header(&header()), HeaderCheck::Valid);
        assert_eq!(check_header(&[]), HeaderCheck::Torn);
        assert_eq!(check_header(&header()[..5]), HeaderCheck::Torn);
        assert_eq!(check_header(b"hello world!"), HeaderCheck::NotABackup);
        assert_eq!(check_header(b"DAVX"), HeaderCheck::NotABackup);
        let mut future = header();
        future[8] = 2;
        assert_eq!(check_header(&future), HeaderCheck::UnsupportedVersion(2));
    }

    #[test]
    fn empty_body_and_each_kind_round_trip() {
        let (bytes, _) = encode_many(&[
            (EntryKind::Forget, vec![]),
            (EntryKind::Persist, vec![7; 3]),
        ]);
        let (entries, end, damage) = decode_all(&bytes);
        assert_eq!(damage, None);
        assert_eq!(end, bytes.len());
        assert_eq!(
            entries[0],
            EntryRef {
                kind: EntryKind::Forget,
                body: &[]
            }
        );
        assert_eq!(
            entries[1],
            EntryRef {
                kind: EntryKind::Persist,
                body: &[7, 7, 7]
            }
        );
    }

    #[test]
    fn each_damage_is_named() {
        let (good, _) = encode_many(&[(EntryKind::Persist, vec![1, 2, 3])]);
        assert_eq!(
            decode_entry(&good[..5]).unwrap_err(),
            DamageKind::TornFrameHeader
        );
        assert_eq!(
            decode_entry(&good[..good.len() - 1]).unwrap_err(),
            DamageKind::TornPayload { claimed: 4 }
        );
        let mut zero = good.clone();
        zero[..4].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            decode_entry(&zero).unwrap_err(),
            DamageKind::BadLength { claimed: 0 }
        );
        let mut huge = good.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decode_entry(&huge).unwrap_err(),
            DamageKind::BadLength { .. }
        ));
        let mut flipped = good.clone();
        flipped[10] ^= 1;
        assert_eq!(
            decode_entry(&flipped).unwrap_err(),
            DamageKind::ChecksumMismatch
        );
        // A correctly checksummed entry of an unknown kind: re-frame by hand.
        let mut unknown = Vec::new();
        let payload = [9u8, 1];
        let len = (payload.len() as u32).to_le_bytes();
        let mut crc = crc32fast::Hasher::new();
        crc.update(&len);
        crc.update(&payload);
        unknown.extend_from_slice(&len);
        unknown.extend_from_slice(&crc.finalize().to_le_bytes());
        unknown.extend_from_slice(&payload);
        assert_eq!(
            decode_entry(&unknown).unwrap_err(),
            DamageKind::UnknownKind { kind: 9 }
        );
    }

    proptest! {
        /// Cutting a log at any byte keeps exactly the entries that end at or before the cut, and
        /// reports damage exactly when the cut is inside an entry.
        #[test]
        fn truncation_at_any_byte_keeps_every_complete_entry(
            entries in prop::collection::vec((kind_strategy(), prop::collection::vec(any::<u8>(), 0..64)), 0..12),
            cut_seed in any::<prop::sample::Index>(),
        ) {
            let (bytes, ends) = encode_many(&entries);
            let cut = cut_seed.index(bytes.len() + 1);
            let (decoded, end, damage) = decode_all(&bytes[..cut]);
            let complete = ends.iter().take_while(|&&e| e <= cut).count();
            prop_assert_eq!(decoded.len(), complete);
            for (got, (kind, body)) in decoded.iter().zip(&entries) {
                prop_assert_eq!(got.kind, *kind);
                prop_assert_eq!(got.body, body.as_slice());
            }
            let expected_end = if complete == 0 { 0 } else { ends[complete - 1] };
            prop_assert_eq!(end, expected_end);
            prop_assert_eq!(damage.is_some(), cut != expected_end);
        }

        /// A single flipped bit never yields a wrong entry: every entry before the flip is kept,
        /// the flipped one is refused, and nothing after it is trusted.
        #[test]
        fn a_bit_flip_is_caught(
            entries in prop::collection::vec((kind_strategy(), prop::collection::vec(any::<u8>(), 0..64)), 1..8),
            bit_seed in any::<prop::sample::Index>(),
        ) {
            let (mut bytes, ends) = encode_many(&entries);
            let bit = bit_seed.index(bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
            let hit = ends.iter().position(|&e| e > bit / 8).unwrap_or(ends.len());
            let (decoded, end, damage) = decode_all(&bytes);
            prop_assert_eq!(decoded.len(), hit);
            prop_assert!(damage.is_some());
            prop_assert_eq!(end, if hit == 0 { 0 } else { ends[hit - 1] });
        }

        /// The parser never panics on arbitrary bytes and never reads past the buffer.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let (_, end, _) = decode_all(&bytes);
            prop_assert!(end <= bytes.len());
        }
    }
}
