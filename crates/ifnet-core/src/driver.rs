//! Driver ops tables: `struct net_device_ops`, `struct rtnl_link_ops` and
//! `struct header_ops` (include/linux/netdevice.h, include/net/rtnetlink.h),
//! and the `Kernel` entry points that call through them the way the core
//! calls through `dev->netdev_ops` / `dev->rtnl_link_ops`.
//!
//! A table is a `static` in its driver's file (drivers/*.rs); the registry
//! in `drivers/mod.rs` finds it by the device's private state or by kind.
//! Tables are code, not state: the state file keeps only the private state
//! ([`Driver`]), and the table comes back from it. Nothing outside the
//! driver files and the registry matches on the driver.
//!
//! Where a table leaves an op empty the core does what Linux's does: no
//! `ndo_set_mac_address` is -EOPNOTSUPP, no `ndo_change_mtu` writes
//! `dev->mtu`, no `newlink` is `register_netdevice`, no `dellink` is
//! `unregister_netdevice_queue`.

pub use crate::drivers::Driver;

use crate::datapath::{RxHandlerResult, Xmit};
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::rtnetlink::link::LinkRequest;
use crate::stats::DevStats;
use crate::wire::{EthernetProtocol, LinkType};
use netlink_packet_route::link::{InfoData, LinkInfo};

/// `dev->tso_max_size` as `alloc_netdev` leaves it (TSO_LEGACY_MAX_SIZE).
pub const TSO_LEGACY_MAX_SIZE: u32 = 65536;
/// GSO_MAX_SIZE = 8 * GSO_MAX_SEGS (BIG TCP): what veth and loopback
/// raise `tso_max_size` to.
pub const GSO_MAX_SIZE: u32 = 8 * 65535;

/// An op on the device taking one argument, returning 0 or -errno.
pub type NdoSet<A> = fn(&mut Kernel, DevId, A) -> KResult<()>;
/// `rtnl_link_ops->newlink`.
pub type NewlinkFn = fn(&mut Kernel, DevId, &LinkRequest, NetId) -> KResult<()>;
/// `rtnl_link_ops->changelink`.
pub type ChangelinkFn = fn(&mut Kernel, DevId, &LinkRequest) -> KResult<()>;
/// `rtnl_link_ops->slave_changelink` (master, slave, request).
pub type SlaveChangelinkFn = fn(&mut Kernel, DevId, DevId, &LinkRequest) -> KResult<()>;

/// `struct net_device_ops` (plus the few `ethtool_ops` answers the model
/// needs). Every op takes the kernel and the device, like `dev` in C.
pub struct NetDeviceOps {
    /// What `ethtool -i` calls the driver (`drvinfo.driver`).
    pub name: &'static str,
    pub ndo_open: Option<fn(&mut Kernel, DevId) -> KResult<()>>,
    pub ndo_stop: Option<fn(&mut Kernel, DevId)>,
    pub ndo_start_xmit: fn(&mut Kernel, DevId, &[u8]) -> Xmit,
    /// `eth_validate_addr` for hardware-like drivers; none = any address.
    pub ndo_validate_addr: Option<fn(&Kernel, DevId) -> KResult<()>>,
    pub ndo_set_mac_address: Option<NdoSet<HwAddr>>,
    pub ndo_change_mtu: Option<NdoSet<u32>>,
    /// `ndo_change_carrier` (IFLA_CARRIER); none = -EOPNOTSUPP.
    pub ndo_change_carrier: Option<NdoSet<bool>>,
    pub ndo_add_slave: Option<NdoSet<DevId>>,
    pub ndo_del_slave: Option<NdoSet<DevId>>,
    /// `ndo_get_stats64`; none = the counters the core keeps.
    pub ndo_get_stats64: Option<fn(&mut Kernel, DevId) -> DevStats>,
    /// `ndo_get_iflink`; none = the device's own ifindex.
    pub ndo_get_iflink: Option<fn(&Kernel, DevId) -> u32>,
    pub ndo_uninit: Option<fn(&mut Kernel, DevId)>,
    /// `ndo_change_rx_flags(dev, change)`: IFF_PROMISC / IFF_ALLMULTI /
    /// IFF_MULTICAST flipped (`dev_change_rx_flags`).
    pub ndo_change_rx_flags: Option<fn(&mut Kernel, DevId, u32)>,
    /// `ndo_set_rx_mode`: the address lists or rx flags of an UP device
    /// changed (`__dev_set_rx_mode`); uppers push their lists down here.
    pub ndo_set_rx_mode: Option<fn(&mut Kernel, DevId)>,
    /// What setup left in `dev->tso_max_size` (derived from the driver, so
    /// not in the state file); none = [`TSO_LEGACY_MAX_SIZE`].
    pub tso_max_size: Option<fn(&Kernel, DevId) -> u32>,
    /// `ethtool_ops->get_link_ksettings` speed in Mb/s, if it reports one.
    pub ethtool_speed: Option<u32>,
    /// What sysfs `device/driver` names: the bus driver of the parent.
    pub device_driver: Option<fn(&Driver) -> Option<&str>>,
}

