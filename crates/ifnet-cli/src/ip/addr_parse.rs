//! iproute2's address words (lib/utils.c, lib/rt_names.c): `get_addr_1`
//! and `get_prefix_1` with their C quirks (IPv4 parts read by strtoul in
//! any base, missing parts zero, a dotted netmask after the slash),
//! `get_addr` / `get_prefix` that exit on a bad word, `inet_addr_match`,
//! the scope names (`rtnl_rtscope_a2n` / `_n2a`) and `inet_ntop`'s text.

use crate::ip::util::{get_unsigned, strtoul};
use crate::session::Session;
use crate::Abort;
use std::net::{Ipv4Addr, Ipv6Addr};

pub use crate::ip::args::{AF_BRIDGE, AF_INET, AF_INET6, AF_MPLS, AF_PACKET, AF_UNSPEC};

/// `PREFIXLEN_SPECIFIED`.
pub const PREFIXLEN_SPECIFIED: u8 = 1;

/// `inet_prefix`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InetPrefix {
    pub family: u8,
    pub bytelen: u8,
    /// -1: no length given; -2: "default"/"all"/"any".
    pub bitlen: i32,
    pub flags: u8,
    pub data: [u8; 16],
}

impl InetPrefix {
    pub fn bytes(&self) -> &[u8] {
        &self.data[..usize::from(self.bytelen).min(16)]
    }
}

/// `get_addr_ipv4()`: up to four parts, each `strtoul(cp, &end, 0)` ≤ 255,
/// separated by dots; missing parts stay 0.
fn get_addr_ipv4(cp: &str) -> Option<[u8; 4]> {
    let mut ap = [0u8; 4];
    let mut rest = cp;
    for (i, slot) in ap.iter_mut().enumerate() {
        let used = strtoul_len(rest);
        if used == 0 {
            return None;
        }
        let (n, _, _) = strtoul(&rest[..used], 0)?;
        if n > 255 {
            return None;
        }
        *slot = n as u8;
        let tail = &rest[used..];
        if tail.is_empty() {
            break;
        }
        if i == 3 || !tail.starts_with('.') {
            return None;
        }
        rest = &tail[1..];
    }
    Some(ap)
}

/// How many bytes `strtoul(s, &end, 0)` consumes (0: no digits).
fn strtoul_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let (base, start) = if b[i..].starts_with(b"0x") || b[i..].starts_with(b"0X") {
        if b.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit()) {
            (16, i + 2)
        } else {
            // "0x" without a hex digit: the "0" is the number.
            return i + 1;
        }
    } else if b.get(i) == Some(&b'0') {
        (8, i)
    } else {
        (10, i)
    };
    let mut j = start;
    while j < b.len() && (b[j] as char).is_digit(base) {
        j += 1;
    }
    if j == start {
        0
    } else {
        j
    }
}

/// `get_addr_1()` (with `set_address_type`'s flags left out: nothing the
/// model prints reads them).
pub fn get_addr_1(name: &str, family: u8) -> Option<InetPrefix> {
    let mut a = InetPrefix::default();
    let blen = |f: u8| match f {
        AF_INET => 4,
        AF_INET6 => 16,
        _ => 0,
    };
    if name == "default" {
        if family == AF_MPLS {
            return None;
        }
        a.family = family;
        a.bytelen = blen(family);
        a.bitlen = -2;
        a.flags |= PREFIXLEN_SPECIFIED;
        return Some(a);
    }
    if name == "all" || name == "any" {
        if family == AF_MPLS {
            return None;
        }
        a.family = family;
        a.bitlen = -2;
        return Some(a);
    }
    if family == AF_PACKET || family == AF_MPLS {
        // Link-layer and MPLS addresses never reach the address commands.
        return None;
    }
    if name.contains(':') {
        if family != AF_UNSPEC && family != AF_INET6 {
            return None;
        }
        let v: Ipv6Addr = name.parse().ok()?;
        a.family = AF_INET6;
        a.data = v.octets();
        a.bytelen = 16;
        a.bitlen = -1;
        return Some(a);
    }
    if family != AF_UNSPEC && family != AF_INET {
        return None;
    }
    let v = get_addr_ipv4(name)?;
    a.family = AF_INET;
    a.data[..4].copy_from_slice(&v);
    a.bytelen = 4;
    a.bitlen = -1;
    Some(a)
}

