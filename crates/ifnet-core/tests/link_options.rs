//! The link options of issue 10 through genuine rtnetlink bytes: IFF_PROMISC
//! and IFF_ALLMULTI (`__dev_change_flags`, `__dev_set_promiscuity`,
//! `netif_set_allmulti`), the GSO/GRO limits (`validate_linkmsg`, the
//! `ifla_policy` minimum), queue counts (`rtnl_create_link`,
//! `veth_get_num_queues` over the possible-CPU parameter), `do_set_proto_down`,
//! the group forms (`rtnl_group_changelink`, `rtnl_group_dellink`),
//! IFLA_LINK_NETNSID (`rtnl_newlink`), `veth_validate`'s MTU check and
//! `rtnl_bridge_dellink`. Each test names the function it pins.

use ifnet_core::client::{Client, NlError};
use ifnet_core::consts::{IFF_ALLMULTI, IFF_PROMISC, IFF_UP};
use ifnet_core::{Errno, Kernel, KernelProfile, NetId};
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

fn kernel() -> (Kernel, NetId) {
    let k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    (k, init)
}

fn named(name: &str) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName(name.into()));
    m
}

/// `ip link set NAME` with ifi_flags/ifi_change set for one flag.
fn set_flag(c: &mut Client, name: &str, bit: u32, on: bool) -> Result<(), NlError> {
    let mut m = named(name);
    m.header.change_mask = LinkFlags::from_bits_retain(bit);
    if on {
        m.header.flags = LinkFlags::from_bits_retain(bit);
    }
    c.request(RouteNetlinkMessage::NewLink(m), NLM_F_ACK)
        .map(|_| ())
}

fn flags_of(k: &mut Kernel, net: NetId, name: &str) -> u32 {
    Client::new(k, net).get(name).unwrap().header.flags.bits()
}

fn add_veth_with(
    k: &mut Kernel,
    net: NetId,
    name: &str,
    attrs: Vec<LinkAttribute>,
) -> Result<(), NlError> {
    let mut m = named(name);
    m.attributes.extend(attrs);
    m.attributes
        .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
            InfoKind::Veth,
        )]));
    Client::new(k, net)
        .request(
            RouteNetlinkMessage::NewLink(m),
            NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(|_| ())
}

fn attr_u32(m: &LinkMessage, f: fn(&LinkAttribute) -> Option<u32>) -> Option<u32> {
    m.attributes.iter().find_map(f)
}

/// __dev_change_flags(): "promisc on" sets gflags' IFF_PROMISC, takes one
/// count, sets IFF_PROMISC in dev->flags and logs "entered promiscuous
/// mode"; a second "on" changes nothing; "off" undoes it all.
#[test]
fn dev_change_flags_promisc_counts_once() {
    let (mut k, init) = kernel();
    Client::new(&mut k, init).add_veth("v0", "v1").unwrap();
    let v0 = k.dev_get_by_name(init, "v0").unwrap();
    set_flag(&mut Client::new(&mut k, init), "v0", IFF_PROMISC, true).unwrap();
    set_flag(&mut Client::new(&mut k, init), "v0", IFF_PROMISC, true).unwrap();
    let d = k.dev(v0);
    assert_eq!((d.promiscuity, d.gflags & IFF_PROMISC), (1, IFF_PROMISC));
    assert_ne!(d.flags & IFF_PROMISC, 0);
    assert_ne!(flags_of(&mut k, init, "v0") & IFF_PROMISC, 0);
    assert_eq!(
        k.dmesg().last().map(String::as_str),
        Some("v0: entered promiscuous mode")
    );
    set_flag(&mut Client::new(&mut k, init), "v0", IFF_PROMISC, false).unwrap();
    let d = k.dev(v0);
    assert_eq!((d.promiscuity, d.gflags, d.flags & IFF_PROMISC), (0, 0, 0));
    assert_eq!(
        k.dmesg().last().map(String::as_str),
        Some("v0: left promiscuous mode")
    );
    assert_eq!(flags_of(&mut k, init, "v0") & IFF_PROMISC, 0);
    k.check_invariants().unwrap();
}

