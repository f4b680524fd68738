//! libFuzzer target for the state-file loader: `serde_json::from_str::<Kernel>`
//! then `Kernel::rebuild_after_load`; an accepted state is then dumped and
//! its namespaces deleted (`cleanup_net`). Must never panic; the accepted
//! state keeps `check_invariants()` and what it saves loads again.
#![no_main]

use ifnet_core::client::Client;
use ifnet_core::Kernel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(mut k) = serde_json::from_str::<Kernel>(text) else { return };
    if k.rebuild_after_load().is_err() {
        return;
    }
    let init = k.init_net();
    for name in Client::new(&mut k, init).names() {
        let _ = Client::new(&mut k, init).del(&name);
    }
    for (name, _) in k.netns_list() {
        let _ = k.netns_del(&name);
    }
    k.run_until_idle();
    if let Err(e) = k.check_invariants() {
        panic!("an accepted state broke an invariant: {e}");
    }
    let saved = serde_json::to_string(&k).expect("a kernel serialises");
    let mut back: Kernel = serde_json::from_str(&saved).expect("what it saves parses");
    if let Err(e) = back.rebuild_after_load() {
        panic!("what it saves does not load: {e}");
    }
});
