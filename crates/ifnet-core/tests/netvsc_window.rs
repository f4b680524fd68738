//! What user space sees of a VF inside register_netdevice's declared window
//! (window.rs, `Window::RegisterAfterAddUevent`: after KOBJ_ADD, before
//! NETDEV_REGISTER) — seed 002, netvsc-bonding.md §1.5 — and the IPv6
//! link-local that is the visible effect of a missing IFF_SLAVE /
//! IFF_NO_ADDRCONF (acceptance 2 and 4 of the netvsc issue).

mod netvsc_support;

use ifnet_core::client::Client;
use ifnet_core::consts::*;
use ifnet_core::hw::HwSpec;
use ifnet_core::profile::PRESETS;
use ifnet_core::time::Duration;
use ifnet_core::{Errno, Kernel, NetId, Step, UeventAction, Window};
use netvsc_support::*;

/// Plugs the VF stopped in the window; returns the sysfs `flags` and
/// `master` a reader at its `add` uevent sees.
fn read_at_add_uevent(k: &mut Kernel, spec: HwSpec) -> (u32, Option<String>) {
    let init = k.init_net();
    let useq = k.uevent_next_seq();
    let step = k
        .hw_add_stepped(VF_BUS, spec, Window::RegisterAfterAddUevent)
        .unwrap();
    assert_eq!(step, Step::Parked(Window::RegisterAfterAddUevent));
    let ue = k.uevents_since(useq).unwrap();
    let add = ue.last().unwrap();
    assert_eq!(
        (add.action, add.interface.as_str()),
        (UeventAction::Add, "eth1")
    );
    k.check_invariants().unwrap();
    (
        sysfs_flags(k, init, "eth1"),
        k.sysfs_read_by_name(init, "eth1", "master"),
    )
}

/// netvsc_prepare_bonding() at NETDEV_POST_INIT (c807d6cd089d): with it, a
/// reader at the VF's `add` uevent sees 0x1802 (BROADCAST|MULTICAST|SLAVE)
/// and no `master` (the upper link is made at REGISTER: the inconsistency
/// Jakub Kicinski asked about); without it (5.10, 6.1, 6.6 as released)
/// 0x1002, no master — IFF_SLAVE comes with netvsc_vf_join. After the
/// window every profile has the VF joined.
#[test]
fn vf_flags_at_add_uevent_per_profile() {
    for profile in PRESETS {
        let mut k = kernel(profile);
        let init = k.init_net();
        k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
        let (flags, master) = read_at_add_uevent(&mut k, vf_spec(1));
        let with = k.profile().netvsc_slave_at_post_init;
        let want = if with { 0x1802 } else { 0x1002 };
        assert_eq!(flags, want, "{profile}");
        assert_eq!(master, None, "{profile}");
        k.resume(None).unwrap();
        assert_eq!(sysfs_flags(&k, init, "eth1"), 0x1802, "{profile}");
        assert_eq!(
            k.sysfs_read_by_name(init, "eth1", "master").as_deref(),
            Some("eth0"),
            "{profile}"
        );
        k.check_invariants().unwrap();
    }
    let has = |p: &str| kernel(p).profile().netvsc_slave_at_post_init;
    assert!(!has("5.10") && !has("6.1") && !has("6.6"));
    assert!(has("6.6.y") && has("6.7") && has("6.18"));
}

/// The race c807d6cd089d does not cover (netvsc-bonding.md §1.11): a VF
/// registered before any netvsc exists is visible without IFF_SLAVE on
/// every profile — at its `add` uevent and after — until the netvsc
/// appears. Then the probe scan (9cae43da9867) joins it; before
/// 85520856466e the module-load replay of NETDEV_REGISTER, which came
/// after the probe, did; on 6.7 (85520856466e without 9cae43da9867) the
/// replay runs before the netvsc is listed and nothing ever joins it.
#[test]
fn vf_before_its_netvsc_has_no_slave_until_the_netvsc() {
    for profile in PRESETS {
        let mut k = kernel(profile);
        let init = k.init_net();
        let useq = k.uevent_next_seq();
        k.hw_add_stepped(VF_BUS, vf_spec(1), Window::RegisterAfterAddUevent)
            .unwrap();
        assert_eq!(k.uevents_since(useq).unwrap().len(), 1);
        assert_eq!(sysfs_flags(&k, init, "eth0"), 0x1002, "{profile}: at add");
        k.resume(None).unwrap();
        k.run_until_idle();
        assert_eq!(
            sysfs_flags(&k, init, "eth0"),
            0x1002,
            "{profile}: before netvsc"
        );
        k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
        let p = k.profile();
        let scan = p.netvsc_probe_scan || !p.netvsc_notifier_before_probe;
        assert_eq!(scan, profile != "6.7", "{profile}");
        let want = if scan { 0x1802 } else { 0x1002 };
        assert_eq!(
            sysfs_flags(&k, init, "eth0"),
            want,
            "{profile}: after netvsc"
        );
        let master = k.sysfs_read_by_name(init, "eth0", "master");
        assert_eq!(master.as_deref(), scan.then_some("eth1"), "{profile}");
        k.check_invariants().unwrap();
    }
}

