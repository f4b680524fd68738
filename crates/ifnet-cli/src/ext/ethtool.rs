//! `ifnet ethtool -S DEV`: the driver's `get_ethtool_stats`, as `ethtool
//! -S` prints it. Only hv_netvsc's VF counters are modelled
//! (`netvsc_get_ethtool_stats`'s `vf_stats[]`: what went through the VF
//! while it was bound); its per-channel and global counters are not, and
//! other drivers answer as a driver without statistics does. Any other
//! ethtool option is refused.

use crate::session::Session;
use crate::{Abort, IpResult};

const USAGE: &str = "Usage: ifnet ethtool -S DEVICE\n";

pub fn do_ethtool(s: &mut Session, words: &[String]) -> IpResult {
    let [opt, name] = words else {
        s.eprint(USAGE);
        return Err(Abort::Exit(255));
    };
    if opt != "-S" && opt != "--statistics" {
        s.eprint(&format!("ifnet: ethtool {opt} is not modelled\n{USAGE}"));
        return Err(Abort::Exit(255));
    }
    let dev = crate::ext::pktgen::find_dev(s, name)?;
    let Some(p) = s.k.netvsc(dev) else {
        // ethtool's answer when the driver has no statistics (n_stats 0).
        s.eprint("no stats available\n");
        return Ok(-1);
    };
    let v = p.vf_stats;
    let mut out = String::from("NIC statistics:\n");
    for (key, n) in [
        ("vf_rx_packets", v.rx_packets),
        ("vf_rx_bytes", v.rx_bytes),
        ("vf_tx_packets", v.tx_packets),
        ("vf_tx_bytes", v.tx_bytes),
        ("vf_tx_dropped", v.tx_dropped),
    ] {
        out += &format!("     {key}: {n}\n");
    }
    s.p.text(&out);
    Ok(0)
}
