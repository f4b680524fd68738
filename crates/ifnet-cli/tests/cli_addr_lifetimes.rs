//! Address lifetimes through the CLI: `ifnet sleep` moves the virtual
//! clock, and `valid_lft`/`preferred_lft` count down on it as Linux 6.18
//! showed them for the same commands (ip 6.1): after 1 s "5sec / 2sec",
//! past the preferred lifetime "deprecated" and "preferred_lft 0sec"
//! (devinet's check_lifetime, addrconf_verify), past the valid one gone —
//! the IPv4 address with an RTM_DELADDR from check_lifetime, the IPv6 one
//! from addrconf_verify → ipv6_del_addr.

use std::path::{Path, PathBuf};
use std::process::Command;

fn run(state: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ifnet"))
        .arg("--state")
        .arg(state)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn ok(state: &Path, cmd: &str) -> String {
    let (rc, out, err) = run(state, &cmd.split(' ').collect::<Vec<_>>());
    assert_eq!(rc, 0, "{cmd}: {err}");
    out
}

fn state(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ifnet-lft-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let st = dir.join("state.json");
    let _ = std::fs::remove_file(&st);
    st
}

/// The address lines of `addr show dev va` for 10.0.5.9 and 2001:db8:5::9.
fn lines(st: &Path) -> String {
    let out = ok(st, "addr show dev va");
    let v: Vec<&str> = out.lines().collect();
    let mut keep = String::new();
    for (i, l) in v.iter().enumerate() {
        if l.contains("10.0.5.9") || l.contains("2001:db8:5::9") {
            keep.push_str(l);
            keep.push('\n');
            keep.push_str(v.get(i + 1).unwrap_or(&""));
            keep.push('\n');
        }
    }
    keep
}

#[test]
fn lifetimes_count_down_on_the_virtual_clock() {
    let st = state("count");
    ok(&st, "link add va type veth peer name vb");
    ok(
        &st,
        "addr add 10.0.5.9/24 dev va valid_lft 6 preferred_lft 3",
    );
    ok(
        &st,
        "addr add 2001:db8:5::9/64 dev va valid_lft 6 preferred_lft 3 nodad",
    );
    // Nothing moves while no one sleeps: the clock stands after a command.
    ok(&st, "addr show");
    assert!(lines(&st).contains("valid_lft 6sec preferred_lft 3sec"));
    ok(&st, "sleep 1.5");
    assert_eq!(
        lines(&st),
        "    inet 10.0.5.9/24 scope global dynamic va\n       valid_lft 5sec preferred_lft 2sec\n\
         \x20   inet6 2001:db8:5::9/64 scope global nodad dynamic \n       valid_lft 5sec preferred_lft 2sec\n"
    );
    ok(&st, "sleep 2.5");
    assert_eq!(
        lines(&st),
        "    inet 10.0.5.9/24 scope global deprecated dynamic va\n       valid_lft 2sec preferred_lft 0sec\n\
         \x20   inet6 2001:db8:5::9/64 scope global nodad deprecated dynamic \n       valid_lft 2sec preferred_lft 0sec\n"
    );
    ok(&st, "sleep 3");
    assert_eq!(lines(&st), "");
}

/// `ifnet sleep` reads durations as GNU sleep does and fails as it does.
#[test]
fn sleep_refuses_bad_intervals() {
    let st = state("bad");
    let (rc, _, err) = run(&st, &["sleep"]);
    assert_eq!(
        (rc, err.as_str()),
        (
            1,
            "sleep: missing operand\nTry 'sleep --help' for more information.\n"
        )
    );
    let (rc, _, err) = run(&st, &["sleep", "1x"]);
    assert_eq!(rc, 1);
    assert!(
        err.starts_with("sleep: invalid time interval '1x'\n"),
        "{err}"
    );
    ok(&st, "sleep 1m 2");
}
