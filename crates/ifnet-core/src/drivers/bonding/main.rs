//! bond_main.c's slave management: `bond_enslave` (its checks in the
//! kernel's order, type adoption, the error unwind), `__bond_release_one`,
//! `bond_release_and_destroy`, `bond_setup_by_slave`, `bond_ether_setup`
//! and `bond_set_dev_addr`.

use super::BOND_MODE_ACTIVEBACKUP;
use super::{BondLink, BondSlave, BOND_FOM_ACTIVE, BOND_FOM_FOLLOW, BOND_FOM_NONE};
use crate::consts::*;
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::RxHandler;
use crate::notifier::NetdevEvent;

/// BOND_MODE_8023AD.
const BOND_MODE_8023AD: u8 = 4;

/// Where `bond_enslave`'s error unwind starts (its `err_*` labels), latest
/// first: each stage undoes itself and everything below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Unwind {
    UndoFlags,
    RestoreMtu,
    RestoreMac,
    Close,
    Detach,
    Unregister,
    UpperUnlink,
}

impl Kernel {
    /// `NETIF_F_VLAN_CHALLENGED`: of the modelled devices only IPoIB sets
    /// it (`ipoib_setup_common`).
    fn netif_vlan_challenged(&self, dev: DevId) -> bool {
        self.dev(dev).dev_type == ARPHRD_INFINIBAND
    }

    /// `slave_warn()` / `slave_err()`: `netdev_warn(bond, "(slave %s): …")`.
    fn slave_warn(&mut self, bond: DevId, slave: DevId, msg: &str) {
        self.slave_info(bond, slave, msg);
    }

    /// The checks `bond_enslave` makes before it changes anything, in its
    /// order (netvsc-bonding.md §2.2 rows 1–5), with `SLAVE_NL_ERR` /
    /// `BOND_NL_ERR`'s extack text.
    fn bond_enslave_precheck(&mut self, bond: DevId, slave: DevId) -> KResult<()> {
        let sd = self.dev(slave);
        if sd.flags & IFF_MASTER != 0 && !self.netif_is_bond_master(slave) {
            return Err(KError::msg(
                Errno::EPERM,
                "Device type (master device) cannot be enslaved",
            ));
        }
        // netdev_is_rx_handler_busy(): failover/netvsc slaves, bridge
        // ports, another bond's slaves.
        if sd.rx_handler.is_some() {
            return Err(KError::msg(
                Errno::EBUSY,
                "Device is in use and cannot be enslaved",
            ));
        }
        if bond == slave {
            return Err(KError::msg(Errno::EPERM, "Cannot enslave bond to itself."));
        }
        // vlan_uses_dev(bond) is never true: VLANs are not modelled.
        if self.netif_vlan_challenged(slave) {
            self.slave_warn(bond, slave, "enslaved VLAN challenged slave. Adding VLANs will be blocked as long as it is part of bond.");
        }
        if self.dev(slave).flags & IFF_UP != 0 {
            return Err(KError::msg(
                Errno::EPERM,
                "Device can not be enslaved while up",
            ));
        }
        Ok(())
    }

