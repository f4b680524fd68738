//! The step cache: what a step did to the world, kept so that the same
//! step on the same inputs is not run again.
//!
//! A step reads only part of the world: the kernel, the acting agent (none
//! for hardware, kernel, work and clock steps), the facts, the hardware
//! plan's progress, the parked operation, the namespace names and the
//! pump's cursors. It never reads another agent: agents meet only through
//! the kernel and the messages delivered to them. So two worlds that agree
//! on that part but differ in some other agent (one of them took a private
//! step, or read sysfs, or received a message) see the step do the same
//! thing, and a search meets such pairs at every interleaving of a reader
//! with a writer. The cache keys on exactly that part — the kernel, the
//! actor, the facts and the names by version (`KernelCell::version`,
//! `AgentSlot::ver`, `Versioned::version`: equal only for a shared,
//! unchanged value; versions are never reused), the rest by a hash of
//! its contents — and holds the step's outcome: the new kernel
//! and actor (shared, not copied), the new small parts, and the messages
//! the step delivered. A hit installs the outcome and delivers the
//! messages again to the other agents, as the step would have; the actor
//! already holds its own.
//!
//! Deliveries go through a memo too (`deliver_memo`): an agent of one
//! version that receives a message with the same content as before
//! becomes the agent it became then, version included, instead of a new
//! copy with a new version, so that the worlds a message reaches by
//! different paths agree on the receiver's version and the cache keeps
//! hitting after them.
//!
//! An agent step that did not look at the kernel at all (NetworkManager
//! taking a udev event for a device it already decided on: the kernel cell
//! notes every access, `KernelCell::take_touched`) is kept under a key
//! without the kernel and the cursors: it leaves both as they were, so it
//! hits in any kernel.
//!
//! A missed step's facts and actor are interned by content
//! (`intern_facts`, `intern_agent`): when the step left them as an
//! earlier step did, they take that value's version, so that a fact noted
//! again, or one agent state reached by two paths, does not split the
//! keys of the steps after it.
//!
//! A hit's world is the world the step would have made (the test
//! `step_cache_changes_nothing` compares whole searches). Steps are
//! recorded only with details off: a replay prints what each step saw,
//! which a cached outcome does not hold.

use crate::agent::{Agent, Msg};
use crate::facts::Facts;
use crate::fast_hash::FastMap;
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
struct Key {
    step: Step,
    kernel: u64,
    /// The acting agent's version; 0 for the machine's steps.
    actor: u64,
    facts: u64,
    nets: u64,
    /// Hardware progress, parker, cursors.
    rest: u128,
}

