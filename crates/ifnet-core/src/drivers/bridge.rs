//! net/bridge as a master device: enslave rules (`br_add_if`), release
//! (`br_del_if`), bridge id / MAC selection from its ports, STP-less port
//! states and the bridge carrier (`br_port_state_selection`), MTU auto
//! adjustment, and the notifier that makes ports follow their device.

use crate::consts::*;
use crate::driver::Driver;
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::{DevRef, RxHandler};
use crate::notifier::{EventInfo, NetdevEvent};
use serde::{Deserialize, Serialize};

/// `BR_STATE_*` for a port (no STP: disabled or forwarding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortState {
    Disabled,
    Forwarding,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgePort {
    pub dev: DevId,
    pub port_no: u16,
    pub state: PortState,
}

/// `struct net_bridge` (the parts the model needs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgePriv {
    /// `br->port_list`, in join order.
    pub ports: Vec<BridgePort>,
    /// `br->bridge_id.addr`; all-zero until a port sets it.
    pub bridge_id_addr: [u8; 6],
    /// BROPT_MTU_SET_BY_USER.
    pub mtu_set_by_user: bool,
    /// The forwarding database, by MAC address.
    #[serde(with = "crate::ids::serde_pairs")]
    pub fdb: std::collections::BTreeMap<[u8; 6], crate::datapath::bridge_fdb::FdbEntry>,
    /// `br->ageing_time`.
    pub ageing_time_ns: u64,
}

impl Default for BridgePriv {
    fn default() -> Self {
        BridgePriv {
            ports: Vec::new(),
            bridge_id_addr: [0; 6],
            mtu_set_by_user: false,
            fdb: std::collections::BTreeMap::new(),
            ageing_time_ns: crate::datapath::bridge_fdb::BR_DEFAULT_AGEING_TIME_NS,
        }
    }
}

/// `BR_MAX_PORTS`.
const BR_MAX_PORTS: u16 = 1 << 10;

impl Kernel {
    /// `br_dev_setup()`.
    pub(crate) fn br_dev_setup(&mut self, dev: DevId) {
        self.eth_hw_addr_random(dev);
        let d = self.dev_mut(dev);
        d.ether_setup();
        d.priv_flags = IFF_EBRIDGE | IFF_NO_QUEUE;
        d.netns_immutable = true;
        d.max_mtu = ETH_MAX_MTU;
    }

    fn br(&self, br: DevId) -> &BridgePriv {
        self.dev(br).driver.bridge().expect("bridge device")
    }

    fn br_mut(&mut self, br: DevId) -> &mut BridgePriv {
        self.dev_mut(br).driver.bridge_mut().expect("bridge device")
    }

    /// The bridge a device is a port of (`br_port_get_rtnl`).
    pub fn br_port_get(&self, dev: DevId) -> Option<DevId> {
        let d = self.dev(dev);
        if d.rx_handler != Some(RxHandler::BridgePort) {
            return None;
        }
        d.master
    }

    /// `br_dev_open()`.
    pub(crate) fn br_dev_open(&mut self, br: DevId) {
        // br_stp_enable_bridge(): enable every running, oper-up port.
        let ports: Vec<DevId> = self.br(br).ports.iter().map(|p| p.dev).collect();
        for p in ports {
            let pd = self.dev(p);
            if pd.running() && pd.oper_up() {
                self.br_stp_enable_port(br, p);
            }
        }
    }

    /// `br_dev_stop()` → `br_stp_disable_bridge()`.
    pub(crate) fn br_dev_stop(&mut self, br: DevId) {
        let ports: Vec<DevId> = self.br(br).ports.iter().map(|p| p.dev).collect();
        for p in ports {
            if self.port_state(br, p) != PortState::Disabled {
                self.br_stp_disable_port(br, p);
            }
        }
    }

    fn port_state(&self, br: DevId, port: DevId) -> PortState {
        self.br(br)
            .ports
            .iter()
            .find(|p| p.dev == port)
            .map_or(PortState::Disabled, |p| p.state)
    }

    fn set_port_state(&mut self, br: DevId, port: DevId, state: PortState) {
        if let Some(p) = self.br_mut(br).ports.iter_mut().find(|p| p.dev == port) {
            p.state = state;
        }
    }

    /// `br_stp_enable_port()`: with STP off an enabled port is designated
    /// and goes straight to forwarding.
    fn br_stp_enable_port(&mut self, br: DevId, port: DevId) {
        self.set_port_state(br, port, PortState::Forwarding);
        self.br_port_state_selection(br);
    }