/// `mask2bits()`: a contiguous netmask's length.
fn mask2bits(mask: [u8; 4]) -> Option<u32> {
    let m = u32::from_be_bytes(mask);
    let host = !m;
    if host & host.wrapping_add(1) != 0 {
        return None;
    }
    Some(m.count_ones())
}

/// `get_netmask()`: a number (any base) or a dotted netmask.
fn get_netmask(arg: &str) -> Option<u32> {
    if let Some(v) = get_unsigned(arg) {
        return Some(v);
    }
    let a = get_addr_1(arg, AF_INET).filter(|a| a.family == AF_INET)?;
    mask2bits([a.data[0], a.data[1], a.data[2], a.data[3]])
}

/// `get_prefix_1()`.
pub fn get_prefix_1(arg: &str, family: u8) -> Option<InetPrefix> {
    let (addr, slash) = match arg.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (arg, None),
    };
    let mut dst = get_addr_1(addr, family)?;
    let mut bitlen = match dst.family {
        AF_INET => 32,
        AF_INET6 => 128,
        _ => 0,
    };
    match slash {
        Some(l) => {
            if dst.bitlen == -2 {
                return None;
            }
            let plen = get_netmask(l)?;
            if plen > bitlen {
                return None;
            }
            dst.flags |= PREFIXLEN_SPECIFIED;
            bitlen = plen;
        }
        None if dst.bitlen == -2 => bitlen = 0,
        None => {}
    }
    dst.bitlen = bitlen as i32;
    Some(dst)
}

fn family_name_verbose(family: u8) -> &'static str {
    match family {
        AF_UNSPEC => "any valid",
        _ => family_name(family),
    }
}

/// `family_name()`.
pub fn family_name(family: u8) -> &'static str {
    match family {
        AF_INET => "inet",
        AF_INET6 => "inet6",
        AF_PACKET => "link",
        AF_MPLS => "mpls",
        AF_BRIDGE => "bridge",
        _ => "???",
    }
}

/// `get_prefix()`: exits 1 on a bad word.
pub fn get_prefix(s: &mut Session, arg: &str, family: u8) -> Result<InetPrefix, Abort> {
    if family == AF_PACKET {
        s.eprint(&format!(
            "Error: \"{arg}\" may be inet prefix, but it is not allowed in this context.\n"
        ));
        return Err(Abort::Exit(1));
    }
    get_prefix_1(arg, family).ok_or_else(|| {
        s.eprint(&format!(
            "Error: {} prefix is expected rather than \"{arg}\".\n",
            family_name_verbose(family)
        ));
        Abort::Exit(1)
    })
}

/// `get_addr()`: exits 1 on a bad word.
pub fn get_addr(s: &mut Session, arg: &str, family: u8) -> Result<InetPrefix, Abort> {
    get_addr_1(arg, family).ok_or_else(|| {
        s.eprint(&format!(
            "Error: {} address is expected rather than \"{arg}\".\n",
            family_name_verbose(family)
        ));
        Abort::Exit(1)
    })
}

/// `inet_addr_match(a, b, bits)`: 0 when the first `bits` bits agree.
pub fn inet_addr_match(a: &[u8], b: &[u8], bits: u32) -> bool {
    let bits = bits as usize;
    let (whole, rest) = (bits / 8, bits % 8);
    if a.len() < whole + usize::from(rest > 0) || b.len() < whole + usize::from(rest > 0) {
        return false;
    }
    if a[..whole] != b[..whole] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[whole] ^ b[whole]) & mask == 0
}

