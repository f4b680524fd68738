//! `/var/run/netns`: the names `ip netns` gives namespaces.
//!
//! Each name is a bind mount of a namespace's nsfs inode, so the kernel
//! counts one mount per name (`Net::mounts`) and the namespace dies with
//! its last one; the names themselves are files, user space's.

use crate::errno::{Errno, KError, KResult};
use crate::ids::NetId;
use crate::kernel::Kernel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `NAME_MAX`: a netns name is a file name under /var/run/netns.
pub const NETNS_NAME_MAX: usize = 255;

/// iproute2's netns name rules (ipnetns.c `invalid_name()`): non-empty, at
/// most NAME_MAX bytes, no '/', not "." or "..".
pub fn valid_netns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= NETNS_NAME_MAX
        && !name.contains('/')
        && name != "."
        && name != ".."
}

/// The mount points under /var/run/netns, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NetnsNames {
    names: BTreeMap<String, NetId>,
}

impl NetnsNames {
    /// `ip netns add NAME`: a new namespace mounted at NAME. EINVAL for a
    /// name iproute2 refuses, EEXIST for one already mounted.
    pub fn add(&mut self, k: &mut Kernel, name: &str) -> KResult<NetId> {
        if !valid_netns_name(name) {
            return Err(KError::new(Errno::EINVAL));
        }
        if self.names.contains_key(name) {
            return Err(KError::new(Errno::EEXIST));
        }
        let net = k.netns_new()?;
        self.names.insert(name.to_string(), net);
        Ok(net)
    }

    /// `ip netns del NAME`: unmounts it; the kernel frees the namespace
    /// with its last mount. ENOENT for a name that is not mounted.
    pub fn del(&mut self, k: &mut Kernel, name: &str) -> KResult<()> {
        let net = *self.names.get(name).ok_or(KError::new(Errno::ENOENT))?;
        k.netns_put(net)?;
        self.names.remove(name);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<NetId> {
        self.names.get(name).copied()
    }

    /// Names and their namespaces, sorted by name.
    pub fn list(&self) -> Vec<(String, NetId)> {
        self.names.iter().map(|(n, id)| (n.clone(), *id)).collect()
    }

    /// The first name (in sort order) of `net`, if it has one.
    pub fn name_of(&self, net: NetId) -> Option<&str> {
        self.names
            .iter()
            .find(|(_, &id)| id == net)
            .map(|(n, _)| n.as_str())
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// What a loaded pair (names, kernel) must satisfy: every name valid
    /// and bound to a live namespace, and each namespace mounted exactly
    /// as often as it is named (a mount without a name, or a name without
    /// a mount, cannot come from `ip netns`).
    pub fn check(&self, k: &Kernel) -> Result<(), String> {
        let mut per_net: BTreeMap<NetId, u32> = BTreeMap::new();
        for (name, &net) in &self.names {
            if !valid_netns_name(name) {
                return Err(format!("invalid netns name {name:?}"));
            }
            if !k.net_exists(net) {
                return Err(format!("netns name {name:?} names no live namespace"));
            }
            let n = per_net.entry(net).or_default();
            *n = n.saturating_add(1);
        }
        for net in k.nets() {
            let named = per_net.get(&net).copied().unwrap_or(0);
            if k.netns_mounts(net) != named {
                return Err(format!(
                    "a namespace is mounted {} times but has {named} names",
                    k.netns_mounts(net)
                ));
            }
        }
        Ok(())
    }
}
