//! NetworkManager (agents.md §4): a device starts with
//! NM_UNMANAGED_PLATFORM_INIT; it is initialized when udevd's processed
//! `add` or `move` arrives (nmp-object.c `_nmp_object_fixup_link_udev_fields`
//! marks the link initialized as soon as any udev device is attached;
//! nm-linux-platform.c `handle_udev_event` takes both actions). NM has no
//! ID_RENAMING check (none in 355bc90299's tree; agents.md §2.4 item 9
//! says otherwise, the source does not): the `add` broadcast of a renamed
//! device, ID_RENAMING=1 and all, decides. Then, once, NM reads
//! NM_UNMANAGED from that udev
//! device (nm-device.c `nm_device_set_unmanaged_by_user_udev`) and never
//! again. A managed Ethernet device without a profile gets "Wired
//! connection N" (nm-settings.c `device_realized`, auto-default, DHCP),
//! activated on it. A controller it cannot attach ports to (a netvsc or
//! net_failover master is a plain device) changes nothing:
//! `device_recheck_port_status` logs "attached to non-controller-type
//! device %s; ignoring".

use super::Version;
use crate::agent::{Agent, Choice, Cx, Listens, Msg, UdevEvent};
use ifnet_core::client::Client;
use ifnet_core::Kernel;
use std::collections::{BTreeMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Dev {
    name: String,
    /// PLATFORM_INIT cleared: the managed decision is taken.
    decided: bool,
    managed: bool,
    /// "Wired connection N" exists and awaits activation.
    activate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetworkManager {
    pub version: Version,
    /// The DHCP lease the auto-default connection obtains.
    pub lease: String,
    inbox: VecDeque<Arc<UdevEvent>>,
    devs: BTreeMap<u32, Dev>,
    connections: u32,
}

const INBOX_MAX: usize = 256;

impl NetworkManager {
    pub fn new(version: Version, lease: String) -> NetworkManager {
        NetworkManager {
            version,
            lease,
            inbox: VecDeque::new(),
            devs: BTreeMap::new(),
            connections: 0,
        }
    }

    fn handle(&mut self, ev: Arc<UdevEvent>, cx: &mut Cx<'_>) -> String {
        let name = ev.interface.clone().unwrap_or_default();
        if ev.subsystem != "net" {
            return format!("ignores {} event", ev.subsystem);
        }
        if ev.action == "remove" {
            self.devs.remove(&ev.ifindex);
            return format!("{name}: removed");
        }
        let d = self.devs.entry(ev.ifindex).or_insert(Dev {
            name: name.clone(),
            decided: false,
            managed: false,
            activate: false,
        });
        d.name = name.clone();
        if d.decided {
            return format!(
                "{name}: {} (udev event; NM_UNMANAGED is not read again)",
                ev.action
            );
        }
        d.decided = true;
        let physical = !ev.devpath.starts_with("/devices/virtual/");
        d.managed = ev.prop("NM_UNMANAGED") != Some("1");
        if !d.managed {
            return format!("{name}: NM_UNMANAGED=1 → unmanaged (read once, at PLATFORM_INIT)");
        }
        if let Some(dev) = cx.kernel.dev_get_by_index(cx.net, ev.ifindex) {
            if let Some(m) = cx
                .kernel
                .dev(dev)
                .master
                .and_then(|m| cx.kernel.netdev_name(m))
            {
                cx.note(format!(
                    "{name}: attached to non-controller-type device {m}; ignoring"
                ));
            }
            if physical {
                self.connections += 1;
                d.activate = true;
                cx.facts.nm_default(dev);
                return format!(
                    "{name}: managed; auto-default \"Wired connection {}\" (DHCP) created",
                    self.connections
                );
            }
        }
        format!("{name}: managed")
    }

    /// Activates a connection: the device up, the DHCP lease on it.
    fn activate(&mut self, ifindex: u32, cx: &mut Cx<'_>) -> String {
        let Some(d) = self.devs.get_mut(&ifindex) else {
            return "gone".into();
        };
        d.activate = false;
        let name = d.name.clone();
        let Some(dev) = cx.kernel.dev_get_by_index(cx.net, ifindex) else {
            return format!("{name}: gone before activation");
        };
        let cur = cx.kernel.dev(dev).name.to_string();
        let mut c = Client::new(cx.kernel, cx.net);
        let up = c.set_up(&cur, true);
        let addr = super::add_addr_by_index(&mut c, ifindex, &self.lease);
        if let Ok(()) = addr {
            cx.facts.configured("nm", dev);
        }
        cx.note(format!(
            "netlink RTM_NEWLINK {cur} up → {:?}; RTM_NEWADDR {} → {:?}",
            up.err().map(|e| e.errno),
            self.lease,
            addr.as_ref().err().map(|e| e.errno)
        ));
        format!(
            "{cur}: \"Wired connection\" activated, DHCP lease {}",
            self.lease
        )
    }
}

impl Agent for NetworkManager {
    fn name(&self) -> &str {
        "nm"
    }
    fn describe(&self) -> String {
        format!("NetworkManager {}", self.version)
    }
    fn hash_state(&self, mut h: &mut dyn Hasher) {
        self.hash(&mut h);
    }
    /// Its state holds names, ifindexes and strings, no kernel ids.
    fn hash_is_self_contained(&self) -> bool {
        true
    }
    fn listens(&self) -> Listens {
        Listens {
            net_is_init: true,
            kernel_uevents: false,
            udev_events: true,
            link_multicast: false,
        }
    }
    fn deliver(&mut self, m: &Msg) {
        if let Msg::Udev(e) = m {
            if e.subsystem == "net" && self.inbox.len() < INBOX_MAX {
                self.inbox.push_back(e.clone());
            }
        }
    }
    fn choices_read_kernel(&self) -> bool {
        false
    }
    fn choices(&self, _k: &Kernel) -> Vec<Choice> {
        let mut v = Vec::new();
        if !self.inbox.is_empty() {
            v.push(Choice {
                thread: 0,
                needs_rtnl: false,
                writes_kernel: false,
                sends: false,
                local: false,
            });
        }
        if let Some((&i, _)) = self.devs.iter().find(|(_, d)| d.activate) {
            v.push(Choice {
                thread: i,
                needs_rtnl: true,
                writes_kernel: true,
                sends: false,
                local: false,
            });
        }
        v
    }
    fn step(&mut self, thread: u32, cx: &mut Cx<'_>) -> String {
        if thread == 0 {
            match self.inbox.pop_front() {
                Some(ev) => self.handle(ev, cx),
                None => "idle".into(),
            }
        } else {
            self.activate(thread, cx)
        }
    }
}
