//! hv_netvsc (drivers/net/hyperv/netvsc_drv.c, Linux 6.18, netvsc-bonding.md
//! §1): probe, the notifier's VF pairing, vf_takeover, the datapath switch,
//! hot removal, namespaces. Each test names the function it pins, and the
//! commit where a profile decides. Window and addrconf tests are in
//! netvsc_window.rs, traffic in netvsc_traffic.rs, failure paths and their
//! log lines in netvsc_paths.rs, hostile state files in netvsc_load.rs.

mod netvsc_support;

use ifnet_core::client::Client;
use ifnet_core::consts::*;
use ifnet_core::drivers::netvsc_vf::{NETVSC_VF_HOLD, VF_TAKEOVER_INT};
use ifnet_core::workqueue::Work;
use ifnet_core::{Errno, NetdevEvent};
use netvsc_support::*;

/// netvsc_probe(): alloc_etherdev_mq(…, VRSS_CHANNEL_MAX) on the VMBus
/// device, eth%d, carrier off until netvsc_open, MTU 68..65521 (NVSP ≥ 2),
/// `device/driver` hv_netvsc, DEVPATH under VMBUS:00; netvsc_drv_init put
/// the notifier on the chain first (85520856466e).
#[test]
fn netvsc_probe_registers_the_synthetic_nic() {
    let mut k = kernel("6.18");
    let init = k.init_net();
    let useq = k.uevent_next_seq();
    let ndev = k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
    let d = k.dev(ndev);
    assert_eq!(d.name.as_str(), "eth0");
    assert_eq!((d.min_mtu, d.max_mtu, d.mtu), (68, 65521, 1500));
    assert_eq!((d.limits.num_tx_queues, d.limits.num_rx_queues), (64, 64));
    assert!(!d.carrier);
    assert_eq!(
        k.sysfs_read_by_name(init, "eth0", "device/driver")
            .as_deref(),
        Some("hv_netvsc")
    );
    let ue = k.uevents_since(useq).unwrap();
    assert_eq!(
        ue[0].devpath,
        format!("/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/{NETVSC_BUS}/net/eth0")
    );
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    assert!(
        k.dev(ndev).carrier,
        "netvsc_open: the host reports the link"
    );
    k.check_invariants().unwrap();
}

/// netvsc_register_vf() → netvsc_vf_join() at the VF's NETDEV_REGISTER:
/// "VF registering" on the netvsc, rx_handler, master link (sysfs `master`
/// and `upper_eth0`), NETDEV_JOIN, "joined to" on the VF, the dev_hold, and
/// IFF_SLAVE (+ IFF_NO_ADDRCONF on 6.18, netvsc_prepare_bonding).
#[test]
fn netvsc_register_vf_joins_the_matching_vf() {
    let mut k = kernel("6.18");
    let init = k.init_net();
    k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
    k.set_trace(true);
    let from = k.dmesg().len();
    let vf = k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    assert_eq!(
        log_since(&k, from),
        [
            format!("{NV} eth0: VF slot 1 added"),
            format!("{NV} eth0: VF registering: eth1"),
            format!("{VF} eth1: joined to eth0"),
        ]
    );
    let d = k.dev(vf);
    assert_ne!(d.flags & IFF_SLAVE, 0);
    assert_ne!(d.priv_flags & IFF_NO_ADDRCONF, 0);
    assert!(d
        .refs
        .iter()
        .any(|r| r.holder == NETVSC_VF_HOLD && !r.tracked));
    assert_eq!(
        k.sysfs_read_by_name(init, "eth1", "master").as_deref(),
        Some("eth0")
    );
    assert!(k.sysfs_read_by_name(init, "eth1", "upper_eth0").is_some());
    assert_eq!(
        k.sysfs_read_by_name(init, "eth1", "device/driver")
            .as_deref(),
        Some("mana")
    );
    let trace = k.take_trace();
    let pos = |e: NetdevEvent| {
        trace
            .iter()
            .position(|r| r.event == e && r.ifname == "eth1")
    };
    assert!(pos(NetdevEvent::Register) < pos(NetdevEvent::ChangeUpper));
    assert!(pos(NetdevEvent::ChangeUpper) < pos(NetdevEvent::Join));
    let ndev = dev(&k, init, "eth0");
    assert_eq!(k.netvsc(ndev).unwrap().vf_netdev, Some(vf));
    k.check_invariants().unwrap();
}

