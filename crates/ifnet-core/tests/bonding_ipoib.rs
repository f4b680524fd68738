//! Bonding over IPoIB ports (seed 003; netvsc-bonding.md §2.2–2.7, §3):
//! bond_setup_by_slave type adoption (PRE/POST_TYPE_CHANGE, the bond
//! closed and reopened), fail_over_mac forced to active, the 20-byte
//! address, mutual exclusion of link types, the selftest
//! bond-eth-type-change.sh, and acceptance 2: an IPoIB bond failing over
//! under traffic with the peer told by num_grat_arp gratuitous ARPs of
//! hardware type 32, the multicast groups re-joined on the new port with
//! the IPoIB mapping, NETDEV_CHANGEADDR and RTM_NEWLINK for the new address.

mod bonding_support;
use bonding_support::*;
use ifnet_core::datapath::Xmit;
use ifnet_core::drivers::bonding::notify::arp_parse;
use ifnet_core::hw::HwSpec;
use ifnet_core::wire::EthernetProtocol;
use std::net::Ipv4Addr;

const BUS: [&str; 3] = ["0000:03:00.0", "0000:04:00.0", "0000:05:00.0"];
const GUID: [u64; 3] = [
    0x0002_c903_00a1_b2c3,
    0x0002_c903_00a1_b2c4,
    0x0002_c903_00a1_b2c5,
];

/// HCA ports ib0..ibN-1 on segment "ib" (ib0, ib1 down, for enslaving).
fn ports(k: &mut Kernel, n: usize) {
    for i in 0..n {
        let spec = HwSpec::Ipoib {
            guid: GUID[i],
            qpn: 0x48 + i as u32,
            segment: Some("ib".into()),
            ib_mtu: 2048,
        };
        k.hw_add(BUS[i], spec).unwrap();
    }
    k.run_until_idle();
}

/// bond0 (AB, miimon 100, num_grat_arp `n`, peer_notif_delay `delay`) over
/// ib0 and ib1, up with 192.0.2.1/24; ib2 is the peer with 192.0.2.2/24.
fn ib_bond(k: &mut Kernel, n: u8, delay: u32) {
    ports(k, 3);
    add_bond(
        k,
        "bond0",
        vec![
            InfoBond::Mode(BondMode::ActiveBackup),
            InfoBond::MiiMon(100),
            InfoBond::NumPeerNotif(n),
            InfoBond::PeerNotifDelay(delay),
        ],
    )
    .unwrap();
    master(k, "ib0", Some("bond0")).unwrap();
    master(k, "ib1", Some("bond0")).unwrap();
    let init = k.init_net();
    let mut c = Client::new(k, init);
    c.set("bond0", vec![LinkAttribute::Mtu(2044)]).unwrap();
    c.set_up("bond0", true).unwrap();
    c.add_addr("bond0", "192.0.2.1/24").unwrap();
    c.set_up("ib2", true).unwrap();
    c.add_addr("ib2", "192.0.2.2/24").unwrap();
    k.run_until_idle();
    sleep_ms(k, 20_000);
}

