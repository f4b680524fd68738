//! net/bridge/br_netlink.c as user space sees it: a bridge's IFLA_INFO_DATA
//! (`br_fill_info`), a port's IFLA_INFO_SLAVE_DATA (`br_port_fill_attrs`,
//! via `br_port_fill_slave_info`), and the AF_BRIDGE RTM_NEWLINK/DELLINK a
//! port change sends to RTNLGRP_LINK (`br_ifinfo_notify` → `br_fill_ifinfo`).
//!
//! Values are the kernel's defaults where the model has no knob, in the units
//! br_fill_info reports (clock_t, 1/100 s). The attribute sets and their order
//! are those of the reference machine's Linux 6.18 (CONFIG_BRIDGE_IGMP_SNOOPING
//! and CONFIG_BRIDGE_NETFILTER on, CONFIG_BRIDGE_VLAN_FILTERING off, so no
//! IFLA_BR_VLAN_PROTOCOL / VLAN_DEFAULT_PVID / VLAN_STATS_*), checked with a
//! raw RTM_GETLINK dump of a bridge and a veth port. Every kernel profile
//! reports this 6.18 set; older kernels lacked some attributes (not
//! modelled). Multicast snooping state is not modelled either: a port's
//! IFLA_BRPORT_MCAST_N_GROUPS is 0 and IFLA_BR_MCAST_QUERIER_STATE absent,
//! as before any IGMP/MLD traffic.
//!
//! STP is never on (stp_state 0, the only mode modelled), and then every
//! enabled port is designated, the bridge is its own root and
//! `br_stp_change_bridge_id` rewrites every port's designated ids along with
//! the bridge's: a port's designated root and bridge are always the bridge
//! id, its designated port its own port id, every cost 0, and of the STP
//! timers only a port's forward-delay timer runs (`br_make_forwarding` arms
//! it even without STP).

