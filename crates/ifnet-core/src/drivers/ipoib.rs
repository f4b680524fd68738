//! drivers/infiniband/ulp/ipoib (ipoib_main.c, ipoib_multicast.c): an
//! InfiniBand HCA port's IPoIB device as the hardware bus plugs it
//! (`ipoib_add_port("ib%d", …)`), and its P_Key children
//! (`ipoib_netlink.rs`). ARPHRD_INFINIBAND, a 20-byte address (flags, QPN,
//! port GID), the P_Key-carrying broadcast address, the 24-byte hard
//! header of `ipoib_header_ops` (driver.rs). Carrier comes only once the
//! broadcast group is joined: `ipoib_open` starts the multicast task, the
//! subnet administrator answers the join [`IPOIB_SA_JOIN_LATENCY`] later
//! on the virtual clock ([`Work::IpoibMcastJoin`]), and
//! `ipoib_mcast_carrier_on_task` sets the MTU and the carrier. A pulled
//! cable (IB_EVENT_PORT_ERR) drops the carrier of the port and its children
//! (`ipoib_ib_dev_down`); a port back ACTIVE re-joins. The wire is the
//! port's InfiniBand segment (`datapath/segment.rs`).

use crate::consts::*;
use crate::datapath::{DropReason, Xmit};
use crate::driver::{Driver, DriverOps, NetDeviceOps};
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::time::Duration;
use crate::wire::ipoib::{InfinibandAddress, FLAGS_RC, PSEUDO_HEADER_LEN};
use crate::workqueue::Work;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What `ethtool -i ib0` calls the driver (`ipoib_get_drvinfo`).
pub const IPOIB_DRIVER: &str = "ib_ipoib";
/// The HCA driver the port's PCI device is bound to (`device/driver`).
pub const IPOIB_HCA_DRIVER: &str = "mlx5_core";
/// `IPOIB_CM_MTU`: `max_mtu`, and the connected-mode MTU.
pub const IPOIB_CM_MTU: u32 = 0x10000 - 0x10;
/// `IPOIB_ENCAP_LEN`.
const IPOIB_ENCAP_LEN: u32 = 4;
/// The port's `max_ib_mtu` (IB_MTU_4096, what current HCAs report).
pub const IPOIB_MAX_IB_MTU: u32 = 4096;
/// The broadcast group's IB MTU when the hardware spec names none: the
/// subnet manager's default (IB_MTU_2048), so `ib0` settles at 2044.
pub const IPOIB_DEFAULT_GROUP_IB_MTU: u32 = 2048;
/// The default P_Key (full membership).
pub const IPOIB_DEFAULT_PKEY: u16 = 0xffff;
/// How long the subnet administrator takes to answer the broadcast join
/// (an SA MAD round trip). A model constant, not a kernel one.
pub const IPOIB_SA_JOIN_LATENCY: Duration = Duration::from_millis(10);
/// Bound on the children of one port (`child_intfs`).
pub const IPOIB_MAX_CHILDREN: usize = 1024;

/// `IPOIB_UD_MTU(ib_mtu)`: the datagram-mode MTU of an IB MTU.
pub const fn ipoib_ud_mtu(ib_mtu: u32) -> u32 {
    ib_mtu.saturating_sub(IPOIB_ENCAP_LEN)
}

/// `struct ipoib_dev_priv`, the part the model keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IpoibPriv {
    /// The InfiniBand segment the HCA port is cabled to (a child's is its
    /// parent's port's).
    pub segment: Arc<str>,
    /// `priv->pkey`, with the full-membership bit 0x8000.
    pub pkey: u16,
    /// `priv->parent`: set on a child (IPOIB_FLAG_SUBINTERFACE).
    pub parent: Option<DevId>,
    /// `priv->child_intfs`, in creation order.
    #[serde(default)]
    pub children: Vec<DevId>,
    /// IPOIB_FLAG_ADMIN_CM: connected mode.
    #[serde(default)]
    pub connected: bool,
    /// IPOIB_FLAG_UMCAST.
    #[serde(default)]
    pub umcast: bool,
    /// The broadcast group's IB MTU the subnet manager assigns.
    pub group_ib_mtu: u32,
    /// `priv->mcast_mtu` / `priv->admin_mtu`.
    pub mcast_mtu: u32,
    pub admin_mtu: u32,
    /// The broadcast group is joined (`priv->broadcast` ATTACHED).
    #[serde(default)]
    pub bcast_joined: bool,
    /// The QPN the next child's UD QP gets (`ib_create_qp`).
    #[serde(default)]
    pub next_child_qpn: u32,
}