impl NetDeviceOps {
    /// A table with only `ndo_start_xmit` (the one op Linux requires).
    pub const fn new(name: &'static str, xmit: fn(&mut Kernel, DevId, &[u8]) -> Xmit) -> Self {
        NetDeviceOps {
            name,
            ndo_open: None,
            ndo_stop: None,
            ndo_start_xmit: xmit,
            ndo_validate_addr: None,
            ndo_set_mac_address: None,
            ndo_change_mtu: None,
            ndo_change_carrier: None,
            ndo_add_slave: None,
            ndo_del_slave: None,
            ndo_get_stats64: None,
            ndo_get_iflink: None,
            ndo_uninit: None,
            ndo_change_rx_flags: None,
            ndo_set_rx_mode: None,
            tso_max_size: None,
            ethtool_speed: None,
            device_driver: None,
        }
    }
}

/// `struct rtnl_link_ops`: a link kind `ip link add … type KIND` makes.
pub struct RtnlLinkOps {
    /// IFLA_INFO_KIND.
    pub kind: &'static str,
    /// `priv_size`: the private state a new device of this kind starts with.
    pub alloc_priv: fn() -> Driver,
    /// `setup()`, run by `alloc_netdev` on the unregistered device.
    pub setup: fn(&mut Kernel, DevId),
    /// `validate(tb, data)`, before anything is allocated.
    pub validate: Option<fn(&LinkRequest) -> KResult<()>>,
    /// `newlink()`; `NetId` is the namespace a peer goes to
    /// (`rtnl_newlink_peer_net`). None = `register_netdevice`.
    pub newlink: Option<NewlinkFn>,
    /// `changelink()`; none = IFLA_INFO_DATA on an existing device is
    /// -EOPNOTSUPP.
    pub changelink: Option<ChangelinkFn>,
    /// `dellink()`: puts the device (and what dies with it) on the kill
    /// list. None = `unregister_netdevice_queue`.
    pub dellink: Option<fn(&mut Kernel, DevId, &mut Vec<DevId>)>,
    /// `fill_info()`: the IFLA_INFO_DATA of a device of this kind.
    pub fill_info: Option<fn(&Kernel, DevId, &mut Vec<LinkInfo>)>,
    /// `fill_slave_info()`: IFLA_INFO_SLAVE_KIND/DATA of a lower device
    /// whose master is of this kind.
    pub fill_slave_info: Option<fn(&Kernel, DevId, &mut Vec<LinkInfo>)>,
    /// `slave_changelink()`: IFLA_INFO_SLAVE_DATA for a lower device of a
    /// master of this kind (master, slave, request). None = -EOPNOTSUPP.
    pub slave_changelink: Option<SlaveChangelinkFn>,
    /// The IFLA_INFO_DATA parser (`policy` + what newlink reads from it).
    pub parse_info_data: Option<fn(&InfoData, &mut LinkRequest) -> KResult<()>>,
    /// `get_link_net()`: the namespace of the device's link peer.
    pub get_link_net: Option<fn(&Kernel, DevId) -> Option<NetId>>,
    /// `peer_type`: IFLA_INFO_DATA carries a peer ifinfomsg.
    pub peer_type: bool,
    /// `netns_refund`: a dying namespace hands the device back to init_net.
    pub netns_refund: bool,
    /// `get_num_tx_queues()` / `get_num_rx_queues()` (the same function
    /// for every modelled kind): the queues a new device gets when the
    /// request names none. None = 1.
    pub get_num_queues: Option<fn(&Kernel) -> u32>,
    /// A kind whose `get_num_rx_queues` is absent though its
    /// `get_num_tx_queues` is not (bonding): its rx queues default to 1.
    pub tx_queues_only: bool,
}

