//! iproute2 6.1 `bond_print_opt()` (ip/iplink_bond.c) and
//! `bond_slave_print_opt()` (ip/iplink_bond_slave.c): what `ip -d link`
//! prints after "bond " and "bond_slave ", in text and JSON, driven by the
//! attributes present (the last of each, as parse_rtattr's tb[] keeps
//! them) in ip's own order, whatever the kernel's. 6.1 knows nothing of
//! IFLA_BOND_COUPLED_CONTROL / BROADCAST_NEIGH: they are not printed.

use netlink_packet_route::link::{InfoBond, InfoBondPort};

use crate::ip::jsonw::Ctx;
use crate::ip::link_bond::{
    AD_SELECT_TBL, ARP_ALL_TARGETS_TBL, ARP_VALIDATE_TBL, FAIL_OVER_MAC_TBL, LACP_ACTIVE_TBL,
    LACP_RATE_TBL, MODE_TBL, PRIMARY_RESELECT_TBL, XMIT_HASH_POLICY_TBL,
};
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

/// `get_name()`: "UNKNOWN" past the table.
fn get_name(tbl: &[&'static str], i: u64) -> &'static str {
    usize::try_from(i)
        .ok()
        .and_then(|i| tbl.get(i))
        .copied()
        .unwrap_or("UNKNOWN")
}

fn uint(s: &mut Session, key: &str, label: &str, v: u64) {
    s.p.num(Ctx::Any, Some(key), &format!("{label} {v} "), i128::from(v));
}

fn int(s: &mut Session, key: &str, label: &str, v: i64) {
    s.p.num(Ctx::Any, Some(key), &format!("{label} {v} "), i128::from(v));
}

fn string(s: &mut Session, key: &str, label: &str, v: &str) {
    s.p.string(Ctx::Any, Some(key), &format!("{label} {v} "), v);
}

/// `bond_print_opt()`. `data` is None without IFLA_INFO_DATA.
pub fn bond_print_opt(s: &mut Session, data: Option<&[InfoBond]>) {
    let Some(d) = data else {
        return;
    };
    if let Some(m) = last!(d, InfoBond::Mode) {
        string(
            s,
            "mode",
            "mode",
            get_name(&MODE_TBL, u64::from(u8::from(*m))),
        );
    }
    if let Some(&i) = last!(d, InfoBond::ActivePort) {
        if i != 0 {
            let n = s.ll_index_to_name(i);
            string(s, "active_slave", "active_slave", &n);
        }
    }
    if let Some(&v) = last!(d, InfoBond::MiiMon) {
        uint(s, "miimon", "miimon", u64::from(v));
    }
    if let Some(&v) = last!(d, InfoBond::UpDelay) {
        uint(s, "updelay", "updelay", u64::from(v));
    }
    if let Some(&v) = last!(d, InfoBond::DownDelay) {
        uint(s, "downdelay", "downdelay", u64::from(v));
    }
    if let Some(&v) = last!(d, InfoBond::PeerNotifDelay) {
        uint(s, "peer_notify_delay", "peer_notify_delay", u64::from(v));
    }
    if let Some(&v) = last!(d, InfoBond::UseCarrier) {
        uint(s, "use_carrier", "use_carrier", u64::from(v));
    }
    if let Some(&v) = last!(d, InfoBond::ArpInterval) {
        uint(s, "arp_interval", "arp_interval", u64::from(v));
    }
    if let Some(&v) = last!(d, InfoBond::MissedMax) {
        uint(s, "arp_missed_max", "arp_missed_max", u64::from(v));
    }
    if let Some(v) = last!(d, InfoBond::ArpValidate) {
        let v = u64::from(u32::from(*v));
        if v == 0 && s.p.is_json() {
            s.p.null(Ctx::Json, Some("arp_validate"), "");
        } else {
            string(
                s,
                "arp_validate",
                "arp_validate",
                get_name(&ARP_VALIDATE_TBL, v),
            );
        }
    }
    if let Some(v) = last!(d, InfoBond::ArpAllTargets) {
        let v = u64::from(u32::from(*v));
        string(
            s,
            "arp_all_targets",
            "arp_all_targets",
            get_name(&ARP_ALL_TARGETS_TBL, v),
        );
    }
    if let Some(&i) = last!(d, InfoBond::Primary) {
        if i != 0 {
            let n = s.ll_index_to_name(i);
            string(s, "primary", "primary", &n);
        }
    }
    bond_print_opt_rest(s, d);
}

/// `bond_print_opt()` from IFLA_BOND_PRIMARY_RESELECT on.
fn bond_print_opt_rest(s: &mut Session, d: &[InfoBond]) {
    let u8v = |v: u8| u64::from(v);
    if let Some(v) = last!(d, InfoBond::PrimaryReselect) {
        let n = get_name(&PRIMARY_RESELECT_TBL, u8v(u8::from(*v)));
        string(s, "primary_reselect", "primary_reselect", n);
    }
    if let Some(v) = last!(d, InfoBond::FailOverMac) {
        let n = get_name(&FAIL_OVER_MAC_TBL, u8v(u8::from(*v)));
        string(s, "fail_over_mac", "fail_over_mac", n);
    }
    if let Some(v) = last!(d, InfoBond::XmitHashPolicy) {
        let n = get_name(&XMIT_HASH_POLICY_TBL, u8v(u8::from(*v)));
        string(s, "xmit_hash_policy", "xmit_hash_policy", n);
    }
    if let Some(&v) = last!(d, InfoBond::ResendIgmp) {
        uint(s, "resend_igmp", "resend_igmp", u64::from(v));
    }
    if let Some(&v) = last!(d, InfoBond::NumPeerNotif) {
        uint(s, "num_peer_notif", "num_grat_arp", u64::from(v));
    }
    if let Some(v) = last!(d, InfoBond::AllPortsActive) {
        uint(
            s,
            "all_slaves_active",
            "all_slaves_active",
            u8v(u8::from(*v)),
        );
    }
    if let Some(&v) = last!(d, InfoBond::MinLinks) {
        uint(s, "min_links", "min_links", u64::from(v));
    }
    if let Some(&v) = last!(d, InfoBond::LpInterval) {
        uint(s, "lp_interval", "lp_interval", u64::from(v));
    }
    if let Some(&v) = last!(d, InfoBond::PacketsPerPort) {
        uint(s, "packets_per_slave", "packets_per_slave", u64::from(v));
    }
    if let Some(&v) = last!(d, InfoBond::AdLacpActive) {
        let n = get_name(&LACP_ACTIVE_TBL, u64::from(v));
        string(s, "ad_lacp_active", "lacp_active", n);
    }
    if let Some(v) = last!(d, InfoBond::AdLacpRate) {
        let n = get_name(&LACP_RATE_TBL, u8v(u8::from(*v)));
        string(s, "ad_lacp_rate", "lacp_rate", n);
    }
    if let Some(v) = last!(d, InfoBond::AdSelect) {
        let n = get_name(&AD_SELECT_TBL, u8v(u8::from(*v)));
        string(s, "ad_select", "ad_select", n);
    }
    if let Some(&v) = last!(d, InfoBond::AdActorSysPrio) {
        uint(s, "ad_actor_sys_prio", "ad_actor_sys_prio", u64::from(v));
    }
    if let Some(&v) = last!(d, InfoBond::AdUserPortKey) {
        uint(s, "ad_user_port_key", "ad_user_port_key", u64::from(v));
    }
    if let Some(v) = last!(d, InfoBond::AdActorSystem) {
        let a = ll_addr_n2a(v);
        string(s, "ad_actor_system", "ad_actor_system", &a);
    }
    if let Some(&v) = last!(d, InfoBond::TlbDynamicLb) {
        uint(s, "tlb_dynamic_lb", "tlb_dynamic_lb", u64::from(v));
    }
}

/// `bond_slave_print_opt()`. `data` is None without IFLA_INFO_SLAVE_DATA.
pub fn bond_slave_print_opt(s: &mut Session, data: Option<&[InfoBondPort]>) {
    let Some(d) = data else {
        return;
    };
    if let Some(st) = last!(d, InfoBondPort::BondPortState) {
        match u8::from(*st) {
            0 => string(s, "state", "state", "ACTIVE"),
            1 => string(s, "state", "state", "BACKUP"),
            v => int(s, "state_index", "state", i64::from(v)),
        }
    }
    if let Some(m) = last!(d, InfoBondPort::MiiStatus) {
        const NAMES: [&str; 4] = ["UP", "GOING_DOWN", "DOWN", "GOING_BACK"];
        let v = u8::from(*m);
        match NAMES.get(usize::from(v)) {
            Some(n) => string(s, "mii_status", "mii_status", n),
            None => int(s, "mii_status_index", "mii_status", i64::from(v)),
        }
    }
    if let Some(&v) = last!(d, InfoBondPort::LinkFailureCount) {
        int(
            s,
            "link_failure_count",
            "link_failure_count",
            i64::from(v as i32),
        );
    }
    if let Some(v) = last!(d, InfoBondPort::PermHwaddr) {
        let a = ll_addr_n2a(v);
        string(s, "perm_hwaddr", "perm_hwaddr", &a);
    }
    if let Some(&v) = last!(d, InfoBondPort::QueueId) {
        int(s, "queue_id", "queue_id", i64::from(v));
    }
    if let Some(&v) = last!(d, InfoBondPort::Prio) {
        int(s, "prio", "prio", i64::from(v));
    }
}
