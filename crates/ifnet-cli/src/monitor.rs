//! `ip monitor [link]` (iproute2 6.1 ip/ipmonitor.c): follows the
//! RTM_NEWLINK/DELLINK multicast that other ifnet invocations cause, by
//! polling the state file and reading the kernel's multicast ring from the
//! last sequence number seen. Lines are printed by print_linkinfo() with
//! `do_link` off, as ip's accept_msg() does.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::RouteNetlinkMessage;

use crate::print_link::{print_linkinfo, Filter};
use crate::session::Session;
use crate::state;
use crate::util::matches;
use crate::{invarg, Abort, Argv};

const POLL: Duration = Duration::from_millis(100);

/// What `ip monitor` was asked to follow.
struct MonArgs {
    label: bool,
    ifindex_name: Option<String>,
}

fn parse_args(s: &mut Session, words: &[String]) -> Result<MonArgs, Abort> {
    let mut m = MonArgs {
        label: false,
        ifindex_name: None,
    };
    let mut a = Argv::new(words);
    while a.left() > 0 {
        let w = a.cur();
        if matches(w, "label") || w == "all" {
            m.label = true;
        } else if matches(w, "link") {
        } else if w == "dev" {
            m.ifindex_name = Some(a.next_arg(&mut s.err)?.to_string());
        } else if [
            "address", "route", "mroute", "prefix", "neigh", "netconf", "rule", "nsid", "nexthop",
            "all-nsid",
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
fn reload(path: &Path) -> Result<Option<ifnet_core::Kernel>, state::StateError> {
    let _l = state::lock(path, false)?;
    match crate::statefs::read_state(path)? {
        Some(bytes) => state::decode(path, &bytes).map(Some),
        None => Ok(None),
    }
}

/// Runs the monitor until stdout goes away. `s` holds the kernel loaded at
/// start; its link cache persists across polls as ip's does.
pub fn run(s: &mut Session, path: &Path, words: &[String]) -> Result<i32, Abort> {
    let m = parse_args(s, words)?;
    let netns = s.opts.netns.clone();
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
    follow(s, path, netns, &f, m.label)
}

/// `netns_map_init()`: the named namespaces that have an nsid in ours now;
/// ip monitor builds this once, at start, and never refreshes it.
pub fn netns_map_init(s: &Session) -> Vec<(i32, String)> {
    s.k.netns_list()
        .into_iter()
        .filter_map(|(name, net)| s.k.peernet2id(s.net, net).map(|id| (id, name)))
        .collect()
}

fn follow(
    s: &mut Session,
    path: &Path,
    netns: Option<String>,
    f: &Filter,
    label: bool,
) -> Result<i32, Abort> {
    let mut next = match reload(path) {
        Ok(Some(k)) => k.mcast_next_seq(),
        _ => s.k.mcast_next_seq(),
    };
    let mut last_stamp = stamp(path);
    flush_out(s)?;
    loop {
        std::thread::sleep(POLL);
        let st = stamp(path);
        if st == last_stamp {
            continue;
        }
        last_stamp = st;
        let k = match reload(path) {
            Ok(Some(k)) => k,
            Ok(None) => continue,
            Err(e) => {
                s.eprint(&format!("{}\n", e.0));
                flush_out(s)?;
                return Ok(1);
            }
        };
        s.k = k;
        if let Some(ns) = &netns {
            match s.k.netns_by_name(ns) {
                Some(n) => s.net = n,
                None => continue,
            }
        }
        if s.k.mcast_next_seq() < next {
            // The state was reset: a new kernel, a new sequence.
            next = 0;
        }
        next = print_events(s, next, f, label);
        flush_out(s)?;
    }
}

/// Prints every multicast message of our namespace from `from` on;
/// returns the next sequence number to read.
pub fn print_events(s: &mut Session, from: u64, f: &Filter, label: bool) -> u64 {
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
            _ => continue,
        };
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

/// Writes out what was printed; a closed stdout ends the monitor.
fn flush_out(s: &mut Session) -> Result<(), Abort> {
    let mut out = std::io::stdout().lock();
    let ok = out.write_all(&s.p.out).and_then(|_| out.flush());
    s.p.out.clear();
    let _ = std::io::stderr().write_all(&s.err);
    s.err.clear();
    ok.map_err(|_| Abort::Exit(0))
}
