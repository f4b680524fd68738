//! `rtnl_fill_ifinfo()`: a device as an RTM_NEWLINK / RTM_DELLINK message.

use super::RtmType;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use netlink_packet_route::link::{
    InfoKind, InfoPortKind, LinkAttribute, LinkFlags, LinkHeader, LinkInfo, LinkLayerType,
    LinkMessage, LinkMode, Prop, State,
};
use netlink_packet_route::AddressFamily;

/// Constant device properties every modelled device reports.
const GSO_MAX_SIZE: u32 = 65536;
const GSO_MAX_SEGS: u32 = 65535;
/// GSO_MAX_SIZE = 8 * GSO_MAX_SEGS (BIG TCP), what veth advertises.
const VETH_TSO_MAX_SIZE: u32 = 8 * 65535;

impl Kernel {
    /// Builds the message `src_net`'s socket would receive for `dev`.
    /// Link namespace ids are allocated on demand (`peernet2id_alloc`).
    pub fn rtnl_fill_ifinfo(
        &mut self,
        _typ: RtmType,
        dev: DevId,
        change: u32,
        src_net: NetId,
    ) -> LinkMessage {
        let iflink = self.dev_get_iflink(dev);
        let link_net = self.dev_link_net(dev);
        let link_netnsid = match link_net {
            Some(ln) if ln != self.dev(dev).net => Some(self.peernet2id_alloc(src_net, ln)),
            _ => None,
        };
        let tso_max_size = self.tso_max_size(dev);
        let stats = self.dev_get_stats(dev);
        let d = self.dev(dev);
        let header = LinkHeader {
            interface_family: AddressFamily::Unspec,
            index: d.ifindex,
            link_layer_type: LinkLayerType::from(d.dev_type),
            flags: LinkFlags::from_bits_retain(d.user_flags()),
            change_mask: LinkFlags::from_bits_retain(change),
        };

        let mut a = vec![
            LinkAttribute::IfName(d.name.to_string()),
            LinkAttribute::TxQueueLen(d.tx_queue_len),
            LinkAttribute::OperState(State::from(d.reported_operstate() as u8)),
            LinkAttribute::Mode(LinkMode::from(d.link_mode)),
            LinkAttribute::Mtu(d.mtu),
            LinkAttribute::MinMtu(d.min_mtu),
            LinkAttribute::MaxMtu(d.max_mtu),
            LinkAttribute::Group(d.group),
            LinkAttribute::Promiscuity(0),
            LinkAttribute::AllMulticast(0),
            LinkAttribute::NumTxQueues(1),
            LinkAttribute::GsoMaxSegs(GSO_MAX_SEGS),
            LinkAttribute::GsoMaxSize(GSO_MAX_SIZE),
            LinkAttribute::GroMaxSize(GSO_MAX_SIZE),
            LinkAttribute::GsoIpv4MaxSize(GSO_MAX_SIZE),
            LinkAttribute::GroIpv4MaxSize(GSO_MAX_SIZE),
            LinkAttribute::TsoMaxSize(tso_max_size),
            LinkAttribute::TsoMaxSegs(GSO_MAX_SEGS),
            LinkAttribute::NumRxQueues(1),
            LinkAttribute::Carrier(u8::from(d.carrier)),
            LinkAttribute::CarrierChanges(d.carrier_up_count + d.carrier_down_count),
            LinkAttribute::CarrierUpCount(d.carrier_up_count),
            LinkAttribute::CarrierDownCount(d.carrier_down_count),
            LinkAttribute::ProtoDown(0),
            LinkAttribute::NetnsImmutable(d.netns_immutable),
        ];
        // nla_put_iflink(force = link netns differs): a peer elsewhere is
        // always reported, even when its index equals ours.
        if iflink != d.ifindex || link_netnsid.is_some() {
            a.push(LinkAttribute::Link(iflink));
        }
        if let Some(m) = d.master {
            a.push(LinkAttribute::Controller(self.dev(m).ifindex));
        }
        a.push(LinkAttribute::Qdisc(d.qdisc.name().to_string()));
        if let Some(alias) = &d.ifalias {
            a.push(LinkAttribute::IfAlias(alias.clone()));
        }
        if !d.dev_addr.is_empty() {
            a.push(LinkAttribute::Address(d.dev_addr.as_bytes().to_vec()));
            a.push(LinkAttribute::Broadcast(d.broadcast.as_bytes().to_vec()));
        }
        a.push(LinkAttribute::Stats64(stats.to_stats64()));
        let mut info = Vec::new();
        if let Some(kind) = d.driver.rtnl_kind() {
            info.push(LinkInfo::Kind(match kind {
                "veth" => InfoKind::Veth,
                "bridge" => InfoKind::Bridge,
                other => InfoKind::Other(other.to_string()),
            }));
        }
        if self.br_port_get(dev).is_some() {
            info.push(LinkInfo::PortKind(InfoPortKind::Bridge));
        }
        if !info.is_empty() {
            a.push(LinkAttribute::LinkInfo(info));
        }
        if let Some(id) = link_netnsid {
            a.push(LinkAttribute::LinkNetNsId(id));
        }
        if !d.altnames.is_empty() {
            a.push(LinkAttribute::PropList(
                d.altnames
                    .iter()
                    .map(|n| Prop::AltIfName(n.clone()))
                    .collect(),
            ));
        }
        if !d.perm_addr.is_empty() && d.parent.is_some() {
            a.push(LinkAttribute::PermAddress(d.perm_addr.as_bytes().to_vec()));
        }
        if let Some(parent) = &d.parent {
            a.push(LinkAttribute::ParentDevName(parent.clone()));
            let bus = match d.driver {
                crate::driver::Driver::Nic { virtio: true, .. } => "virtio",
                _ => "pci",
            };
            a.push(LinkAttribute::ParentDevBusName(bus.to_string()));
        }
        let mut msg = LinkMessage::default();
        msg.header = header;
        msg.attributes = a;
        msg
    }

