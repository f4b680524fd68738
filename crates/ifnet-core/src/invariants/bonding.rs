//! Bonding's state (drivers/bonding/): a bond's slave list is its lower
//! adjacency, each slave a live device with the bond as master, bonding's
//! rx_handler, IFF_SLAVE and IFF_BONDING; the active and primary slaves
//! are listed slaves; the bond has IFF_MASTER and IFF_BONDING, is
//! netns-local, and the module's notifier is registered.

use crate::consts::*;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::RxHandler;

impl Kernel {
    pub(super) fn check_bonding(&self) -> Result<(), String> {
        for (id, d) in self.tables.devs.iter::<DevId>() {
            let Some(b) = d.driver.bond() else {
                continue;
            };
            if !self.modules.bonding {
                return Err(format!("bond {} exists but bonding is not loaded", d.name));
            }
            if d.flags & IFF_MASTER == 0 || d.priv_flags & IFF_BONDING == 0 || !d.netns_immutable {
                return Err(format!(
                    "bond {} lacks IFF_MASTER, IFF_BONDING or netns-local",
                    d.name
                ));
            }
            if b.slaves.len() != d.lowers.len()
                || !b.slaves.iter().all(|s| d.lowers.contains(&s.dev))
            {
                return Err(format!("bond {}'s slave list and lowers disagree", d.name));
            }
            for s in &b.slaves {
                let ok = self.try_dev(s.dev).is_some_and(|x| {
                    x.master == Some(id)
                        && x.rx_handler == Some(RxHandler::Bond)
                        && x.flags & IFF_SLAVE != 0
                        && x.priv_flags & IFF_BONDING != 0
                        && x.dev_type == d.dev_type
                });
                if !ok {
                    return Err(format!("bond {} lists a slave that is not its own", d.name));
                }
            }
            let listed = |x: Option<DevId>| x.is_none_or(|x| b.slave(x).is_some());
            if !listed(b.curr_active_slave) || !listed(b.primary_slave) {
                return Err(format!(
                    "bond {}'s active or primary slave is not listed",
                    d.name
                ));
            }
        }
        Ok(())
    }
}
