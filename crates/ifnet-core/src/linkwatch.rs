//! net/core/link_watch.c: deferred operstate computation.
//!
//! Carrier changes queue the device; the linkwatch work computes the RFC 2863
//! operstate (`default_operstate`), and for UP devices emits NETDEV_CHANGE and
//! RTM_NEWLINK. Urgent events run at once, others are rate-limited to one
//! batch per second, both on the virtual clock. Operstate is *not*
//! recomputed otherwise, so it can be stale exactly where Linux's is (a veth
//! whose peer left the namespace keeps LOWERLAYERDOWN).

use crate::consts::OperState;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::time::Duration;
use crate::workqueue::Work;

/// Linkwatch rate limit (HZ).
pub const LINKWATCH_INTERVAL: Duration = Duration::from_secs(1);

impl Kernel {
    /// `default_operstate()`.
    pub(crate) fn default_operstate(&self, dev: DevId) -> OperState {
        let d = self.dev(dev);
        if !d.carrier {
            let iflink = if d.reg_state <= crate::consts::RegState::Registered {
                self.dev_get_iflink(dev)
            } else {
                d.ifindex
            };
            if iflink == d.ifindex {
                return OperState::Down;
            }
            // Looked up in the device's own namespace, even for a veth
            // whose peer lives elsewhere (a quirk the model keeps).
            return match self.dev_get_by_index(d.net, iflink) {
                None => OperState::Down,
                Some(peer) if self.dev(peer).carrier => OperState::Down,
                Some(_) => OperState::LowerLayerDown,
            };
        }
        if d.dormant {
            return OperState::Dormant;
        }
        OperState::Up
    }

    /// `rfc2863_policy()`.
    pub(crate) fn rfc2863_policy(&mut self, dev: DevId) {
        let mut op = self.default_operstate(dev);
        let d = self.dev_mut(dev);
        if op == d.operstate {
            return;
        }
        match d.link_mode {
            1 if op == OperState::Up => op = OperState::Dormant,
            2 if op == OperState::Up => op = OperState::Testing,
            _ => {}
        }
        d.operstate = op;
    }

    /// `linkwatch_urgent_event()`.
    fn linkwatch_urgent_event(&self, dev: DevId) -> bool {
        if !self.netif_running(dev) {
            return false;
        }
        let d = self.dev(dev);
        if d.ifindex != self.dev_get_iflink(dev) {
            return true;
        }
        // LAG ports and masters (bonding) are urgent; qdisc_tx_changing is
        // true right after the first open attaches a qdisc.
        d.carrier
    }

    /// `linkwatch_fire_event()`: `test_and_set_bit(PENDING)`, then
    /// `linkwatch_add_event` puts the device on `lweventlist` once; an
    /// event for a device already pending only matters when urgent.
    /// `linkwatch_list` is `lweventlist` exactly: the pending devices, each
    /// once, in the order their events came (`check_linkwatch`).
    pub(crate) fn linkwatch_fire_event(&mut self, dev: DevId) {
        let urgent = self.linkwatch_urgent_event(dev);
        if !self.dev(dev).linkwatch_pending {
            self.dev_mut(dev).linkwatch_pending = true;
            self.deferred.linkwatch_list.push(dev);
        } else if !urgent {
            return;
        }
        let due = if urgent {
            self.now
        } else {
            self.deferred.linkwatch_nextevent.max(self.now)
        };
        self.deferred.workqueue.schedule(Work::Linkwatch, due);
    }

    /// `linkwatch_forget_dev()`: drop a pending event for a dying device.
    pub(crate) fn linkwatch_forget_dev(&mut self, dev: DevId) {
        if self.linkwatch_claim(dev) {
            // linkwatch_do_dev still runs for it in Linux (operstate only).
            self.rfc2863_policy(dev);
        }
    }

    /// `linkwatch_clean_dev()`: takes a pending device off `lweventlist`
    /// (`list_del_init`) and clears its pending bit, if it still is pending.
    fn linkwatch_claim(&mut self, dev: DevId) -> bool {
        let pending = self.try_dev(dev).is_some_and(|d| d.linkwatch_pending);
        if pending {
            self.dev_mut(dev).linkwatch_pending = false;
            self.deferred.linkwatch_list.retain(|&d| d != dev);
        }
        pending
    }

    /// `linkwatch_event()` → `__linkwatch_run_queue(urgent_only)`: inside
    /// the one-second window after the last full run only urgent events are
    /// handled (`linkwatch_urgent_event` asked again now, as Linux does);
    /// the others go back on the list, in order, and wait for
    /// `linkwatch_nextevent`. The list is spliced off first (`wrk`): an
    /// event fired while a device is handled joins the next run; one
    /// cleaned meanwhile (`linkwatch_sync_dev`) is no longer pending and is
    /// skipped, as `list_del_init` takes it off `wrk` in Linux.
    pub(crate) fn linkwatch_run_queue(&mut self) {
        let urgent_only = self.deferred.linkwatch_nextevent > self.now;
        if !urgent_only {
            self.deferred.linkwatch_nextevent = self.now + LINKWATCH_INTERVAL;
        }
        let wrk = std::mem::take(&mut self.deferred.linkwatch_list);
        let mut keep = Vec::new();
        for dev in wrk {
            if !self.try_dev(dev).is_some_and(|d| d.linkwatch_pending) {
                continue;
            }
            if urgent_only && !self.linkwatch_urgent_event(dev) {
                keep.push(dev);
                continue;
            }
            self.linkwatch_claim(dev);
            self.linkwatch_do_registered(dev);
        }
        // Kept events ahead of those fired during the run.
        keep.append(&mut self.deferred.linkwatch_list);
        self.deferred.linkwatch_list = keep;
        if !self.deferred.linkwatch_list.is_empty() {
            let due = self.deferred.linkwatch_nextevent.max(self.now);
            self.deferred.workqueue.schedule(Work::Linkwatch, due);
        }
    }

    fn linkwatch_do_registered(&mut self, dev: DevId) {
        if self.dev(dev).reg_state == crate::consts::RegState::Registered {
            self.linkwatch_do_dev(dev);
        }
    }

    /// Opens the one-second rate-limit window as if a linkwatch run had just
    /// happened. `linkwatch_nextevent` is global to the host: on a machine
    /// where anything touched a link in the last second (the normal case
    /// under a test harness or a busy host), non-urgent events of a fast
    /// batch wait for its end, and only urgent ones run in between.
    pub fn linkwatch_assume_recent_run(&mut self) {
        self.deferred.linkwatch_nextevent = self
            .deferred
            .linkwatch_nextevent
            .max(self.now + LINKWATCH_INTERVAL);
    }

    /// `linkwatch_sync_dev()`: handle one device's pending event now, as
    /// `rtnl_getlink` and `netdev_run_todo` do.
    pub fn linkwatch_sync_dev(&mut self, dev: DevId) {
        if self.linkwatch_claim(dev) {
            self.linkwatch_do_dev(dev);
        }
    }

    /// `linkwatch_do_dev()`.
    fn linkwatch_do_dev(&mut self, dev: DevId) {
        self.rfc2863_policy(dev);
        if self.dev(dev).is_up() {
            self.netif_state_change(dev);
        }
    }
}
