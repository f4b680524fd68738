//! `ifnet hw add BUSID type ipoib guid GUID [qpn N] [ibmtu 2048|4096]
//! [segment S]`: an InfiniBand HCA port (its IPoIB device `ib%d`), and
//! `ifnet hw carrier BUSID on|off`: a port's cable pulled or plugged back,
//! for any bus device. The GUID is 16 hex digits, optionally in 4-digit
//! groups separated by ':' (as `ibstat` prints `0x…` port GUIDs, also
//! accepted); the QPN is decimal or 0x-hex.

use ifnet_core::HwSpec;

use crate::session::Session;
use crate::{Abort, IpResult};

/// Parses a port GUID: `0x0002c90300a1b2c3`, `0002:c903:00a1:b2c3` or
/// 16 bare hex digits.
pub fn parse_guid(s: &str) -> Option<u64> {
    let hex = s.strip_prefix("0x").unwrap_or(s);
    let digits: String = if hex.contains(':') {
        let parts: Vec<&str> = hex.split(':').collect();
        if parts.len() != 4 || parts.iter().any(|p| p.len() != 4) {
            return None;
        }
        parts.concat()
    } else {
        hex.to_string()
    };
    if digits.is_empty() || digits.len() > 16 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(&digits, 16).ok()
}

/// A number as `get_u32` reads it (decimal, 0x-hex or 0-octal).
fn parse_num(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

fn refuse(s: &mut Session, msg: &str) -> Abort {
    s.eprint(msg);
    Abort::Exit(255)
}

/// The `HwSpec::Ipoib` of `hw add … type ipoib` from its keywords
/// (`guid`, `qpn`, `ibmtu`, `segment`; anything else is refused).
pub fn ipoib_spec(s: &mut Session, words: &[(String, String)]) -> Result<HwSpec, Abort> {
    let (mut guid, mut qpn, mut ib_mtu, mut segment) = (None, None, None, None);
    for (k, v) in words {
        match k.as_str() {
            "guid" => {
                let g = parse_guid(v);
                guid =
                    Some(g.ok_or_else(|| {
                        refuse(s, &format!("ifnet: \"{v}\" is not a port GUID\n"))
                    })?);
            }
            "qpn" => {
                let q = parse_num(v).filter(|&q| q <= 0xff_ffff);
                qpn = Some(q.ok_or_else(|| refuse(s, "ifnet: \"qpn\" is a 24-bit QP number\n"))?);
            }
            "ibmtu" => {
                let m = parse_num(v).filter(|m| matches!(m, 2048 | 4096));
                ib_mtu = Some(m.ok_or_else(|| refuse(s, "ifnet: \"ibmtu\" is 2048 or 4096\n"))?);
            }
            "segment" => segment = Some(v.clone()),
            _ => {
                let msg = format!(
                    "ifnet: \"{k}\" is not an IPoIB port option (guid, qpn, ibmtu, segment)\n"
                );
                return Err(refuse(s, &msg));
            }
        }
    }
    let Some(guid) = guid else {
        return Err(refuse(
            s,
            "ifnet: hw add … type ipoib needs \"guid GUID\"\n",
        ));
    };
    Ok(HwSpec::Ipoib {
        guid,
        qpn: qpn.unwrap_or(ifnet_core::hw::DEFAULT_IPOIB_QPN),
        segment,
        ib_mtu: ib_mtu.unwrap_or(ifnet_core::drivers::ipoib::IPOIB_DEFAULT_GROUP_IB_MTU),
    })
}

/// `hw list`'s line for an HCA port.
pub fn ipoib_list_line(bus: &str, spec: &HwSpec) -> Option<String> {
    let HwSpec::Ipoib {
        guid,
        qpn,
        segment,
        ib_mtu,
    } = spec
    else {
        return None;
    };
    let seg = segment
        .as_deref()
        .unwrap_or(ifnet_core::datapath::segment::DEFAULT_IB_SEGMENT);
    let g = format!("{guid:016x}");
    let guid = format!("{}:{}:{}:{}", &g[..4], &g[4..8], &g[8..12], &g[12..]);
    Some(format!(
        "{bus}: ipoib guid {guid} qpn {qpn:#08x} ibmtu {ib_mtu} driver {} segment {seg}\n",
        ifnet_core::drivers::ipoib::IPOIB_HCA_DRIVER
    ))
}

/// `hw carrier BUSID on|off`.
pub fn hw_carrier(s: &mut Session, words: &[String]) -> IpResult {
    let on = match words.get(1).map(String::as_str) {
        Some("on") => true,
        Some("off") => false,
        _ => return Err(refuse(s, "Usage: ifnet hw carrier BUSID { on | off }\n")),
    };
    if words.len() != 2 {
        return Err(refuse(s, "Usage: ifnet hw carrier BUSID { on | off }\n"));
    }
    s.dirty = true;
    match s.k.hw_carrier(&words[0], on) {
        Ok(()) => Ok(0),
        Err(e) => super::hw::kernel_error(s, &e),
    }
}
