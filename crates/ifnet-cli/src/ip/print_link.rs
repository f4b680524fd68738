//! iproute2 6.1 `print_linkinfo()` (ip/ipaddress.c) and its helpers
//! `print_link_flags`, `print_operstate`, `print_name_and_link`,
//! `print_linktype`: one RTM_NEWLINK/DELLINK as `ip link` prints it, in
//! text or JSON, driven only by the attributes present in the message.

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkEvent, LinkInfo, LinkMessage, Prop};
use netlink_packet_route::RouteNetlinkMessage;

use crate::ip::args::AF_PACKET;
use crate::ip::color::{oper_state_color, ColorAttr};
use crate::ip::jsonw::Ctx;
use crate::ip::print_details::print_details;
use crate::ip::print_stats::print_link_stats;
use crate::ip::util::{check_ifname, group_n2a, ll_addr_n2a, ll_type_n2a};
use crate::session::Session;

/// ipaddress.c `struct filter` (the parts `ip link show` uses).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `filter.family`: AF_PACKET for `ip link show` (the brief form then
    /// shows addresses and flags); 0 for `ip monitor` and for an echo
    /// printed before any `link show` of the process.
    pub family: u8,
    pub ifindex: u32,
    pub up: bool,
    /// `filter.label` set (`ip link show label X`): links print nothing.
    pub label: bool,
    pub group: Option<u32>,
    /// > 0: only slaves of this master; -1: `nomaster`.
    pub master: i64,
    pub kind: Option<String>,
    pub slave_kind: Option<String>,
    pub showqueue: bool,
    /// ipaddress.c's global `do_link` (1 for `ip link`, 0 for monitor).
    pub do_link: bool,
    /// ipnetns.c's netns_map as `ip monitor` built it when it started
    /// (`netns_map_init`: the named namespaces that had an nsid then);
    /// None: looked up when printed, as for one `ip link` run.
    pub netns_map: Option<Vec<(i32, String)>>,
}

/// The last attribute of a variant, like `parse_rtattr()`'s tb[].
macro_rules! attr {
    ($lm:expr, $var:ident) => {
        $lm.attributes.iter().rev().find_map(|a| match a {
            LinkAttribute::$var(v) => Some(v),
            _ => None,
        })
    };
}

pub(crate) const OPER_STATES: [&str; 7] = [
    "UNKNOWN",
    "NOTPRESENT",
    "DOWN",
    "LOWERLAYERDOWN",
    "TESTING",
    "DORMANT",
    "UP",
];

/// IFF_* names in print_link_flags()'s order.
const FLAG_NAMES: [(u32, &str); 17] = [
    (0x8, "LOOPBACK"),
    (0x2, "BROADCAST"),
    (0x10, "POINTOPOINT"),
    (0x1000, "MULTICAST"),
    (0x80, "NOARP"),
    (0x200, "ALLMULTI"),
    (0x100, "PROMISC"),
    (0x400, "MASTER"),
    (0x800, "SLAVE"),
    (0x4, "DEBUG"),
    (0x8000, "DYNAMIC"),
    (0x4000, "AUTOMEDIA"),
    (0x2000, "PORTSEL"),
    (0x20, "NOTRAILERS"),
    (0x1, "UP"),
    (0x10000, "LOWER_UP"),
    (0x20000, "DORMANT"),
];
use ifnet_core::consts::{IFF_ECHO, IFF_POINTOPOINT, IFF_RUNNING, IFF_UP};

/// `print_link_flags()`.
pub fn print_link_flags(s: &mut Session, flags: u32, mdown: bool) {
    let key = if s.p.is_json() { "flags" } else { "<" };
    s.p.open_array(Ctx::Any, key);
    let mut flags = flags;
    if flags & IFF_UP != 0 && flags & IFF_RUNNING == 0 {
        let t = if flags != 0 {
            "NO-CARRIER,"
        } else {
            "NO-CARRIER"
        };
        s.p.string(Ctx::Any, None, t, "NO-CARRIER");
    }
    flags &= !IFF_RUNNING;
    for (bit, name) in FLAG_NAMES
        .iter()
        .chain(std::iter::once(&(IFF_ECHO, "ECHO")))
    {
        if flags & bit != 0 {
            flags &= !bit;
            let t = if flags != 0 {
                format!("{name},")
            } else {
                name.to_string()
            };
            s.p.string(Ctx::Any, None, &t, name);
        }
    }
    if flags != 0 {
        s.p.string(Ctx::Any, None, &format!("{flags:x}"), &format!("{flags:x}"));
    }
    if mdown {
        s.p.string(Ctx::Any, None, ",M-DOWN", "M-DOWN");
    }
    s.p.close_array(Ctx::Any, "> ");
}

