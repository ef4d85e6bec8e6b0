//! Which incoming datagrams carry a record the node will verify (docs/protocol.md §3, §4): a
//! PUT, and a GET_ACK that found its record. Decoded with dave-core's own wire decoder, so a
//! datagram the node would refuse as malformed is never sent to a worker.
//!
//! AUTH PONGs are signed too, but the node verifies one only after its nonce matches a PING it
//! sent (§5); verifying every PONG ahead of that check would let unsolicited junk occupy the
//! workers, so PONGs stay on the node's thread (one per peer per re-authentication, not per
//! request).

use dave_core::dat::DatRef;
use dave_core::wire::{GetAck, Message};

/// The record inside `datagram`, if it is a well-formed PUT or found GET_ACK.
///
/// The decoder's default address limits apply; they matter only for PONG and not-found
/// GET_ACK lists, which carry no record.
pub fn record_of(datagram: &[u8]) -> Option<DatRef<'_>> {
    match Message::decode(datagram) {
        Ok(Message::Put(dat)) | Ok(Message::GetAck(GetAck::Found(dat))) => Some(dat),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dave_core::dat::Dat;
    use dave_core::wire::{AddrList, MAX_DATAGRAM, PADDED_GET_LEN};
    use ed25519_dalek::SigningKey;

    #[test]
    fn finds_records_in_puts_and_found_answers_only() {
        let key = SigningKey::from_bytes(&[4; 32]);
        let dat = Dat::new(&key, b"k", b"v", 1_000, 0, 1, [0; 16]).unwrap();
        let mut buf = [0u8; MAX_DATAGRAM];
        let mut encode = |m: Message<'_>| {
            let len = m.encode(&mut buf).unwrap();
            buf[..len].to_vec()
        };
        let put = encode(Message::Put(dat.as_ref()));
        let found = encode(Message::GetAck(GetAck::Found(dat.as_ref())));
        let not_found = encode(Message::GetAck(GetAck::NotFound {
            pubkey: dat.pubkey,
            key: b"k",
            referrals: AddrList::EMPTY,
        }));
        let get = encode(Message::Get {
            pubkey: dat.pubkey,
            key: b"k",
            pad_to: PADDED_GET_LEN,
        });
        assert_eq!(record_of(&put), Some(dat.as_ref()));
        assert_eq!(record_of(&found), Some(dat.as_ref()));
        assert_eq!(record_of(&not_found), None);
        assert_eq!(record_of(&get), None);
        assert_eq!(record_of(&put[..put.len() - 1]), None, "truncated");
        assert_eq!(record_of(&[]), None);
        assert_eq!(record_of(&[0xee; 40]), None);
    }
}