    /// What building a notification changes besides the message:
    /// `rtnl_fill_link_netnsid` allocates the peer namespace's id.
    pub(crate) fn rtnl_fill_side_effects(&mut self, dev: DevId) {
        let net = self.dev(dev).net;
        if let Some(ln) = self.dev_link_net(dev).filter(|&ln| ln != net) {
            self.peernet2id_alloc(net, ln);
        }
    }

    /// `dev_get_stats()`: the driver's counters (`ndo_get_stats64`) plus the
    /// core's drops. net_failover folds its slaves' counters in.
    pub fn dev_get_stats(&mut self, dev: DevId) -> crate::stats::DevStats {
        if matches!(self.dev(dev).driver, crate::driver::Driver::NetFailover(_)) {
            let own = self.dev(dev).stats;
            return self.net_failover_get_stats(dev).plus(&own);
        }
        self.dev(dev).stats
    }

    /// `dev->tso_max_size`: veth raises it to GSO_MAX_SIZE (veth_setup); a
    /// bridge with ports takes their minimum
    /// (`netdev_compute_master_upper_features`); others keep the legacy size.
    fn tso_max_size(&self, dev: DevId) -> u32 {
        let d = self.dev(dev);
        match d.driver {
            crate::driver::Driver::Veth { .. } => VETH_TSO_MAX_SIZE,
            crate::driver::Driver::Bridge(_) if !d.lowers.is_empty() => d
                .lowers
                .iter()
                .map(|&l| self.tso_max_size(l))
                .min()
                .unwrap_or(GSO_MAX_SIZE),
            _ => GSO_MAX_SIZE,
        }
    }

    /// `rtmsg_ifinfo_newnet(RTM_DELLINK, …)`: the message a netns move sends
    /// in the old namespace, with IFLA_NEW_NETNSID and IFLA_NEW_IFINDEX.
    pub(crate) fn rtnl_fill_dellink_newnet(
        &mut self,
        dev: DevId,
        new_nsid: i32,
        new_ifindex: u32,
    ) -> Vec<u8> {
        let net = self.dev(dev).net;
        let mut m = self.rtnl_fill_ifinfo(RtmType::DelLink, dev, !0, net);
        m.attributes.push(LinkAttribute::NewNetnsId(new_nsid));
        m.attributes
            .push(LinkAttribute::NewIfIndex(new_ifindex as i32));
        super::reply_bytes_pub(netlink_packet_route::RouteNetlinkMessage::DelLink(m))
    }
}
