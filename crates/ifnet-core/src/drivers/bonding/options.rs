//! bond_options.c: `__bond_opt_set` (`bond_opt_check_deps`, the value
//! tables and ranges, `bond_opt_error_interpret`'s log lines and extack)
//! and the setters of the modelled options. Options the model does not
//! carry (ARP monitoring, 802.3ad, TLB/ALB, hashing) pass their mode and
//! up/slaves checks like the kernel's, accept their default value, and
//! refuse any other with -EOPNOTSUPP: never accepted and ignored.

use super::{BondLink, BOND_MODE_ACTIVEBACKUP};
use crate::consts::*;
use crate::errno::{Errno, KError, KResult};
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::workqueue::Work;

/// `bond_mode_tbl`, by value.
pub const BOND_MODE_NAMES: [&str; 7] = [
    "balance-rr",
    "active-backup",
    "balance-xor",
    "broadcast",
    "802.3ad",
    "balance-tlb",
    "balance-alb",
];
/// `bond_fail_over_mac_tbl`, `bond_pri_reselect_tbl`.
pub const BOND_FOM_NAMES: [&str; 3] = ["none", "active", "follow"];
pub const BOND_PRI_RESELECT_NAMES: [&str; 3] = ["always", "better", "failure"];

/// BOND_OPTFLAG_NOSLAVES / IFDOWN.
const NOSLAVES: u8 = 1;
const IFDOWN: u8 = 2;
/// Mode bitmaps (`BIT(mode)`) for `unsuppmodes`.
const ALL_MODES: u8 = 0x7f;
const USES_PRIMARY: u8 = (1 << 1) | (1 << 5) | (1 << 6);
const NO_ARP_MODES: u8 = (1 << 4) | (1 << 5) | (1 << 6);

/// A bonding option (`BOND_OPT_*`) the netlink path sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BondOpt {
    Mode,
    ActiveSlave,
    Miimon,
    Updelay,
    Downdelay,
    PeerNotifDelay,
    Primary,
    PrimaryReselect,
    FailOverMac,
    ResendIgmp,
    NumPeerNotif,
    AllSlavesActive,
    MinLinks,
    Prio,
    /// An option not modelled: its name, unsupported modes, flags and the
    /// only value accepted (its default).
    Unmodelled(&'static str, u8, u8, u64),
}

/// `struct bond_opt_value` as the netlink path builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptVal {
    Int(u64),
    Str(String),
    /// A per-slave value (`bond_opt_slave_initval`).
    Slave(DevId, i64),
}

struct Meta {
    name: &'static str,
    flags: u8,
    unsupp: u8,
    /// (min, max) of the range, or None for RAWVAL / table-only options.
    range: Option<(u64, u64)>,
    table: &'static [&'static str],
}

const INT_MAX: u64 = i32::MAX as u64;

fn meta(opt: BondOpt) -> Meta {
    let m = |name, flags, unsupp, range, table| Meta {
        name,
        flags,
        unsupp,
        range,
        table,
    };
    match opt {
        BondOpt::Mode => m("mode", NOSLAVES | IFDOWN, 0, None, &BOND_MODE_NAMES[..]),
        BondOpt::ActiveSlave => m("active_slave", 0, ALL_MODES & !USES_PRIMARY, None, &[]),
        BondOpt::Miimon => m("miimon", 0, 0, Some((0, INT_MAX)), &[]),
        BondOpt::Updelay => m("updelay", 0, 0, Some((0, INT_MAX)), &[]),
        BondOpt::Downdelay => m("downdelay", 0, 0, Some((0, INT_MAX)), &[]),
        BondOpt::PeerNotifDelay => m("peer_notif_delay", 0, 0, Some((0, INT_MAX)), &[]),
        BondOpt::Primary => m("primary", 0, ALL_MODES & !USES_PRIMARY, None, &[]),
        BondOpt::PrimaryReselect => m("primary_reselect", 0, 0, None, &BOND_PRI_RESELECT_NAMES),
        BondOpt::FailOverMac => m("fail_over_mac", NOSLAVES, 0, None, &BOND_FOM_NAMES),
        BondOpt::ResendIgmp => m("resend_igmp", 0, 0, Some((0, 255)), &[]),
        BondOpt::NumPeerNotif => m("num_unsol_na", 0, 0, Some((0, 255)), &[]),
        BondOpt::AllSlavesActive => m("all_slaves_active", 0, 0, None, &["off", "on"]),
        BondOpt::MinLinks => m("min_links", 0, 0, Some((0, INT_MAX)), &[]),
        BondOpt::Prio => m("prio", 0, ALL_MODES & !USES_PRIMARY, None, &[]),
        BondOpt::Unmodelled(name, unsupp, flags, _) => m(name, flags, unsupp, None, &[]),
    }
}

