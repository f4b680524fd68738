//! Ethernet devices on the hardware bus: a PCI NIC or VF (it has a parent
//! bus device and a driver name, no `rtnl_link_ops`, so `ip link del`
//! refuses it and a dying namespace hands it back to init_net), and
//! virtio-net (`virtnet_probe`), which with VIRTIO_NET_F_STANDBY first
//! creates the net_failover master and then registers itself as its
//! standby. Carrier follows the (modelled) PHY: up while the device is open.
//! Transmit puts the frame on the NIC's segment (`datapath/segment.rs`, the
//! cable); receive is the MAC filter and the counters.

use crate::consts::*;
use crate::datapath::{DropReason, Xmit};
use crate::driver::{eth_mac_addr, eth_validate_addr, Driver, DriverOps, NetDeviceOps};
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::netdev::RxHandler;
use crate::wire::EthernetFrame;

/// The PCI NIC's / virtio-net's `net_device_ops` (one table: the modelled
/// drivers differ only in what their private state says).
const NIC_NETDEV_OPS: NetDeviceOps = NetDeviceOps {
    ndo_open: Some(nic_open),
    ndo_stop: Some(nic_stop),
    ndo_validate_addr: Some(eth_validate_addr),
    ndo_set_mac_address: Some(nic_set_mac_address),
    device_driver: Some(nic_device_driver),
    ..NetDeviceOps::new("nic", nic_xmit)
};

/// Bus devices have no `rtnl_link_ops`.
pub(crate) const NIC_OPS: DriverOps = DriverOps {
    netdev_ops: NIC_NETDEV_OPS,
    rtnl_link_ops: None,
};

/// The PHY negotiates link once the device is open, if its cable is in.
fn nic_open(k: &mut Kernel, dev: DevId) -> KResult<()> {
    if !k.hw_cable_pulled(dev) {
        k.netif_carrier_on(dev);
    }
    Ok(())
}

fn nic_stop(k: &mut Kernel, dev: DevId) {
    k.netif_carrier_off(dev);
}

/// `eth_mac_addr`; `virtnet_set_mac_address()`: a STANDBY device refuses.
fn nic_set_mac_address(k: &mut Kernel, dev: DevId, addr: HwAddr) -> KResult<()> {
    if matches!(k.dev(dev).driver, Driver::Nic { standby: true, .. }) {
        return Err(KError::new(Errno::EOPNOTSUPP));
    }
    eth_mac_addr(k, dev, addr)
}

fn nic_device_driver(d: &Driver) -> Option<&str> {
    match d {
        Driver::Nic { driver_name, .. } => Some(driver_name),
        _ => None,
    }
}

/// A NIC's `ndo_start_xmit`: onto the segment, to every other NIC that
/// is UP (its PHY has link). No allocation unless a frame is delayed.
fn nic_xmit(k: &mut Kernel, dev: DevId, frame: &[u8]) -> Xmit {
    k.dev_mut(dev).stats.count_tx(frame.len());
    if k.segment_xmit(dev, frame) {
        Xmit::Sent
    } else {
        Xmit::Dropped(DropReason::Driver)
    }
}

/// What kind of bus device a NIC driver is probing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NicKind {
    pub driver_name: String,
    pub segment: String,
    /// virtio-net (parent is the virtio device) rather than PCI.
    pub virtio: bool,
    /// VIRTIO_NET_F_STANDBY was negotiated.
    pub standby: bool,
    /// The PCI slot's name as a number: a Hyper-V VF's serial (hv_pci).
    pub slot: Option<u32>,
}

impl Driver {
    /// The segment a NIC (or a netvsc's virtual switch port) is cabled to.
    pub fn nic_segment(&self) -> Option<&str> {
        match self {
            Driver::Nic { segment, .. } => Some(segment),
            Driver::Netvsc(p) => Some(&p.segment),
            // An HCA port (not a P_Key child, which shares its port's).
            Driver::Ipoib(p) if p.parent.is_none() => Some(&p.segment),
            _ => None,
        }
    }

    /// `pci_slot_name(pdev->slot)` parsed as the VF serial, if the parent
    /// PCI device has a slot (only Hyper-V's PCI front end names them).
    pub fn pci_slot(&self) -> Option<u32> {
        match self {
            Driver::Nic {
                slot,
                virtio: false,
                ..
            } => *slot,
            _ => None,
        }
    }

