//! The fingerprint's hasher: 128 bits from two lanes of folded multiplies
//! over a two-word buffer.
//!
//! Not cryptographic: the states it tells apart come from the model, not
//! from an adversary. What it needs is speed on the many small writes a
//! `#[derive(Hash)]` makes (one per field) and 128 bits, so that an
//! explorer holding 10^9 states meets a collision with probability about
//! 10^-21. Each write fills one 64-bit word of a buffer; every two words,
//! each lane takes a folded multiply of both (the 128-bit product's halves
//! xor-ed, as wyhash mixes), the lanes with the words in opposite roles, so
//! that every word reaches both halves of the result, the two multiplies
//! run side by side, and each lane's dependency chain is one multiply per
//! two writes. The lanes are cross-mixed and finished with murmur3's
//! `fmix64`; the count of words written keeps trailing zero words apart.

use std::hash::Hasher;

const K_A: u64 = 0x9e37_79b9_7f4a_7c15;
const K_B: u64 = 0xc2b2_ae3d_27d4_eb4f;
const SEED_A: u64 = 0x243f_6a88_85a3_08d3;
const SEED_B: u64 = 0x1319_8a2e_0370_7344;

#[inline(always)]
fn fold(x: u64, y: u64) -> u64 {
    let p = u128::from(x) * u128::from(y);
    (p as u64) ^ ((p >> 64) as u64)
}

/// murmur3's 64-bit finaliser.
#[inline(always)]
fn fmix64(mut z: u64) -> u64 {
    z ^= z >> 33;
    z = z.wrapping_mul(0xff51_afd7_ed55_8ccd);
    z ^= z >> 33;
    z = z.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    z ^ (z >> 33)
}

/// A 128-bit streaming hasher (see the module doc).
#[derive(Debug, Clone)]
pub struct FpHasher {
    a: u64,
    b: u64,
    /// The first word of an unfinished pair.
    buf: u64,
    /// Words written so far (the buffer holds the last if it is odd).
    words: u64,
}

impl Default for FpHasher {
    fn default() -> Self {
        FpHasher {
            a: SEED_A,
            b: SEED_B,
            buf: 0,
            words: 0,
        }
    }
}

impl FpHasher {
    #[inline(always)]
    fn block(&mut self, w0: u64, w1: u64) {
        self.a = fold(self.a ^ w0, w1 ^ K_A);
        self.b = fold(self.b ^ w1, w0 ^ K_B);
    }

    #[inline(always)]
    fn mix(&mut self, v: u64) {
        if self.words & 1 == 0 {
            self.buf = v;
        } else {
            self.block(self.buf, v);
        }
        self.words += 1;
    }

    /// The 128-bit value of everything written so far.
    pub fn finish128(&self) -> u128 {
        let mut s = self.clone();
        if s.words & 1 == 1 {
            s.block(s.buf, 0);
        }
        let a = fmix64(s.a ^ s.words.rotate_left(32));
        let b = fmix64(s.b ^ a.rotate_left(17));
        let a = fmix64(a ^ b);
        (u128::from(a) << 64) | u128::from(b)
    }
}

impl Hasher for FpHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.mix(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut tail = [0u8; 8];
            tail[..rest.len()].copy_from_slice(rest);
            // The length keeps "ab" and "ab\0" apart. (Where a slice ends
            // is the caller's to mark, as for any `Hasher`: slices write
            // their length first, `str` a 0xff after.)
            self.mix(u64::from_le_bytes(tail) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, v: u8) {
        self.mix(u64::from(v));
    }

    #[inline]
    fn write_u16(&mut self, v: u16) {
        self.mix(u64::from(v));
    }

    #[inline]
    fn write_u32(&mut self, v: u32) {
        self.mix(u64::from(v));
    }

    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.mix(v);
    }

    #[inline]
    fn write_u128(&mut self, v: u128) {
        self.mix(v as u64);
        self.mix((v >> 64) as u64);
    }

    #[inline]
    fn write_usize(&mut self, v: usize) {
        self.mix(v as u64);
    }

    fn finish(&self) -> u64 {
        self.finish128() as u64
    }
}

/// Hashes `items` as a multiset: each on its own hasher, the 128-bit
/// results summed, so the order they come in (slot order, id order) does
/// not matter. Then the count and the sum go into `h`.
pub fn hash_unordered<T: std::hash::Hash, H: Hasher>(items: impl Iterator<Item = T>, h: &mut H) {
    sum_unordered(items.map(|item| own_hash(&item)), h);
}

/// One value's hash on a hasher of its own: a multiset element.
pub(crate) fn own_hash<T: std::hash::Hash + ?Sized>(item: &T) -> u128 {
    let mut e = FpHasher::default();
    item.hash(&mut e);
    e.finish128()
}

/// The multiset of elements whose own hashes are `hashes` (each from
/// `own_hash`, or a cache of it): their count and wrapping sum into `h`.
pub(crate) fn sum_unordered<H: Hasher>(hashes: impl Iterator<Item = u128>, h: &mut H) {
    let (mut n, mut sum) = (0u64, 0u128);
    for own in hashes {
        sum = sum.wrapping_add(own);
        n += 1;
    }
    h.write_u64(n);
    h.write_u128(sum);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    fn fp<T: Hash>(v: T) -> u128 {
        let mut h = FpHasher::default();
        v.hash(&mut h);
        h.finish128()
    }

    /// Neighbouring inputs give unrelated outputs in both halves.
    #[test]
    fn small_changes_flip_both_halves() {
        let (x, y) = (fp(1u32), fp(2u32));
        assert_ne!(x as u64, y as u64);
        assert_ne!((x >> 64) as u64, (y >> 64) as u64);
        assert!((x ^ y).count_ones() > 32, "{x:032x} {y:032x}");
        assert_ne!(fp("ab"), fp("ab\0"));
        assert_ne!(fp(("a", "b")), fp(("ab", "")));
        assert_ne!(fp([0u8; 7].as_slice()), fp([0u8; 8].as_slice()));
    }

    #[test]
    fn unordered_ignores_order_but_not_multiplicity() {
        let set = |v: &[u32]| {
            let mut h = FpHasher::default();
            hash_unordered(v.iter(), &mut h);
            h.finish128()
        };
        assert_eq!(set(&[1, 2, 3]), set(&[3, 1, 2]));
        assert_ne!(set(&[1, 2]), set(&[1, 2, 2]));
        assert_ne!(set(&[1, 1]), set(&[2, 2]));
    }
}
