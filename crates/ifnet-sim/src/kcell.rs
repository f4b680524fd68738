//! The kernel a world holds, shared between forked worlds until one of
//! them changes it (copy-on-write), with its fingerprint and its
//! `check_invariants` result cached while it is unchanged. Most explorer
//! steps only read the kernel (udev rules reading sysfs, NM taking a udev
//! event, a broadcast): their child world then costs neither a kernel copy
//! nor a kernel hash nor a kernel invariant check. Any `&mut` access
//! (`DerefMut`) copies the kernel if another world shares it and drops
//! the caches, so nothing can change it behind them.

use ifnet_core::{Fingerprint, Kernel};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// The shared part: the kernel with what is cached about it, so that every
/// world sharing the kernel shares the results too.
#[derive(Clone)]
struct Core {
    kernel: Kernel,
    /// The fingerprint with its canonical context hash.
    fingerprint: OnceLock<(Fingerprint, u128)>,
    invariants: OnceLock<Result<(), String>>,
}

/// Source of kernel versions: one per content snapshot, never reused in
/// a process (the explorer's step cache keys on them).
static NEXT_VERSION: AtomicU64 = AtomicU64::new(1);

fn next_version() -> u64 {
    NEXT_VERSION.fetch_add(1, Ordering::Relaxed)
}

pub struct KernelCell {
    core: Arc<Core>,
    /// Equal for two cells exactly when they share one unchanged kernel:
    /// taken afresh at every `&mut` access.
    version: u64,
    /// Set by every access, read or write (`take_touched`): whether an
    /// agent's step looked at the kernel at all.
    touched: AtomicBool,
}

impl Clone for KernelCell {
    fn clone(&self) -> Self {
        KernelCell {
            core: self.core.clone(),
            version: self.version,
            touched: AtomicBool::new(false),
        }
    }
}

impl KernelCell {
    pub fn new(kernel: Kernel) -> KernelCell {
        KernelCell {
            core: Arc::new(Core {
                kernel,
                fingerprint: OnceLock::new(),
                invariants: OnceLock::new(),
            }),
            version: next_version(),
            touched: AtomicBool::new(false),
        }
    }

    /// The kernel itself (copied out if another world shares it).
    pub fn into_inner(self) -> Kernel {
        Arc::try_unwrap(self.core).map_or_else(|c| c.kernel.clone(), |c| c.kernel)
    }

    /// `Kernel::fingerprint`, computed once per kernel state.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint_and_context().0
    }

    /// `Kernel::fingerprint_and_context`, computed once per kernel state.
    pub fn fingerprint_and_context(&self) -> (Fingerprint, u128) {
        *self
            .core
            .fingerprint
            .get_or_init(|| self.core.kernel.fingerprint_and_context())
    }

    /// `Kernel::check_invariants`, computed once per kernel state.
    pub fn check_invariants(&self) -> Result<(), String> {
        self.core
            .invariants
            .get_or_init(|| self.core.kernel.check_invariants())
            .clone()
    }

    /// Whether two cells share one kernel (no copy was made).
    pub fn shares_with(&self, other: &KernelCell) -> bool {
        Arc::ptr_eq(&self.core, &other.core)
    }

    /// Whether the kernel was accessed since the last call.
    pub fn take_touched(&self) -> bool {
        self.touched.swap(false, Ordering::Relaxed)
    }

    /// Notes an access made on the cell's behalf (a memo that answered
    /// for the kernel without touching it).
    pub fn mark_touched(&self) {
        self.touched.store(true, Ordering::Relaxed);
    }

    /// This content snapshot's version: two cells with one version hold
    /// the same kernel state (the step cache's key).
    pub fn version(&self) -> u64 {
        self.version
    }
}

impl Deref for KernelCell {
    type Target = Kernel;
    #[inline]
    fn deref(&self) -> &Kernel {
        self.touched.store(true, Ordering::Relaxed);
        &self.core.kernel
    }
}

impl DerefMut for KernelCell {
    /// Copies the kernel if it is shared, drops the caches and takes a new
    /// version.
    #[inline]
    fn deref_mut(&mut self) -> &mut Kernel {
        *self.touched.get_mut() = true;
        self.version = next_version();
        let core = Arc::make_mut(&mut self.core);
        core.fingerprint = OnceLock::new();
        core.invariants = OnceLock::new();
        &mut core.kernel
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ifnet_core::KernelProfile;

    /// A read shares the kernel and keeps the caches; a write copies it
    /// (the other cell keeps the old state) and recomputes them.
    #[test]
    fn copy_on_write_and_caches() {
        let a = KernelCell::new(Kernel::new(KernelProfile::latest()));
        let fp = a.fingerprint();
        assert!(a.check_invariants().is_ok());
        let mut b = a.clone();
        assert!(b.shares_with(&a));
        let _ = b.sysfs_list(b.init_net());
        assert!(b.shares_with(&a), "a read does not copy");
        assert_eq!(b.version(), a.version());
        assert_eq!(b.fingerprint(), fp);
        let init = b.init_net();
        ifnet_core::client::Client::new(&mut b, init)
            .set_up("lo", true)
            .unwrap();
        assert!(!b.shares_with(&a), "a write copies");
        assert_ne!(b.version(), a.version(), "and takes a new version");
        assert_ne!(b.fingerprint(), fp, "and the cache is dropped");
        assert_eq!(b.fingerprint(), b.core.kernel.fingerprint());
        assert_eq!(a.fingerprint(), fp);
        assert_eq!(a.core.kernel.fingerprint(), fp);
    }
}
