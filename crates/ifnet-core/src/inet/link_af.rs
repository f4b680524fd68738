//! IFLA_AF_SPEC (`rtnl_af_ops`): what a link message says about the
//! device's IPv6 (`inet6_fill_link_af`: IFLA_INET6_FLAGS and
//! IFLA_INET6_ADDR_GEN_MODE — the model does not carry the devconf array,
//! the statistics, the cache info or the token), and setting the address
//! generation mode (`inet6_validate_link_af`, `inet6_set_link_af`: `ip link
//! set DEV addrgenmode eui64|none|stable_secret|random`). A new mode takes
//! effect at the next link-local generation (the device coming up).

use super::ifaddr::*;
use crate::errno::{Errno, KError, KResult};
use crate::ids::DevId;
use crate::kernel::Kernel;
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, In6AddrGenMode, Inet6IfaceFlags, LinkAttribute,
};

/// What a request's IFLA_AF_SPEC asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AfSpecReq {
    /// An AF_INET6 nest: IFLA_INET6_ADDR_GEN_MODE, and whether it held
    /// IFLA_INET6_TOKEN.
    pub inet6: Option<(Option<u8>, bool)>,
    /// A nest for a family without `rtnl_af_ops` (EAFNOSUPPORT).
    pub unknown_family: bool,
}

impl AfSpecReq {
    /// Reads IFLA_AF_SPEC of an AF_UNSPEC link message.
    pub fn parse(specs: &[AfSpecUnspec]) -> AfSpecReq {
        let mut r = AfSpecReq::default();
        for s in specs {
            match s {
                AfSpecUnspec::Inet6(attrs) => {
                    let mut mode = None;
                    let mut token = false;
                    for a in attrs {
                        match a {
                            AfSpecInet6::AddrGenMode(m) => mode = Some(u8::from(m)),
                            AfSpecInet6::Token(_) => token = true,
                            _ => {}
                        }
                    }
                    r.inet6 = Some((mode, token));
                }
                AfSpecUnspec::Inet(_) => {}
                _ => r.unknown_family = true,
            }
        }
        r
    }
}

impl Kernel {
    /// The AF_SPEC part of `validate_linkmsg(dev, tb)`: `dev` is None for a
    /// device not registered yet (`rtnl_create_link`), which has no
    /// inet6_dev: EAFNOSUPPORT.
    pub(crate) fn validate_link_af(&self, dev: Option<DevId>, r: &AfSpecReq) -> KResult<()> {
        if r.unknown_family {
            return Err(KError::new(Errno::EAFNOSUPPORT));
        }
        let Some((mode, token)) = r.inet6 else {
            return Ok(());
        };
        let Some(dev) = dev.filter(|&d| self.dev(d).inet.v6) else {
            return Err(KError::new(Errno::EAFNOSUPPORT));
        };
        if mode.is_none() && !token {
            return Err(KError::new(Errno::EINVAL));
        }
        if let Some(m) = mode {
            if m > IN6_ADDR_GEN_MODE_RANDOM {
                return Err(KError::new(Errno::EINVAL));
            }
            // check_stable_privacy(): no secret is ever configured here.
            if m == IN6_ADDR_GEN_MODE_STABLE_PRIVACY && self.dev(dev).inet.stable_secret.is_none() {
                return Err(KError::new(Errno::EINVAL));
            }
        }
        Ok(())
    }

    /// `inet6_set_link_af()`. A token (`ip token`) is not modelled: EOPNOTSUPP.
    pub(crate) fn set_link_af(&mut self, dev: DevId, r: &AfSpecReq) -> KResult<()> {
        let Some((mode, token)) = r.inet6 else {
            return Ok(());
        };
        if !self.dev(dev).inet.v6 {
            return Err(KError::new(Errno::EAFNOSUPPORT));
        }
        if token {
            return Err(KError::msg(
                Errno::EOPNOTSUPP,
                "ifnet: IFLA_INET6_TOKEN is not supported yet",
            ));
        }
        if let Some(m) = mode {
            self.dev_mut(dev).inet.addr_gen_mode = m;
        }
        Ok(())
    }