/// netvsc_vf_join(): vf_takeover is scheduled VF_TAKEOVER_INT (100 ms)
/// after the join; __netvsc_vf_setup then gives the VF the netvsc's MTU and
/// flags and opens it if the netvsc runs, whose NETDEV_UP switches the
/// datapath (netvsc_vf_changed).
#[test]
fn netvsc_vf_setup_runs_100ms_after_join() {
    let mut k = kernel("6.18");
    let init = k.init_net();
    let ndev = k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
    let mut c = Client::new(&mut k, init);
    c.set(
        "eth0",
        vec![netlink_packet_route::link::LinkAttribute::Mtu(4000)],
    )
    .unwrap();
    c.set_up("eth0", true).unwrap();
    k.run_until_idle();
    let t0 = k.now();
    let vf = k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    let item = k
        .pending_work()
        .into_iter()
        .find(|i| i.work == Work::NetvscVfTakeover(ndev))
        .expect("vf_takeover queued");
    assert_eq!(item.due, t0 + VF_TAKEOVER_INT);
    assert!(!k.dev(vf).is_up(), "not before the takeover");
    assert_eq!(k.dev(vf).mtu, 1500);
    k.run_until_idle();
    assert!(k.dev(vf).is_up());
    assert_eq!(k.dev(vf).mtu, 4000);
    assert!(k.netvsc(ndev).unwrap().data_path_is_vf);
    let line = k.dmesg_lines().into_iter().last().unwrap();
    assert_eq!(
        line.text,
        format!("{NV} eth0: Data path switched to VF: eth1")
    );
    assert_eq!(line.time, t0 + VF_TAKEOVER_INT);
    k.check_invariants().unwrap();
}

/// __netvsc_vf_setup(): dev_change_flags(vf, ndev->flags | IFF_SLAVE) also
/// mirrors IFF_UP — a VF user space opened while the netvsc is DOWN is
/// closed again by the takeover (netvsc-bonding.md §0.3.4).
#[test]
fn netvsc_vf_setup_closes_a_vf_opened_under_a_down_netvsc() {
    let (mut k, init) = pair("6.18");
    Client::new(&mut k, init).set_up("eth1", true).unwrap();
    let vf = dev(&k, init, "eth1");
    assert!(k.dev(vf).is_up());
    k.run_until_idle();
    assert!(!k.dev(vf).is_up());
    assert_ne!(
        k.dev(vf).flags & IFF_SLAVE,
        0,
        "IFF_SLAVE is volatile: kept"
    );
}

/// netvsc_vf_changed(): the VF's admin state decides; UP switches to the
/// VF, GOING_DOWN away (34b06a2eee44), the following DOWN and CHANGE are
/// deduplicated by data_path_is_vf; carrier is not part of it.
#[test]
fn netvsc_vf_changed_switches_once_per_state() {
    let (mut k, init) = pair("6.18");
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    k.run_until_idle();
    let ndev = dev(&k, init, "eth0");
    let vf = dev(&k, init, "eth1");
    assert!(k.netvsc(ndev).unwrap().data_path_is_vf);
    let from = k.dmesg().len();
    k.netif_carrier_off(vf);
    k.run_until_idle();
    assert!(
        k.netvsc(ndev).unwrap().data_path_is_vf,
        "carrier is not admin state"
    );
    Client::new(&mut k, init).set_up("eth1", false).unwrap();
    Client::new(&mut k, init).set_up("eth1", true).unwrap();
    k.run_until_idle();
    assert_eq!(
        log_since(&k, from),
        [
            format!("{NV} eth0: Data path switched from VF: eth1"),
            format!("{NV} eth0: Data path switched to VF: eth1"),
        ]
    );
}

