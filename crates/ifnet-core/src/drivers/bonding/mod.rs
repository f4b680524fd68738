//! drivers/net/bonding (Linux 6.18) in active-backup mode: the bond's
//! private state (`struct bonding`, `struct slave`, `struct bond_params`),
//! its ops tables (`bond_netdev_ops`, `bond_link_ops`), `bond_setup`,
//! open/close, transmit (`bond_xmit_activebackup`), the slaves' rx_handler
//! (`bond_handle_frame`) and the notifier (`bond_netdev_event`).
//!
//! The rest is split by the kernel's own seams: `main` (bond_enslave,
//! __bond_release_one, type adoption), `select` (active slave selection,
//! fail_over_mac), `monitor` (miimon, peer notification, IGMP rejoin
//! work), `options` (bond_options.c), `netlink` (bond_netlink.c), `procfs`
//! (/proc/net/bonding and sysfs `bonding/`, `bonding_slave/`).
//!
//! Modes: a bond can be put in any mode (mode is only a parameter), but
//! only active-backup is modelled: enslaving to a bond in another mode is
//! refused with -EOPNOTSUPP (see `main::bond_enslave`). The module is
//! modelled as loaded with `max_bonds=0`: no boot-time bond0.

pub mod main;
pub mod monitor;
pub mod netlink;
pub mod notify;
pub mod options;
pub mod procfs;
pub mod select;

use crate::consts::*;
use crate::datapath::{DropReason, RxHandlerResult, Xmit};
use crate::driver::{Driver, DriverOps, NetDeviceOps, RtnlLinkOps};
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::RxHandler;
use crate::notifier::NetdevEvent;
use crate::stats::DevStats;
use serde::{Deserialize, Serialize};

/// BOND_MODE_ACTIVEBACKUP.
pub const BOND_MODE_ACTIVEBACKUP: u8 = 1;
/// BOND_FOM_NONE / ACTIVE / FOLLOW.
pub const BOND_FOM_NONE: u8 = 0;
pub const BOND_FOM_ACTIVE: u8 = 1;
pub const BOND_FOM_FOLLOW: u8 = 2;
/// BOND_PRI_RESELECT_ALWAYS / BETTER / FAILURE.
pub const BOND_PRI_RESELECT_ALWAYS: u8 = 0;
pub const BOND_PRI_RESELECT_BETTER: u8 = 1;
pub const BOND_PRI_RESELECT_FAILURE: u8 = 2;
/// BOND_DEFAULT_TX_QUEUES (the `tx_queues` module parameter).
pub const BOND_DEFAULT_TX_QUEUES: u32 = 16;
/// One jiffy (HZ=1000), the delay of the work bonding queues "at 1".
pub const JIFFY: crate::time::Duration = crate::time::Duration::from_millis(1);

/// `slave->link`: BOND_LINK_UP 0, FAIL 1, DOWN 2, BACK 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BondLink {
    Up,
    Fail,
    Down,
    Back,
}

impl BondLink {
    /// The value IFLA_BOND_SLAVE_MII_STATUS carries.
    pub fn as_u8(self) -> u8 {
        match self {
            BondLink::Up => 0,
            BondLink::Fail => 1,
            BondLink::Down => 2,
            BondLink::Back => 3,
        }
    }
}

/// `struct bond_params` (the modelled part; delays in miimon ticks).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BondParams {
    pub mode: u8,
    pub miimon: u32,
    pub updelay: u32,
    pub downdelay: u32,
    pub peer_notif_delay: u32,
    /// `params.primary`: a name, possibly of no slave yet.
    pub primary: String,
    pub primary_reselect: u8,
    pub fail_over_mac: u8,
    pub num_peer_notif: u8,
    pub all_slaves_active: u8,
    pub resend_igmp: u32,
    pub min_links: u32,
}

