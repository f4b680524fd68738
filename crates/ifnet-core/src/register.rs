//! Device lifecycle: `alloc_netdev`, `register_netdevice`,
//! `unregister_netdevice_many`, `netdev_run_todo`, in Linux's order
//! (linux-semantics.md §6).

use crate::consts::*;
use crate::driver::Driver;
use crate::errno::{Errno, KError, KResult};
use crate::events::UeventAction;
use crate::hwaddr::{HwAddr, IfName};
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::netdev::{DevRef, NetDevice};
use crate::notifier::NetdevEvent;
use crate::rtnetlink::RtmType;

/// Holder name of the reference `register_netdevice` takes.
pub const REGISTERED_TRACKER: &str = "dev_registered_tracker";
/// `INT_MAX`: the largest ifindex.
pub const IFINDEX_MAX: u32 = i32::MAX as u32;

impl Kernel {
    /// `alloc_netdev()`: a device object, not yet registered or listed.
    /// `name` may be a `%d` pattern; it is resolved at registration.
    pub(crate) fn alloc_netdev(
        &mut self,
        net: NetId,
        name: &str,
        assign: NameAssign,
        driver: Driver,
    ) -> DevId {
        let name = IfName::truncated(name);
        let id: DevId = self.tables.devs.insert_with(|id| {
            crate::dev_cell::DevCell::new(NetDevice::alloc(id, net, name, driver))
        });
        self.dev_mut(id).name_assign_type = assign;
        id
    }

    /// `free_netdev()` for a device that never finished registering.
    pub(crate) fn free_netdev(&mut self, dev: DevId) {
        self.tables.rtnl_link_initializing.retain(|&d| d != dev);
        let d = self.tables.devs.remove(dev);
        // A registered device freed here would stay in the name and index
        // tables: unreachable from any request, checked in release too. A
        // device a vetoed NETDEV_REGISTER already unregistered (and
        // netdev_run_todo freed) is gone: nothing left to free.
        assert!(d.is_none_or(|d| d.reg_state != RegState::Registered));
    }

    /// `eth_hw_addr_random()`: a locally administered unicast address from
    /// the model's deterministic generator.
    pub(crate) fn eth_hw_addr_random(&mut self, dev: DevId) {
        let mut a = [0u8; 6];
        let r = self.next_random();
        a.copy_from_slice(&r.to_le_bytes()[..6]);
        a[0] &= 0xfe; // clear multicast
        a[0] |= 0x02; // set local assignment
        let d = self.dev_mut(dev);
        d.dev_addr = HwAddr::new(&a).expect("6 bytes");
        d.addr_assign_type = AddrAssign::Random;
    }

