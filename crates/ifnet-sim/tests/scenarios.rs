//! The built-in scenarios: they parse, `show` round-trips, exhaustive runs
//! finish with their (deterministic) counts, the search is deterministic,
//! and hostile scenario files and schedules are refused with a message.

use ifnet_sim::explore::{replay, search, Config, Mode};
use ifnet_sim::step::parse_schedule;
use ifnet_sim::{builtin, Scenario};
use std::collections::BTreeMap;

fn exhaust(
    name: &str,
    kernel: &str,
    reduction: bool,
    symmetry: bool,
) -> ifnet_sim::explore::Outcome {
    let s = Scenario::parse(builtin::get(name).unwrap()).unwrap();
    let w = s.build(Some(kernel), &BTreeMap::new()).unwrap();
    let cfg = Config {
        reduction,
        symmetry,
        keep_going: true,
        ..Default::default()
    };
    search(&w, &s.props().unwrap(), &cfg, &mut |_| {})
}

#[test]
fn builtins_parse_and_round_trip() {
    for (name, text) in builtin::BUILTIN {
        let s = Scenario::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.name, name);
        let again = Scenario::parse(&s.to_toml()).unwrap();
        assert_eq!(again, s, "{name}");
    }
}

/// Exhaustive runs finish; their counts (README "Explorer") are exact.
#[test]
fn exhaustive_counts() {
    let o = exhaust("virtio-failover-udev", "6.18", true, true);
    assert!(o.complete && o.violation.is_none());
    assert_eq!((o.states, o.steps), (22, 31));
    let o = exhaust("virtio-failover-udev", "5.0", true, true);
    assert!(o.complete);
    assert_eq!(o.violation.unwrap().invariant, "slave-has-udev-name");
    assert_eq!((o.states, o.steps), (41, 61));
    let full = exhaust("netns-lifecycle", "6.18", false, false);
    let sym = exhaust("netns-lifecycle", "6.18", false, true);
    let both = exhaust("netns-lifecycle", "6.18", true, true);
    assert!(full.complete && sym.complete && both.complete);
    assert_eq!((full.states, full.steps), (58872, 169445));
    assert_eq!((sym.states, sym.steps), (29446, 84736));
    assert_eq!(both.states, sym.states, "sleep sets keep every state");
    assert_eq!(both.steps, 84219);
    assert_eq!(both.witnesses.get("netns-died-with-device"), Some(&true));
}

/// Same scenario, same seed: the same result.
#[test]
fn random_walks_are_deterministic() {
    let s = Scenario::parse(builtin::get("netns-lifecycle").unwrap()).unwrap();
    let w = s.build(None, &BTreeMap::new()).unwrap();
    let p = s.props().unwrap();
    for mode in [
        Mode::Random { walks: 40, seed: 7 },
        Mode::Pct {
            walks: 40,
            seed: 7,
            depth: 3,
        },
    ] {
        let cfg = Config {
            mode: mode.clone(),
            ..Default::default()
        };
        let a = search(&w, &p, &cfg, &mut |_| {});
        let b = search(&w, &p, &cfg, &mut |_| {});
        assert_eq!((a.states, a.steps), (b.states, b.steps), "{mode:?}");
        assert!(a.states > 1 && !a.complete);
    }
}

#[test]
fn bad_schedules_are_refused() {
    let s = Scenario::parse(builtin::get("virtio-failover-udev").unwrap()).unwrap();
    let w = s.build(None, &BTreeMap::new()).unwrap();
    let p = s.props().unwrap();
    let e = replay::replay(&w, &p, &parse_schedule("k").unwrap(), false).unwrap_err();
    assert_eq!(e, "step 1 of the schedule: step k is not enabled here");
    let e = replay::replay(&w, &p, &parse_schedule("hw0 hw0").unwrap(), false).unwrap_err();
    assert!(e.starts_with("step 2 of the schedule"), "{e}");
    assert!(parse_schedule("hw0 a99999999999999999999.1").is_err());
    let long = "t ".repeat(100_001);
    assert!(parse_schedule(&long).unwrap_err().contains("at most"));
}

