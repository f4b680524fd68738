//! One-pass serialisation of netlink messages.
//!
//! `netlink-packet-core`'s `Emitable for &[T: Nla]` asks every attribute for
//! its `value_len()` about seven times (twice for the message length, then
//! twice in `buffer_len()` and three times in `emit()` per attribute), and a
//! nested attribute repeats that for each level. Under a 4,000-device batch
//! the GETLINK replies spent most of their time there. This module keeps the
//! crate's encoding of every attribute value (`Nla::kind`, `Nla::value_len`,
//! `Nla::emit_value`) and of the fixed headers, and only walks the top-level
//! attribute list itself: each `value_len()` is computed once. Other message
//! kinds go through the crate unchanged. `tests/rtnetlink.rs` checks the
//! bytes against the crate's own `serialize()`.

use super::fill::IflaSink;
use netlink_packet_core::{Emitable, NetlinkHeader, NetlinkMessage, NetlinkPayload, Nla};
use netlink_packet_route::link::{LinkAttribute, LinkHeader, LinkInfo, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;

/// NLMSG_HDRLEN.
const NLMSG_HDRLEN: usize = 16;
/// sizeof(struct ifinfomsg).
const IFINFOMSG_LEN: usize = 16;
/// NLA_HDRLEN.
const NLA_HDRLEN: usize = 4;
/// Attributes per message handled on the stack; longer lists fall back to
/// the crate (no modelled message has more than ~45).
const MAX_ATTRS: usize = 96;

const fn nla_align(len: usize) -> usize {
    (len + 3) & !3
}

/// The bytes of `msg`, with `length` and `message_type` filled in (what
/// `NetlinkMessage::finalize()` + `serialize()` produce).
pub fn to_bytes(mut msg: NetlinkMessage<RouteNetlinkMessage>) -> Vec<u8> {
    msg.header.message_type = msg.payload.message_type();
    if let NetlinkPayload::InnerMessage(inner) = &msg.payload {
        if let Some(link) = link_message(inner) {
            if let Some(out) = emit_link(&msg.header, link) {
                return out;
            }
        }
    }
    let len = msg.buffer_len();
    msg.header.length = len as u32;
    let mut buf = vec![0u8; len];
    msg.serialize(&mut buf);
    buf
}

fn link_message(inner: &RouteNetlinkMessage) -> Option<&LinkMessage> {
    match inner {
        RouteNetlinkMessage::NewLink(m)
        | RouteNetlinkMessage::DelLink(m)
        | RouteNetlinkMessage::GetLink(m)
        | RouteNetlinkMessage::SetLink(m) => Some(m),
        _ => None,
    }
}

/// nlmsghdr + ifinfomsg + the attributes, each `value_len()` taken once.
fn emit_link(header: &NetlinkHeader, m: &LinkMessage) -> Option<Vec<u8>> {
    if m.attributes.len() > MAX_ATTRS {
        return None;
    }
    let mut value_lens = [0usize; MAX_ATTRS];
    let fixed = m.header.buffer_len();
    let mut len = NLMSG_HDRLEN + fixed;
    for (slot, nla) in value_lens.iter_mut().zip(&m.attributes) {
        *slot = link_attr_value_len(nla);
        len += NLA_HDRLEN + nla_align(*slot);
    }
    let mut buf = vec![0u8; len];
    let mut h = *header;
    h.length = len as u32;
    h.emit(&mut buf[..NLMSG_HDRLEN]);
    m.header.emit(&mut buf[NLMSG_HDRLEN..NLMSG_HDRLEN + fixed]);
    let mut at = NLMSG_HDRLEN + fixed;
    for (nla, &value_len) in m.attributes.iter().zip(&value_lens) {
        at = emit_link_attr(&mut buf, at, nla, value_len);
    }
    debug_assert_eq!(at, len, "every byte of the message written");
    Some(buf)
}

/// IFLA_LINKINFO is walked here too (its items once each); every other
/// attribute's value is the crate's.
fn link_attr_value_len(nla: &LinkAttribute) -> usize {
    match nla {
        LinkAttribute::LinkInfo(infos) => infos
            .iter()
            .map(|i| NLA_HDRLEN + nla_align(i.value_len()))
            .sum(),
        other => other.value_len(),
    }
}

fn emit_link_attr(buf: &mut [u8], at: usize, nla: &LinkAttribute, value_len: usize) -> usize {
    let LinkAttribute::LinkInfo(infos) = nla else {
        return emit_nla(buf, at, nla, value_len);
    };
    write_nla_header(buf, at, nla.kind(), value_len);
    let mut inner = at + NLA_HDRLEN;
    for info in infos {
        inner = emit_nla(buf, inner, info, info.value_len());
    }
    debug_assert_eq!(inner, at + NLA_HDRLEN + value_len);
    at + NLA_HDRLEN + nla_align(value_len)
}

/// Attribute types whose NLA_F_NESTED / NLA_F_NET_BYTEORDER flags are part
/// of `kind()` (they keep `Nla`'s default `is_nested()` and
/// `is_network_byteorder()`), so one `kind()` call gives the whole header.
trait FlagsInKind: Nla {}
impl FlagsInKind for LinkAttribute {}
impl FlagsInKind for LinkInfo {}

/// One attribute at `buf[at..]`: its header, the value, then zero padding
/// (already zero: `buf` is freshly zeroed). Returns the next offset.
fn emit_nla<T: FlagsInKind>(buf: &mut [u8], at: usize, nla: &T, value_len: usize) -> usize {
    write_nla_header(buf, at, nla.kind(), value_len);
    nla.emit_value(&mut buf[at + NLA_HDRLEN..at + NLA_HDRLEN + value_len]);
    at + NLA_HDRLEN + nla_align(value_len)
}

/// `struct nlattr`: the unpadded length, then the type with its flags.
fn write_nla_header(buf: &mut [u8], at: usize, kind: u16, value_len: usize) {
    let total = NLA_HDRLEN + value_len;
    buf[at..at + 2].copy_from_slice(&(total as u16).to_ne_bytes());
    buf[at + 2..at + 4].copy_from_slice(&kind.to_ne_bytes());
}

/// An RTM_NEWLINK / RTM_DELLINK written as it is filled (`IflaSink`): the
/// attributes go straight into the reply bytes, each `value_len()` taken
/// once, without a `Vec<LinkAttribute>` in between. The two headers are
/// written by `finish`, once the length and the ifinfomsg are known.
pub(crate) struct LinkBytes {
    buf: Vec<u8>,
}

/// A fill is ~300 bytes for a veth, ~500 with IFLA_STATS64.
const LINK_BYTES_CAPACITY: usize = 640;

impl LinkBytes {
    pub(crate) fn new() -> LinkBytes {
        let mut buf = Vec::with_capacity(LINK_BYTES_CAPACITY);
        buf.resize(NLMSG_HDRLEN + IFINFOMSG_LEN, 0);
        LinkBytes { buf }
    }

    /// The finished message: nlmsghdr (type, flags, sequence, length) and
    /// ifinfomsg in front of the attributes.
    pub(crate) fn finish(
        mut self,
        message_type: u16,
        flags: u16,
        seq: u32,
        ifinfo: &LinkHeader,
    ) -> Vec<u8> {
        let mut h = NetlinkHeader::default();
        h.length = self.buf.len() as u32;
        h.message_type = message_type;
        h.flags = flags;
        h.sequence_number = seq;
        h.emit(&mut self.buf[..NLMSG_HDRLEN]);
        debug_assert_eq!(ifinfo.buffer_len(), IFINFOMSG_LEN);
        ifinfo.emit(&mut self.buf[NLMSG_HDRLEN..NLMSG_HDRLEN + IFINFOMSG_LEN]);
        self.buf
    }
}

impl IflaSink for LinkBytes {
    fn put(&mut self, attr: LinkAttribute) {
        let value_len = link_attr_value_len(&attr);
        let at = self.buf.len();
        self.buf.resize(at + NLA_HDRLEN + nla_align(value_len), 0);
        emit_link_attr(&mut self.buf, at, &attr, value_len);
    }
}
