//! The bridge as rtnetlink shows it: IFLA_INFO_DATA (br_fill_info) and
//! IFLA_INFO_SLAVE_DATA (br_port_fill_attrs) in dumps, and the AF_BRIDGE
//! notifications (br_ifinfo_notify) with the RTM_NEWLINKs around them.
//!
//! Expected attribute orders and values were read on Linux 6.18 (this
//! machine's kernel, CONFIG_BRIDGE_VLAN_FILTERING off) with a raw
//! RTM_GETLINK of a bridge and a veth port; the notification sequences with a
//! raw RTNLGRP_LINK listener while running the same `ip link` commands in a
//! scratch namespace, 1.5 s apart.

mod mcast;

use ifnet_core::client::{encode, link_name, Client};
use ifnet_core::time::Instant;
use ifnet_core::{Kernel, KernelProfile, NetId};
use netlink_packet_core::{
    NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST,
};
use netlink_packet_route::link::{
    BridgePortState, InfoBridge, InfoBridgePort, InfoData, InfoKind, InfoPortData, LinkAttribute,
    LinkEvent, LinkInfo, LinkMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_DATA: u16 = 2;
const IFLA_INFO_SLAVE_DATA: u16 = 5;
const IFF_PROMISC: u32 = 0x100;
const IFF_UP: u32 = 0x1;

fn kernel() -> (Kernel, NetId) {
    let k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    (k, init)
}

fn mac(last: u8) -> Vec<u8> {
    vec![0x02, 0, 0, 0, 0, last]
}

/// `ip link add NAME address 02:..:A type veth peer name PEER address 02:..:B`
/// (addresses set before anything else looks at them).
fn add_veth(k: &mut Kernel, net: NetId, name: &str, peer: &str, a: u8, b: u8) {
    let mut c = Client::new(k, net);
    c.add_veth(name, peer).unwrap();
    c.set(name, vec![LinkAttribute::Address(mac(a))]).unwrap();
    c.set(peer, vec![LinkAttribute::Address(mac(b))]).unwrap();
}

/// `ip link add NAME [address A] type bridge`.
fn add_bridge(k: &mut Kernel, net: NetId, name: &str, addr: Option<u8>) {
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName(name.into()));
    if let Some(a) = addr {
        m.attributes.push(LinkAttribute::Address(mac(a)));
    }
    m.attributes
        .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
            InfoKind::Bridge,
        )]));
    Client::new(k, net)
        .request(
            RouteNetlinkMessage::NewLink(m),
            NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        )
        .unwrap();
}

fn get(k: &mut Kernel, net: NetId, name: &str) -> LinkMessage {
    Client::new(k, net).get(name).unwrap()
}

fn bridge_data(m: &LinkMessage) -> Vec<InfoBridge> {
    m.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::LinkInfo(i) => i.iter().find_map(|i| match i {
                LinkInfo::Data(InfoData::Bridge(v)) => Some(v.clone()),
                _ => None,
            }),
            _ => None,
        })
        .expect("IFLA_INFO_DATA of a bridge")
}

fn port_data(m: &LinkMessage) -> Option<Vec<InfoBridgePort>> {
    m.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(i) => i.iter().find_map(|i| match i {
            LinkInfo::PortData(InfoPortData::BridgePort(v)) => Some(v.clone()),
            _ => None,
        }),
        _ => None,
    })
}

/// The attribute types nested in IFLA_LINKINFO/`inner` of a raw GETLINK
/// reply (the bytes, so the order is the kernel-visible one).
fn raw_linkinfo_types(k: &mut Kernel, net: NetId, name: &str, inner: u16) -> Vec<u16> {
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName(name.into()));
    let req = encode(RouteNetlinkMessage::GetLink(m), NLM_F_REQUEST, 1);
    let reply = &k.rtnl_request(net, &req)[0];
    let attrs = |buf: &[u8]| {
        let mut v = Vec::new();
        let mut i = 0;
        while i + 4 <= buf.len() {
            let len = u16::from_ne_bytes([buf[i], buf[i + 1]]) as usize;
            let typ = u16::from_ne_bytes([buf[i + 2], buf[i + 3]]) & 0x3fff;
            v.push((typ, buf[i + 4..i + len].to_vec()));
            i += (len + 3) & !3;
        }
        v
    };
    let top = attrs(&reply[32..]);
    let linkinfo = &top.iter().find(|(t, _)| *t == IFLA_LINKINFO).unwrap().1;
    let nested = &attrs(linkinfo)
        .into_iter()
        .find(|(t, _)| *t == inner)
        .unwrap()
        .1;
    attrs(nested).into_iter().map(|(t, _)| t).collect()
}

