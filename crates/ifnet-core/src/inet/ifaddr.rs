//! The address records and the per-device protocol state: `struct
//! in_ifaddr` and `struct in_device` (include/linux/inetdevice.h), `struct
//! inet6_ifaddr` and `struct inet6_dev` (include/net/if_inet6.h), with the
//! flag and scope values of include/uapi/linux/if_addr.h and rtnetlink.h.

use crate::hwaddr::IfName;
use crate::time::{Duration, Instant};
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, Ipv6Addr};

pub const IFA_F_SECONDARY: u32 = 0x01;
pub const IFA_F_TEMPORARY: u32 = IFA_F_SECONDARY;
pub const IFA_F_NODAD: u32 = 0x02;
pub const IFA_F_OPTIMISTIC: u32 = 0x04;
pub const IFA_F_DADFAILED: u32 = 0x08;
pub const IFA_F_HOMEADDRESS: u32 = 0x10;
pub const IFA_F_DEPRECATED: u32 = 0x20;
pub const IFA_F_TENTATIVE: u32 = 0x40;
pub const IFA_F_PERMANENT: u32 = 0x80;
pub const IFA_F_MANAGETEMPADDR: u32 = 0x100;
pub const IFA_F_NOPREFIXROUTE: u32 = 0x200;
pub const IFA_F_MCAUTOJOIN: u32 = 0x400;
pub const IFA_F_STABLE_PRIVACY: u32 = 0x800;
/// `IPV6ONLY_FLAGS`: what `__inet_insert_ifa` strips from IPv4 addresses.
pub const IPV6ONLY_FLAGS: u32 = IFA_F_NODAD
    | IFA_F_OPTIMISTIC
    | IFA_F_DADFAILED
    | IFA_F_HOMEADDRESS
    | IFA_F_TENTATIVE
    | IFA_F_MANAGETEMPADDR
    | IFA_F_STABLE_PRIVACY;

/// `RT_SCOPE_*` (the IPv4 and netlink scope numbers).
pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RT_SCOPE_SITE: u8 = 200;
pub const RT_SCOPE_LINK: u8 = 253;
pub const RT_SCOPE_HOST: u8 = 254;
pub const RT_SCOPE_NOWHERE: u8 = 255;

/// IPv6 `IFA_*` scope bits (`ipv6_addr_scope()`), as `inet6_ifaddr.scope`.
pub const IFA_GLOBAL: u8 = 0x00;
pub const IFA_HOST: u8 = 0x10;
pub const IFA_LINK: u8 = 0x20;
pub const IFA_SITE: u8 = 0x40;

/// `INFINITY_LIFE_TIME`.
pub const INFINITY_LIFE_TIME: u32 = 0xFFFF_FFFF;
/// `IFAPROT_KERNEL_LO` / `IFAPROT_KERNEL_LL`.
pub const IFAPROT_KERNEL_LO: u8 = 1;
pub const IFAPROT_KERNEL_LL: u8 = 3;

/// `IN6_ADDR_GEN_MODE_*`.
pub const IN6_ADDR_GEN_MODE_EUI64: u8 = 0;
pub const IN6_ADDR_GEN_MODE_NONE: u8 = 1;
pub const IN6_ADDR_GEN_MODE_STABLE_PRIVACY: u8 = 2;
pub const IN6_ADDR_GEN_MODE_RANDOM: u8 = 3;

/// `inet6_dev.if_flags`: `IF_READY` (the link is up and has carrier).
pub const IF_READY: u32 = 0x8000_0000;

/// Bound on the addresses of one family on one device. Linux has no limit
/// for manual addresses (IPv6's `max_addresses`, 16, bounds only
/// autoconfigured ones); the model refuses the next one with ENOBUFS, as an
/// allocation failure (`inet_alloc_ifa` / `ipv6_add_addr`) would.
pub const MAX_ADDRS_PER_DEV: usize = 4096;

/// `struct in_ifaddr`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InIfaddr {
    pub local: Ipv4Addr,
    /// The peer, or `local` itself.
    pub address: Ipv4Addr,
    /// 0.0.0.0: none.
    #[serde(
        default = "unspecified4",
        skip_serializing_if = "Ipv4Addr::is_unspecified"
    )]
    pub broadcast: Ipv4Addr,
    pub prefixlen: u8,
    pub scope: u8,
    pub flags: u32,
    pub label: IfName,
    pub valid_lft: u32,
    pub preferred_lft: u32,
    #[serde(rename = "tstamp_ns")]
    pub tstamp: Instant,
    #[serde(rename = "cstamp_ns")]
    pub cstamp: Instant,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rt_priority: u32,
    #[serde(default, skip_serializing_if = "is_zero_u8")]
    pub proto: u8,
}

