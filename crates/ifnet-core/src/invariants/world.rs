//! The invariants of what links devices (adjacency, bridges, failover, the
//! hardware bus) and of the queues (work, linkwatch, datapath,
//! observation). See `invariants.rs`.

use super::all_unique;
use crate::adjacency::MAX_NEST_DEV;
use crate::consts::*;
use crate::drivers::bridge::BridgePriv;
use crate::hw::HwSpec;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::{NetDevice, RxHandler};
use crate::time::Duration;
use crate::workqueue::{Work, MAX_SEQ};

/// The longest `br->ageing_time` IFLA_BR_AGEING_TIME can carry (a u32 of
/// clock_t ticks).
pub const MAX_AGEING_TIME: Duration = Duration::from_nanos(u32::MAX as u64 * 10_000_000);

impl Kernel {
    pub(super) fn registered(&self, id: DevId) -> Option<&NetDevice> {
        self.try_dev(id)
            .filter(|d| d.reg_state == RegState::Registered)
    }

    /// Upper/lower links: a master is a live device of a kind that can be
    /// an upper (bridge, net_failover, netvsc) in the same namespace (a
    /// netvsc's VF may be in another one: a namespace move keeps the
    /// adjacency, and the VF follows later or never); lowers are
    /// unique; master chains are acyclic and at most MAX_NEST_DEV deep.
    pub(super) fn check_adjacency(&self) -> Result<(), String> {
        for (id, d) in self.tables.devs.iter::<DevId>() {
            if !all_unique(&d.lowers) {
                return Err(format!("{} lists a lower twice", d.name));
            }
            let Some(m) = d.master else {
                if matches!(
                    d.rx_handler,
                    Some(
                        RxHandler::BridgePort
                            | RxHandler::Failover
                            | RxHandler::Netvsc
                            | RxHandler::Bond
                    )
                ) {
                    return Err(format!("{} has a port rx_handler but no master", d.name));
                }
                continue;
            };
            let Some(md) = self.try_dev(m) else {
                return Err(format!("device {} links to a missing device", d.name));
            };
            let netvsc = md.driver.netvsc().is_some();
            let bond = md.driver.bond().is_some();
            if !md.driver.is_bridge() && md.driver.net_failover().is_none() && !netvsc && !bond {
                return Err(format!(
                    "{} has master {}, a device that cannot be an upper",
                    d.name, md.name
                ));
            }
            if (md.net != d.net && !netvsc) || md.reg_state != d.reg_state || m == id {
                return Err(format!("{} and its master {} disagree", d.name, md.name));
            }
            let want = if md.driver.is_bridge() {
                RxHandler::BridgePort
            } else if netvsc {
                RxHandler::Netvsc
            } else if bond {
                RxHandler::Bond
            } else {
                RxHandler::Failover
            };
            if d.rx_handler != Some(want) {
                return Err(format!(
                    "{} is a lower without its master's rx_handler",
                    d.name
                ));
            }
            let mut cur = Some(m);
            for _ in 0..MAX_NEST_DEV {
                cur = cur.and_then(|c| self.try_dev(c)).and_then(|c| c.master);
            }
            if cur.is_some() {
                return Err(format!(
                    "the master chain of {} is a loop or too deep",
                    d.name
                ));
            }
        }
        Ok(())
    }

    /// Bridges: ports and port numbers unique, timers on the clock, fdb
    /// entries local (no port) or learned on one of this bridge's ports.
    pub(super) fn check_bridges(&self) -> Result<(), String> {
        for (id, d) in self.tables.devs.iter::<DevId>() {
            if let Some(b) = d.driver.bridge() {
                self.check_bridge(id, d, b)?;
            }
        }
        Ok(())
    }

