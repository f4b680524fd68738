//! `Kernel::check_invariants` through the state loader
//! (`Kernel::rebuild_after_load`): each test builds a valid kernel through
//! the public API, serialises it, edits the JSON into one hostile state
//! and asserts the loader refuses it with the specific reason — or, for
//! states that used to panic, that the command now works. Issue 8.

mod common;

use common::dev_json;
use ifnet_core::client::Client;
use ifnet_core::time::Instant;
use ifnet_core::user_space::NetnsNames;
use ifnet_core::{HwAddr, HwSpec, Kernel, KernelProfile};
use serde_json::Value;

/// init_net with v0 (port of br0, both up) and its peer p0, a NIC eth0
/// (bus 0000:00:03.0), a deleted veth pair (so the device slab has free
/// slots) and a named namespace "a" that init_net has a peer id for.
fn base() -> Kernel {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let a = k.netns_new().unwrap();
    {
        let mut c = Client::new(&mut k, init);
        c.add_veth("v0", "p0").unwrap();
        c.add_bridge("br0").unwrap();
        c.set_master("v0", Some("br0")).unwrap();
        c.set_up("br0", true).unwrap();
        c.set_up("v0", true).unwrap();
        c.set_up("p0", true).unwrap();
        c.add_veth("t0", "t1").unwrap();
        c.set_netns("t1", a, None).unwrap();
        c.del("t0").unwrap();
    }
    let mac = HwAddr::new(&[0x52, 0x54, 0, 0x12, 0x34, 0x56]).unwrap();
    let nic = HwSpec::Nic {
        mac,
        driver: None,
        segment: None,
    };
    k.hw_add("0000:00:03.0", nic).unwrap();
    k.run_until_idle();
    k
}

/// `base()` with br0's fdb gc queued: p0 sent a frame, v0 learned its
/// source (02:00:00:00:00:09).
fn with_work() -> Kernel {
    let mut k = base();
    let p0 = k.dev_get_by_name(k.init_net(), "p0").unwrap();
    k.dev_queue_xmit(p0, &frame([0x02, 0, 0, 0, 0, 9]));
    assert_eq!(k.work_queue_len(), 1);
    k
}

fn to_json(k: &Kernel) -> Value {
    serde_json::to_value(k).unwrap()
}

/// Loads edited JSON as the CLI does; the loader's verdict.
fn load(v: Value) -> Result<Kernel, String> {
    let mut k: Kernel = serde_json::from_value(v).map_err(|e| format!("serde: {e}"))?;
    k.rebuild_after_load()?;
    Ok(k)
}

#[track_caller]
fn assert_refused(v: Value, reason: &str) {
    match load(v) {
        Ok(_) => panic!("accepted a state that should be refused with {reason:?}"),
        Err(e) => assert!(
            e.contains(reason),
            "refused with {e:?}, expected {reason:?}"
        ),
    }
}

fn id_json(k: &Kernel, name: &str) -> Value {
    let d = k.dev_get_by_name(k.init_net(), name).unwrap();
    serde_json::to_value(d).unwrap()
}

/// The unedited state loads, passes `check_invariants`, and round-trips.
#[test]
fn base_state_round_trips() {
    let k = base();
    k.check_invariants().unwrap();
    let k2 = load(to_json(&k)).unwrap();
    k2.check_invariants().unwrap();
}

// ---- defect 1: the work queue and the clock ------------------------------

/// check_work: each work kind at most once per target. A queue padded to
/// 1,024 copies of one item (it used to panic "work queue overflow" in
/// WorkQueue::schedule on `link set br0 down`) is refused.
#[test]
fn loader_refuses_duplicated_work_items() {
    let k = with_work();
    let mut v = to_json(&k);
    let items = v["workqueue"]["items"].as_array_mut().unwrap();
    let first = items[0].clone();
    items.resize(1024, first);
    assert_refused(v, "the work queue holds an item twice");
}

/// check_work: the saved list is in queueing (seq) order — the queue is
/// a map keyed by seq, so a disordered list is refused, not reordered.
#[test]
fn loader_refuses_disordered_work_items() {
    let k = with_work();
    let mut v = to_json(&k);
    let init = v["init_net"].clone();
    let items = v["workqueue"]["items"].as_array_mut().unwrap();
    let mut second = items[0].clone();
    second["seq"] = Value::from(items[0]["seq"].as_u64().unwrap() - 1);
    second["work"] = serde_json::json!({ "InetCheckLifetime": init });
    items.push(second);
    assert_refused(v, "the work queue is out of order");
}