/// What a step left behind.
struct Outcome {
    /// `None` for an agent step that did not look at the kernel: it
    /// leaves the kernel and the cursors as they are.
    kernel: Option<KernelCell>,
    actor: Option<AgentSlot>,
    facts: Versioned<Facts>,
    hw_done: Vec<bool>,
    parker: Option<Parker>,
    nets: Versioned<BTreeMap<String, NetId>>,
    cursors: Option<[u64; 3]>,
    /// With each message's content hash, taken by the first re-delivery.
    delivered: Vec<(Option<usize>, Msg, OnceLock<u128>)>,
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
                if self.facts_seen.len() >= MAX_ENTRIES {
                    self.facts_seen.clear();
                }
                self.facts_seen.insert(hash, facts.clone());
            }
        }
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
    /// The key of `step` here; with `kernel` off, the key of an agent
    /// step that does not look at the kernel (kernel version 0, no
    /// cursors: such a step leaves both as they are).
    fn step_key(&self, step: &Step, kernel: bool) -> Key {
        let mut h = FpHasher::default();
        (&self.hw_done, &self.parker).hash(&mut h);
        if kernel {
            [self.uevent_cursor, self.mcast_cursor, self.event_cursor].hash(&mut h);
        }
        Key {
            step: step.clone(),
            kernel: if kernel { self.kernel.version() } else { 0 },
            actor: actor_of(step).map_or(0, |i| self.agents[i].ver),
            facts: self.facts.version(),
            nets: self.nets.version(),
            rest: h.finish128(),
        }
    }

    /// [`World::apply_enabled`] through the cache: the outcome of the same
    /// step on the same inputs is installed instead of run again.
    pub fn apply_cached(&mut self, step: &Step, cache: &mut StepCache) {
        if self.detail || cache.mode == CacheMode::Off {
            self.apply_enabled(step);
            return;
        }
        if !cache.pays(step) {
            self.memo_requests = true;
            self.apply_enabled(step);
            self.memo_requests = false;
            return;
        }
        let key = self.step_key(step, true);
        let blind = actor_of(step).map(|_| self.step_key(step, false));
        let lane = cache.lane(step);
        lane.0 = lane.0.saturating_add(1);
        let found = blind
            .as_ref()
            .and_then(|k| cache.map.get(k))
            .or_else(|| cache.map.get(&key))
            .cloned();
        if let Some(o) = found {
            cache.lane(step).1 += 1;
            cache.hits += 1;
            let ran = (cache.mode == CacheMode::Checked).then(|| {
                let mut w = self.clone();
                w.apply_enabled(step);
                w
            });
            self.install(&o, actor_of(step));
            if let Some(ran) = ran {
                check_same(&ran, self, step);
            }
            return;
        }
        cache.misses += 1;
        self.recording = Some(Vec::new());
        self.step_touched_kernel = true;
        self.memo_requests = true;
        self.apply_enabled(step);
        self.memo_requests = false;
        let delivered = self.recording.take().unwrap_or_default();
        if self.kernel.version() != key.kernel {
            self.intern_kernel(cache);
        }
        if self.facts.version() != key.facts {
            cache.intern_facts(&mut self.facts);
        }
        if let Some(i) = actor_of(step) {
            if self.agents[i].ver != key.actor {
                self.intern_agent(i, cache);
            }
        }
        let mut outcome = self.outcome(actor_of(step), delivered);
        let key = match blind {
            Some(b) if !self.step_touched_kernel => {
                outcome.kernel = None;
                outcome.cursors = None;
                b
            }
            _ => key,
        };
        if cache.map.len() >= MAX_ENTRIES {
            cache.map.clear();
        }
        cache.map.insert(key, Arc::new(outcome));
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
                if cache.kernels_seen.len() >= MAX_ENTRIES {
                    cache.kernels_seen.clear();
                }
                cache.kernels_seen.insert(key, self.kernel.clone());
            }
        }
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
                if cache.agents_seen.len() >= MAX_ENTRIES {
                    cache.agents_seen.clear();
                }
                cache.agents_seen.insert((i, hash), slot.clone());
            }
        }
    }

    fn outcome(&self, actor: Option<usize>, delivered: Vec<(Option<usize>, Msg)>) -> Outcome {
        Outcome {
            kernel: Some(self.kernel.clone()),
            actor: actor.map(|i| self.agents[i].clone()),
            facts: self.facts.clone(),
            hw_done: self.hw_done.clone(),
            parker: self.parker.clone(),
            nets: self.nets.clone(),
            cursors: Some([self.uevent_cursor, self.mcast_cursor, self.event_cursor]),
            delivered: delivered
                .into_iter()
                .map(|(from, m)| (from, m, OnceLock::new()))
                .collect(),
        }
    }

    fn install(&mut self, o: &Outcome, actor: Option<usize>) {
        if let Some(k) = &o.kernel {
            self.kernel = k.clone();
        }
        if let (Some(i), Some(a)) = (actor, &o.actor) {
            self.agents[i] = a.clone();
        }
        self.facts.clone_from(&o.facts);
        self.hw_done.clone_from(&o.hw_done);
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

/// A delivery's identity: the receiver's version and the message's
/// content.
#[derive(PartialEq, Eq, Hash)]
struct DeliveryKey {
    receiver: u64,
    msg: u128,
}

thread_local! {
    static DELIVERIES: std::cell::RefCell<FastMap<DeliveryKey, AgentSlot>> = Default::default();
}

/// Delivers `m` to an agent through a memo: the agent of this version that
/// received this message before is shared instead of copied and changed
/// again, so that the worlds where it arrives agree on the agent's version
/// (and the step cache can hit after it).
pub(crate) fn deliver_memo(
    slot: &mut AgentSlot,
    m: &Msg,
    hash: &OnceLock<u128>,
    deliver: impl FnOnce(&mut Arc<dyn Agent>, &Msg) -> u64,
) {
    let msg = *hash.get_or_init(|| {
        let mut h = FpHasher::default();
        m.hash(&mut h);
        h.finish128()
    });
    let key = DeliveryKey {
        receiver: slot.ver,
        msg,
    };
    if let Some(hit) = DELIVERIES.with(|d| d.borrow().get(&key).cloned()) {
        *slot = hit;
        return;
    }
    slot.ver = deliver(&mut slot.agent, m);
    slot.fp = Default::default();
    DELIVERIES.with(|d| {
        let mut d = d.borrow_mut();
        if d.len() >= MAX_ENTRIES {
            d.clear();
        }
        d.insert(key, slot.clone());
    });
}

/// A request's identity: the kernel version it met, the namespace it was
/// sent in and its bytes' content.
#[derive(PartialEq, Eq, Hash)]
struct RequestKey {
    kernel: u64,
    net: NetId,
    bytes: u128,
}

type Answer = Result<Vec<Vec<u8>>, ifnet_core::window::RtnlHeld>;

thread_local! {
    static REQUESTS: std::cell::RefCell<FastMap<RequestKey, (KernelCell, Answer)>> =
        Default::default();
}

/// `Kernel::rtnl_try_request` through a memo: a request is a function of
/// the kernel it meets (one version is one content) and of its bytes, so
/// the same request on the same kernel version takes the kernel it made
/// then (shared, fingerprint and invariants cached with it) and the same
/// replies, instead of running again. Two worlds that differ only in the
/// requester's history (udevd renaming a VF whose events came by two
/// orders) send one rename to one kernel: azure-vf-hotadd 6.18 sends 58
/// requests, 29 of them distinct. Used only while the step cache records
/// a missed step (`Cx::memo`); a replay runs every request.
pub(crate) fn request_memo(kernel: &mut KernelCell, net: NetId, bytes: &[u8]) -> Answer {
    let mut h = FpHasher::default();
    bytes.hash(&mut h);
    let key = RequestKey {
        kernel: kernel.version(),
        net,
        bytes: h.finish128(),
    };
    if let Some((k, answer)) = REQUESTS.with(|r| r.borrow().get(&key).cloned()) {
        *kernel = k;
        kernel.mark_touched();
        return answer;
    }
    let answer = kernel.rtnl_try_request(net, bytes);
    REQUESTS.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() >= MAX_ENTRIES {
            r.clear();
        }
        r.insert(key, (kernel.clone(), answer.clone()));
    });
    answer
}

