//! The rtnetlink wire: NLMSG_ERROR with extack (netlink_ack with
//! NLM_F_ACK_TLVS), dump filtering (rtnl_dump_ifinfo), malformed requests,
//! and the order and content of some RTNLGRP_LINK notifications.

mod mcast;

use ifnet_core::client::{encode, Client};
use ifnet_core::Kernel;
use ifnet_core::KernelProfile;
use netlink_packet_core::{NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkInfo, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;

/// netlink_ack(): golden bytes of the error for moving lo — nlmsghdr
/// (type 2, flags CAPPED|ACK_TLVS), -EINVAL, the echoed 16-byte request
/// header, then NLMSGERR_ATTR_MSG with the kernel's text.
#[test]
fn error_reply_golden_bytes() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    let mut m = LinkMessage::default();
    m.header.index = 1;
    m.attributes
        .push(LinkAttribute::NetNsFd(k.netns_fd(ns) as i32));
    let req = encode(
        RouteNetlinkMessage::NewLink(m),
        NLM_F_REQUEST | NLM_F_ACK,
        7,
    );
    let replies = k.rtnl_request(init, &req);
    assert_eq!(replies.len(), 1);
    let r = &replies[0];
    let text = b"The interface netns is immutable\0";
    let attr_len = 4 + text.len();
    let total = 16 + 4 + 16 + ((attr_len + 3) & !3);
    assert_eq!(
        u32::from_ne_bytes(r[0..4].try_into().unwrap()) as usize,
        total
    );
    assert_eq!(u16::from_ne_bytes([r[4], r[5]]), 2, "NLMSG_ERROR");
    assert_eq!(
        u16::from_ne_bytes([r[6], r[7]]),
        0x300,
        "NLM_F_CAPPED|NLM_F_ACK_TLVS"
    );
    assert_eq!(
        u32::from_ne_bytes(r[8..12].try_into().unwrap()),
        7,
        "sequence echoed"
    );
    assert_eq!(i32::from_ne_bytes(r[16..20].try_into().unwrap()), -22);
    assert_eq!(&r[20..36], &req[0..16], "request header echoed");
    assert_eq!(u16::from_ne_bytes([r[36], r[37]]) as usize, attr_len);
    assert_eq!(u16::from_ne_bytes([r[38], r[39]]), 1, "NLMSGERR_ATTR_MSG");
    assert_eq!(&r[40..40 + text.len()], text);
}

/// A successful request with NLM_F_ACK gets an ACK (error code 0).
#[test]
fn ack_is_error_zero() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName("br0".into()));
    m.attributes
        .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
            InfoKind::Bridge,
        )]));
    let flags = NLM_F_REQUEST
        | NLM_F_ACK
        | netlink_packet_core::NLM_F_CREATE
        | netlink_packet_core::NLM_F_EXCL;
    let replies = k.rtnl_request(init, &encode(RouteNetlinkMessage::NewLink(m), flags, 1));
    assert_eq!(replies.len(), 1);
    assert_eq!(u16::from_ne_bytes([replies[0][4], replies[0][5]]), 2);
    assert_eq!(
        i32::from_ne_bytes(replies[0][16..20].try_into().unwrap()),
        0
    );
}

/// rtnl_dump_ifinfo(): IFLA_MASTER and the kind filter the dump and set
/// NLM_F_DUMP_FILTERED; an unknown kind does not filter.
#[test]
fn dump_filters_by_master_and_kind() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_bridge("br0").unwrap();
    c.add_veth("v0", "v1").unwrap();
    c.set_master("v0", Some("br0")).unwrap();
    let br_idx = c.get("br0").unwrap().header.index;
    let names = |c: &mut Client, attrs: Vec<LinkAttribute>| -> Vec<String> {
        let mut m = LinkMessage::default();
        m.attributes = attrs;
        c.request(RouteNetlinkMessage::GetLink(m), NLM_F_DUMP)
            .unwrap()
            .iter()
            .filter_map(ifnet_core::client::link_name)
            .collect()
    };
    assert_eq!(
        names(&mut c, vec![LinkAttribute::Controller(br_idx)]),
        vec!["v0"]
    );
    let veth = vec![LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
        InfoKind::Veth,
    )])];
    assert_eq!(names(&mut c, veth), vec!["v1", "v0"]);
    let unknown = vec![LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
        InfoKind::Other("nope".into()),
    )])];
    assert_eq!(names(&mut c, unknown).len(), 4);
}

