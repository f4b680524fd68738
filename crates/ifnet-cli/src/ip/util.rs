//! Small parsers and formatters ported from iproute2 6.1 `lib/utils.c`,
//! `lib/ll_addr.c` and `lib/ll_types.c`. Each keeps the C function's quirks
//! (strtol bases, sscanf("%x") leniency) because users' batch files rely on
//! them and error messages quote exactly what the C code saw.

/// iproute2 `matches(prefix, string) == 0`: `prefix` is a non-empty...
/// actually any prefix of `word` (the empty string matches everything, as in C).
pub fn matches(prefix: &str, word: &str) -> bool {
    word.as_bytes().starts_with(prefix.as_bytes())
}

/// IFNAMSIZ from `include/uapi/linux/if.h`.
pub const IFNAMSIZ: usize = 16;
/// IFALIASZ from `include/uapi/linux/if.h`.
pub const IFALIASZ: usize = 256;

/// `NLMSG_LENGTH(sizeof(struct ifinfomsg))`: where a link request's
/// attributes start.
pub const REQ_HDR_LEN: usize = 32;
/// `sizeof(struct iplink_req)` (nlmsghdr, ifinfomsg, `char buf[1024]`): the
/// bound every addattr in iplink_parse()/iplink_modify() passes, and that
/// of iplink_prop_mod()'s and ll_link_get()'s requests.
pub const IPLINK_REQ_SIZE: usize = 1056;

const fn align4(len: usize) -> usize {
    (len + 3) & !3
}

/// iproute2 `addattr_l(n, maxlen, type, data, alen)` on a request whose
/// `nlmsg_len` is `*len`: if the attribute fits, `*len` grows by it and
/// true; otherwise ip's message goes to `err`, the attribute is left out
/// and the caller carries on (ip ignores the -1 nearly everywhere).
pub fn addattr_l(err: &mut Vec<u8>, len: &mut usize, maxlen: usize, alen: usize) -> bool {
    let next = align4(*len) + align4(4 + alen);
    if next > maxlen {
        err.extend_from_slice(
            format!("addattr_l ERROR: message exceeded bound of {maxlen}\n").as_bytes(),
        );
        return false;
    }
    *len = next;
    true
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// iproute2 `check_ifname()`: mimics the kernel's dev_valid_name() minus the
/// "." / ".." and ':' rules, which only the kernel enforces.
pub fn check_ifname(name: &str) -> bool {
    name.len() < IFNAMSIZ && check_altifname(name)
}

/// iproute2 `check_altifname()` (`__check_ifname`).
pub fn check_altifname(name: &str) -> bool {
    !name.is_empty() && !name.bytes().any(|b| b == b'/' || is_c_space(b))
}

/// What glibc's `strtol`/`strtoul` read from a string: the sign, the
/// magnitude (`None` once it passed u64, which both report as ERANGE) and
/// whether the digits ended the string. `None` when no digit was read
/// (`*endptr == nptr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Strto {
    neg: bool,
    mag: Option<u64>,
    /// The whole string was consumed (`**endptr == '\0'`).
    all: bool,
}

/// `____strtol_l_internal`'s scan: C white space, one sign, the base's
/// prefix ("0x"/"0X" followed by a hex digit for bases 0 and 16; a leading
/// 0 selects octal for base 0), then digits of the base.
fn strto_scan(arg: &str, base: u32) -> Option<Strto> {
    let b = arg.as_bytes();
    let (neg, mut i) = skip_space_and_sign(b);
    let mut base = base;
    let hex_prefix = b.get(i) == Some(&b'0')
        && b.get(i + 1).is_some_and(|c| c | 0x20 == b'x')
        && b.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit());
    if (base == 0 || base == 16) && hex_prefix {
        base = 16;
        i += 2;
    } else if base == 0 {
        base = if b.get(i) == Some(&b'0') { 8 } else { 10 };
    }
    let digits = b[i..]
        .iter()
        .take_while(|c| (**c as char).is_digit(base))
        .count();
    if digits == 0 {
        return None;
    }
    let mut mag = Some(0u64);
    for &c in &b[i..i + digits] {
        let d = u64::from((c as char).to_digit(base).unwrap_or(0));
        mag = mag
            .and_then(|m| m.checked_mul(u64::from(base)))
            .and_then(|m| m.checked_add(d));
    }
    Some(Strto {
        neg,
        mag,
        all: i + digits == b.len(),
    })
}