/// __dev_set_promiscuity() / netif_set_allmulti(): a bridge port's counts
/// set the bits in dev->flags but not in what user space sees
/// (netif_get_flags reports gflags); the user's "promisc on" adds a count
/// without a second log line; rtnl_dev_combine_flags keeps it across "up".
#[test]
fn bridge_port_counts_are_not_the_users() {
    let (mut k, init) = kernel();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    c.add_bridge("br0").unwrap();
    c.set_master("v0", Some("br0")).unwrap();
    let v0 = k.dev_get_by_name(init, "v0").unwrap();
    let d = k.dev(v0);
    assert_eq!((d.promiscuity, d.allmulti), (1, 1));
    assert_eq!(
        d.flags & (IFF_PROMISC | IFF_ALLMULTI),
        IFF_PROMISC | IFF_ALLMULTI
    );
    assert_eq!(
        flags_of(&mut k, init, "v0") & (IFF_PROMISC | IFF_ALLMULTI),
        0
    );
    let logged = k.dmesg().len();
    set_flag(&mut Client::new(&mut k, init), "v0", IFF_PROMISC, true).unwrap();
    assert_eq!(k.dev(v0).promiscuity, 2);
    assert_eq!(k.dmesg().len(), logged, "no flip, no line");
    Client::new(&mut k, init).set_up("v0", true).unwrap();
    assert_ne!(flags_of(&mut k, init, "v0") & IFF_PROMISC, 0);
    Client::new(&mut k, init).set_master("v0", None).unwrap();
    let d = k.dev(v0);
    assert_eq!((d.promiscuity, d.allmulti), (1, 0));
    assert_eq!(
        k.dmesg().last().map(String::as_str),
        Some("v0: left allmulticast mode")
    );
    k.check_invariants().unwrap();
}

/// netif_set_allmulti(): "allmulticast on" logs "entered allmulticast mode"
/// and reports IFF_ALLMULTI; deleting a port logs with the reg_state
/// (netdev_reg_state: " (unregistering)").
#[test]
fn netif_set_allmulti_logs_and_unregistering_prefix() {
    let (mut k, init) = kernel();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    set_flag(&mut c, "v0", IFF_ALLMULTI, true).unwrap();
    assert_eq!(
        k.dmesg().last().map(String::as_str),
        Some("v0: entered allmulticast mode")
    );
    assert_ne!(flags_of(&mut k, init, "v0") & IFF_ALLMULTI, 0);
    let mut c = Client::new(&mut k, init);
    c.add_bridge("br0").unwrap();
    c.set_master("v1", Some("br0")).unwrap();
    c.del("v1").unwrap();
    let log = k.dmesg();
    assert!(
        log.iter()
            .any(|l| l == "v1 (unregistering): left promiscuous mode"),
        "{log:?}"
    );
}

