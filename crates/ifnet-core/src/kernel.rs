//! `Kernel`: the single owner of all model state (DESIGN.md rule 1).
//!
//! Every method that holds RTNL in Linux takes `&mut self`. This file holds
//! the struct, its constructor, lookups, the virtual clock and the named
//! namespace registry (`/var/run/netns`, which is user space's, not the
//! kernel's, but every CLI invocation needs it).

use crate::errno::{Errno, KError, KResult};
use crate::events::{McastMessage, Ring, Uevent};
use crate::hw::HwBus;
use crate::ids::{DevId, NetId, Slab};
use crate::net::Net;
use crate::netdev::NetDevice;
use crate::notifier::Notifier;
use crate::profile::KernelProfile;
use crate::workqueue::WorkQueue;
use serde::{Deserialize, Serialize};
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
/// `NAME_MAX`: a netns name is a file name under /var/run/netns.
pub const NETNS_NAME_MAX: usize = 255;

/// iproute2's netns name rules (ipnetns.c `invalid_name()`): non-empty, at
/// most NAME_MAX bytes, no '/', not "." or "..".
pub fn valid_netns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= NETNS_NAME_MAX
        && !name.contains('/')
        && name != "."
        && name != ".."
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kernel {
    pub(crate) profile: KernelProfile,
    /// Virtual time in nanoseconds since boot.
    pub(crate) now_ns: u64,
    pub(crate) nets: Slab<Net>,
    pub(crate) init_net: NetId,
    /// Named namespaces, as `ip netns add` bind-mounts them.
    pub(crate) netns_names: BTreeMap<String, NetId>,
    pub(crate) next_ns_inum: u32,
    pub(crate) devs: Slab<NetDevice>,
    pub(crate) next_list_seq: u64,
    pub(crate) notifiers: Vec<Notifier>,
    pub(crate) workqueue: WorkQueue,
    /// `lweventlist`: devices with a pending linkwatch event, in order.
    pub(crate) linkwatch_list: Vec<DevId>,
    /// Devices whose event was urgent when fired (an urgent-only run walks
    /// just these).
    #[serde(default)]
    pub(crate) linkwatch_urgent: Vec<DevId>,
    pub(crate) uevents: Ring<Uevent>,
    pub(crate) mcast: Ring<McastMessage>,
    pub(crate) hw: HwBus,
    /// Devices unregistered but still referenced (`netdev_run_todo` waits).
    pub(crate) todo_list: Vec<DevId>,
    /// Kernel log lines (`pr_emerg`, `netdev_info`, …) with their time,
    /// bounded: what `dmesg` reads.
    pub(crate) log: Vec<crate::eventlog::LogLine>,
    /// State of the deterministic generator behind `eth_hw_addr_random`.
    pub(crate) rng_state: u64,
    /// Devices `rtnl_newlink` is still configuring
    /// (`dev->rtnl_link_initializing`); at most a veth pair at a time.
    pub(crate) rtnl_link_initializing: Vec<DevId>,
    /// `linkwatch_nextevent`: non-urgent events wait until then.
    pub(crate) linkwatch_nextevent_ns: u64,
    /// Processes subscribed to RTNLGRP_LINK (`ip monitor`), by pid. With
    /// none, notifications are not built at all (netlink_has_listeners).
    #[serde(skip)]
    pub(crate) mcast_listeners: std::collections::BTreeSet<u32>,
    /// `failover_list`: registered failover instances (global, not per netns).
    #[serde(default)]
    pub(crate) failovers: Vec<crate::modules::failover::Failover>,
    /// Packet taps by device.
    #[serde(with = "crate::ids::serde_pairs")]
    pub(crate) captures: BTreeMap<DevId, crate::datapath::capture::Capture>,
    /// The segments NICs are cabled to, in creation order.
    pub(crate) segments: Vec<crate::datapath::segment::Segment>,
    /// Faults per veth (what it transmits), with their generator state.
    #[serde(with = "crate::ids::serde_pairs")]
    pub(crate) veth_faults: BTreeMap<DevId, crate::datapath::segment::FaultState>,
    /// Frames held back by delaying wires.
    pub(crate) delayed_frames: Vec<crate::datapath::segment::DelayedFrame>,
    /// `dev_xmit_recursion()` depth of the frame being transmitted.
    #[serde(skip)]
    pub(crate) xmit_depth: u8,
    /// The device `__dev_open` is opening: __LINK_STATE_START is set before
    /// `ndo_open` runs, IFF_UP only after, so `netif_running()` is already
    /// true for the carrier events the driver raises while opening.
    #[serde(skip)]
    pub(crate) dev_opening: Option<DevId>,
    /// Where `take_trace` resumes in the event log (the notifier trace
    /// is the log's notifier entries).
    #[serde(skip)]
    pub(crate) trace_from: u64,
    /// The ordered event log (observation; never saved).
    #[serde(skip)]
    pub(crate) event_log: crate::eventlog::EventLog,
    /// The operation parked in a declared window, if any (`window.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) parked: Option<crate::window::Parked>,
    /// Set by `hw_add_stepped` for the `register_netdevice` it stops.
    #[serde(skip)]
    pub(crate) register_stop: Option<crate::window::RegisterStop>,
    /// Set by `dev_change_net_namespace_stepped` for the move it stops.
    #[serde(skip)]
    pub(crate) move_stop: Option<crate::window::Window>,
}

