//! bond_mii_monitor() on the virtual clock (bond_main.c 6.18):
//! bond_miimon_inspect / bond_miimon_commit with updelay and downdelay,
//! link_failure_count, the carrier (bond_set_carrier), no monitoring
//! without miimon, and the selftest mode-1-recovery-updelay.sh.

mod bonding_support;
use bonding_support::*;

fn mii(k: &Kernel, s: &str) -> String {
    sysfs(k, s, "bonding_slave/mii_status")
}

/// With miimon, a slave whose carrier goes is FAIL for downdelay, then
/// DOWN (link_failure_count + 1, "link status definitely down"), and the
/// bond fails over to the backup (bond_miimon_commit → select).
#[test]
fn carrier_loss_fails_over_after_downdelay() {
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
    assert_eq!(active(&k, "bond0").as_deref(), Some("e0"));
    up(&mut k, "p0", false);
    sleep_ms(&mut k, 100);
    assert_eq!(mii(&k, "e0"), "going down");
    assert_eq!(active(&k, "bond0").as_deref(), Some("e0"));
    sleep_ms(&mut k, 200);
    assert_eq!(mii(&k, "e0"), "down");
    assert_eq!(sysfs(&k, "e0", "bonding_slave/link_failure_count"), "1");
    assert_eq!(active(&k, "bond0").as_deref(), Some("e1"));
    let log = k.dmesg();
    for w in [
        "bond0: (slave e0): link status down for active interface, disabling it in 200 ms",
        "bond0: (slave e0): link status definitely down, disabling slave",
        "bond0: (slave e1): making interface the new active one",
    ] {
        assert!(log.iter().any(|l| l == w), "missing {w:?} in {log:#?}");
    }
}

/// Without miimon (and without arp_interval) a slave's link is UP for
/// good: carrier loss never fails over (bond_enslave's initial state).
#[test]
fn no_miimon_never_fails_over() {
    let mut k = Kernel::new(KernelProfile::latest());
    ab_over_veths(&mut k, 2, 0);
    up(&mut k, "p0", false);
    sleep_ms(&mut k, 5000);
    assert_eq!(active(&k, "bond0").as_deref(), Some("e0"));
    assert_eq!(mii(&k, "e0"), "up");
    assert!(k
        .pending_work()
        .iter()
        .all(|w| !matches!(w.work, ifnet_core::workqueue::Work::BondMii(_))));
}

/// A returning slave is BACK for updelay ("link status up, enabling it in
/// N ms"), then UP ("definitely up, 10000 Mbps full duplex"); with a
/// current active it does not take over (same prio, not primary).
#[test]
fn returning_backup_waits_updelay() {
    let mut k = Kernel::new(KernelProfile::latest());
    veths(&mut k, 2);
    add_bond(
        &mut k,
        "bond0",
        vec![
            InfoBond::Mode(BondMode::ActiveBackup),
            InfoBond::MiiMon(100),
            InfoBond::UpDelay(300),
        ],
    )
    .unwrap();
    master(&mut k, "e0", Some("bond0")).unwrap();
    master(&mut k, "e1", Some("bond0")).unwrap();
    up(&mut k, "bond0", true);
    k.run_until_idle();
    sleep_ms(&mut k, 400);
    up(&mut k, "p1", false);
    sleep_ms(&mut k, 200);
    assert_eq!(mii(&k, "e1"), "down");
    up(&mut k, "p1", true);
    sleep_ms(&mut k, 100);
    assert_eq!(mii(&k, "e1"), "going back");
    sleep_ms(&mut k, 300);
    assert_eq!(mii(&k, "e1"), "up");
    assert_eq!(active(&k, "bond0").as_deref(), Some("e0"));
    let log = k.dmesg();
    for w in [
        "bond0: (slave e1): link status up, enabling it in 300 ms",
        "bond0: (slave e1): link status definitely up, 10000 Mbps full duplex",
    ] {
        assert!(log.iter().any(|l| l == w), "missing {w:?} in {log:#?}");
    }
}

/// _bond_option_delay_set(): updelay without miimon is -EPERM and logged;
/// a value that is not a multiple is rounded down with a warning, and
/// reported in ms.
#[test]
fn delay_needs_miimon_and_is_rounded() {
    let mut k = Kernel::new(KernelProfile::latest());
    let r = add_bond(
        &mut k,
        "bond0",
        vec![
            InfoBond::Mode(BondMode::ActiveBackup),
            InfoBond::UpDelay(200),
        ],
    );
    assert_eq!(err(r).0, Errno::EPERM);
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "bond0: Unable to set up delay as MII monitoring is disabled"));
    // bond_newlink() unregistered the bond again.
    assert!(k.dev_get_by_name(k.init_net(), "bond0").is_none());
    add_bond(
        &mut k,
        "bond0",
        vec![InfoBond::UpDelay(250), InfoBond::MiiMon(100)],
    )
    .unwrap();
    assert_eq!(sysfs(&k, "bond0", "bonding/updelay"), "200");
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l
            == "bond0: up delay (250) is not a multiple of miimon (100), value rounded to 200 ms"));
}

/// mode-1-recovery-updelay.sh (bonding.rst §13.1): with every slave down,
/// the first one back is used at once despite a long updelay
/// (bond_miimon_inspect's ignore_updelay), logged "enabling it in 0 ms".
#[test]
fn selftest_mode1_recovery_ignores_updelay() {
    for updelay in [0u32, 1000, 10000] {
        let mut k = Kernel::new(KernelProfile::latest());
        veths(&mut k, 2);
        add_bond(
            &mut k,
            "bond0",
            vec![
                InfoBond::Mode(BondMode::ActiveBackup),
                InfoBond::MiiMon(100),
                InfoBond::UpDelay(updelay),
            ],
        )
        .unwrap();
        master(&mut k, "e0", Some("bond0")).unwrap();
        master(&mut k, "e1", Some("bond0")).unwrap();
        up(&mut k, "bond0", true);
        k.run_until_idle();
        sleep_ms(&mut k, u64::from(updelay) + 200);
        up(&mut k, "p0", false);
        up(&mut k, "p1", false);
        sleep_ms(&mut k, 300);
        assert_eq!(active(&k, "bond0"), None, "updelay {updelay}");
        assert_eq!(sysfs(&k, "bond0", "bonding/mii_status"), "down");
        up(&mut k, "p1", true);
        sleep_ms(&mut k, 100);
        assert_eq!(
            active(&k, "bond0").as_deref(),
            Some("e1"),
            "updelay {updelay}"
        );
        assert_eq!(sysfs(&k, "bond0", "bonding/mii_status"), "up");
        if updelay > 0 {
            assert!(k
                .dmesg()
                .iter()
                .any(|l| l == "bond0: (slave e1): link status up, enabling it in 0 ms"));
        }
    }
}

/// bond_close() cancels the monitor; bond_open() starts it again at once.
#[test]
fn monitor_runs_only_while_up() {
    let mut k = Kernel::new(KernelProfile::latest());
    ab_over_veths(&mut k, 1, 100);
    let has_mii = |k: &Kernel| {
        k.pending_work()
            .iter()
            .any(|w| matches!(w.work, ifnet_core::workqueue::Work::BondMii(_)))
    };
    assert!(has_mii(&k));
    up(&mut k, "bond0", false);
    assert!(!has_mii(&k));
    up(&mut k, "bond0", true);
    assert!(has_mii(&k));
}
