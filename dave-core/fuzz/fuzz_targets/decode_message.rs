//! Fuzzes `Message::decode`, the decoder every datagram from the network goes through (§4).
//!
//! Beyond "never panics" it checks what makes the format unambiguous:
//! - an accepted datagram re-encodes to exactly its own bytes;
//! - decoding under the widest address limits accepts a superset and gives the same message;
//! - every address in an accepted address list re-encodes to its 18 wire bytes. This covers the
//!   18-byte address decoder, which needs no target of its own: it is total (every 18 bytes is
//!   an address), so it can only be wrong, never fail, and this is where it could be wrong;
//! - the AUTH PONG digest is the same whether computed over the borrowed wire bytes or over the
//!   decoded addresses (the signer hashes the latter, the verifier the former).
#![no_main]

use dave_core::addr::{ADDR_LEN, encode_addr};
use dave_core::wire::{AddrList, GetAck, Limits, MAX_DATAGRAM, Message, pong_digest};
use libfuzzer_sys::fuzz_target;

fn check_addrs(list: &AddrList<'_>) {
    let AddrList::Encoded(raw) = list else {
        panic!("a decoded list borrows its bytes");
    };
    assert_eq!(raw.len(), list.len() * ADDR_LEN);
    for (addr, chunk) in list.iter().zip(raw.chunks_exact(ADDR_LEN)) {
        let mut again = [0u8; ADDR_LEN];
        encode_addr(&addr, &mut again);
        assert_eq!(&again[..], chunk, "address {addr} re-encodes differently");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(message) = Message::decode(data) else {
        return;
    };

    let mut buf = [0u8; MAX_DATAGRAM];
    let len = message
        .encode(&mut buf)
        .expect("an accepted message encodes");
    assert_eq!(&buf[..len], data, "re-encoding changed the datagram");

    let widest = Limits {
        npeer_limit: usize::from(u8::MAX),
        referrals: usize::from(u8::MAX),
    };
    assert_eq!(Message::decode_with(data, &widest), Ok(message));

    match message {
        Message::Pong(pong) => {
            if let Some(auth) = pong.auth {
                check_addrs(&auth.addrs);
                let addrs: Vec<_> = auth.addrs.iter().collect();
                assert_eq!(
                    pong_digest(&pong.nonce, &auth.salt, &auth.addrs),
                    pong_digest(&pong.nonce, &auth.salt, &AddrList::Addrs(&addrs)),
                );
            }
        }
        Message::GetAck(GetAck::NotFound { referrals, .. }) => check_addrs(&referrals),
        Message::Put(dat) | Message::GetAck(GetAck::Found(dat)) => {
            assert!(dat.encoded_len() < len);
        }
        Message::GetMyAddrPortAck(addr) => {
            let mut again = [0u8; ADDR_LEN];
            encode_addr(&addr, &mut again);
            assert_eq!(&again[..], &data[1..]);
        }
        Message::Ping { pad_to, .. } | Message::Get { pad_to, .. } => assert_eq!(pad_to, len),
        Message::GetMyAddrPort => {}
    }
});