/// netvsc_vf_changed(): switching to a VF the host has not associated
/// (vf_alloc == 0) waits for the association ("Waiting for the VF
/// association from host", wait_for_completion(&vf_add)); netvsc_send_vf's
/// complete() then lets the switch happen. The VF joined by the MAC
/// fallback of get_netvsc_byslot.
#[test]
fn netvsc_vf_changed_waits_for_the_association() {
    let mut k = kernel("6.18");
    let init = k.init_net();
    let ndev = k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    k.hw_add(VF_BUS, vf_spec_with(MAC, 7, true)).unwrap();
    let from = k.dmesg().len();
    k.run_until_idle();
    assert_eq!(
        log_since(&k, from),
        [format!(
            "{NV} eth0: Waiting for the VF association from host"
        )]
    );
    assert!(!k.netvsc(ndev).unwrap().data_path_is_vf);
    k.check_invariants().unwrap();
    // The host's message arrives late (365e1ececb29).
    k.hw_vf_association(VF_BUS, true).unwrap();
    assert_eq!(
        log_since(&k, from + 1),
        [
            format!("{NV} eth0: VF slot 7 added"),
            format!("{NV} eth0: Data path switched to VF: eth1"),
        ]
    );
    k.check_invariants().unwrap();
}

/// get_netvsc_byslot(): the serial pass compares perm_addr since
/// 64ff412ad41f (v5.13, for MANA's several vPorts behind one PCI VF). A
/// second netdev with the same serial but another MAC matched the first
/// netvsc by serial alone before (and, that one being taken, joined
/// nothing); since then it goes to the netvsc with its MAC.
#[test]
fn get_netvsc_byslot_serial_pass_checks_the_mac() {
    for (profile, second_joins_b) in [("5.10", false), ("6.1", true), ("6.18", true)] {
        let mut k = kernel(profile);
        let init = k.init_net();
        k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
        let b = k
            .hw_add(
                "f8615163-0000-1000-2000-000d3a8b0002",
                netvsc_spec_mac("00:0d:3a:8b:00:02"),
            )
            .unwrap();
        k.hw_add(VF_BUS, vf_spec(1)).unwrap();
        let second = k
            .hw_add("7870:00:00.1", vf_spec_with("00:0d:3a:8b:00:02", 1, true))
            .unwrap();
        let joined = k.netvsc(b).unwrap().vf_netdev == Some(second);
        assert_eq!(joined, second_joins_b, "{profile}");
        assert_eq!(
            k.dev(dev(&k, init, "eth2")).master,
            Some(dev(&k, init, "eth0"))
        );
        k.check_invariants().unwrap();
    }
}

/// get_netvsc_byslot(): without the host's association only the MAC
/// fallback can match. It came with 365e1ececb29 (v6.1) with the notice
/// "falling back to mac addr based matching" on a match, which
/// c807d6cd089d removed when it added the dev_addr half; before it (5.10
/// as released): "no netdev found".
#[test]
fn get_netvsc_byslot_mac_fallback_per_profile() {
    let cases = [
        ("5.10", false, "no netdev found for vf serial:3"),
        ("6.6", true, "falling back to mac addr based matching"),
        ("6.18", true, ""),
    ];
    for (profile, joins, notice) in cases {
        let mut k = kernel(profile);
        let ndev = k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
        let from = k.dmesg().len();
        let vf = k.hw_add(VF_BUS, vf_spec_with(MAC, 3, true)).unwrap();
        assert_eq!(
            k.netvsc(ndev).unwrap().vf_netdev == Some(vf),
            joins,
            "{profile}"
        );
        let log = log_since(&k, from);
        let want = format!("{VF} eth1: {notice}");
        assert_eq!(
            log.contains(&want),
            !notice.is_empty(),
            "{profile}: {log:?}"
        );
        k.check_invariants().unwrap();
    }
}

/// check_dev_is_matching_vf() lets every Ethernet device through, and
/// get_netvsc_byslot() then returns silently for a non-PCI parent (a veth)
/// and with "no PCI slot information" for a PCI NIC without a slot — at
/// POST_INIT (reg_state still uninitialized, c807d6cd089d) and REGISTER.
#[test]
fn get_netvsc_byslot_needs_a_pci_slot() {
    let mut k = kernel("6.18");
    let init = k.init_net();
    k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
    let from = k.dmesg().len();
    Client::new(&mut k, init).add_veth("va", "vb").unwrap();
    assert_eq!(log_since(&k, from), Vec::<String>::new());
    k.hw_add(PEER_BUS, peer_spec()).unwrap();
    assert_eq!(
        log_since(&k, from),
        [
            "e1000 0000:00:09.0 eth1 (uninitialized): no PCI slot information",
            "e1000 0000:00:09.0 eth1: no PCI slot information",
        ]
    );
    assert_eq!(k.dev(dev(&k, init, "eth1")).master, None);
}

