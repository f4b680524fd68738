//! `Kernel::check_invariants`: everything the model relies on, checked in
//! one place. `rebuild_after_load` runs it after rebuilding the indexes, so
//! a hostile or corrupt state file is refused with a reason instead of
//! panicking (or looping) later; tests and the explorer run it after every
//! step, so it holds on every state the model produces. It is linear in the
//! state and runs in release builds.
//!
//! This file checks namespaces, counters and devices; `invariants/world.rs`
//! checks what links devices (adjacency, bridges, failover, the hardware
//! bus) and the queues (work, linkwatch, datapath, observation).

mod bonding;
mod inet;
mod netvsc;
mod world;

use crate::consts::*;
use crate::hwaddr::IfName;
use crate::ids::{DevId, NetId};
use crate::kernel::{Kernel, FIRST_NS_INUM, NS_INUM_LIMIT};
use crate::netdev::{NetDevice, RxHandler};
use crate::register::IFINDEX_MAX;
use crate::workqueue::MAX_SEQ;
use std::collections::{BTreeMap, BTreeSet};

/// The address length (`dev->addr_len`) of a link type the model knows;
/// `None` for others (their address is as long as their broadcast).
pub fn link_addr_len(dev_type: u16) -> Option<usize> {
    match dev_type {
        ARPHRD_ETHER | ARPHRD_LOOPBACK => Some(ETH_ALEN),
        ARPHRD_INFINIBAND => Some(INFINIBAND_ALEN),
        ARPHRD_NONE => Some(0),
        _ => None,
    }
}

/// Whether a list has no element twice (no hashing). The first
/// `SMALL_UNIQUE` elements are compared pairwise in an array on the stack —
/// the lists checked are nearly always that short, and an explorer runs the
/// check after every step that changes the kernel —; past it, O(n log n)
/// in a `BTreeSet`.
pub(crate) fn all_unique<T: Ord>(items: impl IntoIterator<Item = T>) -> bool {
    const SMALL_UNIQUE: usize = 16;
    let mut small: [Option<T>; SMALL_UNIQUE] = std::array::from_fn(|_| None);
    let mut n = 0;
    let mut items = items.into_iter();
    for x in items.by_ref() {
        if small[..n].iter().flatten().any(|y| *y == x) {
            return false;
        }
        small[n] = Some(x);
        n += 1;
        if n == SMALL_UNIQUE {
            break;
        }
    }
    if n < SMALL_UNIQUE {
        return true;
    }
    let mut seen: BTreeSet<T> = small.into_iter().flatten().collect();
    items.all(|x| seen.insert(x))
}

impl Kernel {
    /// Checks every invariant the model relies on; `Err` names the first
    /// broken one. Holds on every state the model produces; a state file
    /// that breaks it is refused by `rebuild_after_load`.
    pub fn check_invariants(&self) -> Result<(), String> {
        self.check_counters()?;
        self.check_nets()?;
        self.check_reg_states()?;
        self.check_loopbacks()?;
        self.check_devices()?;
        self.check_name_tables()?;
        self.check_links()?;
        self.check_adjacency()?;
        self.check_bridges()?;
        self.check_failover()?;
        self.check_netvsc()?;
        self.check_bonding()?;
        self.check_queues()?;
        self.check_hw()?;
        self.check_work()?;
        self.check_linkwatch()?;
        self.check_datapath()?;
        self.check_observation()?;
        self.check_parked()?;
        self.check_inet()?;
        Ok(())
    }

    /// Counters that only grow must be far from wrapping, and the clock
    /// within its bound (so `now + delay` never overflows).
    fn check_counters(&self) -> Result<(), String> {
        if !(FIRST_NS_INUM..=NS_INUM_LIMIT).contains(&self.tables.next_ns_inum) {
            return Err("the namespace inode counter is out of range".into());
        }
        if self.tables.next_list_seq >= MAX_SEQ {
            return Err("the device list counter is about to wrap".into());
        }
        if self.deferred.workqueue.last_seq() >= MAX_SEQ {
            return Err("the work queue counter is about to wrap".into());
        }
        if !self.now.is_valid() || !self.deferred.linkwatch_nextevent.is_valid() {
            return Err("the virtual clock is out of range".into());
        }
        Ok(())
    }

