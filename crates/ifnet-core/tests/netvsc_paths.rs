//! hv_netvsc's failure and warning paths (netvsc_drv.c, Linux 6.18), each
//! with the log line netvsc-bonding.md §1.12 lists, and the finer points
//! of __netvsc_vf_setup and of the vf_add completion. The main rules are
//! in netvsc.rs.

mod netvsc_support;

use ifnet_core::client::Client;
use ifnet_core::consts::*;
use ifnet_core::drivers::netvsc_vf::NETVSC_VF_HOLD;
use ifnet_core::{Errno, NetdevEvent};
use netvsc_support::*;

/// netvsc_change_mtu(): the VF's MTU first (mana's max is 9000); a VF
/// refusal is the answer, through dev_set_mtu() — whose own extack goes to
/// the log ("eth1: mtu greater than device maximum"), so the caller gets
/// bare -EINVAL — and neither MTU changes.
#[test]
fn netvsc_change_mtu_goes_through_the_vf() {
    use netlink_packet_route::link::LinkAttribute::Mtu;
    let (mut k, init) = pair("6.18");
    let (ndev, vf) = (dev(&k, init, "eth0"), dev(&k, init, "eth1"));
    Client::new(&mut k, init)
        .set("eth0", vec![Mtu(9000)])
        .unwrap();
    assert_eq!((k.dev(ndev).mtu, k.dev(vf).mtu), (9000, 9000));
    let from = k.dmesg().len();
    let e = Client::new(&mut k, init)
        .set("eth0", vec![Mtu(9500)])
        .unwrap_err();
    assert_eq!((e.errno, e.extack), (Errno::EINVAL, None));
    assert_eq!(
        log_since(&k, from),
        ["eth1: mtu greater than device maximum"]
    );
    assert_eq!((k.dev(ndev).mtu, k.dev(vf).mtu), (9000, 9000));
}

/// __netvsc_vf_setup(): dev_change_flags(vf, ndev->flags | IFF_SLAVE)
/// toggles the VF's gflags PROMISC / ALLMULTI to the netvsc's flags (one
/// count of promiscuity / allmulti each), copies IFF_NOARP and friends.
#[test]
fn netvsc_vf_setup_mirrors_promisc_and_allmulti() {
    use netlink_packet_core::NLM_F_ACK;
    use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
    use netlink_packet_route::RouteNetlinkMessage;
    let mut k = kernel("6.18");
    let init = k.init_net();
    k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName("eth0".into()));
    let bits = LinkFlags::Promisc | LinkFlags::Allmulti | LinkFlags::Noarp | LinkFlags::Up;
    m.header.flags = bits;
    m.header.change_mask = bits;
    Client::new(&mut k, init)
        .request(RouteNetlinkMessage::SetLink(m), NLM_F_ACK)
        .unwrap();
    let vf = k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    assert_eq!(
        k.dev(vf).flags & (IFF_PROMISC | IFF_ALLMULTI | IFF_NOARP),
        0
    );
    k.run_until_idle();
    let d = k.dev(vf);
    let want = IFF_PROMISC | IFF_ALLMULTI | IFF_NOARP | IFF_UP;
    assert_eq!(d.flags & want, want);
    assert_eq!((d.promiscuity, d.allmulti), (1, 1));
    assert_eq!(d.gflags, IFF_PROMISC | IFF_ALLMULTI);
}

/// netvsc_vf_changed()'s wait_for_completion(&vf_add): netvsc_send_vf's
/// complete() with nobody waiting leaves the completion done, so after
/// the host rescinds the association (vf_alloc = 0) the next switch logs
/// "Waiting…" and proceeds at once, taking it; the one after really waits.
/// netvsc_unregister_vf's reinit_completion would have cleared it.
#[test]
fn netvsc_vf_changed_wait_takes_an_earlier_completion() {
    let (mut k, init) = pair("6.18");
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    k.run_until_idle();
    let ndev = dev(&k, init, "eth0");
    k.hw_vf_association(VF_BUS, false).unwrap();
    let bounce = |k: &mut ifnet_core::Kernel| {
        Client::new(k, init).set_up("eth1", false).unwrap();
        Client::new(k, init).set_up("eth1", true).unwrap();
    };
    let from = k.dmesg().len();
    bounce(&mut k);
    assert_eq!(
        log_since(&k, from),
        [
            format!("{NV} eth0: Data path switched from VF: eth1"),
            format!("{NV} eth0: Waiting for the VF association from host"),
            format!("{NV} eth0: Data path switched to VF: eth1"),
        ]
    );
    let from = k.dmesg().len();
    bounce(&mut k);
    assert_eq!(
        log_since(&k, from),
        [
            format!("{NV} eth0: Data path switched from VF: eth1"),
            format!("{NV} eth0: Waiting for the VF association from host"),
        ]
    );
    assert!(k.netvsc(ndev).unwrap().vf_add_waiting);
    k.check_invariants().unwrap();
}

