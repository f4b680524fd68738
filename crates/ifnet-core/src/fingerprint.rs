//! A canonical fingerprint of the kernel state: equal for two kernels that
//! Linux could not tell apart, so that an explorer recognises a state it
//! has already seen (issue 9; DESIGN.md "Concurrency model").
//!
//! What it covers: the profile, the device tables and namespaces, deferred
//! work, modules, the hardware world and the operation in flight — every
//! part of `Kernel` but observation.
//!
//! What it does not depend on:
//! - **the model's own names**: slab slots and generations (ids are hashed
//!   as canonical keys, `canon.rs`), nsfs inode numbers (their order only),
//!   sequence counters whose values only order things (their order only,
//!   `state.rs`). Maps keyed by ids are hashed as multisets, not in slot
//!   order; the device slab is hashed as a multiset of devices.
//! - **observation** (`kernel::parts::Observation`): the uevent and
//!   multicast rings, the kernel log, the ordered event log, packet
//!   captures, the set of multicast listeners and the sequence numbers
//!   that number them. What they have shown is history, not state; where
//!   listening changes the kernel (a notification built only for a
//!   listener allocates a peer nsid) the change itself is state and is
//!   hashed.
//! - **absolute time**: `now` is left out and every deadline and stamp
//!   (work due times, fdb `updated`, bridge timers, frames in flight) is
//!   hashed as its signed distance from `now`. Two kernels that differ only
//!   by when everything happened have one fingerprint;
//!   `linkwatch_nextevent` counts only while it is still ahead.
//!
//! What it keeps that one could argue about: the generator behind
//! `eth_hw_addr_random` (`rng_state`) and addrconf's (`inet_rng_state`:
//! DAD delays and nonces, random secrets). Linux's random bytes are not
//! reproducible, but the model's are, and they decide the addresses of
//! devices created later; a fingerprint that left them out would merge
//! states whose futures differ.
//!
//! How: `Hash` directly over the state, into a 128-bit hasher
//! (`hasher.rs`), with a thread-local canonical-name map built per call
//! (`canon.rs`). State structs `#[derive(Hash)]`; the few with fields left
//! out or renamed implement it by destructuring every field (`state.rs`),
//! so a field added later cannot be left out silently.

mod canon;
mod hasher;
mod state;

pub use hasher::{hash_unordered, FpHasher};

use crate::ids::{DevId, NetId};
use crate::kernel::parts::DevTables;
use crate::kernel::Kernel;
use std::hash::{Hash, Hasher};

