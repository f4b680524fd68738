//! `ip maddress` (iproute2 6.1 ip/ipmaddr.c): the link-level multicast list
//! of each device (/proc/net/dev_mcast: refcount as "users", global use as
//! "static") followed by the IPv4 and IPv6 groups joined on it, in ip's
//! format; `add`/`del` are SIOCADDMULTI/SIOCDELMULTI (dev_mc_add_global).

use std::net::IpAddr;

use ifnet_core::HwAddr;

use crate::ip::args::{AF_INET, AF_INET6, AF_PACKET};
use crate::ip::color::ColorAttr;
use crate::ip::jsonw::Ctx;
use crate::ip::util::{ll_addr_a2n, ll_addr_n2a, matches};
use crate::session::Session;
use crate::{Abort, IpResult};

/// One printed entry (`struct ma_info`).
enum Entry {
    Link {
        addr: HwAddr,
        users: u32,
        global: bool,
    },
    Inet {
        group: IpAddr,
        users: u32,
    },
}

/// `do_multiaddr()`.
pub fn do_maddr(s: &mut Session, words: &[String]) -> IpResult {
    let Some(verb) = words.first() else {
        return list(s, &[]);
    };
    if matches(verb, "add") || matches(verb, "delete") {
        return modify(s, matches(verb, "add"), &words[1..]);
    }
    if matches(verb, "list") || matches(verb, "show") || matches(verb, "lst") {
        return list(s, &words[1..]);
    }
    if matches(verb, "help") {
        s.eprint(USAGE);
        return Err(Abort::Exit(255));
    }
    s.eprint(&format!(
        "Command \"{verb}\" is unknown, try \"ip maddr help\".\n"
    ));
    Err(Abort::Exit(255))
}

const USAGE: &str =
    "Usage: ip maddr [ add | del ] MULTIADDR dev STRING\n       ip maddr show [ dev STRING ]\n";

/// `multiaddr_list()`: `dev NAME` (or a bare NAME) filters by name only.
/// ipmaddr.c's `filter` is static: a device named by an earlier `maddr
/// show` of the same process (a batch) stays, and naming one again is
/// "duplicate".
fn list(s: &mut Session, words: &[String]) -> IpResult {
    let mut i = 0;
    while i < words.len() {
        let mut w = &words[i];
        if w == "dev" {
            i += 1;
            let Some(v) = words.get(i) else {
                s.eprint("Command line is not complete. Try option \"help\"\n");
                return Err(Abort::Exit(255));
            };
            w = v;
        } else if matches(w, "help") {
            s.eprint(USAGE);
            return Err(Abort::Exit(255));
        }
        if s.maddr_dev.is_some() {
            return Err(crate::duparg2(&mut s.err, "dev", w));
        }
        s.maddr_dev = Some(w.clone());
        i += 1;
    }
    let filter = s.maddr_dev.clone();
    // `if (!filter.family) filter.family = preferred_family;`
    let family = s.opts.family;
    s.p.new_json_obj();
    for dev in s.k.devices_in(s.net) {
        let Some(name) = s.k.netdev_name(dev).map(str::to_string) else {
            continue;
        };
        if filter.as_ref().is_some_and(|f| *f != name) {
            continue;
        }
        let entries = entries_of(s, dev, family);
        let Some(ifindex) = sysfs_u32(s, dev, "ifindex") else {
            continue;
        };
        // print_mlist(): a device header before its first entry, and with
        // -o before every entry.
        let mut open = false;
        for e in entries {
            if !open || s.opts.oneline {
                if open {
                    s.p.close_array(Ctx::Json, "");
                    s.p.close_object();
                }
                print_header(s, ifindex, &name);
                open = true;
            }
            print_entry(s, &e);
        }
        if open {
            s.p.close_array(Ctx::Json, "");
            s.p.close_object();
        }
    }
    s.p.delete_json_obj();
    Ok(0)
}

/// print_mlist()'s "IFINDEX:\tNAME" line (the name coloured) that opens
/// a device's object and its "maddr" array.
fn print_header(s: &mut Session, ifindex: u32, name: &str) {
    s.p.open_object(None);
    s.p.num(
        Ctx::Any,
        Some("ifindex"),
        &format!("{ifindex}:"),
        ifindex.into(),
    );
    s.p.color_string(
        Ctx::Any,
        ColorAttr::Ifname,
        Some("ifname"),
        &format!("\t{name}"),
        name,
    );
    s.p.nl();
    s.p.open_array(Ctx::Json, "maddr");
}

/// What `read_dev_mcast()`, `read_igmp()` and `read_igmp6()` find for a
/// device, each only when `filter.family` is 0 or its own.
/// A numeric `/sys/class/net/DEV/ATTR`, as user space reads it.
pub(crate) fn sysfs_u32(s: &Session, dev: ifnet_core::DevId, attr: &str) -> Option<u32> {
    s.k.sysfs_read(dev, attr)?.trim().parse().ok()
}

