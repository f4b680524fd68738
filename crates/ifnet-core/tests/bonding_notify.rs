//! What a failover tells others (bond_main.c bond_change_active_slave,
//! bond_mii_monitor, bond_resend_igmp_join_requests_delayed; devinet.c
//! inetdev_send_gratuitous_arp; ndisc.c ndisc_send_unsol_na):
//! NETDEV_BONDING_FAILOVER, NETDEV_NOTIFY_PEERS with exactly num_grat_arp
//! gratuitous ARPs (selftest bond_options.sh garp_test), NETDEV_RESEND_IGMP
//! rounds, fail_over_mac active/follow (bond_options.sh fail_over_mac).

mod bonding_support;
use bonding_support::*;
use ifnet_core::drivers::bonding::notify::arp_parse;

/// The ARP requests in `frames` whose sender and target are `ip`
/// (gratuitous), as (hardware type, sender hardware address).
fn garps(
    frames: &[ifnet_core::datapath::capture::CapturedFrame],
    ip: [u8; 4],
) -> Vec<(u16, Vec<u8>)> {
    let ip = std::net::Ipv4Addr::from(ip);
    frames
        .iter()
        .filter(|f| f.data.len() > 14 && f.data[12..14] == [0x08, 0x06])
        .filter_map(|f| arp_parse(&f.data[14..]))
        .filter(|a| a.op == 1 && a.sip == ip && a.tip == ip)
        .map(|a| (a.hrd, a.sha))
        .collect()
}

fn garp_bond(k: &mut Kernel, num: u8, delay_ms: u32) {
    veths(k, 2);
    add_bond(
        k,
        "bond0",
        vec![
            InfoBond::Mode(BondMode::ActiveBackup),
            InfoBond::MiiMon(10),
            InfoBond::NumPeerNotif(num),
            InfoBond::PeerNotifDelay(delay_ms),
        ],
    )
    .unwrap();
    master(k, "e0", Some("bond0")).unwrap();
    master(k, "e1", Some("bond0")).unwrap();
    up(k, "bond0", true);
    let init = k.init_net();
    Client::new(k, init)
        .add_addr("bond0", "192.0.2.1/24")
        .unwrap();
    k.run_until_idle();
    sleep_ms(k, 20_000);
}

/// bond_options.sh garp_test: `miimon 10 num_grat_arp N peer_notif_delay
/// 100`, the active slave's link goes: the new active slave's peer gets
/// exactly N gratuitous ARPs (one from bond_change_active_slave, the rest
/// from bond_mii_monitor each peer_notif_delay), carrying the bond's MAC.
#[test]
fn selftest_num_grat_arp_counted() {
    for n in [10u8, 20, 30] {
        let mut k = Kernel::new(KernelProfile::latest());
        garp_bond(&mut k, n, 100);
        let p1 = dev(&k, "p1");
        k.capture_start(p1, "p1");
        up(&mut k, "p0", false);
        sleep_ms(&mut k, u64::from(n) * 100 + 1000);
        let cap = k.capture_stop(p1).unwrap();
        let g = garps(&cap.frames, [192, 0, 2, 1]);
        assert_eq!(g.len(), usize::from(n), "num_grat_arp {n}");
        let bmac = k.dev(dev(&k, "bond0")).dev_addr.as_bytes().to_vec();
        assert!(g.iter().all(|(hrd, sha)| *hrd == 1 && *sha == bmac));
        // The first at the failover; the monitor tick that committed it
        // also counted one down, so the second comes 90 ms later, the
        // rest every 100 ms (the counter counts miimon ticks).
        let ts: Vec<u64> = cap
            .frames
            .iter()
            .filter(|f| f.data.len() > 14 && f.data[12..14] == [0x08, 0x06])
            .map(|f| f.ts.as_nanos() / 1_000_000)
            .collect();
        let rel: Vec<u64> = ts.iter().map(|t| t - ts[0]).collect();
        let want: Vec<u64> = (0..u64::from(n))
            .map(|i| if i == 0 { 0 } else { i * 100 - 10 })
            .collect();
        assert_eq!(rel, want, "num_grat_arp {n}");
    }
}

/// bond_change_active_slave(): NETDEV_BONDING_FAILOVER then
/// NETDEV_NOTIFY_PEERS on the bond (RTM_NEWLINK with IFLA_EVENT), then
/// NETDEV_RESEND_IGMP resend_igmp times, HZ/5 apart.
#[test]
fn failover_events_in_order() {
    let mut k = Kernel::new(KernelProfile::latest());
    garp_bond(&mut k, 1, 0);
    set_bond(&mut k, "bond0", vec![InfoBond::ResendIgmp(3)]).unwrap();
    k.set_trace(true);
    up(&mut k, "p0", false);
    sleep_ms(&mut k, 1000);
    let t: Vec<String> = k
        .take_trace()
        .into_iter()
        .filter(|e| e.ifname == "bond0")
        .map(|e| e.event.kernel_name().to_string())
        .filter(|e| e.contains("FAILOVER") || e.contains("PEERS") || e.contains("IGMP"))
        .collect();
    assert_eq!(
        t,
        [
            "NETDEV_BONDING_FAILOVER",
            "NETDEV_NOTIFY_PEERS",
            "NETDEV_RESEND_IGMP",
            "NETDEV_RESEND_IGMP",
            "NETDEV_RESEND_IGMP"
        ]
    );
}

