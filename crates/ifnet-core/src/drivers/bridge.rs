//! net/bridge as a master device: enslave rules (`br_add_if`), release
//! (`br_del_if`, `del_nbp`), bridge id / MAC selection from its ports,
//! STP-less port states and the bridge carrier (`br_port_state_selection`),
//! port promiscuity, MTU auto adjustment, the notifier that makes ports
//! follow their device, and where each of these sends its AF_BRIDGE
//! notification (`br_ifinfo_notify`, built in `bridge_netlink`).

use crate::consts::*;
use crate::driver::Driver;
use crate::errno::{Errno, KError, KResult};
use crate::hwaddr::HwAddr;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::{DevRef, RxHandler};
use crate::notifier::{EventInfo, NetdevEvent};
use crate::rtnetlink::RtmType;
use crate::time::{Duration, Instant};
use crate::workqueue::Work;
use serde::{Deserialize, Serialize};

/// `BR_STATE_*` for a port. Without STP a port is disabled or forwarding;
/// blocking only lasts from `br_init_port` to `br_make_forwarding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PortState {
    Disabled,
    Forwarding,
    Blocking,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgePort {
    pub dev: DevId,
    pub port_no: u16,
    pub state: PortState,
    /// When `p->forward_delay_timer` expires, if it is armed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "fwd_delay_due_ns")]
    pub fwd_delay_due: Option<Instant>,
    /// The order timers were armed in (the bridge's `timer_seq` then).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fwd_delay_seq: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// `struct net_bridge` (the parts the model needs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgePriv {
    /// `br->port_list`: the newest port first.
    pub ports: Vec<BridgePort>,
    /// `br->bridge_id.addr`; all-zero until a port sets it.
    pub bridge_id_addr: [u8; 6],
    /// BROPT_MTU_SET_BY_USER.
    pub mtu_set_by_user: bool,
    /// The forwarding database, by MAC address.
    #[serde(with = "crate::ids::serde_pairs")]
    pub fdb: std::collections::BTreeMap<[u8; 6], crate::drivers::bridge_fdb::FdbEntry>,
    /// `br->ageing_time`.
    #[serde(rename = "ageing_time_ns")]
    pub ageing_time: Duration,
    /// When `br_stp_enable_bridge` first armed `br->gc_work`: HZ/10 after
    /// open. None while the bridge is down (`br_stp_disable_bridge` cancels
    /// it). With nothing to age it rearms every ageing time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "gc_armed_ns")]
    pub gc_armed: Option<Instant>,
    /// `netdev_compute_master_upper_features` has run (a port came or
    /// went): from then on tso_max_size is the ports' minimum, or
    /// TSO_MAX_SIZE clamped to GSO_MAX_SIZE without ports.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub features_computed: bool,
    /// Counts timer arming, to order timers that expire together.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timer_seq: u64,
}

impl Default for BridgePriv {
    fn default() -> Self {
        BridgePriv {
            ports: Vec::new(),
            bridge_id_addr: [0; 6],
            mtu_set_by_user: false,
            fdb: std::collections::BTreeMap::new(),
            ageing_time: crate::drivers::bridge_fdb::BR_DEFAULT_AGEING_TIME,
            gc_armed: None,
            features_computed: false,
            timer_seq: 0,
        }
    }
}

/// `BR_MAX_PORTS`.
pub(crate) const BR_MAX_PORTS: u16 = 1 << 10;
/// `br_stp_enable_bridge()` arms the fdb gc HZ/10 after open.
const BR_GC_FIRST_DELAY: Duration = Duration::from_millis(100);
/// `br->forward_delay`: 15 s.
const BR_FORWARD_DELAY: Duration = Duration::from_secs(15);

impl Driver {
    pub fn is_bridge(&self) -> bool {
        matches!(self, Driver::Bridge(_))
    }

    /// `netdev_priv(br)` of a bridge.
    pub fn bridge(&self) -> Option<&BridgePriv> {
        match self {
            Driver::Bridge(b) => Some(b),
            _ => None,
        }
    }

    pub fn bridge_mut(&mut self) -> Option<&mut BridgePriv> {
        match self {
            Driver::Bridge(b) => Some(b),
            _ => None,
        }
    }
}

impl Kernel {
    /// `br_dev_setup()`.
    pub(crate) fn br_dev_setup(&mut self, dev: DevId) {
        self.eth_hw_addr_random(dev);
        let d = self.dev_mut(dev);
        d.ether_setup();
        d.priv_flags = IFF_EBRIDGE | IFF_NO_QUEUE;
        d.netns_immutable = true;
        d.max_mtu = ETH_MAX_MTU;
    }

