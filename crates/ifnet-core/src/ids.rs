//! Generation-checked handles and the slab that hands them out.
//!
//! Devices and namespaces are addressed by id, never by pointer (DESIGN.md
//! rule 2). A freed slot bumps its generation, so a stale id held by a module
//! or a user-space agent fails to resolve instead of aliasing a new object.

use serde::{Deserialize, Serialize};

/// Handle of a network device. Stored as `[index, generation]`: ids are
/// the most frequent values of a state file. `Hash` is the fields',
/// except inside `Kernel::fingerprint`, where an id hashes as its
/// device's canonical key (`fingerprint/canon.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "(u32, u32)", into = "(u32, u32)")]
pub struct DevId {
    pub index: u32,
    pub generation: u32,
}

/// Handle of a network namespace (`struct net`), stored and hashed like
/// `DevId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "(u32, u32)", into = "(u32, u32)")]
pub struct NetId {
    pub index: u32,
    pub generation: u32,
}

pub trait SlabId: Copy {
    fn from_parts(index: u32, generation: u32) -> Self;
    fn index(self) -> u32;
    fn generation(self) -> u32;
}

macro_rules! slab_id {
    ($t:ty) => {
        impl SlabId for $t {
            fn from_parts(index: u32, generation: u32) -> Self {
                Self { index, generation }
            }
            fn index(self) -> u32 {
                self.index
            }
            fn generation(self) -> u32 {
                self.generation
            }
        }
    };
}
slab_id!(DevId);
slab_id!(NetId);

macro_rules! id_as_pair {
    ($t:ty) => {
        impl From<(u32, u32)> for $t {
            fn from((index, generation): (u32, u32)) -> Self {
                Self { index, generation }
            }
        }
        impl From<$t> for (u32, u32) {
            fn from(id: $t) -> Self {
                (id.index, id.generation)
            }
        }
    };
}
id_as_pair!(DevId);
id_as_pair!(NetId);

/// Stored as `[generation, value]`.
#[derive(Debug, Clone)]
struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

impl<T: Serialize> Serialize for Slot<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.generation, &self.value).serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Slot<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (generation, value) = <(u32, Option<T>)>::deserialize(d)?;
        Ok(Slot { generation, value })
    }
}

/// A vector of slots with a free list; ids carry the slot's generation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    pub fn insert_with<I: SlabId>(&mut self, make: impl FnOnce(I) -> T) -> I {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    value: None,
                });
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 slots")
            }
        };
        let slot = &mut self.slots[index as usize];
        // A free-list slot holding a value would be overwritten: checked
        // in release too (never reached: remove() empties the slot first).
        assert!(slot.value.is_none(), "free slab slot in use");
        let id = I::from_parts(index, slot.generation);
        slot.value = Some(make(id));
        self.len += 1;
        id
    }

    pub fn remove<I: SlabId>(&mut self, id: I) -> Option<T> {
        let slot = self.slots.get_mut(id.index() as usize)?;
        if slot.generation != id.generation() || slot.value.is_none() {
            return None;
        }
        // A slot whose generation would wrap is retired, never reused: a
        // wrapped generation would let a stale id alias a new object.
        if let Some(g) = slot.generation.checked_add(1) {
            slot.generation = g;
            self.free.push(id.index());
        }
        self.len -= 1;
        slot.value.take()
    }

    pub fn get<I: SlabId>(&self, id: I) -> Option<&T> {
        let slot = self.slots.get(id.index() as usize)?;
        if slot.generation != id.generation() {
            return None;
        }
        slot.value.as_ref()
    }

    pub fn get_mut<I: SlabId>(&mut self, id: I) -> Option<&mut T> {
        let slot = self.slots.get_mut(id.index() as usize)?;
        if slot.generation != id.generation() {
            return None;
        }
        slot.value.as_mut()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Slots in use or free (one more than the highest index handed out).
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Live entries in slot order (deterministic).
    pub fn iter<I: SlabId>(&self) -> impl Iterator<Item = (I, &T)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| {
            s.value
                .as_ref()
                .map(|v| (I::from_parts(i as u32, s.generation), v))
        })
    }

    /// Checks the free list against the slots; used when loading saved state.
    /// Every empty slot is free exactly once, unless it is retired (its
    /// generation reached u32::MAX); a free slot's generation can still grow.
    pub fn is_consistent(&self) -> bool {
        let live = self.slots.iter().filter(|s| s.value.is_some()).count();
        let mut seen = vec![false; self.slots.len()];
        let free_ok = self.free.iter().all(|&i| {
            let i = i as usize;
            let reusable = self
                .slots
                .get(i)
                .is_some_and(|s| s.value.is_none() && s.generation < u32::MAX);
            // Each empty slot at most once, or two ids would share it.
            reusable && !std::mem::replace(&mut seen[i], true)
        });
        let retired_ok = self
            .slots
            .iter()
            .zip(&seen)
            .all(|(s, &free)| s.value.is_some() || free || s.generation == u32::MAX);
        live == self.len && free_ok && retired_ok && self.slots.len() < u32::MAX as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_id_does_not_alias_new_entry() {
        let mut slab: Slab<&str> = Slab::default();
        let a: DevId = slab.insert_with(|_| "a");
        assert_eq!(slab.remove(a), Some("a"));
        let b: DevId = slab.insert_with(|_| "b");
        assert_eq!(a.index, b.index);
        assert_eq!(slab.get(a), None);
        assert_eq!(slab.get(b), Some(&"b"));
        assert!(slab.is_consistent());
    }

    /// A free list naming one slot twice would hand it out twice.
    #[test]
    fn duplicate_free_entries_are_inconsistent() {
        let mut slab: Slab<u8> = Slab::default();
        let a: DevId = slab.insert_with(|_| 1);
        let b: DevId = slab.insert_with(|_| 2);
        slab.remove(a);
        slab.remove(b);
        slab.free = vec![0, 0];
        assert!(!slab.is_consistent());
    }

    /// `Slab::remove` retires a slot whose generation would wrap instead of
    /// wrapping it back to an old id's generation.
    #[test]
    fn generation_never_wraps() {
        let mut slab: Slab<u8> = Slab::default();
        let a: DevId = slab.insert_with(|_| 1);
        slab.slots[0].generation = u32::MAX;
        let a = DevId {
            generation: u32::MAX,
            ..a
        };
        assert_eq!(slab.remove(a), Some(1));
        assert!(slab.free.is_empty());
        assert!(slab.is_consistent());
        let b: DevId = slab.insert_with(|_| 2);
        assert_eq!(b.index, 1);
        // A free slot at u32::MAX would wrap on its next removal.
        slab.free.push(0);
        assert!(!slab.is_consistent());
    }
}

/// Serialises a map as a list of pairs: JSON object keys must be strings,
/// and the model's keys are ids, addresses and the like.
pub mod serde_pairs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        m: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter())
    }

    pub fn deserialize<'de, K, V, D>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        let v: Vec<(K, V)> = Vec::deserialize(d)?;
        Ok(v.into_iter().collect())
    }
}
