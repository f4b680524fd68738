//! Deferred work on the virtual clock (DESIGN.md rule 4).
//!
//! Every item has a due time; `run_until_idle` runs due items in (due, seq)
//! order and advances the clock to the next due time. Nothing runs "later"
//! by any other means. A scheduler (the explorer) can list the pending
//! items and run a chosen due one (`pending_work`, `run_work_item`).

use crate::kernel::Kernel;
use crate::time::Instant;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Kinds of deferred work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Work {
    /// `linkwatch_work`.
    Linkwatch,
    /// `br->gc_work` of one bridge (`br_fdb_cleanup`).
    BridgeFdbGc(crate::ids::DevId),
    /// The `p->forward_delay_timer`s of one bridge's ports
    /// (`br_forward_delay_timer_expired`), due at the earliest of them.
    BridgeFwdDelay(crate::ids::DevId),
    /// Frames a delaying wire holds back.
    WireDelivery,
    /// The `dad_work`s of one device's IPv6 addresses, due at the earliest
    /// (inet/addrconf_dad.rs).
    AddrconfDad(crate::ids::DevId),
    /// `net->ipv4.addr_chk_work` (`check_lifetime`) of one namespace.
    InetCheckLifetime(crate::ids::NetId),
    /// `net->ipv6.addr_chk_work` (`addrconf_verify_work`) of one namespace.
    AddrconfVerify(crate::ids::NetId),
    /// A netvsc's `vf_takeover` (`netvsc_vf_setup`), VF_TAKEOVER_INT after
    /// the join.
    NetvscVfTakeover(crate::ids::DevId),
    /// A netvsc's `vfns_work` (`netvsc_vfns_work`).
    NetvscVfns(crate::ids::DevId),
    /// A bond's `mii_work` (`bond_mii_monitor`), every miimon ms.
    BondMii(crate::ids::DevId),
    /// A bond's `mcast_work` (`bond_resend_igmp_join_requests_delayed`).
    BondMcast(crate::ids::DevId),
    /// An IPoIB device's broadcast-group join completing
    /// (`ipoib_mcast_join_task` → `ipoib_mcast_carrier_on_task`).
    IpoibMcastJoin(crate::ids::DevId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkItem {
    #[serde(rename = "due_ns")]
    pub due: Instant,
    pub seq: u64,
    pub work: Work,
}

/// Pending work items. A kind is queued at most once (like
/// `schedule_delayed_work` on an already-pending work); rescheduling keeps
/// the earlier due time, as `mod_delayed_work` with an earlier delay would.
///
/// `items`, keyed by seq (= queueing order), is what is saved (as a list
/// in seq order) and hashed; `index` finds an item by kind and the
/// earliest one, so every operation is O(log n) and a queue of thousands
/// of items (a DAD timer per device) costs no more per command than a
/// short one. Only the methods below change `items`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "WorkQueueRepr")]
pub struct WorkQueue {
    pub(crate) items: BTreeMap<u64, WorkItem>,
    pub(crate) next_seq: u64,
    pub(crate) index: WorkIndex,
}

/// `WorkQueue`'s lookup structures, rebuilt from `items` at load.
#[derive(Debug, Clone, Default)]
pub(crate) struct WorkIndex {
    /// (due, seq) of every item: `run_due_work`'s order.
    by_due: BTreeSet<(Instant, u64)>,
    /// The seq of the item of each kind.
    by_work: HashMap<Work, u64>,
    /// What was wrong with the saved list (a repeated or out-of-order
    /// seq, which the map cannot hold), for `check_work` to refuse.
    pub(crate) load_defect: Option<&'static str>,
}

/// The saved form of a `WorkQueue`.
#[derive(Deserialize)]
struct WorkQueueRepr {
    items: Vec<WorkItem>,
    next_seq: u64,
}

impl From<WorkQueueRepr> for WorkQueue {
    fn from(r: WorkQueueRepr) -> WorkQueue {
        // A hostile file may repeat an item or disorder the list; the map
        // keeps one item per seq, and check_work refuses the state before
        // anything runs.
        let mut q = WorkQueue {
            next_seq: r.next_seq,
            ..WorkQueue::default()
        };
        let mut last = None;
        for i in r.items {
            if last.is_some_and(|l| l >= i.seq) && q.index.load_defect.is_none() {
                q.index.load_defect = Some(if q.items.contains_key(&i.seq) {
                    "the work queue holds an item twice"
                } else {
                    "the work queue is out of order"
                });
            }
            last = Some(i.seq);
            q.index.by_due.insert((i.due, i.seq));
            q.index.by_work.insert(i.work, i.seq);
            q.items.insert(i.seq, i);
        }
        q
    }
}

/// Saved as `WorkQueueRepr` reads it (the items as a list in seq order),
/// straight from the map: no copy of the queue and its index per save.
impl Serialize for WorkQueue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct InSeqOrder<'a>(&'a BTreeMap<u64, WorkItem>);
        impl Serialize for InSeqOrder<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.values())
            }
        }
        let mut st = s.serialize_struct("WorkQueue", 2)?;
        st.serialize_field("items", &InSeqOrder(&self.items))?;
        st.serialize_field("next_seq", &self.next_seq)?;
        st.end()
    }
}

