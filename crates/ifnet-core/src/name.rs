//! Interface names: `dev_valid_name`, `%d` allocation (`__dev_alloc_name`),
//! `dev_get_valid_name`, renaming (`netif_change_name`) with its rollback,
//! and altnames (linux-semantics.md §1).

use crate::consts::*;
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::IfName;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::notifier::NetdevEvent;
use crate::profile::LiveRename;

/// `max_netdevices = 8 * PAGE_SIZE`.
pub const MAX_NETDEVICES: usize = 8 * 4096;

/// `dev_valid_name()`.
pub fn dev_valid_name(name: &str) -> bool {
    if name.is_empty() || name.len() >= IFNAMSIZ {
        return false;
    }
    if name == "." || name == ".." {
        return false;
    }
    !name
        .bytes()
        .any(|c| c == b'/' || c == b':' || matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
}

/// Splits a `%d` pattern into prefix and suffix; `None` unless the name has
/// exactly one `%` and it is followed by `d`.
fn split_pattern(pattern: &str) -> Option<(&str, &str)> {
    let at = pattern.find('%')?;
    let (prefix, rest) = pattern.split_at(at);
    let suffix = rest.strip_prefix("%d")?;
    if suffix.contains('%') {
        return None;
    }
    Some((prefix, suffix))
}

/// The unit a name takes under `pattern`, if `snprintf(pattern, i)` gives
/// back exactly `name` (so "eth01" is not unit 1).
fn unit_of(name: &str, prefix: &str, suffix: &str) -> Option<usize> {
    let digits = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    let i: usize = digits.parse().ok()?;
    if i >= MAX_NETDEVICES {
        return None;
    }
    // The formatted name is truncated to IFNAMSIZ-1 bytes.
    let formatted = format!("{prefix}{i}{suffix}");
    (IfName::truncated(&formatted).as_str() == name).then_some(i)
}

impl Kernel {
    /// `__dev_alloc_name()`: lowest free unit for a `%d` pattern.
    pub(crate) fn dev_alloc_name_pattern(&self, net: NetId, pattern: &str) -> KResult<IfName> {
        let (prefix, suffix) = split_pattern(pattern).ok_or(KError::new(Errno::EINVAL))?;
        let mut inuse = vec![false; MAX_NETDEVICES];
        let n = self.net(net);
        let mut mark = |name: &str| {
            if let Some(i) = unit_of(name, prefix, suffix) {
                inuse[i] = true;
            }
        };
        for name in n.names.keys() {
            mark(name.as_str());
        }
        for alt in n.altnames.keys() {
            mark(alt);
        }
        let unit = inuse
            .iter()
            .position(|u| !u)
            .ok_or(KError::new(Errno::ENFILE))?;
        Ok(IfName::truncated(&format!("{prefix}{unit}{suffix}")))
    }

    /// `dev_prep_valid_name()`: EINVAL for a bad name, `dup_errno` if taken.
    pub(crate) fn dev_prep_valid_name(
        &self,
        net: NetId,
        want: &str,
        dup_errno: Errno,
    ) -> KResult<IfName> {
        if !dev_valid_name(want) {
            return Err(KError::new(Errno::EINVAL));
        }
        if want.contains('%') {
            return self.dev_alloc_name_pattern(net, want);
        }
        if self.net(net).name_in_use(want) {
            return Err(KError::new(dup_errno));
        }
        Ok(IfName::new(want).expect("valid names fit"))
    }

    /// `dev_get_valid_name()`: as above with EEXIST.
    pub(crate) fn dev_get_valid_name(
        &self,
        net: NetId,
        _dev: DevId,
        want: &str,
    ) -> KResult<IfName> {
        self.dev_prep_valid_name(net, want, Errno::EEXIST)
    }

    /// `netif_change_name()` (dev.c), in the kernel's order; a CHANGENAME
    /// veto restores the old name and emits a second CHANGENAME.
    pub fn dev_change_name(&mut self, dev: DevId, newname: &str) -> KResult<()> {
        let (old, up, live_ok, net) = {
            let d = self.dev(dev);
            (
                d.name,
                d.is_up(),
                d.priv_flags & IFF_LIVE_RENAME_OK != 0,
                d.net,
            )
        };
        // Before 6.2 the IFF_UP check came first, even for a same-name rename.
        match self.profile.live_rename {
            LiveRename::Refused if up => return Err(KError::new(Errno::EBUSY)),
            LiveRename::UnlessLiveRenameOk if up && !live_ok => {
                return Err(KError::new(Errno::EBUSY))
            }
            _ => {}
        }
        if old.as_str() == newname {
            return Ok(());
        }
        let new = self.dev_get_valid_name(net, dev, newname)?;
        let old_assign = self.dev(dev).name_assign_type;
        self.dev_mut(dev).name_assign_type = NameAssign::Renamed;
        // dev_get_valid_name() has already copied the new name in when
        // netdev_info() prints, so the new name leads the line.
        self.rename_listed(dev, new);
        if !old.as_str().contains('%') {
            let suffix = if up { " (while UP)" } else { "" };
            self.netdev_printk(dev, &format!("renamed from {old}{suffix}"));
        }
        // device_rename() → kobject_rename(): KOBJ_MOVE with the new name.
        self.kobject_uevent(dev, crate::events::UeventAction::Move);
        if let Err(e) = self.call_netdevice_notifiers(NetdevEvent::ChangeName, dev) {
            // Rollback: the old name and assign type, and a second event.
            self.rename_listed(dev, old);
            self.dev_mut(dev).name_assign_type = old_assign;
            self.kobject_uevent(dev, crate::events::UeventAction::Move);
            if let Err(again) = self.call_netdevice_notifiers(NetdevEvent::ChangeName, dev) {
                self.printk(format!(
                    "{old}: name change rollback failed: {}",
                    -again.errno.number()
                ));
            }
            return Err(e);
        }
        Ok(())
    }

    /// Moves a listed device's primary name in its namespace's name hash.
    fn rename_listed(&mut self, dev: DevId, new: IfName) {
        let (net, old) = (self.dev(dev).net, self.dev(dev).name);
        let n = self.net_mut(net);
        n.names.remove(&old);
        n.names.insert(new, dev);
        self.dev_mut(dev).name = new;
    }

    /// `netdev_name_node_alt_create()` + `netdev_state_change()`.
    pub fn dev_altname_add(&mut self, dev: DevId, alt: &str) -> KResult<()> {
        self.netdev_name_node_alt_create(dev, alt)?;
        self.netif_state_change(dev);
        Ok(())
    }

    /// `netdev_name_node_alt_destroy()` + `netdev_state_change()`.
    pub fn dev_altname_del(&mut self, dev: DevId, alt: &str) -> KResult<()> {
        self.netdev_name_node_alt_destroy(dev, alt)?;
        self.netif_state_change(dev);
        Ok(())
    }

    /// `netdev_name_node_alt_create()`: EEXIST if the name is in the
    /// namespace's hash (primary or alt); no dev_valid_name() check.
    pub(crate) fn netdev_name_node_alt_create(&mut self, dev: DevId, alt: &str) -> KResult<()> {
        if alt.is_empty() || alt.len() >= ALTIFNAMSIZ {
            return Err(KError::new(Errno::EINVAL));
        }
        let net = self.dev(dev).net;
        if self.net(net).name_in_use(alt) {
            return Err(KError::new(Errno::EEXIST));
        }
        self.dev_mut(dev).altnames.push(alt.to_string());
        self.net_mut(net).altnames.insert(alt.to_string(), dev);
        Ok(())
    }

    /// `netdev_name_node_alt_destroy()`: ENOENT if unknown, EINVAL for the
    /// primary name or another device's altname.
    pub(crate) fn netdev_name_node_alt_destroy(&mut self, dev: DevId, alt: &str) -> KResult<()> {
        let net = self.dev(dev).net;
        match self.net(net).lookup_name(alt) {
            None => return Err(KError::new(Errno::ENOENT)),
            Some(owner) if owner != dev || self.dev(dev).name.as_str() == alt => {
                return Err(KError::new(Errno::EINVAL))
            }
            Some(_) => {}
        }
        self.dev_mut(dev).altnames.retain(|a| a != alt);
        self.net_mut(net).altnames.remove(alt);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dev_valid_name(): length, ".", "..", '/', ':' and whitespace.
    #[test]
    fn dev_valid_name_rules() {
        assert!(dev_valid_name("eth0"));
        assert!(dev_valid_name("abcdefghijklmno"));
        assert!(!dev_valid_name("abcdefghijklmnop"));
        for bad in ["", ".", "..", "a/b", "a:b", "a b", "a\tb", "a\nb"] {
            assert!(!dev_valid_name(bad), "{bad:?}");
        }
        assert!(dev_valid_name("%d"));
        assert!(dev_valid_name("é"));
    }

    /// __dev_alloc_name(): exactly one '%', followed by 'd'.
    #[test]
    fn dev_alloc_name_pattern_rules() {
        assert_eq!(split_pattern("eth%d"), Some(("eth", "")));
        assert_eq!(split_pattern("a%db"), Some(("a", "b")));
        assert_eq!(split_pattern("eth%s"), None);
        assert_eq!(split_pattern("e%d%d"), None);
        assert_eq!(unit_of("eth01", "eth", ""), None);
        assert_eq!(unit_of("eth10", "eth", ""), Some(10));
    }
}
