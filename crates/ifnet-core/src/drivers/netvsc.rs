//! drivers/net/hyperv/netvsc_drv.c: the Hyper-V synthetic NIC (hv_netvsc)
//! as a device — probe and remove on the VMBus, its `device_ops`, the
//! synthetic/VF transmit choice of `netvsc_xmit`, the VF's rx_handler and
//! the counters (`netvsc_get_stats64` adds the VF's). The VF pairing that
//! the notifier does (`netvsc_netdev_event` and what it calls) is in
//! `netvsc_vf.rs`; the host's side (association and datapath messages, the
//! virtual switch) in `netvsc_host.rs`.

use crate::consts::*;
use crate::datapath::{DropReason, RxHandlerResult, Xmit};
use crate::driver::{eth_validate_addr, Driver, DriverOps, NetDeviceOps};
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::wire::flow::FlowKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;

pub use super::netvsc_host::HV_VF_FLOWS_MAX;

/// The driver name (`dev_driver_string` of the VMBus device).
pub const NETVSC_DRIVER: &str = "hv_netvsc";
/// `NETVSC_MTU - ETH_HLEN`: the max MTU with NVSP ≥ 2 (every modelled host).
pub const NETVSC_MAX_MTU: u32 = 65535 - 14;
/// `VRSS_CHANNEL_MAX`: the queues `alloc_etherdev_mq` allocates.
pub const VRSS_CHANNEL_MAX: u32 = 64;
/// `netvsc_gso_max_size` (the default: GSO_LEGACY_MAX_SIZE).
pub const NETVSC_GSO_MAX_SIZE: u32 = 65536;

/// `struct netvsc_vf_pcpu_stats`, summed: what `ethtool -S` names
/// `vf_rx_packets` … `vf_tx_dropped`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VfStats {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub tx_dropped: u64,
}

/// `struct net_device_context` (hyperv_net.h), the part the model keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetvscPriv {
    /// The segment the host's virtual switch connects this vNIC to.
    pub segment: Arc<str>,
    /// `vf_netdev`: the joined VF (with a `dev_hold`).
    pub vf_netdev: Option<DevId>,
    /// `vf_alloc` / `vf_serial`: the host's last VF association message.
    pub vf_alloc: bool,
    pub vf_serial: u32,
    /// `data_path_is_vf`. Every modelled NVSP switch succeeds, so this is
    /// also the path the host forwards this vNIC's unicast on.
    pub data_path_is_vf: bool,
    /// `netvsc_vf_changed` is in `wait_for_completion(&vf_add)`: the switch
    /// to the VF happens when the association arrives (the kernel sleeps
    /// there holding RTNL; the model does not block the other requests).
    pub vf_add_waiting: bool,
    /// `vf_add.done`: completions not yet consumed by a wait — complete()
    /// with no waiter counts one, a wait takes one, reinit_completion() in
    /// netvsc_unregister_vf clears them.
    pub vf_add_done: u32,
    /// `nvdev` is set: false once `netvsc_remove` has started.
    pub nvdev: bool,
    /// `vf_stats`.
    pub vf_stats: VfStats,
    /// `tso_max_size`, as `netvsc_vf_changed` sets it on a switch.
    pub tso_max_size: u32,
    /// The host's side: the flows to this vNIC that the virtual switch has
    /// programmed into the VF's hardware path (`netvsc_host.rs`); emptied
    /// at every datapath switch, at most [`HV_VF_FLOWS_MAX`].
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub vf_flows: BTreeSet<FlowKey>,
}

/// `device_ops`.
const NETVSC_NETDEV_OPS: NetDeviceOps = NetDeviceOps {
    ndo_open: Some(netvsc_open),
    ndo_stop: Some(netvsc_close),
    ndo_validate_addr: Some(eth_validate_addr),
    ndo_set_mac_address: Some(netvsc_set_mac_addr),
    ndo_change_mtu: Some(netvsc_change_mtu),
    ndo_change_rx_flags: Some(netvsc_change_rx_flags),
    ndo_set_rx_mode: Some(netvsc_set_rx_mode),
    ndo_get_stats64: Some(netvsc_get_stats64),
    tso_max_size: Some(|k, dev| {
        k.netvsc(dev)
            .map_or(NETVSC_GSO_MAX_SIZE, |p| p.tso_max_size)
    }),
    device_driver: Some(|_| Some(NETVSC_DRIVER)),
    ..NetDeviceOps::new(NETVSC_DRIVER, netvsc_start_xmit)
};

