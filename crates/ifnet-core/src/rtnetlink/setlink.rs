//! Changing a link (rtnetlink.c): `do_setlink` — the attributes in the
//! kernel's order, an error stopping there with what was done kept —
//! `rtnl_setlink`, and `rtnl_group_changelink` (RTM_NEWLINK without a
//! device but with IFLA_GROUP: every device of the group).

use crate::consts::*;
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use netlink_packet_route::link::LinkMessage;

use super::request::LinkRequest;

/// `DO_SETLINK_MODIFIED` / `DO_SETLINK_NOTIFY`.
pub(crate) const DO_SETLINK_MODIFIED: u8 = 0x01;
pub(crate) const DO_SETLINK_NOTIFY: u8 = 0x03;

impl Kernel {
    /// `do_setlink()`: `validate_linkmsg`, the namespace move, then the
    /// attributes in the kernel's order; an error stops there and keeps
    /// what was already done.
    pub(crate) fn do_setlink(
        &mut self,
        dev: DevId,
        tgt: NetId,
        r: &LinkRequest,
        mut status: u8,
    ) -> KResult<()> {
        self.validate_linkmsg(dev, r)?;
        if tgt != self.dev(dev).net {
            let pat = r.ifname.as_deref();
            let new_ifindex = r.new_ifindex.unwrap_or(0).max(0) as u32;
            self.dev_change_net_namespace(dev, tgt, pat, new_ifindex)?;
            status |= DO_SETLINK_MODIFIED;
        }
        let result = self
            .do_setlink_head(dev, r, &mut status)
            .and_then(|_| self.do_setlink_tail(dev, r, &mut status));
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

    /// do_setlink() from IFLA_ADDRESS to the flags.
    fn do_setlink_head(&mut self, dev: DevId, r: &LinkRequest, status: &mut u8) -> KResult<()> {
        if let Some(a) = &r.address {
            let addr = HwAddr::new(&a[..a.len().min(MAX_ADDR_LEN)]).unwrap_or(HwAddr::EMPTY);
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
            if let Some(b) = HwAddr::new(&b[..len.min(b.len())]) {
                self.dev_mut(dev).broadcast = b;
            }
            let _ = self.call_netdevice_notifiers(crate::notifier::NetdevEvent::ChangeAddr, dev);
        }
        if r.ifi_flags != 0 || r.ifi_change != 0 {
            let flags = self.rtnl_dev_combine_flags(dev, r.ifi_flags, r.ifi_change);
            self.dev_change_flags(dev, flags)?;
        }
        Ok(())
    }

    /// do_setlink() from IFLA_MASTER to IFLA_PROTO_DOWN.
    fn do_setlink_tail(&mut self, dev: DevId, r: &LinkRequest, status: &mut u8) -> KResult<()> {
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
        // IFLA_GSO_MAX_SIZE … IFLA_GRO_IPV4_MAX_SIZE, each stored when it
        // differs.
        if self.dev_mut(dev).limits.apply(r) {
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
        if r.proto_down.is_some() || r.has_proto_down_reason {
            self.do_set_proto_down(dev)?;
            *status |= DO_SETLINK_NOTIFY;
        }
        Ok(())
    }

    /// `do_set_proto_down()`: only devices whose driver sets
    /// `dev->change_proto_down` (vxlan, macvlan, bonding, …) take
    /// IFLA_PROTO_DOWN / IFLA_PROTO_DOWN_REASON; no modelled driver does.
    fn do_set_proto_down(&mut self, _dev: DevId) -> KResult<()> {
        Err(KError::msg(
            Errno::EOPNOTSUPP,
            "Protodown not supported by device",
        ))
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
        if r.netns_attr_count() > 1 {
            return Err(KError::msg(
                Errno::EINVAL,
                "multiple netns identifying attributes specified",
            ));
        }
        let tgt = self.rtnl_link_get_net(net, &r)?;
        let dev = match self.lookup_link(net, &r)? {
            (false, _) => return Err(KError::new(Errno::EINVAL)),
            (true, None) => return Err(KError::new(Errno::ENODEV)),
            (true, Some(d)) => d,
        };
        self.do_setlink(dev, tgt, &r, 0)
    }

    /// `rtnl_group_changelink()`: `do_setlink` on every device of `net`
    /// in the group, in list order; the first error stops the walk (the
    /// devices already changed stay changed).
    pub(crate) fn rtnl_group_changelink(
        &mut self,
        net: NetId,
        tgt: NetId,
        group: u32,
        r: &LinkRequest,
    ) -> KResult<()> {
        for dev in self.devices_in_list_order(net) {
            // for_each_netdev_safe(): a device moved away by an earlier
            // step is no longer on this list.
            let still_here = self
                .try_dev(dev)
                .is_some_and(|d| d.net == net && d.reg_state == RegState::Registered);
            if still_here && self.dev(dev).group == group {
                self.do_setlink(dev, tgt, r, 0)?;
            }
        }
        Ok(())
    }

    /// The devices of `net` in `dev_base_head` order (registration order:
    /// what `for_each_netdev` walks).
    pub(crate) fn devices_in_list_order(&self, net: NetId) -> Vec<DevId> {
        let mut v = self.devices_in(net);
        v.sort_by_key(|&d| self.dev(d).list_seq);
        v
    }
}
