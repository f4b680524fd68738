//! Creating a link (rtnetlink.c): `rtnl_create_link` (allocate and
//! pre-configure), `rtnl_newlink_create` (register through the kind's
//! newlink, configure, enslave) and `rtnl_configure_link` (flags and the
//! first RTM_NEWLINK, reported to the sender with NLM_F_ECHO).

use crate::consts::*;
use crate::driver::RtnlLinkOps;
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::limits::MAX_QUEUES;

use super::request::LinkRequest;
use super::Report;

/// The namespaces a creation involves: where the device goes, its link
/// partner's (IFLA_LINK_NETNSID) and a peer's (`rtnl_get_peer_net`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewlinkNets {
    /// The socket's namespace (`params->src_net`).
    pub(crate) src: NetId,
    pub(crate) tgt: NetId,
    pub(crate) link: Option<NetId>,
    pub(crate) peer: Option<NetId>,
}

impl NewlinkNets {
    /// `rtnl_newlink_peer_net()`: the peer's own namespace, else the link
    /// namespace, else the caller's.
    pub(crate) fn peer_net(&self) -> NetId {
        self.peer.or(self.link).unwrap_or(self.src)
    }
}

impl Kernel {
    /// `rtnl_create_link()`: allocate and pre-configure, not register.
    pub(crate) fn rtnl_create_link(
        &mut self,
        net: NetId,
        name: &str,
        assign: NameAssign,
        ops: &'static RtnlLinkOps,
        r: &LinkRequest,
    ) -> KResult<DevId> {
        // IFLA_NUM_*_QUEUES, else the kind's get_num_*_queues (veth: one
        // per possible CPU), else 1; 1..=4096, before anything is allocated.
        let default_queues = ops.get_num_queues.map_or(1, |f| f(self));
        let num_tx = r.num_tx_queues.unwrap_or(default_queues);
        let default_rx = if ops.tx_queues_only {
            1
        } else {
            default_queues
        };
        let num_rx = r.num_rx_queues.unwrap_or(default_rx);
        if !(1..=MAX_QUEUES).contains(&num_tx) {
            return Err(KError::msg(
                Errno::EINVAL,
                "Invalid number of transmit queues",
            ));
        }
        if !(1..=MAX_QUEUES).contains(&num_rx) {
            return Err(KError::msg(
                Errno::EINVAL,
                "Invalid number of receive queues",
            ));
        }
        let dev = self.alloc_netdev(net, name, assign, (ops.alloc_priv)());
        self.dev_mut(dev).limits.num_tx_queues = num_tx;
        self.dev_mut(dev).limits.num_rx_queues = num_rx;
        (ops.setup)(self, dev);
        if let Err(e) = self.validate_linkmsg(dev, r) {
            self.free_netdev(dev);
            return Err(e);
        }
        self.tables.rtnl_link_initializing.push(dev);
        if let Some(mtu) = r.mtu {
            if let Err(e) = self.dev_validate_mtu(dev, mtu) {
                self.tables.rtnl_link_initializing.retain(|&d| d != dev);
                self.free_netdev(dev);
                return Err(e);
            }
            self.dev_mut(dev).mtu = mtu;
        }
        // __dev_addr_set() / memcpy() copy the whole attribute into the
        // MAX_ADDR_LEN buffers, but dev->addr_len stays the link type's:
        // user space sees (and the model keeps) the first addr_len bytes.
        let addr_len = self.dev(dev).dev_addr.len();
        let d = self.dev_mut(dev);
        if let Some(a) = &r.address {
            d.dev_addr = HwAddr::new(&a[..addr_len]).unwrap_or(d.dev_addr);
            d.addr_assign_type = AddrAssign::Set;
        }
        if let Some(b) = &r.broadcast {
            d.broadcast = HwAddr::new(&b[..addr_len]).unwrap_or(d.broadcast);
        }
        if let Some(q) = r.txqlen {
            d.tx_queue_len = q;
        }
        // IFLA_OPERSTATE goes through set_operstate() on a device nobody
        // can see yet; linkwatch recomputes it when the device comes up.
        if let Some(lm) = r.linkmode {
            d.link_mode = lm;
        }
        if let Some(g) = r.group {
            d.group = g;
        }
        d.limits.apply(r);
        Ok(dev)
    }

