//! drivers/net/dummy.c (Linux 6.18): an Ethernet device that discards
//! everything sent to it. `ip link add NAME type dummy`; `dummy_setup`
//! (ether_setup, IFF_NOARP, no IFF_MULTICAST, IFF_LIVE_ADDR_CHANGE |
//! IFF_NO_QUEUE, a random address, no MTU bounds), `dummy_xmit` counts the
//! frame as sent and frees it, `dummy_validate` checks IFLA_ADDRESS. The
//! driver never touches the carrier on its own (it is on from
//! `alloc_netdev`), so operstate stays UNKNOWN, like lo; only
//! `ndo_change_carrier` (`ip link set … carrier on|off`) moves it.
//!
//! Modelled as built in with `numdummies=0`: the module's boot-time
//! `dummy0` is not created.

use crate::consts::*;
use crate::datapath::Xmit;
use crate::driver::{eth_mac_addr, eth_validate_addr, eth_validate_attr, Driver};
use crate::driver::{DriverOps, NetDeviceOps, RtnlLinkOps};
use crate::errno::KResult;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::rtnetlink::link::LinkRequest;

/// `dummy_netdev_ops`. `ndo_get_stats64` reads the lstats `dummy_xmit`
/// adds to, which are the tx counters the core keeps.
const DUMMY_NETDEV_OPS: NetDeviceOps = NetDeviceOps {
    ndo_validate_addr: Some(eth_validate_addr),
    ndo_set_mac_address: Some(eth_mac_addr),
    ndo_change_carrier: Some(dummy_change_carrier),
    ..NetDeviceOps::new("dummy", dummy_xmit)
};

/// `dummy_link_ops`.
pub static DUMMY_LINK_OPS: RtnlLinkOps = RtnlLinkOps {
    validate: Some(dummy_validate),
    ..RtnlLinkOps::new("dummy", || Driver::Dummy, dummy_setup)
};

pub(crate) const DUMMY_OPS: DriverOps = DriverOps {
    netdev_ops: DUMMY_NETDEV_OPS,
    rtnl_link_ops: Some(&DUMMY_LINK_OPS),
};

/// `dummy_setup()`.
fn dummy_setup(k: &mut Kernel, dev: DevId) {
    let d = k.dev_mut(dev);
    d.ether_setup();
    d.flags |= IFF_NOARP;
    d.flags &= !IFF_MULTICAST;
    d.priv_flags |= IFF_LIVE_ADDR_CHANGE | IFF_NO_QUEUE;
    k.eth_hw_addr_random(dev);
    let d = k.dev_mut(dev);
    d.min_mtu = 0;
    d.max_mtu = 0;
}

/// `dummy_validate()`: an IFLA_ADDRESS must be a valid 6-byte address.
fn dummy_validate(r: &LinkRequest) -> KResult<()> {
    eth_validate_attr(&r.address)
}

/// `dummy_xmit()`: `dev_lstats_add(dev, skb->len)`, then the skb is freed.
fn dummy_xmit(k: &mut Kernel, dev: DevId, frame: &[u8]) -> Xmit {
    k.dev_mut(dev).stats.count_tx(frame.len());
    Xmit::Sent
}

/// `dummy_change_carrier()`.
fn dummy_change_carrier(k: &mut Kernel, dev: DevId, on: bool) -> KResult<()> {
    if on {
        k.netif_carrier_on(dev);
    } else {
        k.netif_carrier_off(dev);
    }
    Ok(())
}
