//! Reading what the kernel sent: net uevents from the uevent ring and
//! RTM_NEWLINK/DELLINK from the multicast ring (decoded from their bytes),
//! since a cursor, for the world to hand to the agents that listen; and the
//! ordered event log as text for replay details.

use crate::agent::{LinkNote, Uevent};
use ifnet_core::{Kernel, KernelEvent, NetId};
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::link::LinkAttribute;
use netlink_packet_route::RouteNetlinkMessage;

/// The multicast listener id the world registers (RTNLGRP_LINK).
pub const MCAST_LISTENER: u32 = 0x5117;

/// Net uevents of `net` since `from`, and the next cursor. A cursor behind
/// the ring resumes at its start (the lost events are gone, as ENOBUFS).
pub fn uevents(k: &Kernel, from: u64, net: NetId) -> (Vec<Uevent>, u64) {
    let next = k.uevent_next_seq();
    let got = match k.uevents_since(from) {
        Ok(v) => v,
        Err(o) => k.uevents_since(o.resume_at).unwrap_or_default(),
    };
    let v = got
        .into_iter()
        .filter(|u| u.net == net)
        .map(|u| Uevent {
            action: u.action.name().to_string(),
            subsystem: "net".into(),
            devpath: u.devpath,
            interface: Some(u.interface),
            ifindex: u.ifindex,
        })
        .collect();
    (v, next)
}

/// Link notifications of `net` since `from`, decoded, and the next cursor.
pub fn link_notes(k: &Kernel, from: u64, net: NetId) -> (Vec<LinkNote>, u64) {
    let next = k.mcast_next_seq();
    let got = match k.mcast_since(from) {
        Ok(v) => v,
        Err(o) => k.mcast_since(o.resume_at).unwrap_or_default(),
    };
    let mut v = Vec::new();
    for m in got.into_iter().filter(|m| m.net == net) {
        let Ok(msg) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&m.bytes) else {
            continue;
        };
        let (new, link) = match msg.payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => (true, l),
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(l)) => (false, l),
            _ => continue,
        };
        let mut note = LinkNote {
            new,
            ifindex: link.header.index,
            name: String::new(),
            flags: link.header.flags.bits(),
            master: 0,
        };
        for a in &link.attributes {
            match a {
                LinkAttribute::IfName(n) => note.name = n.clone(),
                LinkAttribute::Controller(m) => note.master = *m,
                _ => {}
            }
        }
        v.push(note);
    }
    (v, next)
}

/// The kernel's ordered event log since `from`, a line each.
pub fn kernel_events(k: &Kernel, from: u64) -> (Vec<String>, u64) {
    let next = k.event_next_seq();
    let got = match k.events_since(from) {
        Ok(v) => v,
        Err(o) => k.events_since(o.resume_at).unwrap_or_default(),
    };
    let lines = got
        .into_iter()
        .map(|e| match e.event {
            KernelEvent::Notifier {
                event,
                ifname,
                ifindex,
            } => format!("kernel: notifier {event:?} {ifname} (ifindex {ifindex})"),
            KernelEvent::Uevent {
                seqnum,
                action,
                interface,
                ..
            } => format!(
                "kernel: uevent {} {interface} (seqnum {seqnum})",
                action.name()
            ),
            KernelEvent::Rtnetlink {
                msg_type, ifindex, ..
            } => {
                let t = match msg_type {
                    16 => "RTM_NEWLINK",
                    17 => "RTM_DELLINK",
                    _ => "rtnetlink",
                };
                format!("kernel: {t} ifindex {ifindex}")
            }
            KernelEvent::Printk { text } => format!("kernel: printk \"{text}\""),
            KernelEvent::WindowEntered { window, .. } => {
                format!("kernel: parked in window {}", window.name())
            }
            KernelEvent::WindowLeft { window, .. } => {
                format!("kernel: left window {}", window.name())
            }
        })
        .collect();
    (lines, next)
}
