//! The step cache: what a step did to the world, kept so that the same
//! step on the same inputs is not run again.
//!
//! A step reads only part of the world: the kernel, the acting agent (none
//! for hardware, kernel, work and clock steps), the hardware plan's
//! progress, the parked operation, the namespace names and the pump's
//! cursors. It never reads another agent: agents meet only through the
//! kernel and the messages delivered to them. Nor does it read the facts:
//! they are the explorer's record of what agents did, which a real
//! process cannot see, and a step can only write them (`FactsLog`). So
//! two worlds that agree on that part but differ in some other agent (one
//! of them took a private step, or read sysfs, or received a message) or
//! in the facts see the step do the same thing, and a search meets such
//! pairs at every interleaving of a reader with a writer. The cache keys
//! on exactly that part — the kernel, the actor and the names by version
//! (`KernelCell::version`, `AgentSlot::ver`, `Versioned::version`: equal
//! only for a shared, unchanged value; versions are never reused), the
//! rest by a hash of its contents — and holds the step's outcome: the new
//! kernel and actor (shared, not copied), the new small parts, the facts
//! the step wrote and the messages it delivered. A hit installs the
//! outcome, writes the facts into its own (one addition to one facts
//! version gives one version: `install_facts`) and delivers the messages
//! again to the other agents, as the step would have; the actor already
//! holds its own.
//!
//! Deliveries and agents' rtnetlink requests go through memos too
//! (`step_memo`): the same message to the same agent version, the same
//! request to the same kernel version, give the agent or kernel they gave
//! before, version included, so that worlds reached by different paths
//! agree on versions and the cache keeps hitting after them.
//!
//! An agent step that did not look at the kernel at all (NetworkManager
//! taking a udev event for a device it already decided on: the kernel cell
//! notes every access, `KernelCell::take_touched`) is kept under a key
//! without the kernel and the cursors: it leaves both as they were, so it
//! hits in any kernel.
//!
//! What a missed step leaves is interned by content: its facts and actor
//! (`intern_facts`, `intern_agent`) and its kernel (`intern_kernel`, by
//! fingerprint, canonical context and user-visible names): when the step
//! left one as an earlier step did, it takes that value's version, so
//! that a fact noted again, one agent state reached by two paths or two
//! kernel writes that commute do not split the keys of the steps after.
//!
//! A hit's world is the world the step would have made (the test
//! `step_cache_changes_nothing` compares whole searches). Steps are
//! recorded only with details off: a replay prints what each step saw,
//! which a cached outcome does not hold.

use crate::agent::{Agent, Msg};
use crate::facts::Facts;
use crate::fast_hash::{insert_bounded, FastMap};
use crate::kcell::KernelCell;
use crate::step::Step;
use crate::versioned::Versioned;
use crate::world::{AgentSlot, Parker, World};
use ifnet_core::fingerprint::FpHasher;
use ifnet_core::NetId;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};

/// Outcomes held at most; a full cache is emptied (outcomes are
/// recomputed, so only speed depends on what it holds).
pub const MAX_ENTRIES: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    step: Step,
    kernel: u64,
    /// The acting agent's version; 0 for the machine's steps.
    actor: u64,
    nets: u64,
    hw_done: crate::world::HwDone,
    parker: Option<Parker>,
    /// `None` in the key of an agent step that does not look at the
    /// kernel.
    cursors: Option<[u64; 3]>,
}

/// What a step left behind.
pub(crate) struct Outcome {
    /// `None` for an agent step that did not look at the kernel: it
    /// leaves the kernel and the cursors as they are.
    kernel: Option<KernelCell>,
    actor: Option<AgentSlot>,
    facts: FactsOutcome,
    /// Names the outcome in the memo of facts additions applied.
    id: u64,
    hw_done: crate::world::HwDone,
    parker: Option<Parker>,
    nets: Versioned<BTreeMap<String, NetId>>,
    cursors: Option<[u64; 3]>,
    /// With each message's content hash, taken by the first re-delivery.
    delivered: Vec<(Option<usize>, Msg, OnceLock<u128>)>,
}

