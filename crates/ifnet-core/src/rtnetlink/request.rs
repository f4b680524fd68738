//! The request side of RTM_*LINK: `LinkRequest`, the attributes of one
//! ifinfomsg the model acts on, parsed from netlink-packet-route's
//! `LinkMessage` (the kernel's `tb[]` after `nlmsg_parse()` with
//! `ifla_policy`).

use crate::consts::*;
use crate::drivers::rtnl_link_ops_get;
use crate::errno::{Errno, KError, KResult};
use netlink_packet_core::Nla;
use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkInfo, LinkMessage};

/// IFLA_ALT_IFNAME at the top level (a lookup key), which
/// netlink-packet-route leaves as an unknown attribute.
const IFLA_ALT_IFNAME: u16 = 53;

/// The attributes of one ifinfomsg request the model acts on
/// (the kernel's `tb[]` after `nlmsg_parse`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkRequest {
    pub ifi_index: i32,
    pub ifi_flags: u32,
    pub ifi_change: u32,
    pub ifname: Option<String>,
    pub alt_ifname: Option<String>,
    /// IFLA_PROP_LIST / IFLA_ALT_IFNAME entries (RTM_NEWLINKPROP, DELLINKPROP).
    pub prop_altnames: Vec<String>,
    pub has_prop_list: bool,
    pub mtu: Option<u32>,
    pub address: Option<Vec<u8>>,
    pub broadcast: Option<Vec<u8>>,
    pub txqlen: Option<u32>,
    pub master: Option<u32>,
    pub net_ns_fd: Option<i32>,
    pub net_ns_pid: Option<u32>,
    pub target_netnsid: Option<i32>,
    pub new_ifindex: Option<i32>,
    pub ifalias: Option<String>,
    pub group: Option<u32>,
    pub operstate: Option<u8>,
    pub linkmode: Option<u8>,
    pub carrier: Option<u8>,
    /// IFLA_NUM_TX_QUEUES / IFLA_NUM_RX_QUEUES (checked on creation only).
    pub num_tx_queues: Option<u32>,
    pub num_rx_queues: Option<u32>,
    /// IFLA_GSO_MAX_SIZE … IFLA_GRO_IPV4_MAX_SIZE (`validate_linkmsg`).
    pub gso_max_size: Option<u32>,
    pub gso_max_segs: Option<u32>,
    pub gro_max_size: Option<u32>,
    pub gso_ipv4_max_size: Option<u32>,
    pub gro_ipv4_max_size: Option<u32>,
    /// IFLA_PROTO_DOWN / IFLA_PROTO_DOWN_REASON present (`do_set_proto_down`).
    pub proto_down: Option<u8>,
    pub has_proto_down_reason: bool,
    /// IFLA_LINK_NETNSID: the link partner's namespace, by id.
    pub link_netnsid: Option<i32>,
    /// IFLA_EXT_MASK asked for RTEXT_FILTER_SKIP_STATS.
    pub skip_stats: bool,
    pub kind: Option<String>,
    pub has_info_data: bool,
    pub veth_peer: Option<Box<LinkRequest>>,
    /// A bond's IFLA_INFO_DATA (drivers/bonding/netlink.rs).
    pub info_bond: Option<Vec<netlink_packet_route::link::InfoBond>>,
    /// IFLA_INFO_SLAVE_DATA, for the master's `slave_changelink`.
    pub slave_data: Option<netlink_packet_route::link::InfoPortData>,
    /// IFLA_AF_SPEC (inet/link_af.rs).
    pub af_spec: Option<crate::inet::link_af::AfSpecReq>,
    /// IFLA_LINK: the lower device's ifindex (read by the kinds that
    /// have one, e.g. an IPoIB child's parent).
    pub link: Option<u32>,
    /// IFLA_INFO_DATA of kind "ipoib" (drivers/ipoib_netlink.rs).
    pub ipoib: Option<crate::drivers::ipoib_netlink::IpoibReq>,
}

/// `ifla_policy` string limits.
pub(super) fn check_str(s: &str, max: usize) -> KResult<()> {
    if s.len() > max {
        return Err(KError::msg(
            Errno::ERANGE,
            "Attribute failed policy validation",
        ));
    }
    Ok(())
}

/// `NLA_POLICY_MIN(NLA_U32, MAX_TCP_HEADER + 1)` (IFLA_GSO_MAX_SIZE,
/// IFLA_GSO_IPV4_MAX_SIZE): `nla_validate_int_range()`'s -ERANGE.
fn gso_policy_min(v: u32) -> KResult<u32> {
    if v < crate::limits::GSO_MIN_SIZE {
        return Err(KError::msg(Errno::ERANGE, "integer out of range"));
    }
    Ok(v)
}

