//! Property tests of the 18-byte address codec (docs/protocol.md §4).
//!
//! The format carries an IPv6 address (IPv4 as `::ffff:a.b.c.d`) and a port, nothing else. So:
//! every socket address survives encode → decode up to what the format cannot carry (IPv6 flow
//! info and scope id), IPv4 comes back as IPv4 and never as its mapped IPv6 form, and every one
//! of the 2^144 byte strings decodes to an address that re-encodes to the same bytes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use dave_core::addr::{ADDR_LEN, decode_addr, encode_addr, network_group};
use proptest::prelude::*;

/// Every kind of socket address, including IPv4-mapped IPv6 and IPv6 with flow info and scope.
fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<u32>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::V4(SocketAddrV4::new(ip.into(), port))),
        (any::<u128>(), any::<u16>(), any::<u32>(), any::<u32>()).prop_map(
            |(ip, port, flow, scope)| SocketAddr::V6(SocketAddrV6::new(
                ip.into(),
                port,
                flow,
                scope
            ))
        ),
        (any::<u32>(), any::<u16>()).prop_map(|(ip, port)| {
            SocketAddr::new(IpAddr::V6(Ipv4Addr::from(ip).to_ipv6_mapped()), port)
        }),
    ]
}

fn round_trip(addr: &SocketAddr) -> SocketAddr {
    let mut raw = [0u8; ADDR_LEN];
    encode_addr(addr, &mut raw);
    decode_addr(&raw)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn ipv4_comes_back_as_the_same_ipv4(ip in any::<u32>(), port in any::<u16>()) {
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port);
        let back = round_trip(&addr);
        prop_assert!(back.is_ipv4());
        prop_assert_eq!(back, addr);
    }

    #[test]
    fn every_address_round_trips_up_to_what_the_format_carries(addr in socket_addr()) {
        let back = round_trip(&addr);
        prop_assert_eq!(back.port(), addr.port());
        let expected_ip = match addr.ip() {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        prop_assert_eq!(back.ip(), expected_ip);
        // Flow info and scope id are not on the wire; nothing else is lost.
        if let SocketAddr::V6(v6) = back {
            prop_assert_eq!((v6.flowinfo(), v6.scope_id()), (0, 0));
        }
        // Mapped and plain IPv4 fall in the same network group, before and after.
        prop_assert_eq!(network_group(&back), network_group(&addr));
    }

    #[test]
    fn every_encoding_decodes_and_re_encodes_to_itself(raw in any::<[u8; ADDR_LEN]>()) {
        let addr = decode_addr(&raw);
        let mut again = [0u8; ADDR_LEN];
        encode_addr(&addr, &mut again);
        prop_assert_eq!(again, raw);
        let mapped = Ipv6Addr::from(<[u8; 16]>::try_from(&raw[..16]).expect("16 bytes"))
            .to_ipv4_mapped()
            .is_some();
        prop_assert_eq!(addr.is_ipv4(), mapped);
    }
}