use super::bridge::PortState;
use super::bridge_fdb::br_dev_xmit;
use crate::driver::{
    unregister_netdevice_queue, Driver, DriverOps, NetDeviceOps, RtnlLinkOps, GSO_MAX_SIZE,
    TSO_LEGACY_MAX_SIZE,
};
use crate::errno::KResult;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::rtnetlink::link::LinkRequest;
use crate::rtnetlink::RtmType;
use crate::time::{Duration, Instant};
use crate::workqueue::Work;
use netlink_packet_core::{DefaultNla, NetlinkHeader, NetlinkMessage, NetlinkPayload, Nla};
use netlink_packet_route::link::{
    BridgeBooleanOptionFlags, BridgeBooleanOptions, BridgeId, BridgeMulticastRouterType,
    BridgePortState, BridgeStpState, InfoBridge, InfoBridgePort, InfoData, InfoPortData,
    InfoPortKind, LinkAttribute, LinkFlags, LinkHeader, LinkInfo, LinkLayerType, LinkMessage,
    LinkProtoInfoBridge, State,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

/// `br_netdev_ops` (br_device.c).
const BR_NETDEV_OPS: NetDeviceOps = NetDeviceOps {
    ndo_open: Some(|k, br| {
        k.br_dev_open(br);
        Ok(())
    }),
    ndo_stop: Some(Kernel::br_dev_stop),
    ndo_set_mac_address: Some(Kernel::br_set_mac_address),
    ndo_change_mtu: Some(br_change_mtu),
    ndo_add_slave: Some(Kernel::br_add_if),
    ndo_del_slave: Some(Kernel::br_del_if),
    tso_max_size: Some(br_tso_max_size),
    ..NetDeviceOps::new("bridge", br_dev_xmit)
};

/// `br_link_ops`.
pub static BR_LINK_OPS: RtnlLinkOps = RtnlLinkOps {
    newlink: Some(br_dev_newlink),
    // br_changelink(): the (unmodelled) options are accepted.
    changelink: Some(|_, _, _| Ok(())),
    dellink: Some(br_dev_dellink),
    fill_info: Some(br_fill_info_data),
    fill_slave_info: Some(br_port_fill_slave_info),
    ..RtnlLinkOps::new(
        "bridge",
        || Driver::Bridge(Box::default()),
        Kernel::br_dev_setup,
    )
};

pub(crate) const BR_OPS: DriverOps = DriverOps {
    netdev_ops: BR_NETDEV_OPS,
    rtnl_link_ops: Some(&BR_LINK_OPS),
};

fn br_dev_newlink(k: &mut Kernel, br: DevId, _r: &LinkRequest, _peer: NetId) -> KResult<()> {
    k.br_dev_newlink(br)
}

/// `br_dev_delete()`, then the bridge itself on the kill list.
fn br_dev_dellink(k: &mut Kernel, br: DevId, kill: &mut Vec<DevId>) {
    k.br_dev_delete(br);
    unregister_netdevice_queue(br, kill);
}

/// `br_change_mtu()`: a user-set MTU stops the automatic adjustment.
fn br_change_mtu(k: &mut Kernel, br: DevId, mtu: u32) -> KResult<()> {
    k.dev_mut(br).mtu = mtu;
    if let Some(b) = k.dev_mut(br).driver.bridge_mut() {
        b.mtu_set_by_user = true;
    }
    Ok(())
}

/// Once a bridge has had ports its `tso_max_size` is their minimum, or
/// TSO_MAX_SIZE clamped to GSO_MAX_SIZE without any
/// (`netdev_compute_master_upper_features`); before, the legacy size.
fn br_tso_max_size(k: &Kernel, br: DevId) -> u32 {
    let d = k.dev(br);
    match d.driver.bridge() {
        Some(b) if b.features_computed => d
            .lowers
            .iter()
            .map(|&l| k.dev_tso_max_size(l))
            .min()
            .unwrap_or(GSO_MAX_SIZE),
        _ => TSO_LEGACY_MAX_SIZE,
    }
}

/// `br_fill_info()` as the bridge's IFLA_INFO_DATA.
fn br_fill_info_data(k: &Kernel, br: DevId, info: &mut Vec<LinkInfo>) {
    info.push(LinkInfo::Data(InfoData::Bridge(k.br_fill_info(br))));
}

/// `br_port_fill_slave_info()`: IFLA_INFO_SLAVE_KIND "bridge" and the
/// port's attributes.
fn br_port_fill_slave_info(k: &Kernel, port: DevId, info: &mut Vec<LinkInfo>) {
    if k.br_port_get(port).is_none() {
        return;
    }
    info.push(LinkInfo::PortKind(InfoPortKind::Bridge));
    if let Some(attrs) = k.br_port_fill_attrs(port) {
        info.push(LinkInfo::PortData(InfoPortData::BridgePort(attrs)));
    }
}

/// One clock_t (USER_HZ = 100) in nanoseconds.
const CLOCK_T_NS: u64 = 10_000_000;
/// `br->bridge_id.prio` as `br_dev_setup` sets it.
pub const BR_DEFAULT_PRIORITY: u16 = 0x8000;
/// `br->forward_delay` (15 s), `hello_time` (2 s), `max_age` (20 s) in clock_t.
const BR_FORWARD_DELAY: u32 = 1500;
const BR_HELLO_TIME: u32 = 200;
const BR_MAX_AGE: u32 = 2000;
/// `eth_stp_addr`, the default `br->group_addr`.
pub const BR_GROUP_ADDRESS: [u8; 6] = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x00];
/// `GENMASK(BR_BOOLOPT_MAX - 1, 0)` with 6.18's five boolean options.
const BR_BOOLOPT_MASK: u32 = 0x1f;
/// `RHT_ELASTICITY` and the multicast defaults of `br_multicast_ctx_init`
/// (counts, then intervals in clock_t: last member 1 s, membership 260 s,
/// querier 255 s, query 125 s, query response 10 s, startup query 125/4 s).
const BR_MCAST_HASH_ELASTICITY: u32 = 16;
const BR_MCAST_HASH_MAX: u32 = 4096;
const BR_MCAST_LAST_MEMBER_CNT: u32 = 2;
const BR_MCAST_STARTUP_QUERY_CNT: u32 = 2;
const BR_MCAST_LAST_MEMBER_INTVL: u64 = 100;
const BR_MCAST_MEMBERSHIP_INTVL: u64 = 26000;
const BR_MCAST_QUERIER_INTVL: u64 = 25500;
const BR_MCAST_QUERY_INTVL: u64 = 12500;
const BR_MCAST_QUERY_RESPONSE_INTVL: u64 = 1000;
const BR_MCAST_STARTUP_QUERY_INTVL: u64 = 3124;
const BR_MCAST_IGMP_VERSION: u8 = 2;
const BR_MCAST_MLD_VERSION: u8 = 1;
/// `BR_PORT_DEFAULT_PRIORITY` (0x8000 >> BR_PORT_BITS) and BR_PORT_BITS.
pub const BR_PORT_DEFAULT_PRIORITY: u16 = 0x20;
const BR_PORT_BITS: u16 = 10;
/// `BR_MCAST_DEFAULT_EHT_HOSTS_LIMIT`.
const BR_MCAST_DEFAULT_EHT_HOSTS_LIMIT: u32 = 512;

