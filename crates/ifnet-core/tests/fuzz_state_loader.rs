//! Robustness of the state file loader (issue 2, acceptance 5):
//! `state_loader_never_panics` runs the loader
//! (`serde_json::from_str::<Kernel>` + `Kernel::rebuild_after_load`) on
//! mutated JSON; an accepted state must then survive being used. The
//! regressions that target found are in `state_loader_regressions.rs`.
//!
//! Mutations: hostile numbers (0, negative, u32/u64 limits, near the
//! clock bound), strings, deleted keys, duplicated and grown lists (up to
//! 1,100 repeats), swapped numbers and swapped ids. An accepted state must
//! pass `Kernel::check_invariants`, keep it after every step of a random
//! run (link requests, netns add/del, hw add/del, frames, link down/up,
//! deletes, captures, clock advances, settling) and of `exercise`, and
//! what it then saves must load again.
//!
//! `PROPTEST_CASES` scales the proptest target (the default below keeps it
//! well under 60 s in `cargo test --release` on two cores).

mod common;

use common::ops::{live_nets, op, run_op, Op};
use common::{cases, check_invariants, populated};
use ifnet_core::client::{link_name, Client};
use ifnet_core::time::Duration;
use ifnet_core::Kernel;
use proptest::prelude::*;
use serde_json::Value;

// ---------------------------------------------------------------------------
// (c) the state loader

#[derive(Debug, Clone)]
enum JsonMut {
    /// Replace the n-th number (any depth) with a hostile value.
    Number(usize, i128),
    /// Replace the n-th string with another string.
    Str(usize, String),
    /// Delete the n-th object key.
    DeleteKey(usize),
    /// Duplicate the n-th array element (e.g. a device slot or a lower).
    DupElem(usize),
    /// Swap the values of the n-th and m-th numbers.
    SwapNumbers(usize, usize),
    /// Replace the n-th value of any kind with null / an empty container.
    Nullify(usize, u8),
    /// Grow the n-th non-empty array by repeating one of its elements
    /// (up to 1,100 times, past the old fixed capacities of 1,024).
    GrowList(usize, usize, usize),
    /// Swap the n-th and m-th ids (`[index, generation]` pairs: device and
    /// namespace ids).
    SwapIds(usize, usize),
}

fn json_mut() -> impl Strategy<Value = JsonMut> {
    let num = prop_oneof![
        -2i128..4,
        Just(u32::MAX as i128),
        Just(u32::MAX as i128 + 1),
        Just(i32::MAX as i128),
        Just(u64::MAX as i128),
        Just(u64::MAX as i128 - 1),
        Just(1i128 << 62),
        Just((1i128 << 62) + 1),
        Just(-(1i128 << 63)),
        any::<i32>().prop_map(|v| v as i128),
    ];
    prop_oneof![
        4 => (any::<usize>(), num).prop_map(|(i, v)| JsonMut::Number(i, v)),
        3 => (any::<usize>(), prop_oneof![
                Just(String::new()),
                Just("lo".to_string()),
                Just("v0".to_string()),
                Just("sixteen-bytes-xy".to_string()),
                Just("ff:ff:ff:ff:ff:ff".to_string()),
                Just("01:02".to_string()),
                Just("Registered".to_string()),
                Just("Unregistering".to_string()),
                Just("Veth".to_string()),
                Just("Bridge".to_string()),
                "[a-z:%0-9]{0,20}",
            ]).prop_map(|(i, s)| JsonMut::Str(i, s)),
        3 => any::<usize>().prop_map(JsonMut::DeleteKey),
        3 => any::<usize>().prop_map(JsonMut::DupElem),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| JsonMut::SwapNumbers(a, b)),
        1 => (any::<usize>(), 0u8..3).prop_map(|(i, k)| JsonMut::Nullify(i, k)),
        2 => (any::<usize>(), any::<usize>(), prop_oneof![1usize..8, Just(1023), Just(1100)])
            .prop_map(|(i, e, n)| JsonMut::GrowList(i, e, n)),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| JsonMut::SwapIds(a, b)),
    ]
}

/// Visits values depth-first; `f` gets each value and its running count.
fn walk(v: &mut Value, f: &mut dyn FnMut(&mut Value) -> bool) -> bool {
    if f(v) {
        return true;
    }
    match v {
        Value::Array(a) => a.iter_mut().any(|x| walk(x, f)),
        Value::Object(o) => o.values_mut().any(|x| walk(x, f)),
        _ => false,
    }
}