/// A kernel state's fingerprint (see the module doc). Equal fingerprints
/// mean the same state up to a 128-bit hash collision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u128);

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl Kernel {
    /// The canonical fingerprint of this kernel's state (module
    /// `fingerprint`): independent of slab slots and generations, of
    /// nsfs inode numbers and ordering counters but for the order they
    /// give, of observation (rings, logs, captures, listeners) and of
    /// absolute time (`now` is left out, deadlines are hashed relative to
    /// it).
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint_with(&())
    }

    /// The fingerprint of this kernel together with user-space state that
    /// refers to it (the netns names of `user_space::NetnsNames`, an
    /// agent's devices): its `DevId`s, `NetId`s and `Instant`s are hashed
    /// with the kernel's canonical names.
    pub fn fingerprint_with<U: Hash + ?Sized>(&self, user_space: &U) -> Fingerprint {
        let _canon = canon::activate(self);
        let mut h = FpHasher::default();
        self.hash_state(&mut h);
        user_space.hash(&mut h);
        Fingerprint(h.finish128())
    }

    /// The fingerprint of user-space state that refers to this kernel,
    /// over this kernel's own `fingerprint()` computed before (an explorer
    /// caches it while the kernel is unchanged): its ids and instants are
    /// hashed with the kernel's canonical names, as in `fingerprint_with`.
    /// Two (kernel, user space) pairs get equal values exactly when
    /// `fingerprint_with` gives them equal ones, up to hash collisions.
    pub fn fingerprint_user<U: Hash + ?Sized>(
        &self,
        kernel: Fingerprint,
        user_space: &U,
    ) -> Fingerprint {
        let _canon = canon::activate(self);
        let mut h = FpHasher::default();
        kernel.0.hash(&mut h);
        user_space.hash(&mut h);
        Fingerprint(h.finish128())
    }

    /// The fingerprint with the hash of this kernel's canonical context
    /// (its namespace ranks, device keys and list ranks, and `now`): a
    /// hash of user-space state taken under the kernel's canonical names
    /// stays valid while the context hash is unchanged.
    pub fn fingerprint_and_context(&self) -> (Fingerprint, u128) {
        let _canon = canon::activate(self);
        let mut h = FpHasher::default();
        self.hash_state(&mut h);
        (Fingerprint(h.finish128()), canon::context())
    }

    /// Runs `f` with `DevId`s, `NetId`s and `Instant`s hashing through this
    /// kernel's canonical names (as inside `fingerprint_with`); `f` gets the
    /// context hash of `fingerprint_and_context`.
    pub fn with_canonical_names<R>(&self, f: impl FnOnce(u128) -> R) -> R {
        let _canon = canon::activate(self);
        f(canon::context())
    }

    /// The names user space can hold of this kernel that neither the
    /// fingerprint nor its canonical context covers: the next sequence
    /// numbers of the uevent ring (a udev event's SEQNUM), of the link
    /// multicast ring and of the event log (a reader's cursor), and each
    /// namespace's nsfs inode number, by slot. Two kernels that agree on
    /// all of it and on `fingerprint_and_context` differ only in the
    /// history their rings hold: each can stand for the other under the
    /// user space of either, once that user space has read the rings to
    /// their end (the explorer interns kernels by the three).
    pub fn user_names_hash(&self) -> u128 {
        let mut h = FpHasher::default();
        (
            self.uevent_next_seq(),
            self.mcast_next_seq(),
            self.event_next_seq(),
        )
            .hash(&mut h);
        for (id, n) in self.tables.nets.iter::<NetId>() {
            (id.index, n.inum).hash(&mut h);
        }
        h.finish128()
    }

    /// Whether `a` and `b` are in the same state: their fingerprints agree.
    pub fn same_state(a: &Kernel, b: &Kernel) -> bool {
        a.fingerprint() == b.fingerprint()
    }

    fn hash_state(&self, h: &mut FpHasher) {
        let Kernel {
            profile,
            now: _,
            tables,
            deferred,
            modules,
            world,
            obs: _,
            inflight,
        } = self;
        profile.hash(h);
        hash_tables(tables, h);
        (deferred, modules, world, inflight).hash(h);
    }
}

fn hash_tables(t: &DevTables, h: &mut FpHasher) {
    let DevTables {
        nets,
        init_net,
        next_ns_inum: _,
        devs,
        next_list_seq: _,
        notifiers,
        todo_list,
        rng_state,
        inet_rng_state,
        rtnl_link_initializing,
    } = t;
    // Namespaces in inode (creation) order, each under its rank.
    let mut by_inum: Vec<(u32, &crate::net::Net)> =
        nets.iter::<NetId>().map(|(_, n)| (n.inum, n)).collect();
    by_inum.sort_unstable_by_key(|&(inum, _)| inum);
    h.write_usize(by_inum.len());
    for (_, net) in by_inum {
        net.hash(h);
    }
    init_net.hash(h);
    hash_devices(devs, h);
    (notifiers, todo_list, rng_state, inet_rng_state).hash(h);
    rtnl_link_initializing.hash(h);
}

/// The device slab as a multiset, as `hash_unordered` would hash it, with
/// each device's own hash taken from its `DevCell` cache when it was
/// computed in this very canonical context (`canon::context`).
fn hash_devices(devs: &crate::ids::Slab<crate::dev_cell::DevCell>, h: &mut FpHasher) {
    let ctx = canon::context();
    let own = devs
        .iter::<DevId>()
        .map(|(_, d)| d.hash_in(ctx, hasher::own_hash));
    hasher::sum_unordered(own, h);
}
