//! The modelled drivers, one file each (its ops tables, setup, xmit and
//! rx_handler included), and the one registry that finds their tables.
//!
//! Adding a driver is its file plus its lines here: the `mod`, its
//! private-state variant of [`Driver`], its arm in [`Driver::ops`] and, for
//! a kind `ip link add` makes, its entry in [`LINK_KINDS`].

pub mod bridge;
pub mod bridge_fdb;
pub mod bridge_netlink;
pub mod dummy;
pub mod loopback;
pub mod net_failover;
pub mod nic;
pub mod veth;

use crate::driver::{DriverOps, RtnlLinkOps, RxHandlerFunc};
use crate::netdev::RxHandler;
use serde::{Deserialize, Serialize};

/// A device's driver-private state (`netdev_priv(dev)`), one variant per
/// driver; it is what the state file keeps of the driver. The ops come
/// back from it through [`Driver::ops`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Driver {
    /// drivers/net/loopback.c
    Loopback,
    /// drivers/net/veth.c; `peer` is `priv->peer`.
    Veth { peer: Option<crate::ids::DevId> },
    /// net/bridge
    Bridge(Box<bridge::BridgePriv>),
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
    NetFailover(Box<net_failover::NetFailoverPriv>),
    /// drivers/net/dummy.c (no private state).
    Dummy,
}

impl Driver {
    /// The driver's tables (`dev->netdev_ops`, `dev->rtnl_link_ops`).
    #[inline]
    pub fn ops(&self) -> &'static DriverOps {
        match self {
            Driver::Loopback => &loopback::LOOPBACK_OPS,
            Driver::Veth { .. } => &veth::VETH_OPS,
            Driver::Bridge(_) => &bridge_netlink::BR_OPS,
            Driver::Nic { .. } => &nic::NIC_OPS,
            Driver::NetFailover(_) => &net_failover::NET_FAILOVER_OPS,
            Driver::Dummy => &dummy::DUMMY_OPS,
        }
    }
}

/// Every `rtnl_link_register()`ed kind (`link_ops` list).
pub static LINK_KINDS: &[&RtnlLinkOps] = &[
    &veth::VETH_LINK_OPS,
    &bridge_netlink::BR_LINK_OPS,
    &dummy::DUMMY_LINK_OPS,
];

/// `rtnl_link_ops_get(kind)`.
pub fn rtnl_link_ops_get(kind: &str) -> Option<&'static RtnlLinkOps> {
    LINK_KINDS.iter().copied().find(|o| o.kind == kind)
}

/// `dev->rx_handler`: the function behind who installed it. Netvsc and
/// bonding have no handler in the model yet: their ports pass frames up.
#[inline]
pub(crate) fn rx_handler_func(h: RxHandler) -> Option<RxHandlerFunc> {
    match h {
        RxHandler::BridgePort => Some(bridge_fdb::br_handle_frame),
        RxHandler::Failover => Some(crate::modules::failover::failover_handle_frame),
        RxHandler::Netvsc | RxHandler::Bond => None,
    }
}
