//! veth carrier and operstate (veth_open/veth_close, linkwatch's
//! default_operstate) and the bridge as a master (br_add_if, br_del_if,
//! br_port_state_selection, br_stp_recalculate_bridge_id). Each sequence was
//! run on Linux 6.18 first; the expected values are what it showed.

use ifnet_core::client::Client;
use ifnet_core::consts::*;
use ifnet_core::{Errno, Kernel, KernelProfile};

fn setup() -> Kernel {
    Kernel::new(KernelProfile::latest())
}

fn state(k: &mut Kernel, name: &str) -> (OperState, bool, u32) {
    k.run_until_idle();
    let init = k.init_net();
    let d = k.dev(k.dev_get_by_name(init, name).unwrap());
    (d.reported_operstate(), d.carrier, d.user_flags())
}

/// default_operstate(): a veth UP with its peer DOWN is LOWERLAYERDOWN; both
/// UP gives UP with LOWER_UP; the peer sees DOWN while itself down.
#[test]
fn veth_operstate_follows_peer() {
    let mut k = setup();
    let init = k.init_net();
    Client::new(&mut k, init).add_veth("v0", "v1").unwrap();
    assert_eq!(state(&mut k, "v0").0, OperState::Down);
    Client::new(&mut k, init).set_up("v0", true).unwrap();
    let (op, carrier, flags) = state(&mut k, "v0");
    assert_eq!((op, carrier), (OperState::LowerLayerDown, false));
    assert_eq!(flags & (IFF_UP | IFF_LOWER_UP | IFF_RUNNING), IFF_UP);
    Client::new(&mut k, init).set_up("v1", true).unwrap();
    let (op, _, flags) = state(&mut k, "v0");
    assert_eq!(op, OperState::Up);
    assert_eq!(
        flags & (IFF_UP | IFF_LOWER_UP | IFF_RUNNING),
        IFF_UP | IFF_LOWER_UP | IFF_RUNNING
    );
}

/// Operstate is only recomputed by linkwatch: after the peer leaves the
/// namespace, the UP end keeps LOWERLAYERDOWN (Linux 6.18 shows the same).
#[test]
fn operstate_is_stale_after_peer_moves() {
    let mut k = setup();
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    Client::new(&mut k, init).add_veth("v0", "v1").unwrap();
    k.run_until_idle(); // linkwatch: v0 is LOWERLAYERDOWN internally
    let mut c = Client::new(&mut k, init);
    c.set_up("v0", true).unwrap();
    c.set_netns("v1", ns, None).unwrap();
    assert_eq!(state(&mut k, "v0").0, OperState::LowerLayerDown);
}

/// An empty bridge that is UP keeps its carrier (state UNKNOWN); adding a
/// DOWN port runs br_port_state_selection with no forwarding port: carrier
/// off. The bridge takes the port's MAC (lowest port address).
#[test]
fn bridge_carrier_and_mac_follow_ports() {
    let mut k = setup();
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_bridge("br0").unwrap();
    c.add_veth("v0", "v1").unwrap();
    c.set_up("br0", true).unwrap();
    assert_eq!(state(&mut k, "br0").0, OperState::Unknown);
    assert!(state(&mut k, "br0").1);
    Client::new(&mut k, init)
        .set_master("v0", Some("br0"))
        .unwrap();
    assert_eq!(state(&mut k, "br0").0, OperState::Down);
    let v0 = k.dev_get_by_name(init, "v0").unwrap();
    let br = k.dev_get_by_name(init, "br0").unwrap();
    assert_eq!(k.dev(br).dev_addr, k.dev(v0).dev_addr);
    assert_eq!(k.sysfs_read(v0, "master").as_deref(), Some("br0"));
    // Both veth ends up: the port forwards, the bridge gets carrier.
    let mut c = Client::new(&mut k, init);
    c.set_up("v0", true).unwrap();
    c.set_up("v1", true).unwrap();
    assert_eq!(state(&mut k, "br0").0, OperState::Up);
    // Last port gone: carrier off, bridge MAC becomes all-zero.
    let r = Client::new(&mut k, init).set_master("v0", None);
    assert_eq!(r, Ok(()));
    let (op, carrier, _) = state(&mut k, "br0");
    assert_eq!((op, carrier), (OperState::Down, false));
    assert!(k.dev(br).dev_addr.is_zero());
    assert!(k.dev(v0).master.is_none());
}

