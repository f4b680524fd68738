//! The README's live-migration story, through the binary: net_failover's
//! start_xmit uses the VF, then the standby after a planned unplug, then a
//! newly plugged VF; the peer gets every frame; net_failover_get_stats keeps
//! the master's counters monotonic; dev_change_name on the enslaved, UP VF
//! follows the kernel profile; the master gets a link-local and, from 6.2,
//! its slaves none.

mod common;

use std::path::{Path, PathBuf};

fn ifnet(state: &Path, args: &str) -> (i32, String, String) {
    common::run_words(state, args)
}

fn ok(state: &Path, args: &str) -> String {
    common::ok_words(state, args)
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
    common::scratch_state(&format!("fo-{tag}"))
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

/// The master's link-local: its one DAD probe went out through the
/// standby (the only slave then) and shows in the counters before any
/// traffic; the story counts from there.
#[test]
fn live_migration_story() {
    let st = tmp("story");
    setup(&st, "latest");
    let probe = (tx_packets(&st, None, "eth0"), tx_packets(&st, None, "eth1"));
    assert_eq!(
        probe,
        (1, 1),
        "one neighbour solicitation for fe80::5054:ff:feaa:bb01"
    );
    let peer_rx = rx_packets(&st, "peer", "eth2");
    let send = "pktgen dev eth0 dst 52:54:00:aa:bb:99 count 1000";
    ok(&st, send);
    assert_eq!(
        (tx_packets(&st, None, "eth0"), tx_packets(&st, None, "eth2")),
        (1001, 1000)
    );
    ok(&st, "hw del 0000:00:04.0 --planned");
    ok(&st, send);
    assert_eq!(
        (tx_packets(&st, None, "eth0"), tx_packets(&st, None, "eth1")),
        (2001, 1001)
    );
    ok(
        &st,
        "hw add 0000:00:05.0 type vf mac 52:54:00:aa:bb:01 driver mlx5_core",
    );
    ok(&st, send);
    assert_eq!(
        (tx_packets(&st, None, "eth0"), tx_packets(&st, None, "eth2")),
        (3001, 1000)
    );
    assert_eq!(tx_packets(&st, None, "eth1"), 1001);
    assert_eq!(rx_packets(&st, "peer", "eth2") - peer_rx, 3000);
    let _ = std::fs::remove_dir_all(st.parent().unwrap());
}

/// The IPv6 addresses `ip -j addr show dev DEV` lists.
fn addrs(state: &Path, dev: &str) -> Vec<String> {
    let out = ok(state, &format!("-j addr show dev {dev}"));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0]["addr_info"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["local"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// addrconf_notify() on the failover trio, through the binary: on 6.18 the
/// master gets its link-local and the slaves none — failover marks them
/// IFF_NO_ADDRCONF (cb54d392279d, v6.2), which addrconf skips (8a321cf7becc,
/// v6.2). 5.x and 6.1 had neither: every slave configures its own EUI-64
/// link-local (the same as the master's: they share the MAC).
#[test]
fn failover_link_locals_per_profile() {
    let ll = "fe80::5054:ff:feaa:bb01";
    for (kernel, slaves) in [("6.18", 0), ("6.2", 0), ("6.1", 1), ("5.10", 1), ("5.0", 1)] {
        let st = tmp(&format!("ll-{kernel}"));
        setup(&st, kernel);
        assert_eq!(addrs(&st, "eth0"), [ll], "kernel {kernel}: master");
        for slave in ["eth1", "eth2"] {
            assert_eq!(addrs(&st, slave).len(), slaves, "kernel {kernel}: {slave}");
        }
        let _ = std::fs::remove_dir_all(st.parent().unwrap());
    }
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
