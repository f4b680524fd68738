//! The ifnet side of the comparison: the `ifnet` binary with its own state
//! file, run the way the kernel side runs `ip`.

use std::fs;
use std::path::{Path, PathBuf};

use super::batch::Scenario;
use super::cmd::{batch_args, run_cmd, strs, CmdOut, CMD_TIMEOUT};
use super::execute::{execute, Backend, Outcome};
use super::netns::NsNames;

/// `ifnet` with its own state file.
struct Ifnet {
    bin: PathBuf,
    dir: PathBuf,
    state: String,
}

impl Ifnet {
    fn run(&self, args: &[String]) -> Result<CmdOut, String> {
        let mut full = strs(&["--state", &self.state]);
        full.extend_from_slice(args);
        // A timeout or a failure to start is an ifnet bug, not a harness
        // failure: report it as an odd exit code so it shows as a mismatch.
        Ok(run_cmd(
            &self.bin,
            &full,
            &self.dir,
            &[("IFNET_STATE", &self.state)],
            None,
            CMD_TIMEOUT,
        )
        .unwrap_or_else(|e| CmdOut {
            rc: -1,
            stdout: String::new(),
            stderr: format!("<harness: {e}>\n"),
        }))
    }
}

impl Backend for Ifnet {
    fn side(&self) -> &'static str {
        "ifnet"
    }
    fn netns_add(&mut self, name: &str) -> Result<CmdOut, String> {
        self.run(&strs(&["netns", "add", name]))
    }
    fn netns_del(&mut self, name: &str, _survivors: &[String]) -> Result<CmdOut, String> {
        self.run(&strs(&["netns", "del", name]))
    }
    fn batch(
        &mut self,
        ns: &str,
        force: bool,
        global: &[String],
        file: &str,
    ) -> Result<CmdOut, String> {
        let args = batch_args(ns, force, global, file);
        self.run(&args)
    }
    fn settle(&mut self, _live: &[String]) -> Result<(), String> {
        Ok(()) // every ifnet invocation settles before it returns
    }
    fn show(&mut self, ns: &str, json: bool, details: bool) -> Result<CmdOut, String> {
        let mut args = strs(&["-n", ns]);
        if details {
            args.push("-d".into());
        }
        if json {
            args.push("-j".into());
        }
        args.extend(strs(&["link", "show"]));
        self.run(&args)
    }
    fn show_addr(&mut self, ns: &str, json: bool, family: Option<&str>) -> Result<CmdOut, String> {
        let mut args = strs(&["-n", ns]);
        if json {
            args.push("-j".into());
        }
        if let Some(f) = family {
            args.push(f.into());
        }
        args.extend(strs(&["address", "show"]));
        self.run(&args)
    }
}

/// Run `sc` through `ifnet` with a fresh state file in `dir`.
pub fn run_ifnet(
    bin: &Path,
    sc: &Scenario,
    names: &NsNames,
    dir: &Path,
) -> Result<Outcome, String> {
    let state = dir.join("ifnet.state");
    let _ = fs::remove_file(&state);
    let mut f = Ifnet {
        bin: bin.to_path_buf(),
        dir: dir.to_path_buf(),
        state: state.to_string_lossy().into_owned(),
    };
    execute(&mut f, sc, names, dir, false)
}
