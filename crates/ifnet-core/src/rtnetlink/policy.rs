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

/// An ifinfomsg request whose IFLA_LINKINFO names a `KIND_slave` kind with
/// IFLA_INFO_SLAVE_DATA but no IFLA_INFO_SLAVE_KIND — what `ip link set
/// DEV type bond_slave …` sends — with IFLA_INFO_SLAVE_KIND "KIND" added
/// after the kind, or `None` for any other request. The kernel parses the
/// slave data with the master's `slave_policy` whatever the kind says;
/// netlink-packet-route needs a port kind before the data to decode it.
pub(crate) fn with_slave_kind(msg: &[u8]) -> Option<Vec<u8>> {
    const START: usize = 32;
    const IFLA_LINKINFO: u16 = 18;
    const IFLA_INFO_KIND: u16 = 1;
    const IFLA_INFO_SLAVE_KIND: u16 = 4;
    const IFLA_INFO_SLAVE_DATA: u16 = 5;
    let attrs = |b: &[u8], mut at: usize, end: usize| {
        let mut v = Vec::new();
        while at + 4 <= end {
            let len = usize::from(u16::from_ne_bytes([b[at], b[at + 1]]));
            if len < 4 || at + len > end {
                break;
            }
            v.push((at, len, u16::from_ne_bytes([b[at + 2], b[at + 3]]) & 0x3fff));
            at += (len + 3) & !3;
        }
        v
    };
    let (li, li_len, _) = *attrs(msg, START, msg.len())
        .iter()
        .find(|a| a.2 == IFLA_LINKINFO)?;
    let inner = attrs(msg, li + 4, li + li_len);
    let &(ka, kl, _) = inner.iter().find(|a| a.2 == IFLA_INFO_KIND)?;
    if !inner.iter().any(|a| a.2 == IFLA_INFO_SLAVE_DATA)
        || inner.iter().any(|a| a.2 == IFLA_INFO_SLAVE_KIND)
    {
        return None;
    }
    let kind = &msg[ka + 4..ka + kl];
    let kind = kind.strip_suffix(&[0]).unwrap_or(kind);
    let master_kind = kind.strip_suffix(b"_slave")?;
    let mut nla = Vec::new();
    nla.extend_from_slice(&((4 + master_kind.len()) as u16).to_ne_bytes());
    nla.extend_from_slice(&IFLA_INFO_SLAVE_KIND.to_ne_bytes());
    nla.extend_from_slice(master_kind);
    nla.resize((nla.len() + 3) & !3, 0);
    let kind_end = ka + ((kl + 3) & !3);
    let mut out = msg[..kind_end].to_vec();
    out.extend_from_slice(&nla);
    out.extend_from_slice(&msg[kind_end..]);
    let new_li_len = (li_len + nla.len()) as u16;
    out[li..li + 2].copy_from_slice(&new_li_len.to_ne_bytes());
    let total = out.len() as u32;
    out[..4].copy_from_slice(&total.to_ne_bytes());
    Some(out)
}