/// bond_enslave() + bond_setup_by_slave(): the first IPoIB slave gives the
/// bond ARPHRD_INFINIBAND, its 20-byte address (bond_set_dev_addr: the
/// bond's was random), its broadcast, IPoIB's header ops; the slave has no
/// settable MAC so fail_over_mac becomes active (logged); the bond was
/// closed and reopened around the change; PRE before POST_TYPE_CHANGE.
#[test]
fn ipoib_first_slave_type_adoption() {
    let mut k = Kernel::new(KernelProfile::latest());
    ports(&mut k, 1);
    add_ab(&mut k, "bond0", 100);
    up(&mut k, "bond0", true);
    k.run_until_idle();
    k.set_trace(true);
    master(&mut k, "ib0", Some("bond0")).unwrap();
    let (b, ib0) = (dev(&k, "bond0"), dev(&k, "ib0"));
    assert_eq!(k.dev(b).dev_type, ARPHRD_INFINIBAND);
    assert_eq!(k.dev(b).dev_addr, k.dev(ib0).dev_addr);
    assert_eq!(k.dev(b).dev_addr.len(), 20);
    assert_eq!(k.dev(b).broadcast, k.dev(ib0).broadcast);
    assert_eq!(k.dev_header_ops(b).unwrap().hard_header_len, 24);
    assert!(k.dev(b).is_up(), "reopened");
    assert_eq!(sysfs(&k, "bond0", "bonding/fail_over_mac"), "active 1");
    let ev: Vec<&str> = k
        .take_trace()
        .into_iter()
        .filter(|e| e.ifname == "bond0")
        .map(|e| e.event.kernel_name())
        .filter(|e| {
            [
                "NETDEV_PRE_TYPE_CHANGE",
                "NETDEV_POST_TYPE_CHANGE",
                "NETDEV_DOWN",
                "NETDEV_UP",
            ]
            .contains(e)
        })
        .collect();
    assert_eq!(
        ev,
        [
            "NETDEV_PRE_TYPE_CHANGE",
            "NETDEV_DOWN",
            "NETDEV_UP",
            "NETDEV_POST_TYPE_CHANGE"
        ]
    );
    let log = k.dmesg();
    for w in [
        "bond0: (slave ib0): enslaved VLAN challenged slave. Adding VLANs will be blocked as long as it is part of bond.",
        "bond0: (slave ib0): The slave device specified does not support setting the MAC address",
        "bond0: (slave ib0): Setting fail_over_mac to active for active-backup mode",
    ] {
        assert!(log.iter().any(|l| l == w), "missing {w:?} in {log:#?}");
    }
    // The slave kept its own address; the bond's MTU went to it.
    assert_eq!(k.dev(ib0).mtu, 1500);
}

/// bond_enslave() row 6c: an IPoIB port to a bond with an Ethernet slave
/// is -EINVAL "Device type is different from other slaves", and nothing
/// changes; an Ethernet device to an IPoIB bond likewise.
#[test]
fn mixed_link_types_refused() {
    let mut k = Kernel::new(KernelProfile::latest());
    ports(&mut k, 2);
    veths(&mut k, 1);
    add_ab(&mut k, "bond0", 100);
    add_ab(&mut k, "bond1", 100);
    master(&mut k, "e0", Some("bond0")).unwrap();
    master(&mut k, "ib1", Some("bond1")).unwrap();
    k.run_until_idle();
    let before = k.fingerprint();
    let (e, msg) = err(master(&mut k, "ib0", Some("bond0")));
    assert_eq!(e, Errno::EINVAL);
    assert_eq!(
        msg.as_deref(),
        Some("Device type is different from other slaves")
    );
    veth(&mut k, "e9", "p9");
    k.run_until_idle();
    let before2 = k.fingerprint();
    let (e, msg) = err(master(&mut k, "e9", Some("bond1")));
    assert_eq!(e, Errno::EINVAL);
    assert_eq!(
        msg.as_deref(),
        Some("Device type is different from other slaves")
    );
    assert_eq!(k.fingerprint(), before2);
    assert_ne!(before, before2, "(the veth was added in between)");
}

/// bond_enslave() row 7: an IPoIB port to a balance-rr bond is
/// -EOPNOTSUPP "Only active-backup mode is supported for infiniband
/// slaves" — after the type change, which err_undo_flags reverts with no
/// PRE/POST_TYPE_CHANGE and the bond left down (bond_ether_setup).
#[test]
fn ipoib_to_non_ab_bond_reverts_type() {
    let mut k = Kernel::new(KernelProfile::latest());
    ports(&mut k, 1);
    add_bond(&mut k, "bond0", vec![]).unwrap();
    up(&mut k, "bond0", true);
    k.run_until_idle();
    let (e, msg) = err(master(&mut k, "ib0", Some("bond0")));
    assert_eq!(e, Errno::EOPNOTSUPP);
    assert_eq!(
        msg.as_deref(),
        Some("Only active-backup mode is supported for infiniband slaves")
    );
    let b = dev(&k, "bond0");
    assert_eq!(k.dev(b).dev_type, ARPHRD_ETHER);
    assert_eq!(k.dev(b).dev_addr.len(), 6);
    assert!(!k.dev(b).is_up(), "err_undo_flags leaves the bond down");
    assert_ne!(k.dev(b).flags & IFF_MASTER, 0);
}

