//! Seed 000 (8065a779f17e, "failover: allow name change on IFF_UP slave
//! interfaces"): the virtio-failover-udev scenario over udev ≤249 /
//! 250–252 / ≥253 × kernel 5.0 / 5.1 / 6.18, each cell's outcome as
//! agents.md §0 item 5 and §2.4 derive it.

use ifnet_sim::explore::{replay, search, Config};
use ifnet_sim::{builtin, Scenario};
use std::collections::BTreeMap;

fn run(
    udev: &str,
    kernel: &str,
) -> (
    ifnet_sim::explore::Outcome,
    ifnet_sim::World,
    ifnet_sim::props::Props,
) {
    let s = Scenario::parse(builtin::get("virtio-failover-udev").unwrap()).unwrap();
    let mut v = BTreeMap::new();
    v.insert("udev".to_string(), udev.to_string());
    let w = s.build(Some(kernel), &v).unwrap();
    let props = s.props().unwrap();
    let out = search(&w, &props, &Config::default(), &mut |_| {});
    (out, w, props)
}

#[test]
fn matrix() {
    // (udev, kernel, the violation's message or None)
    let cells: [(&str, &str, Option<&str>); 9] = [
        ("249", "5.0", Some("the rename failed")),
        ("249", "5.1", None),
        ("249", "6.18", None),
        (
            "252",
            "5.0",
            Some("udev skipped the rename of an UP device"),
        ),
        (
            "252",
            "5.1",
            Some("udev skipped the rename of an UP device"),
        ),
        (
            "252",
            "6.18",
            Some("udev skipped the rename of an UP device"),
        ),
        (
            "257.7",
            "5.0",
            Some("udev logged \"already up\" and dropped the rename"),
        ),
        ("257.7", "5.1", None),
        ("257.7", "6.18", None),
    ];
    for (udev, kernel, want) in cells {
        let (out, w, props) = run(udev, kernel);
        assert!(
            out.complete || out.violation.is_some(),
            "udev {udev} kernel {kernel}"
        );
        match (want, &out.violation) {
            (None, None) => {
                assert_eq!(
                    out.witnesses.get("rename-while-up"),
                    Some(&true),
                    "udev {udev} kernel {kernel}"
                );
            }
            (Some(why), Some(v)) => {
                assert_eq!(
                    v.invariant, "slave-has-udev-name",
                    "udev {udev} kernel {kernel}"
                );
                assert!(
                    v.message.contains(why),
                    "udev {udev} kernel {kernel}: {}",
                    v.message
                );
                assert!(
                    v.message
                        .contains("slave eth2 keeps its name; udev's policy names it enp0s9"),
                    "{}",
                    v.message
                );
                // The counterexample replays to the same violation, twice alike.
                let r = replay::self_check(&w, &props, &v.schedule).unwrap();
                assert_eq!(
                    r.violation.as_ref().map(|x| x.0.as_str()),
                    Some("slave-has-udev-name")
                );
                assert_eq!(r.violating_step, Some(v.schedule.len() - 1));
            }
            (want, got) => panic!("udev {udev} kernel {kernel}: want {want:?}, got {got:?}"),
        }
    }
}

/// Every release in a band behaves as the band: ≤249 (243, 249),
/// 250–252, ≥253 (253, 255, 257.7) give their band's outcome per kernel.
#[test]
fn bands_hold_for_every_release_in_them() {
    let outcome = |udev: &str, kernel: &str| run(udev, kernel).0.violation.map(|v| v.message);
    for kernel in ["5.0", "5.1", "6.18"] {
        for band in [
            &["243", "249"][..],
            &["250", "251", "252"],
            &["253", "255", "257.7"],
        ] {
            let first = outcome(band[0], kernel);
            for v in &band[1..] {
                assert_eq!(
                    outcome(v, kernel),
                    first,
                    "udev {v} vs {} on {kernel}",
                    band[0]
                );
            }
        }
    }
}
