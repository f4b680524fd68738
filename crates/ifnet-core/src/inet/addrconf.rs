//! IPv6 on a device (net/ipv6/addrconf.c, Linux 6.18): the `inet6_dev`
//! (`ipv6_add_dev` at NETDEV_REGISTER when the MTU allows IPv6), the
//! netdev notifier (`addrconf_notify`), automatic addresses when the link
//! becomes ready (`addrconf_init_auto_addrs`: `init_loopback` for lo,
//! `addrconf_dev_config` → `addrconf_addr_gen` for the others) and what
//! going down or away removes (`addrconf_ifdown`).
//!
//! Which devices addrconf leaves alone depends on the kernel: from v6.2
//! (8a321cf7becc "net: add IFF_NO_ADDRCONF and use it in bonding to prevent
//! ipv6 addrconf") the test is `priv_flags & IFF_NO_ADDRCONF`, before it
//! was `flags & IFF_SLAVE` (c2edacf80e15 "bonding / ipv6: no addrconf for
//! slaves separately from master"). Failover slaves carry IFF_NO_ADDRCONF
//! from v6.2 (cb54d392279d) and nothing before, so 5.x and 6.1 give them
//! link-local addresses.
//!
//! `keep_addr_on_down` is 0 in every new namespace here: NETDEV_DOWN
//! removes every IPv6 address, manual ones included.

use super::ifaddr::*;
use crate::consts::*;
use crate::datapath::addrlist::{IPV6_ALL_NODES, IPV6_MIN_MTU};
use crate::errno::{Errno, KError, KResult};
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::notifier::NetdevEvent;
use std::net::{IpAddr, Ipv6Addr};

/// `IF_RS_SENT | IF_RA_RCVD | IF_READY`: what a down clears.
const IF_READY_FLAGS: u32 = IF_READY | 0x20 | 0x10;

impl Kernel {
    /// The IPv6 addresses of a device, in list order.
    pub fn inet6_addrs(&self, dev: DevId) -> &[Inet6Ifaddr] {
        &self.dev(dev).inet.addr6
    }

    /// `__in6_dev_get(dev)` is non-NULL.
    pub fn in6_dev_exists(&self, dev: DevId) -> bool {
        self.dev(dev).inet.v6
    }

    /// `addrconf_link_ready()`: `netif_oper_up()` (the operstate linkwatch
    /// last set) and `!qdisc_tx_is_noop()`. The tx queues leave the noop
    /// qdisc only when `dev_activate()` finds carrier (at open, or when
    /// linkwatch handles a carrier-on), so a device opened without carrier
    /// is not ready although its stale operstate may say UNKNOWN (a bridge
    /// whose ports do not forward yet); the model takes the carrier as the
    /// tx queues' state.
    fn addrconf_link_ready(&self, dev: DevId) -> bool {
        let d = self.dev(dev);
        d.oper_up() && d.qdisc != crate::netdev::Qdisc::Noop && d.carrier
    }

    /// The flag addrconf skips devices by (see the module comment).
    pub(crate) fn addrconf_skipped(&self, dev: DevId) -> bool {
        let d = self.dev(dev);
        if self.profile.addrconf_no_addrconf_flag {
            d.priv_flags & IFF_NO_ADDRCONF != 0
        } else {
            d.flags & IFF_SLAVE != 0
        }
    }

    /// `addrconf_notify()`.
    pub(crate) fn addrconf_notify(&mut self, event: NetdevEvent, dev: DevId) {
        use NetdevEvent as E;
        match event {
            E::Register if !self.dev(dev).inet.v6 && self.dev(dev).mtu >= IPV6_MIN_MTU => {
                let _ = self.ipv6_add_dev(dev);
            }
            E::ChangeMtu => {
                if self.dev(dev).mtu < IPV6_MIN_MTU {
                    let unregister = !self.dev(dev).driver.is_loopback();
                    self.addrconf_ifdown(dev, unregister);
                    return;
                }
                if self.dev(dev).inet.v6 || self.ipv6_add_dev(dev).is_err() {
                    return;
                }
                if self.dev(dev).inet.if6_flags & IF_READY == 0 {
                    return;
                }
                if self.dev(dev).inet.disable_ipv6 || self.addrconf_skipped(dev) {
                    return;
                }
                self.addrconf_configure(dev, true);
            }
            E::Up | E::Change => self.addrconf_up_or_change(event, dev),
            E::Down => self.addrconf_ifdown(dev, false),
            E::Unregister => self.addrconf_ifdown(dev, true),
            _ => {}
        }
    }

