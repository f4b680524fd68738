//! Duplicate address detection on the virtual clock (net/ipv6/addrconf.c,
//! RFC 4862 with Linux 6.18's defaults): `addrconf_dad_start` queues the
//! address's `dad_work`; its first run joins the solicited-node group and
//! either completes at once (NOARP/loopback devices, `nodad`) or, once the
//! link is ready, waits a random delay below `rtr_solicit_delay` (1 s, in
//! jiffies of HZ=250) and sends `dad_transmits` (1) neighbour
//! solicitations `retrans_time` (1 s) apart; with no answer the address
//! loses IFA_F_TENTATIVE (`addrconf_dad_completed`). A solicitation or an
//! advertisement for the address arriving from the link fails it
//! (`addrconf_dad_failure` → `addrconf_dad_stop`: `dadfailed tentative`).
//!
//! Each device has one work item (`Work::AddrconfDad`), due at the earliest
//! of its addresses' `dad_work` timers; it runs the timers that are due.
//! Not modelled: optimistic DAD (optimistic_dad is 0), the new stable
//! address a `stable_secret` address gets after a conflict, router
//! solicitations and MLD reports after DAD.

use super::ifaddr::*;
use crate::consts::{IFF_LOOPBACK, IFF_NOARP};
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::time::{Duration, Instant};
use crate::workqueue::Work;
use std::net::Ipv6Addr;

/// `dad_transmits`.
pub const DAD_TRANSMITS: u8 = 1;
/// `RETRANS_TIMER` (nd_tbl's retrans_time).
pub const RETRANS_TIME: Duration = Duration::from_secs(1);
/// `rtr_solicit_delay` in jiffies (`RTR_SOLICITATION_DELAY` = HZ) and the
/// length of a jiffy with CONFIG_HZ=250.
const RTR_SOLICIT_DELAY_JIFFIES: u64 = 250;
const JIFFY: Duration = Duration::from_millis(4);

impl Kernel {
    /// `addrconf_dad_start()`: PREDAD, `dad_work` due now.
    pub(crate) fn addrconf_dad_start(&mut self, dev: DevId, addr: Ipv6Addr) {
        let now = self.now;
        let Some(a) = self.inet6_ifa_mut(dev, &addr) else {
            return;
        };
        if a.state == Ifa6State::Dead {
            return;
        }
        a.state = Ifa6State::PreDad;
        a.dad_due = Some(now);
        self.addrconf_dad_reschedule(dev);
    }

    /// `addrconf_mod_dad_work(ifp, delay)`.
    fn addrconf_mod_dad_work(&mut self, dev: DevId, addr: &Ipv6Addr, delay: Duration) {
        let due = self.now + delay;
        if let Some(a) = self.inet6_ifa_mut(dev, addr) {
            a.dad_due = Some(due);
        }
        self.addrconf_dad_reschedule(dev);
    }

    /// `addrconf_del_dad_work(ifp)`.
    fn addrconf_del_dad_work(&mut self, dev: DevId, addr: &Ipv6Addr) {
        if let Some(a) = self.inet6_ifa_mut(dev, addr) {
            a.dad_due = None;
        }
    }

    /// The device's work item, due at its earliest timer.
    fn addrconf_dad_reschedule(&mut self, dev: DevId) {
        let due = self
            .dev(dev)
            .inet
            .addr6
            .iter()
            .filter_map(|a| a.dad_due)
            .min();
        match due {
            Some(t) => self
                .deferred
                .workqueue
                .reschedule(Work::AddrconfDad(dev), t),
            None => self.deferred.workqueue.cancel(Work::AddrconfDad(dev)),
        }
    }

