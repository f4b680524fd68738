//! A physical Ethernet NIC as a PCI driver would register it: it has a
//! parent bus device and a driver name, no `rtnl_link_ops` (so `ip link del`
//! refuses it and a dying namespace hands it back to init_net), and carrier
//! follows the (modelled) PHY: up when the device is open.

use crate::consts::*;
use crate::driver::Driver;
use crate::errno::KResult;
use crate::hwaddr::HwAddr;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;

impl Kernel {
    /// The driver's probe: `alloc_etherdev` + `SET_NETDEV_DEV` +
    /// `register_netdev`, then `netif_carrier_off` until the link comes up.
    pub(crate) fn nic_probe(
        &mut self,
        net: NetId,
        bus_id: &str,
        mac: HwAddr,
        driver_name: &str,
        segment: &str,
    ) -> KResult<DevId> {
        let dev = self.alloc_netdev(
            net,
            "eth%d",
            NameAssign::Enum,
            Driver::Nic {
                driver_name: driver_name.to_string(),
                segment: segment.to_string(),
            },
        );
        {
            let d = self.dev_mut(dev);
            d.ether_setup();
            d.max_mtu = 9000;
            d.dev_addr = mac;
            d.addr_assign_type = AddrAssign::Perm;
            d.parent = Some(bus_id.to_string());
        }
        if let Err(e) = self.register_netdevice(dev) {
            self.free_netdev(dev);
            return Err(e);
        }
        self.netif_carrier_off(dev);
        Ok(dev)
    }
}
