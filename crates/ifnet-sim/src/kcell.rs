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
use std::sync::{Arc, OnceLock};

#[derive(Clone)]
pub struct KernelCell {
    kernel: Arc<Kernel>,
    fingerprint: OnceLock<Fingerprint>,
    invariants: OnceLock<Result<(), String>>,
}

impl KernelCell {
    pub fn new(kernel: Kernel) -> KernelCell {
        KernelCell {
            kernel: Arc::new(kernel),
            fingerprint: OnceLock::new(),
            invariants: OnceLock::new(),
        }
    }

    /// The kernel itself (copied out if another world shares it).
    pub fn into_inner(self) -> Kernel {
        Arc::try_unwrap(self.kernel).unwrap_or_else(|k| (*k).clone())
    }

    /// `Kernel::fingerprint`, computed once per kernel state.
    pub fn fingerprint(&self) -> Fingerprint {
        *self.fingerprint.get_or_init(|| self.kernel.fingerprint())
    }

    /// `Kernel::check_invariants`, computed once per kernel state.
    pub fn check_invariants(&self) -> Result<(), String> {
        self.invariants
            .get_or_init(|| self.kernel.check_invariants())
            .clone()
    }

    /// Whether two cells share one kernel (no copy was made).
    pub fn shares_with(&self, other: &KernelCell) -> bool {
        Arc::ptr_eq(&self.kernel, &other.kernel)
    }
}

impl Deref for KernelCell {
    type Target = Kernel;
    #[inline]
    fn deref(&self) -> &Kernel {
        &self.kernel
    }
}

impl DerefMut for KernelCell {
    /// Drops the caches and copies the kernel if it is shared.
    #[inline]
    fn deref_mut(&mut self) -> &mut Kernel {
        self.fingerprint = OnceLock::new();
        self.invariants = OnceLock::new();
        Arc::make_mut(&mut self.kernel)
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
        assert_eq!(b.fingerprint(), fp);
        let init = b.init_net();
        ifnet_core::client::Client::new(&mut b, init)
            .set_up("lo", true)
            .unwrap();
        assert!(!b.shares_with(&a), "a write copies");
        assert_ne!(b.fingerprint(), fp, "and the cache is dropped");
        assert_eq!(b.fingerprint(), b.kernel.fingerprint());
        assert_eq!(a.fingerprint(), fp);
        assert_eq!(a.kernel.fingerprint(), fp);
    }
}
