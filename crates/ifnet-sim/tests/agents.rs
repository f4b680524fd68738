//! One test per modelled agent rule, each naming the source function and
//! the version it models (agents.md §2–§6).

use ifnet_core::{HwAddr, HwSpec, Kernel, KernelProfile};
use ifnet_sim::agent::{Agent, Cx, LinkNote, Msg, UdevEvent};
use ifnet_sim::agents::networkd::Networkd;
use ifnet_sim::agents::nm::NetworkManager;
use ifnet_sim::agents::Version;
use ifnet_sim::facts::Facts;
use ifnet_sim::{Scenario, Step, World};
use std::collections::BTreeMap;

const VF_HOTPLUG: &str = r#"
name = "vf-hotplug"
[agents.udev]
version = "257.7"
rules = ["azure-unmanaged-sriov"]
[agents.nm]
[[hardware]]
do = "plug"
bus = "0000:00:09.0"
type = "vf"
mac = "52:54:00:00:09:01"
"#;

fn world(text: &str, udev: Option<&str>) -> World {
    let s = Scenario::parse(text).unwrap();
    let mut v = BTreeMap::new();
    if let Some(u) = udev {
        v.insert("udev".to_string(), u.to_string());
    }
    s.build(None, &v).unwrap()
}

/// Runs always taking the first enabled step; returns every step's text
/// and detail lines, in order.
fn first_path(mut w: World) -> (World, Vec<String>) {
    w.set_detail(true);
    let mut lines = Vec::new();
    for _ in 0..200 {
        let Some((s, _)) = w.enabled().into_iter().next() else {
            break;
        };
        let r = w.apply(&s).unwrap();
        lines.push(format!("[{}] {}", r.lane, r.text));
        lines.extend(r.detail);
    }
    (w, lines)
}

fn udev_index(w: &World) -> usize {
    w.agent_names().iter().position(|n| n == "udev").unwrap()
}

/// udev-manager.c `event_is_blocked()`: the net device's `add` waits for
/// its PCI parent's `add` (a parent devpath) to finish.
#[test]
fn udev_event_is_blocked_child_waits_for_parent() {
    let mut w = world(VF_HOTPLUG, None);
    let u = udev_index(&w);
    w.apply(&Step::Hw(0)).unwrap();
    let threads = |w: &World| -> Vec<u32> {
        w.enabled()
            .into_iter()
            .filter_map(|(s, _)| match s {
                Step::Agent { agent, thread } if agent == u => Some(thread),
                _ => None,
            })
            .collect()
    };
    // Parked in the register window: the pci add (1) and the net add (2)
    // are queued; only the parent may start.
    assert_eq!(threads(&w), vec![1]);
    w.apply(&Step::Agent {
        agent: u,
        thread: 1,
    })
    .unwrap();
    assert_eq!(
        threads(&w),
        vec![2],
        "the child starts once the parent's rules are done"
    );
}

/// udev-event.c `rename_netif()` (≈v243+): ID_RENAMING is set before the
/// RTM_SETLINK and broadcast with the `add`. NetworkManager does not look
/// at it: nmp-object.c `_nmp_object_fixup_link_udev_fields` (355bc90299)
/// marks the link initialized once any processed udev device is attached,
/// so NM decides on the `add` broadcast, under the new name, and the
/// `move` event (which drops ID_RENAMING) is not read again.
#[test]
fn nm_decides_on_the_add_broadcast_while_udev_is_renaming() {
    let (w, lines) = first_path(world(VF_HOTPLUG, None));
    let text = lines.join("\n");
    let renamed = text
        .find("renamed network interface 2 from 'eth0' to 'enp0s9'")
        .expect(&text);
    let decided = text
        .find("enp0s9: managed; auto-default \"Wired connection 1\" (DHCP) created")
        .expect(&text);
    let moved = text
        .find("enp0s9: move (udev event; NM_UNMANAGED is not read again)")
        .expect(&text);
    assert!(renamed < decided && decided < moved, "{text}");
    assert!(!text.contains("not initialized yet"), "{text}");
    assert!(w
        .kernel
        .dev_get_by_name(w.kernel.init_net(), "enp0s9")
        .is_some());
}

/// azure-vm-utils 10-azure-unmanaged-sriov.rules (9c59691): the rule reads
/// ATTR{flags} of a VF driver's netdev; without IFF_SLAVE (no netvsc) it
/// does not match and nothing is unmanaged.
#[test]
fn azure_rule_reads_flags_and_misses_a_vf_without_slave() {
    let (w, lines) = first_path(world(VF_HOTPLUG, None));
    let text = lines.join("\n");
    assert!(
        text.contains("read /sys/class/net/eth0/flags = 0x1002"),
        "{text}"
    );
    assert!(
        text.contains("10-azure-unmanaged-sriov: ATTR{flags} does not match"),
        "{text}"
    );
    assert_eq!(w.facts.seen_without_slave.len(), 1);
}