/// br_add_if(): a bridge into a bridge is ELOOP with extack; lo is EINVAL;
/// a port of another bridge is EBUSY via do_set_master's ndo_del_slave
/// first (so it moves); a veth as master is EOPNOTSUPP.
#[test]
fn bridge_enslave_rules() {
    let mut k = setup();
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_bridge("br0").unwrap();
    c.add_bridge("br1").unwrap();
    c.add_veth("v0", "v1").unwrap();
    let err = c.set_master("br1", Some("br0")).unwrap_err();
    assert_eq!(err.errno, Errno::ELOOP);
    assert_eq!(
        err.extack.as_deref(),
        Some("Can not enslave a bridge to a bridge")
    );
    let err = c.set_master("br0", Some("br0")).unwrap_err();
    assert_eq!(err.errno, Errno::ELOOP, "{err:?}");
    assert_eq!(
        c.set_master("lo", Some("br0")).unwrap_err().errno,
        Errno::EINVAL
    );
    assert_eq!(
        c.set_master("v1", Some("v0")).unwrap_err().errno,
        Errno::EOPNOTSUPP
    );
    c.set_master("v0", Some("br0")).unwrap();
    // do_set_master() releases from br0 first, then joins br1.
    c.set_master("v0", Some("br1")).unwrap();
    let v0 = k.dev_get_by_name(init, "v0").unwrap();
    let br1 = k.dev_get_by_name(init, "br1").unwrap();
    assert_eq!(k.dev(v0).master, Some(br1));
    let br0 = k.dev_get_by_name(init, "br0").unwrap();
    assert!(k.dev(br0).lowers.is_empty());
}

/// A port that moves to another namespace leaves its bridge (the bridge's
/// NETDEV_UNREGISTER handler runs br_del_if even for a move).
#[test]
fn port_leaves_bridge_on_netns_move() {
    let mut k = setup();
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    let mut c = Client::new(&mut k, init);
    c.add_bridge("br0").unwrap();
    c.add_veth("v0", "v1").unwrap();
    c.set_master("v0", Some("br0")).unwrap();
    c.set_netns("v0", ns, None).unwrap();
    let v0 = k.dev_get_by_name(ns, "v0").unwrap();
    assert!(k.dev(v0).master.is_none());
    assert_eq!(k.dev(v0).rx_handler, None);
}

/// Deleting a bridge releases its ports (NETDEV_UNREGISTER on the master
/// is handled by unlinking every lower) and leaves them registered.
#[test]
fn deleting_bridge_releases_ports() {
    let mut k = setup();
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_bridge("br0").unwrap();
    c.add_veth("v0", "v1").unwrap();
    c.set_master("v0", Some("br0")).unwrap();
    c.del("br0").unwrap();
    assert_eq!(c.names(), vec!["lo", "v1", "v0"]);
    let v0 = k.dev_get_by_name(init, "v0").unwrap();
    assert!(k.dev(v0).master.is_none());
}

