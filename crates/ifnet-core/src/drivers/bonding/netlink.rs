//! bond_netlink.c: `bond_newlink` (register first, then the options;
//! unregister on error), `bond_changelink` (attributes in the kernel's
//! fixed order, whatever their order in the message), `bond_fill_info`,
//! `bond_fill_slave_info` and `bond_slave_changelink` (prio, queue_id).

use super::options::{unmodelled, BondOpt, OptVal};
use super::BondLink;
use crate::driver::eth_validate_attr;
use crate::errno::{Errno, KError, KResult};
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::rtnetlink::link::LinkRequest;
use netlink_packet_route::link::{
    BondAdSelect, BondAllPortActive, BondArpAllTargets, BondArpValidate, BondFailOverMac,
    BondLacpRate, BondMode, BondPortState, BondPrimaryReselect, BondXmitHashPolicy, InfoBond,
    InfoBondPort, InfoData, InfoPortData, InfoPortKind, LinkInfo, MiiStatus,
};

/// `bond_validate()`: an IFLA_ADDRESS must be a valid 6-byte address.
pub(crate) fn bond_validate(r: &LinkRequest) -> KResult<()> {
    eth_validate_attr(&r.address)
}

/// The IFLA_INFO_DATA parser: the bond's attributes, kept for
/// newlink/changelink.
pub(crate) fn bond_parse_info_data(d: &InfoData, r: &mut LinkRequest) -> KResult<()> {
    if let InfoData::Bond(v) = d {
        r.info_bond = Some(v.clone());
    }
    Ok(())
}

/// `bond_newlink()`: registered with the defaults, carrier off, then the
/// options; a failing option unregisters the bond again.
pub(crate) fn bond_newlink(k: &mut Kernel, bond: DevId, r: &LinkRequest, _: NetId) -> KResult<()> {
    k.register_netdevice(bond)?;
    k.netif_carrier_off(bond);
    if let Err(e) = bond_changelink(k, bond, r) {
        k.bond_work_cancel_all(bond);
        k.unregister_netdevice(bond);
        return Err(e);
    }
    Ok(())
}

/// Where `bond_changelink()` handles an attribute.
fn changelink_rank(a: &InfoBond) -> u8 {
    use InfoBond::*;
    match a {
        Mode(_) => 0,
        ActivePort(_) => 1,
        MiiMon(_) => 2,
        UpDelay(_) => 3,
        DownDelay(_) => 4,
        PeerNotifDelay(_) => 5,
        UseCarrier(_) => 6,
        ArpInterval(_) => 7,
        ArpIpTarget(_) => 8,
        NsIp6Target(_) => 9,
        ArpValidate(_) => 10,
        ArpAllTargets(_) => 11,
        Primary(_) => 12,
        PrimaryReselect(_) => 13,
        FailOverMac(_) => 14,
        XmitHashPolicy(_) => 15,
        ResendIgmp(_) => 16,
        NumPeerNotif(_) => 17,
        AllPortsActive(_) => 18,
        MinLinks(_) => 19,
        LpInterval(_) => 20,
        PacketsPerPort(_) => 21,
        AdLacpActive(_) => 22,
        AdLacpRate(_) => 23,
        AdSelect(_) => 24,
        AdActorSysPrio(_) => 25,
        AdUserPortKey(_) => 26,
        AdActorSystem(_) => 27,
        TlbDynamicLb(_) => 28,
        MissedMax(_) => 29,
        CoupledControl(_) => 30,
        BroadcastNeigh(_) => 31,
        _ => 32,
    }
}

/// `bond_changelink()`.
pub(crate) fn bond_changelink(k: &mut Kernel, bond: DevId, r: &LinkRequest) -> KResult<()> {
    let Some(attrs) = &r.info_bond else {
        return Ok(());
    };
    let mut attrs: Vec<&InfoBond> = attrs.iter().collect();
    attrs.sort_by_key(|a| changelink_rank(a));
    let miimon = attrs.iter().find_map(|a| match a {
        InfoBond::MiiMon(m) => Some(*m),
        _ => None,
    });
    for a in attrs {
        bond_changelink_one(k, bond, a, miimon.unwrap_or(0))?;
    }
    Ok(())
}

/// The name of the device `ifindex` in the bond's namespace.
fn ifindex_name(k: &Kernel, bond: DevId, ifindex: u32) -> Option<String> {
    let net = k.dev(bond).net;
    k.dev_get_by_index(net, ifindex)
        .map(|d| k.dev(d).name.to_string())
}

