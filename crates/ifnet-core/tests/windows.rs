//! Declared windows (DESIGN.md rule 5, window.rs) and the ordered event log
//! (eventlog.rs): `register_netdevice` stepped to the window after KOBJ_ADD,
//! `__dev_change_net_namespace` stepped between unlist and relist, RTNL
//! refused while parked, the work queue's chosen items, and the order of
//! notifier calls, uevents, multicast and printk in one log.

use ifnet_core::client::Client;
use ifnet_core::hw::HwSpec;
use ifnet_core::time::Instant;
use ifnet_core::workqueue::WorkRefused;
use ifnet_core::{
    Errno, HwAddr, Kernel, KernelEvent, KernelProfile, NetdevEvent, RtnlHeld, Step, UeventAction,
    Window,
};

const MAC: &str = "52:54:00:aa:bb:01";

fn nic() -> HwSpec {
    HwSpec::Nic {
        mac: HwAddr::parse(MAC).unwrap(),
        driver: None,
        segment: None,
    }
}

fn virtio_standby() -> HwSpec {
    HwSpec::VirtioNet {
        mac: HwAddr::parse(MAC).unwrap(),
        standby: true,
        segment: None,
    }
}

fn registers_of(k: &mut Kernel, name: &str) -> usize {
    k.take_trace()
        .iter()
        .filter(|r| r.event == NetdevEvent::Register && r.ifname == name)
        .count()
}

/// register_netdevice(): netdev_register_kobject() sends KOBJ_ADD before
/// list_netdevice() and NETDEV_REGISTER. Stepped to the window after the
/// `add` uevent, a hot-plugged NIC is in sysfs (readable by namespace and
/// name) and its `add` uevent is queued, but it is not in the name hash and
/// NETDEV_REGISTER has not run; resumed, it is.
#[test]
fn register_netdevice_window_after_add_uevent() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    k.set_trace(true);
    let useq = k.uevent_next_seq();
    let step = k
        .hw_add_stepped("0000:00:04.0", nic(), Window::RegisterAfterAddUevent)
        .unwrap();
    assert_eq!(step, Step::Parked(Window::RegisterAfterAddUevent));
    assert_eq!(k.parked(), Some(Window::RegisterAfterAddUevent));
    // In the window: sysfs shows it, udev got `add`, REGISTER has not run.
    assert_eq!(
        k.sysfs_read_by_name(init, "eth0", "address").as_deref(),
        Some(MAC)
    );
    assert!(k.sysfs_list(init).contains(&"eth0".to_string()));
    let ue = k.uevents_since(useq).unwrap();
    assert_eq!(ue.len(), 1);
    assert_eq!(
        (ue[0].action, ue[0].interface.as_str()),
        (UeventAction::Add, "eth0")
    );
    assert_eq!(k.dev_get_by_name(init, "eth0"), None, "not listed yet");
    let trace = k.take_trace();
    assert!(trace
        .iter()
        .any(|r| r.event == NetdevEvent::PostInit && r.ifname == "eth0"));
    assert!(!trace.iter().any(|r| r.event == NetdevEvent::Register));
    k.check_invariants().unwrap();
    // Completed.
    let dev = match k.resume(None).unwrap() {
        Step::Done(d) => d,
        other => panic!("{other:?}"),
    };
    assert_eq!(k.parked(), None);
    assert_eq!(k.dev_get_by_name(init, "eth0"), Some(dev));
    assert_eq!(registers_of(&mut k, "eth0"), 1);
    k.check_invariants().unwrap();
    assert_eq!(k.hw_list().len(), 1);
}

/// The seed-002 race (failover_slave_register at NETDEV_REGISTER): a udev
/// reading sysfs in the window after the standby's `add` uevent sees no
/// master; after the window, the failover master owns it.
#[test]
fn register_window_standby_has_no_master_yet() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let step = k
        .hw_add_stepped(
            "0000:00:03.0",
            virtio_standby(),
            Window::RegisterAfterAddUevent,
        )
        .unwrap();
    // The master (eth0) registered straight through; the standby parked.
    assert_eq!(step, Step::Parked(Window::RegisterAfterAddUevent));
    assert!(k.dev_get_by_name(init, "eth0").is_some());
    assert_eq!(k.sysfs_read_by_name(init, "eth1", "master"), None);
    assert_eq!(
        k.sysfs_read_by_name(init, "eth1", "device/driver")
            .as_deref(),
        Some("virtio_net")
    );
    k.check_invariants().unwrap();
    k.resume(None).unwrap();
    assert_eq!(
        k.sysfs_read_by_name(init, "eth1", "master").as_deref(),
        Some("eth0")
    );
    k.check_invariants().unwrap();
}

