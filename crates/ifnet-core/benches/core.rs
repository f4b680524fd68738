//! Criterion benchmarks for the device layer at scale: register, rename and
//! lookup with 1,000,000 devices in one namespace (issue 2, acceptance 3).
//!
//! The big kernel is built once, through genuine rtnetlink bytes
//! (`rtnl_newlink` → `veth_newlink` → `register_netdevice`, 500,000 veth
//! pairs with literal names), and the set-up time is printed. Every
//! measured request is also genuine netlink bytes, encoded before the
//! timing loop so the figures are the kernel model's, not the encoder's.
//!
//! `cargo bench -p ifnet-core --bench core` runs the full size;
//! `IFNET_BENCH_DEVICES=N` overrides it. When run as a test (`cargo test
//! --benches`, criterion's test mode, no `--bench` argument) the kernel has
//! only 2,000 devices so that debug builds stay fast.

use criterion::{criterion_group, criterion_main, Criterion};
use ifnet_core::client::{bridge_newlink, decode, encode, link_named, veth_newlink};
use ifnet_core::{Kernel, KernelProfile, NetId};
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};
use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Devices in the namespace under test (besides `lo`).
fn device_count() -> usize {
    if let Some(n) = std::env::var("IFNET_BENCH_DEVICES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    if std::env::args().any(|a| a == "--bench") {
        1_000_000
    } else {
        2_000
    }
}

/// NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL: `ip link add`.
const NEWLINK_FLAGS: u16 = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;

/// `ip link add NAME type veth peer name PEER` as iproute2 encodes it.
fn newlink_veth(name: &str, peer: &str, seq: u32) -> Vec<u8> {
    encode(veth_newlink(name, peer), NEWLINK_FLAGS, seq)
}

/// `ip link add NAME type bridge`.
fn newlink_bridge(name: &str, seq: u32) -> Vec<u8> {
    encode(bridge_newlink(name), NEWLINK_FLAGS, seq)
}

/// `ip link del NAME`.
fn dellink(name: &str, seq: u32) -> Vec<u8> {
    encode(
        RouteNetlinkMessage::DelLink(link_named(name)),
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
    )
}

/// `ip link set dev X name NEW` (by ifindex, as iproute2 sends it).
fn rename_by_index(ifindex: u32, new: &str, seq: u32) -> Vec<u8> {
    let mut m = LinkMessage::default();
    m.header.index = ifindex;
    m.attributes.push(LinkAttribute::IfName(new.to_string()));
    encode(
        RouteNetlinkMessage::NewLink(m),
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
    )
}

/// `ip link show dev NAME`.
fn getlink(name: &str, seq: u32) -> Vec<u8> {
    encode(
        RouteNetlinkMessage::GetLink(link_named(name)),
        NLM_F_REQUEST,
        seq,
    )
}

/// Sends a request and panics unless the kernel acknowledged it.
fn must(k: &mut Kernel, net: NetId, req: &[u8]) {
    let replies = k.rtnl_request(net, req);
    let (_, res) = decode(&replies);
    if let Err(e) = res {
        panic!("request failed: {e:?}");
    }
}

/// Builds a kernel with `n` devices in init_net (n/2 veth pairs `vN`/`pN`,
/// plus one bridge if `n` is odd), every one through `rtnl_newlink`, then
/// runs deferred work until idle. Returns the time the requests took.
fn build(n: usize) -> (Kernel, NetId, Duration) {
    let mut k = Kernel::new(KernelProfile::latest());
    let net = k.init_net();
    let t0 = Instant::now();
    for i in 0..n / 2 {
        let req = newlink_veth(&format!("v{i}"), &format!("p{i}"), i as u32);
        must(&mut k, net, &req);
    }
    if n % 2 == 1 {
        must(&mut k, net, &newlink_bridge("br-odd", 0));
    }
    let took = t0.elapsed();
    // Settle as one CLI invocation does before it returns: linkwatch runs
    // for every queued carrier change (the system under test is idle).
    let t1 = Instant::now();
    k.run_until_idle();
    eprintln!(
        "settle: run_until_idle after set-up took {:.3} s",
        t1.elapsed().as_secs_f64()
    );
    assert_eq!(k.net(net).device_count(), n + 1, "lo plus {n} devices");
    (k, net, took)
}

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// `register_netdevice` / `unregister_netdevice_many` next to `n` devices:
/// one more veth pair (`veth_newlink` registers both ends, `veth_dellink`
/// unregisters both) and one more bridge (`br_dev_setup`, `br_dev_delete`),
/// created and deleted through RTM_NEWLINK / RTM_DELLINK bytes.
fn bench_register(g: &mut Group, k: &mut Kernel, net: NetId) {
    let add = newlink_veth("xa", "xb", 1);
    let del = dellink("xa", 2);
    g.bench_function("register_veth_pair_then_del", |b| {
        b.iter(|| {
            must(k, net, black_box(&add));
            must(k, net, black_box(&del));
        })
    });
    let add = newlink_bridge("xbr", 3);
    let del = dellink("xbr", 4);
    g.bench_function("register_bridge_then_del", |b| {
        b.iter(|| {
            must(k, net, black_box(&add));
            must(k, net, black_box(&del));
        })
    });
}