fn unspecified4() -> Ipv4Addr {
    Ipv4Addr::UNSPECIFIED
}

impl InIfaddr {
    /// `ifa_mask`.
    pub fn mask(&self) -> u32 {
        inet_make_mask(self.prefixlen)
    }
}

/// `inet_make_mask()`.
pub fn inet_make_mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    }
}

/// `inet_ifa_match(addr, ifa)`: `addr` is in the subnet of `ifa`.
pub fn inet_ifa_match(addr: Ipv4Addr, ifa: &InIfaddr) -> bool {
    (u32::from(addr) ^ u32::from(ifa.address)) & ifa.mask() == 0
}

/// `INET6_IFADDR_STATE_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Ifa6State {
    PreDad,
    Dad,
    PostDad,
    ErrDad,
    Dead,
}

/// `struct inet6_ifaddr`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Inet6Ifaddr {
    pub addr: Ipv6Addr,
    /// `::`: none.
    #[serde(
        default = "unspecified6",
        skip_serializing_if = "Ipv6Addr::is_unspecified"
    )]
    pub peer: Ipv6Addr,
    pub prefix_len: u8,
    /// `IFA_*` scope bits.
    pub scope: u8,
    pub flags: u32,
    pub state: Ifa6State,
    /// Left out of the state file when infinite (most addresses).
    #[serde(default = "infinity", skip_serializing_if = "is_infinity")]
    pub valid_lft: u32,
    #[serde(default = "infinity", skip_serializing_if = "is_infinity")]
    pub prefered_lft: u32,
    #[serde(rename = "tstamp_ns")]
    pub tstamp: Instant,
    #[serde(rename = "cstamp_ns")]
    pub cstamp: Instant,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rt_priority: u32,
    #[serde(default, skip_serializing_if = "is_zero_u8")]
    pub proto: u8,
    /// `dad_probes`: neighbour solicitations still to send.
    #[serde(default, skip_serializing_if = "is_zero_u8")]
    pub dad_probes: u8,
    /// `dad_nonce` (48 bits; 0: no nonce).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub dad_nonce: u64,
    /// When the address's `dad_work` is due, if queued.
    #[serde(
        default,
        rename = "dad_due_ns",
        skip_serializing_if = "Option::is_none"
    )]
    pub dad_due: Option<Instant>,
}

fn infinity() -> u32 {
    INFINITY_LIFE_TIME
}

fn is_infinity(v: &u32) -> bool {
    *v == INFINITY_LIFE_TIME
}

fn unspecified6() -> Ipv6Addr {
    Ipv6Addr::UNSPECIFIED
}

/// `struct in_device` and `struct inet6_dev` of one device, as far as the
/// model keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InetDev {
    /// `dev->ip_ptr` is NULL on a registered device: `inetdev_destroy` ran
    /// on an MTU below 68 (`inetdev_valid_mtu`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub v4_off: bool,
    /// `in_dev->ifa_list`, in list order (primaries by scope, then
    /// secondaries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ifa_list: Vec<InIfaddr>,
    /// `dev->ip6_ptr` is set (`ipv6_add_dev` ran; MTU >= IPV6_MIN_MTU).
    #[serde(default, skip_serializing_if = "is_false")]
    pub v6: bool,
    /// `idev->if_flags`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub if6_flags: u32,
    /// `idev->cnf.addr_gen_mode`.
    #[serde(default, skip_serializing_if = "is_zero_u8")]
    pub addr_gen_mode: u8,
    /// `idev->cnf.stable_secret` (set by the `random` mode's first use).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_secret: Option<[u8; 16]>,
    /// `idev->cnf.disable_ipv6` (set when DAD fails on the EUI-64
    /// link-local with accept_dad > 1; the default accept_dad is 1).
    #[serde(default, skip_serializing_if = "is_false")]
    pub disable_ipv6: bool,
    /// `idev->addr_list`, sorted by scope (global first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addr6: Vec<Inet6Ifaddr>,
}

impl InetDev {
    pub fn is_default(&self) -> bool {
        *self == InetDev::default()
    }

    /// Forgets the inet6_dev (`addrconf_ifdown(dev, unregister)` freed it):
    /// a new one copies the namespace's defaults.
    pub(crate) fn clear_v6(&mut self) {
        self.v6 = false;
        self.if6_flags = 0;
        self.addr_gen_mode = 0;
        self.stable_secret = None;
        self.disable_ipv6 = false;
        self.addr6.clear();
    }
}

