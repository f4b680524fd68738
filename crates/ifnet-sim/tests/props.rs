//! The invariants and witnesses break (and hold) where they should, on
//! worlds built by hand: a failover slave with an address, a default
//! connection or a dropped rename; a reference held at unregister.

use ifnet_core::client::Client;
use ifnet_sim::facts::{RenameFact, RenameOutcome};
use ifnet_sim::props::{check, witnessed, Invariant, Witness};
use ifnet_sim::{builtin, Scenario, Step, World};
use std::collections::BTreeMap;

/// virtio-failover-udev after the VF's plug: eth2 is eth0's primary slave.
fn failover() -> World {
    let s = Scenario::parse(builtin::get("virtio-failover-udev").unwrap()).unwrap();
    let mut w = s.build(None, &BTreeMap::new()).unwrap();
    w.apply(&Step::Hw(0)).unwrap();
    w.apply(&Step::Kernel).unwrap();
    w
}

fn eth2(w: &World) -> ifnet_core::DevId {
    w.kernel
        .dev_get_by_name(w.kernel.init_net(), "eth2")
        .unwrap()
}

#[test]
fn address_on_a_slave() {
    let mut w = failover();
    assert_eq!(check(&w, Invariant::NoAddressOnSlave, false), None);
    let init = w.kernel.init_net();
    Client::new(&mut w.kernel, init)
        .add_addr("eth0", "10.0.0.4/24")
        .unwrap();
    assert_eq!(
        check(&w, Invariant::NoAddressOnSlave, false),
        None,
        "the master may have one"
    );
    Client::new(&mut w.kernel, init)
        .add_addr("eth2", "10.0.0.5/24")
        .unwrap();
    assert_eq!(
        check(&w, Invariant::NoAddressOnSlave, false).as_deref(),
        Some("eth2 is a slave and has an IPv4 address")
    );
    let mut w = failover();
    let d = eth2(&w);
    w.facts.configured.insert(("cloud-init".into(), d));
    assert_eq!(
        check(&w, Invariant::NoAddressOnSlave, false).as_deref(),
        Some("cloud-init configured eth2, a slave")
    );
}

#[test]
fn default_connection_for_a_slave() {
    let mut w = failover();
    let d = eth2(&w);
    assert_eq!(check(&w, Invariant::NmNoDefaultForVf, false), None);
    w.facts.nm_defaults.insert(d);
    assert!(check(&w, Invariant::NmNoDefaultForVf, false)
        .unwrap()
        .contains("default connection for eth2"));
}

#[test]
fn slave_name_per_outcome() {
    for (outcome, why) in [
        (RenameOutcome::Failed, "the rename failed"),
        (
            RenameOutcome::SkippedUp,
            "skipped the rename of an UP device",
        ),
        (RenameOutcome::AlreadyUp, "logged \"already up\""),
    ] {
        let mut w = failover();
        let d = eth2(&w);
        w.facts.rename(RenameFact {
            dev: d,
            from: "eth2".into(),
            wanted: "enp0s9".into(),
            outcome,
        });
        assert!(check(&w, Invariant::SlaveHasUdevName, false)
            .unwrap()
            .contains(why));
    }
    let mut w = failover();
    let d = eth2(&w);
    let init = w.kernel.init_net();
    Client::new(&mut w.kernel, init)
        .rename("eth2", "enp0s9")
        .unwrap();
    w.facts.rename(RenameFact {
        dev: d,
        from: "eth2".into(),
        wanted: "enp0s9".into(),
        outcome: RenameOutcome::Renamed,
    });
    assert_eq!(check(&w, Invariant::SlaveHasUdevName, false), None);
}

/// netdev_wait_allrefs_any(): a reference still held when the device is
/// unregistered breaks the final-state invariant.
#[test]
fn reference_held_at_unregister() {
    let mut w = failover();
    let d = eth2(&w);
    w.kernel.netdev_hold(d, "explorer-test", true);
    w.kernel.hw_del("0000:00:09.0", true).unwrap();
    assert_eq!(
        check(&w, Invariant::NoRefAtUnregister, false),
        None,
        "only final states"
    );
    let m = check(&w, Invariant::NoRefAtUnregister, true).unwrap();
    assert!(
        m.starts_with("unregister_netdevice: waiting for eth2 to become free"),
        "{m}"
    );
}

#[test]
fn witnesses() {
    let mut w = failover();
    assert!(!witnessed(&w, Witness::UeventBeforeSlave));
    let d = eth2(&w);
    w.facts.seen_without_slave.insert(d);
    assert!(
        witnessed(&w, Witness::UeventBeforeSlave),
        "seen without IFF_SLAVE, now joined"
    );
    assert!(!witnessed(&w, Witness::RenameWhileUp));
    assert!(check(&w, Invariant::Kernel, false).is_none());
}
