//! Address lifetimes on the virtual clock: IPv4's `check_lifetime`
//! (devinet.c) and IPv6's `addrconf_verify_rtnl` (addrconf.c), one work
//! item per namespace each (`net->ipv4.addr_chk_work`,
//! `net->ipv6.addr_chk_work`). An address whose preferred lifetime is over
//! becomes `deprecated` (RTM_NEWADDR), one whose valid lifetime is over is
//! deleted (RTM_DELADDR). Ages are whole seconds with the kernel's
//! `ADDRCONF_TIMER_FUZZ_MINUS` (HZ/50) of slack.
//!
//! Linux requeues both works forever (at least every
//! `ADDR_CHECK_FREQUENCY`, 120 s); the model queues them only while some
//! address has a finite lifetime, which changes nothing anyone can see.
//! They are background timers (`Work::is_background`): settling does not
//! advance the clock for them, so lifetimes count down only as virtual
//! time passes for other reasons (`Kernel::advance_to`, `ifnet sleep`).

use super::ifaddr::*;
use super::rtnl_addr::{AddrEvent, Origin};
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::time::{Duration, Instant};
use crate::workqueue::Work;

/// `ADDRCONF_TIMER_FUZZ_MINUS` (HZ/50).
const FUZZ_MINUS: Duration = Duration::from_millis(20);
/// `ADDRCONF_TIMER_FUZZ_MAX` (HZ/4): the shortest requeue.
const FUZZ_MAX: Duration = Duration::from_millis(250);

/// Whole seconds since `tstamp`, with the fuzz.
fn age(now: Instant, tstamp: Instant) -> u64 {
    ((now - tstamp) + FUZZ_MINUS).as_nanos() / 1_000_000_000
}

fn deadline(tstamp: Instant, secs: u32) -> Instant {
    tstamp + Duration::from_secs(u64::from(secs))
}

impl Kernel {
    /// `check_lifetime()` for one namespace.
    pub(crate) fn inet_check_lifetime(&mut self, net: NetId) {
        if !self.net_exists(net) {
            return;
        }
        let now = self.now;
        for dev in self.devices_in(net) {
            let mut i = 0;
            while i < self.dev(dev).inet.ifa_list.len() {
                let ifa = &self.dev(dev).inet.ifa_list[i];
                if ifa.flags & IFA_F_PERMANENT != 0 {
                    i += 1;
                    continue;
                }
                let age = age(now, ifa.tstamp);
                if ifa.valid_lft != INFINITY_LIFE_TIME && age >= u64::from(ifa.valid_lft) {
                    let before = self.dev(dev).inet.ifa_list.len();
                    self.__inet_del_ifa(dev, i, false, Origin::KERNEL);
                    // Deleting a primary may take later secondaries too;
                    // either way, look at position i again.
                    debug_assert!(self.dev(dev).inet.ifa_list.len() < before);
                    continue;
                }
                if ifa.preferred_lft != INFINITY_LIFE_TIME
                    && age >= u64::from(ifa.preferred_lft)
                    && ifa.flags & IFA_F_DEPRECATED == 0
                {
                    self.dev_mut(dev).inet.ifa_list[i].flags |= IFA_F_DEPRECATED;
                    let ifa = self.dev(dev).inet.ifa_list[i].clone();
                    self.rtmsg_ifa(AddrEvent::New, dev, &ifa.into(), Origin::KERNEL);
                }
                i += 1;
            }
        }
        let next = self.inet_next_lifetime_event(net);
        self.requeue_lifetime_work(Work::InetCheckLifetime(net), next);
    }

    /// The next moment an IPv4 address of `net` changes state.
    fn inet_next_lifetime_event(&self, net: NetId) -> Option<Instant> {
        let now = self.now;
        let mut next: Option<Instant> = None;
        for dev in self.devices_in(net) {
            for ifa in self.dev(dev).inet.ifa_list.iter() {
                if ifa.flags & IFA_F_PERMANENT != 0 || ifa.preferred_lft == INFINITY_LIFE_TIME {
                    continue;
                }
                let t = if age(now, ifa.tstamp) >= u64::from(ifa.preferred_lft) {
                    if ifa.valid_lft == INFINITY_LIFE_TIME {
                        continue;
                    }
                    deadline(ifa.tstamp, ifa.valid_lft)
                } else {
                    deadline(ifa.tstamp, ifa.preferred_lft)
                };
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        next
    }

    /// `addrconf_verify_rtnl()` for one namespace.
    pub(crate) fn addrconf_verify_run(&mut self, net: NetId) {
        if !self.net_exists(net) {
            return;
        }
        let now = self.now;
        let mut next: Option<Instant> = None;
        for dev in self.devices_in(net) {
            let mut i = 0;
            while i < self.dev(dev).inet.addr6.len() {
                let ifp = self.dev(dev).inet.addr6[i].clone();
                i += 1;
                if ifp.flags & IFA_F_PERMANENT != 0 && ifp.prefered_lft == INFINITY_LIFE_TIME {
                    continue;
                }
                let age = age(now, ifp.tstamp);
                if ifp.valid_lft != INFINITY_LIFE_TIME && age >= u64::from(ifp.valid_lft) {
                    self.ipv6_del_addr(dev, &ifp.addr);
                    i -= 1;
                    continue;
                }
                if ifp.prefered_lft == INFINITY_LIFE_TIME {
                    continue;
                }
                let t = if age >= u64::from(ifp.prefered_lft) {
                    if ifp.flags & IFA_F_DEPRECATED == 0 {
                        if let Some(a) = self.inet6_ifa_mut(dev, &ifp.addr) {
                            a.flags |= IFA_F_DEPRECATED;
                        }
                        self.ipv6_ifa_notify_new(dev, &ifp.addr);
                    }
                    if ifp.valid_lft == INFINITY_LIFE_TIME {
                        continue;
                    }
                    deadline(ifp.tstamp, ifp.valid_lft)
                } else {
                    deadline(ifp.tstamp, ifp.prefered_lft)
                };
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        self.requeue_lifetime_work(Work::AddrconfVerify(net), next);
    }

    /// Requeues a lifetime work at `next` (at least FUZZ_MAX away), or
    /// drops it when nothing will change.
    fn requeue_lifetime_work(&mut self, work: Work, next: Option<Instant>) {
        match next {
            Some(t) => {
                let t = t.max(self.now + FUZZ_MAX);
                self.deferred.workqueue.reschedule(work, t);
            }
            None => self.deferred.workqueue.cancel(work),
        }
    }

    /// `addrconf_verify_rtnl()` after a change to `dev`'s addresses: run
    /// it now (it only touches expired addresses) to requeue the work.
    /// `finite`: the changed address has a finite lifetime. Linux runs the
    /// walk after every change; it only ever acts on finite lifetimes, so
    /// the model runs it only for such an address or when the work is
    /// already queued for another one (see `inet_schedule_check_lifetime`).
    pub(crate) fn addrconf_verify_schedule(&mut self, dev: DevId, finite: bool) {
        let net = self.dev(dev).net;
        let now = self.now;
        let work = Work::AddrconfVerify(net);
        let wq = &mut self.deferred.workqueue;
        if finite || wq.due_of(work).is_some() {
            wq.reschedule(work, now);
        }
    }
}

/// Whether an address with these lifetimes (seconds, `INFINITY_LIFE_TIME`
/// for none) will ever change state on its own.
pub(crate) fn ifa_lifetime_is_finite(valid_lft: u32, preferred_lft: u32) -> bool {
    valid_lft != INFINITY_LIFE_TIME || preferred_lft != INFINITY_LIFE_TIME
}
