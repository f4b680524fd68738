//! Addresses over rtnetlink: RTM_NEWADDR / RTM_DELADDR requests routed by
//! family to `inet_rtm_newaddr` / `inet6_rtm_newaddr` (and the del
//! handlers), the fills (`inet_fill_ifaddr`, `inet6_fill_ifaddr`) as
//! genuine bytes, notifications to RTNLGRP_IPV4_IFADDR / IPV6_IFADDR
//! (`rtmsg_ifa`, `inet6_ifa_notify`), and the RTM_GETADDR dump with the
//! strict-check header validation and ifindex filter
//! (`inet_valid_dump_ifaddr_req`, `inet6_valid_dump_ifaddr_req`).

use super::addrconf_addr::Inet6Req;
use super::devinet::Inet4Req;
use super::ifaddr::*;
use crate::errno::{Errno, KError, KResult};
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::rtnetlink::emit::{nl_header, to_bytes};
use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_EXCL, NLM_F_REPLACE};
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressProtocol,
    AddressScope, CacheInfo,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// RTM_NEWADDR / RTM_DELADDR.
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
/// AF_INET / AF_INET6.
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;

/// Which notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrEvent {
    New,
    Del,
}

impl AddrEvent {
    fn msg_type(self) -> u16 {
        match self {
            AddrEvent::New => RTM_NEWADDR,
            AddrEvent::Del => RTM_DELADDR,
        }
    }
}

/// Who caused a change: a notification carries the requester's portid
/// and sequence (`rtmsg_ifa(event, ifa, nlh, portid)`), or 0 for the
/// kernel's own changes; `echo` is `nlmsg_report(nlh)` (the request
/// carried NLM_F_ECHO: `nlmsg_notify()` unicasts the message back too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub portid: u32,
    pub seq: u32,
    pub echo: bool,
}

impl Origin {
    pub const KERNEL: Origin = Origin {
        portid: 0,
        seq: 0,
        echo: false,
    };
}

/// An address record of either family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ifa {
    V4(InIfaddr),
    V6(Inet6Ifaddr),
}

impl From<InIfaddr> for Ifa {
    fn from(a: InIfaddr) -> Ifa {
        Ifa::V4(a)
    }
}

impl From<Inet6Ifaddr> for Ifa {
    fn from(a: Inet6Ifaddr) -> Ifa {
        Ifa::V6(a)
    }
}

/// The policy message of a failed attribute check.
const POLICY: &str = "Attribute failed policy validation";

fn v4_of(a: &IpAddr) -> Ipv4Addr {
    match a {
        IpAddr::V4(v) => *v,
        // nla_get_in_addr() reads the first four bytes.
        IpAddr::V6(v) => {
            let o = v.octets();
            Ipv4Addr::new(o[0], o[1], o[2], o[3])
        }
    }
}

fn v6_of(a: &IpAddr) -> KResult<Ipv6Addr> {
    match a {
        IpAddr::V6(v) => Ok(*v),
        // ifa_ipv6_policy: .len = sizeof(struct in6_addr).
        IpAddr::V4(_) => Err(KError::msg(Errno::ERANGE, POLICY)),
    }
}

/// `nlmsg_parse(…, ifa_ipv4_policy)` into the handler's input.
fn parse_v4(m: &AddressMessage, nl_flags: u16) -> KResult<Inet4Req> {
    let mut r = Inet4Req {
        ifindex: m.header.index,
        prefixlen: m.header.prefix_len,
        flags: u32::from(m.header.flags.bits()),
        scope: u8::from(m.header.scope),
        excl: nl_flags & NLM_F_EXCL != 0,
        replace: nl_flags & NLM_F_REPLACE != 0,
        ..Inet4Req::default()
    };
    for a in &m.attributes {
        match a {
            AddressAttribute::Local(v) => r.local = Some(v4_of(v)),
            AddressAttribute::Address(v) => r.address = Some(v4_of(v)),
            AddressAttribute::Broadcast(v) => r.broadcast = Some(*v),
            AddressAttribute::Label(l) => {
                if l.len() > crate::consts::IFNAMSIZ - 1 {
                    return Err(KError::msg(Errno::ERANGE, POLICY));
                }
                r.label = Some(l.clone());
            }
            AddressAttribute::CacheInfo(c) => r.cacheinfo = Some((c.ifa_valid, c.ifa_preferred)),
            AddressAttribute::Flags(f) => r.flags = f.bits(),
            AddressAttribute::RoutePriority(p) => r.rt_priority = Some(*p),
            AddressAttribute::Protocol(p) => r.proto = Some(u8::from(*p)),
            _ => {}
        }
    }
    Ok(r)
}

