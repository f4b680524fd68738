//! IPv4 addresses on a device (net/ipv4/devinet.c, Linux 6.18): the
//! `in_device` each registered device gets (`inetdev_init` at
//! NETDEV_REGISTER, `inetdev_destroy` at NETDEV_UNREGISTER or when the MTU
//! drops below 68), the ordered address list with primaries and
//! secondaries (`__inet_insert_ifa`, `__inet_del_ifa`), labels that follow
//! a rename (`inetdev_changename`), lifetimes (`set_ifa_lifetime`) and the
//! RTM_NEWADDR / RTM_DELADDR handlers (`inet_rtm_newaddr`,
//! `inet_rtm_deladdr`).
//!
//! `promote_secondaries` is 0 in every new namespace of this kernel
//! (`/proc/sys/net/ipv4/conf/default/promote_secondaries`, and the model
//! has no sysctl to change it): deleting a primary deletes the secondaries
//! of its subnet too.

use super::ifaddr::*;
use super::rtnl_addr::{AddrEvent, Origin};
use crate::consts::{IFF_LOOPBACK, IFF_UP};
use crate::datapath::addrlist::IGMP_ALL_HOSTS;
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::IfName;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::notifier::NetdevEvent;
use crate::workqueue::Work;
use std::net::{IpAddr, Ipv4Addr};

/// `inetdev_valid_mtu()`: IPv4 needs 68 bytes.
pub const IPV4_MIN_MTU: u32 = 68;

/// What an RTM_NEWADDR for AF_INET carries once parsed (`inet_validate_rtm`
/// and `inet_rtm_to_ifa`'s inputs).
#[derive(Debug, Clone, Default)]
pub struct Inet4Req {
    pub ifindex: u32,
    pub prefixlen: u8,
    /// `IFA_FLAGS`, else the header's 8 bits.
    pub flags: u32,
    pub scope: u8,
    pub local: Option<Ipv4Addr>,
    pub address: Option<Ipv4Addr>,
    pub broadcast: Option<Ipv4Addr>,
    pub label: Option<String>,
    /// `IFA_CACHEINFO` (valid, preferred).
    pub cacheinfo: Option<(u32, u32)>,
    pub rt_priority: Option<u32>,
    pub proto: Option<u8>,
    /// NLM_F_EXCL / NLM_F_REPLACE of the request.
    pub excl: bool,
    pub replace: bool,
}

impl Kernel {
    /// `__in_dev_get_rtnl(dev)` is non-NULL.
    pub(crate) fn in_dev_exists(&self, dev: DevId) -> bool {
        let d = self.dev(dev);
        d.reg_state == crate::consts::RegState::Registered && !d.inet.v4_off
    }

    /// The IPv4 addresses of a device, in list order.
    pub fn inet_addrs(&self, dev: DevId) -> &[InIfaddr] {
        &self.dev(dev).inet.ifa_list
    }

    /// The IPv4 half of `inetdev_event()`.
    pub(crate) fn inetdev_event(&mut self, event: NetdevEvent, dev: DevId) {
        use NetdevEvent as E;
        if self.dev(dev).inet.v4_off {
            // No in_device: only an MTU that is big enough again brings one.
            if event == E::ChangeMtu && self.dev(dev).mtu >= IPV4_MIN_MTU {
                self.inetdev_init(dev);
            }
            return;
        }
        match event {
            E::Register => self.inetdev_init(dev),
            E::Up => {
                if self.dev(dev).mtu < IPV4_MIN_MTU {
                    return;
                }
                if self.dev(dev).flags & IFF_LOOPBACK != 0 {
                    self.inet_add_loopback(dev);
                }
                self.ip_mc_up(dev);
            }
            E::Down => self.ip_mc_down(dev),
            E::ChangeMtu if self.dev(dev).mtu < IPV4_MIN_MTU => self.inetdev_destroy(dev, true),
            E::Unregister => self.inetdev_destroy(dev, false),
            E::ChangeName => self.inetdev_changename(dev),
            _ => {}
        }
    }

    /// `inetdev_init()`: a fresh in_device; `ip_mc_up` if the device is up.
    fn inetdev_init(&mut self, dev: DevId) {
        let d = self.dev_mut(dev);
        d.inet.v4_off = false;
        d.inet.ifa_list.clear();
        if d.flags & IFF_UP != 0 {
            self.ip_mc_up(dev);
        }
    }

    /// `inetdev_destroy()`: every address goes (RTM_DELADDR each, no
    /// promotion: `in_dev->dead`), then the groups. `mtu_off` keeps the
    /// device without an in_device (`dev->ip_ptr = NULL`).
    fn inetdev_destroy(&mut self, dev: DevId, mtu_off: bool) {
        while !self.dev(dev).inet.ifa_list.is_empty() {
            self.__inet_del_ifa(dev, 0, true, Origin::KERNEL);
        }
        self.ip_mc_down(dev);
        self.dev_mut(dev).inet.v4_off = mtu_off;
    }

