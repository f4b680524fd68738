//! Golden bytes: a DAD probe Linux 6.18 sent on this machine (captured on
//! a veth's peer: `ip link set va up`, MAC 02:00:00:00:00:0b).

use super::*;

/// The captured frame's IPv6 packet (after the 14-byte Ethernet header
/// 33:33:ff:00:00:0b ← 02:00:00:00:00:0b, 0x86dd).
const DAD_NS: [u8; 72] = [
    0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, // version, length 32, ICMPv6, 255
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // ::
    0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0x00, 0x00, 0x0b, // ff02::1:ff00:b
    0x87, 0x00, 0x97, 0x5a, 0, 0, 0, 0, // NS, code 0, checksum
    0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0x00, 0x00, 0x0b, // target
    0x0e, 0x01, 0xad, 0x96, 0x8f, 0x97, 0x9a, 0x7f, // nonce option
];

fn dad_ns() -> (Ipv6Repr, NdiscRepr<'static>) {
    let target: Ipv6Addr = "fe80::ff:fe00:b".parse().unwrap();
    let ip = Ipv6Repr {
        src_addr: Ipv6Addr::UNSPECIFIED,
        dst_addr: "ff02::1:ff00:b".parse().unwrap(),
        next_header: NEXTHDR_ICMP,
        hop_limit: 255,
        payload_len: 32,
    };
    let nd = NdiscRepr::NeighborSolicit {
        target,
        nonce: Some(0xad96_8f97_9a7f),
        source_lladdr: None,
    };
    (ip, nd)
}

/// ndisc_send_ns() of a DAD probe: the same bytes as Linux's.
#[test]
fn dad_probe_emits_linux_bytes() {
    let (ip, nd) = dad_ns();
    let mut out = Vec::new();
    ip.emit(&mut out);
    nd.emit(&ip.src_addr, &ip.dst_addr, 0, &mut out);
    assert_eq!(out, DAD_NS);
}

/// ndisc_rcv() of the captured probe.
#[test]
fn dad_probe_parses() {
    let (ip, payload) = Ipv6Repr::parse(&DAD_NS).unwrap();
    assert_eq!(ip, dad_ns().0);
    let nd = NdiscRepr::parse(&ip.src_addr, &ip.dst_addr, payload).unwrap();
    assert_eq!(nd, Some(dad_ns().1));
}

/// icmpv6_rcv drops a message whose checksum fails; ndisc_rcv one with a
/// code other than 0; ndisc_parse_options one with a zero-length option.
#[test]
fn corrupt_messages_are_refused() {
    let (ip, payload) = Ipv6Repr::parse(&DAD_NS).unwrap();
    let mut bad = payload.to_vec();
    bad[10] ^= 1;
    assert_eq!(
        NdiscRepr::parse(&ip.src_addr, &ip.dst_addr, &bad),
        Err(Error::Malformed)
    );
    // The nonce option with length 0, the checksum made right again.
    let mut zero_opt = payload.to_vec();
    zero_opt[25] = 0;
    zero_opt[2..4].copy_from_slice(&[0, 0]);
    let c = icmpv6_checksum(&ip.src_addr, &ip.dst_addr, &zero_opt);
    zero_opt[2..4].copy_from_slice(&c.to_be_bytes());
    assert_eq!(icmpv6_checksum(&ip.src_addr, &ip.dst_addr, &zero_opt), 0);
    assert_eq!(
        NdiscRepr::parse(&ip.src_addr, &ip.dst_addr, &zero_opt),
        Err(Error::Malformed)
    );
    assert_eq!(Ipv6Repr::parse(&DAD_NS[..39]), Err(Error::Truncated));
    let mut v4 = DAD_NS;
    v4[0] = 0x45;
    assert_eq!(Ipv6Repr::parse(&v4), Err(Error::Malformed));
}

/// ndisc_fill_addr_option(): Ethernet's 6 bytes take one 8-byte unit;
/// IPoIB's 20 bytes with ndisc_addr_option_pad's 2 take three.
#[test]
fn lladdr_option_space() {
    let target: Ipv6Addr = "fe80::1".parse().unwrap();
    let all = "ff02::1".parse().unwrap();
    for (addr, pad, len) in [(&[2u8, 0, 0, 0, 0, 1][..], 0, 8), (&[7u8; 20][..], 2, 24)] {
        let na = NdiscRepr::NeighborAdvert {
            router: false,
            solicited: false,
            override_: true,
            target,
            target_lladdr: Some(addr),
        };
        let mut out = Vec::new();
        na.emit(&target, &all, pad, &mut out);
        assert_eq!(out.len(), ND_MSG_LEN + len);
        assert_eq!(out[ND_MSG_LEN + 1] as usize, len / 8);
        assert_eq!(&out[ND_MSG_LEN + 2 + pad..][..addr.len()], addr);
        assert_eq!(icmpv6_checksum(&target, &all, &out), 0);
        let back = NdiscRepr::parse(&target, &all, &out).unwrap().unwrap();
        let NdiscRepr::NeighborAdvert { target_lladdr, .. } = back else {
            panic!("an advertisement");
        };
        assert_eq!(&target_lladdr.unwrap()[pad..pad + addr.len()], addr);
    }
}