/// glibc `strtol(arg, &end, base)`: the value and ERANGE (the value is then
/// LONG_MIN or LONG_MAX); `None` when no digit was read. The second field
/// is whether digits ended the string.
pub fn strtol(arg: &str, base: u32) -> Option<(i64, bool, bool)> {
    let r = strto_scan(arg, base)?;
    let (v, erange) = match (r.neg, r.mag) {
        (false, Some(m)) if m <= i64::MAX as u64 => (m as i64, false),
        (true, Some(m)) if m <= 1u64 << 63 => ((m as i64).wrapping_neg(), false),
        (false, _) => (i64::MAX, true),
        (true, _) => (i64::MIN, true),
    };
    Some((v, erange, r.all))
}

/// glibc `strtoul(arg, &end, base)`: "-N" is N negated modulo 2^64 when N
/// fits an unsigned long; past it, ULONG_MAX with ERANGE (either sign).
/// Fields as for [`strtol`].
pub fn strtoul(arg: &str, base: u32) -> Option<(u64, bool, bool)> {
    let r = strto_scan(arg, base)?;
    Some(match r.mag {
        Some(m) if r.neg => (m.wrapping_neg(), false, r.all),
        Some(m) => (m, false, r.all),
        None => (u64::MAX, true, r.all),
    })
}

/// What `strtol` and `scanf("%x")` skip first: C white space, then one
/// optional sign. Returns (negative, index of the next byte).
fn skip_space_and_sign(b: &[u8]) -> (bool, usize) {
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    match b.get(i) {
        Some(b'-') => (true, i + 1),
        Some(b'+') => (false, i + 1),
        _ => (false, i),
    }
}

fn parse_digits(b: &[u8], base: u32) -> Option<u128> {
    if b.is_empty() {
        return None;
    }
    let mut v: u128 = 0;
    for &c in b {
        let d = (c as char).to_digit(base)?;
        v = v.saturating_mul(base as u128).saturating_add(d as u128);
    }
    Some(v)
}

/// iproute2 `get_long(val, arg, base)`: strtol, the whole string, no
/// ERANGE (LONG_MIN/LONG_MAX from an overflow are refused).
pub fn get_long(arg: &str, base: u32) -> Option<i64> {
    match strtol(arg, base)? {
        (v, false, true) => Some(v),
        _ => None,
    }
}

/// iproute2 `get_integer(val, arg, 0)`: [`get_long`] within INT_MIN..=INT_MAX.
pub fn get_integer(arg: &str) -> Option<i32> {
    get_long(arg, 0).and_then(|v| i32::try_from(v).ok())
}

/// iproute2 `get_unsigned(val, arg, 0)`: strtoul, the whole string, no
/// ERANGE, at most UINT_MAX. Like strtoul, "-N" wraps modulo 2^64 first,
/// so only "-0" and "-N" with N within 2^64-UINT_MAX..2^64 pass.
pub fn get_unsigned(arg: &str) -> Option<u32> {
    match strtoul(arg, 0)? {
        (v, false, true) => u32::try_from(v).ok(),
        _ => None,
    }
}

/// [`get_unsigned`] without strtoul's wrap of "-N": for ifnet's own
/// commands, where a negative number is refused rather than wrapped.
pub fn get_unsigned_nowrap(arg: &str) -> Option<u32> {
    let (neg, _) = skip_space_and_sign(arg.as_bytes());
    if neg {
        return None;
    }
    get_unsigned(arg)
}

/// glibc `atoi`: `(int) strtol(arg, NULL, 10)` — the digits there are,
/// 0 when none; an overflow saturates at LONG_MIN/LONG_MAX and the cast
/// to int keeps the low 32 bits (so atoi("4294967297") is 1 and
/// atoi("99999999999999999999") is -1).
pub fn atoi(arg: &str) -> i32 {
    strtol(arg, 10).map_or(0, |(v, _, _)| v as i32)
}

/// glibc `sscanf(arg, "%x", &temp) == 1` followed by iproute2's 0..=255 check.
fn scan_hex_octet(part: &str) -> Option<u8> {
    let b = part.as_bytes();
    let (neg, mut i) = skip_space_and_sign(b);
    if i + 1 < b.len() && b[i] == b'0' && (b[i + 1] | 0x20) == b'x' {
        let after = b.get(i + 2).copied().unwrap_or(0);
        if (after as char).is_ascii_hexdigit() {
            i += 2;
        }
    }
    let digits: Vec<u8> = b[i..]
        .iter()
        .copied()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    if digits.is_empty() {
        return None;
    }
    let mag = parse_digits(&digits, 16)?;
    if neg && mag != 0 {
        return None;
    }
    u8::try_from(mag).ok()
}