/// One notification as the tests compare it: family, RTM type, name,
/// ifi_change, IFLA_EVENT, and whether IFLA_PROTINFO is there.
#[derive(Debug, PartialEq)]
struct Note {
    bridge: bool,
    del: bool,
    name: String,
    change: u32,
    event: Option<LinkEvent>,
    protinfo: bool,
}

fn note(bridge: bool, del: bool, name: &str, change: u32) -> Note {
    Note {
        bridge,
        del,
        name: name.into(),
        change,
        event: None,
        protinfo: bridge && !del,
    }
}

/// v0 (veth, peer v1) a port of br0, then `ip link set NAME up|down` for
/// each of `steps` in order, settled, with a listener on the ring.
fn port_v0_listening(steps: &[(&str, bool)]) -> (Kernel, NetId) {
    let (mut k, init) = kernel();
    add_veth(&mut k, init, "v0", "v1", 1, 2);
    add_bridge(&mut k, init, "br0", None);
    let mut c = Client::new(&mut k, init);
    c.set_master("v0", Some("br0")).unwrap();
    for &(name, up) in steps {
        c.set_up(name, up).unwrap();
    }
    k.run_until_idle();
    k.mcast_listen(1);
    (k, init)
}

fn notes_since(k: &Kernel, from: u64) -> Vec<Note> {
    mcast::link_notifications(k, from)
        .into_iter()
        .map(|(lm, del)| Note {
            bridge: lm.header.interface_family == AddressFamily::Bridge,
            del,
            name: ifname(&lm),
            change: lm.header.change_mask.bits(),
            event: lm.attributes.iter().find_map(|a| match a {
                LinkAttribute::Event(e) => Some(*e),
                _ => None,
            }),
            protinfo: lm
                .attributes
                .iter()
                .any(|a| matches!(a, LinkAttribute::ProtoInfoBridge(_))),
        })
        .collect()
}

fn ifname(lm: &LinkMessage) -> String {
    link_name(lm).unwrap_or_default()
}

/// br_fill_info(): the attribute order and the defaults a fresh bridge
/// reports; bridge id and root id are 8000.00:00:00:00:00:00 until a port
/// (or an address) sets them, the gc timer is 0 while the bridge is down.
#[test]
fn br_fill_info_order_and_defaults() {
    let (mut k, init) = kernel();
    add_bridge(&mut k, init, "br0", None);
    assert_eq!(
        raw_linkinfo_types(&mut k, init, "br0", IFLA_INFO_DATA),
        [
            16, 17, 18, 19, 1, 2, 3, 4, 5, 6, 7, 9, 11, 10, 12, 13, 14, 15, 20, 46, 48, 49, 22, 23,
            24, 25, 42, 26, 27, 28, 29, 43, 44, 30, 31, 32, 33, 34, 35, 36, 37, 38
        ]
    );
    let data = bridge_data(&get(&mut k, init, "br0"));
    let has = |want: InfoBridge| assert!(data.contains(&want), "{want:?} in {data:?}");
    has(InfoBridge::ForwardDelay(1500));
    has(InfoBridge::HelloTime(200));
    has(InfoBridge::MaxAge(2000));
    has(InfoBridge::AgeingTime(30000));
    has(InfoBridge::Priority(0x8000));
    has(InfoBridge::VlanFiltering(false));
    has(InfoBridge::GroupAddr([0x01, 0x80, 0xc2, 0, 0, 0]));
    has(InfoBridge::GcTimer(0));
    has(InfoBridge::MulticastHashMax(4096));
    has(InfoBridge::MulticastStartupQueryInterval(3124));
    has(InfoBridge::MulticastMembershipInterval(26000));
    has(InfoBridge::FdbNLearned(0));
    let ids: Vec<_> = data
        .iter()
        .filter_map(|a| match a {
            InfoBridge::BridgeId(id) | InfoBridge::RootId(id) => Some((id.priority, id.address)),
            _ => None,
        })
        .collect();
    assert_eq!(ids, [(0x8000, [0; 6]), (0x8000, [0; 6])]);
}

