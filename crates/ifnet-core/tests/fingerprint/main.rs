//! `Kernel::fingerprint` (issue 9, acceptance 4): equal for kernels that
//! different request orders leave in the state Linux would leave them in,
//! different for states Linux tells apart, blind to observation (rings,
//! logs, listeners) and to the model's own names (slab slots and
//! generations, nsfs inode numbers, ordering counters) and to absolute
//! time. Every kernel here is built through genuine rtnetlink requests
//! (`client::Client`) or the hardware bus.

#[path = "../common/mod.rs"]
mod common;

use ifnet_core::client::Client;
use ifnet_core::datapath::Xmit;
use ifnet_core::time::Instant;
use ifnet_core::user_space::NetnsNames;
use ifnet_core::{HwAddr, HwSpec, Kernel, KernelProfile, NetId, Window};
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::link::{InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo};
use netlink_packet_route::RouteNetlinkMessage;

fn kernel() -> Kernel {
    Kernel::new(KernelProfile::latest())
}

fn mac(last: u8) -> Vec<u8> {
    vec![0x02, 0, 0, 0, 0, last]
}

fn link(name: &str, index: u32, addr: u8) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = index;
    m.attributes.push(LinkAttribute::IfName(name.into()));
    m.attributes.push(LinkAttribute::Address(mac(addr)));
    m
}

/// `ip link add NAME index I address A type veth peer name P index I+100
/// address A+100`: nothing random drawn, so creation order shows only in
/// the slab.
fn add_veth_fixed(k: &mut Kernel, net: NetId, name: &str, peer: &str, index: u32) {
    let mut m = link(name, index, index as u8);
    m.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Veth),
        LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(link(
            peer,
            index + 100,
            index as u8 + 100,
        )))),
    ]));
    Client::new(k, net)
        .request(
            RouteNetlinkMessage::NewLink(m),
            NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        )
        .unwrap();
}

fn set_mtu(k: &mut Kernel, net: NetId, name: &str, mtu: u32) {
    Client::new(k, net)
        .set(name, vec![LinkAttribute::Mtu(mtu)])
        .unwrap();
}

fn up(k: &mut Kernel, net: NetId, name: &str) {
    Client::new(k, net).set_up(name, true).unwrap();
}

/// Where two kernels' saved states differ (top-level keys, and the fields
/// of devices that share a name), to make a failing equality readable.
fn explain(a: &Kernel, b: &Kernel) -> String {
    let (va, vb) = (
        serde_json::to_value(a).unwrap(),
        serde_json::to_value(b).unwrap(),
    );
    let keys = va.as_object().unwrap().keys();
    let differing: Vec<&String> = keys
        .filter(|key| va[key.as_str()] != vb[key.as_str()])
        .collect();
    let devs = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        let slots = v["devs"]["slots"].as_array().unwrap();
        slots
            .iter()
            .map(|s| s[1].clone())
            .filter(|d| !d.is_null())
            .collect()
    };
    let mut fields = Vec::new();
    for da in devs(&va) {
        let Some(db) = devs(&vb).into_iter().find(|d| d["name"] == da["name"]) else {
            continue;
        };
        for (f, x) in da.as_object().unwrap() {
            if db.get(f) != Some(x) && f != "id" {
                fields.push(format!("{}.{f}: {x} vs {:?}", da["name"], db.get(f)));
            }
        }
    }
    format!("state keys that differ: {differing:?}; device fields: {fields:?}")
}

/// Top-level keys of the saved states that differ, observation left out.
fn differing_state(a: &Kernel, b: &Kernel) -> Vec<String> {
    let (va, vb) = (
        serde_json::to_value(a).unwrap(),
        serde_json::to_value(b).unwrap(),
    );
    let keys = va.as_object().unwrap().keys();
    keys.filter(|k| !OBSERVATION.contains(&k.as_str()) && va[k.as_str()] != vb[k.as_str()])
        .cloned()
        .collect()
}

fn assert_same(a: &Kernel, b: &Kernel) {
    assert_eq!(a.fingerprint(), b.fingerprint(), "{}", explain(a, b));
    assert!(Kernel::same_state(a, b));
}