    fn check_bridge(&self, _id: DevId, d: &NetDevice, b: &BridgePriv) -> Result<(), String> {
        let max = crate::drivers::bridge::BR_MAX_PORTS;
        let nos_ok = b.ports.iter().all(|p| (1..max).contains(&p.port_no));
        if !all_unique(b.ports.iter().map(|p| p.dev))
            || !all_unique(b.ports.iter().map(|p| p.port_no))
            || !nos_ok
        {
            return Err(format!("bridge {} has duplicate or invalid ports", d.name));
        }
        let timers_ok = b.timer_seq < MAX_SEQ
            && b.gc_armed.is_none_or(|t| t.is_valid())
            && b.ageing_time <= MAX_AGEING_TIME
            && b.ports.iter().all(|p| {
                p.fwd_delay_seq <= b.timer_seq && p.fwd_delay_due.is_none_or(|t| t.is_valid())
            });
        if !timers_ok {
            return Err(format!("bridge {} has a timer out of range", d.name));
        }
        let fdb_max = crate::drivers::bridge_fdb::FDB_MAX_LEARNED + b.ports.len() + 1;
        if b.fdb.len() > fdb_max {
            return Err(format!("bridge {} has too many fdb entries", d.name));
        }
        for e in b.fdb.values() {
            let port_ok = match e.port {
                None => e.is_local,
                Some(p) => !e.is_local && b.ports.iter().any(|x| x.dev == p),
            };
            if !port_ok {
                return Err(format!(
                    "bridge {} has an fdb entry on a port it does not have",
                    d.name
                ));
            }
            if e.updated > self.now {
                return Err(format!(
                    "bridge {} has an fdb entry from the future",
                    d.name
                ));
            }
        }
        Ok(())
    }