/// link-config.c `link_generate_new_name()`: a name given by user space
/// (name_assign_type RENAMED) is kept: "Device already has a name given by
/// userspace, not renaming."
#[test]
fn udev_keeps_a_user_given_name() {
    use ifnet_sim::agents::udev::{RuleFiles, Udev};
    let mut k = vf_kernel();
    let init = k.init_net();
    ifnet_core::client::Client::new(&mut k, init)
        .rename("eth0", "lan0")
        .unwrap();
    let mut f = Facts::default();
    let mut u = Udev::new(Version::parse("257.7").unwrap(), RuleFiles::default());
    u.deliver(&Msg::Uevent(ifnet_sim::agent::Uevent {
        action: "add".into(),
        subsystem: "net".into(),
        devpath: "/devices/pci0000:00/0000:00:09.0/net/lan0".into(),
        interface: Some("lan0".into()),
        ifindex: 2,
    }));
    step(&mut u, &mut k, &mut f, 1);
    assert_eq!(
        step(&mut u, &mut k, &mut f, 1),
        "net_setup_link lan0: Device already has a name given by userspace, not renaming."
    );
    assert!(f.renames.is_empty());
}

fn vf_kernel() -> Kernel {
    let mut k = Kernel::new(KernelProfile::latest());
    let mac = HwAddr::parse("52:54:00:00:09:01").unwrap();
    k.hw_add(
        "0000:00:09.0",
        HwSpec::Vf {
            mac,
            driver: None,
            segment: None,
        },
    )
    .unwrap();
    k.run_until_idle();
    k
}

fn udev_ev(action: &str, props: &[(&str, &str)]) -> Msg {
    Msg::Udev(std::sync::Arc::new(UdevEvent {
        action: action.into(),
        subsystem: "net".into(),
        devpath: "/devices/pci0000:00/0000:00:09.0/net/eth0".into(),
        ifindex: 2,
        interface: Some("eth0".into()),
        props: props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }))
}

fn step(a: &mut dyn Agent, k: &mut Kernel, f: &mut Facts, thread: u32) -> String {
    let net = k.init_net();
    let placeholder = Kernel::new(ifnet_core::KernelProfile::latest());
    let mut cell = ifnet_sim::kcell::KernelCell::new(std::mem::replace(k, placeholder));
    let mut cx = Cx::new(&mut cell, net);
    let text = a.step(thread, &mut cx);
    cx.facts.add_to(f);
    *k = cell.into_inner();
    text
}

/// nm-device.c (355bc90299) `nm_device_set_unmanaged_by_user_udev()` runs
/// once, when PLATFORM_INIT clears (:7882): a later `move` with
/// NM_UNMANAGED=1 changes nothing (agents.md §0 item 6).
#[test]
fn nm_reads_nm_unmanaged_once() {
    let mut k = vf_kernel();
    let mut f = Facts::default();
    let mut nm = NetworkManager::new(Version::parse("1.52").unwrap(), "10.0.0.4/24".into());
    nm.deliver(&udev_ev("add", &[]));
    assert!(step(&mut nm, &mut k, &mut f, 0).contains("auto-default"));
    nm.deliver(&udev_ev("move", &[("NM_UNMANAGED", "1")]));
    assert_eq!(
        step(&mut nm, &mut k, &mut f, 0),
        "eth0: move (udev event; NM_UNMANAGED is not read again)"
    );
    assert_eq!(f.nm_defaults.len(), 1);
    // The activation: the device up with the DHCP lease.
    assert!(step(&mut nm, &mut k, &mut f, 2).contains("activated, DHCP lease 10.0.0.4/24"));
    let dev = k.dev_get_by_name(k.init_net(), "eth0").unwrap();
    assert_eq!(k.inet_addrs(dev).len(), 1);
    // NM_UNMANAGED=1 at the first event: unmanaged, no connection.
    let mut nm2 = NetworkManager::new(Version::parse("1.52").unwrap(), "10.0.0.4/24".into());
    nm2.deliver(&udev_ev("add", &[("NM_UNMANAGED", "1")]));
    assert!(step(&mut nm2, &mut k, &mut f, 0).contains("unmanaged"));
    assert!(nm2.choices(&k).is_empty());
}

/// systemd#36997 (257.4) fixed in 257.7 (azure-vm-utils selftest.py
/// `is_systemd_fixed_for_unmanaged_bug`): before 257.7 networkd re-matches
/// an unmanaged link on "Flags change: +UP +LOWER_UP" and configures it.
#[test]
fn networkd_rematch_on_flags_change_before_257_7() {
    for (ver, configures) in [("257.6", true), ("257.7", false), ("255", true)] {
        let mut k = vf_kernel();
        let mut f = Facts::default();
        let mut nd = Networkd::new(Version::parse(ver).unwrap(), "10.0.0.4/24".into());
        nd.deliver(&udev_ev(
            "add",
            &[
                ("ID_NET_MANAGED_BY", "unmanaged"),
                ("AZURE_UNMANAGED_SRIOV", "1"),
            ],
        ));
        assert_eq!(
            step(&mut nd, &mut k, &mut f, 0),
            "eth0: requested to be managed by 'unmanaged'",
            "{ver}"
        );
        nd.deliver(&Msg::Link(LinkNote {
            new: true,
            ifindex: 2,
            name: "eth0".into(),
            flags: 0x11043,
            master: 0,
        }));
        let t = step(&mut nd, &mut k, &mut f, 0);
        assert_eq!(
            t.contains("unmanaged -> initialized"),
            configures,
            "{ver}: {t}"
        );
        assert_eq!(nd.choices(&k).len(), usize::from(configures), "{ver}");
    }
}

