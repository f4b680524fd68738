//! A minimal rtnetlink client over a [`Kernel`]: builds the requests
//! iproute2 sends and decodes the replies. Tests, benchmarks and the
//! simulator use it so that everything goes through genuine messages.

use crate::errno::{Errno, KError};
use crate::ids::NetId;
use crate::kernel::Kernel;
pub use crate::rtnetlink::EncodeError;
use crate::rtnetlink::{NetlinkSocket, NLMSGERR_ATTR_MSG};
use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED,
    NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST,
};
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope, CacheInfo,
};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

/// A reply error: errno and the extack text, decoded from NLMSG_ERROR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NlError {
    pub errno: Errno,
    pub extack: Option<String>,
}

impl From<NlError> for KError {
    fn from(e: NlError) -> KError {
        match e.extack {
            Some(t) => KError::msg_fmt(e.errno, t),
            None => KError::new(e.errno),
        }
    }
}

/// Encodes a request with the given flags, or refuses one netlink cannot
/// carry (an attribute longer than `nla_len` allows, a message past
/// [`crate::rtnetlink::emit::MAX_MESSAGE_BYTES`]). Never panics.
pub fn try_encode(
    inner: RouteNetlinkMessage,
    flags: u16,
    seq: u32,
) -> Result<Vec<u8>, EncodeError> {
    let mut header = NetlinkHeader::default();
    header.flags = flags;
    header.sequence_number = seq;
    crate::rtnetlink::try_to_bytes(NetlinkMessage::new(
        header,
        NetlinkPayload::InnerMessage(inner),
    ))
}

/// [`try_encode`] for requests known to fit (tests, benchmarks): a request
/// netlink cannot carry becomes an empty buffer, which the kernel model
/// answers with nothing. Callers with user data use [`try_encode`].
pub fn encode(inner: RouteNetlinkMessage, flags: u16, seq: u32) -> Vec<u8> {
    try_encode(inner, flags, seq).unwrap_or_default()
}

/// The whole messages of a datagram, in order (`NLMSG_OK` / `NLMSG_NEXT`).
pub fn split_messages(mut buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        if buf.len() < 16 {
            return None;
        }
        let len = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        if len < 16 || len > buf.len() {
            return None;
        }
        let msg = &buf[..len];
        buf = &buf[((len + 3) & !3).min(buf.len())..];
        Some(msg)
    })
}

/// `nlmsg_pid` of a message (at least a header long).
pub fn nlmsg_pid(msg: &[u8]) -> u32 {
    u32::from_ne_bytes([msg[12], msg[13], msg[14], msg[15]])
}

/// `nlmsg_seq` of a message (at least a header long).
pub fn nlmsg_seq(msg: &[u8]) -> u32 {
    u32::from_ne_bytes([msg[8], msg[9], msg[10], msg[11]])
}

/// Splits replies into link messages and a final error (if any).
pub fn decode(replies: &[Vec<u8>]) -> (Vec<LinkMessage>, Result<(), NlError>) {
    let mut links = Vec::new();
    for r in replies {
        let Ok(msg) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(r) else {
            return (
                links,
                Err(NlError {
                    errno: Errno::EIO,
                    extack: None,
                }),
            );
        };
        match msg.payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(m)) => links.push(m),
            NetlinkPayload::Error(e) => {
                if let Some(code) = e.code {
                    let extack = extack_msg(msg.header.flags, &e.header);
                    return (
                        links,
                        Err(NlError {
                            errno: Errno::from_number(-code.get()),
                            extack,
                        }),
                    );
                }
            }
            _ => {}
        }
    }
    (links, Ok(()))
}

/// `nl_dump_ext_ack()`: the NLMSGERR_ATTR_MSG string of an error or ACK,
/// if the kernel attached TLVs (NLM_F_ACK_TLVS). `payload` is everything
/// after the error code: the echoed request (16 bytes if NLM_F_CAPPED, the
/// whole request otherwise), then the TLVs.
pub fn extack_msg(flags: u16, payload: &[u8]) -> Option<String> {
    if flags & NLM_F_ACK_TLVS == 0 {
        return None;
    }
    let skip = if flags & NLM_F_CAPPED != 0 {
        16
    } else {
        let len = payload.get(..4)?;
        let len = u32::from_ne_bytes([len[0], len[1], len[2], len[3]]) as usize;
        (len.max(16) + 3) & !3
    };
    extack_attr_msg(payload.get(skip..)?)
}