impl RtnlLinkOps {
    /// A kind with only `setup` (dummy's shape).
    pub const fn new(
        kind: &'static str,
        alloc_priv: fn() -> Driver,
        setup: fn(&mut Kernel, DevId),
    ) -> Self {
        RtnlLinkOps {
            kind,
            alloc_priv,
            setup,
            validate: None,
            newlink: None,
            changelink: None,
            dellink: None,
            fill_info: None,
            fill_slave_info: None,
            slave_changelink: None,
            parse_info_data: None,
            get_link_net: None,
            peer_type: false,
            netns_refund: false,
            get_num_queues: None,
            tx_queues_only: false,
        }
    }
}

/// `struct header_ops` of a link type: how the hard header is built and
/// read (`eth_header_ops`, `ipoib_header_ops`; raw devices have none).
pub struct HeaderOps {
    pub link_type: LinkType,
    /// `dev->hard_header_len`.
    pub hard_header_len: usize,
    /// `create()` (`dev_hard_header`): appends the hard header of a frame
    /// of `proto` to `daddr` from `saddr`; false when the addresses do not
    /// fit the link type.
    pub create: fn(out: &mut Vec<u8>, proto: EthernetProtocol, daddr: &[u8], saddr: &[u8]) -> bool,
    /// `parse()`: the source hardware address of a received frame.
    pub parse: fn(&[u8]) -> Option<HwAddr>,
    /// `parse_protocol()`, and where the network header starts: what the
    /// driver's receive path leaves in `skb->protocol` and `skb->data`
    /// (`eth_type_trans`; IPoIB's 4-byte header).
    pub parse_protocol: fn(&[u8]) -> Option<(EthernetProtocol, usize)>,
}

/// The ops a driver's device is built with: `dev->netdev_ops` and
/// `dev->rtnl_link_ops` (only kinds `ip link add` makes). `dev->header_ops`
/// follows the link type ([`header_ops`]).
pub struct DriverOps {
    /// Held by value: the xmit path reads it one load closer.
    pub netdev_ops: NetDeviceOps,
    pub rtnl_link_ops: Option<&'static RtnlLinkOps>,
}

/// An rx_handler (`rx_handler_func_t`), installed on a lower device.
pub type RxHandlerFunc = fn(&mut Kernel, DevId, &[u8]) -> RxHandlerResult;

/// `eth_header_parse()`.
fn eth_header_parse(frame: &[u8]) -> Option<HwAddr> {
    let eth = crate::wire::EthernetFrame::new_checked(frame).ok()?;
    HwAddr::new(eth.src_addr().as_bytes())
}

