//! The rtnetlink layer: genuine netlink bytes in, genuine bytes out.
//!
//! Requests are decoded with `netlink-packet-route`, dispatched to the
//! `rtnl_*` handlers (link.rs) and answered with RTM_NEWLINK / NLMSG_DONE /
//! NLMSG_ERROR (errno + extack). Notifications (`rtmsg_ifinfo`) go to the
//! multicast ring of the device's namespace.

mod create;
pub mod emit;
pub mod fill;
pub mod link;
mod policy;
pub mod request;
mod setlink;
pub mod socket;

use crate::errno::{Errno, KError};
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::notifier::NetdevEvent;
use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_DUMP, NLM_F_ECHO,
    NLM_F_MULTIPART, NLM_F_REQUEST,
};
use netlink_packet_route::link::{LinkAttribute, LinkEvent};
use netlink_packet_route::RouteNetlinkMessage;

/// RTM message types the model emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtmType {
    NewLink,
    DelLink,
}

/// NLMSGERR_ATTR_MSG.
pub(crate) const NLMSGERR_ATTR_MSG: u16 = 1;
/// RTM_NEWLINKPROP / RTM_DELLINKPROP.
const RTM_NEWLINKPROP: u16 = 108;
const RTM_DELLINKPROP: u16 = 109;
/// NLMSG_HDRLEN.
pub(crate) const NLMSG_HDRLEN: usize = 16;
/// sizeof(struct ifinfomsg).
pub(crate) const IFINFOMSG_LEN: usize = 16;
/// `sizeof(struct ifaddrmsg)`.
const IFADDRMSG_LEN: usize = 8;
const RTM_GETADDR: u16 = 22;
/// NLMSG_MIN_TYPE: types below are control messages.
const NLMSG_MIN_TYPE: u16 = 0x10;
/// NLM_F_DUMP_FILTERED on filtered dump replies.
pub(crate) const NLM_F_DUMP_FILTERED: u16 = 0x20;
/// Largest request accepted (a netlink socket's default rcvbuf is larger,
/// but no modelled request comes close).
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

pub use emit::{to_bytes, try_to_bytes, EncodeError};
pub use socket::{Datagram, NetlinkSocket};

impl Kernel {
    /// A one-shot request from a socket with portid 0 (the kernel's own
    /// address), NETLINK_CAP_ACK and NETLINK_EXT_ACK in namespace `net`:
    /// every answer, message by message, the whole dump read through. What
    /// tests, benchmarks and fuzzers use; real clients go through
    /// [`Kernel::netlink_sendmsg`] / [`Kernel::netlink_recvmsg`] with their
    /// own [`NetlinkSocket`]. Never panics.
    pub fn rtnl_request(&mut self, net: NetId, request: &[u8]) -> Vec<Vec<u8>> {
        let mut sock = NetlinkSocket::new(net, 0);
        sock.cap_ack = true;
        sock.ext_ack = true;
        let mut out = Vec::new();
        if self.netlink_sendmsg(&mut sock, request).is_err() {
            return out;
        }
        while let Some(d) = self.netlink_recvmsg(&mut sock, socket::MAX_RECVMSG_LEN) {
            out.extend(crate::client::split_messages(&d.bytes).map(<[u8]>::to_vec));
        }
        out
    }

    /// `netlink_rcv_skb()` for a buffer sent from `sock`: every message in
    /// it, in order. Messages without NLM_F_REQUEST and control messages
    /// are not executed (only acknowledged if asked); a truncated message
    /// ends the buffer silently.
    fn netlink_rcv_skb(&mut self, sock: &mut NetlinkSocket, request: &[u8]) {
        let mut rest = request;
        // Each pass consumes at least NLMSG_HDRLEN bytes: bounded by the size.
        while rest.len() >= NLMSG_HDRLEN {
            let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            if len < NLMSG_HDRLEN || rest.len() < len {
                break;
            }
            let msg = &rest[..len];
            self.rtnetlink_rcv_msg(sock, msg);
            let aligned = (len + 3) & !3;
            rest = &rest[aligned.min(rest.len())..];
        }
    }

