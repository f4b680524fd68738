//! Tests of the step cache (`step_cache.rs`): each names the mechanism
//! it pins and would fail without it.

use super::*;
use crate::step_memo::request_memo;
use crate::{builtin, Scenario};

/// Two kernel-changing steps that commute reach one kernel state by
/// two paths: with the cache on, the second path's kernel is the
/// first's cell (one version, one fingerprint and invariant check);
/// with it off, two copies. Walks azure-vf-hotadd 6.18 until such a
/// pair shows up, so the test cannot pass without one.
#[test]
fn commuting_writes_share_one_kernel() {
    let s = Scenario::parse(builtin::get("azure-vf-hotadd").unwrap()).unwrap();
    let start = s.build(Some("6.18"), &BTreeMap::new()).unwrap();
    let mut cache = StepCache::new(CacheMode::On);
    let mut frontier = vec![start];
    let mut pairs = 0;
    for _depth in 0..12 {
        let mut next = Vec::new();
        for w in &frontier {
            let en = w.enabled();
            for (i, (a, _)) in en.iter().enumerate() {
                for (b, _) in &en[i + 1..] {
                    let (ab, ba) = (two(w, a, b, &mut cache), two(w, b, a, &mut cache));
                    let (Some(ab), Some(ba)) = (ab, ba) else {
                        continue;
                    };
                    let same = ab.kernel.fingerprint_and_context()
                        == ba.kernel.fingerprint_and_context()
                        && ab.kernel.user_names_hash() == ba.kernel.user_names_hash();
                    if !same {
                        continue;
                    }
                    pairs += 1;
                    assert!(
                        ab.kernel.shares_with(&ba.kernel),
                        "{a} then {b} and {b} then {a}: two kernel copies"
                    );
                    let mut off = StepCache::new(CacheMode::Off);
                    let (x, y) = (w.clone(), w.clone());
                    let (x, y) = (
                        then(then(x, a, &mut off), b, &mut off),
                        then(then(y, b, &mut off), a, &mut off),
                    );
                    assert!(
                        !x.kernel.shares_with(&y.kernel),
                        "no copy without the cache"
                    );
                }
            }
            for (st, _) in en.iter().take(3) {
                next.push(then(w.clone(), st, &mut cache));
            }
        }
        frontier = next;
    }
    assert!(pairs > 0, "no two commuting kernel writes were met");
}

/// `request_memo`: the same bytes on the same kernel version take the
/// kernel cell and the replies the first run made; on another version
/// the request runs again; the cache's drop empties the memo.
#[test]
fn a_request_on_one_kernel_runs_once() {
    use ifnet_core::client::{try_encode, Client};
    use netlink_packet_core::{NLM_F_ACK, NLM_F_REQUEST};
    use netlink_packet_route::link::{LinkFlags, LinkMessage};
    use netlink_packet_route::RouteNetlinkMessage;
    let cache = StepCache::new(CacheMode::On);
    let mut k = ifnet_core::Kernel::new(ifnet_core::KernelProfile::latest());
    let net = k.init_net();
    Client::new(&mut k, net).add_veth("va", "pa").unwrap();
    let index = k.dev_get_by_name(net, "va").unwrap();
    let index = k.dev(index).ifindex;
    let mut up = LinkMessage::default();
    up.header.index = index;
    up.header.flags = LinkFlags::Up;
    up.header.change_mask = LinkFlags::Up;
    let bytes = try_encode(
        RouteNetlinkMessage::SetLink(up),
        NLM_F_REQUEST | NLM_F_ACK,
        7,
    )
    .unwrap();
    let base = KernelCell::new(k);
    let (mut a, mut b) = (base.clone(), base.clone());
    let ra = request_memo(&mut a, net, &bytes);
    let rb = request_memo(&mut b, net, &bytes);
    assert!(ra.is_ok() && ra == rb, "one answer");
    assert!(
        a.shares_with(&b) && a.version() == b.version(),
        "one kernel"
    );
    assert!(!a.shares_with(&base), "the request changed the kernel");
    assert!(b.take_touched(), "a memo answer is an access");
    // From the new kernel the same bytes are another request.
    let mut c = a.clone();
    let _ = request_memo(&mut c, net, &bytes);
    assert_ne!(c.version(), a.version());
    drop(cache);
    let mut d = base.clone();
    let _ = request_memo(&mut d, net, &bytes);
    assert!(!d.shares_with(&a), "the memo went with the cache");
}

/// Steps only write facts (`FactsLog`), so the facts are not part of
/// a step's key: a step that wrote facts in one world hits in a world
/// whose facts differ, and writes the same facts into that world's
/// own (as running it there does).
#[test]
fn facts_do_not_split_the_cache() {
    let s = Scenario::parse(builtin::get("azure-vf-hotadd").unwrap()).unwrap();
    let mut w = s.build(Some("6.18"), &BTreeMap::new()).unwrap();
    let mut cache = StepCache::new(CacheMode::On);
    let mut found = false;
    for _ in 0..64 {
        let en = w.enabled();
        let Some((step, _)) = en.first().cloned() else {
            break;
        };
        let mut ran = w.clone();
        ran.apply_enabled(&step);
        if *ran.facts != *w.facts {
            let mut other = w.clone();
            other.facts.crash("test", "another history".into());
            let mut direct = other.clone();
            direct.apply_enabled(&step);
            let _ = then(w.clone(), &step, &mut cache);
            let hits = cache.hits;
            let cached = then(other, &step, &mut cache);
            assert_eq!(cache.hits, hits + 1, "{step}: a hit on other facts");
            assert_eq!(*cached.facts, *direct.facts, "{step}: the facts it writes");
            found = true;
            break;
        }
        w = ran;
    }
    assert!(found, "no step wrote a fact");
}

fn then(mut w: World, s: &Step, cache: &mut StepCache) -> World {
    w.apply_cached(s, cache);
    w
}

/// `a` then `b` from `w`, when both are enabled and both change the
/// kernel.
fn two(w: &World, a: &Step, b: &Step, cache: &mut StepCache) -> Option<World> {
    let x = then(w.clone(), a, cache);
    if x.kernel.version() == w.kernel.version() || !x.enabled().iter().any(|(s, _)| s == b) {
        return None;
    }
    let y = then(x.clone(), b, cache);
    (y.kernel.version() != x.kernel.version()).then_some(y)
}
