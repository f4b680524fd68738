//! __dev_change_net_namespace and default_device_exit_batch (seed 004).

use ifnet_core::client::Client;
use ifnet_core::hw::HwSpec;
use ifnet_core::{Errno, HwAddr, Kernel, KernelProfile, NetdevEvent, UeventAction};

fn kernel() -> Kernel {
    Kernel::new(KernelProfile::latest())
}

/// A NIC hot-plugged at `bus` with `mac` (the default driver, no segment).
fn add_nic(k: &mut Kernel, bus: &str, mac: &str) {
    let spec = HwSpec::Nic {
        mac: HwAddr::parse(mac).unwrap(),
        driver: None,
        segment: None,
    };
    k.hw_add(bus, spec).unwrap();
}

/// __dev_change_net_namespace(): netns_immutable is checked first (lo,
/// bridge); moving to the same namespace is a no-op.
#[test]
fn immutable_devices_never_move() {
    let mut k = kernel();
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    let mut c = Client::new(&mut k, init);
    let err = c.set_netns("lo", ns, None).unwrap_err();
    assert_eq!(err.errno, Errno::EINVAL);
    assert_eq!(
        err.extack.as_deref(),
        Some("The interface netns is immutable")
    );
    c.add_bridge("br0").unwrap();
    assert_eq!(
        c.set_netns("br0", ns, None).unwrap_err().errno,
        Errno::EINVAL
    );
    c.set_netns("lo", init, None).unwrap();
}

/// Name clash in the target: EEXIST without a pattern, the new name with one;
/// a taken literal pattern fails with the formatted extack.
#[test]
fn name_clash_in_target() {
    let mut k = kernel();
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    Client::new(&mut k, ns).add_veth("a", "zz").unwrap();
    let mut c = Client::new(&mut k, init);
    c.add_veth("a", "b").unwrap();
    let err = c.set_netns("a", ns, None).unwrap_err();
    assert_eq!(err.errno, Errno::EEXIST);
    assert_eq!(
        err.extack.as_deref(),
        Some("An interface with the same name exists in the target netns")
    );
    let err = c.set_netns("a", ns, Some("zz")).unwrap_err();
    assert_eq!(err.errno, Errno::EEXIST);
    assert_eq!(
        err.extack.as_deref(),
        Some("Unable to use 'zz' for the new interface name in the target netns")
    );
    // The move takes "a0"; do_setlink then renames "a0" to "a%d" again,
    // which expands to "a1" (checked against Linux 6.18).
    c.set_netns("a", ns, Some("a%d")).unwrap();
    assert_eq!(Client::new(&mut k, ns).names(), vec!["lo", "zz", "a", "a1"]);
}

/// do_setlink(): the netns move is applied before the rename and is not
/// undone when the rename fails (acceptance 4 of issue 2).
#[test]
fn netns_move_survives_failed_rename() {
    use netlink_packet_route::link::{LinkAttribute, LinkMessage};
    use netlink_packet_route::RouteNetlinkMessage;
    let mut k = kernel();
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    Client::new(&mut k, ns).add_veth("taken", "other").unwrap();
    let mut c = Client::new(&mut k, init);
    c.add_veth("a", "b").unwrap();
    let idx = c.get("a").unwrap().header.index;
    let fd = c.kernel.netns_fd(ns) as i32;
    let mut m = LinkMessage::default();
    m.header.index = idx;
    m.attributes.push(LinkAttribute::IfName("other".into()));
    m.attributes.push(LinkAttribute::NetNsFd(fd));
    // "other" is the pattern for the move; "a" is free in x, so the move
    // keeps "a" and then the rename to "other" fails with EEXIST.
    let err = c
        .request(
            RouteNetlinkMessage::NewLink(m),
            netlink_packet_core::NLM_F_ACK,
        )
        .unwrap_err();
    assert_eq!(err.errno, Errno::EEXIST);
    assert_eq!(Client::new(&mut k, init).names(), vec!["lo", "b"]);
    assert_eq!(
        Client::new(&mut k, ns).names(),
        vec!["lo", "other", "taken", "a"]
    );
}