    /// splitmix64 over the kernel's seed: deterministic "random" bytes.
    pub(crate) fn next_random(&mut self) -> u64 {
        self.tables.rng_state = self.tables.rng_state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.tables.rng_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `dev_index_reserve()`: 0 allocates cyclically from the namespace's
    /// cursor; an explicit index must be free (-EBUSY).
    pub(crate) fn dev_index_reserve(&mut self, net: NetId, ifindex: u32) -> KResult<u32> {
        if ifindex > IFINDEX_MAX {
            return Err(KError::new(Errno::EINVAL));
        }
        let n = self.net_mut(net);
        if ifindex != 0 {
            if n.by_index.contains_key(&ifindex) {
                return Err(KError::new(Errno::EBUSY));
            }
            return Ok(ifindex);
        }
        // xa_alloc_cyclic(.., xa_limit_31b, &net->ifindex): search from the
        // cursor upwards, then wrap to 1. The loop is bounded by the table
        // size: at most `len + 1` candidates are taken before a free one.
        let start = n.ifindex_cursor;
        let mut candidate = if start >= IFINDEX_MAX { 1 } else { start + 1 };
        for _ in 0..=n.by_index.len() {
            if !n.by_index.contains_key(&candidate) {
                n.ifindex_cursor = candidate;
                return Ok(candidate);
            }
            candidate = if candidate >= IFINDEX_MAX {
                1
            } else {
                candidate + 1
            };
        }
        Err(KError::new(Errno::ENOSPC))
    }

    /// `list_netdevice()`: into the name hash, altnames, and index table.
    pub(crate) fn list_netdevice(&mut self, dev: DevId) {
        let (net, name, ifindex, alts) = {
            let d = self.dev(dev);
            (d.net, d.name, d.ifindex, d.altnames.clone())
        };
        self.tables.next_list_seq = self.tables.next_list_seq.saturating_add(1);
        let seq = self.tables.next_list_seq;
        self.dev_mut(dev).list_seq = seq;
        let n = self.net_mut(net);
        let prev = n.names.insert(name, dev);
        // dev_get_valid_name() / dev_index_reserve() ran first: a clash
        // here would drop another device from the tables, so it is checked
        // in release too.
        assert!(prev.is_none(), "name {name} listed twice");
        for a in alts {
            n.altnames.insert(a, dev);
        }
        let prev = n.by_index.insert(ifindex, dev);
        assert!(prev.is_none(), "ifindex {ifindex} listed twice");
    }

    /// `unlist_netdevice()`.
    pub(crate) fn unlist_netdevice(&mut self, dev: DevId) {
        let (net, name, ifindex, alts) = {
            let d = self.dev(dev);
            (d.net, d.name, d.ifindex, d.altnames.clone())
        };
        let n = self.net_mut(net);
        n.names.remove(&name);
        for a in alts {
            n.altnames.remove(&a);
        }
        n.by_index.remove(&ifindex);
    }

    /// sysfs path of the device's kobject (what uevents carry as DEVPATH).
    pub fn devpath(&self, dev: DevId) -> String {
        let d = self.dev(dev);
        match &d.parent {
            Some(bus) if d.driver.netvsc().is_some() => Kernel::vmbus_devpath(bus, d.name.as_str()),
            Some(bus) => format!("/devices/pci0000:00/{bus}/net/{}", d.name),
            None => format!("/devices/virtual/net/{}", d.name),
        }
    }

    /// `kobject_uevent()` for a net device, into its namespace's listeners.
    pub(crate) fn kobject_uevent(&mut self, dev: DevId, action: UeventAction) {
        let devpath = self.devpath(dev);
        let d = self.dev(dev);
        let (net, interface, ifindex) = (d.net, d.name.to_string(), d.ifindex);
        let devtype = d.driver.is_bridge().then(|| "bridge".to_string());
        let time = self.now;
        let ev_name = interface.clone();
        let seqnum = self.obs.uevents.push(|seqnum| crate::events::Uevent {
            seqnum,
            action,
            net,
            devpath,
            interface,
            ifindex,
            time,
            devtype,
        });
        self.log_event(|| crate::eventlog::KernelEvent::Uevent {
            seqnum,
            action,
            net,
            interface: ev_name,
        });
    }

    /// `register_netdevice()` (dev.c), in the kernel's order. On error the
    /// device is left allocated but unregistered; the caller frees it.
    pub(crate) fn register_netdevice(&mut self, dev: DevId) -> KResult<()> {
        assert_eq!(self.dev(dev).reg_state, RegState::Uninitialized);
        let net = self.dev(dev).net;
        // 2. dev_get_valid_name(): expands %d, checks the name.
        let want = self.dev(dev).name.to_string();
        let name = self.dev_get_valid_name(net, dev, &want)?;
        self.dev_mut(dev).name = name;
        // 4. ndo_init: nothing modelled can fail here.
        // 7. dev_index_reserve().
        let want_index = self.dev(dev).ifindex;
        let ifindex = self.dev_index_reserve(net, want_index)?;
        self.dev_mut(dev).ifindex = ifindex;
        // 9. NETDEV_POST_INIT: not yet visible anywhere; may veto.
        if let Err(e) = self.call_netdevice_notifiers(NetdevEvent::PostInit, dev) {
            self.dev_mut(dev).ifindex = want_index;
            self.ndo_uninit(dev);
            return Err(e);
        }
        // 10. netdev_register_kobject(): sysfs + KOBJ_ADD. udev can read the
        // device from here on, before NETDEV_REGISTER (DESIGN.md rule 5):
        // the declared window `Window::RegisterAfterAddUevent`.
        self.dev_mut(dev).reg_state = RegState::Registered;
        self.kobject_uevent(dev, UeventAction::Add);
        if self.register_should_park(dev) {
            // The probe's caller (`hw_add_stepped`) completes the op.
            let op = crate::window::ParkedOp::HwAdd {
                bus_id: String::new(),
                dev,
                master: None,
                new_segment: false,
            };
            self.park(crate::window::Window::RegisterAfterAddUevent, op);
            return Ok(());
        }
        self.register_netdevice_finish(dev)
    }

    /// The rest of `register_netdevice()` after the KOBJ_ADD window:
    /// link state, the registered reference, `list_netdevice()`,
    /// NETDEV_REGISTER and RTM_NEWLINK.
    pub(crate) fn register_netdevice_finish(&mut self, dev: DevId) -> KResult<()> {
        // 11. linkwatch_init_dev(): pre-registration link state.
        if !self.dev(dev).carrier || self.dev(dev).dormant {
            self.rfc2863_policy(dev);
        }
        // 12. the registered reference, then list_netdevice().
        self.dev_mut(dev).refs.push(DevRef {
            holder: REGISTERED_TRACKER.into(),
            tracked: true,
        });
        self.list_netdevice(dev);
        // 13. perm_addr from dev_addr for NET_ADDR_PERM.
        {
            let d = self.dev_mut(dev);
            if d.addr_assign_type == AddrAssign::Perm {
                d.perm_addr = d.dev_addr;
            }
        }
        // 14. NETDEV_REGISTER; a veto unregisters the device again.
        if let Err(e) = self.call_netdevice_notifiers(NetdevEvent::Register, dev) {
            self.unregister_netdevice_many(vec![dev]);
            return Err(e);
        }
        // 15. RTM_NEWLINK unless rtnl_newlink is still configuring it.
        if !self.tables.rtnl_link_initializing.contains(&dev) {
            self.rtmsg_ifinfo(RtmType::NewLink, dev, !0);
        }
        Ok(())
    }

    /// `unregister_netdevice()`.
    pub(crate) fn unregister_netdevice(&mut self, dev: DevId) {
        self.unregister_netdevice_many(vec![dev]);
    }

    /// `unregister_netdevice_many()` followed by `netdev_run_todo()`.
    pub(crate) fn unregister_netdevice_many(&mut self, devs: Vec<DevId>) {
        self.unregister_netdevice_many_notify(devs, None);
    }

    /// `unregister_netdevice_many_notify(head, portid, nlh)` followed by
    /// `netdev_run_todo()`: with a report (NLM_F_ECHO) every RTM_DELLINK
    /// goes back to the sender too.
    pub(crate) fn unregister_netdevice_many_notify(
        &mut self,
        mut devs: Vec<DevId>,
        report: Option<crate::rtnetlink::Report>,
    ) {
        devs.retain(|&d| {
            // The kernel's "never was registered": WARN_ON(1) and skip.
            // The skip is the check (release builds too).
            self.try_dev(d)
                .is_some_and(|x| x.reg_state == RegState::Registered)
        });
        if devs.is_empty() {
            return;
        }
        // 2. close every UP device.
        let up: Vec<DevId> = devs
            .iter()
            .copied()
            .filter(|&d| self.dev(d).is_up())
            .collect();
        self.dev_close_many(&up);
        // 3. unlist; reg_state = UNREGISTERING.
        for &d in &devs {
            self.unlist_netdevice(d);
            self.dev_mut(d).reg_state = RegState::Unregistering;
        }
        // 5. per device.
        for &d in &devs {
            // dev_shutdown(): the root qdisc goes; RTM_DELLINK says "noop".
            self.dev_mut(d).qdisc = crate::netdev::Qdisc::Noop;
            let _ = self.call_netdevice_notifiers(NetdevEvent::Unregister, d);
            let dellink = if self.tables.rtnl_link_initializing.contains(&d) {
                None
            } else {
                self.rtmsg_ifinfo_build(RtmType::DelLink, d, !0, report)
            };
            self.dev_mut(d).altnames.clear();
            let _ = self.call_netdevice_notifiers(NetdevEvent::PreUninit, d);
            self.ndo_uninit(d);
            self.rtnl_notify_report(d, dellink, report);
            assert!(
                self.dev(d).master.is_none() && self.dev(d).lowers.is_empty(),
                "Notifier chain MUST detach us all upper devices"
            );
            self.kobject_uevent(d, UeventAction::Remove);
            self.capture_dev_gone(d);
            self.dev_addr_flush(d);
            self.world.veth_faults.remove(&d);
        }
        // 7. drop the registered reference; queue for netdev_run_todo.
        for &d in &devs {
            let refs = &mut self.dev_mut(d).refs;
            if let Some(i) = refs.iter().position(|r| r.holder == REGISTERED_TRACKER) {
                refs.remove(i);
            }
            self.linkwatch_forget_dev(d);
            self.tables.todo_list.push(d);
        }
        self.netdev_run_todo();
    }

    /// `netdev_run_todo()`: free every device nobody references any more.
    /// Devices still referenced stay UNREGISTERED and are reported, by
    /// holder, the way `netdev_wait_allrefs_any` + ref_tracker print them.
    pub(crate) fn netdev_run_todo(&mut self) {
        let todo = std::mem::take(&mut self.tables.todo_list);
        for d in todo {
            self.dev_mut(d).reg_state = RegState::Unregistered;
            if self.dev(d).refs.is_empty() {
                self.tables.rtnl_link_initializing.retain(|&x| x != d);
                self.tables.devs.remove(d);
                continue;
            }
            if !self.tables.todo_list.contains(&d) {
                // netdev_wait_allrefs_any(): pr_emerg + ref_tracker_dir_print.
                let x = self.dev(d);
                let mut lines = vec![format!(
                    "unregister_netdevice: waiting for {} to become free. Usage count = {}",
                    x.name,
                    x.refs.len() + 1
                )];
                for r in &x.refs {
                    lines.push(format!(
                        "ref_tracker: netdev@{} has 1/1 users held by {}",
                        x.name, r.holder
                    ));
                }
                for l in lines {
                    self.printk(l);
                }
                self.tables.todo_list.push(d);
            }
        }
    }

    /// Devices waiting in `netdev_wait_allrefs_any`, with their holders, as
    /// "unregister_netdevice: waiting for NAME to become free. Usage count = N".
    pub fn unregister_waits(&self) -> Vec<(String, Vec<DevRef>)> {
        self.tables
            .todo_list
            .iter()
            .map(|&d| {
                let x = self.dev(d);
                (x.name.to_string(), (*x.refs).clone())
            })
            .collect()
    }

    /// `netdev_put()` from a holder; lets a waiting unregister finish.
    pub fn netdev_put(&mut self, dev: DevId, holder: &str) -> bool {
        let Some(d) = self.tables.devs.get_mut(dev) else {
            return false;
        };
        let Some(i) = d.refs.iter().position(|r| r.holder == holder) else {
            return false;
        };
        d.refs.remove(i);
        if d.reg_state == RegState::Unregistered {
            self.netdev_run_todo();
        }
        true
    }

    /// `netdev_hold()` with a named holder.
    pub fn netdev_hold(&mut self, dev: DevId, holder: &str, tracked: bool) {
        self.dev_mut(dev).refs.push(DevRef {
            holder: holder.to_string(),
            tracked,
        });
    }
}
