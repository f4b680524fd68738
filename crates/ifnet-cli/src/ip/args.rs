//! Global options, parsed the way iproute2 6.1 `ip/ip.c:main()` does, plus
//! ifnet's own long options (`--state`, `--kernel`) which ip would reject.

use crate::ip::util::{get_unsigned, matches};
use crate::Abort;

/// ip.c `usage()` text, printed to stderr before exit(-1).
pub const USAGE: &str = "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }
       ip [ -force ] -batch filename
where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |
                   link | macsec | maddress | monitor | mptcp | mroute | mrule |
                   neighbor | neighbour | netconf | netns | nexthop | ntable |
                   ntbl | route | rule | sr | tap | tcpmetrics |
                   token | tunnel | tuntap | vrf | xfrm }
       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |
                    -h[uman-readable] | -iec | -j[son] | -p[retty] |
                    -f[amily] { inet | inet6 | mpls | bridge | link } |
                    -4 | -6 | -M | -B | -0 |
                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |
                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |
                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |
                    -c[olor]}
";

/// ifnet's own commands and options, one line each, printed after ip's
/// usage by `ifnet`, `ifnet help` and `ifnet -help` (not inside a batch,
/// where `help` prints exactly what ip prints).
pub const EXTENSIONS: &str = "ifnet's own commands (not in ip):
       ifnet hw { add | del | list | assoc | segment | faults } ...   hot-plug NICs, VFs, virtio-net, Hyper-V netvsc; cables and faults (ifnet hw help)
       ifnet ethtool -S DEVICE                                driver statistics (hv_netvsc's vf_rx_*/vf_tx_*)
       ifnet pktgen dev DEVICE [ dst LLADDR ] [ count N ] [ size BYTES ]   send frames out of a device
       ifnet capture { dev DEVICE -w FILE | stop dev DEVICE | show }   pcap of what a device sends and receives
       ifnet monitor uevent                                   the kernel's uevents, as udevadm monitor --kernel --property
       ifnet dmesg [ -t ]                                     the kernel log ring, as dmesg prints it
       ifnet bond { show [ BOND ] | sysfs DEV ATTR | slaves BOND +DEV|-DEV }   /proc/net/bonding, bonding sysfs
       ifnet sleep DURATION                                   let the virtual clock run (address lifetimes, timers)
       ifnet [ --kernel VERSION ] [ --cpus N ] reset          boot a fresh kernel (profile, possible CPUs)
       ifnet demo                                             seed 004 and a failover trio, in memory
       ifnet [-j] explore { list | show NAME | NAME|FILE [--kernel V] [--agent A=V] [--seed S] [--random N [--pct D]]
                      [--max-depth D] [--shard I/N] [--replay SCHEDULE] [--html FILE] | merge FILE... }
                                                              search kernel/user-space races (udev, NM, cloud-init)
       ifnet OPTIONS := { --state PATH | --kernel VERSION | --cpus N }
";

/// Options that ip keeps in globals (`json`, `show_stats`, …).
#[derive(Debug, Clone, Default)]
pub struct Opts {
    pub json: bool,
    pub pretty: bool,
    pub details: u32,
    pub stats: u32,
    pub force: bool,
    pub oneline: bool,
    pub brief: bool,
    pub numeric: bool,
    pub all: bool,
    pub echo: bool,
    /// `-h[uman-readable]` (counted) and `-iec`: `-s` counters scaled.
    pub human: u32,
    pub iec: bool,
    /// `-t` / `-ts`: `ip monitor` timestamps (refused there).
    pub timestamp: u32,
    /// `-c[olor][=always|auto|never]`: COLOR_OPT_NEVER (0), AUTO (1) or
    /// ALWAYS (2) — `check_enable_color()` decides with isatty and `-j`.
    pub color: u8,
    /// `preferred_family` from -4/-6/-0/-M/-B/-f (AF_UNSPEC = 0).
    pub family: u8,
    /// `-rcvbuf SIZE`: the socket's SO_RCVBUF.
    pub rcvbuf: Option<u32>,
    /// ifnet: `--cpus N`, the possible CPUs of a kernel booted now.
    pub cpus: Option<u32>,
    pub batch: Option<String>,
    pub netns: Option<String>,
    /// ifnet: `--state PATH`.
    pub state: Option<String>,
    /// ifnet: `--kernel VERSION`.
    pub kernel: Option<String>,
    /// ip -V: print the version and stop.
    pub version: bool,
}

fn usage(err: &mut Vec<u8>) -> Abort {
    err.extend_from_slice(USAGE.as_bytes());
    Abort::Exit(255)
}

/// `-help`: ip's usage, then ifnet's extensions.
fn usage_help(err: &mut Vec<u8>) -> Abort {
    err.extend_from_slice(USAGE.as_bytes());
    err.extend_from_slice(EXTENSIONS.as_bytes());
    Abort::Exit(255)
}

fn missing_value(err: &mut Vec<u8>, name: &str) -> Abort {
    err.extend_from_slice(format!("ifnet: option {name} needs a value\n").as_bytes());
    Abort::Exit(255)
}

/// Takes the value of an ifnet long option (`--state P` or `--state=P`).
fn long_opt(args: &[String], i: &mut usize, name: &str) -> Option<Result<String, ()>> {
    let a = &args[*i];
    if let Some(v) = a.strip_prefix(&format!("{name}=")) {
        return Some(Ok(v.to_string()));
    }
    if a != name {
        return None;
    }
    *i += 1;
    Some(args.get(*i).cloned().ok_or(()))
}

/// ifnet's own long options (`--state P`, `--kernel V`, `--cpus N`, also
/// with `=`): true when `args[*i]` was one (`*i` then at its value).
fn ifnet_long_opt(
    args: &[String],
    i: &mut usize,
    o: &mut Opts,
    err: &mut Vec<u8>,
) -> Result<bool, Abort> {
    if let Some(v) = long_opt(args, i, "--state") {
        o.state = Some(v.map_err(|_| missing_value(err, "--state"))?);
        return Ok(true);
    }
    if let Some(v) = long_opt(args, i, "--kernel") {
        o.kernel = Some(v.map_err(|_| missing_value(err, "--kernel"))?);
        return Ok(true);
    }
    let Some(v) = long_opt(args, i, "--cpus") else {
        return Ok(false);
    };
    let v = v.map_err(|_| missing_value(err, "--cpus"))?;
    let max = crate::session::state::MAX_CPUS;
    match v.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => o.cpus = Some(n),
        _ => {
            err.extend_from_slice(
                format!("ifnet: --cpus wants a number of CPUs from 1 to {max}, not \"{v}\"\n")
                    .as_bytes(),
            );
            return Err(Abort::Exit(255));
        }
    }
    Ok(true)
}

