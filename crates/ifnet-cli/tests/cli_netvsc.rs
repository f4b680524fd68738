//! The README's Azure accelerated-networking story, through the binary:
//! `hw add … type netvsc` and `type vf … serial N`, the kernel log
//! (`ifnet dmesg`, netvsc_drv.c's lines with the `hv_netvsc <bus-id>
//! <ifname>: ` prefix), `ip -d link` / `addr show` of the pair on 6.18,
//! traffic and `ethtool -S` counters through host servicing, and the
//! refusals of bad `hw add` arguments.

mod common;

use std::path::{Path, PathBuf};

const NV_BUS: &str = "f8615163-0000-1000-2000-000d3a8b0001";
const MAC: &str = "00:0d:3a:8b:00:01";

fn ifnet(state: &Path, args: &str) -> (i32, String, String) {
    common::run_words(state, args)
}

fn ok(state: &Path, args: &str) -> String {
    common::ok_words(state, args)
}

fn tmp(tag: &str) -> PathBuf {
    common::scratch_state(&format!("nv-{tag}"))
}

/// netvsc + VF + peer on segment vnet, on `kernel`.
fn azure(tag: &str, kernel: &str) -> PathBuf {
    let st = tmp(tag);
    ok(&st, &format!("--kernel {kernel} reset"));
    ok(
        &st,
        &format!("hw add {NV_BUS} type netvsc mac {MAC} segment vnet"),
    );
    ok(
        &st,
        &format!("hw add 7870:00:00.0 type vf mac {MAC} serial 1 driver mana segment vnet"),
    );
    ok(
        &st,
        "hw add 0000:00:09.0 type nic mac 52:54:00:00:00:99 segment vnet",
    );
    st
}

/// `dmesg -t`: netvsc_send_vf, netvsc_register_vf, netvsc_vf_join; then,
/// on `link set eth0 up` (netvsc_open → dev_open(vf) → NETDEV_UP),
/// netvsc_vf_changed; hw list shows both bus devices.
#[test]
fn hw_add_netvsc_and_vf_log_the_kernel_lines() {
    let st = azure("log", "6.18");
    ok(&st, "link set eth0 up");
    let log = ok(&st, "dmesg -t");
    let nv: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("hv_netvsc") || l.starts_with("mana"))
        .collect();
    assert_eq!(
        nv,
        [
            format!("hv_netvsc {NV_BUS} eth0: VF slot 1 added"),
            format!("hv_netvsc {NV_BUS} eth0: VF registering: eth1"),
            "mana 7870:00:00.0 eth1: joined to eth0".to_string(),
            format!("hv_netvsc {NV_BUS} eth0: Data path switched to VF: eth1"),
        ]
    );
    let list = ok(&st, "hw list");
    assert!(list.contains(&format!(
        "{NV_BUS}: netvsc mac {MAC} driver hv_netvsc segment vnet\n"
    )));
    assert!(list.contains(&format!(
        "7870:00:00.0: vf mac {MAC} driver mana segment vnet serial 1\n"
    )));
}