/// `ipoib_netdev_ops_pf` (a child's are the same table).
const IPOIB_NETDEV_OPS: NetDeviceOps = NetDeviceOps {
    ndo_open: Some(ipoib_open),
    ndo_stop: Some(ipoib_stop),
    ndo_set_mac_address: Some(ipoib_set_mac),
    ndo_change_mtu: Some(ipoib_change_mtu),
    ndo_uninit: Some(ipoib_ndo_uninit),
    ndo_get_iflink: Some(ipoib_get_iflink),
    device_driver: Some(|_| Some(IPOIB_HCA_DRIVER)),
    ..NetDeviceOps::new(IPOIB_DRIVER, ipoib_start_xmit)
};

pub(crate) const IPOIB_OPS: DriverOps = DriverOps {
    netdev_ops: IPOIB_NETDEV_OPS,
    rtnl_link_ops: Some(&super::ipoib_netlink::IPOIB_LINK_OPS),
};

impl Driver {
    /// The IPoIB private state.
    pub fn ipoib(&self) -> Option<&IpoibPriv> {
        match self {
            Driver::Ipoib(p) => Some(p),
            _ => None,
        }
    }
}

/// `ipoib_setup_common()` (the rtnl kind's `setup` too).
pub(crate) fn ipoib_setup_common(k: &mut Kernel, dev: DevId) {
    let d = k.dev_mut(dev);
    d.flags |= IFF_BROADCAST | IFF_MULTICAST;
    d.dev_type = ARPHRD_INFINIBAND;
    d.dev_addr = HwAddr::zeroed(INFINIBAND_ALEN);
    d.broadcast = HwAddr::new(InfinibandAddress::BROADCAST_TEMPLATE.as_bytes()).expect("20");
    d.tx_queue_len = 1000;
    d.min_mtu = ETH_MIN_MTU;
    d.mtu = ipoib_ud_mtu(IPOIB_MAX_IB_MTU);
    d.max_mtu = IPOIB_CM_MTU;
}

/// The private state a new device starts with (`ipoib_intf_init`).
pub(crate) fn ipoib_alloc_priv() -> Driver {
    Driver::Ipoib(Box::new(IpoibPriv {
        segment: crate::datapath::segment::DEFAULT_IB_SEGMENT.into(),
        pkey: IPOIB_DEFAULT_PKEY,
        parent: None,
        children: Vec::new(),
        connected: false,
        umcast: false,
        group_ib_mtu: IPOIB_DEFAULT_GROUP_IB_MTU,
        mcast_mtu: ipoib_ud_mtu(IPOIB_MAX_IB_MTU),
        admin_mtu: ipoib_ud_mtu(IPOIB_MAX_IB_MTU),
        bcast_joined: false,
        next_child_qpn: 0,
    }))
}

/// The port GID: the link-local subnet prefix fe80::/64 and the GUID.
pub fn ipoib_port_gid(guid: u64) -> [u8; 16] {
    let mut g = [0u8; 16];
    g[0] = 0xfe;
    g[1] = 0x80;
    g[8..].copy_from_slice(&guid.to_be_bytes());
    g
}

/// `ipoib_open()`: carrier off; the multicast task starts the broadcast
/// join (`ipoib_ib_dev_up` → `ipoib_mcast_start_thread`).
fn ipoib_open(k: &mut Kernel, dev: DevId) -> KResult<()> {
    k.netif_carrier_off(dev);
    k.ipoib_mcast_start_thread(dev);
    Ok(())
}

/// `ipoib_stop()` → `ipoib_ib_dev_down()`: carrier off, the multicast
/// task stopped and the groups left.
fn ipoib_stop(k: &mut Kernel, dev: DevId) {
    k.ipoib_ib_dev_down(dev);
}