    /// Failover: each instance names a registered net_failover master
    /// once; a master's slaves are its lowers, distinct, and the instance
    /// `failover_get_bymac` finds for them is theirs.
    pub(super) fn check_failover(&self) -> Result<(), String> {
        if !all_unique(self.modules.failovers.iter().map(|f| f.master)) {
            return Err("a failover master is registered twice".into());
        }
        for f in &self.modules.failovers {
            let ok = self
                .registered(f.master)
                .is_some_and(|m| m.driver.net_failover().is_some());
            if !ok {
                return Err(
                    "a failover instance names a device that is not a live net_failover master"
                        .into(),
                );
            }
        }
        for (id, d) in self.tables.devs.iter::<DevId>() {
            let Some(p) = d.driver.net_failover() else {
                continue;
            };
            let slaves: Vec<DevId> = [p.primary, p.standby].into_iter().flatten().collect();
            let mut lowers = d.lowers.clone();
            lowers.sort();
            let mut sorted = slaves.clone();
            sorted.sort();
            if lowers != sorted || !all_unique(&slaves) {
                return Err(format!(
                    "net_failover {} slaves and lowers disagree",
                    d.name
                ));
            }
            for s in slaves {
                let by_mac = self.try_dev(s).and_then(|s| {
                    self.modules.failovers.iter().find(|f| {
                        self.try_dev(f.master)
                            .is_some_and(|m| m.perm_addr == s.perm_addr)
                    })
                });
                if by_mac.map(|f| f.master) != Some(id) {
                    return Err(format!(
                        "a slave of net_failover {} matches another failover instance",
                        d.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// The hardware bus: valid bus ids; each netdev is a registered NIC of
    /// the kind the spec names, parented on that bus id, named by one bus
    /// device only; a standby's failover master is a live instance.
    pub(super) fn check_hw(&self) -> Result<(), String> {
        let netdevs = self.world.hw.devices.values().filter_map(|h| h.netdev);
        if !all_unique(netdevs) {
            return Err("two bus devices name the same netdev".into());
        }
        for (bus, hw) in &self.world.hw.devices {
            if !crate::hw::valid_bus_id(bus) || !hw.spec.addr_valid() {
                return Err(format!("bus device {bus:?} has an invalid id or MAC"));
            }
            let standby = matches!(hw.spec, HwSpec::VirtioNet { standby: true, .. });
            if let Some(dev) = hw.netdev {
                let Some(d) = self.try_dev(dev) else {
                    return Err("a bus device names a missing netdev".into());
                };
                let virtio = matches!(hw.spec, HwSpec::VirtioNet { .. });
                let kind_ok = match hw.spec {
                    HwSpec::Netvsc { .. } => d.driver.netvsc().is_some(),
                    HwSpec::HvVf { serial, .. } => d.driver.pci_slot() == Some(serial),
                    HwSpec::Ipoib { .. } => d.driver.ipoib().is_some_and(|p| p.parent.is_none()),
                    _ => {
                        d.driver.nic_virtio_standby() == Some((virtio, standby))
                            && d.driver.pci_slot().is_none()
                    }
                };
                let parent_ok = d.parent.as_deref() == Some(bus.as_str());
                if !kind_ok || !parent_ok || d.reg_state != RegState::Registered {
                    return Err(format!(
                        "bus device {bus} names {}, which is not its registered NIC",
                        d.name
                    ));
                }
            }
            let master_ok = match hw.failover_master {
                None => !standby,
                Some(m) => standby && self.modules.failovers.iter().any(|f| f.master == m),
            };
            if !master_ok {
                return Err(format!("bus device {bus} has a wrong failover master"));
            }
        }
        for (id, d) in self.tables.devs.iter::<DevId>() {
            if d.driver.nic_segment().is_some() && d.reg_state == RegState::Registered {
                let bus = d
                    .parent
                    .as_ref()
                    .and_then(|p| self.world.hw.devices.get(&**p));
                if bus.and_then(|h| h.netdev) != Some(id) {
                    return Err(format!("NIC {} is on no bus device", d.name));
                }
            }
        }
        Ok(())
    }

    /// The work queue: each kind at most once per target, in seq order,
    /// each bridge item
    /// for a registered bridge (so at most 2 + 2 per bridge items), due
    /// times on the clock, sequence numbers unique; frames in flight and
    /// pending linkwatch events have their work queued.
    pub(super) fn check_work(&self) -> Result<(), String> {
        // A saved list the queue's map could not hold as it was: a seq
        // repeated, or the list not in queueing (seq) order.
        if let Some(defect) = self.deferred.workqueue.index.load_defect {
            return Err(defect.into());
        }
        let items = self.deferred.workqueue.items();
        if !all_unique(items.map(|i| work_key(i.work))) {
            return Err("the work queue holds an item twice".into());
        }
        let mut targeted = 0;
        let items = self.deferred.workqueue.items();
        let len = items.len();
        for i in items {
            if !i.due.is_valid() || i.seq > self.deferred.workqueue.last_seq() {
                return Err("a work item is due out of range".into());
            }
            match i.work {
                Work::BridgeFdbGc(br) | Work::BridgeFwdDelay(br) => {
                    targeted += 1;
                    if self.registered(br).is_none_or(|d| !d.driver.is_bridge()) {
                        return Err("a work item names a device that is not a live bridge".into());
                    }
                }
                Work::AddrconfDad(d) => {
                    targeted += 1;
                    if self.registered(d).is_none() {
                        return Err("DAD work is queued for a missing device".into());
                    }
                }
                Work::NetvscVfTakeover(d) | Work::NetvscVfns(d) => {
                    targeted += 1;
                    if self
                        .registered(d)
                        .is_none_or(|x| x.driver.netvsc().is_none())
                    {
                        return Err(
                            "netvsc work is queued for a device that is not a netvsc".into()
                        );
                    }
                }
                Work::BondMii(d) | Work::BondMcast(d) => {
                    targeted += 1;
                    if self.registered(d).is_none_or(|x| x.driver.bond().is_none()) {
                        return Err("bond work is queued for a device that is not a bond".into());
                    }
                }
                Work::IpoibMcastJoin(d) => {
                    targeted += 1;
                    if self
                        .registered(d)
                        .is_none_or(|x| x.driver.ipoib().is_none())
                    {
                        return Err("an IPoIB join is queued for a device that is not IPoIB".into());
                    }
                }
                Work::InetCheckLifetime(n) | Work::AddrconfVerify(n) => {
                    targeted += 1;
                    if !self.net_exists(n) {
                        return Err("address lifetime work names a missing namespace".into());
                    }
                }
                Work::Linkwatch | Work::WireDelivery => {}
            }
        }
        if len - targeted > 2 {
            return Err("the work queue is longer than its targets allow".into());
        }
        if !self.world.delayed_frames.is_empty()
            && self.deferred.workqueue.due_of(Work::WireDelivery).is_none()
        {
            return Err("frames are in flight with no delivery queued".into());
        }
        Ok(())
    }

    /// Linkwatch: the list is `lweventlist` exactly — each pending device,
    /// registered, once, and nothing else — and the linkwatch work is
    /// queued while any is.
    pub(super) fn check_linkwatch(&self) -> Result<(), String> {
        let listed: std::collections::BTreeSet<DevId> =
            self.deferred.linkwatch_list.iter().copied().collect();
        if listed.len() != self.deferred.linkwatch_list.len() {
            return Err("a device is on the linkwatch list twice".into());
        }
        let mut pending = 0;
        for (id, d) in self.tables.devs.iter::<DevId>() {
            if !d.linkwatch_pending {
                continue;
            }
            pending += 1;
            if d.reg_state != RegState::Registered || !listed.contains(&id) {
                return Err(format!("{} has a linkwatch event on no list", d.name));
            }
        }
        if pending != listed.len() {
            return Err("the linkwatch list holds a device with no pending event".into());
        }
        if pending > 0 && self.deferred.workqueue.due_of(Work::Linkwatch).is_none() {
            return Err("linkwatch events are pending with no work queued".into());
        }
        Ok(())
    }

    /// Frames in flight, captures and faults: bounded, on the clock, and a
    /// running capture or a fault names a registered device.
    pub(super) fn check_datapath(&self) -> Result<(), String> {
        use crate::datapath::{capture::CAPTURE_BUFFER_FRAMES, segment::DELAYED_FRAMES_MAX};
        if self.world.delayed_frames.len() > DELAYED_FRAMES_MAX
            || self.world.delayed_frames.iter().any(|f| !f.due.is_valid())
        {
            return Err("frames in flight are out of range".into());
        }
        for (&dev, c) in &self.obs.captures {
            if c.frames.len() > CAPTURE_BUFFER_FRAMES
                || (!c.ended && self.registered(dev).is_none())
            {
                return Err("a capture is too long or on a missing device".into());
            }
        }
        for &dev in self.world.veth_faults.keys() {
            if self.registered(dev).is_none() {
                return Err("faults are set on a missing device".into());
            }
        }
        Ok(())
    }

    /// Observation buffers (rings, kernel log) and the notifier chain.
    pub(super) fn check_observation(&self) -> Result<(), String> {
        use crate::kernel::{LOG_CAPACITY, MCAST_RING_CAPACITY, UEVENT_RING_CAPACITY};
        self.obs.uevents.check(UEVENT_RING_CAPACITY, |u| u.seqnum)?;
        self.obs.mcast.check(MCAST_RING_CAPACITY, |m| m.seq)?;
        if self.obs.log.len() > LOG_CAPACITY {
            return Err("the kernel log is longer than its capacity".into());
        }
        use crate::notifier::Notifier;
        let core = [
            Notifier::Rtnetlink,
            Notifier::Bridge,
            Notifier::Inet,
            Notifier::Failover,
        ];
        // After the core: test vetoes, and hv_netvsc's notifier exactly
        // once while the module is loaded.
        let rest = || self.tables.notifiers.iter().skip(core.len());
        let netvscs = rest().filter(|n| matches!(n, Notifier::Netvsc)).count();
        let bondings = rest().filter(|n| matches!(n, Notifier::Bonding)).count();
        let rest_ok = rest().all(|n| {
            matches!(
                n,
                Notifier::Veto { .. } | Notifier::Netvsc | Notifier::Bonding
            )
        }) && netvscs == usize::from(self.modules.netvsc.loaded)
            && bondings == usize::from(self.modules.bonding);
        if self.tables.notifiers.len() < core.len()
            || self.tables.notifiers[..core.len()] != core
            || !rest_ok
        {
            return Err("the notifier chain is not the model's".into());
        }
        if self.tables.rtnl_link_initializing.len() > 2
            || !all_unique(&self.tables.rtnl_link_initializing)
        {
            return Err("too many half-created devices".into());
        }
        if !all_unique(&self.tables.todo_list) {
            return Err("a device is on the todo list twice".into());
        }
        Ok(())
    }
}

/// A work item's identity (kind and target) as an orderable key.
fn work_key(w: Work) -> (u8, Option<DevId>, Option<crate::ids::NetId>) {
    match w {
        Work::Linkwatch => (0, None, None),
        Work::WireDelivery => (1, None, None),
        Work::BridgeFdbGc(b) => (2, Some(b), None),
        Work::BridgeFwdDelay(b) => (3, Some(b), None),
        Work::AddrconfDad(d) => (4, Some(d), None),
        Work::InetCheckLifetime(n) => (5, None, Some(n)),
        Work::AddrconfVerify(n) => (6, None, Some(n)),
        Work::NetvscVfTakeover(d) => (7, Some(d), None),
        Work::NetvscVfns(d) => (8, Some(d), None),
        Work::BondMii(d) => (9, Some(d), None),
        Work::BondMcast(d) => (10, Some(d), None),
        Work::IpoibMcastJoin(d) => (11, Some(d), None),
    }
}
