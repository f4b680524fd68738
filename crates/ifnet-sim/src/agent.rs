//! The agent interface: what a user-space process modelled in the explorer
//! receives (kernel uevents, udevd's processed-event broadcast, rtnetlink
//! link multicast), how it offers its next steps to the scheduler, and the
//! context a step runs in (sysfs reads, rtnetlink requests, broadcasts,
//! facts for the invariants). Users add their own agent by implementing
//! [`Agent`] and passing it to `World::add_agent`.

use crate::facts::FactsLog;
use ifnet_core::client::{decode, try_encode, NlError};
use ifnet_core::{Errno, Kernel, NetId};
use netlink_packet_core::NLM_F_REQUEST;
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::RouteNetlinkMessage;
use std::collections::BTreeMap;
use std::hash::Hasher;

/// A kernel uevent as a NETLINK_KOBJECT_UEVENT listener receives it: a net
/// device's (from the kernel model) or a bus device's (`pci` `add`/`bind`,
/// from the hardware lane).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uevent {
    pub action: String,
    pub subsystem: String,
    pub devpath: String,
    /// INTERFACE (net devices only).
    pub interface: Option<String>,
    /// IFINDEX (net devices only; 0 otherwise).
    pub ifindex: u32,
}

impl Uevent {
    /// One line as `udevadm monitor --kernel` prints it.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "KERNEL {} {} ({})",
            self.action, self.devpath, self.subsystem
        );
        if let Some(i) = &self.interface {
            s.push_str(&format!(" INTERFACE={i} IFINDEX={}", self.ifindex));
        }
        s
    }
}

/// udevd's broadcast of a processed event (`udev_broadcast_result`), what
/// libudev monitors of the "udev" group (NetworkManager, networkd) get,
/// even when processing failed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UdevEvent {
    pub action: String,
    pub subsystem: String,
    pub devpath: String,
    pub ifindex: u32,
    /// The name after the event (INTERFACE, the new one after a rename).
    pub interface: Option<String>,
    /// Properties of the processed device (rules' ENV{…}, ID_RENAMING, …).
    pub props: BTreeMap<String, String>,
}

impl UdevEvent {
    pub fn prop(&self, k: &str) -> Option<&str> {
        self.props.get(k).map(String::as_str)
    }
}

/// An RTNLGRP_LINK notification, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkNote {
    pub new: bool,
    pub ifindex: u32,
    pub name: String,
    pub flags: u32,
    pub master: u32,
}

/// What an agent can receive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Msg {
    Uevent(Uevent),
    /// Shared by every listener it is delivered to.
    Udev(std::sync::Arc<UdevEvent>),
    Link(LinkNote),
}

/// Which messages an agent listens to, and in which namespace it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listens {
    pub net_is_init: bool,
    pub kernel_uevents: bool,
    pub udev_events: bool,
    pub link_multicast: bool,
}

impl Listens {
    /// Runs in init_net and takes no messages: an agent that only reads
    /// and requests (cloud-init's scan, a script).
    pub const NONE: Listens = Listens {
        net_is_init: true,
        kernel_uevents: false,
        udev_events: false,
        link_multicast: false,
    };
}

/// A step an agent offers: one of its threads (udevd runs one worker per
/// event) and what the step needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub thread: u32,
    /// It sends an rtnetlink request: it waits while an operation holds
    /// RTNL in a window.
    pub needs_rtnl: bool,
    /// It may change kernel state (SETLINK, NEWADDR, a namespace).
    pub writes_kernel: bool,
    /// It may send messages to other agents.
    pub sends: bool,
    /// It touches only its own thread's state (and reads the kernel): it
    /// commutes with the same agent's other local, read-only threads.
    pub local: bool,
}

/// Cloning an agent behind `Box<dyn Agent>`: implemented for every
/// `Clone` agent, so an agent only derives `Clone`.
pub trait AgentClone {
    fn clone_box(&self) -> Box<dyn Agent>;
    /// A copy behind its own `Arc` (one allocation, where `Arc::from` of a
    /// box takes two and a copy: the world copies an agent at each change).
    fn clone_arc(&self) -> std::sync::Arc<dyn Agent>;
}

impl<T: Agent + Clone + 'static> AgentClone for T {
    fn clone_box(&self) -> Box<dyn Agent> {
        Box::new(self.clone())
    }
    fn clone_arc(&self) -> std::sync::Arc<dyn Agent> {
        std::sync::Arc::new(self.clone())
    }
}

