//! Declared windows (DESIGN.md rule 5): the points where Linux lets
//! lock-free readers (sysfs, uevent and multicast consumers, RCU lookups)
//! see an RTNL-holding operation half done.
//!
//! The design is sans-I/O and resumable: a stepped operation
//! (`hw_add_stepped`, `dev_change_net_namespace_stepped`) runs up to the
//! window it was asked to stop at and parks there, its continuation stored
//! in the kernel (`Kernel::parked`), so the kernel stays one owned,
//! cloneable, serialisable value — an explorer can clone it at the window
//! and try several interleavings. While parked, the caller reads sysfs,
//! uevents, multicast and the event log, then `resume`s. RTNL is held
//! throughout: RTNL-taking entry points (rtnetlink requests, the hardware
//! bus, namespaces, RTNL work) are refused without changing anything —
//! typed as [`RtnlHeld`] by `rtnl_trylock` / `rtnl_try_request`, and as
//! EBUSY with [`RTNL_HELD_MSG`] where the interface only speaks errno.

use crate::errno::{Errno, KError, KResult};
use crate::eventlog::KernelEvent;
use crate::hw::HwSpec;
use crate::hwaddr::IfName;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use serde::{Deserialize, Serialize};

/// A named point inside an RTNL-holding operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Window {
    /// `register_netdevice`: `netdev_register_kobject()` has created the
    /// sysfs object and sent KOBJ_ADD; `list_netdevice()` and
    /// NETDEV_REGISTER (where failover and netvsc enslave) have not run.
    /// udev reading sysfs here sees a device with no master (seed 002).
    RegisterAfterAddUevent,
    /// `__dev_change_net_namespace`: unlisted, NETDEV_UNREGISTER, RTM_DELLINK
    /// and KOBJ_REMOVE done in the old namespace; `dev_net_set()` not yet.
    NetnsMoveAfterRemoveUevent,
    /// `__dev_change_net_namespace`: switched and renamed, KOBJ_ADD sent in
    /// the new namespace; `list_netdevice()`, NETDEV_REGISTER and
    /// RTM_NEWLINK not yet.
    NetnsMoveAfterAddUevent,
}

impl Window {
    /// The kernel function and the point in it.
    pub fn name(self) -> &'static str {
        match self {
            Window::RegisterAfterAddUevent => "register_netdevice: after KOBJ_ADD",
            Window::NetnsMoveAfterRemoveUevent => "__dev_change_net_namespace: after KOBJ_REMOVE",
            Window::NetnsMoveAfterAddUevent => "__dev_change_net_namespace: after KOBJ_ADD",
        }
    }
}

/// Where a stepped operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Parked in this window; `Kernel::resume` continues.
    Parked(Window),
    /// Finished; the device it registered or moved.
    Done(DevId),
}

/// An RTNL-taking request arrived while an operation holds RTNL in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtnlHeld {
    pub window: Window,
}

impl std::fmt::Display for RtnlHeld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (in {})", RTNL_HELD_MSG, self.window.name())
    }
}

/// The extack of a request refused while an operation is parked (a model
/// condition: Linux would make the caller sleep on rtnl_mutex).
pub const RTNL_HELD_MSG: &str = "RTNL is held by an operation parked in a window";

/// The continuation of a parked operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum ParkedOp {
    /// `register_netdevice` of `dev`, inside the probe of a hot-plugged
    /// bus device (`bus_id`, with the failover master its probe created).
    HwAdd {
        bus_id: String,
        dev: DevId,
        master: Option<DevId>,
        /// `hw_add` created the segment it cabled the device to.
        new_segment: bool,
    },
    /// `__dev_change_net_namespace(dev, net)` past its checks.
    NetnsMove {
        dev: DevId,
        net: NetId,
        new_name: Option<IfName>,
        new_ifindex: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Parked {
    pub window: Window,
    pub op: ParkedOp,
}

impl ParkedOp {
    pub(crate) fn dev(&self) -> DevId {
        match self {
            ParkedOp::HwAdd { dev, .. } | ParkedOp::NetnsMove { dev, .. } => *dev,
        }
    }
}

/// What `register_netdevice` should stop for: the netdev the probe of
/// `bus_id` registers with driver `driver` (not a failover master it
/// creates on the way).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RegisterStop {
    pub bus_id: String,
    pub driver: String,
}

impl Kernel {
    /// The window an operation is parked in, if any.
    pub fn parked(&self) -> Option<Window> {
        self.inflight.parked.as_ref().map(|p| p.window)
    }

    /// The device the parked operation works on.
    pub fn parked_dev(&self) -> Option<DevId> {
        self.inflight.parked.as_ref().map(|p| p.op.dev())
    }

    /// `rtnl_trylock()`: refused while an operation holds RTNL in a window.
    /// (The model has no other holder between calls.)
    pub fn rtnl_trylock(&self) -> Result<(), RtnlHeld> {
        match self.parked() {
            Some(window) => Err(RtnlHeld { window }),
            None => Ok(()),
        }
    }

    /// `rtnl_trylock` for entry points that answer with an errno.
    pub(crate) fn rtnl_check(&self) -> KResult<()> {
        self.rtnl_trylock()
            .map_err(|_| KError::msg(Errno::EBUSY, RTNL_HELD_MSG))
    }

    /// An rtnetlink request that reports a parked RTNL holder as a type
    /// instead of answering it.
    pub fn rtnl_try_request(
        &mut self,
        net: NetId,
        request: &[u8],
    ) -> Result<Vec<Vec<u8>>, RtnlHeld> {
        self.rtnl_trylock()?;
        Ok(self.rtnl_request(net, request))
    }

