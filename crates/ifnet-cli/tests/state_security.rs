//! The state file against a hostile local user (issue 8, security): planted
//! symlinks, planted directories, planted lock and capture files, special
//! files named as the state. The attacker's steps run as `nobody` through
//! setpriv when this test runs as root (CI does); otherwise as the caller,
//! which exercises the same open() paths.
//!
//! Each test names what it pins: ifnet's `statefs` (O_NOFOLLOW, O_EXCL,
//! fstat checks) and the rules ssh-agent/tmux apply to their directories.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{bin, err, ifnet, scratch, spawn};

const NOBODY: u32 = 65534;

fn euid() -> u32 {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0)
}

/// Runs `cmd` as the attacker (nobody when we are root and setpriv exists).
fn as_attacker(cmd: &[&str]) {
    let mut c = if euid() == 0 && Path::new("/usr/bin/setpriv").exists() {
        let mut c = Command::new("/usr/bin/setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        c.args(cmd);
        c
    } else {
        let mut c = Command::new(cmd[0]);
        c.args(&cmd[1..]);
        c
    };
    let o = c.output().unwrap();
    assert!(o.status.success(), "{cmd:?}: {}", err(&o));
}

/// A directory anyone may write, for planting (not sticky: in a sticky
/// one this kernel refuses O_CREAT through another user's symlink itself).
fn shared_dir(d: &Path) -> PathBuf {
    let s = d.join("shared");
    std::fs::create_dir_all(&s).unwrap();
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o777)).unwrap();
    s
}

/// A file only the caller can reach, holding `precious`.
fn victim(d: &Path) -> PathBuf {
    let r = d.join("root-only");
    std::fs::create_dir_all(&r).unwrap();
    std::fs::set_permissions(&r, std::fs::Permissions::from_mode(0o700)).unwrap();
    let v = r.join("victim");
    std::fs::write(&v, b"precious").unwrap();
    v
}

fn last_pid() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1000)
}

/// statefs::write_atomically: the temp file is O_CREAT|O_EXCL|O_NOFOLLOW
/// with an unpredictable name. The attacker plants symlinks to the victim
/// for the next few hundred pids under the old `STATE.tmp<pid>` name; none
/// is followed (the old File::create truncated the victim).
#[test]
fn save_never_follows_planted_temp_symlinks() {
    let d = scratch("tmp-symlink");
    let shared = shared_dir(&d);
    let v = victim(&d);
    // The attacker cannot read root-only/, but a symlink needs no access.
    let st = shared.join("state.json");
    assert!(ifnet(&st, &["link", "add", "v0", "type", "veth"])
        .status
        .success());
    // The names of the next 1,000 pids, planted without a fork (which
    // would use them up) and handed to the attacker.
    let base = last_pid();
    for pid in base + 1..base + 1000 {
        let link = shared.join(format!("state.json.tmp{pid}"));
        std::os::unix::fs::symlink(&v, &link).unwrap();
        if euid() == 0 {
            std::os::unix::fs::lchown(&link, Some(NOBODY), Some(NOBODY)).unwrap();
        }
    }
    for i in 0..10 {
        let o = ifnet(&st, &["link", "add", &format!("a{i}"), "type", "veth"]);
        assert!(o.status.success(), "{}", err(&o));
    }
    assert_eq!(
        std::fs::read(&v).unwrap(),
        b"precious",
        "victim overwritten"
    );
    let md = std::fs::symlink_metadata(&st).unwrap();
    assert!(md.file_type().is_file(), "state stays a regular file");
    assert_eq!(md.uid(), euid());
    // remove_stale_temps: the planted names were cleared by the writers.
    let left: Vec<_> = std::fs::read_dir(&shared)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "{} temp names left", left.len());
    let _ = std::fs::remove_dir_all(&d);
}