/// What the cache holds for a step in a world (`World::look_up`).
pub(crate) enum Looked {
    /// Run the step itself: the cache is off (or details are on), or its
    /// lane bypasses the cache (`memo`: requests still go through the
    /// request memo).
    Run {
        memo: bool,
    },
    Hit(Arc<Outcome>),
    /// Not held: run it and keep its outcome under these keys.
    Miss(Key, Option<Key>),
}

/// What a step did to the facts.
enum FactsOutcome {
    Unchanged,
    /// What it wrote, to be written to whatever facts a hit has.
    Added(Facts),
}

/// How a search uses the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    On,
    Off,
    /// On, and every hit is also run on a copy of the world; the two
    /// worlds must have one fingerprint (and each agent one hash), or the
    /// search panics: a cache that changed the search is a bug.
    Checked,
}

/// Tries of a lane before the cache judges whether it pays there.
const TRIAL: u32 = 256;

pub struct StepCache {
    mode: CacheMode,
    map: FastMap<Key, Arc<Outcome>>,
    /// By lane (the machine, then each agent): (tries, hits). A lane
    /// whose steps hit less than one time in eight over its first
    /// `TRIAL` tries bypasses the cache from then on: an outcome the
    /// cache holds makes the next change of that kernel or agent copy
    /// it, which costs more than the rare hit saves (udevd in
    /// netns-lifecycle, where nearly every step meets a new kernel).
    lanes: Vec<(u32, u32)>,
    /// Facts by content hash, and self-contained agents by (index,
    /// content hash): a step that leaves either as some earlier step left
    /// it takes that one's version (a fact noted again is still a change
    /// of version; the same agent state reached by two paths is two).
    facts_seen: FastMap<u128, Versioned<Facts>>,
    agents_seen: FastMap<(usize, u128), AgentSlot>,
    /// (facts version, outcome id) → the facts that outcome's additions
    /// made of them: so that one addition to one value gives one version.
    facts_added: FastMap<(u64, u64), Versioned<Facts>>,
    next_outcome: u64,
    /// Kernels by (fingerprint, canonical context, user-visible names):
    /// see `intern_kernel`.
    kernels_seen: FastMap<(u128, u128, u128), KernelCell>,
    pub hits: u64,
    pub misses: u64,
}

impl StepCache {
    pub fn new(mode: CacheMode) -> StepCache {
        StepCache {
            mode,
            // Sized for a full cache at once: growing it rehashes.
            map: FastMap::with_capacity_and_hasher(MAX_ENTRIES, Default::default()),
            lanes: Vec::new(),
            facts_seen: FastMap::default(),
            agents_seen: FastMap::default(),
            facts_added: FastMap::default(),
            next_outcome: 0,
            kernels_seen: FastMap::default(),
            hits: 0,
            misses: 0,
        }
    }

    fn lane(&mut self, step: &Step) -> &mut (u32, u32) {
        let i = actor_of(step).map_or(0, |a| a + 1);
        if self.lanes.len() <= i {
            self.lanes.resize(i + 1, (0, 0));
        }
        &mut self.lanes[i]
    }

    /// Gives `facts` the version of an equal value seen before.
    fn intern_facts(&mut self, facts: &mut Versioned<Facts>) {
        let mut h = FpHasher::default();
        (**facts).hash(&mut h);
        let hash = h.finish128();
        match self.facts_seen.get(&hash) {
            Some(old) if **old == **facts => *facts = old.clone(),
            Some(_) => {}
            None => {
                insert_bounded(&mut self.facts_seen, MAX_ENTRIES, hash, facts.clone());
            }
        }
    }

    /// `Checked`: the search makes every world and compares.
    pub(crate) fn checked(&self) -> bool {
        self.mode == CacheMode::Checked
    }

