//! IPoIB on the hardware bus (drivers/infiniband/ulp/ipoib, Linux 6.18;
//! netvsc-bonding.md §3): the HCA port's device, carrier after the
//! broadcast join, the cable, the address, MTU and mode rules, P_Key
//! children, the InfiniBand segment, addrconf and the state file. Each
//! test names the kernel function it pins.

use ifnet_core::client::Client;
use ifnet_core::consts::*;
use ifnet_core::drivers::ipoib::{IPOIB_CM_MTU, IPOIB_SA_JOIN_LATENCY};
use ifnet_core::hw::HwSpec;
use ifnet_core::workqueue::Work;
use ifnet_core::{DevId, Errno, HwAddr, Kernel, KernelProfile, NetId};
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::LinkAttribute;

const BUS0: &str = "0000:03:00.0";
const BUS1: &str = "0000:04:00.0";
const GUID0: u64 = 0x0002_c903_00a1_b2c3;
const GUID1: u64 = 0x0002_c903_00a1_b2c4;
/// ib0's address: IPOIB_FLAGS_RC, QPN 0x48, fe80::/64 + GUID0.
const IB0_ADDR: &str = "80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:a1:b2:c3";

fn spec(guid: u64, qpn: u32, ib_mtu: u32, segment: &str) -> HwSpec {
    HwSpec::Ipoib {
        guid,
        qpn,
        segment: Some(segment.into()),
        ib_mtu,
    }
}

fn kernel() -> (Kernel, NetId) {
    let k = Kernel::new(KernelProfile::preset("6.18").unwrap());
    let init = k.init_net();
    (k, init)
}

/// Two HCA ports on segment "ib", both UP and joined.
fn two_ports() -> (Kernel, NetId, DevId, DevId) {
    let (mut k, init) = kernel();
    let a = k.hw_add(BUS0, spec(GUID0, 0x48, 2048, "ib")).unwrap();
    let b = k.hw_add(BUS1, spec(GUID1, 0x49, 2048, "ib")).unwrap();
    let mut c = Client::new(&mut k, init);
    c.set_up("ib0", true).unwrap();
    c.set_up("ib1", true).unwrap();
    k.run_until_idle();
    (k, init, a, b)
}

fn addr(s: &str) -> HwAddr {
    HwAddr::parse(s).unwrap()
}

/// An IPv4 frame from `dev` to `dst` through `header_ops->create`
/// (`ipoib_hard_header`), sent with dev_queue_xmit.
fn send_to(k: &mut Kernel, dev: DevId, dst: &[u8]) {
    let hops = k.dev_header_ops(dev).unwrap();
    let mut f = Vec::new();
    let src = k.dev(dev).dev_addr;
    assert!((hops.create)(
        &mut f,
        ifnet_core::wire::EthernetProtocol::Ipv4,
        dst,
        src.as_bytes()
    ));
    f.extend_from_slice(&[0x45; 40]);
    k.dev_queue_xmit(dev, &f);
}

/// ipoib_add_port("ib%d") → ipoib_setup_common + ipoib_ndo_init:
/// ARPHRD_INFINIBAND, addr_len 20 (flags 0x80, QPN, GID), the broadcast
/// address with P_Key 0xffff in bytes 8–9, IFF_BROADCAST|IFF_MULTICAST,
/// IPOIB_UD_MTU(4096) until the join, max_mtu IPOIB_CM_MTU, the 24-byte
/// hard header, perm_addr, carrier off.
#[test]
fn ipoib_add_port_registers_ib0() {
    let (mut k, init) = kernel();
    let ib0 = k.hw_add(BUS0, spec(GUID0, 0x48, 2048, "ib")).unwrap();
    let d = k.dev(ib0);
    assert_eq!(d.name.as_str(), "ib0");
    assert_eq!(d.dev_type, ARPHRD_INFINIBAND);
    assert_eq!(d.dev_addr, addr(IB0_ADDR));
    assert_eq!(d.perm_addr, addr(IB0_ADDR));
    assert_eq!(
        d.broadcast,
        addr("00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:ff:ff:ff:ff")
    );
    assert_eq!(d.flags, IFF_BROADCAST | IFF_MULTICAST);
    assert_eq!((d.mtu, d.min_mtu, d.max_mtu), (4092, 68, 65520));
    assert!(!d.carrier);
    assert_eq!(k.dev_header_ops(ib0).unwrap().hard_header_len, 24);
    let rd = |a| k.sysfs_read_by_name(init, "ib0", a);
    assert_eq!(rd("type").as_deref(), Some("32"));
    assert_eq!(rd("addr_len").as_deref(), Some("20"));
    assert_eq!(rd("device/driver").as_deref(), Some("mlx5_core"));
    assert_eq!(rd("mode").as_deref(), Some("datagram"));
    assert_eq!(rd("pkey").as_deref(), Some("0xffff"));
    assert_eq!(rd("umcast").as_deref(), Some("0"));
    assert_eq!(k.link_kind(ib0), Some("ipoib"));
    k.check_invariants().unwrap();
}

