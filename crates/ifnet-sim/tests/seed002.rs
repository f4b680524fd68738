//! Seed 002 (c807d6cd089d) and the gap it leaves, on every kernel profile:
//! the azure-vm-utils rule (`ATTR{flags}=="0x?[89ABCDEF]??"`, agents.md
//! §6) reads the VF's flags inside `register_netdevice`, between the `add`
//! uevent and NETDEV_REGISTER; without `netvsc_prepare_bonding` at
//! NETDEV_POST_INIT it misses IFF_SLAVE and NetworkManager (reading
//! NM_UNMANAGED once, §4.1) creates "Wired connection" on the VF (R1,
//! azure-vm-utils#106). A VF that registers before any netvsc misses it on
//! every kernel (R4, netvsc-bonding.md §1.11). Each counterexample replays
//! to the same violation.

use ifnet_sim::explore::{replay, search, Config, Outcome};
use ifnet_sim::props::{Invariant, Props};
use ifnet_sim::{builtin, Scenario, World};
use std::collections::BTreeMap;

/// Kernels without c807d6cd089d (IFF_SLAVE set at NETDEV_REGISTER).
const WITHOUT_C807: [&str; 6] = ["5.0", "5.1", "5.10", "6.1", "6.2", "6.6"];
/// Kernels with it (6.6.y took it from stable).
const WITH_C807: [&str; 4] = ["6.6.y", "6.7", "6.12", "6.18"];

fn world(name: &str, kernel: &str, udev: &str) -> (World, Props) {
    let s = Scenario::parse(builtin::get(name).unwrap()).unwrap();
    let mut v = BTreeMap::new();
    v.insert("udev".to_string(), udev.to_string());
    (s.build(Some(kernel), &v).unwrap(), s.props().unwrap())
}

/// Only what acceptance 1 is about: an agent configures the VF (NM's
/// default connection, an address from NM or cloud-init).
fn configures(p: &Props) -> Props {
    Props {
        invariants: vec![Invariant::NmNoDefaultForVf, Invariant::NoAddressOnSlave],
        witnesses: p.witnesses.clone(),
    }
}

fn exhaust(w: &World, p: &Props) -> Outcome {
    let out = search(w, p, &Config::default(), &mut |_| {});
    assert!(out.complete || out.violation.is_some());
    out
}

/// The counterexample replays to the same invariant and message, twice
/// alike (the determinism self-check).
fn assert_replays(w: &World, p: &Props, out: &Outcome, what: &str) {
    let v = out.violation.as_ref().unwrap();
    let r = replay::replay(w, p, &v.schedule, true).unwrap();
    let (inv, msg) = r.violation.clone().unwrap();
    assert_eq!(
        (inv.as_str(), msg.as_str()),
        (v.invariant.as_str(), v.message.as_str()),
        "{what}"
    );
    assert_eq!(r.violating_step, Some(v.schedule.len() - 1), "{what}");
    assert_eq!(
        replay::replay(w, p, &v.schedule, true).unwrap(),
        r,
        "{what}"
    );
}

/// With udev 252 (azure-vm-utils#106: Rocky 9, systemd 252), which reads
/// IFF_UP and skips the rename of the VF vf_takeover opened, NM decides on
/// the `add` event: a counterexample on every kernel without c807d6cd, none
/// with it.
#[test]
fn hotadd_udev252_counterexample_exactly_without_c807d6cd() {
    for k in WITHOUT_C807 {
        let (w, p) = world("azure-vf-hotadd", k, "252");
        let p = configures(&p);
        let out = exhaust(&w, &p);
        let v = out
            .violation
            .as_ref()
            .unwrap_or_else(|| panic!("{k}: none"));
        assert_eq!(v.invariant, "nm-no-default-for-vf", "{k}");
        assert_eq!(
            v.message, "NetworkManager created a default connection for eth1, a slave",
            "{k}"
        );
        assert_replays(&w, &p, &out, k);
    }
    for k in WITH_C807 {
        let (w, p) = world("azure-vf-hotadd", k, "252");
        let out = exhaust(&w, &configures(&p));
        assert!(
            out.complete && out.violation.is_none(),
            "{k}: {:?}",
            out.violation
        );
    }
}

