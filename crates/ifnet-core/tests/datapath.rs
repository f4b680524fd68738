//! Frames through the devices (issue 3): dev_queue_xmit, veth_xmit and
//! __dev_forward_skb, the bridge's br_handle_frame / br_fdb_update /
//! br_flood / br_fdb_cleanup, NICs on a segment, loopback_xmit, taps, and
//! the address lists (dev_mc_add, __hw_addr_sync, arp_mc_map).

mod common;

use common::{dev, quiet_up, veth_between_namespaces};
use ifnet_core::client::Client;
use ifnet_core::datapath::segment::Faults;
use ifnet_core::datapath::{DropReason, Xmit};
use ifnet_core::hw::HwSpec;
use ifnet_core::time::Duration;
use ifnet_core::{DevId, HwAddr, Kernel, KernelProfile};
use std::net::{IpAddr, Ipv4Addr};

fn frame(dst: [u8; 6], src: HwAddr, len: usize) -> Vec<u8> {
    let mut f = vec![0u8; len];
    f[..6].copy_from_slice(&dst);
    f[6..12].copy_from_slice(src.as_bytes());
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f
}

/// veth_xmit(): what one end sends, the other receives, counted on both.
#[test]
fn veth_delivers_across_namespaces() {
    let (mut k, a, b) = veth_between_namespaces();
    let f = frame([0xff; 6], k.dev(a).dev_addr, 64);
    for _ in 0..3 {
        assert_eq!(k.dev_queue_xmit(a, &f), Xmit::Sent);
    }
    assert_eq!(
        (k.dev(a).stats.tx_packets, k.dev(a).stats.tx_bytes),
        (3, 192)
    );
    assert_eq!(
        (k.dev(b).stats.rx_packets, k.dev(b).stats.rx_bytes),
        (3, 192)
    );
    assert_eq!(k.dev(b).delivered_packets, 3);
}

/// __dev_queue_xmit(): a device that is not UP drops and counts tx_dropped;
/// veth_xmit(): a peer that is down makes the sender count tx_dropped and
/// the peer rx_dropped (__dev_forward_skb).
#[test]
fn drops_are_counted_where_linux_counts_them() {
    let (mut k, a, b) = veth_between_namespaces();
    let f = frame([0xff; 6], k.dev(a).dev_addr, 64);
    let ns = k.dev(b).net;
    Client::new(&mut k, ns).set_up("b0", false).unwrap();
    assert_eq!(k.dev_queue_xmit(a, &f), Xmit::Dropped(DropReason::Driver));
    assert_eq!(
        (k.dev(a).stats.tx_dropped, k.dev(b).stats.rx_dropped),
        (1, 1)
    );
    let init = k.init_net();
    Client::new(&mut k, init).set_up("a0", false).unwrap();
    assert_eq!(
        k.dev_queue_xmit(a, &f),
        Xmit::Dropped(DropReason::DeviceDown)
    );
    assert_eq!(k.dev(a).stats.tx_dropped, 2);
    assert_eq!(k.dev(b).stats.rx_packets, 0);
}

/// loopback_xmit(): counted once as sent and once as received on lo.
#[test]
fn loopback_receives_what_it_sends() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    Client::new(&mut k, init).set_up("lo", true).unwrap();
    let lo = dev(&k, init, "lo");
    let f = frame([0; 6], HwAddr::zeroed(6), 60);
    assert_eq!(k.dev_queue_xmit(lo, &f), Xmit::Sent);
    let s = k.dev(lo).stats;
    assert_eq!((s.tx_packets, s.rx_packets, s.rx_bytes), (1, 1, 60));
}

