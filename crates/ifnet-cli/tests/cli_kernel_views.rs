//! The kernel's own views through the binary: `ifnet dmesg` (util-linux
//! dmesg's `[%5ld.%06ld] ` prefix over the printk ring) and
//! `ifnet monitor uevent` (udevadm-monitor.c device_monitor_handler() with
//! --kernel --property, following kobject_uevent() of other invocations).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

fn tmpdir(tag: &str) -> PathBuf {
    common::scratch(&format!("views-{tag}"))
}

fn run(state: &Path, args: &[&str]) -> Output {
    common::ifnet(state, args)
}

fn stdout(o: &Output) -> String {
    common::out(o)
}

/// failover_register() and net_failover_slave_register() log through
/// netdev_info(); dmesg prints each line with its printk time.
#[test]
fn dmesg_prints_failover_lines_with_timestamps() {
    let d = tmpdir("dmesg");
    let st = d.join("state.json");
    assert!(run(&st, &["reset"]).status.success());
    let o = run(&st, &["dmesg"]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    let add = [
        "hw",
        "add",
        "0000:00:03.0",
        "type",
        "virtio-net",
        "mac",
        "52:54:00:aa:bb:01",
        "standby",
    ];
    assert!(run(&st, &add).status.success());
    let text = stdout(&run(&st, &["dmesg"]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines.is_empty(), "{text}");
    for l in &lines {
        // "[    0.000000] " then the text.
        assert_eq!(&l[..1], "[", "{l}");
        assert_eq!(&l[13..15], "] ", "{l}");
        assert_eq!(&l[6..7], ".", "{l}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("eth0: failover master:eth0 registered")),
        "{text}"
    );
    assert_eq!(&lines[0][..15], "[    0.000000] ");
    // __netdev_printk(): a device with a parent leads with the parent's
    // driver and name (Linux's parent is the virtio device, virtio0; the
    // model's is the bus slot), then netdev_name() and its reg state.
    let notime = stdout(&run(&st, &["dmesg", "-t"]));
    assert_eq!(
        notime,
        "virtio_net 0000:00:03.0 eth0: failover master:eth0 registered\n\
         virtio_net 0000:00:03.0 eth0: failover standby slave:eth1 registered\n"
    );
    let o = run(&st, &["dmesg", "-Q"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "dmesg: invalid option -- 'Q'\nTry 'dmesg --help' for more information.\n"
    );
}

/// kobject_uevent(KOBJ_ADD / KOBJ_REMOVE) of a hot-plugged NIC, as
/// `udevadm monitor --kernel --property` prints it.
#[test]
fn monitor_uevent_follows_hot_plug() {
    let d = tmpdir("uevent");
    let st = d.join("state.json");
    assert!(run(&st, &["reset"]).status.success());
    let add = [
        "hw",
        "add",
        "0000:00:04.0",
        "type",
        "nic",
        "mac",
        "52:54:00:12:34:56",
    ];
    let text = common::monitor_during(&st, "uevent", || {
        assert!(run(&st, &add).status.success());
        assert!(run(&st, &["hw", "del", "0000:00:04.0"]).status.success());
    });
    let banner = "monitor will print the received events for:\nKERNEL - the kernel uevent\n\n";
    assert!(text.starts_with(banner), "{text}");
    let add_block = "] add      /devices/pci0000:00/0000:00:04.0/net/eth0 (net)\n\
        ACTION=add\n\
        DEVPATH=/devices/pci0000:00/0000:00:04.0/net/eth0\n\
        SUBSYSTEM=net\n\
        INTERFACE=eth0\n\
        IFINDEX=2\n\
        SEQNUM=";
    assert!(text.contains(add_block), "{text}");
    assert!(text.contains("KERNEL[0.000000] add "), "{text}");
    assert!(
        text.contains(
            "] remove   /devices/pci0000:00/0000:00:04.0/net/eth0 (net)\nACTION=remove\n"
        ),
        "{text}"
    );
    // Each event ends with an empty line.
    assert!(text.ends_with("\n\n"), "{text}");
}
