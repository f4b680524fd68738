//! Shared setup of the bonding tests: bonds and slaves made the way
//! iproute2 makes them (RTM_NEWLINK with IFLA_INFO_DATA / SLAVE_DATA).
#![allow(dead_code, unused_imports)]

pub use ifnet_core::client::{link_named, Client, NlError};
pub use ifnet_core::consts::*;
pub use ifnet_core::{DevId, Errno, HwAddr, Kernel, KernelProfile, NetId};
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL};
pub use netlink_packet_route::link::{
    BondMode, InfoBond, InfoBondPort, InfoData, InfoKind, InfoPortData, InfoPortKind,
    LinkAttribute, LinkInfo,
};
use netlink_packet_route::RouteNetlinkMessage;

pub fn dev(k: &Kernel, name: &str) -> DevId {
    let net = k.init_net();
    k.dev_get_by_name(net, name)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// `ip link add NAME type bond OPTIONS`.
pub fn add_bond(k: &mut Kernel, name: &str, opts: Vec<InfoBond>) -> Result<(), NlError> {
    let mut m = link_named(name);
    m.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Bond),
        LinkInfo::Data(InfoData::Bond(opts)),
    ]));
    let init = k.init_net();
    Client::new(k, init)
        .request(
            RouteNetlinkMessage::NewLink(m),
            NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(|_| ())
}

/// `ip link add NAME type bond mode active-backup miimon MIIMON`.
pub fn add_ab(k: &mut Kernel, name: &str, miimon: u32) {
    add_bond(
        k,
        name,
        vec![
            InfoBond::Mode(BondMode::ActiveBackup),
            InfoBond::MiiMon(miimon),
        ],
    )
    .unwrap();
}

/// `ip link set NAME type bond OPTIONS`.
pub fn set_bond(k: &mut Kernel, name: &str, opts: Vec<InfoBond>) -> Result<(), NlError> {
    let init = k.init_net();
    Client::new(k, init).set(
        name,
        vec![LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Bond),
            LinkInfo::Data(InfoData::Bond(opts)),
        ])],
    )
}

/// `ip link set NAME type bond_slave prio PRIO`.
pub fn set_prio(k: &mut Kernel, name: &str, prio: i32) -> Result<(), NlError> {
    let init = k.init_net();
    Client::new(k, init).set(
        name,
        vec![LinkAttribute::LinkInfo(vec![
            LinkInfo::PortKind(InfoPortKind::Bond),
            LinkInfo::PortData(InfoPortData::BondPort(vec![InfoBondPort::Prio(prio)])),
        ])],
    )
}

pub fn master(k: &mut Kernel, slave: &str, bond: Option<&str>) -> Result<(), NlError> {
    let init = k.init_net();
    Client::new(k, init).set_master(slave, bond)
}

pub fn up(k: &mut Kernel, name: &str, on: bool) {
    let init = k.init_net();
    Client::new(k, init).set_up(name, on).unwrap();
}

pub fn veth(k: &mut Kernel, a: &str, b: &str) {
    let init = k.init_net();
    Client::new(k, init).add_veth(a, b).unwrap();
}

/// veth pairs eN/pN, the pN ends up (the "switch" side).
pub fn veths(k: &mut Kernel, n: usize) {
    for i in 0..n {
        veth(k, &format!("e{i}"), &format!("p{i}"));
        up(k, &format!("p{i}"), true);
    }
}

/// An AB bond `bond0` with miimon over veths e0..eN (enslaved in order),
/// up, settled.
pub fn ab_over_veths(k: &mut Kernel, n: usize, miimon: u32) {
    veths(k, n);
    add_ab(k, "bond0", miimon);
    for i in 0..n {
        master(k, &format!("e{i}"), Some("bond0")).unwrap();
    }
    up(k, "bond0", true);
    k.run_until_idle();
}

pub fn active(k: &Kernel, bond: &str) -> Option<String> {
    k.sysfs_read(dev(k, bond), "bonding/active_slave")
        .filter(|s| !s.is_empty())
}

pub fn sysfs(k: &Kernel, name: &str, attr: &str) -> String {
    k.sysfs_read(dev(k, name), attr)
        .unwrap_or_else(|| panic!("no {name}/{attr}"))
}

pub fn err(r: Result<(), NlError>) -> (Errno, Option<String>) {
    let e = r.unwrap_err();
    (e.errno, e.extack)
}

/// Time passing; the invariants hold after it.
pub fn sleep_ms(k: &mut Kernel, ms: u64) {
    k.sleep(ifnet_core::time::Duration::from_millis(ms));
    k.check_invariants().unwrap();
}