    pub(crate) fn br(&self, br: DevId) -> &BridgePriv {
        self.dev(br).driver.bridge().expect("bridge device")
    }

    fn br_mut(&mut self, br: DevId) -> &mut BridgePriv {
        self.dev_mut(br).driver.bridge_mut().expect("bridge device")
    }

    /// The bridge a device is a port of (`br_port_get_rtnl`).
    pub fn br_port_get(&self, dev: DevId) -> Option<DevId> {
        let d = self.dev(dev);
        if d.rx_handler != Some(RxHandler::BridgePort) {
            return None;
        }
        d.master
    }

    /// `br_dev_newlink()`: an IFLA_ADDRESS given at creation becomes the
    /// bridge id before registration (`br_stp_change_bridge_id`, whose state
    /// selection turns the port-less bridge's carrier off).
    pub(crate) fn br_dev_newlink(&mut self, br: DevId) -> KResult<()> {
        if self.dev(br).addr_assign_type == AddrAssign::Set {
            let a: [u8; 6] = self
                .dev(br)
                .dev_addr
                .as_bytes()
                .try_into()
                .unwrap_or([0; 6]);
            self.br_stp_change_bridge_id(br, a);
        }
        self.register_netdevice(br)
    }

    /// `br_dev_open()` → `br_stp_enable_bridge()`: arm the fdb gc, enable
    /// every running, oper-up port.
    pub(crate) fn br_dev_open(&mut self, br: DevId) {
        let first_gc = self.now + BR_GC_FIRST_DELAY;
        self.br_mut(br).gc_armed = Some(first_gc);
        let ports: Vec<DevId> = self.br(br).ports.iter().map(|p| p.dev).collect();
        for p in ports {
            let pd = self.dev(p);
            if pd.running() && pd.oper_up() {
                self.br_stp_enable_port(br, p);
            }
        }
    }

    /// `br_dev_stop()` → `br_stp_disable_bridge()`: disable the ports that
    /// are not, cancel the fdb gc.
    pub(crate) fn br_dev_stop(&mut self, br: DevId) {
        let ports: Vec<DevId> = self.br(br).ports.iter().map(|p| p.dev).collect();
        for p in ports {
            if self.port_state(br, p) != PortState::Disabled {
                self.br_stp_disable_port(br, p);
            }
        }
        self.br_mut(br).gc_armed = None;
    }

    fn port_state(&self, br: DevId, port: DevId) -> PortState {
        self.br(br)
            .ports
            .iter()
            .find(|p| p.dev == port)
            .map_or(PortState::Disabled, |p| p.state)
    }

    fn set_port_state(&mut self, br: DevId, port: DevId, state: PortState) {
        if let Some(p) = self.br_mut(br).ports.iter_mut().find(|p| p.dev == port) {
            p.state = state;
        }
    }

    /// `br_stp_enable_port()`: `br_init_port` (blocking, designated), the
    /// state selection (which makes it forwarding and notifies), then one
    /// more notification.
    fn br_stp_enable_port(&mut self, br: DevId, port: DevId) {
        self.set_port_state(br, port, PortState::Blocking);
        self.br_port_state_selection(br);
        self.br_ifinfo_notify(RtmType::NewLink, port);
    }

    /// `br_stp_disable_port()`: disabled, notified, then the state
    /// selection.
    fn br_stp_disable_port(&mut self, br: DevId, port: DevId) {
        self.set_port_state(br, port, PortState::Disabled);
        self.br_ifinfo_notify(RtmType::NewLink, port);
        self.br_set_fwd_delay_timer(br, port, None);
        self.br_port_state_selection(br);
    }

    fn port_mut(&mut self, br: DevId, port: DevId) -> Option<&mut BridgePort> {
        self.br_mut(br).ports.iter_mut().find(|p| p.dev == port)
    }

    /// `mod_timer` / `timer_delete` on a port's forward-delay timer. The
    /// bridge's timers share one work item, due at the earliest of them.
    fn br_set_fwd_delay_timer(&mut self, br: DevId, port: DevId, due: Option<Instant>) {
        let b = self.br_mut(br);
        b.timer_seq = b.timer_seq.saturating_add(1);
        let seq = b.timer_seq;
        if let Some(p) = self.port_mut(br, port) {
            p.fwd_delay_due = due;
            p.fwd_delay_seq = seq;
        }
        self.br_fwd_delay_reschedule(br);
    }

