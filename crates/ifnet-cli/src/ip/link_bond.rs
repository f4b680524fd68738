//! `type bond OPTIONS` and `type bond_slave OPTIONS`: iproute2 6.1
//! `bond_parse_opt()` (ip/iplink_bond.c) and `bond_slave_parse_opt()`
//! (ip/iplink_bond_slave.c), turning the words into IFLA_INFO_DATA /
//! IFLA_INFO_SLAVE_DATA in the order ip adds them, with ip's error texts.
//! The delay keyword is `peer_notify_delay`, as ip spells it.

use netlink_packet_route::link::{
    BondAdSelect, BondAllPortActive, BondArpAllTargets, BondArpValidate, BondFailOverMac,
    BondLacpRate, BondMode, BondPrimaryReselect, BondXmitHashPolicy, InfoBond, InfoBondPort,
    InfoData, InfoPortData, LinkInfo,
};

use crate::ip::util::{addattr_l, get_long, get_unsigned, ll_addr_a2n, matches, IPLINK_REQ_SIZE};
use crate::session::Session;
use crate::{invarg, Abort, Argv};

pub const MODE_TBL: [&str; 7] = [
    "balance-rr",
    "active-backup",
    "balance-xor",
    "broadcast",
    "802.3ad",
    "balance-tlb",
    "balance-alb",
];
pub const ARP_VALIDATE_TBL: [&str; 7] = [
    "none",
    "active",
    "backup",
    "all",
    "filter",
    "filter_active",
    "filter_backup",
];
pub const ARP_ALL_TARGETS_TBL: [&str; 2] = ["any", "all"];
pub const PRIMARY_RESELECT_TBL: [&str; 3] = ["always", "better", "failure"];
pub const FAIL_OVER_MAC_TBL: [&str; 3] = ["none", "active", "follow"];
pub const XMIT_HASH_POLICY_TBL: [&str; 6] = [
    "layer2",
    "layer3+4",
    "layer2+3",
    "encap2+3",
    "encap3+4",
    "vlan+srcmac",
];
pub const LACP_ACTIVE_TBL: [&str; 2] = ["off", "on"];
pub const LACP_RATE_TBL: [&str; 2] = ["slow", "fast"];
pub const AD_SELECT_TBL: [&str; 3] = ["stable", "bandwidth", "count"];

/// `print_explain()` of iplink_bond.c.
const BOND_USAGE: &str = "Usage: ... bond [ mode BONDMODE ] [ active_slave SLAVE_DEV ]
                [ clear_active_slave ] [ miimon MIIMON ]
                [ updelay UPDELAY ] [ downdelay DOWNDELAY ]
                [ peer_notify_delay DELAY ]
                [ use_carrier USE_CARRIER ]
                [ arp_interval ARP_INTERVAL ]
                [ arp_validate ARP_VALIDATE ]
                [ arp_all_targets ARP_ALL_TARGETS ]
                [ arp_ip_target [ ARP_IP_TARGET, ... ] ]
                [ ns_ip6_target [ NS_IP6_TARGET, ... ] ]
                [ primary SLAVE_DEV ]
                [ primary_reselect PRIMARY_RESELECT ]
                [ fail_over_mac FAIL_OVER_MAC ]
                [ xmit_hash_policy XMIT_HASH_POLICY ]
                [ resend_igmp RESEND_IGMP ]
                [ num_grat_arp|num_unsol_na NUM_GRAT_ARP|NUM_UNSOL_NA ]
                [ all_slaves_active ALL_SLAVES_ACTIVE ]
                [ min_links MIN_LINKS ]
                [ lp_interval LP_INTERVAL ]
                [ packets_per_slave PACKETS_PER_SLAVE ]
                [ tlb_dynamic_lb TLB_DYNAMIC_LB ]
                [ lacp_rate LACP_RATE ]
                [ lacp_active LACP_ACTIVE]
                [ ad_select AD_SELECT ]
                [ ad_user_port_key PORTKEY ]
                [ ad_actor_sys_prio SYSPRIO ]
                [ ad_actor_system LLADDR ]
                [ arp_missed_max MISSED_MAX ]

BONDMODE := balance-rr|active-backup|balance-xor|broadcast|802.3ad|balance-tlb|balance-alb
ARP_VALIDATE := none|active|backup|all|filter|filter_active|filter_backup
ARP_ALL_TARGETS := any|all
PRIMARY_RESELECT := always|better|failure
FAIL_OVER_MAC := none|active|follow
XMIT_HASH_POLICY := layer2|layer2+3|layer3+4|encap2+3|encap3+4|vlan+srcmac
LACP_ACTIVE := off|on
LACP_RATE := slow|fast
AD_SELECT := stable|bandwidth|count
";

/// `print_explain()` of iplink_bond_slave.c.
const BOND_SLAVE_USAGE: &str = "Usage: ... bond_slave [ queue_id ID ] [ prio PRIORITY ]\n";

