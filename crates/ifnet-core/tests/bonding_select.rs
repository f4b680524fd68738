//! Active slave selection (bond_main.c bond_choose_primary_or_current,
//! bond_find_best_slave; bond_options.c primary, prio, primary_reselect,
//! active_slave, the option checks) and the selftest bond_options.sh
//! `prio` cases.

mod bonding_support;
use bonding_support::*;

fn fail(k: &mut Kernel, i: usize) {
    up(k, &format!("p{i}"), false);
    sleep_ms(k, 200);
}

fn restore(k: &mut Kernel, i: usize) {
    up(k, &format!("p{i}"), true);
    sleep_ms(k, 200);
}

/// bond_option_primary_set(): a slave named primary becomes active at
/// once (force_primary); `primary` recorded before enslave is picked up
/// at enslave.
#[test]
fn primary_takes_over_and_is_remembered() {
    let mut k = Kernel::new(KernelProfile::latest());
    ab_over_veths(&mut k, 2, 100);
    let e1 = k.dev(dev(&k, "e1")).ifindex;
    set_bond(&mut k, "bond0", vec![InfoBond::Primary(e1)]).unwrap();
    assert_eq!(active(&k, "bond0").as_deref(), Some("e1"));
    assert_eq!(sysfs(&k, "bond0", "bonding/primary"), "e1");
    let proc = k.bond_proc_show(dev(&k, "bond0")).unwrap();
    assert!(
        proc.contains("Primary Slave: e1 (primary_reselect always)\n"),
        "{proc}"
    );
}

/// primary_reselect: `always` — the primary takes back over when its link
/// returns; `failure` — it waits for the current one to fail.
#[test]
fn primary_reselect_always_vs_failure() {
    for (reselect, back) in [(0u8, "e0"), (2u8, "e1")] {
        let mut k = Kernel::new(KernelProfile::latest());
        ab_over_veths(&mut k, 2, 100);
        let e0 = k.dev(dev(&k, "e0")).ifindex;
        set_bond(
            &mut k,
            "bond0",
            vec![
                InfoBond::Primary(e0),
                InfoBond::PrimaryReselect(reselect.into()),
            ],
        )
        .unwrap();
        fail(&mut k, 0);
        assert_eq!(active(&k, "bond0").as_deref(), Some("e1"));
        restore(&mut k, 0);
        assert_eq!(
            active(&k, "bond0").as_deref(),
            Some(back),
            "reselect {reselect}"
        );
    }
}

/// bond_options.sh `prio` (miimon variant, 0a2ff7cc8ad4 v6.0): without a
/// primary the UP slave with the highest prio is active; a slave coming
/// back with a higher prio takes over (bond_miimon_commit), and prio
/// shows in `bonding_slave/prio`.
#[test]
fn selftest_bond_options_prio() {
    for prios in [[0, 10, 11], [1_000_000, 0, -50]] {
        let mut k = Kernel::new(KernelProfile::latest());
        ab_over_veths(&mut k, 3, 100);
        for (i, p) in prios.iter().enumerate() {
            set_prio(&mut k, &format!("e{i}"), *p).unwrap();
        }
        let best = (0..3).max_by_key(|&i| (prios[i], -(i as i32))).unwrap();
        assert_eq!(active(&k, "bond0"), Some(format!("e{best}")), "{prios:?}");
        for (i, p) in prios.iter().enumerate() {
            assert_eq!(
                sysfs(&k, &format!("e{i}"), "bonding_slave/prio"),
                p.to_string()
            );
        }
        fail(&mut k, best);
        let second = (0..3)
            .filter(|&i| i != best)
            .max_by_key(|&i| (prios[i], -(i as i32)))
            .unwrap();
        assert_eq!(active(&k, "bond0"), Some(format!("e{second}")));
        restore(&mut k, best);
        assert_eq!(
            active(&k, "bond0"),
            Some(format!("e{best}")),
            "prio wins back"
        );
    }
}

/// bond_option_prio_set() with a primary set only warns.
#[test]
fn prio_with_primary_only_warns() {
    let mut k = Kernel::new(KernelProfile::latest());
    ab_over_veths(&mut k, 2, 100);
    let e0 = k.dev(dev(&k, "e0")).ifindex;
    set_bond(&mut k, "bond0", vec![InfoBond::Primary(e0)]).unwrap();
    set_prio(&mut k, "e1", 100).unwrap();
    assert_eq!(active(&k, "bond0").as_deref(), Some("e0"));
    assert_eq!(k.dmesg().last().map(String::as_str), Some("bond0: (slave e1): prio updated, but will not affect failover re-selection as primary slave have been set"));
}

