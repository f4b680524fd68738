//! `ip monitor [link]` (iproute2 6.1 ip/ipmonitor.c): follows the
//! RTM_NEWLINK/DELLINK multicast that other ifnet invocations cause, by
//! polling the state file and reading the kernel's multicast ring from the
//! last sequence number seen. Lines are printed by print_linkinfo() with
//! `do_link` off, as ip's accept_msg() does. `ifnet monitor uevent`
//! follows the kernel's uevent ring the same way and prints it as
//! `udevadm monitor --kernel --property` does.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::RouteNetlinkMessage;

use ifnet_core::Kernel;

use crate::ip::print_link::{print_linkinfo, Filter};
use crate::ip::util::matches;
use crate::session::state;
use crate::session::Session;
use crate::{invarg, Abort, Argv};

const POLL: Duration = Duration::from_millis(100);

/// `IPMON_LLINK` / `IPMON_LADDR`.
const LINK: u32 = 1;
const ADDR: u32 = 2;

/// What `ip monitor` was asked to follow.
struct MonArgs {
    label: bool,
    /// The objects (`lmask`); none named is all.
    lmask: u32,
    ifindex_name: Option<String>,
    /// `ifnet monitor uevent`: the kernel's uevents, not rtnetlink.
    uevent: bool,
}

fn parse_args(s: &mut Session, words: &[String]) -> Result<MonArgs, Abort> {
    let mut m = MonArgs {
        label: false,
        lmask: 0,
        ifindex_name: None,
        uevent: false,
    };
    if words.len() == 1 && words[0] == "uevent" {
        m.uevent = true;
        return Ok(m);
    }
    let mut a = Argv::new(words);
    while a.left() > 0 {
        let w = a.cur();
        if matches(w, "label") || w == "all" {
            m.label = true;
        } else if matches(w, "link") {
            m.lmask |= LINK;
        } else if matches(w, "address") {
            m.lmask |= ADDR;
        } else if w == "dev" {
            m.ifindex_name = Some(a.next_arg(&mut s.err)?.to_string());
        } else if [
            "route", "mroute", "prefix", "neigh", "netconf", "rule", "nsid", "nexthop", "all-nsid",
        ]
        .iter()
        .any(|o| matches(w, o))
            || w == "stats"
        {
            // Objects ifnet has no events for yet: nothing will arrive.
        } else {
            s.eprint(&format!(
                "Argument \"{w}\" is unknown, try \"ip monitor help\".\n"
            ));
            return Err(Abort::Exit(255));
        }
        a.advance();
    }
    if m.lmask == 0 {
        m.lmask = !0;
    }
    Ok(m)
}

/// Identity of the current state file: every save renames a new file into
/// place, so the inode changes even when mtime and size do not.
fn stamp(path: &Path) -> Option<(u64, SystemTime, u64)> {
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(path).ok()?;
    Some((md.ino(), md.modified().ok()?, md.len()))
}

/// Loads the current kernel under a shared lock (None if there is no
/// state yet or it is unreadable right now).
fn reload(
    path: &Path,
) -> Result<Option<(ifnet_core::Kernel, ifnet_core::user_space::NetnsNames)>, state::StateError> {
    let _l = state::lock(path, false)?;
    match crate::session::statefs::read_state(path)? {
        Some(bytes) => state::decode(path, &bytes).map(Some),
        None => Ok(None),
    }
}

