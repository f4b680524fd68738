//! Unicast and multicast hardware-address lists (net/core/dev_addr_lists.c):
//! `dev_uc_add`/`dev_mc_add` with reference counts and global use, the
//! sync of an upper's lists to its lowers (`dev_uc_sync`/`dev_mc_sync` for
//! one lower, `__hw_addr_sync`; `dev_uc_sync_multiple`/`dev_mc_sync_multiple`
//! for several, `__hw_addr_sync_multiple`), and IP multicast groups mapped to link
//! addresses by device type (`arp_mc_map`/`ndisc_mc_map`: 01:00:5e:… on
//! Ethernet, the IPoIB mapping on InfiniBand), unmapped and remapped around
//! a type change (`ip_mc_unmap`/`ip_mc_remap`).

use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::wire::mcast::{arp_mc_map, ndisc_mc_map};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// `struct netdev_hw_addr`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HwAddrEntry {
    pub addr: HwAddr,
    /// References: local users plus one per upper that synced it here
    /// (left out of the state file when 1, as most are).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub refcount: u32,
    /// Added with the "global" flag (`dev_mc_add_global`, SIOCADDMULTI):
    /// /proc/net/dev_mcast shows it as static.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub global_use: bool,
    /// How many times this entry was pushed to a lower (`sync_cnt`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sync_cnt: u32,
    /// Entry exists here because an upper synced it (`synced`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub synced: u32,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

fn one() -> u32 {
    1
}

fn is_one(v: &u32) -> bool {
    *v == 1
}

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrListKind {
    Unicast,
    Multicast,
}

/// The two lists of one device, in insertion order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DevAddrLists {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uc: Vec<HwAddrEntry>,
    pub mc: Vec<HwAddrEntry>,
    /// IP multicast groups joined on the device, with their user counts,
    /// in join order.
    pub groups: Vec<(IpAddr, u32)>,
    /// Where state files of earlier versions said whether the IPv6 device
    /// exists; read once at load into `NetDevice::inet` and never written.
    #[serde(default, rename = "ipv6", skip_serializing)]
    pub(crate) legacy_ipv6: bool,
}

/// Bound on entries per list (the kernel has none; the model stays finite).
pub const ADDR_LIST_MAX: usize = 4096;

impl DevAddrLists {
    fn list(&mut self, kind: AddrListKind) -> &mut Vec<HwAddrEntry> {
        match kind {
            AddrListKind::Unicast => &mut self.uc,
            AddrListKind::Multicast => &mut self.mc,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.uc.is_empty() && self.mc.is_empty() && self.groups.is_empty()
    }
}

impl Kernel {
    /// The lists of a device (empty if it never had any).
    pub fn dev_addr_lists(&self, dev: DevId) -> DevAddrLists {
        (*self.dev(dev).addr_lists).clone()
    }

    fn lists_mut(&mut self, dev: DevId) -> &mut DevAddrLists {
        &mut self.dev_mut(dev).addr_lists
    }

    /// `__hw_addr_add_ex()`: a new entry or one more reference. A sync
    /// (`sync`) of an entry already synced here, from an upper entry synced
    /// elsewhere before (`sync_count` > 0), is -EEXIST: that is how
    /// `__hw_addr_sync_multiple` pushes each entry to each lower once.
    fn hw_addr_add(
        &mut self,
        dev: DevId,
        kind: AddrListKind,
        addr: HwAddr,
        global: bool,
        sync: bool,
        sync_count: u32,
    ) -> KResult<()> {
        if addr.len() != self.dev(dev).dev_addr.len() || addr.is_empty() {
            return Err(KError::new(Errno::EINVAL));
        }
        let list = self.lists_mut(dev).list(kind);
        if let Some(e) = list.iter_mut().find(|e| e.addr == addr) {
            if global {
                // Already a global user: nothing more to count.
                if e.global_use {
                    return Ok(());
                }
                e.global_use = true;
            }
            if sync {
                if e.synced > 0 && sync_count > 0 {
                    return Err(KError::new(Errno::EEXIST));
                }
                e.synced += 1;
            }
            e.refcount += 1;
            return Ok(());
        }
        if list.len() >= ADDR_LIST_MAX {
            return Err(KError::new(Errno::ENOSPC));
        }
        list.push(HwAddrEntry {
            addr,
            refcount: 1,
            global_use: global,
            sync_cnt: 0,
            synced: u32::from(sync),
        });
        Ok(())
    }

