//! RTM_NEWLINK / SETLINK / DELLINK / GETLINK handlers (rtnetlink.c):
//! `rtnl_newlink`, `rtnl_newlink_create`, `rtnl_changelink`, `do_setlink`,
//! `rtnl_setlink`, `rtnl_dellink`, `rtnl_getlink`.

use crate::consts::*;
use crate::driver::RtnlLinkOps;
use crate::drivers::rtnl_link_ops_get;
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::rtnetlink::RtmType;
use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use netlink_packet_route::link::LinkMessage;

use super::request::check_str;
pub use super::request::LinkRequest;

/// rtnl_create_link()'s bound on IFLA_NUM_TX_QUEUES / IFLA_NUM_RX_QUEUES.
const MAX_QUEUES: u32 = 4096;

/// `nla_total_size(ALTIFNAMSIZ)`.
const NLA_TOTAL_ALTIFNAMSIZ: usize = 4 + ALTIFNAMSIZ;

/// `DO_SETLINK_MODIFIED` / `DO_SETLINK_NOTIFY`.
const DO_SETLINK_MODIFIED: u8 = 0x01;
const DO_SETLINK_NOTIFY: u8 = 0x03;

impl Kernel {
    /// `rtnl_link_get_net_capable()`: the target namespace of a request.
    fn rtnl_link_get_net(&self, src: NetId, r: &LinkRequest) -> KResult<NetId> {
        if r.netns_attr_count() > 1 {
            return Err(KError::msg(
                Errno::EINVAL,
                "multiple netns identifying attributes specified",
            ));
        }
        if let Some(pid) = r.net_ns_pid {
            // Processes are not modelled: pid 1 lives in init_net.
            return if pid == 1 {
                Ok(self.tables.init_net)
            } else {
                Err(KError::new(Errno::ESRCH))
            };
        }
        if let Some(fd) = r.net_ns_fd {
            let fd = u32::try_from(fd).map_err(|_| KError::new(Errno::EBADF))?;
            return self.net_by_fd(fd).ok_or(KError::new(Errno::EINVAL));
        }
        if let Some(id) = r.target_netnsid {
            return self
                .net_by_peer_id(src, id)
                .ok_or(KError::new(Errno::EINVAL));
        }
        Ok(src)
    }

    /// `rtnl_dev_get()`: by IFLA_ALT_IFNAME, else IFLA_IFNAME.
    fn rtnl_dev_get(&self, net: NetId, r: &LinkRequest) -> Option<DevId> {
        let name = r.alt_ifname.as_deref().or(r.ifname.as_deref())?;
        self.dev_get_by_name(net, name)
    }

    /// Looks a device up by ifi_index or name; `Ok(None)` if neither given.
    fn lookup_link(&self, net: NetId, r: &LinkRequest) -> KResult<(bool, Option<DevId>)> {
        if r.ifi_index > 0 {
            Ok((true, self.dev_get_by_index(net, r.ifi_index as u32)))
        } else if r.ifi_index < 0 {
            Err(KError::msg(Errno::EINVAL, "ifindex can't be negative"))
        } else if r.ifname.is_some() || r.alt_ifname.is_some() {
            Ok((true, self.rtnl_dev_get(net, r)))
        } else {
            Ok((false, None))
        }
    }

    /// `rtnl_newlink()` + `__rtnl_newlink()`.
    pub(crate) fn rtnl_newlink(
        &mut self,
        net: NetId,
        nlflags: u16,
        m: &LinkMessage,
    ) -> KResult<()> {
        let r = LinkRequest::parse(m)?;
        if r.netns_attr_count() > 1 {
            return Err(KError::msg(
                Errno::EINVAL,
                "multiple netns identifying attributes specified",
            ));
        }
        let ops = r.kind.as_deref().and_then(rtnl_link_ops_get);
        // rtnl_newlink_peer_net(): only kinds with a peer_type.
        let peer_net = match (ops.is_some_and(|o| o.peer_type), &r.veth_peer) {
            (true, Some(p)) if p.netns_attr_count() > 0 => Some(self.rtnl_link_get_net(net, p)?),
            _ => None,
        };
        let tgt_net = self.rtnl_link_get_net(net, &r)?;
        let create_excl = nlflags & NLM_F_CREATE != 0 && nlflags & NLM_F_EXCL != 0;
        let device_net = if create_excl { tgt_net } else { net };
        let (specified, dev) = self.lookup_link(device_net, &r)?;
        if let Some(dev) = dev {
            return self.rtnl_changelink(nlflags, dev, tgt_net, &r, ops);
        }
        if nlflags & NLM_F_CREATE == 0 {
            if specified || r.group.is_none() {
                return Err(KError::new(Errno::ENODEV));
            }
            return Err(KError::new(Errno::EOPNOTSUPP));
        }
        let Some(ops) = ops else {
            return Err(KError::msg(Errno::EOPNOTSUPP, "Unknown device type"));
        };
        // rtnl_newlink_peer_net(): without its own netns attribute the peer
        // goes to the caller's namespace, not the target one.
        self.rtnl_newlink_create(ops, &r, tgt_net, peer_net.unwrap_or(net))
    }