/// `eth_header()`: destination, source, type.
fn eth_header(out: &mut Vec<u8>, proto: EthernetProtocol, daddr: &[u8], saddr: &[u8]) -> bool {
    let (Some(dst), Some(src)) = (
        crate::wire::EthernetAddress::from_bytes(daddr),
        crate::wire::EthernetAddress::from_bytes(saddr),
    ) else {
        return false;
    };
    let at = out.len();
    out.resize(at + crate::wire::ethernet::HEADER_LEN, 0);
    let repr = crate::wire::EthernetRepr {
        src_addr: src,
        dst_addr: dst,
        ethertype: proto,
    };
    repr.emit(&mut crate::wire::EthernetFrame::new_unchecked(
        &mut out[at..],
    ));
    true
}

/// `eth_header_parse_protocol()` with `eth_type_trans`'s pull: an
/// Ethernet II type (802.3 length frames carry no network protocol here).
fn eth_header_parse_protocol(frame: &[u8]) -> Option<(EthernetProtocol, usize)> {
    let eth = crate::wire::EthernetFrame::new_checked(frame).ok()?;
    let proto = eth.ethertype();
    (!proto.is_length()).then_some((proto, crate::wire::ethernet::HEADER_LEN))
}

/// `ipoib_hard_header()` + `push_pseudo_header()`: the destination in
/// the 20-byte pseudo header, then the 4-byte IPoIB header.
fn ipoib_hard_header(out: &mut Vec<u8>, proto: EthernetProtocol, daddr: &[u8], _: &[u8]) -> bool {
    let Some(dst) = crate::wire::InfinibandAddress::from_bytes(daddr) else {
        return false;
    };
    let at = out.len();
    out.resize(at + crate::wire::ipoib::HARD_HEADER_LEN, 0);
    let repr = crate::wire::IpoibHardRepr {
        dst_addr: dst,
        ethertype: proto,
    };
    repr.emit(&mut crate::wire::IpoibHardFrame::new_unchecked(
        &mut out[at..],
    ));
    true
}

/// `ipoib_hard_header` has no parse: the pseudo header carries only the
/// destination.
fn no_header_parse(_frame: &[u8]) -> Option<HwAddr> {
    None
}

/// What IPoIB's receive path (`ipoib_ib_handle_rx_wc`) reads from the
/// 4-byte header a frame arrives with.
fn ipoib_parse_protocol(frame: &[u8]) -> Option<(EthernetProtocol, usize)> {
    let f = crate::wire::IpoibFrame::new_checked(frame).ok()?;
    Some((f.ethertype(), crate::wire::ipoib::HEADER_LEN))
}

/// `eth_header_ops` (ARPHRD_ETHER; loopback uses it too).
pub static ETH_HEADER_OPS: HeaderOps = HeaderOps {
    link_type: LinkType::Ether,
    hard_header_len: crate::datapath::ETH_HLEN,
    create: eth_header,
    parse: eth_header_parse,
    parse_protocol: eth_header_parse_protocol,
};

/// `ipoib_header_ops` (ARPHRD_INFINIBAND).
pub static IPOIB_HEADER_OPS: HeaderOps = HeaderOps {
    link_type: LinkType::Infiniband,
    hard_header_len: crate::wire::ipoib::HARD_HEADER_LEN,
    create: ipoib_hard_header,
    parse: no_header_parse,
    parse_protocol: ipoib_parse_protocol,
};

/// `dev->header_ops` of a link type: `ether_setup` and `loopback_setup`
/// install `eth_header_ops`, `ipoib_setup_common` `ipoib_header_ops`, tun
/// (ARPHRD_NONE) none.
pub fn header_ops(link_type: LinkType) -> Option<&'static HeaderOps> {
    match link_type {
        LinkType::Ether | LinkType::Loopback => Some(&ETH_HEADER_OPS),
        LinkType::Infiniband => Some(&IPOIB_HEADER_OPS),
        LinkType::None => None,
    }
}

/// `eth_validate_addr()`.
pub(crate) fn eth_validate_addr(k: &Kernel, dev: DevId) -> KResult<()> {
    if !k.dev(dev).dev_addr.is_valid_ether() {
        return Err(KError::new(Errno::EADDRNOTAVAIL));
    }
    Ok(())
}

