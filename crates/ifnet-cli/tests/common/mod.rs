//! What the binary's tests share: the built `ifnet`, a scratch directory
//! per test, one invocation against a state file, a watchdog that turns a
//! hang into a failure (no test asserts on how long anything takes).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ifnet")
}

/// A fresh, empty directory for one test (removed first if a killed run
/// left it behind).
pub fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ifnet-t-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// `ifnet --state STATE ARGS…`, environment cleaned of `$IFNET_STATE`.
pub fn cmd(state: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.arg("--state")
        .arg(state)
        .args(args)
        .env_remove("IFNET_STATE");
    c
}

/// Runs one invocation with no input.
pub fn ifnet(state: &Path, args: &[&str]) -> Output {
    cmd(state, args)
        .stdin(Stdio::null())
        .output()
        .expect("run ifnet")
}

/// Spawns with stdout and stderr piped (and stdin as given).
pub fn spawn(mut c: Command, stdin: Stdio) -> Child {
    c.stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ifnet")
}

pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Waits up to `secs` for the child; kills it and fails the test on a hang.
pub fn watchdog(child: &mut Child, secs: u64) {
    for _ in 0..secs * 20 {
        if child.try_wait().expect("wait").is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("ifnet blocked for {secs} s");
}

/// Runs `c` to completion under the watchdog (60 s).
pub fn finishes(c: Command) -> Output {
    let mut child = spawn(c, Stdio::null());
    watchdog(&mut child, 60);
    child.wait_with_output().expect("output")
}

/// `ifnet --state STATE monitor OBJECT` in the background while `during`
/// runs other invocations: started 300 ms before them, read for 600 ms
/// after, then killed. What it printed.
pub fn monitor_during(state: &Path, object: &str, during: impl FnOnce()) -> String {
    let mut mon = Command::new(bin())
        .arg("--state")
        .arg(state)
        .args(["monitor", object])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    during();
    std::thread::sleep(std::time::Duration::from_millis(600));
    mon.kill().unwrap();
    let out = mon.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The stdout of `ifnet ARGS` that exited 0; any other status fails the
/// test with both outputs.
pub fn success_stdout(args: &[&str], o: &Output) -> String {
    assert!(
        o.status.success(),
        "ifnet {args:?} failed ({:?}): {}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `ifnet --state STATE WORDS` (split at spaces): (exit code, stdout,
/// stderr).
pub fn run_words(state: &Path, words: &str) -> (i32, String, String) {
    let args: Vec<&str> = words.split(' ').collect();
    let o = ifnet(state, &args);
    (o.status.code().unwrap_or(-1), out(&o), err(&o))
}

/// As [`run_words`], which must succeed: its stdout.
pub fn ok_words(state: &Path, words: &str) -> String {
    let (code, stdout, stderr) = run_words(state, words);
    assert_eq!(code, 0, "{words}: {stderr}");
    stdout
}

/// A state file in a fresh scratch directory.
pub fn scratch_state(tag: &str) -> PathBuf {
    scratch(tag).join("state.json")
}