    /// The bridge's timer work item: due at its earliest armed timer, gone
    /// when none is armed.
    fn br_fwd_delay_reschedule(&mut self, br: DevId) {
        let next = self
            .br(br)
            .ports
            .iter()
            .filter_map(|p| p.fwd_delay_due)
            .min();
        self.deferred.workqueue.cancel(Work::BridgeFwdDelay(br));
        if let Some(next) = next {
            self.deferred
                .workqueue
                .schedule(Work::BridgeFwdDelay(br), next);
        }
    }

    /// The bridge's forward-delay timers that are due, each
    /// `br_forward_delay_timer_expired()`: a forwarding port stays as it is
    /// but is announced again. Timers due together fire last-armed first,
    /// as the timer wheel (`enqueue_timer` adds at the head of a bucket)
    /// runs them.
    pub(crate) fn br_forward_delay_timers_run(&mut self, br: DevId) {
        let Some(b) = self.try_dev(br).and_then(|d| d.driver.bridge()) else {
            return;
        };
        let now = self.now;
        let mut due: Vec<(Instant, std::cmp::Reverse<u64>, DevId)> = b
            .ports
            .iter()
            .filter_map(|p| {
                let d = p.fwd_delay_due.filter(|&d| d <= now)?;
                Some((d, std::cmp::Reverse(p.fwd_delay_seq), p.dev))
            })
            .collect();
        due.sort();
        for (_, _, port) in due {
            if let Some(p) = self.port_mut(br, port) {
                p.fwd_delay_due = None;
            }
            self.br_ifinfo_notify(RtmType::NewLink, port);
        }
        self.br_fwd_delay_reschedule(br);
    }

    /// `br_port_state_selection()`: without STP every enabled port is
    /// designated, so `br_make_forwarding` moves a blocking one to
    /// forwarding (and notifies); bridge carrier = any forwarding port.
    fn br_port_state_selection(&mut self, br: DevId) {
        let blocking: Vec<DevId> = self
            .br(br)
            .ports
            .iter()
            .filter(|p| p.state == PortState::Blocking)
            .map(|p| p.dev)
            .collect();
        for p in blocking {
            // br_make_forwarding(): forwarding at once without STP, yet the
            // forward-delay timer is (re)armed after the notification.
            self.set_port_state(br, p, PortState::Forwarding);
            self.br_ifinfo_notify(RtmType::NewLink, p);
            let due = self.now + BR_FORWARD_DELAY;
            self.br_set_fwd_delay_timer(br, p, Some(due));
        }
        let live = self
            .br(br)
            .ports
            .iter()
            .filter(|p| p.state == PortState::Forwarding)
            .count();
        if live == 0 {
            self.netif_carrier_off(br);
        } else {
            self.netif_carrier_on(br);
        }
    }

    /// `br_stp_recalculate_bridge_id()`: the lowest port MAC, unless the
    /// user set one. Returns whether the address changed.
    fn br_stp_recalculate_bridge_id(&mut self, br: DevId) -> bool {
        if self.dev(br).addr_assign_type == AddrAssign::Set {
            return false;
        }
        let mut addr = [0u8; 6];
        let mut have = false;
        for p in &self.br(br).ports {
            let a = self.dev(p.dev).dev_addr;
            let a: [u8; 6] = a.as_bytes().try_into().unwrap_or([0; 6]);
            if !have || a < addr {
                addr = a;
                have = true;
            }
        }
        if self.br(br).bridge_id_addr == addr {
            return false;
        }
        self.br_stp_change_bridge_id(br, addr);
        true
    }

    /// `br_stp_change_bridge_id()`.
    fn br_stp_change_bridge_id(&mut self, br: DevId, addr: [u8; 6]) {
        self.br_mut(br).bridge_id_addr = addr;
        self.dev_mut(br).dev_addr = HwAddr::new(&addr).expect("6 bytes");
        self.br_fdb_sync_local(br);
        self.br_port_state_selection(br);
    }

    /// `br_set_mac_address()`.
    pub(crate) fn br_set_mac_address(&mut self, br: DevId, addr: HwAddr) -> KResult<()> {
        if !addr.is_valid_ether() {
            return Err(KError::new(Errno::EADDRNOTAVAIL));
        }
        if self.dev(br).reg_state != RegState::Registered {
            return Err(KError::new(Errno::EBUSY));
        }
        if self.dev(br).dev_addr != addr {
            let a: [u8; 6] = addr.as_bytes().try_into().expect("6 bytes");
            self.br_stp_change_bridge_id(br, a);
        }
        Ok(())
    }