/// `ip -d link show`: the VF is SLAVE with master eth0 on its PCI parent,
/// the netvsc on the vmbus with 64 queues and maxmtu 65521; `addr show`
/// after `link set eth0 up` on 6.18: a link-local on eth0, none on the VF
/// (IFF_NO_ADDRCONF from netvsc_prepare_bonding).
#[test]
fn link_and_addr_show_the_pair_on_6_18() {
    let st = azure("show", "6.18");
    ok(&st, "link set eth0 up");
    let d = ok(&st, "-d link show");
    let eth0 = d
        .split("\n2: ")
        .nth(1)
        .unwrap()
        .split("\n3: ")
        .next()
        .unwrap();
    assert!(eth0.contains("maxmtu 65521"), "{eth0}");
    assert!(eth0.contains("numtxqueues 64 numrxqueues 64"), "{eth0}");
    assert!(
        eth0.contains(&format!("parentbus vmbus parentdev {NV_BUS}")),
        "{eth0}"
    );
    let eth1 = d.split("\n3: ").nth(1).unwrap();
    assert!(eth1.starts_with("eth1: <BROADCAST,MULTICAST,SLAVE,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast master eth0 state UP"), "{eth1}");
    assert!(
        eth1.contains("parentbus pci parentdev 7870:00:00.0"),
        "{eth1}"
    );
    let a = ok(&st, "addr show");
    let eth0 = a
        .split("\n2: ")
        .nth(1)
        .unwrap()
        .split("\n3: ")
        .next()
        .unwrap();
    assert!(
        eth0.contains("inet6 fe80::20d:3aff:fe8b:1/64 scope link"),
        "{a}"
    );
    let eth1 = a
        .split("\n3: ")
        .nth(1)
        .unwrap()
        .split("\n4: ")
        .next()
        .unwrap();
    assert!(!eth1.contains("inet6"), "{a}");
}

/// On 6.12 (IFF_SLAVE at POST_INIT, no IFF_NO_ADDRCONF yet) the VF that
/// vf_takeover opens gets a link-local too.
#[test]
fn addr_show_vf_link_local_on_6_12() {
    let st = azure("ll612", "6.12");
    ok(&st, "link set eth0 up");
    let a = ok(&st, "-br addr show dev eth1");
    assert_eq!(
        a,
        "eth1             UP             fe80::20d:3aff:fe8b:1/64 \n"
    );
}

fn ethtool(st: &Path, key: &str) -> u64 {
    let out = ok(st, "ethtool -S eth0");
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with(key))
        .unwrap();
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// `-s -j link show`'s rx packets of `dev`.
fn rx_packets(st: &Path, dev: &str) -> u64 {
    let out = ok(st, &format!("-s -j link show dev {dev}"));
    let rx = out.split("\"rx\":{").nth(1).expect("rx block");
    let p = rx.split("\"packets\":").nth(1).expect("packets");
    p.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Servicing with counters: frames go through the VF (vf_tx_packets),
/// through the synthetic path while the VF is unplugged for 60 s, and
/// through the VF again once vf_takeover has run (netvsc_vf_xmit counts
/// in the netvsc's vf_stats, kept across VFs); the peer gets each batch.
#[test]
fn servicing_counters_through_the_binary() {
    let st = azure("svc", "6.18");
    ok(&st, "link set eth0 up");
    ok(&st, "link set eth2 up");
    let vf0 = ethtool(&st, "vf_tx_packets");
    let send = |st: &Path| {
        let before = rx_packets(st, "eth2");
        ok(st, "pktgen dev eth0 dst 52:54:00:00:00:99 count 10");
        assert_eq!(rx_packets(st, "eth2") - before, 10);
    };
    send(&st);
    assert_eq!(ethtool(&st, "vf_tx_packets") - vf0, 10);
    ok(&st, "hw del 7870:00:00.0");
    send(&st);
    assert_eq!(
        ethtool(&st, "vf_tx_packets") - vf0,
        10,
        "synthetic meanwhile"
    );
    ok(&st, "sleep 60");
    send(&st);
    ok(
        &st,
        &format!("hw add 7870:00:00.0 type vf mac {MAC} serial 1 driver mana segment vnet"),
    );
    send(&st);
    // vf_stats live in the netvsc's net_device_context: they survive the VF.
    assert_eq!(ethtool(&st, "vf_tx_packets") - vf0, 20);
    let log = ok(&st, "dmesg -t");
    let tail: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("hv_netvsc"))
        .skip(3)
        .collect();
    assert_eq!(
        tail,
        [
            format!("hv_netvsc {NV_BUS} eth0: Data path switched from VF: eth1"),
            format!("hv_netvsc {NV_BUS} eth0: VF unregistering: eth1"),
            format!("hv_netvsc {NV_BUS} eth0: VF slot 1 removed"),
            format!("hv_netvsc {NV_BUS} eth0: VF slot 1 added"),
            format!("hv_netvsc {NV_BUS} eth0: VF registering: eth1"),
            format!("hv_netvsc {NV_BUS} eth0: Data path switched to VF: eth1"),
        ]
    );
}