impl Default for BondParams {
    /// `bonding_defaults` as `bond_check_params` leaves them.
    fn default() -> Self {
        BondParams {
            mode: 0,
            miimon: 0,
            updelay: 0,
            downdelay: 0,
            peer_notif_delay: 0,
            primary: String::new(),
            primary_reselect: BOND_PRI_RESELECT_ALWAYS,
            fail_over_mac: BOND_FOM_NONE,
            num_peer_notif: 1,
            all_slaves_active: 0,
            resend_igmp: 1,
            min_links: 0,
        }
    }
}

/// `struct slave`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BondSlave {
    pub dev: DevId,
    pub link: BondLink,
    /// miimon ticks left of an updelay / downdelay.
    pub delay: i32,
    /// `slave->backup` (BOND_STATE_BACKUP).
    pub backup: bool,
    /// `slave->inactive`: frames go to exact-match handlers only.
    pub inactive: bool,
    pub link_failure_count: u32,
    pub perm_hwaddr: HwAddr,
    pub original_mtu: u32,
    pub queue_id: u16,
    pub prio: i32,
    /// `slave->slave_stats`: the counters folded into the bond so far.
    pub slave_stats: DevStats,
}

/// `struct bonding`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BondPriv {
    pub params: BondParams,
    /// The slave list (`bond->dev->adj_list.lower`), in enslave order.
    pub slaves: Vec<BondSlave>,
    pub curr_active_slave: Option<DevId>,
    pub primary_slave: Option<DevId>,
    pub force_primary: bool,
    pub send_peer_notif: u32,
    pub igmp_retrans: u32,
    /// `bond->bond_stats`.
    pub bond_stats: DevStats,
}

impl BondPriv {
    pub fn slave(&self, dev: DevId) -> Option<&BondSlave> {
        self.slaves.iter().find(|s| s.dev == dev)
    }
}

impl Driver {
    /// `netdev_priv()` of a bond.
    pub fn bond(&self) -> Option<&BondPriv> {
        match self {
            Driver::Bond(b) => Some(b),
            _ => None,
        }
    }
}

/// `bond_netdev_ops`.
const BOND_NETDEV_OPS: NetDeviceOps = NetDeviceOps {
    ndo_open: Some(Kernel::bond_open),
    ndo_stop: Some(Kernel::bond_close),
    ndo_set_mac_address: Some(Kernel::bond_set_mac_address),
    ndo_change_mtu: Some(Kernel::bond_change_mtu),
    ndo_change_rx_flags: Some(Kernel::bond_change_rx_flags),
    ndo_set_rx_mode: Some(Kernel::bond_set_rx_mode),
    ndo_add_slave: Some(Kernel::bond_enslave),
    ndo_del_slave: Some(Kernel::bond_release),
    ndo_get_stats64: Some(Kernel::bond_get_stats),
    ndo_uninit: Some(Kernel::bond_uninit),
    ..NetDeviceOps::new("bonding", bond_start_xmit)
};

/// `bond_link_ops`.
pub static BOND_LINK_OPS: RtnlLinkOps = RtnlLinkOps {
    validate: Some(netlink::bond_validate),
    newlink: Some(netlink::bond_newlink),
    changelink: Some(netlink::bond_changelink),
    fill_info: Some(netlink::bond_fill_info),
    fill_slave_info: Some(netlink::bond_fill_slave_info),
    parse_info_data: Some(netlink::bond_parse_info_data),
    slave_changelink: Some(netlink::bond_slave_changelink),
    // bond_get_num_tx_queues(): the module's tx_queues (16); no rx op.
    get_num_queues: Some(|_| BOND_DEFAULT_TX_QUEUES),
    tx_queues_only: true,
    ..RtnlLinkOps::new("bond", || Driver::Bond(Box::default()), bond_setup)
};

pub(crate) const BOND_OPS: DriverOps = DriverOps {
    netdev_ops: BOND_NETDEV_OPS,
    rtnl_link_ops: Some(&BOND_LINK_OPS),
};

