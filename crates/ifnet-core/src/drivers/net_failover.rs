//! drivers/net/net_failover.c: the 3-netdev model's master (linux-semantics
//! §2). Roles come from the parent device (same parent as the master =
//! standby, a PCI parent = primary); the master opens its slaves, transmits
//! through the primary when it runs with carrier, else the standby, else
//! drops; it takes frames from both lowers (EXACT for the standby's while a
//! primary exists); its counters stay monotonic across slave churn.

use crate::consts::*;
use crate::datapath::{DropReason, RxHandlerResult, Xmit};
use crate::driver::{eth_validate_addr, Driver, DriverOps, NetDeviceOps};
use crate::errno::{Errno, KError, KResult};
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::modules::failover::{FailoverOps, FailoverOpsName};
use crate::netdev::DevRef;
use crate::notifier::NetdevEvent;
use crate::stats::DevStats;
use serde::{Deserialize, Serialize};

/// `failover_dev_ops`: no `ndo_set_mac_address` (-EOPNOTSUPP).
const NET_FAILOVER_NETDEV_OPS: NetDeviceOps = NetDeviceOps {
    ndo_open: Some(Kernel::net_failover_open),
    ndo_stop: Some(Kernel::net_failover_close),
    ndo_validate_addr: Some(eth_validate_addr),
    ndo_change_mtu: Some(Kernel::net_failover_change_mtu),
    ndo_set_rx_mode: Some(Kernel::net_failover_set_rx_mode),
    ndo_get_stats64: Some(|k, master| {
        let own = k.dev(master).stats;
        k.net_failover_get_stats(master).plus(&own)
    }),
    device_driver: Some(|_| Some("net_failover")),
    ..NetDeviceOps::new("net_failover", net_failover_start_xmit)
};

/// The master has no `rtnl_link_ops`: it comes and goes with its standby.
pub(crate) const NET_FAILOVER_OPS: DriverOps = DriverOps {
    netdev_ops: NET_FAILOVER_NETDEV_OPS,
    rtnl_link_ops: None,
};

/// `net_failover_ops`: what the generic failover module calls.
pub static NET_FAILOVER_FAILOVER_OPS: FailoverOps = FailoverOps {
    slave_pre_register: Some(Kernel::net_failover_slave_pre_register),
    slave_register: Some(Kernel::net_failover_slave_register),
    slave_pre_unregister: Some(Kernel::net_failover_slave_pre_unregister),
    slave_unregister: Some(|k, slave, master| {
        k.net_failover_slave_unregister(slave, master);
        Ok(())
    }),
    slave_link_change: Some(|k, slave, master| {
        k.net_failover_slave_link_change(slave, master);
        Ok(())
    }),
    slave_name_change: Some(|k, slave, master| {
        k.net_failover_slave_name_change(slave, master);
        Ok(())
    }),
    slave_handle_frame: net_failover_handle_frame,
};

/// `net_failover_start_xmit()`: through the primary when it runs with
/// carrier, else the standby, else dropped.
fn net_failover_start_xmit(k: &mut Kernel, master: DevId, frame: &[u8]) -> Xmit {
    let (p, s) = (k.nfo(master).primary, k.nfo(master).standby);
    let via = if k.nfo_xmit_ready(p) {
        p
    } else if k.nfo_xmit_ready(s) {
        s
    } else {
        None
    };
    match via {
        Some(slave) => k.dev_queue_xmit(slave, frame),
        None => {
            k.dev_mut(master).stats.tx_dropped += 1;
            Xmit::Dropped(DropReason::Driver)
        }
    }
}

/// `net_failover_handle_frame()`: the slaves' rx_handler.
fn net_failover_handle_frame(k: &mut Kernel, slave: DevId, _frame: &[u8]) -> RxHandlerResult {
    let Some(master) = k.dev(slave).master else {
        return RxHandlerResult::Pass;
    };
    let primary = k.nfo(master).primary;
    if primary.is_some() && k.nfo(master).standby == Some(slave) {
        return RxHandlerResult::Exact;
    }
    RxHandlerResult::Another(master)
}