/// The unmodelled options' deps (bond_opts[]) and defaults, by name.
pub fn unmodelled(name: &'static str, default: u64) -> BondOpt {
    let except = |modes: u8| ALL_MODES & !modes;
    let (unsupp, flags) = match name {
        "arp_interval" | "arp_validate" | "arp_missed_max" => (NO_ARP_MODES, 0),
        "lacp_active" | "lacp_rate" => (except(1 << 4), IFDOWN),
        "ad_select" => (0, IFDOWN),
        "ad_user_port_key" => (except(1 << 4), IFDOWN),
        "ad_actor_sys_prio" | "ad_actor_system" | "broadcast_neighbor" => (except(1 << 4), 0),
        "coupled_control" => (except(1 << 4), IFDOWN),
        "tlb_dynamic_lb" => (except((1 << 5) | (1 << 6)), IFDOWN),
        "packets_per_slave" => (except(1), 0),
        _ => (0, 0),
    };
    BondOpt::Unmodelled(name, unsupp, flags, default)
}

impl Kernel {
    /// `__bond_opt_set()`: deps, parse, set; errors interpreted.
    pub(crate) fn __bond_opt_set(&mut self, bond: DevId, opt: BondOpt, val: OptVal) -> KResult<()> {
        let m = meta(opt);
        let val_is_str = matches!(val, OptVal::Str(_));
        let r = self
            .bond_opt_check_deps(bond, &m)
            .and_then(|()| parse(&m, &val))
            .and_then(|v| self.bond_opt_apply(bond, opt, v));
        if let Err(e) = &r {
            self.bond_opt_error_interpret(bond, &m, e.errno, &val);
        }
        r.map_err(|e| match e.errno {
            Errno::EINVAL => KError::msg(Errno::EINVAL, "invalid option value"),
            Errno::ENODEV if val_is_str => KError::msg(Errno::ENODEV, "interface does not exist"),
            Errno::EACCES => KError::msg(Errno::EACCES, "option not supported in mode"),
            Errno::ENOTEMPTY => KError::msg(
                Errno::ENOTEMPTY,
                "unable to set option because the bond device has slaves",
            ),
            Errno::EBUSY => {
                KError::msg(Errno::EBUSY, "unable to set option because the bond is up")
            }
            _ => e,
        })
    }

    /// `bond_opt_check_deps()`.
    fn bond_opt_check_deps(&self, bond: DevId, m: &Meta) -> KResult<()> {
        let mode = self.bond(bond).params.mode;
        if m.unsupp & (1u8 << mode.min(7)) != 0 {
            return Err(KError::new(Errno::EACCES));
        }
        if m.flags & NOSLAVES != 0 && !self.bond(bond).slaves.is_empty() {
            return Err(KError::new(Errno::ENOTEMPTY));
        }
        if m.flags & IFDOWN != 0 && self.dev(bond).flags & IFF_UP != 0 {
            return Err(KError::new(Errno::EBUSY));
        }
        Ok(())
    }