    /// `Work::AddrconfDad(dev)`: every `dad_work` of the device that is due,
    /// in list order.
    pub(crate) fn addrconf_dad_work_run(&mut self, dev: DevId) {
        if self.try_dev(dev).is_none() {
            return;
        }
        let now = self.now;
        let due: Vec<Ipv6Addr> = self
            .dev(dev)
            .inet
            .addr6
            .iter()
            .filter(|a| a.dad_due.is_some_and(|t| t <= now))
            .map(|a| a.addr)
            .collect();
        for addr in due {
            let still_due = self
                .inet6_ifa(dev, &addr)
                .is_some_and(|a| a.dad_due.is_some_and(|t| t <= now));
            if still_due {
                self.addrconf_del_dad_work(dev, &addr);
                self.addrconf_dad_work(dev, addr);
            }
        }
        if self.try_dev(dev).is_some() {
            self.addrconf_dad_reschedule(dev);
        }
    }

    /// `addrconf_dad_work()` for one address.
    fn addrconf_dad_work(&mut self, dev: DevId, addr: Ipv6Addr) {
        let Some(a) = self.inet6_ifa_mut(dev, &addr) else {
            return;
        };
        match a.state {
            Ifa6State::PreDad => {
                a.state = Ifa6State::Dad;
                return self.addrconf_dad_begin(dev, addr);
            }
            Ifa6State::ErrDad => {
                a.state = Ifa6State::PostDad;
                return self.addrconf_dad_stop(dev, addr, true);
            }
            _ => {}
        }
        if a.dad_probes == 0 && !addrconf_dad_end(a) {
            return;
        }
        if self.dev(dev).inet.if6_flags & IF_READY == 0 {
            return;
        }
        let a = self.inet6_ifa_mut(dev, &addr).expect("present");
        if a.state == Ifa6State::Dead {
            return;
        }
        if a.dad_probes == 0 {
            a.flags &= !(IFA_F_TENTATIVE | IFA_F_OPTIMISTIC | IFA_F_DADFAILED);
            return self.addrconf_dad_completed(dev, addr);
        }
        a.dad_probes -= 1;
        let nonce = a.dad_nonce;
        self.addrconf_mod_dad_work(dev, &addr, RETRANS_TIME);
        self.ndisc_send_dad_ns(dev, addr, nonce);
    }

    /// `addrconf_dad_begin()`.
    fn addrconf_dad_begin(&mut self, dev: DevId, addr: Ipv6Addr) {
        self.addrconf_join_solict(dev, &addr);
        let no_dad_dev = self.dev(dev).flags & (IFF_NOARP | IFF_LOOPBACK) != 0;
        let ready = self.dev(dev).inet.if6_flags & IF_READY != 0;
        let Some(a) = self.inet6_ifa_mut(dev, &addr) else {
            return;
        };
        if a.state == Ifa6State::Dead {
            return;
        }
        // accept_dad is -1 on NOARP and loopback devices (ipv6_add_dev),
        // 1 elsewhere.
        if no_dad_dev || a.flags & IFA_F_TENTATIVE == 0 || a.flags & IFA_F_NODAD != 0 {
            a.flags &= !(IFA_F_TENTATIVE | IFA_F_OPTIMISTIC | IFA_F_DADFAILED);
            return self.addrconf_dad_completed(dev, addr);
        }
        if !ready {
            // Not ready: a permanent address stays tentative until it is.
            return self.addrconf_dad_stop(dev, addr, false);
        }
        self.addrconf_dad_kick(dev, addr);
    }

    /// `addrconf_dad_kick()`: the random delay, a fresh nonce
    /// (enhanced_dad), `dad_transmits` probes.
    fn addrconf_dad_kick(&mut self, dev: DevId, addr: Ipv6Addr) {
        let optimistic = self
            .inet6_ifa(dev, &addr)
            .is_some_and(|a| a.flags & IFA_F_OPTIMISTIC != 0);
        let jiffies = if optimistic {
            0
        } else {
            self.inet_random() % RTR_SOLICIT_DELAY_JIFFIES
        };
        let mut nonce = 0;
        while nonce == 0 {
            nonce = self.inet_random() & 0xffff_ffff_ffff;
        }
        if let Some(a) = self.inet6_ifa_mut(dev, &addr) {
            a.dad_nonce = nonce;
            a.dad_probes = DAD_TRANSMITS;
        }
        let delay = Duration::from_nanos(JIFFY.as_nanos() * jiffies);
        self.addrconf_mod_dad_work(dev, &addr, delay);
    }