/// `-family NAME`: `read_family()`, "help" is the usage, anything else
/// "invalid protocol family".
fn family_opt(v: &str, err: &mut Vec<u8>) -> Result<u8, Abort> {
    if v == "help" {
        return Err(usage(err));
    }
    match read_family(v) {
        AF_UNSPEC => {
            err.extend_from_slice(
                format!("Error: argument \"{v}\" is wrong: invalid protocol family\n").as_bytes(),
            );
            Err(Abort::Exit(255))
        }
        f => Ok(f),
    }
}

/// Parses leading options; returns the options and the index of the first
/// non-option argument. Errors are written to `err` as ip writes them.
pub fn parse_global(args: &[String], err: &mut Vec<u8>) -> Result<(Opts, usize), Abort> {
    let mut o = Opts::default();
    let mut i = 0;
    while i < args.len() {
        if ifnet_long_opt(args, &mut i, &mut o, err)? {
            i += 1;
            continue;
        }
        let Some(arg) = args.get(i) else { break };
        if arg == "--" {
            i += 1;
            break;
        }
        if !arg.starts_with('-') {
            break;
        }
        let opt = if arg.starts_with("--") {
            &arg[1..]
        } else {
            &arg[..]
        };
        let needs_value = |i: usize, err: &mut Vec<u8>| -> Result<String, Abort> {
            args.get(i + 1).cloned().ok_or_else(|| usage(err))
        };
        if matches(opt, "-loops") {
            needs_value(i, err)?;
            i += 1;
        } else if matches(opt, "-family") {
            let v = needs_value(i, err)?;
            i += 1;
            o.family = family_opt(&v, err)?;
        } else if let Some(f) = short_family(opt) {
            o.family = f;
        } else if matches(opt, "-human") || matches(opt, "-human-readable") {
            o.human += 1;
        } else if matches(opt, "-iec") {
            o.iec = true;
        } else if matches(opt, "-stats") || matches(opt, "-statistics") {
            o.stats += 1;
        } else if matches(opt, "-details") {
            o.details += 1;
        } else if matches(opt, "-resolve") {
        } else if matches(opt, "-oneline") {
            o.oneline = true;
        } else if matches(opt, "-timestamp") || matches(opt, "-tshort") {
            o.timestamp += 1;
        } else if matches(opt, "-Version") {
            o.version = true;
            return Ok((o, i + 1));
        } else if matches(opt, "-force") {
            o.force = true;
        } else if matches(opt, "-batch") {
            o.batch = Some(needs_value(i, err)?);
            i += 1;
        } else if matches(opt, "-brief") {
            o.brief = true;
        } else if matches(opt, "-json") {
            o.json = true;
        } else if matches(opt, "-pretty") {
            o.pretty = true;
        } else if matches(opt, "-rcvbuf") {
            let v = needs_value(i, err)?;
            i += 1;
            match get_unsigned(&v) {
                Some(n) => o.rcvbuf = Some(n),
                None => {
                    err.extend_from_slice(format!("Invalid rcvbuf size '{v}'\n").as_bytes());
                    return Err(Abort::Exit(255));
                }
            }
        } else if let Some(c) = matches_color(opt) {
            o.color = c;
        } else if matches(opt, "-help") {
            return Err(usage_help(err));
        } else if matches(opt, "-netns") {
            // NEXT_ARG(): a missing name is "Command line is not complete".
            let Some(v) = args.get(i + 1) else {
                return Err(crate::incomplete(err));
            };
            o.netns = Some(v.clone());
            i += 1;
        } else if matches(opt, "-Numeric") {
            o.numeric = true;
        } else if matches(opt, "-all") {
            o.all = true;
        } else if opt == "-echo" {
            o.echo = true;
        } else {
            err.extend_from_slice(
                format!("Option \"{opt}\" is unknown, try \"ip -help\".\n").as_bytes(),
            );
            return Err(Abort::Exit(255));
        }
        i += 1;
    }
    Ok((o, i))
}

