//! `--pcap`: datagrams written by the recorder read back as UDP over IPv4 with virtual times.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use dave_sim::report::pcap::PcapRecorder;
use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("test address")
}

#[test]
fn recorded_datagrams_read_back_with_addresses_ports_and_virtual_times() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report_pcap.pcap");
    let sent = [
        (
            Duration::from_micros(1_500),
            "10.0.0.1:4000",
            "10.0.1.1:4001",
            vec![1u8, 2, 3],
        ),
        (
            Duration::from_secs(90) + Duration::from_micros(7),
            "10.0.1.1:4001",
            "10.0.0.1:4000",
            vec![0xAB; 1424],
        ),
        (
            Duration::from_secs(3600),
            "192.168.7.9:65535",
            "10.0.2.3:1",
            Vec::new(),
        ),
    ];
    let mut recorder = PcapRecorder::create(&path).expect("create pcap");
    for (at, from, to, payload) in &sent {
        recorder
            .record(*at, addr(from), addr(to), payload)
            .expect("record");
    }
    recorder.finish().expect("flush");

    let mut reader = PcapReader::new(std::fs::File::open(&path).unwrap()).expect("pcap header");
    assert_eq!(reader.header().datalink, DataLink::RAW);
    let mut got = Vec::new();
    while let Some(packet) = reader.next_packet() {
        let packet = packet.expect("packet");
        let data = packet.data.to_vec();
        assert_eq!(data[0], 0x45, "IPv4 without options");
        assert_eq!(data[9], 17, "UDP");
        assert_eq!(
            usize::from(u16::from_be_bytes([data[2], data[3]])),
            data.len()
        );
        let src = SocketAddr::from((
            [data[12], data[13], data[14], data[15]],
            u16::from_be_bytes([data[20], data[21]]),
        ));
        let dst = SocketAddr::from((
            [data[16], data[17], data[18], data[19]],
            u16::from_be_bytes([data[22], data[23]]),
        ));
        assert_eq!(
            usize::from(u16::from_be_bytes([data[24], data[25]])),
            data.len() - 20
        );
        got.push((packet.timestamp, src, dst, data[28..].to_vec()));
    }
    let expected: Vec<_> = sent
        .iter()
        .map(|(at, from, to, payload)| (*at, addr(from), addr(to), payload.clone()))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn ipv6_is_refused_with_a_clear_error() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report_pcap_v6.pcap");
    let mut recorder = PcapRecorder::create(&path).expect("create pcap");
    let err = recorder
        .record(Duration::ZERO, addr("[::1]:1"), addr("10.0.0.1:2"), b"x")
        .unwrap_err();
    assert!(err.to_string().contains("only IPv4"), "{err}");
}