    /// Namespaces: slab and ids, nsfs inodes, ifindex cursors, peer ids,
    /// and the names user space gave them.
    fn check_nets(&self) -> Result<(), String> {
        if !self.tables.devs.is_consistent() || !self.tables.nets.is_consistent() {
            return Err("slab free lists are inconsistent".into());
        }
        if !self.net_exists(self.tables.init_net) {
            return Err("init_net is missing".into());
        }
        let mut inums = BTreeSet::new();
        for (id, net) in self.tables.nets.iter::<NetId>() {
            if net.id != id {
                return Err("a namespace has a mismatched id".into());
            }
            if net.inum < FIRST_NS_INUM
                || net.inum >= self.tables.next_ns_inum
                || !inums.insert(net.inum)
            {
                return Err("a namespace has an invalid or duplicate inode number".into());
            }
            if net.dying {
                return Err("a live namespace is marked dying".into());
            }
            // Only mounts hold a namespace in the model: one without any
            // would have died at its last umount.
            if id != self.tables.init_net && net.mounts == 0 {
                return Err("a namespace is held by no mount".into());
            }
            if net.ifindex_cursor > IFINDEX_MAX {
                return Err("a namespace's ifindex cursor is out of range".into());
            }
            // A namespace may hold an id for itself (RTM_NEWNSID allows it).
            for (&peer, &nsid) in &net.peer_ids {
                if !self.net_exists(peer) || !(0..i32::MAX).contains(&nsid) {
                    return Err("a namespace has an invalid peer id".into());
                }
            }
            if !all_unique(net.peer_ids.values()) {
                return Err("a namespace gives two peers the same id".into());
            }
        }
        Ok(())
    }

    /// Per device: identity, names, addresses, MTU, flags, handlers and
    /// address lists.
    fn check_devices(&self) -> Result<(), String> {
        for (id, d) in self.tables.devs.iter::<DevId>() {
            if d.id != id {
                return Err(format!("device {} has a mismatched id", d.name));
            }
            if d.reg_state == RegState::Registered {
                self.check_registered(d)?;
            }
            Self::check_dev_addrs(d)?;
            Self::check_dev_mtu(d)?;
            self.check_dev_flags(id, d)?;
            Self::check_addr_lists(d)?;
        }
        Ok(())
    }

    fn check_registered(&self, d: &NetDevice) -> Result<(), String> {
        if !self.net_exists(d.net) {
            return Err(format!(
                "device {} is in a namespace that does not exist",
                d.name
            ));
        }
        if !crate::name::dev_valid_name(d.name.as_str())
            || d.ifindex == 0
            || d.ifindex > IFINDEX_MAX
        {
            return Err(format!(
                "device {:?} has an invalid name or ifindex",
                d.name
            ));
        }
        let moving = d.moving_ns && self.parked_move_dev() != Some(d.id);
        if d.list_seq > self.tables.next_list_seq || moving {
            return Err(format!("device {} has a torn list position", d.name));
        }
        for a in &d.altnames {
            if a.is_empty() || a.len() >= ALTIFNAMSIZ {
                return Err(format!("device {} has an invalid altname", d.name));
            }
        }
        Ok(())
    }

    /// `dev->addr_len` follows the link type: address and broadcast are
    /// that long (an Ethernet device has a 6-byte MAC, never an empty one).
    fn check_dev_addrs(d: &NetDevice) -> Result<(), String> {
        let want = link_addr_len(d.dev_type).unwrap_or(d.broadcast.len());
        if d.dev_addr.len() != want || d.broadcast.len() != want {
            return Err(format!(
                "device {} has an address whose length does not match its link type",
                d.name
            ));
        }
        Ok(())
    }

