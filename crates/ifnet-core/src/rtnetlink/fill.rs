//! `rtnl_fill_ifinfo()`: a device as an RTM_NEWLINK / RTM_DELLINK message.

use super::emit::{nl_header, LinkBytes};
use super::RtmType;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::netdev::NetDevice;
use netlink_packet_route::link::{
    InfoKind, LinkAttribute, LinkFlags, LinkHeader, LinkInfo, LinkLayerType, LinkMessage, LinkMode,
    Prop, State,
};
use netlink_packet_route::AddressFamily;

/// `dev->tso_max_segs` (TSO_MAX_SEGS) of every modelled device.
const TSO_MAX_SEGS: u32 = 65535;
/// Upper bound on the attributes `rtnl_fill_ifinfo` emits (25 fixed, at most
/// 13 optional).
const FILL_MAX_ATTRS: usize = 40;
/// RTM_NEWLINK / RTM_DELLINK.
const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;

/// Where `rtnl_fill_ifinfo_into` puts each attribute (the kernel's
/// `nla_put` into an skb).
pub(crate) trait IflaSink {
    fn put(&mut self, attr: LinkAttribute);
}

impl IflaSink for Vec<LinkAttribute> {
    fn put(&mut self, attr: LinkAttribute) {
        self.push(attr);
    }
}

impl Kernel {
    /// Builds the message `src_net`'s socket would receive for `dev`.
    /// Link namespace ids are allocated on demand (`peernet2id_alloc`).
    /// `skip_stats` is RTEXT_FILTER_SKIP_STATS: no IFLA_STATS64, and the
    /// driver's counters are not read (`rtnl_fill_stats` is not called).
    pub fn rtnl_fill_ifinfo(
        &mut self,
        _typ: RtmType,
        dev: DevId,
        change: u32,
        src_net: NetId,
        skip_stats: bool,
    ) -> LinkMessage {
        // Sized for every attribute: LinkAttribute is ~200 bytes, so growing
        // the vector mid-fill would cost more than the fill itself.
        let mut attributes = Vec::with_capacity(FILL_MAX_ATTRS);
        let header = self.rtnl_fill_ifinfo_into(dev, change, src_net, skip_stats, &mut attributes);
        debug_assert!(
            attributes.len() <= FILL_MAX_ATTRS,
            "FILL_MAX_ATTRS covers the fill"
        );
        let mut msg = LinkMessage::default();
        msg.header = header;
        msg.attributes = attributes;
        msg
    }

    /// The fill itself: returns the ifinfomsg and hands the attributes to
    /// `a` in the kernel's order (a vector for a `LinkMessage`, or
    /// `emit::LinkBytes` to write them straight into a reply).
    pub(crate) fn rtnl_fill_ifinfo_into(
        &mut self,
        dev: DevId,
        change: u32,
        src_net: NetId,
        skip_stats: bool,
        a: &mut impl IflaSink,
    ) -> LinkHeader {
        let iflink = self.dev_get_iflink(dev);
        let link_net = self.dev_link_net(dev);
        let link_netnsid = match link_net {
            Some(ln) if ln != self.dev(dev).net => Some(self.peernet2id_alloc(src_net, ln)),
            _ => None,
        };
        let tso_max_size = self.dev_tso_max_size(dev);
        let stats = (!skip_stats).then(|| self.dev_get_stats(dev));
        let d = self.dev(dev);
        let header = LinkHeader {
            interface_family: AddressFamily::Unspec,
            index: d.ifindex,
            link_layer_type: LinkLayerType::from(d.dev_type),
            flags: LinkFlags::from_bits_retain(d.user_flags()),
            change_mask: LinkFlags::from_bits_retain(change),
        };

        put_ifinfo_scalars(d, tso_max_size, a);
        // nla_put_iflink(force = link netns differs): a peer elsewhere is
        // always reported, even when its index equals ours.
        if iflink != d.ifindex || link_netnsid.is_some() {
            a.put(LinkAttribute::Link(iflink));
        }
        if let Some(m) = d.master {
            a.put(LinkAttribute::Controller(self.dev(m).ifindex));
        }
        a.put(LinkAttribute::Qdisc(d.qdisc.name().to_string()));
        if let Some(alias) = &d.ifalias {
            a.put(LinkAttribute::IfAlias(alias.clone()));
        }
        if !d.dev_addr.is_empty() {
            a.put(LinkAttribute::Address(d.dev_addr.as_bytes().to_vec()));
            a.put(LinkAttribute::Broadcast(d.broadcast.as_bytes().to_vec()));
        }
        if let Some(stats) = stats {
            a.put(LinkAttribute::Stats64(stats.to_stats64()));
        }
        let mut info = Vec::new();
        self.rtnl_link_fill(dev, &mut info);
        if !info.is_empty() {
            a.put(LinkAttribute::LinkInfo(info));
        }
        if let Some(id) = link_netnsid {
            a.put(LinkAttribute::LinkNetNsId(id));
        }
        a.put(self.rtnl_fill_link_af(dev));
        if !d.altnames.is_empty() {
            a.put(LinkAttribute::PropList(
                d.altnames
                    .iter()
                    .map(|n| Prop::AltIfName(n.clone()))
                    .collect(),
            ));
        }
        if !d.perm_addr.is_empty() && d.parent.is_some() {
            a.put(LinkAttribute::PermAddress(d.perm_addr.as_bytes().to_vec()));
        }
        if let Some(parent) = &d.parent {
            a.put(LinkAttribute::ParentDevName(parent.to_string()));
            let bus = self.dev_parent_bus_name(dev);
            a.put(LinkAttribute::ParentDevBusName(bus.to_string()));
        }
        header
    }