/// `get_index()`: a decimal index within the table, else the name.
fn get_index(tbl: &[&str], name: &str) -> Option<u8> {
    if let Some(i) = get_long(name, 10) {
        if (0..tbl.len() as i64).contains(&i) {
            return Some(i as u8);
        }
    }
    tbl.iter().position(|t| *t == name).map(|i| i as u8)
}

/// `get_u32` / `get_u16` / `get_u8` (strtoul, the whole word, in range).
fn get_un(arg: &str, max: u32) -> Option<u32> {
    get_unsigned(arg).filter(|&v| v <= max)
}

/// One value word through `get`, else ip's `invarg(msg, word)`.
fn value<T>(
    s: &mut Session,
    a: &mut Argv,
    msg: &str,
    get: impl Fn(&str) -> Option<T>,
) -> Result<T, Abort> {
    let v = a.next_arg(&mut s.err)?;
    get(v).ok_or_else(|| invarg(&mut s.err, msg, v))
}

/// `nodev()`: "Cannot find device", return -1.
fn nodev(s: &mut Session, dev: &str) -> Abort {
    s.eprint(&format!("Cannot find device \"{dev}\"\n"));
    Abort::Ret(-1)
}

/// `bond_parse_opt()`'s keywords in its order: (keyword, exact match).
/// ip tests them in turn with `matches()` (an abbreviation) or `strcmp`,
/// so an abbreviation means the first keyword it starts.
const BOND_KEYWORDS: [(&str, bool); 31] = [
    ("mode", false),
    ("active_slave", false),
    ("clear_active_slave", false),
    ("miimon", false),
    ("updelay", false),
    ("downdelay", false),
    ("peer_notify_delay", false),
    ("use_carrier", false),
    ("arp_interval", false),
    ("arp_ip_target", false),
    ("ns_ip6_target", true),
    ("arp_validate", false),
    ("arp_all_targets", false),
    ("arp_missed_max", true),
    ("primary", false),
    ("primary_reselect", false),
    ("fail_over_mac", false),
    ("xmit_hash_policy", false),
    ("resend_igmp", false),
    ("num_grat_arp", false),
    ("num_unsol_na", false),
    ("all_slaves_active", false),
    ("min_links", false),
    ("lp_interval", false),
    ("packets_per_slave", false),
    ("lacp_rate", false),
    ("lacp_active", true),
    ("ad_select", false),
    ("ad_user_port_key", false),
    ("ad_actor_sys_prio", false),
    ("ad_actor_system", false),
];

/// `bond_parse_opt()`.
pub(crate) fn bond_parse_opt(s: &mut Session, words: &[String]) -> Result<Vec<InfoBond>, Abort> {
    let mut a = Argv::new(words);
    let mut out = Vec::new();
    while a.left() > 0 {
        let w = a.cur();
        let key = BOND_KEYWORDS
            .iter()
            .find(|(k, exact)| if *exact { w == *k } else { matches(w, k) })
            .map(|(k, _)| *k);
        let key = match key {
            Some(k) => k,
            None if matches(w, "tlb_dynamic_lb") => "tlb_dynamic_lb",
            None if matches(w, "help") => {
                s.eprint(BOND_USAGE);
                return Err(Abort::Ret(-1));
            }
            None => {
                s.eprint(&format!("bond: unknown command \"{w}\"?\n"));
                s.eprint(BOND_USAGE);
                return Err(Abort::Ret(-1));
            }
        };
        out.push(bond_parse_one(s, &mut a, key)?);
        a.advance();
    }
    Ok(out)
}

