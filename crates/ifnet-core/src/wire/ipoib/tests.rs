//! Tests for the IPoIB wire formats; each names the kernel function or RFC
//! section it pins.

use super::*;
use crate::wire::Error;

/// A port address: IPOIB_FLAGS_RC, QPN 0x000404, GID fe80::2:c903:a:bcde.
const SENDER: [u8; 20] = [
    0x80, 0x00, 0x04, 0x04, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc9, 0x03,
    0x00, 0x0a, 0xbc, 0xde,
];

/// An ARP request on the IB wire (RFC 4391 §6 header, §9.1 ARP with
/// hardware type 32 and hlen 20): SENDER (10.0.0.1) asks for 10.0.0.2.
fn arp_request() -> [u8; 4 + 8 + 20 + 4 + 20 + 4] {
    let mut f = [0u8; 60];
    f[..4].copy_from_slice(&[0x08, 0x06, 0x00, 0x00]);
    f[4..12].copy_from_slice(&[0x00, 0x20, 0x08, 0x00, 0x14, 0x04, 0x00, 0x01]);
    f[12..32].copy_from_slice(&SENDER);
    f[32..36].copy_from_slice(&[10, 0, 0, 1]);
    f[56..60].copy_from_slice(&[10, 0, 0, 2]);
    f
}

/// RFC 4391 §6: EtherType then 2 reserved bytes; parse then emit gives the
/// same bytes.
#[test]
fn rfc4391_s6_header_golden() {
    let bytes = arp_request();
    let f = IpoibFrame::new_checked(&bytes[..]).unwrap();
    let repr = IpoibRepr::parse(&f).unwrap();
    assert_eq!(repr.ethertype, EthernetProtocol::Arp);
    assert_eq!(repr.buffer_len(), 4);
    assert_eq!(f.payload(), &bytes[4..]);

    let mut out = [0u8; 60];
    let mut o = IpoibFrame::new_checked(&mut out[..]).unwrap();
    repr.emit(&mut o);
    o.payload_mut().copy_from_slice(&bytes[4..]);
    assert_eq!(out, bytes);
}

/// RFC 4391 §6: the reserved field "MUST be ignored on receipt"; emit
/// writes zero (ipoib_hard_header sets header->reserved = 0).
#[test]
fn rfc4391_s6_reserved_ignored_and_zeroed() {
    let mut bytes = arp_request();
    bytes[2] = 0xab;
    bytes[3] = 0xcd;
    let f = IpoibFrame::new_checked(&bytes[..]).unwrap();
    assert_eq!(f.reserved(), 0xabcd);
    let repr = IpoibRepr::parse(&f).unwrap();
    let mut o = IpoibFrame::new_checked(&mut bytes[..]).unwrap();
    repr.emit(&mut o);
    assert_eq!(&bytes[..4], &[0x08, 0x06, 0, 0]);
}

/// IPOIB_ENCAP_LEN / IPOIB_HARD_LEN: shorter buffers are truncated.
#[test]
fn ipoib_lengths_truncated() {
    assert_eq!(HEADER_LEN, 4);
    assert_eq!(HARD_HEADER_LEN, 24);
    assert_eq!(
        IpoibFrame::new_checked(&[0u8; 3][..]).unwrap_err(),
        Error::Truncated
    );
    assert!(IpoibFrame::new_checked(&[0u8; 4][..]).is_ok());
    assert_eq!(
        IpoibHardFrame::new_checked(&[0u8; 23][..]).unwrap_err(),
        Error::Truncated
    );
    assert!(IpoibHardFrame::new_checked(&[0u8; 24][..]).is_ok());
}

