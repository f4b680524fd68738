//! IPv6 address records (net/ipv6/addrconf.c, Linux 6.18): adding one
//! (`ipv6_add_addr`, kept sorted by scope as `ipv6_link_dev_addr` does),
//! removing one (`ipv6_del_addr`), and the RTM_NEWADDR / RTM_DELADDR
//! handlers (`inet6_rtm_newaddr` → `inet6_addr_add` / `inet6_addr_modify`,
//! `inet6_rtm_deladdr` → `inet6_addr_del`).

use super::addrconf::Ifa6Config;
use super::ifaddr::*;
use super::lifetime::ifa_lifetime_is_finite;
use super::rtnl_addr::AddrEvent;
use crate::consts::IFF_LOOPBACK;
use crate::errno::{Errno, KError, KResult};
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use std::net::{IpAddr, Ipv6Addr};

/// An RTM_NEWADDR / RTM_DELADDR for AF_INET6 once parsed.
#[derive(Debug, Clone, Default)]
pub struct Inet6Req {
    pub ifindex: u32,
    pub prefixlen: u8,
    /// `IFA_FLAGS`, else the header's 8 bits.
    pub flags: u32,
    pub local: Option<Ipv6Addr>,
    pub address: Option<Ipv6Addr>,
    /// `IFA_CACHEINFO` (valid, preferred).
    pub cacheinfo: Option<(u32, u32)>,
    pub rt_priority: Option<u32>,
    pub proto: Option<u8>,
    pub excl: bool,
    pub replace: bool,
}

impl Inet6Req {
    /// `extract_addr()`: IFA_LOCAL is the address when given; an
    /// IFA_ADDRESS that differs from it is the peer.
    fn extract_addr(&self) -> Option<(Ipv6Addr, Option<Ipv6Addr>)> {
        match (self.local, self.address) {
            (Some(l), Some(a)) if a != l => Some((l, Some(a))),
            (Some(l), _) => Some((l, None)),
            (None, Some(a)) => Some((a, None)),
            (None, None) => None,
        }
    }
}

impl Kernel {
    /// `ipv6_add_addr()`: the checks on the address, then the record
    /// (TENTATIVE unless NODAD), in scope order. EEXIST for an address the
    /// device already has (`ipv6_add_addr_hash`).
    pub(crate) fn ipv6_add_addr(&mut self, dev: DevId, cfg: &Ifa6Config) -> KResult<()> {
        let a = cfg.addr;
        if a.is_unspecified() {
            return Err(KError::msg(Errno::EADDRNOTAVAIL, "ipv6: Invalid address"));
        }
        if a.is_multicast() && cfg.flags & IFA_F_MCAUTOJOIN == 0 {
            return Err(KError::msg(
                Errno::EADDRNOTAVAIL,
                "ipv6: Cannot assign multicast address without \"IFA_F_MCAUTOJOIN\" flag",
            ));
        }
        if self.dev(dev).flags & IFF_LOOPBACK == 0 && a.is_loopback() {
            return Err(KError::msg(
                Errno::EADDRNOTAVAIL,
                "ipv6: Cannot assign loopback address on this device",
            ));
        }
        if self.dev(dev).inet.disable_ipv6 {
            return Err(KError::msg(
                Errno::EACCES,
                "ipv6: IPv6 is disabled on this device",
            ));
        }
        let list = &self.dev(dev).inet.addr6;
        if list.len() >= MAX_ADDRS_PER_DEV {
            return Err(KError::new(Errno::ENOBUFS));
        }
        if list.iter().any(|x| x.addr == a) {
            return Err(KError::new(Errno::EEXIST));
        }
        let mut flags = cfg.flags;
        if flags & IFA_F_NODAD == 0 {
            flags |= IFA_F_TENTATIVE;
        }
        let now = self.now;
        let ifa = Inet6Ifaddr {
            addr: a,
            peer: cfg.peer.unwrap_or(Ipv6Addr::UNSPECIFIED),
            prefix_len: cfg.plen,
            scope: cfg.scope,
            flags,
            state: Ifa6State::PreDad,
            valid_lft: cfg.valid_lft,
            prefered_lft: cfg.preferred_lft,
            tstamp: now,
            cstamp: now,
            rt_priority: cfg.rt_priority,
            proto: cfg.proto,
            dad_probes: 0,
            dad_nonce: 0,
            dad_due: None,
        };
        // ipv6_link_dev_addr(): before the first address of the same or a
        // narrower scope (so the newest of a scope comes first).
        let scope = ipv6_addr_src_scope(&a);
        let at = list
            .iter()
            .position(|x| scope >= ipv6_addr_src_scope(&x.addr))
            .unwrap_or(list.len());
        self.dev_mut(dev).inet.addr6.insert(at, ifa);
        Ok(())
    }

