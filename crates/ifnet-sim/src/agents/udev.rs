//! systemd-udevd (agents.md §2): the event queue and its blocking
//! (udev-manager.c `event_queue_start`, `event_is_blocked`), one worker per
//! running event (udev-worker.c), the rules that touch net devices
//! (`rules.rs`), the `net_setup_link` builtin (link-config.c `link_new`,
//! `link_generate_new_name`; its RTM_GETLINK waits for RTNL) and
//! `rename_netif` (udev-event.c) with the EBUSY behaviour of ≤249 /
//! 250–252 (PR #21109) / ≥253 (PR #25221), ID_RENAMING, then the DB write
//! and the broadcast to libudev listeners, sent even when the event failed.

use super::rules;
use super::Version;
use crate::agent::{Agent, Choice, Cx, Listens, Msg, UdevEvent, Uevent};
use crate::facts::{RenameFact, RenameOutcome};
use crate::memo::Memo;
use ifnet_core::consts::{IFF_SLAVE, IFF_UP};
use ifnet_core::Kernel;
use netlink_packet_core::NLM_F_ACK;
use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// Where a worker is in its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pc {
    Queued,
    /// Rules up to net_setup_link: lock-free sysfs reads.
    Rules,
    /// net_setup_link: RTM_GETLINK (waits for RTNL), NamePolicy.
    SetupLink,
    /// v250–252: RTM_GETLINK for IFF_UP before renaming.
    RenameCheck,
    /// rename_netif: RTM_SETLINK IFLA_IFNAME.
    Rename,
    /// DB write and broadcast.
    Broadcast,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Job {
    id: u32,
    /// Shared between forked worlds (copied on the rename's change).
    ev: Memo<Uevent>,
    pc: Pc,
    props: Memo<BTreeMap<String, String>>,
    wanted: Option<String>,
    errno: Option<i32>,
}

/// Which rules files are installed besides systemd's and NM's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RuleFiles {
    /// azure-vm-utils `10-azure-unmanaged-sriov.rules`.
    pub azure_sriov: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Udev {
    pub version: Version,
    pub rule_files: RuleFiles,
    queue: Vec<Job>,
    next_id: u32,
    /// /run/udev/data/n<ifindex>: properties of the last processed event.
    db: BTreeMap<u32, Memo<BTreeMap<String, String>>>,
    overruns: u32,
}

/// udevd's queue bound (a queue past it drops the oldest event).
pub const QUEUE_MAX: usize = 1024;

impl Udev {
    pub fn new(version: Version, rule_files: RuleFiles) -> Udev {
        Udev {
            version,
            rule_files,
            queue: Vec::new(),
            next_id: 0,
            db: BTreeMap::new(),
            overruns: 0,
        }
    }

    /// `event_is_blocked()`: an earlier unfinished event with the same
    /// ifindex, the same devpath, or a parent or child devpath.
    fn blocked(&self, at: usize) -> bool {
        let e = &self.queue[at].ev;
        let related = |a: &str, b: &str| {
            a == b
                || a.strip_prefix(b).is_some_and(|r| r.starts_with('/'))
                || b.strip_prefix(a).is_some_and(|r| r.starts_with('/'))
        };
        self.queue[..at].iter().any(|o| {
            (e.ifindex != 0 && o.ev.ifindex == e.ifindex) || related(&o.ev.devpath, &e.devpath)
        })
    }

    fn choice_for(&self, j: &Job) -> Choice {
        let pc = if j.pc == Pc::Queued { Pc::Rules } else { j.pc };
        let net = j.ev.subsystem == "net";
        Choice {
            thread: j.id,
            needs_rtnl: matches!(pc, Pc::SetupLink | Pc::RenameCheck | Pc::Rename),
            writes_kernel: pc == Pc::Rename,
            sends: pc == Pc::Broadcast && net,
            // A net event's rules and lookups touch only its job; a bus
            // event's rules end it (unblocking others), and so do broadcasts.
            local: net && matches!(pc, Pc::Rules | Pc::SetupLink | Pc::RenameCheck),
        }
    }

