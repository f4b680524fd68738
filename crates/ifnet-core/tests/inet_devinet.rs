//! IPv4 addresses (net/ipv4/devinet.c, Linux 6.18): each test names the
//! function whose behaviour it pins.

use ifnet_core::client::{AddrOpts, Client};
use ifnet_core::inet::ifaddr::*;
use ifnet_core::time::Duration;
use ifnet_core::{DevId, Errno, Kernel, KernelProfile, NetId};
use netlink_packet_core::{
    NetlinkMessage, NetlinkPayload, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE,
};
use netlink_packet_route::address::AddressAttribute;
use netlink_packet_route::RouteNetlinkMessage;

fn setup() -> (Kernel, NetId) {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    Client::new(&mut k, init).add_veth("va", "vb").unwrap();
    (k, init)
}

fn dev(k: &Kernel, net: NetId, name: &str) -> DevId {
    k.dev_get_by_name(net, name).unwrap()
}

/// (local, flags, label) of each IPv4 address of `name`, in list order.
fn v4(k: &Kernel, net: NetId, name: &str) -> Vec<(String, u32, String)> {
    k.inet_addrs(dev(k, net, name))
        .iter()
        .map(|a| {
            (
                format!("{}/{}", a.local, a.prefixlen),
                a.flags,
                a.label.to_string(),
            )
        })
        .collect()
}

/// The address notifications since `from`: (deleted, family, ifindex, text).
fn addr_notes(k: &Kernel, from: u64) -> Vec<(bool, String)> {
    k.mcast_since(from)
        .unwrap()
        .iter()
        .filter_map(|m| {
            let nl = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&m.bytes).unwrap();
            let (am, del) = match nl.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(a)) => (a, false),
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelAddress(a)) => (a, true),
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(_)) => {
                    return Some((false, "link".into()))
                }
                _ => return None,
            };
            let local = am.attributes.iter().find_map(|a| match a {
                AddressAttribute::Local(l) => Some(*l),
                AddressAttribute::Address(l) => Some(*l),
                _ => None,
            })?;
            Some((del, local.to_string()))
        })
        .collect()
}

/// inetdev_init() at NETDEV_REGISTER / inetdev_destroy() at
/// NETDEV_UNREGISTER: addresses need an in_device, and go with the device.
#[test]
fn inetdev_event_register_and_unregister() {
    let (mut k, init) = setup();
    let mut c = Client::new(&mut k, init);
    c.add_addr("va", "10.0.0.1/24").unwrap();
    c.add_addr("vb", "10.0.0.2/24").unwrap();
    c.del("va").unwrap();
    assert!(c.addrs().is_empty(), "both ends of the pair are gone");
    k.check_invariants().unwrap();
}