/// The attribute of one keyword (its value read from `a`).
fn bond_parse_one(s: &mut Session, a: &mut Argv, key: &str) -> Result<InfoBond, Abort> {
    let t = |s: &mut Session, a: &mut Argv, tbl: &[&str]| {
        let msg = format!("invalid {key}");
        value(s, a, &msg, |v| get_index(tbl, v))
    };
    let n = |s: &mut Session, a: &mut Argv, max: u32| {
        let msg = if key.starts_with("num_") {
            "invalid num_grat_arp|num_unsol_na".to_string()
        } else {
            format!("invalid {key}")
        };
        value(s, a, &msg, |v| get_un(v, max))
    };
    Ok(match key {
        "mode" => InfoBond::Mode(BondMode::from(t(s, a, &MODE_TBL)?)),
        "active_slave" | "primary" => {
            let dev = a.next_arg(&mut s.err)?;
            let idx = s.ll_name_to_index(dev);
            if idx == 0 {
                return Err(nodev(s, dev));
            }
            if key == "primary" {
                InfoBond::Primary(idx)
            } else {
                InfoBond::ActivePort(idx)
            }
        }
        "clear_active_slave" => InfoBond::ActivePort(0),
        "miimon" => InfoBond::MiiMon(n(s, a, u32::MAX)?),
        "updelay" => InfoBond::UpDelay(n(s, a, u32::MAX)?),
        "downdelay" => InfoBond::DownDelay(n(s, a, u32::MAX)?),
        "peer_notify_delay" => InfoBond::PeerNotifDelay(n(s, a, u32::MAX)?),
        "use_carrier" => InfoBond::UseCarrier(n(s, a, 0xff)? != 0),
        "arp_interval" => InfoBond::ArpInterval(n(s, a, u32::MAX)?),
        "arp_ip_target" | "ns_ip6_target" => {
            return Err(crate::ip::link_parse::unsupported(s, key))
        }
        "arp_validate" => InfoBond::ArpValidate(BondArpValidate::from(u32::from(t(
            s,
            a,
            &ARP_VALIDATE_TBL,
        )?))),
        "arp_all_targets" => InfoBond::ArpAllTargets(BondArpAllTargets::from(u32::from(t(
            s,
            a,
            &ARP_ALL_TARGETS_TBL,
        )?))),
        "arp_missed_max" => InfoBond::MissedMax(n(s, a, 0xff)? as u8),
        "primary_reselect" => {
            InfoBond::PrimaryReselect(BondPrimaryReselect::from(t(s, a, &PRIMARY_RESELECT_TBL)?))
        }
        "fail_over_mac" => {
            InfoBond::FailOverMac(BondFailOverMac::from(t(s, a, &FAIL_OVER_MAC_TBL)?))
        }
        "xmit_hash_policy" => {
            InfoBond::XmitHashPolicy(BondXmitHashPolicy::from(t(s, a, &XMIT_HASH_POLICY_TBL)?))
        }
        "resend_igmp" => InfoBond::ResendIgmp(n(s, a, u32::MAX)?),
        "num_grat_arp" | "num_unsol_na" => InfoBond::NumPeerNotif(n(s, a, 0xff)? as u8),
        "all_slaves_active" => {
            InfoBond::AllPortsActive(BondAllPortActive::from(n(s, a, 0xff)? as u8))
        }
        "min_links" => InfoBond::MinLinks(n(s, a, u32::MAX)?),
        "lp_interval" => InfoBond::LpInterval(n(s, a, u32::MAX)?),
        "packets_per_slave" => InfoBond::PacketsPerPort(n(s, a, u32::MAX)?),
        "lacp_rate" => InfoBond::AdLacpRate(BondLacpRate::from(t(s, a, &LACP_RATE_TBL)?)),
        "lacp_active" => InfoBond::AdLacpActive(t(s, a, &LACP_ACTIVE_TBL)? != 0),
        "ad_select" => InfoBond::AdSelect(BondAdSelect::from(t(s, a, &AD_SELECT_TBL)?)),
        "ad_user_port_key" => InfoBond::AdUserPortKey(n(s, a, 0xffff)? as u16),
        "ad_actor_sys_prio" => InfoBond::AdActorSysPrio(n(s, a, 0xffff)? as u16),
        "ad_actor_system" => {
            let v = a.next_arg(&mut s.err)?;
            let mac = ll_addr_a2n(v).map_err(|e| {
                s.eprint(&format!("{e}\n"));
                Abort::Ret(-1)
            })?;
            let mut m = [0u8; 6];
            let len = mac.len().min(6);
            m[..len].copy_from_slice(&mac[..len]);
            InfoBond::AdActorSystem(m)
        }
        _ => InfoBond::TlbDynamicLb(n(s, a, 0xff)? != 0),
    })
}

/// `bond_slave_parse_opt()`.
pub(crate) fn bond_slave_parse_opt(
    s: &mut Session,
    words: &[String],
) -> Result<Vec<InfoBondPort>, Abort> {
    let mut a = Argv::new(words);
    let mut out = Vec::new();
    while a.left() > 0 {
        let w = a.cur();
        if matches(w, "queue_id") {
            let q = value(s, &mut a, "queue_id is invalid", |v| get_un(v, 0xffff))?;
            out.push(InfoBondPort::QueueId(q as u16));
        } else if w == "prio" {
            let p = value(s, &mut a, "prio is invalid", |v| {
                get_long(v, 0).and_then(|x| i32::try_from(x).ok())
            })?;
            out.push(InfoBondPort::Prio(p));
        } else {
            if !matches(w, "help") {
                s.eprint(&format!("bond_slave: unknown option \"{w}\"?\n"));
            }
            s.eprint(BOND_SLAVE_USAGE);
            return Err(Abort::Ret(-1));
        }
        a.advance();
    }
    Ok(out)
}

/// iplink_modify()'s `addattr_nest(IFLA_INFO_DATA or IFLA_INFO_SLAVE_DATA)`
/// around the kind's parse_opt (a `_slave` kind gets SLAVE_DATA).
pub(crate) fn bond_linkinfo(
    s: &mut Session,
    kind: &str,
    rest: &[String],
    mut len: usize,
    mut info: Vec<LinkInfo>,
) -> Result<Vec<LinkInfo>, Abort> {
    let data = addattr_l(&mut s.err, &mut len, IPLINK_REQ_SIZE, 0);
    if kind == "bond" {
        let v = bond_parse_opt(s, rest)?;
        if data {
            info.push(LinkInfo::Data(InfoData::Bond(v)));
        }
    } else {
        let v = bond_slave_parse_opt(s, rest)?;
        if data {
            info.push(LinkInfo::PortData(InfoPortData::BondPort(v)));
        }
    }
    Ok(info)
}
