//! bond_enslave() / __bond_release_one() (drivers/net/bonding/bond_main.c,
//! 6.18): the checks in the kernel's order with errno and extack, what a
//! failed enslave leaves (nothing), flags, MAC and MTU per fail_over_mac,
//! release and deletion (bond_uninit).

mod bonding_support;
use bonding_support::*;

/// bond_enslave(): "Cannot enslave bond to itself." (-EPERM), after the
/// IFF_MASTER and rx_handler checks it passes; nothing changes.
#[test]
fn enslave_bond_to_itself_is_eperm() {
    let mut k = Kernel::new(KernelProfile::latest());
    add_ab(&mut k, "bond0", 100);
    k.run_until_idle();
    let before = k.fingerprint();
    let (e, msg) = err(master(&mut k, "bond0", Some("bond0")));
    assert_eq!(e, Errno::EPERM);
    assert_eq!(msg.as_deref(), Some("Cannot enslave bond to itself."));
    assert_eq!(k.fingerprint(), before);
    // Without extack (sysfs `bonding/slaves`), BOND_NL_ERR logs it.
    let b = dev(&k, "bond0");
    assert_eq!(
        k.bond_sysfs_slaves_write(b, "+bond0").unwrap_err().errno,
        Errno::EPERM
    );
    assert_eq!(
        k.dmesg().last().map(String::as_str),
        Some("bond0: Error: Cannot enslave bond to itself.")
    );
    assert_eq!(k.fingerprint(), before);
}

/// bond_enslave(): netdev_is_rx_handler_busy() — a bridge port written to
/// `bonding/slaves` (bond_option_slaves_set calls bond_enslave directly)
/// is -EBUSY, logged by SLAVE_NL_ERR, nothing changed.
#[test]
fn enslave_bridge_port_via_sysfs_is_ebusy_and_changes_nothing() {
    let mut k = Kernel::new(KernelProfile::latest());
    add_ab(&mut k, "bond0", 100);
    veth(&mut k, "e0", "p0");
    let init = k.init_net();
    Client::new(&mut k, init).add_bridge("br0").unwrap();
    master(&mut k, "e0", Some("br0")).unwrap();
    k.run_until_idle();
    let before = k.fingerprint();
    let b = dev(&k, "bond0");
    assert_eq!(
        k.bond_sysfs_slaves_write(b, "+e0").unwrap_err().errno,
        Errno::EBUSY
    );
    assert_eq!(
        k.dmesg().last().map(String::as_str),
        Some("bond0: (slave e0): Error: Device is in use and cannot be enslaved")
    );
    assert_eq!(k.fingerprint(), before);
}

/// Through `ip link set e0 master bond0`, do_set_master() first takes the
/// port out of its bridge (br_del_if) and does not undo that when
/// bond_enslave() then refuses the UP port (-EPERM "Device can not be
/// enslaved while up").
#[test]
fn enslave_up_bridge_port_via_netlink_leaves_bridge_then_eperm() {
    let mut k = Kernel::new(KernelProfile::latest());
    add_ab(&mut k, "bond0", 100);
    veth(&mut k, "e0", "p0");
    let init = k.init_net();
    Client::new(&mut k, init).add_bridge("br0").unwrap();
    master(&mut k, "e0", Some("br0")).unwrap();
    up(&mut k, "e0", true);
    k.run_until_idle();
    let (e, msg) = err(master(&mut k, "e0", Some("bond0")));
    assert_eq!(e, Errno::EPERM);
    assert_eq!(msg.as_deref(), Some("Device can not be enslaved while up"));
    assert_eq!(k.dev(dev(&k, "e0")).master, None);
    assert!(k
        .bond_proc_show(dev(&k, "bond0"))
        .unwrap()
        .find("Slave Interface")
        .is_none());
}

