//! Differential harness: run an iproute2 batch through the real kernel (`ip` in
//! fresh network namespaces) and through `ifnet` (a fresh state file), then
//! compare what user space sees: exit codes, stdout/stderr lines, `link show`
//! text (random hardware addresses masked) and `-j link show` objects.
//!
//! # Batch files
//!
//! A batch file is an ordinary `ip -batch` file; it stays runnable by `ip`
//! unchanged. The harness reads a few comment lines:
//!
//! - `# pins: <kernel function> — what` — what the scenario pins (required);
//! - `# flags: -force` — run the batch with `-force`;
//! - `#@ in @X1@` — the following lines run with `-n @X1@` (`@MAIN@`, `@X1@`,
//!   `@X2@`); the default is `@MAIN@`;
//! - `#@ netns del @X1@`, `#@ netns add @X1@` — delete or (re)create an extra
//!   namespace between two runs of `ip` (on the kernel side the harness waits
//!   until the namespace's teardown, `default_device_exit_batch`, is over).
//!
//! The lines between two directives form one step, run as one `ip -batch`
//! invocation. Each step runs a file with the *same name and line numbers* as
//! the whole file (lines of other steps blanked), so `Command failed FILE:LINE`
//! is identical on both sides. `@X1@`/`@X2@`/`@MAIN@` are replaced by the
//! namespace names (`ifnet-diff-<pid>-<n>-x1`, …); in the outputs the names are
//! turned back into the placeholders.
//!
//! # Environment
//!
//! - `IFNET_NO_KERNEL_ORACLE=1`: skip the differential tests (with a notice).
//! - `IFNET_DIFF_KEEP=1`: keep the temporary directories (batch copies, state).
#![allow(dead_code)]

pub mod json;
pub mod textdiff;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use json::Json;

/// Set to `1` to skip every differential test (no root / no netns here).
pub const NO_ORACLE_ENV: &str = "IFNET_NO_KERNEL_ORACLE";

const CMD_TIMEOUT: Duration = Duration::from_secs(60);
const NETNS_CLEANUP_TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// Namespaces and their names
// ---------------------------------------------------------------------------

/// The role of a namespace in a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Main,
    X1,
    X2,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Main, Role::X1, Role::X2];

    pub fn placeholder(self) -> &'static str {
        match self {
            Role::Main => "@MAIN@",
            Role::X1 => "@X1@",
            Role::X2 => "@X2@",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Role::Main => "main",
            Role::X1 => "x1",
            Role::X2 => "x2",
        }
    }

    fn from_placeholder(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.placeholder() == s)
    }
}