    /// The first step of an event: its rules (for a bus device: kmod
    /// loads the driver, already bound here, and the event ends).
    fn rules(&mut self, at: usize, cx: &mut Cx<'_>) -> String {
        let ev = self.queue[at].ev.clone();
        if ev.subsystem != "net" {
            self.queue.remove(at);
            return format!("{} {}: rules (kmod) done", ev.subsystem, ev.action);
        }
        let name = ev.interface.clone().unwrap_or_default();
        // udev_event_execute_rules(): ID_RENAMING is dropped at the start of
        // every event.
        let mut props = self
            .db
            .get(&ev.ifindex)
            .map(|p| (**p).clone())
            .unwrap_or_default();
        props.remove("ID_RENAMING");
        props.remove("ID_PROCESSING");
        props.insert("INTERFACE".into(), name.clone());
        if ev.action == "remove" {
            self.queue[at].props = Memo::new(props);
            self.queue[at].pc = Pc::Broadcast;
            return format!("net remove {name}: rules end at ACTION==remove");
        }
        if cx.kernel.sysfs_lookup(cx.net, &name).is_none() {
            // Its /sys/class/net entry left udevd's namespace (a netns move
            // during the event's wait, R9): every sysfs read fails.
            cx.facts.event_after_move();
        }
        let driver = cx.sysfs(&name, "device/driver");
        let mut text = format!("net {} {name}: rules", ev.action);
        if self.rule_files.azure_sriov
            && driver
                .as_deref()
                .is_some_and(|d| rules::udev_match(rules::AZURE_DRIVERS, d))
        {
            let flags = cx.sysfs(&name, "flags");
            if let Some(v) = flags
                .as_deref()
                .and_then(|f| u32::from_str_radix(f.trim().trim_start_matches("0x"), 16).ok())
            {
                if let Some(d) = cx.kernel.sysfs_lookup(cx.net, &name) {
                    if v & IFF_SLAVE == 0 {
                        cx.facts.seen_without_slave(d);
                    }
                    if cx.kernel.dev(d).master.is_none() {
                        cx.facts.seen_before_join(d);
                    }
                }
            }
            if rules::azure_sriov_matches(&ev.action, driver.as_deref(), flags.as_deref()) {
                rules::azure_sriov_props(&mut props);
                text.push_str("; 10-azure-unmanaged-sriov matches: NM_UNMANAGED=1");
            } else {
                text.push_str("; 10-azure-unmanaged-sriov: ATTR{flags} does not match");
            }
        }
        if let Some(d) = &driver {
            props.insert("ID_NET_DRIVER".into(), d.clone());
        }
        let dev_type = cx
            .sysfs(&name, "type")
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if let Some(p) = rules::net_name_path(&ev.devpath, dev_type) {
            props.insert("ID_NET_NAME_PATH".into(), p);
        }
        if rules::nm_unmanaged_matches(&ev.action, driver.as_deref(), &name) {
            props.insert("NM_UNMANAGED".into(), "1".into());
            text.push_str("; 85-nm-unmanaged: NM_UNMANAGED=1");
        }
        let j = &mut self.queue[at];
        j.props = Memo::new(props);
        j.pc = if ev.action == "add" {
            Pc::SetupLink
        } else {
            Pc::Broadcast
        };
        text
    }