    /// NETDEV_UP / NETDEV_CHANGE in `addrconf_notify()`.
    fn addrconf_up_or_change(&mut self, event: NetdevEvent, dev: DevId) {
        let inet = &self.dev(dev).inet;
        if inet.v6 && inet.disable_ipv6 {
            return;
        }
        if self.addrconf_skipped(dev) {
            // ipv6_mc_up(): MLD only, which the model does not send.
            return;
        }
        if event == NetdevEvent::Up {
            self.addrconf_permanent_addr(dev);
            if !self.addrconf_link_ready(dev) {
                return;
            }
            if !self.dev(dev).inet.v6 && self.dev(dev).mtu >= IPV6_MIN_MTU {
                let _ = self.ipv6_add_dev(dev);
            }
            let run_pending = self.dev(dev).inet.v6;
            if run_pending {
                self.dev_mut(dev).inet.if6_flags |= IF_READY;
            }
            self.addrconf_configure(dev, run_pending);
            return;
        }
        if !self.addrconf_link_ready(dev) {
            return;
        }
        if self.dev(dev).inet.v6 {
            if self.dev(dev).inet.if6_flags & IF_READY != 0 {
                // Already configured: MLD reports again (not modelled).
                return;
            }
            self.dev_mut(dev).inet.if6_flags |= IF_READY;
        }
        self.addrconf_configure(dev, true);
    }

    /// The common tail of UP / CHANGE / CHANGEMTU: automatic addresses,
    /// pending DAD, and IPv6 off again if the MTU dropped meanwhile.
    fn addrconf_configure(&mut self, dev: DevId, run_pending: bool) {
        self.addrconf_init_auto_addrs(dev);
        if !self.dev(dev).inet.v6 {
            return;
        }
        if run_pending {
            self.addrconf_dad_run(dev, false);
        }
        if self.dev(dev).mtu < IPV6_MIN_MTU {
            let unregister = !self.dev(dev).driver.is_loopback();
            self.addrconf_ifdown(dev, unregister);
        }
    }

    /// `ipv6_add_dev()`: EINVAL below IPV6_MIN_MTU; joins the
    /// interface-local and link-local all-nodes groups.
    pub(crate) fn ipv6_add_dev(&mut self, dev: DevId) -> KResult<()> {
        if self.dev(dev).mtu < IPV6_MIN_MTU {
            return Err(KError::new(Errno::EINVAL));
        }
        let ready = self.dev(dev).running() && self.addrconf_link_ready(dev);
        {
            let inet = &mut self.dev_mut(dev).inet;
            inet.clear_v6();
            inet.v6 = true;
            if ready {
                inet.if6_flags |= IF_READY;
            }
        }
        for g in IPV6_ALL_NODES {
            let _ = self.ip_mc_join(dev, g);
        }
        Ok(())
    }

    /// `ipv6_find_idev()`: the inet6_dev, created if missing.
    pub(crate) fn ipv6_find_idev(&mut self, dev: DevId) -> KResult<()> {
        if self.dev(dev).inet.v6 {
            return Ok(());
        }
        self.ipv6_add_dev(dev)
    }

    /// `addrconf_permanent_addr()` on NETDEV_UP: permanent addresses still
    /// waiting for DAD to start get it started.
    fn addrconf_permanent_addr(&mut self, dev: DevId) {
        let waiting: Vec<Ipv6Addr> = self
            .dev(dev)
            .inet
            .addr6
            .iter()
            .filter(|a| a.flags & IFA_F_PERMANENT != 0 && a.state == Ifa6State::PreDad)
            .map(|a| a.addr)
            .collect();
        for a in waiting {
            self.addrconf_dad_start(dev, a);
        }
    }

