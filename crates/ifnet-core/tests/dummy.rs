//! The dummy driver (drivers/net/dummy.c, Linux 6.18) and the ops tables it
//! is reached through. This machine's kernel has no dummy, so the oracle is
//! the source: `dummy_setup`, `dummy_xmit`, `dummy_validate`,
//! `dummy_change_carrier`, and the core paths every rtnl kind shares
//! (`rtnl_newlink_create`, `rtnl_link_fill`, `default_device_exit_batch`).
//! Every test names the kernel function it pins.

use ifnet_core::client::Client;
use ifnet_core::consts::*;
use ifnet_core::datapath::Xmit;
use ifnet_core::drivers::{rtnl_link_ops_get, LINK_KINDS};
use ifnet_core::wire::LinkType;
use ifnet_core::{DevId, Errno, HwAddr, Kernel, KernelProfile, NetId};
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL};
use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkInfo, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;

/// `ip link add [NAME] type dummy [address A]`.
fn add_dummy(
    k: &mut Kernel,
    net: NetId,
    name: Option<&str>,
    addr: Option<Vec<u8>>,
) -> Result<(), Errno> {
    let mut m = LinkMessage::default();
    if let Some(n) = name {
        m.attributes.push(LinkAttribute::IfName(n.to_string()));
    }
    if let Some(a) = addr {
        m.attributes.push(LinkAttribute::Address(a));
    }
    m.attributes
        .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
            InfoKind::Dummy,
        )]));
    Client::new(k, net)
        .request(
            RouteNetlinkMessage::NewLink(m),
            NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(|_| ())
        .map_err(|e| e.errno)
}

fn setup() -> (Kernel, NetId, DevId) {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    add_dummy(&mut k, init, Some("d0"), None).unwrap();
    let d = k.dev_get_by_name(init, "d0").unwrap();
    (k, init, d)
}

fn linkinfo(m: &LinkMessage) -> Vec<LinkInfo> {
    m.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::LinkInfo(i) => Some(i.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// `dummy_setup()`: ether_setup, then IFF_NOARP on and IFF_MULTICAST off,
/// IFF_LIVE_ADDR_CHANGE | IFF_NO_QUEUE, no MTU bounds, a random address.
#[test]
fn dummy_setup_flags_mtu_and_random_address() {
    let (k, _, d) = setup();
    let dev = k.dev(d);
    assert_eq!(dev.dev_type, ARPHRD_ETHER);
    assert_eq!(dev.flags, IFF_BROADCAST | IFF_NOARP);
    assert_eq!(dev.priv_flags & IFF_LIVE_ADDR_CHANGE, IFF_LIVE_ADDR_CHANGE);
    assert_eq!(dev.priv_flags & IFF_NO_QUEUE, IFF_NO_QUEUE);
    assert_eq!((dev.mtu, dev.min_mtu, dev.max_mtu), (1500, 0, 0));
    assert_eq!(dev.tx_queue_len, 1000);
    assert_eq!(dev.addr_assign_type, AddrAssign::Random);
    assert!(dev.dev_addr.is_valid_ether());
    assert_eq!(dev.dev_addr.as_bytes()[0] & 0x03, 0x02, "local, unicast");
    assert!(dev.carrier, "carrier on from alloc_netdev");
    assert!(!dev.netns_immutable);
    assert_eq!(k.link_kind(d), Some("dummy"));
    assert_eq!(k.sysfs_read(d, "device/driver"), None);
}

/// `alloc_netdev(…, "dummy%d", …)` via `rtnl_newlink_create`: no name
/// gives dummy0, dummy1, …
#[test]
fn rtnl_newlink_create_names_dummy_enum() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    add_dummy(&mut k, init, None, None).unwrap();
    add_dummy(&mut k, init, None, None).unwrap();
    assert!(k.dev_get_by_name(init, "dummy0").is_some());
    assert!(k.dev_get_by_name(init, "dummy1").is_some());
}

/// `dummy_validate()`: IFLA_ADDRESS must be 6 bytes (EINVAL) and a valid
/// unicast address (EADDRNOTAVAIL); a good one is kept (NET_ADDR_SET).
#[test]
fn dummy_validate_checks_ifla_address() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let short = add_dummy(&mut k, init, Some("d0"), Some(vec![2, 0, 0, 0, 0]));
    assert_eq!(short, Err(Errno::EINVAL));
    let mcast = add_dummy(&mut k, init, Some("d0"), Some(vec![1, 0, 0, 0, 0, 1]));
    assert_eq!(mcast, Err(Errno::EADDRNOTAVAIL));
    assert!(k.dev_get_by_name(init, "d0").is_none());
    add_dummy(&mut k, init, Some("d0"), Some(vec![2, 0, 0, 0, 0, 7])).unwrap();
    let d = k.dev_get_by_name(init, "d0").unwrap();
    assert_eq!(k.dev(d).dev_addr, HwAddr::new(&[2, 0, 0, 0, 0, 7]).unwrap());
    assert_eq!(k.dev(d).addr_assign_type, AddrAssign::Set);
}

