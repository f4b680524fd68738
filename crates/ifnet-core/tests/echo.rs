//! NLM_F_ECHO (`nlmsg_report()` → `nlmsg_notify()`): the notifications a
//! request causes with its portid and nlh — `rtnl_configure_link` on
//! creation, `rtnl_delete_link`'s RTM_DELLINKs — come back to the sender,
//! stamped with its portid and the request's sequence, before the ack;
//! `do_setlink` passes no nlh, so a change is only acknowledged.

use ifnet_core::client::{encode, nlmsg_pid, nlmsg_seq, split_messages, Client};
use ifnet_core::rtnetlink::NetlinkSocket;
use ifnet_core::{Kernel, KernelProfile};
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_ECHO, NLM_F_EXCL, NLM_F_REQUEST};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo, LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;

const PORTID: u32 = 4242;

fn named(name: &str) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName(name.into()));
    m
}

fn veth(name: &str, peer: &str) -> RouteNetlinkMessage {
    let mut m = named(name);
    m.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Veth),
        LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(named(peer)))),
    ]));
    RouteNetlinkMessage::NewLink(m)
}

/// Every message the socket holds after one request: (type, pid, seq, name).
fn exchange(
    k: &mut Kernel,
    sock: &mut NetlinkSocket,
    msg: RouteNetlinkMessage,
    flags: u16,
    seq: u32,
) -> Vec<(u16, u32, u32, Option<String>)> {
    let bytes = encode(msg, NLM_F_REQUEST | flags, seq);
    k.netlink_sendmsg(sock, &bytes).unwrap();
    let mut out = Vec::new();
    while let Some(d) = k.netlink_recvmsg(sock, 1 << 16) {
        for m in split_messages(&d.bytes) {
            let typ = u16::from_ne_bytes([m[4], m[5]]);
            let name = netlink_packet_core::NetlinkMessage::<RouteNetlinkMessage>::deserialize(m)
                .ok()
                .and_then(|n| match n.payload {
                    netlink_packet_core::NetlinkPayload::InnerMessage(
                        RouteNetlinkMessage::NewLink(l) | RouteNetlinkMessage::DelLink(l),
                    ) => ifnet_core::client::link_name(&l),
                    _ => None,
                });
            out.push((typ, nlmsg_pid(m), nlmsg_seq(m), name));
        }
    }
    out
}

/// rtnl_configure_link(dev, ifm, portid, nlh): the new device's first
/// RTM_NEWLINK is reported (the veth peer's, configured with portid 0 and
/// no nlh, is not), then the ack; with no listener at all the echo is
/// still built.
#[test]
fn rtnl_configure_link_echoes_the_new_device() {
    let mut k = Kernel::new(KernelProfile::latest());
    let mut sock = NetlinkSocket::iproute2(k.init_net(), PORTID);
    let got = exchange(
        &mut k,
        &mut sock,
        veth("e0", "e1"),
        NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO | NLM_F_ACK,
        7,
    );
    assert_eq!(
        got,
        vec![(16, PORTID, 7, Some("e0".into())), (2, PORTID, 7, None)],
        "RTM_NEWLINK e0 then NLMSG_ERROR 0"
    );
}

/// do_setlink() passes no portid/nlh: an echoed change is only acked; the
/// multicast copy of a reported creation goes to listeners as usual.
#[test]
fn do_setlink_is_not_echoed_and_listeners_still_hear() {
    let mut k = Kernel::new(KernelProfile::latest());
    k.mcast_listen(1);
    let init = k.init_net();
    let mut sock = NetlinkSocket::iproute2(init, PORTID);
    let from = k.mcast_next_seq();
    exchange(
        &mut k,
        &mut sock,
        veth("e0", "e1"),
        NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO | NLM_F_ACK,
        1,
    );
    let heard: Vec<u32> = k
        .mcast_since(from)
        .unwrap()
        .iter()
        .map(|m| nlmsg_pid(&m.bytes))
        .collect();
    assert!(
        heard.contains(&PORTID),
        "the reported message carries the sender's portid: {heard:?}"
    );
    let mut up = named("e0");
    up.attributes.push(LinkAttribute::Mtu(1400));
    let got = exchange(
        &mut k,
        &mut sock,
        RouteNetlinkMessage::NewLink(up),
        NLM_F_ECHO | NLM_F_ACK,
        2,
    );
    assert_eq!(got, vec![(2, PORTID, 2, None)]);
}

/// rtnl_delete_link(dev, portid, nlh) → unregister_netdevice_many_notify:
/// every RTM_DELLINK of the kill list (the veth and its peer) is reported,
/// then the ack; a deletion by group (rtnl_group_dellink) is not.
#[test]
fn rtnl_delete_link_echoes_every_dellink() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    Client::new(&mut k, init).add_veth("e0", "e1").unwrap();
    let mut sock = NetlinkSocket::iproute2(init, PORTID);
    let got = exchange(
        &mut k,
        &mut sock,
        RouteNetlinkMessage::DelLink(named("e0")),
        NLM_F_ECHO | NLM_F_ACK,
        3,
    );
    assert_eq!(
        got,
        vec![
            (17, PORTID, 3, Some("e0".into())),
            (17, PORTID, 3, Some("e1".into())),
            (2, PORTID, 3, None)
        ]
    );
    let mut g = named("g0");
    g.attributes.push(LinkAttribute::Group(5));
    g.attributes
        .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
            InfoKind::Veth,
        )]));
    exchange(
        &mut k,
        &mut sock,
        RouteNetlinkMessage::NewLink(g),
        NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
        4,
    );
    let mut del = LinkMessage::default();
    del.attributes.push(LinkAttribute::Group(5));
    let got = exchange(
        &mut k,
        &mut sock,
        RouteNetlinkMessage::DelLink(del),
        NLM_F_ECHO | NLM_F_ACK,
        5,
    );
    assert_eq!(got, vec![(2, PORTID, 5, None)]);
}
