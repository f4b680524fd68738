//! Multicast link-layer mapping by device type: which hardware address an
//! IP group becomes on a device, as `arp_mc_map` (net/ipv4/arp.c) and
//! `ndisc_mc_map` (net/ipv6/ndisc.c) compute it for `dev_mc_add`
//! (`ip_mc_filter_add`, `igmp6_group_added`) and for resolving a multicast
//! destination.
//!
//! The per-type helpers carry the facts of include/net/ip.h and
//! include/net/if_inet6.h:
//! - Ethernet, IPv4 (RFC 1112 §6.4): 01:00:5e + the low 23 bits.
//! - Ethernet, IPv6 (RFC 2464 §7): 33:33 + the low 32 bits.
//! - InfiniBand (RFC 4391 §4): 20 bytes — reserved 0, multicast QPN
//!   ff:ff:ff, then the MGID ff:1<scope>:<signature 401b for IPv4, 601b for
//!   IPv6>:<P_Key> followed by group bits (IPv4: the low 28 bits in the last
//!   4 bytes after 6 zero bytes; IPv6: bytes 6..16 of the group). Scope and
//!   P_Key come from `dev->broadcast` (bytes 5 and 8–9). The header
//!   comment in ip.h says "leave P_Key as 0 to be filled in by driver", but
//!   the code copies it from the broadcast address (and `ipoib_start_xmit`
//!   overwrites bytes 8–9 with the interface's P_Key when sending).

use super::EthernetAddress;
use crate::consts::{ARPHRD_ETHER, ARPHRD_INFINIBAND};
use crate::hwaddr::HwAddr;
use core::net::{Ipv4Addr, Ipv6Addr};

const ARPHRD_IEEE802: u16 = 6;
const ARPHRD_ARCNET: u16 = 7;
const ARPHRD_FDDI: u16 = 774;
const ARPHRD_IPGRE: u16 = 778;

/// `ip_eth_mc_map`: 01:00:5e, then the group's low 23 bits.
pub fn ip_eth_mc_map(group: Ipv4Addr) -> EthernetAddress {
    let o = group.octets();
    EthernetAddress([0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]])
}

/// `ipv6_eth_mc_map`: 33:33, then the group's last 4 bytes.
pub fn ipv6_eth_mc_map(group: Ipv6Addr) -> EthernetAddress {
    let o = group.octets();
    EthernetAddress([0x33, 0x33, o[12], o[13], o[14], o[15]])
}

/// The 10-byte prefix both IB mappings share: reserved, multicast QPN,
/// 0xff, 0x10|scope, signature, P_Key.
fn ib_mc_prefix(signature: u8, broadcast: &[u8; 20]) -> [u8; 20] {
    let mut buf = [0u8; 20];
    buf[1] = 0xff;
    buf[2] = 0xff;
    buf[3] = 0xff;
    buf[4] = 0xff;
    buf[5] = 0x10 | (broadcast[5] & 0x0f);
    buf[6] = signature;
    buf[7] = 0x1b;
    buf[8] = broadcast[8];
    buf[9] = broadcast[9];
    buf
}

/// `ip_ib_mc_map`: MGID ff1<scope>:401b:<P_Key>::<low 28 bits of group>.
pub fn ip_ib_mc_map(group: Ipv4Addr, broadcast: &[u8; 20]) -> [u8; 20] {
    let mut buf = ib_mc_prefix(0x40, broadcast);
    let o = group.octets();
    buf[16] = o[0] & 0x0f;
    buf[17] = o[1];
    buf[18] = o[2];
    buf[19] = o[3];
    buf
}

/// `ipv6_ib_mc_map`: MGID ff1<scope>:601b:<P_Key>, then bytes 6..16 of the
/// group.
pub fn ipv6_ib_mc_map(group: Ipv6Addr, broadcast: &[u8; 20]) -> [u8; 20] {
    let mut buf = ib_mc_prefix(0x60, broadcast);
    buf[10..].copy_from_slice(&group.octets()[6..]);
    buf
}

fn ib_broadcast(broadcast: &HwAddr) -> Option<&[u8; 20]> {
    broadcast.as_bytes().try_into().ok()
}

fn hw(b: &[u8]) -> Option<HwAddr> {
    HwAddr::new(b)
}

/// `arp_mc_map(addr, haddr, dev, dir)`: the link-layer address for IPv4
/// group `group` on a device of type `dev_type` with `dev->broadcast`
/// `broadcast`. `None` is -EINVAL: types without a mapping get one only
/// when resolving (`dir` true), and then it is the broadcast address — so
/// `ip_mc_filter_add` (dir 0) adds nothing to a loopback or tun device's
/// list. `None` too if an IB device's broadcast is not 20 bytes.
pub fn arp_mc_map(group: Ipv4Addr, dev_type: u16, broadcast: &HwAddr, dir: bool) -> Option<HwAddr> {
    match dev_type {
        ARPHRD_ETHER | ARPHRD_FDDI | ARPHRD_IEEE802 => hw(&ip_eth_mc_map(group).0),
        ARPHRD_INFINIBAND => hw(&ip_ib_mc_map(group, ib_broadcast(broadcast)?)),
        ARPHRD_IPGRE => {
            // ip_ipgre_mc_map: the tunnel's remote if it has one, else the group.
            let b = broadcast.as_bytes();
            if b.len() >= 4 && b[..4] != [0; 4] {
                hw(&b[..4])
            } else {
                hw(&group.octets())
            }
        }
        _ if dir => Some(*broadcast),
        _ => None,
    }
}

/// `ndisc_mc_map(addr, buf, dev, dir)`: as [`arp_mc_map`] for an IPv6
/// group. (`igmp6_group_added` calls it only for groups of link-local
/// scope or wider; that check is the caller's.)
pub fn ndisc_mc_map(
    group: Ipv6Addr,
    dev_type: u16,
    broadcast: &HwAddr,
    dir: bool,
) -> Option<HwAddr> {
    match dev_type {
        ARPHRD_ETHER | ARPHRD_IEEE802 | ARPHRD_FDDI => hw(&ipv6_eth_mc_map(group).0),
        // ipv6_arcnet_mc_map: a single zero byte (ARCnet broadcast).
        ARPHRD_ARCNET => hw(&[0]),
        ARPHRD_INFINIBAND => hw(&ipv6_ib_mc_map(group, ib_broadcast(broadcast)?)),
        ARPHRD_IPGRE => {
            // ipv6_ipgre_mc_map: the remote if set, else a v4-mapped group's
            // IPv4 part, else -EINVAL.
            let b = broadcast.as_bytes();
            if b.len() >= 4 && b[..4] != [0; 4] {
                return hw(&b[..4]);
            }
            group.to_ipv4_mapped().and_then(|v4| hw(&v4.octets()))
        }
        _ if dir => Some(*broadcast),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
