//! The hardware bus: devices the "hypervisor" plugs and unplugs. A plugged
//! device is probed by its driver, which registers a netdev in init_net (as
//! PCI probing does); unplugging removes the netdev wherever it now lives.

use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default driver for `hw add … type nic`.
pub const DEFAULT_NIC_DRIVER: &str = "e1000";
/// Default driver for `hw add … type vf`.
pub const DEFAULT_VF_DRIVER: &str = "mlx5_core";

/// What can be plugged in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HwSpec {
    /// A physical Ethernet NIC cabled to `segment` (default "lan").
    Nic {
        mac: HwAddr,
        driver: Option<String>,
        segment: Option<String>,
    },
    /// A virtio-net device; `standby` is VIRTIO_NET_F_STANDBY.
    VirtioNet {
        mac: HwAddr,
        standby: bool,
        segment: Option<String>,
    },
    /// A PCI virtual function (SR-IOV VF), default driver mlx5_core, on a
    /// bus with no slot information (what failover pairs by MAC).
    Vf {
        mac: HwAddr,
        driver: Option<String>,
        segment: Option<String>,
    },
    /// A Hyper-V VMBus synthetic NIC (hv_netvsc).
    Netvsc {
        mac: HwAddr,
        segment: Option<String>,
    },
    /// A PCI VF passed through by Hyper-V's PCI front end (hv_pci): its
    /// PCI slot is named after the VF `serial` (what `get_netvsc_byslot`
    /// parses). Unless `no_assoc`, the host sends the netvsc with the same
    /// MAC the VF association message for it (`netvsc_send_vf`). `type vf
    /// … serial N` makes this one; without a serial it is [`HwSpec::Vf`].
    HvVf {
        mac: HwAddr,
        serial: u32,
        driver: Option<String>,
        segment: Option<String>,
        no_assoc: bool,
    },
    /// An InfiniBand HCA port (one port, its IPoIB device `ib%d`) with port
    /// GUID `guid`, the UD QP number `qpn`, cabled to the InfiniBand
    /// segment `segment` (default "ib") whose broadcast group has IB MTU
    /// `ib_mtu` (2048 or 4096).
    Ipoib {
        guid: u64,
        qpn: u32,
        segment: Option<String>,
        ib_mtu: u32,
    },
}

/// The QPN `hw add … type ipoib` gives when none is named.
pub const DEFAULT_IPOIB_QPN: u32 = 0x48;

/// The VF drivers Azure's accelerated networking binds.
pub const HV_VF_DRIVERS: [&str; 3] = ["mlx5_core", "mlx4_core", "mana"];

impl HwSpec {
    pub fn mac(&self) -> HwAddr {
        match self {
            HwSpec::Nic { mac, .. }
            | HwSpec::VirtioNet { mac, .. }
            | HwSpec::Vf { mac, .. }
            | HwSpec::Netvsc { mac, .. }
            | HwSpec::HvVf { mac, .. } => *mac,
            HwSpec::Ipoib { guid, qpn, .. } => {
                HwAddr::new(self.ipoib_addr(*guid, *qpn).as_bytes()).expect("20 bytes")
            }
        }
    }

    /// The 20-byte IPoIB address of an HCA port: IPOIB_FLAGS_RC (the
    /// port supports connected mode), the QPN, the port GID.
    fn ipoib_addr(&self, guid: u64, qpn: u32) -> crate::wire::InfinibandAddress {
        let gid = crate::drivers::ipoib::ipoib_port_gid(guid);
        crate::wire::InfinibandAddress::new(crate::wire::ipoib::FLAGS_RC, qpn, gid)
    }

    /// Whether the device's address is one its hardware can have: a valid
    /// Ethernet unicast MAC; an IB port with a non-zero GUID, a QPN that
    /// is neither QP0/QP1 nor the multicast QPN, and a 2K or 4K IB MTU.
    pub fn addr_valid(&self) -> bool {
        match self {
            HwSpec::Ipoib {
                guid, qpn, ib_mtu, ..
            } => *guid != 0 && (2..0xff_ffff).contains(qpn) && matches!(ib_mtu, 2048 | 4096),
            _ => self.mac().is_valid_ether(),
        }
    }

