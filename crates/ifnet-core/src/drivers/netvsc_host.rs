//! The Hyper-V host as hv_netvsc sees it: the NVSP VF association message
//! (`netvsc_send_vf`, netvsc.c) and the virtual switch that forwards a
//! vNIC's frames either to its synthetic NIC or to its VF.
//!
//! The host pairs a VF with the vNIC of the same MAC (on Azure a VF cannot
//! take a MAC that belongs to an unrelated netvsc). Forwarding follows
//! what Azure does: unicast for the vNIC goes to the VF while the guest has
//! switched the datapath to it (NVSP_MSG4_TYPE_SWITCH_DATA_PATH), else to
//! the synthetic NIC; broadcast and multicast always to the synthetic NIC;
//! nothing is sent back to the vNIC it came from.

use crate::datapath::ETH_HLEN;
use crate::driver::Driver;
use crate::hw::HwSpec;
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;

impl Kernel {
    /// The host sends NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION for VF `serial` to
    /// the registered netvsc(s) with MAC `mac`, if any.
    pub(crate) fn hv_send_vf_association(&mut self, mac: HwAddr, serial: u32, allocated: bool) {
        let targets: Vec<DevId> = self
            .world
            .hw
            .devices
            .values()
            .filter(|h| matches!(h.spec, HwSpec::Netvsc { mac: m, .. } if m == mac))
            .filter_map(|h| h.netdev)
            .filter(|&d| self.netvsc(d).is_some())
            .collect();
        for ndev in targets {
            self.netvsc_send_vf(ndev, allocated, serial);
        }
    }

    /// During `rndis_filter_device_add` of a new netvsc with MAC `mac`: the
    /// host's association for a VF already offered arrives on the channel,
    /// before the netvsc is registered (its log line has no name yet).
    pub(crate) fn hv_deliver_vf_associations(&mut self, ndev: DevId, mac: HwAddr) {
        let serials: Vec<u32> = self
            .world
            .hw
            .devices
            .values()
            .filter_map(|h| match h.spec {
                HwSpec::HvVf {
                    mac: m,
                    serial,
                    no_assoc: false,
                    ..
                } if m == mac => Some(serial),
                _ => None,
            })
            .collect();
        for serial in serials {
            self.netvsc_send_vf(ndev, true, serial);
        }
    }

    /// `netvsc_send_vf()`: `vf_alloc`, `vf_serial`, `complete(&vf_add)` when
    /// allocated, and the log line. A `netvsc_vf_changed` waiting for the
    /// completion then switches the datapath; with no waiter the completion
    /// is counted for the next wait.
    pub(crate) fn netvsc_send_vf(&mut self, ndev: DevId, allocated: bool, serial: u32) {
        let p = self.netvsc_mut(ndev);
        p.vf_alloc = allocated;
        p.vf_serial = serial;
        let waiting = allocated && std::mem::take(&mut p.vf_add_waiting);
        if allocated && !waiting {
            p.vf_add_done = p.vf_add_done.saturating_add(1);
        }
        let what = if allocated { "added" } else { "removed" };
        self.netdev_printk(ndev, &format!("VF slot {serial} {what}"));
        if !waiting {
            return;
        }
        let vf = self.netvsc(ndev).and_then(|p| p.vf_netdev);
        if let Some(vf) = vf.filter(|&vf| self.netif_running(vf)) {
            if !self.netvsc(ndev).is_some_and(|p| p.data_path_is_vf) {
                self.netvsc_switch_datapath(ndev, vf, true);
            }
        }
    }

    /// The vNIC (its MAC) a device is a port of: a netvsc, or a Hyper-V VF.
    fn hv_vport(&self, dev: DevId) -> Option<HwAddr> {
        let d = self.try_dev(dev)?;
        match &d.driver {
            Driver::Netvsc(_) => Some(d.perm_addr),
            Driver::Nic { slot: Some(_), .. } => Some(d.perm_addr),
            _ => None,
        }
    }

    /// Whether the vNIC with MAC `mac` has its datapath on the VF.
    fn hv_vnic_on_vf(&self, mac: HwAddr) -> bool {
        self.modules.netvsc.dev_list.iter().any(|&n| {
            self.dev(n).perm_addr == mac && self.netvsc(n).is_some_and(|p| p.data_path_is_vf)
        })
    }

    /// The virtual switch's choice for a frame from `from` to segment
    /// member `to` (true for members that are not Hyper-V ports).
    #[inline]
    pub(crate) fn hv_vswitch_forwards(&self, from: DevId, to: DevId, frame: &[u8]) -> bool {
        let Some(port) = self.hv_vport(to) else {
            return true;
        };
        if self.hv_vport(from) == Some(port) {
            return false;
        }
        let unicast_for_port =
            frame.len() >= ETH_HLEN && &frame[..6] == port.as_bytes() && frame[0] & 1 == 0;
        let on_vf = unicast_for_port && self.hv_vnic_on_vf(port);
        let is_vf = self.netvsc(to).is_none();
        on_vf == is_vf
    }
}
