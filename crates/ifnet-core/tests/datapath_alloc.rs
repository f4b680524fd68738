//! No heap allocation per frame in the steady state of the datapath
//! (issue 3, acceptance 3).
//!
//! This file is its own test binary so that its counting global allocator
//! sees only this process. The allocator counts allocations made by the
//! thread that armed it (the test harness's other threads are ignored);
//! the first allocation inside an armed window records a backtrace, so a
//! failure names the code that allocated.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};

mod common;

use common::{dev, quiet_up, veth_between_namespaces};
use ifnet_core::client::Client;
use ifnet_core::datapath::Xmit;
use ifnet_core::{DevId, Kernel, KernelProfile};

struct Counting;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
    static FIRST: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn note_alloc(size: usize) {
    let armed = ARMED.try_with(|a| a.get()).unwrap_or(false);
    if !armed {
        return;
    }
    COUNT.with(|c| c.set(c.get() + 1));
    // Disarm while capturing: the backtrace allocates too.
    ARMED.with(|a| a.set(false));
    FIRST.with(|f| {
        if f.borrow().is_none() {
            let bt = std::backtrace::Backtrace::force_capture();
            *f.borrow_mut() = Some(format!("allocation of {size} bytes at:\n{bt}"));
        }
    });
    ARMED.with(|a| a.set(true));
}

// SAFETY: every call is forwarded to `System` unchanged; the bookkeeping
// only touches this thread's counters.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_alloc(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` with the allocator armed; returns the allocations it made and
/// the backtrace of the first one.
fn count_allocs(f: impl FnOnce()) -> (u64, Option<String>) {
    COUNT.with(|c| c.set(0));
    FIRST.with(|b| *b.borrow_mut() = None);
    ARMED.with(|a| a.set(true));
    f();
    ARMED.with(|a| a.set(false));
    (
        COUNT.with(|c| c.get()),
        FIRST.with(|b| b.borrow_mut().take()),
    )
}

fn frame(dst: [u8; 6], src: &[u8]) -> [u8; 64] {
    let mut f = [0u8; 64];
    f[..6].copy_from_slice(&dst);
    f[6..12].copy_from_slice(&src[..6]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f
}

const WARMUP: usize = 1_000;
const MEASURED: usize = 10_000;

fn assert_no_allocs(what: &str, k: &mut Kernel, from: DevId, f: &[u8]) {
    for _ in 0..WARMUP {
        assert_eq!(k.dev_queue_xmit(from, f), Xmit::Sent);
    }
    let (n, first) = count_allocs(|| {
        for _ in 0..MEASURED {
            let r = k.dev_queue_xmit(from, f);
            assert_eq!(r, Xmit::Sent);
        }
    });
    assert_eq!(
        n,
        0,
        "{what}: {n} heap allocations in {MEASURED} frames; first: {}",
        first.unwrap_or_default()
    );
}

/// dev_queue_xmit → veth_xmit → __dev_forward_skb → netif_receive on the
/// peer in another namespace: frames are borrowed all the way, counters
/// are plain fields, so the steady state allocates nothing.
#[test]
fn veth_xmit_steady_state_does_not_allocate() {
    let (mut k, a, b) = veth_between_namespaces();
    let f = frame([0xff; 6], k.dev(a).dev_addr.as_bytes());
    assert_no_allocs("veth", &mut k, a, &f);
    assert_eq!(k.dev(b).stats.rx_packets, (WARMUP + MEASURED) as u64);
}

/// br_handle_frame → br_fdb_update (refresh of a known source) →
/// br_forward to the learnt port → veth_xmit: known unicast through a
/// bridge allocates nothing per frame either.
#[test]
fn br_handle_frame_known_unicast_does_not_allocate() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_bridge("br0").unwrap();
    for (h, p) in [("h1", "p1"), ("h2", "p2")] {
        c.add_veth(h, p).unwrap();
        c.set_master(p, Some("br0")).unwrap();
        quiet_up(&mut c, p);
        quiet_up(&mut c, h);
    }
    quiet_up(&mut c, "br0");
    k.run_until_idle();
    let (h1, h2) = (dev(&k, init, "h1"), dev(&k, init, "h2"));
    let a1: [u8; 6] = k.dev(h1).dev_addr.as_bytes().try_into().unwrap();
    let a2: [u8; 6] = k.dev(h2).dev_addr.as_bytes().try_into().unwrap();
    assert_eq!(k.dev_queue_xmit(h2, &frame(a1, &a2)), Xmit::Sent);
    let f = frame(a2, &a1);
    assert_no_allocs("bridge", &mut k, h1, &f);
    assert_eq!(k.dev(h2).stats.rx_packets, (WARMUP + MEASURED) as u64);
}

/// The counter itself: an allocation inside the armed window is seen.
#[test]
fn counting_allocator_sees_allocations() {
    let (n, first) = count_allocs(|| {
        std::hint::black_box(vec![1u8; 10]);
    });
    assert_eq!(n, 1);
    assert!(first.unwrap().contains("allocation of 10 bytes"));
}

/// A NIC's ndo_start_xmit onto its segment and the other NIC's receive
/// allocate nothing per frame (the segment is found by index; it used to
/// copy the segment's name per frame).
#[test]
fn nic_xmit_steady_state_does_not_allocate() {
    use ifnet_core::hw::HwSpec;
    use ifnet_core::HwAddr;
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    for (bus, m) in [("pci0", "02:00:00:00:00:01"), ("pci1", "02:00:00:00:00:02")] {
        let spec = HwSpec::Nic {
            mac: HwAddr::parse(m).unwrap(),
            driver: None,
            segment: None,
        };
        k.hw_add(bus, spec).unwrap();
    }
    let mut c = Client::new(&mut k, init);
    quiet_up(&mut c, "eth0");
    quiet_up(&mut c, "eth1");
    k.run_until_idle();
    let (e0, e1) = (dev(&k, init, "eth0"), dev(&k, init, "eth1"));
    let f = frame([0xff; 6], k.dev(e0).dev_addr.as_bytes());
    assert_no_allocs("nic", &mut k, e0, &f);
    assert_eq!(k.dev(e1).stats.rx_packets, (WARMUP + MEASURED) as u64);
}