    /// `ipv6_del_addr()`: out of the list, DAD stopped, RTM_DELADDR (which
    /// leaves the solicited-node group).
    pub(crate) fn ipv6_del_addr(&mut self, dev: DevId, addr: &Ipv6Addr) {
        let list = &mut self.dev_mut(dev).inet.addr6;
        let Some(i) = list.iter().position(|x| x.addr == *addr) else {
            return;
        };
        let ifa = list.remove(i);
        if ifa.state == Ifa6State::Dead {
            return;
        }
        self.inet6_ifa_notify(AddrEvent::Del, dev, &ifa);
        self.addrconf_leave_solict(dev, &ifa.addr);
    }

    /// `ipv6_ifa_notify(RTM_NEWADDR, ifp)` for an address still on `dev`.
    pub(crate) fn ipv6_ifa_notify_new(&mut self, dev: DevId, addr: &Ipv6Addr) {
        if let Some(ifa) = self.inet6_ifa(dev, addr).cloned() {
            self.inet6_ifa_notify(AddrEvent::New, dev, &ifa);
        }
    }

    /// `inet6_rtm_newaddr()`.
    pub(crate) fn inet6_rtm_newaddr(&mut self, net: NetId, r: &Inet6Req) -> KResult<()> {
        let Some((pfx, peer)) = r.extract_addr() else {
            return Err(KError::new(Errno::EINVAL));
        };
        let mut cfg = Ifa6Config {
            addr: pfx,
            peer,
            plen: r.prefixlen,
            flags: (r.flags
                & (IFA_F_NODAD
                    | IFA_F_HOMEADDRESS
                    | IFA_F_MANAGETEMPADDR
                    | IFA_F_NOPREFIXROUTE
                    | IFA_F_MCAUTOJOIN
                    | IFA_F_OPTIMISTIC))
                | IFA_F_PERMANENT,
            valid_lft: INFINITY_LIFE_TIME,
            preferred_lft: INFINITY_LIFE_TIME,
            scope: 0,
            rt_priority: r.rt_priority.unwrap_or(0),
            proto: r.proto.unwrap_or(0),
        };
        if let Some((valid, preferred)) = r.cacheinfo {
            if valid == 0 || preferred > valid {
                return Err(KError::msg(Errno::EINVAL, "ipv6: address lifetime invalid"));
            }
            cfg.valid_lft = valid;
            cfg.preferred_lft = preferred;
            if valid != INFINITY_LIFE_TIME {
                cfg.flags &= !IFA_F_PERMANENT;
            }
            if preferred == 0 {
                cfg.flags |= IFA_F_DEPRECATED;
            }
        }
        let Some(dev) = self.dev_get_by_index(net, r.ifindex) else {
            return Err(KError::msg(
                Errno::ENODEV,
                "ipv6: Unable to find the interface",
            ));
        };
        self.ipv6_find_idev(dev)?;
        // ipv6_allow_optimistic_dad(): optimistic_dad is 0 here.
        cfg.flags &= !IFA_F_OPTIMISTIC;
        if self.inet6_ifa(dev, &pfx).is_none() {
            return self.inet6_addr_add(dev, cfg);
        }
        if r.excl || !r.replace {
            return Err(KError::msg(Errno::EEXIST, "ipv6: address already assigned"));
        }
        self.inet6_addr_modify(dev, &cfg)
    }

