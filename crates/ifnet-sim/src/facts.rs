//! Facts: what agents did that the invariants and witnesses judge (a
//! rename and its outcome, a default connection, a configured device, a
//! flags read). They are part of the explored state, since a property
//! such as "the VF was seen without IFF_SLAVE and is later joined" depends
//! on history.

use ifnet_core::DevId;
use std::collections::BTreeSet;

/// How udev's `rename_netif` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenameOutcome {
    Renamed,
    /// EBUSY or another error, logged "Failed to rename network interface".
    Failed,
    /// v250–252: IFF_UP read first, "is already up, refusing to rename".
    SkippedUp,
    /// v253+: EBUSY logged as info "is already up, cannot rename", r = 0.
    AlreadyUp,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RenameFact {
    pub dev: DevId,
    pub from: String,
    pub wanted: String,
    pub outcome: RenameOutcome,
}

/// Everything agents did that a property looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Facts {
    pub renames: Vec<RenameFact>,
    /// Devices NetworkManager created "Wired connection N" for.
    pub nm_defaults: BTreeSet<DevId>,
    /// Devices an agent configured for IP (agent, device).
    pub configured: BTreeSet<(String, DevId)>,
    /// Devices whose `flags` an agent read without IFF_SLAVE.
    pub seen_without_slave: BTreeSet<DevId>,
    /// Devices whose `flags` an agent read before they had a master.
    pub seen_before_join: BTreeSet<DevId>,
    /// A rename was requested while the device was UP.
    pub rename_while_up: bool,
    /// A device's `add` was processed after it left the namespace.
    pub event_after_move: bool,
    /// A namespace died while it held a physical device.
    pub netns_died_with_phys: bool,
    /// A bond's only slave was unplugged (it unregistered as the last).
    pub bond_lost_last_slave: bool,
    /// Agent failures (an exception, a failed event), with their text.
    pub crashes: Vec<(String, String)>,
    /// Bounded: past this many facts of one kind, further ones are dropped.
    pub dropped: u32,
}

/// Bound on the facts of one kind.
pub const MAX_FACTS: usize = 1024;

impl Facts {
    pub fn rename(&mut self, f: RenameFact) {
        if self.renames.len() < MAX_FACTS {
            self.renames.push(f);
        } else {
            self.dropped += 1;
        }
    }

    pub fn crash(&mut self, agent: &str, text: String) {
        if self.crashes.len() < MAX_FACTS {
            self.crashes.push((agent.to_string(), text));
        } else {
            self.dropped += 1;
        }
    }
}
