//! The bond's delayed work on the virtual clock: `bond_mii_monitor`
//! (`bond_miimon_inspect`, `bond_miimon_commit`, the peer notifications it
//! counts down) every `miimon` ms, and `mcast_work`
//! (`bond_resend_igmp_join_requests_delayed`), `resend_igmp` rounds HZ/5
//! apart. Both take RTNL, so `rtnl_trylock()` always succeeds here: the
//! model runs work only when no operation holds it.

use super::{BondLink, BOND_MODE_ACTIVEBACKUP};
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::notifier::NetdevEvent;
use crate::time::Duration;
use crate::workqueue::Work;

/// HZ/5: the IGMP rejoin interval.
pub const IGMP_REJOIN_INTERVAL: Duration = Duration::from_millis(200);

impl Kernel {
    /// `bond_mii_monitor()`.
    pub(crate) fn bond_mii_monitor(&mut self, bond: DevId) {
        if self.try_dev(bond).and_then(|d| d.driver.bond()).is_none() {
            return;
        }
        if !self.bond(bond).slaves.is_empty() {
            let should = self.bond_should_notify_peers(bond);
            let proposals = self.bond_miimon_inspect(bond);
            if !proposals.is_empty() || self.bond(bond).send_peer_notif != 0 {
                if !proposals.is_empty() {
                    // bond_commit_link_state(NOTIFY_LATER) for every slave.
                    for &(s, link) in &proposals {
                        if let Some(x) = self.bond_slave_mut(bond, s) {
                            x.link = link;
                        }
                    }
                    self.bond_miimon_commit(bond, &proposals);
                }
                if self.bond(bond).send_peer_notif != 0 {
                    self.bond_mut(bond).send_peer_notif -= 1;
                    if should {
                        let _ = self.call_netdevice_notifiers(NetdevEvent::NotifyPeers, bond);
                    }
                }
            }
        }
        let miimon = self.bond(bond).params.miimon;
        if miimon != 0 && self.dev(bond).running() {
            let due = self.now + Duration::from_millis(u64::from(miimon));
            self.deferred.workqueue.schedule(Work::BondMii(bond), due);
        }
    }

    /// Whether the bond's next `bond_mii_monitor` tick would change nothing
    /// but its own rearm: no peer notification left to count down, and
    /// every slave's MII state agrees with its link (UP with carrier while
    /// running, DOWN without), so `bond_miimon_inspect` proposes nothing.
    /// The explorer schedules only ticks that are not idle.
    pub fn bond_mii_tick_is_idle(&self, bond: DevId) -> bool {
        let Some(b) = self.try_dev(bond).and_then(|d| d.driver.bond()) else {
            return true;
        };
        b.send_peer_notif == 0
            && b.slaves.iter().all(|s| {
                let link = self
                    .try_dev(s.dev)
                    .is_some_and(|d| d.running() && d.carrier);
                matches!(
                    (s.link, link),
                    (BondLink::Up, true) | (BondLink::Down, false)
                )
            })
    }