    /// Whether steps of this lane still go through the cache.
    fn pays(&mut self, step: &Step) -> bool {
        let (tries, hits) = *self.lane(step);
        tries < TRIAL || hits >= tries / 8
    }
}

fn actor_of(step: &Step) -> Option<usize> {
    match step {
        Step::Agent { agent, .. } => Some(*agent),
        _ => None,
    }
}

impl World {
    /// The key of `step` here and, for an agent step, the key it has if
    /// it does not look at the kernel (kernel version 0, no cursors: such
    /// a step leaves both as they are).
    fn step_keys(&self, step: &Step) -> (Key, Option<Key>) {
        let key = Key {
            step: step.clone(),
            kernel: self.kernel.version(),
            actor: actor_of(step).map_or(0, |i| self.agents[i].ver),
            nets: self.nets.version(),
            hw_done: self.hw_done,
            parker: self.parker.clone(),
            cursors: Some([self.uevent_cursor, self.mcast_cursor, self.event_cursor]),
        };
        let blind = actor_of(step).map(|_| Key {
            kernel: 0,
            cursors: None,
            ..key.clone()
        });
        (key, blind)
    }

    /// [`World::apply_enabled`] through the cache: the outcome of the same
    /// step on the same inputs is installed instead of run again.
    pub fn apply_cached(&mut self, step: &Step, cache: &mut StepCache) {
        let looked = self.look_up(step, cache);
        self.apply_looked(step, looked, cache);
    }

    /// What the cache holds for `step` here (a hit or a miss is counted).
    pub(crate) fn look_up(&self, step: &Step, cache: &mut StepCache) -> Looked {
        if self.detail || cache.mode == CacheMode::Off {
            return Looked::Run { memo: false };
        }
        if !cache.pays(step) {
            return Looked::Run { memo: true };
        }
        let (key, blind) = self.step_keys(step);
        let lane = cache.lane(step);
        lane.0 = lane.0.saturating_add(1);
        let found = blind
            .as_ref()
            .and_then(|k| cache.map.get(k))
            .or_else(|| cache.map.get(&key))
            .cloned();
        match found {
            Some(o) => {
                cache.lane(step).1 += 1;
                cache.hits += 1;
                Looked::Hit(o)
            }
            None => {
                cache.misses += 1;
                Looked::Miss(key, blind)
            }
        }
    }

    /// Takes `step` as `look_up` found it: runs it, installs the outcome
    /// of a hit, or runs a miss and keeps its outcome.
    pub(crate) fn apply_looked(&mut self, step: &Step, looked: Looked, cache: &mut StepCache) {
        let (key, blind) = match looked {
            Looked::Run { memo } => {
                self.memo_requests = memo;
                self.apply_enabled(step);
                self.memo_requests = false;
                return;
            }
            Looked::Hit(o) => {
                let ran = (cache.mode == CacheMode::Checked).then(|| {
                    let mut w = self.clone();
                    w.apply_enabled(step);
                    w
                });
                self.install(&o, actor_of(step), cache);
                if let Some(ran) = ran {
                    check_same(&ran, self, step);
                }
                return;
            }
            Looked::Miss(key, blind) => (key, blind),
        };
        self.recording = Some(Box::default());
        self.step_touched_kernel = true;
        self.memo_requests = true;
        self.apply_enabled(step);
        self.memo_requests = false;
        let recorded = *self.recording.take().unwrap_or_default();
        if self.kernel.version() != key.kernel {
            self.intern_kernel(cache);
        }
        let facts = if recorded.facts.is_empty() {
            FactsOutcome::Unchanged
        } else {
            cache.intern_facts(&mut self.facts);
            FactsOutcome::Added(recorded.facts)
        };
        let delivered = recorded.delivered;
        if let Some(i) = actor_of(step) {
            if self.agents[i].ver != key.actor {
                self.intern_agent(i, cache);
            }
        }
        cache.next_outcome += 1;
        let mut outcome = self.outcome(actor_of(step), delivered, facts, cache.next_outcome);
        let key = match blind {
            Some(b) if !self.step_touched_kernel => {
                outcome.kernel = None;
                outcome.cursors = None;
                b
            }
            _ => key,
        };
        insert_bounded(&mut cache.map, MAX_ENTRIES, key, Arc::new(outcome));
    }

