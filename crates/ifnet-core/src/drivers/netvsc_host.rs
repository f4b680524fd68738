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
//!
//! **First packets of a flow.** Azure's switch (VFP) forwards a flow to the
//! VF only once it has programmed the flow into the VF's hardware path, and
//! it does that on the flow's first packet, which it delivers on the
//! synthetic path. So while the datapath is on the VF, the first unicast
//! packet of each flow ([`FlowKey`]: the 5-tuple, or source MAC and
//! EtherType for what is not IP) arrives on the netvsc, and the rest on the
//! VF. A datapath switch reprograms the vport and forgets its flows. That
//! one packet takes the slow path is the model's reading of Microsoft's
//! description ("the first packets of a flow"); the host's exact count and
//! its table's eviction are not public. The table is bounded
//! ([`HV_VF_FLOWS_MAX`]); when full, the smallest key is evicted.

use crate::datapath::ETH_HLEN;
use crate::driver::Driver;
use crate::hw::HwSpec;
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::wire::flow::FlowKey;

/// Bound on the flows the host keeps programmed per vNIC.
pub const HV_VF_FLOWS_MAX: usize = 4096;

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

    /// The netvsc of the vNIC with MAC `mac`, when its datapath is on the VF.
    fn hv_vnic_on_vf(&self, mac: HwAddr) -> Option<DevId> {
        self.modules.netvsc.dev_list.iter().copied().find(|&n| {
            self.dev(n).perm_addr == mac && self.netvsc(n).is_some_and(|p| p.data_path_is_vf)
        })
    }

    /// The switch's decision for a frame `from` sends, taken once per frame
    /// before it is copied to the segment's members: true when its
    /// destination is a vNIC whose datapath is on the VF and whose flow is
    /// already programmed there. Otherwise the frame takes the synthetic
    /// path, and a new flow of such a vNIC is programmed now (for its next
    /// packets).
    #[inline]
    pub(crate) fn hv_vswitch_route(&mut self, from: DevId, frame: &[u8]) -> bool {
        if self.modules.netvsc.dev_list.is_empty() || frame.len() < ETH_HLEN || frame[0] & 1 != 0 {
            return false;
        }
        let Some(port) = HwAddr::new(&frame[..6]) else {
            return false;
        };
        if self.hv_vport(from) == Some(port) {
            return false;
        }
        let (Some(ndev), Some(key)) = (self.hv_vnic_on_vf(port), FlowKey::from_ethernet(frame))
        else {
            return false;
        };
        let flows = &mut self.netvsc_mut(ndev).vf_flows;
        if flows.contains(&key) {
            return true;
        }
        if flows.len() >= HV_VF_FLOWS_MAX {
            flows.pop_first();
        }
        flows.insert(key);
        false
    }

    /// Whether the switch copies a frame from `from` to segment member `to`
    /// (true for members that are not Hyper-V ports); `to_vf` is
    /// [`Kernel::hv_vswitch_route`]'s decision for the frame.
    #[inline]
    pub(crate) fn hv_vswitch_forwards(
        &self,
        from: DevId,
        to: DevId,
        frame: &[u8],
        to_vf: bool,
    ) -> bool {
        let Some(port) = self.hv_vport(to) else {
            return true;
        };
        if self.hv_vport(from) == Some(port) {
            return false;
        }
        let unicast_for_port =
            frame.len() >= ETH_HLEN && &frame[..6] == port.as_bytes() && frame[0] & 1 == 0;
        let on_vf = unicast_for_port && to_vf;
        let is_vf = self.netvsc(to).is_none();
        on_vf == is_vf
    }
}
