//! The netdevice notifier chain (`call_netdevice_notifiers`).
//!
//! Subscribers are a closed set of in-kernel modules, called synchronously in
//! registration order, as `register_netdevice_notifier` orders them. A
//! subscriber may veto the events Linux lets it veto (POST_INIT, REGISTER,
//! PRE_UP, CHANGENAME, PRECHANGEUPPER, PRE_CHANGEADDR, …) by returning an
//! error. Every call is recorded in the ordered event log (`eventlog.rs`)
//! so tests can assert the order the kernel guarantees.

use crate::errno::{Errno, KError, KResult};
use crate::ids::DevId;
use crate::kernel::Kernel;
use serde::{Deserialize, Serialize};

/// `enum netdev_cmd`, with the kernel's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NetdevEvent {
    Up,
    Down,
    Reboot,
    Change,
    Register,
    Unregister,
    ChangeMtu,
    ChangeAddr,
    PreChangeAddr,
    GoingDown,
    ChangeName,
    FeatChange,
    BondingFailover,
    PreUp,
    PreTypeChange,
    PostTypeChange,
    PostInit,
    PreUninit,
    Release,
    NotifyPeers,
    Join,
    ChangeUpper,
    ResendIgmp,
    PreChangeMtu,
    ChangeInfoData,
    PreChangeUpper,
    ChangeLowerState,
    ChangeTxQueueLen,
}

impl NetdevEvent {
    /// The kernel's name, e.g. `NETDEV_CHANGENAME`.
    pub fn kernel_name(self) -> &'static str {
        use NetdevEvent::*;
        match self {
            Up => "NETDEV_UP",
            Down => "NETDEV_DOWN",
            Reboot => "NETDEV_REBOOT",
            Change => "NETDEV_CHANGE",
            Register => "NETDEV_REGISTER",
            Unregister => "NETDEV_UNREGISTER",
            ChangeMtu => "NETDEV_CHANGEMTU",
            ChangeAddr => "NETDEV_CHANGEADDR",
            PreChangeAddr => "NETDEV_PRE_CHANGEADDR",
            GoingDown => "NETDEV_GOING_DOWN",
            ChangeName => "NETDEV_CHANGENAME",
            FeatChange => "NETDEV_FEAT_CHANGE",
            BondingFailover => "NETDEV_BONDING_FAILOVER",
            PreUp => "NETDEV_PRE_UP",
            PreTypeChange => "NETDEV_PRE_TYPE_CHANGE",
            PostTypeChange => "NETDEV_POST_TYPE_CHANGE",
            PostInit => "NETDEV_POST_INIT",
            PreUninit => "NETDEV_PRE_UNINIT",
            Release => "NETDEV_RELEASE",
            NotifyPeers => "NETDEV_NOTIFY_PEERS",
            Join => "NETDEV_JOIN",
            ChangeUpper => "NETDEV_CHANGEUPPER",
            ResendIgmp => "NETDEV_RESEND_IGMP",
            PreChangeMtu => "NETDEV_PRECHANGEMTU",
            ChangeInfoData => "NETDEV_CHANGEINFODATA",
            PreChangeUpper => "NETDEV_PRECHANGEUPPER",
            ChangeLowerState => "NETDEV_CHANGELOWERSTATE",
            ChangeTxQueueLen => "NETDEV_CHANGE_TX_QUEUE_LEN",
        }
    }
}

/// Extra information some events carry (`netdev_notifier_*_info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventInfo {
    None,
    /// PRECHANGEUPPER / CHANGEUPPER: the upper and whether it is being linked.
    Upper {
        upper: DevId,
        linking: bool,
    },
}

/// The in-kernel subscribers, in chain order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Notifier {
    /// `rtnetlink_event`: RTM_NEWLINK for the events it lists.
    Rtnetlink,
    /// `br_device_event`: ports follow their device.
    Bridge,
    /// `inetdev_event` + `addrconf_notify` (inet/).
    Inet,
    /// `failover_event` (net/core/failover.c).
    Failover,
    /// `netvsc_netdev_event` (hv_netvsc), once the module is loaded.
    Netvsc,
    /// `bond_netdev_event` (bonding), once the first bond is made.
    Bonding,
    /// A test subscriber that vetoes one event (by device name) with an errno.
    Veto {
        event: NetdevEvent,
        ifname: String,
        errno: i32,
    },
}

