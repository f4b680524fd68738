//! hv_netvsc's transparent VF management (netvsc_drv.c, netvsc-bonding.md
//! §1.3–1.11): `netvsc_netdev_event` on the notifier chain, the candidate
//! filter `check_dev_is_matching_vf`, matching by PCI slot serial and MAC
//! (`get_netvsc_byslot`), IFF_SLAVE before the VF is visible
//! (`netvsc_prepare_bonding`, c807d6cd089d) or at join, the join itself
//! (`netvsc_register_vf` / `netvsc_vf_join`), `vf_takeover` 100 ms later
//! (`__netvsc_vf_setup`), the datapath switch (`netvsc_vf_changed`), the
//! release (`netvsc_unregister_vf`), the probe-time scan (9cae43da9867)
//! and the VF following its netvsc's namespace (`vfns_work`).
//!
//! The module state is `netvsc_dev_list`, one list across all namespaces;
//! the per-device state is the netvsc's private `NetvscPriv`.

use crate::consts::*;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::RxHandler;
use crate::notifier::NetdevEvent;
use crate::profile::NetvscVfNsFollow;
use crate::time::Duration;
use crate::workqueue::Work;
use serde::{Deserialize, Serialize};

/// `VF_TAKEOVER_INT` = HZ/10.
pub const VF_TAKEOVER_INT: Duration = Duration::from_millis(100);
/// Holder name of `netvsc_register_vf`'s untracked `dev_hold(vf_netdev)`.
pub const NETVSC_VF_HOLD: &str = "netvsc vf_netdev (dev_hold)";

/// hv_netvsc's module state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetvscModule {
    /// `netvsc_drv_init` has run: the notifier is on the chain.
    pub loaded: bool,
    /// `netvsc_dev_list`, head first (`list_add` inserts at the head).
    pub dev_list: Vec<DevId>,
}

/// `VF_REG_IN_PROBE` / `VF_REG_IN_NOTIFIER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VfRegContext {
    Probe,
    Notifier,
}

impl Kernel {
    /// `netvsc_drv_init()`: `register_netdevice_notifier`, which replays
    /// NETDEV_REGISTER (and NETDEV_UP for an UP device) to the new notifier
    /// for every device of every namespace. Since 85520856466e that is
    /// before any netvsc is probed, so no VF matches yet; before it, after
    /// the first probe, so a VF already there joins now.
    pub(crate) fn netvsc_drv_init(&mut self) {
        if self.modules.netvsc.loaded {
            return;
        }
        self.modules.netvsc.loaded = true;
        self.tables
            .notifiers
            .push(crate::notifier::Notifier::Netvsc);
        for net in self.nets() {
            for dev in self.devices_in(net) {
                self.netvsc_netdev_event(NetdevEvent::Register, dev);
                if self.try_dev(dev).is_some_and(|d| d.is_up()) {
                    self.netvsc_netdev_event(NetdevEvent::Up, dev);
                }
            }
        }
    }

    /// `netvsc_netdev_event()`: never vetoes.
    pub(crate) fn netvsc_netdev_event(&mut self, event: NetdevEvent, dev: DevId) {
        if self.netvsc(dev).is_some() {
            if event == NetdevEvent::Register {
                self.netvsc_own_register(dev);
            }
            return;
        }
        if !self.check_dev_is_matching_vf(dev) {
            return;
        }
        match event {
            NetdevEvent::PostInit if self.profile.netvsc_slave_at_post_init => {
                self.netvsc_prepare_bonding(dev);
            }
            NetdevEvent::Register => self.netvsc_register_vf(dev, VfRegContext::Notifier),
            NetdevEvent::Unregister => self.netvsc_unregister_vf(dev),
            NetdevEvent::Up | NetdevEvent::Down | NetdevEvent::Change | NetdevEvent::GoingDown => {
                self.netvsc_vf_changed(dev, event)
            }
            _ => {}
        }
    }

    /// The netvsc's own NETDEV_REGISTER (probe, or a namespace move): its
    /// VF follows it — in the notifier (4c262801ea60) or from `vfns_work`
    /// with delay 0 (33caa208dba6); before those, not at all.
    fn netvsc_own_register(&mut self, ndev: DevId) {
        match self.profile.netvsc_vf_ns_follow {
            NetvscVfNsFollow::Never => {}
            NetvscVfNsFollow::InNotifier => self.netvsc_event_set_vf_ns(ndev),
            NetvscVfNsFollow::Work => {
                let now = self.now;
                self.deferred
                    .workqueue
                    .schedule(Work::NetvscVfns(ndev), now);
            }
        }
    }