/// `br_make_port_id()`.
pub fn br_make_port_id(priority: u16, port_no: u16) -> u16 {
    (priority << BR_PORT_BITS) | (port_no & ((1 << BR_PORT_BITS) - 1))
}

impl Kernel {
    /// IFLA_LINKINFO's bridge parts, called from `rtnl_fill_ifinfo` after
    /// The bridge id `{prio, addr}` (`br->bridge_id`), also its root id.
    pub fn br_bridge_id(&self, br: DevId) -> BridgeId {
        BridgeId {
            priority: BR_DEFAULT_PRIORITY,
            address: self.br(br).bridge_id_addr,
        }
    }

    /// `br_timer_value(&br->gc_work.timer)` in clock_t: the time to the next
    /// fdb gc run. `br_stp_enable_bridge` arms it HZ/10 after open; with
    /// nothing to age it rearms every ageing time; a learned entry's expiry
    /// (the model's queued gc work) comes earlier. 0 while the bridge is down.
    pub fn br_gc_timer(&self, br: DevId) -> u64 {
        let b = self.br(br);
        let Some(first) = b.gc_armed else {
            return 0;
        };
        let now = self.now;
        let period = b.ageing_time;
        let mut due = if now < first || period == Duration::ZERO {
            first
        } else {
            let periods = ((now - first).as_nanos() / period.as_nanos()).saturating_add(1);
            first + Duration::from_nanos(periods.saturating_mul(period.as_nanos()))
        };
        if let Some(work) = self.deferred.workqueue.due_of(Work::BridgeFdbGc(br)) {
            due = due.min(work.max(now));
        }
        (due - now).as_nanos() / CLOCK_T_NS
    }

    /// `br_timer_value()`: clock_t to a pending timer's expiry, else 0.
    fn br_timer_value(&self, due: Option<Instant>) -> u64 {
        due.map_or(0, |due| (due - self.now).as_nanos() / CLOCK_T_NS)
    }

