//! The modelled agents, each from its real rules (agents.md §2–§6, citing
//! source files and versions): systemd-udevd with its rules, NetworkManager,
//! systemd-networkd, cloud-init, and a scripted administrator. `make`
//! builds one from a scenario's `[agents.NAME]` table.

pub mod cloudinit;
pub mod networkd;
pub mod nm;
pub mod rules;
pub mod script;
pub mod udev;

use ifnet_core::Kernel;

/// A release number: `257.7`, `252`, `23.2`, `1.52.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    pub fn parse(s: &str) -> Result<Version, String> {
        let bad = || format!("bad version {s:?} (expected N, N.M or N.M.P)");
        let parts: Vec<&str> = s.split('.').collect();
        if parts.is_empty() || parts.len() > 3 || s.len() > 20 {
            return Err(bad());
        }
        let mut v = [0u32; 3];
        for (i, p) in parts.iter().enumerate() {
            v[i] = p.parse().map_err(|_| bad())?;
        }
        Ok(Version(v[0], v[1], v[2]))
    }

    pub fn at_least(self, major: u32, minor: u32) -> bool {
        (self.0, self.1) >= (major, minor)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.2 != 0 {
            write!(f, "{}.{}.{}", self.0, self.1, self.2)
        } else if self.1 != 0 {
            write!(f, "{}.{}", self.0, self.1)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// Current releases, the defaults of the built-in scenarios.
pub const SYSTEMD_CURRENT: &str = "257.7";
pub const NM_CURRENT: &str = "1.52";
pub const CLOUD_INIT_CURRENT: &str = "24.1";

/// RTM_NEWADDR for `cidr` (an IPv4 `ADDR/LEN`, checked when the scenario
/// was read) on the device with `ifindex`, as `ip addr add` builds it
/// (IFA_LOCAL and IFA_ADDRESS, NLM_F_CREATE|NLM_F_EXCL|NLM_F_ACK), sent by
/// index: a network manager already knows the link's index from its
/// platform cache and looks up no name (NM's `nm_platform_ip4_address_add`,
/// networkd's `address_configure`).
pub fn add_addr_by_index(
    c: &mut ifnet_core::client::Client<'_>,
    ifindex: u32,
    cidr: &str,
) -> Result<(), ifnet_core::client::NlError> {
    use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL};
    use netlink_packet_route::address::{AddressAttribute, AddressMessage};
    use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
    let bad = ifnet_core::client::NlError {
        errno: ifnet_core::Errno::EINVAL,
        extack: None,
    };
    let (ip, len) = cidr.split_once('/').ok_or(bad.clone())?;
    let ip: std::net::Ipv4Addr = ip.parse().map_err(|_| bad.clone())?;
    let len: u8 = len.parse().map_err(|_| bad)?;
    let mut m = AddressMessage::default();
    m.header.family = AddressFamily::Inet;
    m.header.prefix_len = len;
    m.header.index = ifindex;
    m.attributes.push(AddressAttribute::Local(ip.into()));
    m.attributes.push(AddressAttribute::Address(ip.into()));
    c.addr_request(
        RouteNetlinkMessage::NewAddress(m),
        NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
    )
    .map(|_| ())
}

/// Whether a device is, now, a slave: it has a master or IFF_SLAVE.
pub fn is_slave(k: &Kernel, dev: ifnet_core::DevId) -> bool {
    k.try_dev(dev)
        .is_some_and(|d| d.master.is_some() || d.flags & ifnet_core::consts::IFF_SLAVE != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `add_addr_by_index` is `ip addr add 10.0.0.4/24 dev lo` by index:
    /// the same address the name-resolving client adds; a bad lease is
    /// EINVAL and a gone index ENODEV (the kernel's `inet_rtm_newaddr`).
    #[test]
    fn add_addr_by_index_is_ip_addr_add() {
        use ifnet_core::client::Client;
        let mut a = Kernel::new(ifnet_core::KernelProfile::latest());
        let mut b = a.clone();
        let (net, lo) = (a.init_net(), a.dev_get_by_name(a.init_net(), "lo").unwrap());
        let ifindex = a.dev(lo).ifindex;
        add_addr_by_index(&mut Client::new(&mut a, net), ifindex, "10.0.0.4/24").unwrap();
        Client::new(&mut b, net)
            .add_addr("lo", "10.0.0.4/24")
            .unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.inet_addrs(lo).len(), 1);
        let e = add_addr_by_index(&mut Client::new(&mut a, net), ifindex, "10.0.0.4").unwrap_err();
        assert_eq!(e.errno, ifnet_core::Errno::EINVAL);
        let e = add_addr_by_index(&mut Client::new(&mut a, net), 99, "10.0.0.5/24").unwrap_err();
        assert_eq!(e.errno, ifnet_core::Errno::ENODEV);
    }

    #[test]
    fn versions() {
        assert_eq!(Version::parse("257.7").unwrap(), Version(257, 7, 0));
        assert!(Version::parse("252").unwrap() < Version::parse("253").unwrap());
        assert!(Version::parse("257.7").unwrap().at_least(257, 7));
        assert!(!Version::parse("257.6").unwrap().at_least(257, 7));
        assert!(Version::parse("x").is_err());
        assert!(Version::parse("1.2.3.4").is_err());
        assert!(Version::parse("").is_err());
        assert_eq!(Version::parse("1.52.0").unwrap().to_string(), "1.52");
    }
}