/// Real namespace names for one run: `ifnet-diff-<pid>-<counter>-{main,x1,x2}`.
#[derive(Clone, Debug)]
pub struct NsNames {
    prefix: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl NsNames {
    pub fn fresh() -> NsNames {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        NsNames {
            prefix: format!("ifnet-diff-{}-{}", std::process::id(), n),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn name(&self, r: Role) -> String {
        format!("{}-{}", self.prefix, r.suffix())
    }

    /// Replace the placeholders by the real names.
    pub fn substitute(&self, s: &str) -> String {
        let mut s = s.to_string();
        for r in Role::ALL {
            s = s.replace(r.placeholder(), &self.name(r));
        }
        s
    }

    /// Replace the real names by the placeholders.
    pub fn unsubstitute(&self, s: &str) -> String {
        let mut s = s.to_string();
        for r in Role::ALL {
            s = s.replace(&self.name(r), r.placeholder());
        }
        s
    }
}

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

/// One batch file (or one generated command sequence).
#[derive(Clone, Debug)]
pub struct Scenario {
    /// File stem; the batch runs as `<name>.batch`.
    pub name: String,
    /// The `# pins:` line (without the `# pins:` prefix).
    pub pins: String,
    /// Run with `-force`.
    pub force: bool,
    /// Lines of the file, placeholders unsubstituted.
    pub lines: Vec<String>,
}

/// A step of a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// One `ip -n NS -batch FILE` run; `lines` are 0-based line indices.
    Batch {
        ns: Role,
        lines: Vec<usize>,
    },
    NetnsDel(Role),
    NetnsAdd(Role),
}

impl Scenario {
    pub fn from_file(path: &Path) -> Result<Scenario, String> {
        let text = fs::read_to_string(path)
            .map_err(|e| format!("cannot read batch file {}: {e}", path.display()))?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("bad batch file name {}", path.display()))?
            .to_string();
        let sc = Scenario::from_text(&name, &text);
        if sc.pins.is_empty() {
            return Err(format!(
                "{}: missing `# pins: <kernel function> — what` line",
                path.display()
            ));
        }
        sc.steps()?;
        Ok(sc)
    }

    pub fn from_text(name: &str, text: &str) -> Scenario {
        let lines: Vec<String> = text.lines().map(|l| l.to_string()).collect();
        let mut pins = String::new();
        let mut force = false;
        for l in &lines {
            let t = l.trim();
            if let Some(p) = t.strip_prefix("# pins:") {
                if pins.is_empty() {
                    pins = p.trim().to_string();
                }
            } else if let Some(f) = t.strip_prefix("# flags:") {
                force |= f.split_whitespace().any(|w| w == "-force");
            }
        }
        Scenario {
            name: name.to_string(),
            pins,
            force,
            lines,
        }
    }

    /// Split the file into steps at the `#@` directives.
    pub fn steps(&self) -> Result<Vec<Step>, String> {
        let mut steps = Vec::new();
        let mut ns = Role::Main;
        let mut cur: Vec<usize> = Vec::new();
        let flush = |steps: &mut Vec<Step>, ns: Role, cur: &mut Vec<usize>, lines: &[String]| {
            let has_cmd = cur.iter().any(|&i| {
                let t = lines[i].trim();
                !t.is_empty() && !t.starts_with('#')
            });
            if has_cmd {
                steps.push(Step::Batch {
                    ns,
                    lines: std::mem::take(cur),
                });
            } else {
                cur.clear();
            }
        };
        for (i, l) in self.lines.iter().enumerate() {
            let t = l.trim();
            let Some(d) = t.strip_prefix("#@") else {
                cur.push(i);
                continue;
            };
            flush(&mut steps, ns, &mut cur, &self.lines);
            let words: Vec<&str> = d.split_whitespace().collect();
            let role = |w: &str| {
                Role::from_placeholder(w)
                    .ok_or_else(|| format!("{}:{}: unknown namespace {w:?}", self.name, i + 1))
            };
            match words.as_slice() {
                ["in", r] => ns = role(r)?,
                ["netns", "del", r] => {
                    let r = role(r)?;
                    if r == Role::Main {
                        return Err(format!("{}:{}: cannot delete @MAIN@", self.name, i + 1));
                    }
                    steps.push(Step::NetnsDel(r));
                }
                ["netns", "add", r] => steps.push(Step::NetnsAdd(role(r)?)),
                _ => return Err(format!("{}:{}: unknown directive {t:?}", self.name, i + 1)),
            }
        }
        flush(&mut steps, ns, &mut cur, &self.lines);
        Ok(steps)
    }

    /// The namespaces the scenario needs: always `@MAIN@`, plus each extra one
    /// it mentions.
    pub fn roles(&self) -> Vec<Role> {
        let mut v = vec![Role::Main];
        for r in [Role::X1, Role::X2] {
            if self.lines.iter().any(|l| l.contains(r.placeholder())) {
                v.push(r);
            }
        }
        v
    }

    pub fn file_name(&self) -> String {
        format!("{}.batch", self.name)
    }

    /// The file for one step: every line of the scenario keeps its number;
    /// lines outside `only` are blank.
    fn render(&self, names: &NsNames, only: &[usize]) -> String {
        let keep: BTreeSet<usize> = only.iter().copied().collect();
        let mut s = String::new();
        for (i, l) in self.lines.iter().enumerate() {
            if keep.contains(&i) {
                s.push_str(&names.substitute(l));
            }
            s.push('\n');
        }
        s
    }

    /// Hardware addresses written in the batch file: these are deterministic
    /// and are not masked in the outputs.
    pub fn literal_addresses(&self) -> BTreeSet<String> {
        let mut set = BTreeSet::new();
        for l in &self.lines {
            for w in l.split_whitespace() {
                let w = w.to_ascii_lowercase();
                if is_hwaddr(&w) {
                    set.insert(w);
                }
            }
        }
        set
    }

    /// The file with line numbers, for reports.
    pub fn listing(&self) -> String {
        let mut s = String::new();
        for (i, l) in self.lines.iter().enumerate() {
            let _ = writeln!(s, "    {:>3} | {l}", i + 1);
        }
        s
    }
}

fn is_hwaddr(w: &str) -> bool {
    let parts: Vec<&str> = w.split(':').collect();
    parts.len() >= 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Load every `*.batch` file of a directory, sorted by name.
pub fn load_batches(dir: &Path) -> Result<Vec<Scenario>, String> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "batch"))
        .collect();
    paths.sort();
    paths.iter().map(|p| Scenario::from_file(p)).collect()
}