/// Bound on kept kernel log lines.
pub const LOG_CAPACITY: usize = 256;

impl Kernel {
    /// Boots a kernel: init_net with its loopback device.
    pub fn new(profile: KernelProfile) -> Kernel {
        let mut k = Kernel {
            profile,
            now_ns: 0,
            nets: Slab::default(),
            init_net: NetId {
                index: 0,
                generation: 0,
            },
            netns_names: BTreeMap::new(),
            next_ns_inum: FIRST_NS_INUM,
            devs: Slab::default(),
            next_list_seq: 0,
            notifiers: vec![
                Notifier::Rtnetlink,
                Notifier::Bridge,
                Notifier::Inet,
                Notifier::Failover,
            ],
            workqueue: WorkQueue::default(),
            linkwatch_list: Vec::new(),
            linkwatch_urgent: Vec::new(),
            uevents: Ring::new(UEVENT_RING_CAPACITY),
            mcast: Ring::new(MCAST_RING_CAPACITY),
            hw: HwBus::default(),
            todo_list: Vec::new(),
            log: Vec::new(),
            rng_state: 0x1f2e_3d4c_5b6a_7988,
            rtnl_link_initializing: Vec::new(),
            linkwatch_nextevent_ns: 0,
            mcast_listeners: Default::default(),
            failovers: Vec::new(),
            captures: BTreeMap::new(),
            segments: Vec::new(),
            veth_faults: BTreeMap::new(),
            delayed_frames: Vec::new(),
            xmit_depth: 0,
            dev_opening: None,
            trace_from: 0,
            event_log: Default::default(),
            parked: None,
            register_stop: None,
            move_stop: None,
        };
        k.init_net = k.setup_net();
        k
    }

    pub fn profile(&self) -> &KernelProfile {
        &self.profile
    }

    pub fn init_net(&self) -> NetId {
        self.init_net
    }

    /// `setup_net()`: a new namespace, with its loopback registered first.
    pub(crate) fn setup_net(&mut self) -> NetId {
        // netns_add refuses once the counter is exhausted; Kernel::new
        // starts far below it.
        let inum = self.next_ns_inum;
        self.next_ns_inum = inum.saturating_add(1).min(NS_INUM_LIMIT);
        let net: NetId = self.nets.insert_with(|id| Net::new(id, inum));
        crate::drivers::loopback::loopback_net_init(self, net);
        net
    }

    // ---- lookups -------------------------------------------------------

    /// The device behind a live id. Panics on a stale id: that is a broken
    /// internal invariant, never something a caller can cause.
    #[inline]
    pub fn dev(&self, id: DevId) -> &NetDevice {
        self.devs.get(id).expect("live device id")
    }

    #[inline]
    pub(crate) fn dev_mut(&mut self, id: DevId) -> &mut NetDevice {
        self.devs.get_mut(id).expect("live device id")
    }

    pub fn try_dev(&self, id: DevId) -> Option<&NetDevice> {
        self.devs.get(id)
    }

    pub fn net(&self, id: NetId) -> &Net {
        self.nets.get(id).expect("live namespace id")
    }

    pub(crate) fn net_mut(&mut self, id: NetId) -> &mut Net {
        self.nets.get_mut(id).expect("live namespace id")
    }

