//! The canonical names the fingerprint hashes instead of the model's own.
//!
//! While `Kernel::fingerprint` runs, a thread-local `Canon` built from the
//! kernel maps
//! - each `NetId` to its namespace's rank by nsfs inode number (creation
//!   order): the inode values themselves are names the model hands out
//!   from a counter where Linux reuses freed ones (`proc_alloc_inum` is an
//!   ida), so only their order is state;
//! - each `DevId` to (its namespace's rank, its reg_state, its ifindex):
//!   unique among registered devices, stable while a device is moved (it
//!   keeps its ifindex, or takes the one `dev_change_net_namespace` chose,
//!   before any other device can register: RTNL is held) and while it
//!   waits unregistered for its last reference (reg_state tells it from a
//!   live device that took its ifindex). An id whose slot is empty or of
//!   another generation (a stale id) hashes as "no device";
//! - each device's `list_seq` (its place in `dev_base_head`) to its rank
//!   among the devices of its namespace: only the order is state;
//! - each `Instant` to its signed distance from the kernel's `now`.
//!
//! `DevId`, `NetId` and `Instant` implement `Hash` through it (below), so a
//! `#[derive(Hash)]` on any state struct hashes them canonically. Outside
//! a fingerprint they hash their own fields, as the derive would.
//!
//! Corner where two devices share a key: two devices of one namespace,
//! both unregistered and waiting for references, with one ifindex (the
//! second created with an explicit `index` after the first died). Their
//! contents are still hashed; only which of the two a reference names is
//! lost.

use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::time::Instant;
use std::cell::RefCell;
use std::hash::{Hash, Hasher};

/// Key of an id that names nothing live.
const STALE: u128 = u128::MAX;

struct Canon {
    active: bool,
    now: u64,
    /// By namespace slot: (generation, rank) of the live namespace there.
    nets: Vec<Option<(u32, u32)>>,
    /// By device slot: (generation, key, list rank) of the live device.
    devs: Vec<Option<(u32, u128, u32)>>,
    /// Scratch for the list ranks: (namespace rank, list_seq, slot).
    order: Vec<(u32, u64, u32)>,
    /// A hash of all of the above: what a device's hash can depend on
    /// besides its own fields (`DevCell`'s cache key).
    ctx: u128,
}

thread_local! {
    static CANON: RefCell<Canon> = const {
        RefCell::new(Canon {
            active: false,
            now: 0,
            nets: Vec::new(),
            devs: Vec::new(),
            order: Vec::new(),
            ctx: 0,
        })
    };
}

/// The canonical context of one fingerprint; dropping it ends it (also on
/// a panic inside a `Hash` impl).
pub(super) struct Active(());

impl Drop for Active {
    fn drop(&mut self) {
        CANON.with(|c| c.borrow_mut().active = false);
    }
}

/// Builds the canonical names of `k` and switches canonical hashing on
/// for this thread until the returned guard drops. The vectors are kept
/// between fingerprints, so a warm call allocates nothing.
pub(super) fn activate(k: &Kernel) -> Active {
    CANON.with(|c| {
        let mut c = c.borrow_mut();
        assert!(!c.active, "Kernel::fingerprint does not nest");
        let c = &mut *c;
        c.now = k.now.as_nanos();
        let nets = &k.tables.nets;
        c.nets.clear();
        c.nets.resize(nets.slot_count(), None);
        c.order.clear();
        c.order.extend(
            nets.iter::<NetId>()
                .map(|(id, n)| (id.generation, u64::from(n.inum), id.index)),
        );
        c.order.sort_unstable_by_key(|&(_, inum, _)| inum);
        for (rank, &(gen, _, slot)) in c.order.iter().enumerate() {
            c.nets[slot as usize] = Some((gen, rank as u32));
        }
        build_devs(c, k);
        c.ctx = context_hash(c);
        c.active = true;
    });
    Active(())
}

fn build_devs(c: &mut Canon, k: &Kernel) {
    let devs = &k.tables.devs;
    c.devs.clear();
    c.devs.resize(devs.slot_count(), None);
    c.order.clear();
    for (id, d) in devs.iter::<DevId>() {
        let net = net_rank(&c.nets, d.net);
        let key = (u128::from(net) << 64) | (u128::from(d.reg_state as u8) << 32);
        c.devs[id.index as usize] = Some((id.generation, key | u128::from(d.ifindex), 0));
        c.order.push((net, d.list_seq, id.index));
    }
    c.order.sort_unstable();
    // Ranks within each namespace; devices with one list_seq (never
    // listed: 0) share a rank, so the slot order that sorts them does not
    // show.
    let (mut prev, mut rank, mut i) = (None, 0, 0);
    for &(net, seq, slot) in &c.order {
        match prev {
            Some((n, s)) if n == net => {
                i += 1;
                if s != seq {
                    rank = i;
                }
            }
            _ => (rank, i) = (0, 0),
        }
        prev = Some((net, seq));
        if let Some(e) = &mut c.devs[slot as usize] {
            e.2 = rank;
        }
    }
}

/// Everything a canonical name is made of: `now`, the namespace ranks and
/// every device slot's (generation, key, list rank), by slot.
fn context_hash(c: &Canon) -> u128 {
    super::hasher::own_hash(&(c.now, &c.nets, &c.devs))
}

/// The hash of the current canonical context (inside a fingerprint).
pub(super) fn context() -> u128 {
    CANON.with(|c| {
        let c = c.borrow();
        assert!(c.active, "canon::context outside a fingerprint");
        c.ctx
    })
}

fn net_rank(nets: &[Option<(u32, u32)>], id: NetId) -> u32 {
    match nets.get(id.index as usize) {
        Some(Some((gen, rank))) if *gen == id.generation => *rank,
        _ => u32::MAX,
    }
}

fn dev_entry(c: &Canon, id: DevId) -> Option<(u128, u32)> {
    match c.devs.get(id.index as usize) {
        Some(Some((gen, key, rank))) if *gen == id.generation => Some((*key, *rank)),
        _ => None,
    }
}

/// The rank of `dev`'s `list_seq` among its namespace's devices (inside a
/// fingerprint; `None` outside one).
pub(super) fn list_rank(dev: DevId) -> Option<u32> {
    CANON.with(|c| {
        let c = c.borrow();
        c.active
            .then(|| dev_entry(&c, dev).map_or(u32::MAX, |(_, r)| r))
    })
}

/// The kernel's `now` (inside a fingerprint; `None` outside one).
pub(super) fn now() -> Option<u64> {
    CANON.with(|c| {
        let c = c.borrow();
        c.active.then_some(c.now)
    })
}

impl Hash for DevId {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let key = CANON.with(|c| {
            let c = c.borrow();
            c.active
                .then(|| dev_entry(&c, *self).map_or(STALE, |(k, _)| k))
        });
        match key {
            Some(key) => h.write_u128(key),
            None => {
                h.write_u32(self.index);
                h.write_u32(self.generation);
            }
        }
    }
}

impl Hash for NetId {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let rank = CANON.with(|c| {
            let c = c.borrow();
            c.active.then(|| net_rank(&c.nets, *self))
        });
        match rank {
            Some(rank) => h.write_u64(u64::from(rank)),
            None => {
                h.write_u32(self.index);
                h.write_u32(self.generation);
            }
        }
    }
}

impl Hash for Instant {
    fn hash<H: Hasher>(&self, h: &mut H) {
        match now() {
            // Both lie on the clock (at most 2^62), so the difference fits.
            Some(now) => h.write_i64(self.as_nanos() as i64 - now as i64),
            None => h.write_u64(self.as_nanos()),
        }
    }
}
