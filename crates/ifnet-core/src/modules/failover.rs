//! net/core/failover.c: the generic failover module (linux-semantics.md
//! §2.1–2.4, seeds 000/001). Instances register a master with their ops;
//! the notifier matches new Ethernet devices to an instance by `perm_addr`
//! and enslaves them (rx_handler, upper link, IFF_FAILOVER_SLAVE plus
//! IFF_NO_ADDRCONF — or IFF_LIVE_RENAME_OK before v6.2). The instance holds
//! a tracked reference on its master until `failover_unregister`.
//!
//! Like failover.c it knows no implementation: every step goes through the
//! instance's [`FailoverOps`] (net_failover's are in drivers/net_failover.rs),
//! and the slave's rx_handler is the ops' `slave_handle_frame`.

use crate::consts::*;
use crate::datapath::RxHandlerResult;
use crate::driver::RxHandlerFunc;
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::RxHandler;
use crate::notifier::NetdevEvent;
use serde::{Deserialize, Serialize};

/// The ref_tracker holder name of `failover->dev_tracker`.
pub const FAILOVER_TRACKER: &str = "failover dev_tracker (failover_register)";

/// A `failover_ops` callback on (slave, master).
pub type FailoverSlaveOp = fn(&mut Kernel, DevId, DevId) -> KResult<()>;

/// `struct failover_ops`.
pub struct FailoverOps {
    pub slave_pre_register: Option<FailoverSlaveOp>,
    pub slave_register: Option<FailoverSlaveOp>,
    pub slave_pre_unregister: Option<FailoverSlaveOp>,
    pub slave_unregister: Option<FailoverSlaveOp>,
    pub slave_link_change: Option<FailoverSlaveOp>,
    pub slave_name_change: Option<FailoverSlaveOp>,
    pub slave_handle_frame: RxHandlerFunc,
}

/// Which `failover_ops` an instance registered with: the state file keeps
/// the name, the table comes back from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FailoverOpsName {
    NetFailover,
}

impl FailoverOpsName {
    pub fn ops(self) -> &'static FailoverOps {
        match self {
            FailoverOpsName::NetFailover => {
                &crate::drivers::net_failover::NET_FAILOVER_FAILOVER_OPS
            }
        }
    }
}

/// `struct failover`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Failover {
    pub master: DevId,
    pub ops: FailoverOpsName,
}

/// The rx_handler failover installs on a slave: its instance's
/// `slave_handle_frame` (`rx_handler_data` is the master).
pub(crate) fn failover_handle_frame(k: &mut Kernel, slave: DevId, frame: &[u8]) -> RxHandlerResult {
    let master = k.dev(slave).master;
    let ops = k
        .modules
        .failovers
        .iter()
        .find(|f| Some(f.master) == master);
    match ops.map(|f| f.ops.ops().slave_handle_frame) {
        Some(handle) => handle(k, slave, frame),
        None => RxHandlerResult::Pass,
    }
}

/// Calls one optional op; an absent op succeeds.
fn call(op: Option<FailoverSlaveOp>, k: &mut Kernel, slave: DevId, master: DevId) -> KResult<()> {
    op.map_or(Ok(()), |f| f(k, slave, master))
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
    pub(crate) fn failover_register(&mut self, master: DevId, ops: FailoverOpsName) -> KResult<()> {
        if self.dev(master).dev_type != ARPHRD_ETHER {
            return Err(KError::new(Errno::EINVAL));
        }
        self.netdev_hold(master, FAILOVER_TRACKER, true);
        self.dev_mut(master).priv_flags |= IFF_FAILOVER;
        self.modules.failovers.push(Failover { master, ops });
        let name = self.dev(master).name;
        self.netdev_printk(master, &format!("failover master:{name} registered"));
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
        self.modules.failovers.retain(|f| f.master != master);
        self.netdev_put(master, FAILOVER_TRACKER);
        let name = self.dev(master).name;
        self.netdev_printk(master, &format!("failover master:{name} unregistered"));
    }

    /// `failover_get_bymac()`: only `perm_addr` is compared.
    fn failover_get_bymac(&self, perm: HwAddr) -> Option<Failover> {
        self.modules
            .failovers
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
        let (master, fops) = (fo.master, fo.ops.ops());
        if call(fops.slave_pre_register, self, slave, master).is_err() {
            return;
        }
        if let Err(e) = self.netdev_rx_handler_register(slave, RxHandler::Failover) {
            // netdev_err(slave_dev, …): the slave's prefix leads.
            let msg = format!(
                "can not register failover rx handler (err = {})",
                -e.errno.number()
            );
            self.netdev_printk(slave, &msg);
            return;
        }
        if let Err(e) = self.netdev_master_upper_dev_link(slave, master) {
            let m = self.dev(master).name;
            let msg = format!(
                "can not set failover device {m} (err = {})",
                -e.errno.number()
            );
            self.netdev_printk(slave, &msg);
            self.netdev_rx_handler_unregister(slave);
            return;
        }
        let flags = self.failover_slave_flags();
        self.dev_mut(slave).priv_flags |= flags;
        if call(fops.slave_register, self, slave, master).is_err() {
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
        let (master, fops) = (fo.master, fo.ops.ops());
        if call(fops.slave_pre_unregister, self, slave, master).is_err() {
            return;
        }
        self.netdev_rx_handler_unregister(slave);
        self.netdev_upper_dev_unlink(slave, master);
        let flags = self.failover_slave_flags();
        self.dev_mut(slave).priv_flags &= !flags;
        let _ = call(fops.slave_unregister, self, slave, master);
    }

    fn failover_slave_instance(&self, slave: DevId) -> Option<(DevId, &'static FailoverOps)> {
        let d = self.dev(slave);
        if d.priv_flags & IFF_FAILOVER_SLAVE == 0 {
            return None;
        }
        self.failover_get_bymac(d.perm_addr)
            .map(|f| (f.master, f.ops.ops()))
    }

    /// `failover_slave_link_change()`.
    fn failover_slave_link_change(&mut self, slave: DevId) {
        if let Some((master, fops)) = self.failover_slave_instance(slave) {
            let _ = call(fops.slave_link_change, self, slave, master);
        }
    }

    /// `failover_slave_name_change()`.
    fn failover_slave_name_change(&mut self, slave: DevId) {
        if let Some((master, fops)) = self.failover_slave_instance(slave) {
            let _ = call(fops.slave_name_change, self, slave, master);
        }
    }
}
