//! The sending socket (`net/netlink/af_netlink.c`): a request arrives from
//! a [`NetlinkSocket`] — its namespace, its portid and its options — and is
//! answered on that socket's receive queue, one datagram (skb) at a time.
//!
//! - `netlink_ack()`: NLMSG_ERROR stamped with the sender's portid and the
//!   request's sequence; an error echoes the whole request unless
//!   NETLINK_CAP_ACK (a success is always capped, NLM_F_CAPPED); the extack
//!   text (NLMSGERR_ATTR_MSG) only with NETLINK_EXT_ACK (NLM_F_ACK_TLVS).
//! - `netlink_dump()`: a dump fills one skb of `max(NLMSG_GOODSIZE,
//!   max_recvmsg_len)` bytes with NLM_F_MULTI messages; the next skb is
//!   filled when the reader has taken that one (`netlink_recvmsg()`), so a
//!   dump spans several reads and NLMSG_DONE comes in the last one.
//!
//! The socket is owned by its user (a CLI process, a test, later a server's
//! connection), not by the kernel's saved state: a state file never holds
//! an open socket, as no running kernel survives its sockets' processes.

use super::{NLMSGERR_ATTR_MSG, NLMSG_HDRLEN};
use crate::errno::{Errno, KError};
use crate::ids::NetId;
use crate::kernel::Kernel;
use netlink_packet_core::{NLM_F_ACK_TLVS, NLM_F_CAPPED};
use std::collections::VecDeque;

/// `NLMSG_GOODSIZE` on x86_64 with 4 KiB pages: `SKB_WITH_OVERHEAD(4096)`
/// (4096 minus the 320-byte `struct skb_shared_info`).
pub const NLMSG_GOODSIZE: usize = 4096 - 320;
/// `netlink_recvmsg()` caps the remembered read size at
/// `SKB_WITH_OVERHEAD(32768)`.
pub const MAX_RECVMSG_LEN: usize = 32768 - 320;
/// `nlmsg_total_size(sizeof(int))`: the room NLMSG_DONE needs.
const DONE_LEN: usize = NLMSG_HDRLEN + 4;

/// A dump in progress (`struct netlink_callback`): what it dumps, what it
/// filters and where it resumes (`ctx->ifindex`, `ctx->ip_idx`).
#[derive(Debug, Clone)]
pub(crate) struct DumpCursor {
    pub(crate) net: NetId,
    pub(crate) seq: u32,
    /// NLM_F_MULTI plus `cb->answer_flags` (NLM_F_DUMP_FILTERED).
    pub(crate) flags: u16,
    pub(crate) what: DumpWhat,
    /// `for_each_netdev_dump()` resumes at this ifindex.
    pub(crate) next_ifindex: u32,
    /// The address index within that device (`ctx->ip_idx`).
    pub(crate) ip_idx: usize,
    /// A dump that failed at its start (strict-check validation): its
    /// NLMSG_DONE carries the error.
    pub(crate) error: Option<KError>,
}

/// The table a dump walks.
#[derive(Debug, Clone)]
pub(crate) enum DumpWhat {
    /// `rtnl_dump_ifinfo()`.
    Link {
        master_idx: i32,
        kind: Option<String>,
        skip_stats: bool,
    },
    /// `inet_dump_ifaddr()` / `inet6_dump_ifaddr()`, one family after
    /// the other (`rtnl_dump_all()` for AF_UNSPEC): the families still to
    /// walk, the current first; `ifindex` is the strict-check filter.
    /// `inet6_dump_ifinfo()`: RTM_GETLINK for AF_INET6.
    Inet6Link,
    Addr {
        families: Vec<u8>,
        ifindex: u32,
        /// IFA_TARGET_NETNSID of the request, echoed in every message.
        netnsid: Option<i32>,
    },
}

impl DumpCursor {
    pub(crate) fn link(
        net: NetId,
        seq: u32,
        flags: u16,
        master_idx: i32,
        kind: Option<String>,
        skip_stats: bool,
    ) -> DumpCursor {
        DumpCursor {
            net,
            seq,
            flags,
            what: DumpWhat::Link {
                master_idx,
                kind,
                skip_stats,
            },
            next_ifindex: 0,
            ip_idx: 0,
            error: None,
        }
    }
}

/// One datagram as `netlink_recvmsg()` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// The bytes copied out: at most the reader's buffer length.
    pub bytes: Vec<u8>,
    /// MSG_TRUNC: the datagram was longer than the buffer; the rest is lost.
    pub truncated: bool,
    /// `msg_name.nl_pid`: the sender (0 = the kernel).
    pub sender: u32,
}

