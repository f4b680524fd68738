//! IPoIB through the binary: `hw add … type ipoib`, `hw list`, `hw
//! carrier`, `ip -d link show` / `-j` of a port and a P_Key child as
//! iproute2's iplink_ipoib.c prints them, ipoib_parse_opt's refusals and
//! the kernel's errors for children.

mod common;

use std::path::{Path, PathBuf};

const BUS: &str = "0000:03:00.0";

fn run(state: &Path, args: &str) -> (i32, String, String) {
    common::run_words(state, args)
}

fn ok(state: &Path, args: &str) -> String {
    common::ok_words(state, args)
}

/// One HCA port, up and joined, with a connected-mode child.
fn host(tag: &str) -> PathBuf {
    let st = common::scratch_state(&format!("ib-{tag}"));
    ok(&st, "--kernel 6.18 reset");
    ok(
        &st,
        &format!("hw add {BUS} type ipoib guid 0002:c903:00a1:b2c3"),
    );
    ok(&st, "link set ib0 up");
    ok(
        &st,
        "link add link ib0 name ib0.8001 type ipoib pkey 0x8001 mode connected",
    );
    st
}

/// ipoib_fill_info + ipoib_print_opt: "ipoib pkey 0x8001 mode connected
/// umcast 0000" after the link/infiniband line; ipoib_get_iflink makes it
/// `ib0.8001@ib0`; the port settles at 2044 after the join.
#[test]
fn ip_d_link_show_prints_ipoib_options() {
    let st = host("show");
    let out = ok(&st, "-d link show ib0.8001");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "3: ib0.8001@ib0: <BROADCAST,MULTICAST> mtu 65520 qdisc noop state DOWN mode DEFAULT group default qlen 1000"
    );
    assert_eq!(
        lines[1],
        "    link/infiniband 80:00:00:49:fe:80:00:00:00:00:00:00:00:02:c9:03:00:a1:b2:c3 brd 00:ff:ff:ff:ff:12:40:1b:80:01:00:00:00:00:00:00:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65520 "
    );
    assert!(
        lines[2].starts_with("    ipoib pkey 0x8001 mode connected umcast 0000 addrgenmode eui64 "),
        "{}",
        lines[2]
    );
    let port = ok(&st, "link show ib0");
    assert!(
        port.starts_with("2: ib0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 2044 "),
        "{port}"
    );
    let j = ok(&st, "-j -d link show ib0.8001");
    assert!(
        j.contains(r#""linkinfo":{"info_kind":"ipoib","info_data":{"key":"0x8001","mode":"connected","umcast":"0000"}}"#),
        "{j}"
    );
}

/// ipoib_changelink: `ip link set … type ipoib mode datagram umcast 1`.
#[test]
fn ip_link_set_type_ipoib_changes_mode_and_umcast() {
    let st = host("set");
    ok(&st, "link set ib0.8001 type ipoib mode datagram umcast 1");
    let out = ok(&st, "-d link show ib0.8001");
    assert!(
        out.contains("    ipoib pkey 0x8001 mode datagram umcast 0001 "),
        "{out}"
    );
}

/// ipoib_parse_opt's refusals (iproute2's text and exit codes) and the
/// kernel's: P_Key 0 (-EINVAL, __ipoib_vlan_add), no `link` (-EINVAL),
/// a child's child (-EINVAL).
#[test]
fn ipoib_child_refusals() {
    let st = host("bad");
    let (c, _, e) = run(&st, "link add link ib0 name x type ipoib pkey 0x10000");
    assert_eq!(
        (c, e.as_str()),
        (
            255,
            "Error: argument \"0x10000\" is wrong: pkey is invalid\n"
        )
    );
    let (c, _, e) = run(&st, "link add link ib0 name x type ipoib mode fast");
    assert_eq!(
        (c, e.as_str()),
        (
            1,
            "Error: argument of \"mode\" must be \"datagram\"or \"connected\"\n"
        )
    );
    // parse_opt's -1 is do_cmd's `-(func())`: exit 1.
    let (c, _, e) = run(&st, "link add link ib0 name x type ipoib bogus 1");
    assert_eq!(c, 1);
    assert!(
        e.starts_with("ipoib: unknown option \"bogus\"?\nUsage: ... ipoib [ pkey PKEY ]\n"),
        "{e}"
    );
    for bad in [
        "link add link ib0 name x type ipoib pkey 0",
        "link add name x type ipoib pkey 0x8002",
        "link add link ib0.8001 name x type ipoib pkey 0x8002",
    ] {
        let (c, _, e) = run(&st, bad);
        assert_eq!(
            (c, e.as_str()),
            (2, "RTNETLINK answers: Invalid argument\n"),
            "{bad}"
        );
    }
    // ipoib_del_child_link: the port is not deleted.
    ok(&st, "link del ib0");
    assert!(ok(&st, "link show ib0").starts_with("2: ib0:"));
}

/// `hw list` of an HCA port; `hw carrier` off drops LOWER_UP, on brings
/// it back after the join; a NIC onto the IB segment is refused.
#[test]
fn hw_carrier_and_list() {
    let st = host("hw");
    assert_eq!(
        ok(&st, "hw list"),
        format!("{BUS}: ipoib guid 0002:c903:00a1:b2c3 qpn 0x000048 ibmtu 2048 driver mlx5_core segment ib\n")
    );
    ok(&st, &format!("hw carrier {BUS} off"));
    assert!(ok(&st, "link show ib0").starts_with("2: ib0: <NO-CARRIER,BROADCAST,MULTICAST,UP> "));
    ok(&st, &format!("hw carrier {BUS} on"));
    assert!(ok(&st, "link show ib0").starts_with("2: ib0: <BROADCAST,MULTICAST,UP,LOWER_UP> "));
    let (c, _, e) = run(
        &st,
        "hw add 0000:00:05.0 type nic mac 52:54:00:00:00:01 segment ib",
    );
    assert_eq!(
        (c, e.as_str()),
        (2, "Error: The segment carries another link type.\n")
    );
    let (c, _, e) = run(&st, "hw carrier nope on");
    assert_eq!((c, e.as_str()), (2, "Error: No device with this bus id.\n"));
    let (c, _, _) = run(&st, &format!("hw carrier {BUS} sideways"));
    assert_eq!(c, 255);
}
