//! The generic failover module and net_failover's 3-netdev model (seeds
//! 000/001): failover_register, failover_slave_register (match by perm_addr,
//! roles in net_failover_slave_pre_register), net_failover_open/xmit/
//! handle_frame/get_stats, renaming an UP slave per kernel profile, and
//! traffic that survives a VF unplug.

use ifnet_core::client::Client;
use ifnet_core::consts::*;
use ifnet_core::datapath::Xmit;
use ifnet_core::hw::HwSpec;
use ifnet_core::{DevId, Errno, HwAddr, Kernel, KernelProfile, NetId};

const MAC: &str = "52:54:00:aa:bb:01";
const PEER: &str = "52:54:00:aa:bb:99";

fn mac(s: &str) -> HwAddr {
    HwAddr::parse(s).unwrap()
}

fn dev(k: &Kernel, net: NetId, name: &str) -> DevId {
    k.dev_get_by_name(net, name)
        .unwrap_or_else(|| panic!("no {name}"))
}

fn virtio(standby: bool) -> HwSpec {
    HwSpec::VirtioNet {
        mac: mac(MAC),
        standby,
        segment: None,
    }
}

fn vf() -> HwSpec {
    HwSpec::Vf {
        mac: mac(MAC),
        driver: None,
        segment: None,
    }
}

/// virtnet_probe() with VIRTIO_NET_F_STANDBY: net_failover_create() makes
/// eth0 (the master, IFF_FAILOVER, netns_immutable, a tracked reference held
/// by failover_register), then the virtio netdev eth1 registers and becomes
/// the standby (same parent as the master).
#[test]
fn standby_creates_master_and_enslaves_itself() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    k.hw_add("0000:00:03.0", virtio(true)).unwrap();
    let (m, s) = (dev(&k, init, "eth0"), dev(&k, init, "eth1"));
    assert_ne!(k.dev(m).priv_flags & IFF_FAILOVER, 0);
    assert!(k.dev(m).netns_immutable);
    assert!(k
        .dev(m)
        .refs
        .iter()
        .any(|r| r.tracked && r.holder.contains("failover")));
    assert_eq!(k.dev(s).master, Some(m));
    assert_eq!(
        k.dev(s).priv_flags & (IFF_FAILOVER_SLAVE | IFF_NO_ADDRCONF),
        IFF_FAILOVER_SLAVE | IFF_NO_ADDRCONF
    );
    assert_eq!(k.sysfs_read(s, "master").as_deref(), Some("eth0"));
    assert_eq!(k.dev(m).dev_addr, k.dev(s).dev_addr);
    // The master can never change namespace.
    let ns = k.netns_new().unwrap();
    let err = Client::new(&mut k, init)
        .set_netns("eth0", ns, None)
        .unwrap_err();
    assert_eq!(err.errno, Errno::EINVAL);
}

/// failover_slave_register() for a VF: primary by its PCI parent; opened
/// because the master runs (net_failover_slave_register); a second device
/// of the same role is refused with -EINVAL and left alone.
#[test]
fn vf_becomes_primary_and_is_opened() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    k.hw_add("0000:00:03.0", virtio(true)).unwrap();
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    k.hw_add("0000:00:04.0", vf()).unwrap();
    let (m, v) = (dev(&k, init, "eth0"), dev(&k, init, "eth2"));
    assert_eq!(k.dev(v).master, Some(m));
    assert!(k.dev(v).is_up(), "opened because the master is running");
    k.run_until_idle();
    assert!(k.dev(m).carrier);
    // A second VF with the same MAC: "attempting to register as slave dev".
    k.hw_add("0000:00:05.0", vf()).unwrap();
    let v2 = dev(&k, init, "eth3");
    assert_eq!(k.dev(v2).master, None);
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l.contains("eth3 attempting to register as slave dev when eth2 already present")));
}

