//! `ip link add|set|change|delete` requests: the checks after
//! iplink_parse()'s keyword loop (name/dev resolution, ifindex lookup,
//! address length), IFLA_LINKINFO for `type KIND` with veth's
//! `veth_parse_opt()` (ip/link_veth.c), and `iplink_modify()` sending the
//! request (iproute2 6.1 ip/iplink.c). The request carries the same
//! attributes in the same order as ip builds them; client-side checks print
//! ip's exact text.

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo, LinkMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::ip::print_link::{first_link_message, print_linkinfo, Filter};

use crate::ip::link_parse::{addattr, iplink_parse, iplink_parse_at, unsupported, usage, Locals};
use crate::ip::util::{addattr_l, matches, IPLINK_REQ_SIZE};
use crate::session::Session;

/// veth_parse_opt()'s `addattr_nest(n, 1024, VETH_INFO_PEER)`.
const VETH_PEER_NEST_BOUND: usize = 1024;
use crate::{duparg, Abort, IpResult};

/// The link kinds iproute2 6.1 ships a `link_util` for.
const IP_KINDS: &[&str] = &[
    "amt",
    "bareudp",
    "batadv",
    "bond",
    "bond_slave",
    "bridge",
    "bridge_slave",
    "can",
    "dsa",
    "dummy",
    "erspan",
    "geneve",
    "gre",
    "gretap",
    "gtp",
    "hsr",
    "ifb",
    "ip6erspan",
    "ip6gre",
    "ip6gretap",
    "ip6tnl",
    "ipip",
    "ipoib",
    "ipvlan",
    "ipvtap",
    "macsec",
    "macvlan",
    "macvtap",
    "netdevsim",
    "nlmon",
    "rmnet",
    "sit",
    "team",
    "team_slave",
    "tun",
    "vcan",
    "veth",
    "virt_wifi",
    "vlan",
    "vrf",
    "vrf_slave",
    "vti",
    "vti6",
    "vxcan",
    "vxlan",
    "wwan",
    "xfrm",
];

/// The checks after iplink_parse()'s loop: name/dev resolution, address
/// length, ifindex lookup ("Cannot find device"), IFLA_IFNAME.
pub(crate) fn finish(
    s: &mut Session,
    m: &mut LinkMessage,
    mut l: Locals,
    create: bool,
    garbage: bool,
    next: &str,
) -> Result<usize, Abort> {
    // "Allow ip link add dev and ip link add name".
    if l.name.is_none() {
        l.name = l.dev.clone();
        l.name_is_dev = true;
    } else if l.dev.is_none() {
        l.dev = l.name.clone();
        l.name_is_dev = true;
    } else if l.name == l.dev {
        l.name_is_dev = true;
    }
    if let (Some(dev), true, false) = (l.dev.clone(), l.addr_len > 0, create) {
        check_addr_len(s, &dev, l.addr_len)?;
    }
    if l.index != 0 && !create && !l.netns {
        s.eprint("index can be used only when creating devices or when moving device to another netns.\n");
        return Err(Abort::Exit(255));
    }
    if l.group.is_some() && l.dev.is_none() {
        if garbage {
            s.eprint(&format!(
                "Garbage instead of arguments \"{next} ...\". Try \"ip link help\".\n"
            ));
            return Err(Abort::Exit(255));
        }
        if create {
            s.eprint("group cannot be used when creating devices.\n");
            return Err(Abort::Exit(255));
        }
        return Ok(l.len);
    }
    if !create {
        finish_existing(s, m, &mut l)?;
    } else {
        finish_create(s, m, &mut l)?;
    }
    if let (Some(name), false) = (l.name.clone(), l.name_is_dev && !create) {
        addattr(s, m, &mut l, LinkAttribute::IfName(name));
    }
    Ok(l.len)
}