/// bond-eth-type-change.sh: bond0 (a slave of bond1) takes IPoIB's type
/// and, once its slave left, Ethernet's back from an Ethernet bond
/// enslaved to it — and keeps both MASTER and SLAVE (bond_ether_setup,
/// 9ec7eb60dcbc). The "unsuccessful" variant (bond0 in balance-rr) is
/// refused at row 7 and keeps both flags too. bond1 and bond2 are
/// active-backup here: enslaving to a balance-rr bond is not modelled.
#[test]
fn selftest_bond_eth_type_change() {
    for success in [false, true] {
        let mut k = Kernel::new(KernelProfile::latest());
        ports(&mut k, 1);
        let opts = if success {
            vec![InfoBond::Mode(BondMode::ActiveBackup)]
        } else {
            vec![]
        };
        add_bond(&mut k, "bond0", opts).unwrap();
        add_bond(
            &mut k,
            "bond1",
            vec![InfoBond::Mode(BondMode::ActiveBackup)],
        )
        .unwrap();
        add_bond(
            &mut k,
            "bond2",
            vec![InfoBond::Mode(BondMode::ActiveBackup)],
        )
        .unwrap();
        master(&mut k, "bond0", Some("bond1")).unwrap();
        let r = master(&mut k, "ib0", Some("bond0"));
        assert_eq!(r.is_ok(), success);
        let b0 = dev(&k, "bond0");
        if success {
            assert_eq!(k.dev(b0).dev_type, ARPHRD_INFINIBAND);
            master(&mut k, "ib0", None).unwrap();
            assert_eq!(
                k.dev(b0).dev_type,
                ARPHRD_INFINIBAND,
                "never reverted on release"
            );
            master(&mut k, "bond2", Some("bond0")).unwrap();
        }
        assert_eq!(k.dev(b0).dev_type, ARPHRD_ETHER);
        let f = k.dev(b0).flags;
        assert_ne!(f & IFF_MASTER, 0, "success {success}");
        assert_ne!(f & IFF_SLAVE, 0, "success {success}");
    }
}

/// bond_slave_netdev_event(NETDEV_UNREGISTER) on a non-Ethernet bond:
/// bond_release_and_destroy — the last IPoIB port unplugged destroys the
/// bond ("Destroying bond").
#[test]
fn last_ipoib_port_unplugged_destroys_bond() {
    let mut k = Kernel::new(KernelProfile::latest());
    ports(&mut k, 2);
    add_ab(&mut k, "bond0", 100);
    master(&mut k, "ib0", Some("bond0")).unwrap();
    master(&mut k, "ib1", Some("bond0")).unwrap();
    k.hw_del(BUS[0], false).unwrap();
    assert!(k.dev_get_by_name(k.init_net(), "bond0").is_some());
    k.hw_del(BUS[1], false).unwrap();
    assert!(k.dev_get_by_name(k.init_net(), "bond0").is_none());
    assert!(k.dmesg().iter().any(|l| l == "bond0: Destroying bond"));
    k.check_invariants().unwrap();
}

/// The gratuitous ARPs in frames received on an IPoIB peer (after the
/// 4-byte IPoIB header), as (time ms, hardware type, sender address).
fn ib_garps(frames: &[ifnet_core::datapath::capture::CapturedFrame]) -> Vec<(u64, u16, Vec<u8>)> {
    let ip = Ipv4Addr::new(192, 0, 2, 1);
    frames
        .iter()
        .filter(|f| !f.outgoing && f.data.len() > 4 && f.data[..2] == [0x08, 0x06])
        .filter_map(|f| arp_parse(&f.data[4..]).map(|a| (f.ts.as_nanos() / 1_000_000, a)))
        .filter(|(_, a)| a.op == 1 && a.sip == ip && a.tip == ip)
        .map(|(t, a)| (t, a.hrd, a.sha))
        .collect()
}

