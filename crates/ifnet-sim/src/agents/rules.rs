//! udev rules that touch net devices (agents.md §2.2), evaluated the way
//! udev-rules.c does: `==` with glob characters is `fnmatch(pattern,
//! value, 0)` — case-sensitive — over each `|`-separated alternative
//! (`token_match_string`), and the `net_id` builtin's path name
//! (udev-builtin-net_id.c).

use std::collections::BTreeMap;

/// `fnmatch(pattern, s, 0)` for `*`, `?` and `[…]` classes with ranges
/// and `!`/`^` negation: case-sensitive, as udev calls it without
/// FNM_CASEFOLD. Patterns are short (rules); recursion depth is bounded by
/// the pattern length.
pub fn fnmatch(pat: &[u8], s: &[u8]) -> bool {
    match pat.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|i| fnmatch(&pat[1..], &s[i..])),
        Some(b'?') => !s.is_empty() && fnmatch(&pat[1..], &s[1..]),
        Some(b'[') => {
            let Some(end) = pat.iter().skip(2).position(|&c| c == b']').map(|p| p + 2) else {
                return !s.is_empty() && s[0] == b'[' && fnmatch(&pat[1..], &s[1..]);
            };
            let Some(&c) = s.first() else { return false };
            let mut class = &pat[1..end];
            let negate = matches!(class.first(), Some(b'!') | Some(b'^'));
            if negate {
                class = &class[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negate && fnmatch(&pat[end + 1..], &s[1..])
        }
        Some(&p) => s.first() == Some(&p) && fnmatch(&pat[1..], &s[1..]),
    }
}

/// A udev match value: `|`-separated alternatives, each a glob.
pub fn udev_match(pattern: &str, value: &str) -> bool {
    pattern
        .split('|')
        .any(|alt| fnmatch(alt.as_bytes(), value.as_bytes()))
}

/// azure-vm-utils `udev/10-azure-unmanaged-sriov.rules` (first commit
/// 9c59691, PR #41; agents.md §6.1):
/// `SUBSYSTEM=="net", ACTION!="remove", DRIVERS=="mana|mlx4_core|mlx5_core",
/// ATTR{flags}=="0x?[89ABCDEF]??"` → AZURE_UNMANAGED_SRIOV=1,
/// ID_NET_MANAGED_BY=unmanaged, NM_UNMANAGED=1.
pub const AZURE_DRIVERS: &str = "mana|mlx4_core|mlx5_core";
pub const AZURE_FLAGS_GLOB: &str = "0x?[89ABCDEF]??";

/// Whether the azure rule matches, given `ACTION`, the driver `DRIVERS`
/// finds and the `flags` attribute (trailing whitespace stripped).
pub fn azure_sriov_matches(action: &str, driver: Option<&str>, flags: Option<&str>) -> bool {
    action != "remove"
        && driver.is_some_and(|d| udev_match(AZURE_DRIVERS, d))
        && flags.is_some_and(|f| udev_match(AZURE_FLAGS_GLOB, f.trim_end()))
}

/// What the azure rule sets.
pub fn azure_sriov_props(props: &mut BTreeMap<String, String>) {
    props.insert("AZURE_UNMANAGED_SRIOV".into(), "1".into());
    props.insert("ID_NET_MANAGED_BY".into(), "unmanaged".into());
    props.insert("NM_UNMANAGED".into(), "1".into());
}

/// NetworkManager `85-nm-unmanaged.rules`: `ACTION!="add|change|move"` →
/// end; a veth that is not `eth*` (and vboxnet, vmnet, Parallels,
/// gadget, not modelled) → NM_UNMANAGED=1.
pub fn nm_unmanaged_matches(action: &str, driver: Option<&str>, name: &str) -> bool {
    udev_match("add|change|move", action)
        && driver == Some("veth")
        && !fnmatch(b"eth*", name.as_bytes())
}

/// The PCI address of a net device's parent in its devpath
/// (`/devices/pci0000:00/DDDD:BB:SS.F/net/NAME`).
pub fn pci_address(devpath: &str) -> Option<(u32, u32, u32, u32)> {
    let mut it = devpath.split('/');
    let _ = it.next();
    if it.next()? != "devices" || !it.next()?.starts_with("pci") {
        return None;
    }
    let addr = it.next()?;
    let (dom, rest) = addr.split_once(':')?;
    let (bus, rest) = rest.split_once(':')?;
    let (slot, func) = rest.split_once('.')?;
    let hex = |s: &str| u32::from_str_radix(s, 16).ok();
    Some((hex(dom)?, hex(bus)?, hex(slot)?, hex(func)?))
}