/// `__dev_open()` of a dummy: noqueue qdisc, carrier never touched by the
/// driver so linkwatch never runs and operstate stays UNKNOWN (like lo).
#[test]
fn dev_open_dummy_is_up_lower_up_unknown() {
    let (mut k, init, d) = setup();
    Client::new(&mut k, init).set_up("d0", true).unwrap();
    k.run_until_idle();
    let dev = k.dev(d);
    assert!(dev.is_up() && dev.running() && dev.carrier);
    assert_eq!(dev.operstate, OperState::Unknown);
    assert_eq!(dev.qdisc.name(), "noqueue");
}

/// `dummy_xmit()`: `dev_lstats_add` then `dev_kfree_skb`: counted as sent,
/// nothing received, nothing delivered. Down, `dev_queue_xmit` drops.
#[test]
fn dummy_xmit_counts_tx_and_frees() {
    let (mut k, init, d) = setup();
    let frame = [0xffu8; 60];
    assert_ne!(k.dev_queue_xmit(d, &frame), Xmit::Sent, "down: -ENETDOWN");
    Client::new(&mut k, init).set_up("d0", true).unwrap();
    for _ in 0..3 {
        assert_eq!(k.dev_queue_xmit(d, &frame), Xmit::Sent);
    }
    let s = k.dev_get_stats(d);
    assert_eq!((s.tx_packets, s.tx_bytes), (3, 180));
    assert_eq!((s.rx_packets, s.rx_bytes), (0, 0));
    assert_eq!(k.dev(d).delivered_packets, 0);
}

/// `dev_change_carrier()` → `dummy_change_carrier()`; a veth has no
/// `ndo_change_carrier`: -EOPNOTSUPP.
#[test]
fn dev_change_carrier_dummy_only() {
    let (mut k, init, d) = setup();
    let mut c = Client::new(&mut k, init);
    c.set_up("d0", true).unwrap();
    c.set("d0", vec![LinkAttribute::Carrier(0)]).unwrap();
    k.run_until_idle();
    assert!(!k.dev(d).carrier);
    assert_eq!(k.dev(d).operstate, OperState::Down);
    Client::new(&mut k, init)
        .set("d0", vec![LinkAttribute::Carrier(1)])
        .unwrap();
    k.run_until_idle();
    assert!(k.dev(d).carrier);
    assert_eq!(k.dev(d).operstate, OperState::Up);
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    let e = c.set("v0", vec![LinkAttribute::Carrier(1)]).unwrap_err();
    assert_eq!(e.errno, Errno::EOPNOTSUPP);
}

/// `dev_validate_mtu()` with dummy's max_mtu 0: no upper bound.
#[test]
fn dev_validate_mtu_dummy_unbounded() {
    let (mut k, init, d) = setup();
    Client::new(&mut k, init)
        .set("d0", vec![LinkAttribute::Mtu(65535)])
        .unwrap();
    assert_eq!(k.dev(d).mtu, 65535);
}

/// `eth_mac_addr()` with IFF_LIVE_ADDR_CHANGE: an UP dummy takes a new
/// address; an invalid one is -EADDRNOTAVAIL.
#[test]
fn eth_mac_addr_dummy_live_change() {
    let (mut k, init, d) = setup();
    let mut c = Client::new(&mut k, init);
    c.set_up("d0", true).unwrap();
    c.set("d0", vec![LinkAttribute::Address(vec![2, 1, 2, 3, 4, 5])])
        .unwrap();
    let e = c
        .set("d0", vec![LinkAttribute::Address(vec![1, 1, 2, 3, 4, 5])])
        .unwrap_err();
    assert_eq!(e.errno, Errno::EADDRNOTAVAIL);
    assert_eq!(k.dev(d).dev_addr.as_bytes(), &[2, 1, 2, 3, 4, 5]);
}

/// `rtnl_link_fill()`: IFLA_INFO_KIND "dummy" and no IFLA_INFO_DATA (no
/// fill_info); `link_kind_filtered()` keeps only dummies in a kind dump.
#[test]
fn rtnl_link_fill_dummy_kind_and_kind_filter() {
    let (mut k, init, _) = setup();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    let info = linkinfo(&c.get("d0").unwrap());
    assert_eq!(info, vec![LinkInfo::Kind(InfoKind::Dummy)]);
    let mut filter = LinkMessage::default();
    filter
        .attributes
        .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
            InfoKind::Dummy,
        )]));
    let links = c
        .request(RouteNetlinkMessage::GetLink(filter), NLM_F_DUMP)
        .unwrap();
    let names: Vec<_> = links
        .iter()
        .filter_map(ifnet_core::client::link_name)
        .collect();
    assert_eq!(names, vec!["d0".to_string()]);
}

