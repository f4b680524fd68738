//! Moving devices between namespaces (`__dev_change_net_namespace`) and what
//! happens to devices when a namespace dies (`default_device_exit_batch`).
//! linux-semantics.md §5; seed 004.

use crate::errno::{Errno, KError, KResult};
use crate::events::UeventAction;
use crate::hwaddr::IfName;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::notifier::NetdevEvent;
use crate::rtnetlink::RtmType;
use crate::window::{ParkedOp, Step, Window};

/// What the procedure half of a move needs (checked, reserved).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MoveArgs {
    pub dev: DevId,
    pub net: NetId,
    pub new_name: Option<IfName>,
    pub new_ifindex: u32,
}

impl From<MoveArgs> for ParkedOp {
    fn from(m: MoveArgs) -> ParkedOp {
        ParkedOp::NetnsMove {
            dev: m.dev,
            net: m.net,
            new_name: m.new_name,
            new_ifindex: m.new_ifindex,
        }
    }
}

impl Kernel {
    /// `__dev_change_net_namespace(dev, net, pat, new_ifindex)`: every check
    /// before any change, then a "mini unregister + register".
    pub fn dev_change_net_namespace(
        &mut self,
        dev: DevId,
        net: NetId,
        pat: Option<&str>,
        new_ifindex: u32,
    ) -> KResult<()> {
        let d = self.dev(dev);
        if d.netns_immutable {
            return Err(KError::msg(
                Errno::EINVAL,
                "The interface netns is immutable",
            ));
        }
        if d.reg_state != crate::consts::RegState::Registered {
            return Err(KError::msg(Errno::EINVAL, "The interface isn't registered"));
        }
        let net_old = d.net;
        if net_old == net {
            return Ok(());
        }
        let new_name = self.pick_name_in_target(dev, net, pat)?;
        if self.profile.altnames_move_with_dev {
            for alt in &self.dev(dev).altnames {
                if self.net(net).name_in_use(alt) {
                    return Err(KError::msg_fmt(
                        Errno::EEXIST,
                        format!("An interface with the altname {alt} exists in the target netns"),
                    ));
                }
            }
        }
        let new_ifindex = self.reserve_ifindex_in_target(dev, net, new_ifindex)?;
        self.move_device(dev, net, new_name, new_ifindex);
        Ok(())
    }

    /// The destination name: `None` keeps the current one.
    fn pick_name_in_target(
        &self,
        dev: DevId,
        net: NetId,
        pat: Option<&str>,
    ) -> KResult<Option<IfName>> {
        let name = self.dev(dev).name;
        if !self.net(net).name_in_use(name.as_str()) {
            return Ok(None);
        }
        let Some(pat) = pat else {
            return Err(KError::msg(
                Errno::EEXIST,
                "An interface with the same name exists in the target netns",
            ));
        };
        self.dev_prep_valid_name(net, pat, Errno::EEXIST)
            .map(Some)
            .map_err(|e| {
                KError::msg_fmt(
                    e.errno,
                    format!("Unable to use '{pat}' for the new interface name in the target netns"),
                )
            })
    }

    fn reserve_ifindex_in_target(&mut self, dev: DevId, net: NetId, want: u32) -> KResult<u32> {
        if want != 0 {
            return self.dev_index_reserve(net, want).map_err(|_| {
                KError::msg_fmt(
                    Errno::EBUSY,
                    format!("The ifindex {want} is not available in the target netns"),
                )
            });
        }
        let current = self.dev(dev).ifindex;
        match self.dev_index_reserve(net, current) {
            Err(e) if e.errno == Errno::EBUSY => self.dev_index_reserve(net, 0),
            other => other,
        }
        .map_err(|_| {
            KError::msg(
                Errno::ENOSPC,
                "Unable to allocate a new ifindex in the target netns",
            )
        })
    }

    /// The procedure half of `__dev_change_net_namespace`; cannot fail.
    /// A stepped move (`dev_change_net_namespace_stepped`) parks in the
    /// window it asked for.
    fn move_device(&mut self, dev: DevId, net: NetId, new_name: Option<IfName>, new_ifindex: u32) {
        let m = MoveArgs {
            dev,
            net,
            new_name,
            new_ifindex,
        };
        let stop = self.inflight.move_stop.take();
        self.move_device_from(None, m, stop);
    }

    /// Runs the move from the start (`from` = None) or from the window it
    /// is parked in, to the window `stop` or to its end.
    pub(crate) fn move_device_from(
        &mut self,
        from: Option<Window>,
        m: MoveArgs,
        stop: Option<Window>,
    ) -> Step {
        if from.is_none() {
            self.move_device_unlist(&m);
            if stop == Some(Window::NetnsMoveAfterRemoveUevent) {
                self.park(Window::NetnsMoveAfterRemoveUevent, ParkedOp::from(m));
                return Step::Parked(Window::NetnsMoveAfterRemoveUevent);
            }
        }
        if from != Some(Window::NetnsMoveAfterAddUevent) {
            self.move_device_switch(&m);
            if stop == Some(Window::NetnsMoveAfterAddUevent) {
                self.park(Window::NetnsMoveAfterAddUevent, ParkedOp::from(m));
                return Step::Parked(Window::NetnsMoveAfterAddUevent);
            }
        }
        self.move_device_relist(m.dev);
        Step::Done(m.dev)
    }

