//! `struct net`: one network namespace's device tables.
//!
//! Each namespace has its own name hash (primary names and altnames share it,
//! as `netdev_name_in_use` requires), its own ifindex table and cursor, and its
//! own table of peer namespace ids (`peernet2id`).

use crate::hwaddr::IfName;
use crate::ids::{DevId, NetId};
use crate::shared::Shared;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// The name tables' hasher. Like the kernel's `dev_name_hash()` (a
/// `full_name_hash()` of at most IFNAMSIZ bytes) it is cheap and unkeyed:
/// names are short and come from the administrator, so SipHash's
/// flooding resistance buys nothing and costs a third of a lookup.
#[derive(Default)]
pub struct NameHasher(u64);

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        // 64-bit FNV-1a.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by device name.
pub type NameMap<K> = HashMap<K, DevId, BuildHasherDefault<NameHasher>>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Net {
    pub id: NetId,
    /// nsfs inode number, what `ip netns` and IFLA_NET_NS_FD resolve to.
    pub inum: u32,
    /// Primary names (IFNAMSIZ) → device. Rebuilt from the devices on load.
    #[serde(skip)]
    pub names: Shared<NameMap<IfName>>,
    /// Altnames (up to ALTIFNAMSIZ) → device. Rebuilt on load.
    #[serde(skip)]
    pub altnames: Shared<NameMap<String>>,
    /// `net->dev_by_index`: iteration order is ifindex order, as dumps are.
    /// Rebuilt on load.
    #[serde(skip)]
    pub by_index: Shared<BTreeMap<u32, DevId>>,
    /// `net->ifindex`: last allocated index, the cursor of the cyclic allocator.
    pub ifindex_cursor: u32,
    /// `net->netns_ids`: peer namespace → id as seen from this namespace.
    #[serde(with = "crate::ids::serde_pairs")]
    pub peer_ids: BTreeMap<NetId, i32>,
    /// Being dismantled (`cleanup_net` has started).
    pub dying: bool,
    /// Bind mounts of its nsfs inode (what `ip netns add` leaves under
    /// /var/run/netns): the references that keep the namespace alive in
    /// the model. The names themselves are user space's.
    #[serde(default)]
    pub mounts: u32,
}

impl Net {
    pub fn new(id: NetId, inum: u32) -> Net {
        Net {
            id,
            inum,
            names: Shared::default(),
            altnames: Shared::default(),
            by_index: Shared::default(),
            ifindex_cursor: 0,
            peer_ids: BTreeMap::new(),
            dying: false,
            mounts: 0,
        }
    }

    /// `netdev_name_in_use()`: primary names and altnames.
    pub fn name_in_use(&self, name: &str) -> bool {
        self.lookup_name(name).is_some()
    }

    /// `__dev_get_by_name()` (the name hash holds altnames too).
    pub fn lookup_name(&self, name: &str) -> Option<DevId> {
        if let Some(n) = IfName::new(name) {
            if let Some(&d) = self.names.get(&n) {
                return Some(d);
            }
        }
        self.altnames.get(name).copied()
    }

    pub fn lookup_index(&self, ifindex: u32) -> Option<DevId> {
        self.by_index.get(&ifindex).copied()
    }

    pub fn device_count(&self) -> usize {
        self.by_index.len()
    }
}