/// iproute2 `ll_addr_a2n()`: colon-separated hex octets (or a dotted IPv4
/// address, 4 bytes). On error returns the exact text ip prints.
pub fn ll_addr_a2n(arg: &str) -> Result<Vec<u8>, String> {
    const BUFLEN: usize = 32;
    let invalid = |s: &str| format!("\"{s}\" is invalid lladdr.");
    if arg.contains('.') {
        let ip: std::net::Ipv4Addr = arg.parse().map_err(|_| invalid(arg))?;
        return Ok(ip.octets().to_vec());
    }
    let mut out = Vec::new();
    for part in arg.split(':') {
        if out.len() == BUFLEN {
            break;
        }
        out.push(scan_hex_octet(part).ok_or_else(|| invalid(part))?);
    }
    Ok(out)
}

/// iproute2 `ll_addr_n2a()` for the link types ifnet models (hex octets).
pub fn ll_addr_n2a(addr: &[u8]) -> String {
    let parts: Vec<String> = addr.iter().map(|b| format!("{b:02x}")).collect();
    if parts.is_empty() {
        // C prints addr[0] unconditionally; an empty address never reaches
        // here from the kernel, so keep it harmless.
        return "00".to_string();
    }
    parts.join(":")
}

/// iproute2 `ll_type_n2a()`: ARPHRD number to the name `link/<name>`.
pub fn ll_type_n2a(t: u16) -> String {
    const NAMES: &[(u16, &str)] = &[
        (0, "netrom"),
        (1, "ether"),
        (2, "eether"),
        (3, "ax25"),
        (4, "pronet"),
        (5, "chaos"),
        (6, "ieee802"),
        (7, "arcnet"),
        (8, "atalk"),
        (15, "dlci"),
        (19, "atm"),
        (23, "metricom"),
        (24, "ieee1394"),
        (32, "infiniband"),
        (256, "slip"),
        (257, "cslip"),
        (258, "slip6"),
        (259, "cslip6"),
        (260, "rsrvd"),
        (264, "adapt"),
        (270, "rose"),
        (271, "x25"),
        (272, "hwx25"),
        (280, "can"),
        (512, "ppp"),
        (513, "hdlc"),
        (516, "lapb"),
        (517, "ddcmp"),
        (518, "rawhdlc"),
        (768, "ipip"),
        (769, "tunnel6"),
        (770, "frad"),
        (771, "skip"),
        (772, "loopback"),
        (773, "ltalk"),
        (774, "fddi"),
        (775, "bif"),
        (776, "sit"),
        (777, "ip/ddp"),
        (778, "gre"),
        (779, "pimreg"),
        (780, "hippi"),
        (781, "ash"),
        (782, "econet"),
        (783, "irda"),
        (784, "fcpp"),
        (785, "fcal"),
        (786, "fcpl"),
        (800, "tr"),
        (801, "ieee802.11"),
        (802, "ieee802.11/prism"),
        (803, "ieee802.11/radiotap"),
        (804, "ieee802.15.4"),
        (805, "ieee802.15.4/monitor"),
        (820, "phonet"),
        (821, "phonet_pipe"),
        (822, "caif"),
        (823, "gre6"),
        (824, "netlink"),
        (825, "6lowpan"),
        (0xfffe, "none"),
        (0xffff, "void"),
    ];
    if (787..=799).contains(&t) {
        return format!("fcfb{}", t - 787);
    }
    NAMES
        .iter()
        .find(|(n, _)| *n == t)
        .map(|(_, s)| s.to_string())
        .unwrap_or_else(|| format!("[{t}]"))
}

/// iproute2 `rtnl_group_n2a()` with the stock `/etc/iproute2/group`
/// (only "0 default").
pub fn group_n2a(id: u32) -> String {
    if id == 0 {
        "default".into()
    } else {
        (id as i32).to_string()
    }
}

/// iproute2 `rtnl_group_a2n()`.
pub fn group_a2n(arg: &str) -> Option<u32> {
    if arg == "default" {
        return Some(0);
    }
    // `i = strtol(arg, &end, 0)` into an int: the long (saturated at
    // LONG_MIN/LONG_MAX on overflow, errno unchecked) keeps its low 32
    // bits, and only a non-negative int is a group.
    let (v, _, true) = strtol(arg, 0)? else {
        return None;
    };
    let v = v as i32;
    u32::try_from(v).ok()
}