    /// Close, unlist, NETDEV_UNREGISTER, RTM_DELLINK and KOBJ_REMOVE in the
    /// old namespace.
    fn move_device_unlist(&mut self, m: &MoveArgs) {
        let (dev, net) = (m.dev, m.net);
        let net_old = self.dev(dev).net;
        // 1. netif_close(): the device arrives DOWN.
        self.dev_close(dev);
        // 2. unlist; moving_ns.
        self.unlist_netdevice(dev);
        self.dev_mut(dev).moving_ns = true;
        // dev_shutdown(): the root qdisc is torn down until the next open.
        self.dev_mut(dev).qdisc = crate::netdev::Qdisc::Noop;
        // 3. NETDEV_UNREGISTER with reg_state still REGISTERED.
        let _ = self.call_netdevice_notifiers(NetdevEvent::Unregister, dev);
        // 4. RTM_DELLINK in the old namespace, under the old name.
        let new_nsid = self.peernet2id_alloc(net_old, net);
        if self.has_mcast_listeners() {
            let bytes = self.rtnl_fill_dellink_newnet(dev, new_nsid, m.new_ifindex);
            self.rtnl_notify(net_old, bytes);
        } else {
            self.rtnl_fill_side_effects(dev);
        }
        // 5. KOBJ_REMOVE in the old namespace.
        // dev_uc_flush() / dev_mc_flush().
        {
            let l = &mut self.dev_mut(dev).addr_lists;
            l.uc.clear();
            l.mc.clear();
        }
        self.kobject_uevent(dev, UeventAction::Remove);
    }

    /// `dev_net_set()`, the new ifindex and name (no NETDEV_CHANGENAME),
    /// KOBJ_ADD in the new namespace.
    fn move_device_switch(&mut self, m: &MoveArgs) {
        let dev = m.dev;
        // 6. switch namespace, ifindex, name (no NETDEV_CHANGENAME).
        {
            let keep_altnames = self.profile.altnames_move_with_dev;
            let d = self.dev_mut(dev);
            d.net = m.net;
            d.ifindex = m.new_ifindex;
            if let Some(n) = m.new_name {
                d.name = n;
            }
            if !keep_altnames {
                d.altnames.clear();
            }
        }
        // 7. KOBJ_ADD in the new namespace.
        self.kobject_uevent(dev, UeventAction::Add);
    }

    /// `moving_ns` off, `list_netdevice()`, NETDEV_REGISTER, RTM_NEWLINK.
    fn move_device_relist(&mut self, dev: DevId) {
        self.dev_mut(dev).moving_ns = false;
        // 8. list, NETDEV_REGISTER, RTM_NEWLINK.
        self.list_netdevice(dev);
        let _ = self.call_netdevice_notifiers(NetdevEvent::Register, dev);
        self.rtmsg_ifinfo(RtmType::NewLink, dev, !0);
    }

    /// `cleanup_net()` for one namespace: drop the ids others hold for it,
    /// then `default_device_exit_batch`, then free it.
    pub(crate) fn cleanup_net(&mut self, net: NetId) {
        assert_ne!(net, self.tables.init_net, "init_net never dies");
        self.net_mut(net).dying = true;
        for other in self.nets() {
            self.net_mut(other).peer_ids.remove(&net);
        }
        self.default_device_exit_net(net);
        self.default_device_exit_phase2(net);
        let left = self.net(net).device_count();
        assert_eq!(left, 0, "devices left in a dead namespace");
        self.deferred
            .workqueue
            .cancel(crate::workqueue::Work::InetCheckLifetime(net));
        self.deferred
            .workqueue
            .cancel(crate::workqueue::Work::AddrconfVerify(net));
        self.tables.nets.remove(net);
    }

    /// Phase 1 (`default_device_exit_net`): physical devices go home to
    /// init_net, renamed `dev<ifindex>` (or `dev%d`) if their name clashes.
    fn default_device_exit_net(&mut self, net: NetId) {
        let mut devs = self.devices_in(net);
        devs.sort_by_key(|&d| self.dev(d).list_seq);
        let init = self.tables.init_net;
        for dev in devs {
            let d = self.dev(dev);
            if d.netns_immutable {
                continue;
            }
            if d.driver.rtnl_kind().is_some() && !d.driver.netns_refund() {
                continue;
            }
            let mut fb_name = format!("dev{}", d.ifindex);
            if self.net(init).name_in_use(&fb_name) {
                fb_name = "dev%d".to_string();
            }
            // d09486a04f5d: altnames that collide in init_net are dropped.
            let clashing: Vec<String> = d
                .altnames
                .iter()
                .filter(|a| self.net(init).name_in_use(a))
                .cloned()
                .collect();
            for alt in clashing {
                let _ = self.dev_altname_del(dev, &alt);
            }
            if let Err(e) = self.dev_change_net_namespace(dev, init, Some(&fb_name), 0) {
                let name = self.dev(dev).name.to_string();
                self.printk(format!(
                    "default_device_exit: failed to move {name} to init_net: {}",
                    -e.errno.number()
                ));
                panic!("BUG() in default_device_exit_net: {name}: {e}");
            }
        }
    }

    /// Phase 2: everything left, in reverse registration order, through
    /// `rtnl_link_ops->dellink` or `unregister_netdevice_queue`; loopback,
    /// registered first, goes last.
    fn default_device_exit_phase2(&mut self, net: NetId) {
        let mut devs = self.devices_in(net);
        devs.sort_by_key(|&d| std::cmp::Reverse(self.dev(d).list_seq));
        let mut kill = Vec::new();
        for dev in devs {
            if kill.contains(&dev) {
                continue;
            }
            self.rtnl_link_dellink(dev, &mut kill);
        }
        self.unregister_netdevice_many(kill);
    }
}