/// A new state file is 0600; a saved one keeps the mode its owner gave it.
#[test]
fn save_keeps_the_mode_and_a_new_file_is_private() {
    let d = scratch("mode");
    let st = d.join("state.json");
    assert!(ifnet(&st, &["link", "add", "v0", "type", "veth"])
        .status
        .success());
    assert_eq!(std::fs::metadata(&st).unwrap().mode() & 0o777, 0o600);
    std::fs::set_permissions(&st, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(ifnet(&st, &["link", "set", "v0", "up"]).status.success());
    assert_eq!(std::fs::metadata(&st).unwrap().mode() & 0o777, 0o640);
    let _ = std::fs::remove_dir_all(&d);
}

/// A writer killed between creating its temp file and the rename leaves
/// the file behind; the next writer (under the lock) removes it.
#[test]
fn stale_temp_files_are_removed_by_the_next_writer() {
    let d = scratch("stale");
    let st = d.join("state.json");
    assert!(ifnet(&st, &["link", "add", "v0", "type", "veth"])
        .status
        .success());
    std::fs::write(d.join("state.json.tmp4242"), b"{").unwrap();
    std::fs::write(d.join("state.json.tmp.4243.00ff00ff00ff00ff"), b"{").unwrap();
    assert!(ifnet(&st, &["link", "set", "v0", "up"]).status.success());
    let mut names: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["state.json", "state.json.listen", "state.json.lock"]
    );
    let _ = std::fs::remove_dir_all(&d);
}

