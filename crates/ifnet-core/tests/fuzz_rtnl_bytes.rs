//! Robustness of the rtnetlink decoder (issue 2, acceptance 5):
//! `rtnl_request_never_panics_on_bytes` feeds arbitrary, header-shaped and
//! mutated-valid byte strings into `Kernel::rtnl_request` (the rtnetlink
//! decoder, `rtnetlink_rcv_msg`); every reply must parse as a netlink
//! message and a request with a valid header that asks for an answer gets
//! one.
//!
//! `PROPTEST_CASES` scales it (the default below, like those of the other
//! `fuzz_*` targets, keeps it well under 30 s in a debug build on two cores).

mod common;

use common::{cases, check_invariants, check_replies, populated};
use ifnet_core::client::encode;
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST};
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, CacheInfo,
};
use netlink_packet_route::link::{AfSpecInet6, AfSpecUnspec, In6AddrGenMode};
use netlink_packet_route::link::{
    InfoBridge, InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// (a) arbitrary bytes into rtnl_request

/// A valid request to mutate: one of each message type the model handles.
fn seed_requests(fd: i32) -> Vec<Vec<u8>> {
    let named = |n: &str| {
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName(n.into()));
        m
    };
    let mut veth = named("vx");
    veth.attributes.push(LinkAttribute::Mtu(1400));
    veth.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Veth),
        LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(named("vy")))),
    ]));
    let mut set = LinkMessage::default();
    set.header.index = 2;
    set.header.flags = LinkFlags::Up;
    set.header.change_mask = LinkFlags::Up;
    set.attributes.push(LinkAttribute::IfName("renamed".into()));
    set.attributes
        .push(LinkAttribute::Address(vec![2, 0, 0, 0, 0, 1]));
    set.attributes.push(LinkAttribute::NetNsFd(fd));
    let mut br = named("brx");
    br.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Bridge),
        LinkInfo::Data(InfoData::Bridge(vec![InfoBridge::HelloTime(200)])),
    ]));
    let create = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    vec![
        encode(RouteNetlinkMessage::NewLink(veth), create, 1),
        encode(RouteNetlinkMessage::NewLink(br), create, 2),
        encode(
            RouteNetlinkMessage::SetLink(set),
            NLM_F_REQUEST | NLM_F_ACK,
            3,
        ),
        encode(
            RouteNetlinkMessage::DelLink(named("v0")),
            NLM_F_REQUEST | NLM_F_ACK,
            4,
        ),
        encode(RouteNetlinkMessage::GetLink(named("p0")), NLM_F_REQUEST, 5),
        encode(
            RouteNetlinkMessage::GetLink(LinkMessage::default()),
            NLM_F_REQUEST | NLM_F_DUMP,
            6,
        ),
    ]
    .into_iter()
    .chain(address_seeds())
    .collect()
}

/// RTM_NEWADDR (IPv4 with peer, broadcast, label, lifetimes and IFA_FLAGS;
/// IPv6 nodad), RTM_DELADDR, an RTM_GETADDR dump with an ifindex and
/// IFA_TARGET_NETNSID, and IFLA_AF_SPEC's addrgenmode.
fn address_seeds() -> Vec<Vec<u8>> {
    let v4: std::net::IpAddr = "10.0.0.1".parse().unwrap();
    let peer: std::net::IpAddr = "10.0.0.2".parse().unwrap();
    let mut a = AddressMessage::default();
    a.header.family = AddressFamily::Inet;
    a.header.prefix_len = 24;
    a.header.index = 2;
    a.attributes.push(AddressAttribute::Local(v4));
    a.attributes.push(AddressAttribute::Address(peer));
    a.attributes
        .push(AddressAttribute::Broadcast("10.0.0.255".parse().unwrap()));
    a.attributes.push(AddressAttribute::Label("v0:1".into()));
    a.attributes
        .push(AddressAttribute::Flags(AddressFlags::from_bits_retain(
            0x300,
        )));
    let mut ci = CacheInfo::default();
    ci.ifa_valid = 100;
    ci.ifa_preferred = 50;
    a.attributes.push(AddressAttribute::CacheInfo(ci));
    let mut a6 = AddressMessage::default();
    a6.header.family = AddressFamily::Inet6;
    a6.header.prefix_len = 64;
    a6.header.index = 2;
    a6.header.flags = AddressHeaderFlags::from_bits_retain(0x02);
    a6.attributes
        .push(AddressAttribute::Local("2001:db8::1".parse().unwrap()));
    let mut del = AddressMessage::default();
    del.header.family = AddressFamily::Inet;
    del.header.prefix_len = 24;
    del.header.index = 2;
    del.attributes.push(AddressAttribute::Local(v4));
    let mut dump = AddressMessage::default();
    dump.header.index = 2;
    dump.attributes.push(AddressAttribute::TargetNetNsId(0));
    let mut gen = LinkMessage::default();
    gen.header.index = 2;
    gen.attributes
        .push(LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet6(
            vec![AfSpecInet6::AddrGenMode(In6AddrGenMode::Random)],
        )]));
    let create = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    vec![
        encode(RouteNetlinkMessage::NewAddress(a), create, 7),
        encode(RouteNetlinkMessage::NewAddress(a6), create, 8),
        encode(
            RouteNetlinkMessage::DelAddress(del),
            NLM_F_REQUEST | NLM_F_ACK,
            9,
        ),
        encode(
            RouteNetlinkMessage::GetAddress(dump),
            NLM_F_REQUEST | NLM_F_DUMP,
            10,
        ),
        encode(
            RouteNetlinkMessage::SetLink(gen),
            NLM_F_REQUEST | NLM_F_ACK,
            11,
        ),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    Truncate(usize),
    /// Rewrites nlmsg_len to the (possibly changed) buffer length.
    FixLen,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Mutation::Set(i, x)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..8).prop_map(|(i, n)| Mutation::Remove(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
        Just(Mutation::FixLen),
    ]
}