    /// `ip_mc_up()`: all-hosts is joined while the device is up.
    fn ip_mc_up(&mut self, dev: DevId) {
        let _ = self.ip_mc_join(dev, IGMP_ALL_HOSTS);
    }

    /// `ip_mc_down()` / `ip_mc_destroy_dev()` for the group the model joins.
    fn ip_mc_down(&mut self, dev: DevId) {
        let _ = self.ip_mc_leave(dev, IGMP_ALL_HOSTS);
    }

    /// NETDEV_UP on a loopback device: 127.0.0.1/8, scope host.
    fn inet_add_loopback(&mut self, dev: DevId) {
        let now = self.now;
        let lo = Ipv4Addr::LOCALHOST;
        let mut ifa = InIfaddr {
            local: lo,
            address: lo,
            broadcast: Ipv4Addr::UNSPECIFIED,
            prefixlen: 8,
            scope: RT_SCOPE_HOST,
            flags: 0,
            label: self.dev(dev).name,
            valid_lft: 0,
            preferred_lft: 0,
            tstamp: now,
            cstamp: now,
            rt_priority: 0,
            proto: 0,
        };
        set_ifa_lifetime(&mut ifa, INFINITY_LIFE_TIME, INFINITY_LIFE_TIME, now);
        // inet_insert_ifa(): an address already there is EEXIST, ignored.
        let _ = self.__inet_insert_ifa(dev, ifa, Origin::KERNEL);
    }

    /// `__inet_insert_ifa()`: primaries are kept sorted by scope (host
    /// before link before global), a new address in the subnet of an
    /// existing one with the same mask becomes its secondary (at the end
    /// of the list); the same local address again is EEXIST, another scope
    /// in that subnet EINVAL. Sends RTM_NEWADDR.
    pub(crate) fn __inet_insert_ifa(
        &mut self,
        dev: DevId,
        mut ifa: InIfaddr,
        origin: Origin,
    ) -> KResult<()> {
        ifa.flags &= !(IFA_F_SECONDARY | IPV6ONLY_FLAGS);
        let list = &self.dev(dev).inet.ifa_list;
        if list.len() >= MAX_ADDRS_PER_DEV {
            return Err(KError::new(Errno::ENOBUFS));
        }
        let mut last_primary = 0;
        for (i, ifa1) in list.iter().enumerate() {
            if ifa1.flags & IFA_F_SECONDARY == 0 && ifa.scope <= ifa1.scope {
                last_primary = i + 1;
            }
            if ifa1.mask() == ifa.mask() && inet_ifa_match(ifa1.address, &ifa) {
                if ifa1.local == ifa.local {
                    return Err(KError::new(Errno::EEXIST));
                }
                if ifa1.scope != ifa.scope {
                    return Err(KError::msg(Errno::EINVAL, "ipv4: Invalid scope value"));
                }
                ifa.flags |= IFA_F_SECONDARY;
            }
        }
        let at = if ifa.flags & IFA_F_SECONDARY != 0 {
            list.len()
        } else {
            last_primary
        };
        self.dev_mut(dev).inet.ifa_list.insert(at, ifa.clone());
        self.inet_schedule_check_lifetime(dev, &ifa);
        self.rtmsg_ifa(AddrEvent::New, dev, &ifa.clone().into(), origin);
        Ok(())
    }

    /// `__inet_del_ifa()`: removes `ifa_list[i]`. A primary takes the
    /// secondaries of its subnet with it (each announced first), unless
    /// the in_device is dying; RTM_DELADDR for it follows.
    pub(crate) fn __inet_del_ifa(&mut self, dev: DevId, i: usize, dying: bool, origin: Origin) {
        let Some(ifa1) = self.dev(dev).inet.ifa_list.get(i).cloned() else {
            return;
        };
        if !dying && ifa1.flags & IFA_F_SECONDARY == 0 {
            let mut j = i + 1;
            while j < self.dev(dev).inet.ifa_list.len() {
                let ifa = &self.dev(dev).inet.ifa_list[j];
                let same_subnet = ifa.flags & IFA_F_SECONDARY != 0
                    && ifa1.mask() == ifa.mask()
                    && inet_ifa_match(ifa1.address, ifa);
                if !same_subnet {
                    j += 1;
                    continue;
                }
                let gone = self.dev_mut(dev).inet.ifa_list.remove(j);
                self.rtmsg_ifa(AddrEvent::Del, dev, &gone.into(), origin);
            }
        }
        self.dev_mut(dev).inet.ifa_list.remove(i);
        self.rtmsg_ifa(AddrEvent::Del, dev, &ifa1.into(), origin);
    }