/// `eth_mac_addr()`: `eth_prepare_mac_addr_change` + commit.
pub(crate) fn eth_mac_addr(k: &mut Kernel, dev: DevId, addr: HwAddr) -> KResult<()> {
    let d = k.dev(dev);
    if d.running() && d.priv_flags & crate::consts::IFF_LIVE_ADDR_CHANGE == 0 {
        return Err(KError::new(Errno::EBUSY));
    }
    if !addr.is_valid_ether() {
        return Err(KError::new(Errno::EADDRNOTAVAIL));
    }
    k.dev_mut(dev).dev_addr = addr;
    Ok(())
}

/// The `validate` of Ethernet kinds on an IFLA_ADDRESS (veth_validate,
/// dummy_validate): 6 bytes, a valid unicast address.
pub(crate) fn eth_validate_attr(a: &Option<Vec<u8>>) -> KResult<()> {
    if let Some(a) = a {
        if a.len() != crate::consts::ETH_ALEN {
            return Err(KError::new(Errno::EINVAL));
        }
        if !HwAddr::new(a).expect("6 bytes").is_valid_ether() {
            return Err(KError::new(Errno::EADDRNOTAVAIL));
        }
    }
    Ok(())
}

impl Driver {
    /// `dev->rtnl_link_ops->kind`, if the device was made through rtnetlink.
    pub fn rtnl_kind(&self) -> Option<&'static str> {
        self.ops().rtnl_link_ops.map(|o| o.kind)
    }

    /// `rtnl_link_ops->netns_refund`.
    pub fn netns_refund(&self) -> bool {
        self.ops().rtnl_link_ops.is_some_and(|o| o.netns_refund)
    }

    /// What sysfs `device/driver` names (physical devices only).
    pub fn driver_name(&self) -> Option<&str> {
        self.ops().netdev_ops.device_driver.and_then(|f| f(self))
    }
}