/// A bridge with three veth ports: br_flood() for unknown and broadcast
/// destinations, br_fdb_update() learning, br_forward() to the one port,
/// br_fdb_cleanup() ageing on the virtual clock.
#[test]
fn bridge_learns_forwards_floods_and_ages() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_bridge("br0").unwrap();
    for i in 0..3 {
        c.add_veth(&format!("p{i}"), &format!("h{i}")).unwrap();
        c.set_master(&format!("p{i}"), Some("br0")).unwrap();
        quiet_up(&mut c, &format!("p{i}"));
        quiet_up(&mut c, &format!("h{i}"));
    }
    quiet_up(&mut c, "br0");
    k.run_until_idle();
    let h: Vec<DevId> = (0..3).map(|i| dev(&k, init, &format!("h{i}"))).collect();
    let mac = |k: &Kernel, d: DevId| k.dev(d).dev_addr;
    let rx = |k: &Kernel| {
        h.iter()
            .map(|&d| k.dev(d).stats.rx_packets)
            .collect::<Vec<_>>()
    };
    // h0 → unknown unicast to h1's MAC: flooded to h1 and h2.
    let to_h1: [u8; 6] = mac(&k, h[1]).as_bytes().try_into().unwrap();
    k.dev_queue_xmit(h[0], &frame(to_h1, mac(&k, h[0]), 64));
    assert_eq!(rx(&k), vec![0, 1, 1]);
    // h1 answers h0: h0 was learned on p0, so only h0 receives.
    let to_h0: [u8; 6] = mac(&k, h[0]).as_bytes().try_into().unwrap();
    k.dev_queue_xmit(h[1], &frame(to_h0, mac(&k, h[1]), 64));
    assert_eq!(rx(&k), vec![1, 1, 1]);
    // Now h1 is known too: h0 → h1 reaches only h1.
    k.dev_queue_xmit(h[0], &frame(to_h1, mac(&k, h[0]), 64));
    assert_eq!(rx(&k), vec![1, 2, 1]);
    // Broadcast: every other port, and the bridge itself gets a copy.
    let br = dev(&k, init, "br0");
    k.dev_queue_xmit(h[2], &frame([0xff; 6], mac(&k, h[2]), 64));
    assert_eq!(rx(&k), vec![2, 3, 1]);
    assert_eq!(k.dev(br).stats.rx_packets, 1);
    assert_eq!(k.dev(br).stats.rx_bytes, 50, "counted after eth_type_trans");
    // Ageing: after 300 s of silence the learned entries are gone.
    let learned = |k: &Kernel| {
        k.br_fdb_entries(br)
            .iter()
            .filter(|(_, e)| !e.is_local)
            .count()
    };
    assert_eq!(learned(&k), 3);
    let later = k.now() + Duration::from_secs(301);
    k.advance_to(later);
    k.run_until_idle();
    assert_eq!(learned(&k), 0);
}

/// Two hosts (namespaces) with a NIC each on segment "lan": frames cross
/// when both are UP; faults drop or corrupt them (FCS errors on the NIC).
#[test]
fn nics_on_a_segment_talk_and_faults_apply() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let nic = |m: &str| HwSpec::Nic {
        mac: HwAddr::parse(m).unwrap(),
        driver: None,
        segment: None,
    };
    k.hw_add("0000:00:03.0", nic("52:54:00:00:00:01")).unwrap();
    k.hw_add("0000:00:04.0", nic("52:54:00:00:00:02")).unwrap();
    let ns = k.netns_new().unwrap();
    let mut c = Client::new(&mut k, init);
    c.set_netns("eth1", ns, None).unwrap();
    quiet_up(&mut c, "eth0");
    let a = dev(&k, init, "eth0");
    let b = dev(&k, ns, "eth1");
    let f = frame([0x52, 0x54, 0, 0, 0, 2], k.dev(a).dev_addr, 100);
    k.dev_queue_xmit(a, &f);
    assert_eq!(
        k.dev(b).stats.rx_packets,
        0,
        "the receiver is down: no link"
    );
    quiet_up(&mut Client::new(&mut k, ns), "eth1");
    k.dev_queue_xmit(a, &f);
    assert_eq!(k.dev(b).stats.rx_packets, 1);
    k.segment_set_faults(
        "lan",
        Faults {
            corrupt_pct: 100,
            ..Faults::default()
        },
    );
    k.dev_queue_xmit(a, &f);
    assert_eq!(
        (k.dev(b).stats.rx_crc_errors, k.dev(b).stats.rx_errors),
        (1, 1)
    );
    k.segment_set_faults(
        "lan",
        Faults {
            drop_pct: 100,
            ..Faults::default()
        },
    );
    k.dev_queue_xmit(a, &f);
    assert_eq!(k.dev(b).stats.rx_packets, 1);
    k.segment_set_faults(
        "lan",
        Faults {
            delay_ms: 5,
            ..Faults::default()
        },
    );
    k.dev_queue_xmit(a, &f);
    assert_eq!(k.dev(b).stats.rx_packets, 1, "still on the wire");
    k.run_until_idle();
    assert_eq!(k.dev(b).stats.rx_packets, 2);
}