/// Holder name of net_failover's untracked `dev_hold` on each slave.
pub const SLAVE_HOLD: &str = "net_failover slave (dev_hold)";

/// `struct net_failover_info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetFailoverPriv {
    pub primary: Option<DevId>,
    pub standby: Option<DevId>,
    /// Snapshots folded into the master's counters (net_failover_get_stats).
    pub primary_stats: DevStats,
    pub standby_stats: DevStats,
    pub failover_stats: DevStats,
}

impl Driver {
    /// `netdev_priv()` of a net_failover master.
    pub fn net_failover(&self) -> Option<&NetFailoverPriv> {
        match self {
            Driver::NetFailover(p) => Some(p),
            _ => None,
        }
    }
}

impl Kernel {
    fn nfo(&self, master: DevId) -> &NetFailoverPriv {
        self.dev(master)
            .driver
            .net_failover()
            .expect("a net_failover master")
    }

    fn nfo_mut(&mut self, master: DevId) -> &mut NetFailoverPriv {
        match &mut self.dev_mut(master).driver {
            Driver::NetFailover(p) => p,
            _ => unreachable!("not a net_failover master"),
        }
    }

    /// `net_failover_xmit_ready()`.
    fn nfo_xmit_ready(&self, dev: Option<DevId>) -> bool {
        dev.and_then(|d| self.try_dev(d))
            .is_some_and(|d| d.running() && d.carrier)
    }

    /// `net_failover_create(standby)`: the master, before the standby is
    /// registered: eth%d, same namespace and parent, the standby's address,
    /// netns_immutable; then `failover_register`.
    pub(crate) fn net_failover_create(&mut self, standby: DevId) -> KResult<DevId> {
        let s = self.dev(standby);
        let (net, parent, addr, min, max) =
            (s.net, s.parent.clone(), s.dev_addr, s.min_mtu, s.max_mtu);
        let master = self.alloc_netdev(
            net,
            "eth%d",
            NameAssign::Enum,
            Driver::NetFailover(Box::default()),
        );
        {
            let d = self.dev_mut(master);
            d.ether_setup();
            d.priv_flags |= IFF_UNICAST_FLT | IFF_NO_QUEUE;
            d.priv_flags &= !(IFF_XMIT_DST_RELEASE | IFF_TX_SKB_SHARING);
            d.netns_immutable = true;
            d.dev_addr = addr;
            d.addr_assign_type = AddrAssign::Perm;
            d.parent = parent;
            d.min_mtu = min;
            d.max_mtu = max;
            // alloc_etherdev_mq(sizeof(struct net_failover_info), 16).
            d.limits.num_tx_queues = 16;
            d.limits.num_rx_queues = 16;
        }
        if let Err(e) = self.register_netdevice(master) {
            self.free_netdev(master);
            return Err(e);
        }
        self.netif_carrier_off(master);
        self.failover_register(master, FailoverOpsName::NetFailover)?;
        Ok(master)
    }

    /// `net_failover_destroy()`: detach, release both slaves, put the
    /// tracked reference, unregister the master.
    pub(crate) fn net_failover_destroy(&mut self, master: DevId) {
        let (p, s) = (self.nfo(master).primary, self.nfo(master).standby);
        for slave in [p, s].into_iter().flatten() {
            self.failover_slave_unregister(slave);
        }
        self.failover_unregister(master);
        self.unregister_netdevice(master);
    }

    /// `net_failover_open()`.
    pub(crate) fn net_failover_open(&mut self, master: DevId) -> KResult<()> {
        let (p, s) = (self.nfo(master).primary, self.nfo(master).standby);
        if let Some(p) = p {
            self.dev_open(p)?;
        }
        if let Some(s) = s {
            if let Err(e) = self.dev_open(s) {
                if let Some(p) = p {
                    self.dev_close(p);
                }
                return Err(e);
            }
        }
        if self.nfo_xmit_ready(p) || self.nfo_xmit_ready(s) {
            self.netif_carrier_on(master);
        }
        Ok(())
    }