/// A failover slave (net_failover's standby): do_set_master() cannot take
/// it from its master (failover_dev_ops has no ndo_del_slave: -EOPNOTSUPP);
/// written to `bonding/slaves` it is -EBUSY (failover's rx_handler).
/// Neither changes anything.
#[test]
fn enslave_failover_slave_is_refused_and_changes_nothing() {
    let mut k = Kernel::new(KernelProfile::latest());
    add_ab(&mut k, "bond0", 100);
    let virtio = ifnet_core::hw::HwSpec::VirtioNet {
        mac: HwAddr::parse("52:54:00:aa:bb:01").unwrap(),
        standby: true,
        segment: None,
    };
    k.hw_add("0000:00:03.0", virtio).unwrap();
    k.run_until_idle();
    let before = k.fingerprint();
    let (e, _) = err(master(&mut k, "eth1", Some("bond0")));
    assert_eq!(e, Errno::EOPNOTSUPP);
    assert_eq!(k.fingerprint(), before);
    let b = dev(&k, "bond0");
    assert_eq!(
        k.bond_sysfs_slaves_write(b, "+eth1").unwrap_err().errno,
        Errno::EBUSY
    );
    assert_eq!(
        k.dmesg().last().map(String::as_str),
        Some("bond0: (slave eth1): Error: Device is in use and cannot be enslaved")
    );
    assert_eq!(k.fingerprint(), before);
}

/// bond_enslave(): a device that is UP is -EPERM "Device can not be
/// enslaved while up", and the bond is left as it was.
#[test]
fn enslave_up_device_is_eperm() {
    let mut k = Kernel::new(KernelProfile::latest());
    add_ab(&mut k, "bond0", 100);
    veth(&mut k, "e0", "p0");
    up(&mut k, "e0", true);
    k.run_until_idle();
    let before = k.fingerprint();
    let (e, msg) = err(master(&mut k, "e0", Some("bond0")));
    assert_eq!(e, Errno::EPERM);
    assert_eq!(msg.as_deref(), Some("Device can not be enslaved while up"));
    assert_eq!(k.fingerprint(), before);
}

/// bond_enslave(): IFF_SLAVE after the upper link, IFF_BONDING and
/// IFF_NO_ADDRCONF, the slave opened, the first slave active; the log
/// lines of bond_change_active_slave and bond_enslave.
#[test]
fn enslave_sets_flags_and_logs() {
    let mut k = Kernel::new(KernelProfile::latest());
    ab_over_veths(&mut k, 2, 100);
    let (b, e0, e1) = (dev(&k, "bond0"), dev(&k, "e0"), dev(&k, "e1"));
    assert_ne!(k.dev(b).flags & IFF_MASTER, 0);
    assert_ne!(k.dev(b).priv_flags & IFF_BONDING, 0);
    for s in [e0, e1] {
        assert_ne!(k.dev(s).flags & IFF_SLAVE, 0);
        assert_ne!(k.dev(s).priv_flags & IFF_BONDING, 0);
        assert_ne!(k.dev(s).priv_flags & IFF_NO_ADDRCONF, 0);
        assert!(k.dev(s).is_up(), "bond_enslave opens the slave");
        assert_eq!(k.dev(s).master, Some(b));
    }
    assert_eq!(active(&k, "bond0").as_deref(), Some("e0"));
    assert_eq!(sysfs(&k, "e0", "bonding_slave/state"), "active");
    assert_eq!(sysfs(&k, "e1", "bonding_slave/state"), "backup");
    assert_eq!(sysfs(&k, "bond0", "bonding/slaves"), "e0 e1");
    let log = k.dmesg();
    let want = [
        "bond0: (slave e0): making interface the new active one",
        "bond0: (slave e0): Enslaving as an active interface with an up link",
        "bond0: (slave e1): Enslaving as a backup interface with an up link",
    ];
    for w in want {
        assert!(log.iter().any(|l| l == w), "missing {w:?} in {log:#?}");
    }
}

/// fail_over_mac=none (bond_enslave step 5): the bond takes the first
/// slave's MAC (bond_set_dev_addr, NET_ADDR_STOLEN), every slave takes the
/// bond's; release restores each slave's perm_hwaddr.
#[test]
fn fail_over_mac_none_all_macs_equal_and_restored() {
    let mut k = Kernel::new(KernelProfile::latest());
    veths(&mut k, 2);
    let m0 = k.dev(dev(&k, "e0")).dev_addr;
    let m1 = k.dev(dev(&k, "e1")).dev_addr;
    add_ab(&mut k, "bond0", 100);
    master(&mut k, "e0", Some("bond0")).unwrap();
    master(&mut k, "e1", Some("bond0")).unwrap();
    let b = dev(&k, "bond0");
    assert_eq!(k.dev(b).dev_addr, m0);
    assert_eq!(k.dev(b).addr_assign_type, AddrAssign::Stolen);
    assert_eq!(k.dev(dev(&k, "e1")).dev_addr, m0);
    assert_eq!(sysfs(&k, "e1", "bonding_slave/perm_hwaddr"), m1.to_string());
    master(&mut k, "e1", None).unwrap();
    assert_eq!(k.dev(dev(&k, "e1")).dev_addr, m1);
    let e1 = dev(&k, "e1");
    assert_eq!(k.dev(e1).flags & IFF_SLAVE, 0);
    assert_eq!(k.dev(e1).priv_flags & (IFF_BONDING | IFF_NO_ADDRCONF), 0);
    assert!(!k.dev(e1).is_up(), "__bond_release_one closes the slave");
    assert!(k
        .dmesg()
        .iter()
        .any(|l| l == "bond0: (slave e1): Releasing backup interface"));
}

