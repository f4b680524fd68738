//! Reading the rtnetlink multicast ring in tests: the link notifications
//! (RTM_NEWLINK / RTM_DELLINK) since a sequence number, decoded. The
//! address groups share the ring (RTNLGRP_IPV*_IFADDR) and are skipped;
//! any other message fails the test.

use ifnet_core::Kernel;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::RouteNetlinkMessage;

/// Each link notification since `from`, in order, with `true` for an
/// RTM_DELLINK.
pub fn link_notifications(k: &Kernel, from: u64) -> Vec<(LinkMessage, bool)> {
    k.mcast_since(from)
        .unwrap()
        .iter()
        .filter_map(|m| {
            let nl = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&m.bytes).unwrap();
            match nl.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(lm)) => Some((lm, false)),
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(lm)) => Some((lm, true)),
                NetlinkPayload::InnerMessage(
                    RouteNetlinkMessage::NewAddress(_) | RouteNetlinkMessage::DelAddress(_),
                ) => None,
                other => panic!("unexpected {other:?}"),
            }
        })
        .collect()
}