/// The ordered log pins register_netdevice's order across kinds:
/// NETDEV_POST_INIT, the `add` uevent, NETDEV_REGISTER, RTM_NEWLINK — for a
/// straight `hw_add` as for a stepped one (with the window in between).
#[test]
fn register_netdevice_order_in_event_log() {
    for stepped in [false, true] {
        let mut k = Kernel::new(KernelProfile::latest());
        k.mcast_listen(1);
        k.set_event_log(true);
        let from = k.event_next_seq();
        if stepped {
            k.hw_add_stepped("0000:00:04.0", nic(), Window::RegisterAfterAddUevent)
                .unwrap();
            k.resume(None).unwrap();
        } else {
            k.hw_add("0000:00:04.0", nic()).unwrap();
        }
        let kinds: Vec<String> = k
            .events_since(from)
            .unwrap()
            .into_iter()
            .map(|e| match e.event {
                KernelEvent::Notifier { event, .. } => event.kernel_name().to_string(),
                KernelEvent::Uevent { action, .. } => format!("uevent {}", action.name()),
                KernelEvent::Rtnetlink { msg_type, .. } => format!("rtnetlink {msg_type}"),
                KernelEvent::Printk { text } => text,
                KernelEvent::WindowEntered { .. } => "window entered".into(),
                KernelEvent::WindowLeft { .. } => "window left".into(),
            })
            .collect();
        let mut want = vec!["NETDEV_POST_INIT", "uevent add"];
        if stepped {
            want.extend(["window entered", "window left"]);
        }
        want.extend(["NETDEV_REGISTER", "rtnetlink 16"]);
        assert_eq!(kinds, want, "stepped: {stepped}");
    }
}

/// RTNL is held while an operation is parked: rtnetlink requests (even
/// rtnl_getlink, an RTNL doit in 6.18), the hardware bus, namespaces and
/// linkwatch are refused, and nothing changes.
#[test]
fn rtnl_requests_refused_while_parked() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    Client::new(&mut k, init).add_veth("a", "b").unwrap();
    k.hw_add_stepped("0000:00:04.0", nic(), Window::RegisterAfterAddUevent)
        .unwrap();
    let before = format!("{k:?}");
    let held = RtnlHeld {
        window: Window::RegisterAfterAddUevent,
    };
    assert_eq!(k.rtnl_trylock(), Err(held));
    let err = Client::new(&mut k, init).set_up("a", true).unwrap_err();
    assert_eq!(err.errno, Errno::EBUSY);
    assert!(Client::new(&mut k, init).get("eth0").is_err());
    let req = ifnet_core::client::encode(
        netlink_packet_route::RouteNetlinkMessage::GetLink(Default::default()),
        netlink_packet_core::NLM_F_REQUEST | netlink_packet_core::NLM_F_DUMP,
        7,
    );
    assert_eq!(k.rtnl_try_request(init, &req), Err(held));
    assert_eq!(
        k.hw_add("0000:00:05.0", nic()).unwrap_err().errno,
        Errno::EBUSY
    );
    assert_eq!(
        k.hw_del("0000:00:04.0", true).unwrap_err().errno,
        Errno::EBUSY
    );
    assert_eq!(k.netns_new().unwrap_err().errno, Errno::EBUSY);
    assert!(!k.run_until_idle());
    if let Some(lw) = k.pending_work().into_iter().find(|i| i.work.takes_rtnl()) {
        assert_eq!(k.run_work_item(lw.seq), Err(WorkRefused::RtnlHeld(held)));
    }
    assert_eq!(before, format!("{k:?}"), "a refused request changed state");
    k.resume(None).unwrap();
    Client::new(&mut k, init).set_up("a", true).unwrap();
}