/// `bond_setup()` (+ `bond_init`'s random address): ether_setup, IFF_MASTER,
/// IFF_BONDING | IFF_UNICAST_FLT | IFF_NO_QUEUE, no XMIT_DST_RELEASE /
/// TX_SKB_SHARING, max_mtu ETH_MAX_MTU, netns_immutable.
fn bond_setup(k: &mut Kernel, dev: DevId) {
    k.bonding_init();
    k.eth_hw_addr_random(dev);
    let d = k.dev_mut(dev);
    d.ether_setup();
    d.max_mtu = ETH_MAX_MTU;
    d.flags |= IFF_MASTER;
    d.priv_flags |= IFF_BONDING | IFF_UNICAST_FLT | IFF_NO_QUEUE;
    d.priv_flags &= !(IFF_XMIT_DST_RELEASE | IFF_TX_SKB_SHARING);
    d.netns_immutable = true;
}

/// `bond_start_xmit()` → `bond_xmit_activebackup()`: the active slave, or
/// `bond_tx_drop` without one.
fn bond_start_xmit(k: &mut Kernel, bond: DevId, frame: &[u8]) -> Xmit {
    match k.bond(bond).curr_active_slave {
        Some(slave) => k.dev_queue_xmit(slave, frame),
        None => {
            k.dev_mut(bond).stats.tx_dropped += 1;
            Xmit::Dropped(DropReason::Driver)
        }
    }
}

/// `is_link_local_ether_addr()`: 01:80:c2:00:00:0X.
fn is_link_local_ether_addr(a: &[u8]) -> bool {
    a.len() >= 6 && a[..5] == [0x01, 0x80, 0xc2, 0x00, 0x00] && a[5] & 0xf0 == 0
}

/// `bond_handle_frame()`: an inactive slave's frames go to exact-match
/// handlers only (`bond_should_deliver_exact_match`), link-local ones are
/// passed up on the slave (LLDP); the rest become the bond's.
pub(crate) fn bond_handle_frame(k: &mut Kernel, slave: DevId, frame: &[u8]) -> RxHandlerResult {
    let Some(bond) = k.dev(slave).master else {
        return RxHandlerResult::Pass;
    };
    let inactive = k.bond(bond).slave(slave).is_some_and(|s| s.inactive);
    if inactive {
        // eth_hdr(skb)->h_dest, read whatever the link type (no IB case).
        if is_link_local_ether_addr(frame) {
            return RxHandlerResult::Pass;
        }
        return RxHandlerResult::Exact;
    }
    RxHandlerResult::Another(bond)
}

impl Kernel {
    pub(crate) fn bond(&self, bond: DevId) -> &BondPriv {
        self.dev(bond).driver.bond().expect("a bond")
    }

    pub(crate) fn bond_mut(&mut self, bond: DevId) -> &mut BondPriv {
        match &mut self.dev_mut(bond).driver {
            Driver::Bond(b) => b,
            _ => unreachable!("not a bond"),
        }
    }

    pub(crate) fn bond_slave_mut(&mut self, bond: DevId, slave: DevId) -> Option<&mut BondSlave> {
        self.bond_mut(bond)
            .slaves
            .iter_mut()
            .find(|s| s.dev == slave)
    }

    /// `bond_slave_get_rtnl()` + its bond: the bond of a device enslaved
    /// to one (bonding's rx_handler installed).
    pub fn bond_of_slave(&self, slave: DevId) -> Option<DevId> {
        let d = self.try_dev(slave)?;
        if d.rx_handler != Some(RxHandler::Bond) {
            return None;
        }
        let m = d.master?;
        self.dev(m).driver.bond().is_some().then_some(m)
    }

    /// `netif_is_bond_master()`.
    pub(crate) fn netif_is_bond_master(&self, dev: DevId) -> bool {
        let d = self.dev(dev);
        d.flags & IFF_MASTER != 0 && d.priv_flags & IFF_BONDING != 0
    }

    /// `bonding_init()`: `register_netdevice_notifier(&bond_netdev_notifier)`
    /// the first time a bond is made (the rtnl-link-bond module alias
    /// loads it). Nothing to replay: no device has IFF_BONDING yet.
    pub(crate) fn bonding_init(&mut self) {
        if self.modules.bonding {
            return;
        }
        self.modules.bonding = true;
        self.tables
            .notifiers
            .push(crate::notifier::Notifier::Bonding);
    }

