//! RTM_NEWLINK / DELLINK / GETLINK handlers (rtnetlink.c): `rtnl_newlink`
//! (`__rtnl_newlink`'s lookup, `rtnl_changelink`, the group form),
//! `rtnl_dellink` (`rtnl_delete_link`, `rtnl_group_dellink`),
//! `rtnl_linkprop`, `rtnl_getlink`. Creation is in `create.rs`,
//! `do_setlink` in `setlink.rs`.

use crate::consts::*;
use crate::driver::RtnlLinkOps;
use crate::drivers::rtnl_link_ops_get;
use crate::errno::{Errno, KError, KResult};
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::rtnetlink::RtmType;
use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use netlink_packet_route::link::LinkMessage;

use super::create::NewlinkNets;
use super::request::check_str;
pub use super::request::LinkRequest;
use super::setlink::DO_SETLINK_NOTIFY;
use super::Report;

/// `nla_total_size(ALTIFNAMSIZ)`.
const NLA_TOTAL_ALTIFNAMSIZ: usize = 4 + ALTIFNAMSIZ;

impl Kernel {
    /// `rtnl_link_get_net_capable()`: the target namespace of a request.
    pub(crate) fn rtnl_link_get_net(&self, src: NetId, r: &LinkRequest) -> KResult<NetId> {
        if r.netns_attr_count() > 1 {
            return Err(KError::msg(
                Errno::EINVAL,
                "multiple netns identifying attributes specified",
            ));
        }
        if let Some(net) = self.rtnl_link_get_net_ifla(r)? {
            return Ok(net);
        }
        if let Some(id) = r.target_netnsid {
            return self
                .net_by_peer_id(src, id)
                .ok_or(KError::new(Errno::EINVAL));
        }
        Ok(src)
    }

    /// `rtnl_link_get_net_ifla()`: IFLA_NET_NS_PID, else IFLA_NET_NS_FD;
    /// `None` without either (IFLA_TARGET_NETNSID does not count).
    fn rtnl_link_get_net_ifla(&self, r: &LinkRequest) -> KResult<Option<NetId>> {
        if let Some(pid) = r.net_ns_pid {
            // Processes are not modelled: pid 1 lives in init_net.
            return if pid == 1 {
                Ok(Some(self.tables.init_net))
            } else {
                Err(KError::new(Errno::ESRCH))
            };
        }
        if let Some(fd) = r.net_ns_fd {
            let fd = u32::try_from(fd).map_err(|_| KError::new(Errno::EBADF))?;
            return self
                .net_by_fd(fd)
                .map(Some)
                .ok_or(KError::new(Errno::EINVAL));
        }
        Ok(None)
    }

    /// `rtnl_dev_get()`: by IFLA_ALT_IFNAME, else IFLA_IFNAME.
    fn rtnl_dev_get(&self, net: NetId, r: &LinkRequest) -> Option<DevId> {
        let name = r.alt_ifname.as_deref().or(r.ifname.as_deref())?;
        self.dev_get_by_name(net, name)
    }

