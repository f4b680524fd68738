//! Known vectors for the multicast mappings; each test names the kernel
//! helper (include/net/ip.h, include/net/if_inet6.h, arp.c, ndisc.c) or RFC
//! section it pins.

use super::*;
use crate::wire::InfinibandAddress;

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn ib(s: &str) -> [u8; 20] {
    let h = HwAddr::parse(s).unwrap();
    h.as_bytes().try_into().unwrap()
}

/// The default IPoIB broadcast address (ipv4_bcast_addr with P_Key 0xffff).
const BC_FFFF: &str = "00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:ff:ff:ff:ff";
/// ipv4_bcast_addr itself: the P_Key bytes still zero.
const BC_TEMPLATE: &str = "00:ff:ff:ff:ff:12:40:1b:00:00:00:00:00:00:00:00:ff:ff:ff:ff";

/// ip_eth_mc_map / RFC 1112 §6.4: 01:00:5e + low 23 bits; bit 23 is lost,
/// so 224.128.0.1 and 224.0.0.1 share a MAC.
#[test]
fn ip_eth_mc_map_vectors() {
    for (group, mac) in [
        ("224.0.0.1", "01:00:5e:00:00:01"),
        ("224.0.0.251", "01:00:5e:00:00:fb"),
        ("239.255.255.250", "01:00:5e:7f:ff:fa"),
    ] {
        assert_eq!(ip_eth_mc_map(v4(group)).to_string(), mac, "{group}");
    }
    assert_eq!(
        ip_eth_mc_map(v4("224.128.0.1")),
        ip_eth_mc_map(v4("224.0.0.1"))
    );
}

/// ipv6_eth_mc_map / RFC 2464 §7: 33:33 + the last 32 bits.
#[test]
fn ipv6_eth_mc_map_vectors() {
    for (group, mac) in [
        ("ff02::1", "33:33:00:00:00:01"),
        ("ff02::1:ff12:3456", "33:33:ff:12:34:56"),
        ("ff05::1:3", "33:33:00:01:00:03"),
    ] {
        assert_eq!(ipv6_eth_mc_map(v6(group)).to_string(), mac, "{group}");
    }
}

/// ip_ib_mc_map with the default broadcast (P_Key ffff): 224.0.0.1 becomes
/// the group `ip maddr show dev ib0` lists; the top nibble of the IPv4
/// group (always 0xe) is dropped (addr & 0x0f in byte 16).
#[test]
fn ip_ib_mc_map_default_broadcast() {
    let bc = ib(BC_FFFF);
    let g = InfinibandAddress(ip_ib_mc_map(v4("224.0.0.1"), &bc));
    assert_eq!(
        g.to_string(),
        "00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:00:00:00:01"
    );
    let g = InfinibandAddress(ip_ib_mc_map(v4("239.1.2.3"), &bc));
    assert_eq!(
        g.to_string(),
        "00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:0f:01:02:03"
    );
    assert!(g.is_multicast());
    assert_eq!(g.qpn(), 0xffffff);
}

/// ip_ib_mc_map: the P_Key is taken from broadcast[8..10], so the bare
/// ipv4_bcast_addr (P_Key bytes 0) gives a group with P_Key 0, and a child
/// interface's P_Key (0x8001) lands in the group.
#[test]
fn ip_ib_mc_map_pkey_from_broadcast() {
    let g = ip_ib_mc_map(v4("224.0.0.1"), &ib(BC_TEMPLATE));
    assert_eq!(
        InfinibandAddress(g).to_string(),
        "00:ff:ff:ff:ff:12:40:1b:00:00:00:00:00:00:00:00:00:00:00:01"
    );
    let child = InfinibandAddress::broadcast(0x0001);
    let g = InfinibandAddress(ip_ib_mc_map(v4("224.0.0.1"), &child.0));
    assert_eq!(g.pkey(), 0x8001);
}

/// ip_ib_mc_map: the scope nibble comes from broadcast[5] & 0xF (here a
/// site-local-scope broadcast group, 0x15); byte 4 stays 0xff.
#[test]
fn ip_ib_mc_map_scope_from_broadcast() {
    let mut bc = ib(BC_FFFF);
    bc[5] = 0x15;
    let g = ip_ib_mc_map(v4("224.0.0.1"), &bc);
    assert_eq!(&g[4..8], &[0xff, 0x15, 0x40, 0x1b]);
    // Upper nibble of broadcast[5] is ignored: 0x10 | scope.
    bc[5] = 0xe8;
    assert_eq!(ip_ib_mc_map(v4("224.0.0.1"), &bc)[5], 0x18);
}