/// Acceptance 2 (seed 003): traffic from the bond to its peer every
/// millisecond; ib0's cable pulled. Frames are lost only until miimon
/// notices (exactly from the pull to the next monitor tick, within
/// miimon + updelay); the bond's address becomes ib1's (NETDEV_CHANGEADDR,
/// RTM_NEWLINK); the peer receives num_grat_arp gratuitous ARPs of
/// hardware type 32 carrying that 20-byte address; the bond's groups are
/// on ib1 with the IPoIB mapping (ip_ib_mc_map) and gone from ib0; the
/// cable back, ib0 is a backup again.
#[test]
fn acceptance_ipoib_bond_fails_over_under_traffic() {
    let mut k = Kernel::new(KernelProfile::latest());
    ib_bond(&mut k, 3, 200);
    let (b, ib0, ib1, ib2) = (
        dev(&k, "bond0"),
        dev(&k, "ib0"),
        dev(&k, "ib1"),
        dev(&k, "ib2"),
    );
    assert_eq!(active(&k, "bond0").as_deref(), Some("ib0"));
    let ib1_addr = k.dev(ib1).dev_addr;
    let peer_addr = k.dev(ib2).dev_addr;
    let hops = k.dev_header_ops(b).unwrap();
    let mut f = Vec::new();
    assert!((hops.create)(
        &mut f,
        EthernetProtocol::Ipv4,
        peer_addr.as_bytes(),
        &[]
    ));
    f.extend_from_slice(&[0x45; 40]);
    // Groups the bond joined (all-hosts, ff02::1 …) are on ib0 only, in
    // IPoIB form: 20 bytes, the P_Key from the broadcast address.
    let all_hosts = ifnet_core::wire::ip_ib_mc_map(
        Ipv4Addr::new(224, 0, 0, 1),
        k.dev(b).broadcast.as_bytes().try_into().unwrap(),
    );
    // What the bond synced to a slave (bond_hw_addr_swap / dev_mc_sync):
    // a backup still has the groups it joined itself as an IP device.
    let on = |k: &Kernel, d| {
        k.dev_addr_lists(d)
            .mc
            .iter()
            .any(|e| e.synced > 0 && e.addr.as_bytes() == all_hosts)
    };
    assert!(k
        .dev_addr_lists(b)
        .mc
        .iter()
        .all(|e| e.addr.len() == 20 && e.addr.as_bytes()[..4] == [0, 0xff, 0xff, 0xff]));
    assert!(on(&k, ib0) && !on(&k, ib1));
    let rx = |k: &Kernel| k.dev(ib2).stats.rx_packets;
    k.capture_start(ib2, "peer");
    k.set_trace(true);
    k.hw_carrier(BUS[0], false).unwrap();
    let pulled = k.now();
    let tick = k
        .pending_work()
        .into_iter()
        .find(|w| w.work == ifnet_core::workqueue::Work::BondMii(b))
        .unwrap()
        .due;
    let (mut lost, mut got) = (0u64, 0u64);
    for _ in 0..1000 {
        let before = rx(&k);
        let r = k.dev_queue_xmit(b, &f);
        if r == Xmit::Sent && rx(&k) > before {
            got += 1;
        } else {
            lost += 1;
        }
        sleep_ms(&mut k, 1);
    }
    assert_eq!(lost, (tick - pulled).as_nanos() / 1_000_000);
    assert!(lost <= 100, "within miimon + updelay (0)");
    assert_eq!(got + lost, 1000);
    assert_eq!(active(&k, "bond0").as_deref(), Some("ib1"));
    // fail_over_mac=active: the bond's address is now ib1's.
    assert_eq!(k.dev(b).dev_addr, ib1_addr);
    let ev: Vec<&str> = k
        .take_trace()
        .into_iter()
        .filter(|e| e.ifname == "bond0")
        .map(|e| e.event.kernel_name())
        .collect();
    assert!(ev.contains(&"NETDEV_CHANGEADDR") && ev.contains(&"NETDEV_BONDING_FAILOVER"));
    sleep_ms(&mut k, 1000);
    let cap = k.capture_stop(ib2).unwrap();
    let g = ib_garps(&cap.frames);
    assert_eq!(g.len(), 3, "num_grat_arp 3: {g:?}");
    assert!(g
        .iter()
        .all(|(_, hrd, sha)| *hrd == 32 && sha == ib1_addr.as_bytes()));
    assert!(
        on(&k, ib1) && !on(&k, ib0),
        "re-joined on the new active port"
    );
    // The cable back: ib0 rejoins its broadcast group, is UP again, backup.
    k.hw_carrier(BUS[0], true).unwrap();
    sleep_ms(&mut k, 500);
    assert_eq!(sysfs(&k, "ib0", "bonding_slave/mii_status"), "up");
    assert_eq!(sysfs(&k, "ib0", "bonding_slave/state"), "backup");
    assert_eq!(sysfs(&k, "ib0", "bonding_slave/link_failure_count"), "1");
    assert_eq!(active(&k, "bond0").as_deref(), Some("ib1"));
    k.check_invariants().unwrap();
}