/// glibc `strerror()` for an errno number.
pub fn strerror(errno: i32) -> String {
    match errno {
        1 => "Operation not permitted".into(),
        2 => "No such file or directory".into(),
        _ => ifnet_core::Errno::from_number(errno).strerror(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_prefix_semantics() {
        // iproute2 matches(): "l" selects "link", "" matches anything.
        assert!(matches("l", "link"));
        assert!(matches("", "link"));
        assert!(!matches("links", "link"));
        assert!(matches("a", "address"));
    }

    #[test]
    fn check_ifname_mimics_dev_valid_name() {
        // check_ifname(): length < IFNAMSIZ, no '/', no whitespace.
        assert!(check_ifname("eth0"));
        assert!(!check_ifname(""));
        assert!(!check_ifname("a/b"));
        assert!(!check_ifname("bad name"));
        assert!(!check_ifname("aaaaaaaaaaaaaaaa"));
        assert!(check_ifname("aaaaaaaaaaaaaaa"));
    }

    #[test]
    fn get_integer_strtol_base0() {
        // get_integer(): strtol(arg, &ptr, 0) with full-consumption check.
        assert_eq!(get_integer("1500"), Some(1500));
        assert_eq!(get_integer("0x10"), Some(16));
        assert_eq!(get_integer("010"), Some(8));
        assert_eq!(get_integer("-5"), Some(-5));
        assert_eq!(get_integer("abc"), None);
        assert_eq!(get_integer("12abc"), None);
        assert_eq!(get_integer(""), None);
        assert_eq!(get_integer("99999999999"), None);
        assert_eq!(get_integer("09"), None);
    }

    #[test]
    fn get_integer_refuses_erange_and_never_wraps() {
        // get_integer(): strtol's LONG_MIN/LONG_MAX with ERANGE are refused;
        // nothing past the magnitude of a long wraps into range.
        assert_eq!(
            get_integer("-340282366920938463463374607431768210056"),
            None
        );
        assert_eq!(get_integer("340282366920938463463374607431768210056"), None);
        assert_eq!(get_integer("18446744073709551616"), None);
        assert_eq!(get_integer("18446744073709551615"), None);
        assert_eq!(get_integer("-18446744073709551615"), None);
        assert_eq!(get_integer("4294968696"), None);
        assert_eq!(get_integer("2147483647"), Some(i32::MAX));
        assert_eq!(get_integer("2147483648"), None);
        assert_eq!(get_integer("-2147483648"), Some(i32::MIN));
        assert_eq!(get_integer("-2147483649"), None);
        assert_eq!(get_integer(" \t+0x578"), Some(1400));
        assert_eq!(get_integer("-0x578"), Some(-1400));
        assert_eq!(get_integer("02570"), Some(1400));
        assert_eq!(get_integer("0x"), None);
        assert_eq!(get_integer(" "), None);
        assert_eq!(get_integer("1400 "), None);
    }

    #[test]
    fn strtol_strtoul_match_glibc() {
        // glibc strtol/strtoul: saturation with ERANGE, "-N" wraps for
        // strtoul only while N fits an unsigned long.
        assert_eq!(
            strtol("9223372036854775807", 0),
            Some((i64::MAX, false, true))
        );
        assert_eq!(
            strtol("9223372036854775808", 0),
            Some((i64::MAX, true, true))
        );
        assert_eq!(
            strtol("-9223372036854775808", 0),
            Some((i64::MIN, false, true))
        );
        assert_eq!(
            strtol("-9223372036854775809", 0),
            Some((i64::MIN, true, true))
        );
        assert_eq!(strtol("12abc", 10), Some((12, false, false)));
        assert_eq!(strtol("0x10", 10), Some((0, false, false)));
        assert_eq!(strtol("abc", 0), None);
        assert_eq!(strtoul("-1", 0), Some((u64::MAX, false, true)));
        assert_eq!(strtoul("-18446744073709551615", 0), Some((1, false, true)));
        assert_eq!(
            strtoul("-18446744073709551616", 0),
            Some((u64::MAX, true, true))
        );
        assert_eq!(
            strtoul("18446744073709551616", 0),
            Some((u64::MAX, true, true))
        );
        assert_eq!(strtoul("0X1f", 16), Some((31, false, true)));
    }

    #[test]
    fn atoi_is_int_cast_of_saturating_strtol() {
        // glibc atoi(): (int)strtol(s, NULL, 10).
        assert_eq!(atoi("4294967297"), 1);
        assert_eq!(atoi("4294967308"), 12);
        assert_eq!(atoi("2147483648"), i32::MIN);
        assert_eq!(atoi("99999999999999999999"), -1);
        assert_eq!(atoi("-99999999999999999999"), 0);
        assert_eq!(atoi(" 13xyz"), 13);
        assert_eq!(atoi("0x10"), 0);
        assert_eq!(atoi("+14"), 14);
        assert_eq!(atoi(""), 0);
    }

    #[test]
    fn group_a2n_keeps_the_low_32_bits_of_a_long() {
        // rtnl_group_a2n(): `int i = strtol(arg, &end, 0)`, i < 0 refused.
        assert_eq!(group_a2n("default"), Some(0));
        assert_eq!(group_a2n("4294967296"), Some(0));
        assert_eq!(group_a2n("4294968696"), Some(1400));
        assert_eq!(group_a2n("4294967295"), None);
        assert_eq!(group_a2n("-4294967295"), Some(1));
        assert_eq!(group_a2n("-18446744073709551615"), Some(0));
        assert_eq!(group_a2n("9223372036854775808"), None);
        assert_eq!(
            group_a2n("-340282366920938463463374607431768210056"),
            Some(0)
        );
        assert_eq!(group_a2n("2147483648"), None);
        assert_eq!(group_a2n("-1"), None);
        assert_eq!(group_a2n("1x"), None);
    }

    #[test]
    fn addattr_l_bound() {
        // addattr_l(): NLMSG_ALIGN(len) + RTA_ALIGN(RTA_LENGTH(alen)) > maxlen
        // prints the error and leaves the attribute out.
        let mut err = Vec::new();
        let mut len = REQ_HDR_LEN + 4;
        assert!(addattr_l(&mut err, &mut len, IPLINK_REQ_SIZE, 1016));
        assert_eq!(len, IPLINK_REQ_SIZE);
        let mut len = REQ_HDR_LEN + 4;
        assert!(!addattr_l(&mut err, &mut len, IPLINK_REQ_SIZE, 1017));
        assert_eq!(len, REQ_HDR_LEN + 4);
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "addattr_l ERROR: message exceeded bound of 1056\n"
        );
    }

    #[test]
    fn get_unsigned_nowrap_refuses_negatives() {
        assert_eq!(get_unsigned_nowrap("-18446744073709551615"), None);
        assert_eq!(get_unsigned("-18446744073709551615"), Some(1));
        assert_eq!(get_unsigned_nowrap(" 0x40"), Some(64));
    }

    #[test]
    fn get_unsigned_wraps_like_strtoul() {
        // get_unsigned(): strtoul, ERANGE refused, at most UINT_MAX.
        assert_eq!(get_unsigned("7"), Some(7));
        assert_eq!(get_unsigned("-0"), Some(0));
        assert_eq!(get_unsigned("-18446744069414584321"), Some(u32::MAX));
        assert_eq!(get_unsigned("18446744073709551616"), None);
        assert_eq!(get_unsigned("-18446744073709551616"), None);
        assert_eq!(get_unsigned(""), None);
        assert_eq!(get_unsigned("-1"), None);
        assert_eq!(get_unsigned("4294967295"), Some(u32::MAX));
        assert_eq!(get_unsigned("4294967296"), None);
    }

    #[test]
    fn ll_addr_a2n_cases() {
        // ll_addr_a2n(): per-octet sscanf("%x"), error names the octet.
        assert_eq!(
            ll_addr_a2n("00:11:22:33:44:55").unwrap(),
            vec![0, 0x11, 0x22, 0x33, 0x44, 0x55]
        );
        assert_eq!(ll_addr_a2n("00:11").unwrap(), vec![0, 0x11]);
        assert_eq!(ll_addr_a2n("zz").unwrap_err(), "\"zz\" is invalid lladdr.");
        assert_eq!(
            ll_addr_a2n("00:zz:11").unwrap_err(),
            "\"zz\" is invalid lladdr."
        );
        assert_eq!(
            ll_addr_a2n("1ff").unwrap_err(),
            "\"1ff\" is invalid lladdr."
        );
        assert_eq!(ll_addr_a2n("1g").unwrap(), vec![1]);
        assert_eq!(ll_addr_a2n("1.2.3.4").unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(ll_addr_a2n("").unwrap_err(), "\"\" is invalid lladdr.");
    }

    #[test]
    fn ll_type_n2a_names() {
        assert_eq!(ll_type_n2a(1), "ether");
        assert_eq!(ll_type_n2a(772), "loopback");
        assert_eq!(ll_type_n2a(0xfffe), "none");
        assert_eq!(ll_type_n2a(32), "infiniband");
        assert_eq!(ll_type_n2a(4242), "[4242]");
    }
}
