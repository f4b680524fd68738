//! The regressions `fuzz_state_loader` found, one test each: state files
//! the loader (`serde_json::from_value::<Kernel>` +
//! `Kernel::rebuild_after_load`) once accepted and the kernel then
//! panicked on, each now refused with the check that names it, and a
//! namespace name bound to init_net that user space now refuses.

mod common;

use common::dev_json;
use ifnet_core::client::Client;
use ifnet_core::user_space::NetnsNames;
use ifnet_core::{Kernel, KernelProfile};
use serde_json::Value;

/// A bridge with one port: v0 (veth, peer p0) enslaved to br0.
fn bridge_with_port() -> Kernel {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "p0").unwrap();
    c.add_bridge("br0").unwrap();
    c.set_master("v0", Some("br0")).unwrap();
    k
}

/// `bridge_with_port()`'s state file after `edit` changed its JSON (the
/// kernel it was saved from at hand), loaded: what `rebuild_after_load`
/// refuses it with.
fn rejection(edit: impl FnOnce(&mut Value, &Kernel)) -> String {
    let k = bridge_with_port();
    let mut v = serde_json::to_value(&k).unwrap();
    edit(&mut v, &k);
    let mut k2: Kernel = serde_json::from_value(v).unwrap();
    k2.rebuild_after_load().unwrap_err()
}

/// `Kernel::rebuild_after_load` accepts a state whose adjacency is not
/// symmetric: v0's `master` key is deleted from the file, but br0 still has
/// v0 in `lowers` (and as a bridge port). Deleting br0 then reaches the
/// `debug_assert!` in `unregister_netdevice_many` ("Notifier chain MUST
/// detach us all upper devices", register.rs) — a panic in debug builds, a
/// silently inconsistent kernel in release builds. The loader should
/// reject the file (master ⇔ lowers, bridge ports ⇔ rx_handler).
#[test]
fn loader_rejects_asymmetric_master() {
    let err = rejection(|v, _| {
        dev_json(v, "v0").remove("master");
    });
    // check_links: a device with the bridge-port rx_handler is a port of
    // its master (v0 kept the handler but lost its master).
    assert_eq!(err, "bridge port v0 is not in its bridge");
}

/// `Kernel::rebuild_after_load` accepts a state in which init_net's
/// loopback has `reg_state: "Unregistering"`: lo is then missing from the
/// name and index tables (no ifindex 1, `ip link show lo` fails) although
/// the device exists. The loader should reject devices that are not
/// Registered unless they are on the todo list, and require a registered
/// loopback in every namespace.
#[test]
fn loader_rejects_unregistered_loopback() {
    let err = rejection(|v, _| {
        dev_json(v, "lo").insert("reg_state".into(), Value::from("Unregistering"));
    });
    // check_reg_states: only Registered, or Unregistered on the todo list.
    assert_eq!(err, "device lo is in state Unregistering");
}

/// `Kernel::rebuild_after_load` checks that a veth's peer exists but not
/// that the peer points back: with v0's `driver.Veth.peer` deleted from the
/// file, `ip link del v0` frees v0 alone, and `ip link del p0` then follows
/// p0's stale peer id into `veth_dellink` → `Kernel::dev_mut` panics with
/// "live device id" (kernel.rs) — in release builds too. The same happens
/// through `cleanup_net` when the two ends live in different namespaces.
#[test]
fn loader_rejects_asymmetric_veth_peer() {
    let err = rejection(|v, _| {
        dev_json(v, "v0")["driver"]["Veth"]
            .as_object_mut()
            .unwrap()
            .remove("peer");
    });
    // check_links: p0's peer v0 must name p0 back.
    assert_eq!(err, "veth p0 and its peer disagree");
}

/// `Kernel::rebuild_after_load` accepts a device whose `reg_state` is
/// "Unregistering" although it is on no todo list (it is just left out of
/// the name and index tables). `ip link del p0` then makes `veth_dellink`
/// queue both ends, and `unregister_netdevice_many` hits its
/// `debug_assert!` "unregistering a device that is not registered"
/// (register.rs). The loader should accept only Registered devices, or
/// Unregistered ones that are on `todo_list`.
#[test]
fn loader_rejects_unregistering_device() {
    let err = rejection(|v, _| {
        dev_json(v, "v0").insert("reg_state".into(), Value::from("Unregistering"));
    });
    // check_reg_states: v0 is on no todo list.
    assert_eq!(err, "device v0 is in state Unregistering");
}

/// `Kernel::rebuild_after_load` does not check a bridge's port list
/// against its lowers: with br0's `ports[0].dev` pointing at p0 instead of
/// v0 (found by `cargo fuzz run state_loader`), `ip link del p0` frees p0
/// and v0, the stale port entry stays, and `ip link del br0` then reaches
/// `br_dev_delete` → `br_del_if` → `br_port_get` on the freed id →
/// `Kernel::dev` panics with "live device id" (kernel.rs), in release too.
#[test]
fn loader_rejects_inconsistent_bridge_ports() {
    let err = rejection(|v, k| {
        let p0 = k.dev_get_by_name(k.init_net(), "p0").unwrap();
        dev_json(v, "br0")["driver"]["Bridge"]["ports"][0]["dev"] =
            serde_json::to_value(p0).unwrap();
    });
    // check_links: bridge ports and the ports' rx_handlers agree (v0 is a
    // port no longer in br0's port list).
    assert_eq!(err, "bridge port v0 is not in its bridge");
}

/// A saved name bound to init_net (found by swapping two numbers in the
/// file) once made `ip netns del a` call `cleanup_net(init_net)` and hit
/// "init_net never dies". The names are user space's now: a name without
/// its mount is refused by `NetnsNames::check`, and `Kernel::netns_put` of
/// an unmounted init_net is ENOENT, never a cleanup.
#[test]
fn name_bound_to_init_net_is_refused() {
    let mut k = bridge_with_port();
    let init = serde_json::to_value(k.init_net()).unwrap();
    let names: NetnsNames = serde_json::from_value(serde_json::json!({ "a": init })).unwrap();
    assert_eq!(
        names.check(&k).unwrap_err(),
        "a namespace is mounted 0 times but has 1 names"
    );
    let init = k.init_net();
    assert_eq!(
        k.netns_put(init).unwrap_err().errno,
        ifnet_core::Errno::ENOENT
    );
    assert!(k.dev_get_by_index(init, 1).is_some());
    k.check_invariants().unwrap();
}
