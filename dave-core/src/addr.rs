//! Addresses on the wire, network groups and routability (docs/protocol.md §4, §5).
//!
//! An address is 18 bytes: the 16-byte IPv6 address (IPv4 as `::ffff:a.b.c.d`) then a
//! little-endian `u16` port. Network groups (IPv4 /24, IPv6 /48) are what the peer table's
//! anti-poisoning limits count, since one operator usually holds addresses in one prefix.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Bytes of an encoded address.
pub const ADDR_LEN: usize = 18;

/// Writes `addr` as 18 bytes. IPv4 becomes IPv4-mapped IPv6.
pub fn encode_addr(addr: &SocketAddr, out: &mut [u8; ADDR_LEN]) {
    let ip = match addr.ip() {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    out[..16].copy_from_slice(&ip.octets());
    out[16..].copy_from_slice(&addr.port().to_le_bytes());
}

/// Reads 18 bytes as an address. IPv4-mapped addresses come back as IPv4, so an address
/// compares equal to the one a socket reports. Every 18-byte string is some address.
pub fn decode_addr(bytes: &[u8; ADDR_LEN]) -> SocketAddr {
    let mut ip = [0u8; 16];
    ip.copy_from_slice(&bytes[..16]);
    let ip = Ipv6Addr::from(ip);
    let port = u16::from_le_bytes([bytes[16], bytes[17]]);
    match ip.to_ipv4_mapped() {
        Some(v4) => SocketAddr::new(IpAddr::V4(v4), port),
        None => SocketAddr::new(IpAddr::V6(ip), port),
    }
}

/// A socket address in 20 bytes instead of `SocketAddr`'s 32, for the peer table, which keeps
/// one per entry in each of up to a hundred thousand simulated nodes.
///
/// It keeps whether an IPv4 address came as IPv4 or as IPv4-mapped IPv6 (a dual-stack socket
/// reports the latter and can only send to it), but not an IPv6 flow label or scope id: a scope
/// id names an interface of this host, and link-local peers, which need one, are not supported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CompactAddr {
    octets: [u8; 16],
    port: u16,
    v4: bool,
}

impl CompactAddr {
    /// `addr` without its flow label and scope id.
    pub fn new(addr: &SocketAddr) -> CompactAddr {
        let (octets, v4) = match addr.ip() {
            IpAddr::V4(v4) => (v4.to_ipv6_mapped().octets(), true),
            IpAddr::V6(v6) => (v6.octets(), false),
        };
        CompactAddr {
            octets,
            port: addr.port(),
            v4,
        }
    }

    /// Its network group, as [`network_group`] of [`CompactAddr::get`] (the candidate list
    /// asks this of each entry for each of an AUTH PONG's dozen addresses).
    pub fn group(&self) -> NetworkGroup {
        let o = &self.octets;
        if self.is_mapped() {
            NetworkGroup::V4([o[12], o[13], o[14]])
        } else {
            NetworkGroup::V6([o[0], o[1], o[2], o[3], o[4], o[5]])
        }
    }

    /// Whether two addresses share a network group: `a.group() == b.group()`, in a few word
    /// operations instead of building both groups (the candidate list and the table's group
    /// limits ask it of every entry on every admission: 18 % of a 1,500-node run's
    /// instructions were the candidate list's scan).
    pub fn same_group(&self, other: &CompactAddr) -> bool {
        let (a, b) = (
            u128::from_be_bytes(self.octets),
            u128::from_be_bytes(other.octets),
        );
        match (self.is_mapped(), other.is_mapped()) {
            // The /24: every byte before the last (the first twelve are the mapped prefix).
            (true, true) => a >> 8 == b >> 8,
            // The /48: the first six bytes.
            (false, false) => a >> 80 == b >> 80,
            _ => false,
        }
    }

    /// 32 bits that two addresses of one network group share: the /24 under a tag byte
    /// (0xff, which no routable IPv6 address starts with) for IPv4 and IPv4-mapped, the first
    /// four bytes of the /48 for IPv6. Equal tags are necessary for [`CompactAddr::same_group`]
    /// and for equal addresses, so a scan compares them first and confirms a match.
    pub fn group_tag(&self) -> u32 {
        let o = &self.octets;
        if self.is_mapped() {
            0xff00_0000 | u32::from_be_bytes([0, o[12], o[13], o[14]])
        } else {
            u32::from_be_bytes([o[0], o[1], o[2], o[3]])
        }
    }

