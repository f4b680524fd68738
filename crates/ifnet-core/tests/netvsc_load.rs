//! Hostile state files around hv_netvsc (load.rs, invariants/netvsc.rs): a
//! state whose netvsc parts contradict each other is refused by
//! `rebuild_after_load` or `check_invariants`, never trusted and never a
//! panic; the genuine one round-trips and keeps working.

mod netvsc_support;

use ifnet_core::client::Client;
use ifnet_core::Kernel;
use netvsc_support::*;
use serde_json::{json, Value};

/// The Azure pair, UP, datapath on the VF, as JSON.
fn saved() -> Value {
    let (mut k, init) = pair("6.18");
    Client::new(&mut k, init).set_up("eth0", true).unwrap();
    k.run_until_idle();
    serde_json::to_value(&k).unwrap()
}

fn loads(v: &Value) -> Result<Kernel, String> {
    let mut k: Kernel = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    k.rebuild_after_load()?;
    k.check_invariants()?;
    Ok(k)
}

/// The device slot whose `driver` has this variant key.
fn dev_with<'a>(v: &'a mut Value, variant: &str) -> &'a mut Value {
    v["devs"]["slots"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .map(|s| &mut s[1])
        .find(|d| d["driver"].get(variant).is_some())
        .unwrap()
}

#[test]
fn genuine_state_round_trips_and_works() {
    let v = saved();
    let mut k = loads(&v).unwrap();
    let init = k.init_net();
    k.hw_del(VF_BUS, false).unwrap();
    k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    k.run_until_idle();
    let ndev = dev(&k, init, "eth0");
    assert!(k.netvsc(ndev).unwrap().data_path_is_vf);
    k.check_invariants().unwrap();
}

/// A host flow (`vf_flows`, a wire::flow::FlowKey) as the state file
/// keeps it.
fn flow() -> Value {
    let zero = [0u8; 16];
    json!({"ethertype": 2048, "proto": 17, "src": zero, "dst": zero, "sport": 1, "dport": 53})
}

/// The host's programmed flows are state (the next packet's path depends
/// on them): a saved flow is still programmed after a load.
#[test]
fn host_flows_survive_a_save() {
    let mut v = saved();
    let p = &mut dev_with(&mut v, "Netvsc")["driver"]["Netvsc"];
    p["vf_flows"] = json!([flow()]);
    let k = loads(&v).unwrap();
    let ndev = dev(&k, k.init_net(), "eth0");
    let flows = &k.netvsc(ndev).unwrap().vf_flows;
    assert_eq!(
        flows.iter().map(|f| (f.sport, f.dport)).collect::<Vec<_>>(),
        [(1, 53)]
    );
    assert_eq!(serde_json::to_value(&k).unwrap(), v);
}

/// Each mutation contradicts the model somewhere (check_netvsc,
/// check_adjacency, check_hw, check_work, check_observation).
#[test]
fn contradictory_netvsc_states_are_refused() {
    type Mutation = (&'static str, fn(&mut Value));
    let cases: [Mutation; 14] = [
        ("dev_list names the VF", |v| {
            v["netvsc"]["dev_list"] = json!([[2, 0]])
        }),
        ("dev_list names a missing device", |v| {
            v["netvsc"]["dev_list"] = json!([[1, 0], [9, 0]])
        }),
        ("dev_list repeats the netvsc", |v| {
            v["netvsc"]["dev_list"] = json!([[1, 0], [1, 0]])
        }),
        ("dev_list loses the netvsc", |v| {
            v["netvsc"]["dev_list"] = json!([])
        }),
        ("module unloaded with the notifier", |v| {
            v["netvsc"]["loaded"] = json!(false)
        }),
        ("notifier twice", |v| {
            v["notifiers"].as_array_mut().unwrap().push(json!("Netvsc"))
        }),
        ("vf_netdev is the loopback", |v| {
            dev_with(v, "Netvsc")["driver"]["Netvsc"]["vf_netdev"] = json!([0, 0])
        }),
        ("vf_netdev dangles", |v| {
            dev_with(v, "Netvsc")["driver"]["Netvsc"]["vf_netdev"] = json!([7, 3])
        }),
        ("no VF but the datapath on it", |v| {
            let d = dev_with(v, "Netvsc");
            d["driver"]["Netvsc"]["vf_netdev"] = Value::Null;
        }),
        ("waiting with an association", |v| {
            dev_with(v, "Netvsc")["driver"]["Netvsc"]["vf_add_waiting"] = json!(true)
        }),
        ("bus netvsc names the VF", |v| {
            v["hw"]["devices"][NETVSC_BUS]["netdev"] = json!([2, 0])
        }),
        ("host flows off the VF path", |v| {
            let p = &mut dev_with(v, "Netvsc")["driver"]["Netvsc"];
            p["data_path_is_vf"] = json!(false);
            p["vf_flows"] = json!([flow()]);
        }),
        ("more host flows than HV_VF_FLOWS_MAX", |v| {
            let max = ifnet_core::drivers::netvsc::HV_VF_FLOWS_MAX;
            let flows: Vec<Value> = (0..=max)
                .map(|i| {
                    let mut f = flow();
                    f["sport"] = json!(i);
                    f
                })
                .collect();
            dev_with(v, "Netvsc")["driver"]["Netvsc"]["vf_flows"] = json!(flows);
        }),
        ("VF slot disagrees with the serial", |v| {
            v["hw"]["devices"][VF_BUS]["spec"]["HvVf"]["serial"] = json!(2)
        }),
    ];
    for (what, mutate) in cases {
        let mut v = saved();
        mutate(&mut v);
        assert!(loads(&v).is_err(), "accepted: {what}");
    }
}

/// Work for a device that is not a netvsc is refused (check_work), so
/// netvsc_vf_takeover / netvsc_vfns_work only ever run on a netvsc.
#[test]
fn netvsc_work_for_another_device_is_refused() {
    for (target, ok) in [([1, 0], true), ([2, 0], false)] {
        let mut v = saved();
        let item = json!({"due_ns": 0, "seq": 0, "work": {"NetvscVfTakeover": target}});
        v["workqueue"]["items"] = json!([item]);
        v["workqueue"]["next_seq"] = json!(1);
        assert_eq!(loads(&v).is_ok(), ok, "{target:?}");
    }
}