    /// `inet6_addr_add()`.
    fn inet6_addr_add(&mut self, dev: DevId, mut cfg: Ifa6Config) -> KResult<()> {
        if cfg.plen > 128 {
            return Err(KError::msg(Errno::EINVAL, "ipv6: Invalid prefix length"));
        }
        if cfg.flags & IFA_F_MANAGETEMPADDR != 0 && cfg.plen != 64 {
            return Err(KError::msg(
                Errno::EINVAL,
                "ipv6: address with \"mngtmpaddr\" flag must have a prefix length of 64",
            ));
        }
        if self.dev(dev).inet.disable_ipv6 {
            return Err(KError::msg(
                Errno::EACCES,
                "ipv6: IPv6 is disabled on this device",
            ));
        }
        let group = IpAddr::V6(cfg.addr);
        let autojoin = cfg.flags & IFA_F_MCAUTOJOIN != 0;
        if autojoin {
            self.ip_mc_join(dev, group)
                .map_err(|_| KError::msg(Errno::EINVAL, "ipv6: Multicast auto join failed"))?;
        }
        cfg.scope = ipv6_addr_scope(&cfg.addr);
        if let Err(e) = self.ipv6_add_addr(dev, &cfg) {
            if autojoin {
                let _ = self.ip_mc_leave(dev, group);
            }
            return Err(e);
        }
        if cfg.flags & (IFA_F_OPTIMISTIC | IFA_F_NODAD) == 0 {
            self.ipv6_ifa_notify_new(dev, &cfg.addr);
        }
        self.addrconf_dad_start(dev, cfg.addr);
        let finite = ifa_lifetime_is_finite(cfg.valid_lft, cfg.preferred_lft);
        self.addrconf_verify_schedule(dev, finite);
        Ok(())
    }

    /// `inet6_addr_modify()`: new flags, lifetimes and metric on an
    /// existing address (`ip addr change|replace`).
    fn inet6_addr_modify(&mut self, dev: DevId, cfg: &Ifa6Config) -> KResult<()> {
        let now = self.now;
        let ifp = self.inet6_ifa(dev, &cfg.addr).expect("caller found it");
        let mut new_flags = cfg.flags;
        if new_flags & IFA_F_MANAGETEMPADDR != 0
            && (ifp.flags & IFA_F_TEMPORARY != 0 || ifp.prefix_len != 64)
        {
            return Err(KError::new(Errno::EINVAL));
        }
        if ifp.flags & IFA_F_TENTATIVE == 0 || ifp.flags & IFA_F_DADFAILED != 0 {
            new_flags &= !IFA_F_OPTIMISTIC;
        }
        let ifp = self.inet6_ifa_mut(dev, &cfg.addr).expect("found");
        ifp.flags &= !(IFA_F_DEPRECATED
            | IFA_F_PERMANENT
            | IFA_F_NODAD
            | IFA_F_HOMEADDRESS
            | IFA_F_MANAGETEMPADDR
            | IFA_F_NOPREFIXROUTE);
        ifp.flags |= new_flags;
        ifp.tstamp = now;
        ifp.valid_lft = cfg.valid_lft;
        ifp.prefered_lft = cfg.preferred_lft;
        ifp.proto = cfg.proto;
        if cfg.rt_priority != 0 {
            ifp.rt_priority = cfg.rt_priority;
        }
        if let Some(p) = cfg.peer {
            ifp.peer = p;
        }
        if ifp.flags & IFA_F_TENTATIVE == 0 {
            self.ipv6_ifa_notify_new(dev, &cfg.addr);
        }
        let finite = ifa_lifetime_is_finite(cfg.valid_lft, cfg.preferred_lft);
        self.addrconf_verify_schedule(dev, finite);
        Ok(())
    }

    /// `inet6_rtm_deladdr()` → `inet6_addr_del()`: the address with this
    /// prefix length.
    pub(crate) fn inet6_rtm_deladdr(&mut self, net: NetId, r: &Inet6Req) -> KResult<()> {
        let Some((pfx, _)) = r.extract_addr() else {
            return Err(KError::new(Errno::EINVAL));
        };
        if r.prefixlen > 128 {
            return Err(KError::msg(Errno::EINVAL, "ipv6: Invalid prefix length"));
        }
        let Some(dev) = self.dev_get_by_index(net, r.ifindex) else {
            return Err(KError::msg(
                Errno::ENODEV,
                "ipv6: Unable to find the interface",
            ));
        };
        if !self.dev(dev).inet.v6 {
            return Err(KError::msg(
                Errno::ENXIO,
                "ipv6: IPv6 is disabled on this device",
            ));
        }
        let found = self
            .dev(dev)
            .inet
            .addr6
            .iter()
            .any(|a| a.prefix_len == r.prefixlen && a.addr == pfx);
        if !found {
            return Err(KError::msg(Errno::EADDRNOTAVAIL, "ipv6: address not found"));
        }
        self.ipv6_del_addr(dev, &pfx);
        self.addrconf_verify_schedule(dev, false);
        if pfx.is_multicast() {
            let _ = self.ip_mc_leave(dev, IpAddr::V6(pfx));
        }
        Ok(())
    }
}
