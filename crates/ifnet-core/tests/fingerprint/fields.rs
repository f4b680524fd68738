//! Field coverage: every field of the saved state changes the
//! fingerprint, but for the ones left out on purpose.

use super::*;

/// A kernel with something in every part: namespaces with a moved veth, a
/// bridge with a port and a learnt address, a NIC, the failover trio, a
/// delaying fault on a veth with a frame in flight, work still pending.
fn everything() -> Kernel {
    let (mut k, _) = common::populated();
    let init = k.init_net();
    trio_at(&mut k, ["0000:00:05.0", "0000:00:06.0"], false);
    // hv_netvsc and its VF, datapath switched (netvsc module state, the
    // netvsc's private state, the Hyper-V bus devices).
    let nv_mac = HwAddr::parse("00:0d:3a:8b:00:01").unwrap();
    let nv = k
        .hw_add(
            "f8615163-0000-1000-2000-000d3a8b0001",
            HwSpec::Netvsc {
                mac: nv_mac,
                segment: None,
            },
        )
        .unwrap();
    k.hw_add(
        "7870:00:00.0",
        HwSpec::HvVf {
            mac: nv_mac,
            serial: 1,
            driver: None,
            segment: None,
            no_assoc: false,
        },
    )
    .unwrap();
    let nv = k.dev(nv).name.to_string();
    Client::new(&mut k, init).set_up(&nv, true).unwrap();
    let mut c = Client::new(&mut k, init);
    c.add_veth("f0", "f1").unwrap();
    c.set_up("f0", true).unwrap();
    c.set_up("f1", true).unwrap();
    k.run_until_idle();
    let f0 = k.dev_get_by_name(init, "f0").unwrap();
    let faults = ifnet_core::datapath::segment::Faults {
        delay_ms: 5,
        ..Default::default()
    };
    k.veth_set_faults(f0, faults);
    let a = k.dev(f0).dev_addr.as_bytes().to_vec();
    assert_eq!(k.dev_queue_xmit(f0, &frame(&[0xff; 6], &a)), Xmit::Sent);
    everything_bond(&mut k, init);
    Client::new(&mut k, init).add_veth("late", "latep").unwrap();
    assert!(!k.pending_work().is_empty());
    k
}

/// An active-backup bond over two veths, up with miimon, a primary and a
/// slave prio, an IGMP rejoin pending (bonding's private state, its work).
fn everything_bond(k: &mut Kernel, init: NetId) {
    use netlink_packet_route::link::{
        BondMode, InfoBond, InfoBondPort, InfoPortData, InfoPortKind,
    };
    let mut c = Client::new(k, init);
    for (a, b) in [("bs0", "bp0"), ("bs1", "bp1")] {
        c.add_veth(a, b).unwrap();
        c.set_up(b, true).unwrap();
    }
    let mut m = ifnet_core::client::link_named("bond0");
    m.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Bond),
        LinkInfo::Data(InfoData::Bond(vec![
            InfoBond::Mode(BondMode::ActiveBackup),
            InfoBond::MiiMon(100),
            InfoBond::UpDelay(200),
            InfoBond::ResendIgmp(3),
        ])),
    ]));
    c.request(
        RouteNetlinkMessage::NewLink(m),
        NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
    )
    .unwrap();
    c.set_master("bs0", Some("bond0")).unwrap();
    c.set_master("bs1", Some("bond0")).unwrap();
    c.set(
        "bs1",
        vec![LinkAttribute::LinkInfo(vec![
            LinkInfo::PortKind(InfoPortKind::Bond),
            LinkInfo::PortData(InfoPortData::BondPort(vec![InfoBondPort::Prio(7)])),
        ])],
    )
    .unwrap();
    c.set_up("bond0", true).unwrap();
    k.run_until_idle();
    k.sleep(ifnet_core::time::Duration::from_millis(1000));
    let bp0 = k.dev_get_by_name(init, "bp0").unwrap();
    let bs1 = k.dev_get_by_name(init, "bs1").unwrap();
    // bs1 (prio 7) took over; bp0 down makes bs0 DOWN with a failure.
    Client::new(k, init).set_up("bp0", false).unwrap();
    k.sleep(ifnet_core::time::Duration::from_millis(300));
    let _ = (bp0, bs1);
}

/// Saved fields the fingerprint leaves out on purpose (fingerprint/ docs):
/// slab bookkeeping and ids (checked by the loader), names and orders the
/// model hands out (only their order is hashed), and observation.
const NEUTRAL: &[&str] = &[
    "devs.slots[*][*]",
    "nets.slots[*][*]",
    "nets.slots[*][*].inum",
    "next_ns_inum",
    "next_list_seq",
    "devs.slots[*][*].list_seq",
    "workqueue.next_seq",
    "workqueue.items[*].seq",
    "linkwatch_nextevent_ns",
    "devs.slots[*][*].driver.Bridge.timer_seq",
    "devs.slots[*][*].driver.Bridge.ports[*].fwd_delay_seq",
];

pub(crate) const OBSERVATION: &[&str] = &["uevents", "mcast", "log", "captures"];

/// Every leaf of a saved state, with its path (indexes as `[*]` in the
/// pattern, literally in the pointer).
fn leaves(v: &serde_json::Value, ptr: String, pat: String, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = if pat.is_empty() {
                    k.clone()
                } else {
                    format!("{pat}.{k}")
                };
                leaves(x, format!("{ptr}/{k}"), p, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, format!("{ptr}/{i}"), format!("{pat}[*]"), out);
            }
        }
        _ => out.push((ptr, pat)),
    }
}

fn mutated(v: &serde_json::Value) -> Option<serde_json::Value> {
    use serde_json::Value;
    Some(match v {
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => Value::from(n.as_u64()?.checked_add(1)?),
        Value::String(s) if s.contains(':') => return None, // an address: format-checked
        Value::String(s) => Value::String(format!("{s}x")),
        _ => return None,
    })
}

/// Every field of the saved state changes the fingerprint (so a field
/// added to a state struct and saved cannot be left out silently), except
/// the ones `NEUTRAL` lists and observation. A mutation the loader or
/// `check_invariants` refuses is skipped: no kernel can be in that state.
#[test]
fn every_saved_field_counts() {
    let k = everything();
    let f = k.fingerprint();
    let v = serde_json::to_value(&k).unwrap();
    let mut all = Vec::new();
    leaves(&v, String::new(), String::new(), &mut all);
    let (mut tried, mut neutral) = (0, std::collections::BTreeSet::new());
    for (ptr, pat) in all {
        let under = |o: &str| {
            pat.strip_prefix(o)
                .is_some_and(|r| r.is_empty() || r.starts_with(['.', '[']))
        };
        if OBSERVATION.iter().any(|o| under(o)) {
            continue;
        }
        let mut w = v.clone();
        let Some(new) = mutated(w.pointer(&ptr).unwrap()) else {
            continue;
        };
        *w.pointer_mut(&ptr).unwrap() = new;
        let Ok(mut m) = serde_json::from_value::<Kernel>(w) else {
            continue;
        };
        if m.rebuild_after_load().is_err() || m.check_invariants().is_err() {
            continue;
        }
        tried += 1;
        if m.fingerprint() == f {
            neutral.insert(pat);
        }
    }
    println!("{tried} mutations loaded; neutral: {neutral:?}");
    assert!(tried > 300, "only {tried} mutations loaded");
    let unexpected: Vec<&String> = neutral
        .iter()
        .filter(|p| !NEUTRAL.contains(&p.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "saved but not fingerprinted: {unexpected:?}"
    );
}