    /// `slave_info()` and friends: `netdev_info(bond, "(slave %s): …")`.
    pub(crate) fn slave_info(&mut self, bond: DevId, slave: DevId, msg: &str) {
        let s = self.dev(slave).name;
        self.netdev_printk(bond, &format!("(slave {s}): {msg}"));
    }

    /// `bond_open()`: AB slaves other than the active one are inactive;
    /// the MII monitor starts at once.
    pub(crate) fn bond_open(&mut self, bond: DevId) -> KResult<()> {
        let curr = self.bond(bond).curr_active_slave;
        let slaves: Vec<DevId> = self.bond(bond).slaves.iter().map(|s| s.dev).collect();
        for s in slaves {
            if Some(s) != curr {
                self.bond_set_slave_inactive_flags(bond, s);
            } else {
                self.bond_set_slave_active_flags(bond, s);
            }
        }
        // __dev_open()'s dev_set_rx_mode() once IFF_UP is set.
        if let Some(a) = curr {
            let _ = self.dev_uc_sync(a, bond);
            let _ = self.dev_mc_sync(a, bond);
        }
        if self.bond(bond).params.miimon != 0 {
            let now = self.now;
            self.deferred
                .workqueue
                .schedule(crate::workqueue::Work::BondMii(bond), now);
        }
        Ok(())
    }

    /// `bond_set_rx_mode()`: the bond's address lists go to the active
    /// slave (the only one that carries them in active-backup).
    pub(crate) fn bond_set_rx_mode(&mut self, bond: DevId) {
        if let Some(a) = self.bond(bond).curr_active_slave {
            let _ = self.dev_uc_sync(a, bond);
            let _ = self.dev_mc_sync(a, bond);
        }
    }

    /// `bond_change_rx_flags()` → `bond_set_promiscuity()` /
    /// `bond_set_allmulti()`: in active-backup (bond_uses_primary) the
    /// bond's promisc/allmulti flip is one count on the active slave only.
    pub(crate) fn bond_change_rx_flags(&mut self, bond: DevId, change: u32) {
        if let Some(a) = self.bond(bond).curr_active_slave {
            self.dev_pass_rx_flags(bond, a, change);
        }
    }

    /// `bond_close()`: every work cancelled, no peer notification pending,
    /// the bond's addresses flushed from the active slave.
    pub(crate) fn bond_close(&mut self, bond: DevId) {
        self.bond_work_cancel_all(bond);
        self.bond_mut(bond).send_peer_notif = 0;
        if let Some(a) = self.bond(bond).curr_active_slave {
            self.dev_addr_unsync(a, bond);
        }
    }

    /// `bond_work_cancel_all()`.
    pub(crate) fn bond_work_cancel_all(&mut self, bond: DevId) {
        let q = &mut self.deferred.workqueue;
        q.cancel(crate::workqueue::Work::BondMii(bond));
        q.cancel(crate::workqueue::Work::BondMcast(bond));
    }

    /// `bond_set_mac_address()`: nothing (and success) under AB with
    /// fail_over_mac; else every slave takes the address, unwound on error.
    pub(crate) fn bond_set_mac_address(&mut self, bond: DevId, addr: HwAddr) -> KResult<()> {
        let p = &self.bond(bond).params;
        if p.fail_over_mac != BOND_FOM_NONE && p.mode == BOND_MODE_ACTIVEBACKUP {
            return Ok(());
        }
        if self.dev(bond).dev_type == ARPHRD_ETHER && !addr.is_valid_ether() {
            return Err(KError::new(Errno::EADDRNOTAVAIL));
        }
        let slaves: Vec<DevId> = self.bond(bond).slaves.iter().map(|s| s.dev).collect();
        let old = self.dev(bond).dev_addr;
        for (i, &s) in slaves.iter().enumerate() {
            if let Err(e) = self.dev_set_mac_address(s, addr) {
                // slave_dbg() only: nothing in the log.
                for &u in &slaves[..i] {
                    let _ = self.dev_set_mac_address(u, old);
                }
                return Err(e);
            }
        }
        self.dev_mut(bond).dev_addr = addr;
        Ok(())
    }

