//! The world the explorer searches: the kernel model, the agents, the
//! hardware plan and the facts, with the steps enabled in a state
//! (`enabled`), running one (`apply`) and the state's fingerprint. A world
//! is a value: cloning it forks the run.

use crate::action::Action;
use crate::agent::{Agent, Cx, Msg};
pub(crate) use crate::agent_slot::AgentSlot;
use crate::agent_slot::{agent_mut, next_agent_version};
use crate::facts::Facts;
use crate::step::{Footprint, Step};
use crate::versioned::Versioned;
use crate::world_fp::{fingerprint_of, AgentsView, FpParts};
use ifnet_core::workqueue::WorkItem;
use ifnet_core::{Fingerprint, Kernel, NetId, Window};
use std::collections::BTreeMap;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};

/// A hardware event of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HwEvent {
    pub name: String,
    pub action: Action,
    /// Indexes of the events that must have happened first.
    pub after: Vec<usize>,
}

/// Who parked the kernel operation in a window.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Parker {
    /// The probe of a plugged bus device: its `bind` uevent follows.
    Plug {
        /// Shared: every world forked while the probe waits holds it.
        bus: Arc<str>,
        kind: crate::hardware::Bus,
    },
    /// A namespace move an agent requested.
    Move,
}

/// What one step did, for replay and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    pub step: Step,
    pub lane: String,
    pub text: String,
    /// What the actor saw (sysfs values, uevents, netlink answers) and
    /// what the kernel did (with detail on).
    pub detail: Vec<String>,
}

#[derive(Clone)]
pub struct World {
    /// The kernel, shared with forked worlds until one changes it.
    pub kernel: crate::kcell::KernelCell,
    /// The agents, in lane order. A change goes through `agent_changed`
    /// (or drops the cached hash and takes a new version itself).
    pub(crate) agents: Vec<AgentSlot>,
    /// Namespace names as /var/run/netns holds them.
    pub nets: Versioned<BTreeMap<String, NetId>>,
    /// The plan (shared between forks: it never changes).
    pub hw: std::sync::Arc<Vec<HwEvent>>,
    pub hw_done: HwDone,
    /// Symmetry groups over hardware events (indexes, in declaration
    /// order): of a group's enabled events only the first is offered.
    pub symmetric: std::sync::Arc<Vec<Vec<usize>>>,
    pub parker: Option<Parker>,
    pub facts: Versioned<Facts>,
    pub(crate) uevent_cursor: u64,
    pub(crate) mcast_cursor: u64,
    pub(crate) event_cursor: u64,
    /// Record the kernel's event log into step details (replay).
    pub detail: bool,
    /// Some agent listens to link multicast.
    pub(crate) multicast: bool,
    /// While the step cache records a step: what it delivered and wrote.
    /// (Boxed: a world is moved several times per step, and a `Facts` is
    /// larger than the rest of it.)
    pub(crate) recording: Option<Box<Recording>>,
    /// The last agent step read or changed the kernel (or ran a script
    /// action): whether its outcome depends on the kernel.
    pub(crate) step_touched_kernel: bool,
    /// Agents' requests go through the step cache's request memo (set by
    /// `apply_cached` around a step it runs).
    pub(crate) memo_requests: bool,
}

/// What a step the step cache records did beyond its new kernel and
/// actor: what a hit does again.
#[derive(Clone, Default)]
pub(crate) struct Recording {
    /// Every message delivered, with its sender.
    pub(crate) delivered: Vec<(Option<usize>, Msg)>,
    /// Every fact written (`World::add_facts`).
    pub(crate) facts: Facts,
}

/// Which of the plan's hardware events have run: one bit each (a world
/// is copied at every step, and a bit set costs no allocation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct HwDone(u64);

impl HwDone {
    /// Hardware events a plan holds at most (`scenario::MAX_ACTIONS`).
    pub const MAX: usize = 64;

    pub fn get(self, i: usize) -> bool {
        i < Self::MAX && self.0 & (1 << i) != 0
    }

    fn set(&mut self, i: usize) {
        assert!(i < Self::MAX, "hardware event {i} past the plan's bound");
        self.0 |= 1 << i;
    }
}

impl World {
    /// A world over `kernel` (already set up) with no agents yet: agents
    /// see only what happens from now on.
    pub fn new(kernel: Kernel, nets: BTreeMap<String, NetId>) -> World {
        World {
            uevent_cursor: kernel.uevent_next_seq(),
            mcast_cursor: kernel.mcast_next_seq(),
            event_cursor: kernel.event_next_seq(),
            kernel: crate::kcell::KernelCell::new(kernel),
            agents: Vec::new(),
            nets: Versioned::new(nets),
            hw: Default::default(),
            hw_done: HwDone::default(),
            symmetric: Default::default(),
            parker: None,
            facts: Versioned::default(),
            detail: false,
            multicast: false,
            recording: None,
            step_touched_kernel: true,
            memo_requests: false,
        }
    }