    /// `__hw_addr_del_ex()`.
    fn hw_addr_del(
        &mut self,
        dev: DevId,
        kind: AddrListKind,
        addr: HwAddr,
        global: bool,
        sync: bool,
    ) -> KResult<()> {
        let list = self.lists_mut(dev).list(kind);
        let Some(i) = list.iter().position(|e| e.addr == addr) else {
            return Err(KError::new(Errno::ENOENT));
        };
        let e = &mut list[i];
        if global && !e.global_use {
            return Err(KError::new(Errno::ENOENT));
        }
        if global {
            e.global_use = false;
        }
        if sync {
            if e.synced == 0 {
                return Err(KError::new(Errno::ENOENT));
            }
            e.synced -= 1;
        }
        e.refcount -= 1;
        if e.refcount == 0 {
            list.remove(i);
        }
        Ok(())
    }

    /// What `dev_uc_add()`, `dev_mc_del_global()` and the rest share:
    /// `__hw_addr_add` (`add`) or `__hw_addr_del` on the `kind` list, then
    /// `__dev_set_rx_mode()`.
    fn dev_addr_list_change(
        &mut self,
        dev: DevId,
        kind: AddrListKind,
        addr: HwAddr,
        global: bool,
        add: bool,
    ) -> KResult<()> {
        if add {
            self.hw_addr_add(dev, kind, addr, global, false, 0)?;
        } else {
            self.hw_addr_del(dev, kind, addr, global, false)?;
        }
        self.dev_set_rx_mode(dev);
        Ok(())
    }

    /// `dev_uc_add()`.
    pub fn dev_uc_add(&mut self, dev: DevId, addr: HwAddr) -> KResult<()> {
        self.dev_addr_list_change(dev, AddrListKind::Unicast, addr, false, true)
    }

    /// `dev_uc_del()`.
    pub fn dev_uc_del(&mut self, dev: DevId, addr: HwAddr) -> KResult<()> {
        self.dev_addr_list_change(dev, AddrListKind::Unicast, addr, false, false)
    }

    /// `dev_mc_add()` (a protocol's reference).
    pub fn dev_mc_add(&mut self, dev: DevId, addr: HwAddr) -> KResult<()> {
        self.dev_addr_list_change(dev, AddrListKind::Multicast, addr, false, true)
    }

    /// `dev_mc_del()`.
    pub fn dev_mc_del(&mut self, dev: DevId, addr: HwAddr) -> KResult<()> {
        self.dev_addr_list_change(dev, AddrListKind::Multicast, addr, false, false)
    }

    /// `dev_mc_add_global()`: `ip maddress add` (SIOCADDMULTI).
    pub fn dev_mc_add_global(&mut self, dev: DevId, addr: HwAddr) -> KResult<()> {
        self.dev_addr_list_change(dev, AddrListKind::Multicast, addr, true, true)
    }

    /// `dev_mc_del_global()`: `ip maddress del`.
    pub fn dev_mc_del_global(&mut self, dev: DevId, addr: HwAddr) -> KResult<()> {
        self.dev_addr_list_change(dev, AddrListKind::Multicast, addr, true, false)
    }

    /// `__dev_set_rx_mode()`: nothing while the device is down (`dev_open`
    /// calls it again), then the driver's `ndo_set_rx_mode`, where uppers
    /// push their lists to their lowers. Not modelled: the promiscuity a
    /// device without IFF_UNICAST_FLT takes while its unicast list is not
    /// empty (`uc_promisc`); no modelled path fills such a list.
    pub(crate) fn dev_set_rx_mode(&mut self, dev: DevId) {
        if self.dev(dev).flags & crate::consts::IFF_UP == 0 {
            return;
        }
        if let Some(op) = self.dev(dev).driver.ops().netdev_ops.ndo_set_rx_mode {
            op(self, dev);
        }
    }

    /// The entries of one of `from`'s lists.
    fn addr_list_entries(&self, from: DevId, kind: AddrListKind) -> Vec<HwAddrEntry> {
        let lists = &self.dev(from).addr_lists;
        match kind {
            AddrListKind::Unicast => lists.uc.clone(),
            AddrListKind::Multicast => lists.mc.clone(),
        }
    }

    /// `__hw_addr_sync_one()`: pushes `e` to `to`; `from`'s entry counts
    /// the push unless `to` had it synced already (-EEXIST).
    fn hw_addr_sync_one(
        &mut self,
        to: DevId,
        from: DevId,
        kind: AddrListKind,
        e: &HwAddrEntry,
    ) -> KResult<()> {
        match self.hw_addr_add(to, kind, e.addr, false, true, e.sync_cnt) {
            Err(err) if err.errno == Errno::EEXIST => return Ok(()),
            Err(err) => return Err(err),
            Ok(()) => {}
        }
        if let Some(x) = self
            .lists_mut(from)
            .list(kind)
            .iter_mut()
            .find(|x| x.addr == e.addr)
        {
            x.sync_cnt += 1;
            x.refcount += 1;
        }
        Ok(())
    }