/// The NLMSGERR_ATTR_MSG string among extack TLVs (after an error's echoed
/// request, or after NLMSG_DONE's error code: `nl_dump_ext_ack_done()`).
pub fn extack_attr_msg(mut tlvs: &[u8]) -> Option<String> {
    while tlvs.len() >= 4 {
        let len = u16::from_ne_bytes([tlvs[0], tlvs[1]]) as usize;
        let ty = u16::from_ne_bytes([tlvs[2], tlvs[3]]) & 0x3fff;
        if len < 4 || len > tlvs.len() {
            return None;
        }
        if ty == NLMSGERR_ATTR_MSG {
            let v = &tlvs[4..len];
            let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
            return Some(String::from_utf8_lossy(&v[..end]).into_owned());
        }
        tlvs = tlvs.get((len + 3) & !3..).unwrap_or(&[]);
    }
    None
}

/// One netlink socket in one namespace, opened as iproute2 opens it
/// ([`NetlinkSocket::iproute2`]: NETLINK_EXT_ACK, no NETLINK_CAP_ACK).
pub struct Client<'k> {
    pub kernel: &'k mut Kernel,
    /// The socket's namespace (the socket follows it at each request).
    pub net: NetId,
    seq: u32,
    sock: NetlinkSocket,
}

impl<'k> Client<'k> {
    /// The portid [`Client::new`] binds: a stand-in for autobind's
    /// process id, fixed so that runs are reproducible.
    pub const PORTID: u32 = 1;

