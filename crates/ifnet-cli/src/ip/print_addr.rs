//! iproute2 6.1 `print_addrinfo()` (ip/ipaddress.c) and its helpers
//! `print_ifa_flags` and `print_selected_addrinfo`: one RTM_NEWADDR /
//! RTM_DELADDR as `ip address` and `ip monitor` print it, in text or JSON,
//! filtered as ipaddress.c's `struct filter` says.

use netlink_packet_route::address::{AddressAttribute, AddressMessage};

use crate::ip::addr_parse::{family_name, format_addr, inet_addr_match, rtscope_n2a, InetPrefix};
use crate::ip::addr_parse::{AF_INET, AF_INET6};
use crate::ip::color::ColorAttr;
use crate::ip::jsonw::Ctx;
use crate::session::Session;

/// The address part of ipaddress.c's `struct filter`.
#[derive(Debug, Clone, Default)]
pub struct AddrFilter {
    pub family: u8,
    pub ifindex: u32,
    pub scope: u8,
    pub scopemask: u8,
    pub flags: u32,
    pub flagmask: u32,
    /// `label PATTERN` (fnmatch).
    pub label: Option<String>,
    /// `to PREFIX`.
    pub pfx: Option<InetPrefix>,
    pub up: bool,
    /// `filter.oneline`: "N: DEV" before each address (also set by
    /// `ip monitor` and while flushing).
    pub oneline: bool,
}

pub const IFA_F_SECONDARY: u32 = 0x01;
pub const IFA_F_DEPRECATED: u32 = 0x20;
pub const IFA_F_PERMANENT: u32 = 0x80;
pub const IFA_F_MCAUTOJOIN: u32 = 0x400;
/// `INFINITY_LIFE_TIME`.
const INFINITY: u32 = u32::MAX;

/// `ifa_flag_data[]`: name, mask, read-only, IPv6 only.
pub const IFA_FLAG_DATA: [(&str, u32, bool, bool); 13] = [
    ("secondary", 0x01, true, false),
    ("temporary", 0x01, true, false),
    ("nodad", 0x02, false, true),
    ("optimistic", 0x04, false, true),
    ("dadfailed", 0x08, true, true),
    ("home", 0x10, false, true),
    ("deprecated", 0x20, true, true),
    ("tentative", 0x40, true, true),
    ("permanent", 0x80, true, true),
    ("mngtmpaddr", 0x100, false, true),
    ("noprefixroute", 0x200, false, false),
    ("autojoin", 0x400, false, false),
    ("stable-privacy", 0x800, true, true),
];

/// `lookup_flag_data_by_name()`.
pub fn lookup_flag(name: &str) -> Option<(&'static str, u32, bool, bool)> {
    IFA_FLAG_DATA.iter().copied().find(|f| f.0 == name)
}

/// The attributes `print_addrinfo()` reads (`parse_rtattr`: the last of
/// each type wins).
#[derive(Debug, Default)]
pub struct AddrAttrs {
    pub local: Option<Vec<u8>>,
    pub address: Option<Vec<u8>>,
    pub broadcast: Option<Vec<u8>>,
    pub anycast: Option<Vec<u8>>,
    pub label: Option<String>,
    pub flags: Option<u32>,
    pub rt_priority: Option<u32>,
    /// (preferred, valid).
    pub cacheinfo: Option<(u32, u32)>,
}

fn ip_bytes(a: &std::net::IpAddr) -> Vec<u8> {
    match a {
        std::net::IpAddr::V4(v) => v.octets().to_vec(),
        std::net::IpAddr::V6(v) => v.octets().to_vec(),
    }
}