    /// `__hw_addr_sync()` of one list from `from` (an upper) to its one
    /// lower `to`: push what was never pushed; take back what only the
    /// push still holds (the owner deleted it).
    fn hw_addr_sync(&mut self, to: DevId, from: DevId, kind: AddrListKind) -> KResult<()> {
        for e in self.addr_list_entries(from, kind) {
            if e.sync_cnt == 0 {
                self.hw_addr_sync_one(to, from, kind, &e)?;
            } else if e.refcount == 1 {
                // void in the kernel: a lower without the entry is skipped.
                let _ = self.hw_addr_unsync_one(to, from, kind, &e);
            }
        }
        Ok(())
    }

    /// `__hw_addr_sync_multiple()`: the same for an upper with several
    /// lowers; an entry whose references are all pushes is taken back,
    /// every other one is pushed to `to` if `to` lacks it.
    fn hw_addr_sync_multiple(&mut self, to: DevId, from: DevId, kind: AddrListKind) -> KResult<()> {
        for e in self.addr_list_entries(from, kind) {
            if e.sync_cnt == e.refcount {
                let _ = self.hw_addr_unsync_one(to, from, kind, &e);
            } else {
                self.hw_addr_sync_one(to, from, kind, &e)?;
            }
        }
        Ok(())
    }

    fn hw_addr_unsync_one(
        &mut self,
        to: DevId,
        from: DevId,
        kind: AddrListKind,
        e: &HwAddrEntry,
    ) -> KResult<()> {
        self.hw_addr_del(to, kind, e.addr, false, true)?;
        // The "from" entry loses its sync reference and with it the last one.
        let list = self.lists_mut(from).list(kind);
        if let Some(i) = list.iter().position(|x| x.addr == e.addr) {
            list[i].sync_cnt -= 1;
            list[i].refcount -= 1;
            if list[i].refcount == 0 {
                list.remove(i);
            }
        }
        Ok(())
    }

    /// `dev_uc_sync(to, from)`.
    pub fn dev_uc_sync(&mut self, to: DevId, from: DevId) -> KResult<()> {
        self.hw_addr_sync(to, from, AddrListKind::Unicast)?;
        self.dev_set_rx_mode(to);
        Ok(())
    }

    /// `dev_mc_sync(to, from)`.
    pub fn dev_mc_sync(&mut self, to: DevId, from: DevId) -> KResult<()> {
        self.hw_addr_sync(to, from, AddrListKind::Multicast)?;
        self.dev_set_rx_mode(to);
        Ok(())
    }

    /// `dev_uc_sync_multiple(to, from)`.
    pub fn dev_uc_sync_multiple(&mut self, to: DevId, from: DevId) -> KResult<()> {
        self.hw_addr_sync_multiple(to, from, AddrListKind::Unicast)?;
        self.dev_set_rx_mode(to);
        Ok(())
    }

    /// `dev_mc_sync_multiple(to, from)`.
    pub fn dev_mc_sync_multiple(&mut self, to: DevId, from: DevId) -> KResult<()> {
        self.hw_addr_sync_multiple(to, from, AddrListKind::Multicast)?;
        self.dev_set_rx_mode(to);
        Ok(())
    }

    /// `dev_uc_unsync`/`dev_mc_unsync(to, from)`: take back everything
    /// `from` pushed to `to`.
    pub fn dev_addr_unsync(&mut self, to: DevId, from: DevId) {
        for kind in [AddrListKind::Unicast, AddrListKind::Multicast] {
            for e in self
                .addr_list_entries(from, kind)
                .into_iter()
                .filter(|e| e.sync_cnt > 0)
            {
                let _ = self.hw_addr_unsync_one(to, from, kind, &e);
            }
        }
        self.dev_set_rx_mode(to);
    }

    /// The link address an IP group maps to on this device, by its type.
    /// IPv6 groups below link-local scope get no link address
    /// (`igmp6_group_added`).
    pub fn ip_mc_map(&self, dev: DevId, group: IpAddr) -> Option<HwAddr> {
        let d = self.dev(dev);
        match group {
            IpAddr::V4(g) => arp_mc_map(g, d.dev_type, &d.broadcast, false),
            IpAddr::V6(g) if g.octets()[1] & 0x0f < 2 => None,
            IpAddr::V6(g) => ndisc_mc_map(g, d.dev_type, &d.broadcast, false),
        }
    }

