//! The hardware lane and scripted actions: a plug is the bus device's own
//! `add` uevent, then its driver's probe (`hw_add_stepped`, parked after
//! the netdev's KOBJ_ADD when it gets there), then the bus `bind` uevent
//! once the probe returns — so that udevd's blocking of a child event
//! behind its parent (agents.md §2.1) orders events as on a real machine.
//! Other actions run through genuine rtnetlink requests or the core's
//! namespace calls.

use crate::action::{Action, DevRef};
use crate::agent::{Msg, Uevent};
use crate::world::{Parker, World};
use ifnet_core::client::Client;
use ifnet_core::{DevId, HwSpec, Kernel, Step, Window};

/// The bus a plugged device sits on: Hyper-V's synthetic NIC is a VMBus
/// device, everything else (a Hyper-V VF too, behind hv_pci) is PCI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bus {
    Pci,
    Vmbus,
}

impl Bus {
    pub fn of(spec: &HwSpec) -> Bus {
        match spec {
            HwSpec::Netvsc { .. } => Bus::Vmbus,
            _ => Bus::Pci,
        }
    }

    /// The uevent's SUBSYSTEM.
    pub fn subsystem(self) -> &'static str {
        match self {
            Bus::Pci => "pci",
            Bus::Vmbus => "vmbus",
        }
    }
}

/// A bus device's devpath, the parent of its netdev's (register.rs names
/// a PCI netdev `/devices/pci0000:00/BUS/net/NAME` and a netvsc
/// `…/VMBUS:00/BUS/net/NAME`): udevd blocks the netdev's event behind it.
pub fn bus_devpath(bus: &str, kind: Bus) -> String {
    match kind {
        Bus::Pci => format!("/devices/pci0000:00/{bus}"),
        Bus::Vmbus => format!("/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/{bus}"),
    }
}

fn bus_uevent(w: &mut World, bus: &str, kind: Bus, action: &str) -> String {
    let u = Uevent {
        action: action.into(),
        subsystem: kind.subsystem().into(),
        devpath: bus_devpath(bus, kind),
        interface: None,
        ifindex: 0,
    };
    let line = u.describe();
    w.deliver(None, &Msg::Uevent(u));
    line
}

/// The bus `bind` uevent after a probe finished (`driver_bound` →
/// KOBJ_BIND), after what the probe itself sent.
pub fn bind_uevent(w: &mut World, bus: &str, kind: Bus) -> String {
    w.pump();
    bus_uevent(w, bus, kind, "bind")
}

/// The netdev a reference names, wherever it lives.
pub fn resolve(k: &Kernel, d: &DevRef) -> Option<DevId> {
    match d {
        DevRef::Name(n) => k.dev_get_by_name(k.init_net(), n),
        DevRef::Bus(b) => k
            .hw_list()
            .into_iter()
            .find(|(id, _, _)| id == b)
            .and_then(|(_, _, d)| d)
            .filter(|&d| k.try_dev(d).is_some()),
    }
}

/// Runs a hardware event; returns detail lines.
pub fn run(w: &mut World, action: &Action) -> Vec<String> {
    let mut detail = Vec::new();
    if let Action::Plug { bus, spec } = action {
        let kind = Bus::of(spec);
        detail.push(bus_uevent(w, bus, kind, "add"));
        match w
            .kernel
            .hw_add_stepped(bus, spec.clone(), Window::RegisterAfterAddUevent)
        {
            Ok(Step::Parked(win)) => {
                w.parker = Some(Parker::Plug {
                    bus: bus.as_str().into(),
                    kind,
                });
                detail.push(format!("probe parked in {}", win.name()));
            }
            Ok(Step::Done(_)) => detail.push(bind_uevent(w, bus, kind)),
            Err(e) => detail.push(format!("probe failed: {:?}", e.errno)),
        }
        return detail;
    }
    let (_, text) = run_action(w, action);
    detail.push(text);
    detail
}

/// `hw del BUS [--planned]`.
fn unplug(w: &mut World, bus: &str, surprise: bool) -> (bool, String) {
    match w.kernel.hw_del(bus, !surprise) {
        Ok(()) => (true, "removed".into()),
        Err(e) => (false, format!("unplug failed: {:?}", e.errno)),
    }
}

