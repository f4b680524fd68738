//! Memory per device (issue 2, acceptance 3: under 2 KiB per device).
//!
//! A counting global allocator wraps `System` and tracks the bytes in use.
//! The bench boots a kernel, registers N = 100,000 devices in one namespace
//! through `rtnl_request` (`rtnl_newlink` → `veth_newlink` →
//! `register_netdevice`, 50,000 veth pairs), settles deferred work
//! (`run_until_idle`, as a CLI invocation does) and prints the heap bytes
//! the kernel holds per device: the `NetDevice` slab slots plus the
//! namespace's name hash and ifindex table, and whatever rings and queues
//! grew on the way. It also prints the size of the serialised state per
//! device (what the CLI's state file costs) and the peak during set-up.
//!
//! `IFNET_MEM_DEVICES=N` overrides N. It exits non-zero if the figure is
//! 2 KiB or more, so a regression is visible in `cargo bench` output; it
//! measures bytes, never time.

use ifnet_core::client::{decode, encode, veth_newlink};
use ifnet_core::{Kernel, KernelProfile};
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// `System`, counting live and peak bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; the counters do
// not affect the returned memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL: `ip link add`.
const NEWLINK_FLAGS: u16 = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;

/// `ip link add NAME type veth peer name PEER` as iproute2 encodes it.
fn newlink_veth(name: &str, peer: &str, seq: u32) -> Vec<u8> {
    encode(veth_newlink(name, peer), NEWLINK_FLAGS, seq)
}

fn main() {
    // Under `cargo test --benches` (no `--bench`), a small N keeps it quick.
    let default_n = if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        2_000
    };
    let n: usize = std::env::var("IFNET_MEM_DEVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_n);

    let before = LIVE.load(Relaxed);
    let mut k = Kernel::new(KernelProfile::latest());
    let net = k.init_net();
    let empty = LIVE.load(Relaxed) - before;
    PEAK.store(LIVE.load(Relaxed), Relaxed);
    for i in 0..n / 2 {
        let req = newlink_veth(&format!("v{i}"), &format!("p{i}"), i as u32);
        let (_, res) = decode(&k.rtnl_request(net, &req));
        res.expect("veth pair created");
    }
    let unsettled = LIVE.load(Relaxed) - before;
    k.run_until_idle();
    let settled = LIVE.load(Relaxed) - before;
    let peak = PEAK.load(Relaxed) - before;
    let devices = k.net(net).device_count() - 1;
    assert_eq!(devices, n / 2 * 2);

    let per = |bytes: usize| (bytes - empty) as f64 / devices as f64;
    println!("memory: {devices} devices in one namespace (veth pairs via rtnl_request)");
    println!("  empty kernel (init_net + lo + rings):  {empty} bytes");
    println!(
        "  after set-up, unsettled:               {unsettled} bytes = {:.0} bytes/device",
        per(unsettled)
    );
    println!(
        "  after run_until_idle:                  {settled} bytes = {:.0} bytes/device",
        per(settled)
    );
    println!("  peak during set-up:                    {peak} bytes");
    println!(
        "  NetDevice struct alone:                {} bytes",
        std::mem::size_of::<ifnet_core::netdev::NetDevice>()
    );
    let json = serde_json::to_vec(&k).expect("state serialises");
    println!(
        "  serialised state (serde_json):         {} bytes = {:.0} bytes/device",
        json.len(),
        json.len() as f64 / devices as f64
    );
    let per_dev = per(settled);
    if per_dev >= 2048.0 {
        eprintln!("memory: {per_dev:.0} bytes/device is over the 2 KiB target");
        std::process::exit(1);
    }
}
