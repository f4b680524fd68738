//! Kernel profiles: behaviour that changed between Linux versions.
//!
//! A profile is chosen when a model kernel is created and never changes
//! afterwards. Each field names the commit that introduced the behaviour so a
//! test that depends on it can cite the same commit.

use serde::{Deserialize, Serialize};

/// How `dev_change_name` treats a device that is UP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LiveRename {
    /// Before 5.1: `if (dev->flags & IFF_UP) return -EBUSY;`
    Refused,
    /// 5.1 to 6.1: EBUSY unless the device has IFF_LIVE_RENAME_OK
    /// (8065a779f17e "failover: allow name change on IFF_UP slave interfaces").
    UnlessLiveRenameOk,
    /// 6.2 on: always allowed (bd039b5ea2a9 "net/core: Allow live renaming
    /// when an interface is up").
    Allowed,
}

/// Where hv_netvsc moves a bound VF after the netvsc itself registered in
/// (or moved to) another namespace (`netvsc_netdev_event` on the netvsc's
/// own NETDEV_REGISTER).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NetvscVfNsFollow {
    /// Before 4c262801ea60: the VF stays where it is.
    Never,
    /// 4c262801ea60 (Oct 2024, v6.12): `netvsc_event_set_vf_ns()` inside
    /// the notifier.
    InNotifier,
    /// 33caa208dba6 (Aug 2025, v6.17): deferred to `vfns_work`.
    Work,
}

/// Versioned kernel behaviour: only what some code path reads (each field
/// has a test in `tests/profile_fields.rs` naming its commit). Changes the
/// model does not distinguish between versions have no field: ifindex
/// allocation (`dev_index_reserve`, 759ab1edb56c, v6.6: the same sequence
/// but at wrap-around), the netns-local bit's name (0c493da86374, v6.15)
/// and the RTM_DELLINK name on a netns move (311cca40661f, v6.6: the model
/// sends the 6.6+ message in every profile).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KernelProfile {
    /// Preset name, e.g. "6.18" (the state file records it).
    pub name: String,
    /// `dev_change_name()`'s IFF_UP rule.
    pub live_rename: LiveRename,
    /// failover sets IFF_NO_ADDRCONF instead of IFF_LIVE_RENAME_OK on slaves
    /// (cb54d392279d, v6.2).
    pub failover_no_addrconf: bool,
    /// Altnames move with the device (8e15aee62161, v6.6) and an altname
    /// clash in the target fails the move (7663d522099e, v6.6).
    pub altnames_move_with_dev: bool,
    /// addrconf skips devices with IFF_NO_ADDRCONF (priv_flags) rather
    /// than IFF_SLAVE (flags): 8a321cf7becc, v6.2.
    #[serde(default = "default_true")]
    pub addrconf_no_addrconf_flag: bool,
    /// hv_netvsc marks a matching VF IFF_SLAVE at NETDEV_POST_INIT
    /// (`netvsc_prepare_bonding`, before the `add` uevent) instead of in
    /// `netvsc_vf_join`, and `get_netvsc_byslot`'s MAC fallback also
    /// compares `dev_addr` without the "falling back" notice: c807d6cd089d
    /// (v6.7-rc3; stable 4.19–6.6, not in those as released).
    #[serde(default = "default_true")]
    pub netvsc_slave_at_post_init: bool,
    /// `netvsc_drv_init` registers the netdev notifier before the VMBus
    /// driver, so its NETDEV_REGISTER replay runs before the first netvsc
    /// is probed (85520856466e, v6.7-rc3, stable with c807d6cd089d). Before
    /// it the replay came after the probe (the model takes that order of a
    /// race), and it joined a VF registered before the netvsc.
    #[serde(default = "default_true")]
    pub netvsc_notifier_before_probe: bool,
    /// `netvsc_prepare_bonding` also sets IFF_NO_ADDRCONF (Li Tian, "Set VF
    /// priv_flags to IFF_NO_ADDRCONF before open", ≈v6.16, 6.6.y).
    #[serde(default = "default_true")]
    pub netvsc_vf_no_addrconf: bool,
    /// `netvsc_probe` scans its namespace for a VF whose NETDEV_REGISTER it
    /// missed: 9cae43da9867 (v6.8, stable).
    #[serde(default = "default_true")]
    pub netvsc_probe_scan: bool,
    /// `get_netvsc_byslot`'s serial pass also compares `perm_addr`:
    /// 64ff412ad41f (v5.13; stable 5.10.y in 2024). Before it the serial
    /// alone decided.
    #[serde(default = "default_true")]
    pub netvsc_match_serial_and_mac: bool,
    /// 365e1ececb29 "hv_netvsc: Fix race between VF offering and VF
    /// association message from host" (v6.1, stable 5.10.y in Oct 2022):
    /// `get_netvsc_byslot` falls back to the MAC (perm_addr, with the
    /// "falling back to mac addr based matching" notice on a match), and
    /// `netvsc_vf_changed` waits for the association (`vf_add`) before
    /// switching to a VF the host has not allocated. Before it, a VF
    /// without association matched nothing, and nothing waited.
    #[serde(default = "default_true")]
    pub netvsc_mac_fallback: bool,
    /// What the netvsc's own NETDEV_REGISTER does with its VF.
    #[serde(default = "default_vf_ns_follow")]
    pub netvsc_vf_ns_follow: NetvscVfNsFollow,
}