/// ipoib_hard_header + push_pseudo_header: the skb from its MAC header is
/// the 20-byte destination then the 4-byte header; here an ARP broadcast to
/// the default-P_Key broadcast group.
#[test]
fn ipoib_hard_header_layout() {
    let arp = arp_request();
    let dst = InfinibandAddress::broadcast(0xffff);
    let repr = IpoibHardRepr {
        dst_addr: dst,
        ethertype: EthernetProtocol::Arp,
    };
    let mut buf = [0u8; 24 + 56];
    let mut f = IpoibHardFrame::new_checked(&mut buf[..]).unwrap();
    repr.emit(&mut f);
    f.payload_mut().copy_from_slice(&arp[4..]);
    assert_eq!(&buf[..20], &dst.0);
    assert_eq!(&buf[20..], &arp[..]);

    let f = IpoibHardFrame::new_checked(&buf[..]).unwrap();
    assert_eq!(IpoibHardRepr::parse(&f).unwrap(), repr);
    assert_eq!(f.encap().into_inner(), &arp[..]);
    assert_eq!(f.payload(), &arp[4..]);
}

/// skb_add_pseudo_hdr: on receive the pseudo header is 20 zero bytes.
#[test]
fn skb_add_pseudo_hdr_zeroes() {
    let r = IpoibHardRepr::received(EthernetProtocol::Ipv4);
    let mut buf = [0xaau8; 24];
    r.emit(&mut IpoibHardFrame::new_unchecked(&mut buf[..]));
    assert_eq!(&buf[..20], &[0u8; 20]);
    assert_eq!(&buf[20..], &[0x08, 0x00, 0, 0]);
}

/// ipv4_bcast_addr and ipoib_intf_init (`priv->pkey |= 0x8000`, then
/// broadcast[8..10] = P_Key): default and limited-membership P_Keys.
#[test]
fn ipoib_broadcast_with_pkey() {
    assert_eq!(
        InfinibandAddress::broadcast(0xffff).to_string(),
        "00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:ff:ff:ff:ff"
    );
    // P_Key 0x0001 (limited member) is joined as a full member: 0x8001.
    let b = InfinibandAddress::broadcast(0x0001);
    assert_eq!(b.pkey(), 0x8001);
    assert_eq!(&b.0[8..10], &[0x80, 0x01]);
    assert_eq!(
        InfinibandAddress::BROADCAST_TEMPLATE.to_string(),
        "00:ff:ff:ff:ff:12:40:1b:00:00:00:00:00:00:00:00:ff:ff:ff:ff"
    );
    assert!(b.is_multicast());
    assert_eq!(b.qpn(), 0xffffff);
    assert_eq!(b.scope(), 2); // link-local scope
}

/// RFC 4391 §9.1.1 / IPOIB_CM_SUPPORTED / IPOIB_QPN_MASK: the fields of a
/// port address, and `ip link`'s 20-byte colon form.
#[test]
fn infiniband_address_fields() {
    let a = InfinibandAddress(SENDER);
    assert_eq!(a.flags(), 0x80);
    assert!(a.connected_mode());
    assert_eq!(a.qpn(), 0x000404);
    assert_eq!(a.gid()[..2], [0xfe, 0x80]);
    assert!(!a.is_multicast());
    assert_eq!(
        a.to_string(),
        "80:00:04:04:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:de"
    );
    let mut gid = [0u8; 16];
    gid.copy_from_slice(&SENDER[4..]);
    assert_eq!(InfinibandAddress::new(0x80, 0x404, gid), a);
    assert_eq!(InfinibandAddress::from_bytes(&SENDER), Some(a));
    assert_eq!(InfinibandAddress::from_bytes(&SENDER[..6]), None);
}

/// ipoib_ib_handle_rx_wc: pkt_type from the destination GID — unicast →
/// HOST, the broadcast MGID → BROADCAST, another MGID → MULTICAST.
#[test]
fn ipoib_ib_handle_rx_wc_pkt_type() {
    let bc = InfinibandAddress::broadcast(0xffff);
    assert_eq!(
        ipoib_rx_pkt_type(&InfinibandAddress(SENDER), &bc),
        PacketType::Host
    );
    assert_eq!(ipoib_rx_pkt_type(&bc, &bc), PacketType::Broadcast);
    // Only the GID is compared: a different QPN/flags byte is still broadcast.
    let mut b2 = bc;
    b2.0[0] = 0x80;
    assert_eq!(ipoib_rx_pkt_type(&b2, &bc), PacketType::Broadcast);
    let mut group = bc;
    group.0[19] = 0x01;
    assert_eq!(ipoib_rx_pkt_type(&group, &bc), PacketType::Multicast);
}
