//! State persistence of the model: a kernel survives a JSON round trip
//! (rebuild_after_load rebuilds the name and index tables) and corrupt
//! state is rejected, never trusted.

use ifnet_core::client::Client;
use ifnet_core::{Kernel, KernelProfile};

fn populated() -> Kernel {
    let mut k = Kernel::new(KernelProfile::preset("5.10").unwrap());
    let init = k.init_net();
    let ns = k.netns_new().unwrap();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    c.add_bridge("br0").unwrap();
    c.set_master("v0", Some("br0")).unwrap();
    c.set_netns("v1", ns, None).unwrap(); // gives init_net a peer id for x
    k.run_until_idle();
    k
}

/// The saved kernel restores names, indexes, peer ids and profile.
#[test]
fn json_round_trip_restores_everything() {
    let mut k = populated();
    let json = serde_json::to_string(&k).unwrap();
    let mut back: Kernel = serde_json::from_str(&json).unwrap();
    back.rebuild_after_load().unwrap();
    assert_eq!(back.profile().name, "5.10");
    let init = back.init_net();
    let ns = back.nets().into_iter().find(|&n| n != init).unwrap();
    assert_eq!(back.peernet2id(init, ns), Some(0));
    let (a, b) = (
        Client::new(&mut k, init).dump(),
        Client::new(&mut back, init).dump(),
    );
    assert_eq!(a, b);
    assert_eq!(Client::new(&mut back, ns).names(), vec!["lo", "v1"]);
}

/// rebuild_after_load(): duplicate names are corruption.
#[test]
fn duplicate_names_are_rejected() {
    let k = populated();
    let json = serde_json::to_string(&k)
        .unwrap()
        .replace("\"br0\"", "\"v0\"");
    let mut back: Kernel = serde_json::from_str(&json).unwrap();
    assert!(back.rebuild_after_load().is_err());
}

/// Fields the state file leaves out at their defaults (zero counters,
/// limits at `alloc_netdev_mqs()`'s values, infinite lifetimes, address
/// list refcounts of 1) come back as they were: the loaded kernel is the
/// same state (`Kernel::same_state`) and saves to the same bytes.
#[test]
fn defaults_left_out_come_back() {
    use ifnet_core::client::AddrOpts;
    use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
    let mut k = Kernel::new(KernelProfile::latest());
    k.set_num_possible_cpus(4);
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    for d in ["v0", "v1"] {
        c.set_up(d, true).unwrap();
    }
    c.add_addr("v0", "10.0.0.1/24").unwrap();
    // lo: one queue of each, a non-default GSO size.
    c.set(
        "lo",
        vec![netlink_packet_route::link::LinkAttribute::GsoMaxSize(32768)],
    )
    .unwrap();
    let finite = AddrOpts {
        lifetimes: Some((300, 200)),
        ..AddrOpts::default()
    };
    c.addr_modify("v0", "2001:db8::1/64", &finite, NLM_F_CREATE | NLM_F_EXCL)
        .unwrap();
    k.run_until_idle();
    let json = serde_json::to_string(&k).unwrap();
    assert!(!json.contains("\"gro_max_size\""), "defaults are left out");
    let mut back: Kernel = serde_json::from_str(&json).unwrap();
    back.rebuild_after_load().unwrap();
    assert!(Kernel::same_state(&k, &back));
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
}