/// NETDEV_NOTIFY_PEERS also sends an unsolicited NA (ndisc_send_unsol_na)
/// for the bond's IPv6 addresses — and nothing for a slave (slaves have
/// IFF_NO_ADDRCONF: no link-local of their own).
#[test]
fn notify_peers_sends_unsolicited_na() {
    let mut k = Kernel::new(KernelProfile::latest());
    garp_bond(&mut k, 1, 0);
    assert!(
        k.inet6_addrs(dev(&k, "e0")).is_empty(),
        "no addrconf on slaves"
    );
    assert!(
        !k.inet6_addrs(dev(&k, "bond0")).is_empty(),
        "the bond has a link-local"
    );
    let p1 = dev(&k, "p1");
    k.capture_start(p1, "p1");
    up(&mut k, "p0", false);
    sleep_ms(&mut k, 500);
    let cap = k.capture_stop(p1).unwrap();
    let na = cap
        .frames
        .iter()
        .filter(|f| f.data.len() > 54 && f.data[12..14] == [0x86, 0xdd] && f.data[54] == 136)
        .count();
    assert_eq!(na, 1);
}

/// fail_over_mac=active (bond_do_fail_over_mac): slaves keep their own
/// MACs; the bond takes the active slave's, and the new one's at failover
/// (NETDEV_CHANGEADDR); release does not restore perm_hwaddr.
#[test]
fn selftest_fail_over_mac_active() {
    let mut k = Kernel::new(KernelProfile::latest());
    veths(&mut k, 2);
    let m0 = k.dev(dev(&k, "e0")).dev_addr;
    let m1 = k.dev(dev(&k, "e1")).dev_addr;
    add_bond(
        &mut k,
        "bond0",
        vec![
            InfoBond::Mode(BondMode::ActiveBackup),
            InfoBond::MiiMon(100),
            InfoBond::FailOverMac(1u8.into()),
        ],
    )
    .unwrap();
    master(&mut k, "e0", Some("bond0")).unwrap();
    master(&mut k, "e1", Some("bond0")).unwrap();
    up(&mut k, "bond0", true);
    k.run_until_idle();
    let b = dev(&k, "bond0");
    assert_eq!(k.dev(b).dev_addr, m0);
    assert_eq!(k.dev(dev(&k, "e1")).dev_addr, m1);
    k.set_trace(true);
    up(&mut k, "p0", false);
    sleep_ms(&mut k, 300);
    assert_eq!(k.dev(b).dev_addr, m1);
    assert!(k
        .take_trace()
        .iter()
        .any(|e| e.ifname == "bond0" && e.event.kernel_name() == "NETDEV_CHANGEADDR"));
    let proc = k.bond_proc_show(b).unwrap();
    assert!(proc.contains("Bonding Mode: fault-tolerance (active-backup) (fail_over_mac active)\n"));
}

/// fail_over_mac=follow: the first slave keeps its MAC (the bond's); at
/// failover the new active takes the old active's and the old one the
/// new one's; release gives each slave its perm_hwaddr back.
#[test]
fn selftest_fail_over_mac_follow() {
    let mut k = Kernel::new(KernelProfile::latest());
    veths(&mut k, 2);
    let m0 = k.dev(dev(&k, "e0")).dev_addr;
    let m1 = k.dev(dev(&k, "e1")).dev_addr;
    add_bond(
        &mut k,
        "bond0",
        vec![
            InfoBond::Mode(BondMode::ActiveBackup),
            InfoBond::MiiMon(100),
            InfoBond::FailOverMac(2u8.into()),
        ],
    )
    .unwrap();
    master(&mut k, "e0", Some("bond0")).unwrap();
    master(&mut k, "e1", Some("bond0")).unwrap();
    up(&mut k, "bond0", true);
    k.run_until_idle();
    let b = dev(&k, "bond0");
    assert_eq!(k.dev(b).dev_addr, m0);
    up(&mut k, "p0", false);
    sleep_ms(&mut k, 300);
    assert_eq!(active(&k, "bond0").as_deref(), Some("e1"));
    assert_eq!(
        k.dev(dev(&k, "e1")).dev_addr,
        m0,
        "new active follows the bond"
    );
    assert_eq!(
        k.dev(dev(&k, "e0")).dev_addr,
        m1,
        "old active takes the new one's"
    );
    assert_eq!(k.dev(b).dev_addr, m0);
    master(&mut k, "e0", None).unwrap();
    master(&mut k, "e1", None).unwrap();
    assert_eq!(k.dev(dev(&k, "e0")).dev_addr, m0);
    assert_eq!(k.dev(dev(&k, "e1")).dev_addr, m1);
}

/// The active slave carries the bond's multicast list (bond_hw_addr_swap:
/// dev_mc_sync on the new active, unsync from the old; bond_set_rx_mode
/// when the bond joins a group); a backup has none of it.
#[test]
fn multicast_only_on_active_slave() {
    let mut k = Kernel::new(KernelProfile::latest());
    ab_over_veths(&mut k, 2, 100);
    let (b, e0, e1) = (dev(&k, "bond0"), dev(&k, "e0"), dev(&k, "e1"));
    let group = HwAddr::parse("01:00:5e:01:02:03").unwrap();
    k.dev_mc_add_global(b, group).unwrap();
    let has = |k: &Kernel, d| k.dev_addr_lists(d).mc.iter().any(|y| y.addr == group);
    let synced = |k: &Kernel, d| {
        k.dev_addr_lists(d)
            .mc
            .iter()
            .filter(|y| y.synced > 0)
            .count()
    };
    assert!(has(&k, e0));
    assert!(!has(&k, e1));
    assert_eq!(synced(&k, e1), 0);
    let n = synced(&k, e0);
    assert_eq!(n, k.dev_addr_lists(b).mc.len(), "every bond address");
    up(&mut k, "p0", false);
    sleep_ms(&mut k, 300);
    assert!(has(&k, e1));
    assert!(!has(&k, e0));
    assert_eq!(synced(&k, e0), 0);
    assert_eq!(synced(&k, e1), n);
}
