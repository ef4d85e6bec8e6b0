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

/// The public key a GET names to ask for the nodes nearest an id rather than for a record (a
/// *node lookup*, Kademlia's FIND_NODE; docs/protocol.md §8): its key is the target id, 8 bytes
/// little-endian. Why a GET and not a new op: a record's id is a hash, so no GET can aim a lookup
/// at a chosen id, and a join must aim at the node's own. All zeros encode a point of small
/// order, which no signing key produces and strict verification rejects (§3), so no record is
/// ever stored under this key and a node lookup is only ever answered not-found.
pub const NODE_LOOKUP_KEY: [u8; 32] = [0; 32];

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

    /// Where a GET for (`public_key`, `key`) aims: for a node lookup (the zero key and an
    /// 8-byte key, docs/protocol.md §8) the id the key spells, else the record's id.
    pub fn of_query(public_key: &[u8; 32], key: &[u8]) -> RecordId {
        match <[u8; 8]>::try_from(key) {
            Ok(id) if *public_key == NODE_LOOKUP_KEY => RecordId(u64::from_le_bytes(id)),
            _ => RecordId::of(public_key, key),
        }
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

    #[test]
    fn a_node_lookup_aims_at_the_id_its_key_spells() {
        let id = 0x0123_4567_89ab_cdef_u64;
        let aimed = RecordId::of_query(&NODE_LOOKUP_KEY, &id.to_le_bytes());
        assert_eq!(aimed, RecordId(id));
        // Any other key, or another length under the zero key, is an ordinary record id.
        let record = RecordId::of_query(&[1; 32], &id.to_le_bytes());
        assert_eq!(record, RecordId::of(&[1; 32], &id.to_le_bytes()));
        let odd = RecordId::of_query(&NODE_LOOKUP_KEY, b"seven b");
        assert_eq!(odd, RecordId::of(&NODE_LOOKUP_KEY, b"seven b"));
    }
}