/// `dev_change_net_namespace()`: dummy is not netns-local; then
/// `default_device_exit_batch()` deletes it with its namespace (it has
/// rtnl_link_ops and no netns_refund); `rtnl_dellink` deletes one.
#[test]
fn default_device_exit_batch_deletes_moved_dummy() {
    let (mut k, init, d) = setup();
    let ns = k.netns_new().unwrap();
    Client::new(&mut k, init).set_netns("d0", ns, None).unwrap();
    assert_eq!(k.dev(d).net, ns);
    add_dummy(&mut k, init, Some("d1"), None).unwrap();
    Client::new(&mut k, init).del("d1").unwrap();
    assert!(k.dev_get_by_name(init, "d1").is_none());
    k.netns_put(ns).unwrap();
    k.run_until_idle();
    assert!(k.try_dev(d).is_none());
    assert!(k.dev_get_by_name(init, "d0").is_none());
    k.check_invariants().unwrap();
}

/// A dummy as a bridge port: `rtnl_link_slave_info_fill()` goes through
/// the master's `fill_slave_info` (br_port_fill_slave_info).
#[test]
fn rtnl_link_slave_info_fill_dummy_port() {
    let (mut k, init, _) = setup();
    let mut c = Client::new(&mut k, init);
    c.add_bridge("br0").unwrap();
    c.set_master("d0", Some("br0")).unwrap();
    let info = linkinfo(&c.get("d0").unwrap());
    assert_eq!(info[0], LinkInfo::Kind(InfoKind::Dummy));
    assert!(matches!(info[1], LinkInfo::PortKind(_)));
    assert!(matches!(info[2], LinkInfo::PortData(_)));
}

/// `rtnl_link_ops_get()`: the registered kinds, each once, each private
/// state leading back to its table; lo and the bus drivers are no kind.
#[test]
fn rtnl_link_ops_get_registry() {
    let kinds: Vec<_> = LINK_KINDS.iter().map(|o| o.kind).collect();
    assert_eq!(kinds, vec!["veth", "bridge", "dummy", "bond", "ipoib"]);
    assert!(rtnl_link_ops_get("dummy").is_some());
    assert!(rtnl_link_ops_get("loopback").is_none());
    assert!(rtnl_link_ops_get("bond").is_some());
    assert!(rtnl_link_ops_get("bond_slave").is_none());
    // Each kind's private state leads back to its own tables.
    for ops in LINK_KINDS {
        let back = (ops.alloc_priv)().ops().rtnl_link_ops.map(|o| o.kind);
        assert_eq!(back, Some(ops.kind));
    }
    let e = {
        let mut k = Kernel::new(KernelProfile::latest());
        let init = k.init_net();
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName("b0".into()));
        m.attributes
            .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                InfoKind::Team,
            )]));
        Client::new(&mut k, init)
            .request(RouteNetlinkMessage::NewLink(m), NLM_F_ACK | NLM_F_CREATE)
            .unwrap_err()
    };
    assert_eq!(e.errno, Errno::EOPNOTSUPP, "Unknown device type");
}

/// `eth_header_parse()` through the Ethernet link type's header ops;
/// IPoIB's have no parse, raw devices have none at all.
#[test]
fn header_ops_per_link_type() {
    let (k, _, d) = setup();
    let ops = k.dev_header_ops(d).expect("eth_header_ops");
    assert_eq!(ops.link_type, LinkType::Ether);
    assert_eq!(ops.hard_header_len, 14);
    let mut f = [0u8; 14];
    f[6..12].copy_from_slice(&[2, 9, 8, 7, 6, 5]);
    assert_eq!((ops.parse)(&f), HwAddr::new(&[2, 9, 8, 7, 6, 5]));
    assert_eq!((ops.parse)(&f[..10]), None);
    let ib = ifnet_core::driver::header_ops(LinkType::Infiniband).unwrap();
    assert_eq!(ib.hard_header_len, 24);
    assert!(ifnet_core::driver::header_ops(LinkType::None).is_none());
}

/// The state file keeps the private state, not the tables: a dummy
/// survives a save/load round trip (`rebuild_after_load`) with its kind.
#[test]
fn dummy_state_round_trip() {
    let (k, init, _) = setup();
    let json = serde_json::to_string(&k).unwrap();
    let mut k2: Kernel = serde_json::from_str(&json).unwrap();
    k2.rebuild_after_load().unwrap();
    let d = k2.dev_get_by_name(init, "d0").unwrap();
    assert_eq!(k2.link_kind(d), Some("dummy"));
}