    /// Looks a device up by ifi_index or name; `Ok(None)` if neither given.
    pub(crate) fn lookup_link(
        &self,
        net: NetId,
        r: &LinkRequest,
    ) -> KResult<(bool, Option<DevId>)> {
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

    /// `rtnl_newlink()`: the kind's validate (and the peer's, with its
    /// namespace: `rtnl_get_peer_net`), the target namespace, the link
    /// namespace (IFLA_LINK_NETNSID), then `__rtnl_newlink`.
    pub(crate) fn rtnl_newlink(
        &mut self,
        net: NetId,
        nlflags: u16,
        m: &LinkMessage,
        report: Option<Report>,
    ) -> KResult<()> {
        let r = LinkRequest::parse(m)?;
        if r.netns_attr_count() > 1 {
            return Err(KError::msg(
                Errno::EINVAL,
                "multiple netns identifying attributes specified",
            ));
        }
        let ops = r.kind.as_deref().and_then(rtnl_link_ops_get);
        let mut peer = None;
        if let Some(ops) = ops {
            if let Some(validate) = ops.validate {
                validate(&r)?;
            }
            if ops.peer_type {
                peer = self.rtnl_get_peer_net(ops, &r)?;
            }
        }
        let tgt = self.rtnl_link_get_net(net, &r)?;
        let link = match r.link_netnsid {
            Some(id) => Some(
                self.net_by_peer_id(tgt, id)
                    .ok_or(KError::msg(Errno::EINVAL, "Unknown network namespace id"))?,
            ),
            None => None,
        };
        let nets = NewlinkNets {
            src: net,
            tgt,
            link,
            peer,
        };
        self.__rtnl_newlink(nlflags, &r, ops, nets, report)
    }

    /// `rtnl_get_peer_net()`: the peer's ifinfomsg is validated by the
    /// kind and names the peer's namespace; without one, the request's
    /// own IFLA_NET_NS_PID / IFLA_NET_NS_FD do.
    fn rtnl_get_peer_net(
        &self,
        ops: &'static RtnlLinkOps,
        r: &LinkRequest,
    ) -> KResult<Option<NetId>> {
        let Some(p) = r.veth_peer.as_deref() else {
            return self.rtnl_link_get_net_ifla(r);
        };
        if let Some(validate) = ops.validate {
            validate(p)?;
        }
        self.rtnl_link_get_net_ifla(p)
    }

    /// `__rtnl_newlink()`: an existing device is changed, a group is
    /// changed, or the device is created.
    fn __rtnl_newlink(
        &mut self,
        nlflags: u16,
        r: &LinkRequest,
        ops: Option<&'static RtnlLinkOps>,
        nets: NewlinkNets,
        report: Option<Report>,
    ) -> KResult<()> {
        let create_excl = nlflags & NLM_F_CREATE != 0 && nlflags & NLM_F_EXCL != 0;
        let device_net = if create_excl { nets.tgt } else { nets.src };
        let (specified, dev) = self.lookup_link(device_net, r)?;
        if let Some(dev) = dev {
            return self.rtnl_changelink(nlflags, dev, nets.tgt, r, ops);
        }
        if nlflags & NLM_F_CREATE == 0 {
            return match r.group {
                Some(group) if !specified => {
                    self.rtnl_group_changelink(nets.src, nets.tgt, group, r)
                }
                _ => Err(KError::new(Errno::ENODEV)),
            };
        }
        let Some(ops) = ops else {
            return Err(KError::msg(Errno::EOPNOTSUPP, "Unknown device type"));
        };
        self.rtnl_newlink_create(ops, r, nets, report)
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
        if r.slave_data.is_some() {
            // The master's rtnl_link_ops->slave_changelink.
            let master = self.dev(dev).master;
            let f = master.and_then(|m| self.rtnl_link_ops(m)?.slave_changelink);
            let (Some(m), Some(f)) = (master, f) else {
                return Err(KError::new(Errno::EOPNOTSUPP));
            };
            f(self, m, dev, r)?;
            status |= DO_SETLINK_NOTIFY;
        }
        self.do_setlink(dev, tgt, r, status)
    }

    /// `rtnl_dellink()`: by index or name (`rtnl_delete_link`, whose
    /// RTM_DELLINKs are reported to the sender with NLM_F_ECHO), else by
    /// IFLA_GROUP (`rtnl_group_dellink`, never reported). Only
    /// IFLA_TARGET_NETNSID may name another namespace.
    pub(crate) fn rtnl_dellink(
        &mut self,
        net: NetId,
        m: &LinkMessage,
        report: Option<Report>,
    ) -> KResult<()> {
        let r = LinkRequest::parse(m)?;
        if r.net_ns_pid.is_some() || r.net_ns_fd.is_some() {
            return Err(KError::msg(
                Errno::EOPNOTSUPP,
                "specified netns attribute not supported",
            ));
        }
        let tgt = match r.target_netnsid {
            Some(id) => self
                .net_by_peer_id(net, id)
                .ok_or(KError::new(Errno::EINVAL))?,
            None => net,
        };
        match self.lookup_link(tgt, &r)? {
            (_, Some(dev)) => self.rtnl_delete_link(dev, report),
            (true, None) => Err(KError::new(Errno::ENODEV)),
            (false, None) => match r.group {
                Some(group) => self.rtnl_group_dellink(tgt, group),
                None => Err(KError::new(Errno::EINVAL)),
            },
        }
    }

    /// `rtnl_bridge_dellink()` (RTM_DELLINK of family PF_BRIDGE): the
    /// device by index, then its master's `ndo_bridge_dellink`; a bridge's
    /// (`br_dellink`) with no IFLA_AF_SPEC changes nothing. IFLA_AF_SPEC's
    /// IFLA_BRIDGE_FLAGS (SELF / MASTER) are not modelled: flags 0.
    pub(crate) fn rtnl_bridge_dellink(&mut self, net: NetId, m: &LinkMessage) -> KResult<()> {
        let dev = self
            .dev_get_by_index(net, m.header.index)
            .ok_or(KError::msg(Errno::ENODEV, "unknown ifindex"))?;
        match self.dev(dev).master {
            Some(br) if self.dev(br).driver.is_bridge() => Ok(()),
            _ => Err(KError::new(Errno::EOPNOTSUPP)),
        }
    }

    /// `rtnl_delete_link(dev, portid, nlh)`.
    fn rtnl_delete_link(&mut self, dev: DevId, report: Option<Report>) -> KResult<()> {
        if self.rtnl_link_ops(dev).is_none() {
            return Err(KError::new(Errno::EOPNOTSUPP));
        }
        let mut kill = Vec::new();
        self.rtnl_link_dellink(dev, &mut kill);
        self.unregister_netdevice_many_notify(kill, report);
        Ok(())
    }

    /// `rtnl_group_dellink()`: group 0 is -EPERM; every device of the
    /// group must have a dellink (else -EOPNOTSUPP, nothing deleted); none
    /// at all is -ENODEV; then all go in one `unregister_netdevice_many`.
    fn rtnl_group_dellink(&mut self, net: NetId, group: u32) -> KResult<()> {
        if group == 0 {
            return Err(KError::new(Errno::EPERM));
        }
        let members: Vec<DevId> = self
            .devices_in_list_order(net)
            .into_iter()
            .filter(|&d| self.dev(d).group == group)
            .collect();
        if members.iter().any(|&d| self.rtnl_link_ops(d).is_none()) {
            return Err(KError::new(Errno::EOPNOTSUPP));
        }
        if members.is_empty() {
            return Err(KError::new(Errno::ENODEV));
        }
        let mut kill = Vec::new();
        for d in members {
            // A veth whose peer's dellink already queued it (and unpaired
            // it) queues itself again: it moves to the list's tail.
            self.rtnl_link_dellink(d, &mut kill);
        }
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