/// ipoib_open → ipoib_mcast_start_thread: no carrier until the SA answers
/// the broadcast join (ipoib_mcast_join_complete), then
/// ipoib_mcast_carrier_on_task sets min(mcast_mtu, admin_mtu) = 2044
/// (a 2K group) and the carrier.
#[test]
fn ipoib_mcast_carrier_on_task_after_broadcast_join() {
    let (mut k, init) = kernel();
    let ib0 = k.hw_add(BUS0, spec(GUID0, 0x48, 2048, "ib")).unwrap();
    let t0 = k.now();
    Client::new(&mut k, init).set_up("ib0", true).unwrap();
    assert!(!k.dev(ib0).carrier);
    let join: Vec<_> = k
        .pending_work()
        .into_iter()
        .filter(|w| w.work == Work::IpoibMcastJoin(ib0))
        .collect();
    assert_eq!(join.len(), 1);
    assert_eq!(join[0].due, t0 + IPOIB_SA_JOIN_LATENCY);
    k.advance_to(join[0].due);
    k.run_work_item(join[0].seq).unwrap();
    assert!(k.dev(ib0).carrier);
    assert_eq!(k.dev(ib0).mtu, 2044);
    k.run_until_idle();
    assert_eq!(
        k.dev(ib0).reported_operstate(),
        ifnet_core::consts::OperState::Up
    );
}

/// ipoib_mcast_join_complete with a 4K broadcast group: 4092.
#[test]
fn ipoib_mcast_join_4k_group_keeps_4092() {
    let (mut k, init) = kernel();
    let ib0 = k.hw_add(BUS0, spec(GUID0, 0x48, 4096, "ib")).unwrap();
    Client::new(&mut k, init).set_up("ib0", true).unwrap();
    k.run_until_idle();
    assert!(k.dev(ib0).carrier);
    assert_eq!(k.dev(ib0).mtu, 4092);
}

/// ipoib_event(IB_EVENT_PORT_ERR / PORT_ACTIVE) → __ipoib_ib_dev_flush:
/// a pulled cable drops the carrier at once (ipoib_ib_dev_down); back in,
/// the carrier waits for the re-join.
#[test]
fn ipoib_port_err_and_active_rejoin() {
    let (mut k, _init, ib0, _) = two_ports();
    let downs = k.dev(ib0).carrier_down_count;
    k.hw_carrier(BUS0, false).unwrap();
    assert!(!k.dev(ib0).carrier);
    assert_eq!(k.dev(ib0).carrier_down_count, downs + 1);
    assert!(k
        .pending_work()
        .iter()
        .all(|w| w.work != Work::IpoibMcastJoin(ib0)));
    k.run_until_idle();
    assert!(!k.dev(ib0).carrier, "no join while the port is down");
    k.hw_carrier(BUS0, true).unwrap();
    assert!(!k.dev(ib0).carrier, "not before the broadcast join");
    assert!(k
        .pending_work()
        .iter()
        .any(|w| w.work == Work::IpoibMcastJoin(ib0)));
    k.run_until_idle();
    assert!(k.dev(ib0).carrier);
    assert_eq!(k.hw_carrier("nope", true).unwrap_err().errno, Errno::ENODEV);
    k.check_invariants().unwrap();
}

