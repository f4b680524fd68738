//! The parts a `Kernel` is composed of, one job each.
//!
//! The split follows what an explorer needs: `tables`, `deferred`,
//! `modules`, `world` and `inflight` are the state whose fingerprint tells
//! two runs apart; `obs` is what observers read (rings, the log, packet
//! taps) and is left out of the fingerprint (`fingerprint.rs`); its
//! buffers are chunks a clone shares (`chunked.rs`). On disk the parts
//! are flattened, so a state file keeps one flat object.

use crate::chunked::Chunked;
use crate::eventlog::{EventLog, LogLine};
use crate::events::{McastMessage, Ring, Uevent};
use crate::hw::HwBus;
use crate::ids::{DevId, NetId, Slab};
use crate::net::Net;
use crate::notifier::Notifier;
use crate::shared::Shared;
use crate::time::Instant;
use crate::workqueue::WorkQueue;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Device tables and namespaces: what RTNL protects.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DevTables {
    pub(crate) nets: Slab<Net>,
    pub(crate) init_net: NetId,
    pub(crate) next_ns_inum: u32,
    pub(crate) devs: Slab<crate::dev_cell::DevCell>,
    pub(crate) next_list_seq: u64,
    /// The netdev notifier chain, in registration order.
    pub(crate) notifiers: Shared<Vec<Notifier>>,
    /// Devices unregistered but still referenced (`netdev_run_todo` waits).
    pub(crate) todo_list: Vec<DevId>,
    /// State of the deterministic generator behind `eth_hw_addr_random`.
    pub(crate) rng_state: u64,
    /// State of addrconf's generator (DAD delays and nonces, random
    /// secrets): a stream apart from the MACs'.
    #[serde(default)]
    pub(crate) inet_rng_state: u64,
    /// Devices `rtnl_newlink` is still configuring
    /// (`dev->rtnl_link_initializing`); at most a veth pair at a time.
    pub(crate) rtnl_link_initializing: Vec<DevId>,
}

/// Work that runs later: linkwatch and the system work queue.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Deferred {
    pub(crate) workqueue: WorkQueue,
    /// `lweventlist`: devices with a pending linkwatch event, in order.
    pub(crate) linkwatch_list: Vec<DevId>,
    /// `linkwatch_nextevent`: non-urgent events wait until then.
    #[serde(rename = "linkwatch_nextevent_ns")]
    pub(crate) linkwatch_nextevent: Instant,
}

/// Loaded modules' own state.
#[derive(Debug, Clone, Hash, Default, Serialize, Deserialize)]
pub(crate) struct Modules {
    /// `failover_list`: registered failover instances (global, not per netns).
    #[serde(default)]
    pub(crate) failovers: Shared<Vec<crate::modules::failover::Failover>>,
    /// hv_netvsc: loaded or not, and `netvsc_dev_list`.
    #[serde(default)]
    pub(crate) netvsc: crate::drivers::netvsc_vf::NetvscModule,
    /// bonding: loaded (its notifier registered) or not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) bonding: bool,
}

/// The hardware world outside the kernel: the bus, cables, faults, wires.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct HwWorld {
    pub(crate) hw: Shared<HwBus>,
    /// The segments NICs are cabled to, in creation order.
    pub(crate) segments: Vec<crate::datapath::segment::Segment>,
    /// Faults per veth (what it transmits), with their generator state.
    #[serde(with = "crate::ids::serde_pairs")]
    pub(crate) veth_faults: BTreeMap<DevId, crate::datapath::segment::FaultState>,
    /// Frames held back by delaying wires.
    pub(crate) delayed_frames: Vec<crate::datapath::segment::DelayedFrame>,
    /// `num_possible_cpus()`: the machine's possible CPUs (a veth gets a
    /// queue per CPU). 0 in a state file written before it existed: 1.
    #[serde(default, skip_serializing_if = "crate::kernel::parts::is_one_or_zero")]
    pub(crate) possible_cpus: u32,
}

fn is_one_or_zero(n: &u32) -> bool {
    *n <= 1
}

/// What observers read: bounded rings, the kernel log, packet taps and the
/// netlink subscriptions that decide whether notifications are built.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Observation {
    pub(crate) uevents: Ring<Uevent>,
    pub(crate) mcast: Ring<McastMessage>,
    /// Kernel log lines (`pr_emerg`, `netdev_info`, …) with their time,
    /// bounded: what `dmesg` reads.
    pub(crate) log: Chunked<LogLine>,
    /// The ordered event log (never saved).
    #[serde(skip)]
    pub(crate) event_log: EventLog,
    /// Where `take_trace` resumes in the event log (the notifier trace
    /// is the log's notifier entries).
    #[serde(skip)]
    pub(crate) trace_from: u64,
    /// Packet taps by device.
    #[serde(with = "crate::ids::serde_pairs")]
    pub(crate) captures: BTreeMap<DevId, crate::datapath::capture::CaptureBuf>,
    /// Sockets subscribed to RTNLGRP_LINK, by portid. With none,
    /// notifications are not built at all (netlink_has_listeners).
    #[serde(skip)]
    pub(crate) mcast_listeners: Shared<BTreeSet<u32>>,
}

/// An operation between its steps: a parked window, the device being
/// opened, the transmit recursion depth.
#[derive(Debug, Clone, Hash, Default, Serialize, Deserialize)]
pub(crate) struct InFlight {
    /// The operation parked in a declared window, if any (`window.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) parked: Option<crate::window::Parked>,
    /// Set by `hw_add_stepped` for the `register_netdevice` it stops.
    #[serde(skip)]
    pub(crate) register_stop: Option<crate::window::RegisterStop>,
    /// Set by `dev_change_net_namespace_stepped` for the move it stops.
    #[serde(skip)]
    pub(crate) move_stop: Option<crate::window::Window>,
    /// The device `__dev_open` is opening: __LINK_STATE_START is set before
    /// `ndo_open` runs, IFF_UP only after, so `netif_running()` is already
    /// true for the carrier events the driver raises while opening.
    #[serde(skip)]
    pub(crate) dev_opening: Option<DevId>,
    /// `dev_xmit_recursion()` depth of the frame being transmitted.
    #[serde(skip)]
    pub(crate) xmit_depth: u8,
    /// Notifications reported to the sender of the request being handled
    /// (NLM_F_ECHO): `netlink_rcv_skb` queues them on its socket.
    #[serde(skip)]
    pub(crate) echo: Vec<Vec<u8>>,
}