/// netlink_rcv_skb(): an empty or truncated buffer is dropped silently; a
/// message that is not a request is only acknowledged; every message of a
/// buffer runs, in order.
#[test]
fn netlink_rcv_skb_semantics() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    assert!(k.rtnl_request(init, &[]).is_empty());
    let mut junk = encode(
        RouteNetlinkMessage::GetLink(LinkMessage::default()),
        NLM_F_REQUEST,
        1,
    );
    junk.truncate(20);
    assert!(k.rtnl_request(init, &junk).is_empty());

    let bridge = |name: &str| {
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName(name.into()));
        m.attributes
            .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                InfoKind::Bridge,
            )]));
        RouteNetlinkMessage::NewLink(m)
    };
    let create = netlink_packet_core::NLM_F_CREATE | netlink_packet_core::NLM_F_EXCL;
    // Not a request: acknowledged, not executed.
    let replies = k.rtnl_request(init, &encode(bridge("br0"), NLM_F_ACK | create, 2));
    assert_eq!(replies.len(), 1);
    assert_eq!(
        i32::from_ne_bytes(replies[0][16..20].try_into().unwrap()),
        0
    );
    assert!(k.dev_get_by_name(init, "br0").is_none());
    // Two requests in one buffer: both run, each acknowledged.
    let mut buf = encode(bridge("br1"), NLM_F_REQUEST | NLM_F_ACK | create, 3);
    buf.extend(encode(bridge("br1"), NLM_F_REQUEST | NLM_F_ACK | create, 4));
    let replies = k.rtnl_request(init, &buf);
    assert_eq!(replies.len(), 2);
    assert_eq!(
        i32::from_ne_bytes(replies[0][16..20].try_into().unwrap()),
        0
    );
    assert_eq!(
        i32::from_ne_bytes(replies[1][16..20].try_into().unwrap()),
        -17
    );
}

/// The names and ifi_change of the RTM_NEWLINK/DELLINK notifications since
/// `from`, with the qdisc each reports.
fn notified(k: &Kernel, from: u64) -> Vec<(bool, String, String)> {
    mcast::link_notifications(k, from)
        .into_iter()
        .map(|(lm, del)| {
            let text = |f: fn(&LinkAttribute) -> Option<String>| {
                lm.attributes.iter().find_map(f).unwrap_or_default()
            };
            (
                del,
                text(|a| match a {
                    LinkAttribute::IfName(n) => Some(n.clone()),
                    _ => None,
                }),
                text(|a| match a {
                    LinkAttribute::Qdisc(q) => Some(q.clone()),
                    _ => None,
                }),
            )
        })
        .collect()
}

/// `__dev_open()` sets __LINK_STATE_START before `ndo_open`, so the carrier
/// veth_open turns on for the device being opened is already an urgent
/// linkwatch event (`linkwatch_urgent_event`: running, iflink != ifindex),
/// queued before its peer's: Linux 6.18's `ip monitor link` shows v0's
/// state change before v1's when v0 comes up after v1.
#[test]
fn dev_open_carrier_event_is_urgent_and_first() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    c.set_up("v1", true).unwrap();
    k.run_until_idle();
    k.mcast_listen(1);
    let from = k.mcast_next_seq();
    Client::new(&mut k, init).set_up("v0", true).unwrap();
    k.run_until_idle();
    let names: Vec<String> = notified(&k, from).into_iter().map(|n| n.1).collect();
    assert_eq!(names, ["v0", "v0", "v1"]);
}

/// `unregister_netdevice_many_notify()` runs `dev_shutdown()` before
/// NETDEV_UNREGISTER and RTM_DELLINK: a device that had a qdisc is deleted
/// with "qdisc noop".
#[test]
fn dellink_after_dev_shutdown_reports_noop_qdisc() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    c.set_up("v0", true).unwrap();
    c.set_up("v0", false).unwrap();
    k.mcast_listen(1);
    let from = k.mcast_next_seq();
    Client::new(&mut k, init).del("v0").unwrap();
    assert_eq!(
        notified(&k, from),
        [
            (true, "v0".to_string(), "noop".to_string()),
            (true, "v1".to_string(), "noop".to_string())
        ]
    );
}

/// `rtnl_fill_ifinfo()` with RTEXT_FILTER_SKIP_STATS in `ext_filter_mask`
/// (from IFLA_EXT_MASK) leaves IFLA_STATS64 out — in a dump
/// (`rtnl_dump_ifinfo`) as in a single GETLINK (`rtnl_getlink`); without
/// the flag every device carries its counters.
#[test]
fn skip_stats_filter_in_dump_and_getlink() {
    use ifnet_core::client::decode;
    use netlink_packet_route::link::LinkExtentMask;
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    Client::new(&mut k, init).add_veth("v0", "v1").unwrap();
    let has_stats = |m: &LinkMessage| {
        m.attributes
            .iter()
            .any(|a| matches!(a, LinkAttribute::Stats64(_)))
    };
    let request = |k: &mut Kernel, name: Option<&str>, skip: bool| {
        let mut m = LinkMessage::default();
        if skip {
            m.attributes.push(LinkAttribute::ExtMask(vec![
                LinkExtentMask::Vf,
                LinkExtentMask::SkipStats,
            ]));
        }
        let flags = match name {
            Some(n) => {
                m.attributes.push(LinkAttribute::IfName(n.into()));
                NLM_F_REQUEST
            }
            None => NLM_F_REQUEST | NLM_F_DUMP,
        };
        let replies = k.rtnl_request(init, &encode(RouteNetlinkMessage::GetLink(m), flags, 9));
        let (links, res) = decode(&replies);
        res.unwrap();
        links
    };
    for name in [None, Some("v0")] {
        let with = request(&mut k, name, false);
        let without = request(&mut k, name, true);
        assert!(!with.is_empty() && with.len() == without.len(), "{name:?}");
        assert!(with.iter().all(has_stats), "{name:?}: counters by default");
        assert!(
            !without.iter().any(has_stats),
            "{name:?}: SKIP_STATS honoured"
        );
    }
}
