//! `DevCell`: how the device table holds a [`NetDevice`]. Kernel clones
//! share a device until one of them changes it (copy-on-write through
//! `Shared`), and the device's fingerprint hash is cached with the
//! canonical context it was computed in.
//!
//! An explorer clones the kernel at every branch and fingerprints each new
//! state; most steps change one device or none. Copying every device per
//! clone and hashing every device per fingerprint were a sixth of the
//! seed-002 search. A device's hash depends on its own fields and on the
//! fingerprint's canonical names (other devices' keys and list ranks,
//! namespace ranks, `now`: `fingerprint/canon.rs`), so the cache is keyed
//! by a hash of that whole context, and any `&mut` access drops it.

use crate::netdev::NetDevice;
use crate::shared::Shared;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

pub(crate) struct DevCell {
    dev: Shared<NetDevice>,
    /// (canonical context, this device's hash in it).
    fp: Mutex<Option<(u128, u128)>>,
}

impl DevCell {
    pub(crate) fn new(dev: NetDevice) -> DevCell {
        DevCell {
            dev: Shared::new(dev),
            fp: Mutex::new(None),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Option<(u128, u128)>> {
        // A panic while the lock was held left at worst a stale-free
        // `Option` (it is written whole): the value is still good.
        self.fp.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The device's hash in canonical context `ctx`: the cached one if it
    /// was computed in that context, else `compute`'s (then cached).
    pub(crate) fn hash_in(&self, ctx: u128, compute: impl FnOnce(&NetDevice) -> u128) -> u128 {
        if let Some((c, h)) = *self.cache() {
            if c == ctx {
                return h;
            }
        }
        let h = compute(&self.dev);
        *self.cache() = Some((ctx, h));
        h
    }
}

impl Clone for DevCell {
    fn clone(&self) -> DevCell {
        DevCell {
            dev: self.dev.clone(),
            fp: Mutex::new(*self.cache()),
        }
    }
}

impl Deref for DevCell {
    type Target = NetDevice;
    #[inline]
    fn deref(&self) -> &NetDevice {
        &self.dev
    }
}

impl DerefMut for DevCell {
    /// Drops the cached hash; copies the device if a clone shares it.
    #[inline]
    fn deref_mut(&mut self) -> &mut NetDevice {
        *self.fp.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
        &mut self.dev
    }
}

impl std::fmt::Debug for DevCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.dev.fmt(f)
    }
}

/// On disk a `DevCell` is its `NetDevice`.
impl Serialize for DevCell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.dev.serialize(s)
    }
}

impl<'de> Deserialize<'de> for DevCell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        NetDevice::deserialize(d).map(DevCell::new)
    }
}
