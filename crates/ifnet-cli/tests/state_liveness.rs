//! Liveness of the state lock (issue 8): an invocation never holds the
//! lock while it waits for input, long work is bounded and stops on
//! Ctrl-C with the state saved, and batch input is bounded and read as
//! iproute2's getcmdline()/makeargs() read it (bytes, C strings).
//!
//! A watchdog turns a hang into a failure; no test asserts on how long
//! anything takes.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{cmd, err, finishes, ifnet, out, scratch, spawn, watchdog};

/// Acceptance 3: `(sleep …; echo "link show") | ifnet -batch -` does not
/// delay another `ifnet link add`. The batch's stdin stays open and empty
/// while the other invocation runs; then the batch sees its change.
#[test]
fn batch_waiting_on_stdin_does_not_hold_the_lock() {
    let d = scratch("stdin");
    let st = d.join("state.json");
    let mut batch = spawn(cmd(&st, &["-batch", "-"]), Stdio::piped());
    let mut input = batch.stdin.take().unwrap();
    writeln!(input, "link add early type veth peer name early-p").unwrap();
    let other = finishes(cmd(&st, &["link", "add", "other", "type", "veth"]));
    assert!(other.status.success(), "{}", err(&other));
    writeln!(input, "link show other").unwrap();
    drop(input);
    watchdog(&mut batch, 60);
    let o = batch.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains(": other@"), "{}", out(&o));
    let all = out(&ifnet(&st, &["link", "show"]));
    assert!(
        all.contains("early@early-p") && all.contains("other@"),
        "{all}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// A FIFO as the batch file: opening it blocks until a writer comes (as
/// freopen() does for ip), and that wait holds no lock either.
#[test]
fn batch_from_a_fifo_does_not_hold_the_lock() {
    let d = scratch("fifo");
    let st = d.join("state.json");
    let fifo = d.join("cmds");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut batch = spawn(cmd(&st, &["-batch", fifo.to_str().unwrap()]), Stdio::null());
    let other = finishes(cmd(&st, &["link", "add", "other", "type", "veth"]));
    assert!(other.status.success(), "{}", err(&other));
    std::fs::write(&fifo, b"link show other\n").unwrap();
    watchdog(&mut batch, 60);
    let o = batch.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains(": other@"), "{}", out(&o));
    let _ = std::fs::remove_dir_all(&d);
}

