//! Tests for Ethernet II framing; each names the kernel helper it pins.

use super::*;
use crate::wire::Error;

/// An ARP who-has broadcast as it appears on the wire (Wireshark's
/// arp-storm sample, first frame, without the 18 bytes of padding):
/// 00:07:0d:af:f4:54 asks for 24.166.173.159.
const ARP_FRAME: [u8; 42] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x07, 0x0d, 0xaf, 0xf4, 0x54, 0x08, 0x06, // eth
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // htype 1, ptype IP, 6, 4, request
    0x00, 0x07, 0x0d, 0xaf, 0xf4, 0x54, 0x18, 0xa6, 0xac, 0x01, // sha, spa
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x18, 0xa6, 0xad, 0x9f, // tha, tpa
];

/// struct ethhdr (uapi/linux/if_ether.h): golden bytes parse to the
/// expected repr and emit back to the same bytes.
#[test]
fn ethhdr_golden_parse_emit() {
    let frame = EthernetFrame::new_checked(&ARP_FRAME[..]).unwrap();
    let repr = EthernetRepr::parse(&frame).unwrap();
    assert_eq!(
        repr,
        EthernetRepr {
            dst_addr: EthernetAddress::BROADCAST,
            src_addr: EthernetAddress([0x00, 0x07, 0x0d, 0xaf, 0xf4, 0x54]),
            ethertype: EthernetProtocol::Arp,
        }
    );
    assert_eq!(frame.payload(), &ARP_FRAME[14..]);
    assert_eq!(repr.buffer_len(), 14);

    let mut out = [0u8; 42];
    let mut f = EthernetFrame::new_checked(&mut out[..]).unwrap();
    repr.emit(&mut f);
    f.payload_mut().copy_from_slice(&ARP_FRAME[14..]);
    assert_eq!(out, ARP_FRAME);
}

/// ETH_HLEN: a 13-byte buffer is truncated, 14 bytes is an empty payload.
#[test]
fn ethhdr_truncated() {
    assert_eq!(
        EthernetFrame::new_checked(&ARP_FRAME[..13]).unwrap_err(),
        Error::Truncated
    );
    let f = EthernetFrame::new_checked(&ARP_FRAME[..14]).unwrap();
    assert!(f.payload().is_empty());
}

/// is_multicast_ether_addr / is_broadcast_ether_addr / is_local_ether_addr
/// / is_valid_ether_addr / is_link_local_ether_addr (linux/etherdevice.h).
#[test]
fn etherdevice_predicates() {
    let bc = EthernetAddress::BROADCAST;
    assert!(bc.is_broadcast() && bc.is_multicast() && !bc.is_unicast());
    let mc = EthernetAddress([0x01, 0x00, 0x5e, 0x00, 0x00, 0x01]);
    assert!(mc.is_multicast() && !mc.is_broadcast() && !mc.is_valid());
    let local = EthernetAddress([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
    assert!(local.is_local() && local.is_unicast() && local.is_valid());
    let oui = EthernetAddress([0x00, 0x07, 0x0d, 0xaf, 0xf4, 0x54]);
    assert!(!oui.is_local() && oui.is_valid());
    assert!(EthernetAddress([0; 6]).is_zero() && !EthernetAddress([0; 6]).is_valid());
    let stp = EthernetAddress([0x01, 0x80, 0xc2, 0x00, 0x00, 0x00]);
    let lacp = EthernetAddress([0x01, 0x80, 0xc2, 0x00, 0x00, 0x02]);
    let not = EthernetAddress([0x01, 0x80, 0xc2, 0x00, 0x00, 0x10]);
    assert!(stp.is_link_local() && lacp.is_link_local() && !not.is_link_local());
}

/// %pM formatting, as `ip link` prints link/ether.
#[test]
fn display_like_pm() {
    let a = EthernetAddress([0x0a, 0xbb, 0x0c, 0x00, 0xff, 0x01]);
    assert_eq!(a.to_string(), "0a:bb:0c:00:ff:01");
    assert_eq!(EthernetAddress::from_bytes(&a.0), Some(a));
    assert_eq!(EthernetAddress::from_bytes(&[1, 2, 3]), None);
}

/// ETH_P_* values round-trip; 802.3 lengths (< ETH_P_802_3_MIN) are
/// recognised as eth_type_trans does (eth_proto_is_802_3).
#[test]
fn eth_p_values() {
    for (p, v) in [
        (EthernetProtocol::Ipv4, 0x0800u16),
        (EthernetProtocol::Arp, 0x0806),
        (EthernetProtocol::Ipv6, 0x86dd),
        (EthernetProtocol::VlanC, 0x8100),
        (EthernetProtocol::VlanS, 0x88a8),
        (EthernetProtocol::Slow, 0x8809),
        (EthernetProtocol::Unknown(0x1234), 0x1234),
    ] {
        assert_eq!(EthernetProtocol::from(v), p);
        assert_eq!(u16::from(p), v);
    }
    assert!(EthernetProtocol::from(0x05dc).is_length());
    assert!(!EthernetProtocol::Ipv4.is_length());
    assert_eq!(EthernetProtocol::Unknown(0x1234).to_string(), "0x1234");
}

/// eth_skb_pkt_type: own address → HOST, broadcast → BROADCAST, other
/// group → MULTICAST, other unicast → OTHERHOST.
#[test]
fn eth_skb_pkt_type_classes() {
    let me = EthernetAddress([0x02, 0, 0, 0, 0, 1]);
    let bc = EthernetAddress::BROADCAST;
    assert_eq!(eth_pkt_type(me, me, bc), PacketType::Host);
    assert_eq!(eth_pkt_type(bc, me, bc), PacketType::Broadcast);
    let mc = EthernetAddress([0x33, 0x33, 0, 0, 0, 1]);
    assert_eq!(eth_pkt_type(mc, me, bc), PacketType::Multicast);
    let other = EthernetAddress([0x02, 0, 0, 0, 0, 2]);
    assert_eq!(eth_pkt_type(other, me, bc), PacketType::OtherHost);
}
