//! libFuzzer target for `Kernel::rtnl_request` (the rtnetlink decoder and
//! every `rtnl_*` handler behind it): the input is split into requests at
//! 0xff 0xff 0xff 0xff separators and sent in turn, alternating between
//! init_net and a named namespace, so that sequences reach deep state.
//! Must never panic.
#![no_main]

use ifnet_core::{Kernel, KernelProfile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let Ok(ns) = k.netns_add("a") else { return };
    let nets = [init, ns];
    for (i, req) in data.split(|&b| b == 0xff).filter(|r| !r.is_empty()).take(64).enumerate() {
        let _ = k.rtnl_request(nets[i % 2], req);
    }
    k.run_until_idle();
});