/// Renaming the VF right after it was enslaved and opened, as udev does
/// after the `add` uevent: EBUSY on 5.0 (dev_change_name before
/// 8065a779f17e); allowed on 5.1 through IFF_LIVE_RENAME_OK set by
/// failover; allowed for every device since 6.2 (bd039b5ea2a9).
#[test]
fn renaming_an_up_failover_slave_per_profile() {
    for (profile, expect) in [("5.0", Some(Errno::EBUSY)), ("5.1", None), ("6.18", None)] {
        let mut k = Kernel::new(KernelProfile::preset(profile).unwrap());
        let init = k.init_net();
        k.hw_add("0000:00:03.0", virtio(true)).unwrap();
        Client::new(&mut k, init).set_up("eth0", true).unwrap();
        k.hw_add("0000:00:04.0", vf()).unwrap();
        let v = dev(&k, init, "eth2");
        assert!(k.dev(v).is_up(), "{profile}: enslaved and opened");
        if profile == "5.1" {
            assert_ne!(k.dev(v).priv_flags & IFF_LIVE_RENAME_OK, 0);
        }
        let got = Client::new(&mut k, init)
            .rename("eth2", "enp0s4v0")
            .err()
            .map(|e| e.errno);
        assert_eq!(got, expect, "profile {profile}");
    }
}

/// Two hosts on segment lan: host A has the failover trio, host B a NIC.
fn two_hosts() -> (Kernel, DevId, DevId) {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    k.hw_add("0000:00:03.0", virtio(true)).unwrap();
    k.hw_add(
        "0000:00:09.0",
        HwSpec::Nic {
            mac: mac(PEER),
            driver: None,
            segment: None,
        },
    )
    .unwrap();
    let b = k.netns_new().unwrap();
    Client::new(&mut k, init)
        .set_netns("eth2", b, None)
        .unwrap();
    // addrgenmode none: no link-local, so no DAD probe among the frames
    // these tests count.
    let mut cb = Client::new(&mut k, b);
    cb.set_addrgenmode("eth2", 1).unwrap();
    cb.set_up("eth2", true).unwrap();
    let mut ci = Client::new(&mut k, init);
    ci.set_addrgenmode("eth0", 1).unwrap();
    ci.set_up("eth0", true).unwrap();
    k.hw_add("0000:00:04.0", vf()).unwrap();
    k.run_until_idle();
    // The VF takes eth2 in init_net: host B's NIC took that name with it.
    let (m, peer) = (dev(&k, init, "eth0"), dev(&k, b, "eth2"));
    (k, m, peer)
}

fn frame_to(dst: &str, src: HwAddr) -> Vec<u8> {
    let mut f = vec![0u8; 64];
    f[..6].copy_from_slice(mac(dst).as_bytes());
    f[6..12].copy_from_slice(src.as_bytes());
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f
}

/// net_failover_start_xmit(): through the primary while it runs with
/// carrier; a planned unplug moves the rest to the standby with no loss; a
/// new VF takes transmit back; counters stay monotonic
/// (net_failover_get_stats folds slave snapshots).
#[test]
fn traffic_survives_vf_unplug_and_replug() {
    let (mut k, m, peer) = two_hosts();
    let init = k.init_net();
    let f = frame_to(PEER, k.dev(m).dev_addr);
    for _ in 0..100 {
        assert_eq!(k.dev_queue_xmit(m, &f), Xmit::Sent);
    }
    let vf_dev = dev(&k, init, "eth2");
    assert_eq!(k.dev(vf_dev).stats.tx_packets, 100, "primary carries it");
    k.hw_del("0000:00:04.0", true).unwrap();
    k.run_until_idle();
    for _ in 0..100 {
        assert_eq!(k.dev_queue_xmit(m, &f), Xmit::Sent);
    }
    assert_eq!(k.dev(peer).stats.rx_packets, 200, "no frame lost");
    let standby = dev(&k, init, "eth1");
    assert_eq!(k.dev(standby).stats.tx_packets, 100);
    let before = k.dev_get_stats(m);
    assert_eq!(before.tx_packets, 200, "monotonic across the unplug");
    k.hw_add("0000:00:05.0", vf()).unwrap();
    k.run_until_idle();
    let vf2 = k.dev_get_by_name(init, "eth2").unwrap();
    k.dev_queue_xmit(m, &f);
    assert_eq!(
        k.dev(vf2).stats.tx_packets,
        1,
        "the new VF takes transmit back"
    );
    assert_eq!(k.dev_get_stats(m).tx_packets, 201);
    assert_eq!(k.dev(peer).stats.rx_packets, 201);
}

