//! State that belongs to user space, not to the kernel.
//!
//! The kernel model (`Kernel`) holds only what Linux's kernel holds. What
//! processes keep — the names `ip netns add` gives namespaces under
//! /var/run/netns — lives here, owned by the caller (the CLI's session,
//! an explorer's agents), and reaches the kernel only through its public
//! operations (`Kernel::netns_new`, `Kernel::netns_put`).

pub mod netns_names;

pub use netns_names::{valid_netns_name, NetnsNames, NETNS_NAME_MAX};
