//! Registration and unregistration order (register_netdevice,
//! unregister_netdevice_many, netdev_run_todo) and ifindex allocation.

use ifnet_core::client::Client;
use ifnet_core::consts::*;
use ifnet_core::{Kernel, KernelProfile, NetdevEvent, UeventAction};

fn kernel() -> Kernel {
    Kernel::new(KernelProfile::latest())
}

fn events(k: &mut Kernel) -> Vec<(NetdevEvent, String)> {
    k.take_trace()
        .into_iter()
        .map(|r| (r.event, r.ifname))
        .collect()
}

/// loopback_net_init(): lo is ifindex 1 in every namespace, DOWN, noop.
#[test]
fn loopback_is_ifindex_one_everywhere() {
    let mut k = kernel();
    let ns = k.netns_new().unwrap();
    for net in [k.init_net(), ns] {
        let lo = k.dev_get_by_name(net, "lo").unwrap();
        let d = k.dev(lo);
        assert_eq!(d.ifindex, 1);
        assert_eq!(d.flags, IFF_LOOPBACK);
        assert_eq!(d.mtu, 65536);
        assert!(d.netns_immutable);
    }
}

/// register_netdevice(): POST_INIT before the `add` uevent, REGISTER after;
/// veth_newlink() registers the peer first.
#[test]
fn register_netdevice_event_order() {
    let mut k = kernel();
    k.set_trace(true);
    let init = k.init_net();
    let seq0 = k.uevent_next_seq();
    Client::new(&mut k, init).add_veth("a", "b").unwrap();
    let ev = events(&mut k);
    let firsts: Vec<_> = ev.iter().take(4).cloned().collect();
    assert_eq!(
        firsts,
        vec![
            (NetdevEvent::PostInit, "b".to_string()),
            (NetdevEvent::Register, "b".to_string()),
            (NetdevEvent::PostInit, "a".to_string()),
            (NetdevEvent::Register, "a".to_string()),
        ]
    );
    let ue = k.uevents_since(seq0).unwrap();
    assert_eq!(ue.len(), 2);
    assert_eq!(
        (ue[0].action, ue[0].interface.as_str()),
        (UeventAction::Add, "b")
    );
    assert_eq!(ue[0].devpath, "/devices/virtual/net/b");
    // Peer registered first gets the lower index.
    let b = k.dev_get_by_name(init, "b").unwrap();
    let a = k.dev_get_by_name(init, "a").unwrap();
    assert_eq!((k.dev(b).ifindex, k.dev(a).ifindex), (2, 3));
}

/// The window of DESIGN.md rule 5: a NETDEV_POST_INIT veto leaves no trace
/// (no uevent, ifindex released).
#[test]
fn post_init_veto_leaves_nothing() {
    let mut k = kernel();
    k.add_veto_notifier(NetdevEvent::PostInit, "b", ifnet_core::Errno::EPERM);
    let init = k.init_net();
    let seq0 = k.uevent_next_seq();
    let err = Client::new(&mut k, init).add_veth("a", "b").unwrap_err();
    assert_eq!(err.errno, ifnet_core::Errno::EPERM);
    assert!(k.uevents_since(seq0).unwrap().is_empty());
    assert_eq!(Client::new(&mut k, init).names(), vec!["lo"]);
    // dev_index_release() frees the entry but xa_alloc_cyclic's cursor has
    // moved on: the next device gets 3, not 2.
    Client::new(&mut k, init).add_veth("c", "d").unwrap();
    let d = k.dev_get_by_name(init, "d").unwrap();
    assert_eq!(k.dev(d).ifindex, 3);
}

