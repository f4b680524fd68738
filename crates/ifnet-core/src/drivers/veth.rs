//! drivers/net/veth.c: a pair of Ethernet devices wired back to back.
//!
//! The peer is registered first (so it gets the lower ifindex), carrier is on
//! only while both ends are UP, and deleting either end deletes both
//! (`veth_dellink`), also when one end's namespace dies.

use crate::consts::*;
use crate::datapath::{DropReason, Xmit};
use crate::driver::{
    eth_mac_addr, eth_validate_attr, unregister_netdevice_queue, Driver, DriverOps, NetDeviceOps,
    RtnlLinkOps, GSO_MAX_SIZE,
};
use crate::errno::{Errno, KError, KResult};
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::rtnetlink::link::LinkRequest;
use crate::wire::EthernetFrame;
use netlink_packet_route::link::{InfoData, InfoVeth};

/// `veth_netdev_ops`.
const VETH_NETDEV_OPS: NetDeviceOps = NetDeviceOps {
    ndo_open: Some(veth_open),
    ndo_stop: Some(veth_close),
    ndo_set_mac_address: Some(eth_mac_addr),
    ndo_get_iflink: Some(veth_get_iflink),
    tso_max_size: Some(|_, _| GSO_MAX_SIZE),
    // veth_get_link_ksettings(): SPEED_10000.
    ethtool_speed: Some(10_000),
    ..NetDeviceOps::new("veth", veth_xmit)
};

/// `veth_link_ops`.
pub static VETH_LINK_OPS: RtnlLinkOps = RtnlLinkOps {
    validate: Some(veth_validate),
    newlink: Some(veth_newlink),
    dellink: Some(veth_dellink),
    parse_info_data: Some(veth_parse_info_data),
    get_link_net: Some(veth_get_link_net),
    peer_type: true,
    get_num_queues: Some(Kernel::veth_get_num_queues),
    ..RtnlLinkOps::new("veth", || Driver::Veth { peer: None }, veth_setup)
};

pub(crate) const VETH_OPS: DriverOps = DriverOps {
    netdev_ops: VETH_NETDEV_OPS,
    rtnl_link_ops: Some(&VETH_LINK_OPS),
};

impl Driver {
    /// `priv->peer` of a veth.
    #[inline]
    pub fn veth_peer(&self) -> Option<DevId> {
        match self {
            Driver::Veth { peer } => *peer,
            _ => None,
        }
    }
}

/// `veth_setup()` on top of `ether_setup()`.
fn veth_setup(k: &mut Kernel, dev: DevId) {
    let d = k.dev_mut(dev);
    d.ether_setup();
    d.priv_flags &= !IFF_TX_SKB_SHARING;
    d.priv_flags |= IFF_LIVE_ADDR_CHANGE | IFF_NO_QUEUE | IFF_PHONY_HEADROOM;
    d.max_mtu = ETH_MAX_MTU;
}

/// `veth_validate()`: the device's and the peer's IFLA_ADDRESS.
fn veth_validate(r: &LinkRequest) -> KResult<()> {
    eth_validate_attr(&r.address)?;
    // is_valid_veth_mtu(): ETH_MIN_MTU..=ETH_MAX_MTU, a bare -EINVAL
    // (before rtnl_create_link's "mtu less than device minimum").
    if r.mtu
        .is_some_and(|m| !(ETH_MIN_MTU..=ETH_MAX_MTU).contains(&m))
    {
        return Err(KError::new(Errno::EINVAL));
    }
    Ok(())
}

/// IFLA_INFO_DATA: VETH_INFO_PEER is a whole ifinfomsg.
fn veth_parse_info_data(data: &InfoData, r: &mut LinkRequest) -> KResult<()> {
    if let InfoData::Veth(InfoVeth::Peer(peer)) = data {
        r.veth_peer = Some(Box::new(LinkRequest::parse(peer)?));
    }
    Ok(())
}

fn veth_newlink(k: &mut Kernel, dev: DevId, r: &LinkRequest, peer_net: NetId) -> KResult<()> {
    k.veth_newlink(dev, r, peer_net)
}

/// `veth_get_iflink()`: the peer's index, 0 once unpaired.
fn veth_get_iflink(k: &Kernel, dev: DevId) -> u32 {
    let peer = k.dev(dev).driver.veth_peer();
    peer.and_then(|p| k.try_dev(p)).map_or(0, |p| p.ifindex)
}

/// `veth_get_link_net()`.
fn veth_get_link_net(k: &Kernel, dev: DevId) -> Option<NetId> {
    let peer = k.dev(dev).driver.veth_peer()?;
    k.try_dev(peer).map(|p| p.net)
}

