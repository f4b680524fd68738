//! Active slave selection (bond_main.c): `bond_select_active_slave`,
//! `bond_find_best_slave`, `bond_choose_primary_or_current`,
//! `bond_change_active_slave` with `bond_hw_addr_swap` and
//! `bond_do_fail_over_mac`, `bond_set_carrier`, the slave state flags and
//! `bond_should_notify_peers`.

use super::{BondLink, BOND_FOM_ACTIVE, BOND_FOM_FOLLOW, BOND_FOM_NONE};
use super::{BOND_PRI_RESELECT_ALWAYS, BOND_PRI_RESELECT_BETTER};
use crate::consts::*;
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::notifier::NetdevEvent;
use crate::workqueue::Work;

impl Kernel {
    /// `bond_set_carrier()`: on iff some slave's link is UP; returns
    /// whether it changed.
    pub(crate) fn bond_set_carrier(&mut self, bond: DevId) -> bool {
        let up = self
            .bond(bond)
            .slaves
            .iter()
            .any(|s| s.link == BondLink::Up);
        let has = self.dev(bond).carrier;
        if up && !has {
            self.netif_carrier_on(bond);
            true
        } else if !up && has {
            self.netif_carrier_off(bond);
            true
        } else {
            false
        }
    }

    /// `bond_set_slave_state()` with NOTIFY_NOW: CHANGELOWERSTATE when the
    /// state changes.
    fn bond_set_slave_state(&mut self, bond: DevId, slave: DevId, backup: bool) {
        let Some(s) = self.bond_slave_mut(bond, slave) else {
            return;
        };
        if s.backup == backup {
            return;
        }
        s.backup = backup;
        self.bond_lower_state_notify(slave);
    }

    /// `bond_set_slave_inactive_flags()`: backup, and inactive unless
    /// all_slaves_active.
    pub(crate) fn bond_set_slave_inactive_flags(&mut self, bond: DevId, slave: DevId) {
        self.bond_set_slave_state(bond, slave, true);
        if self.bond(bond).params.all_slaves_active == 0 {
            if let Some(s) = self.bond_slave_mut(bond, slave) {
                s.inactive = true;
            }
        }
    }

    /// `bond_set_slave_active_flags()`.
    pub(crate) fn bond_set_slave_active_flags(&mut self, bond: DevId, slave: DevId) {
        self.bond_set_slave_state(bond, slave, false);
        if let Some(s) = self.bond_slave_mut(bond, slave) {
            s.inactive = false;
        }
    }

    /// The link of a listed slave.
    fn bond_slave_link(&self, bond: DevId, slave: DevId) -> Option<BondLink> {
        self.bond(bond).slave(slave).map(|s| s.link)
    }

    /// `bond_update_speed_duplex()`: ethtool's speed, full duplex with a
    /// speed; (SPEED_UNKNOWN, DUPLEX_UNKNOWN) = (None, 0xff) without.
    pub(crate) fn bond_slave_speed_duplex(&self, slave: DevId) -> (Option<u32>, u8) {
        match self.dev_ethtool_speed(slave) {
            Some(s) => (Some(s), 1),
            None => (None, 0xff),
        }
    }

