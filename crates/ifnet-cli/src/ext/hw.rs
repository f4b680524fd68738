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
fn kernel_error(s: &mut Session, e: &KError) -> IpResult {
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

fn hw_add(s: &mut Session, words: &[String]) -> IpResult {
    let mut a = Argv::new(words);
    let bus = a.cur().to_string();
    if bus.is_empty() {
        return Err(usage(s));
    }
    let (mut kind, mut mac, mut driver, mut segment) = (None, None, None, None);
    let (mut standby, mut no_assoc, mut serial) = (false, false, None);
    a.advance();
    while a.left() > 0 {
        let w = a.cur();
        if w == "standby" || w == "no-assoc" {
            *(if w == "standby" {
                &mut standby
            } else {
                &mut no_assoc
            }) = true;
            a.advance();
            continue;
        }
        let v = a.next_arg(&mut s.err)?.to_string();
        match w {
            "type" => kind = Some(v),
            "mac" | "address" => mac = Some(v),
            "driver" => driver = Some(v),
            "segment" => segment = Some(v),
            "serial" => serial = Some(v),
            _ => return Err(usage(s)),
        }
        a.advance();
    }
    let kinds = ["nic", "virtio-net", "vf", "netvsc"];
    let Some(kind) = kind.filter(|k| kinds.contains(&k.as_str())) else {
        s.eprint("ifnet: hw add needs \"type nic|virtio-net|vf|netvsc\"\n");
        return Err(Abort::Exit(255));
    };
    if standby && kind != "virtio-net" {
        s.eprint("ifnet: \"standby\" is a virtio-net feature (VIRTIO_NET_F_STANDBY)\n");
        return Err(Abort::Exit(255));
    }
    if driver.is_some() && (kind == "virtio-net" || kind == "netvsc") {
        s.eprint(&format!(
            "ifnet: {kind} is always bound by its own driver\n"
        ));
        return Err(Abort::Exit(255));
    }
    if (serial.is_some() || no_assoc) && kind != "vf" {
        s.eprint("ifnet: \"serial\" and \"no-assoc\" describe a Hyper-V VF (type vf)\n");
        return Err(Abort::Exit(255));
    }
    if no_assoc && serial.is_none() {
        s.eprint("ifnet: \"no-assoc\" needs \"serial N\" (a Hyper-V VF)\n");
        return Err(Abort::Exit(255));
    }
    let serial = match serial.map(|v| v.parse::<u32>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            s.eprint("ifnet: \"serial\" is the VF's slot number, 0 to 4294967295\n");
            return Err(Abort::Exit(255));
        }
    };
    let Some(mac) = mac else {
        s.eprint("ifnet: hw add needs \"mac LLADDR\"\n");
        return Err(Abort::Exit(255));
    };
    let Some(addr) = HwAddr::parse(&mac) else {
        s.eprint(&format!("\"{mac}\" is invalid lladdr.\n"));
        return Ok(-1);
    };
    s.dirty = true;
    let spec = match kind.as_str() {
        "virtio-net" => HwSpec::VirtioNet {
            mac: addr,
            standby,
            segment,
        },
        "vf" => match serial {
            Some(serial) => HwSpec::HvVf {
                mac: addr,
                serial,
                driver,
                segment,
                no_assoc,
            },
            None => HwSpec::Vf {
                mac: addr,
                driver,
                segment,
            },
        },
        "netvsc" => HwSpec::Netvsc { mac: addr, segment },
        _ => HwSpec::Nic {
            mac: addr,
            driver,
            segment,
        },
    };
    match s.k.hw_add(&bus, spec) {
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