fn default_vf_ns_follow() -> NetvscVfNsFollow {
    NetvscVfNsFollow::Work
}

fn default_true() -> bool {
    true
}

/// The preset names, oldest first; `latest` is an alias for the newest.
/// `X.Y` is the release as tagged; `6.6.y` is a late 6.6 stable kernel,
/// with the hv_netvsc fixes stable took (c807d6cd089d, 9cae43da9867, the
/// IFF_NO_ADDRCONF one, 33caa208dba6 — the last two as their stable-review
/// mails show; point releases UNVERIFIED).
pub const PRESETS: [&str; 10] = [
    "5.0", "5.1", "5.10", "6.1", "6.2", "6.6", "6.6.y", "6.7", "6.12", "6.18",
];

impl KernelProfile {
    /// A named preset (`"6.18"`, `"latest"`, …), or `None`.
    pub fn preset(name: &str) -> Option<KernelProfile> {
        let name = if name == "latest" { "6.18" } else { name };
        if !PRESETS.contains(&name) {
            return None;
        }
        let (release, stable) = match name.strip_suffix(".y") {
            Some(r) => (r, true),
            None => (name, false),
        };
        let (major, minor) = release.split_once('.')?;
        let version = (major.parse().ok()?, minor.parse().ok()?);
        Some(KernelProfile::for_version(name, version, stable))
    }

    /// `stable`: a late stable kernel of that release, with the hv_netvsc
    /// backports (only 6.6.y is a preset).
    fn for_version(name: &str, version: (u32, u32), stable: bool) -> KernelProfile {
        let at_least = |v: (u32, u32)| version >= v;
        KernelProfile {
            name: name.to_string(),
            live_rename: if at_least((6, 2)) {
                LiveRename::Allowed
            } else if at_least((5, 1)) {
                LiveRename::UnlessLiveRenameOk
            } else {
                LiveRename::Refused
            },
            failover_no_addrconf: at_least((6, 2)),
            altnames_move_with_dev: at_least((6, 6)),
            addrconf_no_addrconf_flag: at_least((6, 2)),
            netvsc_slave_at_post_init: stable || at_least((6, 7)),
            netvsc_notifier_before_probe: stable || at_least((6, 7)),
            netvsc_vf_no_addrconf: stable || at_least((6, 16)),
            netvsc_probe_scan: stable || at_least((6, 8)),
            netvsc_match_serial_and_mac: stable || at_least((5, 13)),
            netvsc_mac_fallback: stable || at_least((6, 1)),
            netvsc_vf_ns_follow: if stable || at_least((6, 17)) {
                NetvscVfNsFollow::Work
            } else if at_least((6, 12)) {
                NetvscVfNsFollow::InNotifier
            } else {
                NetvscVfNsFollow::Never
            },
        }
    }

    /// The default profile: Linux 6.18.
    pub fn latest() -> KernelProfile {
        KernelProfile::preset("6.18").expect("6.18 is a preset")
    }
}

impl Default for KernelProfile {
    fn default() -> Self {
        KernelProfile::latest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// bd039b5ea2a9 (v6.2) and 8065a779f17e (v5.1) decide `dev_change_name`'s
    /// IFF_UP rule.
    #[test]
    fn live_rename_rule_per_version() {
        let rule = |n| KernelProfile::preset(n).unwrap().live_rename;
        assert_eq!(rule("5.0"), LiveRename::Refused);
        assert_eq!(rule("5.1"), LiveRename::UnlessLiveRenameOk);
        assert_eq!(rule("6.1"), LiveRename::UnlessLiveRenameOk);
        assert_eq!(rule("6.2"), LiveRename::Allowed);
        assert_eq!(rule("latest"), LiveRename::Allowed);
        assert!(KernelProfile::preset("4.9").is_none());
    }
}