/// A VMBus device: no `rtnl_link_ops`.
pub(crate) const NETVSC_OPS: DriverOps = DriverOps {
    netdev_ops: NETVSC_NETDEV_OPS,
    rtnl_link_ops: None,
};

/// `netvsc_open()`: carrier off, RNDIS open (the host reports the link
/// connected), carrier on, then the VF follows; its failure only warns.
fn netvsc_open(k: &mut Kernel, dev: DevId) -> KResult<()> {
    k.netif_carrier_off(dev);
    // `if (!rdev->link_state) netif_carrier_on(net)`: the host's link.
    if !k.hw_cable_pulled(dev) {
        k.netif_carrier_on(dev);
    }
    if let Some(vf) = k.netvsc(dev).and_then(|p| p.vf_netdev) {
        if let Err(e) = k.dev_open(vf) {
            let name = k.dev(vf).name;
            let msg = format!("unable to open slave: {name}: {}", -e.errno.number());
            k.netdev_printk(dev, &msg);
        }
    }
    Ok(())
}

/// `netvsc_close()`: RNDIS close, then `dev_close(vf)`. The carrier is
/// left as the host reported it.
fn netvsc_close(k: &mut Kernel, dev: DevId) {
    if let Some(vf) = k.netvsc(dev).and_then(|p| p.vf_netdev) {
        k.dev_close(vf);
    }
}

/// `netvsc_set_mac_addr()`: `eth_prepare_mac_addr_change`, the VF first,
/// then the host (RNDIS), which the model never refuses.
fn netvsc_set_mac_addr(k: &mut Kernel, dev: DevId, addr: HwAddr) -> KResult<()> {
    let d = k.dev(dev);
    if d.running() && d.priv_flags & IFF_LIVE_ADDR_CHANGE == 0 {
        return Err(KError::new(Errno::EBUSY));
    }
    if !addr.is_valid_ether() {
        return Err(KError::new(Errno::EADDRNOTAVAIL));
    }
    if !k.netvsc(dev).is_some_and(|p| p.nvdev) {
        return Err(KError::new(Errno::ENODEV));
    }
    if let Some(vf) = k.netvsc(dev).and_then(|p| p.vf_netdev) {
        // dev_set_mac_address(vf_netdev, addr, NULL): no extack.
        k.dev_set_mac_address(vf, addr)
            .map_err(|e| KError::new(e.errno))?;
    }
    k.dev_mut(dev).dev_addr = addr;
    Ok(())
}

/// `netvsc_change_mtu()`: the VF's MTU first (its error is the answer),
/// then the netvsc's own.
fn netvsc_change_mtu(k: &mut Kernel, dev: DevId, mtu: u32) -> KResult<()> {
    if !k.netvsc(dev).is_some_and(|p| p.nvdev) {
        return Err(KError::new(Errno::ENODEV));
    }
    if let Some(vf) = k.netvsc(dev).and_then(|p| p.vf_netdev) {
        k.dev_set_mtu_noext(vf, mtu)?;
    }
    k.dev_mut(dev).mtu = mtu;
    Ok(())
}

/// `netvsc_get_stats64()`: the synthetic channels' counters (the device's
/// own here) plus the VF's packets, bytes and tx drops.
/// `netvsc_change_rx_flags()`: the netvsc's IFF_PROMISC / IFF_ALLMULTI
/// flips become one more or one less count on its VF.
fn netvsc_change_rx_flags(k: &mut Kernel, dev: DevId, change: u32) {
    if let Some(vf) = k.netvsc(dev).and_then(|p| p.vf_netdev) {
        k.dev_pass_rx_flags(dev, vf, change);
    }
}