    /// One message of a buffer (`rtnetlink_rcv_msg` + the ack logic of
    /// `netlink_rcv_skb`).
    fn rtnetlink_rcv_msg(&mut self, sock: &mut NetlinkSocket, msg: &[u8]) {
        let msg_type = u16::from_ne_bytes([msg[4], msg[5]]);
        let flags = u16::from_ne_bytes([msg[6], msg[7]]);
        if flags & NLM_F_REQUEST == 0 || msg_type < NLMSG_MIN_TYPE {
            if flags & NLM_F_ACK != 0 {
                sock.netlink_ack(msg, None);
            }
            return;
        }
        // nlmsg_parse(…, ifla_policy) of the string attributes, on the
        // raw bytes (every RTM_*LINK* request but a dump).
        let is_link = matches!(msg_type, 16..=19 | RTM_NEWLINKPROP | RTM_DELLINKPROP);
        let is_dump = msg_type == 18 && flags & NLM_F_DUMP == NLM_F_DUMP;
        if is_link && !is_dump && msg.len() >= NLMSG_HDRLEN + IFINFOMSG_LEN {
            if let Err(e) = policy::validate_ifla_strings(&msg[NLMSG_HDRLEN + IFINFOMSG_LEN..]) {
                sock.netlink_ack(msg, Some(&e));
                return;
            }
            if let Some(copy) = policy::without_empty_linkinfo(msg) {
                return self.rtnetlink_rcv_decoded(sock, msg, &copy);
            }
            if let Some(copy) = policy::with_slave_kind(msg) {
                return self.rtnetlink_rcv_decoded(sock, msg, &copy);
            }
        }
        self.rtnetlink_rcv_decoded(sock, msg, msg);
    }