/// net_failover_handle_frame(): the master receives one copy of what the
/// peer sends — from the VF (ANOTHER); the standby's copy is EXACT while a
/// primary exists, and reaches the master once the VF is gone.
#[test]
fn receive_from_both_lowers() {
    let (mut k, m, peer) = two_hosts();
    let init = k.init_net();
    let back = frame_to(MAC, k.dev(peer).dev_addr);
    k.dev_queue_xmit(peer, &back);
    let (s, v) = (dev(&k, init, "eth1"), dev(&k, init, "eth2"));
    assert_eq!(
        (k.dev(s).stats.rx_packets, k.dev(v).stats.rx_packets),
        (1, 1)
    );
    assert_eq!(k.dev(m).delivered_packets, 1, "one copy reaches the master");
    assert_eq!(
        k.dev(s).delivered_packets,
        1,
        "EXACT: delivered on the standby itself"
    );
    k.hw_del("0000:00:04.0", false).unwrap();
    k.dev_queue_xmit(peer, &back);
    assert_eq!(k.dev(m).delivered_packets, 2);
}

/// A surprise unplug with frames in flight (a 5 ms segment delay): the 10
/// frames the VF already put on the wire are owned by the segment, not by
/// the VF, so they still arrive (segment delivery after `hw_del`); the 10
/// sent after it go through the standby (net_failover_start_xmit falls
/// back once the primary is gone). The run is deterministic: exactly 20
/// arrive, 10 of them through the standby.
#[test]
fn surprise_unplug_delivers_frames_already_on_the_wire() {
    let (mut k, m, peer) = two_hosts();
    k.segment_set_faults(
        "lan",
        ifnet_core::datapath::segment::Faults {
            delay_ms: 5,
            ..Default::default()
        },
    );
    let init = k.init_net();
    let standby = dev(&k, init, "eth1");
    let standby_tx = k.dev(standby).stats.tx_packets;
    let f = frame_to(PEER, k.dev(m).dev_addr);
    for _ in 0..10 {
        k.dev_queue_xmit(m, &f);
    }
    k.hw_del("0000:00:04.0", false).unwrap();
    for _ in 0..10 {
        k.dev_queue_xmit(m, &f);
    }
    k.run_until_idle();
    assert_eq!(
        k.dev(peer).stats.rx_packets,
        20,
        "nothing in flight is lost"
    );
    assert_eq!(
        k.dev(standby).stats.tx_packets - standby_tx,
        10,
        "the rest via the standby"
    );
}

/// net_failover_destroy() via virtnet_remove(): the standby leaves, the
/// master lets go of its tracked reference and is unregistered; nothing
/// waits for references.
#[test]
fn removing_virtio_tears_down_the_master() {
    let (mut k, _m, _peer) = two_hosts();
    let init = k.init_net();
    k.hw_del("0000:00:03.0", true).unwrap();
    assert!(k.dev_get_by_name(init, "eth0").is_none());
    assert!(k.dev_get_by_name(init, "eth1").is_none());
    let v = dev(&k, init, "eth2");
    assert_eq!(k.dev(v).master, None);
    assert_eq!(k.dev(v).priv_flags & IFF_FAILOVER_SLAVE, 0);
    assert!(k.unregister_waits().is_empty());
}

