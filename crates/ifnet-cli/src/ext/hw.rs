//! `ifnet hw add BUSID type nic mac MAC [driver NAME] [segment S]` and
//! `ifnet hw del BUSID [--planned]`: the hypervisor's side of hot-plug,
//! which `ip` cannot express. Errors are printed in ip's style
//! (`Error: <extack>.` or `RTNETLINK answers: <strerror>`).
//!
//! Hyper-V: `type netvsc` is a VMBus synthetic NIC (hv_netvsc); `type vf
//! … serial N` is a VF behind Hyper-V's PCI front end, whose PCI slot is
//! named after the serial — the serial is what makes it a Hyper-V VF, so a
//! `type vf` without one stays the slot-less PCI VF that failover pairs.
//! `no-assoc` keeps the host from sending the VF association message.

use ifnet_core::{HwAddr, HwSpec, KError};

use crate::ip::util::matches;
use crate::session::Session;
use crate::{Abort, Argv, IpResult};

const USAGE: &str = "Usage: ifnet hw add BUSID type { nic | vf } mac LLADDR [ driver NAME ] [ segment NAME ]
       ifnet hw add BUSID type vf mac LLADDR serial N [ driver { mlx5_core | mlx4_core | mana } ] [ segment NAME ] [ no-assoc ]
       ifnet hw add BUSID type virtio-net mac LLADDR [ standby ] [ segment NAME ]
       ifnet hw add BUSID type netvsc mac LLADDR [ segment NAME ]
       ifnet hw add BUSID type ipoib guid GUID [ qpn QPN ] [ ibmtu { 2048 | 4096 } ] [ segment NAME ]
       ifnet hw carrier BUSID { on | off }
       ifnet hw del BUSID [ --planned ]
       ifnet hw assoc BUSID [ removed ]
       ifnet hw list
       ifnet hw segment NAME [ drop PCT ] [ delay MS ] [ corrupt PCT ] [ seed N ]
       ifnet hw faults { segment NAME | dev VETH } [ drop PCT ] [ delay MS ] [ corrupt PCT ] [ seed N ]
";

fn usage(s: &mut Session) -> Abort {
    s.eprint(USAGE);
    Abort::Exit(255)
}

/// Prints a kernel error the way rtnl_talk() would and returns ip's -2.
pub(crate) fn kernel_error(s: &mut Session, e: &KError) -> IpResult {
    match e.extack.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => {
            let dot = if m.ends_with('.') { "" } else { "." };
            s.eprint(&format!("Error: {m}{dot}\n"));
        }
        None => s.eprint(&format!("RTNETLINK answers: {}\n", e.errno.strerror())),
    }
    Ok(-2)
}

/// `ifnet hw …`.
pub fn do_hw(s: &mut Session, words: &[String]) -> IpResult {
    let Some(verb) = words.first().map(|w| w.as_str()) else {
        return Err(usage(s));
    };
    if matches(verb, "add") {
        return hw_add(s, &words[1..]);
    }
    if matches(verb, "delete") {
        return hw_del(s, &words[1..]);
    }
    if verb == "carrier" {
        return crate::ext::hw_ipoib::hw_carrier(s, &words[1..]);
    }
    if verb == "assoc" {
        return hw_assoc(s, &words[1..]);
    }
    if matches(verb, "list") || matches(verb, "show") {
        return hw_list(s);
    }
    if matches(verb, "segment") {
        return crate::ext::faults::hw_segment(s, &words[1..]);
    }
    if matches(verb, "faults") {
        return crate::ext::faults::hw_faults(s, &words[1..]);
    }
    Err(usage(s))
}

/// The words of `hw add BUSID …`.
#[derive(Default)]
struct HwAddArgs {
    kind: Option<String>,
    mac: Option<String>,
    driver: Option<String>,
    segment: Option<String>,
    serial: Option<String>,
    standby: bool,
    no_assoc: bool,
}

