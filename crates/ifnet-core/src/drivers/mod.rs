//! The modelled drivers, one file each (its ops tables, setup, xmit and
//! rx_handler included), and the one registry that finds their tables.
//!
//! Adding a driver is its file plus its lines here: the `mod`, its
//! private-state variant of [`Driver`], its line in `driver_registry!` and,
//! for a kind `ip link add` makes, its entry in [`LINK_KINDS`].

pub mod bonding;
pub mod bridge;
pub mod bridge_fdb;
pub mod bridge_netlink;
pub mod dummy;
pub mod ipoib;
pub mod ipoib_netlink;
pub mod loopback;
pub mod net_failover;
pub mod netvsc;
pub mod netvsc_host;
pub mod netvsc_vf;
pub mod nic;
pub mod veth;

use crate::datapath::{RxHandlerResult, Xmit};
use crate::driver::{DriverOps, RtnlLinkOps};
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::RxHandler;
use serde::{Deserialize, Serialize};

/// A device's driver-private state (`netdev_priv(dev)`), one variant per
/// driver; it is what the state file keeps of the driver. The ops come
/// back from it through [`Driver::ops`].
#[derive(Debug, Clone, Hash, Serialize, Deserialize)]
pub enum Driver {
    /// drivers/net/loopback.c
    Loopback,
    /// drivers/net/veth.c; `peer` is `priv->peer`.
    Veth { peer: Option<DevId> },
    /// net/bridge
    Bridge(Box<bridge::BridgePriv>),
    /// An Ethernet NIC found on the hardware bus, cabled to a named
    /// segment: a PCI NIC or VF (`virtio == false`), or a virtio-net device
    /// (its parent is the virtio device, not PCI) that may be a failover
    /// standby (VIRTIO_NET_F_STANDBY).
    Nic {
        driver_name: std::sync::Arc<str>,
        segment: std::sync::Arc<str>,
        #[serde(default)]
        virtio: bool,
        #[serde(default)]
        standby: bool,
        /// The PCI slot name (a Hyper-V VF's serial); None = no slot.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slot: Option<u32>,
    },
    /// drivers/net/hyperv: the Hyper-V synthetic NIC (hv_netvsc).
    Netvsc(Box<netvsc::NetvscPriv>),
    /// drivers/net/net_failover.c: the failover master.
    NetFailover(Box<net_failover::NetFailoverPriv>),
    /// drivers/net/dummy.c (no private state).
    Dummy,
    /// drivers/net/bonding: a bond (`struct bonding`).
    Bond(Box<bonding::BondPriv>),
    /// drivers/infiniband/ulp/ipoib: an HCA port's IPoIB device or a
    /// P_Key child.
    Ipoib(Box<ipoib::IpoibPriv>),
}

/// The registry proper: each driver's private-state pattern and its tables,
/// one line per driver. It generates [`Driver::ops`] and the hot-path
/// `ndo_start_xmit` call, whose arms read the op from a static table so
/// that the compiler calls the driver's xmit directly.
macro_rules! driver_registry {
    ($($pat:pat => $ops:path),* $(,)?) => {
        impl Driver {
            /// The driver's tables (`dev->netdev_ops`, `dev->rtnl_link_ops`).
            #[inline]
            pub fn ops(&self) -> &'static DriverOps {
                match self {
                    $($pat => &$ops,)*
                }
            }
        }

        impl Kernel {
            /// `dev->netdev_ops->ndo_start_xmit(skb, dev)`.
            #[inline]
            pub(crate) fn ndo_start_xmit(&mut self, dev: DevId, frame: &[u8]) -> Xmit {
                match self.dev(dev).driver {
                    $($pat => ($ops.netdev_ops.ndo_start_xmit)(self, dev, frame),)*
                }
            }
        }
    };
}

driver_registry! {
    Driver::Loopback => loopback::LOOPBACK_OPS,
    Driver::Veth { .. } => veth::VETH_OPS,
    Driver::Bridge(_) => bridge_netlink::BR_OPS,
    Driver::Nic { .. } => nic::NIC_OPS,
    Driver::NetFailover(_) => net_failover::NET_FAILOVER_OPS,
    Driver::Netvsc(_) => netvsc::NETVSC_OPS,
    Driver::Dummy => dummy::DUMMY_OPS,
    Driver::Bond(_) => bonding::BOND_OPS,
    Driver::Ipoib(_) => ipoib::IPOIB_OPS,
}

/// Every `rtnl_link_register()`ed kind (`link_ops` list).
pub static LINK_KINDS: &[&RtnlLinkOps] = &[
    &veth::VETH_LINK_OPS,
    &bridge_netlink::BR_LINK_OPS,
    &dummy::DUMMY_LINK_OPS,
    &bonding::BOND_LINK_OPS,
    &ipoib_netlink::IPOIB_LINK_OPS,
];

/// `rtnl_link_ops_get(kind)`.
pub fn rtnl_link_ops_get(kind: &str) -> Option<&'static RtnlLinkOps> {
    LINK_KINDS.iter().copied().find(|o| o.kind == kind)
}

/// `dev->rx_handler(skb)`: the function behind who installed it, called
/// directly.
#[inline]
pub(crate) fn call_rx_handler(
    k: &mut Kernel,
    h: RxHandler,
    dev: DevId,
    frame: &[u8],
) -> RxHandlerResult {
    match h {
        RxHandler::BridgePort => bridge_fdb::br_handle_frame(k, dev, frame),
        RxHandler::Failover => crate::modules::failover::failover_handle_frame(k, dev, frame),
        RxHandler::Netvsc => netvsc::netvsc_vf_handle_frame(k, dev, frame),
        RxHandler::Bond => bonding::bond_handle_frame(k, dev, frame),
    }
}