    /// `net_failover_close()`.
    pub(crate) fn net_failover_close(&mut self, master: DevId) {
        let (p, s) = (self.nfo(master).primary, self.nfo(master).standby);
        for d in [p, s].into_iter().flatten() {
            self.dev_close(d);
        }
    }

    /// `net_failover_change_mtu()`: primary first, then standby; a standby
    /// failure rolls the primary back.
    pub(crate) fn net_failover_change_mtu(&mut self, master: DevId, mtu: u32) -> KResult<()> {
        let (p, s) = (self.nfo(master).primary, self.nfo(master).standby);
        let old = self.dev(master).mtu;
        if let Some(p) = p {
            self.dev_set_mtu(p, mtu)?;
        }
        if let Some(s) = s {
            if let Err(e) = self.dev_set_mtu(s, mtu) {
                if let Some(p) = p {
                    let _ = self.dev_set_mtu(p, old);
                }
                return Err(e);
            }
        }
        self.dev_mut(master).mtu = mtu;
        Ok(())
    }

    /// `net_failover_slave_pre_register()`.
    pub(crate) fn net_failover_slave_pre_register(
        &mut self,
        slave: DevId,
        master: DevId,
    ) -> KResult<()> {
        let standby = self.dev(slave).parent == self.dev(master).parent;
        let taken = if standby {
            self.nfo(master).standby
        } else {
            self.nfo(master).primary
        };
        if let Some(t) = taken {
            let (s, t) = (self.dev(slave).name, self.dev(t).name);
            let msg = format!("{s} attempting to register as slave dev when {t} already present");
            self.netdev_printk(master, &msg);
            return Err(KError::new(Errno::EINVAL));
        }
        // A primary must sit on a PCI device (dev_is_pci(parent)).
        if !standby && !self.dev_parent_is_pci(slave) {
            return Err(KError::new(Errno::EINVAL));
        }
        Ok(())
    }