/// Reads `hw add`'s keywords (after BUSID).
fn parse_hw_add(s: &mut Session, a: &mut Argv) -> Result<HwAddArgs, Abort> {
    let mut r = HwAddArgs::default();
    while a.left() > 0 {
        let w = a.cur();
        if w == "standby" || w == "no-assoc" {
            *(if w == "standby" {
                &mut r.standby
            } else {
                &mut r.no_assoc
            }) = true;
            a.advance();
            continue;
        }
        let v = a.next_arg(&mut s.err)?.to_string();
        match w {
            "type" => r.kind = Some(v),
            "mac" | "address" => r.mac = Some(v),
            "driver" => r.driver = Some(v),
            "segment" => r.segment = Some(v),
            "serial" => r.serial = Some(v),
            _ => return Err(usage(s)),
        }
        a.advance();
    }
    Ok(r)
}

/// What each kind of device accepts; the kind, and the serial as a
/// number.
fn check_hw_add(s: &mut Session, r: &HwAddArgs) -> Result<(String, Option<u32>), Abort> {
    let refuse = |s: &mut Session, msg: &str| {
        s.eprint(msg);
        Abort::Exit(255)
    };
    let kinds = ["nic", "virtio-net", "vf", "netvsc"];
    let Some(kind) = r.kind.clone().filter(|k| kinds.contains(&k.as_str())) else {
        return Err(refuse(
            s,
            "ifnet: hw add needs \"type nic|virtio-net|vf|netvsc|ipoib\"\n",
        ));
    };
    if r.standby && kind != "virtio-net" {
        let msg = "ifnet: \"standby\" is a virtio-net feature (VIRTIO_NET_F_STANDBY)\n";
        return Err(refuse(s, msg));
    }
    if r.driver.is_some() && (kind == "virtio-net" || kind == "netvsc") {
        let msg = format!("ifnet: {kind} is always bound by its own driver\n");
        return Err(refuse(s, &msg));
    }
    if (r.serial.is_some() || r.no_assoc) && kind != "vf" {
        let msg = "ifnet: \"serial\" and \"no-assoc\" describe a Hyper-V VF (type vf)\n";
        return Err(refuse(s, msg));
    }
    if r.no_assoc && r.serial.is_none() {
        let msg = "ifnet: \"no-assoc\" needs \"serial N\" (a Hyper-V VF)\n";
        return Err(refuse(s, msg));
    }
    match r.serial.as_deref().map(str::parse::<u32>) {
        None => Ok((kind, None)),
        Some(Ok(n)) => Ok((kind, Some(n))),
        Some(Err(_)) => {
            let msg = "ifnet: \"serial\" is the VF's slot number, 0 to 4294967295\n";
            Err(refuse(s, msg))
        }
    }
}

/// The bus device `hw add` plugs.
fn hw_spec(kind: &str, r: HwAddArgs, mac: HwAddr, serial: Option<u32>) -> HwSpec {
    let HwAddArgs {
        driver,
        segment,
        standby,
        no_assoc,
        ..
    } = r;
    match (kind, serial) {
        ("virtio-net", _) => HwSpec::VirtioNet {
            mac,
            standby,
            segment,
        },
        ("vf", Some(serial)) => HwSpec::HvVf {
            mac,
            serial,
            driver,
            segment,
            no_assoc,
        },
        ("vf", None) => HwSpec::Vf {
            mac,
            driver,
            segment,
        },
        ("netvsc", _) => HwSpec::Netvsc { mac, segment },
        _ => HwSpec::Nic {
            mac,
            driver,
            segment,
        },
    }
}

fn hw_add(s: &mut Session, words: &[String]) -> IpResult {
    let mut a = Argv::new(words);
    let bus = a.cur().to_string();
    if bus.is_empty() {
        return Err(usage(s));
    }
    a.advance();
    if words.get(1).map(String::as_str) == Some("type")
        && words.get(2).map(String::as_str) == Some("ipoib")
    {
        return hw_add_ipoib(s, &bus, &words[3..]);
    }
    let mut r = parse_hw_add(s, &mut a)?;
    let (kind, serial) = check_hw_add(s, &r)?;
    let Some(mac) = r.mac.take() else {
        s.eprint("ifnet: hw add needs \"mac LLADDR\"\n");
        return Err(Abort::Exit(255));
    };
    let Some(addr) = HwAddr::parse(&mac) else {
        s.eprint(&format!("\"{mac}\" is invalid lladdr.\n"));
        return Ok(-1);
    };
    s.dirty = true;
    match s.k.hw_add(&bus, hw_spec(&kind, r, addr, serial)) {
        Ok(_) => Ok(0),
        Err(e) => kernel_error(s, &e),
    }
}