/// check_work: a bridge work item must name a live bridge (len <= 2 + 2
/// per bridge follows).
#[test]
fn loader_refuses_work_for_a_non_bridge() {
    let k = base();
    let mut v = to_json(&k);
    let item =
        serde_json::json!({"due_ns": 5, "seq": 1, "work": {"BridgeFdbGc": id_json(&k, "p0")}});
    v["workqueue"]["items"].as_array_mut().unwrap().push(item);
    assert_refused(v, "a work item names a device that is not a live bridge");
}

/// check_counters / check_work: the clock and due times are bounded by
/// MAX_CLOCK_NS, so `now + delay` cannot wrap into a rescheduling loop.
#[test]
fn loader_refuses_clock_near_u64_max() {
    let k = base();
    let mut v = to_json(&k);
    v["now_ns"] = Value::from(u64::MAX - 5);
    assert_refused(v, "the virtual clock is out of range");
    let mut v = to_json(&with_work());
    let items = v["workqueue"]["items"].as_array_mut().unwrap();
    items[0]["due_ns"] = Value::from(u64::MAX);
    assert_refused(v, "a work item is due out of range");
}

/// workqueue::time_after / Kernel::advance_to: at the clock's bound every
/// delay saturates, work still drains (run_until_idle returns true, no
/// "keeps rescheduling itself"), and the clock stays within the bound.
#[test]
fn clock_at_its_bound_still_settles() {
    let k = base();
    let mut v = to_json(&k);
    v["now_ns"] = Value::from(ifnet_core::workqueue::MAX_CLOCK_NS);
    let mut k = load(v).unwrap();
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.set_up("br0", false).unwrap();
    c.set_up("br0", true).unwrap();
    c.set_up("p0", false).unwrap();
    c.set_up("p0", true).unwrap();
    assert!(k.run_until_idle());
    assert_eq!(k.now(), Instant::MAX);
    k.check_invariants().unwrap();
    load(to_json(&k)).unwrap();
}

/// An Ethernet frame from `src` to the broadcast address.
fn frame(src: [u8; 6]) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0x08, 0x00]);
    f.resize(60, 0);
    f
}

/// WorkQueue::schedule has no fixed capacity: 600 bridges, each with its
/// fdb gc (a learned address) and forward-delay timer queued, are 1,200
/// items (the old capacity was 1,024); `link set br0 down` works and the state round-trips.
#[test]
fn six_hundred_bridges_with_work_round_trip() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    for i in 0..600u32 {
        let (br, v, p) = (format!("br{i}"), format!("v{i}"), format!("p{i}"));
        let mut c = Client::new(&mut k, init);
        c.add_bridge(&br).unwrap();
        c.add_veth(&v, &p).unwrap();
        c.set_master(&v, Some(&br)).unwrap();
        for n in [&br, &v, &p] {
            c.set_up(n, true).unwrap();
        }
        let pd = k.dev_get_by_name(init, &p).unwrap();
        let [_, _, hi, lo] = i.to_be_bytes();
        k.dev_queue_xmit(pd, &frame([0x02, 0, 0, hi, lo, 1]));
    }
    k.run_due_now();
    // Besides the bridges' 1,200 timers, each device's link-local DAD.
    let bridge_work = k
        .pending_work()
        .iter()
        .filter(|w| {
            matches!(
                w.work,
                ifnet_core::workqueue::Work::BridgeFdbGc(_)
                    | ifnet_core::workqueue::Work::BridgeFwdDelay(_)
            )
        })
        .count();
    assert_eq!(bridge_work, 2 * 600);
    k.check_invariants().unwrap();
    Client::new(&mut k, init).set_up("br0", false).unwrap();
    k.check_invariants().unwrap();
    let mut k2 = load(to_json(&k)).unwrap();
    assert_eq!(k2.work_queue_len(), k.work_queue_len());
    assert!(k2.run_until_idle());
    k2.check_invariants().unwrap();
    load(to_json(&k2)).unwrap();
}

// ---- defect 2: fdb entries ----------------------------------------------

/// check_bridge: an fdb entry names a port of its bridge (p0 is not one;
/// pktgen through br0 used to panic in dev_queue_xmit on it).
#[test]
fn loader_refuses_fdb_entry_on_a_non_port() {
    let k = with_work();
    let mut v = to_json(&k);
    let fdb = dev_json(&mut v, "br0")["driver"]["Bridge"]["fdb"]
        .as_array_mut()
        .unwrap();
    let learned = fdb
        .iter_mut()
        .find(|e| e[1]["is_local"] == false)
        .expect("v0 learned 02:00:00:00:00:09");
    learned[1]["port"] = id_json(&k, "p0");
    assert_refused(v, "bridge br0 has an fdb entry on a port it does not have");
}

// ---- defect 3: states the loader let through ------------------------------