/// ID_NET_MANAGED_BY is honoured from v255 only (agents.md §5); before,
/// only the AZURE_UNMANAGED_SRIOV `.network` match keeps networkd away.
#[test]
fn networkd_id_net_managed_by_from_255() {
    let mut k = vf_kernel();
    let mut f = Facts::default();
    let mut old = Networkd::new(Version::parse("254").unwrap(), "10.0.0.4/24".into());
    old.deliver(&udev_ev("add", &[("ID_NET_MANAGED_BY", "unmanaged")]));
    assert_eq!(
        step(&mut old, &mut k, &mut f, 0),
        "eth0: matches 10-netplan-all-ethernet.network"
    );
    let mut new = Networkd::new(Version::parse("255").unwrap(), "10.0.0.4/24".into());
    new.deliver(&udev_ev("add", &[("ID_NET_MANAGED_BY", "unmanaged")]));
    assert!(step(&mut new, &mut k, &mut f, 0).contains("requested to be managed by"));
}

/// cloud-init `find_candidate_nics_on_linux()` / `generate_fallback_config()`
/// (cloudinit/net/__init__.py:471, :565): the fallback NIC gets dhcp4.
#[test]
fn cloud_init_fallback_configures_the_nic() {
    let s = r#"
name = "ci"
[agents.cloud-init]
version = "24.1"
[[setup]]
do = "plug"
bus = "0000:00:03.0"
type = "nic"
mac = "52:54:00:00:03:01"
"#;
    let (w, lines) = first_path(world(s, None));
    let text = lines.join("\n");
    assert!(
        text.contains("get_interfaces = [eth0]; config for [\"eth0\"]"),
        "{text}"
    );
    assert!(text.contains("eth0: dhcp4 10.0.0.4/24 → None"), "{text}");
    let dev = w
        .kernel
        .dev_get_by_name(w.kernel.init_net(), "eth0")
        .unwrap();
    assert_eq!(w.kernel.inet_addrs(dev).len(), 1);
}

/// DESIGN.md rule 5 / agents.md §1: udev's rules (sysfs, lock-free) run
/// inside `register_netdevice`'s window and see no master yet;
/// net_setup_link's RTM_GETLINK waits for RTNL until the kernel resumes.
#[test]
fn udev_reads_sysfs_inside_the_register_window_and_netlink_waits() {
    let s = Scenario::parse(builtin_failover()).unwrap();
    let mut w = s.build(None, &BTreeMap::new()).unwrap();
    w.set_detail(true);
    let u = udev_index(&w);
    w.apply(&Step::Hw(0)).unwrap();
    w.apply(&Step::Agent {
        agent: u,
        thread: 1,
    })
    .unwrap();
    let r = w
        .apply(&Step::Agent {
            agent: u,
            thread: 2,
        })
        .unwrap();
    assert!(w.kernel.parked().is_some());
    assert!(
        r.detail
            .contains(&"read /sys/class/net/eth2/device/driver = mlx5_core".to_string()),
        "{:?}",
        r.detail
    );
    assert_eq!(
        w.kernel
            .sysfs_read_by_name(w.kernel.init_net(), "eth2", "master"),
        None
    );
    let en: Vec<Step> = w.enabled().into_iter().map(|(s, _)| s).collect();
    assert_eq!(en, vec![Step::Kernel], "RTM_GETLINK waits for RTNL");
    w.apply(&Step::Kernel).unwrap();
    assert!(w.enabled().iter().any(|(s, _)| *s
        == Step::Agent {
            agent: u,
            thread: 2
        }));
}

fn builtin_failover() -> &'static str {
    ifnet_sim::builtin::get("virtio-failover-udev").unwrap()
}

/// A preemption bound (CHESS-style): with none allowed the search keeps
/// to schedules that switch actors only when one cannot go on.
#[test]
fn preemption_bound_limits_the_search() {
    use ifnet_sim::explore::{search, Config};
    let s = Scenario::parse(ifnet_sim::builtin::get("netns-lifecycle").unwrap()).unwrap();
    let w = s.build(None, &BTreeMap::new()).unwrap();
    let p = s.props().unwrap();
    let free = search(&w, &p, &Config::default(), &mut |_| {});
    let none = search(
        &w,
        &p,
        &Config {
            max_preemptions: Some(0),
            reduction: false,
            ..Default::default()
        },
        &mut |_| {},
    );
    let one = search(
        &w,
        &p,
        &Config {
            max_preemptions: Some(1),
            reduction: false,
            ..Default::default()
        },
        &mut |_| {},
    );
    assert_eq!((none.states, one.states, free.states), (3860, 12410, 29446));
    assert!(none.complete && one.complete);
}