    /// `bond_enslave()` step 6: an empty bond takes the first slave's link
    /// type (PRE_TYPE_CHANGE may veto; the lists are flushed and the IP
    /// groups re-mapped, POST_TYPE_CHANGE); a bond with slaves takes only
    /// its own type.
    fn bond_enslave_type(&mut self, bond: DevId, slave: DevId) -> KResult<()> {
        let (btype, stype) = (self.dev(bond).dev_type, self.dev(slave).dev_type);
        if !self.bond(bond).slaves.is_empty() {
            if btype != stype {
                return Err(KError::msg(
                    Errno::EINVAL,
                    "Device type is different from other slaves",
                ));
            }
            return Ok(());
        }
        if btype == stype {
            return Ok(());
        }
        if stype != ARPHRD_ETHER && self.bond(bond).params.mode == BOND_MODE_8023AD {
            return Err(KError::msg(
                Errno::EINVAL,
                "8023AD mode requires Ethernet devices",
            ));
        }
        if self
            .call_netdevice_notifiers(NetdevEvent::PreTypeChange, bond)
            .is_err()
        {
            self.slave_warn(bond, slave, "refused to change device type");
            return Err(KError::new(Errno::EBUSY));
        }
        // inetdev_event / addrconf_type_change on PRE_TYPE_CHANGE.
        self.ip_mc_unmap(bond);
        // dev_uc_flush(), dev_mc_flush().
        {
            let d = self.dev_mut(bond);
            d.addr_lists.uc.clear();
            d.addr_lists.mc.clear();
        }
        if stype != ARPHRD_ETHER {
            self.bond_setup_by_slave(bond, slave);
        } else {
            self.bond_ether_setup(bond);
        }
        self.ip_mc_remap(bond);
        let _ = self.call_netdevice_notifiers(NetdevEvent::PostTypeChange, bond);
        Ok(())
    }

    /// `bond_setup_by_slave()`: the bond is closed, takes the slave's type,
    /// header ops (through the type), address length and broadcast, and is
    /// opened again if it was up (Eric Dumazet, "bonding: stop the device
    /// in bond_setup_by_slave()", v6.7). The address bytes stay: only the
    /// length changes.
    pub(crate) fn bond_setup_by_slave(&mut self, bond: DevId, slave: DevId) {
        let was_up = self.dev(bond).flags & IFF_UP != 0;
        self.dev_close(bond);
        let s = self.dev(slave);
        let (stype, sbcast, sflags, slen) = (s.dev_type, s.broadcast, s.flags, s.dev_addr.len());
        let d = self.dev_mut(bond);
        d.dev_type = stype;
        d.dev_addr = resized(&d.dev_addr, slen);
        d.broadcast = sbcast;
        if sflags & IFF_POINTOPOINT != 0 {
            d.flags &= !(IFF_BROADCAST | IFF_MULTICAST);
            d.flags |= IFF_POINTOPOINT | IFF_NOARP;
        }
        if was_up {
            let _ = self.dev_open(bond);
        }
    }

    /// `bond_ether_setup()`: `ether_setup()` (MTU 1500, max_mtu 1500), then
    /// IFF_MASTER and the old IFF_SLAVE | IFF_UP back, no TX_SKB_SHARING.
    /// The first 6 address bytes stay.
    pub(crate) fn bond_ether_setup(&mut self, bond: DevId) {
        let d = self.dev_mut(bond);
        let keep = d.flags & (IFF_SLAVE | IFF_UP);
        let addr = resized(&d.dev_addr, ETH_ALEN);
        d.ether_setup();
        d.dev_addr = addr;
        d.flags |= IFF_MASTER | keep;
        d.priv_flags &= !IFF_TX_SKB_SHARING;
    }