/// `nlmsg_parse(…, ifa_ipv6_policy)` into the handler's input.
fn parse_v6(m: &AddressMessage, nl_flags: u16) -> KResult<Inet6Req> {
    let mut r = Inet6Req {
        ifindex: m.header.index,
        prefixlen: m.header.prefix_len,
        flags: u32::from(m.header.flags.bits()),
        excl: nl_flags & NLM_F_EXCL != 0,
        replace: nl_flags & NLM_F_REPLACE != 0,
        ..Inet6Req::default()
    };
    for a in &m.attributes {
        match a {
            AddressAttribute::Local(v) => r.local = Some(v6_of(v)?),
            AddressAttribute::Address(v) => r.address = Some(v6_of(v)?),
            AddressAttribute::CacheInfo(c) => r.cacheinfo = Some((c.ifa_valid, c.ifa_preferred)),
            AddressAttribute::Flags(f) => r.flags = f.bits(),
            AddressAttribute::RoutePriority(p) => r.rt_priority = Some(*p),
            AddressAttribute::Protocol(p) => r.proto = Some(u8::from(*p)),
            _ => {}
        }
    }
    Ok(r)
}

impl Kernel {
    /// RTM_NEWADDR: the family's handler; other families have none
    /// (EOPNOTSUPP from `rtnetlink_rcv_msg`).
    pub(crate) fn rtnl_newaddr(
        &mut self,
        net: NetId,
        m: &AddressMessage,
        nl_flags: u16,
        origin: Origin,
    ) -> KResult<()> {
        match u8::from(m.header.family) {
            AF_INET => {
                let r = parse_v4(m, nl_flags)?;
                self.inet_rtm_newaddr(net, &r, origin)
            }
            AF_INET6 => {
                let r = parse_v6(m, nl_flags)?;
                self.inet6_rtm_newaddr(net, &r)
            }
            _ => Err(KError::new(Errno::EOPNOTSUPP)),
        }
    }

    /// RTM_DELADDR.
    pub(crate) fn rtnl_deladdr(
        &mut self,
        net: NetId,
        m: &AddressMessage,
        origin: Origin,
    ) -> KResult<()> {
        match u8::from(m.header.family) {
            AF_INET => {
                let r = parse_v4(m, 0)?;
                self.inet_rtm_deladdr(net, &r, origin)
            }
            AF_INET6 => {
                let r = parse_v6(m, 0)?;
                self.inet6_rtm_deladdr(net, &r)
            }
            _ => Err(KError::new(Errno::EOPNOTSUPP)),
        }
    }

    /// `rtmsg_ifa()` (IPv4) and `inet6_ifa_notify()` (IPv6): the message to
    /// the namespace's address group, built only if someone listens.
    /// With `o.echo` the message also goes back to the sender
    /// (`nlmsg_notify()`'s unicast, queued before the ack).
    pub(crate) fn rtmsg_ifa(&mut self, ev: AddrEvent, dev: DevId, ifa: &Ifa, o: Origin) {
        if !self.has_mcast_listeners() && !o.echo {
            return;
        }
        let bytes = self.addr_fill(ev.msg_type(), dev, ifa, o.seq, o.portid, 0);
        if o.echo {
            self.inflight.echo.push(bytes.clone());
        }
        if self.has_mcast_listeners() {
            let net = self.dev(dev).net;
            self.rtnl_notify(net, bytes);
        }
    }

    /// `inet6_ifa_notify(event, ifa)`: always from portid 0.
    pub(crate) fn inet6_ifa_notify(&mut self, ev: AddrEvent, dev: DevId, ifa: &Inet6Ifaddr) {
        self.rtmsg_ifa(ev, dev, &Ifa::V6(ifa.clone()), Origin::KERNEL);
    }

    /// One address as RTM_NEWADDR/DELADDR bytes (`inet_fill_ifaddr`,
    /// `inet6_fill_ifaddr`), with the remaining lifetimes as of now.
    pub(crate) fn addr_fill(
        &self,
        msg_type: u16,
        dev: DevId,
        ifa: &Ifa,
        seq: u32,
        portid: u32,
        flags: u16,
    ) -> Vec<u8> {
        self.addr_fill_full(msg_type, dev, ifa, seq, portid, flags, None)
    }

