//! The `ifnet` process: global options (ip.c main), the state cycle
//! (lock → load → run → settle → save), the object table (`do_cmd()`), and
//! ifnet's own commands (`reset`, `hw`, `pktgen`, `capture`, `dmesg`).

use std::io::Write;
use std::path::Path;

use crate::ip::args::{parse_global, Opts, EXTENSIONS, USAGE};
use crate::ip::util::matches;
use crate::session::batch::{do_batch, flush};
use crate::session::hold::Hold;
use crate::session::state::{self, StateError};
use crate::session::Session;
use crate::Abort;

/// ip.c's object table, in its order (first prefix match wins).
const OBJECTS: &[&str] = &[
    "address",
    "addrlabel",
    "maddress",
    "route",
    "rule",
    "neighbor",
    "neighbour",
    "ntable",
    "ntbl",
    "link",
    "l2tp",
    "fou",
    "ila",
    "macsec",
    "tunnel",
    "tunl",
    "tuntap",
    "tap",
    "token",
    "tcpmetrics",
    "tcp_metrics",
    "monitor",
    "xfrm",
    "mroute",
    "mrule",
    "netns",
    "netconf",
    "vrf",
    "sr",
    "nexthop",
    "mptcp",
    "ioam",
    "help",
    "stats",
];

/// Runs `ifnet ARGS…` and returns the process exit status.
pub fn run(args: &[String]) -> i32 {
    let mut err = Vec::new();
    let parsed = parse_global(args, &mut err);
    let _ = std::io::stderr().write_all(&err);
    let (opts, first) = match parsed {
        Ok(x) => x,
        Err(Abort::Exit(c)) | Err(Abort::Ret(c)) => return c & 0xff,
    };
    if opts.version {
        println!(
            "ip utility, iproute2-6.1.0 (ifnet {})",
            env!("CARGO_PKG_VERSION")
        );
        return 0;
    }
    let words = &args[first..];
    if words.first().map(String::as_str) == Some("demo") && opts.batch.is_none() {
        return crate::ext::demo::run();
    }
    if words.first().map(String::as_str) == Some("explore") && opts.batch.is_none() {
        return crate::ext::explore::run(&opts, &words[1..]);
    }
    crate::session::interrupt::install();
    let sp = state::state_path(opts.state.as_deref());
    let r = state::prepare(&sp).and_then(|_| run_with_state(&sp.path, opts, words));
    match r {
        Ok(code) => code & 0xff,
        Err(e) => {
            eprintln!("{}", e.0);
            1
        }
    }
}

fn run_with_state(path: &Path, opts: Opts, words: &[String]) -> Result<i32, StateError> {
    if words.first().map(|w| w.as_str()) == Some("reset") && opts.batch.is_none() {
        return reset(path, &opts, &words[1..]);
    }
    if opts.batch.is_none() && words.is_empty() {
        eprint!("{USAGE}{EXTENSIONS}");
        return Ok(255);
    }
    let is_monitor = opts.batch.is_none()
        && words
            .first()
            .and_then(|w| OBJECTS.iter().find(|o| matches(w, o)))
            == Some(&"monitor");
    if is_monitor {
        return run_monitor(path, opts, words);
    }
    let (mut hold, k, names) = Hold::acquire(path, opts.kernel.as_deref(), opts.cpus)?;
    let init = k.init_net();
    let mut s = Session::new(k, init, opts);
    s.names = names;
    if let Some(code) = enter_netns(&mut s) {
        flush(&mut s);
        return Ok(code);
    }
    let code = run_commands(&mut s, words, &mut hold);
    hold.finish(&mut s)?;
    // The process exits next and the OS takes the memory back at once;
    // freeing thousands of devices one allocation at a time would cost more
    // than a small command itself.
    std::mem::forget(s);
    if crate::session::interrupt::pending() && code == 0 {
        return Ok(crate::session::interrupt::EXIT_INTERRUPTED);
    }
    Ok(code)
}

/// `ip monitor`: a shared look at the state, then no lock at all while it
/// follows what other invocations do.
fn run_monitor(path: &Path, opts: Opts, words: &[String]) -> Result<i32, StateError> {
    if opts.timestamp > 0 {
        // ipmonitor.c prints the wall-clock time of each message; the
        // model's messages carry virtual time only.
        eprintln!("ifnet: \"-timestamp\" / \"-tshort\" with monitor is not supported yet");
        return Ok(255);
    }
    let lock = state::lock(path, false)?;
    let (k, names, _) = state::load(path, opts.kernel.as_deref())?;
    drop(lock);
    let init = k.init_net();
    let mut s = Session::new(k, init, opts);
    s.names = names;
    if let Some(code) = enter_netns(&mut s) {
        flush(&mut s);
        return Ok(code);
    }
    let code = crate::ip::monitor::run(&mut s, path, &words[1..]);
    flush(&mut s);
    Ok(exit_code(code))
}