/// `ipv6_addr_scope()` as `IFA_*` bits (`__ipv6_addr_type` & scope mask).
pub fn ipv6_addr_scope(a: &Ipv6Addr) -> u8 {
    let s = a.segments();
    if a.is_multicast() {
        return match a.octets()[1] & 0x0f {
            1 => IFA_HOST,
            2 => IFA_LINK,
            5 => IFA_SITE,
            _ => IFA_GLOBAL,
        };
    }
    if a.is_loopback() {
        return IFA_HOST;
    }
    if s[0] & 0xffc0 == 0xfe80 {
        return IFA_LINK;
    }
    if s[0] & 0xffc0 == 0xfec0 {
        return IFA_SITE;
    }
    IFA_GLOBAL
}

/// `ipv6_addr_src_scope()`: the scope `__ipv6_addr_type()` puts in bits
/// 16.. (global 0x0e, site 0x05, link 0x02, node 0x01), the key
/// `ipv6_link_dev_addr` sorts by. ::1 counts as link-local there
/// ("addr-select 3.4"), a multicast address by its own scope field.
pub fn ipv6_addr_src_scope(a: &Ipv6Addr) -> u8 {
    let o = a.octets();
    let s = a.segments();
    let first3 = o[0] & 0xe0;
    if first3 != 0 && first3 != 0xe0 {
        return 0x0e;
    }
    if o[0] == 0xff {
        return o[1] & 0x0f;
    }
    if s[0] & 0xffc0 == 0xfe80 {
        return 0x02;
    }
    if s[0] & 0xffc0 == 0xfec0 {
        return 0x05;
    }
    if a.is_loopback() {
        return 0x02;
    }
    0x0e
}

/// `rt_scope()`: the netlink scope of an IPv6 address.
pub fn rt_scope(ifa_scope: u8) -> u8 {
    if ifa_scope & IFA_HOST != 0 {
        RT_SCOPE_HOST
    } else if ifa_scope & IFA_LINK != 0 {
        RT_SCOPE_LINK
    } else if ifa_scope & IFA_SITE != 0 {
        RT_SCOPE_SITE
    } else {
        RT_SCOPE_UNIVERSE
    }
}

/// `addrconf_addr_solict_mult()`: ff02::1:ffXX:XXXX.
pub fn solicited_node(a: &Ipv6Addr) -> Ipv6Addr {
    let o = a.octets();
    Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        (u16::from(o[14]) << 8) | u16::from(o[15]),
    )
}

/// The remaining lifetime a fill reports (`inet_fill_ifaddr`,
/// `inet6_fill_ifaddr`): whole seconds since `tstamp` come off both.
pub fn lifetimes_left(now: Instant, tstamp: Instant, preferred: u32, valid: u32) -> (u32, u32) {
    if preferred == INFINITY_LIFE_TIME {
        return (preferred, valid);
    }
    let tval = (now - tstamp).as_nanos() / Duration::from_secs(1).as_nanos();
    let tval = u32::try_from(tval).unwrap_or(u32::MAX);
    let p = preferred.saturating_sub(tval);
    let v = if valid == INFINITY_LIFE_TIME {
        valid
    } else {
        valid.saturating_sub(tval)
    };
    (p, v)
}

/// `cstamp_delta()`: hundredths of a second since boot.
pub fn cstamp_delta(t: Instant) -> u32 {
    (t.as_nanos() / 10_000_000) as u32
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(v: &u32) -> bool {
    *v == 0
}
fn is_zero_u8(v: &u8) -> bool {
    *v == 0
}
fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_scopes_and_solicited_nodes() {
        assert_eq!(inet_make_mask(0), 0);
        assert_eq!(inet_make_mask(24), 0xffff_ff00);
        assert_eq!(inet_make_mask(32), u32::MAX);
        let ll: Ipv6Addr = "fe80::ff:fe00:a".parse().unwrap();
        assert_eq!(ipv6_addr_scope(&ll), IFA_LINK);
        assert_eq!(rt_scope(IFA_LINK), RT_SCOPE_LINK);
        assert_eq!(ipv6_addr_scope(&Ipv6Addr::LOCALHOST), IFA_HOST);
        assert_eq!(
            solicited_node(&ll),
            "ff02::1:ff00:a".parse::<Ipv6Addr>().unwrap()
        );
        let t = Instant::BOOT + Duration::from_millis(2500);
        assert_eq!(lifetimes_left(t, Instant::BOOT, 50, 100), (48, 98));
        assert_eq!(lifetimes_left(t, Instant::BOOT, 1, 100), (0, 98));
    }
}
