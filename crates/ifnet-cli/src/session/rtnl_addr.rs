//! The address requests of `ip address` on the session's socket:
//! `rtnl_addrdump_req()` + `rtnl_dump_filter()` (with `rtnl_dump_done()`'s
//! handling of an error in NLMSG_DONE) and `ipaddr_flush()`'s batch of
//! RTM_DELADDR checked by `rtnl_send_check()`.

use netlink_packet_core::{NLMSG_ERROR, NLM_F_REQUEST};
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::RouteNetlinkMessage;

use super::rtnl::{u32_at, DumpStyle};
use super::{DumpTerminated, Session, EMSGSIZE};
use crate::ip::util::strerror;

/// NLM_F_ACK_TLVS.
const NLM_F_ACK_TLVS: u16 = 0x200;
const ENOENT: i32 = 2;
const EOPNOTSUPP: i32 = 95;
const EMSGSIZE_: i32 = 90;

impl Session {
    /// `rtnl_addrdump_req(family, filter)` + `rtnl_dump_filter()`: the
    /// addresses the kernel dumps; messages that are not this dump's are
    /// skipped. An error (in NLMSG_DONE or NLMSG_ERROR) ends the dump.
    pub fn dump_addrs(
        &mut self,
        req: AddressMessage,
    ) -> Result<Vec<AddressMessage>, DumpTerminated> {
        let style = DumpStyle {
            done_carries_error: true,
            error_says_terminated: false,
        };
        self.rtnl_dump_filter(RouteNetlinkMessage::GetAddress(req), style, |m| match m {
            RouteNetlinkMessage::NewAddress(a) => Some(a),
            _ => None,
        })
    }

    /// `rtnl_dump_done()`: a negative length in NLMSG_DONE is the dump's
    /// error — its extack message if the kernel attached one
    /// (`nl_dump_ext_ack_done`), else perror's line; ENOENT and EOPNOTSUPP
    /// print nothing.
    pub(super) fn rtnl_dump_done(&mut self, m: &[u8]) -> Result<(), DumpTerminated> {
        let Some(code) = m.get(16..20).map(|c| u32_at(c, 0) as i32) else {
            self.eprint("DONE truncated\n");
            return Err(DumpTerminated);
        };
        if code >= 0 {
            return Ok(());
        }
        let flags = u16::from_ne_bytes([m[6], m[7]]);
        if flags & NLM_F_ACK_TLVS != 0 {
            let msg = ifnet_core::client::extack_attr_msg(&m[20..]);
            if let Some(msg) = msg.filter(|s| !s.is_empty()) {
                let dot = if msg.ends_with('.') { "" } else { "." };
                self.eprint(&format!("Error: {msg}{dot}\n"));
                return Err(DumpTerminated);
            }
        }
        match -code {
            ENOENT | EOPNOTSUPP => {}
            EMSGSIZE_ => self.eprint("Error: Buffer too small for object.\n"),
            e => self.eprint(&format!("RTNETLINK answers: {}\n", strerror(e))),
        }
        Err(DumpTerminated)
    }

    /// `ipaddr_flush()`'s batch: every dumped address as an RTM_DELADDR
    /// (NLM_F_REQUEST only, a sequence number each) in one send, then
    /// `rtnl_send_check()`: the first NLMSG_ERROR's errno, if any.
    pub fn send_deladdrs(&mut self, msgs: Vec<AddressMessage>) -> Result<(), i32> {
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
        while let Some((d, _)) = self.recv_datagram() {
            for r in ifnet_core::client::split_messages(&d) {
                if first_err.is_none()
                    && r.len() >= 20
                    && u16::from_ne_bytes([r[4], r[5]]) == NLMSG_ERROR
                {
                    let code = u32_at(r, 16) as i32;
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
}
