//! drivers/net/veth.c: a pair of Ethernet devices wired back to back.
//!
//! The peer is registered first (so it gets the lower ifindex), carrier is on
//! only while both ends are UP, and deleting either end deletes both
//! (`veth_dellink`), also when one end's namespace dies.

use crate::consts::*;
use crate::driver::Driver;
use crate::errno::{Errno, KError, KResult};
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::rtnetlink::link::LinkRequest;

impl Kernel {
    /// `veth_setup()` on top of `ether_setup()`.
    pub(crate) fn veth_setup(&mut self, dev: DevId) {
        let d = self.dev_mut(dev);
        d.ether_setup();
        d.priv_flags &= !IFF_TX_SKB_SHARING;
        d.priv_flags |= IFF_LIVE_ADDR_CHANGE | IFF_NO_QUEUE | IFF_PHONY_HEADROOM;
        d.max_mtu = ETH_MAX_MTU;
    }

    /// `veth_newlink()`: `dev` is allocated (not registered) by
    /// `rtnl_newlink_create`; the peer comes from VETH_INFO_PEER, else from
    /// the device's own request.
    pub(crate) fn veth_newlink(
        &mut self,
        dev: DevId,
        req: &LinkRequest,
        peer_net: NetId,
    ) -> KResult<()> {
        let peer_req = req.veth_peer.as_deref();
        let (peer_name, assign) = match peer_req.and_then(|p| p.ifname.clone()) {
            Some(n) => (n, NameAssign::User),
            None => ("veth%d".to_string(), NameAssign::Enum),
        };
        // Without VETH_INFO_PEER the peer is made from the device's own
        // attributes (`tbp = tb`): its mtu, txqueuelen, group, broadcast
        // and queue counts, though never its name, flags or address.
        let tbp = peer_req.unwrap_or(req);
        let peer = self.rtnl_create_link(
            peer_net,
            &peer_name,
            assign,
            Driver::Veth { peer: None },
            tbp,
        )?;
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
            self.rtnl_configure_link(peer, peer_req.map(|p| (p.ifi_flags, p.ifi_change)))
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

    /// `veth_open()`.
    pub(crate) fn veth_open(&mut self, dev: DevId, peer: Option<DevId>) -> KResult<()> {
        let peer = peer.ok_or(KError::new(Errno::ENOTCONN))?;
        if self.dev(peer).is_up() {
            self.netif_carrier_on(dev);
            self.netif_carrier_on(peer);
        }
        Ok(())
    }

    /// `veth_close()`.
    pub(crate) fn veth_close(&mut self, dev: DevId, peer: Option<DevId>) {
        self.netif_carrier_off(dev);
        if let Some(peer) = peer {
            self.netif_carrier_off(peer);
        }
    }

    /// `veth_dellink()`: both ends go on the kill list.
    pub(crate) fn veth_dellink(&mut self, dev: DevId, peer: Option<DevId>, kill: &mut Vec<DevId>) {
        self.dev_mut(dev).driver = Driver::Veth { peer: None };
        if !kill.contains(&dev) {
            kill.push(dev);
        }
        if let Some(peer) = peer {
            self.dev_mut(peer).driver = Driver::Veth { peer: None };
            if !kill.contains(&peer) {
                kill.push(peer);
            }
        }
    }
}