fn bond_changelink_one(k: &mut Kernel, bond: DevId, a: &InfoBond, miimon: u32) -> KResult<()> {
    use InfoBond as B;
    let int = |v: u64| OptVal::Int(v);
    let (opt, val) = match a {
        B::Mode(m) => (BondOpt::Mode, int(u64::from(u8::from(*m)))),
        B::ActivePort(i) => {
            let name = match *i {
                0 => String::new(),
                i => ifindex_name(k, bond, i).ok_or(KError::new(Errno::ENODEV))?,
            };
            (BondOpt::ActiveSlave, OptVal::Str(name))
        }
        B::MiiMon(v) => (BondOpt::Miimon, int(u64::from(*v))),
        B::UpDelay(v) => (BondOpt::Updelay, int(u64::from(*v))),
        B::DownDelay(v) => (BondOpt::Downdelay, int(u64::from(*v))),
        B::PeerNotifDelay(v) => (BondOpt::PeerNotifDelay, int(u64::from(*v))),
        B::UseCarrier(on) => {
            if !*on {
                return Err(KError::msg(
                    Errno::EINVAL,
                    "option obsolete, use_carrier cannot be disabled",
                ));
            }
            return Ok(());
        }
        B::ArpInterval(v) => {
            if *v != 0 && miimon != 0 {
                return Err(KError::msg(
                    Errno::EINVAL,
                    "ARP monitoring cannot be used with MII monitoring",
                ));
            }
            (unmodelled("arp_interval", 0), int(u64::from(*v)))
        }
        B::ArpIpTarget(t) => (unmodelled("arp_ip_target", 0), int(t.len() as u64)),
        B::NsIp6Target(t) => (unmodelled("ns_ip6_target", 0), int(t.len() as u64)),
        B::ArpValidate(v) => (unmodelled("arp_validate", 0), int(u64::from(u32::from(*v)))),
        B::ArpAllTargets(v) => (
            unmodelled("arp_all_targets", 0),
            int(u64::from(u32::from(*v))),
        ),
        B::Primary(i) => {
            let name = ifindex_name(k, bond, *i).unwrap_or_default();
            (BondOpt::Primary, OptVal::Str(name))
        }
        B::PrimaryReselect(v) => (BondOpt::PrimaryReselect, int(u64::from(u8::from(*v)))),
        B::FailOverMac(v) => (BondOpt::FailOverMac, int(u64::from(u8::from(*v)))),
        B::XmitHashPolicy(v) => (
            unmodelled("xmit_hash_policy", 0),
            int(u64::from(u8::from(*v))),
        ),
        B::ResendIgmp(v) => (BondOpt::ResendIgmp, int(u64::from(*v))),
        B::NumPeerNotif(v) => (BondOpt::NumPeerNotif, int(u64::from(*v))),
        B::AllPortsActive(v) => (BondOpt::AllSlavesActive, int(u64::from(u8::from(*v)))),
        B::MinLinks(v) => (BondOpt::MinLinks, int(u64::from(*v))),
        B::LpInterval(v) => (unmodelled("lp_interval", 1), int(u64::from(*v))),
        B::PacketsPerPort(v) => (unmodelled("packets_per_slave", 1), int(u64::from(*v))),
        B::AdLacpActive(v) => (unmodelled("lacp_active", 1), int(u64::from(*v))),
        B::AdLacpRate(v) => (unmodelled("lacp_rate", 0), int(u64::from(u8::from(*v)))),
        B::AdSelect(v) => (unmodelled("ad_select", 0), int(u64::from(u8::from(*v)))),
        B::AdActorSysPrio(v) => (unmodelled("ad_actor_sys_prio", 65535), int(u64::from(*v))),
        B::AdUserPortKey(v) => (unmodelled("ad_user_port_key", 0), int(u64::from(*v))),
        B::AdActorSystem(_) => (unmodelled("ad_actor_system", 1), int(0)),
        B::TlbDynamicLb(v) => (unmodelled("tlb_dynamic_lb", 1), int(u64::from(*v))),
        B::MissedMax(v) => (unmodelled("arp_missed_max", 2), int(u64::from(*v))),
        B::CoupledControl(v) => (unmodelled("coupled_control", 1), int(u64::from(*v))),
        B::BroadcastNeigh(v) => (unmodelled("broadcast_neighbor", 0), int(u64::from(*v))),
        // Not in 6.18's bond_policy: ignored like any unknown attribute.
        _ => return Ok(()),
    };
    k.__bond_opt_set(bond, opt, val)
}

