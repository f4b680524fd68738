//! The step cache (`step_cache.rs`) and the verdict memo (`explore::Judge`)
//! change the speed of a search, never its result: with them on, every
//! built-in scenario visits the same states (fingerprints), takes the same
//! steps and finds the same violation and witnesses as with the cache off;
//! and in `Checked` mode every hit is run again and compared, world and
//! agents, so a hit that would have made another world panics.

use ifnet_sim::explore::{search, CacheMode, Config};
use ifnet_sim::{builtin, Scenario};
use std::collections::BTreeMap;

fn run(name: &str, kernel: Option<&str>, mode: CacheMode) -> ifnet_sim::explore::Outcome {
    let s = Scenario::parse(builtin::get(name).unwrap()).unwrap();
    let w = s.build(kernel, &BTreeMap::new()).unwrap();
    let p = s.props().unwrap();
    let cfg = Config {
        keep_fingerprints: true,
        keep_going: true,
        step_cache: mode,
        ..Default::default()
    };
    search(&w, &p, &cfg, &mut |_| {})
}

#[test]
fn step_cache_changes_nothing() {
    let cases: Vec<(&str, Option<&str>)> = builtin::BUILTIN
        .iter()
        .map(|(n, _)| (*n, None))
        .chain([
            ("azure-vf-hotadd", Some("6.6")),
            ("azure-vf-hotadd", Some("5.10")),
            ("virtio-failover-udev", Some("5.0")),
        ])
        .collect();
    for (name, kernel) in cases {
        let off = run(name, kernel, CacheMode::Off);
        let checked = run(name, kernel, CacheMode::Checked);
        let on = run(name, kernel, CacheMode::On);
        assert_eq!(off.cache_hits, 0, "{name}: the cache was off");
        assert!(
            checked.cache_hits > 0,
            "{name} {kernel:?}: no step was answered from the cache"
        );
        assert!(
            on.cache_hits > 0,
            "{name} {kernel:?}: no hit with the cache on"
        );
        for (what, o) in [("checked", &checked), ("on", &on)] {
            let at = format!("{name} {kernel:?} ({what})");
            assert_eq!(o.fingerprints, off.fingerprints, "{at}: the visited states");
            assert_eq!((o.states, o.steps), (off.states, off.steps), "{at}");
            assert_eq!(o.violation, off.violation, "{at}");
            assert_eq!(o.witnesses, off.witnesses, "{at}");
            assert_eq!(o.complete, off.complete, "{at}");
        }
    }
}