/// The move is an UNREGISTER/REGISTER pair with reg_state still REGISTERED,
/// DELLINK (old name) in the old namespace, remove/add uevents, the device
/// arrives DOWN, keeps its ifindex if free.
#[test]
fn move_is_mini_unregister_register() {
    let mut k = kernel();
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    let mut c = Client::new(&mut k, init);
    c.add_veth("a", "b").unwrap();
    c.set_up("a", true).unwrap();
    k.run_until_idle();
    k.set_trace(true);
    let useq = k.uevent_next_seq();
    Client::new(&mut k, init).set_netns("a", ns, None).unwrap();
    let ev: Vec<NetdevEvent> = k
        .take_trace()
        .into_iter()
        .filter(|r| r.ifname == "a")
        .map(|r| r.event)
        .collect();
    assert_eq!(
        ev,
        vec![
            NetdevEvent::GoingDown,
            NetdevEvent::Down,
            NetdevEvent::Unregister,
            NetdevEvent::Register
        ]
    );
    let ue = k.uevents_since(useq).unwrap();
    let acts: Vec<_> = ue.iter().map(|u| (u.action, u.net == ns)).collect();
    assert_eq!(
        acts,
        vec![(UeventAction::Remove, false), (UeventAction::Add, true)]
    );
    let a = k.dev_get_by_name(ns, "a").unwrap();
    assert!(!k.dev(a).is_up());
    assert_eq!(k.dev(a).ifindex, 3);
    // The peer in init_net now reports the link namespace id.
    let b = Client::new(&mut k, init).get("b").unwrap();
    assert!(b
        .attributes
        .iter()
        .any(|x| matches!(x, netlink_packet_route::link::LinkAttribute::LinkNetNsId(0))));
}

/// ifindex clash in the target: a new index is allocated from its cursor.
#[test]
fn ifindex_clash_allocates_new_index() {
    let mut k = kernel();
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    Client::new(&mut k, ns).add_veth("p", "q").unwrap(); // 2, 3 in x
    Client::new(&mut k, init).add_veth("a", "b").unwrap(); // b=2, a=3
    Client::new(&mut k, init).set_netns("a", ns, None).unwrap();
    let a = k.dev_get_by_name(ns, "a").unwrap();
    assert_eq!(k.dev(a).ifindex, 4);
}

/// default_device_exit_batch(): virtual devices die (both veth ends, even
/// the one in another namespace); physical NICs go home to init_net, renamed
/// dev<ifindex> on a clash; loopback goes last.
#[test]
fn namespace_teardown() {
    let mut k = kernel();
    let init = k.init_net();
    add_nic(&mut k, "0000:00:03.0", "52:54:00:12:34:56");
    add_nic(&mut k, "0000:00:04.0", "52:54:00:12:34:57");
    let ns = k.netns_new().unwrap();
    let mut c = Client::new(&mut k, init);
    assert_eq!(c.names(), vec!["lo", "eth0", "eth1"]);
    c.add_veth("v0", "v1").unwrap();
    c.set_netns("eth0", ns, None).unwrap();
    c.set_netns("v0", ns, None).unwrap();
    // A new eth0 appears in init_net while the old one is away.
    c.rename("eth1", "eth0").unwrap();
    k.set_trace(true);
    k.netns_put(ns).unwrap();
    let ev = k.take_trace();
    let lo_unreg = ev
        .iter()
        .position(|r| r.ifname == "lo" && r.event == NetdevEvent::Unregister);
    let v0_unreg = ev
        .iter()
        .position(|r| r.ifname == "v0" && r.event == NetdevEvent::Unregister);
    assert!(v0_unreg < lo_unreg, "loopback is unregistered last");
    let mut c = Client::new(&mut k, init);
    // eth0 came back as dev2 (its ifindex) and kept index 2; v1 died with v0.
    assert_eq!(c.names(), vec!["lo", "dev2", "eth0"]);
    assert!(!k.net_exists(ns));
}

/// Phase 1 falls back to dev%d when dev<ifindex> is also taken.
#[test]
fn teardown_falls_back_to_dev_percent_d() {
    let mut k = kernel();
    let init = k.init_net();
    add_nic(&mut k, "0000:00:03.0", "52:54:00:00:00:01");
    let ns = k.netns_new().unwrap();
    let mut c = Client::new(&mut k, init);
    c.set_netns("eth0", ns, None).unwrap();
    c.add_veth("eth0", "dev2").unwrap();
    k.netns_put(ns).unwrap();
    let names = Client::new(&mut k, init).names();
    assert!(names.contains(&"dev0".to_string()), "{names:?}");
}

/// Physical devices cannot be deleted through rtnetlink (no rtnl_link_ops).
#[test]
fn physical_nic_cannot_be_deleted() {
    let mut k = kernel();
    let init = k.init_net();
    add_nic(&mut k, "0000:00:03.0", "52:54:00:00:00:01");
    let mut c = Client::new(&mut k, init);
    assert_eq!(c.del("eth0").unwrap_err().errno, Errno::EOPNOTSUPP);
    assert_eq!(c.del("lo").unwrap_err().errno, Errno::EOPNOTSUPP);
    let eth0 = k.dev_get_by_name(init, "eth0").unwrap();
    assert_eq!(
        k.sysfs_read(eth0, "device/driver").as_deref(),
        Some("e1000")
    );
    k.hw_del("0000:00:03.0", true).unwrap();
    assert!(k.dev_get_by_name(init, "eth0").is_none());
}