fn assert_differ(a: &Kernel, b: &Kernel) {
    assert_ne!(a.fingerprint(), b.fingerprint());
    assert!(!Kernel::same_state(a, b));
}

/// A clone is the same state, and a fingerprint reads without changing it.
#[test]
fn clone_has_the_same_fingerprint() {
    let (k, _) = common::populated();
    let f = k.fingerprint();
    assert_eq!(k.fingerprint(), f);
    assert_eq!(k.clone().fingerprint(), f);
    assert_eq!(format!("{f}").len(), 32);
}

/// `do_setlink` on two devices commutes: MTU on one then IFF_UP on the
/// other, or the reverse, settled or not.
/// Two veths, then `mtu 1400` on one and `up` on the other in both
/// orders: the two kernels (and the namespace they share).
fn setlinks_in_both_orders() -> (Kernel, Kernel, NetId) {
    let mut a = kernel();
    let init = a.init_net();
    Client::new(&mut a, init).add_veth("va", "pa").unwrap();
    Client::new(&mut a, init).add_veth("vb", "pb").unwrap();
    let mut b = a.clone();
    set_mtu(&mut a, init, "va", 1400);
    up(&mut a, init, "vb");
    up(&mut b, init, "vb");
    set_mtu(&mut b, init, "va", 1400);
    (a, b, init)
}

#[test]
fn independent_setlinks_commute() {
    let (mut a, mut b, _) = setlinks_in_both_orders();
    assert_same(&a, &b);
    a.run_until_idle();
    b.run_until_idle();
    assert_same(&a, &b);
}

/// Slab slots and generations are the model's names: x created and
/// deleted before z and y (y then reuses x's slot, one generation on)
/// leaves what creating z and y directly leaves, with the same explicit
/// ifindexes (`dev_index_reserve` with an index does not move the cursor).
#[test]
fn slab_slots_and_generations_do_not_count() {
    let mut a = kernel();
    let init = a.init_net();
    let mut b = a.clone();
    add_veth_fixed(&mut a, init, "x", "xp", 5);
    add_veth_fixed(&mut a, init, "z", "zp", 6);
    Client::new(&mut a, init).del("x").unwrap();
    add_veth_fixed(&mut a, init, "y", "yp", 5);
    add_veth_fixed(&mut b, init, "z", "zp", 6);
    add_veth_fixed(&mut b, init, "y", "yp", 5);
    let y = |k: &Kernel| k.dev_get_by_name(init, "y").unwrap();
    assert_ne!(y(&a), y(&b), "the ids differ");
    a.run_until_idle();
    b.run_until_idle();
    assert_same(&a, &b);
    // … but the order the devices were listed in (dev_base_head) counts.
    let mut c = kernel();
    add_veth_fixed(&mut c, init, "y", "yp", 5);
    add_veth_fixed(&mut c, init, "z", "zp", 6);
    c.run_until_idle();
    assert_differ(&a, &c);
}

/// `cleanup_net` frees a namespace; one created after it is the same
/// state as one created first, though the model gave it another nsfs
/// inode number (Linux's `proc_alloc_inum` would even reuse it).
#[test]
fn namespace_recreated_is_the_same_state() {
    let (mut a, mut an) = (kernel(), NetnsNames::default());
    let (mut b, mut bn) = (kernel(), NetnsNames::default());
    an.add(&mut a, "blue").unwrap();
    an.del(&mut a, "blue").unwrap();
    let blue_a = an.add(&mut a, "blue").unwrap();
    let blue_b = bn.add(&mut b, "blue").unwrap();
    assert_ne!(a.netns_fd(blue_a), b.netns_fd(blue_b));
    assert_same(&a, &b);
    assert_eq!(a.fingerprint_with(&an), b.fingerprint_with(&bn));
    // The names user space gives them are part of `fingerprint_with`.
    let mut cn = NetnsNames::default();
    let mut c = kernel();
    cn.add(&mut c, "red").unwrap();
    assert_eq!(c.fingerprint(), b.fingerprint());
    assert_ne!(c.fingerprint_with(&cn), b.fingerprint_with(&bn));
    // fingerprint_user over a cached kernel fingerprint: the same
    // distinctions, the user part still under the canonical names.
    let user = |k: &Kernel, n: &NetnsNames| k.fingerprint_user(k.fingerprint(), n);
    assert_eq!(user(&a, &an), user(&b, &bn));
    assert_ne!(user(&c, &cn), user(&b, &bn));
    assert_ne!(user(&b, &bn), user(&b, &NetnsNames::default()));
}

