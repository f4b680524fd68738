//! Frames through an active-backup bond (bond_main.c 6.18):
//! bond_xmit_activebackup (TX on the active slave only, tx_dropped
//! without one), bond_handle_frame / bond_should_deliver_exact_match (RX
//! on a backup is for exact-match handlers only; all_slaves_active lets it
//! through; link-local frames pass on the slave), bond_get_stats, and the
//! frames lost while miimon notices a pulled cable.

mod bonding_support;
use bonding_support::*;
use ifnet_core::datapath::Xmit;
use ifnet_core::workqueue::Work;

fn frame(dst: &[u8], src: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(dst);
    f.extend_from_slice(src);
    f.extend_from_slice(&[0x88, 0xb5]);
    f.resize(60, 0);
    f
}

fn rx_packets(k: &Kernel, d: DevId) -> u64 {
    k.dev(d).stats.rx_packets
}

/// TX goes out of the active slave only.
#[test]
fn tx_on_active_slave_only() {
    let mut k = Kernel::new(KernelProfile::latest());
    ab_over_veths(&mut k, 2, 100);
    let b = dev(&k, "bond0");
    let src = k.dev(b).dev_addr.as_bytes().to_vec();
    let (p0, p1) = (dev(&k, "p0"), dev(&k, "p1"));
    let (r0, r1) = (rx_packets(&k, p0), rx_packets(&k, p1));
    for _ in 0..5 {
        assert_eq!(k.dev_queue_xmit(b, &frame(&[0xff; 6], &src)), Xmit::Sent);
    }
    assert_eq!(rx_packets(&k, p0) - r0, 5);
    assert_eq!(rx_packets(&k, p1) - r1, 0);
    let s = k.dev_get_stats(b);
    assert!(s.tx_packets >= 5, "bond_get_stats folds the slaves'");
}

/// bond_should_deliver_exact_match(): a frame on the backup does not reach
/// the bond (RX_HANDLER_EXACT); with all_slaves_active it does; a
/// link-local destination passes on the slave itself.
#[test]
fn rx_on_backup_is_exact_match_only() {
    for all_active in [0u8, 1] {
        let mut k = Kernel::new(KernelProfile::latest());
        ab_over_veths(&mut k, 2, 100);
        set_bond(
            &mut k,
            "bond0",
            vec![InfoBond::AllPortsActive(all_active.into())],
        )
        .unwrap();
        let (b, p0, p1, e1) = (
            dev(&k, "bond0"),
            dev(&k, "p0"),
            dev(&k, "p1"),
            dev(&k, "e1"),
        );
        let bmac = k.dev(b).dev_addr.as_bytes().to_vec();
        let psrc = k.dev(p1).dev_addr.as_bytes().to_vec();
        let at_bond = k.dev(b).delivered_packets;
        k.dev_queue_xmit(p1, &frame(&bmac, &psrc));
        assert_eq!(
            k.dev(b).delivered_packets - at_bond,
            u64::from(all_active),
            "all_slaves_active {all_active}"
        );
        let at_e1 = k.dev(e1).delivered_packets;
        let lldp = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e];
        k.dev_queue_xmit(p1, &frame(&lldp, &psrc));
        let to_bond = k.dev(b).delivered_packets - at_bond;
        if all_active == 0 {
            assert_eq!(
                k.dev(e1).delivered_packets - at_e1,
                1,
                "LLDP passes on the slave"
            );
            assert_eq!(to_bond, 0);
        }
        // The active slave's frames always reach the bond.
        let before = k.dev(b).delivered_packets;
        let p0src = k.dev(p0).dev_addr.as_bytes().to_vec();
        k.dev_queue_xmit(p0, &frame(&bmac, &p0src));
        assert_eq!(k.dev(b).delivered_packets - before, 1);
    }
}

/// bond_xmit_activebackup() with no active slave: bond_tx_drop counts
/// tx_dropped on the bond.
#[test]
fn tx_without_active_slave_is_dropped() {
    let mut k = Kernel::new(KernelProfile::latest());
    ab_over_veths(&mut k, 1, 100);
    up(&mut k, "p0", false);
    sleep_ms(&mut k, 200);
    assert_eq!(active(&k, "bond0"), None);
    let b = dev(&k, "bond0");
    let src = k.dev(b).dev_addr.as_bytes().to_vec();
    let before = k.dev(b).stats.tx_dropped;
    assert!(matches!(
        k.dev_queue_xmit(b, &frame(&[0xff; 6], &src)),
        Xmit::Dropped(_)
    ));
    assert_eq!(k.dev(b).stats.tx_dropped - before, 1);
}

/// A cable pulled under traffic (one frame a millisecond): the frames lost
/// are exactly those sent until bond_miimon_commit takes the slave DOWN —
/// from the pull to the next monitor tick, plus downdelay — within the
/// bound miimon + downdelay; every frame after goes out of the backup.
#[test]
fn failover_loss_is_bounded_by_miimon_and_downdelay() {
    let mut k = Kernel::new(KernelProfile::latest());
    veths(&mut k, 2);
    add_bond(
        &mut k,
        "bond0",
        vec![
            InfoBond::Mode(BondMode::ActiveBackup),
            InfoBond::MiiMon(100),
            InfoBond::DownDelay(200),
        ],
    )
    .unwrap();
    master(&mut k, "e0", Some("bond0")).unwrap();
    master(&mut k, "e1", Some("bond0")).unwrap();
    up(&mut k, "bond0", true);
    k.run_until_idle();
    sleep_ms(&mut k, 1234);
    let b = dev(&k, "bond0");
    let src = k.dev(b).dev_addr.as_bytes().to_vec();
    up(&mut k, "p0", false);
    let pulled = k.now();
    let tick = k
        .pending_work()
        .into_iter()
        .find(|w| w.work == Work::BondMii(b))
        .unwrap()
        .due;
    let expected = (tick - pulled).as_nanos() / 1_000_000 + 200;
    let p1 = dev(&k, "p1");
    let r1 = rx_packets(&k, p1);
    let (mut lost, mut sent) = (0u64, 0u64);
    for _ in 0..1000 {
        match k.dev_queue_xmit(b, &frame(&[0xff; 6], &src)) {
            Xmit::Sent if rx_packets(&k, p1) > r1 + sent => sent += 1,
            _ => lost += 1,
        }
        sleep_ms(&mut k, 1);
    }
    assert_eq!(lost, expected);
    assert!(lost <= 300, "miimon + downdelay");
    assert_eq!(lost + sent, 1000);
    assert_eq!(active(&k, "bond0").as_deref(), Some("e1"));
}