fn entries_of(s: &Session, dev: ifnet_core::DevId, family: u8) -> Vec<Entry> {
    let lists = s.k.dev_addr_lists(dev);
    let mut out: Vec<Entry> = Vec::new();
    if family == 0 || family == AF_PACKET {
        out.extend(lists.mc.iter().map(|e| Entry::Link {
            addr: e.addr,
            users: e.refcount,
            global: e.global_use,
        }));
    }
    // /proc/net/igmp first, then /proc/net/igmp6; each lists the newest
    // group first (joins are prepended to the device's list).
    for v6 in [false, true] {
        let want = if v6 { AF_INET6 } else { AF_INET };
        if family != 0 && family != want {
            continue;
        }
        for (group, users) in lists.groups.iter().rev().filter(|g| g.0.is_ipv6() == v6) {
            out.push(Entry::Inet {
                group: *group,
                users: *users,
            });
        }
    }
    out
}

/// `print_maddr()`.
fn print_entry(s: &mut Session, e: &Entry) {
    s.p.string(Ctx::Fp, None, "\t", "");
    s.p.open_object(None);
    let users = match e {
        Entry::Link { addr, users, .. } => {
            let a = ll_addr_n2a(addr.as_bytes());
            s.p.string(Ctx::Fp, None, "link  ", "");
            s.p.color_string(Ctx::Any, ColorAttr::Mac, Some("link"), &a, &a);
            *users
        }
        Entry::Inet { group, users } => {
            let fam = if group.is_ipv6() { "inet6" } else { "inet" };
            s.p.string(Ctx::Any, Some("family"), &format!("{fam:<5} "), fam);
            let g = group.to_string();
            // ifa_family_color().
            let c = if group.is_ipv6() {
                ColorAttr::Inet6
            } else {
                ColorAttr::Inet
            };
            s.p.color_string(Ctx::Any, c, Some("address"), &g, &g);
            *users
        }
    };
    if users != 1 {
        s.p.num(
            Ctx::Any,
            Some("users"),
            &format!(" users {users}"),
            users.into(),
        );
    }
    if matches!(e, Entry::Link { global: true, .. }) {
        s.p.string(Ctx::Any, Some("features"), " static", "static");
    }
    s.p.string(Ctx::Fp, None, "\n", "");
    s.p.close_object();
}

/// `multiaddr_modify()`: SIOCADDMULTI / SIOCDELMULTI on `dev`.
fn modify(s: &mut Session, add: bool, words: &[String]) -> IpResult {
    let (mut dev, mut addr): (Option<String>, Option<Vec<u8>>) = (None, None);
    let mut i = 0;
    while i < words.len() {
        let mut w = words[i].as_str();
        if w == "dev" {
            i += 1;
            let Some(v) = words.get(i) else {
                s.eprint("Command line is not complete. Try option \"help\"\n");
                return Err(Abort::Exit(255));
            };
            if dev.is_some() {
                s.eprint(&format!(
                    "Error: duplicate \"dev\": \"{v}\" is the second value.\n"
                ));
                return Err(Abort::Exit(255));
            }
            dev = Some(v.clone());
        } else {
            if matches(w, "address") {
                i += 1;
                match words.get(i) {
                    Some(v) => w = v,
                    None => {
                        s.eprint("Command line is not complete. Try option \"help\"\n");
                        return Err(Abort::Exit(255));
                    }
                }
            }
            if addr.is_some() {
                s.eprint(&format!(
                    "Error: duplicate \"address\": \"{w}\" is the second value.\n"
                ));
                return Err(Abort::Exit(255));
            }
            match ll_addr_a2n(w) {
                Ok(a) if a.len() != 6 => {
                    s.eprint(&format!(
                        "Error: Invalid address length {} - must be 6 bytes\n",
                        a.len()
                    ));
                    return Err(Abort::Exit(1));
                }
                Ok(a) => addr = Some(a),
                Err(_) => {
                    s.eprint(&format!("Invalid address \"{w}\"\n"));
                    return Err(Abort::Exit(1));
                }
            }
        }
        i += 1;
    }
    let (Some(dev), Some(addr)) = (dev, addr) else {
        s.eprint("Not enough information: \"dev\" is required.\n");
        return Err(Abort::Exit(255));
    };
    let Some(id) = s.k.dev_get_by_name(s.net, &dev) else {
        s.eprint("ioctl: No such device\n");
        return Err(Abort::Exit(1));
    };
    let hw = HwAddr::new(&addr[..addr.len().min(32)]).unwrap_or(HwAddr::EMPTY);
    s.dirty = true;
    let r = if add {
        s.k.dev_mc_add_global(id, hw)
    } else {
        s.k.dev_mc_del_global(id, hw)
    };
    // multiaddr_modify() ends with exit(0): a batch stops after it.
    match r {
        Ok(()) => Err(Abort::Exit(0)),
        Err(e) => {
            s.eprint(&format!("ioctl: {}\n", e.errno.strerror()));
            Err(Abort::Exit(1))
        }
    }
}