/// `__dev_change_net_namespace` out and back: the device is relisted at
/// the tail of `dev_base_head` with a new list position each time; doing it
/// once or twice leaves the same state. Moving the other end instead puts
/// the devices in another list order: a different state.
#[test]
fn moving_out_and_back_is_stable() {
    let mut a = kernel();
    let init = a.init_net();
    let blue = a.netns_new().unwrap();
    Client::new(&mut a, init).add_veth("v0", "v1").unwrap();
    let mut other = a.clone();
    let mut b = a.clone();
    let there_and_back = |k: &mut Kernel, name: &str| {
        Client::new(k, init).set_netns(name, blue, None).unwrap();
        Client::new(k, blue).set_netns(name, init, None).unwrap();
    };
    there_and_back(&mut a, "v0");
    there_and_back(&mut b, "v0");
    there_and_back(&mut b, "v0");
    for k in [&mut a, &mut b] {
        k.run_until_idle();
    }
    assert_same(&a, &b);
    there_and_back(&mut other, "v1");
    other.run_until_idle();
    assert_differ(&a, &other);
}

/// Absolute time is left out: the same requests an hour later give the
/// same state (deadlines are hashed relative to `now`).
#[test]
fn absolute_time_does_not_count() {
    let build = |k: &mut Kernel| {
        let init = k.init_net();
        let mut c = Client::new(k, init);
        c.add_bridge("br0").unwrap();
        c.add_veth("v0", "p0").unwrap();
        c.set_master("p0", Some("br0")).unwrap();
        for n in ["br0", "p0", "v0"] {
            c.set_up(n, true).unwrap();
        }
    };
    let (mut a, mut b) = (kernel(), kernel());
    b.advance_to(Instant::from_nanos(3_600_000_000_000));
    build(&mut a);
    build(&mut b);
    assert_ne!(a.now(), b.now());
    assert_same(&a, &b);
    a.run_until_idle();
    b.run_until_idle();
    assert_same(&a, &b);
    // A pending deadline at another distance from now is another state.
    let mut c = kernel();
    build(&mut c);
    c.advance_to(Instant::from_nanos(1_000_000));
    assert_differ(&a, &c);
}

/// Observation is not state: full rings (a thousand RTM_NEWLINKs to a
/// listener), the ordered event log, and a kernel log line
/// (do_setlink's "changes committed already") leave the fingerprint alone.
#[test]
fn observation_does_not_count() {
    let mut a = kernel();
    let init = a.init_net();
    Client::new(&mut a, init).add_veth("v0", "v1").unwrap();
    // Settled first: a GETLINK runs the device's pending linkwatch event
    // (`linkwatch_sync_dev`), which is state.
    a.run_until_idle();
    let mut b = a.clone();
    a.mcast_listen(4242);
    a.set_event_log(true);
    for i in 0..1000 {
        set_mtu(&mut a, init, "v0", 1400 + i % 2);
    }
    set_mtu(&mut a, init, "v0", 1500);
    assert!(a.mcast_next_seq() > 1000);
    // IFLA_MTU applied, then IFLA_IFNAME refused: the MTU stays, and the
    // kernel says so in its log.
    let mut c = Client::new(&mut a, init);
    let mut m = LinkMessage::default();
    m.header.index = c.get("v0").unwrap().header.index;
    m.attributes = vec![
        LinkAttribute::Mtu(1450),
        LinkAttribute::IfName("a/b".into()),
    ];
    let err = c
        .request(RouteNetlinkMessage::NewLink(m), NLM_F_ACK)
        .unwrap_err();
    assert_eq!(err.errno, ifnet_core::Errno::EINVAL);
    set_mtu(&mut b, init, "v0", 1450);
    assert!(a.dmesg().iter().any(|l| l.contains("changes committed")));
    assert!(b.dmesg().is_empty());
    assert_same(&a, &b);
    a.mcast_unlisten(4242);
    a.set_event_log(false);
    assert_same(&a, &b);
}

