//! The modelled drivers, one module each.
pub mod bridge;
pub mod loopback;
pub mod net_failover;
pub mod nic;
pub mod veth;