    /// `inet6_fill_ifinfo()`: the AF_INET6 RTM_NEWLINK of a dump — name,
    /// address, MTU, link, operstate, and IFLA_PROTINFO with the inet6
    /// attributes the model keeps.
    pub(crate) fn inet6_fill_ifinfo(&mut self, dev: DevId, seq: u32, flags: u16) -> Vec<u8> {
        use netlink_packet_core::{DefaultNla, NetlinkMessage, NetlinkPayload};
        use netlink_packet_route::link::{
            LinkFlags, LinkLayerType, LinkMessage, LinkProtoInfoInet6, State,
        };
        let iflink = self.dev_get_iflink(dev);
        let d = self.dev(dev);
        let mut m = LinkMessage::default();
        m.header.interface_family = netlink_packet_route::AddressFamily::Inet6;
        m.header.link_layer_type = LinkLayerType::from(d.dev_type);
        m.header.index = d.ifindex;
        m.header.flags = LinkFlags::from_bits_retain(d.user_flags());
        let at = &mut m.attributes;
        at.push(LinkAttribute::IfName(d.name.to_string()));
        if !d.dev_addr.is_empty() {
            at.push(LinkAttribute::Address(d.dev_addr.as_bytes().to_vec()));
        }
        at.push(LinkAttribute::Mtu(d.mtu));
        if iflink != d.ifindex {
            at.push(LinkAttribute::Link(iflink));
        }
        at.push(LinkAttribute::OperState(State::from(
            d.reported_operstate() as u8,
        )));
        at.push(LinkAttribute::ProtoInfoInet6(vec![
            LinkProtoInfoInet6::Other(DefaultNla::new(1, d.inet.if6_flags.to_ne_bytes().to_vec())),
            LinkProtoInfoInet6::Other(DefaultNla::new(8, vec![d.inet.addr_gen_mode])),
        ]));
        let h = crate::rtnetlink::emit::nl_header(16, flags, seq);
        crate::rtnetlink::emit::to_bytes(NetlinkMessage::new(
            h,
            NetlinkPayload::InnerMessage(netlink_packet_route::RouteNetlinkMessage::NewLink(m)),
        ))
    }

    /// The start of `inet6_dump_ifinfo()`: with strict checking the request
    /// must be a bare, zero ifinfomsg (`inet6_valid_dump_ifinfo`).
    pub(crate) fn inet6_dump_ifinfo_start(
        &self,
        net: crate::ids::NetId,
        m: &netlink_packet_route::link::LinkMessage,
        seq: u32,
        strict: bool,
    ) -> crate::rtnetlink::socket::DumpCursor {
        use crate::rtnetlink::socket::{DumpCursor, DumpWhat};
        let mut cb = DumpCursor {
            net,
            seq,
            flags: netlink_packet_core::NLM_F_MULTIPART,
            what: DumpWhat::Inet6Link,
            next_ifindex: 0,
            ip_idx: 0,
            error: None,
        };
        if strict {
            let h = &m.header;
            if !m.attributes.is_empty() {
                cb.error = Some(KError::msg(
                    Errno::EINVAL,
                    "ipv6: Invalid data after header",
                ));
            } else if u16::from(h.link_layer_type) != 0
                || h.flags.bits() != 0
                || h.change_mask.bits() != 0
                || h.index != 0
            {
                cb.error = Some(KError::msg(
                    Errno::EINVAL,
                    "ipv6: Invalid values in header for dump request",
                ));
            }
        }
        cb
    }

    /// `rtnl_fill_link_af()`: the IFLA_AF_SPEC nest (an empty one when the
    /// device has no inet6_dev).
    pub(crate) fn rtnl_fill_link_af(&self, dev: DevId) -> LinkAttribute {
        let inet = &self.dev(dev).inet;
        let mut specs = Vec::new();
        if inet.v6 {
            specs.push(AfSpecUnspec::Inet6(vec![
                AfSpecInet6::Flags(Inet6IfaceFlags::from_bits_retain(inet.if6_flags)),
                AfSpecInet6::AddrGenMode(In6AddrGenMode::from(inet.addr_gen_mode)),
            ]));
        }
        LinkAttribute::AfSpecUnspec(specs)
    }
}
