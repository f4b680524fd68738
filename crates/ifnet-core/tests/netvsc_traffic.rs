//! Frames through a netvsc and its VF (netvsc_xmit / netvsc_vf_xmit,
//! netvsc_vf_handle_frame, netvsc_get_stats64) and the host's virtual
//! switch (drivers/netvsc_host.rs), including host servicing: the VF is
//! removed for 60 s of virtual time and given back (acceptance 3).

mod netvsc_support;

use ifnet_core::client::Client;
use ifnet_core::time::Duration;
use ifnet_core::{DevId, Kernel, NetId};
use netvsc_support::*;

/// The Azure shape, settled and UP: netvsc eth0 + VF eth1 (datapath on the
/// VF) and a peer NIC eth2 on the same segment.
fn azure() -> (Kernel, NetId, DevId, DevId) {
    let (mut k, init) = pair("6.18");
    let peer = k.hw_add(PEER_BUS, peer_spec()).unwrap();
    let mut c = Client::new(&mut k, init);
    c.set_up("eth0", true).unwrap();
    c.set_up("eth2", true).unwrap();
    k.run_until_idle();
    let ndev = dev(&k, init, "eth0");
    assert!(k.netvsc(ndev).unwrap().data_path_is_vf);
    (k, init, ndev, peer)
}

/// Sends `n` frames each way between the guest (through the netvsc) and
/// the peer, tagged `tag`.
fn exchange(k: &mut Kernel, ndev: DevId, peer: DevId, n: u8, tag: u8) {
    for i in 0..n {
        let out = frame(PEER_MAC, MAC, tag.wrapping_add(i));
        assert_eq!(
            k.dev_queue_xmit(ndev, &out),
            ifnet_core::datapath::Xmit::Sent
        );
        let back = frame(MAC, PEER_MAC, tag.wrapping_add(i));
        assert_eq!(
            k.dev_queue_xmit(peer, &back),
            ifnet_core::datapath::Xmit::Sent
        );
    }
}

/// netvsc_xmit(): with the datapath on a running VF with carrier, TX goes
/// through the VF (netvsc_vf_xmit counts vf_stats.tx); the host forwards
/// unicast for the vNIC to the VF — all but the flow's first packet, which
/// the host's switch delivers on the synthetic path while it programs the
/// flow (netvsc_host.rs) — and the VF's rx_handler (netvsc_vf_handle_frame)
/// counts vf_stats.rx and hands the frame to the netvsc. netvsc_get_stats64
/// adds the VF's counters to the synthetic ones.
#[test]
fn netvsc_xmit_uses_the_vf_while_switched() {
    let (mut k, init, ndev, peer) = azure();
    let vf = dev(&k, init, "eth1");
    let (n0, v0, p0) = (k.dev(ndev).stats, k.dev(vf).stats, k.dev(peer).stats);
    let nd0 = k.dev(ndev).delivered_packets;
    let s0 = k.netvsc(ndev).unwrap().vf_stats;
    let t0 = k.dev_get_stats(ndev);
    exchange(&mut k, ndev, peer, 10, 0);
    let vfs = k.netvsc(ndev).unwrap().vf_stats;
    let d = (
        vfs.tx_packets - s0.tx_packets,
        vfs.rx_packets - s0.rx_packets,
    );
    assert_eq!(
        d,
        (10, 9),
        "the flow's first packet came on the synthetic NIC"
    );
    assert_eq!(vfs.tx_bytes - s0.tx_bytes, 10 * 60);
    assert_eq!(k.dev(vf).stats.tx_packets - v0.tx_packets, 10);
    assert_eq!(k.dev(vf).stats.rx_packets - v0.rx_packets, 9);
    let n = k.dev(ndev).stats;
    assert_eq!(
        (n.tx_packets, n.rx_packets),
        (n0.tx_packets, n0.rx_packets + 1)
    );
    assert_eq!(k.dev(peer).stats.rx_packets - p0.rx_packets, 10);
    assert_eq!(
        k.dev(ndev).delivered_packets - nd0,
        10,
        "delivered as the netvsc"
    );
    let total = k.dev_get_stats(ndev);
    assert_eq!(total.tx_packets, n.tx_packets + vfs.tx_packets);
    assert_eq!(total.rx_packets, n.rx_packets + vfs.rx_packets);
    assert_eq!(total.tx_packets - t0.tx_packets, 10);
}

