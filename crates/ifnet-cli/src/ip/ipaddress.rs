//! `ip address` (iproute2 6.1 ip/ipaddress.c): `do_ipaddr()`'s verbs, and
//! `ipaddr_list_flush_or_save()` for `show` and `flush` — its argument
//! loop, the link dump (or GETLINK) and address dump, `ipaddr_filter()`
//! and the printing of each link with its addresses. `add`, `change`,
//! `replace` and `del` are in `addr_modify`; `save`, `showdump` and
//! `restore` (binary dumps on stdio) are refused as not supported yet.

use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkExtentMask, LinkInfo, LinkMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::ip::addr_parse::{get_prefix_1, rtscope_a2n, AF_PACKET, AF_UNSPEC};
use crate::ip::print_addr::{
    label_rejects, lookup_flag, prefix_rejects, print_selected_addrinfo, AddrAttrs, AddrFilter,
    IFA_F_SECONDARY,
};
use crate::ip::print_link::{print_linkinfo, Filter};
use crate::ip::util::{group_a2n, matches, strerror};
use crate::session::{Reply, Session};
use crate::{duparg2, invarg, Abort, Argv, IpResult};

/// ipaddress.c `usage()` for `ip address`.
pub const IPADDR_USAGE: &str = include_str!("ipaddr_usage.txt");

/// `do_ipaddr()`.
pub fn do_ipaddr(s: &mut Session, words: &[String]) -> IpResult {
    use crate::ip::addr_modify::{ipaddr_modify, RTM_DELADDR, RTM_NEWADDR};
    use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
    let Some(verb) = words.first() else {
        return list_flush(s, &[], false);
    };
    let rest = &words[1..];
    let v = verb.as_str();
    if matches(v, "add") {
        return ipaddr_modify(s, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, rest);
    }
    if matches(v, "change") || v == "chg" {
        return ipaddr_modify(s, RTM_NEWADDR, NLM_F_REPLACE, rest);
    }
    if matches(v, "replace") {
        return ipaddr_modify(s, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, rest);
    }
    if matches(v, "delete") {
        return ipaddr_modify(s, RTM_DELADDR, 0, rest);
    }
    if matches(v, "list") || matches(v, "show") || matches(v, "lst") {
        return list_flush(s, rest, false);
    }
    if matches(v, "flush") {
        return list_flush(s, rest, true);
    }
    if matches(v, "save") || matches(v, "showdump") || matches(v, "restore") {
        s.eprint(&format!(
            "ifnet: \"ip address {v}\" (binary address dumps) is not supported yet\n"
        ));
        return Err(Abort::Exit(255));
    }
    if matches(v, "help") {
        s.eprint(IPADDR_USAGE);
        return Err(Abort::Exit(255));
    }
    s.eprint(&format!(
        "Command \"{v}\" is unknown, try \"ip address help\".\n"
    ));
    Err(Abort::Exit(255))
}

/// Everything the argument loop of `ipaddr_list_flush_or_save()` sets.
#[derive(Debug, Clone, Default)]
pub struct ListArgs {
    pub addr: AddrFilter,
    pub link: Filter,
    pub dev: Option<String>,
}

/// `get_filter()`: a flag word (`[-]FLAG`, `dynamic`, `primary`).
fn get_filter(f: &mut AddrFilter, arg: &str) -> bool {
    let (mut inv, mut name) = match arg.strip_prefix('-') {
        Some(a) => (true, a),
        None => (false, arg),
    };
    if name == "dynamic" {
        inv = !inv;
        name = "permanent";
    } else if name == "primary" {
        inv = !inv;
        name = "secondary";
    }
    let Some((_, mask, _, _)) = lookup_flag(name) else {
        return false;
    };
    if inv {
        f.flags &= !mask;
    } else {
        f.flags |= mask;
    }
    f.flagmask |= mask;
    true
}

