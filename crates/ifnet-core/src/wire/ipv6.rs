//! The IPv6 fixed header (RFC 8200 §3) and the two ICMPv6 messages
//! duplicate address detection puts on the wire: neighbour solicitation
//! and advertisement (RFC 4861 §4.3–4.4, with the RFC 7527 nonce option).
//! `Repr` types parse from and emit into byte buffers; ICMPv6 checksums
//! cover the pseudo-header (RFC 8200 §8.1), as `icmpv6_rcv` verifies them.
//!
//! These sit above the link layer: a frame's network header is found
//! through the device's `header_ops->parse_protocol` (driver.rs), and the
//! hard header is built by its `header_ops->create`.

use super::{Error, Result};
use std::net::Ipv6Addr;

/// The fixed header's length.
pub const HEADER_LEN: usize = 40;
/// `NEXTHDR_ICMP`.
pub const NEXTHDR_ICMP: u8 = 58;
/// ICMPv6 types of neighbour discovery.
pub const NDISC_NEIGHBOUR_SOLICITATION: u8 = 135;
pub const NDISC_NEIGHBOUR_ADVERTISEMENT: u8 = 136;
/// ND option types (`ND_OPT_*`).
pub const ND_OPT_SOURCE_LL_ADDR: u8 = 1;
pub const ND_OPT_TARGET_LL_ADDR: u8 = 2;
pub const ND_OPT_NONCE: u8 = 14;
/// `struct nd_msg`: the ICMPv6 header (4), flags/reserved (4), target (16).
pub const ND_MSG_LEN: usize = 24;

mod field {
    use std::ops::Range;
    pub const PAYLOAD_LEN: Range<usize> = 4..6;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: Range<usize> = 8..24;
    pub const DST: Range<usize> = 24..40;
}

fn addr_at(b: &[u8], r: std::ops::Range<usize>) -> Ipv6Addr {
    let mut o = [0u8; 16];
    o.copy_from_slice(&b[r]);
    Ipv6Addr::from(o)
}

/// The fixed header of an IPv6 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Repr {
    pub src_addr: Ipv6Addr,
    pub dst_addr: Ipv6Addr,
    pub next_header: u8,
    pub hop_limit: u8,
    pub payload_len: usize,
}

impl Ipv6Repr {
    /// Reads the header of `packet` and returns it with the payload it
    /// declares (`ipv6_rcv`: version 6, the payload within the buffer;
    /// bytes past it are link-layer padding).
    pub fn parse(packet: &[u8]) -> Result<(Ipv6Repr, &[u8])> {
        if packet.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if packet[0] >> 4 != 6 {
            return Err(Error::Malformed);
        }
        let b = &packet[field::PAYLOAD_LEN];
        let payload_len = usize::from(u16::from_be_bytes([b[0], b[1]]));
        let payload = packet
            .get(HEADER_LEN..HEADER_LEN + payload_len)
            .ok_or(Error::Truncated)?;
        let repr = Ipv6Repr {
            src_addr: addr_at(packet, field::SRC),
            dst_addr: addr_at(packet, field::DST),
            next_header: packet[field::NEXT_HEADER],
            hop_limit: packet[field::HOP_LIMIT],
            payload_len,
        };
        Ok((repr, payload))
    }

    /// Appends the header (traffic class and flow label 0) to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[0x60, 0, 0, 0]);
        out.extend_from_slice(&(self.payload_len as u16).to_be_bytes());
        out.extend_from_slice(&[self.next_header, self.hop_limit]);
        out.extend_from_slice(&self.src_addr.octets());
        out.extend_from_slice(&self.dst_addr.octets());
    }
}

/// The ICMPv6 checksum of `msg` (its checksum field included) between
/// `src` and `dst`: 0 when `msg` carries a correct one.
pub fn icmpv6_checksum(src: &Ipv6Addr, dst: &Ipv6Addr, msg: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut add = |b: &[u8]| {
        for c in b.chunks(2) {
            let hi = u32::from(c[0]) << 8;
            sum += hi | c.get(1).map_or(0, |&lo| u32::from(lo));
        }
    };
    add(&src.octets());
    add(&dst.octets());
    add(&(msg.len() as u32).to_be_bytes());
    add(&[0, 0, 0, NEXTHDR_ICMP]);
    add(msg);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A neighbour solicitation or advertisement, with the options DAD uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NdiscRepr<'a> {
    NeighborSolicit {
        target: Ipv6Addr,
        /// The RFC 7527 nonce (48 bits), if the option is present.
        nonce: Option<u64>,
        /// The source link-layer address option's data (padding included).
        source_lladdr: Option<&'a [u8]>,
    },
    NeighborAdvert {
        router: bool,
        solicited: bool,
        override_: bool,
        target: Ipv6Addr,
        /// The target link-layer address option's data (padding included).
        target_lladdr: Option<&'a [u8]>,
    },
}