/// `ipoib_set_mac()`: -EBUSY while running (no IFF_LIVE_ADDR_CHANGE);
/// `ipoib_check_lladdr`: the flags, QPN and subnet prefix must stay and
/// the interface id must not be zero (-EINVAL); then `set_base_guid`
/// changes the GID's interface id.
fn ipoib_set_mac(k: &mut Kernel, dev: DevId, addr: HwAddr) -> KResult<()> {
    let d = k.dev(dev);
    if d.priv_flags & IFF_LIVE_ADDR_CHANGE == 0 && d.running() {
        return Err(KError::new(Errno::EBUSY));
    }
    let new = addr.as_bytes();
    let old = d.dev_addr.as_bytes();
    if new.len() != INFINIBAND_ALEN
        || old.len() != INFINIBAND_ALEN
        || new[..12] != old[..12]
        || new[12..].iter().all(|&b| b == 0)
    {
        return Err(KError::new(Errno::EINVAL));
    }
    k.dev_mut(dev).dev_addr = addr;
    Ok(())
}

/// `ipoib_change_mtu()`: connected mode takes up to IPOIB_CM_MTU;
/// datagram mode 68..=IPOIB_UD_MTU(max_ib_mtu), recorded as `admin_mtu`,
/// and the device gets `min(mcast_mtu, admin_mtu)`.
fn ipoib_change_mtu(k: &mut Kernel, dev: DevId, mtu: u32) -> KResult<()> {
    let p = k.ipoib_priv(dev).ok_or(KError::new(Errno::ENODEV))?;
    if p.connected {
        if mtu > IPOIB_CM_MTU {
            return Err(KError::new(Errno::EINVAL));
        }
        if mtu > p.mcast_mtu {
            let (name, mc) = (k.dev(dev).name, p.mcast_mtu);
            k.printk(format!(
                "{name}: mtu > {mc} will cause multicast packet drops."
            ));
        }
        k.dev_mut(dev).mtu = mtu;
        return Ok(());
    }
    if mtu < ETH_MIN_MTU + IPOIB_ENCAP_LEN || mtu > ipoib_ud_mtu(IPOIB_MAX_IB_MTU) {
        return Err(KError::new(Errno::EINVAL));
    }
    let p = k.ipoib_priv_mut(dev);
    p.admin_mtu = mtu;
    let eff = p.mcast_mtu.min(mtu);
    k.dev_mut(dev).mtu = eff;
    Ok(())
}

/// `ipoib_ndo_uninit()`: a child leaves its parent's `child_intfs`; a
/// parent's work is cancelled.
fn ipoib_ndo_uninit(k: &mut Kernel, dev: DevId) {
    k.deferred.workqueue.cancel(Work::IpoibMcastJoin(dev));
    let Some(parent) = k.ipoib_priv(dev).and_then(|p| p.parent) else {
        return;
    };
    if k.ipoib_priv(parent).is_some() {
        k.ipoib_priv_mut(parent).children.retain(|&c| c != dev);
    }
}

/// `ipoib_get_iflink()`: a child's link is its parent.
fn ipoib_get_iflink(k: &Kernel, dev: DevId) -> u32 {
    let parent = k.ipoib_priv(dev).and_then(|p| p.parent);
    match parent.and_then(|p| k.try_dev(p)) {
        Some(p) => p.ifindex,
        None => k.dev(dev).ifindex,
    }
}

/// `ipoib_start_xmit()`: the pseudo header names the destination; what
/// goes on the IB wire is the 4-byte header and the packet, which
/// `ipoib_send` counts.
fn ipoib_start_xmit(k: &mut Kernel, dev: DevId, frame: &[u8]) -> Xmit {
    if frame.len() < crate::wire::ipoib::HARD_HEADER_LEN {
        k.dev_mut(dev).stats.tx_dropped += 1;
        return Xmit::Dropped(DropReason::Driver);
    }
    k.dev_mut(dev)
        .stats
        .count_tx(frame.len() - PSEUDO_HEADER_LEN);
    if k.ib_segment_xmit(dev, frame) {
        Xmit::Sent
    } else {
        Xmit::Dropped(DropReason::Driver)
    }
}

impl Kernel {
    /// The IPoIB private state of `dev`, if it is an IPoIB device.
    pub fn ipoib_priv(&self, dev: DevId) -> Option<&IpoibPriv> {
        self.try_dev(dev)?.driver.ipoib()
    }