    /// `netvsc_vfns_work()`: `rtnl_trylock` (the work queue holds RTNL
    /// work while an operation is parked), then `netvsc_event_set_vf_ns`.
    pub(crate) fn netvsc_vfns_work(&mut self, ndev: DevId) {
        if self.netvsc(ndev).is_some() {
            self.netvsc_event_set_vf_ns(ndev);
        }
    }

    /// `netvsc_event_set_vf_ns()`: a bound VF in another namespace is moved
    /// to the netvsc's (renamed `eth%d` only if its name is taken there).
    fn netvsc_event_set_vf_ns(&mut self, ndev: DevId) {
        let Some(vf) = self.netvsc(ndev).and_then(|p| p.vf_netdev) else {
            return;
        };
        let target = self.dev(ndev).net;
        if self.dev(vf).net == target {
            return;
        }
        let nname = self.dev(ndev).name;
        let msg = match self.dev_change_net_namespace(vf, target, Some("eth%d"), 0) {
            Ok(()) => format!("Moved VF to namespace with: {nname}"),
            Err(e) => format!(
                "Cannot move to same namespace as {nname}: {}",
                -e.errno.number()
            ),
        };
        self.netdev_printk(vf, &msg);
    }

    /// `check_dev_is_matching_vf()`: not a netvsc, ARPHRD_ETHER, not a VLAN
    /// device, not a bond master (neither is modelled as a kind yet).
    pub(crate) fn check_dev_is_matching_vf(&self, dev: DevId) -> bool {
        let d = self.dev(dev);
        d.driver.netvsc().is_none() && d.dev_type == ARPHRD_ETHER
    }

    /// `get_netvsc_byslot()`: the VF's parent must be PCI with a slot whose
    /// name is the serial; then the serial pass (with `perm_addr` equal
    /// since 64ff412ad41f) and the MAC fallback (365e1ececb29; also on
    /// `dev_addr` since c807d6cd089d, which matters at POST_INIT where
    /// `perm_addr` is still zero). The list spans every namespace.
    pub(crate) fn get_netvsc_byslot(&mut self, vf: DevId) -> Option<DevId> {
        if !self.dev_parent_is_pci(vf) {
            return None;
        }
        let Some(serial) = self.dev(vf).driver.pci_slot() else {
            self.netdev_printk(vf, "no PCI slot information");
            return None;
        };
        let (perm, addr) = (self.dev(vf).perm_addr, self.dev(vf).dev_addr);
        let serial_and_mac = self.profile.netvsc_match_serial_and_mac;
        let by_serial = self.modules.netvsc.dev_list.iter().copied().find(|&n| {
            let p = self.netvsc(n).expect("netvsc_dev_list holds netvscs");
            p.vf_alloc
                && p.vf_serial == serial
                && (!serial_and_mac || self.dev(n).perm_addr == perm)
        });
        if by_serial.is_some() {
            return by_serial;
        }
        if self.profile.netvsc_mac_fallback {
            let with_dev_addr = self.profile.netvsc_slave_at_post_init;
            let by_mac = self.modules.netvsc.dev_list.iter().copied().find(|&n| {
                let np = self.dev(n).perm_addr;
                np == perm || (with_dev_addr && np == addr)
            });
            if let Some(n) = by_mac {
                // 365e1ececb29 noticed the match; c807d6cd089d dropped it.
                if !with_dev_addr {
                    self.netdev_printk(vf, "falling back to mac addr based matching");
                }
                return Some(n);
            }
        }
        self.netdev_printk(vf, &format!("no netdev found for vf serial:{serial}"));
        None
    }

    /// `get_netvsc_byref()`: the VF's master, if it is a netvsc whose
    /// `nvdev` still exists.
    pub(crate) fn get_netvsc_byref(&self, vf: DevId) -> Option<DevId> {
        let m = self.dev(vf).master?;
        self.netvsc(m).is_some_and(|p| p.nvdev).then_some(m)
    }

    /// `netvsc_prepare_bonding()` (NETDEV_POST_INIT, c807d6cd089d): IFF_SLAVE
    /// (and IFF_NO_ADDRCONF where the profile has it) before the `add`
    /// uevent. Never fails, links nothing, and nothing clears the flags.
    pub(crate) fn netvsc_prepare_bonding(&mut self, vf: DevId) {
        if self.get_netvsc_byslot(vf).is_none() {
            return;
        }
        let no_addrconf = self.profile.netvsc_vf_no_addrconf;
        let d = self.dev_mut(vf);
        d.flags |= IFF_SLAVE;
        if no_addrconf {
            d.priv_flags |= IFF_NO_ADDRCONF;
        }
    }