    /// The rest of `rtnetlink_rcv_msg()`: `decode` is `msg` or the copy
    /// the model decodes in its place; replies echo `msg`.
    fn rtnetlink_rcv_decoded(&mut self, sock: &mut NetlinkSocket, msg: &[u8], decode: &[u8]) {
        let net = sock.net;
        let msg_type = u16::from_ne_bytes([msg[4], msg[5]]);
        let flags = u16::from_ne_bytes([msg[6], msg[7]]);
        let seq = u32::from_ne_bytes([msg[8], msg[9], msg[10], msg[11]]);
        // RTM_NEWLINKPROP / RTM_DELLINKPROP carry an ifinfomsg like
        // RTM_NEWLINK, but netlink-packet-route 0.34 cannot decode those
        // types: decode a copy under RTM_NEWLINK's type instead.
        let result = if msg_type == RTM_NEWLINKPROP || msg_type == RTM_DELLINKPROP {
            let mut copy = decode.to_vec();
            copy[4..6].copy_from_slice(&16u16.to_ne_bytes());
            match NetlinkMessage::<RouteNetlinkMessage>::deserialize(&copy) {
                Ok(NetlinkMessage {
                    payload: NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(m)),
                    ..
                }) => self.rtnl_linkprop(net, &m, msg_type == RTM_NEWLINKPROP),
                _ => Err(KError::new(Errno::EINVAL)),
            }
        } else if msg_type == RTM_GETADDR
            && flags & NLM_F_DUMP == NLM_F_DUMP
            && sock.strict_chk
            && msg.len() < NLMSG_HDRLEN + IFADDRMSG_LEN
        {
            let family = msg.get(NLMSG_HDRLEN).copied().unwrap_or(0);
            let cb = self.rtnl_dump_addr_short(net, family, seq);
            match self.netlink_dump_start(sock, cb) {
                Ok(_) => return,
                Err(e) => Err(e),
            }
        } else {
            match NetlinkMessage::<RouteNetlinkMessage>::deserialize(decode) {
                Ok(NetlinkMessage {
                    payload: NetlinkPayload::InnerMessage(m),
                    ..
                }) => match self.rtnetlink_doit_echo(sock, m, flags, seq) {
                    // netlink_dump_start() answered: no ack follows (-EINTR).
                    Ok(Doit::DumpStarted) => return,
                    Ok(Doit::Done) => Ok(()),
                    Err(e) => Err(e),
                },
                _ => Err(KError::new(Errno::EINVAL)),
            }
        };
        match result {
            Ok(()) if flags & NLM_F_ACK != 0 => sock.netlink_ack(msg, None),
            Ok(()) => {}
            Err(e) => sock.netlink_ack(msg, Some(&e)),
        }
    }

    /// `rtnetlink_doit` with NLM_F_ECHO honoured: the notifications the
    /// handler reported to the sender (`nlmsg_notify()`'s unicast) are
    /// queued on its socket, before the ack.
    fn rtnetlink_doit_echo(
        &mut self,
        sock: &mut NetlinkSocket,
        inner: RouteNetlinkMessage,
        flags: u16,
        seq: u32,
    ) -> Result<Doit, KError> {
        let report = (flags & NLM_F_ECHO != 0).then_some(Report {
            portid: sock.portid,
            seq,
        });
        self.inflight.echo.clear();
        let r = self.rtnetlink_doit(sock, inner, flags, seq, report);
        for skb in std::mem::take(&mut self.inflight.echo) {
            sock.unicast(skb);
        }
        r
    }

    /// The handler `rtnl_msg_handlers[]` names for a decoded message: its
    /// unicast answer (RTM_GETLINK) goes to the sender's portid.
    fn rtnetlink_doit(
        &mut self,
        sock: &mut NetlinkSocket,
        inner: RouteNetlinkMessage,
        flags: u16,
        seq: u32,
        report: Option<Report>,
    ) -> Result<Doit, KError> {
        let net = sock.net;
        match inner {
            RouteNetlinkMessage::NewLink(m) => self
                .rtnl_newlink(net, flags, &m, report)
                .map(|_| Doit::Done),
            RouteNetlinkMessage::SetLink(m) => self.rtnl_setlink(net, &m).map(|_| Doit::Done),
            RouteNetlinkMessage::DelLink(m)
                if m.header.interface_family == netlink_packet_route::AddressFamily::Bridge =>
            {
                self.rtnl_bridge_dellink(net, &m).map(|_| Doit::Done)
            }
            RouteNetlinkMessage::DelLink(m) => {
                self.rtnl_dellink(net, &m, report).map(|_| Doit::Done)
            }
            RouteNetlinkMessage::GetLink(m)
                if flags & NLM_F_DUMP == NLM_F_DUMP
                    && m.header.interface_family == netlink_packet_route::AddressFamily::Inet6 =>
            {
                let cb = self.inet6_dump_ifinfo_start(net, &m, seq, sock.strict_chk);
                self.netlink_dump_start(sock, cb).map(|_| Doit::DumpStarted)
            }
            RouteNetlinkMessage::GetLink(m) if flags & NLM_F_DUMP == NLM_F_DUMP => {
                let cb = self.rtnl_dump_ifinfo_start(net, &m, seq);
                self.netlink_dump_start(sock, cb).map(|_| Doit::DumpStarted)
            }
            RouteNetlinkMessage::GetLink(m) => {
                let mut reply = self.rtnl_getlink(net, &m, seq)?;
                socket::nlmsg_set_pid(&mut reply, sock.portid);
                sock.unicast(reply);
                Ok(Doit::Done)
            }
            RouteNetlinkMessage::NewAddress(m) => {
                let origin = crate::inet::rtnl_addr::Origin {
                    portid: sock.portid,
                    seq,
                    echo: report.is_some(),
                };
                self.rtnl_newaddr(net, &m, flags, origin)
                    .map(|_| Doit::Done)
            }
            RouteNetlinkMessage::DelAddress(m) => {
                let origin = crate::inet::rtnl_addr::Origin {
                    portid: sock.portid,
                    seq,
                    echo: report.is_some(),
                };
                self.rtnl_deladdr(net, &m, origin).map(|_| Doit::Done)
            }
            RouteNetlinkMessage::GetAddress(m) if flags & NLM_F_DUMP == NLM_F_DUMP => {
                let cb = self.rtnl_dump_addr_start(net, &m, seq, sock.strict_chk);
                self.netlink_dump_start(sock, cb).map(|_| Doit::DumpStarted)
            }
            _ => Err(KError::new(Errno::EOPNOTSUPP)),
        }
    }

    /// `rtnl_valid_dump_ifinfo_req()` and the filters `rtnl_dump_ifinfo()`
    /// reads: IFLA_MASTER and IFLA_LINKINFO/IFLA_INFO_KIND filter the dump
    /// (link_master_filtered, link_kind_filtered); an unknown kind does
    /// not filter.
    fn rtnl_dump_ifinfo_start(
        &mut self,
        net: NetId,
        req: &netlink_packet_route::link::LinkMessage,
        seq: u32,
    ) -> socket::DumpCursor {
        let filter = link::LinkRequest::parse(req).unwrap_or_default();
        let master_idx = filter.master.unwrap_or(0) as i32;
        let kind = filter
            .kind
            .filter(|k| crate::drivers::rtnl_link_ops_get(k).is_some());
        let mut flags = NLM_F_MULTIPART;
        if master_idx != 0 || kind.is_some() {
            flags |= NLM_F_DUMP_FILTERED;
        }
        socket::DumpCursor::link(net, seq, flags, master_idx, kind, filter.skip_stats)
    }

    /// `link_dump_filtered()`: master index (-1 = "has no master") and kind.
    fn link_dump_filtered(&self, dev: DevId, master_idx: i32, kind: Option<&str>) -> bool {
        let d = self.dev(dev);
        if master_idx != 0 {
            let master = d.master.map(|m| self.dev(m).ifindex as i32);
            let out = if master_idx == -1 {
                master.is_some()
            } else {
                master != Some(master_idx)
            };
            if out {
                return true;
            }
        }
        kind.is_some_and(|k| d.driver.rtnl_kind() != Some(k))
    }

    /// `rtmsg_ifinfo(type, dev, change)`: a notification in the device's
    /// namespace, only for registered devices.
    pub(crate) fn rtmsg_ifinfo(&mut self, typ: RtmType, dev: DevId, change: u32) {
        self.rtmsg_ifinfo_report(typ, dev, change, None);
    }

    /// `rtmsg_ifinfo(type, dev, change, flags, portid, nlh)`: with a
    /// report (NLM_F_ECHO) the message carries the sender's portid and
    /// sequence and is unicast back to it as well (`rtnl_notify`).
    pub(crate) fn rtmsg_ifinfo_report(
        &mut self,
        typ: RtmType,
        dev: DevId,
        change: u32,
        report: Option<Report>,
    ) {
        if self.dev(dev).reg_state != crate::consts::RegState::Registered {
            return;
        }
        let bytes = self.rtmsg_ifinfo_build(typ, dev, change, report);
        self.rtnl_notify_report(dev, bytes, report);
    }

    /// `rtmsg_ifinfo_build_skb()` when someone will read the message (a
    /// listener or the echo's sender); otherwise only the fill's side
    /// effect (the link namespace id it allocates) is kept.
    pub(crate) fn rtmsg_ifinfo_build(
        &mut self,
        typ: RtmType,
        dev: DevId,
        change: u32,
        report: Option<Report>,
    ) -> Option<Vec<u8>> {
        if !self.has_mcast_listeners() && report.is_none() {
            self.rtnl_fill_side_effects(dev);
            return None;
        }
        let net = self.dev(dev).net;
        let seq = report.map_or(0, |r| r.seq);
        let mut bytes = self.rtnl_fill_ifinfo_msg(typ, dev, change, net, false, seq, 0);
        if let Some(r) = report {
            socket::nlmsg_set_pid(&mut bytes, r.portid);
        }
        Some(bytes)
    }

    /// `rtnl_notify()` → `nlmsg_notify()`: the multicast (when anyone
    /// listens), and with a report the unicast to the sender.
    pub(crate) fn rtnl_notify_report(
        &mut self,
        dev: DevId,
        bytes: Option<Vec<u8>>,
        report: Option<Report>,
    ) {
        let Some(bytes) = bytes else { return };
        if report.is_some() {
            self.inflight.echo.push(bytes.clone());
        }
        if self.has_mcast_listeners() {
            let net = self.dev(dev).net;
            self.rtnl_notify(net, bytes);
        }
    }

    /// `rtnl_notify()` to RTNLGRP_LINK of `net`.
    pub(crate) fn rtnl_notify(&mut self, net: NetId, bytes: Vec<u8>) {
        self.log_mcast(self.obs.mcast.next_seq(), net, &bytes);
        self.obs.mcast.push(|seq| crate::events::McastMessage {
            seq,
            net,
            bytes: bytes.into(),
        });
    }

    /// `rtnetlink_event()`: RTM_NEWLINK for the events it lists, with the
    /// IFLA_EVENT `rtnl_get_event()` names for some of them.
    pub(crate) fn rtnetlink_event(&mut self, event: NetdevEvent, dev: DevId) {
        use NetdevEvent::*;
        let ifla_event = match event {
            Reboot => LinkEvent::Reboot,
            FeatChange => LinkEvent::Features,
            BondingFailover => LinkEvent::BondingFailover,
            NotifyPeers => LinkEvent::NotifyPeers,
            ResendIgmp => LinkEvent::IgmpResend,
            ChangeInfoData => LinkEvent::BondingOptions,
            ChangeMtu | ChangeAddr | ChangeName | PostTypeChange | ChangeUpper
            | ChangeLowerState | ChangeTxQueueLen => LinkEvent::None,
            _ => return,
        };
        if ifla_event == LinkEvent::None {
            self.rtmsg_ifinfo(RtmType::NewLink, dev, 0);
        } else {
            self.rtmsg_ifinfo_event(dev, ifla_event);
        }
    }

    /// `rtmsg_ifinfo_event(RTM_NEWLINK, dev, 0, event)` for an event other
    /// than IFLA_EVENT_NONE: the usual fill with IFLA_EVENT after
    /// IFLA_PROTO_DOWN, where `rtnl_fill_ifinfo` puts it. Rare, so built
    /// through a `LinkMessage` rather than the one-pass fill.
    fn rtmsg_ifinfo_event(&mut self, dev: DevId, event: LinkEvent) {
        if self.dev(dev).reg_state != crate::consts::RegState::Registered {
            return;
        }
        if !self.has_mcast_listeners() {
            self.rtnl_fill_side_effects(dev);
            return;
        }
        let net = self.dev(dev).net;
        let mut msg = self.rtnl_fill_ifinfo(RtmType::NewLink, dev, 0, net, false);
        let at = msg
            .attributes
            .iter()
            .position(|a| matches!(a, LinkAttribute::ProtoDown(_)))
            .map_or(msg.attributes.len(), |i| i + 1);
        msg.attributes.insert(at, LinkAttribute::Event(event));
        let bytes = to_bytes(NetlinkMessage::new(
            NetlinkHeader::default(),
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(msg)),
        ));
        self.rtnl_notify(net, bytes);
    }
}

/// `nlmsg_report(nlh)` was true (the request carried NLM_F_ECHO): the
/// notifications the kernel sends with the request's portid and nlh
/// (`rtnl_configure_link`, `rtnl_delete_link`) are stamped with the
/// sender's portid and the request's sequence, and `nlmsg_notify()`
/// unicasts them back to the sender besides the multicast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) portid: u32,
    pub(crate) seq: u32,
}

/// What a doit handler did: answered (ack if asked) or started a dump.
enum Doit {
    Done,
    DumpStarted,
}