fn finish_existing(s: &mut Session, m: &mut LinkMessage, l: &mut Locals) -> Result<(), Abort> {
    let Some(dev) = l.dev.clone() else {
        s.eprint("Not enough information: \"dev\" argument is required.\n");
        return Err(Abort::Exit(255));
    };
    m.header.index = s.ll_name_to_index(&dev);
    if m.header.index == 0 {
        s.eprint(&format!("Cannot find device \"{dev}\"\n"));
        return Err(Abort::Ret(-1));
    }
    if l.index != 0 {
        let index = l.index;
        addattr(s, m, l, LinkAttribute::NewIfIndex(index));
    }
    Ok(())
}

fn finish_create(s: &mut Session, m: &mut LinkMessage, l: &mut Locals) -> Result<(), Abort> {
    if !l.name_is_dev {
        s.eprint("both \"name\" and \"dev\" cannot be used when creating devices.\n");
        return Err(Abort::Exit(255));
    }
    if let Some(link) = l.link.clone() {
        let idx = s.ll_name_to_index(&link);
        if idx == 0 {
            s.eprint(&format!("Cannot find device \"{link}\"\n"));
            return Err(Abort::Ret(-1));
        }
        addattr(s, m, l, LinkAttribute::Link(idx));
    }
    m.header.index = l.index as u32;
    Ok(())
}

/// `nl_get_ll_addr_len()` and the "Invalid address length" check.
fn check_addr_len(s: &mut Session, dev: &str, addr_len: usize) -> Result<(), Abort> {
    let idx = s.ll_name_to_index(dev);
    if idx == 0 {
        return Ok(());
    }
    let mut q = LinkMessage::default();
    q.header.index = idx;
    let Ok(crate::session::Reply::Link(ans)) =
        s.talk(RouteNetlinkMessage::GetLink(q), 0, true, true)
    else {
        return Ok(());
    };
    let halen = ans.attributes.iter().find_map(|a| match a {
        LinkAttribute::Address(v) => Some(v.len()),
        _ => None,
    });
    match halen {
        Some(h) if h != addr_len => {
            s.eprint(&format!(
                "Invalid address length {addr_len} - must be {h} bytes\n"
            ));
            Err(Abort::Ret(-1))
        }
        _ => Ok(()),
    }
}

/// `iplink_modify(cmd, flags, argc, argv)`.
pub fn iplink_modify(s: &mut Session, cmd: Cmd, words: &[String]) -> IpResult {
    let create = cmd.flags() & NLM_F_CREATE != 0;
    let mut m = LinkMessage::default();
    let parsed = iplink_parse(s, words, &mut m, create)?;
    if let Some(kind) = parsed.kind {
        let rest = &words[parsed.consumed..];
        let mut len = parsed.len;
        // addattr_nest(IFLA_LINKINFO): a nest that does not fit is left
        // out with what would have gone in it.
        let nest = addattr_l(&mut s.err, &mut len, IPLINK_REQ_SIZE, 0);
        let info = linkinfo(s, &kind, rest, create, len)?;
        if nest {
            m.attributes.push(LinkAttribute::LinkInfo(info));
        }
    } else if create {
        s.eprint("Not enough information: \"type\" argument is required\n");
        return Ok(-1);
    }
    let index = m.header.index;
    m.header.interface_family = AddressFamily::from(s.opts.family);
    let msg = match cmd {
        Cmd::Delete => RouteNetlinkMessage::DelLink(m),
        _ => RouteNetlinkMessage::NewLink(m),
    };
    if s.opts.echo {
        match s.echo_talk(msg, cmd.flags()) {
            Ok(answer) => print_echo(s, &answer),
            Err(_) => return Ok(-2),
        }
    } else if s.talk(msg, cmd.flags(), false, true).is_err() {
        return Ok(-2);
    }
    // "remove device from cache; next use can refresh with new data".
    s.ll.drop_index(index);
    Ok(0)
}

/// `rtnl_echo_talk()`'s printing: the answer's first message through
/// `print_linkinfo()` with the process's `filter` and `do_link` as the
/// last `ip link show` left them (nothing for an ack), inside a JSON
/// array of one object with `-j`.
fn print_echo(s: &mut Session, answer: &[u8]) {
    s.p.new_json_obj();
    s.p.open_object(None);
    if let Some((lm, deleted)) = first_link_message(answer) {
        let f = Filter {
            do_link: s.do_link,
            ..s.filter.clone()
        };
        print_linkinfo(s, &lm, deleted, &f);
    }
    s.p.close_object();
    s.p.delete_json_obj();
}

