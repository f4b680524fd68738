//! Explorer throughput (README "Explorer"): steps per second of an
//! exhaustive search (clone, step, fingerprint, invariants, visited set),
//! and of the steps alone (one world walking a fixed schedule). The
//! issue's target scenario, seed 002's azure-vf-hotadd, is pending the
//! netvsc merge; these use the built-in scenarios that run today.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ifnet_sim::explore::{search, Config, Mode};
use ifnet_sim::{builtin, Scenario, World};
use std::collections::BTreeMap;

fn setup(name: &str) -> (World, ifnet_sim::props::Props) {
    let s = Scenario::parse(builtin::get(name).unwrap()).unwrap();
    (s.build(None, &BTreeMap::new()).unwrap(), s.props().unwrap())
}

fn exhaustive(c: &mut Criterion) {
    let mut g = c.benchmark_group("explore");
    g.sample_size(10);
    for name in ["netns-lifecycle", "virtio-failover-udev"] {
        let (w, p) = setup(name);
        let steps = search(&w, &p, &Config::default(), &mut |_| {}).steps;
        g.throughput(Throughput::Elements(steps));
        g.bench_function(format!("{name} exhaustive"), |b| {
            b.iter(|| search(&w, &p, &Config::default(), &mut |_| {}))
        });
    }
    g.finish();
}

/// The steps of 64 random walks, run again on one world each (no clone
/// per step, no fingerprint, no invariant check): what a step costs.
fn steps_alone(c: &mut Criterion) {
    let (w, p) = setup("netns-lifecycle");
    let mut walks = Vec::new();
    let mut rng = ifnet_sim::explore::walk::Rng::new(1);
    for _ in 0..64 {
        let mut x = w.clone();
        let mut path = Vec::new();
        while let Some(s) = {
            let en = x.enabled();
            (!en.is_empty()).then(|| en[rng.below(en.len())].0.clone())
        } {
            x.apply_enabled(&s);
            path.push(s);
        }
        walks.push(path);
    }
    let n: usize = walks.iter().map(Vec::len).sum();
    let _ = p;
    let mut g = c.benchmark_group("steps");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("netns-lifecycle random walks replayed", |b| {
        b.iter(|| {
            for path in &walks {
                let mut x = w.clone();
                for s in path {
                    x.apply_enabled(s);
                }
            }
        })
    });
    g.finish();
    let _ = Mode::Exhaustive;
}

criterion_group!(benches, exhaustive, steps_alone);
criterion_main!(benches);