    pub(crate) fn ipoib_priv_mut(&mut self, dev: DevId) -> &mut IpoibPriv {
        match &mut self.dev_mut(dev).driver {
            Driver::Ipoib(p) => p,
            _ => unreachable!("not an IPoIB device"),
        }
    }

    /// The HCA port device of an IPoIB interface: itself, or a child's
    /// parent.
    pub fn ipoib_port(&self, dev: DevId) -> Option<DevId> {
        let p = self.ipoib_priv(dev)?;
        match p.parent {
            None => Some(dev),
            Some(parent) => self.ipoib_priv(parent).is_some().then_some(parent),
        }
    }

    /// `ib_query_port(…).state == IB_PORT_ACTIVE`: the port's cable is in
    /// (`hw carrier BUSID on|off`).
    pub fn ipoib_port_active(&self, dev: DevId) -> bool {
        self.ipoib_port(dev)
            .is_some_and(|port| !self.hw_cable_pulled(port))
    }

    /// The interfaces on one HCA port: the port device, then its children.
    pub fn ipoib_port_interfaces(&self, port: DevId) -> Vec<DevId> {
        let mut v = vec![port];
        if let Some(p) = self.ipoib_priv(port) {
            v.extend(
                p.children
                    .iter()
                    .copied()
                    .filter(|&c| self.try_dev(c).is_some()),
            );
        }
        v
    }

    /// `ipoib_mcast_start_thread()`: queue the join of the broadcast group;
    /// the SA answers after [`IPOIB_SA_JOIN_LATENCY`]. A port that is not
    /// ACTIVE fails the join (the PORT_ACTIVE event restarts it).
    pub(crate) fn ipoib_mcast_start_thread(&mut self, dev: DevId) {
        if !self.ipoib_port_active(dev) {
            return;
        }
        let due = self.now + IPOIB_SA_JOIN_LATENCY;
        self.deferred
            .workqueue
            .schedule(Work::IpoibMcastJoin(dev), due);
    }

    /// `ipoib_ib_dev_down()`: carrier off, `ipoib_mcast_stop_thread`,
    /// `ipoib_mcast_dev_flush` (the broadcast group left).
    pub(crate) fn ipoib_ib_dev_down(&mut self, dev: DevId) {
        self.netif_carrier_off(dev);
        self.deferred.workqueue.cancel(Work::IpoibMcastJoin(dev));
        if self.ipoib_priv(dev).is_some() {
            self.ipoib_priv_mut(dev).bcast_joined = false;
        }
    }

    /// `ipoib_mcast_join_complete()` for the broadcast group, then
    /// `ipoib_mcast_carrier_on_task()`: the group's MTU becomes
    /// `mcast_mtu` (and `admin_mtu`, if they were equal); datagram mode
    /// sets `min(mcast_mtu, admin_mtu)`; carrier on. Nothing if the device
    /// went down or the port is not ACTIVE ("Keeping carrier off until IB
    /// port is active").
    pub(crate) fn ipoib_mcast_join_task(&mut self, dev: DevId) {
        let Some(d) = self.try_dev(dev) else {
            return;
        };
        if d.driver.ipoib().is_none() || !d.running() || !self.ipoib_port_active(dev) {
            return;
        }
        let p = self.ipoib_priv_mut(dev);
        let mtu = ipoib_ud_mtu(p.group_ib_mtu);
        if p.mcast_mtu == p.admin_mtu {
            p.admin_mtu = mtu;
        }
        p.mcast_mtu = mtu;
        p.bcast_joined = true;
        let (connected, want) = (p.connected, p.mcast_mtu.min(p.admin_mtu));
        if !connected {
            let _ = self.dev_set_mtu(dev, want);
        }
        self.netif_carrier_on(dev);
    }

    /// `ipoib_event()` for IB_EVENT_PORT_ERR / IB_EVENT_PORT_ACTIVE →
    /// `__ipoib_ib_dev_flush(IPOIB_FLUSH_NORMAL)` on the port's interfaces
    /// and its children: down, and up again (a re-join) where
    /// IPOIB_FLAG_ADMIN_UP.
    pub(crate) fn ipoib_port_event(&mut self, port: DevId) {
        for dev in self.ipoib_port_interfaces(port) {
            if !self.dev(dev).running() {
                continue;
            }
            self.ipoib_ib_dev_down(dev);
            self.ipoib_mcast_start_thread(dev);
        }
    }

