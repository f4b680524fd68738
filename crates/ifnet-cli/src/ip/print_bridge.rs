//! iproute2 6.1 `bridge_print_opt()` (ip/iplink_bridge.c) and
//! `bridge_slave_print_opt()` (ip/iplink_bridge_slave.c): what `ip -d link`
//! prints after "bridge " and "bridge_slave " from IFLA_INFO_DATA and
//! IFLA_INFO_SLAVE_DATA, in text and JSON, driven by the attributes present
//! (the last of each kind, as parse_rtattr's tb[] keeps it).

use netlink_packet_route::link::{
    BridgeId, BridgeMulticastRouterType, BridgePortState, BridgeStpState, InfoBridge,
    InfoBridgePort, VlanProtocol,
};

use crate::ip::jsonw::Ctx;
use crate::ip::util::ll_addr_n2a;
use crate::session::Session;

/// The last attribute of a variant in `$list`.
macro_rules! last {
    ($list:expr, $ty:ident :: $var:ident) => {
        $list.iter().rev().find_map(|a| match a {
            $ty::$var(v) => Some(v),
            _ => None,
        })
    };
}

/// `br_dump_bridge_id()`: "%.2x%.2x.%s" with ether_ntoa_r's unpadded hex.
pub fn br_dump_bridge_id(id: &BridgeId) -> String {
    let a = id.address;
    format!(
        "{:04x}.{:x}:{:x}:{:x}:{:x}:{:x}:{:x}",
        id.priority, a[0], a[1], a[2], a[3], a[4], a[5]
    )
}

/// `_bridge_print_timer()` / `_print_timer()`: clock_t as "%4i.%.2i" in
/// text, an unquoted "%i.%.2i" number in JSON (`__jiffies_to_tv`).
fn print_timer(s: &mut Session, key: &str, v: u64) {
    let usec = v.wrapping_mul(10_000);
    let (sec, frac) = (
        (usec / 1_000_000) as i32,
        ((usec % 1_000_000) / 10_000) as i32,
    );
    if s.p.is_json() {
        s.p.raw(key, &format!("{sec}.{frac:02}"));
    } else {
        s.p.text(&format!("{key} {sec:4}.{frac:02} "));
    }
}

/// `print_uint(PRINT_ANY, key, "label %u ", v)`.
fn uint(s: &mut Session, key: &str, label: &str, v: u64) {
    s.p.num(Ctx::Any, Some(key), &format!("{label} {v} "), v as i128);
}

/// `print_0xhex(PRINT_ANY, key, "label %#llx ", v)`: JSON gets a string.
fn hex(s: &mut Session, key: &str, label: &str, v: u64) {
    let h = if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    };
    s.p.string(Ctx::Any, Some(key), &format!("{label} {h} "), &h);
}

/// `print_on_off(PRINT_ANY, key, "label %s ", v)`.
fn on_off(s: &mut Session, key: &str, label: &str, v: bool) {
    let t = if v { "on" } else { "off" };
    s.p.bool(Ctx::Any, Some(key), &format!("{label} {t} "), v);
}

fn stp_state(v: &BridgeStpState) -> u64 {
    match v {
        BridgeStpState::Disabled => 0,
        BridgeStpState::KernelStp => 1,
        BridgeStpState::UserStp => 2,
        BridgeStpState::Other(n) => *n as u64,
        _ => 0,
    }
}

fn mcast_router(v: &BridgeMulticastRouterType) -> u64 {
    u8::from(*v) as u64
}

/// `ll_proto_n2a()` for the two VLAN protocols a bridge can use.
fn vlan_proto_name(v: &VlanProtocol) -> String {
    match u16::from(*v) {
        0x8100 => "802.1Q".to_string(),
        0x88a8 => "802.1ad".to_string(),
        n => format!("[{n}]"),
    }
}