/// net_failover_change_mtu(): both slaves follow the master.
#[test]
fn mtu_goes_to_both_slaves() {
    use netlink_packet_route::link::LinkAttribute;
    let (mut k, m, _peer) = two_hosts();
    let init = k.init_net();
    Client::new(&mut k, init)
        .set("eth0", vec![LinkAttribute::Mtu(4000)])
        .unwrap();
    assert_eq!(k.dev(m).mtu, 4000);
    assert_eq!(k.dev(dev(&k, init, "eth1")).mtu, 4000);
    assert_eq!(k.dev(dev(&k, init, "eth2")).mtu, 4000);
}

/// net_failover_change_mtu(): the primary first; when the standby refuses
/// (virtio's 9000 < mlx5's 9978), the primary is rolled back and the error
/// returned; the master keeps its MTU.
#[test]
fn mtu_rolls_back_when_the_standby_refuses() {
    use netlink_packet_route::link::LinkAttribute;
    let (mut k, m, _peer) = two_hosts();
    let init = k.init_net();
    assert_eq!(
        k.dev(m).max_mtu,
        9978,
        "the primary's range (net_failover_slave_register)"
    );
    let err = Client::new(&mut k, init)
        .set("eth0", vec![LinkAttribute::Mtu(9500)])
        .unwrap_err();
    assert_eq!(err.errno, Errno::EINVAL);
    assert_eq!(k.dev(m).mtu, 1500);
    assert_eq!(
        k.dev(dev(&k, init, "eth2")).mtu,
        1500,
        "primary rolled back"
    );
    assert_eq!(k.dev(dev(&k, init, "eth1")).mtu, 1500);
}

/// net_failover_slave_name_change(): a slave that is down while the master
/// runs is opened again when it is renamed (the EBUSY-at-registration case
/// udev's rename resolves).
#[test]
fn rename_reopens_a_closed_slave() {
    let (mut k, _m, _peer) = two_hosts();
    let init = k.init_net();
    Client::new(&mut k, init).set_up("eth2", false).unwrap();
    assert!(!k.dev(dev(&k, init, "eth2")).is_up());
    Client::new(&mut k, init)
        .rename("eth2", "enp0s4v0")
        .unwrap();
    assert!(k.dev(dev(&k, init, "enp0s4v0")).is_up());
}

/// failover_slave_register() matches by perm_addr only: a NIC whose MAC
/// was changed to the master's is not taken; a VF of another MAC neither.
#[test]
fn matching_uses_perm_addr_only() {
    use netlink_packet_route::link::LinkAttribute;
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    k.hw_add("0000:00:03.0", virtio(true)).unwrap();
    k.hw_add(
        "0000:00:04.0",
        HwSpec::Vf {
            mac: mac("52:54:00:00:00:42"),
            driver: None,
            segment: None,
        },
    )
    .unwrap();
    let v = dev(&k, init, "eth2");
    assert_eq!(k.dev(v).master, None);
    Client::new(&mut k, init)
        .set(
            "eth2",
            vec![LinkAttribute::Address(mac(MAC).as_bytes().to_vec())],
        )
        .unwrap();
    assert_eq!(k.dev(v).master, None, "dev_addr changed, perm_addr did not");
}

/// netdev_wait_allrefs_any() + ref_tracker_dir_print(): if the failover
/// instance's tracked reference were still held when the master is
/// unregistered (here: taken twice, put once by failover_unregister), the
/// wait names its holder, as CONFIG_NET_DEV_REFCNT_TRACKER prints it.
#[test]
fn a_leaked_failover_reference_is_reported_by_name() {
    use ifnet_core::modules::failover::FAILOVER_TRACKER;
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    k.hw_add("0000:00:03.0", virtio(true)).unwrap();
    let m = dev(&k, init, "eth0");
    k.netdev_hold(m, FAILOVER_TRACKER, true);
    k.hw_del("0000:00:03.0", true).unwrap();
    let waits = k.unregister_waits();
    assert_eq!(waits.len(), 1);
    assert_eq!(waits[0].0, "eth0");
    assert_eq!(waits[0].1[0].holder, FAILOVER_TRACKER);
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l.contains("waiting for eth0 to become free")));
}