    /// `bond_choose_primary_or_current()`.
    fn bond_choose_primary_or_current(&mut self, bond: DevId) -> Option<DevId> {
        let b = self.bond(bond);
        let curr = b.curr_active_slave;
        let mut prim = b.primary_slave;
        let curr_up = curr.is_some_and(|c| self.bond_slave_link(bond, c) == Some(BondLink::Up));
        let prim_up = prim.is_some_and(|p| self.bond_slave_link(bond, p) == Some(BondLink::Up));
        if !prim_up {
            // The UP slave with the highest prio, the first on ties.
            let mut hprio: Option<(DevId, i32)> = None;
            for s in b.slaves.iter().filter(|s| s.link == BondLink::Up) {
                if hprio.is_none_or(|(_, p)| s.prio > p) {
                    hprio = Some((s.dev, s.prio));
                }
            }
            match hprio {
                Some((h, _)) if Some(h) != curr => prim = Some(h),
                _ => return if curr_up { curr } else { None },
            }
        } else if b.force_primary {
            self.bond_mut(bond).force_primary = false;
            return prim;
        }
        if !curr_up {
            return prim;
        }
        let (prim, curr) = (prim?, curr?);
        match self.bond(bond).params.primary_reselect {
            BOND_PRI_RESELECT_ALWAYS => Some(prim),
            BOND_PRI_RESELECT_BETTER => {
                let (ps, pd) = self.bond_slave_speed_duplex(prim);
                let (cs, cd) = self.bond_slave_speed_duplex(curr);
                // SPEED_UNKNOWN is -1: below every known speed.
                let (ps, cs) = (ps.map_or(-1, i64::from), cs.map_or(-1, i64::from));
                if ps < cs || (ps == cs && pd <= cd) {
                    Some(curr)
                } else {
                    Some(prim)
                }
            }
            _ => Some(curr),
        }
    }

    /// `bond_find_best_slave()`: primary or current, else the first UP
    /// slave, else the BACK slave (device up) closest to its updelay.
    fn bond_find_best_slave(&mut self, bond: DevId) -> Option<DevId> {
        if let Some(s) = self.bond_choose_primary_or_current(bond) {
            return Some(s);
        }
        let b = self.bond(bond);
        let mut mintime = b.params.updelay as i32;
        let mut best = None;
        for s in &b.slaves {
            if s.link == BondLink::Up {
                return Some(s.dev);
            }
            let d = self.dev(s.dev);
            if s.link == BondLink::Back && d.running() && d.carrier && s.delay < mintime {
                mintime = s.delay;
                best = Some(s.dev);
            }
        }
        best
    }

    /// `bond_select_active_slave()`.
    pub(crate) fn bond_select_active_slave(&mut self, bond: DevId) {
        let best = self.bond_find_best_slave(bond);
        if best == self.bond(bond).curr_active_slave {
            return;
        }
        self.bond_change_active_slave(bond, best);
        if !self.bond_set_carrier(bond) {
            return;
        }
        if self.dev(bond).carrier {
            self.netdev_printk(bond, "active interface up!");
        } else {
            self.netdev_printk(bond, "now running without any active interface!");
        }
    }

    /// `bond_should_notify_peers()`.
    pub(crate) fn bond_should_notify_peers(&self, bond: DevId) -> bool {
        let b = self.bond(bond);
        let delay = b.params.peer_notif_delay.max(1);
        if b.send_peer_notif == 0
            || !b.send_peer_notif.is_multiple_of(delay)
            || !self.dev(bond).carrier
        {
            return false;
        }
        b.curr_active_slave
            .is_some_and(|s| !self.dev(s).linkwatch_pending)
    }

    /// `bond_change_active_slave()` in active-backup mode.
    pub(crate) fn bond_change_active_slave(&mut self, bond: DevId, new: Option<DevId>) {
        let old = self.bond(bond).curr_active_slave;
        if old == new {
            return;
        }
        if let Some(n) = new {
            let p = &self.bond(bond).params;
            let (updelay, miimon) = (p.updelay as i32, p.miimon as i32);
            let s = self.bond(bond).slave(n).expect("listed");
            if s.link == BondLink::Back {
                let ms = (updelay - s.delay) * miimon;
                let msg = format!("making interface the new active one {ms} ms earlier");
                self.slave_info(bond, n, &msg);
                if let Some(s) = self.bond_slave_mut(bond, n) {
                    s.delay = 0;
                    s.link = BondLink::Up;
                }
                self.bond_lower_state_notify(n);
            } else {
                self.slave_info(bond, n, "making interface the new active one");
            }
        }
        self.bond_hw_addr_swap(bond, new, old);
        self.bond_mut(bond).curr_active_slave = new;
        if let Some(o) = old.filter(|&o| self.bond(bond).slave(o).is_some()) {
            self.bond_set_slave_inactive_flags(bond, o);
        }
        let Some(n) = new else {
            return;
        };
        self.bond_set_slave_active_flags(bond, n);
        if self.bond(bond).params.fail_over_mac != BOND_FOM_NONE {
            self.bond_do_fail_over_mac(bond, n, old);
        }
        let mut should = false;
        if self.dev(bond).running() {
            let p = &self.bond(bond).params;
            let n = u32::from(p.num_peer_notif) * p.peer_notif_delay.max(1);
            self.bond_mut(bond).send_peer_notif = n;
            should = self.bond_should_notify_peers(bond);
        }
        let _ = self.call_netdevice_notifiers(NetdevEvent::BondingFailover, bond);
        if should {
            self.bond_mut(bond).send_peer_notif -= 1;
            let _ = self.call_netdevice_notifiers(NetdevEvent::NotifyPeers, bond);
        }
        let resend = self.bond(bond).params.resend_igmp;
        if self.dev(bond).running() && resend > 0 {
            self.bond_mut(bond).igmp_retrans = resend;
            let due = self.now + super::JIFFY;
            self.deferred
                .workqueue
                .reschedule(Work::BondMcast(bond), due);
        }
    }