    /// Gives the kernel the cell of an equal kernel seen before: one with
    /// the same fingerprint, the same canonical context (so every `DevId`,
    /// `NetId` and `Instant` user space holds names the same object in
    /// both) and the same user-visible names (`Kernel::user_names_hash`:
    /// ring sequence numbers, nsfs inodes). Two such kernels differ only
    /// in the history their rings keep, which the world has read to the
    /// end (checked here) and which only a replay shows (it runs without
    /// the cache). Two steps that commute through the kernel (one device
    /// set up, another given an address) reach one kernel by two paths;
    /// without this the two copies have two versions, and every later
    /// step misses the cache and checks the invariants again on one of
    /// them (azure-vf-hotadd 6.18: 202 kernel states made, 36 distinct).
    /// The fingerprint is computed here rather than by the visit that
    /// follows: it is the same cached value.
    fn intern_kernel(&mut self, cache: &mut StepCache) {
        let read_all = self.uevent_cursor == self.kernel.uevent_next_seq()
            && (!self.multicast || self.mcast_cursor == self.kernel.mcast_next_seq());
        if !read_all {
            return;
        }
        let (fp, ctx) = self.kernel.fingerprint_and_context();
        let key = (fp.0, ctx, self.kernel.user_names_hash());
        match cache.kernels_seen.get(&key) {
            Some(k) => self.kernel = k.clone(),
            None => {
                insert_bounded(
                    &mut cache.kernels_seen,
                    MAX_ENTRIES,
                    key,
                    self.kernel.clone(),
                );
            }
        }
    }

    /// Adds a cached step's facts to this world's: the value one outcome
    /// made of one version before (memo), or a new value interned by
    /// content.
    fn install_facts(&mut self, added: &Facts, id: u64, cache: &mut StepCache) {
        self.facts = self.facts_after(added, id, cache);
    }

    /// The facts outcome `id`'s additions make of this world's.
    fn facts_after(&self, added: &Facts, id: u64, cache: &mut StepCache) -> Versioned<Facts> {
        let key = (self.facts.version(), id);
        if let Some(f) = cache.facts_added.get(&key) {
            return f.clone();
        }
        let mut facts = self.facts.clone();
        facts.add(added);
        cache.intern_facts(&mut facts);
        insert_bounded(&mut cache.facts_added, MAX_ENTRIES, key, facts.clone());
        facts
    }

    /// The fingerprint of the world a hit's outcome `o` makes of this one,
    /// without making it: the search skips a step back into a state it
    /// has seen on this alone (no copy of the world made, filled in and
    /// dropped). The parts `install` would put in place, hashed by
    /// `world::fingerprint_of` as `World::fingerprint` hashes its own (in
    /// `Checked` mode the search compares the two). `None` for a step that
    /// delivered messages: its receivers would have to be copied to tell.
    pub(crate) fn fingerprint_after(
        &self,
        step: &Step,
        o: &Outcome,
        cache: &mut StepCache,
    ) -> Option<ifnet_core::Fingerprint> {
        if !o.delivered.is_empty() {
            return None;
        }
        let facts = match &o.facts {
            FactsOutcome::Unchanged => self.facts.clone(),
            FactsOutcome::Added(added) => self.facts_after(added, o.id, cache),
        };
        let replaced = match (actor_of(step), &o.actor) {
            (Some(i), Some(a)) => Some((i, a)),
            _ => None,
        };
        Some(crate::world_fp::fingerprint_of(&crate::world_fp::FpParts {
            kernel: o.kernel.as_ref().unwrap_or(&self.kernel),
            hw_done: o.hw_done,
            parker: &o.parker,
            facts: &facts,
            nets: &o.nets,
            agents: crate::world_fp::AgentsView {
                base: &self.agents,
                replaced,
            },
        }))
    }