/// netvsc_vf_join(): netdev_master_upper_dev_link() vetoed (here a
/// PRECHANGEUPPER subscriber) → "can not set master device eth0 (err =
/// -16)" on the VF, the rx_handler unregistered again, no reference, no
/// vf_netdev; the IFF_SLAVE from POST_INIT stays.
#[test]
fn netvsc_vf_join_upper_link_failure() {
    let mut k = kernel("6.18");
    let ndev = k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
    k.add_veto_notifier(NetdevEvent::PreChangeUpper, "eth1", Errno::EBUSY);
    let from = k.dmesg().len();
    let vf = k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    assert_eq!(
        log_since(&k, from),
        [
            format!("{NV} eth0: VF slot 1 added"),
            format!("{NV} eth0: VF registering: eth1"),
            format!("{VF} eth1: can not set master device eth0 (err = -16)"),
        ]
    );
    let d = k.dev(vf);
    assert_eq!((d.master, d.rx_handler), (None, None));
    assert!(!d.refs.iter().any(|r| r.holder == NETVSC_VF_HOLD));
    assert_ne!(d.flags & IFF_SLAVE, 0);
    assert_eq!(k.netvsc(ndev).unwrap().vf_netdev, None);
    k.check_invariants().unwrap();
}

/// __netvsc_vf_setup(): a netvsc MTU the VF cannot take (mana: 9000) warns
/// "unable to change mtu to 9500" (after dev_set_mtu's own line) and the
/// setup goes on: the VF is opened anyway.
#[test]
fn netvsc_vf_setup_warns_on_mtu() {
    use netlink_packet_route::link::LinkAttribute::Mtu;
    let mut k = kernel("6.18");
    let init = k.init_net();
    k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
    let mut c = Client::new(&mut k, init);
    c.set("eth0", vec![Mtu(9500)]).unwrap();
    c.set_up("eth0", true).unwrap();
    let vf = k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    let from = k.dmesg().len();
    k.run_until_idle();
    let log = log_since(&k, from);
    assert_eq!(
        log[..2],
        [
            "eth1: mtu greater than device maximum".to_string(),
            format!("{VF} eth1: unable to change mtu to 9500"),
        ]
    );
    assert!(k.dev(vf).is_up());
    assert_eq!(k.dev(vf).mtu, 1500);
}

/// netvsc_event_set_vf_ns() (vfns_work, 33caa208dba6): a move the target
/// refuses — the VF's altname is a device name there (EEXIST, 6.6+) —
/// logs "Cannot move to same namespace as eth0: -17"; the VF stays bound
/// across namespaces.
#[test]
fn netvsc_event_set_vf_ns_failure() {
    let (mut k, init) = pair("6.18");
    k.run_until_idle();
    let ns = k.netns_new().unwrap();
    Client::new(&mut k, ns)
        .add_veth("enP30832s1", "x1")
        .unwrap();
    let vf = dev(&k, init, "eth1");
    k.dev_altname_add(vf, "enP30832s1").unwrap();
    Client::new(&mut k, init)
        .set_netns("eth0", ns, None)
        .unwrap();
    let from = k.dmesg().len();
    k.run_until_idle();
    assert_eq!(
        log_since(&k, from),
        [format!(
            "{VF} eth1: Cannot move to same namespace as eth0: -17"
        )]
    );
    assert_eq!(k.dev(vf).net, init);
    assert_eq!(k.dev(vf).master, Some(dev(&k, ns, "eth0")));
    k.check_invariants().unwrap();
}

/// netvsc_open(): a VF that refuses to open (a NETDEV_PRE_UP veto) only
/// warns "unable to open slave: eth1: -1"; the netvsc is UP, the datapath
/// stays synthetic. vf_takeover's own dev_open then warns "unable to
/// open: -1" on the VF.
#[test]
fn netvsc_open_warns_when_the_vf_cannot_open() {
    let (mut k, init) = pair("6.18");
    k.run_until_idle();
    k.add_veto_notifier(NetdevEvent::PreUp, "eth1", Errno::EPERM);
    let from = k.dmesg().len();
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    let ndev = dev(&k, init, "eth0");
    assert!(k.dev(ndev).is_up());
    assert!(!k.netvsc(ndev).unwrap().data_path_is_vf);
    assert_eq!(
        log_since(&k, from),
        [format!("{NV} eth0: unable to open slave: eth1: -1")]
    );
    // A later VF setup (the VF re-registered) tries again and warns too.
    let vf = dev(&k, init, "eth1");
    k.hw_del(VF_BUS, false).unwrap();
    assert!(k.try_dev(vf).is_none());
    k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    let from = k.dmesg().len();
    k.run_until_idle();
    assert_eq!(
        log_since(&k, from),
        [format!("{VF} eth1: unable to open: -1")]
    );
}