    /// `ipoib_set_mode()` (sysfs `mode`, IFLA_IPOIB_MODE): "connected"
    /// needs IPOIB_CM_SUPPORTED(dev_addr), warns and takes the CM MTU;
    /// "datagram" takes `min(mcast_mtu, mtu)`. Anything else is -EINVAL.
    pub fn ipoib_set_mode(&mut self, dev: DevId, mode: &str) -> KResult<()> {
        let p = self.ipoib_priv(dev).ok_or(KError::new(Errno::EOPNOTSUPP))?;
        let connected = p.connected;
        if (connected && mode == "connected") || (!connected && mode == "datagram") {
            return Ok(());
        }
        let cm_ok = self
            .dev(dev)
            .dev_addr
            .as_bytes()
            .first()
            .is_some_and(|f| f & FLAGS_RC != 0);
        if cm_ok && mode == "connected" {
            self.ipoib_priv_mut(dev).connected = true;
            let name = self.dev(dev).name;
            self.printk(format!(
                "{name}: enabling connected mode will cause multicast packet drops"
            ));
            self.netif_set_mtu(dev, IPOIB_CM_MTU);
            return Ok(());
        }
        if mode == "datagram" {
            self.ipoib_priv_mut(dev).connected = false;
            let mtu = self
                .ipoib_priv(dev)
                .map_or(0, |p| p.mcast_mtu)
                .min(self.dev(dev).mtu);
            self.netif_set_mtu(dev, mtu);
            return Ok(());
        }
        Err(KError::new(Errno::EINVAL))
    }

    /// `netif_set_mtu()`: `netif_set_mtu_ext` without the validation
    /// error paths the callers here cannot hit; a notifier veto is ignored
    /// as `ipoib_set_mode` ignores it.
    fn netif_set_mtu(&mut self, dev: DevId, mtu: u32) {
        let _ = self.dev_set_mtu(dev, mtu);
    }

    /// `ipoib_set_umcast()`.
    pub(crate) fn ipoib_set_umcast(&mut self, dev: DevId, on: bool) {
        if self.ipoib_priv(dev).is_some() {
            self.ipoib_priv_mut(dev).umcast = on;
        }
    }

    /// `ipoib_ib_handle_rx_wc()` for a datagram the fabric delivered to
    /// `dev`'s QP: nothing without the interface up with carrier; a unicast
    /// for another QPN/GID or a group this interface has not joined (the
    /// broadcast group, or a group in its multicast list) never reaches
    /// the QP; a damaged one fails the ICRC (rx_errors). Counted with the
    /// 20-byte pseudo header `skb_add_pseudo_hdr` pushes, then up the
    /// stack in its RFC 4391 form (4-byte header).
    pub(crate) fn ipoib_ib_handle_rx_wc(&mut self, dev: DevId, frame: &[u8], corrupt: bool) {
        let Some(d) = self.try_dev(dev) else {
            return;
        };
        if !d.running() || !d.carrier || frame.len() < crate::wire::ipoib::HARD_HEADER_LEN {
            return;
        }
        let dst = &frame[..PSEUDO_HEADER_LEN];
        let own = d.dev_addr.as_bytes();
        let multicast = dst[4] == 0xff;
        let for_us = if multicast {
            let bc = d.broadcast.as_bytes();
            bc.get(4..) == Some(&dst[4..])
                || d.addr_lists
                    .mc
                    .iter()
                    .any(|e| e.addr.as_bytes().get(4..) == Some(&dst[4..]))
        } else {
            own.get(1..) == Some(&dst[1..])
        };
        if !for_us {
            return;
        }
        let s = &mut self.dev_mut(dev).stats;
        if corrupt {
            s.rx_errors += 1;
            return;
        }
        s.count_rx(frame.len());
        if multicast {
            s.multicast += 1;
        }
        self.netif_receive(dev, &frame[PSEUDO_HEADER_LEN..]);
    }

