//! dev_change_name / netif_change_name, dev_valid_name, %d allocation,
//! and the IFF_UP rule per kernel profile.

use ifnet_core::client::Client;
use ifnet_core::consts::*;
use ifnet_core::{Errno, Kernel, KernelProfile, NetdevEvent};

fn with_veth(profile: &str) -> Kernel {
    let mut k = Kernel::new(KernelProfile::preset(profile).unwrap());
    let init = k.init_net();
    Client::new(&mut k, init).add_veth("a", "b").unwrap();
    k
}

/// netif_change_name(): EEXIST onto another device's name, EINVAL for bad
/// names, no-op (no event) for the same name.
#[test]
fn rename_checks() {
    let mut k = with_veth("6.18");
    let init = k.init_net();
    k.set_trace(true);
    let mut c = Client::new(&mut k, init);
    assert_eq!(c.rename("a", "b").unwrap_err().errno, Errno::EEXIST);
    for bad in [".", "..", "x/y", "x:y", "x y"] {
        assert_eq!(
            c.rename("a", bad).unwrap_err().errno,
            Errno::EINVAL,
            "{bad}"
        );
    }
    c.rename("a", "a").unwrap();
    assert!(k
        .take_trace()
        .iter()
        .all(|r| r.event != NetdevEvent::ChangeName));
    let mut c = Client::new(&mut k, init);
    c.rename("a", "uplink").unwrap();
    assert_eq!(c.names(), vec!["lo", "b", "uplink"]);
    let dev = k.dev_get_by_name(init, "uplink").unwrap();
    assert_eq!(k.dev(dev).name_assign_type, NameAssign::Renamed);
    assert_eq!(k.sysfs_read(dev, "name_assign_type").as_deref(), Some("4"));
}

/// __dev_alloc_name(): lowest free unit; "eth01" does not hold unit 1;
/// a second '%' or '%s' is EINVAL.
#[test]
fn percent_d_allocation() {
    let mut k = with_veth("6.18");
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.rename("a", "eth01").unwrap();
    c.rename("b", "eth%d").unwrap();
    assert_eq!(c.names(), vec!["lo", "eth0", "eth01"]);
    c.add_veth("p", "q").unwrap();
    c.rename("p", "eth%d").unwrap();
    assert!(c.names().contains(&"eth1".to_string()));
    assert_eq!(c.rename("q", "e%d%d").unwrap_err().errno, Errno::EINVAL);
    assert_eq!(c.rename("q", "e%s").unwrap_err().errno, Errno::EINVAL);
}

/// The IFF_UP rule: EBUSY on 5.0 (pre-8065a779f17e); EBUSY on 5.1 without
/// IFF_LIVE_RENAME_OK; allowed on 6.2+ (bd039b5ea2a9).
#[test]
fn rename_while_up_per_profile() {
    for (profile, expect) in [
        ("5.0", Some(Errno::EBUSY)),
        ("5.1", Some(Errno::EBUSY)),
        ("6.1", Some(Errno::EBUSY)),
        ("6.2", None),
        ("6.18", None),
    ] {
        let mut k = with_veth(profile);
        let init = k.init_net();
        let mut c = Client::new(&mut k, init);
        c.set_up("a", true).unwrap();
        let got = c.rename("a", "renamed").err().map(|e| e.errno);
        assert_eq!(got, expect, "profile {profile}");
    }
}

/// 5.1–6.1: IFF_LIVE_RENAME_OK lets an UP device be renamed (8065a779f17e).
#[test]
fn live_rename_ok_flag_allows_up_rename_on_5_1() {
    let mut k = with_veth("5.1");
    let init = k.init_net();
    Client::new(&mut k, init).set_up("a", true).unwrap();
    let a = k.dev_get_by_name(init, "a").unwrap();
    k.set_priv_flags(a, IFF_LIVE_RENAME_OK, true);
    Client::new(&mut k, init).rename("a", "renamed").unwrap();
    // 5.0 checks IFF_UP before anything else, even a same-name rename.
    let mut k = with_veth("5.0");
    let mut c = Client::new(&mut k, init);
    c.set_up("a", true).unwrap();
    assert_eq!(c.rename("a", "a").unwrap_err().errno, Errno::EBUSY);
}

/// netif_change_name() rollback: a CHANGENAME veto restores the old name and
/// emits a second NETDEV_CHANGENAME.
#[test]
fn changename_veto_rolls_back_with_second_event() {
    let mut k = with_veth("6.18");
    let init = k.init_net();
    k.add_veto_notifier(NetdevEvent::ChangeName, "new", Errno::EPERM);
    k.set_trace(true);
    let err = Client::new(&mut k, init).rename("a", "new").unwrap_err();
    assert_eq!(err.errno, Errno::EPERM);
    let names: Vec<String> = k
        .take_trace()
        .into_iter()
        .filter(|r| r.event == NetdevEvent::ChangeName)
        .map(|r| r.ifname)
        .collect();
    assert_eq!(names, vec!["new", "a"]);
    let a = k.dev_get_by_name(init, "a").unwrap();
    assert_eq!(k.dev(a).name_assign_type, NameAssign::User);
    assert!(k.dev_get_by_name(init, "new").is_none());
}

/// netdev_name_in_use(): altnames share the name hash, so renaming onto an
/// altname (even the device's own) is EEXIST.
#[test]
fn rename_onto_altname_is_eexist() {
    let mut k = with_veth("6.18");
    let init = k.init_net();
    let a = k.dev_get_by_name(init, "a").unwrap();
    k.dev_altname_add(a, "alt-a").unwrap();
    let mut c = Client::new(&mut k, init);
    assert_eq!(c.rename("b", "alt-a").unwrap_err().errno, Errno::EEXIST);
    assert_eq!(c.rename("a", "alt-a").unwrap_err().errno, Errno::EEXIST);
    assert_eq!(c.get("alt-a").unwrap().header.index, 3);
    // IFLA_IFNAME's policy (.len = IFNAMSIZ-1) rejects longer names.
    let err = c.rename("b", "a-long-alternative-name").unwrap_err();
    assert_eq!(err.errno, Errno::ERANGE);
    assert_eq!(
        err.extack.as_deref(),
        Some("Attribute failed policy validation")
    );
}

/// netif_change_name() → device_rename() → kobject_rename(): a KOBJ_MOVE
/// uevent with the new name and devpath (udev's `move`, which ends
/// ID_RENAMING); none for a rename refused with EBUSY.
#[test]
fn rename_sends_kobj_move() {
    let mut k = with_veth("6.18");
    let init = k.init_net();
    let from = k.uevent_next_seq();
    Client::new(&mut k, init).rename("a", "lan0").unwrap();
    let ev = k.uevents_since(from).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].action, ifnet_core::UeventAction::Move);
    assert_eq!(ev[0].interface, "lan0");
    assert_eq!(ev[0].devpath, "/devices/virtual/net/lan0");
    let mut k = with_veth("5.0");
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.set_up("a", true).unwrap();
    let from = k.uevent_next_seq();
    let mut c = Client::new(&mut k, init);
    assert_eq!(c.rename("a", "lan0").unwrap_err().errno, Errno::EBUSY);
    assert_eq!(k.uevents_since(from).unwrap().len(), 0);
}