/// RTM_NEWLINK for the bond's new address reaches a listener (rtnetlink
/// on NETDEV_CHANGEADDR), carrying the 20-byte IFLA_ADDRESS.
#[test]
fn failover_address_change_is_announced() {
    let mut k = Kernel::new(KernelProfile::latest());
    ib_bond(&mut k, 1, 0);
    let ib1_addr = k.dev(dev(&k, "ib1")).dev_addr.as_bytes().to_vec();
    k.mcast_listen(77);
    let from = k.mcast_next_seq();
    k.hw_carrier(BUS[0], false).unwrap();
    sleep_ms(&mut k, 200);
    let mut seen = false;
    for m in k.mcast_since(from).unwrap() {
        let (links, _) = ifnet_core::client::decode(&[m.bytes.to_vec()]);
        for l in links {
            let is_bond = l
                .attributes
                .iter()
                .any(|a| matches!(a, LinkAttribute::IfName(n) if n == "bond0"));
            let addr = l
                .attributes
                .iter()
                .any(|a| matches!(a, LinkAttribute::Address(x) if *x == ib1_addr));
            seen |= is_bond && addr;
        }
    }
    assert!(seen, "an RTM_NEWLINK of bond0 with ib1's address");
}

/// bond_mii_monitor()'s stale `should_notify_peers`: when the failover
/// happens inside a monitor tick, that tick also counts send_peer_notif
/// down without notifying, so with peer_notif_delay of one miimon tick
/// (or none) the peer hears num_grat_arp - 1 gratuitous ARPs — one from
/// bond_change_active_slave, the rest from later ticks. (The selftest
/// uses a 10-tick delay, where the count comes out exact.)
#[test]
fn one_tick_peer_notif_delay_sends_one_less() {
    let mut k = Kernel::new(KernelProfile::latest());
    ib_bond(&mut k, 3, 100);
    let ib2 = dev(&k, "ib2");
    k.capture_start(ib2, "peer");
    k.hw_carrier(BUS[0], false).unwrap();
    sleep_ms(&mut k, 1000);
    let cap = k.capture_stop(ib2).unwrap();
    let t: Vec<u64> = ib_garps(&cap.frames).iter().map(|g| g.0).collect();
    assert_eq!(t.len(), 2);
    assert_eq!(t[1] - t[0], 100);
}

/// The state file keeps the bond (its private state, the slaves' state,
/// the monitor's work): a saved and reloaded kernel is the same state and
/// goes on failing over; a state whose bond lists a slave that is not its
/// own is refused by the loader (`check_bonding`).
#[test]
fn bond_state_round_trip_and_loader_check() {
    let mut k = Kernel::new(KernelProfile::latest());
    ib_bond(&mut k, 1, 0);
    let json = serde_json::to_string(&k).unwrap();
    let mut k2: Kernel = serde_json::from_str(&json).unwrap();
    k2.rebuild_after_load().unwrap();
    assert_eq!(k.fingerprint(), k2.fingerprint());
    k2.hw_carrier(BUS[0], false).unwrap();
    sleep_ms(&mut k2, 300);
    assert_eq!(active(&k2, "bond0").as_deref(), Some("ib1"));
    // bond0's slave list names ib2, which is no slave of it.
    let ib2 = serde_json::to_value(dev(&k, "ib2")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut hit = false;
    fn walk(v: &mut serde_json::Value, ib2: &serde_json::Value, hit: &mut bool) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::Array(sl)) = m.get_mut("slaves") {
                    if let Some(first) = sl.first_mut().and_then(|s| s.get_mut("dev")) {
                        *first = ib2.clone();
                        *hit = true;
                    }
                }
                for x in m.values_mut() {
                    walk(x, ib2, hit);
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, ib2, hit)),
            _ => {}
        }
    }
    walk(&mut v, &ib2, &mut hit);
    assert!(hit);
    let mut bad: Kernel = serde_json::from_value(v).unwrap();
    assert!(bad.rebuild_after_load().is_err());
}