impl AddrAttrs {
    pub fn of(m: &AddressMessage) -> AddrAttrs {
        let mut t = AddrAttrs::default();
        for a in &m.attributes {
            match a {
                AddressAttribute::Local(v) => t.local = Some(ip_bytes(v)),
                AddressAttribute::Address(v) => t.address = Some(ip_bytes(v)),
                AddressAttribute::Broadcast(v) => t.broadcast = Some(v.octets().to_vec()),
                AddressAttribute::Anycast(v) => t.anycast = Some(v.octets().to_vec()),
                AddressAttribute::Label(l) => t.label = Some(l.clone()),
                AddressAttribute::Flags(f) => t.flags = Some(f.bits()),
                AddressAttribute::RoutePriority(p) => t.rt_priority = Some(*p),
                AddressAttribute::CacheInfo(c) => {
                    t.cacheinfo = Some((c.ifa_preferred, c.ifa_valid))
                }
                _ => {}
            }
        }
        t
    }

    /// `get_ifa_flags()`.
    pub fn ifa_flags(&self, m: &AddressMessage) -> u32 {
        self.flags.unwrap_or(u32::from(m.header.flags.bits()))
    }
}

/// fnmatch(3) with no flags: `*`, `?` and `[...]` (with `!`/`^` and
/// ranges), `\` quoting.
pub fn fnmatch(pat: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('*') => (0..=s.len()).any(|i| go(&p[1..], &s[i..])),
            Some('?') => !s.is_empty() && go(&p[1..], &s[1..]),
            Some('[') => {
                let Some(c) = s.first() else { return false };
                let mut i = 1;
                let neg = matches!(p.get(1), Some('!') | Some('^'));
                if neg {
                    i += 1;
                }
                let mut hit = false;
                let start = i;
                while i < p.len() && (p[i] != ']' || i == start) {
                    if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|x| *x != ']') {
                        hit |= p[i] <= *c && *c <= p[i + 2];
                        i += 3;
                    } else {
                        hit |= p[i] == *c;
                        i += 1;
                    }
                }
                if i >= p.len() {
                    // No closing bracket: '[' is an ordinary character.
                    return *c == '[' && go(&p[1..], &s[1..]);
                }
                hit != neg && go(&p[i + 1..], &s[1..])
            }
            Some('\\') if p.len() > 1 => s.first() == Some(&p[1]) && go(&p[2..], &s[1..]),
            Some(x) => s.first() == Some(x) && go(&p[1..], &s[1..]),
        }
    }
    let p: Vec<char> = pat.chars().collect();
    let s: Vec<char> = s.chars().collect();
    go(&p, &s)
}

/// `ifa_label_match_rta()`: true when the label filter rejects it.
pub fn label_rejects(s: &mut Session, f: &AddrFilter, ifindex: u32, label: Option<&str>) -> bool {
    let Some(pat) = &f.label else {
        return false;
    };
    let l = match label {
        Some(l) => l.to_string(),
        None => s.ll_index_to_name(ifindex),
    };
    !fnmatch(pat, &l)
}

/// `inet_addr_match_rta(&filter.pfx, rta)`: true when `to PREFIX` rejects.
pub fn prefix_rejects(f: &AddrFilter, local: Option<&[u8]>) -> bool {
    let Some(p) = &f.pfx else {
        return false;
    };
    if p.family == 0 || p.bitlen <= 0 {
        return false;
    }
    let Some(l) = local else {
        return false;
    };
    let fam = if l.len() == 4 { AF_INET } else { AF_INET6 };
    if (l.len() != 4 && l.len() != 16) || fam != p.family {
        return true;
    }
    !inet_addr_match(l, &p.data, p.bitlen as u32)
}

/// `print_ifa_flags()`.
fn print_ifa_flags(s: &mut Session, family: u8, flags: u32) {
    let mut flags = flags;
    for (name, mask, _, _) in IFA_FLAG_DATA {
        if mask == IFA_F_PERMANENT {
            if flags & mask == 0 {
                s.p.bool(Ctx::Any, Some("dynamic"), "dynamic ", true);
            }
        } else if flags & mask != 0 {
            if mask == IFA_F_SECONDARY && family == AF_INET6 {
                s.p.bool(Ctx::Any, Some("temporary"), "temporary ", true);
            } else {
                s.p.string(Ctx::Fp, None, &format!("{name} "), "");
                s.p.bool(Ctx::Json, Some(name), "", true);
            }
        }
        flags &= !mask;
    }
    if flags != 0 {
        if s.p.is_json() {
            s.p.string(Ctx::Json, Some("ifa_flags"), "", &format!("{flags:02x}"));
        } else {
            s.p.text(&format!("flags {flags:02x} "));
        }
    }
}