    /// `addrconf_dad_completed()`: the address is valid (RTM_NEWADDR).
    fn addrconf_dad_completed(&mut self, dev: DevId, addr: Ipv6Addr) {
        self.addrconf_del_dad_work(dev, &addr);
        self.ipv6_ifa_notify_new(dev, &addr);
    }

    /// `addrconf_dad_stop()`: a permanent address (or one not failed) stays,
    /// tentative, `dadfailed` if it failed (announced); others go.
    fn addrconf_dad_stop(&mut self, dev: DevId, addr: Ipv6Addr, failed: bool) {
        let Some(a) = self.inet6_ifa_mut(dev, &addr) else {
            return;
        };
        if failed {
            a.flags |= IFA_F_DADFAILED;
        }
        if a.flags & IFA_F_PERMANENT != 0 || !failed {
            a.dad_due = None;
            a.flags |= IFA_F_TENTATIVE;
            if failed {
                a.flags &= !IFA_F_OPTIMISTIC;
                self.ipv6_ifa_notify_new(dev, &addr);
            }
        } else {
            self.ipv6_del_addr(dev, &addr);
        }
    }

    /// `addrconf_dad_failure()`: called by ndisc when the link shows the
    /// address is in use (`src` is the frame's source MAC).
    pub(crate) fn addrconf_dad_failure(&mut self, dev: DevId, addr: Ipv6Addr, src: &[u8]) {
        let Some(a) = self.inet6_ifa_mut(dev, &addr) else {
            return;
        };
        if !addrconf_dad_end(a) {
            return;
        }
        a.state = Ifa6State::ErrDad;
        let name = self.dev(dev).name;
        let mac: Vec<String> = src.iter().map(|b| format!("{b:02x}")).collect();
        self.printk(format!(
            "{name}: IPv6 duplicate address {addr} used by {} detected!",
            mac.join(":")
        ));
        self.addrconf_mod_dad_work(dev, &addr, Duration::ZERO);
    }

    /// `addrconf_dad_run()`: tentative addresses waiting in DAD start over
    /// (the link became ready), or all of them if `restart`.
    pub(crate) fn addrconf_dad_run(&mut self, dev: DevId, restart: bool) {
        let addrs: Vec<Ipv6Addr> = self
            .dev(dev)
            .inet
            .addr6
            .iter()
            .filter(|a| restart || (a.flags & IFA_F_TENTATIVE != 0 && a.state == Ifa6State::Dad))
            .map(|a| a.addr)
            .collect();
        for addr in addrs {
            if restart {
                if let Some(a) = self.inet6_ifa_mut(dev, &addr) {
                    a.state = Ifa6State::PreDad;
                }
            }
            self.addrconf_dad_kick(dev, addr);
        }
    }

    /// Whether any address of `dev` is still tentative and not failed
    /// (what a caller waits for before trusting `ip addr` output).
    pub fn dad_in_progress(&self, dev: DevId) -> bool {
        self.dev(dev)
            .inet
            .addr6
            .iter()
            .any(|a| a.flags & IFA_F_TENTATIVE != 0 && a.flags & IFA_F_DADFAILED == 0)
    }

    /// When the device's next DAD timer is due, if any.
    pub fn dad_next_due(&self, dev: DevId) -> Option<Instant> {
        self.dev(dev)
            .inet
            .addr6
            .iter()
            .filter_map(|a| a.dad_due)
            .min()
    }
}

/// `addrconf_dad_end()`: DAD → POSTDAD; false if DAD was not running.
fn addrconf_dad_end(a: &mut Inet6Ifaddr) -> bool {
    if a.state == Ifa6State::Dad {
        a.state = Ifa6State::PostDad;
        true
    } else {
        false
    }
}