    /// The link type the device puts on its segment.
    pub fn dev_type(&self) -> u16 {
        match self {
            HwSpec::Ipoib { .. } => crate::consts::ARPHRD_INFINIBAND,
            _ => crate::consts::ARPHRD_ETHER,
        }
    }

    /// The name of the driver that binds (`device/driver`).
    pub(crate) fn driver_name(&self) -> String {
        self.kind().driver_name
    }

    /// The driver that binds and how it registers its netdev.
    fn kind(&self) -> crate::drivers::nic::NicKind {
        use crate::datapath::segment::{DEFAULT_IB_SEGMENT, DEFAULT_SEGMENT};
        let kind = |driver: String, segment: &Option<String>, default_segment: &str| {
            crate::drivers::nic::NicKind {
                driver_name: driver,
                segment: segment
                    .clone()
                    .unwrap_or_else(|| default_segment.to_string()),
                virtio: false,
                standby: false,
                slot: None,
            }
        };
        let or =
            |d: &Option<String>, default: &str| d.clone().unwrap_or_else(|| default.to_string());
        match self {
            HwSpec::Nic {
                driver, segment, ..
            } => kind(or(driver, DEFAULT_NIC_DRIVER), segment, DEFAULT_SEGMENT),
            HwSpec::Vf {
                driver, segment, ..
            } => kind(or(driver, DEFAULT_VF_DRIVER), segment, DEFAULT_SEGMENT),
            HwSpec::HvVf {
                driver,
                segment,
                serial,
                ..
            } => crate::drivers::nic::NicKind {
                slot: Some(*serial),
                ..kind(or(driver, DEFAULT_VF_DRIVER), segment, DEFAULT_SEGMENT)
            },
            HwSpec::VirtioNet {
                standby, segment, ..
            } => crate::drivers::nic::NicKind {
                virtio: true,
                standby: *standby,
                ..kind("virtio_net".to_string(), segment, DEFAULT_SEGMENT)
            },
            HwSpec::Netvsc { segment, .. } => kind(
                crate::drivers::netvsc::NETVSC_DRIVER.to_string(),
                segment,
                DEFAULT_SEGMENT,
            ),
            HwSpec::Ipoib { segment, .. } => kind(
                crate::drivers::ipoib::IPOIB_HCA_DRIVER.to_string(),
                segment,
                DEFAULT_IB_SEGMENT,
            ),
        }
    }
}

#[derive(Debug, Clone, Hash, Serialize, Deserialize)]
pub struct HwDevice {
    pub spec: HwSpec,
    /// The netdev the driver registered for it.
    pub netdev: Option<DevId>,
    /// For a virtio-net standby: the failover master it created.
    #[serde(default)]
    pub failover_master: Option<DevId>,
    /// The port's cable is pulled (`hw carrier BUSID off`): no link.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cable_pulled: bool,
}

#[derive(Debug, Clone, Hash, Default, Serialize, Deserialize)]
pub struct HwBus {
    pub devices: BTreeMap<String, HwDevice>,
}

/// A bus id is a sysfs directory name.
pub(crate) fn valid_bus_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id != "."
        && id != ".."
        && !id.contains('/')
        && !id.chars().any(char::is_whitespace)
}