/// __dev_change_net_namespace(): between unlist_netdevice() and
/// list_netdevice() the device is in neither namespace's name hash. After
/// KOBJ_REMOVE its sysfs object is still tagged with the old namespace
/// (device_rename() moves it later); after KOBJ_ADD it is in the new one.
#[test]
fn dev_change_net_namespace_windows() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    let dev = k.hw_add("0000:00:04.0", nic()).unwrap();
    let useq = k.uevent_next_seq();
    let step = k
        .dev_change_net_namespace_stepped(dev, ns, None, 0, Window::NetnsMoveAfterRemoveUevent)
        .unwrap();
    assert_eq!(step, Step::Parked(Window::NetnsMoveAfterRemoveUevent));
    for net in [init, ns] {
        assert_eq!(k.dev_get_by_name(net, "eth0"), None);
    }
    assert_eq!(k.sysfs_lookup(init, "eth0"), Some(dev));
    assert_eq!(k.sysfs_lookup(ns, "eth0"), None);
    let ue = k.uevents_since(useq).unwrap();
    assert_eq!(
        (ue.len(), ue[0].action, ue[0].net),
        (1, UeventAction::Remove, init)
    );
    k.check_invariants().unwrap();
    // GETLINK by name from either namespace waits for RTNL.
    for net in [init, ns] {
        let err = Client::new(&mut k, net).get("eth0").unwrap_err();
        assert_eq!(err.errno, Errno::EBUSY);
    }
    let step = k.resume(Some(Window::NetnsMoveAfterAddUevent)).unwrap();
    assert_eq!(step, Step::Parked(Window::NetnsMoveAfterAddUevent));
    for net in [init, ns] {
        assert_eq!(k.dev_get_by_name(net, "eth0"), None);
    }
    assert_eq!(k.sysfs_lookup(init, "eth0"), None);
    assert_eq!(k.sysfs_lookup(ns, "eth0"), Some(dev));
    let ue = k.uevents_since(useq).unwrap();
    assert_eq!(
        (ue.len(), ue[1].action, ue[1].net),
        (2, UeventAction::Add, ns)
    );
    k.check_invariants().unwrap();
    assert_eq!(k.resume(None).unwrap(), Step::Done(dev));
    assert_eq!(k.dev_get_by_name(ns, "eth0"), Some(dev));
    assert_eq!(k.resume(None).unwrap_err().errno, Errno::EINVAL);
    k.check_invariants().unwrap();
}

/// A NETDEV_REGISTER veto after the window unwinds the probe as a straight
/// hw_add does: same error, no bus device, no netdev left.
#[test]
fn register_veto_after_window_unwinds_probe() {
    let mut straight = Kernel::new(KernelProfile::latest());
    let mut stepped = straight.clone();
    for k in [&mut straight, &mut stepped] {
        k.add_veto_notifier(NetdevEvent::Register, "eth0", Errno::EINVAL);
    }
    let e1 = straight.hw_add("0000:00:04.0", nic()).unwrap_err();
    stepped
        .hw_add_stepped("0000:00:04.0", nic(), Window::RegisterAfterAddUevent)
        .unwrap();
    let e2 = stepped.resume(None).unwrap_err();
    assert_eq!(e1.errno, e2.errno);
    for k in [&straight, &stepped] {
        assert!(k.hw_list().is_empty());
        assert_eq!(k.device_count(), 1, "only lo");
        k.check_invariants().unwrap();
    }
}

/// The work queue: a scheduler lists pending items and runs a chosen due
/// one (process_one_work on any worker), not only the earliest.
#[test]
fn work_queue_runs_chosen_item() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    Client::new(&mut k, init).add_bridge("br0").unwrap();
    Client::new(&mut k, init).add_veth("a", "b").unwrap();
    Client::new(&mut k, init).set_up("br0", true).unwrap();
    Client::new(&mut k, init)
        .set_master("a", Some("br0"))
        .unwrap();
    Client::new(&mut k, init).set_up("a", true).unwrap();
    Client::new(&mut k, init).set_up("b", true).unwrap();
    let pending = k.pending_work();
    assert!(pending.len() >= 2, "{pending:?}");
    assert_eq!(k.run_work_item(u64::MAX), Err(WorkRefused::NoSuchItem));
    let later = pending.last().copied().unwrap();
    if later.due > k.now() {
        assert_eq!(
            k.run_work_item(later.seq),
            Err(WorkRefused::NotDue { due: later.due })
        );
        k.advance_to(later.due);
    }
    assert_eq!(k.run_work_item(later.seq), Ok(later.work));
    assert!(!k.pending_work().iter().any(|i| i.seq == later.seq));
}

/// printk(): kernel log lines carry the virtual time they were logged at
/// (what dmesg prints), and appear in the event log in order.
#[test]
fn printk_lines_are_timestamped() {
    let mut k = Kernel::new(KernelProfile::latest());
    k.set_event_log(true);
    let from = k.event_next_seq();
    k.advance_to(Instant::from_nanos(1_500_000_000));
    k.hw_add("0000:00:03.0", virtio_standby()).unwrap();
    let lines = k.dmesg_lines().to_vec();
    assert!(!lines.is_empty());
    assert!(lines
        .iter()
        .all(|l| l.time == Instant::from_nanos(1_500_000_000)));
    let logged: Vec<String> = k
        .events_since(from)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.event {
            KernelEvent::Printk { text } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(logged, k.dmesg());
}
