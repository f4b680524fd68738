//! IP addresses on devices: IPv4 (net/ipv4/devinet.c) and IPv6
//! (net/ipv6/addrconf.c, ndisc.c) as Linux 6.18 keeps them, one job per
//! file: the records and per-device state (`ifaddr`), IPv4's in_device and
//! address list (`devinet`), IPv6's inet6_dev and addrconf (`addrconf`),
//! its address records (`addrconf_addr`), interface identifiers
//! (`addrconf_gen`), duplicate address detection (`addrconf_dad`) and the
//! neighbour-discovery frames it sends and hears (`ndisc`), lifetimes
//! (`lifetime`), and rtnetlink (`rtnl_addr`, `rtnl_addr_dump`,
//! `link_af`: IFLA_AF_SPEC).

pub mod addrconf;
pub mod addrconf_addr;
pub mod addrconf_dad;
pub mod addrconf_gen;
pub mod devinet;
pub mod ifaddr;
pub mod lifetime;
pub mod link_af;
pub mod ndisc;
pub mod rtnl_addr;
pub mod rtnl_addr_dump;

use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::notifier::NetdevEvent;

impl Kernel {
    /// The `inetdev_event` and `addrconf_notify` subscribers, in the
    /// kernel's registration order (IPv4's notifier is registered first).
    /// At NETDEV_UNREGISTER the device's remaining link-level lists go.
    pub(crate) fn inet_netdev_event(&mut self, event: NetdevEvent, dev: DevId) {
        self.inetdev_event(event, dev);
        self.addrconf_notify(event, dev);
        if event == NetdevEvent::NotifyPeers {
            self.inet_notify_peers(dev);
        }
        if event == NetdevEvent::Unregister {
            self.dev_addr_flush(dev);
        }
    }
}
