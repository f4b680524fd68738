//! The `-d` block of iproute2 6.1 `print_linkinfo()` (ip/ipaddress.c):
//! promiscuity and allmulti, MTU bounds, `print_linktype()` with the
//! bridge's and a bridge port's `print_opt`, the queue counts and GSO/GRO
//! limits, port and parent names.

use netlink_packet_route::link::{InfoData, InfoPortData, LinkAttribute, LinkInfo, LinkMessage};

use crate::ip::jsonw::Ctx;
use crate::ip::print_bridge::{bridge_print_opt, bridge_slave_print_opt};
use crate::ip::print_link::{kind_name, Filter};
use crate::session::Session;

/// The last attribute of a variant, like `parse_rtattr()`'s tb[].
macro_rules! attr {
    ($lm:expr, $var:ident) => {
        $lm.attributes.iter().rev().find_map(|a| match a {
            LinkAttribute::$var(v) => Some(v),
            _ => None,
        })
    };
}

/// The `-d` block of print_linkinfo().
pub(crate) fn print_details(s: &mut Session, lm: &LinkMessage, f: &Filter) {
    print_nums(
        s,
        [
            (attr!(lm, Promiscuity), "promiscuity", " promiscuity"),
            (attr!(lm, AllMulticast), "allmulti", " allmulti"),
            (attr!(lm, MinMtu), "min_mtu", "minmtu"),
            (attr!(lm, MaxMtu), "max_mtu", "maxmtu"),
        ],
    );
    if let Some(infos) = attr!(lm, LinkInfo) {
        print_linktype(s, infos);
    }
    if f.do_link {
        if let Some(spec) = attr!(lm, AfSpecUnspec) {
            print_af_spec(s, spec);
        }
    }
    print_nums(
        s,
        [
            (attr!(lm, NumTxQueues), "num_tx_queues", "numtxqueues"),
            (attr!(lm, NumRxQueues), "num_rx_queues", "numrxqueues"),
            (attr!(lm, GsoMaxSize), "gso_max_size", "gso_max_size"),
            (attr!(lm, GsoMaxSegs), "gso_max_segs", "gso_max_segs"),
            (attr!(lm, TsoMaxSize), "tso_max_size", "tso_max_size"),
            (attr!(lm, TsoMaxSegs), "tso_max_segs", "tso_max_segs"),
            (attr!(lm, GroMaxSize), "gro_max_size", "gro_max_size"),
        ],
    );
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

/// `print_uint(PRINT_ANY, key, "label %u ", v)` for each attribute present.
fn print_nums<const N: usize>(s: &mut Session, nums: [(Option<&u32>, &str, &str); N]) {
    for (v, key, label) in nums {
        if let Some(&v) = v {
            s.p.num(Ctx::Any, Some(key), &format!("{label} {v} "), v as i128);
        }
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
        if k == "bond" {
            let data = infos.iter().rev().find_map(|i| match i {
                LinkInfo::Data(InfoData::Bond(v)) => Some(v.as_slice()),
                _ => None,
            });
            s.p.open_object(Some("info_data"));
            crate::ip::print_bond::bond_print_opt(s, data);
            s.p.close_object();
        }
        if k == "ipoib" {
            s.p.open_object(Some("info_data"));
            crate::ip::link_ipoib::ipoib_print_opt(s, infos);
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
        if k == "bond" {
            let data = infos.iter().rev().find_map(|i| match i {
                LinkInfo::PortData(InfoPortData::BondPort(v)) => Some(v.as_slice()),
                _ => None,
            });
            s.p.open_object(Some("info_slave_data"));
            crate::ip::print_bond::bond_slave_print_opt(s, data);
            s.p.close_object();
        }
    }
    s.p.close_object();
}
