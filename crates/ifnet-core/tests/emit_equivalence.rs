//! `rtnetlink::to_bytes` (the one-pass emitter, `rtnetlink/emit.rs`) and
//! `rtnl_fill_ifinfo_msg` (the fill written straight into bytes) write
//! exactly the bytes `netlink-packet-core`'s own `finalize()` +
//! `serialize()` write: for every `rtnl_fill_ifinfo()` reply of a
//! populated kernel (with and without RTEXT_FILTER_SKIP_STATS, altnames,
//! alias, bridge ports, a NIC with a parent) and for hostile requests
//! (`common::ops`, nested IFLA_LINKINFO with a veth peer included).

mod common;

use common::ops::{build_link, live_nets, op, run_op, MsgType, Op};
use common::{cases, populated};
use ifnet_core::rtnetlink::{to_bytes, RtmType};
use ifnet_core::Kernel;
use netlink_packet_core::{NetlinkHeader, NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use proptest::prelude::*;

/// The crate's own serialisation, the reference.
fn crate_bytes(header: NetlinkHeader, inner: RouteNetlinkMessage) -> Vec<u8> {
    let mut msg = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(inner));
    msg.finalize();
    let mut buf = vec![0u8; msg.header.length as usize];
    msg.serialize(&mut buf);
    buf
}

fn header(seq: u32, flags: u16) -> NetlinkHeader {
    let mut h = NetlinkHeader::default();
    h.sequence_number = seq;
    h.flags = flags;
    h
}

fn same_bytes(inner: RouteNetlinkMessage, seq: u32, flags: u16) -> Result<(), TestCaseError> {
    let ours = to_bytes(NetlinkMessage::new(
        header(seq, flags),
        NetlinkPayload::InnerMessage(inner.clone()),
    ));
    let reference = crate_bytes(header(seq, flags), inner.clone());
    prop_assert_eq!(ours, reference, "bytes differ for {:?}", inner);
    Ok(())
}

/// Every device's RTM_NEWLINK fill, both stats variants.
fn check_every_fill(k: &mut Kernel) -> Result<usize, TestCaseError> {
    let mut n = 0;
    for net in live_nets(k) {
        for dev in k.devices_in(net) {
            for skip_stats in [false, true] {
                let m = k.rtnl_fill_ifinfo(RtmType::NewLink, dev, 0, net, skip_stats);
                same_bytes(RouteNetlinkMessage::NewLink(m.clone()), 7, 0x2)?;
                // The fill written straight into bytes (`LinkBytes`), as
                // GETLINK replies, dumps and notifications are.
                let direct =
                    k.rtnl_fill_ifinfo_msg(RtmType::NewLink, dev, 0, net, skip_stats, 7, 0x2);
                prop_assert_eq!(
                    direct,
                    crate_bytes(header(7, 0x2), RouteNetlinkMessage::NewLink(m))
                );
                let m = k.rtnl_fill_ifinfo(RtmType::DelLink, dev, !0, net, skip_stats);
                let direct =
                    k.rtnl_fill_ifinfo_msg(RtmType::DelLink, dev, !0, net, skip_stats, 0, 0);
                prop_assert_eq!(
                    direct,
                    crate_bytes(header(0, 0), RouteNetlinkMessage::DelLink(m))
                );
                n += 1;
            }
        }
    }
    Ok(n)
}

#[test]
fn fill_of_every_device_kind_matches_the_crate() {
    let (mut k, _) = populated();
    let init = k.init_net();
    let v0 = k.dev_get_by_name(init, "v0").unwrap();
    k.dev_altname_add(v0, "an-altname-for-v0").unwrap();
    k.dev_altname_add(v0, "x").unwrap();
    let n = check_every_fill(&mut k).unwrap();
    assert!(n >= 12, "only {n} fills compared");
}

proptest! {
    #![proptest_config(cases(128))]

    /// Hostile requests as the client encodes them, then every fill of the
    /// kernel they leave behind (`rtnl_fill_ifinfo` after `rtnl_newlink`,
    /// `do_setlink`, `__dev_change_net_namespace`, ...).
    #[test]
    fn requests_and_fills_match_the_crate(ops in prop::collection::vec(op(), 1..16)) {
        let (mut k, _) = populated();
        for (i, o) in ops.iter().enumerate() {
            if let Op::Link { typ, msg, nlflags, .. } = o {
                let nets = live_nets(&k);
                let lm = build_link(msg, &k, &nets);
                let inner = match typ {
                    MsgType::New => RouteNetlinkMessage::NewLink(lm),
                    MsgType::Set => RouteNetlinkMessage::SetLink(lm),
                    MsgType::Del => RouteNetlinkMessage::DelLink(lm),
                    MsgType::Get => RouteNetlinkMessage::GetLink(lm),
                };
                same_bytes(inner, i as u32, *nlflags)?;
            }
            run_op(&mut k, o, i as u32 + 1);
        }
        k.run_until_idle();
        check_every_fill(&mut k)?;
    }
}

/// The acknowledgement (`netlink_ack()` with error 0, NLM_F_CAPPED) is
/// written directly too: the same bytes as netlink-packet-core's
/// `ErrorMessage` with no code and the request's header echoed.
#[test]
fn ack_matches_the_crate() {
    use netlink_packet_core::{ErrorMessage, NLM_F_ACK, NLM_F_REQUEST};
    use netlink_packet_route::link::{LinkAttribute, LinkMessage};
    let (mut k, _) = populated();
    let init = k.init_net();
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName("v0".into()));
    m.attributes.push(LinkAttribute::Mtu(1400));
    let req = ifnet_core::client::encode(
        RouteNetlinkMessage::SetLink(m),
        NLM_F_REQUEST | NLM_F_ACK,
        42,
    );
    let replies = k.rtnl_request(init, &req);
    assert_eq!(replies.len(), 1, "one ack");
    let mut err = ErrorMessage::default();
    err.code = None;
    err.header = req[..16].to_vec();
    let mut msg = NetlinkMessage::new(
        header(42, 0x100),
        NetlinkPayload::<RouteNetlinkMessage>::Error(err),
    );
    msg.finalize();
    let mut reference = vec![0u8; msg.header.length as usize];
    msg.serialize(&mut reference);
    assert_eq!(replies[0], reference);
}

/// A long attribute list (more than the `LinkBytes` buffer starts with, so
/// it grows while writing): same bytes as the crate.
#[test]
fn long_attribute_list_matches_the_crate() {
    use netlink_packet_route::link::{LinkAttribute, LinkMessage};
    let mut m = LinkMessage::default();
    for i in 0..200u32 {
        m.attributes.push(LinkAttribute::Mtu(1000 + i));
    }
    m.attributes.push(LinkAttribute::IfName("many".into()));
    same_bytes(RouteNetlinkMessage::SetLink(m), 3, 0x5).unwrap();
}