/// `bond_fill_info()`: the bond's IFLA_INFO_DATA, in the kernel's order
/// (no 802.3ad block: only active-backup is modelled).
pub(crate) fn bond_fill_info(k: &Kernel, bond: DevId, info: &mut Vec<LinkInfo>) {
    let b = k.bond(bond);
    let p = &b.params;
    let ms = |t: u32| (u64::from(t) * u64::from(p.miimon)).min(u64::from(u32::MAX)) as u32;
    let mut v = vec![InfoBond::Mode(BondMode::from(p.mode))];
    if let Some(a) = b.curr_active_slave {
        v.push(InfoBond::ActivePort(k.dev(a).ifindex));
    }
    v.extend([
        InfoBond::MiiMon(p.miimon),
        InfoBond::UpDelay(ms(p.updelay)),
        InfoBond::DownDelay(ms(p.downdelay)),
        InfoBond::PeerNotifDelay(ms(p.peer_notif_delay)),
        InfoBond::UseCarrier(true),
        InfoBond::ArpInterval(0),
        InfoBond::ArpValidate(BondArpValidate::from(0u32)),
        InfoBond::ArpAllTargets(BondArpAllTargets::from(0u32)),
    ]);
    if let Some(pr) = b.primary_slave {
        v.push(InfoBond::Primary(k.dev(pr).ifindex));
    }
    v.extend([
        InfoBond::PrimaryReselect(BondPrimaryReselect::from(p.primary_reselect)),
        InfoBond::FailOverMac(BondFailOverMac::from(p.fail_over_mac)),
        InfoBond::XmitHashPolicy(BondXmitHashPolicy::from(0u8)),
        InfoBond::ResendIgmp(p.resend_igmp),
        InfoBond::NumPeerNotif(p.num_peer_notif),
        InfoBond::AllPortsActive(BondAllPortActive::from(p.all_slaves_active)),
        InfoBond::MinLinks(p.min_links),
        InfoBond::LpInterval(1),
        InfoBond::PacketsPerPort(1),
        InfoBond::AdLacpActive(true),
        InfoBond::AdLacpRate(BondLacpRate::from(0u8)),
        InfoBond::AdSelect(BondAdSelect::from(0u8)),
        InfoBond::TlbDynamicLb(true),
        InfoBond::MissedMax(2),
        InfoBond::CoupledControl(true),
        InfoBond::BroadcastNeigh(false),
    ]);
    info.push(LinkInfo::Data(InfoData::Bond(v)));
}

/// `bond_fill_slave_info()`: IFLA_INFO_SLAVE_KIND "bond" and the slave's
/// state, MII status, failure count, permanent address (`addr_len`
/// bytes), queue and prio.
pub(crate) fn bond_fill_slave_info(k: &Kernel, slave: DevId, info: &mut Vec<LinkInfo>) {
    let Some(bond) = k.bond_of_slave(slave) else {
        return;
    };
    let Some(s) = k.bond(bond).slave(slave) else {
        return;
    };
    let mii = match s.link {
        BondLink::Up => MiiStatus::Up,
        BondLink::Fail => MiiStatus::GoingDown,
        BondLink::Down => MiiStatus::Down,
        BondLink::Back => MiiStatus::GoingBack,
    };
    let state = if s.backup {
        BondPortState::Backup
    } else {
        BondPortState::Active
    };
    info.push(LinkInfo::PortKind(InfoPortKind::Bond));
    info.push(LinkInfo::PortData(InfoPortData::BondPort(vec![
        InfoBondPort::BondPortState(state),
        InfoBondPort::MiiStatus(mii),
        InfoBondPort::LinkFailureCount(s.link_failure_count),
        InfoBondPort::PermHwaddr(s.perm_hwaddr.as_bytes().to_vec()),
        InfoBondPort::QueueId(s.queue_id),
        InfoBondPort::Prio(s.prio),
    ])));
}

/// `bond_slave_changelink()`: queue_id, then prio.
pub(crate) fn bond_slave_changelink(
    k: &mut Kernel,
    bond: DevId,
    slave: DevId,
    r: &LinkRequest,
) -> KResult<()> {
    let Some(InfoPortData::BondPort(attrs)) = &r.slave_data else {
        return Ok(());
    };
    if let Some(q) = attrs.iter().find_map(|a| match a {
        InfoBondPort::QueueId(q) => Some(*q),
        _ => None,
    }) {
        k.bond_option_queue_id_set(bond, slave, q)?;
    }
    if let Some(p) = attrs.iter().find_map(|a| match a {
        InfoBondPort::Prio(p) => Some(*p),
        _ => None,
    }) {
        k.__bond_opt_set(bond, BondOpt::Prio, OptVal::Slave(slave, i64::from(p)))?;
    }
    Ok(())
}

impl Kernel {
    /// `bond_option_queue_id_set()`: below the bond's real tx queues, else
    /// -EPERM ("Invalid queue_id").
    fn bond_option_queue_id_set(&mut self, bond: DevId, slave: DevId, q: u16) -> KResult<()> {
        if u32::from(q) > self.dev(bond).limits.num_tx_queues {
            return Err(KError::new(Errno::EPERM));
        }
        if let Some(s) = self.bond_slave_mut(bond, slave) {
            s.queue_id = q;
        }
        Ok(())
    }
}
