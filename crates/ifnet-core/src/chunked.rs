//! `Chunked<T>`: a FIFO whose history is shared between clones.
//!
//! Observation buffers (the uevent and multicast rings, the kernel log, the
//! ordered event log, packet captures) hold history: a full multicast ring
//! alone is a thousand netlink messages, about a megabyte. Copying them
//! made a kernel's clone cost follow its message history, not its state,
//! and an explorer clones a kernel at every branch. Here entries live in
//! chunks of [`CHUNK`]: full chunks are immutable and `Arc`-shared, the
//! list of them is `Arc`-shared too, and only the open chunk (fewer than
//! `CHUNK` entries) is copied — lazily, by the first push after a clone
//! (`Arc::make_mut`). So a clone costs two reference counts, whatever the
//! history, and a clone that then runs one step copies at most `CHUNK - 1`
//! entries per buffer it appends to. Dropping from the front (a full ring)
//! moves a cursor into the oldest chunk and frees the chunk once it is
//! past it.
//!
//! Why not one `Arc<Observation>` with copy-on-write: nearly every step
//! appends to some buffer, so every step after a clone would copy the
//! whole history once. Why not a persistent vector crate: this is all the
//! structure the rings need, in a hundred lines, with no dependency.
//! On disk a `Chunked` is a plain list.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::VecDeque;
use std::sync::Arc;

/// Entries per chunk: a clone that appends copies at most `CHUNK - 1`
/// entries; sealing a chunk after a clone copies one `Arc` per chunk.
pub const CHUNK: usize = 32;

/// A FIFO of `T` in `Arc`-shared chunks (see the module doc).
#[derive(Debug, Clone)]
pub struct Chunked<T> {
    /// Full chunks, oldest first, each exactly `CHUNK` entries.
    sealed: Arc<VecDeque<Arc<Vec<T>>>>,
    /// Entries of `sealed[0]` already dropped from the front.
    skip: usize,
    /// The open chunk: fewer than `CHUNK` entries.
    open: Arc<Vec<T>>,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            sealed: Arc::default(),
            skip: 0,
            open: Arc::default(),
        }
    }
}

impl<T: Clone> Chunked<T> {
    /// Appends at the back.
    pub fn push_back(&mut self, value: T) {
        Arc::make_mut(&mut self.open).push(value);
        if self.open.len() == CHUNK {
            // Sealed as it is: the chunk moves, its entries are not copied
            // (a clone that shares it keeps sharing it).
            let full = std::mem::replace(&mut self.open, Arc::new(Vec::with_capacity(CHUNK)));
            Arc::make_mut(&mut self.sealed).push_back(full);
        }
    }

    /// Drops the oldest entry, if any.
    pub fn pop_front(&mut self) {
        if self.sealed.is_empty() {
            if !self.open.is_empty() {
                Arc::make_mut(&mut self.open).remove(0);
            }
            return;
        }
        self.skip += 1;
        if self.skip == CHUNK {
            Arc::make_mut(&mut self.sealed).pop_front();
            self.skip = 0;
        }
    }

    /// Takes every entry out, oldest first, leaving the buffer empty.
    /// Chunks shared with a clone are copied; others are moved.
    pub fn take_all(&mut self) -> Vec<T> {
        let taken = std::mem::take(self);
        let mut out = Vec::with_capacity(taken.len());
        let skip = taken.skip;
        let sealed = Arc::try_unwrap(taken.sealed).unwrap_or_else(|a| (*a).clone());
        for (i, chunk) in sealed.into_iter().enumerate() {
            let chunk = Arc::try_unwrap(chunk).unwrap_or_else(|a| (*a).clone());
            let from = if i == 0 { skip } else { 0 };
            out.extend(chunk.into_iter().skip(from));
        }
        out.extend(Arc::try_unwrap(taken.open).unwrap_or_else(|a| (*a).clone()));
        out
    }
}

impl<T> Chunked<T> {
    pub fn len(&self) -> usize {
        self.sealed.len() * CHUNK - self.skip + self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.iter_from(0)
    }

    /// The entries from the `n`th oldest on (none if `n >= len`), reached
    /// without walking the ones before it.
    pub fn iter_from(&self, n: usize) -> impl Iterator<Item = &T> + '_ {
        let p = self.skip.saturating_add(n);
        let (ci, off) = (p / CHUNK, p % CHUNK);
        let sealed = self.sealed.range(ci.min(self.sealed.len())..);
        let open_from = p
            .saturating_sub(self.sealed.len() * CHUNK)
            .min(self.open.len());
        sealed
            .enumerate()
            .flat_map(move |(i, c)| c[if i == 0 { off } else { 0 }..].iter())
            .chain(self.open[open_from..].iter())
    }
}

impl<T: Clone> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(it: I) -> Self {
        let mut c = Chunked::default();
        for v in it {
            c.push_back(v);
        }
        c
    }
}

impl<T: Serialize> Serialize for Chunked<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de, T: Deserialize<'de> + Clone> Deserialize<'de> for Chunked<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<T>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clone shares the history: pushing to one never shows in the other,
    /// and dropping from the front of one leaves the other whole.
    #[test]
    fn clones_diverge_without_sharing_changes() {
        let mut a: Chunked<u32> = (0..100).collect();
        let mut b = a.clone();
        a.push_back(100);
        for _ in 0..40 {
            b.pop_front();
        }
        b.push_back(7);
        assert_eq!(
            a.iter().copied().collect::<Vec<_>>(),
            (0..101).collect::<Vec<_>>()
        );
        let want: Vec<u32> = (40..100).chain([7]).collect();
        assert_eq!(b.iter().copied().collect::<Vec<_>>(), want);
        assert_eq!((a.len(), b.len()), (101, 61));
        assert_eq!(b.iter_from(59).copied().collect::<Vec<_>>(), vec![99, 7]);
        assert_eq!(b.iter_from(61).count(), 0);
        assert_eq!(b.iter_from(usize::MAX).count(), 0);
        assert_eq!(b.take_all(), want);
        assert!(b.is_empty());
        assert_eq!(a.len(), 101);
    }

    /// Dropping from a buffer with no full chunk yet.
    #[test]
    fn pop_front_of_open_chunk() {
        let mut c: Chunked<u8> = [1, 2, 3].into_iter().collect();
        c.pop_front();
        assert_eq!(c.iter().copied().collect::<Vec<_>>(), vec![2, 3]);
        for n in 0..(3 * CHUNK) {
            c.push_back(n as u8);
            c.pop_front();
            assert_eq!(c.len(), 2);
        }
        assert_eq!(c.iter_from(1).count(), 1);
    }
}
