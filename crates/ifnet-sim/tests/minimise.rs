//! Counterexamples are minimised: a random walk's violating schedule, with
//! the kernel's work items and clock steps it happened to take, shrinks to
//! the shortest schedule that still breaks the same invariant.

use ifnet_sim::explore::{replay, walk, Config, Mode};
use ifnet_sim::step::schedule_string;
use ifnet_sim::{builtin, Scenario};
use std::collections::BTreeMap;

#[test]
fn a_random_walks_counterexample_is_minimised() {
    let s = Scenario::parse(builtin::get("virtio-failover-udev").unwrap()).unwrap();
    let w = s.build(Some("5.0"), &BTreeMap::new()).unwrap();
    let p = s.props().unwrap();
    let cfg = Config {
        mode: Mode::Random { walks: 1, seed: 0 },
        ..Default::default()
    };
    let mut longest = None;
    for seed in 0..64 {
        let raw = walk::run(&w, &p, &cfg, 1, seed, None, &mut |_| {});
        let v = raw.violation.expect("every walk on 5.0 breaks it");
        if longest
            .as_ref()
            .is_none_or(|l: &ifnet_sim::explore::Violation| v.schedule.len() > l.schedule.len())
        {
            longest = Some(v);
        }
    }
    let raw = longest.unwrap();
    // The longest of 64 walks took the kernel's work and clock steps too.
    assert_eq!(
        schedule_string(&raw.schedule),
        "hw0 a0.1 a0.2 k w9 a0.2 w10 t w11 t w12 a0.2"
    );
    let min = replay::minimise(&w, &p, raw);
    // As short as the search's own (`hw0 k a0.1 a0.2 a0.2 a0.2`): here the
    // rules run inside the register window.
    assert_eq!(schedule_string(&min.schedule), "hw0 a0.1 a0.2 k a0.2 a0.2");
    let r = replay::replay(&w, &p, &min.schedule, false).unwrap();
    assert_eq!(r.violation.unwrap().0, "slave-has-udev-name");
}
