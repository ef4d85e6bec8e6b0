//! Domain-separated hashing (PROTOCOL.md §1).
//!
//! Every hash Dave computes is BLAKE3 in derive-key mode with its own context string, so no digest
//! of one kind can be replayed as another (a work hash as a record id, a record signature as a
//! PONG signature).

/// Context of the digest a record's owner signs.
pub const DAT_CONTEXT: &str = "dave v1 dat";
/// Context of the proof-of-work hash.
pub const WORK_CONTEXT: &str = "dave v1 work";
/// Context of the digest an AUTH PONG signs.
pub const PONG_CONTEXT: &str = "dave v1 pong";
/// Context of the hash a RecordId is cut from.
pub const RECORD_ID_CONTEXT: &str = "dave v1 record-id";

/// `H(context, parts…)`: BLAKE3 derive-key of the concatenated parts.
pub fn h(context: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_derive_key(context);
    for part in parts {
        hasher.update(part);
    }
    *hasher.finalize().as_bytes()
}

/// `lz(h)`: leading zero bits, first byte first, most significant bit first.
pub fn leading_zeros(hash: &[u8; 32]) -> u32 {
    let mut zeros = 0;
    for byte in hash {
        if *byte == 0 {
            zeros += 8;
        } else {
            return zeros + byte.leading_zeros();
        }
    }
    zeros
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_separate_domains() {
        let a = h(DAT_CONTEXT, &[b"x"]);
        let b = h(WORK_CONTEXT, &[b"x"]);
        assert_ne!(a, b);
    }

    #[test]
    fn parts_concatenate() {
        assert_eq!(h(DAT_CONTEXT, &[b"ab", b"c"]), h(DAT_CONTEXT, &[b"abc"]));
    }

    #[test]
    fn leading_zero_bits() {
        let mut x = [0u8; 32];
        assert_eq!(leading_zeros(&x), 256);
        x[1] = 0x10;
        assert_eq!(leading_zeros(&x), 11);
        x[0] = 0x80;
        assert_eq!(leading_zeros(&x), 0);
    }
}
