//! What bonding shows outside netlink: `/proc/net/bonding/<bond>`
//! (bond_procfs.c `bond_info_seq_show`: the master block, then one block
//! per slave) and the sysfs directories `bonding/` of a bond
//! (bond_sysfs.c) and `bonding_slave/` of a slave (bond_sysfs_slave.c).
//! The proc entry is created at the bond's NETDEV_REGISTER and renamed at
//! NETDEV_CHANGENAME, so it always carries the bond's current name.

use super::options::{BOND_FOM_NAMES, BOND_MODE_NAMES, BOND_PRI_RESELECT_NAMES};
use super::{BondLink, BondSlave, BOND_MODE_ACTIVEBACKUP};
use crate::ids::DevId;
use crate::kernel::Kernel;
use std::fmt::Write;

/// `bond_mode_name()`.
pub fn bond_mode_name(mode: u8) -> &'static str {
    match mode {
        0 => "load balancing (round-robin)",
        1 => "fault-tolerance (active-backup)",
        2 => "load balancing (xor)",
        3 => "fault-tolerance (broadcast)",
        4 => "IEEE 802.3ad Dynamic link aggregation",
        5 => "transmit load balancing",
        6 => "adaptive load balancing",
        _ => "unknown",
    }
}

/// `bond_slave_link_status()`.
pub fn bond_slave_link_status(link: BondLink) -> &'static str {
    match link {
        BondLink::Up => "up",
        BondLink::Fail => "going down",
        BondLink::Down => "down",
        BondLink::Back => "going back",
    }
}

/// The bonding modes that use a primary (AB, TLB, ALB).
fn bond_uses_primary(mode: u8) -> bool {
    matches!(mode, 1 | 5 | 6)
}

impl Kernel {
    /// `bond_version`: "Ethernet Channel Bonding Driver: v" UTS_RELEASE.
    fn bond_version(&self) -> String {
        let name = self.profile().name.trim_end_matches(".y");
        let release = if name.matches('.').count() == 1 {
            format!("{name}.0")
        } else {
            name.to_string()
        };
        format!("Ethernet Channel Bonding Driver: v{release}\n")
    }

    /// `/proc/net/bonding/<bond>` (`bond_info_seq_show`); None if `bond`
    /// is not a bond.
    pub fn bond_proc_show(&self, bond: DevId) -> Option<String> {
        let b = self.try_dev(bond)?.driver.bond()?;
        let p = &b.params;
        let mut o = String::new();
        let _ = writeln!(o, "{}", self.bond_version());
        let _ = write!(o, "Bonding Mode: {}", bond_mode_name(p.mode));
        if p.mode == BOND_MODE_ACTIVEBACKUP && p.fail_over_mac != 0 {
            let fom = BOND_FOM_NAMES
                .get(usize::from(p.fail_over_mac))
                .unwrap_or(&"?");
            let _ = write!(o, " (fail_over_mac {fom})");
        }
        o.push('\n');
        if bond_uses_primary(p.mode) {
            let prim = b.primary_slave.map(|s| self.dev(s).name.to_string());
            let _ = write!(o, "Primary Slave: {}", prim.as_deref().unwrap_or("None"));
            if prim.is_some() {
                let r = BOND_PRI_RESELECT_NAMES.get(usize::from(p.primary_reselect));
                let _ = write!(o, " (primary_reselect {})", r.unwrap_or(&"?"));
            }
            let curr = b.curr_active_slave.map(|s| self.dev(s).name.to_string());
            let _ = writeln!(
                o,
                "\nCurrently Active Slave: {}",
                curr.as_deref().unwrap_or("None")
            );
        }
        let carrier = if self.dev(bond).carrier { "up" } else { "down" };
        let _ = writeln!(o, "MII Status: {carrier}");
        let _ = writeln!(o, "MII Polling Interval (ms): {}", p.miimon);
        let _ = writeln!(o, "Up Delay (ms): {}", self.bond_delay_ms(bond, p.updelay));
        let _ = writeln!(
            o,
            "Down Delay (ms): {}",
            self.bond_delay_ms(bond, p.downdelay)
        );
        let _ = writeln!(
            o,
            "Peer Notification Delay (ms): {}",
            self.bond_delay_ms(bond, p.peer_notif_delay)
        );
        for s in &b.slaves {
            self.bond_info_show_slave(&mut o, s);
        }
        Some(o)
    }