/// bond_option_active_slave_set(): an UP slave becomes active; a down one
/// is -EINVAL "invalid option value" and logged.
#[test]
fn active_slave_option() {
    let mut k = Kernel::new(KernelProfile::latest());
    ab_over_veths(&mut k, 2, 100);
    let e1 = k.dev(dev(&k, "e1")).ifindex;
    set_bond(&mut k, "bond0", vec![InfoBond::ActivePort(e1)]).unwrap();
    assert_eq!(active(&k, "bond0").as_deref(), Some("e1"));
    fail(&mut k, 0);
    let e0 = k.dev(dev(&k, "e0")).ifindex;
    let (e, msg) = err(set_bond(&mut k, "bond0", vec![InfoBond::ActivePort(e0)]));
    assert_eq!(e, Errno::EINVAL);
    assert_eq!(msg.as_deref(), Some("invalid option value"));
    assert!(k.dmesg().iter().any(|l| {
        l
        == "bond0: (slave e0): Could not set as active slave; either e0 is down or the link is down"
    }));
}

/// bond_opt_check_deps(): mode and fail_over_mac are NOSLAVES (-ENOTEMPTY),
/// mode is IFDOWN (-EBUSY), with the kernel's extack and log lines.
#[test]
fn option_dependencies() {
    let mut k = Kernel::new(KernelProfile::latest());
    ab_over_veths(&mut k, 1, 100);
    let (e, msg) = err(set_bond(
        &mut k,
        "bond0",
        vec![InfoBond::FailOverMac(1u8.into())],
    ));
    assert_eq!(e, Errno::ENOTEMPTY);
    assert_eq!(
        msg.as_deref(),
        Some("unable to set option because the bond device has slaves")
    );
    assert_eq!(
        k.dmesg().last().map(String::as_str),
        Some("bond0: option fail_over_mac: unable to set because the bond device has slaves")
    );
    master(&mut k, "e0", None).unwrap();
    let (e, msg) = err(set_bond(
        &mut k,
        "bond0",
        vec![InfoBond::Mode(BondMode::BalanceRr)],
    ));
    assert_eq!(e, Errno::EBUSY);
    assert_eq!(
        msg.as_deref(),
        Some("unable to set option because the bond is up")
    );
    up(&mut k, "bond0", false);
    set_bond(&mut k, "bond0", vec![InfoBond::Mode(BondMode::BalanceRr)]).unwrap();
    // primary is AB/TLB/ALB only: -EACCES in balance-rr.
    let (e, msg) = err(set_bond(&mut k, "bond0", vec![InfoBond::Primary(0)]));
    assert_eq!(e, Errno::EACCES);
    assert_eq!(msg.as_deref(), Some("option not supported in mode"));
    assert_eq!(
        k.dmesg().last().map(String::as_str),
        Some("bond0: option primary: mode dependency failed, not supported in mode balance-rr(0)")
    );
    // Out of range: -EINVAL with the allowed range logged.
    let (e, _) = err(set_bond(&mut k, "bond0", vec![InfoBond::ResendIgmp(300)]));
    assert_eq!(e, Errno::EINVAL);
    assert_eq!(
        k.dmesg().last().map(String::as_str),
        Some("bond0: option resend_igmp: allowed values 0 - 255")
    );
}

/// Only active-backup is modelled: enslaving to a bond in another mode is
/// refused loudly, and leaves the slave as it was.
#[test]
fn other_modes_refuse_enslave() {
    let mut k = Kernel::new(KernelProfile::latest());
    veths(&mut k, 1);
    add_bond(&mut k, "bond0", vec![]).unwrap();
    let (e, msg) = err(master(&mut k, "e0", Some("bond0")));
    assert_eq!(e, Errno::EOPNOTSUPP);
    assert_eq!(
        msg.as_deref(),
        Some("ifnet models only active-backup bonding")
    );
    assert_eq!(k.dev(dev(&k, "e0")).master, None);
    assert_eq!(k.dev(dev(&k, "e0")).mtu, 1500);
    assert_eq!(k.dev(dev(&k, "e0")).priv_flags & IFF_NO_ADDRCONF, 0);
}