    /// `addr_fill` with IFA_TARGET_NETNSID (`args->netnsid >= 0`), which
    /// the fills put first.
    #[allow(clippy::too_many_arguments)] // the fill args of the kernel
    pub(crate) fn addr_fill_full(
        &self,
        msg_type: u16,
        dev: DevId,
        ifa: &Ifa,
        seq: u32,
        portid: u32,
        flags: u16,
        netnsid: Option<i32>,
    ) -> Vec<u8> {
        let ifindex = self.dev(dev).ifindex;
        let mut m = match ifa {
            Ifa::V4(a) => inet_fill_ifaddr(self.now, ifindex, a),
            Ifa::V6(a) => inet6_fill_ifaddr(self.now, ifindex, a),
        };
        if let Some(id) = netnsid {
            m.attributes.insert(0, AddressAttribute::TargetNetNsId(id));
        }
        let mut h = nl_header(msg_type, flags, seq);
        h.port_number = portid;
        let inner = if msg_type == RTM_DELADDR {
            RouteNetlinkMessage::DelAddress(m)
        } else {
            RouteNetlinkMessage::NewAddress(m)
        };
        to_bytes(NetlinkMessage::new(h, NetlinkPayload::InnerMessage(inner)))
    }
}

fn header(
    family: AddressFamily,
    prefix_len: u8,
    flags: u32,
    scope: u8,
    index: u32,
) -> AddressMessage {
    let mut m = AddressMessage::default();
    m.header.family = family;
    m.header.prefix_len = prefix_len;
    // ifa_flags is a __u8: the low byte; the rest goes in IFA_FLAGS.
    m.header.flags = AddressHeaderFlags::from_bits_retain(flags as u8);
    m.header.scope = AddressScope::from(scope);
    m.header.index = index;
    m
}

fn cacheinfo(
    a_cstamp: crate::time::Instant,
    a_tstamp: crate::time::Instant,
    p: u32,
    v: u32,
) -> AddressAttribute {
    let mut ci = CacheInfo::default();
    ci.cstamp = cstamp_delta(a_cstamp);
    ci.tstamp = cstamp_delta(a_tstamp);
    ci.ifa_preferred = p;
    ci.ifa_valid = v;
    AddressAttribute::CacheInfo(ci)
}

/// `inet_fill_ifaddr()`'s message.
fn inet_fill_ifaddr(now: crate::time::Instant, ifindex: u32, a: &InIfaddr) -> AddressMessage {
    let mut m = header(AddressFamily::Inet, a.prefixlen, a.flags, a.scope, ifindex);
    let (p, v) = if a.flags & IFA_F_PERMANENT != 0 {
        (INFINITY_LIFE_TIME, INFINITY_LIFE_TIME)
    } else {
        lifetimes_left(now, a.tstamp, a.preferred_lft, a.valid_lft)
    };
    let at = &mut m.attributes;
    if !a.address.is_unspecified() {
        at.push(AddressAttribute::Address(IpAddr::V4(a.address)));
    }
    if !a.local.is_unspecified() {
        at.push(AddressAttribute::Local(IpAddr::V4(a.local)));
    }
    if !a.broadcast.is_unspecified() {
        at.push(AddressAttribute::Broadcast(a.broadcast));
    }
    if !a.label.as_str().is_empty() {
        at.push(AddressAttribute::Label(a.label.to_string()));
    }
    if a.proto != 0 {
        at.push(AddressAttribute::Protocol(AddressProtocol::from(a.proto)));
    }
    at.push(AddressAttribute::Flags(AddressFlags::from_bits_retain(
        a.flags,
    )));
    if a.rt_priority != 0 {
        at.push(AddressAttribute::RoutePriority(a.rt_priority));
    }
    at.push(cacheinfo(a.cstamp, a.tstamp, p, v));
    m
}

/// `inet6_fill_ifaddr()`'s message.
fn inet6_fill_ifaddr(now: crate::time::Instant, ifindex: u32, a: &Inet6Ifaddr) -> AddressMessage {
    let mut m = header(
        AddressFamily::Inet6,
        a.prefix_len,
        a.flags,
        rt_scope(a.scope),
        ifindex,
    );
    let (p, v) = if a.flags & IFA_F_PERMANENT != 0 && a.prefered_lft == INFINITY_LIFE_TIME {
        (INFINITY_LIFE_TIME, INFINITY_LIFE_TIME)
    } else {
        lifetimes_left(now, a.tstamp, a.prefered_lft, a.valid_lft)
    };
    let at = &mut m.attributes;
    if a.peer.is_unspecified() {
        at.push(AddressAttribute::Address(IpAddr::V6(a.addr)));
    } else {
        at.push(AddressAttribute::Local(IpAddr::V6(a.addr)));
        at.push(AddressAttribute::Address(IpAddr::V6(a.peer)));
    }
    if a.rt_priority != 0 {
        at.push(AddressAttribute::RoutePriority(a.rt_priority));
    }
    at.push(cacheinfo(a.cstamp, a.tstamp, p, v));
    at.push(AddressAttribute::Flags(AddressFlags::from_bits_retain(
        a.flags,
    )));
    if a.proto != 0 {
        at.push(AddressAttribute::Protocol(AddressProtocol::from(a.proto)));
    }
    m
}