/// An AF_NETLINK / NETLINK_ROUTE socket (`struct netlink_sock`).
#[derive(Debug, Clone)]
pub struct NetlinkSocket {
    /// `sock_net(sk)`: where requests are executed.
    pub net: NetId,
    /// The bound portid (`nlk->portid`); replies carry it as `nlmsg_pid`.
    pub portid: u32,
    /// NETLINK_CAP_ACK: errors echo only the request's header.
    pub cap_ack: bool,
    /// NETLINK_EXT_ACK: errors and acks carry the extack TLVs.
    pub ext_ack: bool,
    /// NETLINK_GET_STRICT_CHK: dump requests are validated and their
    /// filters applied by the kernel (`cb->strict_check`).
    pub strict_chk: bool,
    /// SO_RCVBUF: a dump is continued only while at most half of it is
    /// queued (`netlink_recvmsg()`).
    pub rcvbuf: usize,
    /// `nlk->max_recvmsg_len`: the largest read so far, capped.
    max_recvmsg_len: usize,
    queue: VecDeque<Vec<u8>>,
    pub(crate) dump: Option<DumpCursor>,
}

impl NetlinkSocket {
    /// `socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)` bound to `portid` in
    /// `net`, no options set, the default 212,992-byte rcvbuf.
    pub fn new(net: NetId, portid: u32) -> NetlinkSocket {
        NetlinkSocket {
            net,
            portid,
            cap_ack: false,
            ext_ack: false,
            strict_chk: false,
            rcvbuf: 212_992,
            max_recvmsg_len: 0,
            queue: VecDeque::new(),
            dump: None,
        }
    }

    /// iproute2's `rtnl_open_byproto()`: SO_RCVBUF 1 MiB and
    /// NETLINK_EXT_ACK; it does not set NETLINK_CAP_ACK. ip.c's main then
    /// calls `rtnl_set_strict_dump()`: NETLINK_GET_STRICT_CHK.
    pub fn iproute2(net: NetId, portid: u32) -> NetlinkSocket {
        let mut s = NetlinkSocket::new(net, portid);
        s.ext_ack = true;
        s.strict_chk = true;
        s.rcvbuf = 1 << 20;
        s
    }

    /// The length of the next datagram (`recv(MSG_PEEK | MSG_TRUNC)` with
    /// no buffer), if one is queued.
    pub fn peek_len(&self) -> Option<usize> {
        self.queue.front().map(Vec::len)
    }

    /// Bytes queued for reading (`sk_rmem_alloc`, counted in payload bytes).
    pub fn queued_bytes(&self) -> usize {
        self.queue.iter().map(Vec::len).sum()
    }

    /// A dump is running (`nlk->cb_running`).
    pub fn dump_running(&self) -> bool {
        self.dump.is_some()
    }

    /// `netlink_unicast()` to this socket: one datagram.
    pub(crate) fn unicast(&mut self, skb: Vec<u8>) {
        self.queue.push_back(skb);
    }

    /// `netlink_ack()` for `nlh` (the request message's bytes).
    pub(crate) fn netlink_ack(&mut self, nlh: &[u8], e: Option<&KError>) {
        let error = e.map_or(0, |e| -e.errno.number());
        let extack = if self.ext_ack {
            e.and_then(|e| e.extack.as_deref())
        } else {
            None
        };
        let skb = nlmsgerr(nlh, self.portid, error, extack, self.cap_ack);
        self.unicast(skb);
    }
}

/// `struct nlmsgerr` as `netlink_ack()` writes it: the error, the request
/// (its header only if NLM_F_CAPPED: a success, or NETLINK_CAP_ACK), then
/// the extack message as NLMSGERR_ATTR_MSG (NLM_F_ACK_TLVS).
pub(crate) fn nlmsgerr(
    nlh: &[u8],
    portid: u32,
    error: i32,
    extack: Option<&str>,
    cap_ack: bool,
) -> Vec<u8> {
    let capped = error == 0 || cap_ack;
    let echoed = if capped {
        nlh.len().min(NLMSG_HDRLEN)
    } else {
        nlh.len()
    };
    let echo_space = ((echoed.max(NLMSG_HDRLEN)) + 3) & !3;
    let tlv_len = extack.map_or(0, |t| 4 + t.len() + 1);
    let len = NLMSG_HDRLEN + 4 + echo_space + ((tlv_len + 3) & !3);
    let mut out = vec![0u8; len];
    let mut flags = 0;
    if capped {
        flags |= NLM_F_CAPPED;
    }
    if extack.is_some() {
        flags |= NLM_F_ACK_TLVS;
    }
    let seq = nlh
        .get(8..12)
        .map_or(0, |s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]));
    let mut h = super::emit::nl_header(netlink_packet_core::NLMSG_ERROR, flags, seq);
    h.length = len as u32;
    h.port_number = portid;
    netlink_packet_core::Emitable::emit(&h, &mut out[..NLMSG_HDRLEN]);
    out[NLMSG_HDRLEN..NLMSG_HDRLEN + 4].copy_from_slice(&error.to_ne_bytes());
    let at = NLMSG_HDRLEN + 4;
    out[at..at + echoed].copy_from_slice(&nlh[..echoed]);
    if let Some(text) = extack {
        let at = at + echo_space;
        out[at..at + 2].copy_from_slice(&(tlv_len as u16).to_ne_bytes());
        out[at + 2..at + 4].copy_from_slice(&NLMSGERR_ATTR_MSG.to_ne_bytes());
        // The text, its NUL and the padding (already zero).
        out[at + 4..at + 4 + text.len()].copy_from_slice(text.as_bytes());
    }
    out
}

