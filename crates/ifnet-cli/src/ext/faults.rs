//! Fault injection on the wires, smoltcp's FaultInjector stacked on a
//! segment or a veth:
//!
//! ```text
//! ifnet hw segment NAME [ drop PCT ] [ delay MS ] [ corrupt PCT ] [ seed N ]
//! ifnet hw faults segment NAME [ FAULTS ]
//! ifnet hw faults dev VETH [ FAULTS ]
//! ```
//!
//! Faults sit under `hw` (what ip cannot express: the hypervisor's side)
//! rather than in `ip link set`: a wire's loss and delay are not netlink
//! attributes of any device (no RTM_SETLINK carries them), and `ifnet link`
//! must accept exactly the grammar `ip link` accepts, with ip's errors, so
//! that the same batch file runs through both (the differential tests feed
//! them identical input). Linux's own tool for a veth would be
//! `tc qdisc … netem`, a different program; the percentages and the
//! millisecond delay follow netem's units (`loss 10%` ↔ `drop 10`).
//!
//! Each command sets the whole fault set of the wire: what is not named is
//! zero, so `ifnet hw segment lan` clears the segment. A PCT is 0..=100
//! (a trailing `%` is accepted, as netem accepts it); MS is a whole number
//! of milliseconds (`ms` suffix accepted); `seed` seeds the wire's fault
//! generator (default 0). Segment faults are set by name (a segment exists
//! as soon as something names it); veth faults apply to what that end
//! transmits.

use ifnet_core::datapath::segment::Faults;

use crate::ext::pktgen::find_dev;
use crate::ip::util::matches;
use crate::session::Session;
use crate::{duparg, duparg2, invarg, Abort, Argv, IpResult};

const USAGE: &str = "Usage: ifnet hw segment NAME [ FAULTS ]
       ifnet hw faults { segment NAME | dev VETH } [ FAULTS ]
FAULTS := [ drop PERCENT ] [ delay MS ] [ corrupt PERCENT ] [ seed NUMBER ]
";

fn usage(s: &mut Session) -> Abort {
    s.eprint(USAGE);
    Abort::Exit(255)
}

fn percent(s: &mut Session, key: &str, v: &str) -> Result<u8, Abort> {
    let t = v.strip_suffix('%').unwrap_or(v);
    match t.parse::<u8>() {
        Ok(p) if p <= 100 && !t.starts_with('+') => Ok(p),
        _ => Err(invarg(&mut s.err, &format!("Invalid \"{key}\" value"), v)),
    }
}

/// Parses FAULTS; `what` is the keyword a stray word is blamed on (ip's
/// duparg2 "either \"dev\" is duplicate, or \"X\" is a garbage").
pub fn parse_faults(s: &mut Session, words: &[String], what: &str) -> Result<Faults, Abort> {
    let mut f = Faults::default();
    let mut seen = [false; 4];
    let mut a = Argv::new(words);
    while a.left() > 0 {
        let w = a.cur();
        let i = match w {
            "drop" | "loss" => 0,
            "delay" => 1,
            "corrupt" => 2,
            "seed" => 3,
            w if matches(w, "help") => return Err(usage(s)),
            w => return Err(duparg2(&mut s.err, what, w)),
        };
        let v = a.next_arg(&mut s.err)?;
        if seen[i] {
            return Err(duparg(&mut s.err, w, v));
        }
        seen[i] = true;
        match i {
            0 => f.drop_pct = percent(s, "drop", v)?,
            1 => {
                let t = v.strip_suffix("ms").unwrap_or(v);
                match t.parse::<u32>() {
                    Ok(ms) if !t.starts_with('+') => f.delay_ms = ms,
                    _ => return Err(invarg(&mut s.err, "Invalid \"delay\" value", v)),
                }
            }
            2 => f.corrupt_pct = percent(s, "corrupt", v)?,
            _ => match v.parse::<u64>() {
                Ok(n) if !v.starts_with('+') => f.seed = n,
                _ => return Err(invarg(&mut s.err, "Invalid \"seed\" value", v)),
            },
        }
        a.advance();
    }
    Ok(f)
}

/// `ifnet hw segment NAME [FAULTS]`.
pub fn hw_segment(s: &mut Session, words: &[String]) -> IpResult {
    let Some(name) = words.first() else {
        return Err(crate::incomplete(&mut s.err));
    };
    if matches(name, "help") {
        return Err(usage(s));
    }
    let f = parse_faults(s, &words[1..], "segment")?;
    s.dirty = true;
    s.k.segment_set_faults(name, f);
    Ok(0)
}

/// `ifnet hw faults { segment NAME | dev VETH } [FAULTS]`.
pub fn hw_faults(s: &mut Session, words: &[String]) -> IpResult {
    let mut a = Argv::new(words);
    let kind = a.cur();
    if kind == "segment" {
        return hw_segment(s, &words[1..]);
    }
    if kind != "dev" {
        return Err(usage(s));
    }
    let name = a.next_arg(&mut s.err)?.to_string();
    a.advance();
    let f = parse_faults(s, a.rest(), "dev")?;
    let id = find_dev(s, &name)?;
    if s.k.link_kind(id) != Some("veth") {
        s.eprint(&format!(
            "Error: faults are set on a veth or a segment; \"{name}\" is not a veth.\n"
        ));
        return Ok(-2);
    }
    s.dirty = true;
    s.k.veth_set_faults(id, f);
    Ok(0)
}