/// `print_addrinfo()`. `flushing` is `filter.flushb` (the flush prints
/// nothing unless `-s -s`).
pub fn print_addrinfo(s: &mut Session, m: &AddressMessage, deleted: bool, f: &AddrFilter) -> i32 {
    let mut t = AddrAttrs::of(m);
    let ifa_flags = t.ifa_flags(m);
    if t.local.is_none() {
        t.local = t.address.clone();
    }
    if t.address.is_none() {
        t.address = t.local.clone();
    }
    let h = &m.header;
    let family = u8::from(h.family);
    let scope = u8::from(h.scope);
    if f.ifindex != 0 && f.ifindex != h.index
        || (f.scope ^ scope) & f.scopemask != 0
        || (f.flags ^ ifa_flags) & f.flagmask != 0
        || f.family != 0 && f.family != family
        || label_rejects(s, f, h.index, t.label.as_deref())
        || prefix_rejects(f, t.local.as_deref())
    {
        return 0;
    }
    if deleted {
        s.p.bool(Ctx::Any, Some("deleted"), "Deleted ", true);
    }
    if s.opts.brief {
        // -br: local [peer ADDR]/LEN [metric N], nothing else.
        print_local_peer(s, m, &t);
        return 0;
    }
    if f.oneline || s.opts.echo {
        let dev = s.ll_index_to_name(h.index);
        if s.p.is_json() {
            s.p.num(Ctx::Json, Some("index"), "", i128::from(h.index));
            s.p.string(Ctx::Json, Some("dev"), "", &dev);
        } else {
            s.p.text(&format!("{}: {dev}", h.index));
        }
    }
    let name = family_name(family);
    if name.starts_with('?') {
        s.p.num(
            Ctx::Any,
            Some("family_index"),
            &format!("    family {family} "),
            i128::from(family),
        );
    } else {
        s.p.string(Ctx::Any, Some("family"), &format!("    {name} "), name);
    }
    print_local_peer(s, m, &t);
    print_tail(s, m, &t, ifa_flags);
    0
}

/// `ifa_family_color()`.
fn ifa_family_color(family: u8) -> ColorAttr {
    match family {
        AF_INET => ColorAttr::Inet,
        AF_INET6 => ColorAttr::Inet6,
        _ => ColorAttr::None,
    }
}

/// local, " peer ADDR", "/LEN ", "metric N ".
fn print_local_peer(s: &mut Session, m: &AddressMessage, t: &AddrAttrs) {
    let Some(local) = &t.local else {
        return;
    };
    let color = ifa_family_color(u8::from(m.header.family));
    let l = format_addr(local);
    s.p.color_string(Ctx::Any, color, Some("local"), &l, &l);
    if let Some(a) = &t.address {
        let n = if u8::from(m.header.family) == AF_INET {
            4
        } else {
            16
        };
        if a.get(..n) != local.get(..n) {
            s.p.string(Ctx::Fp, None, " peer ", "");
            let a = format_addr(a);
            s.p.color_string(Ctx::Any, color, Some("address"), &a, &a);
        }
    }
    let plen = m.header.prefix_len;
    s.p.num(
        Ctx::Any,
        Some("prefixlen"),
        &format!("/{plen} "),
        i128::from(plen),
    );
    if let Some(p) = t.rt_priority {
        s.p.num(
            Ctx::Any,
            Some("metric"),
            &format!("metric {p} "),
            i128::from(p),
        );
    }
}