/// `tests/batches` at the repository root.
pub fn batches_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/batches")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/batches"))
}

// ---------------------------------------------------------------------------
// Running commands
// ---------------------------------------------------------------------------

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

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------
// The two sides
// ---------------------------------------------------------------------------

/// One side of the comparison: the kernel through `ip`, or `ifnet`.
trait Backend {
    fn side(&self) -> &'static str;
    fn netns_add(&mut self, name: &str) -> Result<CmdOut, String>;
    fn netns_del(&mut self, name: &str, survivors: &[String]) -> Result<CmdOut, String>;
    fn batch(&mut self, ns: &str, force: bool, file: &str) -> Result<CmdOut, String>;
    /// Bring the system to idle (linkwatch done) before the next look.
    fn settle(&mut self, live: &[String]) -> Result<(), String>;
    fn show(&mut self, ns: &str, json: bool) -> Result<CmdOut, String>;
    /// How a batch step is shown in reports.
    fn batch_label(&self, ns: Role, force: bool, file: &str) -> String {
        format!(
            "-n {} {}-batch {file}",
            ns.placeholder(),
            if force { "-force " } else { "" }
        )
    }
}

/// The real kernel through `ip`. Deletes every namespace it created on drop.
struct Kernel {
    dir: PathBuf,
    created: BTreeSet<String>,
}

fn ip_path() -> PathBuf {
    for p in ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    PathBuf::from("ip")
}

/// `ip` resolves `link-netnsid` to a name by asking the kernel for the nsid of
/// every entry of /var/run/netns; an entry that someone else (another test,
/// another user) is deleting at that moment makes it print this line and go
/// on. It says nothing about the namespaces under test.
const NETNS_MAP_NOISE: &str = "Error: Peer netns reference is invalid.";

impl Kernel {
    fn ip(&self, args: &[String], stdin: Option<&str>) -> Result<CmdOut, String> {
        let mut o = run_cmd(&ip_path(), args, &self.dir, &[], stdin, CMD_TIMEOUT)?;
        if o.stderr.contains(NETNS_MAP_NOISE) {
            o.stderr = o
                .stderr
                .split_inclusive('\n')
                .filter(|l| l.trim_end() != NETNS_MAP_NOISE)
                .collect();
        }
        Ok(o)
    }

    fn ip_ok(&self, args: &[String]) -> Result<String, String> {
        let o = self.ip(args, None)?;
        if o.rc != 0 {
            return Err(format!(
                "`ip {}` failed (exit {}): {}",
                args.join(" "),
                o.rc,
                o.stderr.trim()
            ));
        }
        Ok(o.stdout)
    }

    fn dump(&self, ns: &str) -> Result<String, String> {
        self.ip_ok(&strs(&["-n", ns, "-j", "link", "show"]))
    }

    /// Wait until a deleted namespace is really gone: no surviving namespace
    /// still has an nsid for it (`unhash_nsid`) nor a device whose link
    /// partner lived there (`default_device_exit_batch` deleted veth peers).
    fn wait_netns_gone(&self, survivors: &[String]) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let mut busy = None;
            for ns in survivors {
                let ids = self.ip_ok(&strs(&["-n", ns, "netns", "list-id"]))?;
                if let Some(l) = ids
                    .lines()
                    .find(|l| l.starts_with("nsid") && !l.contains("iproute2 netns name"))
                {
                    busy = Some(format!("{ns}: {l}"));
                    break;
                }
                let text = self.ip_ok(&strs(&["-n", ns, "link", "show"]))?;
                if let Some(l) = text.lines().find(|l| l.contains("link-netnsid")) {
                    busy = Some(format!("{ns}: {l}"));
                    break;
                }
            }
            match busy {
                None => return Ok(()),
                Some(what) if start.elapsed() > NETNS_CLEANUP_TIMEOUT => {
                    return Err(format!(
                    "namespace teardown did not finish within {NETNS_CLEANUP_TIMEOUT:?} ({what})"
                ))
                }
                Some(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        for ns in std::mem::take(&mut self.created) {
            let _ = self.ip(&strs(&["netns", "del", &ns]), None);
        }
    }
}

impl Backend for Kernel {
    fn side(&self) -> &'static str {
        "kernel"
    }