impl Drop for StepCache {
    /// The delivery and request memos live as long as the search's cache:
    /// what they hold is of no use to another search (versions are never
    /// shared).
    fn drop(&mut self) {
        DELIVERIES.with(|d| d.borrow_mut().clear());
        REQUESTS.with(|r| r.borrow_mut().clear());
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
mod tests {
    use super::*;
    use crate::{builtin, Scenario};

    /// Two kernel-changing steps that commute reach one kernel state by
    /// two paths: with the cache on, the second path's kernel is the
    /// first's cell (one version, one fingerprint and invariant check);
    /// with it off, two copies. Walks azure-vf-hotadd 6.18 until such a
    /// pair shows up, so the test cannot pass without one.
    #[test]
    fn commuting_writes_share_one_kernel() {
        let s = Scenario::parse(builtin::get("azure-vf-hotadd").unwrap()).unwrap();
        let start = s.build(Some("6.18"), &BTreeMap::new()).unwrap();
        let mut cache = StepCache::new(CacheMode::On);
        let mut frontier = vec![start];
        let mut pairs = 0;
        for _depth in 0..12 {
            let mut next = Vec::new();
            for w in &frontier {
                let en = w.enabled();
                for (i, (a, _)) in en.iter().enumerate() {
                    for (b, _) in &en[i + 1..] {
                        let (ab, ba) = (two(w, a, b, &mut cache), two(w, b, a, &mut cache));
                        let (Some(ab), Some(ba)) = (ab, ba) else {
                            continue;
                        };
                        let same = ab.kernel.fingerprint_and_context()
                            == ba.kernel.fingerprint_and_context()
                            && ab.kernel.user_names_hash() == ba.kernel.user_names_hash();
                        if !same {
                            continue;
                        }
                        pairs += 1;
                        assert!(
                            ab.kernel.shares_with(&ba.kernel),
                            "{a} then {b} and {b} then {a}: two kernel copies"
                        );
                        let mut off = StepCache::new(CacheMode::Off);
                        let (x, y) = (w.clone(), w.clone());
                        let (x, y) = (
                            then(then(x, a, &mut off), b, &mut off),
                            then(then(y, b, &mut off), a, &mut off),
                        );
                        assert!(
                            !x.kernel.shares_with(&y.kernel),
                            "no copy without the cache"
                        );
                    }
                }
                for (st, _) in en.iter().take(3) {
                    next.push(then(w.clone(), st, &mut cache));
                }
            }
            frontier = next;
        }
        assert!(pairs > 0, "no two commuting kernel writes were met");
    }

    /// `request_memo`: the same bytes on the same kernel version take the
    /// kernel cell and the replies the first run made; on another version
    /// the request runs again; the cache's drop empties the memo.
    #[test]
    fn a_request_on_one_kernel_runs_once() {
        use ifnet_core::client::{try_encode, Client};
        use netlink_packet_core::{NLM_F_ACK, NLM_F_REQUEST};
        use netlink_packet_route::link::{LinkFlags, LinkMessage};
        use netlink_packet_route::RouteNetlinkMessage;
        let cache = StepCache::new(CacheMode::On);
        let mut k = ifnet_core::Kernel::new(ifnet_core::KernelProfile::latest());
        let net = k.init_net();
        Client::new(&mut k, net).add_veth("va", "pa").unwrap();
        let index = k.dev_get_by_name(net, "va").unwrap();
        let index = k.dev(index).ifindex;
        let mut up = LinkMessage::default();
        up.header.index = index;
        up.header.flags = LinkFlags::Up;
        up.header.change_mask = LinkFlags::Up;
        let bytes = try_encode(
            RouteNetlinkMessage::SetLink(up),
            NLM_F_REQUEST | NLM_F_ACK,
            7,
        )
        .unwrap();
        let base = KernelCell::new(k);
        let (mut a, mut b) = (base.clone(), base.clone());
        let ra = request_memo(&mut a, net, &bytes);
        let rb = request_memo(&mut b, net, &bytes);
        assert!(ra.is_ok() && ra == rb, "one answer");
        assert!(
            a.shares_with(&b) && a.version() == b.version(),
            "one kernel"
        );
        assert!(!a.shares_with(&base), "the request changed the kernel");
        assert!(b.take_touched(), "a memo answer is an access");
        // From the new kernel the same bytes are another request.
        let mut c = a.clone();
        let _ = request_memo(&mut c, net, &bytes);
        assert_ne!(c.version(), a.version());
        drop(cache);
        let mut d = base.clone();
        let _ = request_memo(&mut d, net, &bytes);
        assert!(!d.shares_with(&a), "the memo went with the cache");
    }

    fn then(mut w: World, s: &Step, cache: &mut StepCache) -> World {
        w.apply_cached(s, cache);
        w
    }

    /// `a` then `b` from `w`, when both are enabled and both change the
    /// kernel.
    fn two(w: &World, a: &Step, b: &Step, cache: &mut StepCache) -> Option<World> {
        let x = then(w.clone(), a, cache);
        if x.kernel.version() == w.kernel.version() || !x.enabled().iter().any(|(s, _)| s == b) {
            return None;
        }
        let y = then(x.clone(), b, cache);
        (y.kernel.version() != x.kernel.version()).then_some(y)
    }
}