/// validate_linkmsg(): "too big gso_max_size" / "too big gso_max_segs" /
/// "too big gro_max_size" (EINVAL) against the device's limits; the
/// ifla_policy minimum of IFLA_GSO_MAX_SIZE is -ERANGE "integer out of
/// range"; stored values come back in the fill, gso_ipv4_max_size
/// following gso_max_size below GSO_LEGACY_MAX_SIZE.
#[test]
fn validate_linkmsg_gso_limits() {
    let (mut k, init) = kernel();
    Client::new(&mut k, init).add_veth("v0", "v1").unwrap();
    let mut c = Client::new(&mut k, init);
    let err = |r: Result<(), NlError>| r.map_err(|e| (e.errno, e.extack)).unwrap_err();
    let e = err(c.set("v0", vec![LinkAttribute::GsoMaxSize(524_281)]));
    assert_eq!(e, (Errno::EINVAL, Some("too big gso_max_size".into())));
    let e = err(c.set("v0", vec![LinkAttribute::GsoMaxSegs(65_536)]));
    assert_eq!(e, (Errno::EINVAL, Some("too big gso_max_segs".into())));
    let e = err(c.set("v0", vec![LinkAttribute::GroMaxSize(524_281)]));
    assert_eq!(e, (Errno::EINVAL, Some("too big gro_max_size".into())));
    let e = err(c.set("v0", vec![LinkAttribute::GsoIpv4MaxSize(524_281)]));
    assert_eq!(e, (Errno::EINVAL, Some("too big gso_ipv4_max_size".into())));
    let e = err(c.set(
        "v0",
        vec![LinkAttribute::GsoMaxSize(192), LinkAttribute::Mtu(1400)],
    ));
    assert_eq!(e, (Errno::ERANGE, Some("integer out of range".into())));
    c.set(
        "v0",
        vec![
            LinkAttribute::GsoMaxSize(1000),
            LinkAttribute::GroMaxSize(70_000),
        ],
    )
    .unwrap();
    let m = c.get("v0").unwrap();
    assert_eq!(
        m.attributes.iter().find_map(|a| match a {
            LinkAttribute::Mtu(v) => Some(*v),
            _ => None,
        }),
        Some(1500),
        "the policy error came first"
    );
    let get = |f: fn(&LinkAttribute) -> Option<u32>| attr_u32(&m, f);
    assert_eq!(
        get(|a| match a {
            LinkAttribute::GsoMaxSize(v) => Some(*v),
            _ => None,
        }),
        Some(1000)
    );
    assert_eq!(
        get(|a| match a {
            LinkAttribute::GsoIpv4MaxSize(v) => Some(*v),
            _ => None,
        }),
        Some(1000)
    );
    assert_eq!(
        get(|a| match a {
            LinkAttribute::GroMaxSize(v) => Some(*v),
            _ => None,
        }),
        Some(70_000)
    );
    assert_eq!(
        get(|a| match a {
            LinkAttribute::GroIpv4MaxSize(v) => Some(*v),
            _ => None,
        }),
        Some(65_536)
    );
}

/// rtnl_create_link() / veth_get_num_queues(): a veth gets one queue per
/// possible CPU (the model's hardware parameter, capped at 4096) unless the
/// request names its queues; 0 and 4097 are "Invalid number of ... queues";
/// a bridge gets 1.
#[test]
fn rtnl_create_link_queue_counts() {
    let (mut k, init) = kernel();
    assert_eq!(k.num_possible_cpus(), 1);
    k.set_num_possible_cpus(6);
    add_veth_with(&mut k, init, "v0", vec![]).unwrap();
    add_veth_with(&mut k, init, "v2", vec![LinkAttribute::NumTxQueues(3)]).unwrap();
    let q = |k: &mut Kernel, n: &str| {
        let m = Client::new(k, init).get(n).unwrap();
        let tx = attr_u32(&m, |a| match a {
            LinkAttribute::NumTxQueues(v) => Some(*v),
            _ => None,
        });
        let rx = attr_u32(&m, |a| match a {
            LinkAttribute::NumRxQueues(v) => Some(*v),
            _ => None,
        });
        (tx.unwrap(), rx.unwrap())
    };
    assert_eq!(q(&mut k, "v0"), (6, 6));
    assert_eq!(q(&mut k, "v2"), (3, 6));
    let e = add_veth_with(&mut k, init, "v4", vec![LinkAttribute::NumTxQueues(4097)]).unwrap_err();
    assert_eq!(
        e.extack.as_deref(),
        Some("Invalid number of transmit queues")
    );
    let e = add_veth_with(&mut k, init, "v4", vec![LinkAttribute::NumRxQueues(0)]).unwrap_err();
    assert_eq!(
        e.extack.as_deref(),
        Some("Invalid number of receive queues")
    );
    Client::new(&mut k, init).add_bridge("br0").unwrap();
    assert_eq!(q(&mut k, "br0"), (1, 1));
    k.set_num_possible_cpus(10_000);
    add_veth_with(&mut k, init, "v6", vec![]).unwrap();
    assert_eq!(q(&mut k, "v6"), (4096, 4096));
}

