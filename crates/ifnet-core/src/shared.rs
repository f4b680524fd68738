//! `Shared<T>`: a value that kernel clones share until one of them changes
//! it (copy-on-write through `Arc::make_mut`).
//!
//! An explorer clones the kernel at every branch, and most of what a
//! clone copies never changes afterwards: a device's reference list, its
//! address lists and upper/lower links, a namespace's name tables, the
//! hardware bus, the notifier chain. Each of those was one or more heap
//! allocations per clone; behind `Shared` it is one reference count. A
//! change (`DerefMut`) copies the value only if another clone still shares
//! it. Reads are a plain `Deref`. Not for what the datapath changes per
//! frame (counters, the bridge's fdb, fault generators): `make_mut` costs
//! an atomic compare-and-swap.
//!
//! On disk, and to `Hash`, `Eq` and `Debug`, a `Shared<T>` is its `T`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// A copy-on-write value (see the module doc).
#[derive(Clone, Default)]
pub struct Shared<T>(Arc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        Shared(Arc::new(value))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    /// Copies the value first if another clone shares it.
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Shared<T> {
        Shared::new(value)
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        *self.0 == *other.0
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: PartialEq> PartialEq<T> for Shared<T> {
    fn eq(&self, other: &T) -> bool {
        *self.0 == *other
    }
}

impl<'a, T> IntoIterator for &'a Shared<T>
where
    &'a T: IntoIterator,
{
    type Item = <&'a T as IntoIterator>::Item;
    type IntoIter = <&'a T as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        (&*self.0).into_iter()
    }
}

impl<T: Hash> Hash for Shared<T> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.hash(h);
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Shared::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change to one clone leaves the other as it was.
    #[test]
    fn clones_share_until_changed() {
        let a = Shared::new(vec![1, 2]);
        let mut b = a.clone();
        assert!(Arc::ptr_eq(&a.0, &b.0));
        b.push(3);
        assert_eq!((&*a, &*b), (&vec![1, 2], &vec![1, 2, 3]));
        assert!(!Arc::ptr_eq(&a.0, &b.0));
    }
}
