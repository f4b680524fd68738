//! The README's live-migration story, through the binary: net_failover's
//! start_xmit uses the VF, then the standby after a planned unplug, then a
//! newly plugged VF; the peer gets every frame; net_failover_get_stats keeps
//! the master's counters monotonic; dev_change_name on the enslaved, UP VF
//! follows the kernel profile.

use std::path::{Path, PathBuf};
use std::process::Command;

fn ifnet(state: &Path, args: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ifnet"))
        .arg("--state")
        .arg(state)
        .args(args.split(' '))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(state: &Path, args: &str) -> String {
    let (code, out, err) = ifnet(state, args);
    assert_eq!(code, 0, "{args}: {err}");
    out
}

/// `"stats64":{"rx":{…},"tx":{"bytes":…,"packets":N`: the tx packets of `dev`.
fn tx_packets(state: &Path, ns: Option<&str>, dev: &str) -> u64 {
    let prefix = ns.map(|n| format!("-n {n} ")).unwrap_or_default();
    let out = ok(state, &format!("{prefix}-s -j link show dev {dev}"));
    let tx = out.split("\"tx\":{").nth(1).expect("tx block");
    let p = tx.split("\"packets\":").nth(1).expect("packets");
    p.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn rx_packets(state: &Path, ns: &str, dev: &str) -> u64 {
    let out = ok(state, &format!("-n {ns} -s -j link show dev {dev}"));
    let rx = out.split("\"rx\":{").nth(1).expect("rx block");
    let p = rx.split("\"packets\":").nth(1).expect("packets");
    p.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ifnet-fo-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.join("state.json")
}

fn setup(st: &Path, kernel: &str) {
    ok(st, &format!("--kernel {kernel} reset"));
    for cmd in [
        "hw add 0000:00:03.0 type virtio-net mac 52:54:00:aa:bb:01 standby",
        "hw add 0000:00:09.0 type nic mac 52:54:00:aa:bb:99",
        "netns add peer",
        "link set eth2 netns peer",
        "-n peer link set eth2 up",
        "link set eth0 up",
        "hw add 0000:00:04.0 type vf mac 52:54:00:aa:bb:01 driver mlx5_core",
    ] {
        ok(st, cmd);
    }
}

#[test]
fn live_migration_story() {
    let st = tmp("story");
    setup(&st, "latest");
    let send = "pktgen dev eth0 dst 52:54:00:aa:bb:99 count 1000";
    ok(&st, send);
    assert_eq!(
        (tx_packets(&st, None, "eth0"), tx_packets(&st, None, "eth2")),
        (1000, 1000)
    );
    ok(&st, "hw del 0000:00:04.0 --planned");
    ok(&st, send);
    assert_eq!(
        (tx_packets(&st, None, "eth0"), tx_packets(&st, None, "eth1")),
        (2000, 1000)
    );
    ok(
        &st,
        "hw add 0000:00:05.0 type vf mac 52:54:00:aa:bb:01 driver mlx5_core",
    );
    ok(&st, send);
    assert_eq!(
        (tx_packets(&st, None, "eth0"), tx_packets(&st, None, "eth2")),
        (3000, 1000)
    );
    assert_eq!(tx_packets(&st, None, "eth1"), 1000);
    assert_eq!(rx_packets(&st, "peer", "eth2"), 3000);
    let _ = std::fs::remove_dir_all(st.parent().unwrap());
}

#[test]
fn renaming_the_up_vf_per_profile() {
    for (kernel, code, err) in [
        ("5.0", 2, "RTNETLINK answers: Device or resource busy"),
        ("5.1", 0, ""),
        ("6.18", 0, ""),
    ] {
        let st = tmp(&format!("rename-{kernel}"));
        setup(&st, kernel);
        let (c, _, e) = ifnet(&st, "link set eth2 name enp0s4v0");
        assert_eq!((c, e.trim()), (code, err), "kernel {kernel}");
        let _ = std::fs::remove_dir_all(st.parent().unwrap());
    }
}