    pub fn net_exists(&self, id: NetId) -> bool {
        self.nets.get(id).is_some()
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

    /// All live namespaces (slot order).
    pub fn nets(&self) -> Vec<NetId> {
        self.nets.iter::<NetId>().map(|(id, _)| id).collect()
    }

    pub fn device_count(&self) -> usize {
        self.devs.len()
    }

    // ---- clock ---------------------------------------------------------

    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    // ---- kernel log ----------------------------------------------------

    /// `printk()`: into the log ring, stamped with the virtual clock.
    pub(crate) fn printk(&mut self, line: String) {
        if self.log.len() >= LOG_CAPACITY {
            self.log.remove(0);
        }
        let text = line.clone();
        self.log_event(|| crate::eventlog::KernelEvent::Printk { text });
        self.log.push(crate::eventlog::LogLine {
            time_ns: self.now_ns,
            text: line,
        });
    }

    /// Kernel log lines, oldest first.
    pub fn dmesg(&self) -> Vec<String> {
        self.log.iter().map(|l| l.text.clone()).collect()
    }

    /// Kernel log lines with the virtual time each was logged at.
    pub fn dmesg_lines(&self) -> &[crate::eventlog::LogLine] {
        &self.log
    }

    // ---- named namespaces (ip netns) -----------------------------------

    /// `ip netns add NAME`: creates a namespace and names it.
    pub fn netns_add(&mut self, name: &str) -> KResult<NetId> {
        self.rtnl_check()?;
        if !valid_netns_name(name) {
            return Err(KError::new(Errno::EINVAL));
        }
        if self.netns_names.contains_key(name) {
            return Err(KError::new(Errno::EEXIST));
        }
        if self.next_ns_inum >= NS_INUM_LIMIT {
            return Err(KError::new(Errno::ENOSPC));
        }
        let net = self.setup_net();
        self.netns_names.insert(name.to_string(), net);
        Ok(net)
    }

    /// `ip netns del NAME`: drops the name; with no other user the namespace
    /// dies (`cleanup_net` → `default_device_exit_batch`).
    pub fn netns_del(&mut self, name: &str) -> KResult<()> {
        self.rtnl_check()?;
        let net = self
            .netns_names
            .remove(name)
            .ok_or(KError::new(Errno::ENOENT))?;
        // Dropping the name is an unmount; the namespace dies only with its
        // last reference (never init_net, never one still named elsewhere).
        let still_named = self.netns_names.values().any(|&n| n == net);
        if net != self.init_net && !still_named {
            self.cleanup_net(net);
        }
        Ok(())
    }

    pub fn netns_by_name(&self, name: &str) -> Option<NetId> {
        self.netns_names.get(name).copied()
    }

    /// Named namespaces, sorted by name.
    pub fn netns_list(&self) -> Vec<(String, NetId)> {
        self.netns_names
            .iter()
            .map(|(n, id)| (n.clone(), *id))
            .collect()
    }

    /// The name user space gave a namespace, if any.
    pub fn netns_name_of(&self, net: NetId) -> Option<&str> {
        self.netns_names
            .iter()
            .find(|(_, &id)| id == net)
            .map(|(n, _)| n.as_str())
    }

    /// The value a client puts in IFLA_NET_NS_FD to name `net` (the nsfs
    /// inode stands in for an open file descriptor).
    /// A namespace that no longer exists has no inode: 0.
    pub fn netns_fd(&self, net: NetId) -> u32 {
        self.nets.get(net).map_or(0, |n| n.inum)
    }

    /// `get_net_ns_by_fd()`.
    pub(crate) fn net_by_fd(&self, fd: u32) -> Option<NetId> {
        self.nets
            .iter::<NetId>()
            .find(|(_, n)| n.inum == fd && !n.dying)
            .map(|(id, _)| id)
    }

    /// `peernet2id(net, peer)`: the id `net` uses for `peer`, if assigned.
    pub fn peernet2id(&self, net: NetId, peer: NetId) -> Option<i32> {
        self.nets.get(net)?.peer_ids.get(&peer).copied()
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
        self.mcast.since(from).map(|it| it.cloned().collect())
    }

    pub fn mcast_next_seq(&self) -> u64 {
        self.mcast.next_seq()
    }

    /// Subscribes listener `id` (a pid) to link notifications.
    pub fn mcast_listen(&mut self, id: u32) {
        self.mcast_listeners.insert(id);
    }

    /// Drops listener `id`.
    pub fn mcast_unlisten(&mut self, id: u32) -> bool {
        self.mcast_listeners.remove(&id)
    }

    /// The subscribed listener ids.
    pub fn mcast_listener_ids(&self) -> Vec<u32> {
        self.mcast_listeners.iter().copied().collect()
    }

    /// `netlink_has_listeners(rtnl, RTNLGRP_LINK)`.
    pub fn has_mcast_listeners(&self) -> bool {
        !self.mcast_listeners.is_empty()
    }

    /// Uevents with seqnum >= `from`.
    pub fn uevents_since(&self, from: u64) -> Result<Vec<Uevent>, crate::events::Overrun> {
        self.uevents.since(from).map(|it| it.cloned().collect())
    }

    pub fn uevent_next_seq(&self) -> u64 {
        self.uevents.next_seq()
    }
}
