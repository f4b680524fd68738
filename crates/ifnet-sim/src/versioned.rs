//! `Versioned<T>`: a world's value that forked worlds share until one of
//! them changes it (copy-on-write), with a version and a cached canonical
//! hash. The facts and the namespace names are such values: they change
//! a few times in a run, but every state's fingerprint hashes them and
//! every step-cache key names them.
//!
//! - The version is equal in two worlds exactly when they share the
//!   unchanged value (any `&mut` access takes a new one; versions are
//!   never reused in a process), so the step cache keys on it instead of
//!   hashing the content.
//! - The canonical hash (their `DevId`s and `NetId`s hash through the
//!   kernel's canonical names) is kept with the canonical context it was
//!   computed in (`Kernel::with_canonical_names`) and reused while both
//!   the value and that context are unchanged — the device cache's rule
//!   (`ifnet_core::dev_cell`); the last few contexts are kept.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

static NEXT_VERSION: AtomicU64 = AtomicU64::new(1);

/// A version no value has had.
pub(crate) fn next_version() -> u64 {
    NEXT_VERSION.fetch_add(1, Ordering::Relaxed)
}

/// Canonical hashes a value keeps, by context: sibling states of a
/// search share one value under kernels of different contexts, and one
/// entry would be recomputed at every switch between them.
const CONTEXTS_KEPT: usize = 4;

struct Core<T> {
    value: T,
    /// (canonical context, hash in it), the newest first.
    canonical: Mutex<[Option<(u128, u128)>; CONTEXTS_KEPT]>,
}

impl<T: Clone> Clone for Core<T> {
    fn clone(&self) -> Self {
        Core {
            value: self.value.clone(),
            canonical: Mutex::new([None; CONTEXTS_KEPT]),
        }
    }
}

#[derive(Clone)]
pub struct Versioned<T> {
    core: Arc<Core<T>>,
    version: u64,
}

impl<T> Versioned<T> {
    pub fn new(value: T) -> Versioned<T> {
        Versioned {
            core: Arc::new(Core {
                value,
                canonical: Mutex::new([None; CONTEXTS_KEPT]),
            }),
            version: next_version(),
        }
    }

    /// Equal for two values exactly when they are one unchanged value.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The hash cached for canonical context `ctx`, if any.
    pub fn canonical_hash(&self, ctx: u128) -> Option<u128> {
        let c = self
            .core
            .canonical
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        c.iter().flatten().find(|(k, _)| *k == ctx).map(|&(_, h)| h)
    }

    /// Keeps `hash` as the value's hash in canonical context `ctx`.
    pub fn keep_canonical_hash(&self, ctx: u128, hash: u128) {
        let mut c = self
            .core
            .canonical
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if c.iter().flatten().any(|(k, _)| *k == ctx) {
            return;
        }
        c.rotate_right(1);
        c[0] = Some((ctx, hash));
    }
}

impl<T: Default> Default for Versioned<T> {
    fn default() -> Self {
        Versioned::new(T::default())
    }
}

impl<T> Deref for Versioned<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.core.value
    }
}

impl<T: Clone> DerefMut for Versioned<T> {
    /// Copies the value if it is shared, drops the cached hash and takes
    /// a new version.
    fn deref_mut(&mut self) -> &mut T {
        self.version = next_version();
        let core = Arc::make_mut(&mut self.core);
        *core.canonical.get_mut().unwrap_or_else(|e| e.into_inner()) = [None; CONTEXTS_KEPT];
        &mut core.value
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Versioned<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.core.value.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read keeps the version and the cached hash; a write takes a new
    /// version, drops the hash and leaves the world it was forked from
    /// as it was.
    #[test]
    fn versions_follow_changes() {
        let a = Versioned::new(vec![1u8]);
        a.keep_canonical_hash(7, 42);
        let mut b = a.clone();
        assert_eq!(b.version(), a.version());
        assert_eq!(b.canonical_hash(7), Some(42));
        assert_eq!(b.canonical_hash(8), None, "another context");
        let v = b.version();
        b.push(2);
        assert_ne!(b.version(), v);
        assert_eq!(b.canonical_hash(7), None);
        assert_eq!(*a, vec![1]);
        assert_eq!(a.canonical_hash(7), Some(42));
        let mut c = Versioned::new(vec![1u8]);
        assert_ne!(c.version(), a.version(), "equal contents, other values");
        let before = c.version();
        let _ = &mut *c;
        assert_ne!(c.version(), before, "any &mut access");
    }

    /// Hashes in several contexts are kept at once (sibling states under
    /// kernels of different contexts share one value), the oldest going
    /// first past `CONTEXTS_KEPT`.
    #[test]
    fn several_contexts_are_kept() {
        let a = Versioned::new(vec![1u8]);
        for ctx in 0..CONTEXTS_KEPT as u128 {
            a.keep_canonical_hash(ctx, 100 + ctx);
        }
        for ctx in 0..CONTEXTS_KEPT as u128 {
            assert_eq!(a.canonical_hash(ctx), Some(100 + ctx));
        }
        a.keep_canonical_hash(99, 1);
        assert_eq!(a.canonical_hash(99), Some(1));
        assert_eq!(a.canonical_hash(0), None, "the oldest went");
        assert_eq!(a.canonical_hash(1), Some(101));
    }
}