/// `ifnet [--kernel V] reset`: a freshly booted kernel replaces the state.
fn reset(path: &Path, opts: &Opts, rest: &[String]) -> Result<i32, StateError> {
    if let Some(w) = rest.first() {
        eprintln!("ifnet: reset takes no arguments (got \"{w}\")");
        return Ok(255);
    }
    let profile = state::profile_for(opts.kernel.as_deref().unwrap_or("latest"))?;
    let _lock = state::lock(path, true)?;
    let mut k = state::boot(profile, opts.cpus);
    k.run_until_idle();
    state::save(path, &k, &ifnet_core::user_space::NetnsNames::default())?;
    Ok(0)
}

/// `-n NS` (netns_switch()): the session acts from that namespace.
fn enter_netns(s: &mut Session) -> Option<i32> {
    let name = s.opts.netns.clone()?;
    match s.names.get(&name) {
        Some(net) => {
            s.net = net;
            None
        }
        None => {
            s.eprint(&format!(
                "Cannot open network namespace \"{name}\": No such file or directory\n"
            ));
            Some(255)
        }
    }
}

fn exit_code(r: Result<i32, Abort>) -> i32 {
    match r {
        Ok(c) => c,
        Err(Abort::Exit(c)) | Err(Abort::Ret(c)) => c,
    }
}

/// One command line or a whole batch.
fn run_commands(s: &mut Session, words: &[String], hold: &mut Hold) -> i32 {
    if let Some(file) = s.opts.batch.clone() {
        s.batch_mode = true;
        // A batch runs in milliseconds: between its commands only work that
        // is already due runs (urgent linkwatch events, the first event after
        // an idle second); rate-limited events wait for the end, as in Linux.
        s.k.linkwatch_assume_recent_run();
        let mut one = |s: &mut Session, w: &[String]| {
            let r = do_cmd(s, w);
            s.k.run_due_now();
            r
        };
        return exit_code(do_batch(s, &file, &mut one, hold));
    }
    exit_code(do_cmd(s, words))
}

/// ip.c `do_cmd(argv0, argc, argv, final=true)`: the C function's result
/// negated, or an exit.
pub fn do_cmd(s: &mut Session, words: &[String]) -> Result<i32, Abort> {
    let obj = words[0].as_str();
    let rest = &words[1..];
    if obj.len() >= 2 && matches(obj, "hw") {
        return negate(crate::ext::hw::do_hw(s, rest));
    }
    if obj.len() >= 2 && matches(obj, "pktgen") {
        return negate(crate::ext::pktgen::do_pktgen(s, rest));
    }
    if obj.len() >= 2 && matches(obj, "dmesg") {
        return negate(crate::ext::dmesg::do_dmesg(s, rest));
    }
    if obj.len() >= 2 && matches(obj, "capture") {
        return negate(crate::ext::capture::do_capture(s, rest));
    }
    if obj == "bond" {
        return negate(crate::ext::bond::do_bond(s, rest));
    }
    if obj == "ethtool" {
        return negate(crate::ext::ethtool::do_ethtool(s, rest));
    }
    if obj == "sleep" {
        return negate(crate::ext::sleep::do_sleep(s, rest));
    }
    let Some(found) = OBJECTS.iter().find(|o| matches(obj, o)) else {
        s.eprint(&format!("Object \"{obj}\" is unknown, try \"ip help\".\n"));
        return Ok(1);
    };
    let r = match *found {
        "link" => crate::ip::link_show::do_iplink(s, rest),
        "address" => crate::ip::ipaddress::do_ipaddr(s, rest),
        "maddress" => crate::ip::maddr::do_maddr(s, rest),
        "netns" => crate::ip::netns::do_netns(s, rest),
        "help" => {
            s.eprint(USAGE);
            if !s.batch_mode {
                s.eprint(EXTENSIONS);
            }
            Err(Abort::Exit(255))
        }
        "monitor" => {
            s.eprint("ifnet: monitor cannot run inside a batch\n");
            Err(Abort::Exit(255))
        }
        other => {
            s.eprint(&format!("ifnet: \"ip {other}\" is not supported yet\n"));
            Err(Abort::Exit(255))
        }
    };
    negate(r)
}

fn negate(r: Result<i32, Abort>) -> Result<i32, Abort> {
    match r {
        Ok(v) | Err(Abort::Ret(v)) => Ok(v.wrapping_neg()),
        Err(e) => Err(e),
    }
}
