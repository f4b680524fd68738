//! `ifnet explore` end to end: list/show, the exit statuses (0 clean, 1
//! violation, 2 a witness never reached or bad usage), the `-j` object,
//! replaying a printed counterexample, `--html`, shards and `merge`. It
//! needs no state file.

use std::process::{Command, Output};

fn ifnet(args: &[&str]) -> Output {
    let dir = std::env::temp_dir().join(format!("ifnet-explore-cli-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_ifnet"))
        .args(args)
        .env("IFNET_STATE", dir.join("state"))
        .output()
        .expect("run ifnet")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn list_and_show() {
    let o = ifnet(&["explore", "list"]);
    assert_eq!(o.status.code(), Some(0));
    let names: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "virtio-failover-udev",
            "azure-vf-hotadd",
            "azure-vf-before-netvsc",
            "azure-netvsc-in-netns",
            "netns-lifecycle",
            "ipoib-bond-failover"
        ]
    );
    assert!(stdout(&o).contains("azure-vf-hotadd          Seed 002 (c807d6cd089d): a MANA VF is hot-added while its hv_netvsc is up"));
    let o = ifnet(&["explore", "show", "azure-vf-hotadd"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("type = \"netvsc\""));
    assert!(!stdout(&o).contains("pending"));
    let o = ifnet(&["explore", "show", "netns-lifecycle"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("name = \"netns-lifecycle\"\n"));
    assert_eq!(ifnet(&["explore", "show", "nope"]).status.code(), Some(2));
}

/// Seed 000 with the current udev: EBUSY on 5.0 (exit 1, the `-j`
/// object), renamed on 6.18 (exit 0); the printed schedule replays to the
/// same violation, step by step.
#[test]
fn exit_codes_json_and_replay() {
    let o = ifnet(&["explore", "virtio-failover-udev"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("witness rename-while-up: reached"));
    let o = ifnet(&["-j", "explore", "virtio-failover-udev", "--kernel", "5.0"]);
    assert_eq!(o.status.code(), Some(1));
    let j = json(&o);
    for k in [
        "scenario",
        "kernel",
        "states",
        "steps",
        "seconds",
        "violation",
        "witnesses",
    ] {
        assert!(j.get(k).is_some(), "{k} in {j}");
    }
    assert_eq!(j["kernel"], "5.0");
    assert_eq!(j["states"], 13);
    let v = &j["violation"];
    assert_eq!(v["invariant"], "slave-has-udev-name");
    assert_eq!(v["schedule"], "hw0 k a0.1 a0.2 a0.2 a0.2");
    assert_eq!(v["steps"][0]["lane"], "hardware");
    assert_eq!(
        v["steps"][5]["text"],
        "Network interface 'eth2' is already up, cannot rename to 'enp0s9'."
    );
    assert_eq!(j["witnesses"]["rename-while-up"], true);
    let sched = v["schedule"].as_str().unwrap();
    let o = ifnet(&[
        "explore",
        "virtio-failover-udev",
        "--kernel",
        "5.0",
        "--replay",
        sched,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let t = stdout(&o);
    assert!(
        t.contains("  6 [udev] Network interface 'eth2' is already up, cannot rename to 'enp0s9'."),
        "{t}"
    );
    assert!(
        t.contains("        netlink RTM_SETLINK IFLA_IFNAME → error EBUSY"),
        "{t}"
    );
    assert!(t.contains("VIOLATION slave-has-udev-name"), "{t}");
    // --agent overrides the scenario's version.
    let o = ifnet(&[
        "-j",
        "explore",
        "virtio-failover-udev",
        "--agent",
        "udev=252",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(json(&o)["violation"]["message"]
        .as_str()
        .unwrap()
        .contains("udev skipped the rename of an UP device"));
}

/// Every built-in scenario on the default kernel (6.18): clean with its
/// witness reached (0), except the VF registered before any netvsc, which
/// NetworkManager configures on every kernel (1); each `-j` object has the
/// keys the issue names.
#[test]
fn builtin_exit_statuses_on_the_default_kernel() {
    for (name, code, states) in [
        ("virtio-failover-udev", 0, 22),
        ("azure-vf-hotadd", 0, 702),
        ("azure-vf-before-netvsc", 1, 784),
        ("azure-netvsc-in-netns", 0, 82),
        ("netns-lifecycle", 0, 29446),
        ("ipoib-bond-failover", 0, 827),
    ] {
        let o = ifnet(&["-j", "explore", name]);
        assert_eq!(o.status.code(), Some(code), "{name}: {}", stdout(&o));
        let j = json(&o);
        let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "scenario",
            "kernel",
            "states",
            "steps",
            "seconds",
            "violation",
            "witnesses",
        ] {
            assert!(keys.contains(&k), "{name}: {k} in {j}");
        }
        assert_eq!(
            (j["scenario"].as_str(), j["kernel"].as_str()),
            (Some(name), Some("6.18"))
        );
        assert_eq!(j["states"], states, "{name}");
        assert!(
            j["witnesses"]
                .as_object()
                .unwrap()
                .values()
                .all(|v| v == true),
            "{name}: {j}"
        );
        assert_eq!(j["violation"].is_null(), code == 0, "{name}");
    }
}

#[test]
fn witness_never_reached_and_bad_usage_exit_2() {
    let dir = std::env::temp_dir().join(format!("ifnet-explore-w-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("s.toml");
    std::fs::write(&f, "name = \"quiet\"\nwitnesses = [\"rename-while-up\"]\n[agents.udev]\n[[hardware]]\ndo = \"plug\"\nbus = \"0000:00:04.0\"\ntype = \"nic\"\nmac = \"52:54:00:00:04:01\"\n").unwrap();
    let o = ifnet(&["explore", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("witness rename-while-up: NEVER REACHED"));
    std::fs::write(&f, "name = \"bad\"\nkernel = \"9.9\"\n").unwrap();
    let o = ifnet(&["explore", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown kernel profile \"9.9\""));
    for args in [
        &["explore"][..],
        &["explore", "nope"],
        &["explore", "netns-lifecycle", "--bogus"],
        &["explore", "netns-lifecycle", "--shard", "4/4"],
        &["explore", "netns-lifecycle", "--seed"],
        &["explore", "netns-lifecycle", "--random", "x"],
        &["explore", "netns-lifecycle", "--pct", "3"],
        &["explore", "netns-lifecycle", "--random", "0"],
        &["explore", "netns-lifecycle", "--random", "99999999999"],
        &["explore", "netns-lifecycle", "--random", "5", "--pct", "0"],
        &["explore", "netns-lifecycle", "--max-depth", "0"],
        &[
            "explore",
            "netns-lifecycle",
            "--html",
            "/nonexistent/dir/x.html",
        ],
        &["explore", "/"],
        &["explore", "netns-lifecycle", "--replay", "zz"],
        &["explore", "netns-lifecycle", "--agent", "udev"],
        &["explore", "netns-lifecycle", "--agent", "nm=1.0"],
        &["explore", "azure-vf-hotadd", "--agent", "networkd=257"],
        &["explore", "merge"],
        &["explore", "merge", "/nonexistent"],
    ] {
        let o = ifnet(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).starts_with("ifnet explore: "),
            "{args:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Four shards' `-j` reports merge into the unsharded state count.
#[test]
fn shards_merge() {
    let dir = std::env::temp_dir().join(format!("ifnet-explore-m-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let whole = json(&ifnet(&["-j", "explore", "netns-lifecycle"]));
    let mut files = Vec::new();
    for i in 0..4 {
        let o = ifnet(&[
            "-j",
            "explore",
            "netns-lifecycle",
            "--shard",
            &format!("{i}/4"),
        ]);
        assert_eq!(o.status.code(), Some(0));
        let f = dir.join(format!("shard{i}.json"));
        std::fs::write(&f, &o.stdout).unwrap();
        files.push(f.to_str().unwrap().to_string());
    }
    let mut args = vec!["-j", "explore", "merge"];
    args.extend(files.iter().map(String::as_str));
    let o = ifnet(&args);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["states"], whole["states"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn html_file_written() {
    let f = std::env::temp_dir().join(format!("ifnet-explore-{}.html", std::process::id()));
    let o = ifnet(&[
        "explore",
        "virtio-failover-udev",
        "--kernel",
        "5.0",
        "--html",
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let page = std::fs::read_to_string(&f).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("\"violation\":true"));
    let _ = std::fs::remove_file(&f);
}
