//! Fuzzes `decode_dat_body`, the record decoder shared by PUT, GET_ACK found and the backup
//! files dave-node reads back from disk (§3, §4).
//!
//! An accepted body must satisfy the size rules (so `verify` never sees an oversized record),
//! re-encode to exactly its own bytes, and survive a round trip through an owned `Dat`.
#![no_main]

use dave_core::dat::{MAX_KEY_LEN, MAX_KEY_VAL_LEN};
use dave_core::wire::{decode_dat_body, encode_dat_body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dat) = decode_dat_body(data) else {
        return;
    };
    assert!((1..=MAX_KEY_LEN).contains(&dat.key.len()));
    assert!(dat.key.len() + dat.val.len() <= MAX_KEY_VAL_LEN);
    assert_eq!(dat.encoded_len(), data.len());

    let mut buf = vec![0u8; data.len()];
    let len = encode_dat_body(&dat, &mut buf).expect("an accepted record encodes");
    assert_eq!(&buf[..len], data, "re-encoding changed the record");
    assert_eq!(dat.to_owned_dat().as_ref(), dat);
});