/// Bad arguments are refused before anything is plugged: a non-numeric
/// serial, an unmodelled VF driver (EOPNOTSUPP from the bus), serial on a
/// non-VF, no-assoc without serial, a driver for netvsc, `ethtool` options
/// other than -S; `hw assoc` on a non-Hyper-V device.
#[test]
fn hw_add_refuses_bad_hyperv_arguments() {
    let st = tmp("bad");
    ok(&st, "reset");
    let cases = [
        (
            "hw add 7870:00:00.0 type vf mac 00:0d:3a:8b:00:01 serial x1",
            255,
        ),
        (
            "hw add 7870:00:00.0 type vf mac 00:0d:3a:8b:00:01 serial 4294967296",
            255,
        ),
        (
            "hw add 7870:00:00.0 type nic mac 00:0d:3a:8b:00:01 serial 1",
            255,
        ),
        (
            "hw add 7870:00:00.0 type vf mac 00:0d:3a:8b:00:01 no-assoc",
            255,
        ),
        (
            "hw add f86 type netvsc mac 00:0d:3a:8b:00:01 driver e1000",
            255,
        ),
        (
            "hw add 7870:00:00.0 type vf mac 00:0d:3a:8b:00:01 serial 1 driver ixgbevf",
            2,
        ),
        ("hw add f86 type netvsc mac 01:00:5e:00:00:01", 2),
        ("ethtool -i eth0", 255),
    ];
    for (args, code) in cases {
        let (c, _, err) = ifnet(&st, args);
        assert_eq!(c, code, "{args}: {err}");
    }
    let (_, _, err) = ifnet(
        &st,
        "hw add 7870:00:00.0 type vf mac 00:0d:3a:8b:00:01 serial 1 driver ixgbevf",
    );
    assert_eq!(
        err,
        "Error: Hyper-V VF driver must be mlx5_core, mlx4_core or mana.\n"
    );
    assert_eq!(ok(&st, "hw list"), "");
    ok(&st, "hw add 0000:00:09.0 type nic mac 52:54:00:00:00:99");
    let (c, _, err) = ifnet(&st, "hw assoc 0000:00:09.0");
    assert_eq!((c, err.as_str()), (2, "Error: Not a Hyper-V VF.\n"));
    let (c, _, err) = ifnet(&st, "ethtool -S eth0");
    assert_eq!((c, err.as_str()), (1, "no stats available\n"));
}

/// `hw … no-assoc` then `hw assoc`: "Waiting for the VF association from
/// host" (netvsc_vf_changed), then the late association switches.
#[test]
fn late_association_through_hw_assoc() {
    let st = tmp("assoc");
    ok(&st, "reset");
    ok(&st, &format!("hw add {NV_BUS} type netvsc mac {MAC}"));
    ok(&st, "link set eth0 up");
    ok(
        &st,
        &format!("hw add 7870:00:00.0 type vf mac {MAC} serial 5 no-assoc"),
    );
    ok(&st, "hw assoc 7870:00:00.0");
    let log = ok(&st, "dmesg -t");
    let nv: Vec<&str> = log.lines().filter(|l| l.starts_with("hv_netvsc")).collect();
    assert_eq!(
        nv,
        [
            format!("hv_netvsc {NV_BUS} eth0: VF registering: eth1"),
            format!("hv_netvsc {NV_BUS} eth0: Waiting for the VF association from host"),
            format!("hv_netvsc {NV_BUS} eth0: VF slot 5 added"),
            format!("hv_netvsc {NV_BUS} eth0: Data path switched to VF: eth1"),
        ]
    );
}