    /// `netvsc_register_vf()`: match, one VF per netvsc, same namespace
    /// (else move the VF there: the join happens on the move's REGISTER),
    /// "VF registering", join, then the reference and `vf_netdev`.
    pub(crate) fn netvsc_register_vf(&mut self, vf: DevId, ctx: VfRegContext) {
        if self.dev(vf).dev_addr.len() != ETH_ALEN {
            return;
        }
        let Some(ndev) = self.get_netvsc_byslot(vf) else {
            return;
        };
        let p = self.netvsc(ndev).expect("a netvsc");
        if !p.nvdev || p.vf_netdev.is_some() {
            return;
        }
        let (nnet, nname) = (self.dev(ndev).net, self.dev(ndev).name);
        if self.dev(vf).net != nnet {
            let msg = match self.dev_change_net_namespace(vf, nnet, Some("eth%d"), 0) {
                Ok(()) => format!("VF moved to namespace with: {nname}"),
                Err(e) => format!(
                    "could not move to same namespace as {nname}: {}",
                    -e.errno.number()
                ),
            };
            self.netdev_printk(vf, &msg);
            return;
        }
        let vname = self.dev(vf).name;
        self.netdev_printk(ndev, &format!("VF registering: {vname}"));
        if !self.netvsc_vf_join(vf, ndev, ctx) {
            return;
        }
        self.netdev_hold(vf, NETVSC_VF_HOLD, false);
        self.netvsc_mut(ndev).vf_netdev = Some(vf);
    }

    /// `netvsc_vf_join()`: rx_handler, upper link (no lag info), IFF_SLAVE
    /// on kernels without c807d6cd089d ("set slave flag before open to
    /// prevent IPv6 addrconf"), `vf_takeover` in 100 ms from the notifier,
    /// NETDEV_JOIN, "joined to".
    fn netvsc_vf_join(&mut self, vf: DevId, ndev: DevId, ctx: VfRegContext) -> bool {
        if let Err(e) = self.netdev_rx_handler_register(vf, RxHandler::Netvsc) {
            let msg = format!(
                "can not register netvsc VF receive handler (err = {})",
                -e.errno.number()
            );
            self.netdev_printk(vf, &msg);
            return false;
        }
        if let Err(e) = self.netdev_master_upper_dev_link(vf, ndev) {
            let nname = self.dev(ndev).name;
            let msg = format!(
                "can not set master device {nname} (err = {})",
                -e.errno.number()
            );
            self.netdev_printk(vf, &msg);
            self.netdev_rx_handler_unregister(vf);
            return false;
        }
        if !self.profile.netvsc_slave_at_post_init {
            self.dev_mut(vf).flags |= IFF_SLAVE;
        }
        if ctx == VfRegContext::Notifier {
            let due = self.now + VF_TAKEOVER_INT;
            self.deferred
                .workqueue
                .schedule(Work::NetvscVfTakeover(ndev), due);
        }
        let _ = self.call_netdevice_notifiers(NetdevEvent::Join, vf);
        let nname = self.dev(ndev).name;
        self.netdev_printk(vf, &format!("joined to {nname}"));
        true
    }

    /// `netvsc_vf_setup()` (the `vf_takeover` work): RTNL (the queue holds
    /// it back while an operation is parked), then `__netvsc_vf_setup` if
    /// a VF is still bound.
    pub(crate) fn netvsc_vf_takeover(&mut self, ndev: DevId) {
        if let Some(vf) = self.netvsc(ndev).and_then(|p| p.vf_netdev) {
            self.__netvsc_vf_setup(ndev, vf);
        }
    }

    /// `__netvsc_vf_setup()`: the netvsc's MTU, its flags with IFF_SLAVE
    /// (which opens or closes the VF to match, and mirrors PROMISC and
    /// ALLMULTI through gflags), its address lists, then `dev_open` if the
    /// netvsc runs.
    pub(crate) fn __netvsc_vf_setup(&mut self, ndev: DevId, vf: DevId) {
        let mtu = self.dev(ndev).mtu;
        if self.dev_set_mtu_noext(vf, mtu).is_err() {
            self.netdev_printk(vf, &format!("unable to change mtu to {mtu}"));
        }
        let flags = self.dev(ndev).flags | IFF_SLAVE;
        let _ = self.dev_change_flags(vf, flags);
        let _ = self.dev_uc_sync(vf, ndev);
        let _ = self.dev_mc_sync(vf, ndev);
        if self.dev(ndev).running() {
            if let Err(e) = self.dev_open(vf) {
                let msg = format!("unable to open: {}", -e.errno.number());
                self.netdev_printk(vf, &msg);
            }
        }
    }

