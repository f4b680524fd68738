//! iproute2 6.1 `lib/libnetlink.c` on the session's socket: `rtnl_talk()`
//! (`__rtnl_talk_iov`: read datagrams until a message from the kernel for
//! this portid with this request's sequence — or the one before it —
//! turns up; whatever follows stays queued for the next request),
//! `rtnl_echo_talk()` (NLM_F_ECHO), `rtnl_dump_filter()` (skip what is not
//! this dump's), and `ll_link_get()` on a socket of its own, as
//! lib/ll_map.c opens one for every lookup.

use ifnet_core::rtnetlink::NetlinkSocket;
use netlink_packet_core::{
    ErrorBuffer, NetlinkBuffer, NetlinkMessage, NetlinkPayload, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK,
    NLM_F_DUMP, NLM_F_ECHO, NLM_F_REQUEST,
};
use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;

use super::{
    extack_msg, ifname_or_alt, link_seen_raw, DumpTerminated, Reply, Session, EIO, EMSGSIZE,
    LL_LINK_GET_REQ, RTM_NEWLINK,
};
use crate::ip::util::strerror;

/// `sizeof(struct nlmsgerr)`.
const NLMSGERR_LEN: usize = 20;

pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Session {
    /// The request's bytes, with the next sequence number. Anything but a
    /// GETLINK or GETADDR may change the kernel: the state will be saved.
    /// A request netlink cannot carry (an attribute past `nla_len`) is
    /// refused here with a message, never sent: `None`.
    pub(super) fn encode(&mut self, msg: RouteNetlinkMessage, flags: u16) -> Option<Vec<u8>> {
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

    /// `sendmsg()` on the session's socket (in the session's namespace).
    pub(super) fn sendmsg(&mut self, request: &[u8]) -> bool {
        self.sock.net = self.net;
        match self.k.netlink_sendmsg(&mut self.sock, request) {
            Ok(()) => true,
            Err(e) => {
                self.eprint(&format!(
                    "Cannot talk to rtnetlink: {}\n",
                    strerror(e.number())
                ));
                false
            }
        }
    }

    /// `rtnl_recvmsg()`: the next datagram, read whole (a MSG_PEEK |
    /// MSG_TRUNC peek sizes the buffer, at least 32 KiB), with whether the
    /// kernel sent it. `None` when nothing is queued (ip would block; the
    /// model answers every request at once).
    pub(super) fn recv_datagram(&mut self) -> Option<(Vec<u8>, bool)> {
        let len = self.sock.peek_len()?;
        let d = self.k.netlink_recvmsg(&mut self.sock, len.max(32768))?;
        Some((d.bytes, d.sender == 0))
    }

    /// `rtnl_talk()` (answer wanted or not) with `show_rtnl_err`: the
    /// answer is the whole datagram the accepted message came in (ip's
    /// `*answer = buf`). Returns the positive errno on failure, after
    /// printing what ip prints.
    pub fn talk_raw(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
        want_answer: bool,
        show_err: bool,
    ) -> Result<Option<Vec<u8>>, i32> {
        let mut flags = NLM_F_REQUEST | flags;
        if !want_answer {
            flags |= NLM_F_ACK;
        }
        let Some(bytes) = self.encode(msg, flags) else {
            return Err(EMSGSIZE);
        };
        if !self.sendmsg(&bytes) {
            return Err(EIO);
        }
        let (portid, seq) = (self.sock.portid, self.seq);
        while let Some((d, from_kernel)) = self.recv_datagram() {
            let mut at = 0;
            while d.len().saturating_sub(at) >= 16 {
                let len = u32_at(&d, at) as usize;
                if len < 16 || len > d.len() - at {
                    self.eprint(&format!("!!!malformed message: len={len}\n"));
                    return Err(EIO);
                }
                let h = &d[at..at + len];
                let (mseq, pid) = (u32_at(h, 8), u32_at(h, 12));
                // `h->nlmsg_seq > seq || h->nlmsg_seq < seq - iovlen`.
                let stale = mseq > seq || mseq < seq.wrapping_sub(1);
                if !from_kernel || pid != portid || stale {
                    at += (len + 3) & !3;
                    continue;
                }
                let typ = u16::from_ne_bytes([h[4], h[5]]);
                if typ == NLMSG_ERROR {
                    return self.talk_error(h, &d, want_answer, show_err);
                }
                if want_answer {
                    return Ok(Some(d));
                }
                self.eprint("Unexpected reply!!!\n");
                at += (len + 3) & !3;
            }
        }
        Err(EIO)
    }

    /// The NLMSG_ERROR branch of `__rtnl_talk_iov()`.
    fn talk_error(
        &mut self,
        h: &[u8],
        datagram: &[u8],
        want_answer: bool,
        show_err: bool,
    ) -> Result<Option<Vec<u8>>, i32> {
        if h.len() < 16 + NLMSGERR_LEN {
            self.eprint("ERROR truncated\n");
            return Err(EIO);
        }
        let nl = NetlinkBuffer::new_checked(h).map_err(|_| EIO)?;
        let Ok(e) = ErrorBuffer::new_checked(nl.payload()) else {
            self.eprint("ERROR truncated\n");
            return Err(EIO);
        };
        let code = e.code().map_or(0, |c| c.get());
        let ext = extack_msg(nl.flags(), e.payload()).filter(|m| !m.is_empty());
        if code == 0 {
            if let Some(msg) = ext {
                self.print_ext_ack(false, &msg);
            }
            return Ok(want_answer.then(|| datagram.to_vec()));
        }
        let errno = -code;
        if show_err {
            match ext {
                Some(msg) => self.print_ext_ack(true, &msg),
                None => self.eprint(&format!("RTNETLINK answers: {}\n", strerror(errno))),
            }
        }
        Err(errno)
    }

    /// `rtnl_talk()` with the answer decoded: an RTM_NEWLINK, or anything
    /// else (an ack).
    pub fn talk(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
        want_answer: bool,
        show_err: bool,
    ) -> Result<Reply, i32> {
        let Some(d) = self.talk_raw(msg, flags, want_answer, show_err)? else {
            return Ok(Reply::Ack);
        };
        if d.len() < 16 || u16::from_ne_bytes([d[4], d[5]]) != RTM_NEWLINK {
            return Ok(Reply::Ack);
        }
        let len = (u32_at(&d, 0) as usize).min(d.len());
        match NetlinkMessage::<RouteNetlinkMessage>::deserialize(&d[..len]) {
            Ok(NetlinkMessage {
                payload: NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(lm)),
                ..
            }) => Ok(Reply::Link(lm)),
            Ok(_) => Ok(Reply::Ack),
            Err(e) => {
                self.eprint(&format!("!!!malformed message: {e}\n"));
                Ok(Reply::Ack)
            }
        }
    }

    /// `rtnl_echo_talk()`'s exchange: NLM_F_ECHO | NLM_F_ACK and an answer
    /// wanted; the answer's first message is what ip prints.
    pub fn echo_talk(&mut self, msg: RouteNetlinkMessage, flags: u16) -> Result<Vec<u8>, i32> {
        let d = self.talk_raw(msg, flags | NLM_F_ECHO | NLM_F_ACK, true, true)?;
        Ok(d.unwrap_or_default())
    }

    /// `print_ext_ack_msg()`: "Error: msg." with the period added if missing.
    fn print_ext_ack(&mut self, is_err: bool, msg: &str) {
        let dot = if msg.ends_with('.') { "" } else { "." };
        let kind = if is_err { "Error" } else { "Warning" };
        self.eprint(&format!("{kind}: {msg}{dot}\n"));
    }

    /// `rtnl_linkdump_req_filter_fn()` + `rtnl_dump_filter()`: all links;
    /// messages that are not this dump's (another portid or sequence) are
    /// skipped, as stale echoes of an earlier request are.
    pub fn dump_links(&mut self, req: LinkMessage) -> Result<Vec<LinkMessage>, DumpTerminated> {
        let style = DumpStyle {
            done_carries_error: false,
            error_says_terminated: true,
        };
        self.rtnl_dump_filter(RouteNetlinkMessage::GetLink(req), style, |m| match m {
            RouteNetlinkMessage::NewLink(lm) => Some(lm),
            _ => None,
        })
    }

    /// `rtnl_dump_filter()` of one dump: sends `req` (NLM_F_REQUEST |
    /// NLM_F_DUMP) and keeps what `pick` takes from this dump's messages
    /// (another portid's or sequence's are skipped) until NLMSG_DONE. An
    /// error in NLMSG_ERROR ends the dump ("RTNETLINK answers: …"); a
    /// malformed message is reported and skipped.
    pub(super) fn rtnl_dump_filter<T>(
        &mut self,
        req: RouteNetlinkMessage,
        style: DumpStyle,
        pick: impl Fn(RouteNetlinkMessage) -> Option<T>,
    ) -> Result<Vec<T>, DumpTerminated> {
        let flags = NLM_F_REQUEST | NLM_F_DUMP;
        let Some(bytes) = self.encode(req, flags) else {
            return Ok(Vec::new());
        };
        if !self.sendmsg(&bytes) {
            return Ok(Vec::new());
        }
        let (portid, seq) = (self.sock.portid, self.seq);
        let mut out = Vec::new();
        while let Some((d, from_kernel)) = self.recv_datagram() {
            for m in ifnet_core::client::split_messages(&d) {
                if !from_kernel || m.len() < 16 || u32_at(m, 12) != portid || u32_at(m, 8) != seq {
                    continue;
                }
                match u16::from_ne_bytes([m[4], m[5]]) {
                    NLMSG_DONE if style.done_carries_error => {
                        return self.rtnl_dump_done(m).map(|()| out)
                    }
                    NLMSG_DONE => return Ok(out),
                    NLMSG_ERROR => {
                        let code = m.get(16..20).map_or(0, |c| u32_at(c, 0) as i32);
                        if code != 0 {
                            self.eprint(&format!("RTNETLINK answers: {}\n", strerror(-code)));
                            if style.error_says_terminated {
                                self.eprint("Dump terminated\n");
                            }
                            return Err(DumpTerminated);
                        }
                    }
                    _ => match NetlinkMessage::<RouteNetlinkMessage>::deserialize(m) {
                        Ok(NetlinkMessage {
                            payload: NetlinkPayload::InnerMessage(inner),
                            ..
                        }) => out.extend(pick(inner)),
                        Ok(_) => {}
                        Err(e) => self.eprint(&format!("!!!malformed message: {e}\n")),
                    },
                }
            }
        }
        Ok(out)
    }

    /// `ll_link_get(name, index)`: a quiet GETLINK on a socket of its own
    /// (`rtnl_open()` each time) that feeds the cache.
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
        let Ok(bytes) =
            ifnet_core::client::try_encode(RouteNetlinkMessage::GetLink(lm), NLM_F_REQUEST, 1)
        else {
            return 0;
        };
        // Autobind gives a second socket of the process another portid.
        let mut sock = NetlinkSocket::iproute2(self.net, std::process::id() ^ 0x8000_0000);
        if self.k.netlink_sendmsg(&mut sock, &bytes).is_err() {
            return 0;
        }
        // ll_link_get() only feeds the cache (index, flags, names): scan the
        // reply's attributes instead of decoding all of them.
        let Some(d) = self.k.netlink_recvmsg(&mut sock, usize::MAX) else {
            return 0;
        };
        match link_seen_raw(&d.bytes) {
            Some(seen) => {
                let index = seen.index;
                self.ll.remember(&seen);
                index
            }
            None => 0,
        }
    }
}

/// How a dump's caller in iproute2 reads its end.
#[derive(Debug, Clone, Copy)]
pub(super) struct DumpStyle {
    /// NLMSG_DONE's length field may carry the dump's error
    /// (`rtnl_dump_done()`, as the address dump checks it).
    pub done_carries_error: bool,
    /// An NLMSG_ERROR also prints "Dump terminated" (the link dump's).
    pub error_says_terminated: bool,
}
