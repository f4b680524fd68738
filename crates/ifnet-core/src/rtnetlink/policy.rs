//! `ifla_policy` checks that run on a request's raw bytes, before
//! netlink-packet-route decodes it (`__nla_validate_parse()` →
//! `validate_nla()` in lib/nlattr.c): the decoder strips trailing NULs and
//! cannot represent an empty nest, so these must see the bytes themselves.

use crate::consts::*;
use crate::errno::{Errno, KError, KResult};

/// IFLA_ALT_IFNAME (53), which netlink-packet-route has no variant for.
const IFLA_ALT_IFNAME: u16 = 53;

/// `ifla_policy`'s string attributes checked on the raw attribute bytes of
/// an ifinfomsg request (`__nla_validate_parse()` → `validate_nla()`), in
/// attribute order, before anything is decoded: the decoder strips a
/// trailing NUL and cannot tell an empty attribute from "\0".
/// IFLA_IFNAME and IFLA_ALT_IFNAME are NLA_STRING (at least one byte, at
/// most IFNAMSIZ-1 / ALTIFNAMSIZ-1 once a trailing NUL is dropped);
/// IFLA_IFALIAS is NLA_BINARY (at most IFALIASZ-1 bytes, NUL included).
/// A malformed tail ends the walk, as `nla_for_each_attr` does.
pub(crate) fn validate_ifla_strings(attrs: &[u8]) -> KResult<()> {
    const IFLA_IFNAME: u16 = 3;
    const IFLA_IFALIAS: u16 = 20;
    const NLA_TYPE_MASK: u16 = 0x3fff;
    let mut rest = attrs;
    while rest.len() >= 4 {
        let len = usize::from(u16::from_ne_bytes([rest[0], rest[1]]));
        if len < 4 || len > rest.len() {
            break;
        }
        let value = &rest[4..len];
        match u16::from_ne_bytes([rest[2], rest[3]]) & NLA_TYPE_MASK {
            IFLA_IFNAME => nla_string(value, IFNAMSIZ - 1)?,
            IFLA_ALT_IFNAME => nla_string(value, ALTIFNAMSIZ - 1)?,
            IFLA_IFALIAS if value.len() > crate::flags::IFALIASZ - 1 => return Err(policy_err()),
            _ => {}
        }
        rest = &rest[((len + 3) & !3).min(rest.len())..];
    }
    Ok(())
}

/// An ifinfomsg request without its empty IFLA_LINKINFO nests (a header
/// and nothing in it, as ip sends when IFLA_INFO_KIND did not fit its
/// buffer), or `None` when it has none. The kernel reads such a nest as
/// "no kind" (creating: "Unknown device type"; changing: nothing to do);
/// netlink-packet-route cannot decode an empty nest, so the model drops it
/// before decoding, which means the same.
pub(crate) fn without_empty_linkinfo(msg: &[u8]) -> Option<Vec<u8>> {
    const IFLA_LINKINFO: u16 = 18;
    const NLA_TYPE_MASK: u16 = 0x3fff;
    const START: usize = 32;
    let attr_at = |b: &[u8], at: usize| -> Option<(usize, u16)> {
        let h = b.get(at..at + 4)?;
        let len = usize::from(u16::from_ne_bytes([h[0], h[1]]));
        (len >= 4 && at + len <= b.len())
            .then_some((len, u16::from_ne_bytes([h[2], h[3]]) & NLA_TYPE_MASK))
    };
    let mut at = START;
    let mut found = false;
    while let Some((len, kind)) = attr_at(msg, at) {
        found |= kind == IFLA_LINKINFO && len == 4;
        at += (len + 3) & !3;
    }
    if !found {
        return None;
    }
    let mut out = msg[..START.min(msg.len())].to_vec();
    let mut at = START;
    while let Some((len, kind)) = attr_at(msg, at) {
        let end = (at + ((len + 3) & !3)).min(msg.len());
        if !(kind == IFLA_LINKINFO && len == 4) {
            out.extend_from_slice(&msg[at..end]);
        }
        at = end;
    }
    out.extend_from_slice(msg.get(at..).unwrap_or(&[]));
    let total = out.len() as u32;
    out[..4].copy_from_slice(&total.to_ne_bytes());
    Some(out)
}

/// `validate_nla()` for NLA_STRING with a length.
fn nla_string(value: &[u8], max: usize) -> KResult<()> {
    let Some(&last) = value.last() else {
        return Err(policy_err());
    };
    let len = value.len() - usize::from(last == 0);
    if len > max {
        return Err(policy_err());
    }
    Ok(())
}

/// `validate_nla()`'s `out_err`: -ERANGE with the policy extack.
fn policy_err() -> KError {
    KError::msg(Errno::ERANGE, "Attribute failed policy validation")
}
