//! iproute2 ip/iplink_ipoib.c: `ipoib_parse_opt()` (`type ipoib [pkey
//! PKEY] [mode datagram|connected] [umcast 0|1]` as IFLA_IPOIB_*) and
//! `ipoib_print_opt()` (what `ip -d link` prints after "ipoib ": `pkey
//! 0x8001 mode datagram umcast 0000`; in JSON the P_Key's key is "key").

use netlink_packet_route::link::{InfoData, InfoIpoib, IpoibMode, LinkInfo};

use crate::ip::jsonw::Ctx;
use crate::ip::util::{matches, strtoul};
use crate::session::Session;
use crate::{invarg, Abort};

/// `print_explain()`, to stderr as `explain()` prints it.
const EXPLAIN: &str = "Usage: ... ipoib [ pkey PKEY ]
\t\t [ mode {datagram | connected} ]
\t\t [ umcast {0|1} ]

PKEY  := 0x8001-0xffff
";

/// `get_u16(&v, arg, 0)`: strtoul base 0, the whole word, at most 0xffff.
fn get_u16(arg: &str) -> Option<u16> {
    match strtoul(arg, 0)? {
        (v, false, true) => u16::try_from(v).ok(),
        _ => None,
    }
}

/// `ipoib_parse_opt()`: the IFLA_INFO_DATA of `type ipoib …`.
pub fn ipoib_parse_opt(s: &mut Session, rest: &[String]) -> Result<Vec<InfoIpoib>, Abort> {
    let mut data = Vec::new();
    let mut i = 0;
    while let Some(w) = rest.get(i) {
        let w = w.as_str();
        let key = ["pkey", "mode", "umcast"]
            .into_iter()
            .find(|k| matches(w, k));
        if key.is_none() {
            if matches(w, "help") {
                s.eprint(EXPLAIN);
            } else {
                s.eprint(&format!("ipoib: unknown option \"{w}\"?\n"));
                s.eprint(EXPLAIN);
            }
            return Err(Abort::Ret(-1));
        }
        i += 1;
        let Some(v) = rest.get(i) else {
            s.eprint("Command line is not complete. Try option \"help\"\n");
            return Err(Abort::Exit(255));
        };
        match key {
            Some("pkey") => {
                let p = get_u16(v).ok_or_else(|| invarg(&mut s.err, "pkey is invalid", v))?;
                data.push(InfoIpoib::Pkey(p));
            }
            Some("mode") => {
                let m = match v.as_str() {
                    "datagram" => IpoibMode::Datagram,
                    "connected" => IpoibMode::Connected,
                    _ => {
                        s.eprint(
                            "Error: argument of \"mode\" must be \"datagram\"or \"connected\"\n",
                        );
                        return Err(Abort::Ret(-1));
                    }
                };
                data.push(InfoIpoib::Mode(m));
            }
            _ => {
                let u = get_u16(v).ok_or_else(|| invarg(&mut s.err, "umcast is invalid", v))?;
                data.push(InfoIpoib::UmCast(u));
            }
        }
        i += 1;
    }
    Ok(data)
}

/// `%#.4x`: "0x" only for a non-zero value.
fn alt_hex4(v: u16) -> String {
    if v == 0 {
        "0000".to_string()
    } else {
        format!("0x{v:04x}")
    }
}

/// `ipoib_print_opt()`: each attribute only if the one before it is
/// there (the function returns at the first missing one).
pub fn ipoib_print_opt(s: &mut Session, infos: &[LinkInfo]) {
    let data = infos.iter().rev().find_map(|i| match i {
        LinkInfo::Data(InfoData::Ipoib(v)) => Some(v.as_slice()),
        _ => None,
    });
    let Some(data) = data else {
        return;
    };
    let last = |f: fn(&InfoIpoib) -> Option<u16>| data.iter().rev().find_map(f);
    let Some(pkey) = last(|a| match a {
        InfoIpoib::Pkey(p) => Some(*p),
        _ => None,
    }) else {
        return;
    };
    let pk = alt_hex4(pkey);
    s.p.string(Ctx::Json, Some("key"), "", &pk);
    s.p.string(Ctx::Fp, None, &format!("pkey {pk} "), "");
    let Some(mode) = last(|a| match a {
        InfoIpoib::Mode(m) => Some(u16::from(*m)),
        _ => None,
    }) else {
        return;
    };
    let m = match mode {
        0 => "datagram",
        1 => "connected",
        _ => "unknown",
    };
    s.p.string(Ctx::Any, Some("mode"), &format!("mode {m} "), m);
    let Some(umcast) = last(|a| match a {
        InfoIpoib::UmCast(u) => Some(*u),
        _ => None,
    }) else {
        return;
    };
    let u = format!("{umcast:04x}");
    s.p.string(Ctx::Json, Some("umcast"), "", &u);
    s.p.string(Ctx::Fp, None, &format!("umcast {u} "), "");
}
