//! IPv6 addresses (net/ipv6/addrconf.c, ndisc.c, Linux 6.18): each test
//! names the function whose behaviour it pins, and the commit where a
//! profile decides.

use ifnet_core::client::{AddrOpts, Client};
use ifnet_core::hw::HwSpec;
use ifnet_core::inet::ifaddr::*;
use ifnet_core::time::Duration;
use ifnet_core::{DevId, Errno, HwAddr, Kernel, KernelProfile, NetId};
use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::LinkAttribute;
use std::net::{IpAddr, Ipv6Addr};

fn dev(k: &Kernel, net: NetId, name: &str) -> DevId {
    k.dev_get_by_name(net, name).unwrap()
}

/// A veth pair va/vb with fixed MACs 02:00:00:00:00:0a / :0b.
fn pair(profile: &str) -> (Kernel, NetId) {
    let mut k = Kernel::new(KernelProfile::preset(profile).unwrap());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_veth("va", "vb").unwrap();
    c.set("va", vec![LinkAttribute::Address(vec![2, 0, 0, 0, 0, 0xa])])
        .unwrap();
    c.set("vb", vec![LinkAttribute::Address(vec![2, 0, 0, 0, 0, 0xb])])
        .unwrap();
    (k, init)
}

fn up_both(k: &mut Kernel, init: NetId) {
    let mut c = Client::new(k, init);
    c.set_up("va", true).unwrap();
    c.set_up("vb", true).unwrap();
}

fn v6(k: &Kernel, net: NetId, name: &str) -> Vec<(Ipv6Addr, u32)> {
    k.inet6_addrs(dev(k, net, name))
        .iter()
        .map(|a| (a.addr, a.flags))
        .collect()
}

fn nodad(cidr: &str) -> (String, AddrOpts) {
    (
        cidr.to_string(),
        AddrOpts {
            flags: IFA_F_NODAD,
            ..AddrOpts::default()
        },
    )
}

