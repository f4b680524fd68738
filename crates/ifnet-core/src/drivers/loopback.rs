//! drivers/net/loopback.c: one `lo` per namespace, registered first so it
//! gets ifindex 1, never movable (`netns_immutable`), deleted last.

use crate::consts::*;
use crate::datapath::Xmit;
use crate::driver::{eth_mac_addr, Driver, DriverOps, NetDeviceOps, GSO_MAX_SIZE};
use crate::hwaddr::HwAddr;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;

/// `loopback_ops`.
const LOOPBACK_NETDEV_OPS: NetDeviceOps = NetDeviceOps {
    ndo_set_mac_address: Some(eth_mac_addr),
    tso_max_size: Some(|_, _| GSO_MAX_SIZE),
    ..NetDeviceOps::new("loopback", loopback_xmit)
};

/// lo has no `rtnl_link_ops`: `ip link add type loopback` is unknown and
/// `ip link del lo` refused.
pub(crate) const LOOPBACK_OPS: DriverOps = DriverOps {
    netdev_ops: LOOPBACK_NETDEV_OPS,
    rtnl_link_ops: None,
};

impl Driver {
    pub fn is_loopback(&self) -> bool {
        matches!(self, Driver::Loopback)
    }
}

/// `loopback_xmit()`: counted once, seen as received by lo itself.
fn loopback_xmit(k: &mut Kernel, dev: DevId, frame: &[u8]) -> Xmit {
    let s = &mut k.dev_mut(dev).stats;
    s.count_tx(frame.len());
    s.count_rx(frame.len());
    k.netif_receive(dev, frame);
    Xmit::Sent
}

/// `LOOPBACK_IFINDEX`.
pub const LOOPBACK_IFINDEX: u32 = 1;

/// `loopback_net_init()`.
pub(crate) fn loopback_net_init(k: &mut Kernel, net: NetId) {
    let dev = k.alloc_netdev(net, "lo", NameAssign::Predictable, Driver::Loopback);
    {
        // loopback_setup()
        let d = k.dev_mut(dev);
        d.mtu = 64 * 1024;
        d.min_mtu = 0;
        d.max_mtu = 0;
        d.dev_type = ARPHRD_LOOPBACK;
        d.flags = IFF_LOOPBACK;
        d.priv_flags |= IFF_LIVE_ADDR_CHANGE | IFF_NO_QUEUE;
        d.priv_flags &= !IFF_XMIT_DST_RELEASE;
        d.netns_immutable = true;
        d.dev_addr = HwAddr::zeroed(ETH_ALEN);
        d.broadcast = HwAddr::zeroed(ETH_ALEN);
        d.tx_queue_len = 1000;
    }
    k.register_netdevice(dev)
        .expect("loopback registration cannot fail in a fresh namespace");
    assert_eq!(
        k.dev(dev).ifindex,
        LOOPBACK_IFINDEX,
        "loopback must be ifindex 1 (loopback.c BUG_ON)"
    );
}
