//! iproute2 6.1 `print_linkinfo()` (ip/ipaddress.c) and its helpers
//! `print_link_flags`, `print_operstate`, `print_name_and_link`,
//! `print_linktype`: one RTM_NEWLINK/DELLINK as `ip link` prints it, in
//! text or JSON, driven only by the attributes present in the message.

use netlink_packet_route::link::{
    InfoData, InfoKind, InfoPortData, LinkAttribute, LinkEvent, LinkInfo, LinkMessage, Prop,
};

use crate::ip::jsonw::Ctx;
use crate::ip::print_bridge::{bridge_print_opt, bridge_slave_print_opt};
use crate::ip::print_stats::print_link_stats;
use crate::ip::util::{check_ifname, group_n2a, ll_addr_n2a, ll_type_n2a};
use crate::session::Session;

/// ipaddress.c `struct filter` (the parts `ip link show` uses).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `filter.family`: AF_PACKET for `ip link show`; the address family
    /// `ip address` filters by (no `link/…` line then, unless `-d`).
    pub family: u8,
    /// `filter.label` is set: `print_linkinfo()` prints no link line.
    pub label: bool,
    pub ifindex: u32,
    pub up: bool,
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

/// `print_operstate()` (non-brief).
fn print_operstate(s: &mut Session, state: u8) {
    match OPER_STATES.get(state as usize) {
        None if s.p.is_json() => {
            s.p.num(Ctx::Json, Some("operstate_index"), "", state as i128)
        }
        None => s.p.text(&format!("state {state:#x} ")),
        Some(name) => {
            s.p.string(Ctx::Any, Some("operstate"), &format!("state {name} "), name)
        }
    }
}

/// `print_name_and_link()`: "NAME@PEER", "NAME@ifN", "NAME@NONE"; returns
/// the M-DOWN flag (link known and cached as down).
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
    s.p.string(Ctx::Any, Some("ifname"), &format!("{shown}: "), &shown);
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