    pub fn new(kernel: &'k mut Kernel, net: NetId) -> Client<'k> {
        Client::with_socket(kernel, NetlinkSocket::iproute2(net, Client::PORTID))
    }

    /// A client over a socket the caller configured.
    pub fn with_socket(kernel: &'k mut Kernel, sock: NetlinkSocket) -> Client<'k> {
        Client {
            kernel,
            net: sock.net,
            seq: 0,
            sock,
        }
    }

    /// Sends `bytes` (a request with sequence `seq`) and reads the socket
    /// dry: the messages addressed to this socket's portid that answer
    /// `seq`, as `rtnl_talk()` keeps them.
    pub fn exchange(&mut self, bytes: &[u8], seq: u32) -> Result<Vec<Vec<u8>>, Errno> {
        self.sock.net = self.net;
        self.kernel.netlink_sendmsg(&mut self.sock, bytes)?;
        let mut out = Vec::new();
        while let Some(len) = self.sock.peek_len() {
            let Some(d) = self.kernel.netlink_recvmsg(&mut self.sock, len.max(32768)) else {
                break;
            };
            out.extend(
                split_messages(&d.bytes)
                    .filter(|m| nlmsg_pid(m) == self.sock.portid && nlmsg_seq(m) == seq)
                    .map(<[u8]>::to_vec),
            );
        }
        Ok(out)
    }

    /// Sends one request; returns the links in the reply or the error.
    pub fn request(
        &mut self,
        inner: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<Vec<LinkMessage>, NlError> {
        let replies = self.send(inner, flags)?;
        let (links, res) = decode(&replies);
        res.map(|_| links)
    }

    /// Encodes `inner` as the next request (NLM_F_REQUEST | `flags`, the
    /// next sequence number) and returns the replies addressed to it.
    fn send(&mut self, inner: RouteNetlinkMessage, flags: u16) -> Result<Vec<Vec<u8>>, NlError> {
        self.seq = self.seq.wrapping_add(1);
        // A request netlink cannot carry never leaves: sendmsg() would have
        // nothing valid to send (libnl's nla_put() fails with EMSGSIZE).
        let bytes = try_encode(inner, flags | NLM_F_REQUEST, self.seq).map_err(|_| NlError {
            errno: Errno::EMSGSIZE,
            extack: None,
        })?;
        self.exchange(&bytes, self.seq).map_err(|errno| NlError {
            errno,
            extack: None,
        })
    }

    /// `ip link add NAME type veth peer name PEER`.
    pub fn add_veth(&mut self, name: &str, peer: &str) -> Result<(), NlError> {
        self.request(
            veth_newlink(name, peer),
            NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(|_| ())
    }

    /// `ip link add NAME type bridge`.
    pub fn add_bridge(&mut self, name: &str) -> Result<(), NlError> {
        self.request(bridge_newlink(name), NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
            .map(|_| ())
    }

    /// `ip link add link PARENT name NAME type ipoib [pkey P] [mode M]`
    /// (M: 0 datagram, 1 connected).
    pub fn add_ipoib_child(
        &mut self,
        name: &str,
        parent: &str,
        pkey: Option<u16>,
        mode: Option<u16>,
    ) -> Result<(), NlError> {
        let parent = self.get(parent)?.header.index;
        self.request(
            ipoib_newlink(name, Some(parent), pkey, mode),
            NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(|_| ())
    }

    /// `ip link set NAME` with extra attributes (looked up by name).
    pub fn set(&mut self, name: &str, attrs: Vec<LinkAttribute>) -> Result<(), NlError> {
        let mut m = link_named(name);
        m.attributes.extend(attrs);
        self.request(RouteNetlinkMessage::NewLink(m), NLM_F_ACK)
            .map(|_| ())
    }

    /// `ip link set NAME addrgenmode MODE` (IN6_ADDR_GEN_MODE_*: 0 eui64,
    /// 1 none, 2 stable_secret, 3 random): IFLA_AF_SPEC / AF_INET6 /
    /// IFLA_INET6_ADDR_GEN_MODE.
    pub fn set_addrgenmode(&mut self, name: &str, mode: u8) -> Result<(), NlError> {
        use netlink_packet_route::link::{AfSpecInet6, AfSpecUnspec, In6AddrGenMode};
        self.set(
            name,
            vec![LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet6(
                vec![AfSpecInet6::AddrGenMode(In6AddrGenMode::from(mode))],
            )])],
        )
    }

    /// `ip link set NAME up|down`.
    pub fn set_up(&mut self, name: &str, up: bool) -> Result<(), NlError> {
        let mut m = link_named(name);
        m.header.change_mask = LinkFlags::Up;
        if up {
            m.header.flags = LinkFlags::Up;
        }
        self.request(RouteNetlinkMessage::NewLink(m), NLM_F_ACK)
            .map(|_| ())
    }

    /// `ip link set NAME name NEW` (iproute2 looks up the index first).
    pub fn rename(&mut self, name: &str, new: &str) -> Result<(), NlError> {
        let index = self.get(name)?.header.index;
        let mut m = LinkMessage::default();
        m.header.index = index;
        m.attributes.push(LinkAttribute::IfName(new.to_string()));
        self.request(RouteNetlinkMessage::NewLink(m), NLM_F_ACK)
            .map(|_| ())
    }

    /// `ip link set NAME netns NS [name NEW]`.
    pub fn set_netns(
        &mut self,
        name: &str,
        target: NetId,
        new_name: Option<&str>,
    ) -> Result<(), NlError> {
        let fd = self.kernel.netns_fd(target) as i32;
        // iproute2 resolves the device to its index first, so IFLA_IFNAME
        // is only present as the new name (and the move's pattern).
        let mut m = LinkMessage::default();
        m.header.index = self.get(name)?.header.index;
        if let Some(n) = new_name {
            m.attributes.push(LinkAttribute::IfName(n.to_string()));
        }
        m.attributes.push(LinkAttribute::NetNsFd(fd));
        self.request(RouteNetlinkMessage::NewLink(m), NLM_F_ACK)
            .map(|_| ())
    }

    /// `ip link set NAME master M` (0 = nomaster).
    pub fn set_master(&mut self, name: &str, master: Option<&str>) -> Result<(), NlError> {
        let idx = match master {
            Some(m) => self.get(m)?.header.index,
            None => 0,
        };
        self.set(name, vec![LinkAttribute::Controller(idx)])
    }

    /// `ip link del NAME`.
    pub fn del(&mut self, name: &str) -> Result<(), NlError> {
        self.request(RouteNetlinkMessage::DelLink(link_named(name)), NLM_F_ACK)
            .map(|_| ())
    }

    /// `ip link show NAME`.
    pub fn get(&mut self, name: &str) -> Result<LinkMessage, NlError> {
        let mut links = self.request(RouteNetlinkMessage::GetLink(link_named(name)), 0)?;
        links.pop().ok_or(NlError {
            errno: Errno::ENODEV,
            extack: None,
        })
    }

    /// `ip link show`: every link of the namespace.
    pub fn dump(&mut self) -> Vec<LinkMessage> {
        self.request(
            RouteNetlinkMessage::GetLink(LinkMessage::default()),
            NLM_F_DUMP,
        )
        .unwrap_or_default()
    }

    /// Names in ifindex order.
    pub fn names(&mut self) -> Vec<String> {
        self.dump().iter().filter_map(link_name).collect()
    }
}

/// What `ip addr add|change|replace` puts in a request besides the
/// address (see [`Client::addr_modify`]).
#[derive(Debug, Clone, Default)]
pub struct AddrOpts {
    pub peer: Option<std::net::IpAddr>,
    pub broadcast: Option<std::net::Ipv4Addr>,
    pub label: Option<String>,
    pub scope: u8,
    pub flags: u32,
    /// (valid, preferred) lifetimes in seconds.
    pub lifetimes: Option<(u32, u32)>,
}

impl Client<'_> {
    /// Sends an address request; returns the address messages of the
    /// reply (a dump's) or the error.
    pub fn addr_request(
        &mut self,
        inner: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<Vec<AddressMessage>, NlError> {
        let replies = self.send(inner, flags)?;
        let mut out = Vec::new();
        for r in &replies {
            let Ok(msg) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(r) else {
                return Err(NlError {
                    errno: Errno::EIO,
                    extack: None,
                });
            };
            match msg.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(m)) => out.push(m),
                NetlinkPayload::Error(e) => {
                    if let Some(code) = e.code {
                        return Err(NlError {
                            errno: Errno::from_number(-code.get()),
                            extack: extack_msg(msg.header.flags, &e.header),
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// `ip addr add|change|replace ADDR/LEN dev NAME …` (`nl_flags`:
    /// NLM_F_CREATE|NLM_F_EXCL for add), as ipaddr_modify() builds it.
    pub fn addr_modify(
        &mut self,
        name: &str,
        cidr: &str,
        opts: &AddrOpts,
        nl_flags: u16,
    ) -> Result<(), NlError> {
        let (addr, len) = parse_cidr(cidr)?;
        let mut m = AddressMessage::default();
        m.header.family = if addr.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        };
        m.header.prefix_len = len;
        m.header.scope = AddressScope::from(opts.scope);
        m.header.index = self.get(name)?.header.index;
        if opts.flags <= 0xff {
            m.header.flags = AddressHeaderFlags::from_bits_retain(opts.flags as u8);
        }
        m.attributes.push(AddressAttribute::Local(addr));
        m.attributes
            .push(AddressAttribute::Address(opts.peer.unwrap_or(addr)));
        if let Some(b) = opts.broadcast {
            m.attributes.push(AddressAttribute::Broadcast(b));
        }
        if let Some(l) = &opts.label {
            m.attributes.push(AddressAttribute::Label(l.clone()));
        }
        if opts.flags > 0xff {
            m.attributes
                .push(AddressAttribute::Flags(AddressFlags::from_bits_retain(
                    opts.flags,
                )));
        }
        if let Some((valid, preferred)) = opts.lifetimes {
            let mut ci = CacheInfo::default();
            ci.ifa_valid = valid;
            ci.ifa_preferred = preferred;
            m.attributes.push(AddressAttribute::CacheInfo(ci));
        }
        self.addr_request(RouteNetlinkMessage::NewAddress(m), NLM_F_ACK | nl_flags)
            .map(|_| ())
    }

    /// `ip addr add ADDR/LEN dev NAME`.
    pub fn add_addr(&mut self, name: &str, cidr: &str) -> Result<(), NlError> {
        self.addr_modify(name, cidr, &AddrOpts::default(), NLM_F_CREATE | NLM_F_EXCL)
    }

    /// `ip addr del ADDR/LEN dev NAME`.
    pub fn del_addr(&mut self, name: &str, cidr: &str) -> Result<(), NlError> {
        let (addr, len) = parse_cidr(cidr)?;
        let mut m = AddressMessage::default();
        m.header.family = if addr.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        };
        m.header.prefix_len = len;
        m.header.index = self.get(name)?.header.index;
        m.attributes.push(AddressAttribute::Local(addr));
        m.attributes.push(AddressAttribute::Address(addr));
        self.addr_request(RouteNetlinkMessage::DelAddress(m), NLM_F_ACK)
            .map(|_| ())
    }

    /// `ip addr show`: every address of the namespace (AF_UNSPEC dump).
    pub fn addrs(&mut self) -> Vec<AddressMessage> {
        self.addr_request(
            RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            NLM_F_DUMP,
        )
        .unwrap_or_default()
    }

    /// The addresses of one device as "ADDR/LEN" strings, in dump order.
    pub fn addr_strings(&mut self, name: &str) -> Vec<String> {
        let Ok(index) = self.get(name).map(|l| l.header.index) else {
            return Vec::new();
        };
        self.addrs()
            .iter()
            .filter(|m| m.header.index == index)
            .filter_map(|m| {
                let a = m.attributes.iter().find_map(|a| match a {
                    AddressAttribute::Local(a) => Some(*a),
                    _ => None,
                });
                let a = a.or_else(|| {
                    m.attributes.iter().find_map(|a| match a {
                        AddressAttribute::Address(a) => Some(*a),
                        _ => None,
                    })
                })?;
                Some(format!("{a}/{}", m.header.prefix_len))
            })
            .collect()
    }
}

/// "ADDR/LEN" (or a bare address: /32, /128); EINVAL if malformed.
fn parse_cidr(cidr: &str) -> Result<(std::net::IpAddr, u8), NlError> {
    let (a, l) = cidr.split_once('/').unwrap_or((cidr, ""));
    let addr: std::net::IpAddr = a.parse().map_err(|_| NlError {
        errno: Errno::EINVAL,
        extack: None,
    })?;
    let len = l.parse().unwrap_or(if addr.is_ipv4() { 32 } else { 128 });
    Ok((addr, len))
}

/// A link message that names its device (IFLA_IFNAME), as `ip link` sends
/// one for `dev NAME`.
pub fn link_named(name: &str) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName(name.to_string()));
    m
}

/// The RTM_NEWLINK of `ip link add NAME type veth peer name PEER`.
pub fn veth_newlink(name: &str, peer: &str) -> RouteNetlinkMessage {
    let mut m = link_named(name);
    m.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Veth),
        LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(link_named(peer)))),
    ]));
    RouteNetlinkMessage::NewLink(m)
}

