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

impl Facts {
    /// Adds `d` (facts a step added), bounded as the writes are.
    pub(crate) fn add(&mut self, d: &Facts) {
        for r in &d.renames {
            self.rename(r.clone());
        }
        self.nm_defaults.extend(d.nm_defaults.iter().copied());
        self.configured.extend(d.configured.iter().cloned());
        self.seen_without_slave
            .extend(d.seen_without_slave.iter().copied());
        self.seen_before_join
            .extend(d.seen_before_join.iter().copied());
        self.rename_while_up |= d.rename_while_up;
        self.event_after_move |= d.event_after_move;
        self.netns_died_with_phys |= d.netns_died_with_phys;
        self.bond_lost_last_slave |= d.bond_lost_last_slave;
        for (agent, text) in &d.crashes {
            self.crash(agent, text.clone());
        }
        self.dropped = self.dropped.saturating_add(d.dropped);
    }

    pub(crate) fn is_empty(&self) -> bool {
        let Facts {
            renames,
            nm_defaults,
            configured,
            seen_without_slave,
            seen_before_join,
            rename_while_up,
            event_after_move,
            netns_died_with_phys,
            bond_lost_last_slave,
            crashes,
            dropped,
        } = self;
        renames.is_empty()
            && nm_defaults.is_empty()
            && configured.is_empty()
            && seen_without_slave.is_empty()
            && seen_before_join.is_empty()
            && !(*rename_while_up || *event_after_move)
            && !(*netns_died_with_phys || *bond_lost_last_slave)
            && crashes.is_empty()
            && *dropped == 0
    }
}

/// The facts an agent's step records: write-only. Facts are the
/// explorer's record of what agents did, for the invariants and
/// witnesses to judge; a real process cannot see them, so a modelled one
/// cannot read them either. That is also what lets the step cache apply
/// a step's additions to facts other than the ones it ran with.
#[derive(Debug, Default)]
pub struct FactsLog {
    added: Facts,
}

impl FactsLog {
    pub fn rename(&mut self, f: RenameFact) {
        self.added.renames.push(f);
    }

    /// An agent failed (an exception, a failed event).
    pub fn crash(&mut self, agent: &str, text: String) {
        self.added.crashes.push((agent.to_string(), text));
    }

    /// `agent` configured `dev` for IP.
    pub fn configured(&mut self, agent: &str, dev: DevId) {
        self.added.configured.insert((agent.to_string(), dev));
    }

    /// NetworkManager created "Wired connection N" for `dev`.
    pub fn nm_default(&mut self, dev: DevId) {
        self.added.nm_defaults.insert(dev);
    }

    /// `dev`'s `flags` was read without IFF_SLAVE.
    pub fn seen_without_slave(&mut self, dev: DevId) {
        self.added.seen_without_slave.insert(dev);
    }

    /// `dev`'s `flags` was read before it had a master.
    pub fn seen_before_join(&mut self, dev: DevId) {
        self.added.seen_before_join.insert(dev);
    }

    pub fn rename_while_up(&mut self) {
        self.added.rename_while_up = true;
    }

    pub fn event_after_move(&mut self) {
        self.added.event_after_move = true;
    }

    /// Adds what the step recorded to `facts` (a test driving an agent
    /// by hand; the world does it after each step).
    pub fn add_to(self, facts: &mut Facts) {
        facts.add(&self.added);
    }

    pub(crate) fn into_added(self) -> Facts {
        self.added
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One write an agent or the hardware makes.
    #[derive(Debug, Clone)]
    enum Write {
        Rename(u32, bool),
        Crash(u8),
        Configured(u8, u32),
        NmDefault(u32),
        SeenWithoutSlave(u32),
        SeenBeforeJoin(u32),
        RenameWhileUp,
        EventAfterMove,
        NetnsDied,
        BondLost,
    }

    fn dev(i: u32) -> DevId {
        DevId {
            index: i % 4,
            generation: 0,
        }
    }

    fn write(f: &mut Facts, w: &Write) {
        let mut log = FactsLog::default();
        match w {
            Write::Rename(d, ok) => log.rename(RenameFact {
                dev: dev(*d),
                from: "eth1".into(),
                wanted: "enP1s1".into(),
                outcome: if *ok {
                    RenameOutcome::Renamed
                } else {
                    RenameOutcome::Failed
                },
            }),
            Write::Crash(n) => log.crash("cloud-init", format!("RuntimeError {n}")),
            Write::Configured(a, d) => {
                log.configured(["nm", "cloud-init"][*a as usize % 2], dev(*d))
            }
            Write::NmDefault(d) => log.nm_default(dev(*d)),
            Write::SeenWithoutSlave(d) => log.seen_without_slave(dev(*d)),
            Write::SeenBeforeJoin(d) => log.seen_before_join(dev(*d)),
            Write::RenameWhileUp => log.rename_while_up(),
            Write::EventAfterMove => log.event_after_move(),
            Write::NetnsDied => f.netns_died_with_phys = true,
            Write::BondLost => f.bond_lost_last_slave = true,
        }
        log.add_to(f);
    }

    fn writes() -> impl Strategy<Value = Vec<Write>> {
        let one = prop_oneof![
            (0..6u32, any::<bool>()).prop_map(|(d, ok)| Write::Rename(d, ok)),
            (0..3u8).prop_map(Write::Crash),
            (0..2u8, 0..6u32).prop_map(|(a, d)| Write::Configured(a, d)),
            (0..6u32).prop_map(Write::NmDefault),
            (0..6u32).prop_map(Write::SeenWithoutSlave),
            (0..6u32).prop_map(Write::SeenBeforeJoin),
            Just(Write::RenameWhileUp),
            Just(Write::EventAfterMove),
            Just(Write::NetnsDied),
            Just(Write::BondLost),
        ];
        proptest::collection::vec(one, 0..8)
    }

    /// One write as the world records it: a delta of its own.
    fn delta(w: &Write) -> Facts {
        let mut d = Facts::default();
        write(&mut d, w);
        d
    }

    proptest! {
        /// A step's writes, recorded on one value (as `World::add_facts`
        /// logs them) and added to another, make of that other what the
        /// writes themselves make: also a write the first value already
        /// held (a flag set again, a device seen again), and past a
        /// kind's bound. The step cache's facts-blind outcomes rest on it.
        #[test]
        fn recorded_writes_carry_over(
            base_a in writes(),
            base_b in writes(),
            step in writes(),
            full in any::<bool>(),
        ) {
            let (mut a, mut b) = (Facts::default(), Facts::default());
            base_a.iter().for_each(|w| write(&mut a, w));
            base_b.iter().for_each(|w| write(&mut b, w));
            if full {
                let r = RenameFact { dev: dev(0), from: "x".into(), wanted: "y".into(), outcome: RenameOutcome::Renamed };
                b.renames = vec![r; MAX_FACTS - 1];
            }
            let mut log = Facts::default();
            for w in &step {
                let d = delta(w);
                a.add(&d);
                log.add(&d);
            }
            let mut carried = b.clone();
            carried.add(&log);
            step.iter().for_each(|w| write(&mut b, w));
            prop_assert_eq!(carried, b);
        }
    }
}