/// `dev_change_name` through `do_setlink` (RTM_NEWLINK by ifindex with
/// IFLA_IFNAME): a DOWN device renamed and renamed back per iteration, so
/// two NETDEV_CHANGENAME events and two RTM_NEWLINK notifications.
fn bench_rename(g: &mut Group, k: &mut Kernel, net: NetId, n: usize) {
    let mid = format!("v{}", n / 4);
    let id = k.dev_get_by_name(net, &mid).expect("device in the middle");
    let ifindex = k.dev(id).ifindex;
    let there = rename_by_index(ifindex, "renamed0", 5);
    let back = rename_by_index(ifindex, &mid, 6);
    g.bench_function("rename_there_and_back", |b| {
        b.iter(|| {
            must(k, net, black_box(&there));
            must(k, net, black_box(&back));
        })
    });
}

/// Lookups among `n` devices: `__dev_get_by_name` (hit and miss),
/// `__dev_get_by_index`, and `rtnl_getlink` (RTM_GETLINK by IFLA_IFNAME →
/// `rtnl_fill_ifinfo` → reply bytes), spread over many devices.
fn bench_lookup(g: &mut Group, k: &mut Kernel, net: NetId, n: usize) {
    let names: Vec<String> = (0..1024)
        .map(|i| format!("p{}", (i * 7919) % (n / 2).max(1)))
        .collect();
    let mut i = 0usize;
    g.bench_function("dev_get_by_name", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(k.dev_get_by_name(net, black_box(&names[i])))
        })
    });
    g.bench_function("dev_get_by_name_miss", |b| {
        b.iter(|| black_box(k.dev_get_by_name(net, black_box("nosuchdev0"))))
    });
    let top = (n as u32).max(1);
    let mut j = 0u32;
    g.bench_function("dev_get_by_index", |b| {
        b.iter(|| {
            j = (j + 7919) % top;
            black_box(k.dev_get_by_index(net, black_box(j + 1)))
        })
    });
    let reqs: Vec<Vec<u8>> = names.iter().take(64).map(|nm| getlink(nm, 7)).collect();
    let mut r = 0usize;
    g.bench_function("rtnl_getlink_by_name", |b| {
        b.iter(|| {
            r = (r + 1) & 63;
            black_box(k.rtnl_request(net, black_box(&reqs[r])))
        })
    });
}

/// Builds the big kernel once (timed) and runs every bench against it.
fn benches(c: &mut Criterion) {
    let n = device_count();
    let (mut k, net, took) = build(n);
    eprintln!(
        "set-up: {n} devices registered through rtnl_request in {:.3} s ({:.2} µs/device)",
        took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / n.max(1) as f64
    );
    let mut g = c.benchmark_group(format!("{n}_devices"));
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    bench_register(&mut g, &mut k, net);
    bench_rename(&mut g, &mut k, net, n);
    bench_lookup(&mut g, &mut k, net, n);
    g.finish();
    assert_eq!(
        k.net(net).device_count(),
        n + 1,
        "benches leave the count unchanged"
    );
    // Dropping a million devices takes a while and measures nothing.
    std::mem::forget(k);
}

criterion_group!(core, benches);
criterion_main!(core);
