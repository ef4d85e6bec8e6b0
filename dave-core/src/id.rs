//! Identities and XOR distance (docs/protocol.md §2).

use crate::hash::{RECORD_ID_CONTEXT, h};

/// A node's position on the ring: the first 8 bytes of its public key, little-endian.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u64);

/// A record's position on the ring: the first 8 bytes of `H("dave v1 record-id", pubkey ‖ key)`.
///
/// Hashing the key with the owner's key spreads one owner's records over the whole ring, so no
/// single set of nodes carries all of a prolific writer's data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(pub u64);

/// First 8 bytes of a 32-byte value as a little-endian `u64`.
fn first_u64(bytes: &[u8; 32]) -> u64 {
    let mut head = [0u8; 8];
    head.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(head)
}

impl NodeId {
    /// The NodeId of the node holding `public_key`.
    pub fn from_public_key(public_key: &[u8; 32]) -> NodeId {
        NodeId(first_u64(public_key))
    }

    /// The k-bucket `other` falls into, seen from `self`: the position (0 = least significant) of
    /// the highest bit in which the two differ. `None` for the same id.
    pub fn bucket_index(self, other: NodeId) -> Option<usize> {
        let diff = self.0 ^ other.0;
        if diff == 0 {
            None
        } else {
            Some(63 - diff.leading_zeros() as usize)
        }
    }
}

impl RecordId {
    /// The id of the record `key` owned by `public_key`.
    pub fn of(public_key: &[u8; 32], key: &[u8]) -> RecordId {
        RecordId(first_u64(&h(RECORD_ID_CONTEXT, &[public_key, key])))
    }

    /// XOR distance to a node: smaller is closer.
    pub fn distance(self, node: NodeId) -> u64 {
        self.0 ^ node.0
    }

    /// The node id at distance zero: where lookups for this record aim.
    pub fn as_node_id(self) -> NodeId {
        NodeId(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_index_is_highest_differing_bit() {
        let a = NodeId(0);
        assert_eq!(a.bucket_index(a), None);
        assert_eq!(a.bucket_index(NodeId(1)), Some(0));
        assert_eq!(a.bucket_index(NodeId(0b1011)), Some(3));
        assert_eq!(a.bucket_index(NodeId(u64::MAX)), Some(63));
    }

    #[test]
    fn distance_is_xor() {
        assert_eq!(RecordId(0b1100).distance(NodeId(0b1010)), 0b0110);
        assert_eq!(RecordId(7).as_node_id(), NodeId(7));
    }
}
