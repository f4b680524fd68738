//! `Memo<T>`: an immutable-by-default value that forked worlds share
//! (`ifnet_core::shared::Shared`, copy-on-write) and whose hash is
//! computed once per content, not once per fingerprint. udevd's queued events and its database entries are hashed
//! into every state's fingerprint and change rarely; hashing each of their
//! property maps string by string at every udevd step was a fifth of the
//! netns-lifecycle search. A change (`make_mut`) copies the value if
//! another world shares it and drops the cached hash, so the hash always
//! describes the content.
//!
//! For self-contained values only (no `DevId`, `NetId` or `Instant`):
//! those hash through the fingerprint's canonical names, which a cache
//! would freeze.

use ifnet_core::fingerprint::FpHasher;
use ifnet_core::shared::Shared;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::OnceLock;

#[derive(Clone, Default)]
pub struct Memo<T> {
    value: Shared<T>,
    hash: OnceLock<u128>,
}

impl<T> Memo<T> {
    pub fn new(value: T) -> Memo<T> {
        Memo {
            value: Shared::new(value),
            hash: OnceLock::new(),
        }
    }
}

impl<T: Clone> Memo<T> {
    /// The value to change: copied first if shared; the hash is dropped.
    pub fn make_mut(&mut self) -> &mut T {
        self.hash = OnceLock::new();
        &mut self.value
    }
}

impl<T> Deref for Memo<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Hash> Hash for Memo<T> {
    /// The content's 128-bit hash, computed on first use.
    fn hash<H: Hasher>(&self, h: &mut H) {
        let own = self.hash.get_or_init(|| {
            let mut f = FpHasher::default();
            self.value.hash(&mut f);
            f.finish128()
        });
        h.write_u128(*own);
    }
}

impl<T: PartialEq> PartialEq for Memo<T> {
    fn eq(&self, other: &Self) -> bool {
        *self.value == *other.value
    }
}

impl<T: Eq> Eq for Memo<T> {}

impl<T: std::fmt::Debug> std::fmt::Debug for Memo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp<T: Hash>(v: &T) -> u128 {
        let mut f = FpHasher::default();
        v.hash(&mut f);
        f.finish128()
    }

    /// Equal contents hash alike whether or not the hash was cached; a
    /// change through `make_mut` is seen (the cache is dropped), and the
    /// world it was forked from keeps its value and hash.
    #[test]
    fn hash_follows_content() {
        let mut a = Memo::new(vec![1u8, 2]);
        let h1 = fp(&a);
        let b = a.clone();
        assert_eq!(fp(&b), h1);
        a.make_mut().push(3);
        assert_ne!(fp(&a), h1);
        assert_eq!(fp(&a), fp(&Memo::new(vec![1u8, 2, 3])));
        assert_eq!(*b, vec![1, 2]);
        assert_eq!(fp(&b), h1);
    }
}
