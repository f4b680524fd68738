//! A device's queue counts and GSO/GRO limits: `num_tx_queues` /
//! `num_rx_queues` (fixed by `alloc_netdev_mqs`), `gso_max_size`,
//! `gso_max_segs`, `gro_max_size`, `gso_ipv4_max_size`,
//! `gro_ipv4_max_size` (net/core/dev.h `netif_set_gso_max_size` and
//! friends), the checks `validate_linkmsg()` makes on them, and the
//! machine's number of possible CPUs that sizes a veth's queues.

use crate::errno::{Errno, KError, KResult};
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::rtnetlink::link::LinkRequest;
use serde::{Deserialize, Serialize};

/// `GSO_LEGACY_MAX_SIZE` / `GRO_LEGACY_MAX_SIZE`.
pub const GSO_LEGACY_MAX_SIZE: u32 = 65536;
/// `GSO_MAX_SEGS`.
pub const GSO_MAX_SEGS: u32 = 65535;
/// `GRO_MAX_SIZE` (8 * 65535, BIG TCP).
pub const GRO_MAX_SIZE: u32 = 8 * 65535;
/// rtnl_create_link()'s bound on IFLA_NUM_TX_QUEUES / IFLA_NUM_RX_QUEUES.
pub const MAX_QUEUES: u32 = 4096;
/// `MAX_TCP_HEADER + 1`, the minimum `ifla_policy` allows for
/// IFLA_GSO_MAX_SIZE and IFLA_GSO_IPV4_MAX_SIZE
/// (`NLA_POLICY_MIN(NLA_U32, MAX_TCP_HEADER + 1)`). MAX_TCP_HEADER is
/// `L1_CACHE_ALIGN(128 + MAX_HEADER)` and so depends on the build; 192 is
/// this machine's 6.18 kernel (192 is refused, 193 accepted).
pub const GSO_MIN_SIZE: u32 = 193;

/// The per-device fields, at `alloc_netdev_mqs()`'s defaults. The state
/// file leaves out each field at its default (a veth's queue counts
/// follow the possible CPUs, so the whole struct is rarely the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DevLimits {
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub num_tx_queues: u32,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub num_rx_queues: u32,
    #[serde(default = "legacy", skip_serializing_if = "is_legacy")]
    pub gso_max_size: u32,
    #[serde(default = "max_segs", skip_serializing_if = "is_max_segs")]
    pub gso_max_segs: u32,
    #[serde(default = "legacy", skip_serializing_if = "is_legacy")]
    pub gro_max_size: u32,
    #[serde(default = "legacy", skip_serializing_if = "is_legacy")]
    pub gso_ipv4_max_size: u32,
    #[serde(default = "legacy", skip_serializing_if = "is_legacy")]
    pub gro_ipv4_max_size: u32,
}

fn one() -> u32 {
    1
}

fn is_one(v: &u32) -> bool {
    *v == 1
}

fn legacy() -> u32 {
    GSO_LEGACY_MAX_SIZE
}

fn is_legacy(v: &u32) -> bool {
    *v == GSO_LEGACY_MAX_SIZE
}

fn max_segs() -> u32 {
    GSO_MAX_SEGS
}

fn is_max_segs(v: &u32) -> bool {
    *v == GSO_MAX_SEGS
}

impl Default for DevLimits {
    fn default() -> Self {
        DevLimits {
            num_tx_queues: 1,
            num_rx_queues: 1,
            gso_max_size: GSO_LEGACY_MAX_SIZE,
            gso_max_segs: GSO_MAX_SEGS,
            gro_max_size: GSO_LEGACY_MAX_SIZE,
            gso_ipv4_max_size: GSO_LEGACY_MAX_SIZE,
            gro_ipv4_max_size: GSO_LEGACY_MAX_SIZE,
        }
    }
}

impl DevLimits {
    /// The state file leaves the defaults out.
    pub fn is_default(&self) -> bool {
        *self == DevLimits::default()
    }

    /// `netif_set_gso_max_size()`: the IPv4 limit follows while the size
    /// is a legacy one.
    pub fn netif_set_gso_max_size(&mut self, size: u32) {
        self.gso_max_size = size;
        if size <= GSO_LEGACY_MAX_SIZE {
            self.gso_ipv4_max_size = size;
        }
    }

    /// `netif_set_gro_max_size()`.
    pub fn netif_set_gro_max_size(&mut self, size: u32) {
        self.gro_max_size = size;
        if size <= GSO_LEGACY_MAX_SIZE {
            self.gro_ipv4_max_size = size;
        }
    }

    /// `netif_set_tso_max_size()`'s effect on the GSO limits: what is
    /// above the new TSO limit comes down to it.
    pub fn clamp_to_tso_max_size(&mut self, tso_max_size: u32) {
        if tso_max_size < self.gso_max_size {
            self.netif_set_gso_max_size(tso_max_size);
        }
        if tso_max_size < self.gso_ipv4_max_size {
            self.gso_ipv4_max_size = tso_max_size;
        }
    }