    /// `bond_opt_error_interpret()`'s log lines.
    fn bond_opt_error_interpret(&mut self, bond: DevId, m: &Meta, errno: Errno, val: &OptVal) {
        let name = m.name;
        let line = match errno {
            Errno::EINVAL => {
                let shown = match val {
                    OptVal::Int(v) => v.to_string(),
                    OptVal::Str(s) => s.clone(),
                    OptVal::Slave(_, v) => v.to_string(),
                };
                self.netdev_printk(bond, &format!("option {name}: invalid value ({shown})"));
                match m.range {
                    Some((lo, hi)) => format!("option {name}: allowed values {lo} - {hi}"),
                    None => return,
                }
            }
            Errno::EACCES => {
                let mode = self.bond(bond).params.mode;
                let mname = BOND_MODE_NAMES.get(usize::from(mode)).unwrap_or(&"?");
                format!(
                    "option {name}: mode dependency failed, not supported in mode {mname}({mode})"
                )
            }
            Errno::ENOTEMPTY => {
                format!("option {name}: unable to set because the bond device has slaves")
            }
            Errno::EBUSY => format!("option {name}: unable to set because the bond device is up"),
            Errno::ENODEV => match val {
                OptVal::Str(s) => format!("option {name}: interface {s} does not exist!"),
                _ => return,
            },
            _ => return,
        };
        self.netdev_printk(bond, &line);
    }

    fn bond_opt_apply(&mut self, bond: DevId, opt: BondOpt, v: OptVal) -> KResult<()> {
        let int = match &v {
            OptVal::Int(i) => *i,
            _ => 0,
        };
        let p = &mut self.bond_mut(bond).params;
        match opt {
            BondOpt::Mode => p.mode = int as u8,
            BondOpt::Miimon => return self.bond_option_miimon_set(bond, int as u32),
            BondOpt::Updelay => return self.bond_option_delay_set(bond, int, "up delay", 0),
            BondOpt::Downdelay => return self.bond_option_delay_set(bond, int, "down delay", 1),
            BondOpt::PeerNotifDelay => {
                return self.bond_option_delay_set(bond, int, "peer notification delay", 2)
            }
            BondOpt::PrimaryReselect => {
                p.primary_reselect = int as u8;
                self.bond_select_active_slave(bond);
            }
            BondOpt::FailOverMac => p.fail_over_mac = int as u8,
            BondOpt::ResendIgmp => p.resend_igmp = int as u32,
            BondOpt::NumPeerNotif => p.num_peer_notif = int as u8,
            BondOpt::MinLinks => p.min_links = int as u32,
            BondOpt::AllSlavesActive => self.bond_option_all_slaves_active_set(bond, int as u8),
            BondOpt::ActiveSlave => return self.bond_option_active_slave_set(bond, v),
            BondOpt::Primary => self.bond_option_primary_set(bond, v),
            BondOpt::Prio => return self.bond_option_prio_set(bond, v),
            BondOpt::Unmodelled(name, _, _, default) => {
                if int != default {
                    let msg = format!("ifnet: bond option {name} is not modelled");
                    return Err(KError::msg_fmt(Errno::EOPNOTSUPP, msg));
                }
            }
        }
        Ok(())
    }

    /// `bond_option_miimon_set()`: a running bond restarts the monitor.
    fn bond_option_miimon_set(&mut self, bond: DevId, miimon: u32) -> KResult<()> {
        self.bond_mut(bond).params.miimon = miimon;
        if self.dev(bond).flags & IFF_UP != 0 {
            let q = &mut self.deferred.workqueue;
            if miimon == 0 {
                q.cancel(Work::BondMii(bond));
            } else {
                let now = self.now;
                self.deferred.workqueue.reschedule(Work::BondMii(bond), now);
            }
        }
        Ok(())
    }

