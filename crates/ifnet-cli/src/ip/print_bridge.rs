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

/// `bridge_print_opt()`. `data` is None without IFLA_INFO_DATA.
pub fn bridge_print_opt(s: &mut Session, data: Option<&[InfoBridge]>) {
    let Some(tb) = data else {
        return;
    };
    use InfoBridge as B;
    if let Some(v) = last!(tb, B::ForwardDelay) {
        uint(s, "forward_delay", "forward_delay", *v as u64);
    }
    if let Some(v) = last!(tb, B::HelloTime) {
        uint(s, "hello_time", "hello_time", *v as u64);
    }
    if let Some(v) = last!(tb, B::MaxAge) {
        uint(s, "max_age", "max_age", *v as u64);
    }
    if let Some(v) = last!(tb, B::AgeingTime) {
        uint(s, "ageing_time", "ageing_time", *v as u64);
    }
    if let Some(v) = last!(tb, B::StpState) {
        uint(s, "stp_state", "stp_state", stp_state(v));
    }
    if let Some(v) = last!(tb, B::Priority) {
        uint(s, "priority", "priority", *v as u64);
    }
    if let Some(v) = last!(tb, B::VlanFiltering) {
        uint(s, "vlan_filtering", "vlan_filtering", *v as u64);
    }
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
        s.p.string(Ctx::Any, Some("bridge_id"), &format!("bridge_id {id} "), id);
    }
    // iproute2 6.1 prints IFLA_BR_BRIDGE_ID's data for the root id too.
    if let Some(root) = last!(tb, B::RootId) {
        let id = bridge_id.clone().unwrap_or_else(|| br_dump_bridge_id(root));
        s.p.string(
            Ctx::Any,
            Some("root_id"),
            &format!("designated_root {id} "),
            &id,
        );
    }
    if let Some(v) = last!(tb, B::RootPort) {
        uint(s, "root_port", "root_port", *v as u64);
    }
    if let Some(v) = last!(tb, B::RootPathCost) {
        uint(s, "root_path_cost", "root_path_cost", *v as u64);
    }
    if let Some(v) = last!(tb, B::TopologyChange) {
        uint(s, "topology_change", "topology_change", *v as u64);
    }
    if let Some(v) = last!(tb, B::TopologyChangeDetected) {
        uint(
            s,
            "topology_change_detected",
            "topology_change_detected",
            *v as u64,
        );
    }
    let timers = [
        (last!(tb, B::HelloTimer), "hello_timer"),
        (last!(tb, B::TcnTimer), "tcn_timer"),
        (last!(tb, B::TopologyChangeTimer), "topology_change_timer"),
        (last!(tb, B::GcTimer), "gc_timer"),
    ];
    for (v, key) in timers {
        if let Some(v) = v {
            print_timer(s, key, *v);
        }
    }
    if let Some(v) = last!(tb, B::VlanDefaultPvid) {
        uint(s, "vlan_default_pvid", "vlan_default_pvid", *v as u64);
    }
    if let Some(v) = last!(tb, B::VlanStatsEnabled) {
        uint(s, "vlan_stats_enabled", "vlan_stats_enabled", *v as u64);
    }
    if let Some(v) = last!(tb, B::VlanStatsPerPort) {
        uint(s, "vlan_stats_per_port", "vlan_stats_per_port", *v as u64);
    }
    if let Some(v) = last!(tb, B::GroupFwdMask) {
        hex(s, "group_fwd_mask", "group_fwd_mask", *v as u64);
    }
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
    if let Some(v) = last!(tb, B::MulticastRouter) {
        uint(s, "mcast_router", "mcast_router", mcast_router(v));
    }
    if let Some(v) = last!(tb, B::MulticastQueryUseIfaddr) {
        uint(
            s,
            "mcast_query_use_ifaddr",
            "mcast_query_use_ifaddr",
            *v as u64,
        );
    }
    if let Some(v) = last!(tb, B::MulticastQuerier) {
        uint(s, "mcast_querier", "mcast_querier", *v as u64);
    }
    let counts = [
        (
            last!(tb, B::MulticastHashElasticity),
            "mcast_hash_elasticity",
            "mcast_hash_elasticity",
        ),
        (
            last!(tb, B::MulticastHashMax),
            "mcast_hash_max",
            "mcast_hash_max",
        ),
        (
            last!(tb, B::MulticastLastMemberCount),
            "mcast_last_member_cnt",
            "mcast_last_member_count",
        ),
        (
            last!(tb, B::MulticastStartupQueryCount),
            "mcast_startup_query_cnt",
            "mcast_startup_query_count",
        ),
    ];
    for (v, key, label) in counts {
        if let Some(v) = v {
            uint(s, key, label, *v as u64);
        }
    }
    let intervals = [
        (
            last!(tb, B::MulticastLastMemberInterval),
            "mcast_last_member_intvl",
            "mcast_last_member_interval",
        ),
        (
            last!(tb, B::MulticastMembershipInterval),
            "mcast_membership_intvl",
            "mcast_membership_interval",
        ),
        (
            last!(tb, B::MulticastQuerierInterval),
            "mcast_querier_intvl",
            "mcast_querier_interval",
        ),
        (
            last!(tb, B::MulticastQueryInterval),
            "mcast_query_intvl",
            "mcast_query_interval",
        ),
        (
            last!(tb, B::MulticastQueryResponseInterval),
            "mcast_query_response_intvl",
            "mcast_query_response_interval",
        ),
        (
            last!(tb, B::MulticastStartupQueryInterval),
            "mcast_startup_query_intvl",
            "mcast_startup_query_interval",
        ),
    ];
    for (v, key, label) in intervals {
        if let Some(v) = v {
            uint(s, key, label, *v);
        }
    }
    let small = [
        (
            last!(tb, B::MulticastStatsEnabled).map(|v| *v as u64),
            "mcast_stats_enabled",
        ),
        (
            last!(tb, B::MulticastIgmpVersion).map(|v| *v as u64),
            "mcast_igmp_version",
        ),
        (
            last!(tb, B::MulticastMldVersion).map(|v| *v as u64),
            "mcast_mld_version",
        ),
        (
            last!(tb, B::NfCallIpTables).map(|v| *v as u64),
            "nf_call_iptables",
        ),
        (
            last!(tb, B::NfCallIp6Tables).map(|v| *v as u64),
            "nf_call_ip6tables",
        ),
        (
            last!(tb, B::NfCallArpTables).map(|v| *v as u64),
            "nf_call_arptables",
        ),
    ];
    for (v, key) in small {
        if let Some(v) = v {
            uint(s, key, key, v);
        }
    }
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

