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
use super::{IFINFOMSG_LEN, NLMSG_HDRLEN};
use netlink_packet_core::{Emitable, NetlinkHeader, NetlinkMessage, NetlinkPayload, Nla};
use netlink_packet_route::link::{LinkAttribute, LinkHeader, LinkInfo};
use netlink_packet_route::RouteNetlinkMessage;

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

/// Why a message cannot be put on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// An attribute whose header plus value would not fit `nla_len` (u16):
    /// its type and value length.
    AttributeTooLong { kind: u16, value_len: usize },
    /// A message longer than [`MAX_MESSAGE_BYTES`].
    MessageTooLong(usize),
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodeError::AttributeTooLong { kind, value_len } => write!(
                f,
                "attribute type {kind} with {value_len} value bytes exceeds the \
                 netlink attribute limit of {MAX_NLA_VALUE} bytes"
            ),
            EncodeError::MessageTooLong(len) => write!(
                f,
                "message of {len} bytes exceeds the limit of {MAX_MESSAGE_BYTES} bytes"
            ),
        }
    }
}

impl std::error::Error for EncodeError {}

/// The longest attribute value `nla_len` (u16, header included) can say.
pub const MAX_NLA_VALUE: usize = u16::MAX as usize - NLA_HDRLEN;
/// The longest message the encoder writes: what the kernel model accepts in
/// one request ([`super::MAX_REQUEST_BYTES`]).
pub const MAX_MESSAGE_BYTES: usize = super::MAX_REQUEST_BYTES;

/// Every attribute of `nlas` fits `nla_len`. A nested attribute's value
/// holds its children whole, so checking the top level covers every level.
fn nlas_fit<T: Nla>(nlas: &[T]) -> Result<(), EncodeError> {
    for nla in nlas {
        let value_len = nla.value_len();
        if value_len > MAX_NLA_VALUE {
            return Err(EncodeError::AttributeTooLong {
                kind: nla.kind(),
                value_len,
            });
        }
    }
    Ok(())
}

/// The attribute lists of a message, checked against `nla_len`.
fn message_fits(msg: &RouteNetlinkMessage) -> Result<(), EncodeError> {
    use RouteNetlinkMessage as R;
    match msg {
        R::NewLink(m)
        | R::DelLink(m)
        | R::GetLink(m)
        | R::SetLink(m)
        | R::NewLinkProp(m)
        | R::DelLinkProp(m) => nlas_fit(&m.attributes),
        R::NewAddress(m) | R::DelAddress(m) | R::GetAddress(m) => nlas_fit(&m.attributes),
        R::NewAddrLabel(m) | R::DelAddrLabel(m) | R::GetAddrLabel(m) => nlas_fit(&m.attributes),
        R::NewNeighbour(m) | R::GetNeighbour(m) | R::DelNeighbour(m) => nlas_fit(&m.attributes),
        R::NewNeighbourTable(m) | R::GetNeighbourTable(m) | R::SetNeighbourTable(m) => {
            nlas_fit(&m.attributes)
        }
        R::NewRoute(m) | R::DelRoute(m) | R::GetRoute(m) => nlas_fit(&m.attributes),
        R::NewPrefix(m) => nlas_fit(&m.attributes),
        R::NewQueueDiscipline(m)
        | R::DelQueueDiscipline(m)
        | R::GetQueueDiscipline(m)
        | R::NewTrafficClass(m)
        | R::DelTrafficClass(m)
        | R::GetTrafficClass(m)
        | R::NewTrafficFilter(m)
        | R::DelTrafficFilter(m)
        | R::GetTrafficFilter(m)
        | R::NewTrafficChain(m)
        | R::DelTrafficChain(m)
        | R::GetTrafficChain(m) => nlas_fit(&m.attributes),
        R::NewTrafficAction(m) | R::DelTrafficAction(m) | R::GetTrafficAction(m) => {
            nlas_fit(&m.attributes)
        }
        R::NewStats(m) | R::GetStats(m) => nlas_fit(&m.attributes),
        R::NewNsId(m) | R::DelNsId(m) | R::GetNsId(m) => nlas_fit(&m.attributes),
        R::NewRule(m) | R::DelRule(m) | R::GetRule(m) => nlas_fit(&m.attributes),
        #[allow(unreachable_patterns)]
        _ => Ok(()),
    }
}

/// The bytes of `msg` like [`to_bytes`], or why netlink cannot carry it:
/// an attribute longer than `nla_len` can say (netlink-packet-core would
/// panic writing it), or a message longer than [`MAX_MESSAGE_BYTES`].
/// Never panics.
pub fn try_to_bytes(msg: NetlinkMessage<RouteNetlinkMessage>) -> Result<Vec<u8>, EncodeError> {
    if let NetlinkPayload::InnerMessage(inner) = &msg.payload {
        message_fits(inner)?;
    }
    let len = msg.buffer_len();
    if len > MAX_MESSAGE_BYTES {
        return Err(EncodeError::MessageTooLong(len));
    }
    Ok(to_bytes(msg))
}

/// The bytes of `msg`, with `length` and `message_type` filled in (what
/// `NetlinkMessage::finalize()` + `serialize()` produce). For messages the
/// kernel model builds itself, whose sizes its own limits bound; anything
/// carrying a caller's data goes through [`try_to_bytes`].
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
    // The nest was sized by value_len: a mismatch would emit garbage.
    assert_eq!(inner, at + NLA_HDRLEN + value_len, "IFLA_LINKINFO size");
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
        assert_eq!(
            ifinfo.buffer_len(),
            IFINFOMSG_LEN,
            "sizeof(struct ifinfomsg)"
        );
        ifinfo.emit(&mut self.buf[NLMSG_HDRLEN..NLMSG_HDRLEN + IFINFOMSG_LEN]);
        self.buf
    }
}

impl IflaSink for LinkBytes {
    fn put(&mut self, attr: LinkAttribute) {
        self.put_ref(&attr);
    }
}