    /// `_bond_option_delay_set()`: stored in miimon ticks, truncated.
    fn bond_option_delay_set(&mut self, bond: DevId, v: u64, name: &str, which: u8) -> KResult<()> {
        let miimon = u64::from(self.bond(bond).params.miimon);
        if miimon == 0 {
            let msg = format!("Unable to set {name} as MII monitoring is disabled");
            self.netdev_printk(bond, &msg);
            return Err(KError::new(Errno::EPERM));
        }
        let v = v as i32 as i64;
        let mi = miimon as i64;
        if v % mi != 0 {
            let msg = format!(
                "{name} ({v}) is not a multiple of miimon ({mi}), value rounded to {} ms",
                (v / mi) * mi
            );
            self.netdev_printk(bond, &msg);
        }
        let ticks = (v / mi) as u32;
        let p = &mut self.bond_mut(bond).params;
        match which {
            0 => p.updelay = ticks,
            1 => p.downdelay = ticks,
            _ => p.peer_notif_delay = ticks,
        }
        Ok(())
    }

    /// `bond_option_all_slaves_active_set()`: backups follow at once.
    fn bond_option_all_slaves_active_set(&mut self, bond: DevId, v: u8) {
        if self.bond(bond).params.all_slaves_active == v {
            return;
        }
        let b = self.bond_mut(bond);
        b.params.all_slaves_active = v;
        for s in b.slaves.iter_mut().filter(|s| s.backup) {
            s.inactive = v == 0;
        }
    }

    /// `bond_option_active_slave_set()`.
    fn bond_option_active_slave_set(&mut self, bond: DevId, v: OptVal) -> KResult<()> {
        let OptVal::Str(name) = v else {
            return Err(KError::new(Errno::EINVAL));
        };
        if name.is_empty() {
            self.bond_change_active_slave(bond, None);
            self.bond_select_active_slave(bond);
            return Ok(());
        }
        let net = self.dev(bond).net;
        let slave = self
            .dev_get_by_name(net, &name)
            .ok_or(KError::new(Errno::ENODEV))?;
        let sd = self.dev(slave);
        if !(sd.flags & IFF_SLAVE != 0 && sd.priv_flags & IFF_BONDING != 0) {
            self.slave_info(bond, slave, "Device is not bonding slave");
            return Err(KError::new(Errno::EINVAL));
        }
        if sd.master != Some(bond) {
            self.slave_info(bond, slave, "Device is not our slave");
            return Err(KError::new(Errno::EINVAL));
        }
        let old = self.bond(bond).curr_active_slave;
        if old == Some(slave) {
            return Ok(());
        }
        let link_up = self
            .bond(bond)
            .slave(slave)
            .is_some_and(|s| s.link == BondLink::Up);
        let dev_up = self.dev(slave).running() && self.dev(slave).carrier;
        if old.is_some() && link_up && dev_up {
            self.bond_change_active_slave(bond, Some(slave));
            return Ok(());
        }
        let msg =
            format!("Could not set as active slave; either {name} is down or the link is down");
        self.slave_info(bond, slave, &msg);
        Err(KError::new(Errno::EINVAL))
    }

    /// `bond_option_primary_set()`: a slave of that name becomes primary
    /// (forced); another name is recorded for later; empty clears.
    fn bond_option_primary_set(&mut self, bond: DevId, v: OptVal) {
        let OptVal::Str(name) = v else {
            return;
        };
        if name.is_empty() {
            let b = self.bond_mut(bond);
            b.primary_slave = None;
            b.params.primary.clear();
            self.bond_select_active_slave(bond);
            return;
        }
        let found = self
            .bond(bond)
            .slaves
            .iter()
            .map(|s| s.dev)
            .find(|&s| self.dev(s).name.as_str() == name);
        if let Some(s) = found {
            let b = self.bond_mut(bond);
            b.primary_slave = Some(s);
            b.params.primary = name;
            b.force_primary = true;
            self.bond_select_active_slave(bond);
            return;
        }
        if self.bond(bond).primary_slave.is_some() {
            self.bond_mut(bond).primary_slave = None;
            self.bond_select_active_slave(bond);
        }
        self.bond_mut(bond).params.primary = name.chars().take(IFNAMSIZ - 1).collect();
    }

