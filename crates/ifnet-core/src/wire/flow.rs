//! The flow a frame belongs to, as a virtual switch that offloads flows to
//! hardware keys them: the L3 addresses and protocol and, for TCP and UDP,
//! the ports (the 5-tuple); for a frame that is not IP, its source MAC and
//! EtherType.
//!
//! Azure's host switch (VFP) programs a flow into the VF's hardware path
//! only after it has seen the flow's first packet on the synthetic path
//! (drivers/netvsc_host.rs); this is the key it remembers. Parsing never
//! fails: a truncated or malformed L3/L4 header degrades to a coarser key,
//! as a switch that cannot parse further still forwards the frame.

use super::ethernet::{EthernetFrame, EthernetProtocol};
use serde::{Deserialize, Serialize};

/// IPPROTO_TCP / IPPROTO_UDP: the protocols whose ports are in the key.
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;

/// A flow's key. Addresses are kept in 16 bytes (IPv4 and MACs in the
/// first bytes, the rest zero) so that every key has one size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FlowKey {
    pub ethertype: u16,
    pub proto: u8,
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub sport: u16,
    pub dport: u16,
}

fn padded(bytes: &[u8]) -> [u8; 16] {
    let mut a = [0; 16];
    let n = bytes.len().min(16);
    a[..n].copy_from_slice(&bytes[..n]);
    a
}

/// The two ports at the start of a TCP or UDP header, if there are two.
fn ports(proto: u8, l4: &[u8]) -> (u16, u16) {
    match (proto, l4.get(..4)) {
        (IPPROTO_TCP | IPPROTO_UDP, Some(p)) => (
            u16::from_be_bytes([p[0], p[1]]),
            u16::from_be_bytes([p[2], p[3]]),
        ),
        _ => (0, 0),
    }
}

impl FlowKey {
    /// The key of an Ethernet frame; None when it is shorter than ETH_HLEN.
    pub fn from_ethernet(frame: &[u8]) -> Option<FlowKey> {
        let eth = EthernetFrame::new_checked(frame).ok()?;
        let ethertype = u16::from(eth.ethertype());
        let l2 = FlowKey {
            ethertype,
            proto: 0,
            src: padded(&eth.src_addr().0),
            dst: [0; 16],
            sport: 0,
            dport: 0,
        };
        let key = match eth.ethertype() {
            EthernetProtocol::Ipv4 => FlowKey::ipv4(ethertype, eth.payload()),
            EthernetProtocol::Ipv6 => FlowKey::ipv6(ethertype, eth.payload()),
            _ => None,
        };
        Some(key.unwrap_or(l2))
    }

    /// IPv4: addresses, protocol, and the ports of a first (or only)
    /// fragment.
    fn ipv4(ethertype: u16, p: &[u8]) -> Option<FlowKey> {
        let ihl = usize::from(*p.first()? & 0x0f) * 4;
        if p[0] >> 4 != 4 || ihl < 20 || p.len() < ihl {
            return None;
        }
        let proto = p[9];
        let frag_off = u16::from_be_bytes([p[6], p[7]]) & 0x1fff;
        let (sport, dport) = if frag_off == 0 {
            ports(proto, &p[ihl..])
        } else {
            (0, 0)
        };
        Some(FlowKey {
            ethertype,
            proto,
            src: padded(&p[12..16]),
            dst: padded(&p[16..20]),
            sport,
            dport,
        })
    }

    /// IPv6: addresses, the first next-header, and its ports for TCP/UDP
    /// (extension headers are not walked: their flows key on the header).
    fn ipv6(ethertype: u16, p: &[u8]) -> Option<FlowKey> {
        if p.len() < 40 || p[0] >> 4 != 6 {
            return None;
        }
        let proto = p[6];
        let (sport, dport) = ports(proto, &p[40..]);
        Some(FlowKey {
            ethertype,
            proto,
            src: padded(&p[8..24]),
            dst: padded(&p[24..40]),
            sport,
            dport,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn udp4(sport: u16, frag: u16) -> Vec<u8> {
        let mut ip = vec![0x45, 0, 0, 28, 0, 0];
        ip.extend_from_slice(&frag.to_be_bytes());
        ip.extend_from_slice(&[64, IPPROTO_UDP, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        ip.extend_from_slice(&sport.to_be_bytes());
        ip.extend_from_slice(&[0, 53, 0, 8, 0, 0]);
        eth(0x0800, &ip)
    }

    #[test]
    fn udp_ports_are_in_the_key_of_a_first_fragment_only() {
        let a = FlowKey::from_ethernet(&udp4(1000, 0)).unwrap();
        let b = FlowKey::from_ethernet(&udp4(1001, 0)).unwrap();
        assert_ne!(a, b);
        assert_eq!((a.sport, a.dport, a.proto), (1000, 53, IPPROTO_UDP));
        assert_eq!(&a.src[..4], &[10, 0, 0, 1]);
        let later = FlowKey::from_ethernet(&udp4(1000, 185)).unwrap();
        assert_eq!((later.sport, later.dport), (0, 0));
    }

    #[test]
    fn non_ip_and_truncated_ip_key_on_source_mac_and_ethertype() {
        let k = FlowKey::from_ethernet(&eth(0x88b5, &[0; 46])).unwrap();
        assert_eq!((k.ethertype, k.proto), (0x88b5, 0));
        assert_eq!(&k.src[..6], &[0x02, 0, 0, 0, 0, 2]);
        let cut = FlowKey::from_ethernet(&eth(0x0800, &[0x45, 0, 0])).unwrap();
        assert_eq!((cut.ethertype, cut.proto, cut.dst), (0x0800, 0, [0; 16]));
        assert_eq!(FlowKey::from_ethernet(&[0; 13]), None);
    }

    #[test]
    fn ipv6_tcp_key() {
        let mut ip = vec![0x60, 0, 0, 0, 0, 20, IPPROTO_TCP, 64];
        ip.extend_from_slice(&[0xfe; 16]);
        ip.extend_from_slice(&[0xfd; 16]);
        ip.extend_from_slice(&[0x1f, 0x90, 0x00, 0x50]);
        let k = FlowKey::from_ethernet(&eth(0x86dd, &ip)).unwrap();
        assert_eq!((k.proto, k.sport, k.dport), (IPPROTO_TCP, 8080, 80));
        assert_eq!((k.src, k.dst), ([0xfe; 16], [0xfd; 16]));
    }
}