/// Runs a non-plug action (or a plug without stepping, in set-up) at
/// once; returns whether it worked and a line. A namespace move started
/// with `stepped` parks in its first window.
pub fn run_action(w: &mut World, action: &Action) -> (bool, String) {
    if let Some(done) = crate::bond_actions::run(w, action) {
        return done;
    }
    let init = w.kernel.init_net();
    match action {
        Action::Plug { bus, spec } => match w.kernel.hw_add(bus, spec.clone()) {
            Ok(_) => (true, "probed".into()),
            Err(e) => (false, format!("plug failed: {:?}", e.errno)),
        },
        Action::Unplug { bus, surprise } => {
            let dev = resolve(&w.kernel, &DevRef::Bus(bus.clone()));
            if dev.is_some_and(|d| crate::bond_actions::is_last_bond_slave(&w.kernel, d)) {
                w.add_facts(crate::facts::Facts {
                    bond_lost_last_slave: true,
                    ..Default::default()
                });
            }
            unplug(w, bus, *surprise)
        }
        // Taken by bond_actions::run above.
        Action::BondAdd { .. } | Action::Enslave { .. } | Action::Carrier { .. } => {
            (false, "not a bus action".into())
        }
        Action::Up(d) => {
            let Some(dev) = resolve(&w.kernel, d) else {
                return (false, format!("Cannot find device \"{d}\""));
            };
            let (net, name) = {
                let x = w.kernel.dev(dev);
                (x.net, x.name.to_string())
            };
            let r = Client::new(&mut w.kernel, net).set_up(&name, true);
            (
                r.is_ok(),
                format!("RTM_NEWLINK {name} up → {:?}", r.err().map(|e| e.errno)),
            )
        }
        Action::NetnsAdd(n) => {
            if w.nets.contains_key(n) {
                return (
                    false,
                    format!("Cannot create namespace \"{n}\": File exists"),
                );
            }
            match w.kernel.netns_new() {
                Ok(net) => {
                    w.nets.insert(n.clone(), net);
                    (true, format!("netns {n} created"))
                }
                Err(e) => (false, format!("netns add failed: {:?}", e.errno)),
            }
        }
        Action::NetnsDel(n) => {
            let Some(net) = w.nets.remove(n) else {
                return (
                    false,
                    format!("Cannot remove namespace \"{n}\": No such file"),
                );
            };
            let held_phys = w
                .kernel
                .hw_list()
                .iter()
                .filter_map(|(_, _, d)| *d)
                .any(|d| w.kernel.try_dev(d).is_some_and(|x| x.net == net));
            if held_phys {
                w.add_facts(crate::facts::Facts {
                    netns_died_with_phys: true,
                    ..Default::default()
                });
            }
            match w.kernel.netns_put(net) {
                Ok(()) => (true, format!("netns {n} deleted (cleanup_net)")),
                Err(e) => (false, format!("netns del failed: {:?}", e.errno)),
            }
        }
        Action::Move { dev, netns } => {
            let Some(d) = resolve(&w.kernel, dev) else {
                return (false, format!("Cannot find device \"{dev}\""));
            };
            let Some(&net) = w.nets.get(netns) else {
                return (false, format!("Invalid \"netns\" value \"{netns}\""));
            };
            let _ = init;
            match w.kernel.dev_change_net_namespace_stepped(
                d,
                net,
                None,
                0,
                Window::NetnsMoveAfterRemoveUevent,
            ) {
                Ok(Step::Parked(win)) => {
                    w.parker = Some(Parker::Move);
                    (
                        true,
                        format!("__dev_change_net_namespace parked in {}", win.name()),
                    )
                }
                Ok(Step::Done(_)) => (true, "moved".into()),
                Err(e) => (false, format!("move failed: {:?}", e.errno)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ifnet_core::HwAddr;
    use std::collections::BTreeMap;

    /// A plug's bus uevent is the parent of its netdev's `add` (register.rs
    /// names a netvsc under VMBUS:00, a Hyper-V VF under pci0000:00), so
    /// udevd's `event_is_blocked` holds the net event behind it; the
    /// netvsc's SUBSYSTEM is vmbus.
    #[test]
    fn plug_bus_uevents_parent_the_netdev() {
        let mac = HwAddr::parse("00:15:5d:00:00:01").unwrap();
        let plugs = [
            (
                "f8615163-0000-1000-8000-000d3a000001",
                HwSpec::Netvsc { mac, segment: None },
                "vmbus",
            ),
            (
                "8a3b:00:02.0",
                HwSpec::HvVf {
                    mac,
                    serial: 1,
                    driver: Some("mana".into()),
                    segment: None,
                    no_assoc: false,
                },
                "pci",
            ),
        ];
        let mut w = World::new(
            ifnet_core::Kernel::new(ifnet_core::KernelProfile::latest()),
            BTreeMap::new(),
        );
        for (bus, spec, subsystem) in plugs {
            let kind = Bus::of(&spec);
            assert_eq!(kind.subsystem(), subsystem);
            let from = w.kernel.uevent_next_seq();
            let detail = run(
                &mut w,
                &Action::Plug {
                    bus: bus.into(),
                    spec,
                },
            );
            let parent = bus_devpath(bus, kind);
            assert_eq!(detail[0], format!("KERNEL add {parent} ({subsystem})"));
            assert_eq!(
                w.parker.clone(),
                Some(Parker::Plug {
                    bus: bus.into(),
                    kind
                })
            );
            let init = w.kernel.init_net();
            let (net, _) = crate::pump::uevents(&w.kernel, from, init);
            assert_eq!(net.len(), 1, "{bus}");
            assert!(
                net[0].devpath.starts_with(&format!("{parent}/net/")),
                "{}",
                net[0].devpath
            );
            w.kernel.resume(None).unwrap();
            w.parker = None;
        }
    }
}