    /// `br_fill_info()`: the bridge's IFLA_INFO_DATA, in the kernel's order.
    pub fn br_fill_info(&self, br: DevId) -> Vec<InfoBridge> {
        let b = self.br(br);
        let id = self.br_bridge_id(br);
        let learned = b.fdb.values().filter(|e| !e.is_local).count() as u32;
        vec![
            InfoBridge::HelloTimer(0),
            InfoBridge::TcnTimer(0),
            InfoBridge::TopologyChangeTimer(0),
            InfoBridge::GcTimer(self.br_gc_timer(br)),
            InfoBridge::ForwardDelay(BR_FORWARD_DELAY),
            InfoBridge::HelloTime(BR_HELLO_TIME),
            InfoBridge::MaxAge(BR_MAX_AGE),
            InfoBridge::AgeingTime((b.ageing_time.as_nanos() / CLOCK_T_NS) as u32),
            InfoBridge::StpState(BridgeStpState::Disabled),
            InfoBridge::Priority(id.priority),
            InfoBridge::VlanFiltering(false),
            InfoBridge::GroupFwdMask(0),
            InfoBridge::BridgeId(id.clone()),
            InfoBridge::RootId(id),
            InfoBridge::RootPort(0),
            InfoBridge::RootPathCost(0),
            InfoBridge::TopologyChange(0),
            InfoBridge::TopologyChangeDetected(0),
            InfoBridge::GroupAddr(BR_GROUP_ADDRESS),
            InfoBridge::MultiBoolOpt(BridgeBooleanOptions {
                value: BridgeBooleanOptionFlags::empty(),
                mask: BridgeBooleanOptionFlags::from_bits_retain(BR_BOOLOPT_MASK),
            }),
            InfoBridge::FdbNLearned(learned),
            InfoBridge::FdbMaxLearned(0),
            InfoBridge::MulticastRouter(BridgeMulticastRouterType::TempQuery),
            InfoBridge::MulticastSnooping(true),
            InfoBridge::MulticastQueryUseIfaddr(false),
            InfoBridge::MulticastQuerier(false),
            InfoBridge::MulticastStatsEnabled(false),
            InfoBridge::MulticastHashElasticity(BR_MCAST_HASH_ELASTICITY),
            InfoBridge::MulticastHashMax(BR_MCAST_HASH_MAX),
            InfoBridge::MulticastLastMemberCount(BR_MCAST_LAST_MEMBER_CNT),
            InfoBridge::MulticastStartupQueryCount(BR_MCAST_STARTUP_QUERY_CNT),
            InfoBridge::MulticastIgmpVersion(BR_MCAST_IGMP_VERSION),
            // IFLA_BR_MCAST_QUERIER_STATE: an empty nest is cancelled (no
            // querier configured, no other querier's query seen).
            InfoBridge::MulticastMldVersion(BR_MCAST_MLD_VERSION),
            InfoBridge::MulticastLastMemberInterval(BR_MCAST_LAST_MEMBER_INTVL),
            InfoBridge::MulticastMembershipInterval(BR_MCAST_MEMBERSHIP_INTVL),
            InfoBridge::MulticastQuerierInterval(BR_MCAST_QUERIER_INTVL),
            InfoBridge::MulticastQueryInterval(BR_MCAST_QUERY_INTVL),
            InfoBridge::MulticastQueryResponseInterval(BR_MCAST_QUERY_RESPONSE_INTVL),
            InfoBridge::MulticastStartupQueryInterval(BR_MCAST_STARTUP_QUERY_INTVL),
            InfoBridge::NfCallIpTables(false),
            InfoBridge::NfCallIp6Tables(false),
            InfoBridge::NfCallArpTables(false),
        ]
    }

    /// `port_cost()`: from the ethtool speed; veth reports SPEED_10000
    /// (cost 2). The model's other drivers report no speed (SPEED_UNKNOWN,
    /// cost 100).
    fn br_port_cost(&self, port: DevId) -> u32 {
        match self.dev_ethtool_speed(port) {
            Some(s) if s >= 10_000 => 2,
            Some(s) if s >= 1000 => 4,
            Some(s) if s >= 100 => 19,
            _ => 100,
        }
    }

    /// `br_port_fill_attrs()` for a port: its IFLA_INFO_SLAVE_DATA and the
    /// IFLA_PROTINFO of its AF_BRIDGE notifications, in the kernel's order.
    /// None if `port` is not a port of a bridge.
    pub fn br_port_fill_attrs(&self, port: DevId) -> Option<Vec<InfoBridgePort>> {
        let br = self.br_port_get(port)?;
        let p = self.br(br).ports.iter().find(|p| p.dev == port)?;
        let port_id = br_make_port_id(BR_PORT_DEFAULT_PRIORITY, p.port_no);
        let id = self.br_bridge_id(br);
        let state = match p.state {
            PortState::Disabled => BridgePortState::Disabled,
            PortState::Forwarding => BridgePortState::Forwarding,
            PortState::Blocking => BridgePortState::Blocking,
        };
        Some(vec![
            InfoBridgePort::State(state),
            InfoBridgePort::Priority(BR_PORT_DEFAULT_PRIORITY),
            InfoBridgePort::Cost(self.br_port_cost(port)),
            InfoBridgePort::HairpinMode(false),
            InfoBridgePort::Guard(false),
            InfoBridgePort::Protect(false),
            InfoBridgePort::FastLeave(false),
            InfoBridgePort::MulticastToUnicast(false),
            InfoBridgePort::Learning(true),
            InfoBridgePort::UnicastFlood(true),
            InfoBridgePort::MulticastFlood(true),
            InfoBridgePort::BroadcastFlood(true),
            InfoBridgePort::ProxyARP(false),
            InfoBridgePort::ProxyARPWifi(false),
            InfoBridgePort::RootId(id.clone()),
            InfoBridgePort::BridgeId(id),
            InfoBridgePort::DesignatedPort(port_id),
            InfoBridgePort::DesignatedCost(0),
            InfoBridgePort::PortId(port_id),
            InfoBridgePort::PortNumber(p.port_no),
            InfoBridgePort::TopologyChangeAck(false),
            InfoBridgePort::ConfigPending(false),
            InfoBridgePort::VlanTunnel(false),
            InfoBridgePort::GroupFwdMask(0),
            InfoBridgePort::NeighSupress(false),
            InfoBridgePort::MrpRingOpen(false),
            InfoBridgePort::MrpInOpen(false),
            InfoBridgePort::Isolated(false),
            InfoBridgePort::Locked(false),
            InfoBridgePort::Mab(false),
            InfoBridgePort::NeighVlanSuppress(false),
            InfoBridgePort::MessageAgeTimer(0),
            InfoBridgePort::ForwardDelayTimer(self.br_timer_value(p.fwd_delay_due)),
            InfoBridgePort::HoldTimer(0),
            InfoBridgePort::MulticastRouter(BridgeMulticastRouterType::TempQuery),
            InfoBridgePort::MulticastEhtHostsLimit(BR_MCAST_DEFAULT_EHT_HOSTS_LIMIT),
            InfoBridgePort::MulticastEhtHostsCnt(0),
            InfoBridgePort::MulticastNGroups(0),
            InfoBridgePort::MulticastMaxGroups(0),
        ])
    }

