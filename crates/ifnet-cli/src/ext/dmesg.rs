//! `ifnet dmesg`: the kernel log ring as util-linux `dmesg` prints it —
//! `[%5ld.%06ld] text` per line, the time from the virtual clock at the
//! `printk()` (seconds and microseconds since boot). `-t`/`--notime` drops
//! the timestamps, as dmesg's does.

use crate::session::Session;
use crate::{Abort, IpResult};

/// `ifnet dmesg [-t|--notime]`.
pub fn do_dmesg(s: &mut Session, words: &[String]) -> IpResult {
    let mut notime = false;
    for w in words {
        match w.as_str() {
            "-t" | "--notime" => notime = true,
            other => {
                // getopt_long()'s complaint and dmesg's hint; exit status 1.
                let what = match other.strip_prefix("--") {
                    Some(_) => format!("dmesg: unrecognized option '{other}'\n"),
                    None => match other.strip_prefix('-').and_then(|o| o.chars().next()) {
                        Some(c) => format!("dmesg: invalid option -- '{c}'\n"),
                        None => "dmesg: bad usage\n".to_string(),
                    },
                };
                s.eprint(&what);
                s.eprint("Try 'dmesg --help' for more information.\n");
                return Err(Abort::Exit(1));
            }
        }
    }
    let mut text = String::new();
    for l in s.k.dmesg_lines() {
        if !notime {
            let (sec, usec) = (
                l.time.as_nanos() / 1_000_000_000,
                l.time.as_nanos() % 1_000_000_000 / 1000,
            );
            text.push_str(&format!("[{sec:5}.{usec:06}] "));
        }
        text.push_str(&l.text);
        text.push('\n');
    }
    s.p.text(&text);
    Ok(0)
}