/// With the scenario's current udev (257.7): NetworkManager decides on the
/// first processed udev event it gets, the `add` (nmp-object.c
/// `_nmp_object_fixup_link_udev_fields` marks the link initialized as soon
/// as a udev device is attached; there is no ID_RENAMING wait). Before 6.2
/// (no live rename, bd039b5ea2a9) the rename fails with EBUSY and the VF
/// keeps its name; from 6.2 it is renamed, but the `add` broadcast still
/// carries the NM_UNMANAGED udev computed from flags read before
/// netvsc_vf_join. So a counterexample on every kernel without c807d6cd,
/// none with it — the rename does not close the window, c807d6cd does.
#[test]
fn hotadd_current_udev_counterexample_exactly_without_c807d6cd() {
    for k in WITHOUT_C807 {
        let (w, p) = world("azure-vf-hotadd", k, "257.7");
        let p = configures(&p);
        let out = exhaust(&w, &p);
        assert_eq!(
            out.violation.as_ref().map(|v| v.invariant.as_str()),
            Some("nm-no-default-for-vf"),
            "{k}"
        );
        assert_replays(&w, &p, &out, k);
    }
    for k in WITH_C807 {
        let (w, p) = world("azure-vf-hotadd", k, "257.7");
        let out = exhaust(&w, &configures(&p));
        assert!(
            out.complete && out.violation.is_none(),
            "{k}: {:?}",
            out.violation
        );
        assert_eq!(
            out.witnesses.get("flags-read-before-join"),
            Some(&true),
            "{k}"
        );
    }
}

/// With every invariant, on the default kernel (6.18): no violation, the
/// window reached (udev read the flags before the join, and they already
/// had IFF_SLAVE).
#[test]
fn hotadd_default_kernel_is_clean() {
    let (w, p) = world("azure-vf-hotadd", "6.18", "257.7");
    let out = exhaust(&w, &p);
    assert!(
        out.complete && out.violation.is_none(),
        "{:?}",
        out.violation
    );
    assert_eq!(out.witnesses.get("flags-read-before-join"), Some(&true));
}

/// The VF registers before any netvsc: on every profile NM creates a
/// default connection for it — joined later by the netvsc_drv_init replay
/// (before 85520856466e) or the probe scan (9cae43da9867, 6.8), or never
/// joined (6.7, between the two) but paired by the host all the same.
#[test]
fn vf_before_netvsc_counterexample_on_every_profile() {
    for k in ifnet_core::profile::PRESETS {
        let (w, p) = world("azure-vf-before-netvsc", k, "257.7");
        let p = configures(&p);
        let out = exhaust(&w, &p);
        let v = out
            .violation
            .as_ref()
            .unwrap_or_else(|| panic!("{k}: none"));
        assert_eq!(v.invariant, "nm-no-default-for-vf", "{k}");
        // The VF is renamed while down (no netvsc yet, no EBUSY on any
        // profile), and NM decides on that `add` broadcast, which udev
        // computed before any join: by the time NM consumes it the VF is a
        // slave (the netvsc_drv_init replay before 85520856466e, the probe
        // scan of 9cae43da9867 from 6.8) — except on 6.7, which never joins
        // it (85520856466e without 9cae43da9867) though the host paired it.
        let want = if k == "6.7" {
            "enP35387p0s2, a Hyper-V VF paired with a netvsc"
        } else {
            "enP35387p0s2, a slave"
        };
        assert_eq!(
            v.message,
            format!("NetworkManager created a default connection for {want}"),
            "{k}"
        );
        assert_replays(&w, &p, &out, k);
    }
}

/// The netvsc in a container namespace: the VF registers in init_net and
/// netvsc moves it to the netvsc's namespace during NETDEV_REGISTER, so
/// udev processes its `add` after it left (R9); nothing in init_net
/// configures it.
#[test]
fn netvsc_in_netns_event_after_move() {
    for k in ["5.10", "6.6", "6.18"] {
        let (w, p) = world("azure-netvsc-in-netns", k, "257.7");
        let out = exhaust(&w, &p);
        assert!(
            out.complete && out.violation.is_none(),
            "{k}: {:?}",
            out.violation
        );
        assert_eq!(out.witnesses.get("event-after-move"), Some(&true), "{k}");
    }
}