/// unregister_netdevice_many(): close (GOING_DOWN, DOWN), UNREGISTER,
/// PRE_UNINIT, then the `remove` uevent; veth_dellink() takes both ends.
#[test]
fn unregister_order_and_veth_pair_deletion() {
    let mut k = kernel();
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_veth("a", "b").unwrap();
    c.set_up("a", true).unwrap();
    k.set_trace(true);
    Client::new(&mut k, init).del("b").unwrap();
    let ev = events(&mut k);
    let a_events: Vec<NetdevEvent> = ev
        .iter()
        .filter(|(_, n)| n == "a")
        .map(|(e, _)| *e)
        .collect();
    assert_eq!(
        a_events,
        vec![
            NetdevEvent::GoingDown,
            NetdevEvent::Down,
            NetdevEvent::Unregister,
            NetdevEvent::PreUninit
        ]
    );
    assert_eq!(Client::new(&mut k, init).names(), vec!["lo"]);
    assert_eq!(k.device_count(), 1);
}

/// dev_index_reserve(): cyclic per namespace (v6.6, 759ab1edb56c): a freed
/// index is not reused before wrap-around; each namespace has its own cursor.
#[test]
fn ifindex_is_cyclic_per_namespace() {
    let mut k = kernel();
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    let mut c = Client::new(&mut k, init);
    c.add_veth("a", "b").unwrap(); // 2, 3
    c.del("a").unwrap();
    c.add_veth("c", "d").unwrap(); // 4, 5
    let d = k.dev_get_by_name(init, "d").unwrap();
    assert_eq!(k.dev(d).ifindex, 4);
    Client::new(&mut k, ns).add_bridge("br0").unwrap();
    let br = k.dev_get_by_name(ns, "br0").unwrap();
    assert_eq!(k.dev(br).ifindex, 2);
}

/// rtnl_newlink_create(): an explicit ifindex that is taken is EBUSY.
#[test]
fn explicit_ifindex_taken_is_ebusy() {
    use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkInfo, LinkMessage};
    use netlink_packet_route::RouteNetlinkMessage;
    let mut k = kernel();
    let init = k.init_net();
    let mut m = LinkMessage::default();
    m.header.index = 1;
    m.attributes.push(LinkAttribute::IfName("br9".into()));
    m.attributes
        .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
            InfoKind::Bridge,
        )]));
    let flags = netlink_packet_core::NLM_F_CREATE
        | netlink_packet_core::NLM_F_EXCL
        | netlink_packet_core::NLM_F_ACK;
    // With NLM_F_EXCL the index is looked up first: lo exists → EEXIST.
    let err = Client::new(&mut k, init)
        .request(RouteNetlinkMessage::NewLink(m.clone()), flags)
        .unwrap_err();
    assert_eq!(err.errno, ifnet_core::Errno::EEXIST);
    m.header.index = 77;
    Client::new(&mut k, init)
        .request(RouteNetlinkMessage::NewLink(m), flags)
        .unwrap();
    let br = k.dev_get_by_name(init, "br9").unwrap();
    assert_eq!(k.dev(br).ifindex, 77);
}

/// netdev_wait_allrefs_any(): a device still referenced stays UNREGISTERED
/// and is reported with its holder's name until the reference is put.
#[test]
fn unregister_waits_for_named_references() {
    let mut k = kernel();
    let init = k.init_net();
    Client::new(&mut k, init).add_bridge("br0").unwrap();
    let br = k.dev_get_by_name(init, "br0").unwrap();
    k.netdev_hold(br, "failover dev_tracker", true);
    Client::new(&mut k, init).del("br0").unwrap();
    let waits = k.unregister_waits();
    assert_eq!(waits.len(), 1);
    assert_eq!(waits[0].0, "br0");
    assert_eq!(waits[0].1[0].holder, "failover dev_tracker");
    assert_eq!(k.dev(br).reg_state, RegState::Unregistered);
    let log = k.dmesg().join("\n");
    assert!(
        log.contains("unregister_netdevice: waiting for br0 to become free. Usage count = 2"),
        "{log}"
    );
    assert!(log.contains("held by failover dev_tracker"), "{log}");
    assert!(k.netdev_put(br, "failover dev_tracker"));
    assert!(k.unregister_waits().is_empty());
    assert!(k.try_dev(br).is_none());
}