impl Kernel {
    fn netdev_ops(&self, dev: DevId) -> &'static NetDeviceOps {
        &self.dev(dev).driver.ops().netdev_ops
    }

    /// `dev->rtnl_link_ops`.
    pub(crate) fn rtnl_link_ops(&self, dev: DevId) -> Option<&'static RtnlLinkOps> {
        self.dev(dev).driver.ops().rtnl_link_ops
    }

    /// The device's link kind (IFLA_INFO_KIND), as `ip -d link` shows it.
    pub fn link_kind(&self, dev: DevId) -> Option<&'static str> {
        self.rtnl_link_ops(dev).map(|o| o.kind)
    }

    /// `dev->header_ops`.
    pub fn dev_header_ops(&self, dev: DevId) -> Option<&'static HeaderOps> {
        LinkType::from_arphrd(self.dev(dev).dev_type).and_then(header_ops)
    }

    /// `ndo_open`.
    pub(crate) fn ndo_open(&mut self, dev: DevId) -> KResult<()> {
        self.netdev_ops(dev)
            .ndo_open
            .map_or(Ok(()), |f| f(self, dev))
    }

    /// `ndo_stop`.
    pub(crate) fn ndo_stop(&mut self, dev: DevId) {
        if let Some(f) = self.netdev_ops(dev).ndo_stop {
            f(self, dev);
        }
    }

    /// `ndo_validate_addr`.
    pub(crate) fn ndo_validate_addr(&self, dev: DevId) -> KResult<()> {
        self.netdev_ops(dev)
            .ndo_validate_addr
            .map_or(Ok(()), |f| f(self, dev))
    }

    /// `ndo_set_mac_address`.
    pub(crate) fn ndo_set_mac_address(&mut self, dev: DevId, addr: HwAddr) -> KResult<()> {
        match self.netdev_ops(dev).ndo_set_mac_address {
            Some(f) => f(self, dev, addr),
            None => Err(KError::new(Errno::EOPNOTSUPP)),
        }
    }

    /// `ndo_change_mtu`, else `WRITE_ONCE(dev->mtu, new_mtu)`.
    pub(crate) fn ndo_change_mtu(&mut self, dev: DevId, mtu: u32) -> KResult<()> {
        match self.netdev_ops(dev).ndo_change_mtu {
            Some(f) => f(self, dev, mtu),
            None => {
                self.dev_mut(dev).mtu = mtu;
                Ok(())
            }
        }
    }

    /// `dev_change_carrier()`: only drivers with `ndo_change_carrier`.
    pub(crate) fn dev_change_carrier(&mut self, dev: DevId, on: bool) -> KResult<()> {
        match self.netdev_ops(dev).ndo_change_carrier {
            Some(f) => f(self, dev, on),
            None => Err(KError::new(Errno::EOPNOTSUPP)),
        }
    }

    /// `ndo_get_iflink`: the ifindex `IFLA_LINK` reports.
    pub fn dev_get_iflink(&self, dev: DevId) -> u32 {
        match self.netdev_ops(dev).ndo_get_iflink {
            Some(f) => f(self, dev),
            None => self.dev(dev).ifindex,
        }
    }

    /// `rtnl_link_ops->get_link_net`: the namespace of the link peer.
    pub fn dev_link_net(&self, dev: DevId) -> Option<NetId> {
        self.rtnl_link_ops(dev)?.get_link_net?(self, dev)
    }

    /// `dev_get_stats()`: the driver's counters (`ndo_get_stats64`), else
    /// those the core keeps.
    pub fn dev_get_stats(&mut self, dev: DevId) -> DevStats {
        match self.netdev_ops(dev).ndo_get_stats64 {
            Some(f) => f(self, dev),
            None => self.dev(dev).stats,
        }
    }

    /// `dev->tso_max_size`.
    pub(crate) fn dev_tso_max_size(&self, dev: DevId) -> u32 {
        self.netdev_ops(dev)
            .tso_max_size
            .map_or(TSO_LEGACY_MAX_SIZE, |f| f(self, dev))
    }

    /// The port cost `ethtool` speed gives (`port_cost()`).
    pub(crate) fn dev_ethtool_speed(&self, dev: DevId) -> Option<u32> {
        self.netdev_ops(dev).ethtool_speed
    }

    /// `ndo_add_slave`.
    pub(crate) fn ndo_add_slave(&mut self, master: DevId, slave: DevId) -> KResult<()> {
        match self.netdev_ops(master).ndo_add_slave {
            Some(f) => f(self, master, slave),
            None => Err(KError::new(Errno::EOPNOTSUPP)),
        }
    }

    /// `ndo_del_slave`.
    pub(crate) fn ndo_del_slave(&mut self, master: DevId, slave: DevId) -> KResult<()> {
        match self.netdev_ops(master).ndo_del_slave {
            Some(f) => f(self, master, slave),
            None => Err(KError::new(Errno::EOPNOTSUPP)),
        }
    }

    /// `ndo_uninit`.
    pub(crate) fn ndo_uninit(&mut self, dev: DevId) {
        if let Some(f) = self.netdev_ops(dev).ndo_uninit {
            f(self, dev);
        }
    }

    /// `rtnl_link_ops->dellink`, or the default `unregister_netdevice_queue`.
    pub(crate) fn rtnl_link_dellink(&mut self, dev: DevId, kill_list: &mut Vec<DevId>) {
        match self.rtnl_link_ops(dev).and_then(|o| o.dellink) {
            Some(f) => f(self, dev, kill_list),
            None => unregister_netdevice_queue(dev, kill_list),
        }
    }
}

/// `unregister_netdevice_queue(dev, head)`: once on the kill list.
pub(crate) fn unregister_netdevice_queue(dev: DevId, kill_list: &mut Vec<DevId>) {
    // list_move_tail(): a device already queued moves to the end.
    kill_list.retain(|&d| d != dev);
    kill_list.push(dev);
}
