//! Upper/lower adjacency (`netdev_master_upper_dev_link` and friends) and
//! rx_handler ownership (`netdev_rx_handler_register`).

use crate::consts::*;
use crate::errno::{Errno, KError, KResult};
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::RxHandler;
use crate::notifier::{EventInfo, NetdevEvent};

/// `MAX_NEST_DEV`.
pub const MAX_NEST_DEV: u32 = 8;

impl Kernel {
    /// `netdev_rx_handler_register()`: one handler per device.
    pub(crate) fn netdev_rx_handler_register(&mut self, dev: DevId, h: RxHandler) -> KResult<()> {
        let d = self.dev(dev);
        if d.rx_handler.is_some() {
            return Err(KError::new(Errno::EBUSY));
        }
        if d.priv_flags & IFF_NO_RX_HANDLER != 0 {
            return Err(KError::new(Errno::EINVAL));
        }
        self.dev_mut(dev).rx_handler = Some(h);
        Ok(())
    }

    pub(crate) fn netdev_rx_handler_unregister(&mut self, dev: DevId) {
        self.dev_mut(dev).rx_handler = None;
    }

    /// `netdev_master_upper_dev_get()`.
    pub fn netdev_master_upper_dev_get(&self, dev: DevId) -> Option<DevId> {
        self.dev(dev).master
    }

    /// `__netdev_has_upper_dev(dev, upper)`: is `upper` above `dev`,
    /// directly or through a chain of masters? Bounded by MAX_NEST_DEV.
    fn has_upper_dev(&self, dev: DevId, upper: DevId) -> bool {
        let mut cur = self.dev(dev).master;
        for _ in 0..=MAX_NEST_DEV {
            match cur {
                None => return false,
                Some(m) if m == upper => return true,
                Some(m) => cur = self.dev(m).master,
            }
        }
        false
    }

    /// `dev->upper_level`: 1 + the level of its master chain.
    fn upper_level(&self, dev: DevId) -> u32 {
        let mut level = 1;
        let mut cur = self.dev(dev).master;
        while let Some(m) = cur {
            level += 1;
            if level > MAX_NEST_DEV + 1 {
                break;
            }
            cur = self.dev(m).master;
        }
        level
    }

    /// `dev->lower_level`: 1 + the deepest lower chain.
    fn lower_level(&self, dev: DevId) -> u32 {
        fn walk(k: &Kernel, d: DevId, depth: u32) -> u32 {
            if depth > MAX_NEST_DEV {
                return depth;
            }
            k.dev(d)
                .lowers
                .iter()
                .map(|&l| walk(k, l, depth + 1))
                .max()
                .unwrap_or(depth)
        }
        walk(self, dev, 1)
    }

    /// `netdev_master_upper_dev_link()`: checks, PRECHANGEUPPER (may veto),
    /// link, CHANGEUPPER (a veto unlinks again).
    pub(crate) fn netdev_master_upper_dev_link(&mut self, dev: DevId, upper: DevId) -> KResult<()> {
        if dev == upper {
            return Err(KError::new(Errno::EBUSY));
        }
        if self.has_upper_dev(upper, dev) {
            return Err(KError::new(Errno::EBUSY));
        }
        if self.lower_level(dev) + self.upper_level(upper) > MAX_NEST_DEV {
            return Err(KError::new(Errno::EMLINK));
        }
        if let Some(m) = self.dev(dev).master {
            return Err(KError::new(if m == upper {
                Errno::EEXIST
            } else {
                Errno::EBUSY
            }));
        }
        let info = EventInfo::Upper {
            upper,
            linking: true,
        };
        self.call_netdevice_notifiers_info(NetdevEvent::PreChangeUpper, dev, info)?;
        self.dev_mut(dev).master = Some(upper);
        self.dev_mut(upper).lowers.push(dev);
        if let Err(e) = self.call_netdevice_notifiers_info(NetdevEvent::ChangeUpper, dev, info) {
            self.adjacent_unlink(dev, upper);
            return Err(e);
        }
        Ok(())
    }

    fn adjacent_unlink(&mut self, dev: DevId, upper: DevId) {
        self.dev_mut(dev).master = None;
        self.dev_mut(upper).lowers.retain(|&l| l != dev);
    }

    /// `netdev_upper_dev_unlink()`: PRECHANGEUPPER, unlink, CHANGEUPPER.
    pub(crate) fn netdev_upper_dev_unlink(&mut self, dev: DevId, upper: DevId) {
        let info = EventInfo::Upper {
            upper,
            linking: false,
        };
        let _ = self.call_netdevice_notifiers_info(NetdevEvent::PreChangeUpper, dev, info);
        self.adjacent_unlink(dev, upper);
        let _ = self.call_netdevice_notifiers_info(NetdevEvent::ChangeUpper, dev, info);
    }

    /// `do_set_master()` (rtnetlink): leave the current master through its
    /// `ndo_del_slave`, then join the new one through `ndo_add_slave`.
    pub(crate) fn do_set_master(&mut self, dev: DevId, ifindex: u32) -> KResult<()> {
        if let Some(upper) = self.dev(dev).master {
            if self.dev(upper).ifindex == ifindex {
                return Ok(());
            }
            self.ndo_del_slave(upper, dev)?;
        }
        if ifindex != 0 {
            let net = self.dev(dev).net;
            let upper = self
                .dev_get_by_index(net, ifindex)
                .ok_or(KError::new(Errno::EINVAL))?;
            self.ndo_add_slave(upper, dev)?;
        }
        Ok(())
    }
}