/// `print_operstate()`: "state NAME " (the name coloured), or with
/// `-br` the name padded to 14.
fn print_operstate(s: &mut Session, state: u8) {
    let color = oper_state_color(state);
    match OPER_STATES.get(state as usize) {
        None if s.p.is_json() => {
            s.p.num(Ctx::Json, Some("operstate_index"), "", state as i128)
        }
        None => s.p.text(&format!("state {state:#x}")),
        Some(name) if s.opts.brief => s.p.color_string(
            Ctx::Any,
            color,
            Some("operstate"),
            &format!("{name:<14} "),
            name,
        ),
        Some(name) if s.p.is_json() => s.p.string(Ctx::Json, Some("operstate"), "", name),
        Some(name) => {
            s.p.text("state ");
            s.p.color_text(color, &format!("{name} "));
        }
    }
}

/// `print_name_and_link()`: "NAME@PEER", "NAME@ifN", "NAME@NONE" as
/// "%s: " (or "%-16s " with `-br`), coloured; returns the M-DOWN flag
/// (link known and cached as down).
fn print_name_and_link(s: &mut Session, name: &str, lm: &LinkMessage) -> bool {
    let mut shown = name.to_string();
    let mut mdown = false;
    if let Some(&iflink) = attr!(lm, Link) {
        let json = s.p.is_json();
        if iflink == 0 {
            if json {
                s.p.null(Ctx::Json, Some("link"), "");
            } else {
                shown = format!("{name}@NONE");
            }
        } else if attr!(lm, LinkNetNsId).is_some() {
            if json {
                s.p.num(Ctx::Json, Some("link_index"), "", iflink as i128);
            } else {
                shown = format!("{name}@if{iflink}");
            }
        } else {
            let link = s.ll_index_to_name(iflink);
            if json {
                s.p.string(Ctx::Json, Some("link"), "", &link);
            } else {
                shown = format!("{name}@{link}");
            }
            // ll_index_to_flags() is -1 when not cached: !(-1 & IFF_UP) = 0.
            mdown = s.ll.flags_by_index(iflink).is_some_and(|f| f & IFF_UP == 0);
        }
    }
    let text = if s.opts.brief {
        format!("{shown:<16} ")
    } else {
        format!("{shown}: ")
    };
    s.p.color_string(Ctx::Any, ColorAttr::Ifname, Some("ifname"), &text, &shown);
    mdown
}

/// True when the filter rejects the message (print_linkinfo's early returns).
fn filtered_out(f: &Filter, lm: &LinkMessage) -> bool {
    let flags = lm.header.flags.bits();
    if f.ifindex != 0 && lm.header.index != f.ifindex || f.up && flags & IFF_UP == 0 {
        return true;
    }
    if let (Some(&g), Some(want)) = (attr!(lm, Group), f.group) {
        if g != want {
            return true;
        }
    }
    let master = attr!(lm, Controller).copied();
    if f.master > 0 && master.map(|m| m as i64) != Some(f.master) {
        return true;
    }
    let kind_of = |slave: bool| link_kind(lm, slave);
    if let Some(k) = &f.kind {
        if kind_of(false).as_deref() != Some(k.as_str()) {
            return true;
        }
    }
    if let Some(k) = &f.slave_kind {
        if kind_of(true).as_deref() != Some(k.as_str()) {
            return true;
        }
    }
    false
}

/// `parse_link_kind()`: IFLA_INFO_KIND or IFLA_INFO_SLAVE_KIND ("" when
/// IFLA_LINKINFO has neither; None without IFLA_LINKINFO).
fn link_kind(lm: &LinkMessage, slave: bool) -> Option<String> {
    let infos = attr!(lm, LinkInfo)?;
    let k = infos.iter().find_map(|i| match (i, slave) {
        (LinkInfo::Kind(k), false) => Some(kind_name(k)),
        (LinkInfo::PortKind(k), true) => Some(k.to_string()),
        _ => None,
    });
    Some(k.unwrap_or_default())
}

pub(crate) fn kind_name(k: &InfoKind) -> String {
    k.to_string()
}