/// `netvsc_set_rx_mode()`: the netvsc's lists to its VF (`dev_uc_sync` /
/// `dev_mc_sync`: one lower), then the RNDIS packet filter, which the
/// model does not keep.
fn netvsc_set_rx_mode(k: &mut Kernel, dev: DevId) {
    if let Some(vf) = k.netvsc(dev).and_then(|p| p.vf_netdev) {
        let _ = k.dev_uc_sync(vf, dev);
        let _ = k.dev_mc_sync(vf, dev);
    }
}

fn netvsc_get_stats64(k: &mut Kernel, dev: DevId) -> crate::stats::DevStats {
    let mut t = k.dev(dev).stats;
    if let Some(p) = k.netvsc(dev) {
        let v = p.vf_stats;
        t.rx_packets += v.rx_packets;
        t.tx_packets += v.tx_packets;
        t.rx_bytes += v.rx_bytes;
        t.tx_bytes += v.tx_bytes;
        t.tx_dropped += v.tx_dropped;
    }
    t
}

/// `netvsc_xmit()`: through the VF iff it is joined, running, has carrier
/// and the datapath is switched to it (`netvsc_vf_xmit`, counted in
/// `vf_stats`); otherwise on the synthetic path (VMBus to the host's
/// switch), counted in the channel stats.
fn netvsc_start_xmit(k: &mut Kernel, dev: DevId, frame: &[u8]) -> Xmit {
    let vf = k.netvsc(dev).and_then(|p| {
        let vf = p.vf_netdev?;
        p.data_path_is_vf.then_some(vf)
    });
    if let Some(vf) = vf.filter(|&vf| k.dev(vf).running() && k.dev(vf).carrier) {
        let r = k.dev_queue_xmit(vf, frame);
        let s = &mut k.netvsc_mut(dev).vf_stats;
        if r == Xmit::Sent {
            s.tx_packets += 1;
            s.tx_bytes += frame.len() as u64;
        } else {
            s.tx_dropped += 1;
        }
        return r;
    }
    k.dev_mut(dev).stats.count_tx(frame.len());
    if k.segment_xmit(dev, frame) {
        Xmit::Sent
    } else {
        Xmit::Dropped(DropReason::Driver)
    }
}

/// `netvsc_vf_handle_frame()`: the joined VF's rx_handler. The frame is
/// counted in `vf_stats` and delivered again as received by the netvsc
/// (`rx_handler_data`, its master).
pub(crate) fn netvsc_vf_handle_frame(k: &mut Kernel, vf: DevId, frame: &[u8]) -> RxHandlerResult {
    let Some(ndev) = k.dev(vf).master.filter(|&m| k.netvsc(m).is_some()) else {
        return RxHandlerResult::Pass;
    };
    let s = &mut k.netvsc_mut(ndev).vf_stats;
    s.rx_packets += 1;
    s.rx_bytes += frame.len() as u64;
    RxHandlerResult::Another(ndev)
}

impl Driver {
    /// `netdev_priv()` of a netvsc device.
    pub fn netvsc(&self) -> Option<&NetvscPriv> {
        match self {
            Driver::Netvsc(p) => Some(p),
            _ => None,
        }
    }
}

impl Kernel {
    /// `dev_set_mtu()` (not `_ext`): its own extack, whose message goes to
    /// the log (`net_err_ratelimited("%s: %s")`), not to the caller.
    pub(crate) fn dev_set_mtu_noext(&mut self, dev: DevId, mtu: u32) -> KResult<()> {
        self.dev_set_mtu(dev, mtu).map_err(|e| {
            if let Some(m) = e.extack.as_deref() {
                let line = format!("{}: {m}", self.dev(dev).name);
                self.printk(line);
            }
            KError::new(e.errno)
        })
    }

    /// The netvsc private state of `dev`, if `dev->netdev_ops == &device_ops`.
    pub fn netvsc(&self, dev: DevId) -> Option<&NetvscPriv> {
        self.try_dev(dev)?.driver.netvsc()
    }

