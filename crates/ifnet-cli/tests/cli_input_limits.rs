//! The `ifnet` binary on over-long and out-of-range arguments: no panic
//! (exit 101), iproute2 6.1's own messages and exit codes.

mod common;

use std::process::Output;

fn tmpdir(tag: &str) -> std::path::PathBuf {
    common::scratch(&format!("input-{tag}"))
}

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    common::ifnet(&dir.join("state.json"), args)
}

fn stderr(o: &Output) -> String {
    common::err(o)
}

/// A veth pair v0/v1 in a fresh state under `dir`.
fn with_veth(dir: &std::path::Path) {
    let o = run(
        dir,
        &["link", "add", "v0", "type", "veth", "peer", "name", "v1"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

/// iplink_prop_mod() + addattr_l(): a 65,531-byte altname does not fit
/// ip's 1,056-byte request; ip prints the bound and sends the empty
/// property list (exit 0). ifnet used to panic in netlink-packet-core.
#[test]
fn iplink_prop_mod_overlong_altname_does_not_panic() {
    let d = tmpdir("altname");
    with_veth(&d);
    let long = "a".repeat(65_531);
    let o = run(
        &d,
        &["link", "property", "add", "dev", "v0", "altname", &long],
    );
    assert_ne!(o.status.code(), Some(101), "panicked: {}", stderr(&o));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stderr(&o),
        "addattr_l ERROR: message exceeded bound of 1056\n"
    );
    // 128 bytes reach the kernel: ifla_policy's ALTIFNAMSIZ-1.
    let o = run(
        &d,
        &[
            "link",
            "property",
            "add",
            "dev",
            "v0",
            "altname",
            &"b".repeat(128),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "Error: Attribute failed policy validation.\n");
    let show = run(&d, &["link", "show", "v0"]);
    assert!(!String::from_utf8_lossy(&show.stdout).contains("altname"));
    let _ = std::fs::remove_dir_all(&d);
}

/// get_integer(): an mtu past LONG_MIN used to wrap to 1400 and exit 0.
#[test]
fn get_integer_huge_negative_mtu_is_invarg() {
    let d = tmpdir("mtu");
    with_veth(&d);
    let v = "-340282366920938463463374607431768210056";
    for opt in ["mtu", "txqueuelen"] {
        let o = run(&d, &["link", "set", "v0", opt, v]);
        assert_eq!(o.status.code(), Some(255), "{opt}");
        assert_eq!(
            stderr(&o),
            format!("Error: argument \"{v}\" is wrong: Invalid \"{opt}\" value\n\n")
        );
    }
    let show = String::from_utf8_lossy(&run(&d, &["link", "show", "v0"]).stdout).into_owned();
    assert!(
        show.contains("mtu 1500 ") && show.contains("qlen 1000"),
        "{show}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// addattr_l() in iplink_parse() and ll_link_get(): over-long alias
/// repeats and device names print the bound, never panic.
#[test]
fn addattr_l_overlong_names_and_aliases() {
    let d = tmpdir("names");
    with_veth(&d);
    let long = "n".repeat(65_531);
    let o = run(&d, &["link", "set", "dev", &long, "up"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!("addattr_l ERROR: message exceeded bound of 1056\nCannot find device \"{long}\"\n")
    );
    let a = "x".repeat(255);
    let mut args = vec!["link", "set", "v0"];
    for _ in 0..5 {
        args.extend(["alias", a.as_str()]);
    }
    let o = run(&d, &args);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stderr(&o),
        "addattr_l ERROR: message exceeded bound of 1056\n".repeat(2)
    );
    let o = run(&d, &["link", "add", "t0", "type", &long]);
    assert_ne!(o.status.code(), Some(101), "panicked: {}", stderr(&o));
    let _ = std::fs::remove_dir_all(&d);
}