/// A NIC's cable (the PHY's link interrupt): netif_carrier_off at once,
/// netif_carrier_on when plugged back while open; a NIC opened with its
/// cable out has no carrier.
#[test]
fn hw_carrier_pulls_a_nic_cable() {
    let (mut k, init) = kernel();
    let nic = HwSpec::Nic {
        mac: addr("52:54:00:00:00:01"),
        driver: None,
        segment: None,
    };
    let eth0 = k.hw_add("0000:00:05.0", nic).unwrap();
    k.hw_carrier("0000:00:05.0", false).unwrap();
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    assert!(!k.dev(eth0).carrier, "nic_open: no link with the cable out");
    k.hw_carrier("0000:00:05.0", true).unwrap();
    assert!(k.dev(eth0).carrier);
    k.hw_carrier("0000:00:05.0", false).unwrap();
    assert!(!k.dev(eth0).carrier);
    k.run_until_idle();
    assert_eq!(
        k.sysfs_read_by_name(init, "eth0", "operstate").as_deref(),
        Some("down")
    );
    k.check_invariants().unwrap();
}

/// ipoib_set_mac: -EBUSY while running; ipoib_check_lladdr: flags, QPN and
/// subnet prefix must match and the interface id be non-zero (-EINVAL);
/// down, set_base_guid changes the GUID. A 6-byte address is shorter
/// than addr_len (-EINVAL, do_setlink).
#[test]
fn ipoib_set_mac_rules() {
    let (mut k, init, ib0, _) = two_ports();
    let new = "80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:a1:b2:c5";
    let set = |k: &mut Kernel, a: &str| {
        Client::new(k, init).set(
            "ib0",
            vec![LinkAttribute::Address(addr(a).as_bytes().to_vec())],
        )
    };
    assert_eq!(set(&mut k, new).unwrap_err().errno, Errno::EBUSY);
    Client::new(&mut k, init).set_up("ib0", false).unwrap();
    let other_qpn = "80:00:00:49:fe:80:00:00:00:00:00:00:00:02:c9:03:00:a1:b2:c5";
    assert_eq!(set(&mut k, other_qpn).unwrap_err().errno, Errno::EINVAL);
    let zero_iid = "80:00:00:48:fe:80:00:00:00:00:00:00:00:00:00:00:00:00:00:00";
    assert_eq!(set(&mut k, zero_iid).unwrap_err().errno, Errno::EINVAL);
    assert_eq!(
        set(&mut k, "02:00:00:00:00:01").unwrap_err().errno,
        Errno::EINVAL
    );
    assert_eq!(k.dev(ib0).dev_addr, addr(IB0_ADDR));
    set(&mut k, new).unwrap();
    assert_eq!(k.dev(ib0).dev_addr, addr(new));
    assert_eq!(k.dev(ib0).perm_addr, addr(IB0_ADDR));
}

/// ipoib_change_mtu in datagram mode: 68..=4092 as admin_mtu, effective
/// min(mcast_mtu, admin_mtu); above IPOIB_UD_MTU(max_ib_mtu) -EINVAL.
#[test]
fn ipoib_change_mtu_datagram() {
    let (mut k, init, ib0, _) = two_ports();
    let mtu = |k: &mut Kernel, m| Client::new(k, init).set("ib0", vec![LinkAttribute::Mtu(m)]);
    assert_eq!(mtu(&mut k, 4093).unwrap_err().errno, Errno::EINVAL);
    mtu(&mut k, 1500).unwrap();
    assert_eq!(k.dev(ib0).mtu, 1500);
    mtu(&mut k, 4092).unwrap();
    assert_eq!(k.dev(ib0).mtu, 2044, "min(mcast_mtu, admin_mtu)");
}

