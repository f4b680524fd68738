//! `ip link` dispatch (`do_iplink()`, ip/iplink.c) and `ip link show`
//! (`ipaddr_list_link()` → `ipaddr_list_flush_or_save()`, ip/ipaddress.c).

use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkExtentMask, LinkInfo, LinkMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::ip::args::AF_PACKET;
use crate::ip::link_parse::{iplink_modify, Cmd, IPLINK_USAGE};
use crate::ip::print_link::{first_link_message, print_linkinfo, Filter};
use crate::ip::util::{group_a2n, matches, strerror, strtoul};
use crate::session::{ifname_or_alt, Session};
use crate::{duparg2, invarg, Abort, Argv, IpResult};

/// `do_iplink()`.
pub fn do_iplink(s: &mut Session, words: &[String]) -> IpResult {
    let Some(verb) = words.first() else {
        return ipaddr_list_link(s, &[]);
    };
    let rest = &words[1..];
    let verb = verb.as_str();
    if matches(verb, "add") {
        return iplink_modify(s, Cmd::Add, rest);
    }
    if matches(verb, "set") || matches(verb, "change") {
        return iplink_modify(s, Cmd::Set, rest);
    }
    if matches(verb, "replace") {
        return iplink_modify(s, Cmd::Replace, rest);
    }
    if matches(verb, "delete") {
        return iplink_modify(s, Cmd::Delete, rest);
    }
    if matches(verb, "show") || matches(verb, "lst") || matches(verb, "list") {
        return ipaddr_list_link(s, rest);
    }
    if matches(verb, "help") {
        s.eprint(IPLINK_USAGE);
        return Err(Abort::Exit(255));
    }
    if matches(verb, "property") {
        return crate::ip::link_prop::iplink_prop(s, rest);
    }
    if matches(verb, "xstats") || matches(verb, "afstats") {
        s.eprint(&format!("ifnet: \"ip link {verb}\" is not supported yet\n"));
        return Err(Abort::Exit(255));
    }
    s.eprint(&format!(
        "Command \"{verb}\" is unknown, try \"ip link help\".\n"
    ));
    Err(Abort::Exit(255))
}

/// The argument loop of ipaddr_list_flush_or_save() for `ip link show`,
/// in its order of tests.
fn parse_filter(
    s: &mut Session,
    words: &[String],
    f: &mut Filter,
) -> Result<Option<String>, Abort> {
    let mut a = Argv::new(words);
    let mut filter_dev: Option<String> = None;
    while a.left() > 0 {
        let w = a.cur();
        if w == "to" {
            // get_prefix() with filter.family AF_PACKET: exit(1).
            let v = a.next_arg(&mut s.err)?;
            s.eprint(&format!(
                "Error: \"{v}\" may be inet prefix, but it is not allowed in this context.\n"
            ));
            return Err(Abort::Exit(1));
        } else if w == "scope" {
            let v = a.next_arg(&mut s.err)?;
            // The scope filters addresses; `ip link` prints none.
            if rtscope_a2n(v).is_none() && v != "all" {
                return Err(invarg(&mut s.err, "invalid \"scope\"\n", v));
            }
        } else if w == "up" {
            f.up = true;
        } else if get_filter(w) {
            // An address flag filter (permanent, dynamic, tentative, …):
            // nothing to filter among links.
        } else if w == "label" {
            a.next_arg(&mut s.err)?;
            f.label = true;
        } else if w == "group" {
            let v = a.next_arg(&mut s.err)?;
            let g =
                group_a2n(v).ok_or_else(|| invarg(&mut s.err, "Invalid \"group\" value\n", v))?;
            f.group = Some(g);
        } else if w == "master" || w == "vrf" {
            let vrf = w == "vrf";
            let v = a.next_arg(&mut s.err)?;
            let idx = s.ll_name_to_index(v);
            let msg = if vrf {
                "Not a valid VRF name\n"
            } else {
                "Device does not exist\n"
            };
            if idx == 0 || (vrf && !name_is_vrf(s, v)) {
                return Err(invarg(&mut s.err, msg, v));
            }
            f.master = idx as i64;
        } else if w == "nomaster" {
            f.master = -1;
        } else if w == "type" {
            let v = a.next_arg(&mut s.err)?;
            match v.strip_suffix("_slave") {
                Some(k) => f.slave_kind = Some(k.to_string()),
                None => f.kind = Some(v.to_string()),
            }
        } else {
            if w == "dev" {
                a.next_arg(&mut s.err)?;
            } else if matches(w, "help") {
                s.eprint(crate::ip::link_show::IPADDR_USAGE_HINT);
                return Err(Abort::Exit(255));
            }
            if filter_dev.is_some() {
                return Err(duparg2(&mut s.err, "dev", a.cur()));
            }
            filter_dev = Some(a.cur().to_string());
        }
        a.advance();
    }
    Ok(filter_dev)
}