/// ipv6_ib_mc_map: signature 0x60, then bytes 6..16 of the group.
#[test]
fn ipv6_ib_mc_map_vectors() {
    let bc = ib(BC_FFFF);
    assert_eq!(
        InfinibandAddress(ipv6_ib_mc_map(v6("ff02::1"), &bc)).to_string(),
        "00:ff:ff:ff:ff:12:60:1b:ff:ff:00:00:00:00:00:00:00:00:00:01"
    );
    // Solicited-node group: ff02::1:ff00:1234.
    assert_eq!(
        InfinibandAddress(ipv6_ib_mc_map(v6("ff02::1:ff00:1234"), &bc)).to_string(),
        "00:ff:ff:ff:ff:12:60:1b:ff:ff:00:00:00:00:00:01:ff:00:12:34"
    );
}

/// arp_mc_map: Ethernet → ip_eth_mc_map, InfiniBand → ip_ib_mc_map with
/// dev->broadcast; loopback/none get nothing for the list (dir 0, -EINVAL)
/// and the broadcast address when resolving (dir 1).
#[test]
fn arp_mc_map_by_type() {
    let g = v4("224.0.0.1");
    let eth_bc = HwAddr::parse("ff:ff:ff:ff:ff:ff").unwrap();
    assert_eq!(
        arp_mc_map(g, 1, &eth_bc, false).unwrap().to_string(),
        "01:00:5e:00:00:01"
    );
    let ib_bc = HwAddr::parse(BC_FFFF).unwrap();
    assert_eq!(
        arp_mc_map(g, 32, &ib_bc, false).unwrap().to_string(),
        "00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:00:00:00:01"
    );
    let lo_bc = HwAddr::parse("00:00:00:00:00:00").unwrap();
    assert_eq!(arp_mc_map(g, 772, &lo_bc, false), None);
    assert_eq!(arp_mc_map(g, 772, &lo_bc, true), Some(lo_bc));
    assert_eq!(arp_mc_map(g, 0xfffe, &HwAddr::EMPTY, false), None);
    // ip_ipgre_mc_map: no remote → the group itself; remote → the remote.
    let none = HwAddr::parse("00:00:00:00").unwrap();
    assert_eq!(
        arp_mc_map(g, 778, &none, false).unwrap().as_bytes(),
        &[224, 0, 0, 1]
    );
    let remote = HwAddr::parse("0a:00:00:02").unwrap();
    assert_eq!(arp_mc_map(g, 778, &remote, false), Some(remote));
    // A malformed IB broadcast (not 20 bytes) maps to nothing.
    assert_eq!(arp_mc_map(g, 32, &eth_bc, false), None);
}

/// ndisc_mc_map: the same dispatch for IPv6, and a device that changes
/// type re-maps the same group (what a bond does when it takes an IPoIB
/// slave: dev_mc_flush, then the groups are added again by the new type).
#[test]
fn ndisc_mc_map_by_type_and_retype() {
    let g = v6("ff02::1");
    let eth_bc = HwAddr::parse("ff:ff:ff:ff:ff:ff").unwrap();
    let ib_bc = HwAddr::parse(BC_FFFF).unwrap();
    assert_eq!(
        ndisc_mc_map(g, 1, &eth_bc, false).unwrap().to_string(),
        "33:33:00:00:00:01"
    );
    assert_eq!(
        ndisc_mc_map(g, 32, &ib_bc, false).unwrap().to_string(),
        "00:ff:ff:ff:ff:12:60:1b:ff:ff:00:00:00:00:00:00:00:00:00:01"
    );
    assert_eq!(ndisc_mc_map(g, 772, &eth_bc, false), None);
    assert_eq!(
        ndisc_mc_map(g, 7, &HwAddr::EMPTY, false)
            .unwrap()
            .as_bytes(),
        &[0]
    );
    // ipv6_ipgre_mc_map: only v4-mapped groups without a remote.
    let none = HwAddr::parse("00:00:00:00").unwrap();
    assert_eq!(ndisc_mc_map(g, 778, &none, false), None);
    let mapped = v6("::ffff:224.0.0.5");
    assert_eq!(
        ndisc_mc_map(mapped, 778, &none, false).unwrap().as_bytes(),
        &[224, 0, 0, 5]
    );
}