    /// The attributes `ipoib_add_port` adds to a port device (`mode`,
    /// `pkey`, `umcast`). RTNL children have none of them
    /// (`__ipoib_vlan_add`: "RTNL childs don't need proprietary sysfs
    /// entries").
    pub(crate) fn ipoib_sysfs_read(&self, dev: DevId, attr: &str) -> Option<String> {
        let p = self.ipoib_priv(dev).filter(|p| p.parent.is_none())?;
        Some(match attr {
            "mode" => if p.connected { "connected" } else { "datagram" }.to_string(),
            "pkey" => format!("0x{:04x}", p.pkey),
            "umcast" => u8::from(p.umcast).to_string(),
            _ => return None,
        })
    }

    /// A loaded state file's IPoIB devices must agree with each other: a
    /// child's parent is an IPoIB port listing it, a port lists only its
    /// own children, once each and at most IPOIB_MAX_CHILDREN; the
    /// broadcast group's IB MTU is 2048 or 4096.
    pub(crate) fn ipoib_check_links(&self, dev: DevId) -> Result<(), String> {
        let Some(p) = self.ipoib_priv(dev) else {
            return Ok(());
        };
        let name = self.dev(dev).name;
        if !matches!(p.group_ib_mtu, 2048 | 4096) {
            return Err(format!(
                "ipoib {name} has a broadcast group MTU IB does not have"
            ));
        }
        if let Some(parent) = p.parent {
            let listed = self
                .ipoib_priv(parent)
                .is_some_and(|pp| pp.parent.is_none() && pp.children.contains(&dev));
            if !listed || !p.children.is_empty() {
                return Err(format!("ipoib child {name} and its parent disagree"));
            }
        }
        if p.children.len() > IPOIB_MAX_CHILDREN
            || !crate::invariants::all_unique(&p.children)
            || p.children
                .iter()
                .any(|&c| self.ipoib_priv(c).is_none_or(|cp| cp.parent != Some(dev)))
        {
            return Err(format!("ipoib {name} lists a child that is not its own"));
        }
        Ok(())
    }

    /// `ipoib_add_port("ib%d", hca, port)`: `ipoib_intf_alloc`, the GID
    /// from the GUID, the QPN from the UD QP, `register_netdev`.
    pub(crate) fn ipoib_add_port(
        &mut self,
        net: NetId,
        bus_id: &str,
        addr: InfinibandAddress,
        segment: &str,
        group_ib_mtu: u32,
    ) -> KResult<DevId> {
        let dev = self.alloc_netdev(net, "ib%d", NameAssign::Enum, ipoib_alloc_priv());
        ipoib_setup_common(self, dev);
        let p = self.ipoib_priv_mut(dev);
        p.segment = segment.into();
        p.group_ib_mtu = group_ib_mtu;
        p.next_child_qpn = addr.qpn().wrapping_add(1) & 0xff_ffff;
        self.ipoib_ndo_init(dev);
        let d = self.dev_mut(dev);
        d.dev_addr = HwAddr::new(addr.as_bytes()).expect("20 bytes");
        d.addr_assign_type = AddrAssign::Perm;
        d.parent = Some(bus_id.into());
        d.carrier = false;
        if let Err(e) = self.register_netdevice(dev) {
            self.free_netdev(dev);
            return Err(e);
        }
        Ok(dev)
    }

    /// `ipoib_ndo_init()`'s common part: the MTU until the join, the
    /// full-membership bit, the P_Key in the broadcast address.
    pub(crate) fn ipoib_ndo_init(&mut self, dev: DevId) {
        let mtu = ipoib_ud_mtu(IPOIB_MAX_IB_MTU);
        let p = self.ipoib_priv_mut(dev);
        p.mcast_mtu = mtu;
        p.admin_mtu = mtu;
        p.pkey |= 0x8000;
        let bc = InfinibandAddress::broadcast(p.pkey);
        let d = self.dev_mut(dev);
        d.mtu = mtu;
        d.max_mtu = IPOIB_CM_MTU;
        d.broadcast = HwAddr::new(bc.as_bytes()).expect("20 bytes");
    }

    /// `ipoib_remove_one()`: the children and the port unregistered
    /// together.
    pub(crate) fn ipoib_remove_port(&mut self, port: DevId) {
        let mut kill = self.ipoib_port_interfaces(port);
        kill.rotate_left(1);
        self.unregister_netdevice_many(kill);
    }
}
