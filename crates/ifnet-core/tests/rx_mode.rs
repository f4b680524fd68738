//! Receive filters passed from an upper to its lowers (net/core/dev.c
//! `dev_change_rx_flags` / `__dev_set_rx_mode`, dev_addr_lists.c
//! `__hw_addr_sync` / `__hw_addr_sync_multiple`): hv_netvsc's
//! `netvsc_change_rx_flags` and `netvsc_set_rx_mode` on its VF, and
//! `net_failover_set_rx_mode` on both failover slaves.

mod netvsc_support;

use ifnet_core::client::Client;
use ifnet_core::consts::*;
use ifnet_core::hw::HwSpec;
use ifnet_core::{DevId, Kernel, KernelProfile};
use netvsc_support::*;

fn promisc(k: &mut Kernel, d: DevId, on: bool) {
    let f = k.dev(d).flags & !IFF_PROMISC;
    k.dev_change_flags(d, if on { f | IFF_PROMISC } else { f })
        .unwrap();
}

fn allmulti(k: &mut Kernel, d: DevId, on: bool) {
    let f = k.dev(d).flags & !IFF_ALLMULTI;
    k.dev_change_flags(d, if on { f | IFF_ALLMULTI } else { f })
        .unwrap();
}

fn has_mc(k: &Kernel, d: DevId, m: &str) -> bool {
    k.dev_addr_lists(d).mc.iter().any(|e| e.addr == mac(m))
}

/// The Azure pair on 6.18, UP, the VF joined and set up by vf_takeover.
fn azure() -> (Kernel, DevId, DevId) {
    let (mut k, init) = pair("6.18");
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    k.run_until_idle();
    let (ndev, vf) = (dev(&k, init, "eth0"), dev(&k, init, "eth1"));
    (k, ndev, vf)
}

/// `netvsc_change_rx_flags()`: `ip link set eth0 promisc on` gives the VF
/// one promiscuity count ("entered promiscuous mode" on both), off takes
/// it back; allmulti likewise.
#[test]
fn netvsc_passes_promisc_and_allmulti_to_its_vf() {
    let (mut k, ndev, vf) = azure();
    let base = (k.dev(vf).promiscuity, k.dev(vf).allmulti);
    promisc(&mut k, ndev, true);
    assert_eq!(k.dev(vf).promiscuity, base.0 + 1);
    assert_ne!(k.dev(vf).flags & IFF_PROMISC, 0);
    allmulti(&mut k, ndev, true);
    assert_eq!(k.dev(vf).allmulti, base.1 + 1);
    promisc(&mut k, ndev, false);
    allmulti(&mut k, ndev, false);
    assert_eq!((k.dev(vf).promiscuity, k.dev(vf).allmulti), base);
    assert_eq!(k.dev(vf).flags & (IFF_PROMISC | IFF_ALLMULTI), 0);
    k.check_invariants().unwrap();
}

/// `netvsc_set_rx_mode()`: a group the netvsc joins after the takeover
/// (`ip maddress add`) reaches the VF through `dev_mc_sync`, and leaves
/// it with the netvsc's delete.
#[test]
fn netvsc_set_rx_mode_syncs_later_groups_to_the_vf() {
    let (mut k, ndev, vf) = azure();
    let g = "01:00:5e:01:02:03";
    k.dev_mc_add_global(ndev, mac(g)).unwrap();
    assert!(has_mc(&k, vf, g));
    k.dev_mc_del_global(ndev, mac(g)).unwrap();
    assert!(!has_mc(&k, ndev, g) && !has_mc(&k, vf, g));
    k.check_invariants().unwrap();
}

/// `net_failover_set_rx_mode()` with `dev_mc_sync_multiple`: the master's
/// groups reach the primary *and* the standby (the one-lower
/// `__hw_addr_sync` would push each entry only once, to the first), and
/// the master's delete takes them back from both.
#[test]
fn net_failover_syncs_groups_to_both_slaves() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let m = "52:54:00:aa:bb:01";
    let virtio = HwSpec::VirtioNet {
        mac: mac(m),
        standby: true,
        segment: None,
    };
    k.hw_add("0000:00:03.0", virtio).unwrap();
    let vfs = HwSpec::Vf {
        mac: mac(m),
        driver: None,
        segment: None,
    };
    k.hw_add("0000:00:04.0", vfs).unwrap();
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    k.run_until_idle();
    let (master, standby, primary) = (
        dev(&k, init, "eth0"),
        dev(&k, init, "eth1"),
        dev(&k, init, "eth2"),
    );
    assert_eq!(k.dev(primary).master, Some(master));
    let g = "01:00:5e:01:02:03";
    k.dev_mc_add_global(master, mac(g)).unwrap();
    assert!(has_mc(&k, primary, g) && has_mc(&k, standby, g));
    let e = k
        .dev_addr_lists(master)
        .mc
        .into_iter()
        .find(|e| e.addr == mac(g))
        .unwrap();
    assert_eq!(
        (e.refcount, e.sync_cnt),
        (3, 2),
        "one own reference, one per slave"
    );
    // The IPv6 groups the master joined (all-nodes, its solicited-node)
    // are on both slaves too.
    for e in k.dev_addr_lists(master).mc {
        assert!(k
            .dev_addr_lists(standby)
            .mc
            .iter()
            .any(|x| x.addr == e.addr));
        assert!(k
            .dev_addr_lists(primary)
            .mc
            .iter()
            .any(|x| x.addr == e.addr));
    }
    k.dev_mc_del_global(master, mac(g)).unwrap();
    assert!(!has_mc(&k, master, g) && !has_mc(&k, primary, g) && !has_mc(&k, standby, g));
    k.check_invariants().unwrap();
}

/// `__dev_set_rx_mode()` does nothing on a DOWN device: a group the netvsc
/// joins while down is pushed to the VF only at `dev_open`.
#[test]
fn rx_mode_waits_for_the_device_to_be_up() {
    let (mut k, init) = pair("6.18");
    k.run_until_idle();
    let (ndev, vf) = (dev(&k, init, "eth0"), dev(&k, init, "eth1"));
    let g = "01:00:5e:01:02:04";
    k.dev_mc_add_global(ndev, mac(g)).unwrap();
    assert!(!has_mc(&k, vf, g));
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    assert!(has_mc(&k, vf, g));
}
