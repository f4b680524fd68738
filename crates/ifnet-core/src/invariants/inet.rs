//! Invariants of the addresses (inet/): only registered devices have
//! them, within bounds; IPv4's list keeps its primary/secondary shape (a
//! secondary has a primary of its subnet before it, no address twice);
//! IPv6's list is sorted by scope with no address twice, only on a device
//! with an inet6_dev; the timers and lifetimes are on the clock.

use crate::consts::RegState;
use crate::ids::DevId;
use crate::inet::ifaddr::*;
use crate::kernel::Kernel;
use crate::netdev::NetDevice;

impl Kernel {
    pub(super) fn check_inet(&self) -> Result<(), String> {
        for (_, d) in self.tables.devs.iter::<DevId>() {
            let inet = &d.inet;
            if d.reg_state != RegState::Registered
                && (!inet.ifa_list.is_empty() || !inet.addr6.is_empty())
            {
                return Err(format!("unregistered device {} has addresses", d.name));
            }
            check_v4(d)?;
            check_v6(d)?;
        }
        Ok(())
    }
}

fn check_v4(d: &NetDevice) -> Result<(), String> {
    let list = &d.inet.ifa_list;
    if list.len() > MAX_ADDRS_PER_DEV || (d.inet.v4_off && !list.is_empty()) {
        return Err(format!("{}: IPv4 address list out of bounds", d.name));
    }
    for (i, a) in list.iter().enumerate() {
        if a.prefixlen > 32 || a.local.is_unspecified() || !a.tstamp.is_valid() {
            return Err(format!("{}: an IPv4 address is malformed", d.name));
        }
        let same_subnet = |b: &InIfaddr| b.mask() == a.mask() && inet_ifa_match(b.address, a);
        if list[..i]
            .iter()
            .any(|b| same_subnet(b) && b.local == a.local)
        {
            return Err(format!("{}: an IPv4 address is listed twice", d.name));
        }
        let secondary = a.flags & IFA_F_SECONDARY != 0;
        let has_primary = list[..i]
            .iter()
            .any(|b| b.flags & IFA_F_SECONDARY == 0 && same_subnet(b));
        if secondary != has_primary {
            return Err(format!(
                "{}: IPv4 primary/secondary flags disagree with the list",
                d.name
            ));
        }
    }
    // Primaries are sorted by scope (host, link, global).
    let prim: Vec<&InIfaddr> = list
        .iter()
        .filter(|a| a.flags & IFA_F_SECONDARY == 0)
        .collect();
    if prim.windows(2).any(|w| w[0].scope < w[1].scope) {
        return Err(format!(
            "{}: IPv4 primaries are not sorted by scope",
            d.name
        ));
    }
    Ok(())
}

fn check_v6(d: &NetDevice) -> Result<(), String> {
    let list = &d.inet.addr6;
    if list.len() > MAX_ADDRS_PER_DEV || (!d.inet.v6 && !list.is_empty()) {
        return Err(format!("{}: IPv6 address list out of bounds", d.name));
    }
    for (i, a) in list.iter().enumerate() {
        if a.prefix_len > 128
            || a.addr.is_unspecified()
            || !a.tstamp.is_valid()
            || a.dad_due.is_some_and(|t| !t.is_valid())
            || a.dad_probes > crate::inet::addrconf_dad::DAD_TRANSMITS
        {
            return Err(format!("{}: an IPv6 address is malformed", d.name));
        }
        if list[..i].iter().any(|b| b.addr == a.addr) {
            return Err(format!("{}: an IPv6 address is listed twice", d.name));
        }
    }
    if list
        .windows(2)
        .any(|w| ipv6_addr_src_scope(&w[0].addr) < ipv6_addr_src_scope(&w[1].addr))
    {
        return Err(format!(
            "{}: IPv6 addresses are not sorted by scope",
            d.name
        ));
    }
    Ok(())
}