    /// `bond_set_dev_addr()`: PRE_CHANGEADDR (may veto), the slave's
    /// `addr_len` bytes, NET_ADDR_STOLEN, NETDEV_CHANGEADDR.
    pub(crate) fn bond_set_dev_addr(&mut self, bond: DevId, slave: DevId) -> KResult<()> {
        self.call_netdevice_notifiers(NetdevEvent::PreChangeAddr, bond)?;
        let a = self.dev(slave).dev_addr;
        let d = self.dev_mut(bond);
        d.dev_addr = a;
        d.addr_assign_type = AddrAssign::Stolen;
        let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeAddr, bond);
        Ok(())
    }

    /// `eth_hw_addr_random()` on a bond: only the first 6 bytes are new
    /// (an InfiniBand bond keeps its other 14).
    pub(crate) fn bond_eth_hw_addr_random(&mut self, bond: DevId) {
        let old = self.dev(bond).dev_addr;
        self.eth_hw_addr_random(bond);
        let fresh = self.dev(bond).dev_addr;
        let mut b = old.as_bytes().to_vec();
        let n = b.len().min(ETH_ALEN);
        b[..n].copy_from_slice(&fresh.as_bytes()[..n]);
        self.dev_mut(bond).dev_addr = HwAddr::new(&b).expect("same length");
    }

    /// `bond_enslave()` (ndo_add_slave).
    pub(crate) fn bond_enslave(&mut self, bond: DevId, slave: DevId) -> KResult<()> {
        self.bond_enslave_precheck(bond, slave)?;
        self.bond_enslave_type(bond, slave)?;
        let has_slaves = !self.bond(bond).slaves.is_empty();
        let ab = self.bond(bond).params.mode == BOND_MODE_ACTIVEBACKUP;
        if self.dev(slave).dev_type == ARPHRD_INFINIBAND && !ab {
            let e = KError::msg(
                Errno::EOPNOTSUPP,
                "Only active-backup mode is supported for infiniband slaves",
            );
            return self.bond_enslave_fail(bond, slave, None, Unwind::UndoFlags, e);
        }
        let can_set_mac = self
            .dev(slave)
            .driver
            .ops()
            .netdev_ops
            .ndo_set_mac_address
            .is_some();
        if !can_set_mac || self.dev(slave).dev_type == ARPHRD_INFINIBAND {
            self.slave_warn(
                bond,
                slave,
                "The slave device specified does not support setting the MAC address",
            );
            if ab && self.bond(bond).params.fail_over_mac != BOND_FOM_ACTIVE {
                if !has_slaves {
                    self.bond_mut(bond).params.fail_over_mac = BOND_FOM_ACTIVE;
                    self.slave_warn(
                        bond,
                        slave,
                        "Setting fail_over_mac to active for active-backup mode",
                    );
                } else {
                    let e = KError::msg(Errno::EOPNOTSUPP, "Slave device does not support setting the MAC address, but fail_over_mac is not set to active");
                    return self.bond_enslave_fail(bond, slave, None, Unwind::UndoFlags, e);
                }
            }
        }
        let _ = self.call_netdevice_notifiers(NetdevEvent::Join, slave);
        if !has_slaves && self.dev(bond).addr_assign_type == AddrAssign::Random {
            if let Err(e) = self.bond_set_dev_addr(bond, slave) {
                return self.bond_enslave_fail(bond, slave, None, Unwind::UndoFlags, e);
            }
        }
        let new = self.bond_alloc_slave(slave);
        let bond_mtu = self.dev(bond).mtu;
        if let Err(e) = self.dev_set_mtu(slave, bond_mtu) {
            let msg = format!("Error {} calling dev_set_mtu", -e.errno.number());
            self.slave_warn(bond, slave, &msg);
            return self.bond_enslave_fail(bond, slave, Some(&new), Unwind::UndoFlags, e);
        }
        if let Err(e) = self.bond_enslave_mac(bond, slave, has_slaves) {
            return self.bond_enslave_fail(bond, slave, Some(&new), Unwind::RestoreMtu, e);
        }
        if !ab {
            let e = KError::msg(Errno::EOPNOTSUPP, "ifnet models only active-backup bonding");
            return self.bond_enslave_fail(bond, slave, Some(&new), Unwind::RestoreMac, e);
        }
        self.set_priv_flags(slave, IFF_NO_ADDRCONF, true);
        if let Err(e) = self.dev_open(slave) {
            self.slave_warn(bond, slave, "Opening slave failed");
            return self.bond_enslave_fail(bond, slave, Some(&new), Unwind::RestoreMac, e);
        }
        self.set_priv_flags(slave, IFF_BONDING, true);
        self.bond_enslave_attach(bond, slave, new)
    }

    /// `bond_alloc_slave()` and the fields `bond_enslave` sets before it
    /// changes the slave: queue 0, `original_mtu`, `perm_hwaddr`.
    fn bond_alloc_slave(&self, slave: DevId) -> BondSlave {
        let d = self.dev(slave);
        BondSlave {
            dev: slave,
            link: BondLink::Down,
            delay: 0,
            backup: false,
            inactive: false,
            link_failure_count: 0,
            perm_hwaddr: d.dev_addr,
            original_mtu: d.mtu,
            queue_id: 0,
            prio: 0,
            slave_stats: Default::default(),
        }
    }

    /// `bond_enslave()` step 5: the slave's MAC per fail_over_mac.
    fn bond_enslave_mac(&mut self, bond: DevId, slave: DevId, has_slaves: bool) -> KResult<()> {
        let p = &self.bond(bond).params;
        let (fom, ab) = (p.fail_over_mac, p.mode == BOND_MODE_ACTIVEBACKUP);
        let baddr = self.dev(bond).dev_addr;
        let addr = if fom == BOND_FOM_NONE || !ab {
            baddr
        } else if fom == BOND_FOM_FOLLOW && has_slaves && self.dev(slave).dev_addr == baddr {
            let mut a = [0u8; 6];
            a.copy_from_slice(&self.next_random().to_le_bytes()[..6]);
            a[0] = (a[0] & 0xfe) | 0x02;
            HwAddr::new(&a).expect("6 bytes")
        } else {
            return Ok(());
        };
        if let Err(e) = self.dev_set_mac_address(slave, addr) {
            let msg = format!("Error {} calling set_mac_address", -e.errno.number());
            self.slave_warn(bond, slave, &msg);
            return Err(e);
        }
        Ok(())
    }

    /// The second half of `bond_enslave()`: initial link state, primary,
    /// flags, rx_handler, upper link, carrier, selection, the log line.
    fn bond_enslave_attach(
        &mut self,
        bond: DevId,
        slave: DevId,
        mut new: BondSlave,
    ) -> KResult<()> {
        let p = self.bond(bond).params.clone();
        new.link = if p.miimon != 0 {
            let sd = self.dev(slave);
            if sd.running() && sd.carrier {
                if p.updelay != 0 {
                    new.delay = p.updelay as i32;
                    BondLink::Back
                } else {
                    BondLink::Up
                }
            } else {
                BondLink::Down
            }
        } else {
            BondLink::Up
        };
        new.slave_stats = self.dev(slave).stats;
        if !p.primary.is_empty() && p.primary == self.dev(slave).name.as_str() {
            let b = self.bond_mut(bond);
            b.primary_slave = Some(slave);
            b.force_primary = true;
        }
        // bond_set_slave_inactive_flags() on the new slave (not listed yet).
        new.backup = true;
        new.inactive = p.all_slaves_active == 0;
        // bond_set_slave_link_state() and bond_set_slave_state(), both
        // BOND_SLAVE_NOTIFY_NOW.
        self.bond_lower_state_notify(slave);
        self.bond_lower_state_notify(slave);
        if let Err(e) = self.netdev_rx_handler_register(slave, RxHandler::Bond) {
            return self.bond_enslave_fail(bond, slave, Some(&new), Unwind::Detach, e);
        }
        // bond_master_upper_dev_link(): the slave list is the adjacency.
        self.bond_mut(bond).slaves.push(new.clone());
        if let Err(e) = self.netdev_master_upper_dev_link(slave, bond) {
            self.bond_mut(bond).slaves.retain(|s| s.dev != slave);
            return self.bond_enslave_fail(bond, slave, Some(&new), Unwind::Unregister, e);
        }
        self.dev_mut(slave).flags |= IFF_SLAVE;
        self.bond_lower_state_notify(slave);
        self.bond_set_carrier(bond);
        self.bond_select_active_slave(bond);
        let s = self.bond(bond).slave(slave).expect("listed");
        let msg = format!(
            "Enslaving as {} interface with {} link",
            if s.backup { "a backup" } else { "an active" },
            if s.link != BondLink::Down {
                "an up"
            } else {
                "a down"
            }
        );
        self.slave_info(bond, slave, &msg);
        Ok(())
    }

    /// `bond_lower_state_changed()`: NETDEV_CHANGELOWERSTATE on the slave.
    pub(crate) fn bond_lower_state_notify(&mut self, slave: DevId) {
        let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeLowerState, slave);
    }

    /// `bond_enslave()`'s `err_*` labels from `from` down, then `e`.
    fn bond_enslave_fail(
        &mut self,
        bond: DevId,
        slave: DevId,
        new: Option<&BondSlave>,
        from: Unwind,
        e: KError,
    ) -> KResult<()> {
        if from >= Unwind::UpperUnlink {
            self.bond_upper_dev_unlink(bond, slave);
        }
        if from >= Unwind::Unregister {
            self.netdev_rx_handler_unregister(slave);
        }
        if from >= Unwind::Detach {
            if self.bond(bond).primary_slave == Some(slave) {
                self.bond_mut(bond).primary_slave = None;
            }
            if self.bond(bond).curr_active_slave == Some(slave) {
                self.bond_change_active_slave(bond, None);
                self.bond_select_active_slave(bond);
            }
        }
        if from >= Unwind::Close {
            if !self.netif_is_bond_master(slave) {
                self.set_priv_flags(slave, IFF_BONDING, false);
            }
            self.dev_close(slave);
        }
        if let (true, Some(n)) = (from >= Unwind::RestoreMac, new) {
            self.set_priv_flags(slave, IFF_NO_ADDRCONF, false);
            let p = &self.bond(bond).params;
            if p.fail_over_mac == BOND_FOM_NONE || p.mode != BOND_MODE_ACTIVEBACKUP {
                let _ = self.dev_set_mac_address(slave, n.perm_hwaddr);
            }
        }
        if let (true, Some(n)) = (from >= Unwind::RestoreMtu, new) {
            let _ = self.dev_set_mtu(slave, n.original_mtu);
        }
        // err_undo_flags: the first slave's address and type go again —
        // with no PRE/POST_TYPE_CHANGE, and the bond left down.
        if self.bond(bond).slaves.is_empty() {
            let (b, s) = (self.dev(bond), self.dev(slave));
            if b.dev_addr.as_bytes().get(..6) == s.dev_addr.as_bytes().get(..6) {
                self.bond_eth_hw_addr_random(bond);
            }
            if self.dev(bond).dev_type != ARPHRD_ETHER {
                self.dev_close(bond);
                self.bond_ether_setup(bond);
            }
        }
        Err(e)
    }

    /// `bond_upper_dev_unlink()`: the slave leaves the list, IFF_SLAVE goes.
    fn bond_upper_dev_unlink(&mut self, bond: DevId, slave: DevId) {
        self.bond_mut(bond).slaves.retain(|s| s.dev != slave);
        self.netdev_upper_dev_unlink(slave, bond);
        self.dev_mut(slave).flags &= !IFF_SLAVE;
    }

    /// `bond_release()` (ndo_del_slave).
    pub(crate) fn bond_release(&mut self, bond: DevId, slave: DevId) -> KResult<()> {
        self.__bond_release_one(bond, slave, false, false)
    }

    /// `__bond_release_one()`.
    pub(crate) fn __bond_release_one(
        &mut self,
        bond: DevId,
        slave: DevId,
        all: bool,
        unregister: bool,
    ) -> KResult<()> {
        if self.dev(slave).flags & IFF_SLAVE == 0 || self.dev(slave).master != Some(bond) {
            return Err(KError::new(Errno::EINVAL));
        }
        let Some(s) = self.bond(bond).slave(slave).cloned() else {
            self.slave_info(bond, slave, "interface not enslaved");
            return Err(KError::new(Errno::EINVAL));
        };
        let old_flags = self.dev(bond).flags;
        self.bond_set_slave_inactive_flags(bond, slave);
        // Recompute the stats just before removing the slave.
        self.bond_get_stats(bond);
        self.netdev_rx_handler_unregister(slave);
        let was_active = !self.bond(bond).slave(slave).is_some_and(|x| x.backup);
        self.bond_upper_dev_unlink(bond, slave);
        let msg = format!(
            "Releasing {} interface",
            if was_active { "active" } else { "backup" }
        );
        self.slave_info(bond, slave, &msg);
        let oldcurrent = self.bond(bond).curr_active_slave;
        let p = self.bond(bond).params.clone();
        let ab = p.mode == BOND_MODE_ACTIVEBACKUP;
        let has = !self.bond(bond).slaves.is_empty();
        if !all && (p.fail_over_mac != BOND_FOM_ACTIVE || !ab) {
            let b = self.dev(bond).dev_addr;
            if b.as_bytes().get(..6) == s.perm_hwaddr.as_bytes().get(..6) && has {
                let msg = format!("the permanent HWaddr of slave - {} - is still in use by bond - set the HWaddr of slave to a different address to avoid conflicts", s.perm_hwaddr);
                self.slave_warn(bond, slave, &msg);
            }
        }
        if self.bond(bond).primary_slave == Some(slave) {
            self.bond_mut(bond).primary_slave = None;
        }
        if oldcurrent == Some(slave) {
            self.bond_change_active_slave(bond, None);
        }
        if all {
            self.bond_mut(bond).curr_active_slave = None;
        } else if oldcurrent == Some(slave) {
            self.bond_select_active_slave(bond);
        }
        self.bond_set_carrier(bond);
        if !has {
            self.bond_eth_hw_addr_random(bond);
            let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeAddr, bond);
            let _ = self.call_netdevice_notifiers(NetdevEvent::Release, bond);
        }
        if self.netif_vlan_challenged(slave)
            && !self
                .bond(bond)
                .slaves
                .iter()
                .any(|x| self.netif_vlan_challenged(x.dev))
        {
            self.slave_info(
                bond,
                slave,
                "last VLAN challenged slave left bond - VLAN blocking is removed",
            );
        }
        let _ = old_flags;
        self.dev_close(slave);
        self.set_priv_flags(slave, IFF_NO_ADDRCONF, false);
        if p.fail_over_mac != BOND_FOM_ACTIVE || !ab {
            let _ = self.dev_set_mac_address(slave, s.perm_hwaddr);
        }
        if unregister {
            // __netif_set_mtu(): no notifiers for a dying device.
            let _ = self.ndo_change_mtu(slave, s.original_mtu);
        } else {
            let _ = self.dev_set_mtu(slave, s.original_mtu);
        }
        if !self.netif_is_bond_master(slave) {
            self.set_priv_flags(slave, IFF_BONDING, false);
        }
        Ok(())
    }

    /// `bond_release_and_destroy()`: a non-Ethernet bond dies with its last
    /// slave ("Destroying bond").
    pub(crate) fn bond_release_and_destroy(&mut self, bond: DevId, slave: DevId) {
        let ret = self.__bond_release_one(bond, slave, false, true);
        if ret.is_ok()
            && self.bond(bond).slaves.is_empty()
            && self.dev(bond).reg_state == RegState::Registered
        {
            self.set_priv_flags(bond, IFF_DISABLE_NETPOLL, true);
            self.netdev_printk(bond, "Destroying bond");
            self.unregister_netdevice(bond);
        }
    }
}

/// The address with `len` bytes: cut, or padded with zeros.
fn resized(a: &HwAddr, len: usize) -> HwAddr {
    let mut b = a.as_bytes().to_vec();
    b.resize(len.min(MAX_ADDR_LEN), 0);
    HwAddr::new(&b).expect("bounded")
}
