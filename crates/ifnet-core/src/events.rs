//! Queues from the kernel to user space: kobject uevents and rtnetlink
//! multicast (RTNLGRP_LINK). Both are bounded rings with a global sequence
//! number; a reader that falls behind the ring's start gets ENOBUFS, as a
//! netlink socket whose receive buffer overflowed does.

use crate::chunked::Chunked;
use crate::ids::NetId;
use crate::time::Instant;
use serde::{Deserialize, Serialize};

/// KOBJ_* actions that net devices emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UeventAction {
    Add,
    Remove,
    Move,
    Change,
}

impl UeventAction {
    pub fn name(self) -> &'static str {
        match self {
            UeventAction::Add => "add",
            UeventAction::Remove => "remove",
            UeventAction::Move => "move",
            UeventAction::Change => "change",
        }
    }
}

/// One uevent as udev receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uevent {
    pub seqnum: u64,
    pub action: UeventAction,
    /// Namespace whose listeners receive it (net uevents are per-netns).
    pub net: NetId,
    pub devpath: String,
    pub interface: String,
    pub ifindex: u32,
    /// Virtual time it was sent (what a monitor's timestamp shows).
    #[serde(default, rename = "time_ns")]
    pub time: Instant,
    /// DEVTYPE, from `dev->dev.type->name` (`bridge` for a bridge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devtype: Option<String>,
}

impl Uevent {
    /// The environment `kobject_uevent_env()` builds for a net device, in
    /// its order: ACTION, DEVPATH, SUBSYSTEM, then `netdev_uevent()`'s
    /// INTERFACE and IFINDEX, then SEQNUM (`dev_uevent()` puts DEVTYPE
    /// before INTERFACE).
    pub fn properties(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("ACTION", self.action.name().to_string()),
            ("DEVPATH", self.devpath.clone()),
            ("SUBSYSTEM", "net".to_string()),
        ];
        if let Some(t) = &self.devtype {
            // dev_uevent(): DEVTYPE before the class's own variables.
            v.push(("DEVTYPE", t.clone()));
        }
        v.push(("INTERFACE", self.interface.clone()));
        v.push(("IFINDEX", self.ifindex.to_string()));
        v.push(("SEQNUM", self.seqnum.to_string()));
        v
    }
}

/// One multicast message: the namespace it was sent in and its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McastMessage {
    pub seq: u64,
    pub net: NetId,
    /// A complete netlink message (RTM_NEWLINK / RTM_DELLINK), shared by
    /// every reader and every clone of the kernel.
    pub bytes: std::sync::Arc<[u8]>,
}

/// Reader fell behind the ring: messages were lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overrun {
    /// First sequence number still available.
    pub resume_at: u64,
}

/// A bounded ring with monotonically increasing sequence numbers. Its
/// entries are [`Chunked`]: a clone shares them (observation must not make
/// a kernel's clone cost follow its history). On disk it is
/// `{entries, first_seq, capacity}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de> + Clone"))]
pub struct Ring<T> {
    entries: Chunked<T>,
    /// Sequence number of the oldest entry.
    first_seq: u64,
    capacity: usize,
}

impl<T: Clone> Ring<T> {
    pub fn new(capacity: usize) -> Ring<T> {
        assert!(capacity > 0);
        Ring {
            entries: Chunked::default(),
            first_seq: 1,
            capacity,
        }
    }

    /// An empty ring whose next entry gets `next_seq` (a cleared ring
    /// keeps its sequence monotonic).
    pub fn restart_at(capacity: usize, next_seq: u64) -> Ring<T> {
        let mut r = Ring::new(capacity);
        r.first_seq = next_seq.max(1);
        r
    }

    /// Appends, dropping the oldest entry when full. Returns the new seq.
    pub fn push(&mut self, make: impl FnOnce(u64) -> T) -> u64 {
        let seq = self.next_seq();
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.first_seq = self.first_seq.saturating_add(1);
        }
        self.entries.push_back(make(seq));
        seq
    }
}

impl<T> Ring<T> {
    /// The sequence number the next entry will get.
    pub fn next_seq(&self) -> u64 {
        self.first_seq + self.entries.len() as u64
    }

    /// Entries with seq >= `from`, or `Overrun` if some were dropped.
    pub fn since(&self, from: u64) -> Result<impl Iterator<Item = &T>, Overrun> {
        if from < self.first_seq {
            return Err(Overrun {
                resume_at: self.first_seq,
            });
        }
        let skip = (from - self.first_seq).min(self.entries.len() as u64) as usize;
        Ok(self.entries.iter_from(skip))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// What a loaded ring must satisfy: the capacity it was built with, no
    /// more entries than that, consecutive sequence numbers (`seq_of`)
    /// from `first_seq` on, and a next sequence number far from wrapping.
    pub fn check(&self, capacity: usize, seq_of: impl Fn(&T) -> u64) -> Result<(), String> {
        if self.capacity != capacity || self.entries.len() > capacity {
            return Err("a ring has the wrong capacity".into());
        }
        let next = self.first_seq.checked_add(self.entries.len() as u64);
        if self.first_seq == 0 || next.is_none_or(|n| n >= crate::workqueue::MAX_SEQ) {
            return Err("a ring's sequence counter is out of range".into());
        }
        let consecutive = (self.first_seq..)
            .zip(self.entries.iter())
            .all(|(s, e)| seq_of(e) == s);
        if !consecutive {
            return Err("a ring's sequence numbers are not consecutive".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// netlink_overrun(): a listener that cannot keep up gets ENOBUFS.
    #[test]
    fn reader_behind_ring_sees_overrun() {
        let mut ring: Ring<u64> = Ring::new(2);
        for _ in 0..3 {
            ring.push(|s| s);
        }
        assert_eq!(ring.since(1).err(), Some(Overrun { resume_at: 2 }));
        let got: Vec<u64> = ring.since(2).unwrap().copied().collect();
        assert_eq!(got, vec![2, 3]);
        assert_eq!(ring.since(4).unwrap().count(), 0);
    }
}