/// `bridge_slave_print_opt()`. `data` is None without IFLA_INFO_SLAVE_DATA.
pub fn bridge_slave_print_opt(s: &mut Session, data: Option<&[InfoBridgePort]>) {
    let Some(tb) = data else {
        return;
    };
    use InfoBridgePort as P;
    if let Some(v) = last!(tb, P::State) {
        print_portstate(s, v);
    }
    if let Some(v) = last!(tb, P::Priority) {
        let v = *v as i128;
        s.p.num(Ctx::Any, Some("priority"), &format!("priority {v} "), v);
    }
    if let Some(v) = last!(tb, P::Cost) {
        let v = *v as i32 as i128;
        s.p.num(Ctx::Any, Some("cost"), &format!("cost {v} "), v);
    }
    let flags1 = [
        (last!(tb, P::HairpinMode), "hairpin"),
        (last!(tb, P::Guard), "guard"),
        (last!(tb, P::Protect), "root_block"),
        (last!(tb, P::FastLeave), "fastleave"),
        (last!(tb, P::Learning), "learning"),
        (last!(tb, P::UnicastFlood), "flood"),
    ];
    for (v, key) in flags1 {
        if let Some(v) = v {
            on_off(s, key, key, *v);
        }
    }
    if let Some(v) = last!(tb, P::PortId) {
        hex(s, "id", "port_id", *v as u64);
    }
    if let Some(v) = last!(tb, P::PortNumber) {
        hex(s, "no", "port_no", *v as u64);
    }
    if let Some(v) = last!(tb, P::DesignatedPort) {
        uint(s, "designated_port", "designated_port", *v as u64);
    }
    if let Some(v) = last!(tb, P::DesignatedCost) {
        uint(s, "designated_cost", "designated_cost", *v as u64);
    }
    if let Some(v) = last!(tb, P::BridgeId) {
        let id = br_dump_bridge_id(v);
        s.p.string(
            Ctx::Any,
            Some("bridge_id"),
            &format!("designated_bridge {id} "),
            &id,
        );
    }
    if let Some(v) = last!(tb, P::RootId) {
        let id = br_dump_bridge_id(v);
        s.p.string(
            Ctx::Any,
            Some("root_id"),
            &format!("designated_root {id} "),
            &id,
        );
    }
    let timers = [
        (last!(tb, P::HoldTimer), "hold_timer"),
        (last!(tb, P::MessageAgeTimer), "message_age_timer"),
        (last!(tb, P::ForwardDelayTimer), "forward_delay_timer"),
    ];
    for (v, key) in timers {
        if let Some(v) = v {
            print_timer(s, key, *v);
        }
    }
    if let Some(v) = last!(tb, P::TopologyChangeAck) {
        uint(s, "topology_change_ack", "topology_change_ack", *v as u64);
    }
    if let Some(v) = last!(tb, P::ConfigPending) {
        uint(s, "config_pending", "config_pending", *v as u64);
    }
    if let Some(v) = last!(tb, P::ProxyARP) {
        on_off(s, "proxy_arp", "proxy_arp", *v);
    }
    if let Some(v) = last!(tb, P::ProxyARPWifi) {
        on_off(s, "proxy_arp_wifi", "proxy_arp_wifi", *v);
    }
    if let Some(v) = last!(tb, P::MulticastRouter) {
        uint(s, "multicast_router", "mcast_router", mcast_router(v));
    }
    if let Some(v) = last!(tb, P::FastLeave) {
        // Text only: the JSON already has "fastleave".
        let t = if *v { "on" } else { "off" };
        s.p.string(Ctx::Fp, None, &format!("mcast_fast_leave {t} "), "");
    }
    let flags2 = [
        (last!(tb, P::MulticastFlood), "mcast_flood"),
        (last!(tb, P::BroadcastFlood), "bcast_flood"),
        (last!(tb, P::MulticastToUnicast), "mcast_to_unicast"),
        (last!(tb, P::NeighSupress), "neigh_suppress"),
    ];
    for (v, key) in flags2 {
        if let Some(v) = v {
            on_off(s, key, key, *v);
        }
    }
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
    let flags3 = [
        (last!(tb, P::VlanTunnel), "vlan_tunnel"),
        (last!(tb, P::Isolated), "isolated"),
        (last!(tb, P::Locked), "locked"),
    ];
    for (v, key) in flags3 {
        if let Some(v) = v {
            on_off(s, key, key, *v);
        }
    }
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