    /// `ip_mc_inc_group()` / `ipv6_dev_mc_inc()`: a socket joins `group`.
    pub fn ip_mc_join(&mut self, dev: DevId, group: IpAddr) -> KResult<()> {
        if !group.is_multicast() {
            return Err(KError::new(Errno::EINVAL));
        }
        let lists = self.lists_mut(dev);
        if let Some(g) = lists.groups.iter_mut().find(|g| g.0 == group) {
            g.1 += 1;
            return Ok(());
        }
        lists.groups.push((group, 1));
        if let Some(addr) = self.ip_mc_map(dev, group) {
            self.dev_mc_add(dev, addr)?;
        }
        Ok(())
    }

    /// `ip_mc_dec_group()`: the last user leaves.
    pub fn ip_mc_leave(&mut self, dev: DevId, group: IpAddr) -> KResult<()> {
        let lists = self.lists_mut(dev);
        let Some(i) = lists.groups.iter().position(|g| g.0 == group) else {
            return Err(KError::new(Errno::EADDRNOTAVAIL));
        };
        lists.groups[i].1 -= 1;
        if lists.groups[i].1 > 0 {
            return Ok(());
        }
        lists.groups.remove(i);
        if let Some(addr) = self.ip_mc_map(dev, group) {
            self.dev_mc_del(dev, addr)?;
        }
        Ok(())
    }

    /// `ip_mc_unmap()` / `ipv6_mc_unmap()` on NETDEV_PRE_TYPE_CHANGE: drop
    /// the link addresses computed for the old type.
    pub(crate) fn ip_mc_unmap(&mut self, dev: DevId) {
        for (group, _) in self.dev_addr_lists(dev).groups {
            if let Some(addr) = self.ip_mc_map(dev, group) {
                let _ = self.dev_mc_del(dev, addr);
            }
        }
    }

    /// `ip_mc_remap()` / `ipv6_mc_remap()` on NETDEV_POST_TYPE_CHANGE:
    /// recompute them for the new type.
    pub(crate) fn ip_mc_remap(&mut self, dev: DevId) {
        for (group, _) in self.dev_addr_lists(dev).groups {
            if let Some(addr) = self.ip_mc_map(dev, group) {
                let _ = self.dev_mc_add(dev, addr);
            }
        }
    }

    /// A device changes link type (bonding's `bond_setup_by_slave`):
    /// PRE_TYPE_CHANGE (unmap; may veto), the new type, address length and
    /// broadcast, POST_TYPE_CHANGE (remap).
    pub fn dev_change_type(&mut self, dev: DevId, dev_type: u16, broadcast: HwAddr) -> KResult<()> {
        // The new address length is the broadcast's; it must be the type's.
        if crate::invariants::link_addr_len(dev_type).is_some_and(|n| n != broadcast.len()) {
            return Err(KError::new(Errno::EINVAL));
        }
        self.call_netdevice_notifiers(crate::notifier::NetdevEvent::PreTypeChange, dev)?;
        self.ip_mc_unmap(dev);
        // The link-level lists are flushed: their addresses have the old length.
        {
            let d = self.dev_mut(dev);
            d.addr_lists.uc.clear();
            d.addr_lists.mc.clear();
            d.dev_type = dev_type;
            d.broadcast = broadcast;
            d.dev_addr = HwAddr::zeroed(broadcast.len());
        }
        self.ip_mc_remap(dev);
        let _ = self.call_netdevice_notifiers(crate::notifier::NetdevEvent::PostTypeChange, dev);
        Ok(())
    }

    /// Called at unregister: the lists go with the device (`dev_uc_flush`,
    /// `dev_mc_flush`).
    pub(crate) fn dev_addr_flush(&mut self, dev: DevId) {
        self.dev_mut(dev).addr_lists = DevAddrLists::default().into();
    }
}

/// `IPV6_MIN_MTU`.
pub const IPV6_MIN_MTU: u32 = 1280;
/// `IGMP_ALL_HOSTS`, joined while an IPv4 device is up (`ip_mc_up`).
pub const IGMP_ALL_HOSTS: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(224, 0, 0, 1));
/// Joined by `ipv6_add_dev`: interface-local, then link-local all-nodes.
pub const IPV6_ALL_NODES: [IpAddr; 2] = [
    IpAddr::V6(std::net::Ipv6Addr::new(0xff01, 0, 0, 0, 0, 0, 0, 1)),
    IpAddr::V6(std::net::Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1)),
];