    /// `dev_validate_mtu()`'s rule: min_mtu <= mtu <= max_mtu, where
    /// max_mtu 0 means no maximum; and an MTU fits an s32.
    fn check_dev_mtu(d: &NetDevice) -> Result<(), String> {
        if d.max_mtu != 0 && d.min_mtu > d.max_mtu {
            return Err(format!("device {} has min_mtu > max_mtu", d.name));
        }
        let too_big = d.max_mtu != 0 && d.mtu > d.max_mtu;
        if d.mtu < d.min_mtu || too_big || d.mtu > i32::MAX as u32 {
            return Err(format!(
                "device {} has mtu {} outside {}..{}",
                d.name, d.mtu, d.min_mtu, d.max_mtu
            ));
        }
        Ok(())
    }

    /// Flags that mirror driver state must agree with it.
    fn check_dev_flags(&self, id: DevId, d: &NetDevice) -> Result<(), String> {
        let is_lo = d.driver.is_loopback();
        if (d.flags & IFF_LOOPBACK != 0) != is_lo {
            return Err(format!(
                "device {} has IFF_LOOPBACK without being lo",
                d.name
            ));
        }
        // loopback, bridge and net_failover are netns-local (their setup
        // sets it; a moved lo would leave its namespace without ifindex 1).
        let local = is_lo || d.driver.is_bridge() || d.driver.net_failover().is_some();
        if local && !d.netns_immutable {
            return Err(format!("device {} must be netns-local", d.name));
        }
        let lo_index = crate::drivers::loopback::LOOPBACK_IFINDEX;
        if is_lo && d.reg_state == RegState::Registered && d.ifindex != lo_index {
            return Err(format!("loopback {} is not at ifindex 1", d.name));
        }
        Self::check_promisc_allmulti(d)?;
        let flag = |f: u64| d.priv_flags & f != 0;
        if flag(IFF_EBRIDGE) != d.driver.is_bridge() {
            return Err(format!("device {} has IFF_EBRIDGE wrong", d.name));
        }
        if flag(IFF_BRIDGE_PORT) != (d.rx_handler == Some(RxHandler::BridgePort)) {
            return Err(format!("device {} has IFF_BRIDGE_PORT wrong", d.name));
        }
        if flag(IFF_FAILOVER_SLAVE) != (d.rx_handler == Some(RxHandler::Failover)) {
            return Err(format!("device {} has IFF_FAILOVER_SLAVE wrong", d.name));
        }
        if flag(IFF_FAILOVER) != self.modules.failovers.iter().any(|f| f.master == id) {
            return Err(format!("device {} has IFF_FAILOVER wrong", d.name));
        }
        if matches!(d.rx_handler, Some(RxHandler::Bond)) && self.bond_of_slave(id).is_none() {
            return Err(format!(
                "device {} has bonding's rx_handler but no bond",
                d.name
            ));
        }
        Ok(())
    }

    /// `__dev_set_promiscuity` / `netif_set_allmulti`: IFF_PROMISC and
    /// IFF_ALLMULTI in `flags` exactly while their counters are non-zero;
    /// `gflags` holds only those two bits, each backed by one count; the
    /// queue counts are what `rtnl_create_link` allows.
    fn check_promisc_allmulti(d: &NetDevice) -> Result<(), String> {
        for (bit, count, what) in [
            (IFF_PROMISC, d.promiscuity, "promiscuity"),
            (IFF_ALLMULTI, d.allmulti, "allmulti"),
        ] {
            if (d.flags & bit != 0) != (count > 0) {
                return Err(format!(
                    "device {} has {what} and its flag disagreeing",
                    d.name
                ));
            }
            if d.gflags & bit != 0 && count == 0 {
                return Err(format!("device {} asks for {what} without a count", d.name));
            }
        }
        if d.gflags & !(IFF_PROMISC | IFF_ALLMULTI) != 0 {
            return Err(format!(
                "device {} has gflags beyond PROMISC/ALLMULTI",
                d.name
            ));
        }
        let q = 1..=crate::limits::MAX_QUEUES;
        if !q.contains(&d.limits.num_tx_queues) || !q.contains(&d.limits.num_rx_queues) {
            return Err(format!("device {} has an impossible queue count", d.name));
        }
        Ok(())
    }