pub use crate::time::MAX_CLOCK_NS;

/// Bound on sequence counters (work items, ring entries, list order):
/// far from wrapping, which `Kernel::check_invariants` enforces.
pub const MAX_SEQ: u64 = 1 << 62;

impl WorkQueue {
    fn seq_of(&self, work: Work) -> Option<u64> {
        self.index.by_work.get(&work).copied()
    }

    fn set_due(&mut self, seq: u64, due: Instant) {
        let Some(item) = self.items.get_mut(&seq) else {
            return;
        };
        self.index.by_due.remove(&(item.due, seq));
        item.due = due;
        self.index.by_due.insert((due, seq));
    }

    /// Queues `work` (or moves a queued one earlier). The queue holds each
    /// kind at most once per target, so its length is bounded by the state
    /// (2 + 2 per bridge, see `Kernel::check_invariants`), never by a
    /// fixed capacity.
    pub fn schedule(&mut self, work: Work, due: Instant) {
        if let Some(seq) = self.seq_of(work) {
            let earlier = self.items.get(&seq).map_or(due, |i| i.due.min(due));
            self.set_due(seq, earlier);
            return;
        }
        self.next_seq = self.next_seq.saturating_add(1);
        let seq = self.next_seq;
        self.items.insert(seq, WorkItem { due, seq, work });
        self.index.by_due.insert((due, seq));
        self.index.by_work.insert(work, seq);
    }

    /// The queued items, in queueing order.
    pub fn items(&self) -> impl ExactSizeIterator<Item = &WorkItem> + '_ {
        self.items.values()
    }

    /// The queued item with this sequence number.
    pub fn get(&self, seq: u64) -> Option<WorkItem> {
        self.items.get(&seq).copied()
    }

    /// The sequence number the last queued item got.
    pub fn last_seq(&self) -> u64 {
        self.next_seq
    }

    /// `mod_delayed_work()`: queued (or moved, earlier or later) at `due`.
    pub fn reschedule(&mut self, work: Work, due: Instant) {
        match self.seq_of(work) {
            Some(seq) => self.set_due(seq, due),
            None => self.schedule(work, due),
        }
    }

    /// Drops a queued item of this kind.
    pub fn cancel(&mut self, work: Work) {
        if let Some(item) = self.seq_of(work).and_then(|seq| self.get(seq)) {
            self.take(item);
        }
    }

    /// The due time of a queued item of this kind, if any.
    pub fn due_of(&self, work: Work) -> Option<Instant> {
        self.seq_of(work)
            .and_then(|seq| self.get(seq))
            .map(|i| i.due)
    }

    /// The earliest due item, if any.
    pub fn next_due(&self) -> Option<WorkItem> {
        self.in_due_order().next()
    }

    /// The items in the order `run_due_work` takes them (due, then seq).
    pub fn in_due_order(&self) -> impl Iterator<Item = WorkItem> + '_ {
        self.index
            .by_due
            .iter()
            .filter_map(|&(_, seq)| self.get(seq))
    }

    fn take(&mut self, item: WorkItem) {
        let Some(item) = self.items.remove(&item.seq) else {
            return;
        };
        self.index.by_due.remove(&(item.due, item.seq));
        if self.index.by_work.get(&item.work) == Some(&item.seq) {
            self.index.by_work.remove(&item.work);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }
}

