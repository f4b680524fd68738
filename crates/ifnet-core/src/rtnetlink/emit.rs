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
//! kinds go through the crate unchanged. `tests/emit_equivalence.rs` checks
//! the bytes against the crate's own `serialize()`.

use super::fill::IflaSink;
use netlink_packet_core::{Emitable, NetlinkHeader, NetlinkMessage, NetlinkPayload, Nla};
use netlink_packet_route::link::{LinkAttribute, LinkHeader, LinkInfo};
use netlink_packet_route::RouteNetlinkMessage;

/// NLMSG_HDRLEN.
const NLMSG_HDRLEN: usize = 16;
/// sizeof(struct ifinfomsg).
const IFINFOMSG_LEN: usize = 16;
/// NLA_HDRLEN.
const NLA_HDRLEN: usize = 4;

const fn nla_align(len: usize) -> usize {
    (len + 3) & !3
}

/// An nlmsghdr without its length (set when the message is written).
pub(crate) fn nl_header(message_type: u16, flags: u16, seq: u32) -> NetlinkHeader {
    let mut h = NetlinkHeader::default();
    h.message_type = message_type;
    h.flags = flags;
    h.sequence_number = seq;
    h
}

/// The bytes of `msg`, with `length` and `message_type` filled in (what
/// `NetlinkMessage::finalize()` + `serialize()` produce).
pub fn to_bytes(mut msg: NetlinkMessage<RouteNetlinkMessage>) -> Vec<u8> {
    msg.header.message_type = msg.payload.message_type();
    if let NetlinkPayload::InnerMessage(
        RouteNetlinkMessage::NewLink(m)
        | RouteNetlinkMessage::DelLink(m)
        | RouteNetlinkMessage::GetLink(m)
        | RouteNetlinkMessage::SetLink(m),
    ) = &msg.payload
    {
        let mut b = LinkBytes::new();
        for attr in &m.attributes {
            b.put_ref(attr);
        }
        return b.finish(msg.header, &m.header);
    }
    let len = msg.buffer_len();
    msg.header.length = len as u32;
    let mut buf = vec![0u8; len];
    msg.serialize(&mut buf);
    buf
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
/// (already zero: the buffer is zero-extended first). Returns the next
/// offset.
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

/// An RTM_*LINK message written attribute by attribute: by the fill
/// (`IflaSink`, no `Vec<LinkAttribute>` in between) and by `to_bytes` for a
/// whole `LinkMessage`. Each `value_len()` is taken once. The two headers
/// are written by `finish`, once the length and the ifinfomsg are known.
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

    fn put_ref(&mut self, attr: &LinkAttribute) {
        let value_len = link_attr_value_len(attr);
        let at = self.buf.len();
        self.buf.resize(at + NLA_HDRLEN + nla_align(value_len), 0);
        emit_link_attr(&mut self.buf, at, attr, value_len);
    }

    /// The finished message: `header` (type, flags, sequence, port; its
    /// length is set here) and the ifinfomsg in front of the attributes.
    pub(crate) fn finish(mut self, mut header: NetlinkHeader, ifinfo: &LinkHeader) -> Vec<u8> {
        header.length = self.buf.len() as u32;
        header.emit(&mut self.buf[..NLMSG_HDRLEN]);
        debug_assert_eq!(ifinfo.buffer_len(), IFINFOMSG_LEN);
        ifinfo.emit(&mut self.buf[NLMSG_HDRLEN..NLMSG_HDRLEN + IFINFOMSG_LEN]);
        self.buf
    }
}

impl IflaSink for LinkBytes {
    fn put(&mut self, attr: LinkAttribute) {
        self.put_ref(&attr);
    }
}