/// dev_validate_mtu(): veth accepts 68..=65535; bridge MTU follows the
/// smallest port unless set by the user (br_mtu_auto_adjust).
#[test]
fn mtu_limits_and_bridge_auto_adjust() {
    use netlink_packet_route::link::LinkAttribute;
    let mut k = setup();
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    let err = c.set("v0", vec![LinkAttribute::Mtu(67)]).unwrap_err();
    assert_eq!(
        (err.errno, err.extack.as_deref()),
        (Errno::EINVAL, Some("mtu less than device minimum"))
    );
    let err = c.set("v0", vec![LinkAttribute::Mtu(65536)]).unwrap_err();
    assert_eq!(
        err.extack.as_deref(),
        Some("mtu greater than device maximum")
    );
    c.set("v0", vec![LinkAttribute::Mtu(9000)]).unwrap();
    c.set("v1", vec![LinkAttribute::Mtu(1400)]).unwrap();
    c.add_bridge("br0").unwrap();
    c.set_master("v0", Some("br0")).unwrap();
    c.set_master("v1", Some("br0")).unwrap();
    let br = k.dev_get_by_name(init, "br0").unwrap();
    assert_eq!(k.dev(br).mtu, 1400);
}

/// __linkwatch_run_queue(urgent_only): inside the one-second window only
/// urgent events run, so a veth end whose peer moved away before its event
/// was handled ends up DOWN (peer index not found in its own namespace),
/// as Linux 6.18 shows after a fast `ip -batch`.
#[test]
fn rate_limited_linkwatch_sees_the_moved_peer() {
    let mut k = setup();
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    k.linkwatch_assume_recent_run();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "veth0").unwrap();
    c.set_netns("veth0", ns, None).unwrap();
    c.set_up("v0", true).unwrap();
    k.run_due_now();
    let v0 = k.dev_get_by_name(init, "v0").unwrap();
    assert!(k.dev(v0).linkwatch_pending, "non-urgent event still waits");
    k.run_until_idle();
    assert_eq!(k.dev(v0).reported_operstate(), OperState::Down);
}

/// rtnl_getlink() runs linkwatch_sync_dev(): asking for one device settles
/// its pending event, and linkwatch_clean_dev() takes it off lweventlist
/// (`list_del_init`): the list holds exactly the pending devices
/// (`check_linkwatch`), so once both ends are synced nothing is left.
#[test]
fn getlink_syncs_pending_linkwatch() {
    let mut k = setup();
    let init = k.init_net();
    k.linkwatch_assume_recent_run();
    Client::new(&mut k, init).add_veth("v0", "v1").unwrap();
    let v0 = k.dev_get_by_name(init, "v0").unwrap();
    let v1 = k.dev_get_by_name(init, "v1").unwrap();
    assert!(k.dev(v0).linkwatch_pending);
    Client::new(&mut k, init).get("v0").unwrap();
    assert!(!k.dev(v0).linkwatch_pending);
    assert_eq!(k.dev(v0).operstate, OperState::LowerLayerDown);
    k.check_invariants().unwrap();
    Client::new(&mut k, init).get("v1").unwrap();
    assert!(!k.dev(v1).linkwatch_pending);
    k.check_invariants().unwrap();
}

/// `__linkwatch_run_queue(urgent_only)` walks `lweventlist` in its order
/// and asks `linkwatch_urgent_event()` of each device at run time: two veth
/// pairs created inside the rate-limit window queue v1 v0 w1 w0
/// (`veth_newlink` registers the peer first, then `netif_carrier_off` each;
/// not running, not urgent); bringing them up, w first, makes all four
/// urgent, and the urgent run handles them in list order — the order of
/// their first events, not of the urgent ones — each with its
/// NETDEV_CHANGE.
#[test]
fn urgent_run_walks_lweventlist_in_order() {
    use ifnet_core::{KernelEvent, NetdevEvent};
    let mut k = setup();
    let init = k.init_net();
    k.linkwatch_assume_recent_run();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    c.add_veth("w0", "w1").unwrap();
    for n in ["w1", "w0", "v1", "v0"] {
        c.set_up(n, true).unwrap();
    }
    k.set_event_log(true);
    let from = k.event_next_seq();
    k.run_due_now();
    let changed: Vec<String> = k
        .events_since(from)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.event {
            KernelEvent::Notifier {
                event: NetdevEvent::Change,
                ifname,
                ..
            } => Some(ifname.as_str().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(changed, ["v1", "v0", "w1", "w0"]);
    k.check_invariants().unwrap();
}
