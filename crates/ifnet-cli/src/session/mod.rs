//! One ip process talking to the kernel model: the rtnetlink socket
//! (`lib/libnetlink.c` rtnl_talk / rtnl_dump), its error printing, and the
//! link cache lookups (`ll_name_to_index`, `ll_index_to_name`).
//!
//! Around it, the machinery of one invocation: `state` (the state file's
//! format and lock), `statefs` (its file-system defences), `hold` (lock →
//! load → run → save, repeated by a batch around waits for input),
//! `batch` (lib/utils.c do_batch), `interrupt` (Ctrl-C).

pub mod batch;
pub mod hold;
pub mod interrupt;
pub mod state;
pub mod statefs;

use ifnet_core::rtnetlink::NetlinkSocket;
use ifnet_core::{Kernel, NetId};
use netlink_packet_core::{
    DefaultNla, ErrorBuffer, NetlinkBuffer, NetlinkMessage, NetlinkPayload, NLMSG_ERROR, NLM_F_ACK,
    NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage, Prop};
use netlink_packet_route::RouteNetlinkMessage;

use crate::ip::args::Opts;
use crate::ip::jsonw::Printer;
use crate::ip::llmap::{idx_a2n, LinkSeen, LlCache};
use crate::ip::util::{check_ifname, strerror};

/// RTM_NEWLINK.
const RTM_NEWLINK: u16 = 16;
/// EIO, what a truncated error message leaves rtnl_talk() with.
const EIO: i32 = 5;
/// EMSGSIZE: a request netlink cannot carry.
const EMSGSIZE: i32 = 90;

/// IFLA_ALT_IFNAME, which netlink-packet-route has no variant for.
const IFLA_ALT_IFNAME: u16 = 53;

/// The state of one `ip` process (or one `-batch` run).
pub struct Session {
    pub k: Kernel,
    /// /var/run/netns: the names user space gave namespaces.
    pub names: ifnet_core::user_space::NetnsNames,
    pub net: NetId,
    pub opts: Opts,
    /// stdout (text or JSON).
    pub p: Printer,
    /// stderr.
    pub err: Vec<u8>,
    pub ll: LlCache,
    pub batch_mode: bool,
    /// Set once a request that can change state was sent.
    pub dirty: bool,
    seq: u32,
    /// The rtnetlink socket `rtnl_open()` opened: NETLINK_EXT_ACK, no
    /// NETLINK_CAP_ACK, bound to the process id (autobind's first choice).
    /// It follows `net` (ip switches namespace before opening it).
    sock: NetlinkSocket,
}

/// A dump ended with an error (ip prints "Dump terminated").
#[derive(Debug)]
pub struct DumpTerminated;

/// A decoded kernel answer to one request.
pub enum Reply {
    Ack,
    Link(LinkMessage),
}

impl Session {
    pub fn new(k: Kernel, net: NetId, opts: Opts) -> Session {
        let p = Printer::new(opts.json, opts.pretty);
        Session {
            k,
            names: Default::default(),
            net,
            opts,
            p,
            err: Vec::new(),
            ll: LlCache::default(),
            batch_mode: false,
            dirty: false,
            seq: 0,
            sock: NetlinkSocket::iproute2(net, std::process::id()),
        }
    }

    pub fn eprint(&mut self, s: &str) {
        self.err.extend_from_slice(s.as_bytes());
    }