    /// `netvsc_vf_changed()` on the VF's UP, DOWN, CHANGE, GOING_DOWN: the
    /// admin state decides (not carrier); a repeat is a no-op; switching to
    /// the VF waits for the host's association first.
    fn netvsc_vf_changed(&mut self, vf: DevId, event: NetdevEvent) {
        let vf_is_up = event != NetdevEvent::GoingDown && self.netif_running(vf);
        let Some(ndev) = self.get_netvsc_byref(vf) else {
            return;
        };
        let p = self.netvsc(ndev).expect("a netvsc");
        if p.data_path_is_vf == vf_is_up {
            // A VF going down ends a wait the kernel could not have left.
            self.netvsc_mut(ndev).vf_add_waiting &= vf_is_up;
            return;
        }
        // The wait for the association came with 365e1ececb29.
        if vf_is_up && !p.vf_alloc && self.profile.netvsc_mac_fallback {
            // The kernel sleeps here holding RTNL, so the CHANGE after this
            // UP only comes once the association did: one line, one wait.
            if p.vf_add_waiting {
                return;
            }
            self.netdev_printk(ndev, "Waiting for the VF association from host");
            // wait_for_completion() returns at once on a completion an
            // earlier association left (done > 0), taking it.
            let p = self.netvsc_mut(ndev);
            if p.vf_add_done == 0 {
                p.vf_add_waiting = true;
                return;
            }
            p.vf_add_done -= 1;
        }
        self.netvsc_mut(ndev).vf_add_waiting = false;
        self.netvsc_switch_datapath(ndev, vf, vf_is_up);
    }

    /// `netvsc_switch_datapath()` and its success branch in
    /// `netvsc_vf_changed`: NVSP_MSG4_TYPE_SWITCH_DATA_PATH to the host,
    /// `data_path_is_vf`, the log line, `tso_max_size`.
    pub(crate) fn netvsc_switch_datapath(&mut self, ndev: DevId, vf: DevId, to_vf: bool) {
        let vf_tso = self.dev_tso_max_size(vf);
        let p = self.netvsc_mut(ndev);
        p.data_path_is_vf = to_vf;
        // The host reprograms the vport: no flow is on the VF path yet.
        p.vf_flows.clear();
        p.tso_max_size = if to_vf {
            vf_tso
        } else {
            super::netvsc::NETVSC_GSO_MAX_SIZE
        };
        let vname = self.dev(vf).name;
        let dir = if to_vf { "to" } else { "from" };
        self.netdev_printk(ndev, &format!("Data path switched {dir} VF: {vname}"));
    }

    /// `netvsc_unregister_vf()`: only a joined VF (found through its
    /// master). IFF_SLAVE / IFF_NO_ADDRCONF stay set.
    pub(crate) fn netvsc_unregister_vf(&mut self, vf: DevId) {
        let Some(ndev) = self.get_netvsc_byref(vf) else {
            return;
        };
        self.deferred.workqueue.cancel(Work::NetvscVfTakeover(ndev));
        let vname = self.dev(vf).name;
        self.netdev_printk(ndev, &format!("VF unregistering: {vname}"));
        // reinit_completion(&vf_add).
        let p = self.netvsc_mut(ndev);
        (p.vf_add_waiting, p.vf_add_done) = (false, 0);
        self.netdev_rx_handler_unregister(vf);
        self.netdev_upper_dev_unlink(vf, ndev);
        self.netvsc_mut(ndev).vf_netdev = None;
        self.netdev_put(vf, NETVSC_VF_HOLD);
    }

    /// The scan at the end of `netvsc_probe()` (9cae43da9867): the first
    /// device of the netvsc's namespace that passes the filter and whose
    /// `get_netvsc_byslot` is this netvsc gets `netvsc_prepare_bonding`,
    /// `netvsc_register_vf(VF_REG_IN_PROBE)` and `__netvsc_vf_setup` now.
    pub(crate) fn netvsc_probe_scan(&mut self, ndev: DevId) {
        let net = self.dev(ndev).net;
        for vf in self.devices_in(net) {
            if !self.check_dev_is_matching_vf(vf) || self.get_netvsc_byslot(vf) != Some(ndev) {
                continue;
            }
            self.netvsc_prepare_bonding(vf);
            self.netvsc_register_vf(vf, VfRegContext::Probe);
            if self.try_dev(vf).is_some() {
                self.__netvsc_vf_setup(ndev, vf);
            }
            break;
        }
    }
}