impl Kernel {
    /// Hot-plugs a device and runs its driver's probe.
    /// The probe takes RTNL (`register_netdev`): refused while an operation
    /// is parked in a window. [`Kernel::hw_add_stepped`] stops inside it.
    pub fn hw_add(&mut self, bus_id: &str, spec: HwSpec) -> KResult<DevId> {
        self.rtnl_check()?;
        if !valid_bus_id(bus_id) {
            return Err(KError::msg(Errno::EINVAL, "Invalid bus id"));
        }
        if self.world.hw.devices.contains_key(bus_id) {
            return Err(KError::msg(
                Errno::EEXIST,
                "A device with this bus id exists",
            ));
        }
        if !spec.addr_valid() {
            let msg = match spec {
                HwSpec::Ipoib { .. } => "Invalid GUID, QPN or IB MTU",
                _ => "Invalid MAC address",
            };
            return Err(KError::msg(Errno::EADDRNOTAVAIL, msg));
        }
        let kind = spec.kind();
        if !self.segment_accepts(&kind.segment, spec.dev_type()) {
            return Err(KError::msg(
                Errno::EINVAL,
                "The segment carries another link type",
            ));
        }
        if let HwSpec::HvVf {
            driver: Some(d), ..
        } = &spec
        {
            if !HV_VF_DRIVERS.contains(&d.as_str()) {
                return Err(KError::msg(
                    Errno::EOPNOTSUPP,
                    "Hyper-V VF driver must be mlx5_core, mlx4_core or mana",
                ));
            }
        }
        let init = self.tables.init_net;
        let (dev, master) = match &spec {
            HwSpec::Netvsc { mac, .. } => {
                // The VMBus offer loads hv_netvsc: its notifier first
                // (85520856466e), else after the probe (netvsc_probe_finish).
                if self.profile.netvsc_notifier_before_probe {
                    self.netvsc_drv_init();
                }
                (self.netvsc_probe(init, bus_id, *mac, &kind.segment)?, None)
            }
            HwSpec::HvVf {
                mac,
                serial,
                no_assoc: false,
                ..
            } => {
                // The host's association for the VF, then the PCI offer
                // (either may come first, 365e1ececb29; the model sends
                // the message first).
                self.hv_send_vf_association(*mac, *serial, true);
                self.nic_probe(init, bus_id, spec.mac(), &kind)?
            }
            HwSpec::Ipoib {
                guid, qpn, ib_mtu, ..
            } => {
                let addr = spec.ipoib_addr(*guid, *qpn);
                let dev = self.ipoib_add_port(init, bus_id, addr, &kind.segment, *ib_mtu)?;
                (dev, None)
            }
            _ => self.nic_probe(init, bus_id, spec.mac(), &kind)?,
        };
        let seg = self.segment_mut(&kind.segment);
        seg.members.push(dev);
        self.world.hw.devices.insert(
            bus_id.to_string(),
            HwDevice {
                spec,
                netdev: Some(dev),
                failover_master: master,
                cable_pulled: false,
            },
        );
        Ok(dev)
    }

    /// Unplugs a device. `planned` lets the driver close the device first
    /// (a hot-unplug request); otherwise it is a surprise removal.
    pub fn hw_del(&mut self, bus_id: &str, planned: bool) -> KResult<()> {
        self.rtnl_check()?;
        let hw = self
            .world
            .hw
            .devices
            .remove(bus_id)
            .ok_or(KError::msg(Errno::ENODEV, "No device with this bus id"))?;
        for seg in &mut self.world.segments {
            seg.members.retain(|&d| Some(d) != hw.netdev);
        }
        if let Some(dev) = hw.netdev.filter(|&d| self.netvsc(d).is_some()) {
            // vmbus_device_unregister → netvsc_remove().
            self.netvsc_remove(dev);
            return Ok(());
        }
        if let Some(dev) = hw.netdev.filter(|&d| self.ipoib_priv(d).is_some()) {
            // ib_unregister_device → ipoib_remove_one(); a surprise removal
            // has lost the port first (IB_EVENT_DEVICE_FATAL).
            if !planned {
                for d in self.ipoib_port_interfaces(dev) {
                    self.ipoib_ib_dev_down(d);
                }
            }
            self.ipoib_remove_port(dev);
            return Ok(());
        }
        if let Some(dev) = hw.netdev.filter(|&d| self.try_dev(d).is_some()) {
            if planned {
                self.dev_close(dev);
            } else {
                // netif_device_detach(): carrier is gone at once.
                self.netif_carrier_off(dev);
            }
            self.unregister_netdevice(dev);
        }
        // virtnet_remove(): the standby is gone, then net_failover_destroy().
        if let Some(m) = hw.failover_master.filter(|&m| self.try_dev(m).is_some()) {
            self.net_failover_destroy(m);
        }
        // The host rescinds the VF's association after the PCI device.
        if let HwSpec::HvVf {
            mac,
            serial,
            no_assoc: false,
            ..
        } = hw.spec
        {
            self.hv_send_vf_association(mac, serial, false);
        }
        Ok(())
    }