/// ipaddress.c `get_filter()`: an address flag name (`ifa_flag_data[]`),
/// optionally with a leading '-', or `dynamic` / `primary`.
fn get_filter(w: &str) -> bool {
    const FLAGS: [&str; 13] = [
        "secondary",
        "temporary",
        "nodad",
        "optimistic",
        "dadfailed",
        "home",
        "deprecated",
        "tentative",
        "permanent",
        "mngtmpaddr",
        "noprefixroute",
        "autojoin",
        "stable-privacy",
    ];
    let w = w.strip_prefix('-').unwrap_or(w);
    w == "dynamic" || w == "primary" || FLAGS.contains(&w)
}

/// lib/rt_names.c `rtnl_rtscope_a2n()` with the stock
/// /etc/iproute2/rt_scopes (global, nowhere, host, link, site), else a
/// number up to 255.
fn rtscope_a2n(arg: &str) -> Option<u32> {
    let named = [
        ("global", 0),
        ("nowhere", 255),
        ("host", 254),
        ("link", 253),
        ("site", 200),
    ];
    if let Some((_, v)) = named.iter().find(|(n, _)| *n == arg) {
        return Some(*v);
    }
    match strtoul(arg, 0)? {
        (v, _, true) if v <= 255 => Some(v as u32),
        _ => None,
    }
}

/// ip/iplink_vrf.c `name_is_vrf()`: a quiet GETLINK by name (on `rth`)
/// whose IFLA_INFO_KIND is "vrf".
pub(crate) fn name_is_vrf(s: &mut Session, name: &str) -> bool {
    let mut req = LinkMessage::default();
    req.header.interface_family = AddressFamily::from(s.opts.family);
    req.attributes.push(LinkAttribute::IfName(name.to_string()));
    match s.talk(RouteNetlinkMessage::GetLink(req), 0, true, false) {
        Ok(crate::session::Reply::Link(lm)) => lm.attributes.iter().any(|a| {
            matches!(a, LinkAttribute::LinkInfo(infos)
                if infos.iter().any(|i| matches!(i, LinkInfo::Kind(k) if k.to_string() == "vrf")))
        }),
        _ => false,
    }
}

/// Short stand-in for ipaddress.c usage() (its text is long and rarely
/// diffed); exit code matches.
pub const IPADDR_USAGE_HINT: &str =
    "Usage: ip address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]\n";

/// `ipaddr_list_link()`: `preferred_family = AF_PACKET; do_link = 1;`
/// then `ipaddr_list_flush_or_save()`, whose `filter` is ipaddress.c's
/// global: reset here and left as the arguments set it, for what the same
/// process prints later (an `-echo` in a batch).
pub fn ipaddr_list_link(s: &mut Session, words: &[String]) -> IpResult {
    s.do_link = true;
    s.filter = Filter {
        showqueue: true,
        do_link: true,
        family: AF_PACKET,
        ..Default::default()
    };
    let mut f = s.filter.clone();
    let parsed = parse_filter(s, words, &mut f);
    s.filter = f;
    s.addr_filter = crate::ip::print_addr::AddrFilter {
        family: AF_PACKET,
        ..Default::default()
    };
    let filter_dev = parsed?;
    if let Some(dev) = &filter_dev {
        s.filter.ifindex = s.ll_name_to_index(dev);
        if s.filter.ifindex == 0 {
            s.eprint(&format!("Device \"{dev}\" does not exist.\n"));
            return Ok(-1);
        }
    }
    let f = s.filter.clone();
    s.p.new_json_obj();
    let r = match (&filter_dev, f.group) {
        (Some(dev), None) => iplink_get(s, dev, &f),
        _ => list_all(s, &f),
    };
    s.p.delete_json_obj();
    r
}