    /// (virtio, VIRTIO_NET_F_STANDBY) of a NIC.
    pub fn nic_virtio_standby(&self) -> Option<(bool, bool)> {
        match self {
            Driver::Nic {
                virtio, standby, ..
            } => Some((*virtio, *standby)),
            _ => None,
        }
    }
}

impl Kernel {
    /// The segment a NIC is cabled to.
    pub fn nic_segment(&self, dev: DevId) -> Option<&str> {
        self.dev(dev).driver.nic_segment()
    }

    /// `dev_is_pci(dev->dev.parent)`.
    pub fn dev_parent_is_pci(&self, dev: DevId) -> bool {
        matches!(self.dev(dev).driver, Driver::Nic { virtio: false, .. })
    }

    /// `dev->dev.parent->bus->name` of a device with a parent.
    pub(crate) fn dev_parent_bus_name(&self, dev: DevId) -> &'static str {
        match self.dev(dev).driver {
            Driver::Nic { virtio: true, .. } => "virtio",
            Driver::Netvsc(_) => "vmbus",
            _ => "pci",
        }
    }

    /// The receiving NIC's driver: no link → nothing; a damaged frame is an
    /// FCS error; otherwise counted and handed to the stack.
    pub(crate) fn nic_receive(&mut self, dev: DevId, frame: &[u8], corrupt: bool) {
        let Some(d) = self.try_dev(dev) else {
            return;
        };
        if !d.running() || !d.carrier {
            return;
        }
        // The MAC filter: unicast for someone else is dropped in hardware
        // (ports of a bridge are promiscuous); a runt shorter than ETH_HLEN
        // has no destination to match.
        let dst = EthernetFrame::new_checked(frame).ok().map(|e| e.dst_addr());
        let multicast = dst.is_some_and(|a| a.is_multicast());
        let for_us = multicast
            || d.rx_handler == Some(RxHandler::BridgePort)
            || dst.is_some_and(|a| {
                &a.0[..] == d.dev_addr.as_bytes()
                    || d.addr_lists.uc.iter().any(|e| e.addr.as_bytes() == a.0)
            });
        if !for_us {
            return;
        }
        let s = &mut self.dev_mut(dev).stats;
        if corrupt {
            s.rx_errors += 1;
            s.rx_crc_errors += 1;
            return;
        }
        s.count_rx(frame.len());
        if multicast {
            s.multicast += 1;
        }
        self.netif_receive(dev, frame);
    }

    /// `alloc_etherdev` + `SET_NETDEV_DEV`: the netdev, not registered yet.
    fn nic_alloc(&mut self, net: NetId, bus_id: &str, mac: HwAddr, kind: &NicKind) -> DevId {
        let dev = self.alloc_netdev(
            net,
            "eth%d",
            NameAssign::Enum,
            Driver::Nic {
                driver_name: kind.driver_name.as_str().into(),
                segment: kind.segment.as_str().into(),
                virtio: kind.virtio,
                standby: kind.standby,
                slot: kind.slot,
            },
        );
        let d = self.dev_mut(dev);
        d.ether_setup();
        // mlx5's hardware limit is 9978; the other modelled drivers take 9000.
        d.max_mtu = if kind.driver_name == "mlx5_core" {
            9978
        } else {
            9000
        };
        d.dev_addr = mac;
        d.addr_assign_type = AddrAssign::Perm;
        d.parent = Some(bus_id.into());
        // netif_carrier_off() before register_netdev(): no link until the
        // device is opened (a failover master may open it during
        // NETDEV_REGISTER already).
        d.carrier = false;
        dev
    }

    /// The driver's probe: `register_netdev` with the carrier off until the
    /// link comes up. For a virtio-net standby the failover
    /// master is created first (`net_failover_create`). Returns the netdev
    /// and, for a standby, the master.
    pub(crate) fn nic_probe(
        &mut self,
        net: NetId,
        bus_id: &str,
        mac: HwAddr,
        kind: &NicKind,
    ) -> KResult<(DevId, Option<DevId>)> {
        let dev = self.nic_alloc(net, bus_id, mac, kind);
        let master = if kind.standby {
            match self.net_failover_create(dev) {
                Ok(m) => Some(m),
                Err(e) => {
                    self.free_netdev(dev);
                    return Err(e);
                }
            }
        } else {
            None
        };
        if let Err(e) = self.register_netdevice(dev) {
            self.free_netdev(dev);
            if let Some(m) = master {
                self.net_failover_destroy(m);
            }
            return Err(e);
        }
        Ok((dev, master))
    }
}