/// br_port_fill_attrs(): the order and the values of a veth port (cost 2
/// from SPEED_10000, port id 0x8000 | port_no, designated ids = the bridge
/// id, which is the lowest port MAC), its state following the port
/// (disabled → forwarding once bridge and port are up), the second port
/// numbered 2.
#[test]
fn br_port_fill_attrs_follow_the_port() {
    let (mut k, init) = kernel();
    add_veth(&mut k, init, "v0", "v1", 0x11, 0x12);
    add_veth(&mut k, init, "v2", "v3", 0x05, 0x06);
    add_bridge(&mut k, init, "br0", None);
    let mut c = Client::new(&mut k, init);
    c.set_master("v0", Some("br0")).unwrap();
    c.set_master("v2", Some("br0")).unwrap();
    assert_eq!(
        raw_linkinfo_types(&mut k, init, "v0", IFLA_INFO_SLAVE_DATA),
        [
            1, 2, 3, 4, 5, 6, 7, 28, 8, 9, 27, 30, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 29, 31,
            32, 35, 36, 33, 39, 40, 43, 21, 22, 23, 25, 37, 38, 41, 42
        ]
    );
    let p = port_data(&get(&mut k, init, "v0")).unwrap();
    let has = |p: &[InfoBridgePort], want: InfoBridgePort| {
        assert!(p.contains(&want), "{want:?} in {p:?}")
    };
    has(&p, InfoBridgePort::State(BridgePortState::Disabled));
    has(&p, InfoBridgePort::Priority(32));
    has(&p, InfoBridgePort::Cost(2));
    has(&p, InfoBridgePort::PortId(0x8001));
    has(&p, InfoBridgePort::PortNumber(1));
    has(&p, InfoBridgePort::DesignatedPort(0x8001));
    has(&p, InfoBridgePort::Learning(true));
    has(&p, InfoBridgePort::UnicastFlood(true));
    has(&p, InfoBridgePort::MulticastEhtHostsLimit(512));
    let id = p
        .iter()
        .find_map(|a| match a {
            InfoBridgePort::BridgeId(id) => Some((id.priority, id.address)),
            _ => None,
        })
        .unwrap();
    assert_eq!(id, (0x8000, [2, 0, 0, 0, 0, 0x05]), "lowest port MAC");
    let p2 = port_data(&get(&mut k, init, "v2")).unwrap();
    has(&p2, InfoBridgePort::PortId(0x8002));
    // A plain veth has no slave data at all.
    assert!(port_data(&get(&mut k, init, "v1")).is_none());

    let mut c = Client::new(&mut k, init);
    c.set_up("br0", true).unwrap();
    c.set_up("v1", true).unwrap();
    c.set_up("v0", true).unwrap();
    k.run_until_idle();
    let p = port_data(&get(&mut k, init, "v0")).unwrap();
    has(&p, InfoBridgePort::State(BridgePortState::Forwarding));
    let p2 = port_data(&get(&mut k, init, "v2")).unwrap();
    has(&p2, InfoBridgePort::State(BridgePortState::Disabled));
    // Promiscuity and allmulti: one each per port (br_add_if,
    // br_manage_promisc), none on the free peer.
    let promisc = |m: &LinkMessage| {
        m.attributes
            .iter()
            .filter_map(|a| match a {
                LinkAttribute::Promiscuity(n) | LinkAttribute::AllMulticast(n) => Some(*n),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(promisc(&get(&mut k, init, "v0")), [1, 1]);
    assert_eq!(promisc(&get(&mut k, init, "v1")), [0, 0]);
    Client::new(&mut k, init).set_master("v0", None).unwrap();
    assert_eq!(
        promisc(&get(&mut k, init, "v0")),
        [0, 0],
        "del_nbp gives both back"
    );
}

/// br_dev_newlink() + br_stp_change_bridge_id(): an address given at
/// creation is the bridge id at once and the port-less bridge has no carrier
/// (NO-CARRIER once up); a later address change rewrites the ports'
/// designated ids with the bridge's.
#[test]
fn br_stp_change_bridge_id_moves_every_id() {
    let (mut k, init) = kernel();
    add_bridge(&mut k, init, "br0", Some(0x5a));
    let id_of = |d: &[InfoBridge]| {
        d.iter()
            .find_map(|a| match a {
                InfoBridge::BridgeId(id) => Some(id.address),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(
        id_of(&bridge_data(&get(&mut k, init, "br0"))),
        [2, 0, 0, 0, 0, 0x5a]
    );
    let br = k.dev_get_by_name(init, "br0").unwrap();
    assert!(!k.dev(br).carrier);
    add_veth(&mut k, init, "v0", "v1", 0x01, 0x02);
    Client::new(&mut k, init)
        .set_master("v0", Some("br0"))
        .unwrap();
    Client::new(&mut k, init)
        .set("br0", vec![LinkAttribute::Address(mac(0x5b))])
        .unwrap();
    assert_eq!(
        id_of(&bridge_data(&get(&mut k, init, "br0"))),
        [2, 0, 0, 0, 0, 0x5b]
    );
    let p = port_data(&get(&mut k, init, "v0")).unwrap();
    let ids: Vec<_> = p
        .iter()
        .filter_map(|a| match a {
            InfoBridgePort::BridgeId(id) | InfoBridgePort::RootId(id) => Some(id.address),
            _ => None,
        })
        .collect();
    assert_eq!(ids, [[2, 0, 0, 0, 0, 0x5b]; 2]);
}

/// netdev_compute_master_upper_features(): a fresh bridge keeps the legacy
/// TSO size (65536); once a port has come and gone it has TSO_MAX_SIZE
/// clamped to GSO_MAX_SIZE (524280). Loopback raises its own (loopback_setup).
#[test]
fn bridge_tso_max_size_after_ports() {
    let (mut k, init) = kernel();
    add_bridge(&mut k, init, "br0", None);
    add_veth(&mut k, init, "v0", "v1", 1, 2);
    let tso = |m: &LinkMessage| {
        m.attributes
            .iter()
            .find_map(|a| match a {
                LinkAttribute::TsoMaxSize(n) => Some(*n),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(tso(&get(&mut k, init, "br0")), 65536);
    assert_eq!(tso(&get(&mut k, init, "lo")), 524280);
    let mut c = Client::new(&mut k, init);
    c.set_master("v0", Some("br0")).unwrap();
    c.set_master("v0", None).unwrap();
    assert_eq!(tso(&get(&mut k, init, "br0")), 524280);
}

/// br_add_if() and del_nbp()/br_del_if() as RTNLGRP_LINK sees them, in the
/// kernel's order: CHANGEUPPER, IFF_PROMISC (dev_set_promiscuity), the
/// bridge's FEATURE CHANGE (first port only), the AF_BRIDGE RTM_NEWLINK,
/// the bridge's CHANGEADDR; on release IFF_PROMISC, the AF_BRIDGE
/// RTM_NEWLINK of br_stp_disable_port, the AF_BRIDGE RTM_DELLINK,
/// CHANGEUPPER, CHANGEADDR, FEATURE CHANGE (last port only).
#[test]
fn br_ifinfo_notify_on_enslave_and_release() {
    let (mut k, init) = kernel();
    add_veth(&mut k, init, "v0", "v1", 1, 2);
    add_veth(&mut k, init, "v2", "v3", 3, 4);
    add_bridge(&mut k, init, "br0", None);
    k.run_until_idle();
    k.mcast_listen(1);
    let feat = |name: &str| Note {
        event: Some(LinkEvent::Features),
        ..note(false, false, name, 0)
    };

    let from = k.mcast_next_seq();
    Client::new(&mut k, init)
        .set_master("v0", Some("br0"))
        .unwrap();
    k.run_until_idle();
    assert_eq!(
        notes_since(&k, from),
        [
            note(false, false, "v0", 0),
            note(false, false, "v0", IFF_PROMISC),
            feat("br0"),
            note(true, false, "v0", 0),
            note(false, false, "br0", 0),
        ]
    );

    // A second port: the features do not change, nor does the id (02:..:01
    // stays the lowest).
    let from = k.mcast_next_seq();
    Client::new(&mut k, init)
        .set_master("v2", Some("br0"))
        .unwrap();
    assert_eq!(
        notes_since(&k, from),
        [
            note(false, false, "v2", 0),
            note(false, false, "v2", IFF_PROMISC),
            note(true, false, "v2", 0),
        ]
    );

    let from = k.mcast_next_seq();
    let mut c = Client::new(&mut k, init);
    c.set_master("v2", None).unwrap();
    c.set_master("v0", None).unwrap();
    assert_eq!(
        notes_since(&k, from),
        [
            note(false, false, "v2", IFF_PROMISC),
            note(true, false, "v2", 0),
            note(true, true, "v2", 0),
            note(false, false, "v2", 0),
            note(false, false, "v0", IFF_PROMISC),
            note(true, false, "v0", 0),
            note(true, true, "v0", 0),
            note(false, false, "v0", 0),
            note(false, false, "br0", 0),
            feat("br0"),
        ]
    );
}

/// br_device_event() with br_port_carrier_check() and br_stp_enable_port():
/// `ip link set v0 up` on a port of an UP bridge whose peer is up. The
/// port's own RTM_NEWLINK, the AF_BRIDGE one of NETDEV_UP (not yet oper up,
/// so not enabled), then linkwatch: NETDEV_CHANGE enables it (two AF_BRIDGE
/// messages: br_make_forwarding, br_stp_enable_port) before v0's RTM_NEWLINK,
/// then the peer's, then the bridge's carrier. v0 is handled before its peer
/// because netif_running() is already true inside veth_open (__dev_open sets
/// __LINK_STATE_START before ndo_open), making its carrier event urgent.
/// 15 s later the forward-delay timer announces the port once more
/// (br_forward_delay_timer_expired).
#[test]
fn br_ifinfo_notify_on_port_up_and_down() {
    let (mut k, init) = port_v0_listening(&[("br0", true), ("v1", true)]);

    let from = k.mcast_next_seq();
    Client::new(&mut k, init).set_up("v0", true).unwrap();
    k.run_due_now();
    // Right after enabling, the forward-delay timer runs (15 s, in clock_t).
    let p = port_data(&get(&mut k, init, "v0")).unwrap();
    assert!(
        p.contains(&InfoBridgePort::ForwardDelayTimer(1500)),
        "{p:?}"
    );
    k.run_until_idle();
    let up = IFF_UP;
    assert_eq!(
        notes_since(&k, from),
        [
            note(false, false, "v0", up),
            note(true, false, "v0", 0),
            note(true, false, "v0", 0),
            note(true, false, "v0", 0),
            note(false, false, "v0", 0),
            note(false, false, "v1", 0),
            note(false, false, "br0", 0),
            note(true, false, "v0", 0),
        ]
    );

    let from = k.mcast_next_seq();
    Client::new(&mut k, init).set_up("v0", false).unwrap();
    k.run_until_idle();
    assert_eq!(
        notes_since(&k, from),
        [
            note(false, false, "v0", up),
            note(true, false, "v0", 0),
            note(false, false, "v1", 0),
            note(false, false, "br0", 0),
        ]
    );
    let p = port_data(&get(&mut k, init, "v0")).unwrap();
    assert!(
        p.contains(&InfoBridgePort::ForwardDelayTimer(0)),
        "cancelled"
    );
}

/// br_dev_delete(): ports leave through del_nbp only (no new bridge id, no
/// FEATURE CHANGE), and the bridge's RTM_DELLINK comes after dev_shutdown,
/// so it says qdisc noop; unregister_netdevice_many_notify builds it with
/// ifi_change ~0U.
#[test]
fn br_dev_delete_releases_ports_quietly() {
    let (mut k, init) = port_v0_listening(&[("br0", true), ("br0", false)]);
    let from = k.mcast_next_seq();
    Client::new(&mut k, init).del("br0").unwrap();
    assert_eq!(
        notes_since(&k, from),
        [
            note(false, false, "v0", IFF_PROMISC),
            note(true, false, "v0", 0),
            note(true, true, "v0", 0),
            note(false, false, "v0", 0),
            note(false, true, "br0", !0),
        ]
    );
    let last = k.mcast_since(from).unwrap().pop().unwrap();
    let nl = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&last.bytes).unwrap();
    let NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(lm)) = nl.payload else {
        panic!("RTM_DELLINK");
    };
    assert!(lm.attributes.contains(&LinkAttribute::Qdisc("noop".into())));
    assert!(
        lm.attributes.contains(&LinkAttribute::Address(mac(1))),
        "br_dev_delete does not recalculate the bridge id"
    );
}

/// br_fill_ifinfo(): an AF_BRIDGE notification carries ifname, master,
/// mtu, operstate, address and link, then IFLA_PROTINFO (NLA_F_NESTED) with
/// br_port_fill_attrs; ifi_change is 0. Nothing is built without listeners.
#[test]
fn br_fill_ifinfo_attributes() {
    let (mut k, init) = kernel();
    add_veth(&mut k, init, "v0", "v1", 1, 2);
    add_bridge(&mut k, init, "br0", None);
    let from = k.mcast_next_seq();
    Client::new(&mut k, init)
        .set_master("v0", Some("br0"))
        .unwrap();
    assert!(k.mcast_since(from).unwrap().is_empty(), "no listeners");
    k.mcast_listen(1);
    Client::new(&mut k, init).set_master("v0", None).unwrap();
    let from = k.mcast_next_seq();
    Client::new(&mut k, init)
        .set_master("v0", Some("br0"))
        .unwrap();
    let msgs = k.mcast_since(from).unwrap();
    let bytes = msgs
        .iter()
        .map(|m| &m.bytes)
        .find(|b| b[16] == 7)
        .expect("an AF_BRIDGE message");
    assert_eq!(u16::from_ne_bytes([bytes[4], bytes[5]]), 16, "RTM_NEWLINK");
    let mut types = Vec::new();
    let mut i = 32;
    while i + 4 <= bytes.len() {
        let len = u16::from_ne_bytes([bytes[i], bytes[i + 1]]) as usize;
        types.push(u16::from_ne_bytes([bytes[i + 2], bytes[i + 3]]));
        i += (len + 3) & !3;
    }
    // IFNAME, MASTER, MTU, OPERSTATE, ADDRESS, LINK, PROTINFO|NLA_F_NESTED.
    assert_eq!(types, [3, 10, 4, 16, 1, 5, 12 | 0x8000]);
}

/// br_gc_timer: `br_stp_enable_bridge` arms the fdb gc HZ/10 after open and
/// it rearms every ageing time (300 s) with nothing to age; 0 when down.
#[test]
fn br_gc_timer_counts_down_from_open() {
    let (mut k, init) = kernel();
    add_bridge(&mut k, init, "br0", None);
    let br = k.dev_get_by_name(init, "br0").unwrap();
    assert_eq!(k.br_gc_timer(br), 0);
    Client::new(&mut k, init).set_up("br0", true).unwrap();
    assert_eq!(k.br_gc_timer(br), 10, "HZ/10 in clock_t");
    // Nothing to age queues no bridge work (the port-less bridge, UNKNOWN
    // with carrier, only has its link-local's DAD queued); the timer was
    // armed HZ/10 after open and rearms every ageing time, so at 1 s it
    // waits for the next period: 0.1 s + 300 s - 1 s = 29,910 clock_t.
    assert!(k
        .pending_work()
        .iter()
        .all(|w| matches!(w.work, ifnet_core::workqueue::Work::AddrconfDad(_))));
    k.advance_to(Instant::from_nanos(1_000_000_000));
    k.run_due_now();
    assert_eq!(k.br_gc_timer(br), 29_910);
    Client::new(&mut k, init).set_up("br0", false).unwrap();
    assert_eq!(k.br_gc_timer(br), 0);
}