fn run_default(tmpdir: &Path, user: &str, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env_remove("IFNET_STATE")
        .env_remove("XDG_RUNTIME_DIR")
        .env("TMPDIR", tmpdir)
        .env("USER", user)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// statefs::default_dir/ensure_private_dir: without XDG_RUNTIME_DIR the
/// state lives in $TMPDIR/ifnet-<uid> (not $USER), created 0700.
#[test]
fn default_directory_is_created_private_and_keyed_by_uid() {
    let d = scratch("default-dir");
    let o = run_default(&d, "alice", &["link", "add", "v0", "type", "veth"]);
    assert!(o.status.success(), "{}", err(&o));
    let dir = d.join(format!("ifnet-{}", euid()));
    let md = std::fs::symlink_metadata(&dir).unwrap();
    assert!(md.is_dir());
    assert_eq!(md.mode() & 0o777, 0o700);
    // Another $USER is the same caller: the same state.
    let o = run_default(&d, "mallory", &["link", "show", "v0"]);
    assert!(o.status.success(), "{}", err(&o));
    let _ = std::fs::remove_dir_all(&d);
}

/// A planted default directory (another owner, writable by others, or a
/// symlink) is refused with a message saying how to fix it, and nothing is
/// written into it.
#[test]
fn planted_default_directory_is_refused() {
    let d = scratch("planted-dir");
    let dir = d.join(format!("ifnet-{}", euid()));
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let o = run_default(&d, "alice", &["link", "show"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("others can write it (mode 0777"),
        "{}",
        err(&o)
    );
    assert!(
        err(&o).contains("--state"),
        "says how to fix it: {}",
        err(&o)
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing written"
    );
    if euid() == 0 {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY)).unwrap();
        let o = run_default(&d, "alice", &["link", "show"]);
        assert_eq!(o.status.code(), Some(1));
        let want = format!("it is owned by uid {NOBODY}, not by you (uid 0)");
        assert!(err(&o).contains(&want), "{}", err(&o));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }
    std::fs::remove_dir(&dir).unwrap();
    std::os::unix::fs::symlink(d.join("elsewhere"), &dir).unwrap();
    let o = run_default(&d, "alice", &["link", "show"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("is a symbolic link"), "{}", err(&o));
    assert!(!d.join("elsewhere").exists());
    let _ = std::fs::remove_dir_all(&d);
}

/// statefs::open_side_file: the lock file is opened O_NOFOLLOW; a planted
/// symlink to a file that does not exist yet in a root-only directory does
/// not create it.
#[test]
fn planted_lock_symlink_is_not_followed() {
    let d = scratch("lock-symlink");
    let shared = shared_dir(&d);
    let v = victim(&d);
    let target = v.with_file_name("created-by-ifnet");
    let lock = shared.join("state.json.lock");
    as_attacker(&["ln", "-s", target.to_str().unwrap(), lock.to_str().unwrap()]);
    let o = ifnet(&shared.join("state.json"), &["link", "show"]);
    assert_eq!(o.status.code(), Some(1));
    // ELOOP ("is a symbolic link"); in a sticky directory this kernel
    // answers O_CREAT on another user's symlink with EACCES first.
    let e = err(&o);
    assert!(
        e.contains("is a symbolic link") || e.contains("Permission denied"),
        "{e}"
    );
    assert!(e.contains("state.json.lock"), "{e}");
    assert!(!target.exists(), "the symlink was followed");
    let _ = std::fs::remove_dir_all(&d);
}

/// statefs::check_state_path: "", a FIFO, character devices (copies of
/// /dev/null and /dev/zero made here), a directory and a symlink are
/// refused at once, and no `.lock` appears beside them. A watchdog turns a
/// hang (the old open() of a FIFO) into a failure.
#[test]
fn special_state_paths_fail_at_once() {
    let d = scratch("special");
    let fifo = d.join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut cases: Vec<(PathBuf, &str)> = vec![
        (PathBuf::from(""), "the state file name is empty"),
        (fifo, "is not a regular file (a FIFO)"),
        (d.clone(), "is not a regular file (a directory)"),
    ];
    if euid() == 0 {
        for (name, minor) in [("null", "3"), ("zero", "5")] {
            let p = d.join(name);
            let ok = Command::new("mknod")
                .arg(&p)
                .args(["c", "1", minor])
                .status();
            assert!(ok.unwrap().success());
            cases.push((p, "is not a regular file (a character device)"));
        }
    }
    let real = d.join("real.json");
    assert!(ifnet(&real, &["link", "add", "v0", "type", "veth"])
        .status
        .success());
    let before = std::fs::read(&real).unwrap();
    let link = d.join("link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    cases.push((link.clone(), "is a symbolic link"));
    for (path, want) in &cases {
        let mut c = Command::new(bin());
        c.arg("--state")
            .arg(path)
            .args(["link", "add", "x0", "type", "veth"]);
        let mut child = spawn(c, Stdio::null());
        common::watchdog(&mut child, 30);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{path:?}: {}", err(&o));
        assert!(err(&o).contains(want), "{path:?}: {}", err(&o));
        let mut lock = path.as_os_str().to_owned();
        lock.push(".lock");
        assert!(!Path::new(&lock).exists() || path.as_os_str().is_empty());
    }
    assert_eq!(std::fs::read(&real).unwrap(), before, "target untouched");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let _ = std::fs::remove_dir_all(&d);
}

/// A state file owned by someone else decides which files ifnet appends
/// captures to: it is refused, not loaded.
#[test]
fn state_file_of_another_user_is_refused() {
    if euid() != 0 {
        return; // only root can hand a file to another owner
    }
    let d = scratch("other-owner");
    let st = d.join("state.json");
    assert!(ifnet(&st, &["link", "add", "v0", "type", "veth"])
        .status
        .success());
    std::os::unix::fs::chown(&st, Some(NOBODY), Some(NOBODY)).unwrap();
    let before = std::fs::read(&st).unwrap();
    let o = ifnet(&st, &["link", "show"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("is owned by uid 65534, not by you"),
        "{}",
        err(&o)
    );
    assert_eq!(std::fs::read(&st).unwrap(), before);
    let _ = std::fs::remove_dir_all(&d);
}

fn pcap_len(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().len()
}

/// capture::open_capture: a capture writes only to the file `capture dev`
/// created (same device, inode and owner). Replaced by a symlink to a
/// victim, the path is not followed; a capture is never started on a
/// symlink or on another user's file.
#[test]
fn capture_file_cannot_be_redirected() {
    let d = scratch("capture");
    let shared = shared_dir(&d);
    let v = victim(&d);
    let st = d.join("state.json");
    let cap = shared.join("lo.pcap");
    assert!(ifnet(&st, &["link", "set", "lo", "up"]).status.success());
    let o = ifnet(&st, &["capture", "dev", "lo", "-w", cap.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(ifnet(&st, &["pktgen", "dev", "lo", "count", "2"])
        .status
        .success());
    let written = pcap_len(&cap);
    assert!(written > 24, "frames reached the capture");
    // The attacker swaps the capture file for a symlink to the victim.
    std::fs::remove_file(&cap).unwrap();
    as_attacker(&["ln", "-s", v.to_str().unwrap(), cap.to_str().unwrap()]);
    let o = ifnet(&st, &["pktgen", "dev", "lo", "count", "2"]);
    assert!(
        err(&o).contains("capture: cannot write 4 frames"),
        "{}",
        err(&o)
    );
    assert_eq!(std::fs::read(&v).unwrap(), b"precious");
    // … or for a new regular file of its own with the same name.
    std::fs::remove_file(&cap).unwrap();
    as_attacker(&["touch", cap.to_str().unwrap()]);
    let o = ifnet(&st, &["pktgen", "dev", "lo", "count", "1"]);
    assert!(err(&o).contains("capture: cannot write"), "{}", err(&o));
    assert_eq!(pcap_len(&cap), 0, "the attacker's file was not written");
    assert!(ifnet(&st, &["capture", "stop", "dev", "lo"])
        .status
        .success());
    // A new capture on a symlink, or on a file of another user, is refused.
    let link = shared.join("planted.pcap");
    as_attacker(&["ln", "-s", v.to_str().unwrap(), link.to_str().unwrap()]);
    let o = ifnet(&st, &["capture", "dev", "lo", "-w", link.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains("is a symbolic link") || e.contains("Permission denied"),
        "{e}"
    );
    assert_eq!(std::fs::read(&v).unwrap(), b"precious");
    // Our own symlink in our own directory: ELOOP, named as such.
    let own = d.join("own.pcap");
    std::os::unix::fs::symlink(&v, &own).unwrap();
    let o = ifnet(&st, &["capture", "dev", "lo", "-w", own.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(
        err(&o).contains("is a symbolic link; not followed"),
        "{}",
        err(&o)
    );
    assert_eq!(std::fs::read(&v).unwrap(), b"precious");
    if euid() == 0 {
        let o = ifnet(&st, &["capture", "dev", "lo", "-w", cap.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{}", err(&o));
        assert!(err(&o).contains("owned by uid 65534"), "{}", err(&o));
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// state::listen: a monitor's subscription is a lock the kernel drops when
/// the process dies. Killed with SIGKILL, it leaves nothing in the state,
/// and the next command builds no notification (netlink_has_listeners).
#[test]
fn killed_monitor_leaves_no_listener() {
    use std::io::{BufRead, BufReader};
    let d = scratch("monitor");
    let st = d.join("state.json");
    assert!(ifnet(&st, &["link", "add", "v0", "type", "veth"])
        .status
        .success());
    let mut mon = Command::new(bin())
        .arg("--state")
        .arg(&st)
        .args(["monitor", "link"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(mon.stdout.take().unwrap()).lines();
    // Until the monitor has subscribed, an event may be missed: retry.
    let mut seen = false;
    for i in 0..50 {
        let name = format!("m{i}");
        assert!(ifnet(&st, &["link", "add", &name, "type", "veth"])
            .status
            .success());
        if ring_next_seq(&st) > 1 {
            let line = lines.next().unwrap().unwrap();
            assert!(line.contains("veth"), "{line}");
            seen = true;
            break;
        }
    }
    assert!(seen, "the monitor never subscribed");
    mon.kill().unwrap();
    mon.wait().unwrap();
    let json = std::fs::read_to_string(&st).unwrap();
    assert!(!json.contains("mcast_listeners"), "a listener is stored");
    let before = ring_next_seq(&st);
    assert!(ifnet(&st, &["link", "add", "after", "type", "veth"])
        .status
        .success());
    assert_eq!(ring_next_seq(&st), before, "a notification was built");
    let _ = std::fs::remove_dir_all(&d);
}

/// The multicast ring's next sequence number, from the state file.
fn ring_next_seq(st: &Path) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(st).unwrap()).unwrap();
    let ring = &v["kernel"]["mcast"];
    let queued = ring["entries"].as_array().map_or(0, |e| e.len() as u64);
    ring["first_seq"].as_u64().unwrap() + queued
}

/// state::lock: waiting for the lock longer than a moment names who holds
/// it (from /proc/locks and /proc/PID/cmdline).
#[test]
fn lock_wait_names_the_holder() {
    let d = scratch("holder");
    let st = d.join("state.json");
    assert!(ifnet(&st, &["link", "show"]).status.success());
    let lock = d.join("state.json.lock");
    let mut holder = Command::new("flock")
        .arg(&lock)
        .args(["sleep", "3"])
        .spawn()
        .unwrap();
    let pid = holder.id();
    for _ in 0..200 {
        let locks = std::fs::read_to_string("/proc/locks").unwrap();
        if locks.lines().any(|l| l.contains(&format!(" {pid} "))) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let o = ifnet(&st, &["link", "show", "lo"]);
    holder.wait().unwrap();
    assert!(o.status.success());
    let want = format!("held by pid {pid} (flock {} sleep 3)", lock.display());
    assert!(err(&o).contains(&want), "{}", err(&o));
    let _ = std::fs::remove_dir_all(&d);
}
