//! RTM_GETADDR dumps and RTM_NEWADDR/DELADDR notifications as bytes,
//! against messages captured from Linux 6.18 (a raw NETLINK_ROUTE socket
//! in a fresh namespace holding the same veth pair and addresses; the
//! `ifa_cacheinfo` stamps, which count jiffies since boot, are compared
//! apart). What each test pins: `inet_fill_ifaddr` / `inet6_fill_ifaddr`
//! (header and attribute order), `inet_valid_dump_ifaddr_req` /
//! `inet6_valid_dump_ifaddr_req` (the strict checks and their extack in
//! NLMSG_DONE), the ifindex filter with NLM_F_DUMP_FILTERED, and
//! `rtmsg_ifa`'s portid, sequence and NLM_F_ECHO report.

use ifnet_core::client::{encode, split_messages, AddrOpts, Client};
use ifnet_core::inet::ifaddr::IFA_F_NODAD;
use ifnet_core::rtnetlink::NetlinkSocket;
use ifnet_core::{Kernel, KernelProfile, NetId};
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_ECHO, NLM_F_EXCL, NLM_F_REQUEST};
use netlink_packet_route::link::LinkAttribute;

const NLM_F_MULTI: u16 = 0x2;
const NLM_F_DUMP: u16 = 0x300;
const NLM_F_DUMP_FILTERED: u16 = 0x20;
const NLM_F_ACK_TLVS: u16 = 0x200;
const RTM_GETADDR: u16 = 22;
const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;
const NLMSG_ERROR: u16 = 2;
/// `ip -n tcmp` in the captures: portid 10112 (0x2780).
const PORTID: u32 = 0x2780;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(b[at..at + 4].try_into().unwrap())
}