/// Bound on work items run by one `run_until_idle`.
pub const RUN_UNTIL_IDLE_MAX_STEPS: usize = 100_000;

/// The kernel log line of a `run_until_idle` that hit its bound.
pub const WORK_CUT_OFF: &str = "workqueue: work keeps rescheduling itself; stopped";

impl Work {
    /// Whether the work takes RTNL (`linkwatch_event` does `rtnl_lock()`);
    /// the bridge timers take `br->lock`, wire delivery nothing.
    pub fn takes_rtnl(self) -> bool {
        matches!(
            self,
            Work::Linkwatch
                | Work::AddrconfDad(_)
                | Work::InetCheckLifetime(_)
                | Work::AddrconfVerify(_)
                | Work::NetvscVfTakeover(_)
                | Work::NetvscVfns(_)
                | Work::BondMii(_)
                | Work::BondMcast(_)
                | Work::IpoibMcastJoin(_)
        )
    }

    /// A timer that stands for time passing rather than for work in
    /// progress (address lifetimes): settling runs it when the clock
    /// passes it, but never moves the clock to it.
    pub fn is_background(self) -> bool {
        // The MII monitor rearms itself for as long as the bond is up.
        matches!(
            self,
            Work::InetCheckLifetime(_) | Work::AddrconfVerify(_) | Work::BondMii(_)
        )
    }
}

/// Why a chosen work item did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkRefused {
    /// No queued item has this sequence number.
    NoSuchItem,
    /// Its due time has not come (advance the clock first).
    NotDue { due: Instant },
    /// It takes RTNL, which an operation parked in a window holds.
    RtnlHeld(crate::window::RtnlHeld),
}

impl Kernel {
    /// Runs the next due work item if its time has come; returns whether one
    /// ran. Work that takes RTNL waits while an operation is parked.
    pub fn run_due_work(&mut self) -> bool {
        let Some(item) = self.deferred.workqueue.next_due() else {
            return false;
        };
        if item.due > self.now || (item.work.takes_rtnl() && self.inflight.parked.is_some()) {
            return false;
        }
        self.deferred.workqueue.take(item);
        self.run_work(item.work);
        true
    }

    /// The pending work items, in the order `run_due_work` takes them
    /// (due time, then queueing order): what a scheduler chooses from.
    pub fn pending_work(&self) -> Vec<WorkItem> {
        self.pending_work_iter().collect()
    }

