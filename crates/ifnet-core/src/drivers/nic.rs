//! Ethernet devices on the hardware bus: a PCI NIC or VF (it has a parent
//! bus device and a driver name, no `rtnl_link_ops`, so `ip link del`
//! refuses it and a dying namespace hands it back to init_net), and
//! virtio-net (`virtnet_probe`), which with VIRTIO_NET_F_STANDBY first
//! creates the net_failover master and then registers itself as its
//! standby. Carrier follows the (modelled) PHY: up while the device is open.

use crate::consts::*;
use crate::driver::Driver;
use crate::errno::KResult;
use crate::hwaddr::HwAddr;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;

/// What kind of bus device a NIC driver is probing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NicKind {
    pub driver_name: String,
    pub segment: String,
    /// virtio-net (parent is the virtio device) rather than PCI.
    pub virtio: bool,
    /// VIRTIO_NET_F_STANDBY was negotiated.
    pub standby: bool,
}

impl Kernel {
    /// `alloc_etherdev` + `SET_NETDEV_DEV`: the netdev, not registered yet.
    fn nic_alloc(&mut self, net: NetId, bus_id: &str, mac: HwAddr, kind: &NicKind) -> DevId {
        let dev = self.alloc_netdev(
            net,
            "eth%d",
            NameAssign::Enum,
            Driver::Nic {
                driver_name: kind.driver_name.clone(),
                segment: kind.segment.clone(),
                virtio: kind.virtio,
                standby: kind.standby,
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
        d.parent = Some(bus_id.to_string());
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