    /// Completes the probe of `bus_id` parked in `register_netdevice(dev)`
    /// after KOBJ_ADD; on a NETDEV_REGISTER veto it unwinds as `hw_add`
    /// would have (the probe's cleanup, then no bus device and no cable).
    pub(crate) fn hw_add_resume(
        &mut self,
        bus_id: &str,
        dev: DevId,
        master: Option<DevId>,
        new_segment: bool,
    ) -> KResult<DevId> {
        let Err(e) = self.register_netdevice_finish(dev) else {
            if self.netvsc(dev).is_some() {
                self.netvsc_probe_finish(dev);
            }
            return Ok(dev);
        };
        // nic_probe()'s / netvsc_probe()'s error path.
        if self.netvsc(dev).is_some() {
            self.printk("hv_netvsc: Unable to register netdev.".to_string());
        }
        self.free_netdev(dev);
        if let Some(m) = master {
            self.net_failover_destroy(m);
        }
        self.world.hw.devices.remove(bus_id);
        for seg in &mut self.world.segments {
            seg.members.retain(|&d| d != dev);
        }
        if new_segment
            && self
                .world
                .segments
                .last()
                .is_some_and(|s| s.members.is_empty())
        {
            // hw_add cabled it to a segment it created: never there.
            self.world.segments.pop();
        }
        Err(e)
    }

    /// The host sends (`allocated`) or rescinds the VF association for the
    /// Hyper-V VF at `bus_id` now — late, as after a `no-assoc` plug
    /// (365e1ececb29: the message and the PCI offer race). ENODEV for no
    /// such VF; EOPNOTSUPP for a bus device that is not a Hyper-V VF.
    pub fn hw_vf_association(&mut self, bus_id: &str, allocated: bool) -> KResult<()> {
        self.rtnl_check()?;
        let hw = self
            .world
            .hw
            .devices
            .get_mut(bus_id)
            .ok_or(KError::msg(Errno::ENODEV, "No device with this bus id"))?;
        let HwSpec::HvVf {
            mac,
            serial,
            no_assoc,
            ..
        } = &mut hw.spec
        else {
            return Err(KError::msg(Errno::EOPNOTSUPP, "Not a Hyper-V VF"));
        };
        // What the host will rescind at removal follows its last message.
        *no_assoc = !allocated;
        let (mac, serial) = (*mac, *serial);
        self.hv_send_vf_association(mac, serial, allocated);
        Ok(())
    }

    /// `hw carrier BUSID on|off`: the port's cable is pulled or plugged
    /// back, as a switch-port failure would. The driver sees its link
    /// interrupt: a NIC's PHY (link again only while the device is open),
    /// the Hyper-V host's RNDIS media status (netvsc), the HCA's
    /// IB_EVENT_PORT_ERR / PORT_ACTIVE (IPoIB: carrier returns after the
    /// broadcast group is joined again). ENODEV for no such bus device.
    pub fn hw_carrier(&mut self, bus_id: &str, on: bool) -> KResult<()> {
        self.rtnl_check()?;
        let hw = self
            .world
            .hw
            .devices
            .get_mut(bus_id)
            .ok_or(KError::msg(Errno::ENODEV, "No device with this bus id"))?;
        if hw.cable_pulled != on {
            return Ok(());
        }
        hw.cable_pulled = !on;
        let Some(dev) = hw.netdev.filter(|&d| self.try_dev(d).is_some()) else {
            return Ok(());
        };
        if self.ipoib_priv(dev).is_some() {
            self.ipoib_port_event(dev);
        } else if !on {
            self.netif_carrier_off(dev);
        } else if self.dev(dev).running() || self.netvsc(dev).is_some() {
            self.netif_carrier_on(dev);
        }
        Ok(())
    }

    /// Whether the cable of the bus device behind `dev` (its parent) is
    /// pulled.
    pub fn hw_cable_pulled(&self, dev: DevId) -> bool {
        let bus = self.try_dev(dev).and_then(|d| d.parent.as_deref());
        bus.and_then(|b| self.world.hw.devices.get(b))
            .is_some_and(|h| h.cable_pulled)
    }

    /// Bus ids with their spec and netdev, sorted, borrowed (what an
    /// explorer's invariant reads at every state).
    pub fn hw_iter(&self) -> impl Iterator<Item = (&str, &HwSpec, Option<DevId>)> + '_ {
        self.world
            .hw
            .devices
            .iter()
            .map(|(id, h)| (id.as_str(), &h.spec, h.netdev))
    }

    /// Bus ids with their netdev, sorted.
    pub fn hw_list(&self) -> Vec<(String, HwSpec, Option<DevId>)> {
        self.world
            .hw
            .devices
            .iter()
            .map(|(id, h)| (id.clone(), h.spec.clone(), h.netdev))
            .collect()
    }
}
