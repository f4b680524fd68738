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
            return Err(KError::msg(Errno::EOPNOTSUPP, "ifnet: IFLA_INET6_TOKEN is not supported yet"));
        }
        if let Some(m) = mode {
            self.dev_mut(dev).inet.addr_gen_mode = m;
        }
        Ok(())
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
