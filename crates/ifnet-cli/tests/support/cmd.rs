//! Running a command with a timeout and collecting its exit code, stdout
//! and stderr.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(super) const CMD_TIMEOUT: Duration = Duration::from_secs(60);

/// What one command printed and returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CmdOut {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run a command with a timeout. `Err` only if it cannot be started or does
/// not finish in time.
pub fn run_cmd(
    prog: &Path,
    args: &[String],
    cwd: &Path,
    envs: &[(&str, &str)],
    stdin: Option<&str>,
    timeout: Duration,
) -> Result<CmdOut, String> {
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let show = || format!("{} {}", prog.display(), args.join(" "));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", show()))?;
    if let Some(input) = stdin {
        let mut w = child.stdin.take().expect("piped stdin");
        let input = input.to_string();
        std::thread::spawn(move || {
            let _ = w.write_all(input.as_bytes());
        });
    }
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out_pipe.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err_pipe.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let mut nap = Duration::from_micros(200);
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) => {
                if start.elapsed() > timeout {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("`{}` did not finish within {timeout:?}", show()));
                }
                std::thread::sleep(nap);
                nap = (nap * 2).min(Duration::from_millis(10));
            }
            Err(e) => return Err(format!("waiting for `{}`: {e}", show())),
        }
    };
    let stdout = String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
    let rc = match status.code() {
        Some(c) => c,
        None => {
            use std::os::unix::process::ExitStatusExt;
            128 + status.signal().unwrap_or(0)
        }
    };
    Ok(CmdOut { rc, stdout, stderr })
}

pub(super) fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `GLOBAL -n NS [-force] -batch FILE`: the same arguments for `ip` and for
/// `ifnet`.
pub(super) fn batch_args(ns: &str, force: bool, global: &[String], file: &str) -> Vec<String> {
    let mut args = global.to_vec();
    args.extend(strs(&["-n", ns]));
    if force {
        args.push("-force".into());
    }
    args.extend(strs(&["-batch", file]));
    args
}
