//! Explorer throughput (README "Explorer"): steps per second of an
//! exhaustive search (clone, step, fingerprint, invariants, visited set)
//! on seed 002's azure-vf-hotadd (the target: on 6.18, its
//! default, and on 6.6, without c807d6cd) and on the other built-ins, and
//! of the steps alone (one world walking a fixed schedule).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ifnet_sim::explore::{search, Config};
use ifnet_sim::{builtin, Scenario, World};
use std::collections::BTreeMap;

/// The allocator `ifnet explore` runs with (crates/ifnet-cli/src/main.rs),
/// so that the figures are the shipped binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn setup(name: &str, kernel: Option<&str>) -> (World, ifnet_sim::props::Props) {
    let s = Scenario::parse(builtin::get(name).unwrap()).unwrap();
    (
        s.build(kernel, &BTreeMap::new()).unwrap(),
        s.props().unwrap(),
    )
}

fn exhaustive(c: &mut Criterion) {
    let mut g = c.benchmark_group("explore");
    g.sample_size(10);
    let cfg = Config {
        keep_going: true,
        ..Default::default()
    };
    for (name, kernel) in [
        ("azure-vf-hotadd", "6.18"),
        ("azure-vf-hotadd", "6.6"),
        ("azure-vf-before-netvsc", "6.18"),
        ("netns-lifecycle", "6.18"),
    ] {
        let (w, p) = setup(name, Some(kernel));
        let steps = search(&w, &p, &cfg, &mut |_| {}).steps;
        g.throughput(Throughput::Elements(steps));
        g.bench_function(format!("{name} {kernel} exhaustive"), |b| {
            b.iter(|| search(&w, &p, &cfg, &mut |_| {}))
        });
    }
    g.finish();
}

/// The steps of 64 random walks, run again on one world each (no clone
/// per step, no fingerprint, no invariant check): what a step costs.
fn steps_alone(c: &mut Criterion) {
    let (w, _) = setup("azure-vf-hotadd", None);
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
    let mut g = c.benchmark_group("steps");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("azure-vf-hotadd random walks replayed", |b| {
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
}

criterion_group!(benches, exhaustive, steps_alone);
criterion_main!(benches);