fn count(v: &mut Value, pred: &dyn Fn(&Value) -> bool) -> usize {
    let mut n = 0;
    walk(v, &mut |x| {
        if pred(x) {
            n += 1;
        }
        false
    });
    n
}

/// Applies `g` to the `target % count`-th value matching `pred`.
fn at_nth(
    v: &mut Value,
    pred: &dyn Fn(&Value) -> bool,
    target: usize,
    g: &mut dyn FnMut(&mut Value),
) {
    let total = count(v, pred);
    if total == 0 {
        return;
    }
    let want = target % total;
    let mut seen = 0;
    walk(v, &mut |x| {
        if pred(x) {
            if seen == want {
                g(x);
                return true;
            }
            seen += 1;
        }
        false
    });
}

fn number(v: i128) -> Value {
    if v >= 0 {
        Value::from(v.min(u64::MAX as i128) as u64)
    } else {
        Value::from(v.max(i64::MIN as i128) as i64)
    }
}

fn apply_json(v: &mut Value, m: &JsonMut) {
    match m {
        JsonMut::Number(i, val) => at_nth(v, &|x| x.is_number(), *i, &mut |x| *x = number(*val)),
        JsonMut::Str(i, s) => at_nth(v, &|x| x.is_string(), *i, &mut |x| {
            *x = Value::from(s.clone())
        }),
        JsonMut::DeleteKey(i) => {
            let total: usize = {
                let mut n = 0;
                walk(v, &mut |x| {
                    if let Value::Object(o) = x {
                        n += o.len();
                    }
                    false
                });
                n
            };
            if total == 0 {
                return;
            }
            let mut want = i % total;
            walk(v, &mut |x| {
                if let Value::Object(o) = x {
                    if want < o.len() {
                        let key = o.keys().nth(want).cloned().expect("in range");
                        o.remove(&key);
                        return true;
                    }
                    want -= o.len();
                }
                false
            });
        }
        JsonMut::DupElem(i) => at_nth(
            v,
            &|x| x.as_array().is_some_and(|a| !a.is_empty()),
            *i,
            &mut |x| {
                let a = x.as_array_mut().expect("array");
                let e = a[*i % a.len()].clone();
                a.push(e);
            },
        ),
        JsonMut::SwapNumbers(a, b) => {
            let mut nums = Vec::new();
            walk(v, &mut |x| {
                if x.is_number() {
                    nums.push(x.clone());
                }
                false
            });
            if nums.is_empty() {
                return;
            }
            let (va, vb) = (nums[a % nums.len()].clone(), nums[b % nums.len()].clone());
            at_nth(v, &|x| x.is_number(), *a, &mut |x| *x = vb.clone());
            at_nth(v, &|x| x.is_number(), *b, &mut |x| *x = va.clone());
        }
        JsonMut::GrowList(i, e, n) => at_nth(
            v,
            &|x| x.as_array().is_some_and(|a| !a.is_empty()),
            *i,
            &mut |x| {
                let a = x.as_array_mut().expect("array");
                let el = a[*e % a.len()].clone();
                a.extend(std::iter::repeat_n(el, *n));
            },
        ),
        JsonMut::SwapIds(a, b) => {
            let is_id = |x: &Value| {
                x.as_array()
                    .is_some_and(|p| p.len() == 2 && p.iter().all(|n| n.is_u64()))
            };
            let mut ids = Vec::new();
            walk(v, &mut |x| {
                if is_id(x) {
                    ids.push(x.clone());
                }
                false
            });
            if ids.is_empty() {
                return;
            }
            let (va, vb) = (ids[a % ids.len()].clone(), ids[b % ids.len()].clone());
            at_nth(v, &is_id, *a, &mut |x| *x = vb.clone());
            at_nth(v, &is_id, *b, &mut |x| *x = va.clone());
        }
        JsonMut::Nullify(i, kind) => at_nth(v, &|_| true, *i, &mut |x| {
            *x = match kind {
                0 => Value::Null,
                1 => Value::Array(Vec::new()),
                _ => Value::Object(Default::default()),
            }
        }),
    }
}

#[derive(Debug, Clone)]
enum TextMut {
    Truncate(usize),
    Flip(usize, u8),
}

fn text_mut() -> impl Strategy<Value = TextMut> {
    prop_oneof![
        any::<usize>().prop_map(TextMut::Truncate),
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| TextMut::Flip(i, x)),
    ]
}