/// One line of the notifier trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    pub event: NetdevEvent,
    pub ifname: String,
    pub ifindex: u32,
}

/// Bound on the in-memory trace (the event log's); older entries are dropped.
pub const TRACE_CAPACITY: usize = crate::eventlog::EVENT_LOG_CAPACITY;

impl Kernel {
    /// `call_netdevice_notifiers(event, dev)`: runs the chain; the first
    /// subscriber error stops it and is returned (`notifier_to_errno`).
    pub fn call_netdevice_notifiers(&mut self, event: NetdevEvent, dev: DevId) -> KResult<()> {
        self.call_netdevice_notifiers_info(event, dev, EventInfo::None)
    }

    pub fn call_netdevice_notifiers_info(
        &mut self,
        event: NetdevEvent,
        dev: DevId,
        info: EventInfo,
    ) -> KResult<()> {
        self.trace_event(event, dev);
        let chain_len = self.tables.notifiers.len();
        for i in 0..chain_len {
            let notifier = self.tables.notifiers[i].clone();
            let result = match notifier {
                Notifier::Rtnetlink => {
                    self.rtnetlink_event(event, dev);
                    Ok(())
                }
                Notifier::Bridge => self.br_device_event(event, dev, info),
                Notifier::Inet => {
                    self.inet_netdev_event(event, dev);
                    Ok(())
                }
                Notifier::Failover => {
                    self.failover_event(event, dev);
                    Ok(())
                }
                Notifier::Netvsc => {
                    self.netvsc_netdev_event(event, dev);
                    Ok(())
                }
                Notifier::Bonding => {
                    self.bond_netdev_event(event, dev);
                    Ok(())
                }
                Notifier::Veto {
                    event: e,
                    ifname,
                    errno,
                } => {
                    if e == event && self.dev(dev).name.as_str() == ifname {
                        Err(KError::new(Errno::from_number(errno)))
                    } else {
                        Ok(())
                    }
                }
            };
            result?;
        }
        Ok(())
    }

    fn trace_event(&mut self, event: NetdevEvent, dev: DevId) {
        let d = self.dev(dev);
        let (ifname, ifindex) = (d.name, d.ifindex);
        self.log_event(|| crate::eventlog::KernelEvent::Notifier {
            event,
            ifname,
            ifindex,
        });
    }

    /// Adds a test subscriber that vetoes `event` for device `ifname`.
    pub fn add_veto_notifier(&mut self, event: NetdevEvent, ifname: &str, errno: Errno) {
        self.tables.notifiers.push(Notifier::Veto {
            event,
            ifname: ifname.to_string(),
            errno: errno.number(),
        });
    }

    /// Turns the notifier trace on (it is off by default: it costs
    /// memory). The trace is the notifier calls of the ordered event log,
    /// which this turns on or off with it.
    pub fn set_trace(&mut self, on: bool) {
        self.set_event_log(on);
        self.obs.trace_from = self.event_next_seq();
    }

    /// Takes the notifier calls recorded since the last take.
    pub fn take_trace(&mut self) -> Vec<EventRecord> {
        let from = self.obs.trace_from;
        self.obs.trace_from = self.event_next_seq();
        let events = match self.events_since(from) {
            Ok(v) => v,
            Err(o) => self.events_since(o.resume_at).unwrap_or_default(),
        };
        events
            .into_iter()
            .filter_map(|e| match e.event {
                crate::eventlog::KernelEvent::Notifier {
                    event,
                    ifname,
                    ifindex,
                } => Some(EventRecord {
                    event,
                    ifname: ifname.to_string(),
                    ifindex,
                }),
                _ => None,
            })
            .collect()
    }
}