/// bond_enslave(): the slave takes the bond's MTU; release restores
/// original_mtu.
#[test]
fn slave_takes_bond_mtu_and_gets_it_back() {
    let mut k = Kernel::new(KernelProfile::latest());
    veths(&mut k, 1);
    let init = k.init_net();
    Client::new(&mut k, init)
        .set("e0", vec![LinkAttribute::Mtu(9000)])
        .unwrap();
    add_ab(&mut k, "bond0", 100);
    master(&mut k, "e0", Some("bond0")).unwrap();
    assert_eq!(k.dev(dev(&k, "e0")).mtu, 1500);
    master(&mut k, "e0", None).unwrap();
    assert_eq!(k.dev(dev(&k, "e0")).mtu, 9000);
}

/// __bond_release_one(): the last slave leaves — the bond gets a random
/// address (eth_hw_addr_random), NETDEV_CHANGEADDR then NETDEV_RELEASE.
#[test]
fn last_release_randomizes_bond_addr() {
    let mut k = Kernel::new(KernelProfile::latest());
    veths(&mut k, 1);
    add_ab(&mut k, "bond0", 100);
    master(&mut k, "e0", Some("bond0")).unwrap();
    let b = dev(&k, "bond0");
    let stolen = k.dev(b).dev_addr;
    k.set_trace(true);
    master(&mut k, "e0", None).unwrap();
    assert_ne!(k.dev(b).dev_addr, stolen);
    assert_eq!(k.dev(b).addr_assign_type, AddrAssign::Random);
    let t: Vec<String> = k
        .take_trace()
        .into_iter()
        .filter(|e| e.ifname == "bond0")
        .map(|e| e.event.kernel_name().to_string())
        .collect();
    let i = t.iter().position(|e| e == "NETDEV_CHANGEADDR").unwrap();
    assert_eq!(t[i + 1], "NETDEV_RELEASE", "{t:?}");
}

/// bond_uninit(): deleting the bond releases every slave in list order,
/// then logs "Released all slaves" (netdev_printk names the bond
/// "(unregistering)": ndo_uninit runs after NETREG_UNREGISTERING).
#[test]
fn delete_bond_releases_all_slaves_in_order() {
    let mut k = Kernel::new(KernelProfile::latest());
    ab_over_veths(&mut k, 2, 100);
    let init = k.init_net();
    Client::new(&mut k, init).del("bond0").unwrap();
    let log = k.dmesg();
    let rel: Vec<&String> = log.iter().filter(|l| l.contains("Releasing")).collect();
    assert_eq!(
        rel,
        [
            "bond0 (unregistering): (slave e0): Releasing backup interface",
            "bond0 (unregistering): (slave e1): Releasing backup interface"
        ]
    );
    assert_eq!(
        log.last().map(String::as_str),
        Some("bond0 (unregistering): Released all slaves")
    );
    for s in ["e0", "e1"] {
        let d = dev(&k, s);
        assert_eq!(k.dev(d).master, None);
        assert_eq!(k.dev(d).flags & IFF_SLAVE, 0);
    }
}

/// __bond_release_one(): `nomaster` of the active slave fails over to the
/// backup.
#[test]
fn releasing_active_fails_over() {
    let mut k = Kernel::new(KernelProfile::latest());
    ab_over_veths(&mut k, 2, 100);
    master(&mut k, "e0", None).unwrap();
    assert_eq!(active(&k, "bond0").as_deref(), Some("e1"));
    assert_eq!(sysfs(&k, "e1", "bonding_slave/state"), "active");
}