/// The RTM_NEWLINK of `ip link add [link PARENT] name NAME type ipoib
/// [pkey P] [mode M]`.
pub fn ipoib_newlink(
    name: &str,
    parent: Option<u32>,
    pkey: Option<u16>,
    mode: Option<u16>,
) -> RouteNetlinkMessage {
    use netlink_packet_route::link::InfoIpoib;
    let mut m = link_named(name);
    if let Some(p) = parent {
        m.attributes.push(LinkAttribute::Link(p));
    }
    let mut data = Vec::new();
    data.extend(pkey.map(InfoIpoib::Pkey));
    data.extend(mode.map(|v| InfoIpoib::Mode(v.into())));
    let mut info = vec![LinkInfo::Kind(InfoKind::Ipoib)];
    if !data.is_empty() {
        info.push(LinkInfo::Data(InfoData::Ipoib(data)));
    }
    m.attributes.push(LinkAttribute::LinkInfo(info));
    RouteNetlinkMessage::NewLink(m)
}

/// The RTM_NEWLINK of `ip link add NAME type bridge`.
pub fn bridge_newlink(name: &str) -> RouteNetlinkMessage {
    let mut m = link_named(name);
    m.attributes
        .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
            InfoKind::Bridge,
        )]));
    RouteNetlinkMessage::NewLink(m)
}

/// IFLA_IFNAME of a link message.
pub fn link_name(m: &LinkMessage) -> Option<String> {
    m.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(n) => Some(n.clone()),
        _ => None,
    })
}