fn kind_name(k: &InfoKind) -> String {
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
    let idx = lm.header.index;
    s.p.num(Ctx::Any, Some("ifindex"), &format!("{idx}: "), idx as i128);
    let mdown = print_name_and_link(s, &name, lm);
    print_link_flags(s, lm.header.flags.bits(), mdown);
    print_head_fields(s, lm, f);
    if f.family == 0 || f.family == crate::ip::args::AF_PACKET || s.opts.details > 0 {
        print_addresses(s, lm);
    }
    print_netns_fields(s, lm, f);
    if s.opts.details > 0 {
        print_details(s, lm, f);
    }
    if let (true, Some(alias)) = (f.do_link || s.opts.details > 0, attr!(lm, IfAlias)) {
        s.p.string(Ctx::Fp, None, "\n    ", "");
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
        let gs = group_n2a(g);
        s.p.string(Ctx::Any, Some("group"), &format!("group {gs} "), &gs);
    }
    if f.showqueue {
        // print_queuelen(): without IFLA_TXQLEN (an AF_INET6 link dump)
        // ip asks SIOCGIFTXQLEN, which reads dev->tx_queue_len.
        let ioctl = attr!(lm, IfName).and_then(|n| {
            s.k.sysfs_read_by_name(s.net, n, "tx_queue_len")
                .and_then(|v| v.trim().parse::<u32>().ok())
        });
        let qlen = attr!(lm, TxQueueLen).copied().or(ioctl);
        if let Some(q) = qlen.filter(|q| *q != 0) {
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
    let t = ll_type_n2a(u16::from(lm.header.link_layer_type));
    s.p.string(Ctx::Any, Some("link_type"), &format!("    link/{t} "), &t);
    let addr = attr!(lm, Address).cloned();
    if let Some(a) = &addr {
        let v = ll_addr_n2a(a);
        s.p.string(Ctx::Any, Some("address"), &v, &v);
    }
    if let Some(b) = attr!(lm, Broadcast) {
        if lm.header.flags.bits() & IFF_POINTOPOINT != 0 {
            s.p.string(Ctx::Fp, None, " peer ", "");
            s.p.bool(Ctx::Json, Some("link_pointtopoint"), "", true);
        } else {
            s.p.string(Ctx::Fp, None, " brd ", "");
        }
        let v = ll_addr_n2a(b);
        s.p.string(Ctx::Any, Some("broadcast"), &v, &v);
    }
    if let Some(p) = attr!(lm, PermAddress) {
        if addr.as_ref() != Some(p) {
            s.p.string(Ctx::Fp, None, " permaddr ", "");
            let v = ll_addr_n2a(p);
            s.p.string(Ctx::Any, Some("permaddr"), &v, &v);
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

/// The `-d` block of print_linkinfo().
fn print_details(s: &mut Session, lm: &LinkMessage, f: &Filter) {
    if let Some(&v) = attr!(lm, Promiscuity) {
        s.p.num(
            Ctx::Any,
            Some("promiscuity"),
            &format!(" promiscuity {v} "),
            v as i128,
        );
    }
    if let Some(&v) = attr!(lm, AllMulticast) {
        s.p.num(
            Ctx::Any,
            Some("allmulti"),
            &format!(" allmulti {v} "),
            v as i128,
        );
    }
    if let Some(&v) = attr!(lm, MinMtu) {
        s.p.num(
            Ctx::Any,
            Some("min_mtu"),
            &format!("minmtu {v} "),
            v as i128,
        );
    }
    if let Some(&v) = attr!(lm, MaxMtu) {
        s.p.num(
            Ctx::Any,
            Some("max_mtu"),
            &format!("maxmtu {v} "),
            v as i128,
        );
    }
    if let Some(infos) = attr!(lm, LinkInfo) {
        print_linktype(s, infos);
    }
    if f.do_link {
        if let Some(spec) = attr!(lm, AfSpecUnspec) {
            print_af_spec(s, spec);
        }
    }
    let _ = f;
    let nums: [(Option<&u32>, &str, &str); 7] = [
        (attr!(lm, NumTxQueues), "num_tx_queues", "numtxqueues"),
        (attr!(lm, NumRxQueues), "num_rx_queues", "numrxqueues"),
        (attr!(lm, GsoMaxSize), "gso_max_size", "gso_max_size"),
        (attr!(lm, GsoMaxSegs), "gso_max_segs", "gso_max_segs"),
        (attr!(lm, TsoMaxSize), "tso_max_size", "tso_max_size"),
        (attr!(lm, TsoMaxSegs), "tso_max_segs", "tso_max_segs"),
        (attr!(lm, GroMaxSize), "gro_max_size", "gro_max_size"),
    ];
    for (v, key, label) in nums {
        if let Some(&v) = v {
            s.p.num(Ctx::Any, Some(key), &format!("{label} {v} "), v as i128);
        }
    }
    if let Some(v) = attr!(lm, PhysPortName) {
        s.p.string(
            Ctx::Any,
            Some("phys_port_name"),
            &format!("portname {v} "),
            v,
        );
    }
    for (v, key, label) in [
        (attr!(lm, PhysPortId), "phys_port_id", "portid"),
        (attr!(lm, PhysSwitchId), "phys_switch_id", "switchid"),
    ] {
        if let Some(id) = v {
            let hex: String = id.id[..id.len.min(id.id.len())]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            s.p.string(Ctx::Any, Some(key), &format!("{label} {hex} "), &hex);
        }
    }
    if let Some(v) = attr!(lm, ParentDevBusName) {
        s.p.string(Ctx::Any, Some("parentbus"), &format!("parentbus {v} "), v);
    }
    if let Some(v) = attr!(lm, ParentDevName) {
        s.p.string(Ctx::Any, Some("parentdev"), &format!("parentdev {v} "), v);
    }
}

/// `print_af_spec()`: the AF_INET6 address generation mode.
fn print_af_spec(s: &mut Session, spec: &[netlink_packet_route::link::AfSpecUnspec]) {
    use netlink_packet_route::link::{AfSpecInet6, AfSpecUnspec};
    let mode = spec.iter().find_map(|a| match a {
        AfSpecUnspec::Inet6(v) => v.iter().rev().find_map(|x| match x {
            AfSpecInet6::AddrGenMode(m) => Some(u8::from(m)),
            _ => None,
        }),
        _ => None,
    });
    let Some(mode) = mode else {
        return;
    };
    let name = match mode {
        0 => "eui64".to_string(),
        1 => "none".to_string(),
        2 => "stable_secret".to_string(),
        3 => "random".to_string(),
        m => format!("{m:#04x}"),
    };
    s.p.string(
        Ctx::Any,
        Some("inet6_addr_gen_mode"),
        &format!("addrgenmode {name} "),
        &name,
    );
}

/// `print_linktype()`: the "    KIND " and "    KIND_slave " lines, each
/// followed by its link_util's `print_opt` on IFLA_INFO_DATA /
/// IFLA_INFO_SLAVE_DATA. Of the modelled kinds only bridge and
/// bridge_slave have one (veth's link_util prints nothing).
fn print_linktype(s: &mut Session, infos: &[LinkInfo]) {
    s.p.open_object(Some("linkinfo"));
    if let Some(k) = infos.iter().find_map(|i| match i {
        LinkInfo::Kind(k) => Some(kind_name(k)),
        _ => None,
    }) {
        s.p.nl();
        s.p.string(Ctx::Any, Some("info_kind"), &format!("    {k} "), &k);
        if k == "bridge" {
            let data = infos.iter().rev().find_map(|i| match i {
                LinkInfo::Data(InfoData::Bridge(v)) => Some(v.as_slice()),
                _ => None,
            });
            s.p.open_object(Some("info_data"));
            bridge_print_opt(s, data);
            s.p.close_object();
        }
    }
    if let Some(k) = infos.iter().find_map(|i| match i {
        LinkInfo::PortKind(k) => Some(k.to_string()),
        _ => None,
    }) {
        s.p.nl();
        s.p.string(
            Ctx::Any,
            Some("info_slave_kind"),
            &format!("    {k}_slave "),
            &k,
        );
        if k == "bridge" {
            let data = infos.iter().rev().find_map(|i| match i {
                LinkInfo::PortData(InfoPortData::BridgePort(v)) => Some(v.as_slice()),
                _ => None,
            });
            s.p.open_object(Some("info_slave_data"));
            bridge_slave_print_opt(s, data);
            s.p.close_object();
        }
    }
    s.p.close_object();
}

/// The `altname` lines (IFLA_PROP_LIST).
fn print_altnames(s: &mut Session, lm: &LinkMessage) {
    let Some(props) = attr!(lm, PropList) else {
        return;
    };
    s.p.open_array(Ctx::Json, "altnames");
    for p in props {
        if let Prop::AltIfName(n) = p {
            s.p.string(Ctx::Fp, None, "\n    altname ", "");
            s.p.string(Ctx::Any, None, n, n);
        }
    }
    s.p.close_array(Ctx::Json, "");
}

/// LinkEvent is re-exported for callers that build events in tests.
pub type Event = LinkEvent;
