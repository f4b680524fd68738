//! `Kernel`: the single owner of all model state (DESIGN.md rule 1).
//!
//! Every method that holds RTNL in Linux takes `&mut self`. This file holds
//! the struct, its constructor, lookups, the virtual clock and the
//! namespaces user space holds by bind mounts (their names, under
//! /var/run/netns, are user space's: the CLI keeps them).
//!
//! A clone is cheap and its cost follows the devices, not the history:
//! observation buffers are shared chunks (`chunked.rs`) and what rarely
//! changes is copy-on-write (`shared.rs`). `Kernel::fingerprint`
//! (`fingerprint.rs`) tells states apart.

use crate::errno::{Errno, KError, KResult};
use crate::events::{McastMessage, Ring, Uevent};
use crate::ids::{DevId, NetId, Slab};
use crate::net::Net;
use crate::netdev::NetDevice;
use crate::notifier::Notifier;
use crate::profile::KernelProfile;
use crate::shared::Shared;
use crate::time::Instant;
use parts::{Deferred, DevTables, HwWorld, InFlight, Modules, Observation};
use serde::{Deserialize, Serialize};

pub(crate) mod parts;
use std::collections::BTreeMap;

/// Capacity of the rtnetlink multicast ring kept for listeners.
pub const MCAST_RING_CAPACITY: usize = 1024;
/// Capacity of the uevent ring.
pub const UEVENT_RING_CAPACITY: usize = 1024;
/// First nsfs inode number handed out. Real ones start near 4026531840;
/// the model keeps them below i32::MAX so they fit IFLA_NET_NS_FD.
pub(crate) const FIRST_NS_INUM: u32 = 0x4000_0000;
/// nsfs inodes stay below this, so every one fits IFLA_NET_NS_FD (an s32).
pub(crate) const NS_INUM_LIMIT: u32 = i32::MAX as u32;
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kernel {
    pub(crate) profile: Shared<KernelProfile>,
    /// The virtual clock.
    #[serde(rename = "now_ns")]
    pub(crate) now: Instant,
    #[serde(flatten)]
    pub(crate) tables: DevTables,
    #[serde(flatten)]
    pub(crate) deferred: Deferred,
    #[serde(flatten)]
    pub(crate) modules: Modules,
    #[serde(flatten)]
    pub(crate) world: HwWorld,
    #[serde(flatten)]
    pub(crate) obs: Observation,
    #[serde(flatten)]
    pub(crate) inflight: InFlight,
}

/// Bound on kept kernel log lines.
pub const LOG_CAPACITY: usize = 256;

impl Kernel {
    /// Boots a kernel: init_net with its loopback device.
    pub fn new(profile: KernelProfile) -> Kernel {
        let mut k = Kernel {
            profile: Shared::new(profile),
            now: Instant::BOOT,
            tables: DevTables {
                nets: Slab::default(),
                init_net: NetId {
                    index: 0,
                    generation: 0,
                },
                next_ns_inum: FIRST_NS_INUM,
                devs: Slab::default(),
                next_list_seq: 0,
                notifiers: Shared::new(vec![
                    Notifier::Rtnetlink,
                    Notifier::Bridge,
                    Notifier::Inet,
                    Notifier::Failover,
                ]),
                todo_list: Vec::new(),
                rng_state: 0x1f2e_3d4c_5b6a_7988,
                inet_rng_state: 0x5eed_0f1e_7d6c_0001,
                rtnl_link_initializing: Vec::new(),
            },
            deferred: Deferred::default(),
            modules: Modules::default(),
            world: HwWorld::default(),
            obs: Observation {
                uevents: Ring::new(UEVENT_RING_CAPACITY),
                mcast: Ring::new(MCAST_RING_CAPACITY),
                log: Default::default(),
                event_log: Default::default(),
                trace_from: 0,
                captures: BTreeMap::new(),
                mcast_listeners: Default::default(),
            },
            inflight: InFlight::default(),
        };
        k.tables.init_net = k.setup_net();
        k
    }

