//! ipoib_netlink.c and ipoib_vlan.c: the "ipoib" rtnl kind. `ip link add
//! link ib0 name ib0.8001 type ipoib pkey 0x8001 [mode connected]
//! [umcast 1]` makes a P_Key child of an HCA port (`ipoib_new_child_link`
//! → `__ipoib_vlan_add`); IFLA_IPOIB_MODE / IFLA_IPOIB_UMCAST change a
//! device (`ipoib_changelink`); `ipoib_fill_info` reports all three.
//! `ipoib_del_child_link` deletes only children: `ip link del ib0`
//! succeeds and leaves the port alone.

use super::ipoib::{ipoib_alloc_priv, ipoib_setup_common, IPOIB_MAX_CHILDREN};
use crate::consts::*;
use crate::driver::{unregister_netdevice_queue, Driver, RtnlLinkOps};
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::rtnetlink::link::LinkRequest;
use netlink_packet_route::link::{InfoData, InfoIpoib, IpoibMode, LinkInfo};

/// IPOIB_MODE_DATAGRAM / IPOIB_MODE_CONNECTED (uapi if_link.h).
pub const IPOIB_MODE_DATAGRAM: u16 = 0;
pub const IPOIB_MODE_CONNECTED: u16 = 1;

/// The IFLA_INFO_DATA of an "ipoib" request (`ipoib_policy`: three u16).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpoibReq {
    pub pkey: Option<u16>,
    pub mode: Option<u16>,
    pub umcast: Option<u16>,
}

/// `ipoib_link_ops`.
pub static IPOIB_LINK_OPS: RtnlLinkOps = RtnlLinkOps {
    newlink: Some(ipoib_new_child_link),
    changelink: Some(ipoib_changelink),
    dellink: Some(ipoib_del_child_link),
    fill_info: Some(ipoib_fill_info),
    parse_info_data: Some(ipoib_parse_info_data),
    netns_refund: true,
    get_num_queues: Some(ipoib_get_max_num_queues),
    ..RtnlLinkOps::new("ipoib", ipoib_alloc_priv, ipoib_setup_common)
};

/// `ipoib_get_max_num_queues()`: min(num_possible_cpus(), 128).
fn ipoib_get_max_num_queues(k: &Kernel) -> u32 {
    k.num_possible_cpus().min(128)
}

fn ipoib_parse_info_data(data: &InfoData, r: &mut LinkRequest) -> KResult<()> {
    let InfoData::Ipoib(attrs) = data else {
        return Ok(());
    };
    let mut q = IpoibReq::default();
    for a in attrs {
        match a {
            InfoIpoib::Pkey(v) => q.pkey = Some(*v),
            InfoIpoib::Mode(m) => q.mode = Some(u16::from(*m)),
            InfoIpoib::UmCast(v) => q.umcast = Some(*v),
            _ => {}
        }
    }
    r.ipoib = Some(q);
    Ok(())
}

/// `ipoib_fill_info()`: IFLA_IPOIB_PKEY, _MODE, _UMCAST.
fn ipoib_fill_info(k: &Kernel, dev: DevId, info: &mut Vec<LinkInfo>) {
    let Some(p) = k.ipoib_priv(dev) else {
        return;
    };
    let mode = if p.connected {
        IpoibMode::Connected
    } else {
        IpoibMode::Datagram
    };
    info.push(LinkInfo::Data(InfoData::Ipoib(vec![
        InfoIpoib::Pkey(p.pkey),
        InfoIpoib::Mode(mode),
        InfoIpoib::UmCast(u16::from(p.umcast)),
    ])));
}

/// `ipoib_changelink()`: the mode through `ipoib_set_mode` (another
/// value is -EINVAL), then umcast. IFLA_IPOIB_PKEY is not looked at.
fn ipoib_changelink(k: &mut Kernel, dev: DevId, r: &LinkRequest) -> KResult<()> {
    let Some(q) = &r.ipoib else {
        return Ok(());
    };
    match q.mode {
        Some(IPOIB_MODE_DATAGRAM) => k.ipoib_set_mode(dev, "datagram")?,
        Some(IPOIB_MODE_CONNECTED) => k.ipoib_set_mode(dev, "connected")?,
        Some(_) => return Err(KError::new(Errno::EINVAL)),
        None => {}
    }
    if let Some(u) = q.umcast {
        k.ipoib_set_umcast(dev, u > 0);
    }
    Ok(())
}