    fn netns_add(&mut self, name: &str) -> Result<CmdOut, String> {
        let o = self.ip(&strs(&["netns", "add", name]), None)?;
        if o.rc == 0 {
            self.created.insert(name.to_string());
        }
        Ok(o)
    }

    fn netns_del(&mut self, name: &str, survivors: &[String]) -> Result<CmdOut, String> {
        let o = self.ip(&strs(&["netns", "del", name]), None)?;
        if o.rc == 0 {
            self.created.remove(name);
            self.wait_netns_gone(survivors)?;
        }
        Ok(o)
    }

    fn batch(&mut self, ns: &str, force: bool, file: &str) -> Result<CmdOut, String> {
        let mut args = strs(&["-n", ns]);
        if force {
            args.push("-force".into());
        }
        args.extend(strs(&["-batch", file]));
        self.ip(&args, None)
    }

    /// `rtnl_getlink` calls `linkwatch_sync_dev`: a `link show dev X` for each
    /// device runs its pending linkwatch event, which may queue events for
    /// others (a veth's carrier makes its bridge's carrier change). Repeat
    /// until a round changes nothing.
    fn settle(&mut self, live: &[String]) -> Result<(), String> {
        for _round in 0..20 {
            let before: Vec<String> = live
                .iter()
                .map(|ns| self.dump(ns))
                .collect::<Result<_, _>>()?;
            for (ns, dump) in live.iter().zip(&before) {
                let j = json::parse(dump).map_err(|e| format!("ip -j output: {e}"))?;
                let mut script = String::new();
                for d in j.as_array().unwrap_or(&[]) {
                    if let Some(n) = d.get("ifname").and_then(Json::as_str) {
                        let _ = writeln!(script, "link show dev {n}");
                    }
                }
                self.ip(&strs(&["-n", ns, "-force", "-batch", "-"]), Some(&script))?;
            }
            let after: Vec<String> = live
                .iter()
                .map(|ns| self.dump(ns))
                .collect::<Result<_, _>>()?;
            if before == after {
                return Ok(());
            }
        }
        Err("the kernel's link state did not settle after 20 linkwatch rounds".into())
    }

    fn show(&mut self, ns: &str, json: bool) -> Result<CmdOut, String> {
        let mut args = strs(&["-n", ns]);
        if json {
            args.push("-j".into());
        }
        args.extend(strs(&["link", "show"]));
        self.ip(&args, None)
    }
}

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
    fn batch(&mut self, ns: &str, force: bool, file: &str) -> Result<CmdOut, String> {
        let mut args = strs(&["-n", ns]);
        if force {
            args.push("-force".into());
        }
        args.extend(strs(&["-batch", file]));
        self.run(&args)
    }
    fn settle(&mut self, _live: &[String]) -> Result<(), String> {
        Ok(()) // every ifnet invocation settles before it returns
    }
    fn show(&mut self, ns: &str, json: bool) -> Result<CmdOut, String> {
        let mut args = strs(&["-n", ns]);
        if json {
            args.push("-j".into());
        }
        args.extend(strs(&["link", "show"]));
        self.run(&args)
    }
}

// ---------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------

/// A step's result, outputs normalized (names → placeholders, MACs masked).
#[derive(Clone, Debug)]
pub struct StepResult {
    pub label: String,
    pub out: CmdOut,
}

/// What one namespace looks like at the end.
#[derive(Clone, Debug)]
pub struct NsView {
    pub role: Role,
    pub text: CmdOut,
    pub json_raw: CmdOut,
    pub json: Result<Json, String>,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub side: &'static str,
    pub steps: Vec<StepResult>,
    pub views: Vec<NsView>,
}

