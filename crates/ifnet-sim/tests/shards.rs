//! `--shard i/N`: for N = 4 the shards together visit exactly the states
//! of the unsharded run, and `merge` counts them.

use ifnet_sim::explore::{search, Config};
use ifnet_sim::report::{merge, Report};
use ifnet_sim::{builtin, Scenario};
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn four_shards_visit_the_unsharded_states() {
    for name in ["netns-lifecycle", "virtio-failover-udev"] {
        let s = Scenario::parse(builtin::get(name).unwrap()).unwrap();
        let w = s.build(None, &BTreeMap::new()).unwrap();
        let p = s.props().unwrap();
        let cfg = Config {
            keep_fingerprints: true,
            keep_going: true,
            ..Default::default()
        };
        let all = search(&w, &p, &cfg, &mut |_| {});
        let whole: BTreeSet<u128> = all.fingerprints.iter().copied().collect();
        let mut union = BTreeSet::new();
        let mut reports = Vec::new();
        for i in 0..4 {
            let c = Config {
                shard: Some((i, 4)),
                ..cfg.clone()
            };
            let o = search(&w, &p, &c, &mut |_| {});
            assert!(o.complete, "{name} shard {i}");
            if name == "netns-lifecycle" {
                assert!(o.states < all.states, "{name} shard {i} splits the work");
            }
            union.extend(o.fingerprints.iter().copied());
            let mut r = Report::new(name, "6.18", &o, 0.0, None);
            r.shard = Some([i, 4]);
            reports.push(r);
        }
        assert_eq!(union, whole, "{name}");
        let m = merge(&reports).unwrap();
        assert_eq!(m.states, all.states, "{name}");
        assert!(m.complete);
        assert!(
            merge(&reports[..3]).unwrap().complete.eq(&false),
            "a missing shard"
        );
        assert!(
            merge(&[reports[0].clone(), reports[0].clone()]).is_err(),
            "a repeated shard"
        );
    }
}