/// __inet_insert_ifa(): primaries sorted by scope (host, link, global),
/// a second address of a subnet is its secondary at the end; the same
/// local is EEXIST, another scope in the subnet EINVAL with the extack.
#[test]
fn inet_insert_ifa_order_secondaries_and_errors() {
    let (mut k, init) = setup();
    let mut c = Client::new(&mut k, init);
    c.add_addr("va", "10.0.0.1/24").unwrap();
    c.add_addr("va", "10.0.0.2/24").unwrap();
    let link = AddrOpts {
        scope: RT_SCOPE_LINK,
        ..AddrOpts::default()
    };
    c.addr_modify("va", "10.1.0.1/24", &link, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    let host = AddrOpts {
        scope: RT_SCOPE_HOST,
        ..AddrOpts::default()
    };
    c.addr_modify("va", "127.0.0.9/8", &host, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    let e = c.add_addr("va", "10.0.0.1/24").unwrap_err();
    assert_eq!(e.errno, Errno::EEXIST);
    assert_eq!(e.extack.as_deref(), Some("ipv4: Address already assigned"));
    let e = c
        .addr_modify("va", "10.0.0.9/24", &link, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap_err();
    assert_eq!(
        (e.errno, e.extack.as_deref()),
        (Errno::EINVAL, Some("ipv4: Invalid scope value"))
    );
    let got: Vec<(String, u32)> = v4(&k, init, "va")
        .into_iter()
        .map(|(a, f, _)| (a, f & 1))
        .collect();
    assert_eq!(
        got,
        [
            ("127.0.0.9/8".into(), 0),
            ("10.1.0.1/24".into(), 0),
            ("10.0.0.1/24".into(), 0),
            ("10.0.0.2/24".into(), IFA_F_SECONDARY)
        ]
    );
    k.check_invariants().unwrap();
}

/// __inet_del_ifa(): with promote_secondaries 0, deleting a primary
/// deletes its secondaries first (RTM_DELADDR each), then itself.
#[test]
fn inet_del_ifa_takes_secondaries() {
    let (mut k, init) = setup();
    k.mcast_listen(1);
    let mut c = Client::new(&mut k, init);
    for a in ["10.0.0.1/24", "10.0.0.2/24", "10.0.0.3/24", "10.9.0.1/24"] {
        c.add_addr("va", a).unwrap();
    }
    let from = k.mcast_next_seq();
    Client::new(&mut k, init)
        .del_addr("va", "10.0.0.1/24")
        .unwrap();
    assert_eq!(
        addr_notes(&k, from),
        [
            (true, "10.0.0.2".into()),
            (true, "10.0.0.3".into()),
            (true, "10.0.0.1".into())
        ]
    );
    assert_eq!(v4(&k, init, "va").len(), 1);
}

/// inet_rtm_deladdr(): the first address matching IFA_LOCAL and
/// IFA_ADDRESS with the prefix length; none is EADDRNOTAVAIL, an unknown
/// device ENODEV, each with its extack.
#[test]
fn inet_rtm_deladdr_matching() {
    let (mut k, init) = setup();
    let mut c = Client::new(&mut k, init);
    c.add_addr("va", "10.0.0.1/24").unwrap();
    let e = c.del_addr("va", "10.0.0.1/16").unwrap_err();
    assert_eq!(
        (e.errno, e.extack.as_deref()),
        (Errno::EADDRNOTAVAIL, Some("ipv4: Address not found"))
    );
    c.del_addr("va", "10.0.0.1/24").unwrap();
    assert!(v4(&k, init, "va").is_empty());
}

/// inet_rtm_newaddr(): NLM_F_REPLACE updates an existing address's
/// lifetimes in place; without it (or with NLM_F_EXCL) EEXIST; a new one
/// is created whatever the flags say.
#[test]
fn inet_rtm_newaddr_replace_and_create() {
    let (mut k, init) = setup();
    let mut c = Client::new(&mut k, init);
    c.add_addr("va", "10.0.0.1/24").unwrap();
    let lft = AddrOpts {
        lifetimes: Some((300, 200)),
        ..AddrOpts::default()
    };
    c.addr_modify("va", "10.0.0.1/24", &lft, NLM_F_REPLACE)
        .unwrap();
    c.addr_modify("va", "10.1.0.1/24", &AddrOpts::default(), NLM_F_REPLACE)
        .unwrap();
    let a = &k.inet_addrs(dev(&k, init, "va"))[0];
    assert_eq!(
        (a.valid_lft, a.preferred_lft, a.flags & IFA_F_PERMANENT),
        (300, 200, 0)
    );
    assert_eq!(v4(&k, init, "va").len(), 2);
}

/// inet_validate_rtm(): lifetime 0, preferred > valid.
#[test]
fn inet_validate_rtm_lifetimes() {
    let (mut k, init) = setup();
    let mut c = Client::new(&mut k, init);
    for lt in [(0, 0), (10, 20)] {
        let o = AddrOpts {
            lifetimes: Some(lt),
            ..AddrOpts::default()
        };
        let e = c
            .addr_modify("va", "10.0.0.1/24", &o, NLM_F_CREATE)
            .unwrap_err();
        assert_eq!(
            (e.errno, e.extack.as_deref()),
            (Errno::EINVAL, Some("ipv4: address lifetime invalid"))
        );
    }
}

/// inetdev_changename(): the first address takes the new name, the next
/// ones keep their ":suffix" or get ":N", each announced.
#[test]
fn inetdev_changename_labels() {
    let (mut k, init) = setup();
    let mut c = Client::new(&mut k, init);
    c.add_addr("va", "10.0.0.1/24").unwrap();
    c.add_addr("va", "10.0.0.2/24").unwrap();
    let web = AddrOpts {
        label: Some("va:web".into()),
        ..AddrOpts::default()
    };
    c.addr_modify("va", "10.0.0.3/24", &web, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    c.rename("va", "vx").unwrap();
    let labels: Vec<String> = v4(&k, init, "vx").into_iter().map(|a| a.2).collect();
    assert_eq!(labels, ["vx", "vx:2", "vx:web"]);
}

/// set_ifa_lifetime() and check_lifetime() on the virtual clock: at the
/// preferred lifetime the address turns deprecated (RTM_NEWADDR), at the
/// valid one it is deleted (RTM_DELADDR); settling does not move the clock
/// for these timers.
#[test]
fn check_lifetime_deprecates_then_deletes() {
    let (mut k, init) = setup();
    let mut c = Client::new(&mut k, init);
    let o = AddrOpts {
        lifetimes: Some((20, 10)),
        ..AddrOpts::default()
    };
    c.addr_modify("va", "10.0.0.1/24", &o, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    let t0 = k.now();
    k.run_until_idle();
    assert!(
        k.now() - t0 < Duration::from_secs(5),
        "lifetimes are background timers"
    );
    assert_eq!(v4(&k, init, "va").len(), 1);
    let until = |k: &mut Kernel, s: u64| {
        let d = (t0 + Duration::from_secs(s)) - k.now();
        k.sleep(d);
    };
    until(&mut k, 9);
    let a = &k.inet_addrs(dev(&k, init, "va"))[0];
    assert_eq!(a.flags & IFA_F_DEPRECATED, 0, "preferred at 9 s");
    until(&mut k, 10);
    let a = &k.inet_addrs(dev(&k, init, "va"))[0];
    assert_ne!(a.flags & IFA_F_DEPRECATED, 0, "deprecated at 10 s");
    until(&mut k, 19);
    assert_eq!(v4(&k, init, "va").len(), 1, "still valid at 19 s");
    until(&mut k, 20);
    assert!(v4(&k, init, "va").is_empty(), "gone at 20 s");
    k.check_invariants().unwrap();
}

/// inetdev_event(NETDEV_CHANGEMTU): below 68 bytes the in_device goes
/// with its addresses (adding one is ENOBUFS); a bigger MTU brings an
/// empty one back.
#[test]
fn inetdev_event_mtu_below_68() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.set_up("lo", true).unwrap();
    assert_eq!(c.addr_strings("lo"), ["127.0.0.1/8", "::1/128"]);
    c.set(
        "lo",
        vec![netlink_packet_route::link::LinkAttribute::Mtu(60)],
    )
    .unwrap();
    assert!(c.addr_strings("lo").is_empty());
    assert_eq!(
        c.add_addr("lo", "10.0.0.1/8").unwrap_err().errno,
        Errno::ENOBUFS
    );
    c.set(
        "lo",
        vec![netlink_packet_route::link::LinkAttribute::Mtu(1500)],
    )
    .unwrap();
    c.add_addr("lo", "10.0.0.1/8").unwrap();
    assert_eq!(c.addr_strings("lo"), ["10.0.0.1/8"]);
    k.check_invariants().unwrap();
}

/// inetdev_event(NETDEV_UP) on loopback, in the kernel's order: the
/// RTM_NEWLINK of `__dev_notify_flags` first, then 127.0.0.1 (the IPv4
/// notifier), then ::1 (addrconf).
#[test]
fn lo_up_notification_order() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    k.mcast_listen(1);
    let from = k.mcast_next_seq();
    Client::new(&mut k, init).set_up("lo", true).unwrap();
    assert_eq!(
        addr_notes(&k, from),
        [
            (false, "link".into()),
            (false, "127.0.0.1".into()),
            (false, "::1".into())
        ]
    );
}

/// NETDEV_UNREGISTER of a namespace move: the device arrives without
/// addresses.
#[test]
fn netns_move_drops_addresses() {
    let (mut k, init) = setup();
    let ns = k.netns_new().unwrap();
    let mut c = Client::new(&mut k, init);
    c.add_addr("va", "10.0.0.1/24").unwrap();
    c.set_netns("va", ns, None).unwrap();
    assert!(Client::new(&mut k, ns).addr_strings("va").is_empty());
    k.check_invariants().unwrap();
}

/// The lifetime works (`check_lifetime`'s addr_chk_work,
/// `addrconf_verify_rtnl`'s) are queued for addresses that can expire
/// and only for them: adding a permanent address with no such work queued
/// walks nothing (it used to walk every address of the namespace on each
/// `ip addr add`, quadratic over a 4,000-device batch); with a finite
/// address present, a permanent one still requeues the work, which ends
/// when the last finite address is gone.
#[test]
fn lifetime_work_only_for_addresses_that_expire() {
    use ifnet_core::workqueue::Work;
    let (mut k, init) = setup();
    let lifetime_work = |k: &Kernel| -> Vec<&'static str> {
        k.pending_work()
            .iter()
            .filter_map(|i| match i.work {
                Work::InetCheckLifetime(_) => Some("check_lifetime"),
                Work::AddrconfVerify(_) => Some("addrconf_verify"),
                _ => None,
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let mut c = Client::new(&mut k, init);
    c.add_addr("va", "10.0.0.1/24").unwrap();
    c.add_addr("va", "2001:db8::1/64").unwrap();
    assert!(lifetime_work(&k).is_empty());
    let finite = AddrOpts {
        lifetimes: Some((20, 10)),
        ..AddrOpts::default()
    };
    let mut c = Client::new(&mut k, init);
    c.addr_modify("va", "10.0.0.2/24", &finite, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    c.addr_modify("va", "2001:db8::2/64", &finite, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    k.run_until_idle();
    assert_eq!(lifetime_work(&k), ["addrconf_verify", "check_lifetime"]);
    let mut c = Client::new(&mut k, init);
    c.add_addr("vb", "10.0.1.1/24").unwrap();
    k.run_until_idle();
    assert_eq!(lifetime_work(&k), ["addrconf_verify", "check_lifetime"]);
    k.sleep(Duration::from_secs(21));
    assert!(lifetime_work(&k).is_empty(), "nothing left to expire");
    assert_eq!(v4(&k, init, "va").len(), 1);
    k.check_invariants().unwrap();
}