/// `net_id`'s ID_NET_NAME_PATH for a PCI net device (`names_pci`): `en`
/// (ARPHRD_ETHER) or `ib` (ARPHRD_INFINIBAND), `P<domain>` when the
/// domain is not 0, `p<bus>s<slot>`, and `f<function>` for a function
/// other than 0. Virtual devices have none. (The `n<phys_port_name>`
/// suffix, `nsby` on a virtio standby, and the Hyper-V slot name
/// `enP<domain>s<serial>` are not modelled: the model has no
/// phys_port_name attribute and no hv_pci slots.)
pub fn net_name_path(devpath: &str, dev_type: u16) -> Option<String> {
    let (dom, bus, slot, func) = pci_address(devpath)?;
    let prefix = match dev_type {
        1 => "en",
        32 => "ib",
        _ => return None,
    };
    let mut s = prefix.to_string();
    if dom != 0 {
        s.push_str(&format!("P{dom}"));
    }
    s.push_str(&format!("p{bus}s{slot}"));
    if func != 0 {
        s.push_str(&format!("f{func}"));
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// agents.md §6.2 "glob case": the kernel prints `flags` as `"%#x\n"`
    /// (net-sysfs.c), lowercase; the rule's class is uppercase, so
    /// SLAVE+ALLMULTI (`a`), SLAVE+MASTER (`c`) and SLAVE+ALLMULTI+PROMISC
    /// (`b`) miss, and a device without IFF_MULTICAST (`0x802`) has too
    /// few digits.
    #[test]
    fn azure_rule_flags_glob_is_case_sensitive() {
        let m = |f| azure_sriov_matches("add", Some("mlx5_core"), Some(f));
        assert!(m("0x1802"), "SLAVE alone");
        assert!(m("0x1803"), "SLAVE, UP");
        assert!(m("0x1903"), "SLAVE+PROMISC");
        assert!(!m("0x1a03"), "SLAVE+ALLMULTI: lowercase a");
        assert!(!m("0x1c03"), "SLAVE+MASTER: lowercase c");
        assert!(!m("0x1b03"), "SLAVE+ALLMULTI+PROMISC");
        assert!(!m("0x802"), "no IFF_MULTICAST: three digits");
        assert!(!m("0x1002"), "no SLAVE");
        assert!(m("0x1802\n"), "trailing whitespace stripped");
        assert!(!azure_sriov_matches(
            "remove",
            Some("mlx5_core"),
            Some("0x1802")
        ));
        assert!(!azure_sriov_matches("add", Some("e1000"), Some("0x1802")));
        assert!(azure_sriov_matches("move", Some("mana"), Some("0x1802")));
        assert!(!azure_sriov_matches("add", Some("mlx5_core"), None));
    }

    #[test]
    fn fnmatch_subset() {
        assert!(fnmatch(b"eth*", b"eth0"));
        assert!(!fnmatch(b"eth*", b"veth0"));
        assert!(fnmatch(b"[!a]x", b"bx"));
        assert!(!fnmatch(b"[!a]x", b"ax"));
        assert!(fnmatch(b"[a-c]", b"b"));
        assert!(!fnmatch(b"[A-C]", b"b"));
        assert!(fnmatch(b"[", b"["));
        assert!(udev_match("add|change|move", "move"));
    }

    /// 85-nm-unmanaged.rules: veth but not eth*.
    #[test]
    fn nm_unmanaged_rule_for_veth() {
        assert!(nm_unmanaged_matches("add", Some("veth"), "veth0"));
        assert!(!nm_unmanaged_matches("add", Some("veth"), "eth5"));
        assert!(!nm_unmanaged_matches("remove", Some("veth"), "veth0"));
        assert!(!nm_unmanaged_matches("add", Some("mlx5_core"), "eth1"));
    }

    /// udev-builtin-net_id.c names_pci(): en[P<domain>]p<bus>s<slot>[f<fn>].
    #[test]
    fn path_names() {
        let p = |d| net_name_path(d, 1);
        assert_eq!(
            p("/devices/pci0000:00/0000:00:09.0/net/eth2").as_deref(),
            Some("enp0s9")
        );
        assert_eq!(
            p("/devices/pci0000:00/0000:03:1f.2/net/eth2").as_deref(),
            Some("enp3s31f2")
        );
        assert_eq!(
            p("/devices/pci0000:00/8a3b:00:02.0/net/eth1").as_deref(),
            Some("enP35387p0s2")
        );
        assert_eq!(p("/devices/virtual/net/veth0"), None);
        assert_eq!(
            net_name_path("/devices/pci0000:00/0000:00:09.0/net/ib0", 32).as_deref(),
            Some("ibp0s9")
        );
        assert_eq!(
            net_name_path("/devices/pci0000:00/0000:00:09.0/net/x", 772),
            None
        );
        assert_eq!(p("/devices/pci0000:00/zz/net/x"), None);
    }
}