    pub fn profile(&self) -> &KernelProfile {
        &self.profile
    }

    pub fn init_net(&self) -> NetId {
        self.tables.init_net
    }

    /// `setup_net()`: a new namespace, with its loopback registered first.
    pub(crate) fn setup_net(&mut self) -> NetId {
        // netns_add refuses once the counter is exhausted; Kernel::new
        // starts far below it.
        let inum = self.tables.next_ns_inum;
        self.tables.next_ns_inum = inum.saturating_add(1).min(NS_INUM_LIMIT);
        let net: NetId = self.tables.nets.insert_with(|id| Net::new(id, inum));
        crate::drivers::loopback::loopback_net_init(self, net);
        net
    }

    // ---- lookups -------------------------------------------------------

    /// The device behind a live id. Panics on a stale id: that is a broken
    /// internal invariant, never something a caller can cause.
    #[inline]
    pub fn dev(&self, id: DevId) -> &NetDevice {
        self.tables.devs.get(id).expect("live device id")
    }

    #[inline]
    pub(crate) fn dev_mut(&mut self, id: DevId) -> &mut NetDevice {
        self.tables.devs.get_mut(id).expect("live device id")
    }

    pub fn try_dev(&self, id: DevId) -> Option<&NetDevice> {
        self.tables.devs.get(id).map(|d| &**d)
    }

    pub fn net(&self, id: NetId) -> &Net {
        self.tables.nets.get(id).expect("live namespace id")
    }

    pub(crate) fn net_mut(&mut self, id: NetId) -> &mut Net {
        self.tables.nets.get_mut(id).expect("live namespace id")
    }

    pub fn net_exists(&self, id: NetId) -> bool {
        self.tables.nets.get(id).is_some()
    }

    /// `__dev_get_by_name(net, name)` (primary names and altnames).
    pub fn dev_get_by_name(&self, net: NetId, name: &str) -> Option<DevId> {
        self.net(net).lookup_name(name)
    }

    /// `__dev_get_by_index(net, ifindex)`.
    pub fn dev_get_by_index(&self, net: NetId, ifindex: u32) -> Option<DevId> {
        self.net(net).lookup_index(ifindex)
    }

    /// Devices of a namespace in ifindex order (what a dump walks).
    pub fn devices_in(&self, net: NetId) -> Vec<DevId> {
        self.net(net).by_index.values().copied().collect()
    }

