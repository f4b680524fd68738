//! Driver ops tables (`net_device_ops` + `rtnl_link_ops`).
//!
//! A device's [`Driver`] is its private state; the `ndo_*` methods on
//! `Kernel` dispatch on it, the way the kernel calls through
//! `dev->netdev_ops`. Drivers live in `drivers/`.

use crate::drivers::bridge::BridgePriv;
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Driver {
    /// drivers/net/loopback.c
    Loopback,
    /// drivers/net/veth.c; `peer` is `priv->peer`.
    Veth { peer: Option<DevId> },
    /// net/bridge
    Bridge(Box<BridgePriv>),
    /// An Ethernet NIC found on the hardware bus, cabled to a named
    /// segment: a PCI NIC or VF (`virtio == false`), or a virtio-net device
    /// (its parent is the virtio device, not PCI) that may be a failover
    /// standby (VIRTIO_NET_F_STANDBY).
    Nic {
        driver_name: String,
        segment: String,
        #[serde(default)]
        virtio: bool,
        #[serde(default)]
        standby: bool,
    },
    /// drivers/net/net_failover.c: the failover master.
    NetFailover(Box<crate::drivers::net_failover::NetFailoverPriv>),
}

impl Driver {
    /// `rtnl_link_ops->kind`, if the device was made through rtnetlink.
    pub fn rtnl_kind(&self) -> Option<&'static str> {
        match self {
            Driver::Veth { .. } => Some("veth"),
            Driver::Bridge(_) => Some("bridge"),
            Driver::Loopback | Driver::Nic { .. } | Driver::NetFailover(_) => None,
        }
    }

    /// `rtnl_link_ops->netns_refund`: none of the modelled kinds set it.
    pub fn netns_refund(&self) -> bool {
        false
    }

    /// What sysfs `device/driver` names (physical devices only).
    pub fn driver_name(&self) -> Option<&str> {
        match self {
            Driver::Nic { driver_name, .. } => Some(driver_name),
            Driver::NetFailover(_) => Some("net_failover"),
            _ => None,
        }
    }

    pub fn is_bridge(&self) -> bool {
        matches!(self, Driver::Bridge(_))
    }

    pub fn bridge(&self) -> Option<&BridgePriv> {
        match self {
            Driver::Bridge(b) => Some(b),
            _ => None,
        }
    }

    pub fn bridge_mut(&mut self) -> Option<&mut BridgePriv> {
        match self {
            Driver::Bridge(b) => Some(b),
            _ => None,
        }
    }

    pub fn veth_peer(&self) -> Option<DevId> {
        match self {
            Driver::Veth { peer } => *peer,
            _ => None,
        }
    }
}

impl Kernel {
    /// `ndo_open`.
    pub(crate) fn ndo_open(&mut self, dev: DevId) -> KResult<()> {
        match self.dev(dev).driver {
            Driver::Veth { peer } => self.veth_open(dev, peer),
            Driver::Bridge(_) => {
                self.br_dev_open(dev);
                Ok(())
            }
            Driver::Nic { .. } => {
                // The PHY negotiates link once the device is open.
                self.netif_carrier_on(dev);
                Ok(())
            }
            Driver::NetFailover(_) => self.net_failover_open(dev),
            Driver::Loopback => Ok(()),
        }
    }

    /// `ndo_stop`.
    pub(crate) fn ndo_stop(&mut self, dev: DevId) {
        match self.dev(dev).driver {
            Driver::Veth { peer } => self.veth_close(dev, peer),
            Driver::Bridge(_) => self.br_dev_stop(dev),
            Driver::Nic { .. } => self.netif_carrier_off(dev),
            Driver::NetFailover(_) => self.net_failover_close(dev),
            Driver::Loopback => {}
        }
    }

    /// `ndo_validate_addr`: only hardware drivers set it
    /// (`eth_validate_addr`); veth, bridge and loopback open with any
    /// address, even all-zero.
    pub(crate) fn ndo_validate_addr(&self, dev: DevId) -> KResult<()> {
        let d = self.dev(dev);
        match d.driver {
            Driver::Nic { .. } | Driver::NetFailover(_) if !d.dev_addr.is_valid_ether() => {
                Err(KError::new(Errno::EADDRNOTAVAIL))
            }
            _ => Ok(()),
        }
    }

