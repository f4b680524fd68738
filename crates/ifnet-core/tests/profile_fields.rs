//! One test per `KernelProfile` field: each pins the behaviour the field
//! selects on both sides of the kernel commit that changed it, so that a
//! profile whose field is ignored (or read the wrong way round) fails here.

use ifnet_core::client::Client;
use ifnet_core::consts::*;
use ifnet_core::hw::HwSpec;
use ifnet_core::profile::{LiveRename, PRESETS};
use ifnet_core::{DevId, Errno, HwAddr, Kernel, KernelProfile, NetId};

fn kernel(profile: &str) -> Kernel {
    Kernel::new(KernelProfile::preset(profile).unwrap())
}

fn dev(k: &Kernel, net: NetId, name: &str) -> DevId {
    k.dev_get_by_name(net, name)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// `name`: the preset's name, which the CLI's state file records and
/// compares against `--kernel` (no kernel commit: it is the profile's
/// identity). `latest` is 6.18.
#[test]
fn profile_name_is_the_preset() {
    for p in PRESETS {
        assert_eq!(KernelProfile::preset(p).unwrap().name, p);
        assert_eq!(kernel(p).profile().name, p);
    }
    assert_eq!(KernelProfile::preset("latest").unwrap().name, "6.18");
    assert!(KernelProfile::preset("4.19").is_none());
}

/// `live_rename`, read by `dev_change_name()`: renaming an UP device that
/// has no IFF_LIVE_RENAME_OK is EBUSY before 6.2 ("since forever" to 5.0,
/// and in 5.1–6.1 after 8065a779f17e "failover: allow name change on IFF_UP
/// slave interfaces" added the flag), allowed from 6.2 (bd039b5ea2a9
/// "net/core: Allow live renaming when an interface is up"). With the flag
/// set, 5.1 allows it and 5.0 still refuses.
#[test]
fn live_rename_per_profile_dev_change_name() {
    let cases = [
        ("5.0", Some(Errno::EBUSY), Some(Errno::EBUSY)),
        ("5.1", Some(Errno::EBUSY), None),
        ("6.1", Some(Errno::EBUSY), None),
        ("6.2", None, None),
        ("6.18", None, None),
    ];
    for (profile, plain, with_flag) in cases {
        let mut k = kernel(profile);
        let init = k.init_net();
        let mut c = Client::new(&mut k, init);
        c.add_veth("a", "b").unwrap();
        c.set_up("a", true).unwrap();
        c.set_up("b", true).unwrap();
        let got = c.rename("a", "a2").err().map(|e| e.errno);
        assert_eq!(got, plain, "{profile}: UP, no IFF_LIVE_RENAME_OK");
        let b = dev(&k, init, "b");
        k.set_priv_flags(b, IFF_LIVE_RENAME_OK, true);
        let got = Client::new(&mut k, init)
            .rename("b", "b2")
            .err()
            .map(|e| e.errno);
        assert_eq!(got, with_flag, "{profile}: UP with IFF_LIVE_RENAME_OK");
    }
    let rule = |p| KernelProfile::preset(p).unwrap().live_rename;
    assert_eq!(rule("6.1"), LiveRename::UnlessLiveRenameOk);
}

fn failover_slave(profile: &str) -> (Kernel, DevId) {
    let mac = HwAddr::parse("52:54:00:aa:bb:01").unwrap();
    let mut k = kernel(profile);
    let init = k.init_net();
    let standby = HwSpec::VirtioNet {
        mac,
        standby: true,
        segment: None,
    };
    k.hw_add("0000:00:03.0", standby).unwrap();
    let s = dev(&k, init, "eth1");
    (k, s)
}

/// `failover_no_addrconf`, read by `failover_slave_register()`: from 6.2
/// (cb54d392279d "net: failover: use IFF_NO_ADDRCONF flag to prevent ipv6
/// addrconf") a slave gets IFF_FAILOVER_SLAVE | IFF_NO_ADDRCONF; in 5.1–6.1
/// IFF_FAILOVER_SLAVE | IFF_LIVE_RENAME_OK (8065a779f17e); in 5.0 only
/// IFF_FAILOVER_SLAVE. (IFF_NO_ADDRCONF reuses bit 30, so the bit alone
/// cannot tell them apart: the profile field is what names it.)
#[test]
fn failover_no_addrconf_per_profile_failover_slave_register() {
    for (profile, bit30) in [("5.0", false), ("5.1", true), ("6.1", true), ("6.2", true)] {
        let (k, s) = failover_slave(profile);
        let f = k.dev(s).priv_flags;
        assert_ne!(f & IFF_FAILOVER_SLAVE, 0, "{profile}");
        assert_eq!(f & (1 << 30) != 0, bit30, "{profile}: bit 30");
    }
    // 6.1's slave can be renamed while UP only thanks to the bit being
    // IFF_LIVE_RENAME_OK; 6.2's bit is IFF_NO_ADDRCONF and renames of
    // every device are allowed anyway.
    let (mut k, s) = failover_slave("6.1");
    let init = k.init_net();
    k.set_priv_flags(s, IFF_NO_ADDRCONF, false);
    let mut c = Client::new(&mut k, init);
    c.set_up("eth1", true).unwrap();
    assert_eq!(c.rename("eth1", "x").unwrap_err().errno, Errno::EBUSY);
}

/// `altnames_move_with_dev`, read by `__dev_change_net_namespace()`: from
/// 6.6 altnames move with the device (8e15aee62161 "net: move altnames
/// together with the netdevice") and an altname taken in the target fails
/// the move with EEXIST (7663d522099e); before, they were dropped and
/// nothing was checked.
#[test]
fn altnames_move_with_dev_per_profile_dev_change_net_namespace() {
    for (profile, moves) in [("6.2", false), ("6.6", true), ("6.18", true)] {
        let mut k = kernel(profile);
        let init = k.init_net();
        let ns = k.netns_new().unwrap();
        Client::new(&mut k, init).add_veth("a", "b").unwrap();
        Client::new(&mut k, ns).add_veth("c", "d").unwrap();
        let (a, b, c) = (dev(&k, init, "a"), dev(&k, init, "b"), dev(&k, ns, "c"));
        k.dev_altname_add(a, "alt-a").unwrap();
        k.dev_altname_add(b, "taken").unwrap();
        k.dev_altname_add(c, "taken").unwrap();
        Client::new(&mut k, init).set_netns("a", ns, None).unwrap();
        assert_eq!(
            k.dev_get_by_name(ns, "alt-a") == Some(a),
            moves,
            "{profile}: altname moved"
        );
        let got = Client::new(&mut k, init)
            .set_netns("b", ns, None)
            .err()
            .map(|e| e.errno);
        let want = moves.then_some(Errno::EEXIST);
        assert_eq!(got, want, "{profile}: altname clash in the target");
    }
}

/// `addrconf_no_addrconf_flag`, read by `addrconf_notify()` (NETDEV_UP)
/// and `addrconf_addr_gen()`: from 6.2 (8a321cf7becc "net: add
/// IFF_NO_ADDRCONF and use it in bonding to prevent ipv6 addrconf") a
/// device with IFF_NO_ADDRCONF in priv_flags gets no link-local; before it
/// the test was `flags & IFF_SLAVE` (c2edacf80e15, 744fdc8233f6) and bit 30
/// (then IFF_LIVE_RENAME_OK) did not stop addrconf.
#[test]
fn addrconf_no_addrconf_flag_per_profile_addrconf_notify() {
    for (profile, skipped) in [("6.1", false), ("6.2", true), ("6.18", true)] {
        let mut k = kernel(profile);
        let init = k.init_net();
        Client::new(&mut k, init).add_veth("va", "vb").unwrap();
        let va = dev(&k, init, "va");
        k.set_priv_flags(va, IFF_NO_ADDRCONF, true);
        let mut c = Client::new(&mut k, init);
        c.set_up("va", true).unwrap();
        c.set_up("vb", true).unwrap();
        k.run_until_idle();
        let vb = dev(&k, init, "vb");
        assert_eq!(k.inet6_addrs(va).is_empty(), skipped, "{profile}: va");
        assert!(!k.inet6_addrs(vb).is_empty(), "{profile}: vb");
    }
    let rule = |p| KernelProfile::preset(p).unwrap().addrconf_no_addrconf_flag;
    assert!(!rule("6.1") && rule("6.2"));
}

mod netvsc_support;
use netvsc_support as nv;

/// `netvsc_slave_at_post_init`, read by `netvsc_netdev_event()`
/// (NETDEV_POST_INIT → `netvsc_prepare_bonding`) and `netvsc_vf_join()`:
/// c807d6cd089d "hv_netvsc: Mark VF as slave before exposing it to
/// user-mode" (v6.7-rc3, stable 4.19–6.6). With it the VF has IFF_SLAVE
/// when its `add` uevent is out; without it only after NETDEV_REGISTER.
#[test]
fn netvsc_slave_at_post_init_per_profile_netvsc_prepare_bonding() {
    use ifnet_core::Window;
    for (profile, early) in [("6.6", false), ("6.6.y", true), ("6.7", true)] {
        let mut k = kernel(profile);
        let init = k.init_net();
        k.hw_add(nv::NETVSC_BUS, nv::netvsc_spec()).unwrap();
        k.hw_add_stepped(nv::VF_BUS, nv::vf_spec(1), Window::RegisterAfterAddUevent)
            .unwrap();
        let slave = nv::sysfs_flags(&k, init, "eth1") & IFF_SLAVE != 0;
        assert_eq!(slave, early, "{profile}: at the add uevent");
        k.resume(None).unwrap();
        assert_ne!(
            nv::sysfs_flags(&k, init, "eth1") & IFF_SLAVE,
            0,
            "{profile}"
        );
    }
    let rule = |p| KernelProfile::preset(p).unwrap().netvsc_slave_at_post_init;
    assert!(!rule("5.10") && !rule("6.1") && !rule("6.6") && rule("6.18"));
}

/// `netvsc_vf_no_addrconf`, read by `netvsc_prepare_bonding()`: Li Tian's
/// "hv_netvsc: Set VF priv_flags to IFF_NO_ADDRCONF before open to prevent
/// IPv6 addrconf" (≈v6.16, 6.6-stable review 2025-07-22; mainline id
/// d7501e076d85 UNVERIFIED). Without it a VF on ≥ 6.2 (where addrconf keys
/// on IFF_NO_ADDRCONF, 8a321cf7becc) gets a link-local when vf_takeover
/// opens it.
#[test]
fn netvsc_vf_no_addrconf_per_profile_netvsc_prepare_bonding() {
    for (profile, flagged) in [("6.12", false), ("6.18", true)] {
        let (mut k, init) = nv::pair(profile);
        Client::new(&mut k, init).set_up("eth0", true).unwrap();
        k.run_until_idle();
        let vf = dev(&k, init, "eth1");
        assert_eq!(
            k.dev(vf).priv_flags & IFF_NO_ADDRCONF != 0,
            flagged,
            "{profile}"
        );
        assert_eq!(k.inet6_addrs(vf).is_empty(), flagged, "{profile}");
    }
    let rule = |p| KernelProfile::preset(p).unwrap().netvsc_vf_no_addrconf;
    assert!(!rule("6.7") && rule("6.6.y") && rule("6.18"));
}

/// `netvsc_probe_scan`, read by `netvsc_probe()`: 9cae43da9867 "hv_netvsc:
/// Register VF in netvsc_probe if NET_DEVICE_REGISTER missed" (v6.8,
/// stable). A VF registered before its netvsc is joined by the netvsc's
/// probe with it, never without it.
#[test]
fn netvsc_probe_scan_per_profile_netvsc_probe() {
    for (profile, joins) in [("6.7", false), ("6.6.y", true), ("6.12", true)] {
        let mut k = kernel(profile);
        let vf = k.hw_add(nv::VF_BUS, nv::vf_spec(1)).unwrap();
        let ndev = k.hw_add(nv::NETVSC_BUS, nv::netvsc_spec()).unwrap();
        assert_eq!(k.dev(vf).master == Some(ndev), joins, "{profile}");
        k.check_invariants().unwrap();
    }
    let rule = |p| KernelProfile::preset(p).unwrap().netvsc_probe_scan;
    assert!(!rule("6.7") && rule("6.12"));
}

/// `netvsc_match_serial_and_mac`, read by `get_netvsc_byslot()`:
/// 64ff412ad41f "hv_netvsc: Make netvsc/VF binding check both MAC and
/// serial number" (v5.13). MANA's second vPort (same serial, another MAC)
/// matched the first netvsc by serial alone — taken, so silently nothing;
/// with the MAC check the serial pass skips it ("no netdev found", the MAC
/// fallback switched off here to isolate the field).
#[test]
fn netvsc_match_serial_and_mac_per_profile_get_netvsc_byslot() {
    for checked in [false, true] {
        let mut p = KernelProfile::preset("6.1").unwrap();
        p.netvsc_match_serial_and_mac = checked;
        p.netvsc_mac_fallback = false;
        let mut k = Kernel::new(p);
        k.hw_add(nv::NETVSC_BUS, nv::netvsc_spec()).unwrap();
        k.hw_add(nv::VF_BUS, nv::vf_spec(1)).unwrap();
        let from = k.dmesg().len();
        let mana2 = nv::vf_spec_with("00:0d:3a:8b:00:02", 1, true);
        let second = k.hw_add("7870:00:00.1", mana2).unwrap();
        assert_eq!(k.dev(second).master, None);
        let missed = "mana 7870:00:00.1 eth2: no netdev found for vf serial:1".to_string();
        assert_eq!(
            nv::log_since(&k, from).contains(&missed),
            checked,
            "{checked}"
        );
    }
    let rule = |p| {
        KernelProfile::preset(p)
            .unwrap()
            .netvsc_match_serial_and_mac
    };
    assert!(!rule("5.10") && rule("6.1"));
}

/// `netvsc_mac_fallback`, read by `get_netvsc_byslot()` and
/// `netvsc_vf_changed()`: 365e1ececb29 "hv_netvsc: Fix race between VF
/// offering and VF association message from host" (v6.1, 5.10.y). A VF the
/// host never associated joins by MAC only with it, and switching to a VF
/// whose association was rescinded waits ("Waiting for the VF association
/// from host") only with it.
#[test]
fn netvsc_mac_fallback_per_profile_get_netvsc_byslot() {
    for (profile, joins) in [("5.10", false), ("6.1", true)] {
        let mut k = kernel(profile);
        let ndev = k.hw_add(nv::NETVSC_BUS, nv::netvsc_spec()).unwrap();
        let vf = k
            .hw_add(nv::VF_BUS, nv::vf_spec_with(nv::MAC, 1, true))
            .unwrap();
        assert_eq!(k.dev(vf).master == Some(ndev), joins, "{profile}");
    }
    for fallback in [false, true] {
        let mut p = KernelProfile::preset("6.1").unwrap();
        p.netvsc_mac_fallback = fallback;
        let mut k = Kernel::new(p);
        let init = k.init_net();
        k.hw_add(nv::NETVSC_BUS, nv::netvsc_spec()).unwrap();
        k.hw_add(nv::VF_BUS, nv::vf_spec(1)).unwrap();
        k.hw_vf_association(nv::VF_BUS, false).unwrap();
        let from = k.dmesg().len();
        Client::new(&mut k, init).set_up("eth0", true).unwrap();
        let waited = nv::log_since(&k, from)
            .iter()
            .any(|l| l.ends_with("Waiting for the VF association from host"));
        assert_eq!(waited, fallback, "{fallback}");
    }
    let rule = |p| KernelProfile::preset(p).unwrap().netvsc_mac_fallback;
    assert!(!rule("5.10") && rule("6.1"));
}

/// `netvsc_vf_ns_follow`, read by `netvsc_netdev_event()` on the netvsc's
/// own NETDEV_REGISTER: before 4c262801ea60 the VF stays behind when the
/// netvsc moves; with it (6.12) `netvsc_event_set_vf_ns` moves it inside
/// the notifier, so it is there when the request returns; since
/// 33caa208dba6 (6.17, 6.6.y) `vfns_work` does it afterwards, and until
/// then the VF is still in the old namespace.
#[test]
fn netvsc_vf_ns_follow_per_profile_netvsc_netdev_event() {
    use ifnet_core::profile::NetvscVfNsFollow as F;
    for (profile, follow) in [
        ("6.6", F::Never),
        ("6.12", F::InNotifier),
        ("6.18", F::Work),
    ] {
        let (mut k, init) = nv::pair(profile);
        assert_eq!(k.profile().netvsc_vf_ns_follow, follow);
        k.run_until_idle();
        let ns = k.netns_new().unwrap();
        let vf = dev(&k, init, "eth1");
        Client::new(&mut k, init)
            .set_netns("eth0", ns, None)
            .unwrap();
        assert_eq!(
            k.dev(vf).net == ns,
            follow == F::InNotifier,
            "{profile}: at once"
        );
        k.run_until_idle();
        assert_eq!(
            k.dev(vf).net == ns,
            follow != F::Never,
            "{profile}: settled"
        );
        let ndev = dev(&k, ns, "eth0");
        assert_eq!(
            k.dev(vf).master,
            Some(ndev),
            "{profile}: still (or again) joined"
        );
        k.check_invariants().unwrap();
    }
}

/// `netvsc_notifier_before_probe`, read by `Kernel::hw_add` /
/// `netvsc_probe_finish` (`netvsc_drv_init`'s order): 85520856466e
/// "hv_netvsc: Fix race of register_netdevice_notifier and VF register"
/// (v6.7-rc3, stable). Before it the notifier's NETDEV_REGISTER replay came
/// after the first netvsc's probe and joined a VF registered before it; with
/// it the replay comes first and finds no netvsc ("no netdev found").
#[test]
fn netvsc_notifier_before_probe_per_profile_netvsc_drv_init() {
    for (profile, joins) in [("6.6", true), ("6.7", false)] {
        let mut k = kernel(profile);
        let vf = k.hw_add(nv::VF_BUS, nv::vf_spec(1)).unwrap();
        let from = k.dmesg().len();
        let ndev = k.hw_add(nv::NETVSC_BUS, nv::netvsc_spec()).unwrap();
        assert_eq!(k.dev(vf).master == Some(ndev), joins, "{profile}");
        let log = nv::log_since(&k, from);
        let missed = format!("{} eth0: no netdev found for vf serial:1", nv::VF);
        assert_eq!(log.first() == Some(&missed), !joins, "{profile}: {log:?}");
        k.check_invariants().unwrap();
    }
    let rule = |p| {
        KernelProfile::preset(p)
            .unwrap()
            .netvsc_notifier_before_probe
    };
    assert!(!rule("6.6") && rule("6.6.y") && rule("6.7"));
}