/// `veth_open()`.
fn veth_open(k: &mut Kernel, dev: DevId) -> KResult<()> {
    let peer = k.dev(dev).driver.veth_peer();
    let peer = peer.ok_or(KError::new(Errno::ENOTCONN))?;
    if k.dev(peer).is_up() {
        k.netif_carrier_on(dev);
        k.netif_carrier_on(peer);
    }
    Ok(())
}

/// `veth_close()`.
fn veth_close(k: &mut Kernel, dev: DevId) {
    k.netif_carrier_off(dev);
    if let Some(peer) = k.dev(dev).driver.veth_peer() {
        k.netif_carrier_off(peer);
    }
}

/// `veth_dellink()`: both ends go on the kill list.
fn veth_dellink(k: &mut Kernel, dev: DevId, kill: &mut Vec<DevId>) {
    let peer = k.dev(dev).driver.veth_peer();
    k.dev_mut(dev).driver = Driver::Veth { peer: None };
    unregister_netdevice_queue(dev, kill);
    if let Some(peer) = peer {
        k.dev_mut(peer).driver = Driver::Veth { peer: None };
        unregister_netdevice_queue(peer, kill);
    }
}

/// `veth_xmit()`: the peer must be UP (`is_skb_forwardable`); a drop
/// counts tx_dropped here and rx_dropped on the peer.
#[inline(always)]
fn veth_xmit(k: &mut Kernel, dev: DevId, frame: &[u8]) -> Xmit {
    let Some(peer) = k.dev(dev).driver.veth_peer() else {
        k.dev_mut(dev).stats.tx_dropped += 1;
        return Xmit::Dropped(DropReason::Driver);
    };
    let whole = EthernetFrame::new_checked(frame).is_ok();
    if !whole || !k.dev(peer).is_up() {
        k.dev_mut(dev).stats.tx_dropped += 1;
        if whole {
            k.dev_mut(peer).stats.rx_dropped += 1;
        }
        return Xmit::Dropped(DropReason::Driver);
    }
    k.dev_mut(dev).stats.count_tx(frame.len());
    if k.world.veth_faults.is_empty() || k.veth_wire(dev, peer, frame) {
        k.dev_mut(peer).stats.count_rx(frame.len());
        k.netif_receive(peer, frame);
    }
    Xmit::Sent
}

impl Kernel {
    /// `veth_newlink()`: `dev` is allocated (not registered) by
    /// `rtnl_newlink_create`; the peer comes from VETH_INFO_PEER, else from
    /// the device's own request.
    fn veth_newlink(&mut self, dev: DevId, req: &LinkRequest, peer_net: NetId) -> KResult<()> {
        let peer_req = req.veth_peer.as_deref();
        let (peer_name, assign) = match peer_req.and_then(|p| p.ifname.clone()) {
            Some(n) => (n, NameAssign::User),
            None => ("veth%d".to_string(), NameAssign::Enum),
        };
        // Without VETH_INFO_PEER the peer is made from the device's own
        // attributes (`tbp = tb`): its mtu, txqueuelen, group, broadcast
        // and queue counts, though never its name, flags or address.
        let tbp = peer_req.unwrap_or(req);
        let peer = self.rtnl_create_link(peer_net, &peer_name, assign, &VETH_LINK_OPS, tbp)?;
        if peer_req.is_none_or(|p| p.address.is_none()) {
            self.eth_hw_addr_random(peer);
        }
        // `if (ifmp && (dev->ifindex != 0)) peer->ifindex = ifmp->ifi_index;`
        if let Some(p) = peer_req.filter(|_| self.dev(dev).ifindex != 0) {
            self.dev_mut(peer).ifindex = p.ifi_index.max(0) as u32;
        }
        if let Err(e) = self.register_netdevice(peer) {
            self.free_netdev(peer);
            return Err(e);
        }
        self.netif_carrier_off(peer);
        if let Err(e) =
            self.rtnl_configure_link(peer, peer_req.map(|p| (p.ifi_flags, p.ifi_change)), None)
        {
            self.unregister_netdevice(peer);
            return Err(e);
        }

        // Register dev last; its name is re-read from the request.
        if req.address.is_none() {
            self.eth_hw_addr_random(dev);
        }
        if let Err(e) = self.register_netdevice(dev) {
            self.unregister_netdevice(peer);
            return Err(e);
        }
        self.netif_carrier_off(dev);
        self.dev_mut(dev).driver = Driver::Veth { peer: Some(peer) };
        self.dev_mut(peer).driver = Driver::Veth { peer: Some(dev) };
        Ok(())
    }
}