/// Replaces real names by placeholders and masks random hardware addresses.
struct Normalizer<'a> {
    names: &'a NsNames,
    keep: BTreeSet<String>,
}

pub const MASK: &str = "<hwaddr>";

impl Normalizer<'_> {
    fn text(&self, s: &str) -> String {
        let s = self.names.unsubstitute(s);
        let mut out = String::with_capacity(s.len());
        for (i, line) in s.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&self.mask_line(line));
        }
        out
    }

    /// `link/ether XX:..` and `permaddr XX:..` → placeholder; `brd` is kept.
    fn mask_line(&self, line: &str) -> String {
        let mut out = String::new();
        let mut rest = line;
        loop {
            let hit = ["link/ether ", "permaddr "]
                .iter()
                .filter_map(|k| rest.find(k).map(|p| (p, k.len())))
                .min();
            let Some((p, klen)) = hit else {
                out.push_str(rest);
                return out;
            };
            out.push_str(&rest[..p + klen]);
            rest = &rest[p + klen..];
            let end = rest.find(' ').unwrap_or(rest.len());
            let addr = &rest[..end];
            if self.keep.contains(&addr.to_ascii_lowercase()) {
                out.push_str(addr);
            } else {
                out.push_str(MASK);
            }
            rest = &rest[end..];
        }
    }

    fn out(&self, o: CmdOut) -> CmdOut {
        CmdOut {
            rc: o.rc,
            stdout: self.text(&o.stdout),
            stderr: self.text(&o.stderr),
        }
    }

    fn json(&self, raw: &str) -> Result<Json, String> {
        let mut j = json::parse(raw).map_err(|e| format!("{e}; output was {raw:?}"))?;
        let keep = &self.keep;
        let names = self.names;
        j.for_each_object_mut(&mut |m| {
            for (k, v) in m.iter_mut() {
                if let Json::Str(s) = v {
                    if (k == "address" || k == "perm_address")
                        && !keep.contains(&s.to_ascii_lowercase())
                    {
                        *s = MASK.to_string();
                    } else {
                        *s = names.unsubstitute(s);
                    }
                }
            }
        });
        Ok(j)
    }
}

fn execute(
    be: &mut dyn Backend,
    sc: &Scenario,
    names: &NsNames,
    dir: &Path,
    strict_setup: bool,
) -> Result<Outcome, String> {
    let norm = Normalizer {
        names,
        keep: sc.literal_addresses(),
    };
    let roles = sc.roles();
    let mut live: BTreeSet<Role> = BTreeSet::new();
    let mut steps = Vec::new();
    let live_names =
        |live: &BTreeSet<Role>| -> Vec<String> { live.iter().map(|r| names.name(*r)).collect() };

    for &r in &roles {
        let o = be.netns_add(&names.name(r))?;
        if o.rc == 0 {
            live.insert(r);
        } else if strict_setup {
            return Err(format!(
                "cannot create network namespace {} (need root, iproute2 and netns \
                 support; set {NO_ORACLE_ENV}=1 to skip the differential tests): {}",
                names.name(r),
                o.stderr.trim()
            ));
        }
        steps.push(StepResult {
            label: format!("netns add {}", r.placeholder()),
            out: norm.out(o),
        });
    }

    let file = sc.file_name();
    for step in sc.steps()? {
        match step {
            Step::Batch { ns, lines } => {
                fs::write(dir.join(&file), sc.render(names, &lines))
                    .map_err(|e| format!("cannot write {}: {e}", dir.join(&file).display()))?;
                let o = be.batch(&names.name(ns), sc.force, &file)?;
                let first = lines.first().map_or(0, |l| l + 1);
                let last = lines.last().map_or(0, |l| l + 1);
                steps.push(StepResult {
                    label: format!(
                        "{} (lines {first}-{last})",
                        be.batch_label(ns, sc.force, &file)
                    ),
                    out: norm.out(o),
                });
            }
            Step::NetnsDel(r) => {
                let mut survivors = live.clone();
                survivors.remove(&r);
                let o = be.netns_del(&names.name(r), &live_names(&survivors))?;
                if o.rc == 0 {
                    live.remove(&r);
                }
                steps.push(StepResult {
                    label: format!("netns del {}", r.placeholder()),
                    out: norm.out(o),
                });
            }
            Step::NetnsAdd(r) => {
                let o = be.netns_add(&names.name(r))?;
                if o.rc == 0 {
                    live.insert(r);
                }
                steps.push(StepResult {
                    label: format!("netns add {}", r.placeholder()),
                    out: norm.out(o),
                });
            }
        }
        be.settle(&live_names(&live))?;
    }

    let mut views = Vec::new();
    for &r in &roles {
        if !live.contains(&r) {
            continue;
        }
        let text = be.show(&names.name(r), false)?;
        let json_raw = be.show(&names.name(r), true)?;
        let json = if json_raw.rc == 0 {
            norm.json(&json_raw.stdout)
        } else {
            Err(format!("exit code {}", json_raw.rc))
        };
        views.push(NsView {
            role: r,
            text: norm.out(text),
            json_raw: norm.out(json_raw),
            json,
        });
    }
    Ok(Outcome {
        side: be.side(),
        steps,
        views,
    })
}

