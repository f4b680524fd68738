//! Loading saved state: rebuild the derived indexes (name hash, altnames,
//! ifindex table) from the devices, and check every invariant a corrupt or
//! hand-edited file could break, so a bad file is rejected, never trusted.

use crate::consts::RegState;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;

impl Kernel {
    /// State files written before `gflags` existed kept IFF_PROMISC and
    /// IFF_ALLMULTI out of `flags` (a bridge port's counts without the
    /// bits): the bits follow the counters, as `__dev_set_promiscuity`
    /// keeps them.
    fn upgrade_promisc_flags(&mut self) {
        let ids: Vec<DevId> = self.tables.devs.iter::<DevId>().map(|(id, _)| id).collect();
        for id in ids {
            let d = self.dev_mut(id);
            if d.gflags == 0 {
                use crate::consts::{IFF_ALLMULTI, IFF_PROMISC};
                if d.promiscuity > 0 {
                    d.flags |= IFF_PROMISC;
                }
                if d.allmulti > 0 {
                    d.flags |= IFF_ALLMULTI;
                }
            }
        }
    }

    /// Rebuilds indexes after deserialising; `Err` names the first broken
    /// invariant (the state is then unusable and must not be saved).
    pub fn rebuild_after_load(&mut self) -> Result<(), String> {
        if !self.tables.devs.is_consistent() || !self.tables.nets.is_consistent() {
            return Err("slab free lists are inconsistent".into());
        }
        if !self.net_exists(self.tables.init_net) {
            return Err("init_net is missing".into());
        }
        let nets: Vec<NetId> = self.nets();
        for &n in &nets {
            let net = self.net_mut(n);
            net.names.clear();
            net.altnames.clear();
            net.by_index.clear();
        }
        self.upgrade_promisc_flags();
        let devs: Vec<(DevId, NetId, RegState)> = self
            .tables
            .devs
            .iter::<DevId>()
            .map(|(id, d)| (id, d.net, d.reg_state))
            .collect();
        for (id, net, state) in devs {
            let d = self.dev(id);
            if d.id != id {
                return Err(format!("device {} has a mismatched id", d.name));
            }
            if state != RegState::Registered {
                continue;
            }
            if !self.net_exists(net) {
                return Err(format!(
                    "device {} is in a namespace that does not exist",
                    d.name
                ));
            }
            if !crate::name::dev_valid_name(d.name.as_str()) || d.ifindex == 0 {
                return Err(format!(
                    "device {:?} has an invalid name or ifindex",
                    d.name
                ));
            }
            for link in d.master.iter().chain(d.lowers.iter()) {
                if self.try_dev(*link).is_none() {
                    return Err(format!("device {} links to a missing device", d.name));
                }
            }
            if let Some(p) = d.driver.veth_peer() {
                if self.try_dev(p).is_none() {
                    return Err(format!("veth {} has a missing peer", d.name));
                }
            }
            let (name, ifindex, alts) = (d.name, d.ifindex, d.altnames.clone());
            let n = self.net_mut(net);
            if n.names.insert(name, id).is_some() || n.by_index.insert(ifindex, id).is_some() {
                return Err(format!("duplicate name or ifindex for {name}"));
            }
            for a in alts {
                if n.altnames.insert(a, id).is_some() {
                    return Err(format!("duplicate altname on {name}"));
                }
            }
        }
        // Earlier state files kept the inet6_dev's existence with the
        // address lists.
        let ids: Vec<DevId> = self.tables.devs.iter::<DevId>().map(|(id, _)| id).collect();
        for id in ids {
            let d = self.dev_mut(id);
            if std::mem::take(&mut d.addr_lists.legacy_ipv6) {
                d.inet.v6 = true;
            }
        }
        // Earlier state files kept stale linkwatch entries (and an urgent
        // list, now ignored): keep each live pending device once.
        let devs = &self.tables.devs;
        let mut seen = std::collections::BTreeSet::new();
        let live = |d: &DevId| devs.get(*d).is_some_and(|x| x.linkwatch_pending) && seen.insert(*d);
        self.deferred.linkwatch_list.retain(live);
        // Everything else the model relies on (the checks below included).
        self.check_invariants()
    }