impl LinkRequest {
    /// `nlmsg_parse(…, ifla_policy)` for the attributes the model knows.
    pub fn parse(m: &LinkMessage) -> KResult<LinkRequest> {
        let mut r = LinkRequest {
            ifi_index: m.header.index as i32,
            ifi_flags: m.header.flags.bits(),
            ifi_change: m.header.change_mask.bits(),
            ..LinkRequest::default()
        };
        for attr in &m.attributes {
            match attr {
                LinkAttribute::IfName(n) => {
                    check_str(n, IFNAMSIZ - 1)?;
                    r.ifname = Some(n.clone());
                }
                LinkAttribute::Mtu(v) => r.mtu = Some(*v),
                LinkAttribute::Address(a) => r.address = Some(a.clone()),
                LinkAttribute::Broadcast(a) => r.broadcast = Some(a.clone()),
                LinkAttribute::TxQueueLen(v) => r.txqlen = Some(*v),
                LinkAttribute::Controller(v) => r.master = Some(*v),
                LinkAttribute::NetNsFd(fd) => r.net_ns_fd = Some(*fd),
                LinkAttribute::NetNsPid(p) => r.net_ns_pid = Some(*p),
                LinkAttribute::IfNetnsId(id) => r.target_netnsid = Some(*id),
                LinkAttribute::NewIfIndex(i) => {
                    if *i < 1 {
                        return Err(KError::msg(
                            Errno::ERANGE,
                            "Attribute failed policy validation",
                        ));
                    }
                    r.new_ifindex = Some(*i);
                }
                LinkAttribute::IfAlias(s) => {
                    check_str(s, crate::flags::IFALIASZ - 1)?;
                    r.ifalias = Some(s.clone());
                }
                LinkAttribute::Group(g) => r.group = Some(*g),
                LinkAttribute::OperState(s) => r.operstate = Some(u8::from(*s)),
                LinkAttribute::Mode(mode) => r.linkmode = Some(u8::from(*mode)),
                LinkAttribute::Carrier(c) => r.carrier = Some(*c),
                LinkAttribute::NumTxQueues(n) => r.num_tx_queues = Some(*n),
                LinkAttribute::NumRxQueues(n) => r.num_rx_queues = Some(*n),
                LinkAttribute::GsoMaxSize(n) => r.gso_max_size = Some(gso_policy_min(*n)?),
                LinkAttribute::GsoMaxSegs(n) => r.gso_max_segs = Some(*n),
                LinkAttribute::GroMaxSize(n) => r.gro_max_size = Some(*n),
                LinkAttribute::GsoIpv4MaxSize(n) => r.gso_ipv4_max_size = Some(gso_policy_min(*n)?),
                LinkAttribute::GroIpv4MaxSize(n) => r.gro_ipv4_max_size = Some(*n),
                LinkAttribute::ProtoDown(p) => r.proto_down = Some(*p),
                LinkAttribute::ProtoDownReason(_) => r.has_proto_down_reason = true,
                LinkAttribute::LinkNetNsId(id) => r.link_netnsid = Some(*id),
                LinkAttribute::Link(l) => r.link = Some(*l),
                LinkAttribute::ExtMask(masks) => {
                    r.skip_stats = masks.iter().any(|m| {
                        matches!(m, netlink_packet_route::link::LinkExtentMask::SkipStats)
                    });
                }
                LinkAttribute::PropList(props) => {
                    r.has_prop_list = true;
                    for p in props {
                        // Validated one by one in rtnl_alt_ifname(), after
                        // the device lookup: ifla_policy leaves the nest alone.
                        if let netlink_packet_route::link::Prop::AltIfName(n) = p {
                            r.prop_altnames.push(n.clone());
                        }
                    }
                }
                LinkAttribute::Other(nla) if nla.kind() == IFLA_ALT_IFNAME => {
                    let mut v = vec![0u8; nla.value_len()];
                    nla.emit_value(&mut v);
                    let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
                    let n = String::from_utf8_lossy(&v[..end]).into_owned();
                    check_str(&n, ALTIFNAMSIZ - 1)?;
                    r.alt_ifname = Some(n);
                }
                LinkAttribute::LinkInfo(infos) => r.parse_linkinfo(infos)?,
                LinkAttribute::AfSpecUnspec(specs) => {
                    r.af_spec = Some(crate::inet::link_af::AfSpecReq::parse(specs));
                }
                _ => {}
            }
        }
        Ok(r)
    }

    /// IFLA_LINKINFO: the kind, and IFLA_INFO_DATA through the kind's
    /// parser (`rtnl_link_ops->policy`); data of an unknown kind is only
    /// noted.
    fn parse_linkinfo(&mut self, infos: &[LinkInfo]) -> KResult<()> {
        let mut data = None;
        for info in infos {
            match info {
                LinkInfo::Kind(k) => {
                    self.kind = Some(match k {
                        InfoKind::Other(s) => s.clone(),
                        other => format!("{other:?}").to_lowercase(),
                    })
                }
                LinkInfo::Data(d) => {
                    self.has_info_data = true;
                    data = Some(d);
                }
                LinkInfo::PortData(d) => self.slave_data = Some(d.clone()),
                _ => {}
            }
        }
        let ops = self.kind.as_deref().and_then(rtnl_link_ops_get);
        if let (Some(parse), Some(d)) = (ops.and_then(|o| o.parse_info_data), data) {
            parse(d, self)?;
        }
        Ok(())
    }

    pub(crate) fn netns_attr_count(&self) -> usize {
        usize::from(self.net_ns_fd.is_some())
            + usize::from(self.net_ns_pid.is_some())
            + usize::from(self.target_netnsid.is_some())
    }
}
