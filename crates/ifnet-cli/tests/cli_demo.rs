//! `ifnet demo` (the README's main job) tells seed 004's story; these
//! assertions pin its kernel facts: loopback is netns_immutable
//! (__dev_change_net_namespace), a dying namespace returns physical devices
//! renamed dev<ifindex> and deletes virtual ones (default_device_exit_batch);
//! its last step shows who of a failover trio gets an IPv6 link-local.

use std::process::Command;

#[test]
fn demo_runs_seed_004() {
    let out = Command::new(env!("CARGO_BIN_EXE_ifnet"))
        .arg("demo")
        .env("IFNET_STATE", "/nonexistent/never-written")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Error: The interface netns is immutable."));
    let (story, trio) = text.split_once("== 7.").unwrap();
    // addrconf_notify() on the failover trio (6.18): the master's
    // link-local, none on slaves marked IFF_NO_ADDRCONF (cb54d392279d).
    let brief = trio.rsplit("$ ifnet -br address show\n").next().unwrap();
    let lines: Vec<&str> = brief.lines().map(str::trim_end).collect();
    assert_eq!(
        lines[3..],
        [
            "eth1             UP             fe80::5054:ff:feaa:bb01/64",
            "eth2             UP",
            "eth3             UP",
        ],
        "{brief}"
    );
    let last = story.rsplit("$ ifnet link show").next().unwrap();
    assert!(last.contains("2: dev2: <BROADCAST,MULTICAST>"), "{last}");
    assert!(last.contains("5: eth0:"), "{last}");
    assert!(!last.contains("veth0"), "veth0 dies with its peer: {last}");
}