/// `-batch /dev/zero` (a copy made here): NULs and no newline; the line
/// bound stops it with a message instead of growing until the allocator
/// aborts.
#[test]
fn endless_line_stops_with_a_message() {
    let d = scratch("zero");
    let st = d.join("state.json");
    let zero = d.join("zero");
    let mk = Command::new("mknod")
        .arg(&zero)
        .args(["c", "1", "5"])
        .status();
    let src = if mk.is_ok_and(|s| s.success()) {
        zero
    } else {
        let big = d.join("big");
        std::fs::write(&big, vec![b'a'; 2 << 20]).unwrap();
        big
    };
    let o = finishes(cmd(&st, &["-batch", src.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let want = format!("{}:1: line longer than 1048576 bytes", src.display());
    assert!(err(&o).contains(&want), "{}", err(&o));
    let _ = std::fs::remove_dir_all(&d);
}

/// getcmdline() works on C strings: a NUL ends the line's text, so the
/// name is `v0`, nothing after it reaches a device name, and `-j` stays
/// valid JSON. makeargs() takes at most MAX_ARGS - 1 = 511 words.
#[test]
fn batch_lines_are_c_strings() {
    let d = scratch("nul");
    let st = d.join("state.json");
    let file = d.join("b");
    std::fs::write(&file, b"link add v0\0junk type veth\nlink show\n").unwrap();
    let o = finishes(cmd(&st, &["-batch", file.to_str().unwrap()]));
    // `link add v0` alone: ip asks for a type ("Not enough information").
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let j = ifnet(&st, &["-j", "link", "show"]);
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).expect("valid JSON");
    assert_eq!(v.as_array().unwrap().len(), 1, "only lo: {v}");
    let words = vec!["x"; 511].join(" ");
    std::fs::write(&file, format!("link show {words}\n")).unwrap();
    let o = finishes(cmd(&st, &["-batch", file.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "Too many arguments to command\n");
    let _ = std::fs::remove_dir_all(&d);
}

/// Arguments and batch lines that are not UTF-8 are refused loudly (the
/// lossy conversion made `\xff` and `\xfe` the same name).
#[test]
fn non_utf8_input_is_refused_not_mangled() {
    use std::os::unix::ffi::OsStrExt;
    let d = scratch("utf8");
    let st = d.join("state.json");
    let o = cmd(&st, &["link", "add"])
        .arg(std::ffi::OsStr::from_bytes(b"\xff"))
        .args(["type", "veth"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(255));
    assert!(err(&o).contains("argument 5"), "{}", err(&o)); // after --state PATH
    assert!(err(&o).contains("is not valid UTF-8"), "{}", err(&o));
    let file = d.join("b");
    std::fs::write(&file, b"link add \xfe type veth\n").unwrap();
    let o = finishes(cmd(&st, &["-batch", file.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(1));
    let e = err(&o);
    assert!(e.contains(":1: the line is not valid UTF-8"), "{e}");
    assert!(
        e.ends_with(&format!("Command failed {}:1\n", file.display())),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// Waits until `pid` holds a lock (the handlers are installed before the
/// lock is taken), so a signal is not delivered to a starting process.
fn wait_for_lock(pid: u32) {
    for _ in 0..1000 {
        let locks = std::fs::read_to_string("/proc/locks").unwrap_or_default();
        if locks.lines().any(|l| l.contains(&format!(" {pid} "))) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("pid {pid} never took the state lock");
}

fn sigint(pid: u32) {
    let st = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status();
    assert!(st.unwrap().success());
}

fn tx_packets(st: &Path, dev: &str) -> u64 {
    let o = ifnet(st, &["-j", "-s", "link", "show", dev]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v[0]["stats64"]["tx"]["packets"].as_u64().unwrap()
}

/// pktgen is bounded (MAX_COUNT), and Ctrl-C stops it between bursts: exit
/// 130, and the frames it did send are in the saved counters.
#[test]
fn pktgen_is_bounded_and_stops_on_sigint_with_state_saved() {
    let d = scratch("pktgen");
    let st = d.join("state.json");
    for c in [
        &["link", "add", "v0", "type", "veth", "peer", "v1"][..],
        // No link-local: no DAD probe among the frames counted.
        &["link", "set", "v0", "addrgenmode", "none"],
        &["link", "set", "v1", "addrgenmode", "none"],
        &["link", "set", "v0", "up"],
        &["link", "set", "v1", "up"],
    ] {
        assert!(ifnet(&st, c).status.success());
    }
    let o = ifnet(
        &st,
        &["pktgen", "dev", "v0", "count", "18446744073709551615"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("at most 1000000000"), "{}", err(&o));
    let mut run = spawn(
        cmd(&st, &["pktgen", "dev", "v0", "count", "1000000000"]),
        Stdio::null(),
    );
    wait_for_lock(run.id());
    sigint(run.id());
    watchdog(&mut run, 60);
    let o = run.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", err(&o));
    let e = err(&o);
    let sent: u64 = e
        .strip_prefix("ifnet: pktgen interrupted after ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{e}"));
    assert!(sent < 1_000_000_000, "{e}");
    assert_eq!(tx_packets(&st, "v0"), sent, "the counters were saved");
    let _ = std::fs::remove_dir_all(&d);
}

/// Ctrl-C while a batch waits for input: nothing is held, the default
/// action ends the process at once, and what ran before is saved.
#[test]
fn sigint_while_batch_waits_ends_it_with_state_saved() {
    use std::os::unix::process::ExitStatusExt;
    let d = scratch("sigint-wait");
    let st = d.join("state.json");
    let mut batch = spawn(cmd(&st, &["-batch", "-"]), Stdio::piped());
    let mut input = batch.stdin.take().unwrap();
    writeln!(input, "link add saved type veth").unwrap();
    let mut seen = false;
    for _ in 0..1000 {
        if ifnet(&st, &["link", "show", "saved"]).status.success() {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(seen, "the batch never saved its first command");
    sigint(batch.id());
    watchdog(&mut batch, 60);
    let status = batch.wait().unwrap();
    assert_eq!(status.signal(), Some(2), "{status:?}");
    drop(input);
    assert!(ifnet(&st, &["link", "show", "saved"]).status.success());
    let _ = std::fs::remove_dir_all(&d);
}