    pub(crate) fn netvsc_mut(&mut self, dev: DevId) -> &mut NetvscPriv {
        match &mut self.dev_mut(dev).driver {
            Driver::Netvsc(p) => p,
            _ => unreachable!("not a netvsc device"),
        }
    }

    /// `netvsc_probe()` up to `register_netdevice`: `alloc_etherdev_mq`
    /// (64 queues), carrier off, `rndis_filter_device_add` (the host's VF
    /// association for an already offered VF arrives on the channel here,
    /// before the device has a name), the MAC, the MTU range. RTNL is held
    /// from before the RNDIS add to after the scan (d30fb712e529).
    pub(crate) fn netvsc_probe(
        &mut self,
        net: NetId,
        bus_id: &str,
        mac: HwAddr,
        segment: &str,
    ) -> KResult<DevId> {
        let dev = self.alloc_netdev(
            net,
            "eth%d",
            NameAssign::Enum,
            Driver::Netvsc(Box::new(NetvscPriv {
                segment: segment.into(),
                vf_netdev: None,
                vf_alloc: false,
                vf_serial: 0,
                data_path_is_vf: false,
                vf_add_waiting: false,
                vf_add_done: 0,
                nvdev: true,
                vf_stats: VfStats::default(),
                tso_max_size: NETVSC_GSO_MAX_SIZE,
                vf_flows: BTreeSet::new(),
            })),
        );
        {
            let d = self.dev_mut(dev);
            d.ether_setup();
            d.limits.num_tx_queues = VRSS_CHANNEL_MAX;
            d.limits.num_rx_queues = VRSS_CHANNEL_MAX;
            d.parent = Some(bus_id.into());
            d.carrier = false;
            d.dev_addr = mac;
            d.addr_assign_type = AddrAssign::Perm;
            d.min_mtu = ETH_MIN_MTU;
            d.max_mtu = NETVSC_MAX_MTU;
        }
        self.hv_deliver_vf_associations(dev, mac);
        if let Err(e) = self.register_netdevice(dev) {
            // pr_err with netvsc_drv.c's pr_fmt (KBUILD_MODNAME ": ").
            self.printk("hv_netvsc: Unable to register netdev.".to_string());
            self.free_netdev(dev);
            return Err(e);
        }
        if self.inflight.parked.is_none() {
            self.netvsc_probe_finish(dev);
        }
        Ok(dev)
    }

    /// The rest of `netvsc_probe()` after `register_netdevice`: onto
    /// `netvsc_dev_list` (`list_add`, at the head), then the scan for a VF
    /// whose NETDEV_REGISTER found no netvsc (9cae43da9867). Before
    /// 85520856466e `netvsc_drv_init` registered the notifier only after
    /// `vmbus_driver_register` had probed: its replay comes now.
    pub(crate) fn netvsc_probe_finish(&mut self, dev: DevId) {
        self.modules.netvsc.dev_list.insert(0, dev);
        if self.profile.netvsc_probe_scan {
            self.netvsc_probe_scan(dev);
        }
        if !self.modules.netvsc.loaded {
            self.netvsc_drv_init();
        }
    }

    /// `netvsc_remove()`: no more `nvdev`, cancel `vfns_work`, release the
    /// VF (`netvsc_unregister_vf`), unregister, off the list.
    pub(crate) fn netvsc_remove(&mut self, dev: DevId) {
        use crate::workqueue::Work;
        self.deferred.workqueue.cancel(Work::NetvscVfns(dev));
        if let Some(vf) = self.netvsc(dev).and_then(|p| p.vf_netdev) {
            self.netvsc_unregister_vf(vf);
        }
        self.netvsc_mut(dev).nvdev = false;
        self.unregister_netdevice(dev);
        self.modules.netvsc.dev_list.retain(|&d| d != dev);
    }

    /// `dev->dev.parent`'s sysfs path for a VMBus device.
    pub(crate) fn vmbus_devpath(bus: &str, name: &str) -> String {
        format!("/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/{bus}/net/{name}")
    }
}