/// States Linux tells apart: a flag, an MTU, a name, a device in another
/// namespace.
#[test]
fn link_attributes_count() {
    let mut base = kernel();
    let init = base.init_net();
    let blue = base.netns_new().unwrap();
    Client::new(&mut base, init).add_veth("v0", "v1").unwrap();
    let f = base.fingerprint();
    let changed: [&dyn Fn(&mut Kernel); 4] = [
        &|k| up(k, init, "v0"),
        &|k| set_mtu(k, init, "v0", 1400),
        &|k| Client::new(k, init).rename("v0", "w0").unwrap(),
        &|k| Client::new(k, init).set_netns("v1", blue, None).unwrap(),
    ];
    let mut seen = vec![f];
    for change in changed {
        let mut k = base.clone();
        change(&mut k);
        let g = k.fingerprint();
        assert!(!seen.contains(&g), "{g} seen before");
        seen.push(g);
    }
}

/// A pending work item is state: linkwatch queued by the new pair's
/// carrier change, then run (`run_work_item`).
#[test]
fn pending_work_counts() {
    let mut a = kernel();
    let init = a.init_net();
    Client::new(&mut a, init).add_veth("v0", "v1").unwrap();
    let pending = a.pending_work();
    assert!(!pending.is_empty());
    let mut b = a.clone();
    b.run_work_item(pending[0].seq).unwrap();
    assert_differ(&a, &b);
}

fn trio(k: &mut Kernel, vf_window: bool) {
    trio_at(k, ["0000:00:03.0", "0000:00:04.0"], vf_window);
}

/// A virtio-net standby (the failover master and its standby) and a VF
/// with its MAC, at these bus ids.
fn trio_at(k: &mut Kernel, bus: [&str; 2], vf_window: bool) {
    let mac = HwAddr::parse("52:54:00:aa:bb:01").unwrap();
    let virtio = HwSpec::VirtioNet {
        mac,
        standby: true,
        segment: None,
    };
    k.hw_add(bus[0], virtio).unwrap();
    let vf = HwSpec::Vf {
        mac,
        driver: None,
        segment: None,
    };
    if vf_window {
        k.hw_add_stepped(bus[1], vf, Window::RegisterAfterAddUevent)
            .unwrap();
    } else {
        k.hw_add(bus[1], vf).unwrap();
    }
}

/// A failover slave is state: the VF enslaved at NETDEV_REGISTER, or the
/// same VF stopped before it (`register_netdevice` parked after its `add`
/// uevent), then completed.
#[test]
fn failover_slave_counts() {
    let (mut a, mut b) = (kernel(), kernel());
    trio(&mut a, false);
    trio(&mut b, true);
    let init = a.init_net();
    let vf = b.dev_get_by_name(init, "eth2");
    assert!(vf.is_none_or(|v| b.dev(v).master.is_none()));
    assert_differ(&a, &b);
    b.resume(None).unwrap();
    assert_same(&a, &b);
}

fn frame(dst: &[u8], src: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 64];
    f[..6].copy_from_slice(&dst[..6]);
    f[6..12].copy_from_slice(&src[..6]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f
}