/// The probe-scan path (9cae43da9867) joins synchronously: no vf_takeover
/// is queued (VF_REG_IN_PROBE) and __netvsc_vf_setup has already run (the
/// netvsc is down, so the VF stays down); the module-load replay logged
/// "no netdev found" and the association arrived before the netvsc had a
/// name. `link set eth1 up` (netvsc_open → dev_open(vf)) then switches.
#[test]
fn netvsc_probe_scan_sets_up_the_vf_synchronously() {
    let mut k = kernel("6.18");
    let init = k.init_net();
    k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    let from = k.dmesg().len();
    let ndev = k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
    assert!(!k
        .pending_work()
        .iter()
        .any(|i| i.work == ifnet_core::workqueue::Work::NetvscVfTakeover(ndev)));
    assert_eq!(
        log_since(&k, from),
        [
            format!("{VF} eth0: no netdev found for vf serial:1"),
            format!("{NV} (unnamed net_device) (uninitialized): VF slot 1 added"),
            format!("{NV} eth1: VF registering: eth0"),
            format!("{VF} eth0: joined to eth1"),
        ]
    );
    Client::new(&mut k, init).set_up("eth1", true).unwrap();
    assert!(k.netvsc(ndev).unwrap().data_path_is_vf);
    k.check_invariants().unwrap();
}

/// A udev-like reader at the VF's `add` uevent on 6.6 as released (no
/// c807d6cd089d) sees no IFF_SLAVE and decides to bring the VF up. Its
/// RTM_SETLINK waits for RTNL (refused while parked, nothing changed) and
/// runs once register_netdevice is done: on 6.6 addrconf keys on
/// IFF_NO_ADDRCONF (8a321cf7becc), which netvsc does not set there, so the
/// VF gets a link-local although it is now a slave. On 6.18 the reader
/// sees IFF_SLAVE (and would leave it alone); brought up anyway, the VF
/// gets none (IFF_NO_ADDRCONF from netvsc_prepare_bonding). On 5.10/6.1
/// addrconf still keys on IFF_SLAVE, which netvsc_vf_join set before the
/// request could run: none either.
#[test]
fn vf_brought_up_from_the_window_gets_a_link_local_without_c807d6cd() {
    let cases = [
        ("5.10", false),
        ("6.1", false),
        ("6.6", true),
        ("6.18", false),
    ];
    for (profile, gets_one) in cases {
        let mut k = kernel(profile);
        let init = k.init_net();
        k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
        let (flags, _) = read_at_add_uevent(&mut k, vf_spec(1));
        let saw_slave = flags & IFF_SLAVE != 0;
        assert_eq!(saw_slave, profile == "6.18");
        let err = Client::new(&mut k, init).set_up("eth1", true).unwrap_err();
        assert_eq!(err.errno, Errno::EBUSY, "RTNL is held in the window");
        k.resume(None).unwrap();
        Client::new(&mut k, init).set_up("eth1", true).unwrap();
        // Linkwatch brings the carrier (addrconf_link_ready), before the
        // vf_takeover 100 ms after the join closes the VF again (the
        // netvsc is down).
        k.sleep(Duration::from_millis(50));
        let vf = dev(&k, init, "eth1");
        let lls = link_locals(&k, init, "eth1");
        assert_eq!(lls.len(), usize::from(gets_one), "{profile}: {lls:?}");
        assert_ne!(k.dev(vf).flags & IFF_SLAVE, 0, "{profile}");
        k.check_invariants().unwrap();
    }
}

fn link_locals(k: &Kernel, net: NetId, name: &str) -> Vec<std::net::Ipv6Addr> {
    k.inet6_addrs(dev(k, net, name))
        .iter()
        .map(|a| a.addr)
        .filter(|a| a.segments()[0] == 0xfe80)
        .collect()
}