    /// The request's bytes, with the next sequence number. Anything but a
    /// GETLINK may change the kernel: the state will be saved.
    /// A request netlink cannot carry (an attribute past `nla_len`) is
    /// refused here with a message, never sent: `None`.
    fn encode(&mut self, msg: RouteNetlinkMessage, flags: u16) -> Option<Vec<u8>> {
        if !matches!(
            msg,
            RouteNetlinkMessage::GetLink(_) | RouteNetlinkMessage::GetAddress(_)
        ) {
            self.dirty = true;
        }
        self.seq = self.seq.wrapping_add(1);
        match ifnet_core::client::try_encode(msg, flags, self.seq) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                self.eprint(&format!("ifnet: request not sent: {e}\n"));
                None
            }
        }
    }

    fn send(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> Vec<NetlinkMessage<RouteNetlinkMessage>> {
        let Some(bytes) = self.encode(msg, flags) else {
            return Vec::new();
        };
        let replies = self.rtnl_exchange(&bytes);
        let mut out = Vec::with_capacity(replies.len());
        for r in replies {
            match NetlinkMessage::<RouteNetlinkMessage>::deserialize(&r) {
                Ok(m) => out.push(m),
                Err(e) => self.eprint(&format!("!!!malformed message: {e}\n")),
            }
        }
        out
    }

    /// `sendmsg()` of one request, then `rtnl_recvmsg()` until the socket
    /// is drained (each read sized by a MSG_PEEK | MSG_TRUNC peek, at least
    /// 32 KiB, so nothing is truncated). As `__rtnl_talk_iov()` and
    /// `rtnl_dump_filter_l()` do, a message is kept only if it comes from
    /// the kernel, is addressed to this socket's portid and answers this
    /// request's sequence number; the others are skipped.
    fn rtnl_exchange(&mut self, request: &[u8]) -> Vec<Vec<u8>> {
        self.sock.net = self.net;
        let mut out = Vec::new();
        if let Err(e) = self.k.netlink_sendmsg(&mut self.sock, request) {
            self.eprint(&format!(
                "Cannot talk to rtnetlink: {}\n",
                strerror(e.number())
            ));
            return out;
        }
        let (portid, seq) = (self.sock.portid, self.seq);
        while let Some(len) = self.sock.peek_len() {
            let Some(d) = self.k.netlink_recvmsg(&mut self.sock, len.max(32768)) else {
                break;
            };
            let mut rest = &d.bytes[..];
            while rest.len() >= 16 {
                let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
                if len < 16 || len > rest.len() {
                    self.eprint(&format!("!!!malformed message: len={len}\n"));
                    break;
                }
                let pid = u32::from_ne_bytes([rest[12], rest[13], rest[14], rest[15]]);
                let mseq = u32::from_ne_bytes([rest[8], rest[9], rest[10], rest[11]]);
                if d.sender == 0 && pid == portid && mseq == seq {
                    out.push(rest[..len].to_vec());
                }
                rest = &rest[((len + 3) & !3).min(rest.len())..];
            }
        }
        out
    }

    /// `rtnl_talk()` (answer wanted or not) with `show_rtnl_err`. Returns the
    /// positive errno on failure, after printing what ip prints.
    pub fn talk(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
        want_answer: bool,
        show_err: bool,
    ) -> Result<Reply, i32> {
        let mut flags = NLM_F_REQUEST | flags;
        if !want_answer {
            flags |= NLM_F_ACK;
        }
        let Some(bytes) = self.encode(msg, flags) else {
            return Err(EMSGSIZE);
        };
        // rtnl_talk(): an NLMSG_ERROR is read in place (struct nlmsgerr,
        // through netlink-packet-core's zero-copy buffers); only an answer
        // the caller wants is decoded whole.
        for r in self.rtnl_exchange(&bytes) {
            let Ok(nl) = NetlinkBuffer::new_checked(&r[..]) else {
                self.eprint("!!!malformed message: truncated netlink header\n");
                continue;
            };
            match nl.message_type() {
                NLMSG_ERROR => {
                    let Ok(e) = ErrorBuffer::new_checked(nl.payload()) else {
                        self.eprint("ERROR truncated\n");
                        return Err(EIO);
                    };
                    let code = e.code().map_or(0, |c| c.get());
                    let ext = extack_msg(nl.flags(), e.payload());
                    if code == 0 {
                        if let Some(msg) = ext.filter(|s| !s.is_empty()) {
                            self.print_ext_ack(false, &msg);
                        }
                        return Ok(Reply::Ack);
                    }
                    let errno = -code;
                    if show_err {
                        match ext.filter(|s| !s.is_empty()) {
                            Some(msg) => self.print_ext_ack(true, &msg),
                            None => {
                                self.eprint(&format!("RTNETLINK answers: {}\n", strerror(errno)))
                            }
                        }
                    }
                    return Err(errno);
                }
                RTM_NEWLINK if want_answer => {
                    match NetlinkMessage::<RouteNetlinkMessage>::deserialize(&r) {
                        Ok(NetlinkMessage {
                            payload: NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(lm)),
                            ..
                        }) => return Ok(Reply::Link(lm)),
                        Ok(_) => {}
                        Err(e) => self.eprint(&format!("!!!malformed message: {e}\n")),
                    }
                }
                _ => {}
            }
        }
        Ok(Reply::Ack)
    }

    /// `print_ext_ack_msg()`: "Error: msg." with the period added if missing.
    fn print_ext_ack(&mut self, is_err: bool, msg: &str) {
        let dot = if msg.ends_with('.') { "" } else { "." };
        let kind = if is_err { "Error" } else { "Warning" };
        self.eprint(&format!("{kind}: {msg}{dot}\n"));
    }

    /// `rtnl_linkdump_req_filter_fn()` + `rtnl_dump_filter()`: all links.
    pub fn dump_links(&mut self, req: LinkMessage) -> Result<Vec<LinkMessage>, DumpTerminated> {
        let msgs = self.send(
            RouteNetlinkMessage::GetLink(req),
            NLM_F_REQUEST | NLM_F_DUMP,
        );
        let mut out = Vec::new();
        for m in msgs {
            match m.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(lm)) => out.push(lm),
                NetlinkPayload::Done(_) => break,
                NetlinkPayload::Error(e) if e.raw_code() != 0 => {
                    self.eprint(&format!("RTNETLINK answers: {}\n", strerror(-e.raw_code())));
                    self.eprint("Dump terminated\n");
                    return Err(DumpTerminated);
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// `rtnl_addrdump_req(family, filter)` + `rtnl_dump_filter()`: the
    /// addresses the kernel dumps (NLMSG_DONE may carry a dump error).
    pub fn dump_addrs(
        &mut self,
        req: netlink_packet_route::address::AddressMessage,
    ) -> Result<Vec<netlink_packet_route::address::AddressMessage>, DumpTerminated> {
        let msgs = self.send(
            RouteNetlinkMessage::GetAddress(req),
            NLM_F_REQUEST | NLM_F_DUMP,
        );
        let mut out = Vec::new();
        for m in msgs {
            match m.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(a)) => out.push(a),
                NetlinkPayload::Done(d) if d.code != 0 => {
                    self.eprint(&format!("RTNETLINK answers: {}\n", strerror(-d.code)));
                    return Err(DumpTerminated);
                }
                NetlinkPayload::Done(_) => break,
                NetlinkPayload::Error(e) if e.raw_code() != 0 => {
                    self.eprint(&format!("RTNETLINK answers: {}\n", strerror(-e.raw_code())));
                    return Err(DumpTerminated);
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// `ipaddr_flush()`'s batch: every dumped address as an RTM_DELADDR
    /// (NLM_F_REQUEST only, a sequence number each) in one send, then
    /// `rtnl_send_check()`: the first NLMSG_ERROR's errno, if any.
    pub fn send_deladdrs(
        &mut self,
        msgs: Vec<netlink_packet_route::address::AddressMessage>,
    ) -> Result<(), i32> {
        self.dirty = true;
        let mut buf = Vec::new();
        for m in msgs {
            self.seq = self.seq.wrapping_add(1);
            match ifnet_core::client::try_encode(
                RouteNetlinkMessage::DelAddress(m),
                NLM_F_REQUEST,
                self.seq,
            ) {
                Ok(b) => buf.extend_from_slice(&b),
                Err(e) => {
                    self.eprint(&format!("ifnet: request not sent: {e}\n"));
                    return Err(EMSGSIZE);
                }
            }
        }
        self.sock.net = self.net;
        if let Err(e) = self.k.netlink_sendmsg(&mut self.sock, &buf) {
            return Err(e.number());
        }
        let mut first_err = None;
        while let Some(len) = self.sock.peek_len() {
            let Some(d) = self.k.netlink_recvmsg(&mut self.sock, len.max(32768)) else {
                break;
            };
            for r in ifnet_core::client::split_messages(&d.bytes) {
                if first_err.is_none()
                    && r.len() >= 20
                    && u16::from_ne_bytes([r[4], r[5]]) == NLMSG_ERROR
                {
                    let code = i32::from_ne_bytes([r[16], r[17], r[18], r[19]]);
                    if code != 0 {
                        first_err = Some(-code);
                    }
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// `ll_link_get(name, index)`: a quiet GETLINK that feeds the cache.
    pub fn ll_link_get(&mut self, name: Option<&str>, index: u32) -> u32 {
        let mut lm = LinkMessage::default();
        lm.header.index = index;
        lm.attributes.push(LinkAttribute::ExtMask(vec![
            LinkExtentMask::Vf,
            LinkExtentMask::SkipStats,
        ]));
        if let Some(n) = name {
            // addattr_l() into its 1,056-byte request after IFLA_EXT_MASK:
            // a longer name is left out (the GETLINK then names nothing).
            let mut len = crate::ip::util::REQ_HDR_LEN + 8;
            if crate::ip::util::addattr_l(&mut self.err, &mut len, LL_LINK_GET_REQ, n.len() + 1) {
                lm.attributes.push(ifname_or_alt(n));
            }
        }
        // ll_link_get() only feeds the cache (index, flags, names): scan the
        // reply's attributes instead of decoding all of them.
        let Some(bytes) = self.encode(RouteNetlinkMessage::GetLink(lm), NLM_F_REQUEST) else {
            return 0;
        };
        let replies = self.rtnl_exchange(&bytes);
        match replies.first().and_then(|r| link_seen_raw(r)) {
            Some(seen) => {
                let index = seen.index;
                self.ll.remember(&seen);
                index
            }
            None => 0,
        }
    }

    /// `ll_name_to_index()`: cache, then GETLINK, then "if%u".
    pub fn ll_name_to_index(&mut self, name: &str) -> u32 {
        if let Some(i) = self.ll.index_by_name(name) {
            return i;
        }
        match self.ll_link_get(Some(name), 0) {
            0 => idx_a2n(name),
            i => i,
        }
    }

    /// `ll_index_to_name()`.
    pub fn ll_index_to_name(&mut self, idx: u32) -> String {
        if idx == 0 {
            return "*".into();
        }
        if let Some(n) = self.ll.name_by_index(idx) {
            return n.to_string();
        }
        if self.ll_link_get(None, idx) == idx {
            if let Some(n) = self.ll.name_by_index(idx) {
                return n.to_string();
            }
        }
        format!("if{idx}")
    }

    /// Remembers every link of a reply or dump (`store_nlmsg()` does this).
    pub fn remember(&mut self, lm: &LinkMessage) {
        self.ll.remember(&link_seen(lm));
    }
}

/// sizeof the request ll_link_get() builds (nlmsghdr, ifinfomsg, 1024).
const LL_LINK_GET_REQ: usize = 1056;

/// `IFLA_IFNAME` if the name passes check_ifname(), else `IFLA_ALT_IFNAME`
/// (iplink_get / ll_link_get).
pub fn ifname_or_alt(name: &str) -> LinkAttribute {
    if check_ifname(name) {
        LinkAttribute::IfName(name.to_string())
    } else {
        let mut v = name.as_bytes().to_vec();
        v.push(0);
        LinkAttribute::Other(DefaultNla::new(IFLA_ALT_IFNAME, v))
    }
}

/// What the link cache keeps of a message.
pub fn link_seen(lm: &LinkMessage) -> LinkSeen {
    let mut s = LinkSeen {
        index: lm.header.index,
        flags: lm.header.flags.bits(),
        ..Default::default()
    };
    for a in &lm.attributes {
        match a {
            LinkAttribute::IfName(n) => s.name = Some(n.clone()),
            LinkAttribute::PropList(props) => {
                for p in props {
                    if let Prop::AltIfName(n) = p {
                        s.altnames.push(n.clone());
                    }
                }
            }
            _ => {}
        }
    }
    s
}

/// The cache fields of an RTM_NEWLINK reply, read straight from its bytes
/// as `ll_remember_index()` does (`parse_rtattr` over the attributes);
/// `None` for anything else (an NLMSG_ERROR, a short or malformed message).
pub fn link_seen_raw(msg: &[u8]) -> Option<LinkSeen> {
    const RTM_NEWLINK: u16 = 16;
    const IFLA_IFNAME: u16 = 3;
    const IFLA_PROP_LIST: u16 = 52;
    let typ = u16::from_ne_bytes([*msg.get(4)?, *msg.get(5)?]);
    if typ != RTM_NEWLINK || msg.len() < 32 {
        return None;
    }
    let word = |at: usize| u32::from_ne_bytes([msg[at], msg[at + 1], msg[at + 2], msg[at + 3]]);
    let mut seen = LinkSeen {
        index: word(20),
        flags: word(24),
        ..Default::default()
    };
    let text = |v: &[u8]| {
        let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
        String::from_utf8_lossy(&v[..end]).into_owned()
    };
    let end = (word(0) as usize).min(msg.len());
    for (kind, value) in parse_rtattr(msg.get(32..end)?)? {
        match kind {
            IFLA_IFNAME => seen.name = Some(text(value)),
            IFLA_PROP_LIST => {
                for (alt_kind, alt) in parse_rtattr(value)? {
                    if alt_kind == IFLA_ALT_IFNAME {
                        seen.altnames.push(text(alt));
                    }
                }
            }
            _ => {}
        }
    }
    Some(seen)
}

/// Attributes walked per message at most (ip's `tb[IFLA_MAX + 1]`; the
/// kernel sends ~60).
const RTATTR_MAX: usize = 256;

/// iproute2's `parse_rtattr()` (`RTA_OK` / `RTA_NEXT`): each attribute's
/// type (flags masked off) and value, in order. `None` when the bytes do
/// not end on an attribute boundary ("!!!Deficit" in ip) or hold more than
/// `RTATTR_MAX` attributes.
fn parse_rtattr(mut rest: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    const NLA_TYPE_MASK: u16 = 0x3fff;
    let mut out = Vec::with_capacity(64);
    while rest.len() >= 4 {
        let len = usize::from(u16::from_ne_bytes([rest[0], rest[1]]));
        if len < 4 || len > rest.len() || out.len() == RTATTR_MAX {
            return None;
        }
        let kind = u16::from_ne_bytes([rest[2], rest[3]]) & NLA_TYPE_MASK;
        out.push((kind, &rest[4..len]));
        rest = &rest[((len + 3) & !3).min(rest.len())..];
    }
    rest.is_empty().then_some(out)
}

/// `nl_dump_ext_ack()`, shared with the model's own client.
pub use ifnet_core::client::extack_msg;

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::{NLM_F_ACK_TLVS, NLM_F_CAPPED};

    fn tlv(ty: u16, v: &[u8]) -> Vec<u8> {
        let mut out = ((4 + v.len()) as u16).to_le_bytes().to_vec();
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(v);
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
        out
    }

    #[test]
    fn nl_dump_ext_ack_capped() {
        // nl_dump_ext_ack(): with NLM_F_CAPPED the TLVs follow the 16-byte header.
        let mut p = vec![0u8; 16];
        p.extend(tlv(1, b"Unknown device type\0"));
        let m = extack_msg(NLM_F_ACK_TLVS | NLM_F_CAPPED, &p);
        assert_eq!(m.as_deref(), Some("Unknown device type"));
    }

    #[test]
    fn nl_dump_ext_ack_uncapped() {
        // Without NLM_F_CAPPED the whole request is echoed first.
        let mut p = 20u32.to_le_bytes().to_vec();
        p.extend_from_slice(&[0u8; 16]);
        p.extend(tlv(1, b"msg\0"));
        assert_eq!(extack_msg(NLM_F_ACK_TLVS, &p).as_deref(), Some("msg"));
        assert_eq!(extack_msg(0, &p), None);
    }

    #[test]
    fn nl_dump_ext_ack_garbage_is_harmless() {
        assert_eq!(extack_msg(NLM_F_ACK_TLVS, &[1, 2]), None);
        assert_eq!(extack_msg(NLM_F_ACK_TLVS | NLM_F_CAPPED, &[0u8; 18]), None);
        let mut p = vec![0xffu8; 4];
        p.extend_from_slice(&[0u8; 8]);
        assert_eq!(extack_msg(NLM_F_ACK_TLVS, &p), None);
    }
}

#[cfg(test)]
mod raw_tests {
    use super::*;

    /// iproute2 `parse_rtattr()`: RTA_OK/RTA_NEXT with 4-byte alignment,
    /// NLA_F_NESTED masked off the type, and a walk that does not end on
    /// an attribute boundary rejected.
    #[test]
    fn parse_rtattr_walks_and_rejects_deficits() {
        // IFLA_IFNAME "ab\0" (len 7, padded to 8), then IFLA_PROP_LIST
        // with NLA_F_NESTED (0x8000 | 52) and an empty value.
        let mut b = vec![7, 0, 3, 0, b'a', b'b', 0, 0];
        b.extend_from_slice(&[4, 0, 52, 0x80]);
        let attrs = parse_rtattr(&b).unwrap();
        assert_eq!(attrs, vec![(3u16, &b"ab\0"[..]), (52u16, &[][..])]);
        assert!(parse_rtattr(&[3, 0, 3, 0]).is_none(), "len < 4");
        assert!(
            parse_rtattr(&[9, 0, 3, 0, 0, 0, 0, 0]).is_none(),
            "len past the end"
        );
        assert!(
            parse_rtattr(&[4, 0, 3, 0, 1, 2]).is_none(),
            "trailing deficit"
        );
        assert_eq!(parse_rtattr(&[]).unwrap(), vec![]);
    }

    /// ll_link_get() reads index, flags and names from a real RTM_NEWLINK,
    /// and nothing from an error.
    #[test]
    fn link_seen_raw_reads_cache_fields() {
        let mut k = Kernel::new(ifnet_core::KernelProfile::latest());
        let init = k.init_net();
        let mut c = ifnet_core::client::Client::new(&mut k, init);
        c.add_veth("v0", "v1").unwrap();
        let lo = k.dev_get_by_name(init, "v0").unwrap();
        k.dev_altname_add(lo, "alt-v0").unwrap();
        let mut lm = LinkMessage::default();
        lm.attributes.push(LinkAttribute::IfName("v0".into()));
        let req = ifnet_core::client::encode(RouteNetlinkMessage::GetLink(lm), NLM_F_REQUEST, 1);
        let replies = k.rtnl_request(init, &req);
        let seen = link_seen_raw(&replies[0]).unwrap();
        assert_eq!(seen.index, 3);
        assert_eq!(seen.name.as_deref(), Some("v0"));
        assert_eq!(seen.altnames, vec!["alt-v0".to_string()]);
        let mut missing = LinkMessage::default();
        missing
            .attributes
            .push(LinkAttribute::IfName("nope".into()));
        let req =
            ifnet_core::client::encode(RouteNetlinkMessage::GetLink(missing), NLM_F_REQUEST, 2);
        assert!(link_seen_raw(&k.rtnl_request(init, &req)[0]).is_none());
    }
}
