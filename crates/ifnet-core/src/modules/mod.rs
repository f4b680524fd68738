//! In-kernel modules that subscribe to the netdevice notifier chain.
pub mod failover;