    /// `bond_miimon_inspect()`: each slave's proposed link state (only the
    /// changes), with the delays counted down and the log lines.
    fn bond_miimon_inspect(&mut self, bond: DevId) -> Vec<(DevId, BondLink)> {
        let p = self.bond(bond).params.clone();
        let (miimon, updelay, downdelay) = (p.miimon as i32, p.updelay as i32, p.downdelay as i32);
        let ab = p.mode == BOND_MODE_ACTIVEBACKUP;
        let mut ignore_updelay = self.bond(bond).curr_active_slave.is_none();
        let mut out = Vec::new();
        let slaves: Vec<DevId> = self.bond(bond).slaves.iter().map(|s| s.dev).collect();
        for dev in slaves {
            let d = self.dev(dev);
            let link_state = d.running() && d.carrier;
            let Some(s) = self.bond(bond).slave(dev).cloned() else {
                continue;
            };
            let mut link = s.link;
            let mut delay = s.delay;
            let mut proposal = None;
            if link == BondLink::Up {
                if link_state {
                    continue;
                }
                proposal = Some(BondLink::Fail);
                delay = downdelay;
                if delay != 0 {
                    let role = match (ab, s.backup) {
                        (true, false) => "active ",
                        (true, true) => "backup ",
                        _ => "",
                    };
                    let msg = format!(
                        "link status down for {role}interface, disabling it in {} ms",
                        downdelay * miimon
                    );
                    self.slave_info(bond, dev, &msg);
                }
                link = BondLink::Fail;
            }
            if link == BondLink::Fail {
                if link_state {
                    let ms = (downdelay - delay) * miimon;
                    self.slave_info(bond, dev, &format!("link status up again after {ms} ms"));
                    out.push((dev, BondLink::Up));
                    self.bond_set_delay(bond, dev, delay);
                    continue;
                }
                if delay <= 0 {
                    out.push((dev, BondLink::Down));
                    self.bond_set_delay(bond, dev, delay);
                    continue;
                }
                delay -= 1;
            }
            if link == BondLink::Down {
                if !link_state {
                    continue;
                }
                proposal = Some(BondLink::Back);
                delay = updelay;
                if delay != 0 {
                    let ms = if ignore_updelay { 0 } else { updelay * miimon };
                    self.slave_info(
                        bond,
                        dev,
                        &format!("link status up, enabling it in {ms} ms"),
                    );
                }
                link = BondLink::Back;
            }
            if link == BondLink::Back {
                if !link_state {
                    let ms = (updelay - delay) * miimon;
                    self.slave_info(bond, dev, &format!("link status down again after {ms} ms"));
                    out.push((dev, BondLink::Down));
                    self.bond_set_delay(bond, dev, delay);
                    continue;
                }
                if ignore_updelay {
                    delay = 0;
                }
                if delay <= 0 {
                    out.push((dev, BondLink::Up));
                    ignore_updelay = false;
                    self.bond_set_delay(bond, dev, delay);
                    continue;
                }
                delay -= 1;
            }
            if let Some(l) = proposal {
                out.push((dev, l));
            }
            self.bond_set_delay(bond, dev, delay);
        }
        out
    }

    fn bond_set_delay(&mut self, bond: DevId, slave: DevId, delay: i32) {
        if let Some(s) = self.bond_slave_mut(bond, slave) {
            s.delay = delay;
        }
    }

    /// `bond_miimon_commit()`: UP and DOWN proposals take effect (FAIL and
    /// BACK only wait), then failover if needed and the carrier.
    fn bond_miimon_commit(&mut self, bond: DevId, proposals: &[(DevId, BondLink)]) {
        let mut do_failover = false;
        for &(dev, link) in proposals {
            match link {
                BondLink::Up => {
                    self.bond_lower_state_notify(dev);
                    let (speed, duplex) = self.bond_slave_speed_duplex(dev);
                    let msg = format!(
                        "link status definitely up, {} Mbps {} duplex",
                        speed.unwrap_or(0),
                        if duplex != 0 { "full" } else { "half" }
                    );
                    self.slave_info(bond, dev, &msg);
                    let b = self.bond(bond);
                    let prio = b.slave(dev).map_or(0, |s| s.prio);
                    let active_prio = b.curr_active_slave.and_then(|a| b.slave(a)).map(|s| s.prio);
                    if active_prio.is_none_or(|ap| prio > ap) || b.primary_slave == Some(dev) {
                        do_failover = true;
                    }
                }
                BondLink::Down => {
                    if let Some(s) = self.bond_slave_mut(bond, dev) {
                        s.link_failure_count = s.link_failure_count.saturating_add(1);
                    }
                    self.bond_lower_state_notify(dev);
                    self.bond_set_slave_inactive_flags(bond, dev);
                    self.slave_info(bond, dev, "link status definitely down, disabling slave");
                    if self.bond(bond).curr_active_slave == Some(dev) {
                        do_failover = true;
                    }
                }
                BondLink::Fail | BondLink::Back => {}
            }
        }
        if do_failover {
            self.bond_select_active_slave(bond);
        }
        self.bond_set_carrier(bond);
    }

    /// `bond_resend_igmp_join_requests_delayed()`: NETDEV_RESEND_IGMP on
    /// the bond, again HZ/5 later while retransmissions are left.
    pub(crate) fn bond_resend_igmp_join_requests(&mut self, bond: DevId) {
        if self.try_dev(bond).and_then(|d| d.driver.bond()).is_none() {
            return;
        }
        let _ = self.call_netdevice_notifiers(NetdevEvent::ResendIgmp, bond);
        if self.bond(bond).igmp_retrans > 1 {
            self.bond_mut(bond).igmp_retrans -= 1;
            let due = self.now + IGMP_REJOIN_INTERVAL;
            self.deferred.workqueue.schedule(Work::BondMcast(bond), due);
        }
    }
}