    /// rtnl_create_link()'s and do_setlink()'s stores, in the kernel's
    /// order (the checks were made by `validate_linkmsg`). Returns whether
    /// anything changed (`DO_SETLINK_MODIFIED`).
    pub fn apply(&mut self, r: &LinkRequest) -> bool {
        let before = *self;
        if let Some(v) = r.gso_max_size {
            if self.gso_max_size != v {
                self.netif_set_gso_max_size(v);
            }
        }
        if let Some(v) = r.gso_max_segs {
            self.gso_max_segs = v;
        }
        if let Some(v) = r.gro_max_size {
            if self.gro_max_size != v {
                self.netif_set_gro_max_size(v);
            }
        }
        if let Some(v) = r.gso_ipv4_max_size {
            self.gso_ipv4_max_size = v;
        }
        if let Some(v) = r.gro_ipv4_max_size {
            self.gro_ipv4_max_size = v;
        }
        *self != before
    }
}

/// validate_linkmsg()'s "too big …" refusals.
fn too_big(what: &'static str) -> KError {
    KError::msg(Errno::EINVAL, what)
}

impl Kernel {
    /// The machine's `num_possible_cpus()`: a hardware parameter of the
    /// model, fixed when the kernel boots (the CLI reads this machine's
    /// /sys/devices/system/cpu/possible).
    pub fn num_possible_cpus(&self) -> u32 {
        self.world.possible_cpus.max(1)
    }

    /// Sets the number of possible CPUs (at least 1). Devices already
    /// created keep their queues, as they would on a hot-plugged CPU.
    pub fn set_num_possible_cpus(&mut self, n: u32) {
        self.world.possible_cpus = n.max(1);
    }

    /// `veth_get_num_queues()`: one queue per possible CPU, at most 4096.
    pub(crate) fn veth_get_num_queues(&self) -> u32 {
        self.num_possible_cpus().min(MAX_QUEUES)
    }

    /// The GSO/GRO part of `validate_linkmsg()`: each limit against the
    /// device's TSO limits or GRO_MAX_SIZE, "too big …" otherwise.
    pub(crate) fn validate_linkmsg_limits(&self, dev: DevId, r: &LinkRequest) -> KResult<()> {
        let tso_max_size = self.dev_tso_max_size(dev);
        if r.gso_max_size.is_some_and(|v| v > tso_max_size) {
            return Err(too_big("too big gso_max_size"));
        }
        // dev->tso_max_segs is TSO_MAX_SEGS (65535) for every modelled
        // device, the same bound as GSO_MAX_SEGS.
        if r.gso_max_segs.is_some_and(|v| v > GSO_MAX_SEGS) {
            return Err(too_big("too big gso_max_segs"));
        }
        if r.gro_max_size.is_some_and(|v| v > GRO_MAX_SIZE) {
            return Err(too_big("too big gro_max_size"));
        }
        if r.gso_ipv4_max_size.is_some_and(|v| v > tso_max_size) {
            return Err(too_big("too big gso_ipv4_max_size"));
        }
        if r.gro_ipv4_max_size.is_some_and(|v| v > GRO_MAX_SIZE) {
            return Err(too_big("too big gro_ipv4_max_size"));
        }
        Ok(())
    }

    /// `netif_set_tso_max_size()` after an upper device's TSO limit was
    /// recomputed (`netdev_compute_master_upper_features`).
    pub(crate) fn netif_set_tso_max_size(&mut self, dev: DevId) {
        let tso = self.dev_tso_max_size(dev);
        self.dev_mut(dev).limits.clamp_to_tso_max_size(tso);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// netif_set_gso_max_size(): gso_ipv4_max_size follows only at or
    /// below GSO_LEGACY_MAX_SIZE.
    #[test]
    fn netif_set_gso_max_size_drags_ipv4_below_legacy() {
        let mut l = DevLimits::default();
        l.netif_set_gso_max_size(300_000);
        assert_eq!((l.gso_max_size, l.gso_ipv4_max_size), (300_000, 65536));
        l.netif_set_gso_max_size(1000);
        assert_eq!((l.gso_max_size, l.gso_ipv4_max_size), (1000, 1000));
        l.netif_set_gro_max_size(70_000);
        assert_eq!((l.gro_max_size, l.gro_ipv4_max_size), (70_000, 65536));
    }

    /// netif_set_tso_max_size(): both GSO limits come down to a lower TSO
    /// limit, never up.
    #[test]
    fn netif_set_tso_max_size_clamps_gso() {
        let mut l = DevLimits::default();
        l.netif_set_gso_max_size(524_280);
        l.clamp_to_tso_max_size(65536);
        assert_eq!((l.gso_max_size, l.gso_ipv4_max_size), (65536, 65536));
        l.clamp_to_tso_max_size(524_280);
        assert_eq!(l.gso_max_size, 65536);
    }
}