/// `iplink_get()`: one GETLINK by name (`ifi_family` is
/// `preferred_family`: `f.family`); the answer (whatever message came
/// first: after an `-echo` in a batch, an earlier request's) printed
/// through the filter.
pub(crate) fn iplink_get(s: &mut Session, name: &str, f: &Filter) -> IpResult {
    let mut req = LinkMessage::default();
    req.header.interface_family = AddressFamily::from(f.family);
    req.attributes.push(ifname_or_alt(name));
    req.attributes
        .push(LinkAttribute::ExtMask(vec![LinkExtentMask::Vf]));
    match s.talk_raw(RouteNetlinkMessage::GetLink(req), 0, true, true) {
        Ok(answer) => {
            s.p.open_object(None);
            if let Some((lm, deleted)) = first_link_message(&answer.unwrap_or_default()) {
                print_linkinfo(s, &lm, deleted, f);
            }
            s.p.close_object();
            Ok(0)
        }
        Err(errno) => {
            s.eprint(&format!(
                "Cannot send link get request: {}\n",
                strerror(errno)
            ));
            Err(Abort::Exit(1))
        }
    }
}

/// The dump path: `ip_link_list(iplink_filter_req)` then print each; with
/// a device and a group, `ipaddr_link_get()` (one GETLINK by index).
fn list_all(s: &mut Session, f: &Filter) -> IpResult {
    let mut req = LinkMessage::default();
    req.header.interface_family = AddressFamily::Packet;
    let mut ext = vec![LinkExtentMask::Vf];
    if f.ifindex != 0 {
        req.header.index = f.ifindex;
        if s.opts.stats == 0 {
            ext.push(LinkExtentMask::SkipStats);
        }
        req.attributes.push(LinkAttribute::ExtMask(ext));
        let answer = match s.talk_raw(RouteNetlinkMessage::GetLink(req), 0, true, true) {
            Ok(a) => a.unwrap_or_default(),
            Err(errno) => {
                s.eprint(&format!("Cannot send link request: {}\n", strerror(errno)));
                return Ok(0);
            }
        };
        return print_all(s, vec![first_link_message(&answer)], f);
    }
    req.attributes.push(LinkAttribute::ExtMask(ext));
    if f.master != 0 {
        req.attributes
            .push(LinkAttribute::Controller(f.master as u32));
    }
    if let Some(k) = &f.kind {
        req.attributes
            .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                InfoKind::from(k.as_str()),
            )]));
    }
    // ipaddr_list_flush_or_save() returns 0 even when the dump failed.
    let Ok(links) = s.dump_links(req) else {
        return Ok(0);
    };
    print_all(s, links.into_iter().map(|l| Some((l, false))).collect(), f)
}

/// `store_nlmsg()` for each message (the link cache learns or forgets
/// it), then each printed in a JSON object of its own (a message that is
/// no link prints nothing inside it).
fn print_all(s: &mut Session, msgs: Vec<Option<(LinkMessage, bool)>>, f: &Filter) -> IpResult {
    for (lm, deleted) in msgs.iter().flatten() {
        if *deleted {
            s.ll.drop_index(lm.header.index);
        } else {
            s.remember(lm);
        }
    }
    for m in &msgs {
        s.p.open_object(None);
        if let Some((lm, deleted)) = m {
            print_linkinfo(s, lm, *deleted, f);
        }
        s.p.close_object();
    }
    Ok(0)
}