/// A modelled user-space process. Its state must be cloneable (the
/// explorer forks worlds: derive `Clone`) and hashable (the visited set).
pub trait Agent: AgentClone + Send + Sync {
    /// The lane name (`udev`, `nm`, …); unique in a world.
    fn name(&self) -> &str;
    /// Kind and version, e.g. `systemd-udevd 257.7`.
    fn describe(&self) -> String;
    /// Feeds the agent's state into the fingerprint (what can differ
    /// between states of one run: a script's position, not its steps).
    fn hash_state(&self, h: &mut dyn Hasher);
    /// Whether `hash_state` hashes nothing that names kernel objects
    /// (`DevId`, `NetId`, `Instant`, whose canonical names follow the
    /// kernel): then the world caches the agent's hash while the agent
    /// does not change. The default, `false`, rehashes it every time.
    fn hash_is_self_contained(&self) -> bool {
        false
    }
    fn listens(&self) -> Listens;
    /// A message arrives (the world calls it only for what `listens` asks).
    fn deliver(&mut self, msg: &Msg);
    /// The steps it can take now.
    fn choices(&self, kernel: &Kernel) -> Vec<Choice>;
    /// Whether `choices` looks at the kernel. With `false`, the world
    /// asks once per version of the agent and keeps the answer (a search
    /// asks in every state). The default, `true`, asks every time.
    fn choices_read_kernel(&self) -> bool {
        true
    }
    /// Takes the step of `thread` (one of `choices`); returns what it did.
    fn step(&mut self, thread: u32, cx: &mut Cx<'_>) -> String;
}

impl Clone for Box<dyn Agent> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// The context of one agent step.
pub struct Cx<'a> {
    /// The kernel: reads share it, a `&mut` use copies it (copy-on-write).
    pub kernel: &'a mut crate::kcell::KernelCell,
    /// What the step did that the properties judge (write-only).
    pub facts: FactsLog,
    /// The namespace the agent runs in.
    pub net: NetId,
    /// Messages to deliver to other agents after the step.
    pub outbox: Vec<Msg>,
    /// What the agent saw and did, a line each (replay prints it).
    pub seen: Vec<String>,
    /// A scripted action for the world to run after the step.
    pub script_action: Option<crate::action::Action>,
    /// Keep `seen` (replay); a search leaves it off.
    pub record: bool,
    /// Answer a request met before on this very kernel from the step
    /// cache's request memo (`step_memo::request_memo`): on while the
    /// cache records a step.
    pub(crate) memo: bool,
    seq: u32,
}