/// Hostile scenario files: every mistake is an error with a message.
#[test]
fn hostile_scenarios_are_refused() {
    let cases: &[(&str, &str)] = &[
        ("", "missing field `name`"),
        ("name = 1", "invalid type"),
        ("name = \"x\"\nbogus = 1", "unknown field `bogus`"),
        ("name = \"x\"\nkernel = \"4.4\"", "unknown kernel profile"),
        ("name = \"x\"\n[agents.udev]\nversion = \"abc\"", "bad version"),
        ("name = \"x\"\n[agents.foo]", "unknown agent kind"),
        ("name = \"x\"\n[agents.udev]\nrules = [\"nope\"]", "unknown udev rules file"),
        ("name = \"x\"\n[agents.nm]\nlease = \"10.0.0.1\"", "bad lease"),
        ("name = \"x\"\n[agents.x]\nkind = \"udev\"", "must be named [agents.udev]"),
        ("name = \"x\"\n[[hardware]]\ndo = \"plug\"", "needs `bus`"),
        ("name = \"x\"\n[[hardware]]\ndo = \"plug\"\nbus = \"a\"\ntype = \"vf\"\nmac = \"zz\"", "bad MAC"),
        ("name = \"x\"\n[[hardware]]\ndo = \"up\"\nafter = [\"nope\"]\ndev = \"eth0\"", "unknown hardware event"),
        ("name = \"x\"\nsymmetric = [[\"a\"]]", "unknown hardware event"),
        ("name = \"x\"\ninvariants = [\"one-tx-paths\"]", "unknown invariant"),
        ("name = \"x\"\nwitnesses = [\"nope\"]", "unknown witness"),
        ("name = \"x\"\n[agents.admin]\nkind = \"script\"\nsteps = [{ do = \"plug\", bus = \"a\", type = \"nic\", mac = \"52:54:00:00:00:01\" }]", "plugging is hardware's"),
    ];
    for (text, want) in cases {
        let e = Scenario::parse(text).unwrap_err();
        assert!(e.contains(want), "{text:?}: {e}");
    }
    let big = format!("name = \"x\"\ndescription = \"{}\"", "a".repeat(1 << 20));
    assert!(Scenario::parse(&big).unwrap_err().contains("larger than"));
    // Every prefix of every built-in parses or is refused; none panics.
    for (_, text) in builtin::BUILTIN {
        for cut in (0..text.len()).step_by(7) {
            if text.is_char_boundary(cut) {
                let _ = Scenario::parse(&text[..cut]);
            }
        }
    }
    // A set-up that fails is reported when the world is built.
    let s = Scenario::parse("name = \"x\"\n[[setup]]\ndo = \"up\"\ndev = \"eth9\"").unwrap();
    assert!(s
        .build(None, &BTreeMap::new())
        .err()
        .unwrap()
        .contains("Cannot find device"));
}

/// `World::add_hw` keeps a plan within `HwDone::MAX` events (the world's
/// hardware progress is one bit each): the one past it is refused and the
/// plan is left as it was (a scenario file cannot get there:
/// `MAX_ACTIONS` is checked at parse).
#[test]
fn a_plan_past_its_bound_is_refused() {
    use ifnet_sim::action::Action;
    use ifnet_sim::world::{HwDone, HwEvent};
    let s = Scenario::parse(builtin::get("azure-vf-hotadd").unwrap()).unwrap();
    let mut w = s.build(None, &BTreeMap::new()).unwrap();
    let event = |i: usize| HwEvent {
        name: format!("extra{i}"),
        action: Action::Unplug {
            bus: "vmbus:none".into(),
            surprise: false,
        },
        after: Vec::new(),
    };
    let mut i = w.hw.len();
    while w.hw.len() < HwDone::MAX {
        w.add_hw(event(i)).unwrap();
        i += 1;
    }
    let e = w.add_hw(event(i)).unwrap_err();
    assert_eq!(e, format!("at most {} hardware events", HwDone::MAX));
    assert_eq!(w.hw.len(), HwDone::MAX, "the plan is as it was");
}
