//! The binary's side of issue 10's link options, without the kernel:
//! `ifnet` / `ifnet help` (ip's usage, then ifnet's own commands; only ip's
//! inside a batch), `matches_color()`'s refusal, the possible-CPU count
//! a state boots with (`--cpus`, `veth_get_num_queues`), `link-netns` on a
//! directory (`link_netns_id`), and what stays refused loudly.

mod common;

use common::{err, ifnet, out, scratch};

const USAGE_HEAD: &str = "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n";

/// do_cmd("help") / ip.c usage(): ip's text on stderr and exit 255, then
/// ifnet's own commands, one line each (hw, pktgen, capture, monitor,
/// dmesg, reset, demo); in a batch only ip's text.
#[test]
fn help_lists_ip_usage_then_extensions() {
    let d = scratch("help");
    let st = d.join("state.json");
    for args in [&["help"][..], &[], &["-help"]] {
        let o = ifnet(&st, args);
        assert_eq!(o.status.code(), Some(255), "{args:?}");
        let e = err(&o);
        assert!(e.starts_with(USAGE_HEAD), "{args:?}: {e}");
        for word in [
            "hw",
            "pktgen",
            "capture",
            "monitor uevent",
            "dmesg",
            "reset",
            "demo",
        ] {
            let line = format!("       ifnet {word}");
            let n = e
                .lines()
                .filter(|l| l.contains(&line) || l.contains(&format!("] {word}")))
                .count();
            assert!(n >= 1, "{args:?}: no line for {word}:\n{e}");
        }
    }
    let batch = d.join("b");
    std::fs::write(&batch, "help\n").unwrap();
    let o = ifnet(&st, &["-batch", batch.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(255));
    assert!(
        !err(&o).contains("ifnet"),
        "only ip's usage in a batch: {}",
        err(&o)
    );
}

/// matches_color(): only always/auto/never (or nothing) after "=";
/// anything else is an unknown option, as ip.c says.
#[test]
fn matches_color_refuses_other_values() {
    let d = scratch("color");
    let st = d.join("state.json");
    let o = ifnet(&st, &["-c=foo", "link"]);
    assert_eq!(o.status.code(), Some(255));
    assert_eq!(err(&o), "Option \"-c=foo\" is unknown, try \"ip -help\".\n");
    let o = ifnet(&st, &["-c", "link", "show", "lo"]);
    assert!(out(&o).contains("\x1b[36mlo: \x1b[0m"), "{}", out(&o));
    let o = ifnet(&st, &["-c", "-j", "link", "show", "lo"]);
    assert!(!out(&o).contains('\x1b'), "no colour with -j");
}

/// veth_get_num_queues(): a kernel booted with `--cpus N` gives a veth N
/// queues; a state booted with another count refuses a disagreeing
/// `--cpus`; without it the machine's /sys/devices/system/cpu/possible.
#[test]
fn cpus_decide_veth_queues() {
    let d = scratch("cpus");
    let st = d.join("state.json");
    assert!(ifnet(&st, &["--cpus", "5", "reset"]).status.success());
    assert!(ifnet(&st, &["link", "add", "v0", "type", "veth"])
        .status
        .success());
    let o = ifnet(&st, &["-d", "link", "show", "v0"]);
    assert!(
        out(&o).contains("numtxqueues 5 numrxqueues 5 "),
        "{}",
        out(&o)
    );
    let o = ifnet(&st, &["--cpus", "3", "link", "show"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(err(&o).contains("models 5 possible CPUs"), "{}", err(&o));
    let o = ifnet(&st, &["--cpus", "0", "reset"]);
    assert_eq!(o.status.code(), Some(255));
    assert!(ifnet(&st, &["reset"]).status.success());
    assert!(ifnet(&st, &["link", "add", "v0", "type", "veth"])
        .status
        .success());
    let host = ifnet_cli::session::state::host_possible_cpus();
    let o = ifnet(&st, &["-d", "link", "show", "v0"]);
    assert!(
        out(&o).contains(&format!("numtxqueues {host} ")),
        "{}",
        out(&o)
    );
}

/// link_netns_id(): NETNS_RUN_DIR "/." opens the directory itself, whose
/// fd each of ip's three requests gets refused ("Peer netns reference is
/// invalid"), then "Invalid link-netns value"; a path elsewhere is refused
/// loudly (not modelled).
#[test]
fn link_netns_on_a_directory() {
    let d = scratch("linknetns");
    let st = d.join("state.json");
    assert!(ifnet(&st, &["link", "add", "v0", "type", "veth"])
        .status
        .success());
    let o = ifnet(&st, &["link", "set", "v0", "link-netns", "."]);
    assert_eq!(o.status.code(), Some(255));
    assert_eq!(
        err(&o),
        "Error: Peer netns reference is invalid.\n".repeat(3)
            + "Error: argument \".\" is wrong: Invalid \"link-netns\" value\n\n"
    );
    let o = ifnet(&st, &["link", "set", "v0", "link-netns", "/proc/1/ns/net"]);
    assert_eq!(o.status.code(), Some(255));
    assert!(err(&o).contains("not supported yet"), "{}", err(&o));
}

/// What ifnet cannot model stays refused with a non-zero exit and a
/// message: addrgenmode (IPv6), xdp, vf, bridge options, monitor
/// timestamps.
#[test]
fn unmodelled_keywords_are_refused() {
    let d = scratch("refused");
    let st = d.join("state.json");
    assert!(ifnet(&st, &["link", "add", "v0", "type", "veth"])
        .status
        .success());
    for args in [
        &["link", "set", "v0", "addrgenmode", "none"][..],
        &["link", "set", "v0", "xdp", "off"],
        &["link", "set", "v0", "vf", "0", "mac", "02:00:00:00:00:01"],
        &["link", "add", "br0", "type", "bridge", "stp_state", "1"],
        &["link", "xstats"],
        &["-t", "monitor", "link"],
    ] {
        let o = ifnet(&st, args);
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        assert!(
            err(&o).contains("not supported yet"),
            "{args:?}: {}",
            err(&o)
        );
    }
}