/// `nlmsg_put(skb, portid, …)` after the fact: stamps `nlmsg_pid` on a
/// message the fill built with portid 0.
pub(crate) fn nlmsg_set_pid(msg: &mut [u8], portid: u32) {
    if let Some(pid) = msg.get_mut(12..16) {
        pid.copy_from_slice(&portid.to_ne_bytes());
    }
}

impl Kernel {
    /// `netlink_sendmsg()` → `rtnetlink_rcv()` → `netlink_rcv_skb()`: every
    /// message of `buf`, executed in `sock`'s namespace; the answers are
    /// queued on `sock` for [`Kernel::netlink_recvmsg`]. ENOTCONN if the
    /// socket's namespace is gone (Linux pins a socket's namespace; the
    /// model lets its holder outlive it), EMSGSIZE past the sndbuf the model
    /// accepts ([`super::MAX_REQUEST_BYTES`]). Never panics.
    pub fn netlink_sendmsg(&mut self, sock: &mut NetlinkSocket, buf: &[u8]) -> Result<(), Errno> {
        if !self.net_exists(sock.net) {
            return Err(Errno::ENOTCONN);
        }
        if buf.len() > super::MAX_REQUEST_BYTES {
            return Err(Errno::EMSGSIZE);
        }
        // An operation parked in a declared window holds RTNL (window.rs):
        // the request is answered EBUSY and not run.
        if self.rtnl_trylock().is_err() {
            if buf.len() >= NLMSG_HDRLEN {
                let len = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
                let msg = &buf[..len.clamp(NLMSG_HDRLEN, buf.len())];
                let e = KError::msg(Errno::EBUSY, crate::window::RTNL_HELD_MSG);
                sock.netlink_ack(msg, Some(&e));
            }
            return Ok(());
        }
        self.netlink_rcv_skb(sock, buf);
        Ok(())
    }

    /// `netlink_recvmsg(sock, len)`: the next datagram, cut to `len` bytes
    /// (MSG_TRUNC); afterwards a running dump fills its next skb if at most
    /// half the rcvbuf is queued. `None`: nothing queued (EAGAIN).
    pub fn netlink_recvmsg(&mut self, sock: &mut NetlinkSocket, len: usize) -> Option<Datagram> {
        let mut bytes = sock.queue.pop_front()?;
        sock.max_recvmsg_len = sock.max_recvmsg_len.max(len).min(MAX_RECVMSG_LEN);
        let truncated = bytes.len() > len;
        bytes.truncate(len);
        if sock.dump.is_some() && sock.queued_bytes() <= sock.rcvbuf / 2 {
            self.netlink_dump(sock);
        }
        Some(Datagram {
            bytes,
            truncated,
            sender: 0,
        })
    }

    /// `__netlink_dump_start()`: EBUSY while a dump runs on the socket;
    /// otherwise the first skb is filled at once.
    pub(crate) fn netlink_dump_start(
        &mut self,
        sock: &mut NetlinkSocket,
        cb: DumpCursor,
    ) -> Result<(), KError> {
        if sock.dump.is_some() {
            return Err(KError::new(Errno::EBUSY));
        }
        sock.dump = Some(cb);
        self.netlink_dump(sock);
        Ok(())
    }

    /// `netlink_dump()`: one skb of the dump's messages; NLMSG_DONE joins
    /// it when the dump is complete and 20 bytes are left, otherwise it
    /// comes in the next skb. Every skb holds at least one message
    /// (`min_dump_alloc` is the largest message's size).
    fn netlink_dump(&mut self, sock: &mut NetlinkSocket) {
        let Some(mut cb) = sock.dump.take() else {
            return;
        };
        let alloc = NLMSG_GOODSIZE.max(sock.max_recvmsg_len);
        let mut skb = Vec::new();
        let mut complete = true;
        while cb.error.is_none() {
            let Some((mut msg, next)) = self.dump_next_msg(&cb) else {
                break;
            };
            if !skb.is_empty() && skb.len() + msg.len() > alloc {
                complete = false;
                break;
            }
            nlmsg_set_pid(&mut msg, sock.portid);
            skb.extend_from_slice(&msg);
            skb.resize((skb.len() + 3) & !3, 0);
            cb.next_ifindex = next.ifindex;
            cb.ip_idx = next.ip_idx;
            if let DumpWhat::Addr { families, .. } = &mut cb.what {
                while families.len() > next.families_left {
                    families.remove(0);
                }
            }
        }
        let done_len = DONE_LEN + cb.error.as_ref().map_or(0, done_tlv_len);
        if complete && alloc - skb.len().min(alloc) >= done_len {
            skb.extend_from_slice(&netlink_dump_done(&cb, sock.portid, sock.ext_ack));
            sock.unicast(skb);
            return;
        }
        if !skb.is_empty() {
            sock.unicast(skb);
        }
        sock.dump = Some(cb);
    }