/// Runs the monitor until stdout goes away. `s` holds the kernel loaded at
/// start; its link cache persists across polls as ip's does.
pub fn run(s: &mut Session, path: &Path, words: &[String]) -> Result<i32, Abort> {
    let m = parse_args(s, words)?;
    let netns = s.opts.netns.clone();
    if m.uevent {
        // udevadm-monitor.c's banner, for --kernel.
        s.p.text("monitor will print the received events for:\nKERNEL - the kernel uevent\n\n");
        return follow(s, path, netns, Kernel::uevent_next_seq, &mut print_uevents);
    }
    // ll_init_map(): prime the cache with the links that exist now.
    if let Ok(links) = s.dump_links(LinkMessage::default()) {
        links.iter().for_each(|lm| s.remember(lm));
    }
    let mut f = Filter {
        netns_map: Some(netns_map_init(s)),
        ..Filter::default()
    };
    if let Some(dev) = &m.ifindex_name {
        f.ifindex = s.ll_name_to_index(dev);
        if f.ifindex == 0 {
            return Err(invarg(&mut s.err, "Device does not exist\n", dev));
        }
    }
    // Subscribe (the socket's bind to RTNLGRP_LINK): the kernel builds
    // notifications only while someone listens. The subscription is a lock
    // the kernel drops when this process dies, however it dies.
    let _sub = match state::listen(path) {
        Ok(sub) => sub,
        Err(e) => {
            s.eprint(&format!("{}\n", e.0));
            flush_out(s)?;
            return Ok(1);
        }
    };
    // ipaddr_reset_filter(1, ifindex): addresses print with "N: DEV".
    let af = crate::ip::print_addr::AddrFilter {
        ifindex: f.ifindex,
        oneline: true,
        ..Default::default()
    };
    let groups = groups(m.lmask, s.opts.family);
    let mut shadow = LinkShadow::default();
    let mut print =
        |s: &mut Session, from: u64| print_events(s, from, &f, &af, groups, m.label, &mut shadow);
    follow(s, path, netns, Kernel::mcast_next_seq, &mut print)
}

/// `netns_map_init()`: the named namespaces that have an nsid in ours now;
/// ip monitor builds this once, at start, and never refreshes it.
pub fn netns_map_init(s: &Session) -> Vec<(i32, String)> {
    s.names
        .list()
        .into_iter()
        .filter_map(|(name, net)| s.k.peernet2id(s.net, net).map(|id| (id, name)))
        .collect()
}

/// Polls the state file and prints what a ring gained since the last
/// poll: `next_seq` reads the ring's next sequence number, `print` prints
/// from a sequence number and returns the next one to read.
fn follow(
    s: &mut Session,
    path: &Path,
    netns: Option<String>,
    next_seq: fn(&Kernel) -> u64,
    print: &mut dyn FnMut(&mut Session, u64) -> u64,
) -> Result<i32, Abort> {
    // From the state loaded before the subscription: an event built after
    // it has a later sequence number, so none is missed (and the first poll
    // always reloads).
    let mut next = next_seq(&s.k);
    let mut last_stamp = None;
    flush_out(s)?;
    loop {
        std::thread::sleep(POLL);
        let st = stamp(path);
        if st == last_stamp {
            continue;
        }
        last_stamp = st;
        let (k, names) = match reload(path) {
            Ok(Some(loaded)) => loaded,
            Ok(None) => continue,
            Err(e) => {
                s.eprint(&format!("{}\n", e.0));
                flush_out(s)?;
                return Ok(1);
            }
        };
        s.k = k;
        s.names = names;
        if let Some(ns) = &netns {
            match s.names.get(ns) {
                Some(n) => s.net = n,
                None => continue,
            }
        }
        if next_seq(&s.k) < next {
            // The state was reset: a new kernel, a new sequence.
            next = 0;
        }
        next = print(s, next);
        flush_out(s)?;
    }
}

/// What the kernel's link table held when each event was sent, as far as
/// the ring's link messages tell: ip resolves an address's ifindex with a
/// GETLINK at the moment it prints, while ifnet's monitor reads events
/// after the fact, when the device may be gone.
#[derive(Debug, Default)]
pub struct LinkShadow(std::collections::BTreeMap<u32, crate::ip::llmap::LinkSeen>);

/// The groups the monitor's socket binds: RTNLGRP_LINK for links, the
/// IPv4 and IPv6 address groups for addresses unless `-6` / `-4` leaves
/// one out.
#[derive(Debug, Clone, Copy)]
pub struct Groups {
    pub link: bool,
    pub ipv4_addr: bool,
    pub ipv6_addr: bool,
}

fn groups(lmask: u32, family: u8) -> Groups {
    use crate::ip::args::{AF_INET, AF_INET6, AF_UNSPEC};
    let addr = lmask & ADDR != 0;
    Groups {
        link: lmask & LINK != 0,
        ipv4_addr: addr && (family == AF_UNSPEC || family == AF_INET),
        ipv6_addr: addr && (family == AF_UNSPEC || family == AF_INET6),
    }
}

