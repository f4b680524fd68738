//! Properties: "always" invariants checked after every step (some only in
//! a final state, where "ends up" is meant) and "sometimes" witnesses that
//! prove a run reached the window a scenario is about (agents.md §7).

use crate::agents::is_slave;
use crate::facts::RenameOutcome;
use crate::world::World;
use ifnet_core::consts::RegState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Invariant {
    /// `Kernel::check_invariants()`.
    Kernel,
    /// No agent configures an address on a device that has (or, by the
    /// end, gets) a netvsc/failover master.
    NoAddressOnSlave,
    /// A slave udev processed ends with the name udev's policy gives it:
    /// a rename that fails, is skipped, or is logged "already up" and
    /// dropped all break it.
    SlaveHasUdevName,
    /// NetworkManager never creates a default connection for a VF that is
    /// (or gets) enslaved, or that the Hyper-V host pairs with a netvsc.
    NmNoDefaultForVf,
    /// No physical device is lost (at namespace teardown or otherwise):
    /// every plugged bus device keeps its registered netdev.
    NoDeviceLost,
    /// No reference is held at unregister (final states).
    NoRefAtUnregister,
    /// cloud-init does not fail (the duplicate-MAC RuntimeError).
    CloudInitNoError,
    /// One TX path per master: a netvsc has `data_path_is_vf` only while
    /// its VF is joined and running (`netvsc_vf_changed`,
    /// `netvsc_switch_datapath`); an active-backup bond's active slave is
    /// one of its slaves and the only one not in backup
    /// (`bond_change_active_slave`, `bond_set_slave_inactive_flags`).
    OneTxPath,
}

pub const INVARIANTS: [(&str, Invariant); 8] = [
    ("kernel", Invariant::Kernel),
    ("no-address-on-slave", Invariant::NoAddressOnSlave),
    ("slave-has-udev-name", Invariant::SlaveHasUdevName),
    ("nm-no-default-for-vf", Invariant::NmNoDefaultForVf),
    ("no-device-lost", Invariant::NoDeviceLost),
    ("no-ref-at-unregister", Invariant::NoRefAtUnregister),
    ("cloud-init-no-error", Invariant::CloudInitNoError),
    ("one-tx-path", Invariant::OneTxPath),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Witness {
    /// A VF's `flags` were read without IFF_SLAVE and it is later joined.
    UeventBeforeSlave,
    /// udev requested a rename while the device was UP.
    RenameWhileUp,
    /// A namespace died holding a physical device.
    NetnsDiedWithPhys,
    /// A VF's `flags` were read before its master joined it (inside
    /// `register_netdevice`, between the `add` uevent and
    /// NETDEV_REGISTER), and it is joined later: the window c807d6cd
    /// makes harmless was reached.
    FlagsReadBeforeJoin,
    /// udevd processed a net event for a device that had left its
    /// namespace (R9).
    EventAfterMove,
    /// A bond failed over: a slave that lost its link is not the active
    /// one while another slave is (`bond_mii_monitor` →
    /// `bond_select_active_slave`).
    BondFailedOver,
    /// A bond's last slave unregistered (`bond_netdev_event` UNREGISTER →
    /// `__bond_release_one`, the bond back to Ethernet).
    BondLostLastSlave,
}

pub const WITNESSES: [(&str, Witness); 7] = [
    ("bond-failed-over", Witness::BondFailedOver),
    ("bond-lost-last-slave", Witness::BondLostLastSlave),
    ("uevent-before-slave", Witness::UeventBeforeSlave),
    ("flags-read-before-join", Witness::FlagsReadBeforeJoin),
    ("event-after-move", Witness::EventAfterMove),
    ("rename-while-up", Witness::RenameWhileUp),
    ("netns-died-with-device", Witness::NetnsDiedWithPhys),
];

impl Invariant {
    pub fn name(self) -> &'static str {
        INVARIANTS
            .iter()
            .find(|(_, i)| *i == self)
            .map_or("?", |(n, _)| n)
    }
    pub fn parse(s: &str) -> Result<Invariant, String> {
        INVARIANTS
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, i)| *i)
            .ok_or_else(|| {
                let names: Vec<&str> = INVARIANTS.iter().map(|(n, _)| *n).collect();
                format!("unknown invariant {s:?} (known: {})", names.join(", "))
            })
    }
}

impl Witness {
    pub fn name(self) -> &'static str {
        WITNESSES
            .iter()
            .find(|(_, w)| *w == self)
            .map_or("?", |(n, _)| n)
    }
    pub fn parse(s: &str) -> Result<Witness, String> {
        WITNESSES
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, w)| *w)
            .ok_or_else(|| {
                let names: Vec<&str> = WITNESSES.iter().map(|(n, _)| *n).collect();
                format!("unknown witness {s:?} (known: {})", names.join(", "))
            })
    }
}

/// A Hyper-V VF (`type vf … serial N`) whose host pairs it with a plugged
/// netvsc of the same MAC: it has or should get that netvsc as master,
/// even on a kernel that never joins it (6.7: no probe-time scan).
/// What a property may read: the kernel and the facts, nothing else (so
/// a verdict can be remembered by their versions, `explore::Judge`).
#[derive(Clone, Copy)]
pub struct Observed<'a> {
    pub kernel: &'a crate::kcell::KernelCell,
    pub facts: &'a crate::facts::Facts,
}

impl World {
    pub fn observed(&self) -> Observed<'_> {
        Observed {
            kernel: &self.kernel,
            facts: &self.facts,
        }
    }
}

/// Whether invariant `inv` holds in `w` (`None`) or how it breaks.
pub fn check(w: &World, inv: Invariant, terminal: bool) -> Option<String> {
    check_observed(&w.observed(), inv, terminal)
}

