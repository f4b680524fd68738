//! Criterion benchmarks of what an explorer does at every branch (issue 9,
//! acceptance 4): `Kernel::clone()` and `Kernel::fingerprint()` of an
//! 8-device failover + bridge kernel (plus `lo`): a net_failover master
//! `eth0` with its standby `eth1` (virtio-net, VIRTIO_NET_F_STANDBY) and
//! its primary `eth2` (a hot-plugged VF), and a bridge `br0` with two veth
//! ports `p0`, `p1` whose peers are `v0`, `v1`; everything UP and settled.
//!
//! - `snapshot/clone_fresh`: the kernel right after it was built.
//! - `snapshot/clone`: the same kernel after a history that fills its
//!   observation buffers: 1,000 `ip link set v0 mtu …` requests and 600
//!   `ip link add`/`del` of a dummy, with a multicast listener and the
//!   ordered event log on (multicast ring, uevent ring and event log full).
//!   The figure should not follow the history: compare with `clone_fresh`.
//! - `snapshot/fingerprint`: `Kernel::fingerprint()` of that kernel.
//! - `snapshot/clone_and_step`: a clone, then one `ip link set v0 mtu`
//!   request (genuine bytes) on it: what a branch costs, the lazy copy of
//!   the rings' open chunks included. `snapshot/step` is the request alone.
//!
//! The clone is dropped inside the timed loop: an explorer frees what it
//! clones. `cargo bench -p ifnet-core --bench snapshot`; in criterion's
//! test mode (`cargo test --benches`) each routine runs once.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use ifnet_core::client::{encode, Client};
use ifnet_core::hw::HwSpec;
use ifnet_core::{HwAddr, Kernel, KernelProfile};
use netlink_packet_core::{NLM_F_ACK, NLM_F_REQUEST};
use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use std::hint::black_box;

/// The failover trio, the bridge and its ports, UP and settled.
fn failover_bridge() -> Kernel {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mac = HwAddr::parse("52:54:00:aa:bb:01").unwrap();
    let virtio = HwSpec::VirtioNet {
        mac,
        standby: true,
        segment: None,
    };
    k.hw_add("0000:00:03.0", virtio).unwrap();
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    let vf = HwSpec::Vf {
        mac,
        driver: None,
        segment: None,
    };
    k.hw_add("0000:00:04.0", vf).unwrap();
    common::bridge_with_veths(&mut k, &[("v0", "p0"), ("v1", "p1")]);
    assert_eq!(k.device_count(), 9);
    k
}

fn set_mtu(mtu: u32) -> Vec<u8> {
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName("v0".into()));
    m.attributes.push(LinkAttribute::Mtu(mtu));
    encode(
        RouteNetlinkMessage::NewLink(m),
        NLM_F_REQUEST | NLM_F_ACK,
        1,
    )
}

/// `failover_bridge()` after a history that fills the observation buffers.
fn with_history() -> Kernel {
    let mut k = failover_bridge();
    let init = k.init_net();
    k.mcast_listen(4242);
    k.set_event_log(true);
    let requests = [set_mtu(1400), set_mtu(1500)];
    for i in 0..1000 {
        let replies = k.rtnl_request(init, &requests[i % 2]);
        assert_eq!(replies.len(), 1);
    }
    for _ in 0..600 {
        let mut c = Client::new(&mut k, init);
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName("d0".into()));
        m.attributes.push(LinkAttribute::LinkInfo(vec![
            netlink_packet_route::link::LinkInfo::Kind(netlink_packet_route::link::InfoKind::Dummy),
        ]));
        let flags = NLM_F_ACK | netlink_packet_core::NLM_F_CREATE;
        c.request(RouteNetlinkMessage::NewLink(m), flags).unwrap();
        c.del("d0").unwrap();
    }
    k.run_until_idle();
    assert_eq!(k.device_count(), 9);
    assert!(k.mcast_next_seq() > 2048 && k.uevent_next_seq() > 1024);
    k
}

fn snapshot(c: &mut Criterion) {
    let mut g = c.benchmark_group("snapshot");
    let fresh = failover_bridge();
    g.bench_function("clone_fresh", |b| b.iter(|| black_box(&fresh).clone()));
    let k = with_history();
    g.bench_function("clone", |b| b.iter(|| black_box(&k).clone()));
    g.bench_function("fingerprint", |b| b.iter(|| black_box(&k).fingerprint()));
    let init = k.init_net();
    let req = set_mtu(1400);
    g.bench_function("clone_and_step", |b| {
        b.iter(|| {
            let mut c = black_box(&k).clone();
            black_box(c.rtnl_request(init, &req));
            c
        })
    });
    let mut step = k.clone();
    let reqs = [set_mtu(1400), set_mtu(1500)];
    let mut i = 0;
    g.bench_function("step", |b| {
        b.iter(|| {
            i += 1;
            black_box(step.rtnl_request(init, &reqs[i % 2]))
        })
    });
    g.finish();
}

criterion_group!(benches, snapshot);
criterion_main!(benches);
