//! systemd-networkd (agents.md §5): it waits for udev to initialize a link
//! (no ID_RENAMING), leaves it alone when udev set ID_NET_MANAGED_BY to
//! something other than io.systemd.Network (≥v255) or when
//! `01-azure-unmanaged-sriov.network` matches `AZURE_UNMANAGED_SRIOV=1`
//! with `Unmanaged=yes`, and otherwise configures it with the
//! all-Ethernet `.network` (netplan's `10-netplan-all-ethernet`). Before
//! 257.7 (systemd#36997; azure-vm-utils selftest.py
//! `is_systemd_fixed_for_unmanaged_bug`) a flags change (+UP +LOWER_UP, the
//! takeover opening the VF) re-matched an unmanaged link: "State changed:
//! unmanaged -> initialized", and it got configured.

use super::Version;
use crate::agent::{Agent, Choice, Cx, LinkNote, Listens, Msg, UdevEvent};
use ifnet_core::client::Client;
use ifnet_core::consts::{IFF_LOWER_UP, IFF_UP};
use ifnet_core::Kernel;
use std::collections::{BTreeMap, VecDeque};
use std::hash::{Hash, Hasher};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum State {
    Unmanaged,
    Configuring,
    Configured,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum In {
    Udev(std::sync::Arc<UdevEvent>),
    Link(LinkNote),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Networkd {
    pub version: Version,
    pub lease: String,
    inbox: VecDeque<In>,
    links: BTreeMap<u32, (State, u32)>,
}

impl Networkd {
    pub fn new(version: Version, lease: String) -> Networkd {
        Networkd {
            version,
            lease,
            inbox: VecDeque::new(),
            links: BTreeMap::new(),
        }
    }

    fn on_udev(&mut self, ev: std::sync::Arc<UdevEvent>) -> String {
        let name = ev.interface.clone().unwrap_or_default();
        if ev.action == "remove" {
            self.links.remove(&ev.ifindex);
            return format!("{name}: removed");
        }
        if ev.prop("ID_RENAMING").is_some() {
            return format!("{name}: being renamed, waiting");
        }
        let flags = self.links.get(&ev.ifindex).map_or(0, |l| l.1);
        let managed_by = ev.prop("ID_NET_MANAGED_BY");
        let unmanaged = (self.version >= Version(255, 0, 0)
            && managed_by.is_some_and(|m| m != "io.systemd.Network"))
            || ev.prop("AZURE_UNMANAGED_SRIOV") == Some("1");
        if unmanaged {
            self.links.insert(ev.ifindex, (State::Unmanaged, flags));
            return format!(
                "{name}: requested to be managed by '{}'",
                managed_by.unwrap_or("unmanaged")
            );
        }
        if ev.devpath.starts_with("/devices/virtual/") {
            return format!("{name}: no .network matches");
        }
        match self.links.get(&ev.ifindex).map(|l| l.0) {
            Some(State::Configured | State::Configuring) => format!("{name}: already configured"),
            _ => {
                self.links.insert(ev.ifindex, (State::Configuring, flags));
                format!("{name}: matches 10-netplan-all-ethernet.network")
            }
        }
    }

    fn on_link(&mut self, n: LinkNote) -> String {
        let Some(l) = self.links.get_mut(&n.ifindex) else {
            return format!("{}: link message before udev initialized it", n.name);
        };
        let gained = n.flags & !l.1;
        l.1 = n.flags;
        if l.0 == State::Unmanaged && gained & (IFF_UP | IFF_LOWER_UP) != 0 {
            if self.version < Version(257, 7, 0) {
                l.0 = State::Configuring;
                return format!("{}: Flags change: +UP; State changed: unmanaged -> initialized (systemd#36997)", n.name);
            }
            return format!("{}: Flags change; stays unmanaged", n.name);
        }
        format!("{}: link message", n.name)
    }

    fn configure(&mut self, ifindex: u32, cx: &mut Cx<'_>) -> String {
        if let Some(l) = self.links.get_mut(&ifindex) {
            l.0 = State::Configured;
        }
        let Some(dev) = cx.kernel.dev_get_by_index(cx.net, ifindex) else {
            return "link gone".into();
        };
        let name = cx.kernel.dev(dev).name.to_string();
        let mut c = Client::new(cx.kernel, cx.net);
        let _ = c.set_up(&name, true);
        let r = super::add_addr_by_index(&mut c, ifindex, &self.lease);
        if r.is_ok() {
            cx.facts.configured("networkd", dev);
        }
        format!(
            "{name}: configured, DHCPv4 address {} → {:?}",
            self.lease,
            r.err().map(|e| e.errno)
        )
    }
}

impl Agent for Networkd {
    fn name(&self) -> &str {
        "networkd"
    }
    fn describe(&self) -> String {
        format!("systemd-networkd {}", self.version)
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
            link_multicast: true,
        }
    }
    fn deliver(&mut self, m: &Msg) {
        if self.inbox.len() >= 256 {
            return;
        }
        match m {
            Msg::Udev(e) if e.subsystem == "net" => self.inbox.push_back(In::Udev(e.clone())),
            Msg::Link(n) => self.inbox.push_back(In::Link(n.clone())),
            _ => {}
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
        if let Some((&i, _)) = self.links.iter().find(|(_, l)| l.0 == State::Configuring) {
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
        if thread != 0 {
            return self.configure(thread, cx);
        }
        match self.inbox.pop_front() {
            Some(In::Udev(e)) => self.on_udev(e),
            Some(In::Link(n)) => self.on_link(n),
            None => "idle".into(),
        }
    }
}