/// A bridge fdb entry is state: the same frame learnt once the bridge
/// settled has aged out 301 s later (`br_fdb_cleanup`); learnt 200 s
/// later it has not.
#[test]
fn bridge_fdb_entry_counts() {
    let build = |learn_at: u64| {
        let mut k = kernel();
        let init = k.init_net();
        common::bridged_hosts(&mut k);
        let t0 = k.now().as_nanos();
        k.advance_to(Instant::from_nanos(t0 + learn_at * 1_000_000_000));
        k.run_due_now();
        let (h1, h2) = (
            k.dev_get_by_name(init, "h1").unwrap(),
            k.dev_get_by_name(init, "h2").unwrap(),
        );
        let hello = frame(k.dev(h1).dev_addr.as_bytes(), k.dev(h2).dev_addr.as_bytes());
        assert_eq!(k.dev_queue_xmit(h2, &hello), Xmit::Sent);
        k.advance_to(Instant::from_nanos(t0 + 301_000_000_000));
        k.run_due_now();
        let br = k.dev_get_by_name(init, "br0").unwrap();
        let learnt = k.br_fdb_find(br, k.dev(h2).dev_addr.as_bytes().try_into().unwrap());
        (k, learnt.is_some())
    };
    let (old, old_learnt) = build(0);
    let (fresh, fresh_learnt) = build(200);
    assert_eq!((old_learnt, fresh_learnt), (false, true));
    assert_differ(&old, &fresh);
}

mod cache;
mod fields;
use fields::OBSERVATION;

/// The order forward-delay timers were armed in is state (timers due
/// together fire last-armed first, `br_forward_delay_timers_run`), though
/// the sequence numbers that record it are not: ports opened p0 then p1,
/// or p1 then p0, at one instant.
#[test]
fn bridge_timer_order_counts() {
    let build = |first: &str, second: &str| {
        let mut k = kernel();
        let init = k.init_net();
        let mut c = Client::new(&mut k, init);
        c.add_bridge("br0").unwrap();
        // No link-locals: their DAD timers would draw random delays in
        // opening order and differ for a reason of their own.
        c.set_addrgenmode("br0", 1).unwrap();
        for (v, p) in [("v0", "p0"), ("v1", "p1")] {
            c.add_veth(v, p).unwrap();
            c.set_addrgenmode(v, 1).unwrap();
            c.set_addrgenmode(p, 1).unwrap();
            c.set_master(p, Some("br0")).unwrap();
            c.set_up(v, true).unwrap();
        }
        c.set_up("br0", true).unwrap();
        k.run_due_now();
        let mut c = Client::new(&mut k, init);
        c.set_up(first, true).unwrap();
        c.set_up(second, true).unwrap();
        // Linkwatch runs (it queued the two in opening order too); the
        // timers, 15 s away, do not.
        let t = k.now().as_nanos() + 2_000_000_000;
        k.advance_to(Instant::from_nanos(t));
        k.run_due_now();
        k
    };
    let (a, b) = (build("p0", "p1"), build("p1", "p0"));
    // Only the devices differ (in fact only br0's timers: the ports'
    // fwd_delay_seq are swapped).
    assert_eq!(differing_state(&a, &b), ["devs"], "{}", explain(&a, &b));
    assert_differ(&a, &b);
}

/// `Kernel::user_names_hash`: the names user space holds that the
/// fingerprint leaves out. Commuting setlinks leave one state with one
/// set of names (the same rings' lengths, the same inodes); a namespace
/// recreated is the same state under another nsfs inode (differing
/// names); and uevents sent (`kobject_uevent` takes a new SEQNUM each)
/// move the ring's next sequence number, which the names include.
#[test]
fn user_names_beyond_the_fingerprint() {
    let (a, b, init) = setlinks_in_both_orders();
    assert_same(&a, &b);
    assert_eq!(a.user_names_hash(), b.user_names_hash());

    let (mut c, mut cn) = (kernel(), NetnsNames::default());
    let (mut d, mut dn) = (kernel(), NetnsNames::default());
    cn.add(&mut c, "blue").unwrap();
    cn.del(&mut c, "blue").unwrap();
    cn.add(&mut c, "blue").unwrap();
    dn.add(&mut d, "blue").unwrap();
    assert_same(&c, &d);
    assert_ne!(c.user_names_hash(), d.user_names_hash(), "nsfs inodes");

    let mut e = b.clone();
    Client::new(&mut e, init).add_veth("vc", "pc").unwrap();
    Client::new(&mut e, init).del("vc").unwrap();
    assert_ne!(e.uevent_next_seq(), b.uevent_next_seq());
    assert_ne!(e.user_names_hash(), b.user_names_hash(), "uevent SEQNUM");
}