fn ll(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

/// ipv6_add_dev() at NETDEV_REGISTER: the inet6_dev and the all-nodes
/// groups, only with an MTU of at least 1280.
#[test]
fn ipv6_add_dev_needs_1280() {
    let (mut k, init) = pair("6.18");
    let va = dev(&k, init, "va");
    assert!(k.in6_dev_exists(va));
    let g = k.dev_addr_lists(va).groups;
    assert!(g.iter().any(|x| x.0 == IpAddr::V6(ll("ff02::1"))));
    Client::new(&mut k, init)
        .set("va", vec![LinkAttribute::Mtu(1279)])
        .unwrap();
    assert!(!k.in6_dev_exists(va), "addrconf_ifdown(dev, unregister)");
    assert!(k.dev_addr_lists(va).groups.iter().all(|x| x.0.is_ipv4()));
    let (a, o) = nodad("2001:db8::1/64");
    let e = Client::new(&mut k, init)
        .addr_modify("va", &a, &o, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    Client::new(&mut k, init)
        .set("va", vec![LinkAttribute::Mtu(1280)])
        .unwrap();
    assert!(k.in6_dev_exists(va));
    k.check_invariants().unwrap();
}

/// addrconf_notify() → addrconf_dev_config() → addrconf_addr_gen(): the
/// EUI-64 link-local once the link is ready (NETDEV_CHANGE after
/// linkwatch), tentative until addrconf_dad_completed() — which takes the
/// random delay (< 1 s) and one retransmission (1 s).
#[test]
fn addrconf_dad_completed_eui64_link_local() {
    let (mut k, init) = pair("6.18");
    up_both(&mut k, init);
    let t0 = k.now();
    // Linkwatch first (urgent for a veth: at once), then DAD.
    while k.inet6_addrs(dev(&k, init, "va")).is_empty() {
        assert!(k.run_due_work() || k.next_work_due().is_some());
        let due = k.next_work_due().unwrap();
        k.advance_to(due);
        k.run_due_work();
    }
    let a = v6(&k, init, "va");
    assert_eq!(
        a,
        [(ll("fe80::ff:fe00:a"), IFA_F_PERMANENT | IFA_F_TENTATIVE)]
    );
    k.run_until_idle();
    let took = k.now() - t0;
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert_eq!(
        v6(&k, init, "va"),
        [(ll("fe80::ff:fe00:a"), IFA_F_PERMANENT)]
    );
    assert_eq!(
        v6(&k, init, "vb"),
        [(ll("fe80::ff:fe00:b"), IFA_F_PERMANENT)]
    );
    // One neighbour solicitation each went over the pair.
    let va = dev(&k, init, "va");
    assert_eq!(k.dev(va).stats.tx_packets, 1);
    assert_eq!(k.dev(va).stats.rx_packets, 1);
    k.check_invariants().unwrap();
}

/// addrconf_dad_begin(): a nodad address is valid at once; on a link that
/// is not ready any other stays tentative (addrconf_dad_stop keeps it),
/// until addrconf_dad_run() when the link becomes ready.
#[test]
fn addrconf_dad_begin_waits_for_the_link() {
    let (mut k, init) = pair("6.18");
    let mut c = Client::new(&mut k, init);
    let (a, o) = nodad("2001:db8::1/64");
    c.addr_modify("va", &a, &o, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    c.add_addr("va", "2001:db8::2/64").unwrap();
    c.set_up("va", true).unwrap();
    k.run_until_idle();
    let got = v6(&k, init, "va");
    assert_eq!(
        got,
        [
            (ll("2001:db8::2"), IFA_F_PERMANENT | IFA_F_TENTATIVE),
            (ll("2001:db8::1"), IFA_F_PERMANENT | IFA_F_NODAD)
        ],
        "no carrier: not ready, no link-local"
    );
    Client::new(&mut k, init).set_up("vb", true).unwrap();
    k.run_until_idle();
    let got = v6(&k, init, "va");
    assert_eq!(got[0], (ll("2001:db8::2"), IFA_F_PERMANENT));
    assert_eq!(got[2], (ll("fe80::ff:fe00:a"), IFA_F_PERMANENT));
}

/// addrconf_dad_failure() via ndisc_recv_na(): vb holds the address; va's
/// probe reaches it, vb answers, va's copy is dadfailed and tentative
/// (addrconf_dad_stop on a permanent address), with the kernel's log line.
#[test]
fn addrconf_dad_failure_from_an_advertisement() {
    let (mut k, init) = pair("6.18");
    up_both(&mut k, init);
    k.run_until_idle();
    let (a, o) = nodad("2001:db8::5/64");
    Client::new(&mut k, init)
        .addr_modify("vb", &a, &o, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    Client::new(&mut k, init)
        .add_addr("va", "2001:db8::5/64")
        .unwrap();
    k.run_until_idle();
    let got = v6(&k, init, "va");
    assert_eq!(
        got[0],
        (
            ll("2001:db8::5"),
            IFA_F_PERMANENT | IFA_F_TENTATIVE | IFA_F_DADFAILED
        )
    );
    assert_eq!(
        v6(&k, init, "vb")[0],
        (ll("2001:db8::5"), IFA_F_PERMANENT | IFA_F_NODAD)
    );
    assert!(
        k.dmesg()
            .iter()
            .any(|l| l
                == "va: IPv6 duplicate address 2001:db8::5 used by 02:00:00:00:00:0b detected!")
    );
}

/// ndisc_recv_ns(): both ends probing the same tentative address at the
/// same time: the one that hears the other's solicitation (another nonce)
/// first fails; the model's outcome is fixed by its generator.
#[test]
fn ndisc_recv_ns_simultaneous_probes() {
    let (mut k, init) = pair("6.18");
    up_both(&mut k, init);
    k.run_until_idle();
    let mut c = Client::new(&mut k, init);
    c.add_addr("va", "2001:db8::7/64").unwrap();
    c.add_addr("vb", "2001:db8::7/64").unwrap();
    k.run_until_idle();
    // The first probe out wins: its receiver is still tentative and fails
    // (addrconf_dad_failure stops its DAD, so it never probes). vb's random
    // delay (rtr_solicit_delay, from the model's seeded generator) is the
    // shorter here, so va fails and vb keeps the address.
    let failed = |k: &Kernel, n: &str| v6(k, init, n)[0].1 & IFA_F_DADFAILED != 0;
    assert_eq!((failed(&k, "va"), failed(&k, "vb")), (true, false));
}

/// addrconf_ifdown(dev, false) at NETDEV_DOWN: keep_addr_on_down is 0, so
/// every IPv6 address goes (RTM_DELADDR each) with its solicited-node
/// group; the inet6_dev and all-nodes stay.
#[test]
fn addrconf_ifdown_on_down() {
    let (mut k, init) = pair("6.18");
    up_both(&mut k, init);
    k.run_until_idle();
    let (a, o) = nodad("2001:db8::1/64");
    Client::new(&mut k, init)
        .addr_modify("va", &a, &o, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    // The group is joined when DAD begins (its first dad_work run).
    k.run_until_idle();
    let va = dev(&k, init, "va");
    let sol = IpAddr::V6(ll("ff02::1:ff00:1"));
    assert!(k.dev_addr_lists(va).groups.iter().any(|g| g.0 == sol));
    Client::new(&mut k, init).set_up("va", false).unwrap();
    assert!(k.inet6_addrs(va).is_empty());
    assert!(k.in6_dev_exists(va));
    assert!(!k.dev_addr_lists(va).groups.iter().any(|g| g.0 == sol));
    k.check_invariants().unwrap();
}

/// addrconf_addr_gen(): addrgenmode none makes no link-local, random a
/// stable-privacy one (IFA_F_STABLE_PRIVACY), stable_secret without a
/// secret is refused (check_stable_privacy: EINVAL).
#[test]
fn addrconf_addr_gen_modes() {
    let (mut k, init) = pair("6.18");
    let mut c = Client::new(&mut k, init);
    c.set_addrgenmode("va", IN6_ADDR_GEN_MODE_NONE).unwrap();
    c.set_addrgenmode("vb", IN6_ADDR_GEN_MODE_RANDOM).unwrap();
    let e = c
        .set_addrgenmode("vb", IN6_ADDR_GEN_MODE_STABLE_PRIVACY)
        .unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    up_both(&mut k, init);
    k.run_until_idle();
    assert!(v6(&k, init, "va").is_empty());
    let b = v6(&k, init, "vb");
    assert_eq!(b.len(), 1);
    assert!(b[0].0.segments()[0] == 0xfe80 && b[0].0 != ll("fe80::ff:fe00:b"));
    assert_eq!(b[0].1, IFA_F_PERMANENT | IFA_F_STABLE_PRIVACY);
}

/// ipv6_add_addr() / inet6_addr_del(): the kernel's checks and texts.
#[test]
fn ipv6_add_addr_checks() {
    let (mut k, init) = pair("6.18");
    let mut c = Client::new(&mut k, init);
    let cases = [
        ("::/0", "ipv6: Invalid address"),
        (
            "::1/128",
            "ipv6: Cannot assign loopback address on this device",
        ),
        (
            "ff02::5/128",
            "ipv6: Cannot assign multicast address without \"IFA_F_MCAUTOJOIN\" flag",
        ),
    ];
    for (a, text) in cases {
        let e = c.add_addr("va", a).unwrap_err();
        assert_eq!(
            (e.errno, e.extack.as_deref()),
            (Errno::EADDRNOTAVAIL, Some(text)),
            "{a}"
        );
    }
    c.add_addr("va", "2001:db8::1/64").unwrap();
    let e = c.add_addr("va", "2001:db8::1/64").unwrap_err();
    assert_eq!(e.extack.as_deref(), Some("ipv6: address already assigned"));
    let e = c.del_addr("va", "2001:db8::1/48").unwrap_err();
    assert_eq!(
        (e.errno, e.extack.as_deref()),
        (Errno::EADDRNOTAVAIL, Some("ipv6: address not found"))
    );
}

/// init_loopback(): lo gets ::1/128, valid at once (no DAD on loopback).
#[test]
fn init_loopback_adds_localhost() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    Client::new(&mut k, init).set_up("lo", true).unwrap();
    assert_eq!(v6(&k, init, "lo"), [(Ipv6Addr::LOCALHOST, IFA_F_PERMANENT)]);
}

/// ipv6_link_dev_addr(): the list is kept by descending scope, a new
/// address going before the first of equal or smaller scope; the scope is
/// __ipv6_addr_type's, where ::1 counts as link scope (0x02), so ::1 added
/// after fe80::5 comes before it, and a global address before both.
#[test]
fn ipv6_link_dev_addr_orders_by_scope_loopback_as_link() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    let (a, o) = nodad("fe80::5/64");
    c.addr_modify("lo", &a, &o, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    c.set_up("lo", true).unwrap();
    let (a, o) = nodad("2001:db8::1/64");
    c.addr_modify("lo", &a, &o, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    let got: Vec<Ipv6Addr> = v6(&k, init, "lo").into_iter().map(|(a, _)| a).collect();
    assert_eq!(got, [ll("2001:db8::1"), Ipv6Addr::LOCALHOST, ll("fe80::5")]);
}

fn failover_trio(profile: &str) -> (Kernel, NetId) {
    let mut k = Kernel::new(KernelProfile::preset(profile).unwrap());
    let init = k.init_net();
    let mac = HwAddr::parse("52:54:00:aa:bb:01").unwrap();
    k.hw_add(
        "0000:00:03.0",
        HwSpec::VirtioNet {
            mac,
            standby: true,
            segment: None,
        },
    )
    .unwrap();
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    k.hw_add(
        "0000:00:04.0",
        HwSpec::Vf {
            mac,
            driver: None,
            segment: None,
        },
    )
    .unwrap();
    k.run_until_idle();
    (k, init)
}

/// addrconf_notify() for failover slaves: from v6.2 failover sets
/// IFF_NO_ADDRCONF on them (cb54d392279d "net: failover: use
/// IFF_NO_ADDRCONF flag to prevent ipv6 addrconf") and addrconf skips that
/// flag (8a321cf7becc "net: add IFF_NO_ADDRCONF and use it in bonding to
/// prevent ipv6 addrconf"): the master eth0 gets a link-local, the standby
/// eth1 and the VF eth2 none. Before 6.2 nothing kept addrconf off a
/// failover slave (it checked IFF_SLAVE, which failover never set): all
/// three get one.
#[test]
fn addrconf_notify_failover_slaves_per_profile() {
    for (profile, slaves_get_one) in [
        ("5.0", true),
        ("5.10", true),
        ("6.1", true),
        ("6.2", false),
        ("6.18", false),
    ] {
        let (k, init) = failover_trio(profile);
        let n = |name: &str| k.inet6_addrs(dev(&k, init, name)).len();
        assert_eq!(n("eth0"), 1, "{profile}: the master");
        let want = usize::from(slaves_get_one);
        assert_eq!(
            (n("eth1"), n("eth2")),
            (want, want),
            "{profile}: the slaves"
        );
    }
}

/// A DAD probe for `target` from vb's MAC, as `ndisc_send_ns` builds it,
/// then edited by `edit` (the IPv6 packet, after the 14-byte header).
fn probe_from_vb(target: Ipv6Addr, lladdr_opt: bool, edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    use ifnet_core::wire::ipv6::{Ipv6Repr, NdiscRepr, NEXTHDR_ICMP};
    let o = target.octets();
    let dst = Ipv6Addr::from([
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        u16::from_be_bytes([o[14], o[15]]),
    ]);
    let vb_mac = [2u8, 0, 0, 0, 0, 0xb];
    let nd = NdiscRepr::NeighborSolicit {
        target,
        nonce: Some(0x0102_0304_0506),
        source_lladdr: lladdr_opt.then_some(&vb_mac[..]),
    };
    let mut msg = Vec::new();
    nd.emit(&Ipv6Addr::UNSPECIFIED, &dst, 0, &mut msg);
    let mut pkt = Vec::new();
    Ipv6Repr {
        src_addr: Ipv6Addr::UNSPECIFIED,
        dst_addr: dst,
        next_header: NEXTHDR_ICMP,
        hop_limit: 255,
        payload_len: msg.len(),
    }
    .emit(&mut pkt);
    pkt.extend_from_slice(&msg);
    edit(&mut pkt);
    let mut frame = vec![0x33, 0x33, 0xff, o[13], o[14], o[15]];
    frame.extend_from_slice(&vb_mac);
    frame.extend_from_slice(&[0x86, 0xdd]);
    frame.extend_from_slice(&pkt);
    frame
}

/// ndisc_rcv() and the checks before it: a probe for va's tentative
/// address fails va's DAD — unless icmpv6_rcv drops it (bad checksum),
/// ndisc_rcv does (hop limit not 255), or ndisc_recv_ns does (a DAD probe
/// carrying a source link-layer address option).
#[test]
fn ndisc_rcv_drops_what_linux_drops() {
    type Edit = fn(&mut Vec<u8>);
    let cases: [(&str, bool, Edit, bool); 4] = [
        ("a good probe", false, |_| {}, true),
        ("a bad checksum", false, |p| p[40 + 2] ^= 0xff, false),
        ("hop limit 254", false, |p| p[7] = 254, false),
        ("DAD with a lladdr option", true, |_| {}, false),
    ];
    for (what, opt, edit, fails) in cases {
        let (mut k, init) = pair("6.18");
        Client::new(&mut k, init).set_addrgenmode("va", 1).unwrap();
        up_both(&mut k, init);
        k.run_until_idle();
        let target = ll("2001:db8::9");
        Client::new(&mut k, init)
            .add_addr("va", "2001:db8::9/64")
            .unwrap();
        // addrconf_dad_begin: the solicited-node group joined, the first
        // probe a random delay away.
        k.run_due_now();
        let vb = dev(&k, init, "vb");
        k.dev_queue_xmit(vb, &probe_from_vb(target, opt, edit));
        k.run_until_idle();
        let flags = v6(&k, init, "va")[0].1;
        assert_eq!(flags & IFA_F_DADFAILED != 0, fails, "{what}");
        assert_eq!(flags & IFA_F_TENTATIVE != 0, fails, "{what}");
    }
}