/// do_set_proto_down(): no modelled driver has change_proto_down, so
/// IFLA_PROTO_DOWN (either value) is EOPNOTSUPP "Protodown not supported by
/// device" — after do_setlink applied the MTU before it, with the kernel's
/// warning about a partly applied request.
#[test]
fn do_set_proto_down_not_supported() {
    let (mut k, init) = kernel();
    Client::new(&mut k, init).add_veth("v0", "v1").unwrap();
    let mut c = Client::new(&mut k, init);
    let e = c
        .set(
            "v0",
            vec![LinkAttribute::Mtu(1400), LinkAttribute::ProtoDown(1)],
        )
        .unwrap_err();
    assert_eq!(
        (e.errno, e.extack.as_deref()),
        (Errno::EOPNOTSUPP, Some("Protodown not supported by device"))
    );
    let e = c.set("v0", vec![LinkAttribute::ProtoDown(0)]).unwrap_err();
    assert_eq!(e.errno, Errno::EOPNOTSUPP);
    let m = c.get("v0").unwrap();
    assert!(m.attributes.contains(&LinkAttribute::Mtu(1400)));
    assert!(k.dmesg().last().unwrap().starts_with(
        "A link change request failed with some changes committed already. Interface v0"
    ));
}

/// rtnl_group_changelink() / rtnl_group_dellink(): an RTM_NEWLINK without a
/// device but with IFLA_GROUP changes every member; RTM_DELLINK by group
/// deletes them (EPERM for group 0, ENODEV for an empty group,
/// EOPNOTSUPP when a member has no dellink).
#[test]
fn rtnl_group_changelink_and_dellink() {
    let (mut k, init) = kernel();
    add_veth_with(&mut k, init, "v0", vec![LinkAttribute::Group(7)]).unwrap();
    add_veth_with(&mut k, init, "v2", vec![LinkAttribute::Group(7)]).unwrap();
    let mut group = LinkMessage::default();
    group.attributes.push(LinkAttribute::Group(7));
    group.attributes.push(LinkAttribute::Mtu(1400));
    group.header.flags = LinkFlags::Up;
    group.header.change_mask = LinkFlags::Up;
    let mut c = Client::new(&mut k, init);
    c.request(RouteNetlinkMessage::NewLink(group), NLM_F_ACK)
        .unwrap();
    for n in ["v0", "v2"] {
        let m = c.get(n).unwrap();
        assert!(m.attributes.contains(&LinkAttribute::Mtu(1400)), "{n}");
        assert_ne!(m.header.flags.bits() & IFF_UP, 0, "{n}");
    }
    // Without VETH_INFO_PEER the peers took IFLA_GROUP from the request.
    let m = c.get("veth0").unwrap();
    assert!(
        m.attributes.contains(&LinkAttribute::Mtu(1400)),
        "peer in group 7"
    );
    let del = |g: u32| {
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::Group(g));
        RouteNetlinkMessage::DelLink(m)
    };
    assert_eq!(
        c.request(del(0), NLM_F_ACK).unwrap_err().errno,
        Errno::EPERM
    );
    assert_eq!(
        c.request(del(9), NLM_F_ACK).unwrap_err().errno,
        Errno::ENODEV
    );
    c.set("lo", vec![LinkAttribute::Group(7)]).unwrap();
    assert_eq!(
        c.request(del(7), NLM_F_ACK).unwrap_err().errno,
        Errno::EOPNOTSUPP
    );
    c.set("lo", vec![LinkAttribute::Group(0)]).unwrap();
    c.request(del(7), NLM_F_ACK).unwrap();
    assert_eq!(
        c.names(),
        vec!["lo".to_string()],
        "peers go with their veth"
    );
    k.check_invariants().unwrap();
}

/// rtnl_newlink(): IFLA_LINK_NETNSID must be an id the target namespace
/// knows (EINVAL "Unknown network namespace id"); a veth created with one
/// puts its peer there (rtnl_newlink_peer_net falls back to the link net).
#[test]
fn rtnl_newlink_link_netnsid() {
    let (mut k, init) = kernel();
    let x = k.netns_new().unwrap();
    let e = add_veth_with(&mut k, init, "v0", vec![LinkAttribute::LinkNetNsId(0)]).unwrap_err();
    assert_eq!(
        (e.errno, e.extack.as_deref()),
        (Errno::EINVAL, Some("Unknown network namespace id"))
    );
    let id = k.rtnl_net_newid(init, x);
    assert_eq!(id, 0);
    assert_eq!(k.rtnl_net_newid(init, init), 1, "an id for oneself");
    add_veth_with(&mut k, init, "v0", vec![LinkAttribute::LinkNetNsId(id)]).unwrap();
    assert!(k.dev_get_by_name(x, "veth0").is_some());
    assert!(k.dev_get_by_name(init, "v0").is_some());
    k.check_invariants().unwrap();
}