/// A temporary directory, removed on drop unless `IFNET_DIFF_KEEP=1`.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(names: &NsNames) -> Result<TempDir, String> {
        let path = std::env::temp_dir().join(names.prefix());
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var("IFNET_DIFF_KEEP").as_deref() != Ok("1") {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Run `sc` through the kernel. `Err` means the oracle itself failed.
pub fn run_kernel(sc: &Scenario, names: &NsNames, dir: &Path) -> Result<Outcome, String> {
    let mut k = Kernel {
        dir: dir.to_path_buf(),
        created: BTreeSet::new(),
    };
    // `k` deletes its namespaces when dropped, also when this unwinds.
    execute(&mut k, sc, names, dir, true)
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

// ---------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------

/// One difference between the kernel and ifnet.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// Short classification, e.g. `step 2 (-n @MAIN@ -batch x.batch): stderr`.
    pub what: String,
    /// Both sides and the first differing line.
    pub detail: String,
}

fn text_mismatch(what: String, kernel: &str, ifnet: &str) -> Option<Mismatch> {
    if kernel == ifnet {
        return None;
    }
    let mut d = String::new();
    if let Some((n, a, b)) = textdiff::first_difference(kernel, ifnet) {
        let _ = writeln!(d, "  first difference at line {n}:");
        let _ = writeln!(d, "    kernel: {a}");
        let _ = writeln!(d, "    ifnet : {b}");
    } else {
        let _ = writeln!(d, "  (differ only in trailing newline)");
    }
    let _ = writeln!(d, "  diff (- kernel, + ifnet):");
    d.push_str(&textdiff::line_diff(kernel, ifnet, "    "));
    Some(Mismatch { what, detail: d })
}

fn dev_label(d: &Json) -> String {
    let idx = d.get("ifindex").map(|v| v.compact()).unwrap_or_default();
    let name = d.get("ifname").map(|v| v.compact()).unwrap_or_default();
    format!("{idx}: {name}")
}

fn json_mismatch(what: String, kernel: &Json, ifnet: &Json) -> Option<Mismatch> {
    if kernel == ifnet {
        return None;
    }
    let mut d = String::new();
    match (kernel.as_array(), ifnet.as_array()) {
        (Some(ka), Some(fa)) => {
            if ka.len() != fa.len() {
                let _ = writeln!(
                    d,
                    "  device count: kernel {} [{}], ifnet {} [{}]",
                    ka.len(),
                    ka.iter().map(dev_label).collect::<Vec<_>>().join(", "),
                    fa.len(),
                    fa.iter().map(dev_label).collect::<Vec<_>>().join(", ")
                );
            }
            for (i, (k, f)) in ka.iter().zip(fa).enumerate() {
                if k == f {
                    continue;
                }
                let _ = writeln!(
                    d,
                    "  device #{i} (kernel {}, ifnet {}):",
                    dev_label(k),
                    dev_label(f)
                );
                match (k, f) {
                    (Json::Obj(km), Json::Obj(fm)) => {
                        for (key, kv) in km {
                            match f.get(key) {
                                None => {
                                    let _ = writeln!(
                                        d,
                                        "    {key}: kernel {}, ifnet <missing>",
                                        kv.compact()
                                    );
                                }
                                Some(fv) if fv != kv => {
                                    let _ = writeln!(
                                        d,
                                        "    {key}: kernel {}, ifnet {}",
                                        kv.compact(),
                                        fv.compact()
                                    );
                                }
                                _ => {}
                            }
                        }
                        for (key, fv) in fm {
                            if k.get(key).is_none() {
                                let _ = writeln!(
                                    d,
                                    "    {key}: kernel <missing>, ifnet {}",
                                    fv.compact()
                                );
                            }
                        }
                    }
                    _ => {
                        let _ =
                            writeln!(d, "    kernel {}\n    ifnet  {}", k.compact(), f.compact());
                    }
                }
            }
            for k in ka.iter().skip(fa.len()) {
                let _ = writeln!(d, "  only in kernel: {}", k.compact());
            }
            for f in fa.iter().skip(ka.len()) {
                let _ = writeln!(d, "  only in ifnet : {}", f.compact());
            }
        }
        _ => {
            let _ = writeln!(d, "  kernel: {}", kernel.compact());
            let _ = writeln!(d, "  ifnet : {}", ifnet.compact());
        }
    }
    Some(Mismatch { what, detail: d })
}

/// All differences between the two outcomes.
pub fn compare(kernel: &Outcome, ifnet: &Outcome) -> Vec<Mismatch> {
    let mut v = Vec::new();
    for (i, (k, f)) in kernel.steps.iter().zip(&ifnet.steps).enumerate() {
        let step = format!("step {} [{}]", i + 1, k.label);
        if k.out.rc != f.out.rc {
            v.push(Mismatch {
                what: format!("{step}: exit code"),
                detail: format!("  kernel {}, ifnet {}\n", k.out.rc, f.out.rc),
            });
        }
        v.extend(text_mismatch(
            format!("{step}: stderr"),
            &k.out.stderr,
            &f.out.stderr,
        ));
        v.extend(text_mismatch(
            format!("{step}: stdout"),
            &k.out.stdout,
            &f.out.stdout,
        ));
    }
    if kernel.steps.len() != ifnet.steps.len() {
        v.push(Mismatch {
            what: "number of steps".into(),
            detail: format!(
                "  kernel {}, ifnet {} (harness bug)\n",
                kernel.steps.len(),
                ifnet.steps.len()
            ),
        });
    }
    for kv in &kernel.views {
        let ns = kv.role.placeholder();
        let Some(fv) = ifnet.views.iter().find(|f| f.role == kv.role) else {
            v.push(Mismatch {
                what: format!("{ns}: namespace"),
                detail: "  exists in the kernel, not in ifnet\n".into(),
            });
            continue;
        };
        if kv.text.rc != fv.text.rc {
            v.push(Mismatch {
                what: format!("{ns}: `link show` exit code"),
                detail: format!("  kernel {}, ifnet {}\n", kv.text.rc, fv.text.rc),
            });
        }
        v.extend(text_mismatch(
            format!("{ns}: `link show` stderr"),
            &kv.text.stderr,
            &fv.text.stderr,
        ));
        v.extend(text_mismatch(
            format!("{ns}: `link show` text"),
            &kv.text.stdout,
            &fv.text.stdout,
        ));
        match (&kv.json, &fv.json) {
            (Ok(kj), Ok(fj)) => v.extend(json_mismatch(format!("{ns}: `-j link show`"), kj, fj)),
            (Ok(_), Err(e)) => v.push(Mismatch {
                what: format!("{ns}: `-j link show`"),
                detail: format!(
                    "  ifnet output is not comparable: {e}\n  stderr: {}\n",
                    fv.json_raw.stderr.trim()
                ),
            }),
            (Err(e), _) => v.push(Mismatch {
                what: format!("{ns}: `-j link show`"),
                detail: format!("  kernel output is not comparable (harness bug?): {e}\n"),
            }),
        }
    }
    for fv in &ifnet.views {
        if !kernel.views.iter().any(|k| k.role == fv.role) {
            v.push(Mismatch {
                what: format!("{}: namespace", fv.role.placeholder()),
                detail: "  exists in ifnet, not in the kernel\n".into(),
            });
        }
    }
    v
}

/// The result of running one scenario on both sides.
pub struct Report {
    pub scenario: Scenario,
    pub kernel: Outcome,
    pub ifnet: Outcome,
    pub mismatches: Vec<Mismatch>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// A readable account: the scenario, its file, every mismatch.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "=== MISMATCH {} — {} difference(s)\n    # pins: {}",
            self.scenario.file_name(),
            self.mismatches.len(),
            self.scenario.pins
        );
        let _ = writeln!(s, "--- batch file:");
        s.push_str(&self.scenario.listing());
        for m in &self.mismatches {
            let _ = writeln!(s, "--- {}", m.what);
            s.push_str(&m.detail);
        }
        let _ = writeln!(s, "--- outputs, kernel side:");
        s.push_str(&render_outcome(&self.kernel));
        let _ = writeln!(s, "--- outputs, ifnet side:");
        s.push_str(&render_outcome(&self.ifnet));
        s
    }

    /// One line per mismatch: `name: what`.
    pub fn summary_lines(&self) -> Vec<String> {
        self.mismatches
            .iter()
            .map(|m| format!("{}: {}", self.scenario.file_name(), m.what))
            .collect()
    }
}