    /// Every listed device with its namespace: namespaces in slot order,
    /// devices by ifindex (what `nets()` then `devices_in()` give, without
    /// the vectors: explorer invariants walk it at every state).
    pub fn listed_devices(&self) -> impl Iterator<Item = (NetId, DevId)> + '_ {
        self.tables
            .nets
            .iter::<NetId>()
            .flat_map(|(id, n)| n.by_index.values().map(move |&d| (id, d)))
    }

    /// All live namespaces (slot order).
    pub fn nets(&self) -> Vec<NetId> {
        self.tables.nets.iter::<NetId>().map(|(id, _)| id).collect()
    }

    pub fn device_count(&self) -> usize {
        self.tables.devs.len()
    }

    // ---- clock ---------------------------------------------------------

    /// The virtual clock's reading.
    pub fn now(&self) -> Instant {
        self.now
    }

    // ---- kernel log ----------------------------------------------------

    /// `printk()`: into the log ring, stamped with the virtual clock.
    pub(crate) fn printk(&mut self, line: String) {
        if self.obs.log.len() >= LOG_CAPACITY {
            self.obs.log.pop_front();
        }
        let text = line.clone();
        self.log_event(|| crate::eventlog::KernelEvent::Printk { text });
        self.obs.log.push_back(crate::eventlog::LogLine {
            time: self.now,
            text: line,
        });
    }

    /// `netdev_printk()` (netdev_info, netdev_err, …): the line leads with
    /// the parent device's driver and name when there is a parent, then
    /// `netdev_name()` and `netdev_reg_state()`, as __netdev_printk prints.
    pub(crate) fn netdev_printk(&mut self, dev: DevId, msg: &str) {
        let line = format!("{}: {msg}", self.netdev_log_prefix(dev));
        self.printk(line);
    }

    fn netdev_log_prefix(&self, dev: DevId) -> String {
        use crate::consts::RegState;
        let d = self.dev(dev);
        // netdev_name(): a template or empty name is not a name yet.
        let name = if d.name.as_str().is_empty() || d.name.as_str().contains('%') {
            "(unnamed net_device)"
        } else {
            d.name.as_str()
        };
        let state = match d.reg_state {
            RegState::Uninitialized => " (uninitialized)",
            RegState::Registered => "",
            RegState::Unregistering => " (unregistering)",
            RegState::Unregistered => " (unregistered)",
            RegState::Released => " (released)",
        };
        match &d.parent {
            Some(bus) => {
                // dev_driver_string(parent): the driver bound to it — set
                // before probe() runs, so lines logged while probing (the
                // bus entry is added after) name it too: the driver of a
                // netdev on that parent.
                let driver = self
                    .world
                    .hw
                    .devices
                    .get(&**bus)
                    .map(|h| h.spec.driver_name())
                    .or_else(|| {
                        self.tables.devs.iter::<DevId>().find_map(|(_, o)| {
                            let on_bus = o.parent.as_deref() == Some(&**bus);
                            on_bus.then(|| o.driver.driver_name().map(str::to_string))?
                        })
                    })
                    .unwrap_or_default();
                format!("{driver} {bus} {name}{state}")
            }
            None => format!("{name}{state}"),
        }
    }

    /// Kernel log lines, oldest first.
    pub fn dmesg(&self) -> Vec<String> {
        self.obs.log.iter().map(|l| l.text.clone()).collect()
    }

    /// Kernel log lines with the virtual time each was logged at, oldest
    /// first.
    pub fn dmesg_lines(&self) -> Vec<crate::eventlog::LogLine> {
        self.obs.log.iter().cloned().collect()
    }

    // ---- namespaces user space holds (ip netns) ---------------------------

    /// `unshare(CLONE_NEWNET)` and a bind mount of the new nsfs inode, as
    /// `ip netns add` does: a namespace held by one mount. Its name lives
    /// in user space (`/var/run/netns`), not here.
    pub fn netns_new(&mut self) -> KResult<NetId> {
        self.rtnl_check()?;
        if self.tables.next_ns_inum >= NS_INUM_LIMIT {
            return Err(KError::new(Errno::ENOSPC));
        }
        let net = self.setup_net();
        self.net_mut(net).mounts = 1;
        Ok(net)
    }

    /// `umount2()` of one bind mount: with the last one gone the namespace
    /// dies (`cleanup_net` → `default_device_exit_batch`). init_net never
    /// dies; ENOENT for a namespace that is not mounted.
    pub fn netns_put(&mut self, net: NetId) -> KResult<()> {
        self.rtnl_check()?;
        let mounts = match self.tables.nets.get(net) {
            Some(n) if n.mounts > 0 && !n.dying => n.mounts,
            _ => return Err(KError::new(Errno::ENOENT)),
        };
        self.net_mut(net).mounts = mounts - 1;
        if mounts == 1 && net != self.tables.init_net {
            self.cleanup_net(net);
        }
        Ok(())
    }

    /// How many bind mounts hold `net` (0 for one that is gone).
    pub fn netns_mounts(&self, net: NetId) -> u32 {
        self.tables.nets.get(net).map_or(0, |n| n.mounts)
    }

    /// The value a client puts in IFLA_NET_NS_FD to name `net` (the nsfs
    /// inode stands in for an open file descriptor).
    /// A namespace that no longer exists has no inode: 0.
    pub fn netns_fd(&self, net: NetId) -> u32 {
        self.tables.nets.get(net).map_or(0, |n| n.inum)
    }

    /// `get_net_ns_by_fd()`.
    pub(crate) fn net_by_fd(&self, fd: u32) -> Option<NetId> {
        self.tables
            .nets
            .iter::<NetId>()
            .find(|(_, n)| n.inum == fd && !n.dying)
            .map(|(id, _)| id)
    }

    /// `peernet2id(net, peer)`: the id `net` uses for `peer`, if assigned.
    pub fn peernet2id(&self, net: NetId, peer: NetId) -> Option<i32> {
        self.tables.nets.get(net)?.peer_ids.get(&peer).copied()
    }

    /// `peernet2id_alloc()`: lowest free id (idr_alloc from 0).
    pub(crate) fn peernet2id_alloc(&mut self, net: NetId, peer: NetId) -> i32 {
        if net == peer {
            return -1; // NETNSA_NSID_NOT_ASSIGNED for oneself in fills
        }
        if let Some(id) = self.peernet2id(net, peer) {
            return id;
        }
        let used: Vec<i32> = self.net(net).peer_ids.values().copied().collect();
        let id = (0..).find(|i| !used.contains(i)).expect("free id");
        self.net_mut(net).peer_ids.insert(peer, id);
        id
    }

    /// RTM_NEWNSID with NETNSA_NSID -1 (`rtnl_net_newid` → `alloc_netid`):
    /// the lowest free id `net` gives `peer` (itself included), or the id
    /// it already has. What `ip link ... link-netns NAME` asks for when
    /// NAME has none yet.
    pub fn rtnl_net_newid(&mut self, net: NetId, peer: NetId) -> i32 {
        if let Some(id) = self.peernet2id(net, peer) {
            return id;
        }
        let used: Vec<i32> = self.net(net).peer_ids.values().copied().collect();
        let id = (0..).find(|i| !used.contains(i)).unwrap_or(i32::MAX);
        self.net_mut(net).peer_ids.insert(peer, id);
        id
    }

    /// `get_net_ns_by_id(net, id)`.
    pub(crate) fn net_by_peer_id(&self, net: NetId, id: i32) -> Option<NetId> {
        self.net(net)
            .peer_ids
            .iter()
            .find(|(_, &v)| v == id)
            .map(|(&k, _)| k)
    }

    // ---- queues to user space -----------------------------------------

    /// Multicast messages with seq >= `from` (ENOBUFS-style overrun if lost).
    pub fn mcast_since(&self, from: u64) -> Result<Vec<McastMessage>, crate::events::Overrun> {
        self.obs.mcast.since(from).map(|it| it.cloned().collect())
    }

    pub fn mcast_next_seq(&self) -> u64 {
        self.obs.mcast.next_seq()
    }

    /// Subscribes listener `id` (a pid) to link notifications.
    pub fn mcast_listen(&mut self, id: u32) {
        self.obs.mcast_listeners.insert(id);
    }

    /// Drops listener `id`.
    pub fn mcast_unlisten(&mut self, id: u32) -> bool {
        self.obs.mcast_listeners.remove(&id)
    }

    /// The subscribed listener ids.
    pub fn mcast_listener_ids(&self) -> Vec<u32> {
        self.obs.mcast_listeners.iter().copied().collect()
    }

    /// `netlink_has_listeners(rtnl, RTNLGRP_LINK)`.
    pub fn has_mcast_listeners(&self) -> bool {
        !self.obs.mcast_listeners.is_empty()
    }

    /// Uevents with seqnum >= `from`.
    pub fn uevents_since(&self, from: u64) -> Result<Vec<Uevent>, crate::events::Overrun> {
        self.obs.uevents.since(from).map(|it| it.cloned().collect())
    }

    pub fn uevent_next_seq(&self) -> u64 {
        self.obs.uevents.next_seq()
    }
}