    /// Whether it is IPv4 or IPv4-mapped (`::ffff:a.b.c.d`: ten zero bytes, then 0xffff).
    fn is_mapped(&self) -> bool {
        u128::from_be_bytes(self.octets) >> 32 == 0xffff
    }

    /// The socket address.
    pub fn get(self) -> SocketAddr {
        let v6 = Ipv6Addr::from(self.octets);
        match v6.to_ipv4_mapped() {
            Some(v4) if self.v4 => SocketAddr::new(IpAddr::V4(v4), self.port),
            _ => SocketAddr::new(IpAddr::V6(v6), self.port),
        }
    }
}

/// The prefix an address's operator most likely controls: IPv4 /24 or IPv6 /48.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NetworkGroup {
    /// The first three octets of an IPv4 address.
    V4([u8; 3]),
    /// The first six bytes of an IPv6 address.
    V6([u8; 6]),
}

/// The network group of an address; IPv4-mapped IPv6 counts as IPv4.
pub fn network_group(addr: &SocketAddr) -> NetworkGroup {
    match addr.ip() {
        IpAddr::V4(v4) => v4_group(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_group(v4),
            None => {
                let o = v6.octets();
                NetworkGroup::V6([o[0], o[1], o[2], o[3], o[4], o[5]])
            }
        },
    }
}

fn v4_group(v4: Ipv4Addr) -> NetworkGroup {
    let [a, b, c, _] = v4.octets();
    NetworkGroup::V4([a, b, c])
}

/// Whether an address may enter a peer table: not unspecified, not multicast or broadcast, not
/// port 0. Loopback and private ranges are allowed on purpose: local test networks and
/// dave-node's integration tests run on them, and a node only ever pings such an address with a
/// padded 160-byte PING under the 3× anti-amplification rule, so it is no reflection lever.
pub fn is_routable(addr: &SocketAddr) -> bool {
    if addr.port() == 0 {
        return false;
    }
    match addr.ip() {
        IpAddr::V4(v4) => v4_routable(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_routable(v4),
            None => !v6.is_unspecified() && !v6.is_multicast(),
        },
    }
}

fn v4_routable(v4: Ipv4Addr) -> bool {
    !v4.is_unspecified() && !v4.is_multicast() && !v4.is_broadcast()
}

/// Whether an address belongs to a local network: loopback (127/8, ::1), private (RFC 1918's
/// 10/8, 172.16/12, 192.168/16; RFC 4193's fc00::/7) or link-local (169.254/16, fe80::/10).
/// Nobody on the public Internet can be reached at one, so a node configured for a local
/// cluster ([`crate::config::Config::local`]) exempts them from the network-group limits.
pub fn is_local(addr: &SocketAddr) -> bool {
    match addr.ip() {
        IpAddr::V4(v4) => v4_local(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_local(v4),
            None => {
                let first = v6.segments()[0];
                v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
            }
        },
    }
}