/// AF_* values `preferred_family` takes.
pub const AF_UNSPEC: u8 = 0;
pub const AF_INET: u8 = 2;
pub const AF_BRIDGE: u8 = 7;
pub const AF_INET6: u8 = 10;
pub const AF_PACKET: u8 = 17;
pub const AF_MPLS: u8 = 28;

/// lib/utils.c `read_family()`.
pub fn read_family(name: &str) -> u8 {
    match name {
        "inet" => AF_INET,
        "inet6" => AF_INET6,
        "link" => AF_PACKET,
        "mpls" => AF_MPLS,
        "bridge" => AF_BRIDGE,
        _ => AF_UNSPEC,
    }
}

/// `-4`, `-6`, `-0`, `-M`, `-B` (exact words, as ip.c compares them).
fn short_family(opt: &str) -> Option<u8> {
    Some(match opt {
        "-4" => AF_INET,
        "-6" => AF_INET6,
        "-0" => AF_PACKET,
        "-M" => AF_MPLS,
        "-B" => AF_BRIDGE,
        _ => return None,
    })
}

/// lib/color.c `matches_color()`: `-c[olor]` optionally followed by
/// `=always` (also an empty value), `=auto` or `=never`; anything else is
/// not this option (and so "unknown" to ip.c).
pub fn matches_color(arg: &str) -> Option<u8> {
    let (name, value) = match arg.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (arg, None),
    };
    if !matches(name, "-color") {
        return None;
    }
    match value {
        None | Some("") | Some("always") => Some(COLOR_OPT_ALWAYS),
        Some("auto") => Some(COLOR_OPT_AUTO),
        Some("never") => Some(COLOR_OPT_NEVER),
        Some(_) => None,
    }
}