/// Whether a witness holds in `w`.
pub fn witnessed(w: &World, wit: Witness) -> bool {
    witnessed_observed(&w.observed(), wit)
}

pub fn is_paired_hv_vf(k: &ifnet_core::Kernel, d: ifnet_core::DevId) -> bool {
    use ifnet_core::HwSpec;
    let Some(mac) = k.hw_iter().find_map(|(_, s, n)| match s {
        HwSpec::HvVf { mac, .. } if n == Some(d) => Some(*mac),
        _ => None,
    }) else {
        return false;
    };
    k.hw_iter()
        .any(|(_, s, _)| matches!(s, HwSpec::Netvsc { mac: m, .. } if *m == mac))
}

fn name_of(o: &Observed<'_>, d: ifnet_core::DevId) -> String {
    o.kernel.netdev_name(d).unwrap_or("?").to_string()
}

/// Checks one invariant; `Some(message)` when it is broken.
pub fn check_observed(o: &Observed<'_>, inv: Invariant, terminal: bool) -> Option<String> {
    let k = &o.kernel;
    match inv {
        Invariant::Kernel => k.check_invariants().err(),
        Invariant::NoAddressOnSlave => {
            for (_, d) in k.listed_devices() {
                if is_slave(k, d) && !k.inet_addrs(d).is_empty() {
                    return Some(format!(
                        "{} is a slave and has an IPv4 address",
                        name_of(o, d)
                    ));
                }
            }
            o.facts
                .configured
                .iter()
                .find(|(_, d)| is_slave(k, *d))
                .map(|(a, d)| format!("{a} configured {}, a slave", name_of(o, *d)))
        }
        Invariant::SlaveHasUdevName => o
            .facts
            .renames
            .iter()
            .find(|r| is_slave(k, r.dev) && k.netdev_name(r.dev) != Some(r.wanted.as_str()))
            .map(|r| {
                let why = match r.outcome {
                    RenameOutcome::Failed => "the rename failed",
                    RenameOutcome::SkippedUp => "udev skipped the rename of an UP device",
                    RenameOutcome::AlreadyUp => "udev logged \"already up\" and dropped the rename",
                    RenameOutcome::Renamed => "it was renamed since",
                };
                format!(
                    "slave {} keeps its name; udev's policy names it {}: {why}",
                    name_of(o, r.dev),
                    r.wanted
                )
            }),
        Invariant::NmNoDefaultForVf => o.facts.nm_defaults.iter().find_map(|&d| {
            let what = if is_slave(k, d) {
                "a slave"
            } else if is_paired_hv_vf(k, d) {
                "a Hyper-V VF paired with a netvsc"
            } else {
                return None;
            };
            Some(format!(
                "NetworkManager created a default connection for {}, {what}",
                name_of(o, d)
            ))
        }),
        Invariant::NoDeviceLost => k.hw_iter().find_map(|(bus, _, d)| {
            let d = d?;
            let ok = k
                .try_dev(d)
                .is_some_and(|x| x.reg_state == RegState::Registered);
            (!ok).then(|| format!("the netdev of bus device {bus} is lost"))
        }),
        Invariant::NoRefAtUnregister if terminal => {
            k.unregister_waits().first().map(|(n, refs)| {
                format!(
                    "unregister_netdevice: waiting for {n} to become free. Usage count = {}",
                    refs.len()
                )
            })
        }
        Invariant::NoRefAtUnregister => None,
        Invariant::CloudInitNoError => o
            .facts
            .crashes
            .iter()
            .find(|(a, _)| a == "cloud-init")
            .map(|(_, t)| t.clone()),
        Invariant::OneTxPath => {
            crate::bond_actions::bond_tx_path_error(k).or_else(|| one_netvsc_path(o))
        }
    }
}

/// The netvsc half of [`Invariant::OneTxPath`].
fn one_netvsc_path(o: &Observed<'_>) -> Option<String> {
    let k = &o.kernel;
    k.hw_iter().find_map(|(_, _, d)| {
        let d = d?;
        let p = k.netvsc(d)?;
        let vf_runs = p
            .vf_netdev
            .is_some_and(|v| k.try_dev(v).is_some_and(|x| x.running()));
        (p.data_path_is_vf && !vf_runs).then(|| {
            format!(
                "{} switched the data path to a VF that is not running",
                name_of(o, d)
            )
        })
    })
}

/// Whether a witness holds in this state.
pub fn witnessed_observed(o: &Observed<'_>, wit: Witness) -> bool {
    match wit {
        Witness::UeventBeforeSlave => o
            .facts
            .seen_without_slave
            .iter()
            .any(|&d| is_slave(o.kernel, d)),
        Witness::FlagsReadBeforeJoin => o
            .facts
            .seen_before_join
            .iter()
            .any(|&d| is_slave(o.kernel, d)),
        Witness::EventAfterMove => o.facts.event_after_move,
        Witness::RenameWhileUp => o.facts.rename_while_up,
        Witness::NetnsDiedWithPhys => o.facts.netns_died_with_phys,
        Witness::BondFailedOver => crate::bond_actions::bond_failed_over(o.kernel),
        Witness::BondLostLastSlave => o.facts.bond_lost_last_slave,
    }
}

/// The properties a run checks.
#[derive(Debug, Clone, Default)]
pub struct Props {
    pub invariants: Vec<Invariant>,
    pub witnesses: Vec<Witness>,
}

impl Props {
    /// The first broken invariant, with its message.
    pub fn violated(&self, o: &Observed<'_>, terminal: bool) -> Option<(Invariant, String)> {
        self.invariants
            .iter()
            .find_map(|&i| check_observed(o, i, terminal).map(|m| (i, m)))
    }
}
