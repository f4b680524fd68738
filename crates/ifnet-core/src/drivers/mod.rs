//! The modelled drivers, one module each.
pub mod bridge;
pub mod bridge_netlink;
pub mod loopback;
pub mod net_failover;
pub mod nic;
pub mod veth;