/// `print_linkinfo()`. Returns 1 when printed, -1 when filtered, like C.
pub fn print_linkinfo(s: &mut Session, lm: &LinkMessage, deleted: bool, f: &Filter) -> i32 {
    if filtered_out(f, lm) {
        return -1;
    }
    let Some(name) = attr!(lm, IfName).filter(|n| check_ifname(n)).cloned() else {
        return -1;
    };
    if f.label {
        return 0;
    }
    if deleted {
        s.p.bool(Ctx::Any, Some("deleted"), "Deleted ", true);
    }
    if s.opts.brief {
        return print_linkinfo_brief(s, &name, lm, f);
    }
    let idx = lm.header.index;
    s.p.num(Ctx::Any, Some("ifindex"), &format!("{idx}: "), idx as i128);
    let mdown = print_name_and_link(s, &name, lm);
    print_link_flags(s, lm.header.flags.bits(), mdown);
    print_head_fields(s, lm, f);
    if f.family == 0 || f.family == AF_PACKET || s.opts.details > 0 {
        print_addresses(s, lm);
    }
    print_netns_fields(s, lm, f);
    if s.opts.details > 0 {
        print_details(s, lm, f);
    }
    if let (true, Some(alias)) = (f.do_link || s.opts.details > 0, attr!(lm, IfAlias)) {
        let sl = s.p.sl();
        s.p.string(Ctx::Fp, None, &format!("{sl}    "), "");
        s.p.string(Ctx::Any, Some("ifalias"), &format!("alias {alias}"), alias);
    }
    if f.do_link && s.opts.stats > 0 {
        s.p.nl();
        print_link_stats(s, lm);
    }
    print_altnames(s, lm);
    s.p.string(Ctx::Fp, None, "\n", "");
    1
}

/// `print_linkinfo_brief()`: name (`%-16s`), operstate (`%-14s`), and for
/// `ip link` (family AF_PACKET) the address and flags and a newline.
fn print_linkinfo_brief(s: &mut Session, name: &str, lm: &LinkMessage, f: &Filter) -> i32 {
    let mdown = print_name_and_link(s, name, lm);
    if let Some(st) = attr!(lm, OperState) {
        print_operstate(s, u8::from(*st));
    }
    if f.family == AF_PACKET {
        if let Some(a) = attr!(lm, Address) {
            let v = ll_addr_n2a(a);
            let text = format!("{v} ");
            s.p.color_string(Ctx::Any, ColorAttr::Mac, Some("address"), &text, &v);
        }
        print_link_flags(s, lm.header.flags.bits(), mdown);
        s.p.string(Ctx::Fp, None, "\n", "");
    }
    0
}

/// mtu, qdisc, master, state, mode, group, qlen, event.
fn print_head_fields(s: &mut Session, lm: &LinkMessage, f: &Filter) {
    if let Some(&mtu) = attr!(lm, Mtu) {
        s.p.num(Ctx::Any, Some("mtu"), &format!("mtu {mtu} "), mtu as i128);
    }
    if let Some(q) = attr!(lm, Qdisc) {
        s.p.string(Ctx::Any, Some("qdisc"), &format!("qdisc {q} "), q);
    }
    if let Some(&m) = attr!(lm, Controller) {
        let name = s.ll_index_to_name(m);
        s.p.string(Ctx::Any, Some("master"), &format!("master {name} "), &name);
    }
    if let Some(st) = attr!(lm, OperState) {
        print_operstate(s, u8::from(*st));
    }
    if let (true, Some(mode)) = (f.do_link, attr!(lm, Mode)) {
        let mode = u8::from(*mode);
        match ["DEFAULT", "DORMANT"].get(mode as usize) {
            Some(m) => {
                s.p.string(Ctx::Any, Some("linkmode"), &format!("mode {m} "), m)
            }
            None => s.p.num(
                Ctx::Any,
                Some("linkmode_index"),
                &format!("mode {mode} "),
                mode as i128,
            ),
        }
    }
    if let Some(&g) = attr!(lm, Group) {
        let gs = if s.opts.numeric {
            (g as i32).to_string()
        } else {
            group_n2a(g)
        };
        s.p.string(Ctx::Any, Some("group"), &format!("group {gs} "), &gs);
    }
    if f.showqueue {
        if let Some(&q) = attr!(lm, TxQueueLen).filter(|q| **q != 0) {
            s.p.num(
                Ctx::Any,
                Some("txqlen"),
                &format!("qlen {}", q as i32),
                q as i32 as i128,
            );
        }
    }
    if let Some(ev) = attr!(lm, Event) {
        print_link_event(s, u32::from(*ev));
    }
}

fn print_link_event(s: &mut Session, ev: u32) {
    const EVENTS: [&str; 7] = [
        "NONE",
        "REBOOT",
        "FEATURE CHANGE",
        "BONDING FAILOVER",
        "NOTIFY PEERS",
        "RESEND IGMP",
        "BONDING OPTION",
    ];
    match EVENTS.get(ev as usize) {
        None => s.p.num(
            Ctx::Any,
            Some("event"),
            &format!("event {} ", ev as i32),
            ev as i32 as i128,
        ),
        Some(_) if ev == 0 => {}
        Some(e) => {
            s.p.string(Ctx::Any, Some("event"), &format!("event {e} "), e)
        }
    }
}