/// `ipoib_del_child_link()`: a port device (no parent) is not deleted.
fn ipoib_del_child_link(k: &mut Kernel, dev: DevId, kill: &mut Vec<DevId>) {
    if k.ipoib_priv(dev).is_some_and(|p| p.parent.is_some()) {
        unregister_netdevice_queue(dev, kill);
    }
}

/// `ipoib_new_child_link()`: IFLA_LINK names the parent in the link
/// namespace (-EINVAL without it, -ENODEV unless it is ARPHRD_INFINIBAND);
/// a child cannot have children (-EINVAL); no IFLA_IPOIB_PKEY takes the
/// parent's. Then `ipoib_intf_init`, `__ipoib_vlan_add`, and the
/// mode/umcast of the request (`ipoib_changelink`, unregistering on error).
fn ipoib_new_child_link(
    k: &mut Kernel,
    dev: DevId,
    r: &LinkRequest,
    link_net: NetId,
) -> KResult<()> {
    let link = r.link.ok_or(KError::new(Errno::EINVAL))?;
    let pdev = k
        .dev_get_by_index(link_net, link)
        .filter(|&p| k.dev(p).dev_type == ARPHRD_INFINIBAND)
        .ok_or(KError::new(Errno::ENODEV))?;
    // A device of type INFINIBAND that is not IPoIB (a bond that adopted
    // the type): the kernel would read its private area as IPoIB's; the
    // model refuses it as it refuses a missing device.
    let pp = k.ipoib_priv(pdev).ok_or(KError::new(Errno::ENODEV))?;
    if pp.parent.is_some() {
        let name = k.dev(pdev).name;
        k.printk(format!(
            "{name}: child creation disallowed for child devices"
        ));
        return Err(KError::new(Errno::EINVAL));
    }
    if pp.children.len() >= IPOIB_MAX_CHILDREN {
        return Err(KError::new(Errno::ENOSPC));
    }
    let child_pkey = r.ipoib.as_ref().and_then(|q| q.pkey).unwrap_or(pp.pkey);
    k.ipoib_child_init(dev, pdev);
    k.__ipoib_vlan_add(pdev, dev, child_pkey)?;
    if r.ipoib.is_some() {
        if let Err(e) = ipoib_changelink(k, dev, r) {
            k.unregister_netdevice(dev);
            return Err(e);
        }
    }
    Ok(())
}

impl Kernel {
    /// `ipoib_child_init()`: the parent's address unless the request set
    /// one, its segment (the same HCA port) and broadcast group MTU, the
    /// HCA as the device's parent.
    fn ipoib_child_init(&mut self, dev: DevId, pdev: DevId) {
        let parent = self.dev(pdev);
        let (paddr, pbus) = (parent.dev_addr, parent.parent.clone());
        let Some(pp) = parent.driver.ipoib() else {
            return;
        };
        let (segment, group_mtu) = (pp.segment.clone(), pp.group_ib_mtu);
        let p = self.ipoib_priv_mut(dev);
        p.segment = segment;
        p.group_ib_mtu = group_mtu;
        let d = self.dev_mut(dev);
        if d.dev_addr.is_zero() {
            d.dev_addr = paddr;
        }
        d.parent = pbus;
    }

    /// `__ipoib_vlan_add()`: P_Key 0 and 0x8000 are -EINVAL; RTNL children
    /// may share a P_Key (`is_child_unique` checks legacy children only);
    /// the child's UD QP gets the next QPN; `register_netdevice`.
    pub(crate) fn __ipoib_vlan_add(&mut self, pdev: DevId, dev: DevId, pkey: u16) -> KResult<()> {
        if pkey == 0 || pkey == 0x8000 {
            return Err(KError::new(Errno::EINVAL));
        }
        let qpn = match &mut self.dev_mut(pdev).driver {
            Driver::Ipoib(pp) => {
                let q = pp.next_child_qpn;
                pp.next_child_qpn = q.wrapping_add(1) & 0xff_ffff;
                q
            }
            _ => return Err(KError::new(Errno::ENODEV)),
        };
        let p = self.ipoib_priv_mut(dev);
        p.parent = Some(pdev);
        p.pkey = pkey;
        self.ipoib_ndo_init(dev);
        let d = self.dev_mut(dev);
        let mut a = [0u8; INFINIBAND_ALEN];
        a.copy_from_slice(d.dev_addr.as_bytes());
        a[1..4].copy_from_slice(&qpn.to_be_bytes()[1..]);
        d.dev_addr = HwAddr::new(&a).expect("20 bytes");
        d.carrier = false;
        self.register_netdevice(dev)?;
        if let Driver::Ipoib(pp) = &mut self.dev_mut(pdev).driver {
            pp.children.push(dev);
        }
        Ok(())
    }
}
