//! Deferred work on the virtual clock (DESIGN.md rule 4).
//!
//! Every item has a due time; `run_until_idle` runs due items in (due, seq)
//! order and advances the clock to the next due time. Nothing runs "later"
//! by any other means.

use crate::kernel::Kernel;
use serde::{Deserialize, Serialize};

/// Kinds of deferred work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkItem {
    pub due_ns: u64,
    pub seq: u64,
    pub work: Work,
}

/// Pending work items. A kind is queued at most once (like
/// `schedule_delayed_work` on an already-pending work); rescheduling keeps
/// the earlier due time, as `mod_delayed_work` with an earlier delay would.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WorkQueue {
    items: Vec<WorkItem>,
    next_seq: u64,
}

/// Bound on queued items; each kind is queued at most once per target, so
/// the queue can only grow with the number of modules.
pub const WORKQUEUE_CAPACITY: usize = 1024;

impl WorkQueue {
    pub fn schedule(&mut self, work: Work, due_ns: u64) {
        if let Some(item) = self.items.iter_mut().find(|i| i.work == work) {
            item.due_ns = item.due_ns.min(due_ns);
            return;
        }
        assert!(self.items.len() < WORKQUEUE_CAPACITY, "work queue overflow");
        self.next_seq += 1;
        self.items.push(WorkItem {
            due_ns,
            seq: self.next_seq,
            work,
        });
    }

    /// Drops a queued item of this kind.
    pub fn cancel(&mut self, work: Work) {
        self.items.retain(|i| i.work != work);
    }

    /// The due time of a queued item of this kind, if any.
    pub fn due_of(&self, work: Work) -> Option<u64> {
        self.items.iter().find(|i| i.work == work).map(|i| i.due_ns)
    }

    /// The earliest due item, if any.
    pub fn next_due(&self) -> Option<WorkItem> {
        self.items.iter().copied().min_by_key(|i| (i.due_ns, i.seq))
    }

    fn take(&mut self, item: WorkItem) {
        self.items.retain(|i| i.seq != item.seq);
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

impl Kernel {
    /// Runs the next due work item if its time has come; returns whether one ran.
    pub fn run_due_work(&mut self) -> bool {
        let Some(item) = self.workqueue.next_due() else {
            return false;
        };
        if item.due_ns > self.now_ns {
            return false;
        }
        self.workqueue.take(item);
        self.run_work(item.work);
        true
    }

    fn run_work(&mut self, work: Work) {
        match work {
            Work::Linkwatch => self.linkwatch_run_queue(),
            Work::BridgeFdbGc(br) => self.br_fdb_cleanup(br),
            Work::BridgeFwdDelay(br) => self.br_forward_delay_timers_run(br),
            Work::WireDelivery => self.wire_delivery(),
        }
    }

    /// Advances the virtual clock to `t_ns` (never backwards).
    pub fn advance_to(&mut self, t_ns: u64) {
        self.now_ns = self.now_ns.max(t_ns);
    }

    /// Runs deferred work until none is left, advancing the clock to each
    /// item's due time: the settled state `ip` shows once linkwatch has run.
    pub fn run_until_idle(&mut self) {
        for _ in 0..RUN_UNTIL_IDLE_MAX_STEPS {
            let Some(item) = self.workqueue.next_due() else {
                return;
            };
            self.advance_to(item.due_ns);
            self.run_due_work();
        }
        panic!("run_until_idle: work keeps rescheduling itself");
    }

    /// Runs every work item already due, without advancing the clock: what
    /// the kernel's workers manage between two commands of a fast batch.
    pub fn run_due_now(&mut self) {
        for _ in 0..RUN_UNTIL_IDLE_MAX_STEPS {
            if !self.run_due_work() {
                return;
            }
        }
        panic!("run_due_now: work keeps rescheduling itself");
    }

    /// The due time of the next pending work item.
    pub fn next_work_due_ns(&self) -> Option<u64> {
        self.workqueue.next_due().map(|i| i.due_ns)
    }
}