/// Uses a loaded kernel the way the CLI would: dumps, lookups, deletes,
/// namespace teardown and settling. None of it may panic.
fn exercise(k: &mut Kernel) {
    for net in live_nets(k) {
        let names: Vec<String> = Client::new(k, net)
            .dump()
            .iter()
            .filter_map(link_name)
            .collect();
        for n in &names {
            let mut c = Client::new(k, net);
            let _ = c.get(n);
            let _ = c.set_up(n, true);
            let _ = c.rename(n, "renamed0");
            let _ = c.set_master("renamed0", Some("br0"));
            let _ = c.set_up("renamed0", false);
            let _ = c.del("renamed0");
            let _ = c.del(n);
        }
        let _ = Client::new(k, net).add_veth("fresh0", "fresh1");
        let _ = Client::new(k, net).add_bridge("fresh2");
    }
    let init = k.init_net();
    for net in k.nets().into_iter().filter(|&n| n != init) {
        let _ = k.netns_put(net);
    }
    k.run_until_idle();
}

/// Panics already reported, each pinned by an `#[ignore]`d regression test
/// at the end of this file. They are tolerated here so CI stays green while
/// the core is fixed; remove an entry when its regression test passes.
const KNOWN_LOADER_PANICS: &[&str] = &[
    // All loader panics found so far are fixed; keep this list empty.
];

/// What an accepted state is put through besides link requests: the
/// hardware bus, frames (pktgen's `dev_queue_xmit`), link down/up, taps,
/// the clock and settling.
#[derive(Debug, Clone)]
enum StateOp {
    Common(Op),
    HwAdd(u8, u8),
    HwDel(u8, bool),
    /// A frame from the n-th device: broadcast, or to the m-th device.
    Xmit(usize, Option<usize>),
    SetUp(usize, bool),
    Del(usize),
    Capture(usize),
    Advance(u64),
    Settle,
}

fn state_op() -> impl Strategy<Value = StateOp> {
    prop_oneof![
        4 => op().prop_map(StateOp::Common),
        1 => (0u8..3, 0u8..4).prop_map(|(b, t)| StateOp::HwAdd(b, t)),
        1 => (0u8..3, any::<bool>()).prop_map(|(b, p)| StateOp::HwDel(b, p)),
        3 => (any::<usize>(), prop::option::of(any::<usize>())).prop_map(|(a, b)| StateOp::Xmit(a, b)),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(d, up)| StateOp::SetUp(d, up)),
        1 => any::<usize>().prop_map(StateOp::Del),
        1 => any::<usize>().prop_map(StateOp::Capture),
        1 => prop_oneof![Just(1_000_000_000u64), Just(301_000_000_000), Just(u64::MAX)].prop_map(StateOp::Advance),
        1 => Just(StateOp::Settle),
    ]
}

/// Every registered device, with its namespace, in a stable order.
fn all_devices(k: &Kernel) -> Vec<(ifnet_core::NetId, ifnet_core::DevId)> {
    live_nets(k)
        .into_iter()
        .flat_map(|n| k.devices_in(n).into_iter().map(move |d| (n, d)))
        .collect()
}

fn run_state_op(k: &mut Kernel, op: &StateOp, seq: u32) {
    let devs = all_devices(k);
    let pick = |i: usize| devs[i % devs.len()];
    match op {
        StateOp::Common(op) => {
            run_op(k, op, seq);
        }
        StateOp::HwAdd(bus, kind) => {
            let mac = ifnet_core::HwAddr::new(&[0x52, 0x54, 0, 0, *kind, *bus + 1]).unwrap();
            let segment = None;
            let spec = match kind {
                0 => ifnet_core::HwSpec::Nic {
                    mac,
                    driver: None,
                    segment,
                },
                1 => ifnet_core::HwSpec::Vf {
                    mac,
                    driver: None,
                    segment,
                },
                s => ifnet_core::HwSpec::VirtioNet {
                    mac,
                    standby: *s == 2,
                    segment,
                },
            };
            let _ = k.hw_add(&format!("0000:00:1{bus}.0"), spec);
        }
        StateOp::HwDel(bus, planned) => {
            let _ = k.hw_del(&format!("0000:00:1{bus}.0"), *planned);
            let _ = k.hw_del("0000:00:03.0", *planned);
        }
        StateOp::Xmit(from, to) => {
            let (_, d) = pick(*from);
            let src = k.dev(d).dev_addr.as_bytes().to_vec();
            let dst = match to {
                Some(t) => k.dev(pick(*t).1).dev_addr.as_bytes().to_vec(),
                None => vec![0xff; 6],
            };
            let mut f: Vec<u8> = dst.into_iter().chain(src).take(12).collect();
            f.resize(60, 0x5a);
            k.dev_queue_xmit(d, &f);
        }
        StateOp::SetUp(i, up) => {
            let (n, d) = pick(*i);
            let name = k.dev(d).name.to_string();
            let _ = Client::new(k, n).set_up(&name, *up);
        }
        StateOp::Del(i) => {
            let (n, d) = pick(*i);
            let name = k.dev(d).name.to_string();
            let _ = Client::new(k, n).del(&name);
        }
        StateOp::Capture(i) => {
            let d = pick(*i).1;
            if !k.capture_start(d, "fuzz") {
                let _ = k.capture_drain(d);
            }
        }
        StateOp::Advance(dt) => k.advance_to(k.now() + Duration::from_nanos(*dt)),
        StateOp::Settle => {
            k.run_until_idle();
        }
    }
}