    /// `rtnl_changelink()`.
    fn rtnl_changelink(
        &mut self,
        nlflags: u16,
        dev: DevId,
        tgt: NetId,
        r: &LinkRequest,
        ops: Option<&'static RtnlLinkOps>,
    ) -> KResult<()> {
        if nlflags & NLM_F_EXCL != 0 {
            return Err(KError::new(Errno::EEXIST));
        }
        if nlflags & NLM_F_REPLACE != 0 {
            return Err(KError::new(Errno::EOPNOTSUPP));
        }
        let mut status = 0;
        if r.has_info_data {
            // `if (!ops || ops != dev->rtnl_link_ops || !ops->changelink)`.
            let same = ops.is_some_and(|o| Some(o.kind) == self.link_kind(dev));
            let Some(changelink) = ops.and_then(|o| o.changelink).filter(|_| same) else {
                return Err(KError::new(Errno::EOPNOTSUPP));
            };
            changelink(self, dev, r)?;
            status |= DO_SETLINK_NOTIFY;
        }
        self.do_setlink(dev, tgt, r, status)
    }

    /// `rtnl_create_link()`: allocate and pre-configure, not register.
    pub(crate) fn rtnl_create_link(
        &mut self,
        net: NetId,
        name: &str,
        assign: NameAssign,
        ops: &'static RtnlLinkOps,
        r: &LinkRequest,
    ) -> KResult<DevId> {
        // The queue counts (1 unless given: veth and bridge have no
        // get_num_tx_queues) must be 1..=4096, before anything is allocated.
        if !(1..=MAX_QUEUES).contains(&r.num_tx_queues.unwrap_or(1)) {
            return Err(KError::msg(
                Errno::EINVAL,
                "Invalid number of transmit queues",
            ));
        }
        if !(1..=MAX_QUEUES).contains(&r.num_rx_queues.unwrap_or(1)) {
            return Err(KError::msg(
                Errno::EINVAL,
                "Invalid number of receive queues",
            ));
        }
        let dev = self.alloc_netdev(net, name, assign, (ops.alloc_priv)());
        (ops.setup)(self, dev);
        // validate_linkmsg(dev, tb): an address or broadcast shorter than
        // the new device's addr_len is refused.
        let addr_len = self.dev(dev).dev_addr.len();
        if r.address.as_ref().is_some_and(|a| a.len() < addr_len)
            || r.broadcast.as_ref().is_some_and(|b| b.len() < addr_len)
        {
            self.free_netdev(dev);
            return Err(KError::new(Errno::EINVAL));
        }
        // … and its IFLA_AF_SPEC: the new device has no inet6_dev yet.
        if let Some(af) = &r.af_spec {
            if let Err(e) = self.validate_link_af(None, af) {
                self.free_netdev(dev);
                return Err(e);
            }
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
        if let Some(lm) = r.linkmode {
            d.link_mode = lm;
        }
        if let Some(g) = r.group {
            d.group = g;
        }
        Ok(dev)
    }

    /// `rtnl_newlink_create()`.
    fn rtnl_newlink_create(
        &mut self,
        ops: &'static RtnlLinkOps,
        r: &LinkRequest,
        tgt: NetId,
        peer_net: NetId,
    ) -> KResult<()> {
        if let Some(validate) = ops.validate {
            validate(r)?;
        }
        let (name, assign) = match &r.ifname {
            Some(n) => (n.clone(), NameAssign::User),
            None => (format!("{}%d", ops.kind), NameAssign::Enum),
        };
        let dev = self.rtnl_create_link(tgt, &name, assign, ops, r)?;
        self.dev_mut(dev).ifindex = r.ifi_index.max(0) as u32;
        let registered = match ops.newlink {
            Some(newlink) => newlink(self, dev, r, peer_net),
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
            .rtnl_configure_link(dev, Some((r.ifi_flags, r.ifi_change)))
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

    /// `rtnl_configure_link()`: apply ifi_flags, then announce the device
    /// (RTM_NEWLINK with change ~0 the first time).
    pub(crate) fn rtnl_configure_link(
        &mut self,
        dev: DevId,
        ifm: Option<(u32, u32)>,
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
        self.__dev_notify_flags(dev, old_flags, changed);
        Ok(())
    }

    /// `rtnl_dev_combine_flags()`: ifi_change == 0 means "all bits".
    fn rtnl_dev_combine_flags(&self, dev: DevId, flags: u32, change: u32) -> u32 {
        if change != 0 {
            (flags & change) | (self.dev(dev).flags & !change)
        } else {
            flags
        }
    }

    /// `do_setlink()`: attributes applied in the kernel's order; an error
    /// stops there and keeps what was already done.
    fn do_setlink(
        &mut self,
        dev: DevId,
        tgt: NetId,
        r: &LinkRequest,
        mut status: u8,
    ) -> KResult<()> {
        let d = self.dev(dev);
        let addr_len = d.dev_addr.len();
        if r.address.as_ref().is_some_and(|a| a.len() < addr_len)
            || r.broadcast.as_ref().is_some_and(|a| a.len() < addr_len)
        {
            return Err(KError::new(Errno::EINVAL));
        }
        if let Some(af) = &r.af_spec {
            self.validate_link_af(Some(dev), af)?;
        }
        if tgt != d.net {
            let pat = r.ifname.as_deref();
            let new_ifindex = r.new_ifindex.unwrap_or(0).max(0) as u32;
            self.dev_change_net_namespace(dev, tgt, pat, new_ifindex)?;
            status |= DO_SETLINK_MODIFIED;
        }
        let result = self.do_setlink_attrs(dev, r, &mut status);
        if status & DO_SETLINK_MODIFIED != 0 && status & DO_SETLINK_NOTIFY == DO_SETLINK_NOTIFY {
            self.netif_state_change(dev);
        }
        if result.is_err() && status & DO_SETLINK_MODIFIED != 0 {
            let name = self.dev(dev).name;
            self.printk(format!(
                "A link change request failed with some changes committed already. Interface {name} may have been left with an inconsistent configuration, please check."
            ));
        }
        result
    }

    fn do_setlink_attrs(&mut self, dev: DevId, r: &LinkRequest, status: &mut u8) -> KResult<()> {
        if let Some(a) = &r.address {
            let addr = HwAddr::new(&a[..a.len().min(MAX_ADDR_LEN)]).expect("bounded");
            self.dev_set_mac_address(dev, addr)?;
            *status |= DO_SETLINK_MODIFIED;
        }
        if let Some(mtu) = r.mtu {
            self.dev_set_mtu(dev, mtu)?;
            *status |= DO_SETLINK_MODIFIED;
        }
        if let Some(g) = r.group {
            self.dev_mut(dev).group = g;
            *status |= DO_SETLINK_NOTIFY;
        }
        if r.ifi_index > 0 {
            if let Some(name) = &r.ifname {
                self.dev_change_name(dev, name)?;
                *status |= DO_SETLINK_MODIFIED;
            }
        }
        if let Some(alias) = &r.ifalias {
            self.dev_set_alias(dev, alias)?;
            *status |= DO_SETLINK_NOTIFY;
        }
        if let Some(b) = &r.broadcast {
            let len = self.dev(dev).dev_addr.len();
            self.dev_mut(dev).broadcast = HwAddr::new(&b[..len]).expect("bounded");
            let _ = self.call_netdevice_notifiers(crate::notifier::NetdevEvent::ChangeAddr, dev);
        }
        if r.ifi_flags != 0 || r.ifi_change != 0 {
            let flags = self.rtnl_dev_combine_flags(dev, r.ifi_flags, r.ifi_change);
            self.dev_change_flags(dev, flags)?;
        }
        if let Some(m) = r.master {
            self.do_set_master(dev, m)?;
            *status |= DO_SETLINK_MODIFIED;
        }
        if let Some(c) = r.carrier {
            self.dev_change_carrier(dev, c != 0)?;
            *status |= DO_SETLINK_MODIFIED;
        }
        if let Some(q) = r.txqlen {
            self.dev_change_tx_queue_len(dev, q)?;
            *status |= DO_SETLINK_MODIFIED;
        }
        if let Some(op) = r.operstate {
            self.set_operstate(dev, op);
        }
        if let Some(lm) = r.linkmode {
            if self.dev(dev).link_mode != lm {
                *status |= DO_SETLINK_NOTIFY;
            }
            self.dev_mut(dev).link_mode = lm;
        }
        if let Some(af) = &r.af_spec {
            self.set_link_af(dev, af)?;
            *status |= DO_SETLINK_NOTIFY;
        }
        Ok(())
    }

    /// `set_operstate()`: user space may move UP↔DORMANT/TESTING only.
    fn set_operstate(&mut self, dev: DevId, transition: u8) {
        let d = self.dev(dev);
        let cur = d.operstate;
        let new = match OperState::from_u8(transition) {
            OperState::Up
                if matches!(
                    cur,
                    OperState::Dormant | OperState::Testing | OperState::Unknown
                ) && !d.dormant =>
            {
                OperState::Up
            }
            OperState::Testing if d.oper_up() => OperState::Testing,
            OperState::Dormant if d.oper_up() => OperState::Dormant,
            _ => cur,
        };
        if new != cur {
            self.dev_mut(dev).operstate = new;
            self.netif_state_change(dev);
        }
    }

    /// `rtnl_setlink()`.
    pub(crate) fn rtnl_setlink(&mut self, net: NetId, m: &LinkMessage) -> KResult<()> {
        let r = LinkRequest::parse(m)?;
        let tgt = self.rtnl_link_get_net(net, &r)?;
        let dev = match self.lookup_link(net, &r)? {
            (false, _) => return Err(KError::new(Errno::EINVAL)),
            (true, None) => return Err(KError::new(Errno::ENODEV)),
            (true, Some(d)) => d,
        };
        self.do_setlink(dev, tgt, &r, 0)
    }

    /// `rtnl_dellink()` → `rtnl_delete_link()`.
    pub(crate) fn rtnl_dellink(&mut self, net: NetId, m: &LinkMessage) -> KResult<()> {
        let r = LinkRequest::parse(m)?;
        let tgt = self.rtnl_link_get_net(net, &r)?;
        let dev = match self.lookup_link(tgt, &r)? {
            (false, _) => return Err(KError::new(Errno::EINVAL)),
            (true, None) => return Err(KError::new(Errno::ENODEV)),
            (true, Some(d)) => d,
        };
        if self.rtnl_link_ops(dev).is_none() {
            return Err(KError::new(Errno::EOPNOTSUPP));
        }
        let mut kill = Vec::new();
        self.rtnl_link_dellink(dev, &mut kill);
        self.unregister_netdevice_many(kill);
        Ok(())
    }

    /// `rtnl_newlinkprop()` / `rtnl_dellinkprop()` → `rtnl_linkprop()`:
    /// altnames added or removed in order; the first error stops (what was
    /// done stays), one NETDEV_CHANGE at the end if anything changed.
    pub(crate) fn rtnl_linkprop(&mut self, net: NetId, m: &LinkMessage, add: bool) -> KResult<()> {
        let r = LinkRequest::parse(m)?;
        if r.netns_attr_count() > 0 {
            return Err(KError::msg(
                Errno::EINVAL,
                "Invalid attribute in link property request",
            ));
        }
        let dev = match self.lookup_link(net, &r)? {
            (false, _) => return Err(KError::new(Errno::EINVAL)),
            (true, None) => return Err(KError::new(Errno::ENODEV)),
            (true, Some(d)) => d,
        };
        let mut changed = false;
        for alt in &r.prop_altnames {
            // rtnl_alt_ifname(): nla_validate() against ifla_policy, then
            // (adding) the size the fill's IFLA_PROP_LIST could reach.
            check_str(alt, ALTIFNAMSIZ - 1)?;
            if add && self.rtnl_prop_list_size(dev) + NLA_TOTAL_ALTIFNAMSIZ >= u16::MAX as usize {
                return Err(KError::msg(
                    Errno::EINVAL,
                    "effective property list too long",
                ));
            }
            // An error returns at once: names added before it stay, with
            // no netdev_state_change().
            if add {
                self.netdev_name_node_alt_create(dev, alt)?;
            } else {
                self.netdev_name_node_alt_destroy(dev, alt)?;
            }
            changed = true;
        }
        if changed {
            self.netif_state_change(dev);
        }
        Ok(())
    }

    /// `rtnl_prop_list_size()`: the nest header and a full ALTIFNAMSIZ
    /// attribute per altname (0 without altnames).
    fn rtnl_prop_list_size(&self, dev: DevId) -> usize {
        match self.dev(dev).altnames.len() {
            0 => 0,
            n => 4 + n * NLA_TOTAL_ALTIFNAMSIZ,
        }
    }

    /// `rtnl_getlink()`.
    pub(crate) fn rtnl_getlink(
        &mut self,
        net: NetId,
        m: &LinkMessage,
        seq: u32,
    ) -> KResult<Vec<u8>> {
        let r = LinkRequest::parse(m)?;
        let tgt = self.rtnl_link_get_net(net, &r)?;
        let dev = match self.lookup_link(tgt, &r)? {
            (false, _) => return Err(KError::new(Errno::EINVAL)),
            (true, None) => return Err(KError::new(Errno::ENODEV)),
            (true, Some(d)) => d,
        };
        // rtnl_getlink() settles the device's pending link event first.
        self.linkwatch_sync_dev(dev);
        Ok(self.rtnl_fill_ifinfo_msg(RtmType::NewLink, dev, 0, net, r.skip_stats, seq, 0))
    }
}
