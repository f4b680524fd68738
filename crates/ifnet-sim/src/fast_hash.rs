//! The hasher of the explorer's own maps (visited set, step cache, memos).
//! Their keys are fingerprints, versions and step tokens: already well
//! mixed or small integers, never chosen by an adversary, looked up at
//! every step. SipHash (std's default, built against flooding) was a
//! tenth of a search; a multiply-and-rotate fold (the FxHash scheme) is
//! enough here.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Multiplier of the fold: odd, with well-spread bits (FxHash's).
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Default, Clone, Copy)]
pub struct FoldHasher(u64);

impl FoldHasher {
    #[inline]
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(SEED);
    }
}

impl Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, x: u8) {
        self.add(u64::from(x));
    }
    #[inline]
    fn write_u32(&mut self, x: u32) {
        self.add(u64::from(x));
    }
    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.add(x);
    }
    #[inline]
    fn write_u128(&mut self, x: u128) {
        self.add(x as u64);
        self.add((x >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, x: usize) {
        self.add(x as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FoldHasher>>;
pub type FastSet<K> = HashSet<K, BuildHasherDefault<FoldHasher>>;

/// Inserts into a memo bounded at `cap` entries: a full memo is emptied
/// first (what it holds is recomputed, so only speed depends on it).
pub fn insert_bounded<K: std::hash::Hash + Eq, V>(map: &mut FastMap<K, V>, cap: usize, k: K, v: V) {
    if map.len() >= cap {
        map.clear();
    }
    map.insert(k, v);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    fn h<T: Hash>(v: T) -> u64 {
        let mut f = FoldHasher::default();
        v.hash(&mut f);
        f.finish()
    }

    /// Distinct small keys spread over the top bits (hashbrown's control
    /// bytes take the top 7) and byte strings of any length hash.
    #[test]
    fn spreads_small_keys() {
        let tops: HashSet<u64> = (0u64..1024).map(|i| h(i) >> 57).collect();
        assert_eq!(tops.len(), 128, "every top-7-bit value is used");
        assert_ne!(h("abc"), h("abd"));
        assert_ne!(h(1u128 << 64), h(1u128));
    }
}
