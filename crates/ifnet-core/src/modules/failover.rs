//! net/core/failover.c: the generic failover module (linux-semantics.md
//! §2.1–2.4, seeds 000/001). Instances register a master with their ops;
//! the notifier matches new Ethernet devices to an instance by `perm_addr`
//! and enslaves them (rx_handler, upper link, IFF_FAILOVER_SLAVE plus
//! IFF_NO_ADDRCONF — or IFF_LIVE_RENAME_OK before v6.2). The instance holds
//! a tracked reference on its master until `failover_unregister`.

use crate::consts::*;
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::RxHandler;
use crate::notifier::NetdevEvent;
use serde::{Deserialize, Serialize};

/// The ref_tracker holder name of `failover->dev_tracker`.
pub const FAILOVER_TRACKER: &str = "failover dev_tracker (failover_register)";

/// `struct failover_ops`: which implementation an instance uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailoverOps {
    NetFailover,
}

/// `struct failover`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failover {
    pub master: DevId,
    pub ops: FailoverOps,
}

impl Kernel {
    /// The slave flags this kernel's failover sets (cb54d392279d, v6.2:
    /// IFF_NO_ADDRCONF; 8065a779f17e, v5.1–6.1: IFF_LIVE_RENAME_OK; before
    /// 5.1 only IFF_FAILOVER_SLAVE).
    fn failover_slave_flags(&self) -> u64 {
        let p = &self.profile;
        if p.failover_no_addrconf {
            IFF_FAILOVER_SLAVE | IFF_NO_ADDRCONF
        } else if p.live_rename == crate::profile::LiveRename::UnlessLiveRenameOk {
            IFF_FAILOVER_SLAVE | IFF_LIVE_RENAME_OK
        } else {
            IFF_FAILOVER_SLAVE
        }
    }

    /// `failover_register()`.
    pub(crate) fn failover_register(&mut self, master: DevId, ops: FailoverOps) -> KResult<()> {
        if self.dev(master).dev_type != ARPHRD_ETHER {
            return Err(KError::new(Errno::EINVAL));
        }
        self.netdev_hold(master, FAILOVER_TRACKER, true);
        self.dev_mut(master).priv_flags |= IFF_FAILOVER;
        self.failovers.push(Failover { master, ops });
        let name = self.dev(master).name;
        self.printk(format!("{name}: failover master:{name} registered"));
        self.failover_existing_slave_register(master);
        Ok(())
    }

    /// `failover_existing_slave_register()`: devices already there.
    fn failover_existing_slave_register(&mut self, master: DevId) {
        let net = self.dev(master).net;
        let perm = self.dev(master).perm_addr;
        for dev in self.devices_in(net) {
            let d = self.dev(dev);
            if d.priv_flags & IFF_FAILOVER != 0 || d.perm_addr != perm {
                continue;
            }
            self.failover_slave_register(dev);
        }
    }

    /// `failover_unregister()`: flag off, reference put, instance gone.
    pub(crate) fn failover_unregister(&mut self, master: DevId) {
        self.dev_mut(master).priv_flags &= !IFF_FAILOVER;
        self.failovers.retain(|f| f.master != master);
        self.netdev_put(master, FAILOVER_TRACKER);
        let name = self.dev(master).name;
        self.printk(format!("{name}: failover master:{name} unregistered"));
    }

    /// `failover_get_bymac()`: only `perm_addr` is compared.
    fn failover_get_bymac(&self, perm: HwAddr) -> Option<Failover> {
        self.failovers
            .iter()
            .find(|f| self.try_dev(f.master).is_some_and(|m| m.perm_addr == perm))
            .cloned()
    }

    /// `failover_event()`: the notifier. Never vetoes.
    pub(crate) fn failover_event(&mut self, event: NetdevEvent, dev: DevId) {
        if self.dev(dev).priv_flags & IFF_FAILOVER != 0 {
            return;
        }
        match event {
            NetdevEvent::Register => self.failover_slave_register(dev),
            NetdevEvent::Unregister => self.failover_slave_unregister(dev),
            NetdevEvent::Up | NetdevEvent::Down | NetdevEvent::Change => {
                self.failover_slave_link_change(dev)
            }
            NetdevEvent::ChangeName => self.failover_slave_name_change(dev),
            _ => {}
        }
    }

    /// `failover_slave_register()`: match, pre_register, rx_handler, upper
    /// link, flags, slave_register — undoing in reverse on failure.
    pub(crate) fn failover_slave_register(&mut self, slave: DevId) {
        let d = self.dev(slave);
        if d.dev_type != ARPHRD_ETHER {
            return;
        }
        let Some(fo) = self.failover_get_bymac(d.perm_addr) else {
            return;
        };
        let master = fo.master;
        if self.net_failover_slave_pre_register(slave, master).is_err() {
            return;
        }
        if let Err(e) = self.netdev_rx_handler_register(slave, RxHandler::Failover) {
            // netdev_err(slave_dev, …): the slave's name leads.
            let s = self.dev(slave).name;
            self.printk(format!(
                "{s}: can not register failover rx handler (err = {})",
                -e.errno.number()
            ));
            return;
        }
        if let Err(e) = self.netdev_master_upper_dev_link(slave, master) {
            let (s, m) = (self.dev(slave).name, self.dev(master).name);
            self.printk(format!(
                "{s}: can not set failover device {m} (err = {})",
                -e.errno.number()
            ));
            self.netdev_rx_handler_unregister(slave);
            return;
        }
        let flags = self.failover_slave_flags();
        self.dev_mut(slave).priv_flags |= flags;
        if self.net_failover_slave_register(slave, master).is_err() {
            self.netdev_upper_dev_unlink(slave, master);
            self.dev_mut(slave).priv_flags &= !flags;
            self.netdev_rx_handler_unregister(slave);
        }
    }

    /// `failover_slave_unregister()` (also reached by a netns move).
    pub(crate) fn failover_slave_unregister(&mut self, slave: DevId) {
        let d = self.dev(slave);
        if d.priv_flags & IFF_FAILOVER_SLAVE == 0 {
            return;
        }
        let Some(fo) = self.failover_get_bymac(d.perm_addr) else {
            return;
        };
        let master = fo.master;
        if self
            .net_failover_slave_pre_unregister(slave, master)
            .is_err()
        {
            return;
        }
        self.netdev_rx_handler_unregister(slave);
        self.netdev_upper_dev_unlink(slave, master);
        let flags = self.failover_slave_flags();
        self.dev_mut(slave).priv_flags &= !flags;
        self.net_failover_slave_unregister(slave, master);
    }

    fn failover_slave_master(&self, slave: DevId) -> Option<DevId> {
        let d = self.dev(slave);
        if d.priv_flags & IFF_FAILOVER_SLAVE == 0 {
            return None;
        }
        self.failover_get_bymac(d.perm_addr).map(|f| f.master)
    }

    /// `failover_slave_link_change()`.
    fn failover_slave_link_change(&mut self, slave: DevId) {
        if let Some(master) = self.failover_slave_master(slave) {
            self.net_failover_slave_link_change(slave, master);
        }
    }

    /// `failover_slave_name_change()`.
    fn failover_slave_name_change(&mut self, slave: DevId) {
        if let Some(master) = self.failover_slave_master(slave) {
            self.net_failover_slave_name_change(slave, master);
        }
    }
}