/// The scope names of lib/rt_names.c's built-in table (also what this
/// machine's /etc/iproute2/rt_scopes says).
const SCOPES: [(u8, &str); 5] = [
    (0, "global"),
    (255, "nowhere"),
    (254, "host"),
    (253, "link"),
    (200, "site"),
];

/// `rtnl_rtscope_n2a()` (`-N` prints numbers).
pub fn rtscope_n2a(id: u8, numeric: bool) -> String {
    if !numeric {
        if let Some((_, n)) = SCOPES.iter().find(|(i, _)| *i == id) {
            return n.to_string();
        }
    }
    id.to_string()
}

/// `rtnl_rtscope_a2n()`: a name, or a number (any base) up to 255.
pub fn rtscope_a2n(arg: &str) -> Option<u8> {
    if let Some((i, _)) = SCOPES.iter().find(|(_, n)| *n == arg) {
        return Some(*i);
    }
    match strtoul(arg, 0) {
        Some((v, false, true)) if v <= 255 => Some(v as u8),
        _ => None,
    }
}

/// `inet_ntop(AF_INET6)` as glibc writes it: the longest run of zero
/// groups (the first of equal ones, at least two) as "::", and the
/// embedded IPv4 of ::a.b.c.d and ::ffff:a.b.c.d.
pub fn inet6_ntop(a: &Ipv6Addr) -> String {
    let w = a.segments();
    let (mut best, mut best_len) = (usize::MAX, 0);
    let mut i = 0;
    while i < 8 {
        if w[i] == 0 {
            let start = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best = usize::MAX;
    }
    let o = a.octets();
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if i == best {
            out.push(':');
            if i == 0 {
                out.push(':');
            }
            i += best_len;
            if i == 8 {
                break;
            }
            continue;
        }
        if i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            out.push_str(&Ipv4Addr::new(o[12], o[13], o[14], o[15]).to_string());
            return out;
        }
        out.push_str(&format!("{:x}", w[i]));
        if i < 7 {
            out.push(':');
        }
        i += 1;
    }
    out
}

/// `format_host(af, len, addr)` without name resolution: the address.
pub fn format_addr(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(bytes);
            inet6_ntop(&Ipv6Addr::from(o))
        }
        _ => "???".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// get_addr_ipv4(): strtoul in any base, missing parts zero.
    #[test]
    fn ipv4_words_as_iproute2_reads_them() {
        let p = get_addr_1("10.1", AF_UNSPEC).unwrap();
        assert_eq!(p.bytes(), &[10, 1, 0, 0]);
        let p = get_addr_1("010.0x10.0.1", AF_UNSPEC).unwrap();
        assert_eq!(p.bytes(), &[8, 16, 0, 1]);
        assert!(get_addr_1("256.0.0.1", AF_UNSPEC).is_none());
        assert!(get_addr_1("1.2.3.4.5", AF_UNSPEC).is_none());
        assert!(get_addr_1("1.2.3.", AF_UNSPEC).is_none());
        let p = get_prefix_1("10.0.0.1/255.255.255.0", AF_UNSPEC).unwrap();
        assert_eq!(p.bitlen, 24);
        assert!(get_prefix_1("10.0.0.1/33", AF_UNSPEC).is_none());
        assert!(get_prefix_1("2001:db8::1/24", AF_INET).is_none());
    }

    /// glibc inet_ntop6(): compression and the embedded IPv4 forms.
    #[test]
    fn inet6_ntop_like_glibc() {
        let f = |s: &str| inet6_ntop(&s.parse().unwrap());
        assert_eq!(f("fe80::ff:fe00:a"), "fe80::ff:fe00:a");
        assert_eq!(f("::1"), "::1");
        assert_eq!(f("::"), "::");
        assert_eq!(f("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(f("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(f("2001:db8:0:1::1"), "2001:db8:0:1::1");
        assert_eq!(f("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
        assert_eq!(f("1:0:2:3:4:5:6:7"), "1:0:2:3:4:5:6:7");
    }
}