/// Acceptance 4: after `link set eth0 up` with an enslaved VF on 6.18, the
/// netvsc has its IPv6 link-local and the VF none (netvsc_prepare_bonding's
/// IFF_NO_ADDRCONF; the VF is opened by netvsc_open → dev_open(vf)). On
/// 6.12, with IFF_SLAVE at POST_INIT but without IFF_NO_ADDRCONF, the VF
/// gets one: the bug Li Tian's patch fixed (≈v6.16, 6.6.y).
#[test]
fn netvsc_up_gives_the_netvsc_a_link_local_and_the_vf_none() {
    for (profile, vf_gets_one) in [("6.12", true), ("6.6.y", false), ("6.18", false)] {
        let (mut k, init) = pair(profile);
        k.run_until_idle();
        Client::new(&mut k, init).set_up("eth0", true).unwrap();
        k.run_until_idle();
        assert!(k.dev(dev(&k, init, "eth1")).is_up());
        let ndev_ll = link_locals(&k, init, "eth0");
        assert_eq!(
            ndev_ll,
            ["fe80::20d:3aff:fe8b:1"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()]
        );
        assert_eq!(
            link_locals(&k, init, "eth1").len(),
            usize::from(vf_gets_one),
            "{profile}"
        );
    }
}

/// A VF user space brought up before its netvsc existed gets a link-local
/// on every profile (no IFF_SLAVE, no IFF_NO_ADDRCONF). On 6.7 nothing
/// joins it (see above): it keeps the address. Where something joins it —
/// the probe scan (9cae43da9867, synchronously) or the late replay
/// (before 85520856466e, then vf_takeover 100 ms later) —
/// __netvsc_vf_setup's dev_change_flags closes the VF under the DOWN
/// netvsc, and the address goes with NETDEV_DOWN; netvsc_open reopens it
/// later without one (IFF_SLAVE before 6.2, IFF_NO_ADDRCONF on 6.18) — or
/// with one where addrconf keys on IFF_NO_ADDRCONF and netvsc sets only
/// IFF_SLAVE (6.6).
#[test]
fn vf_up_before_its_netvsc_link_local_per_profile() {
    let cases = [
        ("5.10", false, false),
        ("6.6", false, true),
        ("6.7", true, true),
        ("6.18", false, false),
    ];
    for (profile, kept, reopened_with_one) in cases {
        let mut k = kernel(profile);
        let init = k.init_net();
        let vf = k.hw_add(VF_BUS, vf_spec(1)).unwrap();
        Client::new(&mut k, init).set_up("eth0", true).unwrap();
        k.run_until_idle();
        assert_eq!(link_locals(&k, init, "eth0").len(), 1, "{profile}");
        k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
        k.run_until_idle();
        assert_eq!(k.dev(vf).is_up(), kept, "{profile}");
        let n = link_locals(&k, init, "eth0").len();
        assert_eq!(n, usize::from(kept), "{profile}");
        Client::new(&mut k, init).set_up("eth1", true).unwrap();
        k.run_until_idle();
        assert!(k.dev(vf).is_up(), "{profile}");
        let n = link_locals(&k, init, "eth0").len();
        assert_eq!(n, usize::from(kept || reopened_with_one), "{profile}");
        k.check_invariants().unwrap();
    }
}

/// The netvsc's own register_netdevice stopped in the window: it is in
/// sysfs but not yet on netvsc_dev_list (list_add follows
/// register_netdevice in netvsc_probe), so nothing can match it; resumed,
/// the probe finishes — list_add, then the scan joins the VF that was
/// waiting (9cae43da9867).
#[test]
fn netvsc_probe_parked_in_register_netdevice() {
    let mut k = kernel("6.18");
    let init = k.init_net();
    let vf = k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    let step = k
        .hw_add_stepped(NETVSC_BUS, netvsc_spec(), Window::RegisterAfterAddUevent)
        .unwrap();
    assert_eq!(step, Step::Parked(Window::RegisterAfterAddUevent));
    assert_eq!(
        k.sysfs_read_by_name(init, "eth1", "device/driver")
            .as_deref(),
        Some("hv_netvsc")
    );
    assert_eq!(k.dev(vf).master, None);
    k.check_invariants().unwrap();
    let Step::Done(ndev) = k.resume(None).unwrap() else {
        panic!("not done");
    };
    assert_eq!(k.dev(vf).master, Some(ndev));
    assert_eq!(sysfs_flags(&k, init, "eth0"), 0x1802);
    k.check_invariants().unwrap();
}
