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
mod rtnl;
pub mod state;
pub mod statefs;

use ifnet_core::rtnetlink::NetlinkSocket;
use ifnet_core::{Kernel, NetId};
use netlink_packet_core::DefaultNla;
use netlink_packet_route::link::{LinkAttribute, LinkMessage, Prop};

use crate::ip::args::Opts;
use crate::ip::jsonw::Printer;
use crate::ip::llmap::{idx_a2n, LinkSeen, LlCache};
use crate::ip::util::check_ifname;

/// RTM_NEWLINK.
pub(super) const RTM_NEWLINK: u16 = 16;
/// EIO, what a truncated error message leaves rtnl_talk() with.
pub(super) const EIO: i32 = 5;
/// EMSGSIZE: a request netlink cannot carry.
pub(super) const EMSGSIZE: i32 = 90;

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
    /// ipaddress.c's global `filter` as the last `ip link show` left it
    /// (zeroed at start, so `group` is 0 until a show resets it to -1):
    /// what an `-echo` answer is printed through.
    pub filter: crate::ip::print_link::Filter,
    /// ipaddress.c's global `do_link`, set by the first `ip link show`.
    pub do_link: bool,
    /// ipmaddr.c's static `filter.dev`, kept across a batch's commands.
    pub maddr_dev: Option<String>,
    seq: u32,
    /// The rtnetlink socket `rtnl_open()` opened (`rth`): NETLINK_EXT_ACK,
    /// no NETLINK_CAP_ACK, bound to the process id (autobind's first
    /// choice). It follows `net` (ip switches namespace before opening
    /// it). What a command does not read stays queued for the next one,
    /// as in a batch.
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
        let mut sock = NetlinkSocket::iproute2(net, std::process::id());
        if let Some(n) = opts.rcvbuf {
            // `-rcvbuf`: rtnl_open's SO_RCVBUF.
            sock.rcvbuf = n as usize;
        }
        let mut p = Printer::new(opts.json, opts.pretty);
        p.set_oneline(opts.oneline);
        use std::io::IsTerminal;
        let tty = std::io::stdout().is_terminal();
        if crate::ip::color::check_enable_color(opts.color, opts.json, tty) {
            let fgbg = std::env::var("COLORFGBG").ok();
            p.set_color(Some(crate::ip::color::Palette::from_colorfgbg(
                fgbg.as_deref(),
            )));
        }
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
            filter: crate::ip::print_link::Filter {
                group: Some(0),
                ..Default::default()
            },
            do_link: false,
            maddr_dev: None,
            seq: 0,
            sock,
        }
    }

    pub fn eprint(&mut self, s: &str) {
        self.err.extend_from_slice(s.as_bytes());
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
pub(super) const LL_LINK_GET_REQ: usize = 1056;

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
    pub(super) const RTM_NEWLINK: u16 = 16;
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
    use netlink_packet_core::NLM_F_REQUEST;
    use netlink_packet_route::RouteNetlinkMessage;

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