fn apply(buf: &mut Vec<u8>, m: &Mutation) {
    let n = buf.len().max(1);
    match m {
        Mutation::Flip(i, x) => {
            if !buf.is_empty() {
                buf[i % n] ^= x;
            }
        }
        Mutation::Set(i, x) => {
            if !buf.is_empty() {
                buf[i % n] = *x;
            }
        }
        Mutation::Insert(i, v) => {
            let at = i % (buf.len() + 1);
            buf.splice(at..at, v.iter().copied());
        }
        Mutation::Remove(i, k) => {
            if !buf.is_empty() {
                let at = i % n;
                let end = (at + k).min(buf.len());
                buf.drain(at..end);
            }
        }
        Mutation::Truncate(i) => buf.truncate(i % n),
        Mutation::FixLen => {
            if buf.len() >= 4 {
                let len = (buf.len() as u32).to_ne_bytes();
                buf[..4].copy_from_slice(&len);
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Input {
    /// Any bytes at all.
    Raw(Vec<u8>),
    /// A consistent nlmsghdr (RTM_* type, random flags) and a random body.
    Header { typ: u16, flags: u16, body: Vec<u8> },
    /// A valid request with byte-level mutations.
    Mutated { seed: usize, muts: Vec<Mutation> },
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..128).prop_map(Input::Raw),
        (
            prop_oneof![0u16..40, 16u16..20, any::<u16>()],
            any::<u16>(),
            prop::collection::vec(any::<u8>(), 0..96)
        )
            .prop_map(|(typ, flags, body)| Input::Header { typ, flags, body }),
        (0usize..11, prop::collection::vec(mutation(), 1..6))
            .prop_map(|(seed, muts)| Input::Mutated { seed, muts }),
    ]
}

fn render(input: &Input, seeds: &[Vec<u8>]) -> Vec<u8> {
    match input {
        Input::Raw(b) => b.clone(),
        Input::Header { typ, flags, body } => {
            let mut b = Vec::with_capacity(16 + body.len());
            b.extend_from_slice(&((16 + body.len()) as u32).to_ne_bytes());
            b.extend_from_slice(&typ.to_ne_bytes());
            b.extend_from_slice(&flags.to_ne_bytes());
            b.extend_from_slice(&7u32.to_ne_bytes());
            b.extend_from_slice(&0u32.to_ne_bytes());
            b.extend_from_slice(body);
            b
        }
        Input::Mutated { seed, muts } => {
            let mut b = seeds[*seed].clone();
            for m in muts {
                apply(&mut b, m);
            }
            b
        }
    }
}

/// The header is valid: at least 16 bytes and nlmsg_len within them.
fn valid_header(b: &[u8]) -> bool {
    if b.len() < 16 {
        return false;
    }
    let len = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize;
    // One whole message: netlink_rcv_skb() runs every message of a buffer,
    // so the reply checks below only hold for a single one.
    (16..=b.len()).contains(&len) && (len + 3) & !3 >= b.len()
}

proptest! {
    #![proptest_config(cases(2000))]

    /// `netlink_rcv_skb()` on arbitrary bytes: never panics; every reply
    /// parses; a message with a valid header and NLM_F_ACK, or a GETLINK
    /// or GETADDR request, always gets at least one reply, and its sequence
    /// number is echoed. Address requests and IFLA_AF_SPEC are among the
    /// mutated seeds; the state keeps its invariants (addresses included).
    #[test]
    fn rtnl_request_never_panics_on_bytes(inputs in prop::collection::vec(input(), 1..8)) {
        let (mut k, nets) = populated();
        let fd = k.netns_fd(nets[1]) as i32;
        let seeds = seed_requests(fd);
        for (i, inp) in inputs.iter().enumerate() {
            let bytes = render(inp, &seeds);
            let net = nets[i % nets.len()];
            let replies = k.rtnl_request(net, &bytes);
            check_replies(&replies)?;
            if valid_header(&bytes) {
                let typ = u16::from_ne_bytes([bytes[4], bytes[5]]);
                let flags = u16::from_ne_bytes([bytes[6], bytes[7]]);
                // Only requests run (netlink_rcv_skb); others are acked if asked.
                let request = flags & netlink_packet_core::NLM_F_REQUEST != 0 && typ >= 0x10;
                if flags & NLM_F_ACK != 0 || (request && (typ == 18 || typ == 22)) {
                    prop_assert!(!replies.is_empty(), "no reply to {bytes:?}");
                }
                let seq = &bytes[8..12];
                for r in &replies {
                    prop_assert_eq!(&r[8..12], seq, "sequence number not echoed");
                }
            }
        }
        check_invariants(&mut k)?;
    }
}