/// veth_validate(): IFLA_MTU outside ETH_MIN_MTU..ETH_MAX_MTU is a bare
/// EINVAL, for the device and for its peer (rtnl_get_peer_net validates
/// the peer's ifinfomsg too).
#[test]
fn veth_validate_mtu() {
    let (mut k, init) = kernel();
    let e = add_veth_with(&mut k, init, "v0", vec![LinkAttribute::Mtu(67)]).unwrap_err();
    assert_eq!((e.errno, e.extack), (Errno::EINVAL, None));
    let mut peer = named("p0");
    peer.attributes.push(LinkAttribute::Mtu(65_536));
    let mut m = named("v0");
    m.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Veth),
        LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
    ]));
    let e = Client::new(&mut k, init)
        .request(
            RouteNetlinkMessage::NewLink(m),
            NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        )
        .unwrap_err();
    assert_eq!((e.errno, e.extack), (Errno::EINVAL, None));
    add_veth_with(&mut k, init, "v0", vec![LinkAttribute::Mtu(65_535)]).unwrap();
}

/// rtnl_bridge_dellink(): RTM_DELLINK of family PF_BRIDGE deletes nothing:
/// a bridge port is answered by br_dellink (0), anything else EOPNOTSUPP,
/// an unknown index ENODEV "unknown ifindex".
#[test]
fn rtnl_bridge_dellink_deletes_nothing() {
    let (mut k, init) = kernel();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    c.add_bridge("br0").unwrap();
    c.set_master("v0", Some("br0")).unwrap();
    let del = |c: &mut Client, index: u32| {
        let mut m = LinkMessage::default();
        m.header.interface_family = AddressFamily::Bridge;
        m.header.index = index;
        c.request(RouteNetlinkMessage::DelLink(m), NLM_F_ACK)
    };
    let v0 = c.get("v0").unwrap().header.index;
    let v1 = c.get("v1").unwrap().header.index;
    del(&mut c, v0).unwrap();
    assert_eq!(del(&mut c, v1).unwrap_err().errno, Errno::EOPNOTSUPP);
    let e = del(&mut c, 99).unwrap_err();
    assert_eq!(
        (e.errno, e.extack.as_deref()),
        (Errno::ENODEV, Some("unknown ifindex"))
    );
    assert_eq!(c.names().len(), 4);
}

/// netif_set_tso_max_size() via netdev_compute_master_upper_features(): a
/// bridge's GSO limits come down when a port with a smaller TSO limit (a
/// NIC: TSO_LEGACY_MAX_SIZE) joins, and stay down when it leaves.
#[test]
fn netif_set_tso_max_size_clamps_a_bridge() {
    let (mut k, init) = kernel();
    let mac = ifnet_core::HwAddr::new(&[0x52, 0x54, 0, 0x12, 0x34, 0x56]).unwrap();
    let spec = ifnet_core::HwSpec::Nic {
        mac,
        driver: None,
        segment: None,
    };
    k.hw_add("0000:00:03.0", spec).unwrap();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    c.add_bridge("br0").unwrap();
    c.set_master("v0", Some("br0")).unwrap();
    c.set("br0", vec![LinkAttribute::GsoMaxSize(524_280)])
        .unwrap();
    let gso = |c: &mut Client| {
        let m = c.get("br0").unwrap();
        attr_u32(&m, |a| match a {
            LinkAttribute::GsoMaxSize(v) => Some(*v),
            _ => None,
        })
    };
    assert_eq!(gso(&mut c), Some(524_280));
    c.set_master("eth0", Some("br0")).unwrap();
    assert_eq!(gso(&mut c), Some(65_536));
    c.set_master("eth0", None).unwrap();
    assert_eq!(gso(&mut c), Some(65_536));
    let e = c
        .set("br0", vec![LinkAttribute::GsoMaxSize(524_281)])
        .unwrap_err();
    assert_eq!(e.extack.as_deref(), Some("too big gso_max_size"));
}