/// The capture's namespace: lo, vb (2) and va (3) with fixed MACs, va up
/// with 10.0.0.1/24, 10.0.0.2/24 and 2001:db8::1/64 nodad, its EUI-64
/// link-local configured; vb up without addresses.
fn capture_state() -> (Kernel, NetId) {
    let mut k = Kernel::new(KernelProfile::latest());
    let net = k.netns_new().unwrap();
    let mut c = Client::new(&mut k, net);
    c.add_veth("va", "vb").unwrap();
    c.set("va", vec![LinkAttribute::Address(vec![2, 0, 0, 0, 0, 0xa])])
        .unwrap();
    c.set("vb", vec![LinkAttribute::Address(vec![2, 0, 0, 0, 0, 0xb])])
        .unwrap();
    c.add_addr("va", "10.0.0.1/24").unwrap();
    c.add_addr("va", "10.0.0.2/24").unwrap();
    let nodad = AddrOpts {
        flags: IFA_F_NODAD,
        ..AddrOpts::default()
    };
    c.addr_modify("va", "2001:db8::1/64", &nodad, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    c.set_up("va", true).unwrap();
    c.set_up("vb", true).unwrap();
    k.run_until_idle();
    // vb's link-local went with the capture's `addr flush dev vb`.
    Client::new(&mut k, net)
        .del_addr("vb", "fe80::ff:fe00:b/64")
        .unwrap();
    (k, net)
}

/// One RTM_GETADDR dump request (`ifaddrmsg` + `extra`), every message of
/// the answer in order.
fn dump(k: &mut Kernel, net: NetId, strict: bool, body: &[u8]) -> Vec<Vec<u8>> {
    let mut sock = NetlinkSocket::new(net, PORTID);
    sock.ext_ack = true;
    sock.strict_chk = strict;
    let mut req = Vec::new();
    req.extend_from_slice(&((16 + body.len()) as u32).to_ne_bytes());
    req.extend_from_slice(&RTM_GETADDR.to_ne_bytes());
    req.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    req.extend_from_slice(&1u32.to_ne_bytes());
    req.extend_from_slice(&0u32.to_ne_bytes());
    req.extend_from_slice(body);
    k.netlink_sendmsg(&mut sock, &req).unwrap();
    let mut out = Vec::new();
    while let Some(d) = k.netlink_recvmsg(&mut sock, 1 << 16) {
        out.extend(split_messages(&d.bytes).map(<[u8]>::to_vec));
    }
    out
}

fn ifaddrmsg(family: u8, prefixlen: u8, flags: u8, scope: u8, index: u32) -> Vec<u8> {
    let mut b = vec![family, prefixlen, flags, scope];
    b.extend_from_slice(&index.to_ne_bytes());
    b
}

/// A message with its IFA_CACHEINFO stamps (the attribute's last 8
/// bytes) cut out, and the stamps.
fn without_stamps(m: &[u8]) -> (Vec<u8>, Option<(u32, u32)>) {
    let mut at = 24;
    while at + 4 <= m.len() {
        let len = u16_at(m, at) as usize;
        if u16_at(m, at + 2) == 6 && len == 20 {
            let stamps = (u32_at(m, at + 12), u32_at(m, at + 16));
            let mut v = m[..at + 12].to_vec();
            v.extend_from_slice(&m[at + 20..]);
            return (v, Some(stamps));
        }
        at += (len + 3) & !3;
    }
    (m.to_vec(), None)
}

fn assert_like_kernel(got: &[Vec<u8>], want: &[&str]) {
    assert_eq!(got.len(), want.len(), "message count: {got:02x?}");
    for (g, w) in got.iter().zip(want) {
        let (g, gs) = without_stamps(g);
        let (w, ws) = without_stamps(&hex(w));
        assert_eq!(g, w, "message bytes (stamps apart)");
        assert_eq!(gs.is_some(), ws.is_some());
        if let Some((c, t)) = gs {
            assert!(t >= c, "tstamp not before cstamp");
        }
    }
}

const V4_PRIMARY: &str = "4c0000001400020001000000802700000218800003000000080001000a000001080002000a0000010700030076610000080008008000000014000600ffffffffffffffff6d4413006d441300";
const V4_SECONDARY: &str = "4c0000001400020001000000802700000218810003000000080001000a000002080002000a0000020700030076610000080008008100000014000600ffffffffffffffff6d4413006d441300";
const DONE: &str = "1400000003000200010000008027000000000000";

/// inet_fill_ifaddr(): ifaddrmsg (flags' low byte: permanent, secondary),
/// then IFA_ADDRESS, IFA_LOCAL, IFA_LABEL, IFA_FLAGS, IFA_CACHEINFO; each
/// part of a dump carries NLM_F_MULTI, NLMSG_DONE too.
#[test]
fn inet_fill_ifaddr_dump_bytes_match_linux() {
    let (mut k, net) = capture_state();
    let got = dump(&mut k, net, true, &ifaddrmsg(2, 0, 0, 0, 0));
    assert_like_kernel(&got, &[V4_PRIMARY, V4_SECONDARY, DONE]);
}

/// inet6_fill_ifaddr(): IFA_ADDRESS, IFA_CACHEINFO, IFA_FLAGS, then
/// IFA_PROTO (IFAPROT_KERNEL_LL) for the link-local addrconf made; the
/// list order is by scope (global before link).
#[test]
fn inet6_fill_ifaddr_dump_bytes_match_linux() {
    let (mut k, net) = capture_state();
    let got = dump(&mut k, net, true, &ifaddrmsg(10, 0, 0, 0, 0));
    assert_like_kernel(
        &got,
        &[
            "480000001400020001000000802700000a408200030000001400010020010db800000000000000000000000114000600ffffffffffffffff6d4413006d4413000800080082000000",
            "500000001400020001000000802700000a4080fd0300000014000100fe80000000000000000000fffe00000a14000600ffffffffffffffff6e4413006e441300080008008000000005000b0003000000",
            DONE,
        ],
    );
}

/// inet_dump_ifaddr() with a strict socket and ifa_index set: only that
/// device, every part flagged NLM_F_DUMP_FILTERED; without
/// NETLINK_GET_STRICT_CHK the header is not read and everything comes.
#[test]
fn inet_dump_ifaddr_ifindex_filter_strict_only() {
    let (mut k, net) = capture_state();
    let filtered = |m: &str| {
        let mut b = hex(m);
        b[6] |= NLM_F_DUMP_FILTERED as u8;
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    };
    let got = dump(&mut k, net, true, &ifaddrmsg(2, 0, 0, 0, 3));
    let (p, s, d) = (filtered(V4_PRIMARY), filtered(V4_SECONDARY), filtered(DONE));
    assert_like_kernel(&got, &[&p, &s, &d]);
    let got = dump(&mut k, net, true, &ifaddrmsg(2, 0, 0, 0, 2));
    assert_like_kernel(&got, &[&d]);
    let got = dump(&mut k, net, false, &ifaddrmsg(2, 0, 0, 0, 2));
    assert_like_kernel(&got, &[V4_PRIMARY, V4_SECONDARY, DONE]);
    // A short header: refused when strict, fine (all addresses) when not.
    let got = dump(&mut k, net, false, &[2, 0, 0, 0]);
    assert_like_kernel(&got, &[V4_PRIMARY, V4_SECONDARY, DONE]);
}

/// An ifindex no device has: NLMSG_DONE carries -ENODEV (no extack), still
/// flagged as filtered (AF_UNSPEC: rtnl_dump_all stops at the first
/// family's error).
#[test]
fn inet_dump_ifaddr_unknown_ifindex_enodev() {
    let (mut k, net) = capture_state();
    let got = dump(&mut k, net, true, &ifaddrmsg(0, 0, 0, 0, 99));
    assert_like_kernel(&got, &["14000000030022000100000080270000edffffff"]);
}

/// inet_valid_dump_ifaddr_req() / inet6_valid_dump_ifaddr_req(): a
/// prefixlen, flags or scope in the header, an attribute other than
/// IFA_TARGET_NETNSID, an unknown target nsid or a short header end the
/// dump with -EINVAL and the extack text in NLMSG_DONE (NLM_F_ACK_TLVS).
#[test]
fn inet_valid_dump_ifaddr_req_errors_match_linux() {
    let (mut k, net) = capture_state();
    let invalid_values = "50000000030002020100000080270000eaffffff3c000100697076343a20496e76616c69642076616c75657320696e2068656164657220666f7220616464726573732064756d70207265717565737400";
    for body in [
        ifaddrmsg(2, 8, 0, 0, 0),
        ifaddrmsg(2, 0, 1, 0, 0),
        ifaddrmsg(2, 0, 0, 1, 0),
    ] {
        assert_like_kernel(&dump(&mut k, net, true, &body), &[invalid_values]);
    }
    let mut label = ifaddrmsg(2, 0, 0, 0, 0);
    label.extend_from_slice(&hex("08000300766100 00".replace(' ', "").as_str()));
    assert_like_kernel(
        &dump(&mut k, net, true, &label),
        &["44000000030002020100000080270000eaffffff30000100697076343a20556e737570706f727465642061747472696275746520696e2064756d70207265717565737400"],
    );
    let mut nsid = ifaddrmsg(2, 0, 0, 0, 0);
    nsid.extend_from_slice(&hex("08000a0005000000"));
    assert_like_kernel(
        &dump(&mut k, net, true, &nsid),
        &["44000000030002020100000080270000eaffffff2e000100697076343a20496e76616c696420746172676574206e6574776f726b206e616d657370616365206964000000"],
    );
    assert_like_kernel(
        &dump(&mut k, net, true, &[2, 0, 0, 0]),
        &["48000000030002020100000080270000eaffffff32000100697076343a20496e76616c69642068656164657220666f7220616464726573732064756d702072657175657374000000"],
    );
    assert_like_kernel(
        &dump(&mut k, net, true, &ifaddrmsg(10, 8, 0, 0, 0)),
        &["50000000030002020100000080270000eaffffff3c000100697076363a20496e76616c69642076616c75657320696e2068656164657220666f7220616464726573732064756d70207265717565737400"],
    );
    let mut label6 = ifaddrmsg(10, 0, 0, 0, 0);
    label6.extend_from_slice(&hex("0800030076610000"));
    assert_like_kernel(
        &dump(&mut k, net, true, &label6),
        &["44000000030002020100000080270000eaffffff30000100697076363a20556e737570706f727465642061747472696275746520696e2064756d70207265717565737400"],
    );
    let flags = u16_at(&dump(&mut k, net, true, &[2, 0, 0, 0])[0], 6);
    assert_eq!(flags, NLM_F_MULTI | NLM_F_ACK_TLVS);
}

/// rtmsg_ifa(event, ifa, nlh, portid): an IPv4 change's notification
/// carries the requester's portid and sequence; with NLM_F_ECHO it is
/// also unicast to the requester, before the ack. IPv6 changes
/// (inet6_ifa_notify: no nlh) come from portid 0, sequence 0, and are not
/// echoed.
#[test]
fn rtmsg_ifa_portid_seq_and_echo() {
    let (mut k, net) = capture_state();
    k.mcast_listen(1);
    let heard = |k: &Kernel, from: u64| -> Vec<Vec<u8>> {
        k.mcast_since(from)
            .unwrap()
            .into_iter()
            .map(|m| m.bytes.to_vec())
            .filter(|b| matches!(u16_at(b, 4), RTM_NEWADDR | RTM_DELADDR))
            .collect()
    };
    let from = k.mcast_next_seq();
    let mut sock = NetlinkSocket::iproute2(net, 777);
    let mut m = netlink_packet_route::address::AddressMessage::default();
    m.header.family = netlink_packet_route::AddressFamily::Inet;
    m.header.prefix_len = 24;
    m.header.index = 2;
    let a: std::net::IpAddr = "10.5.0.1".parse().unwrap();
    use netlink_packet_route::address::AddressAttribute;
    m.attributes.push(AddressAttribute::Local(a));
    m.attributes.push(AddressAttribute::Address(a));
    let msg = netlink_packet_route::RouteNetlinkMessage::NewAddress(m.clone());
    let flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO;
    k.netlink_sendmsg(&mut sock, &encode(msg, flags, 41))
        .unwrap();
    let first = k.netlink_recvmsg(&mut sock, 1 << 16).unwrap().bytes;
    assert_eq!(u16_at(&first, 4), RTM_NEWADDR, "the echo first");
    assert_eq!((u32_at(&first, 8), u32_at(&first, 12)), (41, 777));
    let ack = k.netlink_recvmsg(&mut sock, 1 << 16).unwrap().bytes;
    assert_eq!(u16_at(&ack, 4), NLMSG_ERROR);
    let seen = heard(&k, from);
    assert_eq!(seen, [first], "the same message to the group");
    let from = k.mcast_next_seq();
    // Without NLM_F_ECHO: only the ack.
    let msg = netlink_packet_route::RouteNetlinkMessage::DelAddress(m);
    k.netlink_sendmsg(&mut sock, &encode(msg, NLM_F_REQUEST | NLM_F_ACK, 42))
        .unwrap();
    let only = k.netlink_recvmsg(&mut sock, 1 << 16).unwrap().bytes;
    assert_eq!(u16_at(&only, 4), NLMSG_ERROR);
    assert!(k.netlink_recvmsg(&mut sock, 1 << 16).is_none());
    let del = heard(&k, from);
    let d = del.last().unwrap();
    let from = k.mcast_next_seq();
    assert_eq!(u16_at(d, 4), RTM_DELADDR);
    assert_eq!((u32_at(d, 8), u32_at(d, 12)), (42, 777));
    // IPv6 with NLM_F_ECHO: the ack alone; the group's copy is the kernel's.
    let mut m6 = netlink_packet_route::address::AddressMessage::default();
    m6.header.family = netlink_packet_route::AddressFamily::Inet6;
    m6.header.prefix_len = 64;
    m6.header.index = 2;
    m6.header.flags =
        netlink_packet_route::address::AddressHeaderFlags::from_bits_retain(IFA_F_NODAD as u8);
    let a6: std::net::IpAddr = "2001:db8::9".parse().unwrap();
    m6.attributes.push(AddressAttribute::Local(a6));
    let msg = netlink_packet_route::RouteNetlinkMessage::NewAddress(m6);
    k.netlink_sendmsg(&mut sock, &encode(msg, flags, 43))
        .unwrap();
    let only = k.netlink_recvmsg(&mut sock, 1 << 16).unwrap().bytes;
    assert_eq!(u16_at(&only, 4), NLMSG_ERROR, "no echo for IPv6");
    assert!(k.netlink_recvmsg(&mut sock, 1 << 16).is_none());
    // The notification comes from the DAD work (addrconf_dad_begin →
    // addrconf_dad_completed for a nodad address), not from the request.
    assert!(heard(&k, from).is_empty(), "nothing before the work runs");
    k.run_until_idle();
    let v6 = heard(&k, from);
    let n6 = v6
        .iter()
        .find(|m| u16_at(m, 4) == RTM_NEWADDR)
        .expect("the IPv6 notification");
    assert_eq!((u32_at(n6, 8), u32_at(n6, 12)), (0, 0));
}