/// ipoib_set_mode("connected"): IPOIB_CM_SUPPORTED, the warning, the CM
/// MTU; ipoib_change_mtu then takes up to IPOIB_CM_MTU (warning above
/// mcast_mtu); "datagram" takes min(mcast_mtu, mtu); sysfs `mode`.
#[test]
fn ipoib_set_mode_connected_and_back() {
    let (mut k, init, ib0, _) = two_ports();
    let from = k.dmesg().len();
    k.ipoib_set_mode(ib0, "connected").unwrap();
    assert_eq!(k.dev(ib0).mtu, IPOIB_CM_MTU);
    let log: Vec<String> = k.dmesg()[from..].to_vec();
    assert_eq!(
        log,
        [
            "ib0: enabling connected mode will cause multicast packet drops",
            "ib0: mtu > 2044 will cause multicast packet drops."
        ]
    );
    assert_eq!(
        k.sysfs_read_by_name(init, "ib0", "mode").as_deref(),
        Some("connected")
    );
    assert_eq!(
        k.ipoib_set_mode(ib0, "bogus").unwrap_err().errno,
        Errno::EINVAL
    );
    k.ipoib_set_mode(ib0, "datagram").unwrap();
    assert_eq!(k.dev(ib0).mtu, 2044);
}

/// ipoib_new_child_link → __ipoib_vlan_add: the P_Key child shares the
/// parent's GID with its own QPN, carries the P_Key in its broadcast
/// address, links to the parent (ipoib_get_iflink), reports
/// pkey/mode/umcast (ipoib_fill_info); the full-membership bit is forced
/// (ipoib_ndo_init); IFLA_IPOIB_MODE applies (ipoib_changelink).
#[test]
fn ipoib_new_child_link_makes_a_pkey_child() {
    let (mut k, init, ib0, _) = two_ports();
    Client::new(&mut k, init)
        .add_ipoib_child("ib0.8001", "ib0", Some(0x8001), None)
        .unwrap();
    Client::new(&mut k, init)
        .add_ipoib_child("ib0.8002", "ib0", Some(0x0002), Some(1))
        .unwrap();
    let c1 = k.dev_get_by_name(init, "ib0.8001").unwrap();
    let c2 = k.dev_get_by_name(init, "ib0.8002").unwrap();
    let a = k.dev(c1).dev_addr;
    assert_eq!(&a.as_bytes()[4..], &k.dev(ib0).dev_addr.as_bytes()[4..]);
    assert_eq!(&a.as_bytes()[..4], &[0x80, 0, 0, 0x49]);
    assert_eq!(&k.dev(c2).dev_addr.as_bytes()[..4], &[0x80, 0, 0, 0x4a]);
    assert_eq!(&k.dev(c1).broadcast.as_bytes()[8..10], &[0x80, 0x01]);
    assert_eq!(k.ipoib_priv(c2).unwrap().pkey, 0x8002);
    assert!(k.ipoib_priv(c2).unwrap().connected);
    assert_eq!(k.dev(c2).mtu, IPOIB_CM_MTU);
    assert_eq!(k.dev_get_iflink(c1), k.dev(ib0).ifindex);
    assert_eq!(k.ipoib_priv(ib0).unwrap().children, vec![c1, c2]);
    assert_eq!(
        k.sysfs_read_by_name(init, "ib0.8002", "pkey"),
        None,
        "no sysfs for RTNL children"
    );
    k.check_invariants().unwrap();
}