/// dev_queue_xmit_nit() and __netif_receive_skb_core(): a tap sees what the
/// device sends and receives; the capture ends with the device.
#[test]
fn capture_sees_both_directions_until_the_device_goes() {
    let (mut k, a, b) = veth_between_namespaces();
    assert!(k.capture_start(a, "a.pcap"));
    let f = frame([0xff; 6], k.dev(a).dev_addr, 64);
    k.dev_queue_xmit(a, &f);
    k.dev_queue_xmit(b, &frame([0xff; 6], k.dev(b).dev_addr, 70));
    let c = k.capture_drain(a).unwrap();
    let dirs: Vec<(bool, usize)> = c
        .frames
        .iter()
        .map(|f| (f.outgoing, f.data.len()))
        .collect();
    assert_eq!(dirs, vec![(true, 64), (false, 70)]);
    let init = k.init_net();
    Client::new(&mut k, init).del("a0").unwrap();
    assert!(k.capture_drain(a).unwrap().ended);
    assert!(k.capture_drain(a).is_none());
}

/// arp_mc_map(): an IPv4 group is 01:00:5e:… on Ethernet; dev_mc_add()
/// counts references; dev_mc_sync() pushes an upper's list to a lower and
/// takes an entry back once its owner deletes it (__hw_addr_sync).
#[test]
fn multicast_lists_map_and_sync() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_veth("up0", "low0").unwrap();
    let (upper, lower) = (dev(&k, init, "up0"), dev(&k, init, "low0"));
    let g = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 251));
    k.ip_mc_join(upper, g).unwrap();
    k.ip_mc_join(upper, g).unwrap();
    let mapped = HwAddr::parse("01:00:5e:00:00:fb").unwrap();
    let entry = |k: &Kernel, d: DevId| {
        k.dev_addr_lists(d)
            .mc
            .into_iter()
            .find(|e| e.addr == mapped)
    };
    // Two joins, one link reference (the group counts its users).
    assert_eq!(entry(&k, upper).map(|e| e.refcount), Some(1));
    k.dev_mc_sync(lower, upper).unwrap();
    assert_eq!(entry(&k, lower).map(|e| e.synced), Some(1));
    assert_eq!(
        entry(&k, upper).map(|e| (e.sync_cnt, e.refcount)),
        Some((1, 2))
    );
    k.ip_mc_leave(upper, g).unwrap();
    k.ip_mc_leave(upper, g).unwrap();
    // Only the sync reference is left on the upper: the next sync unsyncs.
    k.dev_mc_sync(lower, upper).unwrap();
    assert!(entry(&k, lower).is_none());
    assert!(entry(&k, upper).is_none());
}

/// ip_mc_unmap()/ip_mc_remap() around NETDEV_PRE/POST_TYPE_CHANGE: an
/// Ethernet device that becomes InfiniBand re-maps its groups with
/// ip_ib_mc_map (P_Key taken from the new broadcast address).
#[test]
fn groups_are_remapped_when_the_type_changes() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    Client::new(&mut k, init).add_bridge("bond0").unwrap();
    let d = dev(&k, init, "bond0");
    let g = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 1));
    // Not up, so ip_mc_up has not joined 224.0.0.1: this join is its user.
    k.ip_mc_join(d, g).unwrap();
    let has = |k: &Kernel, a: &str| {
        let a = HwAddr::parse(a).unwrap();
        k.dev_addr_lists(d).mc.iter().any(|e| e.addr == a)
    };
    assert!(has(&k, "01:00:5e:00:00:01"));
    assert!(has(&k, "33:33:00:00:00:01"), "ff02::1 from ipv6_add_dev");
    let ib_bcast =
        HwAddr::parse("00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:ff:ff:ff:ff").unwrap();
    // The bridge vetoes PRE_TYPE_CHANGE only for its ports; the bridge
    // device itself may change type here (as a bond does).
    k.dev_change_type(d, 32, ib_bcast).unwrap();
    assert!(!has(&k, "01:00:5e:00:00:01"));
    assert!(has(
        &k,
        "00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:00:00:00:01"
    ));
}