    /// Parks the running operation in `window`.
    pub(crate) fn park(&mut self, window: Window, op: ParkedOp) {
        let dev = op.dev();
        self.inflight.parked = Some(Parked { window, op });
        self.log_event(|| KernelEvent::WindowEntered { window, dev });
    }

    /// Whether `register_netdevice(dev)` should park after KOBJ_ADD.
    pub(crate) fn register_should_park(&self, dev: DevId) -> bool {
        let Some(stop) = &self.inflight.register_stop else {
            return false;
        };
        let d = self.dev(dev);
        d.parent.as_deref() == Some(stop.bus_id.as_str())
            && d.driver.driver_name() == Some(stop.driver.as_str())
    }

    /// Hot-plugs a device like [`Kernel::hw_add`], stopping the
    /// `register_netdevice` of its netdev at `stop` if it gets there.
    pub fn hw_add_stepped(&mut self, bus_id: &str, spec: HwSpec, stop: Window) -> KResult<Step> {
        self.rtnl_check()?;
        if stop == Window::RegisterAfterAddUevent {
            self.inflight.register_stop = Some(RegisterStop {
                bus_id: bus_id.to_string(),
                driver: spec.driver_name(),
            });
        }
        let segments_before = self.world.segments.len();
        let r = self.hw_add(bus_id, spec);
        self.inflight.register_stop = None;
        let dev = r?;
        let master = self
            .world
            .hw
            .devices
            .get(bus_id)
            .and_then(|h| h.failover_master);
        let new_segment = self.world.segments.len() > segments_before;
        let Some(p) = self.inflight.parked.as_mut() else {
            return Ok(Step::Done(dev));
        };
        p.op = ParkedOp::HwAdd {
            bus_id: bus_id.to_string(),
            dev,
            master,
            new_segment,
        };
        Ok(Step::Parked(p.window))
    }

    /// `__dev_change_net_namespace` like
    /// [`Kernel::dev_change_net_namespace`], parking at `stop`.
    pub fn dev_change_net_namespace_stepped(
        &mut self,
        dev: DevId,
        net: NetId,
        pat: Option<&str>,
        new_ifindex: u32,
        stop: Window,
    ) -> KResult<Step> {
        self.rtnl_check()?;
        self.inflight.move_stop = Some(stop);
        let r = self.dev_change_net_namespace(dev, net, pat, new_ifindex);
        self.inflight.move_stop = None;
        r?;
        Ok(match self.parked() {
            Some(w) => Step::Parked(w),
            None => Step::Done(dev),
        })
    }

    /// Resumes the parked operation, up to the later window `stop` of the
    /// same operation or to its end. EINVAL when nothing is parked.
    pub fn resume(&mut self, stop: Option<Window>) -> KResult<Step> {
        let Some(p) = self.inflight.parked.take() else {
            return Err(KError::msg(
                Errno::EINVAL,
                "No operation is parked in a window",
            ));
        };
        let (window, dev) = (p.window, p.op.dev());
        self.log_event(|| KernelEvent::WindowLeft { window, dev });
        match p.op {
            ParkedOp::HwAdd {
                bus_id,
                dev,
                master,
                new_segment,
            } => self
                .hw_add_resume(&bus_id, dev, master, new_segment)
                .map(Step::Done),
            ParkedOp::NetnsMove {
                dev,
                net,
                new_name,
                new_ifindex,
            } => {
                let m = crate::netns_move::MoveArgs {
                    dev,
                    net,
                    new_name,
                    new_ifindex,
                };
                Ok(self.move_device_from(Some(window), m, stop))
            }
        }
    }

    /// The device a parked namespace move works on.
    pub(crate) fn parked_move_dev(&self) -> Option<DevId> {
        match &self.inflight.parked.as_ref()?.op {
            ParkedOp::NetnsMove { dev, .. } => Some(*dev),
            ParkedOp::HwAdd { .. } => None,
        }
    }

    /// What a parked operation must satisfy (part of `check_invariants`):
    /// its device is registered and in none of the name tables (it is
    /// between unlist/relist or before list_netdevice), its name is free
    /// where it will be listed, a move is `moving_ns` and a register is
    /// not, and the window belongs to the operation.
    pub(crate) fn check_parked(&self) -> Result<(), String> {
        let Some(p) = &self.inflight.parked else {
            return Ok(());
        };
        let dev = p.op.dev();
        let Some(d) = self.try_dev(dev) else {
            return Err("the parked operation's device does not exist".into());
        };
        let is_move = matches!(p.op, ParkedOp::NetnsMove { .. });
        let window_ok = match p.window {
            Window::RegisterAfterAddUevent => !is_move,
            Window::NetnsMoveAfterRemoveUevent | Window::NetnsMoveAfterAddUevent => is_move,
        };
        let net = match &p.op {
            ParkedOp::NetnsMove { net, .. } => *net,
            ParkedOp::HwAdd { .. } => d.net,
        };
        if !window_ok
            || d.reg_state != crate::consts::RegState::Registered
            || d.moving_ns != is_move
            || !self.net_exists(net)
        {
            return Err(format!("the operation parked on {} is torn", d.name));
        }
        let listed = self
            .tables
            .nets
            .iter::<NetId>()
            .any(|(_, n)| n.names.values().any(|&x| x == dev));
        let name = match &p.op {
            ParkedOp::NetnsMove {
                new_name: Some(n), ..
            } => n.as_str().to_string(),
            _ => d.name.to_string(),
        };
        if listed || self.net(net).name_in_use(&name) {
            return Err(format!("the parked device {} is listed", d.name));
        }
        Ok(())
    }
}