    /// Gives agent `i` the version of an equal state seen before (for an
    /// agent whose hash is self-contained: the hash is then its content).
    fn intern_agent(&mut self, i: usize, cache: &mut StepCache) {
        let slot = &mut self.agents[i];
        if !slot.agent.hash_is_self_contained() {
            return;
        }
        let hash = slot.own_hash();
        match cache.agents_seen.get(&(i, hash)) {
            Some(old) => *slot = old.clone(),
            None => {
                insert_bounded(&mut cache.agents_seen, MAX_ENTRIES, (i, hash), slot.clone());
            }
        }
    }

    fn outcome(
        &self,
        actor: Option<usize>,
        delivered: Vec<(Option<usize>, Msg)>,
        facts: FactsOutcome,
        id: u64,
    ) -> Outcome {
        Outcome {
            kernel: Some(self.kernel.clone()),
            actor: actor.map(|i| self.agents[i].clone()),
            facts,
            id,
            hw_done: self.hw_done,
            parker: self.parker.clone(),
            nets: self.nets.clone(),
            cursors: Some([self.uevent_cursor, self.mcast_cursor, self.event_cursor]),
            delivered: delivered
                .into_iter()
                .map(|(from, m)| (from, m, OnceLock::new()))
                .collect(),
        }
    }

    fn install(&mut self, o: &Outcome, actor: Option<usize>, cache: &mut StepCache) {
        if let Some(k) = &o.kernel {
            self.kernel = k.clone();
        }
        if let (Some(i), Some(a)) = (actor, &o.actor) {
            self.agents[i] = a.clone();
        }
        match &o.facts {
            FactsOutcome::Unchanged => {}
            FactsOutcome::Added(added) => self.install_facts(added, o.id, cache),
        }
        self.hw_done = o.hw_done;
        self.parker.clone_from(&o.parker);
        self.nets.clone_from(&o.nets);
        if let Some(c) = o.cursors {
            [self.uevent_cursor, self.mcast_cursor, self.event_cursor] = c;
        }
        for (from, m, hash) in &o.delivered {
            self.deliver_skipping(*from, actor, m, hash);
        }
    }
}

/// A cached step's world against the world the step made (`Checked`).
fn check_same(ran: &World, cached: &World, step: &Step) {
    for (i, (a, b)) in ran.agents.iter().zip(&cached.agents).enumerate() {
        let (a, b) = (&a.agent, &b.agent);
        let hash = |x: &Arc<dyn Agent>| {
            let mut h = FpHasher::default();
            let mut dh: &mut dyn std::hash::Hasher = &mut h;
            x.hash_state(&mut dh);
            h.finish128()
        };
        assert_eq!(
            hash(a),
            hash(b),
            "step cache: agent {i} differs after {step}"
        );
    }
    assert!(
        ran.kernel.fingerprint() == cached.kernel.fingerprint()
            && *ran.facts == *cached.facts
            && *ran.nets == *cached.nets
            && ran.hw_done == cached.hw_done
            && ran.parker == cached.parker
            && [ran.uevent_cursor, ran.mcast_cursor, ran.event_cursor]
                == [
                    cached.uevent_cursor,
                    cached.mcast_cursor,
                    cached.event_cursor
                ],
        "step cache: the world differs after {step}"
    );
    assert_eq!(
        ran.fingerprint(),
        cached.fingerprint(),
        "step cache: fingerprint after {step}"
    );
}

#[cfg(test)]
#[path = "step_cache_tests.rs"]
mod tests;