    /// `bond_info_show_slave()`.
    fn bond_info_show_slave(&self, o: &mut String, s: &BondSlave) {
        let _ = writeln!(o, "\nSlave Interface: {}", self.dev(s.dev).name);
        let _ = writeln!(o, "MII Status: {}", bond_slave_link_status(s.link));
        let (speed, duplex) = self.bond_slave_speed_duplex(s.dev);
        match speed {
            Some(v) => {
                let _ = writeln!(o, "Speed: {v} Mbps");
            }
            None => o.push_str("Speed: Unknown\n"),
        }
        match duplex {
            0xff => o.push_str("Duplex: Unknown\n"),
            0 => o.push_str("Duplex: half\n"),
            _ => o.push_str("Duplex: full\n"),
        }
        let _ = writeln!(o, "Link Failure Count: {}", s.link_failure_count);
        let _ = writeln!(o, "Permanent HW addr: {}", s.perm_hwaddr);
        let _ = writeln!(o, "Slave queue ID: {}", s.queue_id);
    }

    /// The bonds of a namespace: what `ls /proc/net/bonding` lists.
    pub fn bond_proc_list(&self, net: crate::ids::NetId) -> Vec<String> {
        let mut v: Vec<String> = self
            .devices_in(net)
            .into_iter()
            .filter(|&d| self.dev(d).driver.bond().is_some())
            .map(|d| self.dev(d).name.to_string())
            .collect();
        v.sort();
        v
    }

    /// `bonding/<attr>` of a bond and `bonding_slave/<attr>` of a slave;
    /// None for anything else.
    pub(crate) fn bond_sysfs_read(&self, dev: DevId, attr: &str) -> Option<String> {
        if let Some(a) = attr.strip_prefix("bonding/") {
            return self.bonding_sysfs_master(dev, a);
        }
        let a = attr.strip_prefix("bonding_slave/")?;
        let bond = self.bond_of_slave(dev)?;
        let s = self.bond(bond).slave(dev)?;
        Some(match a {
            "state" => if s.backup { "backup" } else { "active" }.to_string(),
            "mii_status" => bond_slave_link_status(s.link).to_string(),
            "link_failure_count" => s.link_failure_count.to_string(),
            "perm_hwaddr" => s.perm_hwaddr.to_string(),
            "queue_id" => s.queue_id.to_string(),
            "prio" => s.prio.to_string(),
            _ => return None,
        })
    }

    /// bond_sysfs.c's `bonding_show_*` (without the trailing newline).
    fn bonding_sysfs_master(&self, bond: DevId, a: &str) -> Option<String> {
        let b = self.dev(bond).driver.bond()?;
        let p = &b.params;
        let name = |d: Option<DevId>| d.map(|d| self.dev(d).name.to_string()).unwrap_or_default();
        let tbl = |t: &[&str], v: u8| format!("{} {v}", t.get(usize::from(v)).unwrap_or(&"?"));
        Some(match a {
            "mode" => tbl(&BOND_MODE_NAMES, p.mode),
            "slaves" => {
                let names: Vec<String> = b
                    .slaves
                    .iter()
                    .map(|s| self.dev(s.dev).name.to_string())
                    .collect();
                names.join(" ")
            }
            "active_slave" => name(b.curr_active_slave),
            "primary" => name(b.primary_slave),
            "primary_reselect" => tbl(&BOND_PRI_RESELECT_NAMES, p.primary_reselect),
            "fail_over_mac" => tbl(&BOND_FOM_NAMES, p.fail_over_mac),
            "miimon" => p.miimon.to_string(),
            "updelay" => self.bond_delay_ms(bond, p.updelay).to_string(),
            "downdelay" => self.bond_delay_ms(bond, p.downdelay).to_string(),
            "peer_notif_delay" => self.bond_delay_ms(bond, p.peer_notif_delay).to_string(),
            "num_grat_arp" | "num_unsol_na" => p.num_peer_notif.to_string(),
            "all_slaves_active" => p.all_slaves_active.to_string(),
            "resend_igmp" => p.resend_igmp.to_string(),
            "min_links" => p.min_links.to_string(),
            "use_carrier" => "1".to_string(),
            "mii_status" => if self.dev(bond).carrier { "up" } else { "down" }.to_string(),
            _ => return None,
        })
    }
}