/// How one attribute's value is printed.
#[derive(Clone, Copy)]
enum Show {
    /// `print_uint(PRINT_ANY, key, "key %u ", v)`.
    Uint(&'static str),
    /// `print_uint(PRINT_ANY, key, "label %u ", v)`: (key, label).
    UintAs(&'static str, &'static str),
    /// `print_int(PRINT_ANY, key, "key %d ", v)` of a u32.
    Int(&'static str),
    /// `print_0xhex(PRINT_ANY, key, "key %#llx ", v)`.
    Hex(&'static str),
    /// `print_0xhex(PRINT_ANY, key, "label %#llx ", v)`: (key, label).
    HexAs(&'static str, &'static str),
    /// `print_on_off(PRINT_ANY, key, "key %s ", v)`.
    OnOff(&'static str),
    /// `_print_timer()`: clock_t.
    Timer(&'static str),
}

/// One row of a print table: the value of the attribute's variant (None for
/// other variants) and how to print it.
type Field<A> = (fn(&A) -> Option<u64>, Show);

/// The getter of a [`Field`]: `$var`'s value as u64, through `$map` if given.
macro_rules! get {
    ($var:path) => {
        |a| match a {
            $var(v) => Some(*v as u64),
            _ => None,
        }
    };
    ($var:path, $map:expr) => {
        |a| match a {
            $var(v) => Some($map(v)),
            _ => None,
        }
    };
}

/// Prints each row of `table` in order whose attribute is present (the
/// last of its kind in `tb`).
fn print_fields<A>(s: &mut Session, tb: &[A], table: &[Field<A>]) {
    for (get, show) in table {
        let Some(v) = tb.iter().rev().find_map(get) else {
            continue;
        };
        match *show {
            Show::Uint(key) => uint(s, key, key, v),
            Show::UintAs(key, label) => uint(s, key, label, v),
            Show::Int(key) => {
                let v = v as u32 as i32 as i128;
                s.p.num(Ctx::Any, Some(key), &format!("{key} {v} "), v);
            }
            Show::Hex(key) => hex(s, key, key, v),
            Show::HexAs(key, label) => hex(s, key, label, v),
            Show::OnOff(key) => on_off(s, key, key, v != 0),
            Show::Timer(key) => print_timer(s, key, v),
        }
    }
}

/// A bridge id attribute as `br_dump_bridge_id()` prints it.
fn print_bridge_id(s: &mut Session, key: &str, label: &str, id: &str) {
    s.p.string(Ctx::Any, Some(key), &format!("{label} {id} "), id);
}

use InfoBridge as B;
use InfoBridgePort as P;

/// bridge_print_opt() up to IFLA_BR_VLAN_FILTERING.
const BRIDGE_STP: &[Field<InfoBridge>] = &[
    (get!(B::ForwardDelay), Show::Uint("forward_delay")),
    (get!(B::HelloTime), Show::Uint("hello_time")),
    (get!(B::MaxAge), Show::Uint("max_age")),
    (get!(B::AgeingTime), Show::Uint("ageing_time")),
    (get!(B::StpState, stp_state), Show::Uint("stp_state")),
    (get!(B::Priority), Show::Uint("priority")),
    (get!(B::VlanFiltering), Show::Uint("vlan_filtering")),
];

/// From IFLA_BR_ROOT_PORT to IFLA_BR_GROUP_FWD_MASK.
const BRIDGE_ROOT_TIMERS_VLAN: &[Field<InfoBridge>] = &[
    (get!(B::RootPort), Show::Uint("root_port")),
    (get!(B::RootPathCost), Show::Uint("root_path_cost")),
    (get!(B::TopologyChange), Show::Uint("topology_change")),
    (
        get!(B::TopologyChangeDetected),
        Show::Uint("topology_change_detected"),
    ),
    (get!(B::HelloTimer), Show::Timer("hello_timer")),
    (get!(B::TcnTimer), Show::Timer("tcn_timer")),
    (
        get!(B::TopologyChangeTimer),
        Show::Timer("topology_change_timer"),
    ),
    (get!(B::GcTimer), Show::Timer("gc_timer")),
    (get!(B::VlanDefaultPvid), Show::Uint("vlan_default_pvid")),
    (get!(B::VlanStatsEnabled), Show::Uint("vlan_stats_enabled")),
    (get!(B::VlanStatsPerPort), Show::Uint("vlan_stats_per_port")),
    (get!(B::GroupFwdMask), Show::Hex("group_fwd_mask")),
];

/// From IFLA_BR_MCAST_ROUTER to the end.
const BRIDGE_MCAST: &[Field<InfoBridge>] = &[
    (
        get!(B::MulticastRouter, mcast_router),
        Show::Uint("mcast_router"),
    ),
    (
        get!(B::MulticastQueryUseIfaddr),
        Show::Uint("mcast_query_use_ifaddr"),
    ),
    (get!(B::MulticastQuerier), Show::Uint("mcast_querier")),
    (
        get!(B::MulticastHashElasticity),
        Show::Uint("mcast_hash_elasticity"),
    ),
    (get!(B::MulticastHashMax), Show::Uint("mcast_hash_max")),
    (
        get!(B::MulticastLastMemberCount),
        Show::UintAs("mcast_last_member_cnt", "mcast_last_member_count"),
    ),
    (
        get!(B::MulticastStartupQueryCount),
        Show::UintAs("mcast_startup_query_cnt", "mcast_startup_query_count"),
    ),
    (
        get!(B::MulticastLastMemberInterval),
        Show::UintAs("mcast_last_member_intvl", "mcast_last_member_interval"),
    ),
    (
        get!(B::MulticastMembershipInterval),
        Show::UintAs("mcast_membership_intvl", "mcast_membership_interval"),
    ),
    (
        get!(B::MulticastQuerierInterval),
        Show::UintAs("mcast_querier_intvl", "mcast_querier_interval"),
    ),
    (
        get!(B::MulticastQueryInterval),
        Show::UintAs("mcast_query_intvl", "mcast_query_interval"),
    ),
    (
        get!(B::MulticastQueryResponseInterval),
        Show::UintAs(
            "mcast_query_response_intvl",
            "mcast_query_response_interval",
        ),
    ),
    (
        get!(B::MulticastStartupQueryInterval),
        Show::UintAs("mcast_startup_query_intvl", "mcast_startup_query_interval"),
    ),
    (
        get!(B::MulticastStatsEnabled),
        Show::Uint("mcast_stats_enabled"),
    ),
    (
        get!(B::MulticastIgmpVersion),
        Show::Uint("mcast_igmp_version"),
    ),
    (
        get!(B::MulticastMldVersion),
        Show::Uint("mcast_mld_version"),
    ),
    (get!(B::NfCallIpTables), Show::Uint("nf_call_iptables")),
    (get!(B::NfCallIp6Tables), Show::Uint("nf_call_ip6tables")),
    (get!(B::NfCallArpTables), Show::Uint("nf_call_arptables")),
];

/// `bridge_print_opt()`. `data` is None without IFLA_INFO_DATA.
pub fn bridge_print_opt(s: &mut Session, data: Option<&[InfoBridge]>) {
    let Some(tb) = data else {
        return;
    };
    print_fields(s, tb, BRIDGE_STP);
    if let Some(v) = last!(tb, B::VlanProtocol) {
        let n = vlan_proto_name(v);
        s.p.string(
            Ctx::Any,
            Some("vlan_protocol"),
            &format!("vlan_protocol {n} "),
            &n,
        );
    }
    let bridge_id = last!(tb, B::BridgeId).map(br_dump_bridge_id);
    if let Some(id) = &bridge_id {
        print_bridge_id(s, "bridge_id", "bridge_id", id);
    }
    // iproute2 6.1 prints IFLA_BR_BRIDGE_ID's data for the root id too.
    if let Some(root) = last!(tb, B::RootId) {
        let id = bridge_id.clone().unwrap_or_else(|| br_dump_bridge_id(root));
        print_bridge_id(s, "root_id", "designated_root", &id);
    }
    print_fields(s, tb, BRIDGE_ROOT_TIMERS_VLAN);
    if let Some(v) = last!(tb, B::GroupAddr) {
        let a = ll_addr_n2a(&v[..]);
        s.p.string(
            Ctx::Any,
            Some("group_addr"),
            &format!("group_address {a} "),
            &a,
        );
    }
    if let Some(v) = last!(tb, B::MulticastSnooping) {
        uint(s, "mcast_snooping", "mcast_snooping", *v as u64);
    }
    if let Some(bm) = last!(tb, B::MultiBoolOpt) {
        // BR_BOOLOPT_NO_LL_LEARN (bit 0), BR_BOOLOPT_MCAST_VLAN_SNOOPING (bit 1).
        let (val, mask) = (bm.value.bits(), bm.mask.bits());
        if mask & 1 != 0 {
            uint(
                s,
                "no_linklocal_learn",
                "no_linklocal_learn",
                (val & 1) as u64,
            );
        }
        if mask & 2 != 0 {
            uint(
                s,
                "mcast_vlan_snooping",
                "mcast_vlan_snooping",
                (val >> 1 & 1) as u64,
            );
        }
    }
    print_fields(s, tb, BRIDGE_MCAST);
}

/// `print_portstate()`.
fn print_portstate(s: &mut Session, state: &BridgePortState) {
    let n = u8::from(*state);
    const NAMES: [&str; 5] = [
        "disabled",
        "listening",
        "learning",
        "forwarding",
        "blocking",
    ];
    match NAMES.get(n as usize) {
        Some(name) => {
            s.p.string(Ctx::Any, Some("state"), &format!("state {name} "), name)
        }
        None => s.p.num(
            Ctx::Any,
            Some("state_index"),
            &format!("state ({n}) "),
            n as i128,
        ),
    }
}

/// `_bitmask2str()` with `fwd_mask_tbl` (bit 0 "stp", 2 "lacp", 14 "lldp").
fn fwd_mask_str(mask: u16) -> String {
    let mut parts = Vec::new();
    for i in 0..16 {
        if mask & (1 << i) != 0 {
            parts.push(match i {
                0 => "stp".to_string(),
                2 => "lacp".to_string(),
                14 => "lldp".to_string(),
                _ => format!("{:#x}", 1u32 << i),
            });
        }
    }
    if parts.is_empty() {
        "0x0".to_string()
    } else {
        parts.join(",")
    }
}

/// bridge_slave_print_opt() from IFLA_BRPORT_PRIORITY to
/// IFLA_BRPORT_DESIGNATED_COST.
const PORT_FLAGS_IDS: &[Field<InfoBridgePort>] = &[
    (get!(P::Priority), Show::Uint("priority")),
    (get!(P::Cost), Show::Int("cost")),
    (get!(P::HairpinMode), Show::OnOff("hairpin")),
    (get!(P::Guard), Show::OnOff("guard")),
    (get!(P::Protect), Show::OnOff("root_block")),
    (get!(P::FastLeave), Show::OnOff("fastleave")),
    (get!(P::Learning), Show::OnOff("learning")),
    (get!(P::UnicastFlood), Show::OnOff("flood")),
    (get!(P::PortId), Show::HexAs("id", "port_id")),
    (get!(P::PortNumber), Show::HexAs("no", "port_no")),
    (get!(P::DesignatedPort), Show::Uint("designated_port")),
    (get!(P::DesignatedCost), Show::Uint("designated_cost")),
];

/// From IFLA_BRPORT_HOLD_TIMER to IFLA_BRPORT_MULTICAST_ROUTER.
const PORT_TIMERS_PROXY: &[Field<InfoBridgePort>] = &[
    (get!(P::HoldTimer), Show::Timer("hold_timer")),
    (get!(P::MessageAgeTimer), Show::Timer("message_age_timer")),
    (
        get!(P::ForwardDelayTimer),
        Show::Timer("forward_delay_timer"),
    ),
    (
        get!(P::TopologyChangeAck),
        Show::Uint("topology_change_ack"),
    ),
    (get!(P::ConfigPending), Show::Uint("config_pending")),
    (get!(P::ProxyARP), Show::OnOff("proxy_arp")),
    (get!(P::ProxyARPWifi), Show::OnOff("proxy_arp_wifi")),
    (
        get!(P::MulticastRouter, mcast_router),
        Show::UintAs("multicast_router", "mcast_router"),
    ),
];

/// The floods after mcast_fast_leave.
const PORT_FLOODS: &[Field<InfoBridgePort>] = &[
    (get!(P::MulticastFlood), Show::OnOff("mcast_flood")),
    (get!(P::BroadcastFlood), Show::OnOff("bcast_flood")),
    (get!(P::MulticastToUnicast), Show::OnOff("mcast_to_unicast")),
    (get!(P::NeighSupress), Show::OnOff("neigh_suppress")),
];

/// After the group forward mask.
const PORT_TUNNEL_ISOLATION: &[Field<InfoBridgePort>] = &[
    (get!(P::VlanTunnel), Show::OnOff("vlan_tunnel")),
    (get!(P::Isolated), Show::OnOff("isolated")),
    (get!(P::Locked), Show::OnOff("locked")),
];

/// `bridge_slave_print_opt()`. `data` is None without IFLA_INFO_SLAVE_DATA.
pub fn bridge_slave_print_opt(s: &mut Session, data: Option<&[InfoBridgePort]>) {
    let Some(tb) = data else {
        return;
    };
    if let Some(v) = last!(tb, P::State) {
        print_portstate(s, v);
    }
    print_fields(s, tb, PORT_FLAGS_IDS);
    if let Some(v) = last!(tb, P::BridgeId) {
        print_bridge_id(s, "bridge_id", "designated_bridge", &br_dump_bridge_id(v));
    }
    if let Some(v) = last!(tb, P::RootId) {
        print_bridge_id(s, "root_id", "designated_root", &br_dump_bridge_id(v));
    }
    print_fields(s, tb, PORT_TIMERS_PROXY);
    if let Some(v) = last!(tb, P::FastLeave) {
        // Text only: the JSON already has "fastleave".
        let t = if *v { "on" } else { "off" };
        s.p.string(Ctx::Fp, None, &format!("mcast_fast_leave {t} "), "");
    }
    print_fields(s, tb, PORT_FLOODS);
    if let Some(v) = last!(tb, P::GroupFwdMask) {
        hex(s, "group_fwd_mask", "group_fwd_mask", *v as u64);
        let m = fwd_mask_str(*v);
        s.p.string(
            Ctx::Any,
            Some("group_fwd_mask_str"),
            &format!("group_fwd_mask_str {m} "),
            &m,
        );
    }
    print_fields(s, tb, PORT_TUNNEL_ISOLATION);
    if let Some(v) = last!(tb, P::BackupPort) {
        let name = s.ll_index_to_name(*v);
        s.p.string(
            Ctx::Any,
            Some("backup_port"),
            &format!("backup_port {name} "),
            &name,
        );
    }
}