    /// `bond_hw_addr_swap()`: promisc/allmulti references and the bond's
    /// address lists move from the old active slave to the new one —
    /// multicast is only ever programmed on the active slave.
    fn bond_hw_addr_swap(&mut self, bond: DevId, new: Option<DevId>, old: Option<DevId>) {
        let flags = self.dev(bond).flags;
        if let Some(o) = old.filter(|&o| self.try_dev(o).is_some()) {
            if flags & IFF_PROMISC != 0 {
                self.dev_set_promiscuity(o, -1);
            }
            if flags & IFF_ALLMULTI != 0 {
                self.dev_set_allmulti(o, -1);
            }
            if flags & IFF_UP != 0 {
                self.dev_addr_unsync(o, bond);
            }
        }
        if let Some(n) = new {
            if flags & IFF_PROMISC != 0 {
                self.dev_set_promiscuity(n, 1);
            }
            if flags & IFF_ALLMULTI != 0 {
                self.dev_set_allmulti(n, 1);
            }
            if flags & IFF_UP != 0 {
                let _ = self.dev_uc_sync(n, bond);
                let _ = self.dev_mc_sync(n, bond);
            }
        }
    }

    /// `bond_do_fail_over_mac()`: `active` — the bond takes the new active
    /// slave's address; `follow` — the new active slave takes the old
    /// one's (or the bond's) and the old one the new one's.
    fn bond_do_fail_over_mac(&mut self, bond: DevId, new: DevId, old: Option<DevId>) {
        match self.bond(bond).params.fail_over_mac {
            BOND_FOM_ACTIVE => {
                if let Err(e) = self.bond_set_dev_addr(bond, new) {
                    let msg = format!("Error {} setting bond MAC from slave", e.errno.number());
                    self.slave_info(bond, new, &msg);
                }
            }
            BOND_FOM_FOLLOW => {
                let baddr = self.dev(bond).dev_addr;
                let old = old.or_else(|| {
                    self.bond(bond)
                        .slaves
                        .iter()
                        .find(|s| s.dev != new && self.dev(s.dev).dev_addr == baddr)
                        .map(|s| s.dev)
                });
                let tmp = self.dev(new).dev_addr;
                let to: HwAddr = match old {
                    Some(o) => self.dev(o).dev_addr,
                    None => baddr,
                };
                if let Err(e) = self.dev_set_mac_address(new, to) {
                    let msg = format!("Error {} setting MAC of new active slave", e.errno.number());
                    self.slave_info(bond, new, &msg);
                    return;
                }
                if let Some(o) = old {
                    if let Err(e) = self.dev_set_mac_address(o, tmp) {
                        let msg =
                            format!("Error {} setting MAC of old active slave", e.errno.number());
                        self.slave_info(bond, o, &msg);
                    }
                }
            }
            _ => {}
        }
    }
}