/// Prints every multicast message of our namespace from `from` on, of the
/// groups subscribed; returns the next sequence number to read.
pub fn print_events(
    s: &mut Session,
    from: u64,
    f: &Filter,
    af: &crate::ip::print_addr::AddrFilter,
    g: Groups,
    label: bool,
    shadow: &mut LinkShadow,
) -> u64 {
    let (msgs, next) = match s.k.mcast_since(from) {
        Ok(v) => {
            let next = s.k.mcast_next_seq();
            (v, next)
        }
        Err(o) => {
            s.eprint("netlink receive error No buffer space available (105)\n");
            (
                s.k.mcast_since(o.resume_at).unwrap_or_default(),
                s.k.mcast_next_seq(),
            )
        }
    };
    let net = s.net;
    for m in msgs.into_iter().filter(|m| m.net == net) {
        let Ok(nl) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&m.bytes) else {
            continue;
        };
        let (lm, deleted) = match nl.payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(lm)) => (lm, false),
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(lm)) => (lm, true),
            NetlinkPayload::InnerMessage(
                RouteNetlinkMessage::NewAddress(am) | RouteNetlinkMessage::DelAddress(am),
            ) => {
                let v6 = u8::from(am.header.family) == crate::ip::args::AF_INET6;
                if (v6 && g.ipv6_addr) || (!v6 && g.ipv4_addr) {
                    // ll_index_to_name()'s GETLINK, answered as of then.
                    let idx = am.header.index;
                    if s.ll.name_by_index(idx).is_none() {
                        if let Some(seen) = shadow.0.get(&idx) {
                            s.ll.remember(seen);
                        }
                    }
                    // accept_msg(): "[ADDR]", then print_addrinfo().
                    if label {
                        s.p.text("[ADDR]");
                    }
                    let deleted = nl.header.message_type == 21;
                    crate::ip::print_addr::print_addrinfo(s, &am, deleted, af);
                }
                continue;
            }
            _ => continue,
        };
        if deleted {
            shadow.0.remove(&lm.header.index);
        } else {
            shadow
                .0
                .insert(lm.header.index, crate::session::link_seen(&lm));
        }
        if !g.link {
            continue;
        }
        // accept_msg(): ll_remember_index() first, then print.
        if deleted {
            s.ll.drop_index(lm.header.index);
        } else {
            s.remember(&lm);
        }
        if label {
            s.p.text("[LINK]");
        }
        print_linkinfo(s, &lm, deleted, f);
    }
    next
}

/// Prints every uevent of our namespace from `from` on as
/// `udevadm monitor --kernel --property` does (udevadm-monitor.c
/// device_monitor_handler(): `KERNEL[sec.usec] action devpath (subsystem)`,
/// the properties, an empty line); the timestamp is the virtual time the
/// uevent was sent. Returns the next sequence number to read.
pub fn print_uevents(s: &mut Session, from: u64) -> u64 {
    let evs = match s.k.uevents_since(from) {
        Ok(v) => v,
        // The uevent socket's buffer overflowed: udevadm logs and goes on.
        Err(o) => s.k.uevents_since(o.resume_at).unwrap_or_default(),
    };
    let net = s.net;
    for u in evs.iter().filter(|u| u.net == net) {
        let (sec, usec) = (
            u.time.as_nanos() / 1_000_000_000,
            u.time.as_nanos() % 1_000_000_000 / 1000,
        );
        let mut text = format!(
            "KERNEL[{sec}.{usec:06}] {:<8} {} (net)\n",
            u.action.name(),
            u.devpath
        );
        for (key, value) in u.properties() {
            text.push_str(&format!("{key}={value}\n"));
        }
        text.push('\n');
        s.p.text(&text);
    }
    s.k.uevent_next_seq()
}

/// Writes out what was printed; a closed stdout ends the monitor.
fn flush_out(s: &mut Session) -> Result<(), Abort> {
    let mut out = std::io::stdout().lock();
    let ok = out.write_all(&s.p.out).and_then(|_| out.flush());
    s.p.out.clear();
    let _ = std::io::stderr().write_all(&s.err);
    s.err.clear();
    ok.map_err(|_| Abort::Exit(0))
}