    /// What building a notification changes besides the message:
    /// `rtnl_fill_link_netnsid` allocates the peer namespace's id.
    pub(crate) fn rtnl_fill_side_effects(&mut self, dev: DevId) {
        let net = self.dev(dev).net;
        if let Some(ln) = self.dev_link_net(dev).filter(|&ln| ln != net) {
            self.peernet2id_alloc(net, ln);
        }
    }

    /// `rtnl_link_fill()` + `rtnl_link_slave_info_fill()`: IFLA_INFO_KIND
    /// and the kind's IFLA_INFO_DATA, then the master kind's
    /// IFLA_INFO_SLAVE_KIND/DATA. Nothing for devices without either.
    fn rtnl_link_fill(&self, dev: DevId, info: &mut Vec<LinkInfo>) {
        if let Some(ops) = self.rtnl_link_ops(dev) {
            info.push(LinkInfo::Kind(InfoKind::from(ops.kind)));
            if let Some(fill) = ops.fill_info {
                fill(self, dev, info);
            }
        }
        let master_ops = self.dev(dev).master.and_then(|m| self.rtnl_link_ops(m));
        if let Some(fill) = master_ops.and_then(|o| o.fill_slave_info) {
            fill(self, dev, info);
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
        let mut b = LinkBytes::new();
        let header = self.rtnl_fill_ifinfo_into(dev, !0, net, false, &mut b);
        b.put(LinkAttribute::NewNetnsId(new_nsid));
        b.put(LinkAttribute::NewIfIndex(new_ifindex as i32));
        b.finish(nl_header(RTM_DELLINK, 0, 0), &header)
    }

    /// `rtnl_fill_ifinfo()` straight into a message's bytes, for a socket in
    /// `src_net`: replies (`seq`, `flags`) and notifications (0, 0).
    #[allow(clippy::too_many_arguments)] // the kernel's own signature, plus seq/flags
    pub fn rtnl_fill_ifinfo_msg(
        &mut self,
        typ: RtmType,
        dev: DevId,
        change: u32,
        src_net: NetId,
        skip_stats: bool,
        seq: u32,
        flags: u16,
    ) -> Vec<u8> {
        let mut b = LinkBytes::new();
        let header = self.rtnl_fill_ifinfo_into(dev, change, src_net, skip_stats, &mut b);
        let message_type = match typ {
            RtmType::NewLink => RTM_NEWLINK,
            RtmType::DelLink => RTM_DELLINK,
        };
        b.finish(nl_header(message_type, flags, seq), &header)
    }
}

/// The first run of `rtnl_fill_ifinfo()`'s attributes, IFLA_IFNAME to
/// IFLA_NETNS_IMMUTABLE: the device's name and its numbers (queue length,
/// operstate, MTUs, counters, limits, carrier counts), in the kernel's
/// order.
fn put_ifinfo_scalars(d: &NetDevice, tso_max_size: u32, a: &mut impl IflaSink) {
    a.put(LinkAttribute::IfName(d.name.to_string()));
    a.put(LinkAttribute::TxQueueLen(d.tx_queue_len));
    a.put(LinkAttribute::OperState(State::from(
        d.reported_operstate() as u8,
    )));
    a.put(LinkAttribute::Mode(LinkMode::from(d.link_mode)));
    a.put(LinkAttribute::Mtu(d.mtu));
    a.put(LinkAttribute::MinMtu(d.min_mtu));
    a.put(LinkAttribute::MaxMtu(d.max_mtu));
    a.put(LinkAttribute::Group(d.group));
    a.put(LinkAttribute::Promiscuity(d.promiscuity));
    a.put(LinkAttribute::AllMulticast(d.allmulti));
    let l = d.limits;
    a.put(LinkAttribute::NumTxQueues(l.num_tx_queues));
    a.put(LinkAttribute::GsoMaxSegs(l.gso_max_segs));
    a.put(LinkAttribute::GsoMaxSize(l.gso_max_size));
    a.put(LinkAttribute::GroMaxSize(l.gro_max_size));
    a.put(LinkAttribute::GsoIpv4MaxSize(l.gso_ipv4_max_size));
    a.put(LinkAttribute::GroIpv4MaxSize(l.gro_ipv4_max_size));
    a.put(LinkAttribute::TsoMaxSize(tso_max_size));
    a.put(LinkAttribute::TsoMaxSegs(TSO_MAX_SEGS));
    a.put(LinkAttribute::NumRxQueues(l.num_rx_queues));
    a.put(LinkAttribute::Carrier(u8::from(d.carrier)));
    a.put(LinkAttribute::CarrierChanges(
        d.carrier_up_count + d.carrier_down_count,
    ));
    a.put(LinkAttribute::CarrierUpCount(d.carrier_up_count));
    a.put(LinkAttribute::CarrierDownCount(d.carrier_down_count));
    a.put(LinkAttribute::ProtoDown(0));
    a.put(LinkAttribute::NetnsImmutable(d.netns_immutable));
}