/// check_hw: a bus device's netdev is its registered NIC — not lo (after
/// `hw del` init_net had no loopback) and not a device of another driver.
#[test]
fn loader_refuses_bus_device_naming_lo_or_a_veth() {
    let k = base();
    for name in ["lo", "v0"] {
        let mut v = to_json(&k);
        v["hw"]["devices"]["0000:00:03.0"]["netdev"] = id_json(&k, name);
        assert_refused(v, &format!("bus device 0000:00:03.0 names {name}"));
    }
}

/// check_adjacency: a master is a device that can be an upper (a bridge
/// or net_failover), never a NIC.
#[test]
fn loader_refuses_nic_as_master() {
    let k = base();
    let mut v = to_json(&k);
    dev_json(&mut v, "p0").insert("master".into(), id_json(&k, "eth0"));
    dev_json(&mut v, "eth0").insert("lowers".into(), Value::Array(vec![id_json(&k, "p0")]));
    assert_refused(v, "p0 has master eth0, a device that cannot be an upper");
}

/// check_dev_mtu: min_mtu <= max_mtu, min_mtu <= mtu <= max_mtu, with
/// max_mtu 0 meaning no maximum (dev_validate_mtu), and mtu <= INT_MAX.
#[test]
fn loader_refuses_mtu_outside_the_device_range() {
    let k = base();
    let mut v = to_json(&k);
    let d = dev_json(&mut v, "v0");
    d.insert("min_mtu".into(), Value::from(9000));
    d.insert("max_mtu".into(), Value::from(1500));
    assert_refused(v, "device v0 has min_mtu > max_mtu");
    for mtu in [0u64, 67, 65536] {
        let mut v = to_json(&k);
        dev_json(&mut v, "v0").insert("mtu".into(), Value::from(mtu));
        assert_refused(v, &format!("device v0 has mtu {mtu} outside 68..65535"));
    }
    // lo: min_mtu 0 and max_mtu 0 (no maximum) allow 0 and any s32.
    let mut v = to_json(&k);
    dev_json(&mut v, "lo").insert("mtu".into(), Value::from(0));
    load(v).unwrap();
    let mut v = to_json(&k);
    dev_json(&mut v, "lo").insert("mtu".into(), Value::from(u32::MAX));
    assert_refused(v, "device lo has mtu 4294967295 outside 0..0");
}

/// check_dev_addrs: address and broadcast are `addr_len` of the link type
/// long (6 for Ethernet): no empty MAC, no 2-byte broadcast.
#[test]
fn loader_refuses_address_of_the_wrong_length() {
    let k = base();
    for (field, value) in [
        ("dev_addr", ""),
        ("dev_addr", "02:00:00:00:00:01:02"),
        ("broadcast", "ff:ff"),
    ] {
        let mut v = to_json(&k);
        dev_json(&mut v, "v0").insert(field.into(), Value::from(value));
        assert_refused(
            v,
            "device v0 has an address whose length does not match its link type",
        );
    }
}

/// check_name_tables: names and altnames share one hash per namespace.
#[test]
fn loader_refuses_altname_equal_to_another_name() {
    let k = base();
    let mut v = to_json(&k);
    dev_json(&mut v, "v0").insert("altnames".into(), serde_json::json!(["p0"]));
    assert_refused(v, "altname \"p0\" of v0 is another name in its namespace");
}

/// check_nets: only bind mounts hold a namespace in the model, so one
/// held by none (it would have died at its last umount) is refused.
#[test]
fn loader_refuses_unmounted_namespace() {
    let k = base();
    let mut v = to_json(&k);
    // Slab slots are [generation, value].
    let slots = v["nets"]["slots"].as_array_mut().unwrap();
    let slot = slots
        .iter_mut()
        .find(|s| s[1]["mounts"] == 1)
        .expect("the namespace base() made");
    slot[1]["mounts"] = Value::from(0);
    assert_refused(v, "a namespace is held by no mount");
}

/// NetnsNames (ipnetns.c invalid_name()): iproute2's netns name rules,
/// when adding and when a saved name is checked.
#[test]
fn netns_names_follow_iproute2_rules() {
    let mut k = Kernel::new(KernelProfile::latest());
    let mut names = NetnsNames::default();
    for bad in ["../../etc", "", ".", "..", &"x".repeat(256)] {
        assert_eq!(
            names.add(&mut k, bad).unwrap_err().errno,
            ifnet_core::Errno::EINVAL
        );
    }
    let long = "x".repeat(255);
    let net = names.add(&mut k, &long).unwrap();
    assert_eq!(
        names.add(&mut k, &long).unwrap_err().errno,
        ifnet_core::Errno::EEXIST
    );
    names.check(&k).unwrap();
    let mut v = serde_json::to_value(&names).unwrap();
    v["../../etc"] = serde_json::to_value(net).unwrap();
    let planted: NetnsNames = serde_json::from_value(v).unwrap();
    assert_eq!(
        planted.check(&k).unwrap_err(),
        "invalid netns name \"../../etc\""
    );
    names.del(&mut k, &long).unwrap();
    assert!(!k.net_exists(net));
    assert_eq!(
        names.del(&mut k, &long).unwrap_err().errno,
        ifnet_core::Errno::ENOENT
    );
}