    /// `br_stp_disable_port()`.
    fn br_stp_disable_port(&mut self, br: DevId, port: DevId) {
        self.set_port_state(br, port, PortState::Disabled);
        self.br_port_state_selection(br);
    }

    /// `br_port_state_selection()`: bridge carrier = any forwarding port.
    fn br_port_state_selection(&mut self, br: DevId) {
        let live = self
            .br(br)
            .ports
            .iter()
            .filter(|p| p.state == PortState::Forwarding)
            .count();
        if live == 0 {
            self.netif_carrier_off(br);
        } else {
            self.netif_carrier_on(br);
        }
    }

    /// `br_stp_recalculate_bridge_id()`: the lowest port MAC, unless the
    /// user set one. Returns whether the address changed.
    fn br_stp_recalculate_bridge_id(&mut self, br: DevId) -> bool {
        if self.dev(br).addr_assign_type == AddrAssign::Set {
            return false;
        }
        let mut addr = [0u8; 6];
        let mut have = false;
        for p in &self.br(br).ports {
            let a = self.dev(p.dev).dev_addr;
            let a: [u8; 6] = a.as_bytes().try_into().unwrap_or([0; 6]);
            if !have || a < addr {
                addr = a;
                have = true;
            }
        }
        if self.br(br).bridge_id_addr == addr {
            return false;
        }
        self.br_stp_change_bridge_id(br, addr);
        true
    }

    /// `br_stp_change_bridge_id()`.
    fn br_stp_change_bridge_id(&mut self, br: DevId, addr: [u8; 6]) {
        self.br_mut(br).bridge_id_addr = addr;
        self.dev_mut(br).dev_addr = HwAddr::new(&addr).expect("6 bytes");
        self.br_fdb_sync_local(br);
        self.br_port_state_selection(br);
    }

    /// `br_set_mac_address()`.
    pub(crate) fn br_set_mac_address(&mut self, br: DevId, addr: HwAddr) -> KResult<()> {
        if !addr.is_valid_ether() {
            return Err(KError::new(Errno::EADDRNOTAVAIL));
        }
        if self.dev(br).reg_state != RegState::Registered {
            return Err(KError::new(Errno::EBUSY));
        }
        if self.dev(br).dev_addr != addr {
            let a: [u8; 6] = addr.as_bytes().try_into().expect("6 bytes");
            self.br_stp_change_bridge_id(br, a);
        }
        Ok(())
    }

    /// `br_mtu_auto_adjust()`: the smallest port MTU unless the user set one.
    fn br_mtu_auto_adjust(&mut self, br: DevId) {
        if self.br(br).mtu_set_by_user {
            return;
        }
        let min = self
            .br(br)
            .ports
            .iter()
            .map(|p| self.dev(p.dev).mtu)
            .min()
            .unwrap_or(ETH_DATA_LEN);
        let _ = self.dev_set_mtu(br, min);
        self.br_mut(br).mtu_set_by_user = false;
    }

