//! Dave's codec against protobuf (prost) on the same messages: does the seed's "4× faster than
//! protobuf" hold? (issue 11)
//!
//! Each message of `prost_mirror::Samples` is encoded and decoded in these ways, as the group
//! `vs_prost/<message>`:
//! - `dave_encode`: `Message::encode` into a reused 1424-byte array;
//! - `prost_encode`: `prost::Message::encode` of the mirror into a reused, cleared `Vec` (it
//!   keeps its capacity, so no iteration allocates);
//! - `dave_decode`: `Message::decode`, which includes all of Dave's validation and borrows
//!   from the datagram;
//! - `prost_decode`: `prost::Message::decode` alone: framing checks only, and a `Vec` for every
//!   `bytes` field and address (it allocates and frees them each iteration, as a receiver would);
//! - `prost_decode_validated`: the same, then `prost_mirror::to_dave`, the checks prost leaves
//!   out, ending with the same typed `Message` Dave's decoder returns;
//! - `prost_bytes_encode`, `prost_bytes_decode`, `prost_bytes_decode_validated`: the same with
//!   the `Bytes` schema, decoding from a `Bytes` buffer (each iteration clones the handle, a
//!   reference count), so `bytes` fields are slices of the datagram, not copies: protobuf's
//!   best case in Rust.
//!
//! Before timing anything it checks, per message, that the protobuf datagram decodes to the same
//! content as the Dave datagram (`tests/prost_mirror.rs` checks the same, with more cases), and
//! prints both encoded sizes.
//!
//! Run with `cargo bench -p dave-core --bench codec_vs_prost`.

#[path = "prost_mirror/mod.rs"]
mod prost_mirror;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dave_core::wire::{Limits, MAX_DATAGRAM, Message};
use prost::Message as _;
use prost::bytes::Bytes;
use prost_mirror::{Samples, pb, pb_bytes};

/// Times the codecs on one message.
fn compare(c: &mut Criterion, name: &str, message: &Message<'_>) {
    let limits = Limits::default();
    let mut dave_buf = [0u8; MAX_DATAGRAM];
    let dave_len = message.encode(&mut dave_buf).expect("encodes");
    let dave_datagram = &dave_buf[..dave_len];
    let dave_decoded = Message::decode(dave_datagram).expect("dave decodes");
    let mirror = pb::from_dave(message);
    let pb_datagram = mirror.encode_to_vec();
    let mut scratch = Vec::with_capacity(MAX_DATAGRAM);
    let decoded = pb::Datagram::decode(pb_datagram.as_slice()).expect("prost decodes");
    assert_eq!(
        pb::to_dave(&decoded, pb_datagram.len(), &limits, &mut scratch),
        Ok(dave_decoded),
        "{name}: the protobuf mirror carries other content"
    );
    let zero_copy = pb_bytes::from_dave(message);
    let pb_buffer = Bytes::from(pb_datagram.clone());
    let decoded = pb_bytes::Datagram::decode(pb_buffer.clone()).expect("prost decodes");
    assert_eq!(
        pb_bytes::to_dave(&decoded, pb_buffer.len(), &limits, &mut scratch),
        Ok(dave_decoded),
        "{name}: the zero-copy protobuf mirror carries other content"
    );
    println!(
        "sizes/{name}: dave {dave_len} B, protobuf {} B",
        pb_datagram.len()
    );

    let mut group = c.benchmark_group(format!("vs_prost/{name}"));
    group.bench_function("dave_encode", |b| {
        let mut out = [0u8; MAX_DATAGRAM];
        b.iter(|| black_box(message).encode(black_box(&mut out)))
    });
    group.bench_function("prost_encode", |b| {
        let mut out: Vec<u8> = Vec::with_capacity(MAX_DATAGRAM);
        b.iter(|| {
            out.clear();
            let result = black_box(&mirror).encode(&mut out);
            black_box(&out);
            result
        })
    });
    group.bench_function("dave_decode", |b| {
        b.iter(|| black_box(Message::decode(black_box(dave_datagram))))
    });
    group.bench_function("prost_decode", |b| {
        b.iter(|| black_box(pb::Datagram::decode(black_box(pb_datagram.as_slice()))))
    });
    group.bench_function("prost_decode_validated", |b| {
        b.iter(|| {
            let bytes = black_box(pb_datagram.as_slice());
            let Ok(datagram) = pb::Datagram::decode(bytes) else {
                return false;
            };
            let message = pb::to_dave(&datagram, bytes.len(), &limits, &mut scratch);
            black_box(&message).is_ok()
        })
    });
    group.bench_function("prost_bytes_encode", |b| {
        let mut out: Vec<u8> = Vec::with_capacity(MAX_DATAGRAM);
        b.iter(|| {
            out.clear();
            let result = black_box(&zero_copy).encode(&mut out);
            black_box(&out);
            result
        })
    });
    group.bench_function("prost_bytes_decode", |b| {
        b.iter(|| black_box(pb_bytes::Datagram::decode(black_box(&pb_buffer).clone())))
    });
    group.bench_function("prost_bytes_decode_validated", |b| {
        b.iter(|| {
            let buffer = black_box(&pb_buffer).clone();
            let len = buffer.len();
            let Ok(datagram) = pb_bytes::Datagram::decode(buffer) else {
                return false;
            };
            let message = pb_bytes::to_dave(&datagram, len, &limits, &mut scratch);
            black_box(&message).is_ok()
        })
    });
    group.finish();
}

fn codec_vs_prost(c: &mut Criterion) {
    let samples = Samples::new();
    for (name, message) in samples.messages() {
        compare(c, name, &message);
    }
}

criterion_group!(benches, codec_vs_prost);
criterion_main!(benches);