    /// `bond_option_prio_set()`: with a primary it only warns.
    fn bond_option_prio_set(&mut self, bond: DevId, v: OptVal) -> KResult<()> {
        let OptVal::Slave(slave, prio) = v else {
            return Err(KError::new(Errno::EINVAL));
        };
        let s = self
            .bond_slave_mut(bond, slave)
            .ok_or(KError::new(Errno::ENODEV))?;
        s.prio = prio as i32;
        if self.bond(bond).primary_slave.is_some() {
            self.slave_info(bond, slave, "prio updated, but will not affect failover re-selection as primary slave have been set");
        } else {
            self.bond_select_active_slave(bond);
        }
        Ok(())
    }

    /// A write to `/sys/class/net/<bond>/bonding/slaves` (`+ifname` /
    /// `-ifname`, `bond_option_slaves_set` via `bond_opt_tryset_rtnl`):
    /// `bond_enslave` without extack, so its refusals go to the log as
    /// "Error: …" (`BOND_NL_ERR` / `SLAVE_NL_ERR`). The only sysfs option
    /// write modelled; NETDEV_CHANGEINFODATA on success.
    pub fn bond_sysfs_slaves_write(&mut self, bond: DevId, value: &str) -> KResult<()> {
        if self.try_dev(bond).and_then(|d| d.driver.bond()).is_none() {
            return Err(KError::new(Errno::ENOENT));
        }
        let cmd = value.split_whitespace().next().unwrap_or("");
        let cmd: String = cmd.chars().take(16).collect();
        let ifname = cmd.get(1..).unwrap_or("");
        let op = cmd.chars().next();
        if cmd.len() <= 1 || !matches!(op, Some('+' | '-')) || !crate::name::dev_valid_name(ifname)
        {
            let msg = "no command found in slaves file - use +ifname or -ifname";
            self.netdev_printk(bond, msg);
            return Err(KError::new(Errno::EPERM));
        }
        let net = self.dev(bond).net;
        let Some(slave) = self.dev_get_by_name(net, ifname) else {
            let msg = format!("option slaves: interface {cmd} does not exist!");
            self.netdev_printk(bond, &msg);
            return Err(KError::new(Errno::ENODEV));
        };
        let r = if op == Some('+') {
            self.bond_enslave(bond, slave)
        } else {
            self.bond_release(bond, slave)
        };
        match r {
            Ok(()) => {
                let _ = self
                    .call_netdevice_notifiers(crate::notifier::NetdevEvent::ChangeInfoData, bond);
                Ok(())
            }
            Err(e) => {
                if let Some(text) = &e.extack {
                    let bond_level = matches!(
                        text.as_ref(),
                        "Device type (master device) cannot be enslaved"
                            | "Cannot enslave bond to itself."
                    );
                    let line = format!("Error: {text}");
                    if bond_level {
                        self.netdev_printk(bond, &line);
                    } else {
                        self.slave_info(bond, slave, &line);
                    }
                }
                Err(KError::new(e.errno))
            }
        }
    }

    /// The bond's options in milliseconds, as netlink and /proc report them.
    pub fn bond_delay_ms(&self, bond: DevId, ticks: u32) -> u64 {
        u64::from(ticks) * u64::from(self.bond(bond).params.miimon)
    }

    /// Whether `bond` runs active-backup.
    pub fn bond_is_ab(&self, bond: DevId) -> bool {
        self.bond(bond).params.mode == BOND_MODE_ACTIVEBACKUP
    }
}

/// `bond_opt_parse()` for netlink values: table options by value, ranged
/// ones by range, RAWVAL ones as they are.
fn parse(m: &Meta, v: &OptVal) -> KResult<OptVal> {
    let OptVal::Int(i) = v else {
        return Ok(v.clone());
    };
    if !m.table.is_empty() {
        return if (*i as usize) < m.table.len() {
            Ok(v.clone())
        } else {
            Err(KError::new(Errno::EINVAL))
        };
    }
    match m.range {
        Some((lo, hi)) if *i < lo || *i > hi => Err(KError::new(Errno::EINVAL)),
        _ => Ok(v.clone()),
    }
}