/// One VF per netvsc (netvsc_register_vf: vf_netdev already set → DONE,
/// silently); the second keeps the IFF_SLAVE netvsc_prepare_bonding gave
/// it, never cleared.
#[test]
fn netvsc_register_vf_takes_one_vf() {
    let (mut k, init) = pair("6.18");
    let from = k.dmesg().len();
    let second = k.hw_add("7870:00:00.1", vf_spec(1)).unwrap();
    assert_eq!(log_since(&k, from), [format!("{NV} eth0: VF slot 1 added")]);
    assert_eq!(k.dev(second).master, None);
    assert_ne!(k.dev(second).flags & IFF_SLAVE, 0);
    assert_eq!(k.dev(dev(&k, init, "eth0")).lowers.len(), 1);
    k.check_invariants().unwrap();
}

/// netvsc_vf_join(): a VF whose rx_handler is taken (a bridge port) fails
/// with "can not register netvsc VF receive handler (err = -16)"; the
/// IFF_SLAVE from netvsc_prepare_bonding stays (the join failure is
/// silent otherwise). Reached through the probe scan (9cae43da9867).
#[test]
fn netvsc_vf_join_fails_on_a_busy_rx_handler() {
    let mut k = kernel("6.18");
    let init = k.init_net();
    let vf = k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    let mut c = Client::new(&mut k, init);
    c.add_bridge("br0").unwrap();
    c.set_master("eth0", Some("br0")).unwrap();
    let from = k.dmesg().len();
    k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
    let log = log_since(&k, from);
    let tail: Vec<&String> = log.iter().rev().take(2).rev().collect();
    assert_eq!(
        tail,
        [
            &format!("{NV} eth1: VF registering: eth0"),
            &format!("{VF} eth0: can not register netvsc VF receive handler (err = -16)"),
        ]
    );
    assert_ne!(k.dev(vf).flags & IFF_SLAVE, 0);
    assert_eq!(
        k.sysfs_read_by_name(init, "eth0", "master").as_deref(),
        Some("br0")
    );
    k.check_invariants().unwrap();
}

/// do_set_master() on a joined VF: netvsc's device_ops have no
/// ndo_del_slave, so `nomaster` and `master X` are -EOPNOTSUPP.
#[test]
fn do_set_master_refuses_a_joined_vf() {
    let (mut k, init) = pair("6.18");
    let mut c = Client::new(&mut k, init);
    c.add_bridge("br0").unwrap();
    assert_eq!(
        c.set_master("eth1", None).unwrap_err().errno,
        Errno::EOPNOTSUPP
    );
    assert_eq!(
        c.set_master("eth1", Some("br0")).unwrap_err().errno,
        Errno::EOPNOTSUPP
    );
}

/// Hot removal of the VF (pci remove → unregister_netdevice): GOING_DOWN
/// switches the datapath first, then netvsc_unregister_vf ("VF
/// unregistering", rx_handler, upper unlink, dev_put, vf_takeover
/// cancelled); then the host rescinds the association ("VF slot 1 removed").
#[test]
fn netvsc_unregister_vf_on_hot_removal() {
    for planned in [false, true] {
        let (mut k, init) = pair("6.18");
        Client::new(&mut k, init).set_up("eth0", true).unwrap();
        k.run_until_idle();
        let ndev = dev(&k, init, "eth0");
        let from = k.dmesg().len();
        k.hw_del(VF_BUS, planned).unwrap();
        assert_eq!(
            log_since(&k, from),
            [
                format!("{NV} eth0: Data path switched from VF: eth1"),
                format!("{NV} eth0: VF unregistering: eth1"),
                format!("{NV} eth0: VF slot 1 removed"),
            ]
        );
        let p = k.netvsc(ndev).unwrap();
        assert_eq!(
            (p.vf_netdev, p.data_path_is_vf, p.vf_alloc),
            (None, false, false)
        );
        assert!(k.dev(ndev).lowers.is_empty());
        assert_eq!(
            k.dev_get_by_name(init, "eth1"),
            None,
            "freed: no reference left"
        );
        k.check_invariants().unwrap();
    }
}