/// IFLA_LINKINFO for `type KIND [options]`; the request is `len` bytes
/// long after the nest's header. IFLA_INFO_KIND goes in without a NUL.
fn linkinfo(
    s: &mut Session,
    kind: &str,
    rest: &[String],
    create: bool,
    mut len: usize,
) -> Result<Vec<LinkInfo>, Abort> {
    let mut info = Vec::new();
    if addattr_l(&mut s.err, &mut len, IPLINK_REQ_SIZE, kind.len()) {
        info.push(LinkInfo::Kind(InfoKind::from(kind)));
    }
    if rest.is_empty() {
        return Ok(info);
    }
    if !IP_KINDS.contains(&kind) {
        if matches(&rest[0], "help") {
            return Err(usage(s));
        }
        s.eprint(&format!(
            "Garbage instead of arguments \"{} ...\". Try \"ip link help\".\n",
            rest[0]
        ));
        return Err(Abort::Ret(-1));
    }
    if kind == "bond" || kind == "bond_slave" {
        return crate::ip::link_bond::bond_linkinfo(s, kind, rest, len, info);
    }
    if kind == "ipoib" {
        let data = addattr_l(&mut s.err, &mut len, IPLINK_REQ_SIZE, 0);
        let opts = crate::ip::link_ipoib::ipoib_parse_opt(s, rest)?;
        if data {
            info.push(LinkInfo::Data(InfoData::Ipoib(opts)));
        }
        return Ok(info);
    }
    if kind != "veth" {
        return Err(unsupported(s, &format!("type {kind} {}", rest[0])));
    }
    // addattr_nest(IFLA_INFO_DATA).
    let data = addattr_l(&mut s.err, &mut len, IPLINK_REQ_SIZE, 0);
    let peer = veth_parse_opt(s, rest, create, len)?;
    if data {
        info.push(LinkInfo::Data(InfoData::Veth(peer)));
    }
    Ok(info)
}

/// `veth_parse_opt()`: `peer [options]` parsed by iplink_parse() into a
/// nested ifinfomsg. Its usage text goes to stdout (printf), as in ip.
fn veth_parse_opt(
    s: &mut Session,
    rest: &[String],
    create: bool,
    mut len: usize,
) -> Result<InfoVeth, Abort> {
    if rest[0] != "peer" {
        s.p.text("Usage: ip link <options> type veth [peer <options>]\nTo get <options> type 'ip link add help'\n");
        return Err(Abort::Ret(-1));
    }
    let mut peer = LinkMessage::default();
    let words = &rest[1..];
    // addattr_nest(n, 1024, VETH_INFO_PEER) (a bound of 1024, not the
    // request's size), then the peer's ifinfomsg (unchecked). ifnet keeps
    // the peer when the nest header did not fit (ip would overlay it).
    addattr_l(&mut s.err, &mut len, VETH_PEER_NEST_BOUND, 0);
    let len = len + 16;
    let parsed = iplink_parse_at(s, words, &mut peer, create, len).map_err(|e| match e {
        Abort::Ret(_) => Abort::Ret(-1),
        x => x,
    })?;
    if parsed.kind.is_some() {
        let v = rest.get(parsed.consumed).map(|x| x.as_str()).unwrap_or("");
        return Err(duparg(&mut s.err, "type", v));
    }
    Ok(InfoVeth::Peer(peer))
}

/// Which `ip link` verb (do_iplink()).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    Add,
    Set,
    Replace,
    Delete,
}

impl Cmd {
    pub fn flags(self) -> u16 {
        match self {
            Cmd::Add => NLM_F_CREATE | NLM_F_EXCL,
            Cmd::Replace => NLM_F_CREATE | 0x100,
            _ => 0,
        }
    }
}
