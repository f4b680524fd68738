//! `__netdev_printk()`'s prefix on the lines netdev_info()/netdev_err()
//! log: "<parent driver> <parent> <ifname><reg state>: " with a parent,
//! "<ifname><reg state>: " without (net/core/dev.c, 6.18).

use ifnet_core::client::Client;
use ifnet_core::{HwAddr, HwSpec, Kernel, KernelProfile};

/// dev_change_name(): netdev_info(dev, "renamed from %s%s") after the
/// rename, so the new name leads; " (while UP)" for a running device.
#[test]
fn dev_change_name_logs_through_netdev_info() {
    let mut k = Kernel::new(KernelProfile::latest());
    let init = k.init_net();
    let mac = HwAddr::new(&[0x02, 0, 0, 0, 0, 0x10]).unwrap();
    k.hw_add(
        "0000:00:04.0",
        HwSpec::Nic {
            mac,
            driver: Some("e1000".into()),
            segment: None,
        },
    )
    .unwrap();
    k.run_until_idle();
    let mut c = Client::new(&mut k, init);
    c.add_veth("v0", "p0").unwrap();
    c.set_up("v0", true).unwrap();
    c.rename("v0", "v1").unwrap();
    c.rename("eth0", "lan0").unwrap();
    let log = k.dmesg();
    assert_eq!(
        log,
        vec![
            "v1: renamed from v0 (while UP)".to_string(),
            "e1000 0000:00:04.0 lan0: renamed from eth0".to_string(),
        ]
    );
}