/// netvsc_remove(): the VF is released first (netvsc_unregister_vf), then
/// the netvsc unregisters; the VF stays, with IFF_SLAVE (never cleared).
#[test]
fn netvsc_remove_releases_the_vf() {
    let (mut k, init) = pair("6.18");
    k.run_until_idle();
    let vf = dev(&k, init, "eth1");
    k.hw_del(NETVSC_BUS, false).unwrap();
    assert_eq!(k.dev_get_by_name(init, "eth0"), None);
    assert_eq!(k.dev(vf).master, None);
    assert_eq!(k.dev(vf).rx_handler, None);
    assert_ne!(k.dev(vf).flags & IFF_SLAVE, 0);
    assert!(!k.dev(vf).refs.iter().any(|r| r.holder == NETVSC_VF_HOLD));
    k.check_invariants().unwrap();
}

/// netvsc_register_vf(): a VF registering in another namespace than its
/// netvsc is moved there (c0a41b887ce6), "VF moved to namespace with:
/// eth0", and joins on the move's NETDEV_REGISTER (so its lines come
/// first); init_net saw its `add` and `remove` uevents.
#[test]
fn netvsc_register_vf_moves_the_vf_to_the_netvsc_namespace() {
    let mut k = kernel("6.18");
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
    Client::new(&mut k, init)
        .set_netns("eth0", ns, None)
        .unwrap();
    k.run_until_idle();
    let from = k.dmesg().len();
    let useq = k.uevent_next_seq();
    let vf = k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    assert_eq!(k.dev(vf).net, ns);
    assert_eq!(k.dev(vf).master, Some(dev(&k, ns, "eth0")));
    assert_eq!(
        log_since(&k, from),
        [
            format!("{NV} eth0: VF slot 1 added"),
            format!("{NV} eth0: VF registering: eth1"),
            format!("{VF} eth1: joined to eth0"),
            format!("{VF} eth1: VF moved to namespace with: eth0"),
        ]
    );
    let in_init: Vec<_> = k
        .uevents_since(useq)
        .unwrap()
        .into_iter()
        .filter(|u| u.net == init)
        .map(|u| (u.action, u.interface))
        .collect();
    use ifnet_core::UeventAction::{Add, Remove};
    // Named eth0 in init_net (free there), eth1 in the netvsc's namespace.
    assert_eq!(
        in_init,
        [(Add, "eth0".to_string()), (Remove, "eth0".to_string())]
    );
    k.check_invariants().unwrap();
}

/// default_device_exit_batch() with a netvsc and its VF in a dying
/// namespace: both are physical and go back to init_net. On 6.12 the
/// netvsc's NETDEV_REGISTER there moves the VF inside the notifier while
/// the teardown walks the list — the crash 33caa208dba6 fixed by deferring
/// to vfns_work; the model's walk tolerates it, and every profile ends
/// with the pair joined in init_net.
#[test]
fn netvsc_pair_returns_from_a_dying_namespace() {
    for profile in ["6.6", "6.12", "6.18"] {
        let (mut k, init) = pair(profile);
        k.run_until_idle();
        let ns = k.netns_new().unwrap();
        let vf = dev(&k, init, "eth1");
        let mut c = Client::new(&mut k, init);
        c.set_netns("eth0", ns, None).unwrap();
        k.run_until_idle();
        if k.dev(vf).net == init {
            Client::new(&mut k, init)
                .set_netns("eth1", ns, None)
                .unwrap();
            k.run_until_idle();
        }
        assert_eq!(k.dev(vf).net, ns, "{profile}");
        k.netns_put(ns).unwrap();
        k.run_until_idle();
        let ndev = k
            .hw_list()
            .into_iter()
            .find(|h| h.0 == NETVSC_BUS)
            .unwrap()
            .2
            .unwrap();
        assert_eq!((k.dev(ndev).net, k.dev(vf).net), (init, init), "{profile}");
        assert_eq!(k.dev(vf).master, Some(ndev), "{profile}");
        k.check_invariants().unwrap();
    }
}
