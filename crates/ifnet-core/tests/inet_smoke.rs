use ifnet_core::client::Client;
use ifnet_core::{Kernel, KernelProfile};

#[test]
fn smoke() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    k.linkwatch_assume_recent_run();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "v1").unwrap();
    c.add_veth("v2", "v3").unwrap();
    c.add_bridge("br0").unwrap();
    drop(c);
    let br = k.dev_get_by_name(init, "br0").unwrap();
    eprintln!(
        "0 br carrier {} op {:?}",
        k.dev(br).carrier,
        k.dev(br).operstate
    );
    let mut c = Client::new(&mut k, init);
    let _ = c.get("v0");
    c.set_master("v0", Some("br0")).unwrap();
    drop(c);
    eprintln!(
        "1 br carrier {} op {:?}",
        k.dev(br).carrier,
        k.dev(br).operstate
    );
    k.run_due_now();
    eprintln!(
        "2 br carrier {} op {:?}",
        k.dev(br).carrier,
        k.dev(br).operstate
    );
}