    /// Adds an agent. One that listens to link multicast makes the world
    /// join RTNLGRP_LINK (the kernel builds notifications only for
    /// listeners).
    pub fn add_agent(&mut self, a: Box<dyn Agent>) {
        if a.listens().link_multicast && !self.multicast {
            self.multicast = true;
            self.kernel.mcast_listen(crate::pump::MCAST_LISTENER);
            self.mcast_cursor = self.kernel.mcast_next_seq();
        }
        self.agents.push(AgentSlot {
            agent: Arc::from(a),
            cache: Default::default(),
            ver: next_agent_version(),
        });
    }

    /// The agents, in the order their lanes are numbered.
    pub fn agents(&self) -> impl ExactSizeIterator<Item = &dyn Agent> + '_ {
        self.agents.iter().map(|s| &*s.agent)
    }

    /// Adds a hardware event to the plan (at most `HwDone::MAX`).
    pub fn add_hw(&mut self, ev: HwEvent) -> Result<(), String> {
        if self.hw.len() >= HwDone::MAX {
            return Err(format!("at most {} hardware events", HwDone::MAX));
        }
        std::sync::Arc::make_mut(&mut self.hw).push(ev);
        Ok(())
    }

    /// Turns on step details (the kernel's event log): replay does.
    pub fn set_detail(&mut self, on: bool) {
        self.detail = on;
        self.kernel.set_event_log(on);
        self.event_cursor = self.kernel.event_next_seq();
    }

    pub fn agent_names(&self) -> Vec<String> {
        self.agents
            .iter()
            .map(|a| a.agent.name().to_string())
            .collect()
    }

    /// The state's fingerprint (`fingerprint_of`).
    pub fn fingerprint(&self) -> Fingerprint {
        fingerprint_of(&FpParts {
            kernel: &self.kernel,
            hw_done: self.hw_done,
            parker: &self.parker,
            facts: &self.facts,
            nets: &self.nets,
            agents: AgentsView {
                base: &self.agents,
                replaced: None,
            },
        })
    }

    fn foreground_work(&self) -> impl Iterator<Item = WorkItem> + '_ {
        self.kernel
            .pending_work_iter()
            // The MII monitor is a background timer to run_until_idle (it
            // rearms for as long as the bond is up), but its ticks are what
            // detect a pulled cable and fail a bond over: the explorer
            // schedules those that would change something. An idle tick
            // only rearms, and only ages the state's timestamps.
            .filter(|i| match i.work {
                ifnet_core::workqueue::Work::BondMii(b) => !self.kernel.bond_mii_tick_is_idle(b),
                w => !w.is_background(),
            })
    }

    /// Bit `j` for each agent `j` that `deliver` can hand a message to
    /// (it listens to something, in init_net); agents past bit 63 are
    /// taken as reached by `Footprint::independent` itself.
    fn listening_mask(&self) -> u64 {
        let mut m = 0u64;
        for (j, a) in self.agents.iter().map(|s| &s.agent).enumerate().take(64) {
            let l = a.listens();
            if l.net_is_init && (l.kernel_uevents || l.udev_events || l.link_multicast) {
                m |= 1 << j;
            }
        }
        m
    }

    fn hw_enabled(&self, i: usize) -> bool {
        !self.hw_done.get(i) && self.hw[i].after.iter().all(|&j| self.hw_done.get(j))
    }

    /// The steps enabled in this state, each with its footprint, in a
    /// fixed order (hardware, kernel, work, clock, agents).
    pub fn enabled(&self) -> Vec<(Step, Footprint)> {
        let machine = Footprint {
            agent: None,
            thread: 0,
            local: false,
            writes_kernel: true,
            sends: true,
            receivers: u64::MAX,
        };
        let listening = self.listening_mask();
        // Room for a state's usual steps: growing from empty reallocates
        // three times, in every state.
        let mut v = Vec::with_capacity(8);
        let parked = self.kernel.parked().is_some();
        if parked {
            v.push((Step::Kernel, machine));
        } else {
            for i in 0..self.hw.len() {
                let shadowed = self.symmetric.iter().filter(|g| g.contains(&i)).any(|g| {
                    g.iter()
                        .take_while(|&&j| j != i)
                        .any(|&j| self.hw_enabled(j))
                });
                if self.hw_enabled(i) && !shadowed {
                    v.push((Step::Hw(i), machine));
                }
            }
        }
        let now = self.kernel.now();
        let mut future = false;
        let mut due = false;
        for item in self.foreground_work() {
            if item.due > now {
                future = true;
            } else if !(parked && item.work.takes_rtnl()) {
                due = true;
                v.push((Step::Work(item.seq), machine));
            }
        }
        if future && !due {
            v.push((Step::Clock, machine));
        }
        for (i, a) in self.agents.iter().enumerate() {
            for &c in a.choices(&self.kernel).iter() {
                if parked && c.needs_rtnl {
                    continue;
                }
                let fp = Footprint {
                    agent: Some(i),
                    thread: c.thread,
                    local: c.local,
                    writes_kernel: c.writes_kernel,
                    sends: c.sends,
                    receivers: listening & !(1u64.checked_shl(i as u32).unwrap_or(0)),
                };
                v.push((
                    Step::Agent {
                        agent: i,
                        thread: c.thread,
                    },
                    fp,
                ));
            }
        }
        v
    }

    /// Runs one step; an error if it is not enabled here (a replayed
    /// schedule that does not fit the scenario).
    pub fn apply(&mut self, step: &Step) -> Result<StepRecord, String> {
        if !self.enabled().iter().any(|(s, _)| s == step) {
            return Err(format!("step {step} is not enabled here"));
        }
        Ok(self.apply_enabled(step))
    }

    /// Runs a step the caller took from [`World::enabled`] of this very
    /// state (the search does; it saves recomputing them).
    pub fn apply_enabled(&mut self, step: &Step) -> StepRecord {
        let (lane, text, mut detail) = match step {
            Step::Hw(i) => self.run_hw(*i),
            Step::Kernel => self.run_kernel(),
            Step::Work(seq) => self.run_work(*seq),
            Step::Clock => self.run_clock(),
            Step::Agent { agent, thread } => self.run_agent(*agent, *thread),
        };
        self.pump();
        if self.detail {
            detail.extend(self.kernel_events());
        }
        StepRecord {
            step: step.clone(),
            lane,
            text,
            detail,
        }
    }

    fn run_hw(&mut self, i: usize) -> (String, String, Vec<String>) {
        self.hw_done.set(i);
        let action = self.hw[i].action.clone();
        let text = action.describe();
        let detail = crate::hardware::run(self, &action);
        ("hardware".into(), text, detail)
    }

    fn run_kernel(&mut self) -> (String, String, Vec<String>) {
        let window = self.kernel.parked();
        let next = match window {
            Some(Window::NetnsMoveAfterRemoveUevent) => Some(Window::NetnsMoveAfterAddUevent),
            _ => None,
        };
        let from = window.map_or("?", |w| w.name());
        let r = self.kernel.resume(next);
        let mut text = format!("resume from {from}");
        let mut detail = Vec::new();
        match r {
            Ok(ifnet_core::Step::Parked(w)) => text.push_str(&format!(" → parked in {}", w.name())),
            Ok(ifnet_core::Step::Done(_)) => {
                text.push_str(" → done");
                if let Some(Parker::Plug { bus, kind }) = self.parker.take() {
                    detail.push(crate::hardware::bind_uevent(self, &bus, kind));
                }
                self.parker = None;
            }
            Err(e) => {
                text.push_str(&format!(" → error {:?}", e.errno));
                self.parker = None;
            }
        }
        ("kernel".into(), text, detail)
    }

    /// A work item as a line: its kernel function and device.
    fn work_name(&self, w: ifnet_core::workqueue::Work) -> String {
        use ifnet_core::workqueue::Work;
        let dev = |d| self.kernel.netdev_name(d).unwrap_or("?").to_string();
        match w {
            Work::Linkwatch => "linkwatch_event".into(),
            Work::BridgeFdbGc(d) => format!("br_fdb_cleanup({})", dev(d)),
            Work::BridgeFwdDelay(d) => format!("br_forward_delay_timer_expired({})", dev(d)),
            Work::WireDelivery => "wire delivery".into(),
            Work::AddrconfDad(d) => format!("addrconf_dad_work({})", dev(d)),
            Work::InetCheckLifetime(_) => "check_lifetime".into(),
            Work::AddrconfVerify(_) => "addrconf_verify_work".into(),
            Work::NetvscVfTakeover(d) => format!("netvsc_vf_setup({})", dev(d)),
            Work::NetvscVfns(d) => format!("netvsc_vfns_work({})", dev(d)),
            Work::BondMii(d) => format!("bond_mii_monitor({})", dev(d)),
            Work::BondMcast(d) => format!("bond_resend_igmp_join_requests_delayed({})", dev(d)),
            Work::IpoibMcastJoin(d) => format!("ipoib_mcast_join_task({})", dev(d)),
        }
    }

    fn run_work(&mut self, seq: u64) -> (String, String, Vec<String>) {
        let item = self.kernel.pending_work_iter().find(|i| i.seq == seq);
        let name = item.map_or_else(|| format!("work {seq}"), |i| self.work_name(i.work));
        let text = match self.kernel.run_work_item(seq) {
            Ok(_) => format!("{name} runs"),
            Err(e) => format!("{name} refused: {e:?}"),
        };
        ("kernel".into(), text, Vec::new())
    }

    fn run_clock(&mut self) -> (String, String, Vec<String>) {
        let now = self.kernel.now();
        let next = self
            .foreground_work()
            .map(|i| i.due)
            .filter(|&d| d > now)
            .min();
        if let Some(t) = next {
            self.kernel.advance_to(t);
        }
        let text = format!("clock → {} ms", self.kernel.now().as_nanos() / 1_000_000);
        ("kernel".into(), text, Vec::new())
    }

    fn run_agent(&mut self, i: usize, thread: u32) -> (String, String, Vec<String>) {
        let net = self.kernel.init_net();
        let lane = self.agents[i].agent.name().to_string();
        self.agent_changed(i);
        let (text, mut seen, outbox, script, facts) = {
            let agent = agent_mut(&mut self.agents[i].agent);
            self.kernel.take_touched();
            let mut cx = Cx::new(&mut self.kernel, net);
            cx.record = self.detail;
            cx.memo = self.memo_requests;
            let text = agent.step(thread, &mut cx);
            (text, cx.seen, cx.outbox, cx.script_action, cx.facts)
        };
        self.add_facts(facts.into_added());
        // Before the pump, which reads the kernel for every step.
        self.step_touched_kernel = self.kernel.take_touched();
        if let Some(a) = script {
            self.step_touched_kernel = true;
            let (_, line) = crate::hardware::run_action(self, &a);
            seen.push(line);
        }
        for m in outbox {
            self.deliver(Some(i), &m);
        }
        (lane, text, seen)
    }

    /// Delivers a message to every agent listening for it, but the sender.
    pub(crate) fn deliver(&mut self, from: Option<usize>, m: &Msg) {
        if let Some(r) = &mut self.recording {
            r.delivered.push((from, m.clone()));
        }
        self.deliver_skipping(from, None, m, &OnceLock::new());
    }

    /// Delivers a message to every listener but the sender and `skip`;
    /// `hash` holds the message's content hash once the delivery memo has
    /// taken it (once per message, not per receiver).
    pub(crate) fn deliver_skipping(
        &mut self,
        from: Option<usize>,
        skip: Option<usize>,
        m: &Msg,
        hash: &OnceLock<u128>,
    ) {
        deliver_to(&mut self.agents, from, skip, m, hash);
    }

    /// Moves what the kernel sent since the last step to the listeners.
    pub(crate) fn pump(&mut self) {
        let init = self.kernel.init_net();
        let (uevs, next) = crate::pump::uevents(&self.kernel, self.uevent_cursor, init);
        self.uevent_cursor = next;
        for u in uevs {
            self.deliver(None, &Msg::Uevent(u));
        }
        if !self.multicast {
            return;
        }
        let (notes, next) = crate::pump::link_notes(&self.kernel, self.mcast_cursor, init);
        self.mcast_cursor = next;
        for n in notes {
            self.deliver(None, &Msg::Link(n));
        }
    }

    /// Records facts a step wrote (an agent's `FactsLog`, the hardware's
    /// own notes): steps only write facts, never read them.
    pub(crate) fn add_facts(&mut self, written: Facts) {
        if written.is_empty() {
            return;
        }
        self.facts.add(&written);
        if let Some(r) = &mut self.recording {
            r.facts.add(&written);
        }
    }

    /// Agent `i` is about to change: its cached hash and version go.
    fn agent_changed(&mut self, i: usize) {
        self.agents[i].cache = Default::default();
        self.agents[i].ver = next_agent_version();
    }

    fn kernel_events(&mut self) -> Vec<String> {
        let (lines, next) = crate::pump::kernel_events(&self.kernel, self.event_cursor);
        self.event_cursor = next;
        lines
    }
}

/// Delivers `m` to every agent listening for it but the sender and
/// `skip`; `hash` holds the message's content hash once the delivery memo
/// has taken it (once per message, not per receiver).
pub(crate) fn deliver_to(
    agents: &mut [AgentSlot],
    from: Option<usize>,
    skip: Option<usize>,
    m: &Msg,
    hash: &OnceLock<u128>,
) {
    for (j, a) in agents.iter_mut().enumerate() {
        if Some(j) == from || Some(j) == skip {
            continue;
        }
        let l = a.agent.listens();
        let wants = match m {
            Msg::Uevent(_) => l.kernel_uevents,
            Msg::Udev(_) => l.udev_events,
            Msg::Link(_) => l.link_multicast,
        };
        if wants && l.net_is_init {
            crate::step_memo::deliver_memo(a, m, hash, |a, m| {
                agent_mut(a).deliver(m);
                next_agent_version()
            });
        }
    }
}