/// include/color.h `enum color_opt`.
pub const COLOR_OPT_NEVER: u8 = 0;
pub const COLOR_OPT_AUTO: u8 = 1;
pub const COLOR_OPT_ALWAYS: u8 = 2;

/// `MAX_ARGS` (include/utils.h): the argv array do_batch() hands to makeargs().
pub const MAX_ARGS: usize = 512;

/// iproute2 `makeargs()`: splits a batch line on blanks, honouring a
/// leading quote (up to the same quote, no escapes).
pub fn makeargs(line: &str) -> Result<Vec<String>, &'static str> {
    let b = line.as_bytes();
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && ws(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        // `argc >= maxargs - 1` with do_batch's MAX_ARGS: the caller exits 1.
        if out.len() >= MAX_ARGS - 1 {
            return Err("Too many arguments to command");
        }
        if b[i] == b'\'' || b[i] == b'"' {
            let q = b[i];
            let start = i + 1;
            let Some(len) = b[start..].iter().position(|&c| c == q) else {
                return Err("Unterminated quoted string");
            };
            // Quotes and blanks are ASCII: the slice stays valid UTF-8.
            out.push(line[start..start + len].to_string());
            // The closing quote is replaced by NUL; the next word starts
            // right after it.
            i = start + len + 1;
        } else {
            let start = i;
            while i < b.len() && !ws(b[i]) {
                i += 1;
            }
            out.push(line[start..i].to_string());
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn main_options_abbreviate() {
        // ip.c main(): matches() on "-json", "-details", "-stats", "-netns".
        let mut e = Vec::new();
        let (o, i) = parse_global(
            &s(&["-j", "-p", "-d", "-s", "-s", "-n", "x", "link"]),
            &mut e,
        )
        .unwrap();
        assert!(o.json && o.pretty);
        assert_eq!((o.details, o.stats), (1, 2));
        assert_eq!(o.netns.as_deref(), Some("x"));
        assert_eq!(i, 7);
        let (o, _) = parse_global(&s(&["--json", "-force", "-b", "f"]), &mut e).unwrap();
        assert!(o.json && o.force);
        assert_eq!(o.batch.as_deref(), Some("f"));
    }

    #[test]
    fn main_unknown_option() {
        let mut e = Vec::new();
        assert!(matches!(
            parse_global(&s(&["-zz"]), &mut e),
            Err(Abort::Exit(255))
        ));
        assert_eq!(
            String::from_utf8(e).unwrap(),
            "Option \"-zz\" is unknown, try \"ip -help\".\n"
        );
    }

    #[test]
    fn ifnet_long_options() {
        let mut e = Vec::new();
        let (o, i) = parse_global(&s(&["--state", "/x", "--kernel=5.0", "reset"]), &mut e).unwrap();
        assert_eq!(o.state.as_deref(), Some("/x"));
        assert_eq!(o.kernel.as_deref(), Some("5.0"));
        assert_eq!(i, 3);
    }

    #[test]
    fn makeargs_quotes_and_blanks() {
        // makeargs(): quotes group words, no escapes.
        assert_eq!(
            makeargs("  link  show\tv0 \n").unwrap(),
            s(&["link", "show", "v0"])
        );
        assert_eq!(
            makeargs("link set v0 alias \"a b\" up").unwrap(),
            s(&["link", "set", "v0", "alias", "a b", "up"])
        );
        assert_eq!(
            makeargs("x 'unterminated").unwrap_err(),
            "Unterminated quoted string"
        );
        assert!(makeargs("").unwrap().is_empty());
    }
}