fn v4_local(v4: Ipv4Addr) -> bool {
    v4.is_loopback() || v4.is_private() || v4.is_link_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(addr: &str) -> SocketAddr {
        let addr: SocketAddr = addr.parse().expect("valid");
        let mut out = [0u8; ADDR_LEN];
        encode_addr(&addr, &mut out);
        decode_addr(&out)
    }

    #[test]
    fn addresses_round_trip() {
        for a in [
            "127.0.0.1:4000",
            "10.1.2.3:65535",
            "[2001:db8::1]:8080",
            "[::1]:1",
        ] {
            assert_eq!(round_trip(a), a.parse().expect("valid"));
        }
    }

    #[test]
    fn compact_addresses_round_trip_with_their_family() {
        for a in [
            "127.0.0.1:4000",
            "[::ffff:10.1.2.3]:9",
            "[2001:db8::1]:8080",
            "[::1]:1",
            "[::]:0",
        ] {
            let addr: SocketAddr = a.parse().expect("valid");
            assert_eq!(CompactAddr::new(&addr).get(), addr, "{a}");
        }
        let v4: SocketAddr = "10.1.2.3:9".parse().expect("valid");
        let mapped: SocketAddr = "[::ffff:10.1.2.3]:9".parse().expect("valid");
        assert_ne!(CompactAddr::new(&v4), CompactAddr::new(&mapped));
        assert_eq!(std::mem::size_of::<CompactAddr>(), 20);
    }

    proptest::proptest! {
        #[test]
        fn compact_groups_agree(octets: [u8; 16], port: u16, v4: bool, mapped: bool) {
            let addr = if v4 {
                SocketAddr::from(([octets[0], octets[1], octets[2], octets[3]], port))
            } else {
                let mut o = octets;
                if mapped {
                    o[..12].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
                }
                SocketAddr::from((Ipv6Addr::from(o), port))
            };
            let compact = CompactAddr::new(&addr);
            proptest::prop_assert_eq!(compact.group(), network_group(&addr));
            proptest::prop_assert_eq!(compact.get(), addr);
        }
    }

    /// Addresses from a handful of prefixes, so that groups often match: IPv4, IPv4-mapped,
    /// IPv6 and IPv6 that differ from a mapped address only after the mapped prefix.
    fn nearby_addr() -> impl proptest::strategy::Strategy<Value = SocketAddr> {
        use proptest::prelude::*;
        (0u8..4, 0u8..3, 0u8..3, 0u8..3, any::<u8>()).prop_map(|(kind, a, b, c, d)| match kind {
            0 => SocketAddr::from(([10, a, b, c], u16::from(d))),
            1 => SocketAddr::from((Ipv4Addr::new(10, a, b, c).to_ipv6_mapped(), 1)),
            2 => SocketAddr::from((
                Ipv6Addr::new(
                    0x2001,
                    u16::from(a),
                    u16::from(b),
                    u16::from(c),
                    0,
                    0,
                    0,
                    u16::from(d),
                ),
                1,
            )),
            _ => SocketAddr::from((
                Ipv6Addr::new(0, 0, 0, 0, 0, u16::from(a), 0x0a00, u16::from(c)),
                1,
            )),
        })
    }

    proptest::proptest! {
        #[test]
        fn same_group_agrees_with_the_groups(a in nearby_addr(), b in nearby_addr()) {
            let (ca, cb) = (CompactAddr::new(&a), CompactAddr::new(&b));
            let same = network_group(&a) == network_group(&b);
            proptest::prop_assert_eq!(ca.same_group(&cb), same);
            if same || a == b {
                proptest::prop_assert_eq!(ca.group_tag(), cb.group_tag());
            }
        }
    }

    #[test]
    fn groups() {
        let a: SocketAddr = "10.1.2.3:1".parse().expect("valid");
        let b: SocketAddr = "10.1.2.200:9".parse().expect("valid");
        let c: SocketAddr = "10.1.3.3:1".parse().expect("valid");
        let mapped: SocketAddr = "[::ffff:10.1.2.7]:1".parse().expect("valid");
        assert_eq!(network_group(&a), network_group(&b));
        assert_ne!(network_group(&a), network_group(&c));
        assert_eq!(network_group(&a), network_group(&mapped));
        let v6a: SocketAddr = "[2001:db8:1:2::1]:1".parse().expect("valid");
        let v6b: SocketAddr = "[2001:db8:1:3::1]:1".parse().expect("valid");
        let v6c: SocketAddr = "[2001:db8:2::1]:1".parse().expect("valid");
        assert_eq!(network_group(&v6a), network_group(&v6b));
        assert_ne!(network_group(&v6a), network_group(&v6c));
    }

    #[test]
    fn routability() {
        for bad in [
            "0.0.0.0:1",
            "1.2.3.4:0",
            "224.0.0.1:5",
            "255.255.255.255:5",
            "[::]:5",
            "[ff02::1]:5",
            "[::ffff:0.0.0.0]:5",
        ] {
            assert!(!is_routable(&bad.parse().expect("valid")), "{bad}");
        }
        for good in ["1.2.3.4:5", "127.0.0.1:4000", "[2001:db8::1]:1"] {
            assert!(is_routable(&good.parse().expect("valid")), "{good}");
        }
    }

    #[test]
    fn local_ranges() {
        for local in [
            "127.0.0.5:1",
            "10.9.8.7:1",
            "172.16.0.1:1",
            "172.31.255.1:1",
            "192.168.1.10:1",
            "169.254.3.4:1",
            "[::1]:1",
            "[fd12:3456::1]:1",
            "[fe80::1]:1",
            "[::ffff:192.168.0.2]:1",
        ] {
            assert!(is_local(&local.parse().expect("valid")), "{local}");
        }
        for public in [
            "1.2.3.4:1",
            "172.32.0.1:1",
            "192.169.0.1:1",
            "[2001:db8::1]:1",
            "[::ffff:8.8.8.8]:1",
        ] {
            assert!(!is_local(&public.parse().expect("valid")), "{public}");
        }
    }
}