    /// `net_setup_link`: `link_new()` (name_assign_type, addr_assign_type,
    /// RTM_GETLINK), then `link_generate_new_name()` over 99-default.link's
    /// `NamePolicy=keep kernel database onboard slot path`.
    fn setup_link(&mut self, at: usize, cx: &mut Cx<'_>) -> String {
        let j = self.queue[at].clone();
        let name = j.ev.interface.clone().unwrap_or_default();
        // NET_NAME_UNKNOWN reads as -EINVAL: left 0.
        let nat: u8 = cx
            .sysfs(&name, "name_assign_type")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let _ = cx.sysfs(&name, "addr_assign_type");
        let mut m = LinkMessage::default();
        m.header.index = j.ev.ifindex;
        let link = cx.link_status("RTM_GETLINK", RouteNetlinkMessage::GetLink(m), 0);
        let job = &mut self.queue[at];
        job.pc = Pc::Broadcast;
        if let Err(e) = link {
            job.errno = Some(e.errno.number());
            return format!("net_setup_link {name}: link_new failed: {:?}", e.errno);
        }
        let wanted = match nat {
            3 | 4 => return format!("net_setup_link {name}: Device already has a name given by userspace, not renaming."),
            2 => return format!("net_setup_link {name}: NamePolicy kernel: keeps its predictable name"),
            _ => job.props.get("ID_NET_NAME_PATH").cloned(),
        };
        let Some(w) = wanted else {
            return format!("net_setup_link {name}: no name from NamePolicy");
        };
        job.props.make_mut().insert("ID_NET_NAME".into(), w.clone());
        if w == name {
            return format!("net_setup_link {name}: already named {w}");
        }
        job.wanted = Some(w.clone());
        job.pc = if self.version >= Version(250, 0, 0) && self.version < Version(253, 0, 0) {
            Pc::RenameCheck
        } else {
            Pc::Rename
        };
        format!("net_setup_link {name}: ID_NET_NAME={w}")
    }

    /// v250–252 (PR #21109): read the flags over netlink and skip an UP
    /// device: "…is already up, refusing to rename to…".
    fn rename_check(&mut self, at: usize, cx: &mut Cx<'_>) -> String {
        let j = self.queue[at].clone();
        let (name, wanted) = (
            j.ev.interface.clone().unwrap_or_default(),
            j.wanted.unwrap_or_default(),
        );
        let mut m = LinkMessage::default();
        m.header.index = j.ev.ifindex;
        let r = cx.link_request("RTM_GETLINK (flags)", RouteNetlinkMessage::GetLink(m), 0);
        let up = r
            .as_ref()
            .ok()
            .and_then(|l| l.first())
            .is_some_and(|l| l.header.flags.bits() & IFF_UP != 0);
        let job = &mut self.queue[at];
        if up {
            job.pc = Pc::Broadcast;
            if let Some(d) = cx.kernel.dev_get_by_index(cx.net, j.ev.ifindex) {
                cx.facts.rename(RenameFact {
                    dev: d,
                    from: name.clone(),
                    wanted: wanted.clone(),
                    outcome: RenameOutcome::SkippedUp,
                });
            }
            return format!(
                "Network interface '{name}' is already up, refusing to rename to '{wanted}'."
            );
        }
        job.pc = Pc::Rename;
        format!("{name} is down: rename to {wanted}")
    }

    /// `rename_netif()`: ID_RENAMING (and ID_PROCESSING from ≈v255) into
    /// the DB first, then `rtnl_set_link_name()`; the result per version.
    fn rename(&mut self, at: usize, cx: &mut Cx<'_>) -> String {
        let j = self.queue[at].clone();
        let (name, wanted) = (
            j.ev.interface.clone().unwrap_or_default(),
            j.wanted.unwrap_or_default(),
        );
        let dev = cx.kernel.dev_get_by_index(cx.net, j.ev.ifindex);
        if dev.is_some_and(|d| cx.kernel.dev(d).is_up()) {
            cx.facts.rename_while_up();
        }
        let mut props = (*j.props).clone();
        props.insert("ID_RENAMING".into(), "1".into());
        if self.version >= Version(255, 0, 0) {
            props.insert("ID_PROCESSING".into(), "1".into());
        }
        let props = Memo::new(props);
        self.db.insert(j.ev.ifindex, props.clone());
        let mut m = LinkMessage::default();
        m.header.index = j.ev.ifindex;
        m.attributes.push(LinkAttribute::IfName(wanted.clone()));
        let r = cx.link_request(
            "RTM_SETLINK IFLA_IFNAME",
            RouteNetlinkMessage::SetLink(m),
            NLM_F_ACK,
        );
        let job = &mut self.queue[at];
        job.pc = Pc::Broadcast;
        let (outcome, text) = match r {
            Ok(_) => {
                job.props = props;
                job.ev.make_mut().interface = Some(wanted.clone());
                (
                    RenameOutcome::Renamed,
                    format!(
                        "renamed network interface {} from '{name}' to '{wanted}'",
                        j.ev.ifindex
                    ),
                )
            }
            Err(e) if e.errno == ifnet_core::Errno::EBUSY && self.version >= Version(253, 0, 0) => {
                if let Some(p) = self.db.get_mut(&j.ev.ifindex) {
                    p.make_mut().remove("ID_RENAMING");
                }
                (
                    RenameOutcome::AlreadyUp,
                    format!(
                        "Network interface '{name}' is already up, cannot rename to '{wanted}'."
                    ),
                )
            }
            Err(e) => {
                job.errno = Some(e.errno.number());
                if let Some(p) = self.db.get_mut(&j.ev.ifindex) {
                    p.make_mut().remove("ID_RENAMING");
                }
                (
                    RenameOutcome::Failed,
                    format!(
                        "Failed to rename network interface {} from '{name}' to '{wanted}': {}",
                        j.ev.ifindex,
                        e.errno.strerror()
                    ),
                )
            }
        };
        if let Some(d) = dev {
            cx.facts.rename(RenameFact {
                dev: d,
                from: name,
                wanted,
                outcome,
            });
        }
        text
    }