    /// `br_mtu_auto_adjust()`: the smallest port MTU unless the user set one.
    fn br_mtu_auto_adjust(&mut self, br: DevId) {
        if self.br(br).mtu_set_by_user {
            return;
        }
        let min = self
            .br(br)
            .ports
            .iter()
            .map(|p| self.dev(p.dev).mtu)
            .min()
            .unwrap_or(ETH_DATA_LEN);
        let _ = self.dev_set_mtu(br, min);
        self.br_mut(br).mtu_set_by_user = false;
    }

    /// `br_add_if()`, reached through `ndo_add_slave`.
    pub(crate) fn br_add_if(&mut self, br: DevId, dev: DevId) -> KResult<()> {
        let d = self.dev(dev);
        if d.flags & IFF_LOOPBACK != 0
            || d.dev_type != ARPHRD_ETHER
            || d.dev_addr.len() != ETH_ALEN
            || !d.dev_addr.is_valid_ether()
        {
            return Err(KError::new(Errno::EINVAL));
        }
        if d.driver.is_bridge() {
            return Err(KError::msg(
                Errno::ELOOP,
                "Can not enslave a bridge to a bridge",
            ));
        }
        if d.master.is_some() {
            return Err(KError::new(Errno::EBUSY));
        }
        if d.priv_flags & IFF_DONT_BRIDGE != 0 {
            return Err(KError::msg(
                Errno::EOPNOTSUPP,
                "Device does not allow enslaving to a bridge",
            ));
        }
        // new_nbp(): find_portno() and a tracked reference on the port.
        let used: Vec<u16> = self.br(br).ports.iter().map(|p| p.port_no).collect();
        let port_no = (1..BR_MAX_PORTS)
            .find(|n| !used.contains(n))
            .ok_or(KError::new(Errno::EXFULL))?;
        let _ = self.call_netdevice_notifiers(NetdevEvent::Join, dev);
        self.dev_set_allmulti(dev, 1);
        if let Err(e) = self.netdev_rx_handler_register(dev, RxHandler::BridgePort) {
            self.dev_set_allmulti(dev, -1);
            return Err(e);
        }
        self.dev_mut(dev).priv_flags |= IFF_BRIDGE_PORT;
        // The port (the kernel's nbp, reachable from the device once its
        // rx_handler is in) exists before the upper link announces it;
        // br->port_list is this same list here, and list_add_rcu puts a new
        // port at its head.
        let had_ports = !self.br(br).ports.is_empty();
        self.br_mut(br).ports.insert(
            0,
            BridgePort {
                dev,
                port_no,
                state: PortState::Disabled,
                fwd_delay_due: None,
                fwd_delay_seq: 0,
            },
        );
        if let Err(e) = self.netdev_master_upper_dev_link(dev, br) {
            self.br_mut(br).ports.retain(|p| p.dev != dev);
            self.dev_mut(dev).priv_flags &= !IFF_BRIDGE_PORT;
            self.netdev_rx_handler_unregister(dev);
            self.dev_set_allmulti(dev, -1);
            return Err(e);
        }
        self.dev_mut(dev).refs.push(DevRef {
            holder: "bridge port (new_nbp)".into(),
            tracked: true,
        });
        // nbp_update_port_count() → br_manage_promisc(): without VLAN
        // filtering every port is promiscuous; only the new one changes.
        self.dev_set_promiscuity(dev, 1);
        self.br_fdb_sync_local(br);
        // The bridge's features follow its ports. Linux 6.18 here sends the
        // first port's FEATURE CHANGE before the port is enabled and
        // announced (seen with a raw RTNLGRP_LINK listener).
        self.br_features_recompute(br, had_ports);
        let changed_addr = self.br_stp_recalculate_bridge_id(br);
        let pd = self.dev(dev);
        if pd.running() && pd.oper_up() && self.dev(br).is_up() {
            self.br_stp_enable_port(br, dev);
        }
        self.br_ifinfo_notify(RtmType::NewLink, dev);
        if changed_addr {
            let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeAddr, br);
        }
        self.br_mtu_auto_adjust(br);
        Ok(())
    }

    /// `netdev_compute_master_upper_features()` / `netdev_update_features()`
    /// on the bridge: NETDEV_FEAT_CHANGE when its features changed. Every
    /// modelled port driver offers the same features, so they change only
    /// when the first port arrives or the last one leaves.
    fn br_features_recompute(&mut self, br: DevId, had_ports: bool) {
        self.br_mut(br).features_computed = true;
        // netif_set_tso_max_size(): the ports' TSO limit may bring the
        // bridge's GSO limits down.
        self.netif_set_tso_max_size(br);
        if had_ports == self.br(br).ports.is_empty() {
            let _ = self.call_netdevice_notifiers(NetdevEvent::FeatChange, br);
        }
    }

    /// `del_nbp()`: drop promiscuity and allmulti, disable the port (and
    /// announce it), RTM_DELLINK for it, forget it, unlink the upper.
    fn del_nbp(&mut self, br: DevId, dev: DevId) {
        // nbp_delete_promisc().
        self.dev_set_allmulti(dev, -1);
        self.dev_set_promiscuity(dev, -1);
        self.br_stp_disable_port(br, dev);
        self.br_ifinfo_notify(RtmType::DelLink, dev);
        self.br_mut(br).ports.retain(|p| p.dev != dev);
        self.br_fdb_delete_by_port(br, dev);
        self.netdev_upper_dev_unlink(dev, br);
        self.br_fdb_sync_local(br);
        self.netdev_rx_handler_unregister(dev);
        let d = self.dev_mut(dev);
        d.priv_flags &= !IFF_BRIDGE_PORT;
        if let Some(i) = d
            .refs
            .iter()
            .position(|r| r.holder == "bridge port (new_nbp)")
        {
            d.refs.remove(i);
        }
    }

    /// `br_del_if()`: `del_nbp`, then the bridge's MTU, id (CHANGEADDR)
    /// and features.
    pub(crate) fn br_del_if(&mut self, br: DevId, dev: DevId) -> KResult<()> {
        if self.br_port_get(dev) != Some(br) {
            return Err(KError::new(Errno::EINVAL));
        }
        self.del_nbp(br, dev);
        self.br_mtu_auto_adjust(br);
        if self.br_stp_recalculate_bridge_id(br) {
            let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeAddr, br);
        }
        self.br_features_recompute(br, true);
        Ok(())
    }

    /// `br_dev_delete()`: every port leaves (`del_nbp`, the bridge's id,
    /// MTU and features stay as they are) before the bridge itself is
    /// queued for unregistration; `cancel_delayed_work_sync(&br->gc_work)`
    /// and the ports' timers go with it, so queued work only ever names a
    /// live bridge.
    pub(crate) fn br_dev_delete(&mut self, br: DevId) {
        let ports: Vec<DevId> = self.br(br).ports.iter().map(|p| p.dev).collect();
        for p in ports {
            if self.br_port_get(p) == Some(br) {
                self.del_nbp(br, p);
            }
        }
        self.deferred.workqueue.cancel(Work::BridgeFdbGc(br));
        self.deferred.workqueue.cancel(Work::BridgeFwdDelay(br));
    }

    /// `br_device_event()`: the bridge's netdevice notifier.
    pub(crate) fn br_device_event(
        &mut self,
        event: NetdevEvent,
        dev: DevId,
        _info: EventInfo,
    ) -> KResult<()> {
        let Some(br) = self.br_port_get(dev) else {
            return Ok(());
        };
        let mut notified = false;
        match event {
            NetdevEvent::ChangeMtu => self.br_mtu_auto_adjust(br),
            NetdevEvent::ChangeAddr if self.br_stp_recalculate_bridge_id(br) => {
                let _ = self.call_netdevice_notifiers(NetdevEvent::ChangeAddr, br);
            }
            NetdevEvent::Change => notified = self.br_port_carrier_check(br, dev),
            NetdevEvent::Down if self.dev(br).is_up() => {
                self.br_stp_disable_port(br, dev);
                notified = true;
            }
            NetdevEvent::Up if self.dev(br).running() && self.dev(dev).oper_up() => {
                self.br_stp_enable_port(br, dev);
                notified = true;
            }
            NetdevEvent::Unregister => {
                let _ = self.br_del_if(br, dev);
            }
            NetdevEvent::PreTypeChange => return Err(KError::new(Errno::EINVAL)),
            _ => {}
        }
        // Events that may cause spanning tree to refresh.
        if !notified
            && matches!(
                event,
                NetdevEvent::ChangeAddr | NetdevEvent::Up | NetdevEvent::Change | NetdevEvent::Down
            )
        {
            self.br_ifinfo_notify(RtmType::NewLink, dev);
        }
        Ok(())
    }

    /// `br_port_carrier_check()`: returns whether it enabled or disabled
    /// the port (which then announced itself).
    fn br_port_carrier_check(&mut self, br: DevId, port: DevId) -> bool {
        if !self.dev(br).running() {
            return false;
        }
        let pd = self.dev(port);
        let up = pd.running() && pd.oper_up();
        let state = self.port_state(br, port);
        if up && state == PortState::Disabled {
            self.br_stp_enable_port(br, port);
            true
        } else if !up && state != PortState::Disabled {
            self.br_stp_disable_port(br, port);
            true
        } else {
            false
        }
    }
}