    /// The dump's next message after the cursor, and the cursor after it.
    fn dump_next_msg(&mut self, cb: &DumpCursor) -> Option<(Vec<u8>, DumpPos)> {
        match &cb.what {
            DumpWhat::Link {
                master_idx,
                kind,
                skip_stats,
            } => {
                let (ifindex, d) = self
                    .tables
                    .nets
                    .get(cb.net)?
                    .by_index
                    .range(cb.next_ifindex..)
                    .map(|(&i, &d)| (i, d))
                    .find(|&(_, d)| !self.link_dump_filtered(d, *master_idx, kind.as_deref()))?;
                let msg = self.rtnl_fill_ifinfo_msg(
                    super::RtmType::NewLink,
                    d,
                    0,
                    cb.net,
                    *skip_stats,
                    cb.seq,
                    cb.flags,
                );
                let next = DumpPos {
                    ifindex: ifindex.saturating_add(1),
                    ip_idx: 0,
                    families_left: 0,
                };
                Some((msg, next))
            }
            DumpWhat::Inet6Link => {
                let (ifindex, d) = self
                    .tables
                    .nets
                    .get(cb.net)?
                    .by_index
                    .range(cb.next_ifindex..)
                    .map(|(&i, &d)| (i, d))
                    .find(|&(_, d)| self.dev(d).inet.v6)?;
                let msg = self.inet6_fill_ifinfo(d, cb.seq, cb.flags);
                let next = DumpPos {
                    ifindex: ifindex.saturating_add(1),
                    ip_idx: 0,
                    families_left: 0,
                };
                Some((msg, next))
            }
            DumpWhat::Addr {
                families,
                ifindex,
                netnsid,
            } => self.inet_dump_addr_next(cb, families, *ifindex, *netnsid),
        }
    }
}

/// Where a dump stands after a message.
pub(crate) struct DumpPos {
    pub(crate) ifindex: u32,
    pub(crate) ip_idx: usize,
    /// Families still to walk (address dumps), the current one included.
    pub(crate) families_left: usize,
}

fn done_tlv_len(e: &KError) -> usize {
    e.extack.as_ref().map_or(0, |t| (4 + t.len() + 1 + 3) & !3)
}

/// `netlink_dump_done()`: NLMSG_DONE with `cb->answer_flags` and
/// `dump_done_errno` (0, or the error a dump start failed with, then with
/// its extack message as NLMSGERR_ATTR_MSG when the socket has EXT_ACK).
fn netlink_dump_done(cb: &DumpCursor, portid: u32, ext_ack: bool) -> Vec<u8> {
    let errno = cb.error.as_ref().map_or(0, |e| -e.errno.number());
    let text = cb
        .error
        .as_ref()
        .and_then(|e| e.extack.as_deref())
        .filter(|_| ext_ack);
    let mut flags = cb.flags | netlink_packet_core::NLM_F_MULTIPART;
    if text.is_some() {
        flags |= NLM_F_ACK_TLVS;
    }
    let tlv = text.map_or(0, |t| (4 + t.len() + 1 + 3) & !3);
    let mut h = super::emit::nl_header(netlink_packet_core::NLMSG_DONE, flags, cb.seq);
    h.length = (DONE_LEN + tlv) as u32;
    h.port_number = portid;
    let mut out = vec![0u8; DONE_LEN + tlv];
    netlink_packet_core::Emitable::emit(&h, &mut out[..NLMSG_HDRLEN]);
    out[NLMSG_HDRLEN..DONE_LEN].copy_from_slice(&errno.to_ne_bytes());
    if let Some(t) = text {
        let at = DONE_LEN;
        out[at..at + 2].copy_from_slice(&((4 + t.len() + 1) as u16).to_ne_bytes());
        out[at + 2..at + 4].copy_from_slice(&NLMSGERR_ATTR_MSG.to_ne_bytes());
        out[at + 4..at + 4 + t.len()].copy_from_slice(t.as_bytes());
    }
    out
}