/// An IPv4/UDP frame from the peer to the guest, source port `sport`.
fn udp_to_guest(sport: u16) -> Vec<u8> {
    let mut f = frame(MAC, PEER_MAC, 0);
    f.truncate(12);
    f.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&[10, 0, 0, 99, 10, 0, 0, 1]);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&[0, 53, 0, 8, 0, 0]);
    f.resize(60, 0);
    f
}

/// The host's switch (netvsc_host.rs `hv_vswitch_route`): the first
/// packet of each flow (its 5-tuple) to a vNIC on the VF path arrives on
/// the synthetic NIC, the next ones on the VF. A datapath switch
/// (netvsc_switch_datapath, here away from the VF and back as the VF goes
/// down and up) forgets the programmed flows, so each flow's next packet
/// takes the synthetic path again.
#[test]
fn first_packet_of_each_flow_arrives_on_the_synthetic_nic() {
    let (mut k, init, ndev, peer) = azure();
    let vf = dev(&k, init, "eth1");
    let rx = |k: &Kernel| (k.dev(ndev).stats.rx_packets, k.dev(vf).stats.rx_packets);
    let r0 = rx(&k);
    for _round in 0..3 {
        for sport in [1000, 1001, 1002] {
            k.dev_queue_xmit(peer, &udp_to_guest(sport));
        }
    }
    assert_eq!((rx(&k).0 - r0.0, rx(&k).1 - r0.1), (3, 6));
    assert_eq!(k.netvsc(ndev).unwrap().vf_flows.len(), 3);
    let mut c = Client::new(&mut k, init);
    c.set_up("eth1", false).unwrap();
    c.set_up("eth1", true).unwrap();
    k.run_until_idle();
    assert!(k.netvsc(ndev).unwrap().data_path_is_vf);
    assert!(k.netvsc(ndev).unwrap().vf_flows.is_empty());
    let r1 = rx(&k);
    k.dev_queue_xmit(peer, &udp_to_guest(1000));
    k.dev_queue_xmit(peer, &udp_to_guest(1000));
    assert_eq!((rx(&k).0 - r1.0, rx(&k).1 - r1.1), (1, 1));
    k.check_invariants().unwrap();
}

/// The host's flow table is bounded (HV_VF_FLOWS_MAX): one flow more
/// evicts one, and the invariant check holds the bound.
#[test]
fn host_flow_table_is_bounded() {
    let (mut k, _init, ndev, peer) = azure();
    let max = ifnet_core::drivers::netvsc::HV_VF_FLOWS_MAX;
    for sport in 0..=max as u16 {
        k.dev_queue_xmit(peer, &udp_to_guest(sport));
    }
    let flows = &k.netvsc(ndev).unwrap().vf_flows;
    assert_eq!(flows.len(), max);
    assert_eq!(
        flows.first().map(|f| f.sport),
        Some(1),
        "the smallest key went"
    );
    k.check_invariants().unwrap();
}

/// netvsc_xmit(): VF carrier loss without admin-down sends TX on the
/// synthetic path while data_path_is_vf (and so the host) stays on the VF
/// — unicast from the peer then goes to the VF, which has no carrier, and
/// is lost there (netvsc-bonding.md §1.8); only the flow's first packet,
/// which the host delivers on the synthetic path, arrives.
#[test]
fn netvsc_xmit_falls_back_to_synthetic_without_vf_carrier() {
    let (mut k, init, ndev, peer) = azure();
    let vf = dev(&k, init, "eth1");
    k.netif_carrier_off(vf);
    let (n0, p0) = (k.dev(ndev).stats, k.dev(peer).stats);
    let vf0 = k.netvsc(ndev).unwrap().vf_stats;
    exchange(&mut k, ndev, peer, 4, 0);
    assert_eq!(k.dev(ndev).stats.tx_packets - n0.tx_packets, 4);
    assert_eq!(k.netvsc(ndev).unwrap().vf_stats, vf0);
    assert_eq!(k.dev(peer).stats.rx_packets - p0.rx_packets, 4);
    assert_eq!(
        k.dev(ndev).stats.rx_packets,
        n0.rx_packets + 1,
        "the host sent all but the first to the VF"
    );
}