    /// DB write (not for a failed event) and `udev_broadcast_result()`,
    /// with UDEV_WORKER_ERRNO on failure.
    fn broadcast(&mut self, at: usize, cx: &mut Cx<'_>) -> String {
        let j = self.queue.remove(at);
        let mut props = (*j.props).clone();
        let failed = j.errno.is_some();
        if let Some(e) = j.errno {
            props.insert("UDEV_WORKER_ERRNO".into(), e.to_string());
        } else if j.ev.action == "remove" {
            self.db.remove(&j.ev.ifindex);
        } else {
            self.db.insert(j.ev.ifindex, Memo::new(props.clone()));
        }
        let name = j.ev.interface.clone().unwrap_or_default();
        let devpath = match j.ev.devpath.rsplit_once("/net/") {
            Some((parent, _)) => format!("{parent}/net/{name}"),
            None => j.ev.devpath.clone(),
        };
        cx.broadcast(UdevEvent {
            action: j.ev.action.clone(),
            subsystem: j.ev.subsystem.clone(),
            devpath,
            ifindex: j.ev.ifindex,
            interface: j.ev.interface.clone(),
            props,
        });
        if failed {
            format!("{name}: event failed (Failed to process device, ignoring); broadcast anyway")
        } else {
            format!("{name}: {} processed, DB written, broadcast", j.ev.action)
        }
    }
}

impl Agent for Udev {
    fn name(&self) -> &str {
        "udev"
    }
    fn describe(&self) -> String {
        format!("systemd-udevd {}", self.version)
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
            kernel_uevents: true,
            udev_events: false,
            link_multicast: false,
        }
    }
    /// `on_uevent()` → `event_queue_insert()`.
    fn deliver(&mut self, m: &Msg) {
        if let Msg::Uevent(u) = m {
            if self.queue.len() >= QUEUE_MAX {
                self.queue.remove(0);
                self.overruns = self.overruns.saturating_add(1);
            }
            self.next_id = self.next_id.wrapping_add(1);
            self.queue.push(Job {
                id: self.next_id,
                ev: Memo::new(u.clone()),
                pc: Pc::Queued,
                props: Default::default(),
                wanted: None,
                errno: None,
            });
        }
    }
    fn choices_read_kernel(&self) -> bool {
        false
    }
    fn choices(&self, _k: &Kernel) -> Vec<Choice> {
        (0..self.queue.len())
            .filter(|&i| self.queue[i].pc != Pc::Queued || !self.blocked(i))
            .map(|i| self.choice_for(&self.queue[i]))
            .collect()
    }
    fn step(&mut self, thread: u32, cx: &mut Cx<'_>) -> String {
        let Some(at) = self.queue.iter().position(|j| j.id == thread) else {
            return format!("no event {thread}");
        };
        match self.queue[at].pc {
            Pc::Queued | Pc::Rules => self.rules(at, cx),
            Pc::SetupLink => self.setup_link(at, cx),
            Pc::RenameCheck => self.rename_check(at, cx),
            Pc::Rename => self.rename(at, cx),
            Pc::Broadcast => self.broadcast(at, cx),
        }
    }
}