/// "link/TYPE ADDR brd|peer BRD permaddr P".
fn print_addresses(s: &mut Session, lm: &LinkMessage) {
    s.p.nl();
    let ty = u16::from(lm.header.link_layer_type);
    let t = if s.opts.numeric {
        format!("[{ty}]")
    } else {
        ll_type_n2a(ty)
    };
    s.p.string(Ctx::Any, Some("link_type"), &format!("    link/{t} "), &t);
    let addr = attr!(lm, Address).cloned();
    if let Some(a) = &addr {
        let v = ll_addr_n2a(a);
        s.p.color_string(Ctx::Any, ColorAttr::Mac, Some("address"), &v, &v);
    }
    if let Some(b) = attr!(lm, Broadcast) {
        if lm.header.flags.bits() & IFF_POINTOPOINT != 0 {
            s.p.string(Ctx::Fp, None, " peer ", "");
            s.p.bool(Ctx::Json, Some("link_pointtopoint"), "", true);
        } else {
            s.p.string(Ctx::Fp, None, " brd ", "");
        }
        let v = ll_addr_n2a(b);
        s.p.color_string(Ctx::Any, ColorAttr::Mac, Some("broadcast"), &v, &v);
    }
    if let Some(p) = attr!(lm, PermAddress) {
        if addr.as_ref() != Some(p) {
            s.p.string(Ctx::Fp, None, " permaddr ", "");
            let v = ll_addr_n2a(p);
            s.p.color_string(Ctx::Any, ColorAttr::Mac, Some("permaddr"), &v, &v);
        }
    }
}

/// link-netns / link-netnsid / new-netns / new-ifindex / protodown.
fn print_netns_fields(s: &mut Session, lm: &LinkMessage, f: &Filter) {
    let name_from_nsid = |s: &Session, id: i32| match &f.netns_map {
        Some(map) => map
            .iter()
            .find(|(n, _)| *n == id)
            .map(|(_, name)| name.clone()),
        None => name_from_nsid(s, id),
    };
    if let Some(&id) = attr!(lm, LinkNetNsId) {
        if s.p.is_json() {
            s.p.num(Ctx::Json, Some("link_netnsid"), "", id as i128);
        } else if id >= 0 {
            match name_from_nsid(s, id) {
                Some(n) => s.p.text(&format!(" link-netns {n}")),
                None => s.p.text(&format!(" link-netnsid {id}")),
            }
        } else {
            s.p.text(" link-netnsid unknown");
        }
    }
    if let Some(&id) = attr!(lm, NewNetnsId) {
        match name_from_nsid(s, id) {
            Some(n) => s.p.string(Ctx::Fp, None, &format!(" new-netns {n}"), ""),
            None => s.p.string(Ctx::Fp, None, &format!(" new-netnsid {id}"), ""),
        }
    }
    if let Some(&id) = attr!(lm, NewIfIndex) {
        s.p.string(Ctx::Fp, None, &format!(" new-ifindex {id}"), "");
    }
    if attr!(lm, ProtoDown).is_some_and(|p| *p != 0) {
        s.p.bool(Ctx::Any, Some("proto_down"), " protodown on ", true);
    }
}

/// `get_name_from_nsid()`: the named namespace this namespace knows by `id`.
pub fn name_from_nsid(s: &Session, id: i32) -> Option<String> {
    s.names
        .list()
        .into_iter()
        .find(|(_, net)| s.k.peernet2id(s.net, *net) == Some(id))
        .map(|(n, _)| n)
}

/// The `altname` lines (IFLA_PROP_LIST).
fn print_altnames(s: &mut Session, lm: &LinkMessage) {
    let Some(props) = attr!(lm, PropList) else {
        return;
    };
    s.p.open_array(Ctx::Json, "altnames");
    for p in props {
        if let Prop::AltIfName(n) = p {
            let sl = s.p.sl();
            s.p.string(Ctx::Fp, None, &format!("{sl}    altname "), "");
            s.p.string(Ctx::Any, None, n, n);
        }
    }
    s.p.close_array(Ctx::Json, "");
}

/// The first message of a datagram, if an RTM_NEWLINK or RTM_DELLINK.
pub fn first_link_message(d: &[u8]) -> Option<(LinkMessage, bool)> {
    let first = ifnet_core::client::split_messages(d).next()?;
    match NetlinkMessage::<RouteNetlinkMessage>::deserialize(first)
        .ok()?
        .payload
    {
        NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(lm)) => Some((lm, false)),
        NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(lm)) => Some((lm, true)),
        _ => None,
    }
}

/// LinkEvent is re-exported for callers that build events in tests.
pub type Event = LinkEvent;