/// The host's switch sends broadcast to the synthetic NIC only, never to
/// the VF, and never back to the vNIC a frame came from.
#[test]
fn broadcast_arrives_on_the_synthetic_nic() {
    let (mut k, init, ndev, peer) = azure();
    let vf = dev(&k, init, "eth1");
    let (n0, v0) = (k.dev(ndev).stats, k.dev(vf).stats);
    let b = frame("ff:ff:ff:ff:ff:ff", PEER_MAC, 1);
    k.dev_queue_xmit(peer, &b);
    assert_eq!(k.dev(ndev).stats.rx_packets - n0.rx_packets, 1);
    assert_eq!(k.dev(ndev).stats.multicast - n0.multicast, 1);
    assert_eq!(k.dev(vf).stats.rx_packets, v0.rx_packets);
    let p0 = k.dev(peer).stats;
    let own = frame("ff:ff:ff:ff:ff:ff", MAC, 2);
    k.dev_queue_xmit(ndev, &own);
    assert_eq!(k.dev(peer).stats.rx_packets - p0.rx_packets, 1);
    assert_eq!(
        k.dev(ndev).stats.rx_packets - n0.rx_packets,
        1,
        "not echoed back"
    );
}

/// Host servicing with traffic: the VF is hot-removed, 60 s of virtual
/// time pass with frames flowing on the synthetic path, the VF comes back,
/// joins, is set up by vf_takeover 100 ms later and the datapath switches
/// back. Every frame sent each way is received; the kernel log shows
/// netvsc's lines in the kernel's order.
#[test]
fn servicing_loses_no_frame() {
    let (mut k, init, ndev, peer) = azure();
    let (p0, nd0) = (k.dev(peer).stats.rx_packets, k.dev(ndev).delivered_packets);
    let from = k.dmesg().len();
    exchange(&mut k, ndev, peer, 5, 0);
    k.hw_del(VF_BUS, false).unwrap();
    let syn0 = k.dev(ndev).stats;
    for second in 0..60u8 {
        exchange(&mut k, ndev, peer, 1, 10 + second);
        k.sleep(Duration::from_secs(1));
    }
    let syn = k.dev(ndev).stats;
    assert_eq!(
        (
            syn.tx_packets - syn0.tx_packets,
            syn.rx_packets - syn0.rx_packets
        ),
        (60, 60)
    );
    let t_back = k.now();
    k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    // Between the join and vf_takeover the VF is down: still synthetic.
    exchange(&mut k, ndev, peer, 3, 80);
    k.run_until_idle();
    assert!(k.netvsc(ndev).unwrap().data_path_is_vf);
    let vf_before = k.netvsc(ndev).unwrap().vf_stats;
    exchange(&mut k, ndev, peer, 5, 90);
    let vfs = k.netvsc(ndev).unwrap().vf_stats;
    assert_eq!(vfs.tx_packets - vf_before.tx_packets, 5);
    let sent = 5 + 60 + 3 + 5;
    assert_eq!(k.dev(peer).stats.rx_packets - p0, sent);
    assert_eq!(k.dev(ndev).delivered_packets - nd0, sent);
    assert_eq!(
        log_since(&k, from),
        [
            format!("{NV} eth0: Data path switched from VF: eth1"),
            format!("{NV} eth0: VF unregistering: eth1"),
            format!("{NV} eth0: VF slot 1 removed"),
            format!("{NV} eth0: VF slot 1 added"),
            format!("{NV} eth0: VF registering: eth1"),
            format!("{VF} eth1: joined to eth0"),
            format!("{NV} eth0: Data path switched to VF: eth1"),
        ]
    );
    let last = k.dmesg_lines().into_iter().last().unwrap();
    assert_eq!(
        last.time,
        t_back + ifnet_core::drivers::netvsc_vf::VF_TAKEOVER_INT
    );
    assert!(t_back.as_nanos() >= 60_000_000_000);
    k.check_invariants().unwrap();
    let _ = init;
}