/// The argument loop.
fn parse_list_args(s: &mut Session, words: &[String], a: &mut ListArgs) -> Result<(), Abort> {
    let mut argv = Argv::new(words);
    while argv.left() > 0 {
        let w = argv.cur();
        if w == "to" {
            let v = argv.next_arg(&mut s.err)?;
            let p = get_prefix_1(v, a.addr.family)
                .ok_or_else(|| invarg(&mut s.err, "invalid \"to\"\n", v))?;
            if a.addr.family == AF_UNSPEC {
                a.addr.family = p.family;
            }
            a.addr.pfx = Some(p);
        } else if w == "scope" {
            let v = argv.next_arg(&mut s.err)?;
            a.addr.scopemask = 0xff;
            match rtscope_a2n(v) {
                Some(sc) => a.addr.scope = sc,
                None if v == "all" => {
                    a.addr.scope = 255;
                    a.addr.scopemask = 0;
                }
                None => return Err(invarg(&mut s.err, "invalid \"scope\"\n", v)),
            }
        } else if w == "up" {
            a.addr.up = true;
            a.link.up = true;
        } else if get_filter(&mut a.addr, w) {
        } else if w == "label" {
            a.addr.label = Some(argv.next_arg(&mut s.err)?.to_string());
        } else if w == "group" {
            let v = argv.next_arg(&mut s.err)?;
            let g =
                group_a2n(v).ok_or_else(|| invarg(&mut s.err, "Invalid \"group\" value\n", v))?;
            a.link.group = Some(g);
        } else if w == "master" || w == "vrf" {
            let v = argv.next_arg(&mut s.err)?;
            let idx = s.ll_name_to_index(v);
            if w == "vrf" {
                // No device of the model is a VRF (name_is_vrf).
                return Err(invarg(&mut s.err, "Not a valid VRF name\n", v));
            }
            if idx == 0 {
                return Err(invarg(&mut s.err, "Device does not exist\n", v));
            }
            a.link.master = i64::from(idx);
        } else if w == "nomaster" {
            a.link.master = -1;
        } else if w == "type" {
            let v = argv.next_arg(&mut s.err)?;
            match v.strip_suffix("_slave") {
                Some(k) => a.link.slave_kind = Some(k.to_string()),
                None => a.link.kind = Some(v.to_string()),
            }
        } else {
            if w == "dev" {
                argv.next_arg(&mut s.err)?;
            } else if matches(w, "help") {
                s.eprint(IPADDR_USAGE);
                return Err(Abort::Exit(255));
            }
            if a.dev.is_some() {
                return Err(duparg2(&mut s.err, "dev", argv.cur()));
            }
            a.dev = Some(argv.cur().to_string());
        }
        argv.advance();
    }
    Ok(())
}

/// `ipaddr_list_flush_or_save(argc, argv, IPADD_LIST | IPADD_FLUSH)`.
fn list_flush(s: &mut Session, words: &[String], flush: bool) -> IpResult {
    let mut a = ListArgs::default();
    a.addr.family = s.opts.family;
    a.addr.oneline = s.opts.oneline;
    a.link.showqueue = true;
    // ipaddress.c's `do_link` is a process global: 0 until an `ip link
    // show` of this batch set it (it changes what print_linkinfo adds).
    a.link.do_link = s.do_link;
    a.link.family = s.opts.family;
    if flush {
        if words.is_empty() {
            s.eprint("Flush requires arguments.\n");
            return Ok(-1);
        }
        if a.addr.family == AF_PACKET {
            s.eprint("Cannot flush link addresses.\n");
            return Ok(-1);
        }
    }
    parse_list_args(s, words, &mut a)?;
    a.link.family = a.addr.family;
    a.link.label = a.addr.label.is_some();
    if let Some(dev) = a.dev.clone() {
        let idx = s.ll_name_to_index(&dev);
        if idx == 0 {
            s.eprint(&format!("Device \"{dev}\" does not exist.\n"));
            return Ok(-1);
        }
        a.addr.ifindex = idx;
        a.link.ifindex = idx;
    }
    // ipaddress.c's one global `filter` stays as this command set it.
    s.filter = a.link.clone();
    s.addr_filter = a.addr.clone();
    if flush {
        return crate::ip::addr_modify::ipaddr_flush(s, &a.addr);
    }
    s.p.new_json_obj();
    // ipaddr_list_flush_or_save's shortcut for `ip link show DEV` tests
    // the global `do_link`, which an earlier `ip link show` of the same
    // process (a batch) left set: `ip addr show dev DEV` then prints the
    // link alone, through GETLINK (with -br, and no newline after it).
    let r = if let (Some(dev), None, true) = (a.dev.clone(), a.link.group, s.do_link) {
        crate::ip::link_show::iplink_get(s, &dev, &a.link)
    } else {
        list(s, &a)
    };
    s.p.delete_json_obj();
    r
}