    /// Only REGISTERED devices are live; UNREGISTERED ones may wait for
    /// references on the todo list. Anything else is a torn state.
    pub(crate) fn check_reg_states(&self) -> Result<(), String> {
        for (id, d) in self.tables.devs.iter::<DevId>() {
            let ok = match d.reg_state {
                RegState::Registered => true,
                RegState::Unregistered => self.tables.todo_list.contains(&id),
                _ => false,
            };
            if !ok {
                return Err(format!("device {} is in state {:?}", d.name, d.reg_state));
            }
        }
        for &d in &self.tables.todo_list {
            if self
                .try_dev(d)
                .is_none_or(|x| x.reg_state != RegState::Unregistered)
            {
                return Err("the unregister todo list names a live or missing device".into());
            }
        }
        Ok(())
    }

    /// Every namespace has its loopback at ifindex 1.
    pub(crate) fn check_loopbacks(&self) -> Result<(), String> {
        for net in self.nets() {
            let lo = self
                .net(net)
                .lookup_index(crate::drivers::loopback::LOOPBACK_IFINDEX);
            let ok = lo.is_some_and(|lo| {
                let d = self.dev(lo);
                d.flags & crate::consts::IFF_LOOPBACK != 0 && d.reg_state == RegState::Registered
            });
            if !ok {
                return Err("a namespace has no loopback at ifindex 1".into());
            }
        }
        Ok(())
    }

    /// Adjacency, veth pairs and bridge ports must agree from both ends.
    pub(crate) fn check_links(&self) -> Result<(), String> {
        for (id, d) in self.tables.devs.iter::<DevId>() {
            if let Some(m) = d.master {
                let back = self.try_dev(m).is_some_and(|m| m.lowers.contains(&id));
                if !back {
                    return Err(format!("{} names a master that does not list it", d.name));
                }
            }
            for &l in &d.lowers {
                if self.try_dev(l).and_then(|l| l.master) != Some(id) {
                    return Err(format!("{} lists a lower that has another master", d.name));
                }
            }
            if let Some(p) = d.driver.veth_peer() {
                if self.try_dev(p).and_then(|p| p.driver.veth_peer()) != Some(id) {
                    return Err(format!("veth {} and its peer disagree", d.name));
                }
            }
            if d.rx_handler == Some(crate::netdev::RxHandler::BridgePort) {
                let in_bridge = d
                    .master
                    .and_then(|m| self.try_dev(m))
                    .and_then(|m| m.driver.bridge())
                    .is_some_and(|b| b.ports.iter().any(|p| p.dev == id));
                if !in_bridge {
                    return Err(format!("bridge port {} is not in its bridge", d.name));
                }
            }
            self.ipoib_check_links(id)?;
            if let Some(b) = d.driver.bridge() {
                for p in &b.ports {
                    let ok = self.try_dev(p.dev).is_some_and(|x| {
                        x.master == Some(id)
                            && x.rx_handler == Some(crate::netdev::RxHandler::BridgePort)
                    });
                    if !ok {
                        return Err(format!(
                            "bridge {} lists a port that is not its own",
                            d.name
                        ));
                    }
                }
                if b.ports.len() != d.lowers.len() {
                    return Err(format!("bridge {} ports and lowers disagree", d.name));
                }
            }
        }
        Ok(())
    }

    /// Queues and tables that name devices must name live ones.
    pub(crate) fn check_queues(&self) -> Result<(), String> {
        if !crate::invariants::all_unique(self.world.segments.iter().map(|s| &s.name)) {
            return Err("two segments have the same name".into());
        }
        for seg in &self.world.segments {
            if !crate::invariants::all_unique(&seg.members) {
                return Err("a segment lists a NIC twice".into());
            }
            let types = seg
                .members
                .iter()
                .filter_map(|&m| self.try_dev(m).map(|d| d.dev_type));
            if types.collect::<std::collections::BTreeSet<_>>().len() > 1 {
                return Err("a segment carries two link types".into());
            }
            for &m in &seg.members {
                let on_it = |d: &crate::netdev::NetDevice| {
                    d.driver.nic_segment() == Some(seg.name.as_str())
                };
                if self.try_dev(m).is_none_or(|d| !on_it(d)) {
                    return Err("a segment lists a device that is not a NIC".into());
                }
            }
        }
        for hw in self.world.hw.devices.values() {
            if let Some(d) = hw.netdev {
                if self.try_dev(d).is_none() {
                    return Err("a bus device names a missing netdev".into());
                }
            }
        }
        if self
            .tables
            .rtnl_link_initializing
            .iter()
            .any(|&d| self.try_dev(d).is_none())
        {
            return Err("a half-created device is missing".into());
        }
        Ok(())
    }
}