/// `hw add BUSID type ipoib KEY VALUE…` (ext/hw_ipoib.rs).
fn hw_add_ipoib(s: &mut Session, bus: &str, rest: &[String]) -> IpResult {
    if !rest.len().is_multiple_of(2) {
        return Err(usage(s));
    }
    let pairs: Vec<(String, String)> = rest
        .chunks(2)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect();
    let spec = crate::ext::hw_ipoib::ipoib_spec(s, &pairs)?;
    s.dirty = true;
    match s.k.hw_add(bus, spec) {
        Ok(_) => Ok(0),
        Err(e) => kernel_error(s, &e),
    }
}

fn hw_del(s: &mut Session, words: &[String]) -> IpResult {
    let Some(bus) = words.first() else {
        return Err(usage(s));
    };
    // A surprise removal unless the hypervisor asked first (--planned).
    let planned = match words.get(1).map(|w| w.as_str()) {
        None | Some("surprise") => false,
        Some("--planned") | Some("planned") => true,
        Some(_) => return Err(usage(s)),
    };
    s.dirty = true;
    match s.k.hw_del(bus, planned) {
        Ok(()) => Ok(0),
        Err(e) => kernel_error(s, &e),
    }
}

/// `hw assoc BUSID [removed]`: the Hyper-V host sends (or rescinds) the
/// VF association message for a VF now (NVSP VF association; netvsc logs
/// "VF slot N added" / "removed").
fn hw_assoc(s: &mut Session, words: &[String]) -> IpResult {
    let (bus, allocated) = match words {
        [bus] => (bus, true),
        [bus, r] if r == "removed" => (bus, false),
        _ => return Err(usage(s)),
    };
    s.dirty = true;
    match s.k.hw_vf_association(bus, allocated) {
        Ok(()) => Ok(0),
        Err(e) => kernel_error(s, &e),
    }
}

fn hw_list(s: &mut Session) -> IpResult {
    let mut out = String::new();
    for (bus, spec, _) in s.k.hw_list() {
        if let Some(line) = crate::ext::hw_ipoib::ipoib_list_line(&bus, &spec) {
            out += &line;
            continue;
        }
        let mut extra = String::new();
        let (kind, mac, driver, segment, standby) = match spec {
            HwSpec::Netvsc { mac, segment } => (
                "netvsc",
                mac,
                Some(ifnet_core::drivers::netvsc::NETVSC_DRIVER.to_string()),
                segment,
                false,
            ),
            HwSpec::HvVf {
                mac,
                serial,
                driver,
                segment,
                no_assoc,
            } => {
                extra = format!(
                    " serial {serial}{}",
                    if no_assoc { " no-assoc" } else { "" }
                );
                ("vf", mac, driver, segment, false)
            }
            HwSpec::Nic {
                mac,
                driver,
                segment,
            } => ("nic", mac, driver, segment, false),
            HwSpec::Vf {
                mac,
                driver,
                segment,
            } => ("vf", mac, driver, segment, false),
            HwSpec::VirtioNet {
                mac,
                standby,
                segment,
            } => (
                "virtio-net",
                mac,
                Some("virtio_net".to_string()),
                segment,
                standby,
            ),
            HwSpec::Ipoib { .. } => continue,
        };
        let default = if kind == "vf" {
            ifnet_core::hw::DEFAULT_VF_DRIVER
        } else {
            ifnet_core::hw::DEFAULT_NIC_DRIVER
        };
        let drv = driver.unwrap_or_else(|| default.to_string());
        let seg = segment.unwrap_or_else(|| "lan".to_string());
        let mac = crate::ip::util::ll_addr_n2a(mac.as_bytes());
        let sby = if standby { " standby" } else { "" };
        out += &format!("{bus}: {kind} mac {mac} driver {drv} segment {seg}{sby}{extra}\n");
    }
    s.p.text(&out);
    Ok(0)
}