    /// `bond_change_mtu()`: every slave first, unwound on error.
    pub(crate) fn bond_change_mtu(&mut self, bond: DevId, mtu: u32) -> KResult<()> {
        let slaves: Vec<DevId> = self.bond(bond).slaves.iter().map(|s| s.dev).collect();
        let old = self.dev(bond).mtu;
        for (i, &s) in slaves.iter().enumerate() {
            if let Err(e) = self.dev_set_mtu(s, mtu) {
                // slave_dbg() only: nothing in the log.
                for &u in &slaves[..i] {
                    let _ = self.dev_set_mtu(u, old);
                }
                return Err(e);
            }
        }
        self.dev_mut(bond).mtu = mtu;
        Ok(())
    }

    /// `bond_get_stats()`: the bond's running totals plus what each slave
    /// counted since its snapshot; snapshots advance.
    pub(crate) fn bond_get_stats(&mut self, bond: DevId) -> DevStats {
        let mut total = self.bond(bond).bond_stats;
        let now: Vec<(DevId, DevStats)> = self
            .bond(bond)
            .slaves
            .iter()
            .map(|s| (s.dev, self.dev(s.dev).stats))
            .collect();
        for (dev, new) in now {
            if let Some(s) = self.bond_slave_mut(bond, dev) {
                total.fold(&new, &s.slave_stats);
                s.slave_stats = new;
            }
        }
        self.bond_mut(bond).bond_stats = total;
        total.plus(&self.dev(bond).stats)
    }

    /// `bond_uninit()`: every slave released in list order, then "Released
    /// all slaves".
    pub(crate) fn bond_uninit(&mut self, bond: DevId) {
        let slaves: Vec<DevId> = self.bond(bond).slaves.iter().map(|s| s.dev).collect();
        for s in slaves {
            let _ = self.__bond_release_one(bond, s, true, true);
        }
        self.netdev_printk(bond, "Released all slaves");
    }

    /// `bond_netdev_event()`: only devices with IFF_BONDING; master events
    /// need nothing the model keeps (the proc entry follows the name),
    /// slave events go to `bond_slave_netdev_event`.
    pub(crate) fn bond_netdev_event(&mut self, event: NetdevEvent, dev: DevId) {
        let d = self.dev(dev);
        if d.priv_flags & IFF_BONDING == 0 || d.flags & IFF_SLAVE == 0 {
            return;
        }
        let Some(bond) = self.bond_of_slave(dev) else {
            return;
        };
        match event {
            NetdevEvent::Unregister => {
                if self.dev(bond).dev_type != ARPHRD_ETHER {
                    self.bond_release_and_destroy(bond, dev);
                } else {
                    let _ = self.__bond_release_one(bond, dev, false, true);
                }
            }
            NetdevEvent::ChangeName => self.bond_slave_changename(bond, dev),
            NetdevEvent::ResendIgmp => {
                let _ = self.call_netdevice_notifiers(NetdevEvent::ResendIgmp, bond);
            }
            _ => {}
        }
    }

    /// NETDEV_CHANGENAME of a slave: it stops or starts being the primary.
    fn bond_slave_changename(&mut self, bond: DevId, slave: DevId) {
        let b = self.bond(bond);
        if b.params.primary.is_empty() {
            return;
        }
        let primary = b.primary_slave;
        if primary == Some(slave) {
            self.bond_mut(bond).primary_slave = None;
        } else if self.dev(slave).name.as_str() == b.params.primary {
            self.bond_mut(bond).primary_slave = Some(slave);
        } else {
            return;
        }
        let name = if primary.is_some() {
            self.dev(slave).name.to_string()
        } else {
            "none".to_string()
        };
        let msg = format!("Primary slave changed to {name}, reselecting active slave");
        self.netdev_printk(bond, &msg);
        self.bond_select_active_slave(bond);
    }
}