/// check_counters / check_nets / Ring::check / Slab::is_consistent: a
/// state where the next increment of a counter would wrap is refused.
#[test]
fn loader_refuses_counters_about_to_wrap() {
    let k = base();
    let cases: [(&[&str], Value, &str); 5] = [
        (
            &["next_ns_inum"],
            Value::from(u32::MAX),
            "the namespace inode counter is out of range",
        ),
        (
            &["workqueue", "next_seq"],
            Value::from(u64::MAX),
            "the work queue counter is about to wrap",
        ),
        (
            &["next_list_seq"],
            Value::from(u64::MAX),
            "the device list counter is about to wrap",
        ),
        (
            &["mcast", "first_seq"],
            Value::from(u64::MAX),
            "a ring's sequence counter is out of range",
        ),
        (
            &["uevents", "first_seq"],
            Value::from(u64::MAX),
            "a ring's sequence counter is out of range",
        ),
    ];
    for (path, value, reason) in &cases {
        let mut v = to_json(&k);
        let mut at = &mut v;
        for p in *path {
            at = &mut at[*p];
        }
        assert!(!at.is_null(), "{path:?} exists");
        *at = value.clone();
        assert_refused(v, reason);
    }
    // The ifindex allocator's cursor.
    let mut v = to_json(&k);
    v["nets"]["slots"][0][1]["ifindex_cursor"] = Value::from(u32::MAX);
    assert_refused(v, "a namespace's ifindex cursor is out of range");
    // A peer namespace id (peernet2id) at INT_MAX.
    let mut v = to_json(&k);
    let peers = v["nets"]["slots"][0][1]["peer_ids"].as_array_mut().unwrap();
    peers[0][1] = Value::from(i32::MAX);
    assert_refused(v, "a namespace has an invalid peer id");
    // A free device slot whose generation would wrap when reused.
    let mut v = to_json(&k);
    let free = v["devs"]["free"][0].as_u64().expect("base() freed a slot") as usize;
    v["devs"]["slots"][free][0] = Value::from(u32::MAX);
    assert_refused(v, "slab free lists are inconsistent");
}

/// check_inet (invariants/inet.rs): the address lists loaded from a state
/// keep the shape __inet_insert_ifa and ipv6_link_dev_addr give them — a
/// secondary follows a primary of its subnet, nothing is listed twice,
/// IPv6 is sorted by scope and only on a device with an inet6_dev.
#[test]
fn loader_refuses_inconsistent_addresses() {
    let mut k = base();
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_addr("p0", "10.0.0.1/24").unwrap();
    c.add_addr("p0", "10.0.0.2/24").unwrap();
    let nodad = ifnet_core::client::AddrOpts {
        flags: ifnet_core::inet::ifaddr::IFA_F_NODAD,
        ..Default::default()
    };
    let create = netlink_packet_core::NLM_F_CREATE | netlink_packet_core::NLM_F_EXCL;
    c.addr_modify("p0", "2001:db8::1/64", &nodad, create)
        .unwrap();
    k.run_until_idle();
    let v = to_json(&k);
    load(v.clone()).expect("the unedited state loads");
    let edit = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut v = v.clone();
        f(dev_json(&mut v, "p0")["inet"].as_object_mut().unwrap());
        v
    };
    let v4 = |m: &mut serde_json::Map<String, Value>| -> Vec<Value> {
        m["ifa_list"].as_array().unwrap().clone()
    };
    assert_refused(
        edit(&|m| m["ifa_list"][1]["flags"] = Value::from(0x80)),
        "p0: IPv4 primary/secondary flags disagree with the list",
    );
    assert_refused(
        edit(&|m| {
            let mut l = v4(m);
            l.push(l[0].clone());
            m["ifa_list"] = Value::from(l);
        }),
        "p0: an IPv4 address is listed twice",
    );
    assert_refused(
        edit(&|m| {
            m.remove("v6");
        }),
        "p0: IPv6 address list out of bounds",
    );
    assert_refused(
        edit(&|m| {
            let mut l = m["addr6"].as_array().unwrap().clone();
            l.reverse();
            m["addr6"] = Value::from(l);
        }),
        "p0: IPv6 addresses are not sorted by scope",
    );
}
