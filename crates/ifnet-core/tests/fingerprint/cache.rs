//! The device-hash cache (`dev_cell.rs`, `canon::context`): a fingerprint
//! computed over cached device hashes equals the one a freshly loaded
//! copy (no cache) gives, after each kind of change a device's hash can
//! depend on — its own fields, another device's canonical key or list
//! rank (a new device, a move to another namespace, a deletion), a
//! namespace's rank, and `now` (a pending deadline's distance from it).

use super::kernel;
use ifnet_core::client::Client;
use ifnet_core::time::Instant;
use ifnet_core::Kernel;

/// The same state loaded from its saved form: every `DevCell` cache empty.
fn fresh(k: &Kernel) -> Kernel {
    let mut m: Kernel = serde_json::from_value(serde_json::to_value(k).unwrap()).unwrap();
    m.rebuild_after_load().unwrap();
    m
}

type Change = (&'static str, fn(&mut Kernel));

fn changes() -> Vec<Change> {
    vec![
        ("mtu", |k| {
            let init = k.init_net();
            Client::new(k, init)
                .set(
                    "v0",
                    vec![netlink_packet_route::link::LinkAttribute::Mtu(1400)],
                )
                .unwrap();
        }),
        ("up", |k| {
            let init = k.init_net();
            Client::new(k, init).set_up("br0", true).unwrap();
        }),
        ("new device", |k| {
            let init = k.init_net();
            Client::new(k, init).add_veth("w0", "w1").unwrap();
        }),
        ("rename", |k| {
            let init = k.init_net();
            Client::new(k, init).rename("p0", "port0").unwrap();
        }),
        ("move", |k| {
            let init = k.init_net();
            let blue = k.netns_new().unwrap();
            Client::new(k, init).set_netns("v0", blue, None).unwrap();
        }),
        ("delete", |k| {
            let init = k.init_net();
            Client::new(k, init).del("w1").unwrap();
        }),
        ("clock", |k| {
            let t = k.now().as_nanos() + 250_000_000;
            k.advance_to(Instant::from_nanos(t));
        }),
        ("work", |k| {
            k.run_until_idle();
        }),
    ]
}

/// After every change, on a clone of a kernel whose caches are warm: the
/// clone's fingerprint is the fresh copy's, and the kernel it was cloned
/// from keeps its own.
#[test]
fn cached_device_hashes_are_never_stale() {
    let mut k = kernel();
    let init = k.init_net();
    {
        let mut c = Client::new(&mut k, init);
        c.add_bridge("br0").unwrap();
        c.add_veth("v0", "p0").unwrap();
        c.set_master("p0", Some("br0")).unwrap();
        c.set_up("p0", true).unwrap();
    }
    for (what, change) in changes() {
        let before = k.fingerprint();
        assert_eq!(before, fresh(&k).fingerprint(), "before {what}");
        let mut next = k.clone();
        change(&mut next);
        assert_eq!(
            next.fingerprint(),
            fresh(&next).fingerprint(),
            "after {what}"
        );
        assert_ne!(next.fingerprint(), before, "{what} changes the state");
        assert_eq!(k.fingerprint(), before, "the parent of {what}");
        k = next;
    }
}