/// The list body: links, addresses, `ipaddr_filter()`, print.
fn list(s: &mut Session, a: &ListArgs) -> IpResult {
    let links = if a.addr.ifindex != 0 {
        match ipaddr_link_get(s, a.addr.ifindex, a.addr.family) {
            Some(l) => vec![l],
            None => return Ok(0),
        }
    } else {
        match ip_link_list(s, &a.link) {
            Some(l) => l,
            None => return Ok(0),
        }
    };
    for lm in &links {
        s.remember(lm);
    }
    let family = a.addr.family;
    let mut no_link = false;
    let mut addrs = Vec::new();
    let mut links = links;
    if family != AF_PACKET {
        no_link = a.addr.oneline;
        let Some(ad) = ip_addr_list(s, family, a.addr.ifindex) else {
            return Ok(0);
        };
        addrs = ad;
        links = ipaddr_filter(s, links, &addrs, &a.addr);
    }
    for lm in &links {
        s.p.open_object(None);
        let res = if s.opts.brief || !no_link {
            print_linkinfo(s, lm, false, &a.link)
        } else {
            0
        };
        if res >= 0 && family != AF_PACKET {
            print_selected_addrinfo(s, lm.header.index, lm.header.flags.bits(), &addrs, &a.addr);
        }
        if res > 0 && s.opts.stats > 0 {
            crate::ip::print_stats::print_link_stats(s, lm);
        }
        s.p.close_object();
    }
    Ok(0)
}

/// `ipaddr_link_get()`: GETLINK by index (with the filter's family), no
/// statistics unless `-s`.
fn ipaddr_link_get(s: &mut Session, index: u32, family: u8) -> Option<LinkMessage> {
    let mut req = LinkMessage::default();
    req.header.interface_family = AddressFamily::from(family);
    req.header.index = index;
    let mut ext = vec![LinkExtentMask::Vf];
    if s.opts.stats == 0 {
        ext.push(LinkExtentMask::SkipStats);
    }
    req.attributes.push(LinkAttribute::ExtMask(ext));
    match s.talk(RouteNetlinkMessage::GetLink(req), 0, true, false) {
        Ok(Reply::Link(lm)) => Some(lm),
        Ok(_) => None,
        Err(e) => {
            s.eprint(&format!("Cannot send link request: {}\n", strerror(e)));
            None
        }
    }
}

/// `ip_link_list(iplink_filter_req)`: the link dump, with IFLA_EXT_MASK,
/// IFLA_MASTER and the kind only for AF_UNSPEC and AF_PACKET requests
/// (`rtnl_linkdump_req_filter_fn`); other families send a bare header.
fn ip_link_list(s: &mut Session, f: &Filter) -> Option<Vec<LinkMessage>> {
    let family = s.opts.family;
    let mut req = LinkMessage::default();
    req.header.interface_family = AddressFamily::from(family);
    if family == AF_UNSPEC || family == AF_PACKET {
        req.attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::Vf]));
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
    }
    s.dump_links(req).ok()
}

/// `ip_addr_list()`: the address dump (`ipaddr_dump_filter`: the
/// ifindex in the header).
pub fn ip_addr_list(s: &mut Session, family: u8, ifindex: u32) -> Option<Vec<AddressMessage>> {
    let mut req = AddressMessage::default();
    req.header.family = AddressFamily::from(family);
    req.header.index = ifindex;
    match s.dump_addrs(req) {
        Ok(a) => Some(a),
        Err(_) => {
            s.eprint("Dump terminated\n");
            None
        }
    }
}

/// `ipaddr_filter()`: a link stays if one of its addresses passes the
/// filter, or if it has none and no family was asked for.
fn ipaddr_filter(
    s: &mut Session,
    links: Vec<LinkMessage>,
    addrs: &[AddressMessage],
    f: &AddrFilter,
) -> Vec<LinkMessage> {
    let mut out = Vec::with_capacity(links.len());
    for l in links {
        let mut ok = false;
        let mut missing = true;
        for m in addrs.iter().filter(|m| m.header.index == l.header.index) {
            missing = false;
            let fam = u8::from(m.header.family);
            if f.family != 0 && f.family != fam {
                continue;
            }
            if (f.scope ^ u8::from(m.header.scope)) & f.scopemask != 0 {
                continue;
            }
            let t = AddrAttrs::of(m);
            if (f.flags ^ t.ifa_flags(m)) & f.flagmask != 0 {
                continue;
            }
            if label_rejects(s, f, m.header.index, t.label.as_deref()) {
                continue;
            }
            let local = t.local.as_deref().or(t.address.as_deref());
            if prefix_rejects(f, local) {
                continue;
            }
            ok = true;
            break;
        }
        if missing && (f.family == AF_UNSPEC || f.family == AF_PACKET) {
            ok = true;
        }
        if ok {
            out.push(l);
        }
    }
    out
}

/// Whether a flush asked for primaries only (`primary` / `-secondary`):
/// one round then.
pub fn primary_only(f: &AddrFilter) -> bool {
    f.flags & IFA_F_SECONDARY == 0 && f.flagmask & IFA_F_SECONDARY != 0
}