    /// `ndo_set_mac_address`.
    pub(crate) fn ndo_set_mac_address(&mut self, dev: DevId, addr: HwAddr) -> KResult<()> {
        let d = self.dev(dev);
        match d.driver {
            Driver::Bridge(_) => self.br_set_mac_address(dev, addr),
            // virtnet_set_mac_address(): a STANDBY device refuses; the
            // failover master has no ndo_set_mac_address.
            Driver::Nic { standby: true, .. } | Driver::NetFailover(_) => {
                Err(KError::new(Errno::EOPNOTSUPP))
            }
            Driver::Loopback | Driver::Veth { .. } | Driver::Nic { .. } => {
                // eth_mac_addr(): eth_prepare_mac_addr_change + commit.
                if d.running() && d.priv_flags & crate::consts::IFF_LIVE_ADDR_CHANGE == 0 {
                    return Err(KError::new(Errno::EBUSY));
                }
                if !addr.is_valid_ether() {
                    return Err(KError::new(Errno::EADDRNOTAVAIL));
                }
                self.dev_mut(dev).dev_addr = addr;
                Ok(())
            }
        }
    }

    /// `ndo_change_mtu`.
    pub(crate) fn ndo_change_mtu(&mut self, dev: DevId, mtu: u32) -> KResult<()> {
        if matches!(self.dev(dev).driver, Driver::NetFailover(_)) {
            return self.net_failover_change_mtu(dev, mtu);
        }
        self.dev_mut(dev).mtu = mtu;
        if let Some(br) = self.dev_mut(dev).driver.bridge_mut() {
            br.mtu_set_by_user = true;
        }
        Ok(())
    }

    /// `ndo_get_iflink`: the ifindex `IFLA_LINK` reports.
    pub fn dev_get_iflink(&self, dev: DevId) -> u32 {
        let d = self.dev(dev);
        match d.driver {
            // veth_get_iflink(): the peer's index, 0 once unpaired.
            Driver::Veth { peer } => peer.and_then(|p| self.try_dev(p)).map_or(0, |p| p.ifindex),
            _ => d.ifindex,
        }
    }

    /// `rtnl_link_ops->get_link_net`: the namespace of the link peer.
    pub fn dev_link_net(&self, dev: DevId) -> Option<crate::ids::NetId> {
        let d = self.dev(dev);
        let peer = d.driver.veth_peer()?;
        self.try_dev(peer).map(|p| p.net)
    }

    /// `ndo_add_slave`.
    pub(crate) fn ndo_add_slave(&mut self, master: DevId, slave: DevId) -> KResult<()> {
        match self.dev(master).driver {
            Driver::Bridge(_) => self.br_add_if(master, slave),
            _ => Err(KError::new(Errno::EOPNOTSUPP)),
        }
    }

    /// `ndo_del_slave`.
    pub(crate) fn ndo_del_slave(&mut self, master: DevId, slave: DevId) -> KResult<()> {
        match self.dev(master).driver {
            Driver::Bridge(_) => self.br_del_if(master, slave),
            _ => Err(KError::new(Errno::EOPNOTSUPP)),
        }
    }

    /// `ndo_uninit`.
    pub(crate) fn ndo_uninit(&mut self, _dev: DevId) {}

    /// `rtnl_link_ops->dellink`, or the default `unregister_netdevice_queue`.
    pub(crate) fn rtnl_link_dellink(&mut self, dev: DevId, kill_list: &mut Vec<DevId>) {
        match self.dev(dev).driver {
            Driver::Veth { peer } => {
                self.veth_dellink(dev, peer, kill_list);
                return;
            }
            Driver::Bridge(_) => self.br_dev_delete(dev),
            _ => {}
        }
        if !kill_list.contains(&dev) {
            kill_list.push(dev);
        }
    }
}