/// Every step's output and the final `link show` of each namespace.
pub fn render_outcome(o: &Outcome) -> String {
    let mut s = String::new();
    for st in &o.steps {
        let _ = writeln!(s, "  $ {}  → exit {}", st.label, st.out.rc);
        for l in st.out.stdout.lines() {
            let _ = writeln!(s, "    out| {l}");
        }
        for l in st.out.stderr.lines() {
            let _ = writeln!(s, "    err| {l}");
        }
    }
    for v in &o.views {
        let _ = writeln!(
            s,
            "  $ -n {} link show  → exit {}",
            v.role.placeholder(),
            v.text.rc
        );
        s.push_str(&textdiff::indented(&v.text.stdout, "    | "));
        for l in v.text.stderr.lines() {
            let _ = writeln!(s, "    err| {l}");
        }
    }
    s
}

/// Run one scenario through the kernel and through ifnet and compare.
/// `Err` means the harness or the kernel oracle failed (not a mismatch).
pub fn run_scenario(ifnet_bin: &Path, sc: &Scenario) -> Result<Report, String> {
    let names = NsNames::fresh();
    let dir = TempDir::new(&names)?;
    let kernel = run_kernel(sc, &names, &dir.path)?;
    let ifnet = run_ifnet(ifnet_bin, sc, &names, &dir.path)?;
    let mismatches = compare(&kernel, &ifnet);
    Ok(Report {
        scenario: sc.clone(),
        kernel,
        ifnet,
        mismatches,
    })
}