    /// `net_failover_slave_register()`.
    pub(crate) fn net_failover_slave_register(
        &mut self,
        slave: DevId,
        master: DevId,
    ) -> KResult<()> {
        let mtu = self.dev(master).mtu;
        if let Err(e) = self.dev_set_mtu(slave, mtu) {
            let s = self.dev(slave).name;
            self.netdev_printk(master, &format!("unable to change mtu of {s} to {mtu}"));
            return Err(e);
        }
        self.dev_mut(slave).refs.push(DevRef {
            holder: SLAVE_HOLD.into(),
            tracked: false,
        });
        if self.dev(master).running() {
            if let Err(e) = self.dev_open(slave) {
                if e.errno != Errno::EBUSY {
                    self.netdev_put(slave, SLAVE_HOLD);
                    return Err(e);
                }
            }
        }
        let _ = self.dev_uc_sync_multiple(slave, master);
        let _ = self.dev_mc_sync_multiple(slave, master);
        let standby = self.dev(slave).parent == self.dev(master).parent;
        let snapshot = self.dev(slave).stats;
        let (smin, smax) = (self.dev(slave).min_mtu, self.dev(slave).max_mtu);
        let p = self.nfo_mut(master);
        if standby {
            p.standby = Some(slave);
            p.standby_stats = snapshot;
        } else {
            p.primary = Some(slave);
            p.primary_stats = snapshot;
        }
        if !standby {
            let m = self.dev_mut(master);
            m.min_mtu = smin;
            m.max_mtu = smax;
        }
        let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeLowerState, slave);
        let _ = self.call_netdevice_notifiers(NetdevEvent::Join, slave);
        let s = self.dev(slave).name;
        let role = if standby { "standby" } else { "primary" };
        self.netdev_printk(master, &format!("failover {role} slave:{s} registered"));
        Ok(())
    }

    /// `net_failover_set_rx_mode()`: the master's lists to the primary,
    /// then to the standby (`dev_*_sync_multiple`: two lowers).
    fn net_failover_set_rx_mode(&mut self, master: DevId) {
        let p = self.nfo(master);
        for slave in [p.primary, p.standby].into_iter().flatten() {
            let _ = self.dev_uc_sync_multiple(slave, master);
            let _ = self.dev_mc_sync_multiple(slave, master);
        }
    }

    /// `net_failover_slave_pre_unregister()`: only the current slaves.
    pub(crate) fn net_failover_slave_pre_unregister(
        &mut self,
        slave: DevId,
        master: DevId,
    ) -> KResult<()> {
        let p = self.nfo(master);
        if p.primary != Some(slave) && p.standby != Some(slave) {
            return Err(KError::new(Errno::ENODEV));
        }
        Ok(())
    }

    /// `net_failover_slave_unregister()`.
    pub(crate) fn net_failover_slave_unregister(&mut self, slave: DevId, master: DevId) {
        self.dev_addr_unsync(slave, master);
        self.dev_close(slave);
        // Fold what the slave counted so far, then forget it.
        let folded = self.net_failover_get_stats(master);
        let standby_mtu = {
            let p = self.nfo_mut(master);
            p.failover_stats = folded;
            if p.primary == Some(slave) {
                p.primary = None;
                p.standby
            } else {
                p.standby = None;
                None
            }
        };
        if let Some(s) = standby_mtu {
            let (min, max) = (self.dev(s).min_mtu, self.dev(s).max_mtu);
            let m = self.dev_mut(master);
            m.min_mtu = min;
            m.max_mtu = max;
        }
        self.netdev_put(slave, SLAVE_HOLD);
        let s = self.dev(slave).name;
        let role = if self.dev(slave).parent == self.dev(master).parent {
            "standby"
        } else {
            "primary"
        };
        self.netdev_printk(master, &format!("failover {role} slave:{s} unregistered"));
    }

    /// `net_failover_slave_link_change()`: only while the master runs.
    pub(crate) fn net_failover_slave_link_change(&mut self, slave: DevId, master: DevId) {
        if !self.dev(master).running() {
            return;
        }
        let (p, s) = (self.nfo(master).primary, self.nfo(master).standby);
        if Some(slave) != p && Some(slave) != s {
            return;
        }
        if self.nfo_xmit_ready(p) || self.nfo_xmit_ready(s) {
            self.netif_carrier_on(master);
        } else {
            let folded = self.net_failover_get_stats(master);
            self.nfo_mut(master).failover_stats = folded;
            self.netif_carrier_off(master);
        }
        let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeLowerState, slave);
    }

    /// `net_failover_slave_name_change()`: open a slave whose open failed
    /// with EBUSY at registration, once udev has renamed it.
    pub(crate) fn net_failover_slave_name_change(&mut self, slave: DevId, master: DevId) {
        if !self.dev(master).running() {
            return;
        }
        let p = self.nfo(master);
        if p.primary != Some(slave) && p.standby != Some(slave) {
            return;
        }
        let _ = self.dev_open(slave);
    }

    /// `net_failover_get_stats()`: the master's running totals plus what
    /// each current slave counted since its snapshot; snapshots advance.
    pub(crate) fn net_failover_get_stats(&mut self, master: DevId) -> DevStats {
        let (p, s) = (self.nfo(master).primary, self.nfo(master).standby);
        let mut total = self.nfo(master).failover_stats;
        let pnow = p.and_then(|d| self.try_dev(d)).map(|d| d.stats);
        let snow = s.and_then(|d| self.try_dev(d)).map(|d| d.stats);
        let info = self.nfo_mut(master);
        if let Some(now) = pnow {
            total.fold(&now, &info.primary_stats);
            info.primary_stats = now;
        }
        if let Some(now) = snow {
            total.fold(&now, &info.standby_stats);
            info.standby_stats = now;
        }
        info.failover_stats = total;
        total
    }
}
