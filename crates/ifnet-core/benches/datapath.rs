//! Criterion benchmarks of the datapath (issue 3, acceptance 2): 64-byte
//! frames, reported in frames/s (`Throughput::Elements`), on one core.
//!
//! - `datapath/veth_xmit_64B`: `dev_queue_xmit` on one end of an UP veth
//!   pair (→ `veth_xmit` → peer counts rx → `__netif_receive_skb_core` →
//!   local delivery). Target: ≥ 10 M frames/s.
//! - `datapath/bridge_64B`: veth → bridge port (`br_handle_frame`, fdb
//!   lookup of a learnt destination, `br_forward`) → the other port's veth
//!   → its peer. The destination is learnt before timing, so this is known
//!   unicast, not flooding.
//! - `membw/*`: a memory-bandwidth bound measured on the same machine, for
//!   comparison. `copy_64B_ring` copies one 64-byte frame per element into
//!   a 256 MiB ring (every copy touches a new cache line pair in DRAM: the
//!   cost of one frame's bytes if the model had to move them);
//!   `memcpy_64MiB` is a bulk copy (bytes/s), whose figure / 64 is the
//!   frames/s DRAM bandwidth allows if every frame were read once and
//!   written once (divide by 128 for both directions' bytes).
//!
//! `cargo bench -p ifnet-core --bench datapath`. In criterion's test mode
//! (`cargo test --benches`) each routine runs once; the ring is 4 MiB.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ifnet_core::client::Client;
use ifnet_core::datapath::Xmit;
use ifnet_core::{DevId, Kernel, KernelProfile, NetId};
use std::hint::black_box;

const FRAME: usize = 64;

fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A 64-byte Ethernet frame (IPv4 EtherType, zero payload).
fn frame(dst: [u8; 6], src: &[u8]) -> [u8; FRAME] {
    let mut f = [0u8; FRAME];
    f[..6].copy_from_slice(&dst);
    f[6..12].copy_from_slice(&src[..6]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f
}

fn dev(k: &Kernel, net: NetId, name: &str) -> DevId {
    k.dev_get_by_name(net, name).unwrap()
}

/// v0 — v1, both UP, settled.
fn veth_pair() -> (Kernel, DevId, DevId) {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    c.set_up("v0", true).unwrap();
    c.set_up("v1", true).unwrap();
    k.run_until_idle();
    let (a, b) = (dev(&k, init, "v0"), dev(&k, init, "v1"));
    (k, a, b)
}

/// h1 — p1 ⊂ br0 ⊃ p2 — h2, everything UP, h2 learnt on p2.
fn bridged() -> (Kernel, DevId, DevId) {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    common::bridged_hosts(&mut k);
    let (h1, h2) = (dev(&k, init, "h1"), dev(&k, init, "h2"));
    // br_fdb_update: h2 speaks once so its address is known on p2.
    let a1 = k.dev(h1).dev_addr.as_bytes().to_vec();
    let a2 = k.dev(h2).dev_addr.as_bytes().to_vec();
    let hello = frame(a1[..6].try_into().unwrap(), &a2);
    assert_eq!(k.dev_queue_xmit(h2, &hello), Xmit::Sent);
    let br = dev(&k, init, "br0");
    assert!(k
        .br_fdb_entries(br)
        .iter()
        .any(|(m, e)| m[..] == a2[..] && !e.is_local));
    (k, h1, h2)
}

fn datapath(c: &mut Criterion) {
    let mut g = c.benchmark_group("datapath");
    g.throughput(Throughput::Elements(1));

    let (mut k, a, b) = veth_pair();
    let f = frame([0xff; 6], k.dev(a).dev_addr.as_bytes());
    g.bench_function("veth_xmit_64B", |bch| {
        bch.iter(|| black_box(k.dev_queue_xmit(a, black_box(&f))))
    });
    assert!(k.dev(b).stats.rx_packets > 0);
    assert_eq!(k.dev(b).stats.rx_packets, k.dev(a).stats.tx_packets);

    let (mut k, h1, h2) = bridged();
    let f = frame(
        k.dev(h2).dev_addr.as_bytes()[..6].try_into().unwrap(),
        k.dev(h1).dev_addr.as_bytes(),
    );
    let before = k.dev(h2).stats.rx_packets;
    g.bench_function("bridge_64B", |bch| {
        bch.iter(|| black_box(k.dev_queue_xmit(h1, black_box(&f))))
    });
    assert!(k.dev(h2).stats.rx_packets > before);
    g.finish();
}

fn membw(c: &mut Criterion) {
    let mut g = c.benchmark_group("membw");
    let ring_bytes = if bench_mode() { 256 << 20 } else { 4 << 20 };
    let mut ring = vec![0u8; ring_bytes];
    let src = [0x5au8; FRAME];
    let slots = ring_bytes / FRAME;
    let mut i = 0usize;
    g.throughput(Throughput::Elements(1));
    g.bench_function("copy_64B_ring", |bch| {
        bch.iter(|| {
            let at = i * FRAME;
            ring[at..at + FRAME].copy_from_slice(black_box(&src));
            // A stride that is not a power of two defeats the prefetcher's
            // simplest patterns while still visiting every slot.
            i = (i + 4099) % slots;
        })
    });
    black_box(&ring);

    let bulk = if bench_mode() { 64 << 20 } else { 1 << 20 };
    let from = vec![0x33u8; bulk];
    let mut to = vec![0u8; bulk];
    g.throughput(Throughput::Bytes(bulk as u64));
    g.bench_function("memcpy_64MiB", |bch| {
        bch.iter(|| {
            to.copy_from_slice(black_box(&from));
            black_box(&to);
        })
    });
    g.finish();
}

criterion_group!(benches, datapath, membw);
criterion_main!(benches);