/// `false` (after printing a notice) when the differential tests must be
/// skipped; panics with a clear message when the oracle is unusable.
pub fn kernel_oracle_available(test: &str) -> bool {
    if std::env::var(NO_ORACLE_ENV).as_deref() == Ok("1") {
        eprintln!("NOTICE: {test}: skipped, {NO_ORACLE_ENV}=1 (no kernel oracle)");
        return false;
    }
    let names = NsNames::fresh();
    let dir = match TempDir::new(&names) {
        Ok(d) => d,
        Err(e) => panic!("{test}: {e}"),
    };
    let mut k = Kernel {
        dir: dir.path.clone(),
        created: BTreeSet::new(),
    };
    let probe = format!("{}-probe", names.prefix());
    match k.netns_add(&probe) {
        Ok(o) if o.rc == 0 => true,
        Ok(o) => panic!(
            "{test}: cannot create a network namespace with `ip netns add` \
             (exit {}: {}). The differential suite needs root, iproute2 and netns \
             support; set {NO_ORACLE_ENV}=1 to skip it.",
            o.rc,
            o.stderr.trim()
        ),
        Err(e) => panic!(
            "{test}: cannot run iproute2's `ip`: {e}. The differential suite needs \
             root, iproute2 and netns support; set {NO_ORACLE_ENV}=1 to skip it."
        ),
    }
}

/// Namespaces this process created and still has (for leak checks).
pub fn leftover_namespaces() -> Vec<String> {
    let prefix = format!("ifnet-diff-{}-", std::process::id());
    fs::read_dir("/var/run/netns")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default()
}