impl<'a> Cx<'a> {
    pub fn new(kernel: &'a mut crate::kcell::KernelCell, net: NetId) -> Cx<'a> {
        Cx {
            kernel,
            facts: FactsLog::default(),
            net,
            outbox: Vec::new(),
            seen: Vec::new(),
            script_action: None,
            record: true,
            memo: false,
            seq: 0,
        }
    }

    /// Reads `/sys/class/net/NAME/ATTR` (lock-free) and notes the value.
    pub fn sysfs(&mut self, name: &str, attr: &str) -> Option<String> {
        let v = self.kernel.sysfs_read_by_name(self.net, name, attr);
        if self.record {
            let shown = v.as_deref().unwrap_or("(no such file)");
            self.seen
                .push(format!("read /sys/class/net/{name}/{attr} = {shown}"));
        }
        v
    }

    /// `ls /sys/class/net`.
    pub fn sysfs_list(&mut self) -> Vec<String> {
        let v = self.kernel.sysfs_list(self.net);
        self.seen
            .push(format!("ls /sys/class/net = {}", v.join(" ")));
        v
    }

    /// Sends one rtnetlink link request (RTNL) and notes it with the
    /// answer.
    pub fn link_request(
        &mut self,
        what: &str,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<Vec<LinkMessage>, NlError> {
        self.seq = self.seq.wrapping_add(1);
        let r = self.raw_request(msg, flags).map(|rep| decode(&rep));
        let out = match r {
            Ok((links, Ok(()))) => Ok(links),
            Ok((_, Err(e))) => Err(e),
            Err(e) => Err(e),
        };
        if self.record {
            let ans = match &out {
                Ok(l) if l.is_empty() => "ack".to_string(),
                Ok(l) => format!("{} link(s)", l.len()),
                Err(e) => format!("error {:?}", e.errno),
            };
            self.seen.push(format!("netlink {what} → {ans}"));
        }
        out
    }

    /// Sends one rtnetlink link request and returns how many links came
    /// back, or the error: for a caller that reads only the outcome
    /// (udevd's `link_new`), so that the replies' headers are read but a
    /// link message's attributes are not parsed (`decode` would).
    pub fn link_status(
        &mut self,
        what: &str,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<usize, NlError> {
        self.seq = self.seq.wrapping_add(1);
        let out = self
            .raw_request(msg, flags)
            .and_then(|rep| reply_status(&rep));
        if self.record {
            let ans = match &out {
                Ok(0) => "ack".to_string(),
                Ok(n) => format!("{n} link(s)"),
                Err(e) => format!("error {:?}", e.errno),
            };
            self.seen.push(format!("netlink {what} → {ans}"));
        }
        out
    }

    /// Sends a request and returns the raw replies.
    pub fn raw_request(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<Vec<Vec<u8>>, NlError> {
        let bytes = try_encode(msg, flags | NLM_F_REQUEST, self.seq).map_err(|_| NlError {
            errno: Errno::EMSGSIZE,
            extack: None,
        })?;
        let answer = if self.memo {
            crate::step_memo::request_memo(self.kernel, self.net, &bytes)
        } else {
            self.kernel.rtnl_try_request(self.net, &bytes)
        };
        answer.map_err(|_| NlError {
            errno: Errno::EBUSY,
            extack: Some(ifnet_core::window::RTNL_HELD_MSG.into()),
        })
    }

    /// Broadcasts a processed udev event to libudev listeners.
    pub fn broadcast(&mut self, ev: UdevEvent) {
        if self.record {
            self.seen.push(format!(
                "broadcast {} {} to libudev listeners",
                ev.action, ev.devpath
            ));
        }
        self.outbox.push(Msg::Udev(std::sync::Arc::new(ev)));
    }

    pub fn note(&mut self, line: impl Into<String>) {
        if self.record {
            self.seen.push(line.into());
        }
    }
}

/// `RTM_NEWLINK` (linux/rtnetlink.h): the type of a link reply.
const RTM_NEWLINK: u16 = 16;

/// What `decode` would say of `replies`, but for the links' contents:
/// their count, or the first NLMSG_ERROR with a code (only an error is
/// parsed whole).
pub fn reply_status(replies: &[Vec<u8>]) -> Result<usize, NlError> {
    use netlink_packet_core::{NetlinkBuffer, NLMSG_ERROR};
    let eio = NlError {
        errno: Errno::EIO,
        extack: None,
    };
    let mut links = 0;
    for r in replies {
        let kind = NetlinkBuffer::new_checked(&r[..])
            .map_err(|_| eio.clone())?
            .message_type();
        if kind == NLMSG_ERROR {
            decode(std::slice::from_ref(r)).1?;
        } else if kind == RTM_NEWLINK {
            links += 1;
        }
    }
    Ok(links)
}

/// A bounded inbox: past `cap` messages the oldest is dropped and the
/// overrun counted (ENOBUFS on a netlink socket).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Inbox {
    pub msgs: std::collections::VecDeque<Msg>,
    pub overruns: u32,
}

/// Messages an agent's socket holds before it overruns.
pub const INBOX_CAP: usize = 256;

impl Inbox {
    pub fn push(&mut self, m: Msg) {
        if self.msgs.len() >= INBOX_CAP {
            self.msgs.pop_front();
            self.overruns = self.overruns.saturating_add(1);
        }
        self.msgs.push_back(m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ifnet_core::KernelProfile;
    use netlink_packet_core::NLM_F_ACK;

    /// `reply_status` reads what `decode` reads, but for the links'
    /// attributes: a GETLINK's one link, an unknown ifindex's ENODEV, a
    /// SETLINK's ack, bytes that are no netlink message (EIO).
    #[test]
    fn reply_status_agrees_with_decode() {
        let mut k = Kernel::new(KernelProfile::latest());
        let net = k.init_net();
        let mut ask = |index: u32, set: bool| {
            let mut m = LinkMessage::default();
            m.header.index = index;
            let (msg, flags) = if set {
                (RouteNetlinkMessage::SetLink(m), NLM_F_REQUEST | NLM_F_ACK)
            } else {
                (RouteNetlinkMessage::GetLink(m), NLM_F_REQUEST)
            };
            k.rtnl_request(net, &try_encode(msg, flags, 1).unwrap())
        };
        for (index, set, links) in [
            (1, false, Ok(1)),
            (99, false, Err(Errno::ENODEV)),
            (1, true, Ok(0)),
        ] {
            let rep = ask(index, set);
            let (l, st) = decode(&rep);
            let want = st.map(|()| l.len()).map_err(|e| e.errno);
            assert_eq!(want, links, "decode, ifindex {index}");
            assert_eq!(
                reply_status(&rep).map_err(|e| e.errno),
                want,
                "ifindex {index}"
            );
        }
        assert_eq!(
            reply_status(&[vec![1, 2, 3]]).map_err(|e| e.errno),
            Err(Errno::EIO)
        );
    }
}
