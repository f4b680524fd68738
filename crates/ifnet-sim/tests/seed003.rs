//! Seed 003 in the explorer: the built-in `ipoib-bond-failover` scenario
//! (two IPoIB ports in an active-backup bond; the active port's cable
//! pulled while udev and NetworkManager react; both ports unplugged in
//! either order, so that the bond's last slave unregisters). The MII
//! monitor's ticks are steps (bond_mii_monitor → bond_miimon_inspect /
//! bond_miimon_commit → bond_select_active_slave), idle ones skipped
//! (`Kernel::bond_mii_tick_is_idle`).

use ifnet_sim::explore::{search, Config};
use ifnet_sim::Step;
use ifnet_sim::{builtin, Scenario};
use std::collections::BTreeMap;

fn scenario(text: &str) -> (Scenario, ifnet_sim::World) {
    let s = Scenario::parse(text).unwrap();
    let w = s.build(None, &BTreeMap::new()).unwrap();
    (s, w)
}

/// Explored exhaustively: complete, clean, both witnesses reached, with
/// its exact counts (README "Explorer").
#[test]
fn ipoib_bond_failover_is_exhausted_clean() {
    let (s, w) = scenario(builtin::get("ipoib-bond-failover").unwrap());
    let o = search(&w, &s.props().unwrap(), &Config::default(), &mut |_| {});
    assert!(o.complete && !o.depth_cut, "exhausted");
    assert!(o.violation.is_none(), "{:?}", o.violation);
    assert_eq!(o.witnesses.get("bond-failed-over"), Some(&true));
    assert_eq!(o.witnesses.get("bond-lost-last-slave"), Some(&true));
    assert_eq!((o.states, o.steps), (827, 2501));
}

/// The failover is reached through the monitor: pull the cable, then only
/// the machine's steps (the clock, the due tick) — ib1 becomes the active
/// slave, ib0 counts one link failure, and bond0 takes ib1's 20-byte
/// address (fail_over_mac forced to active for IPoIB).
#[test]
fn a_pulled_cable_fails_over_at_the_next_tick() {
    let (_, mut w) = scenario(builtin::get("ipoib-bond-failover").unwrap());
    w.apply(&Step::Hw(0)).unwrap();
    let failed_over = |w: &ifnet_sim::World| {
        let k = &w.kernel;
        let (bond, ib1) = (
            k.dev_get_by_name(k.init_net(), "bond0").unwrap(),
            k.dev_get_by_name(k.init_net(), "ib1").unwrap(),
        );
        let b = k.dev(bond).driver.bond().unwrap();
        let done = b.curr_active_slave == Some(ib1);
        (
            done,
            b.slaves[0].link_failure_count,
            k.dev(bond).dev_addr == k.dev(ib1).dev_addr,
        )
    };
    for _ in 0..4 {
        if failed_over(&w).0 {
            break;
        }
        let machine = w
            .enabled()
            .into_iter()
            .map(|(s, _)| s)
            .find(|s| matches!(s, Step::Clock | Step::Work(_)))
            .expect("the monitor's tick is scheduled");
        w.apply(&machine).unwrap();
    }
    assert_eq!(failed_over(&w), (true, 1, true));
}

/// Without the cable pull the failover witness is never reached (the
/// search says so: exit status 2 from the CLI).
#[test]
fn without_the_pull_no_failover() {
    let text = builtin::get("ipoib-bond-failover").unwrap();
    let cut = text.split("[[hardware]]").next().unwrap();
    let (s, w) = scenario(cut);
    let o = search(&w, &s.props().unwrap(), &Config::default(), &mut |_| {});
    assert!(o.complete && o.violation.is_none());
    assert_eq!(o.witnesses.get("bond-failed-over"), Some(&false));
}