    /// `br_ifinfo_notify(event, NULL, port)`: an AF_BRIDGE RTM_NEWLINK (with
    /// the port's attributes in IFLA_PROTINFO) or RTM_DELLINK to RTNLGRP_LINK
    /// of the port's namespace. Sent while the port is being unregistered
    /// too. Nothing is built without listeners.
    pub(crate) fn br_ifinfo_notify(&mut self, event: RtmType, port: DevId) {
        if !self.has_mcast_listeners() {
            return;
        }
        let net = self.dev(port).net;
        let Some(msg) = self.br_fill_ifinfo(event, port) else {
            return;
        };
        let payload = match event {
            RtmType::NewLink => RouteNetlinkMessage::NewLink(msg),
            RtmType::DelLink => RouteNetlinkMessage::DelLink(msg),
        };
        let bytes = crate::rtnetlink::to_bytes(NetlinkMessage::new(
            NetlinkHeader::default(),
            NetlinkPayload::InnerMessage(payload),
        ));
        self.rtnl_notify(net, bytes);
    }

    /// `br_fill_ifinfo()` for a port, as `br_info_notify` calls it: ifname,
    /// master, mtu, operstate, address, link; IFLA_PROTINFO only for
    /// RTM_NEWLINK. The VLAN part (IFLA_AF_SPEC) needs VLAN filtering.
    /// None if `port` is not a port of a bridge.
    pub fn br_fill_ifinfo(&self, event: RtmType, port: DevId) -> Option<LinkMessage> {
        let br = self.br_port_get(port)?;
        let d = self.dev(port);
        let iflink = self.dev_get_iflink(port);
        let mut msg = LinkMessage::default();
        msg.header = LinkHeader {
            interface_family: AddressFamily::Bridge,
            index: d.ifindex,
            link_layer_type: LinkLayerType::from(d.dev_type),
            flags: LinkFlags::from_bits_retain(d.user_flags()),
            change_mask: LinkFlags::empty(),
        };
        let a = &mut msg.attributes;
        a.push(LinkAttribute::IfName(d.name.to_string()));
        a.push(LinkAttribute::Controller(self.dev(br).ifindex));
        a.push(LinkAttribute::Mtu(d.mtu));
        a.push(LinkAttribute::OperState(State::from(
            d.reported_operstate() as u8,
        )));
        if !d.dev_addr.is_empty() {
            a.push(LinkAttribute::Address(d.dev_addr.as_bytes().to_vec()));
        }
        if d.ifindex != iflink {
            a.push(LinkAttribute::Link(iflink));
        }
        if event == RtmType::NewLink {
            let attrs = self
                .br_port_fill_attrs(port)
                .unwrap_or_default()
                .iter()
                .map(|nla| {
                    let mut value = vec![0u8; nla.value_len()];
                    nla.emit_value(&mut value);
                    LinkProtoInfoBridge::Other(DefaultNla::new(nla.kind(), value))
                })
                .collect();
            a.push(LinkAttribute::ProtoInfoBridge(attrs));
        }
        Some(msg)
    }
}
