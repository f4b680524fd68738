//! `ifnet demo` (the README's main job) tells seed 004's story; these
//! assertions pin its kernel facts: loopback is netns_immutable
//! (__dev_change_net_namespace), a dying namespace returns physical devices
//! renamed dev<ifindex> and deletes virtual ones (default_device_exit_batch).

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
    let last = text.rsplit("$ ifnet link show").next().unwrap();
    assert!(last.contains("2: dev2: <BROADCAST,MULTICAST>"), "{last}");
    assert!(last.contains("5: eth0:"), "{last}");
    assert!(!last.contains("veth0"), "veth0 dies with its peer: {last}");
}