/// brd, any, scope, flags, label and the lifetimes line.
fn print_tail(s: &mut Session, m: &AddressMessage, t: &AddrAttrs, ifa_flags: u32) {
    let color = ifa_family_color(u8::from(m.header.family));
    if let Some(b) = &t.broadcast {
        s.p.string(Ctx::Fp, None, "brd ", "");
        let b = format_addr(b);
        s.p.color_string(Ctx::Any, color, Some("broadcast"), &format!("{b} "), &b);
    }
    if let Some(b) = &t.anycast {
        s.p.string(Ctx::Fp, None, "any ", "");
        let b = format_addr(b);
        s.p.color_string(Ctx::Any, color, Some("anycast"), &format!("{b} "), &b);
    }
    let scope = rtscope_n2a(u8::from(m.header.scope), s.opts.numeric);
    s.p.string(Ctx::Any, Some("scope"), &format!("scope {scope} "), &scope);
    print_ifa_flags(s, u8::from(m.header.family), ifa_flags);
    if let Some(l) = &t.label {
        s.p.string(Ctx::Any, Some("label"), l, l);
    }
    if let Some((preferred, valid)) = t.cacheinfo {
        print_nl(s);
        s.p.string(Ctx::Fp, None, "       valid_lft ", "");
        if valid == INFINITY {
            s.p.num(Ctx::Json, Some("valid_life_time"), "", i128::from(INFINITY));
            s.p.string(Ctx::Fp, None, "forever", "");
        } else {
            s.p.num(
                Ctx::Any,
                Some("valid_life_time"),
                &format!("{valid}sec"),
                i128::from(valid),
            );
        }
        s.p.string(Ctx::Fp, None, " preferred_lft ", "");
        if preferred == INFINITY {
            s.p.num(
                Ctx::Json,
                Some("preferred_life_time"),
                "",
                i128::from(INFINITY),
            );
            s.p.string(Ctx::Fp, None, "forever", "");
        } else if ifa_flags & IFA_F_DEPRECATED != 0 {
            let v = preferred as i32;
            s.p.num(
                Ctx::Any,
                Some("preferred_life_time"),
                &format!("{v}sec"),
                i128::from(v),
            );
        } else {
            s.p.num(
                Ctx::Any,
                Some("preferred_life_time"),
                &format!("{preferred}sec"),
                i128::from(preferred),
            );
        }
    }
    s.p.string(Ctx::Fp, None, "\n", "");
}

/// `print_nl()`: `_SL_`, which `-o` makes a backslash.
pub fn print_nl(s: &mut Session) {
    if s.opts.oneline {
        if !s.p.is_json() {
            s.p.text("\\");
        }
    } else {
        s.p.nl();
    }
}

/// `print_selected_addrinfo()`: the addresses of one link, as the
/// `addr_info` array in JSON.
pub fn print_selected_addrinfo(
    s: &mut Session,
    ifindex: u32,
    ifflags: u32,
    addrs: &[AddressMessage],
    f: &AddrFilter,
) {
    s.p.open_array(Ctx::Json, "addr_info");
    for m in addrs {
        if m.header.index != ifindex || (f.family != 0 && f.family != u8::from(m.header.family)) {
            continue;
        }
        if f.up && ifflags & 1 == 0 {
            continue;
        }
        s.p.open_object(None);
        print_addrinfo(s, m, false, f);
        s.p.close_object();
    }
    s.p.close_array(Ctx::Json, "");
    if s.opts.brief {
        s.p.string(Ctx::Fp, None, "\n", "");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_like_libc() {
        assert!(fnmatch("va*", "va:1"));
        assert!(fnmatch("va:?", "va:1"));
        assert!(!fnmatch("va", "va:1"));
        assert!(fnmatch("v[a-c]", "vb"));
        assert!(!fnmatch("v[!a-c]", "vb"));
        assert!(fnmatch("*", ""));
    }
}