/// The ND options of a message as `ndisc_parse_options` walks them:
/// (type, data after the 2-byte type/length). A zero length or one past
/// the end makes the whole message invalid.
fn nd_options(mut rest: &[u8]) -> Result<Vec<(u8, &[u8])>> {
    let mut opts = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(Error::Malformed);
        }
        let len = usize::from(rest[1]) * 8;
        if len == 0 || len > rest.len() {
            return Err(Error::Malformed);
        }
        let (opt, tail) = rest.split_at(len);
        opts.push((opt[0], &opt[2..]));
        rest = tail;
    }
    Ok(opts)
}

impl<'a> NdiscRepr<'a> {
    /// Parses an ICMPv6 message from `src` to `dst` as `icmpv6_rcv` and
    /// `ndisc_rcv` accept it: a correct checksum, code 0, at least a whole
    /// `nd_msg`, well-formed options. `Ok(None)`: another ICMPv6 type.
    pub fn parse(src: &Ipv6Addr, dst: &Ipv6Addr, msg: &'a [u8]) -> Result<Option<Self>> {
        if msg.len() < 4 {
            return Err(Error::Truncated);
        }
        if icmpv6_checksum(src, dst, msg) != 0 || msg[1] != 0 {
            return Err(Error::Malformed);
        }
        let kind = msg[0];
        if kind != NDISC_NEIGHBOUR_SOLICITATION && kind != NDISC_NEIGHBOUR_ADVERTISEMENT {
            return Ok(None);
        }
        if msg.len() < ND_MSG_LEN {
            return Err(Error::Truncated);
        }
        let target = addr_at(msg, 8..24);
        let opts = nd_options(&msg[ND_MSG_LEN..])?;
        let find = |t: u8| opts.iter().find(|(ty, _)| *ty == t).map(|(_, v)| *v);
        Ok(Some(if kind == NDISC_NEIGHBOUR_SOLICITATION {
            let nonce = find(ND_OPT_NONCE).filter(|v| v.len() == 6).map(|v| {
                let mut b = [0u8; 8];
                b[2..].copy_from_slice(&v[..6]);
                u64::from_be_bytes(b)
            });
            NdiscRepr::NeighborSolicit {
                target,
                nonce,
                source_lladdr: find(ND_OPT_SOURCE_LL_ADDR),
            }
        } else {
            NdiscRepr::NeighborAdvert {
                router: msg[4] & 0x80 != 0,
                solicited: msg[4] & 0x40 != 0,
                override_: msg[4] & 0x20 != 0,
                target,
                target_lladdr: find(ND_OPT_TARGET_LL_ADDR),
            }
        }))
    }

    /// Appends the message, checksum filled in for `src` → `dst`.
    /// `lladdr_pad` is `ndisc_addr_option_pad(dev->type)` (2 on
    /// InfiniBand): zero bytes before a link-layer address option's data.
    pub fn emit(&self, src: &Ipv6Addr, dst: &Ipv6Addr, lladdr_pad: usize, out: &mut Vec<u8>) {
        let start = out.len();
        let (kind, flags, target) = match *self {
            NdiscRepr::NeighborSolicit { target, .. } => (NDISC_NEIGHBOUR_SOLICITATION, 0, target),
            NdiscRepr::NeighborAdvert {
                router,
                solicited,
                override_,
                target,
                ..
            } => {
                let f = u8::from(router) << 7 | u8::from(solicited) << 6 | u8::from(override_) << 5;
                (NDISC_NEIGHBOUR_ADVERTISEMENT, f, target)
            }
        };
        out.extend_from_slice(&[kind, 0, 0, 0, flags, 0, 0, 0]);
        out.extend_from_slice(&target.octets());
        match *self {
            NdiscRepr::NeighborSolicit {
                nonce,
                source_lladdr,
                ..
            } => {
                if let Some(a) = source_lladdr {
                    emit_lladdr_option(out, ND_OPT_SOURCE_LL_ADDR, a, lladdr_pad);
                }
                if let Some(n) = nonce {
                    out.extend_from_slice(&[ND_OPT_NONCE, 1]);
                    out.extend_from_slice(&n.to_be_bytes()[2..]);
                }
            }
            NdiscRepr::NeighborAdvert { target_lladdr, .. } => {
                if let Some(a) = target_lladdr {
                    emit_lladdr_option(out, ND_OPT_TARGET_LL_ADDR, a, lladdr_pad);
                }
            }
        }
        let csum = icmpv6_checksum(src, dst, &out[start..]);
        out[start + 2..start + 4].copy_from_slice(&csum.to_be_bytes());
    }
}

/// `ndisc_fill_addr_option()`: type, length in 8-byte units, `pad` zero
/// bytes, the address, zeros to the next 8-byte boundary.
fn emit_lladdr_option(out: &mut Vec<u8>, kind: u8, addr: &[u8], pad: usize) {
    let space = (2 + pad + addr.len()).div_ceil(8) * 8;
    out.extend_from_slice(&[kind, (space / 8) as u8]);
    out.resize(out.len() + pad, 0);
    out.extend_from_slice(addr);
    out.resize(out.len() + space - 2 - pad - addr.len(), 0);
}

#[cfg(test)]
mod tests;
