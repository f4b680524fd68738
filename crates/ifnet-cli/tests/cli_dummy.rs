//! `ip link add NAME type dummy` through the `ifnet` binary. This
//! machine's kernel has no dummy driver, so the expected output is derived
//! from drivers/net/dummy.c (6.18) and iproute2's print_linkinfo():
//! `dummy_setup` gives <BROADCAST,NOARP>, IFF_NO_QUEUE gives qdisc noqueue
//! once UP, and a carrier the driver never touches leaves operstate
//! UNKNOWN (as for lo). Every test names the kernel function it pins.

mod common;

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;

struct Env {
    dir: PathBuf,
    state: PathBuf,
}

impl Env {
    fn new(tag: &str) -> Env {
        let dir = common::scratch(&format!("dummy-{tag}"));
        let state = dir.join("state.json");
        Env { dir, state }
    }

    fn run(&self, args: &[&str]) -> Output {
        common::ifnet(&self.state, args)
    }

    fn ok(&self, args: &[&str]) -> String {
        common::success_stdout(args, &self.run(args))
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        v[0].clone()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The first line of `ip link show DEV`, without the "N: " prefix.
fn first_line(out: &str) -> String {
    let line = out.lines().next().unwrap_or_default();
    line.split_once(": ").map_or(line, |x| x.1).to_string()
}

/// `dummy_setup()` as `ip link show` prints it, down and then up
/// (`__dev_open`: noqueue qdisc, operstate UNKNOWN).
#[test]
fn dummy_setup_link_show_down_and_up() {
    let e = Env::new("show");
    e.ok(&["link", "add", "d0", "type", "dummy"]);
    let down = e.ok(&["link", "show", "d0"]);
    assert_eq!(
        first_line(&down),
        "d0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000"
    );
    assert!(down.contains("    link/ether "), "{down}");
    assert!(down.contains(" brd ff:ff:ff:ff:ff:ff"), "{down}");
    e.ok(&["link", "set", "d0", "up"]);
    let up = e.ok(&["link", "show", "d0"]);
    assert_eq!(
        first_line(&up),
        "d0: <BROADCAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000"
    );
}

/// `rtnl_link_fill()`: `ip -d link show` prints the kind line "    dummy ",
/// and `-j -d` has linkinfo.info_kind "dummy" without info_data.
#[test]
fn rtnl_link_fill_dummy_details_and_json() {
    let e = Env::new("details");
    e.ok(&["link", "add", "d0", "type", "dummy"]);
    let d = e.ok(&["-d", "link", "show", "d0"]);
    assert!(d.contains("\n    dummy "), "{d}");
    assert!(d.contains("minmtu 0 maxmtu 0"), "{d}");
    let j = e.json(&["-j", "-d", "link", "show", "d0"]);
    assert_eq!(j["linkinfo"]["info_kind"], "dummy");
    assert!(j["linkinfo"].get("info_data").is_none(), "{j}");
    assert_eq!(j["link_type"], "ether");
    assert_eq!(j["flags"], serde_json::json!(["BROADCAST", "NOARP"]));
    let j = e.json(&["-j", "link", "show", "d0"]);
    assert_eq!(j["operstate"], "DOWN");
    assert_eq!(j["qdisc"], "noop");
}

/// `dummy_xmit()`: `ifnet pktgen` frames count as transmitted, nothing
/// comes back.
#[test]
fn dummy_xmit_pktgen_counts_tx() {
    let e = Env::new("pktgen");
    e.ok(&["link", "add", "d0", "type", "dummy"]);
    e.ok(&["link", "set", "d0", "up"]);
    e.ok(&["pktgen", "dev", "d0", "count", "5", "size", "100"]);
    let j = e.json(&["-s", "-j", "link", "show", "d0"]);
    assert_eq!(j["stats64"]["tx"]["packets"], 5);
    assert_eq!(j["stats64"]["tx"]["bytes"], 500);
    assert_eq!(j["stats64"]["rx"]["packets"], 0);
}

/// `dev_change_net_namespace()` moves a dummy (not netns-local);
/// `rtnl_dellink()` deletes it; a second add is -EEXIST.
#[test]
fn dummy_netns_move_and_delete() {
    let e = Env::new("netns");
    e.ok(&["netns", "add", "b"]);
    e.ok(&["link", "add", "d0", "type", "dummy"]);
    let o = e.run(&["link", "add", "d0", "type", "dummy"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "RTNETLINK answers: File exists\n"
    );
    e.ok(&["link", "set", "d0", "netns", "b"]);
    assert!(e
        .ok(&["-n", "b", "link", "show", "d0"])
        .contains("d0: <BROADCAST,NOARP>"));
    e.ok(&["-n", "b", "link", "del", "d0"]);
    let o = e.run(&["-n", "b", "link", "show", "d0"]);
    assert_ne!(o.status.code(), Some(0));
}

/// `dummy_change_carrier()`: `ip link set d0 carrier off` turns it
/// LOWER_UP-less, state DOWN; on again, state UP (linkwatch ran).
#[test]
fn dummy_change_carrier_cli() {
    let e = Env::new("carrier");
    e.ok(&["link", "add", "d0", "type", "dummy"]);
    e.ok(&["link", "set", "d0", "up"]);
    e.ok(&["link", "set", "d0", "carrier", "off"]);
    let j = e.json(&["-j", "link", "show", "d0"]);
    assert_eq!(j["operstate"], "DOWN");
    assert_eq!(
        j["flags"],
        serde_json::json!(["NO-CARRIER", "BROADCAST", "NOARP", "UP"])
    );
    e.ok(&["link", "set", "d0", "carrier", "on"]);
    assert_eq!(e.json(&["-j", "link", "show", "d0"])["operstate"], "UP");
}