    /// Address lists: entries of the device's address length, unique, with
    /// references that can be dropped (and one more taken) without wrapping.
    fn check_addr_lists(d: &NetDevice) -> Result<(), String> {
        let l = &d.addr_lists;
        for list in [&l.uc, &l.mc] {
            if list.len() > crate::datapath::addrlist::ADDR_LIST_MAX {
                return Err(format!("device {} has too many list addresses", d.name));
            }
            if !all_unique(list.iter().map(|e| e.addr.as_bytes())) {
                return Err(format!("device {} lists an address twice", d.name));
            }
            for e in list {
                let counts_ok = e.refcount >= 1
                    && e.refcount < u32::MAX
                    && e.synced <= e.refcount
                    && e.sync_cnt <= e.refcount;
                if e.addr.is_empty() || e.addr.len() != d.dev_addr.len() || !counts_ok {
                    return Err(format!("device {} has an invalid list address", d.name));
                }
            }
        }
        let groups_ok = l
            .groups
            .iter()
            .all(|(g, n)| g.is_multicast() && *n >= 1 && *n < u32::MAX);
        if !groups_ok || !all_unique(l.groups.iter().map(|g| g.0)) {
            return Err(format!("device {} has an invalid multicast group", d.name));
        }
        Ok(())
    }

    /// The name hash, altnames and ifindex table hold exactly the
    /// registered devices; names and altnames share one hash per
    /// namespace (`netdev_name_in_use`), so no altname equals a name.
    fn check_name_tables(&self) -> Result<(), String> {
        let mut counts: BTreeMap<NetId, (usize, usize)> = BTreeMap::new();
        for (id, d) in self.tables.devs.iter::<DevId>() {
            // A device parked in a window is unlisted (`check_parked`).
            if d.reg_state != RegState::Registered || self.parked_dev() == Some(id) {
                continue;
            }
            let n = self.net(d.net);
            let c = counts.entry(d.net).or_default();
            c.0 += 1;
            c.1 += d.altnames.len();
            if n.names.get(&d.name) != Some(&id) || n.lookup_index(d.ifindex) != Some(id) {
                return Err(format!("device {} is missing from its name tables", d.name));
            }
            if n.altnames.contains_key(d.name.as_str()) {
                return Err(format!("the name {} is also an altname", d.name));
            }
            for a in &d.altnames {
                let clash = IfName::new(a).is_some_and(|x| n.names.contains_key(&x));
                if n.altnames.get(a) != Some(&id) || clash {
                    return Err(format!(
                        "altname {a:?} of {} is another name in its namespace",
                        d.name
                    ));
                }
            }
        }
        for (id, n) in self.tables.nets.iter::<NetId>() {
            let (devs, alts) = counts.get(&id).copied().unwrap_or_default();
            if n.names.len() != devs || n.by_index.len() != devs || n.altnames.len() != alts {
                return Err("a namespace's name tables hold stale entries".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod all_unique_tests {
    use super::all_unique;

    /// Against the plain definition, for lists shorter and longer than the
    /// stack array, with the duplicate on either side of its end.
    #[test]
    fn agrees_with_the_definition() {
        for len in 0..40u32 {
            let v: Vec<u32> = (0..len).collect();
            assert!(all_unique(&v), "{len}");
            for i in 0..len as usize {
                for j in (i + 1)..len as usize {
                    let mut w = v.clone();
                    w[j] = w[i];
                    assert!(!all_unique(&w), "{len}: {i} {j}");
                }
            }
        }
    }
}