    /// [`Kernel::pending_work`] without collecting it (an explorer asks
    /// in every state).
    pub fn pending_work_iter(&self) -> impl Iterator<Item = WorkItem> + '_ {
        self.deferred.workqueue.in_due_order()
    }

    /// Runs the queued item `seq` (one of [`Kernel::pending_work`]) now,
    /// whichever other items are due: worker threads run concurrently, so
    /// any due item may go first.
    pub fn run_work_item(&mut self, seq: u64) -> Result<Work, WorkRefused> {
        let item = self
            .deferred
            .workqueue
            .get(seq)
            .ok_or(WorkRefused::NoSuchItem)?;
        if item.due > self.now {
            return Err(WorkRefused::NotDue { due: item.due });
        }
        if item.work.takes_rtnl() {
            self.rtnl_trylock().map_err(WorkRefused::RtnlHeld)?;
        }
        self.deferred.workqueue.take(item);
        self.run_work(item.work);
        Ok(item.work)
    }

    fn run_work(&mut self, work: Work) {
        match work {
            Work::Linkwatch => self.linkwatch_run_queue(),
            Work::BridgeFdbGc(br) => self.br_fdb_cleanup(br),
            Work::BridgeFwdDelay(br) => self.br_forward_delay_timers_run(br),
            Work::WireDelivery => self.wire_delivery(),
            Work::AddrconfDad(dev) => self.addrconf_dad_work_run(dev),
            Work::InetCheckLifetime(net) => self.inet_check_lifetime(net),
            Work::AddrconfVerify(net) => self.addrconf_verify_run(net),
            Work::NetvscVfTakeover(ndev) => self.netvsc_vf_takeover(ndev),
            Work::NetvscVfns(ndev) => self.netvsc_vfns_work(ndev),
            Work::BondMii(bond) => self.bond_mii_monitor(bond),
            Work::BondMcast(bond) => self.bond_resend_igmp_join_requests(bond),
            Work::IpoibMcastJoin(dev) => self.ipoib_mcast_join_task(dev),
        }
    }

    /// Advances the virtual clock to `t_ns` (never backwards, never past
    /// [`MAX_CLOCK_NS`]).
    pub fn advance_to(&mut self, t: Instant) {
        self.now = self.now.max(t);
    }

    /// Runs deferred work until none is left, advancing the clock to each
    /// item's due time: the settled state `ip` shows once linkwatch has run.
    /// Background timers (address lifetimes, [`Work::is_background`]) run
    /// when the clock passes them but do not count as work left.
    /// Work that keeps rescheduling itself (frames circling a bridge loop
    /// through a delaying wire, as a broadcast storm would) is cut off
    /// after [`RUN_UNTIL_IDLE_MAX_STEPS`] items with a kernel log line;
    /// the rest stays queued. Returns whether the queue ran dry.
    pub fn run_until_idle(&mut self) -> bool {
        if self.inflight.parked.is_some() {
            // Settling needs RTNL (linkwatch): resume the parked op first.
            return false;
        }
        for _ in 0..RUN_UNTIL_IDLE_MAX_STEPS {
            if self.run_due_work() {
                continue;
            }
            let Some(due) = self.next_foreground_due() else {
                return true;
            };
            self.advance_to(due);
        }
        self.printk(WORK_CUT_OFF.to_string());
        false
    }

    /// The earliest due time of work that is not a background timer.
    fn next_foreground_due(&self) -> Option<Instant> {
        self.deferred
            .workqueue
            .in_due_order()
            .find(|i| !i.work.is_background())
            .map(|i| i.due)
    }

    /// Moves the virtual clock `d` forward (never past
    /// [`MAX_CLOCK_NS`]), running every item that falls due on the way in
    /// order, as time passing on an idle system would (`ifnet sleep`).
    /// Bounded like [`Kernel::run_until_idle`].
    pub fn sleep(&mut self, d: crate::time::Duration) {
        if self.inflight.parked.is_some() {
            return;
        }
        let end = self.now + d;
        for _ in 0..RUN_UNTIL_IDLE_MAX_STEPS {
            match self.deferred.workqueue.next_due() {
                Some(item) if item.due <= end => {
                    self.advance_to(item.due);
                    self.run_due_work();
                }
                _ => {
                    self.advance_to(end);
                    return;
                }
            }
        }
        self.printk(WORK_CUT_OFF.to_string());
    }

    /// Runs every work item already due, without advancing the clock: what
    /// the kernel's workers manage between two commands of a fast batch.
    /// Bounded like [`Kernel::run_until_idle`]; returns whether nothing due
    /// is left.
    pub fn run_due_now(&mut self) -> bool {
        if self.inflight.parked.is_some() {
            return false;
        }
        for _ in 0..RUN_UNTIL_IDLE_MAX_STEPS {
            if !self.run_due_work() {
                return true;
            }
        }
        self.printk(WORK_CUT_OFF.to_string());
        false
    }

    /// The due time of the next pending work item.
    pub fn next_work_due(&self) -> Option<Instant> {
        self.deferred.workqueue.next_due().map(|i| i.due)
    }

    /// How many work items are queued.
    pub fn work_queue_len(&self) -> usize {
        self.deferred.workqueue.len()
    }
}