/// ipoib_new_child_link / __ipoib_vlan_add refusals: no IFLA_LINK
/// (-EINVAL), a parent that is not ARPHRD_INFINIBAND (-ENODEV), a child
/// of a child (-EINVAL, "child creation disallowed for child devices"),
/// P_Key 0 and 0x8000 (-EINVAL); a second RTNL child with the same P_Key
/// is allowed (is_child_unique checks legacy children only).
#[test]
fn ipoib_new_child_link_refusals() {
    let (mut k, init, ib0, _) = two_ports();
    Client::new(&mut k, init).add_veth("va", "vb").unwrap();
    let add = |k: &mut Kernel, name: &str, parent: Option<&str>, pkey| {
        let parent = parent.map(|p| k.dev(k.dev_get_by_name(init, p).unwrap()).ifindex);
        let m = ifnet_core::client::ipoib_newlink(name, parent, pkey, None);
        Client::new(k, init)
            .request(m, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
            .map(|_| ())
    };
    assert_eq!(
        add(&mut k, "x", None, Some(0x8001)).unwrap_err().errno,
        Errno::EINVAL
    );
    assert_eq!(
        add(&mut k, "x", Some("va"), Some(0x8001))
            .unwrap_err()
            .errno,
        Errno::ENODEV
    );
    assert_eq!(
        add(&mut k, "x", Some("ib0"), Some(0)).unwrap_err().errno,
        Errno::EINVAL
    );
    assert_eq!(
        add(&mut k, "x", Some("ib0"), Some(0x8000))
            .unwrap_err()
            .errno,
        Errno::EINVAL
    );
    add(&mut k, "ib0.8001", Some("ib0"), Some(0x8001)).unwrap();
    add(&mut k, "dup", Some("ib0"), Some(0x8001)).unwrap();
    let from = k.dmesg().len();
    assert_eq!(
        add(&mut k, "x", Some("ib0.8001"), Some(0x8003))
            .unwrap_err()
            .errno,
        Errno::EINVAL
    );
    assert_eq!(
        k.dmesg()[from],
        "ib0.8001: child creation disallowed for child devices"
    );
    assert!(k.dev_get_by_name(init, "x").is_none());
    assert_eq!(k.ipoib_priv(ib0).unwrap().children.len(), 2);
    k.check_invariants().unwrap();
}

/// ipoib_del_child_link: `ip link del ib0` succeeds and deletes nothing;
/// a child goes (ipoib_ndo_uninit takes it off child_intfs); the port's
/// removal (ipoib_remove_one) takes its children with it.
#[test]
fn ipoib_del_child_link_and_port_removal() {
    let (mut k, init, ib0, _) = two_ports();
    Client::new(&mut k, init)
        .add_ipoib_child("ib0.8001", "ib0", Some(0x8001), None)
        .unwrap();
    Client::new(&mut k, init)
        .add_ipoib_child("ib0.8002", "ib0", Some(0x8002), None)
        .unwrap();
    Client::new(&mut k, init).del("ib0").unwrap();
    assert!(k.dev_get_by_name(init, "ib0").is_some());
    Client::new(&mut k, init).del("ib0.8001").unwrap();
    assert_eq!(k.ipoib_priv(ib0).unwrap().children.len(), 1);
    k.hw_del(BUS0, false).unwrap();
    assert!(k.dev_get_by_name(init, "ib0").is_none());
    assert!(k.dev_get_by_name(init, "ib0.8002").is_none());
    k.check_invariants().unwrap();
}

/// The InfiniBand fabric and ipoib_ib_handle_rx_wc: a unicast reaches
/// only the QP it names (QPN + GID), the broadcast group every joined
/// port; a port with the cable out gets nothing; rx counts the pseudo
/// header, tx does not (ipoib_send after the pseudo header is pulled).
#[test]
fn ipoib_ib_handle_rx_wc_unicast_broadcast() {
    let (mut k, _init, ib0, ib1) = two_ports();
    let ib1_addr = k.dev(ib1).dev_addr;
    let bc = k.dev(ib0).broadcast;
    let rx0 = k.dev(ib1).stats.rx_packets;
    let tb = k.dev(ib0).stats.tx_bytes;
    send_to(&mut k, ib0, ib1_addr.as_bytes());
    assert_eq!(k.dev(ib1).stats.rx_packets, rx0 + 1);
    assert_eq!(k.dev(ib0).stats.tx_bytes, tb + 44);
    let rb = k.dev(ib1).stats.rx_bytes;
    let mut other = ib1_addr.as_bytes().to_vec();
    other[3] ^= 1;
    send_to(&mut k, ib0, &other);
    assert_eq!(k.dev(ib1).stats.rx_packets, rx0 + 1, "another QPN");
    send_to(&mut k, ib0, bc.as_bytes());
    assert_eq!(k.dev(ib1).stats.rx_packets, rx0 + 2);
    assert_eq!(k.dev(ib1).stats.rx_bytes, rb + 64);
    k.hw_carrier(BUS1, false).unwrap();
    send_to(&mut k, ib0, bc.as_bytes());
    assert_eq!(k.dev(ib1).stats.rx_packets, rx0 + 2);
}

/// The HCA's P_Key check: a child of P_Key 0x8001 hears only its
/// partition (the same P_Key on the other port), and the default
/// partition's frames reach only the port devices.
#[test]
fn ib_segment_xmit_keeps_partitions_apart() {
    let (mut k, init, ib0, ib1) = two_ports();
    Client::new(&mut k, init)
        .add_ipoib_child("ib0.8001", "ib0", Some(0x8001), None)
        .unwrap();
    Client::new(&mut k, init)
        .add_ipoib_child("ib1.8001", "ib1", Some(0x8001), None)
        .unwrap();
    let c0 = k.dev_get_by_name(init, "ib0.8001").unwrap();
    let c1 = k.dev_get_by_name(init, "ib1.8001").unwrap();
    for n in ["ib0.8001", "ib1.8001"] {
        Client::new(&mut k, init).set_up(n, true).unwrap();
    }
    k.run_until_idle();
    assert!(k.dev(c0).carrier && k.dev(c1).carrier);
    let (p1, q1) = (k.dev(ib1).stats.rx_packets, k.dev(c1).stats.rx_packets);
    let bc = k.dev(ib0).broadcast;
    send_to(&mut k, ib0, bc.as_bytes());
    assert_eq!(
        (k.dev(ib1).stats.rx_packets, k.dev(c1).stats.rx_packets),
        (p1 + 1, q1)
    );
    let bc1 = k.dev(c0).broadcast;
    send_to(&mut k, c0, bc1.as_bytes());
    assert_eq!(
        (k.dev(ib1).stats.rx_packets, k.dev(c1).stats.rx_packets),
        (p1 + 1, q1 + 1)
    );
    // A unicast to the child's own QPN from another partition fails the
    // HCA's P_Key check; from its partition it arrives.
    let c1_addr = k.dev(c1).dev_addr;
    send_to(&mut k, ib0, c1_addr.as_bytes());
    assert_eq!(k.dev(c1).stats.rx_packets, q1 + 1);
    send_to(&mut k, c0, c1_addr.as_bytes());
    assert_eq!(k.dev(c1).stats.rx_packets, q1 + 2);
    // A pulled cable takes the children's carrier too (ipoib_event).
    k.hw_carrier(BUS1, false).unwrap();
    assert!(!k.dev(c1).carrier);
    k.hw_carrier(BUS1, true).unwrap();
    k.run_until_idle();
    assert!(k.dev(c1).carrier);
}

/// Segments are typed: an Ethernet NIC cannot be cabled to an IB subnet,
/// nor an HCA port to an Ethernet LAN; nothing is probed.
#[test]
fn segment_refuses_another_link_type() {
    let (mut k, init, _, _) = two_ports();
    let before = k.devices_in(init).len();
    let nic = HwSpec::Nic {
        mac: addr("52:54:00:00:00:01"),
        driver: None,
        segment: Some("ib".into()),
    };
    let e = k.hw_add("0000:00:05.0", nic).unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    assert_eq!(
        e.extack.as_deref(),
        Some("The segment carries another link type")
    );
    let nic = HwSpec::Nic {
        mac: addr("52:54:00:00:00:01"),
        driver: None,
        segment: None,
    };
    k.hw_add("0000:00:05.0", nic).unwrap();
    assert!(k
        .hw_add("0000:05:00.0", spec(3, 0x50, 2048, "lan"))
        .is_err());
    assert_eq!(k.devices_in(init).len(), before + 1);
    assert_eq!(
        k.hw_add("0000:05:00.0", spec(0, 0x50, 2048, "ib"))
            .unwrap_err()
            .errno,
        Errno::EADDRNOTAVAIL,
        "GUID 0"
    );
}

/// addrconf_ifid_infiniband: the link-local interface id is the last 8
/// bytes of the address with bit 0x02 of the first set; the multicast
/// list holds ipv6_ib_mc_map's MGIDs (ff12:601b:<P_Key>::…).
#[test]
fn addrconf_ifid_infiniband_and_ipv6_ib_mc_map() {
    let (k, _init, ib0, _) = two_ports();
    let ll: std::net::Ipv6Addr = "fe80::202:c903:a1:b2c3".parse().unwrap();
    assert!(
        k.inet6_addrs(ib0).iter().any(|a| a.addr == ll),
        "{:?}",
        k.inet6_addrs(ib0)
    );
    let all_nodes = addr("00:ff:ff:ff:ff:12:60:1b:ff:ff:00:00:00:00:00:00:00:00:00:01");
    let mc = k.dev_addr_lists(ib0).mc;
    assert!(mc.iter().any(|e| e.addr == all_nodes), "{mc:?}");
}

/// The state file keeps the IPoIB private state (children, mode, P_Key,
/// MTUs, join), the cable and the queued join; loading reproduces the
/// fingerprint.
#[test]
fn ipoib_state_round_trip() {
    let (mut k, init, ib0, _) = two_ports();
    Client::new(&mut k, init)
        .add_ipoib_child("ib0.8001", "ib0", Some(0x8001), Some(1))
        .unwrap();
    k.hw_carrier(BUS1, false).unwrap();
    Client::new(&mut k, init).set_up("ib0", false).unwrap();
    Client::new(&mut k, init).set_up("ib0", true).unwrap();
    let json = serde_json::to_string(&k).unwrap();
    let mut k2: Kernel = serde_json::from_str(&json).unwrap();
    k2.rebuild_after_load().unwrap();
    k2.check_invariants().unwrap();
    assert_eq!(k2.fingerprint(), k.fingerprint());
    assert_eq!(k2.ipoib_priv(ib0), k.ipoib_priv(ib0));
    assert!(k2.hw_cable_pulled(k2.dev_get_by_name(init, "ib1").unwrap()));
}

/// A hostile state file: a port that forgot its child, a child whose
/// parent is not IPoIB, an impossible group MTU, an Ethernet NIC on the
/// IB segment — each refused by the loader, none panics.
#[test]
fn ipoib_hostile_state_files_are_refused() {
    let (mut k, init, _, _) = two_ports();
    Client::new(&mut k, init)
        .add_ipoib_child("ib0.8001", "ib0", Some(0x8001), None)
        .unwrap();
    Client::new(&mut k, init).add_veth("va", "vb").unwrap();
    let json = serde_json::to_string(&k).unwrap();
    let child = k.dev_get_by_name(init, "ib0.8001").unwrap();
    let cid = serde_json::to_string(&child).unwrap();
    let va = serde_json::to_string(&k.dev_get_by_name(init, "va").unwrap()).unwrap();
    let ib0 = serde_json::to_string(&k.dev_get_by_name(init, "ib0").unwrap()).unwrap();
    let eth = serde_json::to_string(&k.dev_get_by_name(init, "va").unwrap()).unwrap();
    let cases = [
        json.replacen(&format!("\"children\":[{cid}]"), "\"children\":[]", 1),
        json.replacen(&format!("\"parent\":{ib0}"), &format!("\"parent\":{va}"), 1),
        json.replacen("\"group_ib_mtu\":2048", "\"group_ib_mtu\":0", 1),
        json.replacen("\"members\":[", &format!("\"members\":[{eth},"), 1),
    ];
    for (i, bad) in cases.iter().enumerate() {
        assert_ne!(bad, &json, "case {i} changed nothing");
        let loaded = serde_json::from_str::<Kernel>(bad)
            .map_err(|e| e.to_string())
            .and_then(|mut k2| k2.rebuild_after_load().map_err(|e| format!("{e:?}")));
        assert!(loaded.is_err(), "case {i} loaded");
    }
}
