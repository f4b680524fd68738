use ifnet_core::client::Client;
use ifnet_core::{Kernel, KernelProfile};
use netlink_packet_route::link::LinkAttribute;

#[test]
fn smoke() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    {
        let mut c = Client::new(&mut k, init);
        c.add_veth("va", "vb").unwrap();
        c.set("va", vec![LinkAttribute::Address(vec![2,0,0,0,0,0xa])]).unwrap();
        c.set("vb", vec![LinkAttribute::Address(vec![2,0,0,0,0,0xb])]).unwrap();
        c.add_addr("va", "10.0.0.1/24").unwrap();
        c.add_addr("va", "10.0.0.2/24").unwrap();
        c.add_addr("va", "2001:db8::1/64").unwrap();
        c.set_up("va", true).unwrap();
        c.set_up("vb", true).unwrap();
        c.set_up("lo", true).unwrap();
    }
    k.run_until_idle();
    k.check_invariants().unwrap();
    let mut c = Client::new(&mut k, init);
    eprintln!("{:?}", c.addr_strings("va"));
    eprintln!("{:?}", c.addr_strings("vb"));
    eprintln!("{:?}", c.addr_strings("lo"));
    for m in c.addrs() { eprintln!("{:?}", m); }
    drop(c);
    eprintln!("now {:?}", k.now());
    eprintln!("{:?}", k.dev_addr_lists(k.dev_get_by_name(init, "va").unwrap()));
}
