//! Shared fixtures of the integration tests and benches: for the fuzz
//! targets (`fuzz_rtnl_bytes`, `fuzz_link_messages`, `fuzz_state_loader`)
//! the proptest config (`PROPTEST_CASES`), a populated kernel, and the
//! reply and namespace invariant checks, with `ops` the structured
//! link-message generator; for the datapath tests and benches the bridged
//! and namespaced veth set-ups (`bridged_hosts`, `bridge_with_veths`,
//! `veth_between_namespaces`, `quiet_up`).
//!
//! Each user takes only part of this module.
#![allow(dead_code)]

pub mod ops;

use ifnet_core::client::{link_name, Client};
use ifnet_core::{DevId, Kernel, KernelProfile, NetId};
use netlink_packet_core::NetlinkMessage;
use netlink_packet_route::RouteNetlinkMessage;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::collections::BTreeSet;

pub fn cases(default: u32) -> Config {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// Shared fixtures

/// A kernel with init_net, two named namespaces and a few devices of each
/// kind, so that random requests hit existing names, indexes and fds.
pub fn populated() -> (Kernel, Vec<NetId>) {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let a = k.netns_new().unwrap();
    let b = k.netns_new().unwrap();
    {
        let mut c = Client::new(&mut k, init);
        c.add_veth("v0", "p0").unwrap();
        c.add_bridge("br0").unwrap();
        c.set_master("v0", Some("br0")).unwrap();
        c.set_up("br0", true).unwrap();
        c.set_up("v0", true).unwrap();
    }
    {
        let mut c = Client::new(&mut k, a);
        c.add_veth("v1", "p1").unwrap();
        c.set_netns("p1", b, None).unwrap();
    }
    let mac = ifnet_core::HwAddr::new(&[0x52, 0x54, 0, 0x12, 0x34, 0x56]).unwrap();
    k.hw_add(
        "0000:00:03.0",
        ifnet_core::HwSpec::Nic {
            mac,
            driver: None,
            segment: None,
        },
    )
    .unwrap();
    (k, vec![init, a, b])
}

/// br0 in init_net with ports p1, p2 whose veth peers are h1, h2,
/// everything UP and settled.
pub fn bridged_hosts(k: &mut Kernel) {
    bridge_with_veths(k, &[("h1", "p1"), ("h2", "p2")]);
}

/// br0 in init_net and a veth pair per `(host, port)`, each port in br0,
/// everything UP and settled.
pub fn bridge_with_veths(k: &mut Kernel, pairs: &[(&str, &str)]) {
    let init = k.init_net();
    let mut c = Client::new(k, init);
    c.add_bridge("br0").unwrap();
    for &(h, p) in pairs {
        c.add_veth(h, p).unwrap();
        c.set_master(p, Some("br0")).unwrap();
        c.set_up(p, true).unwrap();
        c.set_up(h, true).unwrap();
    }
    c.set_up("br0", true).unwrap();
    k.run_until_idle();
}

/// The device called `name` in `net`.
pub fn dev(k: &Kernel, net: NetId, name: &str) -> DevId {
    k.dev_get_by_name(net, name).unwrap()
}

/// `ip link set NAME addrgenmode none up`: no link-local, so no DAD
/// probes on the wire among the frames a test counts.
pub fn quiet_up(c: &mut Client, name: &str) {
    c.set_addrgenmode(name, 1).unwrap();
    c.set_up(name, true).unwrap();
}

/// Two namespaces joined by a veth pair (a0 in init_net, b0 in a new
/// one), both ends UP without link-locals, settled.
pub fn veth_between_namespaces() -> (Kernel, DevId, DevId) {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    let mut c = Client::new(&mut k, init);
    c.add_veth("a0", "b0").unwrap();
    c.set_netns("b0", ns, None).unwrap();
    quiet_up(&mut c, "a0");
    quiet_up(&mut Client::new(&mut k, ns), "b0");
    k.run_until_idle();
    let (a, b) = (dev(&k, init, "a0"), dev(&k, ns, "b0"));
    (k, a, b)
}

/// Every reply must be a whole, parseable netlink message.
pub fn check_replies(replies: &[Vec<u8>]) -> Result<(), TestCaseError> {
    for r in replies {
        prop_assert!(r.len() >= 16, "reply shorter than a header: {r:?}");
        let len = u32::from_ne_bytes([r[0], r[1], r[2], r[3]]) as usize;
        prop_assert_eq!(len, r.len(), "nlmsg_len disagrees with the reply length");
        let parsed = NetlinkMessage::<RouteNetlinkMessage>::deserialize(r);
        prop_assert!(
            parsed.is_ok(),
            "unparseable reply {:?}: {:?}",
            r,
            parsed.err()
        );
    }
    Ok(())
}

/// Invariants of every live namespace, observed through an RTM_GETLINK dump
/// and the lookup functions: names unique, ifindexes unique, ifindex 1 is the loopback, and
/// every dumped device resolves by name and by index to itself.
pub fn check_invariants(k: &mut Kernel) -> Result<(), TestCaseError> {
    for net in k.nets() {
        let dump = Client::new(k, net).dump();
        let mut names = BTreeSet::new();
        let mut indexes = BTreeSet::new();
        for m in &dump {
            let name = link_name(m).unwrap_or_default();
            let idx = m.header.index;
            prop_assert!(
                names.insert(name.clone()),
                "duplicate name {name:?} in a dump"
            );
            prop_assert!(indexes.insert(idx), "duplicate ifindex {idx} in a dump");
            prop_assert!(idx > 0, "ifindex 0 for {name:?}");
            let by_name = k.dev_get_by_name(net, &name);
            prop_assert!(
                by_name.is_some(),
                "dumped {name:?} does not resolve by name"
            );
            let by_index = k.dev_get_by_index(net, idx);
            prop_assert_eq!(by_name, by_index, "{} and ifindex {} disagree", name, idx);
            let d = k.dev(by_name.unwrap());
            prop_assert_eq!(d.ifindex, idx);
            prop_assert_eq!(d.name.as_str(), name.as_str());
            prop_assert_eq!(d.net, net);
        }
        prop_assert_eq!(dump.len(), k.net(net).device_count(), "dump misses devices");
        // lo may be renamed (dev_change_name does not refuse it), but it
        // keeps ifindex 1 and IFF_LOOPBACK in every namespace.
        let lo = k.dev_get_by_index(net, 1);
        prop_assert!(lo.is_some(), "namespace without ifindex 1");
        prop_assert!(
            k.dev(lo.unwrap()).flags & 0x8 != 0,
            "ifindex 1 is not the loopback device"
        );
    }
    Ok(())
}

/// The device object of `name` inside a serialised kernel (slots are
/// `[generation, device]`).
pub fn dev_json<'v>(
    v: &'v mut serde_json::Value,
    name: &str,
) -> &'v mut serde_json::Map<String, serde_json::Value> {
    v["devs"]["slots"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .filter_map(|s| s[1].as_object_mut())
        .find(|d| d["name"] == name)
        .unwrap()
}