    /// `validate_linkmsg()`: an address or broadcast shorter than the
    /// device's addr_len is -EINVAL; the GSO/GRO limits against the
    /// device's TSO limits; then IFLA_AF_SPEC.
    pub(crate) fn validate_linkmsg(&self, dev: DevId, r: &LinkRequest) -> KResult<()> {
        let addr_len = self.dev(dev).dev_addr.len();
        if r.address.as_ref().is_some_and(|a| a.len() < addr_len)
            || r.broadcast.as_ref().is_some_and(|b| b.len() < addr_len)
        {
            return Err(KError::new(Errno::EINVAL));
        }
        self.validate_linkmsg_limits(dev, r)?;
        // IFLA_AF_SPEC: each family's validate_link_af (inet/link_af.rs); a
        // device being created has no inet6_dev yet.
        match &r.af_spec {
            Some(af) => self.validate_link_af(Some(dev), af),
            None => Ok(()),
        }
    }

    /// `rtnl_newlink_create()`.
    pub(crate) fn rtnl_newlink_create(
        &mut self,
        ops: &'static RtnlLinkOps,
        r: &LinkRequest,
        nets: NewlinkNets,
        report: Option<Report>,
    ) -> KResult<()> {
        let (name, assign) = match &r.ifname {
            Some(n) => (n.clone(), NameAssign::User),
            None => (format!("{}%d", ops.kind), NameAssign::Enum),
        };
        let dev = self.rtnl_create_link(nets.tgt, &name, assign, ops, r)?;
        self.dev_mut(dev).ifindex = r.ifi_index.max(0) as u32;
        let registered = match ops.newlink {
            Some(newlink) => newlink(self, dev, r, nets.peer_net()),
            None => self.register_netdevice(dev),
        };
        if let Err(e) = registered {
            self.tables.rtnl_link_initializing.retain(|&d| d != dev);
            if self
                .try_dev(dev)
                .is_some_and(|d| d.reg_state == RegState::Uninitialized)
            {
                self.free_netdev(dev);
            }
            return Err(e);
        }
        let configured = self
            .rtnl_configure_link(dev, Some((r.ifi_flags, r.ifi_change)), report)
            .and_then(|_| match r.master {
                Some(m) => self.do_set_master(dev, m),
                None => Ok(()),
            });
        if let Err(e) = configured {
            let mut kill = Vec::new();
            self.rtnl_link_dellink(dev, &mut kill);
            self.unregister_netdevice_many(kill);
            return Err(e);
        }
        Ok(())
    }

    /// `rtnl_configure_link(dev, ifm, portid, nlh)`: apply ifi_flags, then
    /// announce the device (RTM_NEWLINK with change ~0 the first time),
    /// reported to the sender when it asked for an echo.
    pub(crate) fn rtnl_configure_link(
        &mut self,
        dev: DevId,
        ifm: Option<(u32, u32)>,
        report: Option<Report>,
    ) -> KResult<()> {
        let old_flags = self.dev(dev).flags;
        if let Some((flags, change)) = ifm {
            if flags != 0 || change != 0 {
                let combined = self.rtnl_dev_combine_flags(dev, flags, change);
                self.__dev_change_flags(dev, combined)?;
            }
        }
        let mut changed = old_flags ^ self.dev(dev).flags;
        if self.tables.rtnl_link_initializing.contains(&dev) {
            self.tables.rtnl_link_initializing.retain(|&d| d != dev);
            changed = !0;
        }
        self.__dev_notify_flags_report(dev, old_flags, changed, report);
        Ok(())
    }

    /// `rtnl_dev_combine_flags()`: ifi_change == 0 means "all bits"; the
    /// bits not asked for come from `rtnl_dev_get_flags()` (IFF_PROMISC and
    /// IFF_ALLMULTI as the user set them).
    pub(crate) fn rtnl_dev_combine_flags(&self, dev: DevId, flags: u32, change: u32) -> u32 {
        if change != 0 {
            (flags & change) | (self.dev(dev).rtnl_dev_get_flags() & !change)
        } else {
            flags
        }
    }
}