    /// `addrconf_init_auto_addrs()`.
    fn addrconf_init_auto_addrs(&mut self, dev: DevId) {
        if self.dev(dev).dev_type == ARPHRD_LOOPBACK {
            self.init_loopback(dev);
        } else {
            self.addrconf_dev_config(dev);
        }
    }

    /// `init_loopback()` → `add_addr()`: ::1/128, scope host, valid at once.
    fn init_loopback(&mut self, dev: DevId) {
        if self.ipv6_find_idev(dev).is_err() {
            return;
        }
        let cfg = Ifa6Config {
            addr: Ipv6Addr::LOCALHOST,
            peer: None,
            plen: 128,
            flags: IFA_F_PERMANENT,
            valid_lft: INFINITY_LIFE_TIME,
            preferred_lft: INFINITY_LIFE_TIME,
            scope: IFA_HOST,
            rt_priority: 0,
            proto: IFAPROT_KERNEL_LO,
        };
        if self.ipv6_add_addr(dev, &cfg).is_ok() {
            if let Some(a) = self.inet6_ifa_mut(dev, &Ipv6Addr::LOCALHOST) {
                a.flags &= !IFA_F_TENTATIVE;
            }
            self.ipv6_ifa_notify_new(dev, &Ipv6Addr::LOCALHOST);
        }
    }

    /// `addrconf_dev_config()`: only link types with an interface
    /// identifier get one.
    fn addrconf_dev_config(&mut self, dev: DevId) {
        const AUTOCONF_TYPES: [u16; 11] = [
            ARPHRD_ETHER,
            8, // ARPHRD_FDDI
            7, // ARPHRD_ARCNET
            ARPHRD_INFINIBAND,
            24,     // ARPHRD_IEEE1394
            769,    // ARPHRD_TUNNEL6
            825,    // ARPHRD_6LOWPAN
            823,    // ARPHRD_IP6GRE
            768,    // ARPHRD_TUNNEL
            0xfffe, // ARPHRD_NONE
            519,    // ARPHRD_RAWIP
        ];
        if !AUTOCONF_TYPES.contains(&self.dev(dev).dev_type) {
            return;
        }
        if self.ipv6_find_idev(dev).is_err() || self.dev(dev).inet.disable_ipv6 {
            return;
        }
        if self.dev(dev).dev_type == 0xfffe
            && self.dev(dev).inet.addr_gen_mode == IN6_ADDR_GEN_MODE_EUI64
        {
            self.dev_mut(dev).inet.addr_gen_mode = IN6_ADDR_GEN_MODE_RANDOM;
        }
        self.addrconf_addr_gen(dev);
    }

