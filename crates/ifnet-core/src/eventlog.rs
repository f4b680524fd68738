//! Observation: one ordered event log of everything the kernel tells the
//! world — notifier calls (`call_netdevice_notifiers`), uevents
//! (`kobject_uevent`), rtnetlink multicasts (`rtnl_notify`), kernel log
//! lines (`printk`) and declared windows entered (DESIGN.md rule 5) — each
//! with one global sequence number and the virtual time, in a bounded ring,
//! so tests and the explorer can assert order across all of them.
//!
//! The log is off by default (it costs memory and time per event, and it
//! is observation, not state: it is never saved nor fingerprinted; a
//! kernel's clones share it, `chunked.rs`). The kernel log ring that
//! `dmesg` reads (`LogLine`, with its timestamp) is separate and always kept.

use crate::events::{Overrun, Ring, UeventAction};
use crate::hwaddr::IfName;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::notifier::NetdevEvent;
use crate::time::Instant;
use crate::window::Window;
use serde::{Deserialize, Serialize};

/// Capacity of the ordered event log (older entries are dropped).
pub const EVENT_LOG_CAPACITY: usize = 4096;

/// One kernel log line as `printk` stores it: the time it was logged and
/// its text (what `dmesg` prints as `[%5lu.%06lu] text`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    #[serde(rename = "time_ns")]
    pub time: Instant,
    pub text: String,
}

impl<'de> Deserialize<'de> for LogLine {
    /// Accepts the struct and, from older state files, a bare string.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LogLine, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Line { time_ns: Instant, text: String },
            Text(String),
        }
        Ok(match Either::deserialize(d)? {
            Either::Line { time_ns, text } => LogLine {
                time: time_ns,
                text,
            },
            Either::Text(text) => LogLine {
                time: Instant::BOOT,
                text,
            },
        })
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelEvent {
    /// `call_netdevice_notifiers(event, dev)` ran (before any subscriber).
    Notifier {
        event: NetdevEvent,
        ifname: IfName,
        ifindex: u32,
    },
    /// `kobject_uevent()` queued this uevent (its seqnum in the uevent ring).
    Uevent {
        seqnum: u64,
        action: UeventAction,
        net: NetId,
        interface: String,
    },
    /// `rtnl_notify()` to RTNLGRP_LINK: message type and ifindex.
    Rtnetlink {
        seq: u64,
        net: NetId,
        msg_type: u16,
        ifindex: u32,
    },
    /// `printk()`.
    Printk { text: String },
    /// An operation reached a declared window and parked there.
    WindowEntered { window: Window, dev: DevId },
    /// A parked operation resumed from its window.
    WindowLeft { window: Window, dev: DevId },
}

/// One entry of the ordered log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    pub seq: u64,
    pub time: Instant,
    pub event: KernelEvent,
}

/// The ring plus its switch.
#[derive(Debug, Clone)]
pub struct EventLog {
    pub(crate) ring: Ring<LoggedEvent>,
    pub(crate) enabled: bool,
}

impl Default for EventLog {
    fn default() -> EventLog {
        EventLog {
            ring: Ring::new(EVENT_LOG_CAPACITY),
            enabled: false,
        }
    }
}

impl Kernel {
    /// Appends to the ordered log if it is on.
    pub(crate) fn log_event(&mut self, make: impl FnOnce() -> KernelEvent) {
        if !self.obs.event_log.enabled {
            return;
        }
        let time = self.now;
        let event = make();
        self.obs
            .event_log
            .ring
            .push(|seq| LoggedEvent { seq, time, event });
    }

    /// Logs a multicast message by its header: `nlmsg_type` (bytes 4..6)
    /// and `ifinfomsg.ifi_index` (bytes 20..24).
    pub(crate) fn log_mcast(&mut self, seq: u64, net: NetId, bytes: &[u8]) {
        let field = |r: std::ops::Range<usize>| bytes.get(r).map(<[u8]>::to_vec);
        let msg_type = field(4..6).map_or(0, |b| u16::from_ne_bytes([b[0], b[1]]));
        let ifindex = field(20..24).map_or(0, |b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
        self.log_event(|| KernelEvent::Rtnetlink {
            seq,
            net,
            msg_type,
            ifindex,
        });
    }

    /// Turns the ordered event log on or off; either way it starts empty
    /// (sequence numbers keep counting).
    pub fn set_event_log(&mut self, on: bool) {
        self.obs.event_log.enabled = on;
        let next = self.obs.event_log.ring.next_seq();
        self.obs.event_log.ring = Ring::restart_at(EVENT_LOG_CAPACITY, next);
    }

    /// Whether the ordered event log is on.
    pub fn event_log_enabled(&self) -> bool {
        self.obs.event_log.enabled
    }

    /// Logged events with seq >= `from`, oldest first (`Overrun` if the
    /// ring dropped some of them).
    pub fn events_since(&self, from: u64) -> Result<Vec<LoggedEvent>, Overrun> {
        self.obs
            .event_log
            .ring
            .since(from)
            .map(|it| it.cloned().collect())
    }

    /// The sequence number the next logged event will get.
    pub fn event_next_seq(&self) -> u64 {
        self.obs.event_log.ring.next_seq()
    }
}