    /// `inetdev_changename()`: the first address takes the new name, the
    /// others keep their `:suffix` (or get `:N`), each announced with
    /// RTM_NEWADDR.
    fn inetdev_changename(&mut self, dev: DevId) {
        let name = self.dev(dev).name;
        let n = self.dev(dev).inet.ifa_list.len();
        for i in 0..n {
            let old = self.dev(dev).inet.ifa_list[i].label;
            let label = if i == 0 {
                name
            } else {
                changename_label(name.as_str(), old.as_str(), i + 1)
            };
            self.dev_mut(dev).inet.ifa_list[i].label = label;
            let ifa = self.dev(dev).inet.ifa_list[i].clone();
            self.rtmsg_ifa(AddrEvent::New, dev, &ifa.into(), Origin::KERNEL);
        }
    }

    /// Queues the namespace's `addr_chk_work` now (`cancel_delayed_work`,
    /// then `queue_delayed_work(…, 0)`) after `ifa` was inserted or
    /// changed.
    ///
    /// Linux runs `check_lifetime` then whatever the lifetimes are; it
    /// only ever acts on addresses that are not IFA_F_PERMANENT (a finite
    /// valid lifetime), so the model runs it only when `ifa` is one or
    /// when the work is already queued for another address — otherwise
    /// every `ip addr add` would walk every address of the namespace
    /// (4,000 devices: 16 M visits).
    fn inet_schedule_check_lifetime(&mut self, dev: DevId, ifa: &InIfaddr) {
        let net = self.dev(dev).net;
        let now = self.now;
        let work = Work::InetCheckLifetime(net);
        let wq = &mut self.deferred.workqueue;
        if ifa.flags & IFA_F_PERMANENT == 0 || wq.due_of(work).is_some() {
            wq.reschedule(work, now);
        }
    }

    /// `inet_rtm_newaddr()` after `inet_validate_rtm()`.
    pub(crate) fn inet_rtm_newaddr(
        &mut self,
        net: NetId,
        r: &Inet4Req,
        origin: Origin,
    ) -> KResult<()> {
        if r.prefixlen > 32 {
            return Err(KError::msg(Errno::EINVAL, "ipv4: Invalid prefix length"));
        }
        let Some(local) = r.local else {
            return Err(KError::msg(
                Errno::EINVAL,
                "ipv4: Local address is not supplied",
            ));
        };
        let (mut valid, mut preferred) = (INFINITY_LIFE_TIME, INFINITY_LIFE_TIME);
        if let Some((v, p)) = r.cacheinfo {
            if v == 0 || p > v {
                return Err(KError::msg(Errno::EINVAL, "ipv4: address lifetime invalid"));
            }
            (valid, preferred) = (v, p);
        }
        if local.is_unspecified() {
            return Ok(());
        }
        let ifa = self.inet_rtm_to_ifa(net, r, local)?;
        let dev = self.dev_get_by_index(net, r.ifindex).expect("checked");
        let existing = self.dev(dev).inet.ifa_list.iter().position(|i| {
            i.mask() == ifa.mask() && inet_ifa_match(i.address, &ifa) && i.local == local
        });
        let now = self.now;
        let Some(at) = existing else {
            let mut ifa = ifa;
            set_ifa_lifetime(&mut ifa, valid, preferred, now);
            if ifa.flags & IFA_F_MCAUTOJOIN != 0 {
                self.ip_mc_autojoin(dev, ifa.address)?;
            }
            return self.__inet_insert_ifa(dev, ifa, origin);
        };
        if r.excl || !r.replace {
            return Err(KError::msg(Errno::EEXIST, "ipv4: Address already assigned"));
        }
        let e = &mut self.dev_mut(dev).inet.ifa_list[at];
        e.rt_priority = ifa.rt_priority;
        e.proto = ifa.proto;
        set_ifa_lifetime(e, valid, preferred, now);
        let e = e.clone();
        self.inet_schedule_check_lifetime(dev, &e);
        self.rtmsg_ifa(AddrEvent::New, dev, &e.into(), origin);
        Ok(())
    }

    /// `inet_rtm_to_ifa()`.
    fn inet_rtm_to_ifa(&self, net: NetId, r: &Inet4Req, local: Ipv4Addr) -> KResult<InIfaddr> {
        let Some(dev) = self.dev_get_by_index(net, r.ifindex) else {
            return Err(KError::msg(Errno::ENODEV, "ipv4: Device not found"));
        };
        if !self.in_dev_exists(dev) {
            return Err(KError::new(Errno::ENOBUFS));
        }
        let label = match &r.label {
            Some(l) => IfName::truncated(l),
            None => self.dev(dev).name,
        };
        Ok(InIfaddr {
            local,
            address: r.address.unwrap_or(local),
            broadcast: r.broadcast.unwrap_or(Ipv4Addr::UNSPECIFIED),
            prefixlen: r.prefixlen,
            scope: r.scope,
            flags: r.flags,
            label,
            valid_lft: 0,
            preferred_lft: 0,
            tstamp: self.now,
            cstamp: crate::time::Instant::BOOT,
            rt_priority: r.rt_priority.unwrap_or(0),
            proto: r.proto.unwrap_or(0),
        })
    }

