//! The kernel side of the comparison: the real kernel through iproute2's
//! `ip`, in namespaces it creates and deletes again when dropped (also when
//! a test unwinds), waiting for namespace teardown and linkwatch to settle;
//! and the check that this oracle is usable at all.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::batch::Scenario;
use super::cmd::{batch_args, run_cmd, strs, CmdOut, CMD_TIMEOUT};
use super::execute::{execute, Backend, Outcome};
use super::json::{self, Json};
use super::netns::{NsNames, TempDir};
use super::NO_ORACLE_ENV;

const NETNS_CLEANUP_TIMEOUT: Duration = Duration::from_secs(20);

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

/// How long DAD may take here: the random delay (< 1 s) plus one
/// retransmission (1 s), with slack for a loaded machine; and how long a
/// tentative address on a device without carrier may still be in DAD
/// (it is when the link was ready once, IF_READY, which ip cannot show).
const DAD_TIMEOUT: Duration = Duration::from_secs(8);
const DAD_NO_CARRIER: Duration = Duration::from_millis(4000);

impl Kernel {
    /// Waits until no address is still in DAD: tentative and not failed
    /// on a device that is up with carrier; on one without carrier, for
    /// as long as DAD could still run (elsewhere an address waits for the
    /// link, and ifnet's settled state shows the same tentative address).
    fn wait_dad(&self, live: &[String]) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let (mut busy, mut maybe) = (false, false);
            for ns in live {
                let out = self.ip_ok(&strs(&["-n", ns, "-j", "address", "show"]))?;
                let j = json::parse(&out).map_err(|e| format!("ip -j addr output: {e}"))?;
                for l in j.as_array().unwrap_or(&[]) {
                    match dad_running(l) {
                        Some(true) => busy = true,
                        Some(false) => maybe = true,
                        None => {}
                    }
                }
            }
            let waited = start.elapsed();
            if !busy && (!maybe || waited > DAD_NO_CARRIER) {
                return Ok(());
            }
            if waited > DAD_TIMEOUT {
                return Err("DAD did not finish within 8 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Whether a link of `ip -j addr show` has an address in DAD: Some(true)
/// when it is up with carrier, Some(false) up without, None otherwise.
fn dad_running(link: &Json) -> Option<bool> {
    let flags = link
        .get("flags")
        .and_then(Json::as_array)
        .map(|f| f.iter().filter_map(Json::as_str).collect::<Vec<_>>())
        .unwrap_or_default();
    if !flags.contains(&"UP") {
        return None;
    }
    let addrs = link
        .get("addr_info")
        .and_then(Json::as_array)
        .unwrap_or(&[]);
    let tentative = addrs.iter().any(|a| {
        let set = |k: &str| a.get(k).is_some_and(|v| v.compact() == "true");
        set("tentative") && !set("dadfailed")
    });
    tentative.then(|| flags.contains(&"LOWER_UP"))
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

    fn batch(
        &mut self,
        ns: &str,
        force: bool,
        global: &[String],
        file: &str,
    ) -> Result<CmdOut, String> {
        let args = batch_args(ns, force, global, file);
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
                return self.wait_dad(live);
            }
        }
        Err("the kernel's link state did not settle after 20 linkwatch rounds".into())
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
        self.ip(&args, None)
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
        self.ip(&args, None)
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