    /// `addrconf_addr_gen()`: the link-local address of the device's
    /// `addr_gen_mode` (none for the devices addrconf skips: its check is
    /// the same flag as `addrconf_notify`'s — IFF_SLAVE before 6.2, when
    /// bit 30 of priv_flags was IFF_LIVE_RENAME_OK).
    fn addrconf_addr_gen(&mut self, dev: DevId) {
        if self.addrconf_skipped(dev) {
            return;
        }
        let prefix = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0);
        let (addr, flags) = match self.dev(dev).inet.addr_gen_mode {
            IN6_ADDR_GEN_MODE_RANDOM | IN6_ADDR_GEN_MODE_STABLE_PRIVACY => {
                if self.dev(dev).inet.addr_gen_mode == IN6_ADDR_GEN_MODE_RANDOM {
                    self.ipv6_gen_mode_random_init(dev);
                }
                let Some(a) = self.ipv6_generate_stable_address(dev, prefix, 0) else {
                    return;
                };
                (a, IFA_F_STABLE_PRIVACY)
            }
            IN6_ADDR_GEN_MODE_EUI64 => {
                let Some(eui) = super::addrconf_gen::ipv6_generate_eui64(self.dev(dev)) else {
                    return;
                };
                let mut o = prefix.octets();
                o[8..].copy_from_slice(&eui);
                (Ipv6Addr::from(o), 0)
            }
            _ => return,
        };
        self.addrconf_add_linklocal(dev, addr, flags);
    }

    /// `addrconf_add_linklocal()`: fe80::/64, permanent, then DAD.
    fn addrconf_add_linklocal(&mut self, dev: DevId, addr: Ipv6Addr, flags: u32) {
        let cfg = Ifa6Config {
            addr,
            peer: None,
            plen: 64,
            flags: flags | IFA_F_PERMANENT,
            valid_lft: INFINITY_LIFE_TIME,
            preferred_lft: INFINITY_LIFE_TIME,
            scope: IFA_LINK,
            rt_priority: 0,
            proto: IFAPROT_KERNEL_LL,
        };
        if self.ipv6_add_addr(dev, &cfg).is_ok() {
            self.addrconf_dad_start(dev, addr);
        }
    }

    /// `addrconf_ifdown(dev, unregister)`: every address goes (RTM_DELADDR
    /// each, and its solicited-node group); on unregister (or an MTU below
    /// IPV6_MIN_MTU) the inet6_dev and its groups go too.
    pub(crate) fn addrconf_ifdown(&mut self, dev: DevId, unregister: bool) {
        if !self.dev(dev).inet.v6 {
            return;
        }
        if !unregister {
            self.dev_mut(dev).inet.if6_flags &= !IF_READY_FLAGS;
        }
        // keep_addr_on_down = 0: nothing is kept.
        while let Some(ifa) = self.dev(dev).inet.addr6.first().cloned() {
            self.dev_mut(dev).inet.addr6.remove(0);
            if ifa.state != Ifa6State::Dead {
                self.inet6_ifa_notify(super::rtnl_addr::AddrEvent::Del, dev, &ifa);
            }
            self.addrconf_leave_solict(dev, &ifa.addr);
        }
        self.deferred
            .workqueue
            .cancel(crate::workqueue::Work::AddrconfDad(dev));
        if unregister {
            self.ipv6_mc_destroy_dev(dev);
            self.dev_mut(dev).inet.clear_v6();
        }
    }

    /// `ipv6_mc_destroy_dev()`: every IPv6 group of the device is left.
    fn ipv6_mc_destroy_dev(&mut self, dev: DevId) {
        let groups: Vec<IpAddr> = self
            .dev(dev)
            .addr_lists
            .groups
            .iter()
            .map(|g| g.0)
            .filter(IpAddr::is_ipv6)
            .collect();
        for g in groups {
            while self.ip_mc_leave(dev, g).is_ok() {
                if !self.dev(dev).addr_lists.groups.iter().any(|x| x.0 == g) {
                    break;
                }
            }
        }
    }

    /// `addrconf_join_solict()`: not on loopback or NOARP devices.
    pub(crate) fn addrconf_join_solict(&mut self, dev: DevId, addr: &Ipv6Addr) {
        if self.dev(dev).flags & (IFF_LOOPBACK | IFF_NOARP) != 0 {
            return;
        }
        let _ = self.ip_mc_join(dev, IpAddr::V6(solicited_node(addr)));
    }

    /// `addrconf_leave_solict()`.
    pub(crate) fn addrconf_leave_solict(&mut self, dev: DevId, addr: &Ipv6Addr) {
        if self.dev(dev).flags & (IFF_LOOPBACK | IFF_NOARP) != 0 {
            return;
        }
        let _ = self.ip_mc_leave(dev, IpAddr::V6(solicited_node(addr)));
    }

    pub(crate) fn inet6_ifa(&self, dev: DevId, addr: &Ipv6Addr) -> Option<&Inet6Ifaddr> {
        self.dev(dev).inet.addr6.iter().find(|a| a.addr == *addr)
    }

    pub(crate) fn inet6_ifa_mut(
        &mut self,
        dev: DevId,
        addr: &Ipv6Addr,
    ) -> Option<&mut Inet6Ifaddr> {
        self.dev_mut(dev)
            .inet
            .addr6
            .iter_mut()
            .find(|a| a.addr == *addr)
    }
}

/// `struct ifa6_config`.
#[derive(Debug, Clone)]
pub(crate) struct Ifa6Config {
    pub addr: Ipv6Addr,
    pub peer: Option<Ipv6Addr>,
    pub plen: u8,
    pub flags: u32,
    pub valid_lft: u32,
    pub preferred_lft: u32,
    pub scope: u8,
    pub rt_priority: u32,
    pub proto: u8,
}