    /// `ip_mc_autojoin_config(net, true, ifa)`: the namespace's autojoin
    /// socket joins the group; a unicast address cannot be joined.
    fn ip_mc_autojoin(&mut self, dev: DevId, group: Ipv4Addr) -> KResult<()> {
        self.ip_mc_join(dev, IpAddr::V4(group))
            .map_err(|_| KError::msg(Errno::EINVAL, "ipv4: Multicast auto join failed"))
    }

    /// `inet_rtm_deladdr()`: the first address that matches every given
    /// attribute (IFA_LOCAL, IFA_LABEL, IFA_ADDRESS with the prefix length).
    pub(crate) fn inet_rtm_deladdr(
        &mut self,
        net: NetId,
        r: &Inet4Req,
        origin: Origin,
    ) -> KResult<()> {
        let dev = self
            .dev_get_by_index(net, r.ifindex)
            .filter(|&d| self.in_dev_exists(d))
            .ok_or(KError::msg(Errno::ENODEV, "ipv4: Device not found"))?;
        let found = self.dev(dev).inet.ifa_list.iter().position(|ifa| {
            r.local.is_none_or(|l| l == ifa.local)
                && r.label.as_deref().is_none_or(|l| l == ifa.label.as_str())
                && r.address
                    .is_none_or(|a| r.prefixlen == ifa.prefixlen && inet_ifa_match(a, ifa))
        });
        let Some(i) = found else {
            return Err(KError::msg(Errno::EADDRNOTAVAIL, "ipv4: Address not found"));
        };
        let address = self.dev(dev).inet.ifa_list[i].address;
        if address.is_multicast() {
            let _ = self.ip_mc_leave(dev, IpAddr::V4(address));
        }
        self.__inet_del_ifa(dev, i, false, origin);
        Ok(())
    }
}

/// `set_ifa_lifetime()`: an infinite valid lifetime makes the address
/// IFA_F_PERMANENT (and its preferred lifetime is then not stored); a
/// preferred lifetime of 0 makes it IFA_F_DEPRECATED at once.
pub(crate) fn set_ifa_lifetime(
    ifa: &mut InIfaddr,
    valid: u32,
    preferred: u32,
    now: crate::time::Instant,
) {
    let mut flags = ifa.flags & !(IFA_F_PERMANENT | IFA_F_DEPRECATED);
    if valid != INFINITY_LIFE_TIME {
        ifa.valid_lft = valid;
    } else {
        flags |= IFA_F_PERMANENT;
    }
    if preferred != INFINITY_LIFE_TIME {
        if preferred == 0 {
            flags |= IFA_F_DEPRECATED;
        }
        ifa.preferred_lft = preferred;
    }
    ifa.flags = flags;
    ifa.tstamp = now;
    if ifa.cstamp == crate::time::Instant::BOOT {
        ifa.cstamp = now;
    }
}

/// The label `inetdev_changename()` gives the `n`-th address (n >= 2):
/// the new name plus the old label's `:suffix`, or `:n`; cut so that it
/// fits IFNAMSIZ (the suffix is kept, the name is shortened).
pub fn changename_label(name: &str, old: &str, n: usize) -> IfName {
    let dot = match old.find(':') {
        Some(p) => old[p..].to_string(),
        None => format!(":{n}"),
    };
    const IFNAMSIZ: usize = crate::consts::IFNAMSIZ;
    if dot.len() + name.len() < IFNAMSIZ {
        return IfName::truncated(&format!("{name}{dot}"));
    }
    // strcpy(label + (IFNAMSIZ - strlen(dot) - 1), dot)
    let keep = (IFNAMSIZ - 1).saturating_sub(dot.len());
    let mut end = keep.min(name.len());
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    IfName::truncated(&format!("{}{dot}", &name[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// inetdev_changename(): ":N" for labels without a colon, the old
    /// suffix otherwise, the name cut to keep the suffix.
    #[test]
    fn changename_labels() {
        assert_eq!(changename_label("vx", "va", 2).as_str(), "vx:2");
        assert_eq!(changename_label("vx", "va:web", 3).as_str(), "vx:web");
        assert_eq!(
            changename_label("abcdefghijklmn", "va:12", 2).as_str(),
            "abcdefghijkl:12"
        );
    }
}