/// `Kernel::check_invariants` must hold on every state the loader accepts
/// and after every step the model takes from it.
fn invariant(k: &Kernel, after: &dyn std::fmt::Debug) -> Result<(), TestCaseError> {
    let r = k.check_invariants();
    prop_assert!(r.is_ok(), "check_invariants after {:?}: {:?}", after, r);
    Ok(())
}

/// Loads a state file's text as the CLI does; if the loader accepts it,
/// runs `run` and `exercise` on it with the invariants checked after every
/// step, and what it then saves must load again.
fn load_and_exercise(text: &str, run: &[StateOp]) -> Result<(), TestCaseError> {
    let Ok(mut k) = serde_json::from_str::<Kernel>(text) else {
        return Ok(());
    };
    if k.rebuild_after_load().is_err() {
        return Ok(());
    }
    invariant(&k, &"load")?;
    check_invariants(&mut k)?;
    for (i, op) in run.iter().enumerate() {
        run_state_op(&mut k, op, i as u32 + 100);
        invariant(&k, op)?;
    }
    exercise(&mut k);
    invariant(&k, &"exercise")?;
    check_invariants(&mut k)?;
    let saved = serde_json::to_string(&k).expect("serialise");
    let mut back: Kernel = serde_json::from_str(&saved).expect("own state parses");
    let reloaded = back.rebuild_after_load();
    prop_assert!(reloaded.is_ok(), "own state refused: {:?}", reloaded);
    Ok(())
}

/// The JSON of a kernel built by a random op sequence.
fn random_state() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 0..8)
}

proptest! {
    #![proptest_config(cases(4000))]

    /// The state-file loader: `serde_json::from_str::<Kernel>` then
    /// `Kernel::rebuild_after_load` on mutated JSON (structural mutations on
    /// the value tree, then truncation and byte flips on the text). Never a
    /// panic; an `Err` is fine; a state it accepts must keep the dump
    /// invariants and survive being used (`exercise`).
    #[test]
    fn state_loader_never_panics(
        ops in random_state(),
        muts in prop::collection::vec(json_mut(), 0..4),
        text in prop::collection::vec(text_mut(), 0..2),
        run in prop::collection::vec(state_op(), 0..10),
    ) {
        let (mut k, _) = populated();
        for (i, op) in ops.iter().enumerate() {
            run_op(&mut k, op, i as u32 + 1);
        }
        let mut v = serde_json::to_value(&k).expect("serialise");
        for m in &muts {
            apply_json(&mut v, m);
        }
        let mut s = serde_json::to_string(&v).expect("serialise value").into_bytes();
        for t in &text {
            match t {
                TextMut::Truncate(i) => s.truncate(i % (s.len() + 1)),
                TextMut::Flip(i, x) => {
                    if !s.is_empty() {
                        let n = s.len();
                        s[i % n] ^= x;
                    }
                }
            }
        }
        let Ok(text) = String::from_utf8(s) else {
            return Ok(());
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load_and_exercise(&text, &run)));
        match outcome {
            Ok(r) => r?,
            Err(p) => {
                // Keep the state that panicked so it can be replayed with
                // `ifnet --state FILE link show` or `load_and_exercise`.
                let path = std::env::temp_dir().join("ifnet-fuzz-loader-panic.json");
                let _ = std::fs::write(&path, &text);
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                if KNOWN_LOADER_PANICS.iter().any(|k| msg.contains(k)) {
                    return Ok(());
                }
                prop_assert!(false, "panic {:?}; state saved in {}", msg, path.display());
            }
        }
    }
}