    /// `br_add_if()`, reached through `ndo_add_slave`.
    pub(crate) fn br_add_if(&mut self, br: DevId, dev: DevId) -> KResult<()> {
        let d = self.dev(dev);
        if d.flags & IFF_LOOPBACK != 0
            || d.dev_type != ARPHRD_ETHER
            || d.dev_addr.len() != ETH_ALEN
            || !d.dev_addr.is_valid_ether()
        {
            return Err(KError::new(Errno::EINVAL));
        }
        if d.driver.is_bridge() {
            return Err(KError::msg(
                Errno::ELOOP,
                "Can not enslave a bridge to a bridge",
            ));
        }
        if d.master.is_some() {
            return Err(KError::new(Errno::EBUSY));
        }
        if d.priv_flags & IFF_DONT_BRIDGE != 0 {
            return Err(KError::msg(
                Errno::EOPNOTSUPP,
                "Device does not allow enslaving to a bridge",
            ));
        }
        // new_nbp(): find_portno() and a tracked reference on the port.
        let used: Vec<u16> = self.br(br).ports.iter().map(|p| p.port_no).collect();
        let port_no = (1..BR_MAX_PORTS)
            .find(|n| !used.contains(n))
            .ok_or(KError::new(Errno::EXFULL))?;
        let _ = self.call_netdevice_notifiers(NetdevEvent::Join, dev);
        self.netdev_rx_handler_register(dev, RxHandler::BridgePort)?;
        self.dev_mut(dev).priv_flags |= IFF_BRIDGE_PORT;
        if let Err(e) = self.netdev_master_upper_dev_link(dev, br) {
            self.dev_mut(dev).priv_flags &= !IFF_BRIDGE_PORT;
            self.netdev_rx_handler_unregister(dev);
            return Err(e);
        }
        self.dev_mut(dev).refs.push(DevRef {
            holder: "bridge port (new_nbp)".into(),
            tracked: true,
        });
        self.br_mut(br).ports.push(BridgePort {
            dev,
            port_no,
            state: PortState::Disabled,
        });
        self.br_fdb_sync_local(br);
        let changed_addr = self.br_stp_recalculate_bridge_id(br);
        let pd = self.dev(dev);
        if pd.running() && pd.oper_up() && self.dev(br).is_up() {
            self.br_stp_enable_port(br, dev);
        }
        if changed_addr {
            let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeAddr, br);
        }
        self.br_mtu_auto_adjust(br);
        Ok(())
    }

    /// `br_del_if()` → `del_nbp()`.
    pub(crate) fn br_del_if(&mut self, br: DevId, dev: DevId) -> KResult<()> {
        if self.br_port_get(dev) != Some(br) {
            return Err(KError::new(Errno::EINVAL));
        }
        if self.port_state(br, dev) != PortState::Disabled {
            self.br_stp_disable_port(br, dev);
        }
        self.br_mut(br).ports.retain(|p| p.dev != dev);
        self.br_fdb_delete_by_port(br, dev);
        self.netdev_upper_dev_unlink(dev, br);
        self.br_fdb_sync_local(br);
        self.netdev_rx_handler_unregister(dev);
        let d = self.dev_mut(dev);
        d.priv_flags &= !IFF_BRIDGE_PORT;
        if let Some(i) = d
            .refs
            .iter()
            .position(|r| r.holder == "bridge port (new_nbp)")
        {
            d.refs.remove(i);
        }
        self.br_mtu_auto_adjust(br);
        if self.br_stp_recalculate_bridge_id(br) {
            let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeAddr, br);
        }
        Ok(())
    }

    /// `br_dev_delete()`: every port leaves (`del_nbp`) before the bridge
    /// itself is queued for unregistration.
    pub(crate) fn br_dev_delete(&mut self, br: DevId) {
        let ports: Vec<DevId> = self.br(br).ports.iter().map(|p| p.dev).collect();
        for p in ports {
            let _ = self.br_del_if(br, p);
        }
    }

    /// `br_device_event()`: the bridge's netdevice notifier.
    pub(crate) fn br_device_event(
        &mut self,
        event: NetdevEvent,
        dev: DevId,
        _info: EventInfo,
    ) -> KResult<()> {
        let Some(br) = self.br_port_get(dev) else {
            return Ok(());
        };
        match event {
            NetdevEvent::ChangeMtu => self.br_mtu_auto_adjust(br),
            NetdevEvent::ChangeAddr if self.br_stp_recalculate_bridge_id(br) => {
                let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeAddr, br);
            }
            NetdevEvent::Change => self.br_port_carrier_check(br, dev),
            NetdevEvent::Down if self.dev(br).is_up() => self.br_stp_disable_port(br, dev),
            NetdevEvent::Up if self.dev(br).running() && self.dev(dev).oper_up() => {
                self.br_stp_enable_port(br, dev)
            }
            NetdevEvent::Unregister => {
                let _ = self.br_del_if(br, dev);
            }
            NetdevEvent::PreTypeChange => return Err(KError::new(Errno::EINVAL)),
            _ => {}
        }
        Ok(())
    }

    /// `br_port_carrier_check()`.
    fn br_port_carrier_check(&mut self, br: DevId, port: DevId) {
        if !self.dev(br).running() {
            return;
        }
        let pd = self.dev(port);
        let up = pd.running() && pd.oper_up();
        let state = self.port_state(br, port);
        if up && state == PortState::Disabled {
            self.br_stp_enable_port(br, port);
        } else if !up && state != PortState::Disabled {
            self.br_stp_disable_port(br, port);
        }
    }

    /// Ensures a bridge device has its private state (used at creation).
    pub(crate) fn new_bridge_driver() -> Driver {
        Driver::Bridge(Box::default())
    }
}
