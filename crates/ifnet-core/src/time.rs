//! Typed virtual time: the model clock's `Instant` and `Duration`.
//!
//! The kernel never reads a wall clock (DESIGN.md: a deterministic
//! sans-I/O core). Time is a count of nanoseconds since boot that only the
//! caller moves forward (`Kernel::advance_to`), and every deadline the
//! model keeps — work items, linkwatch's next run, fdb ageing, delayed
//! frames — is an `Instant` on that clock. Both types are stored as plain
//! nanosecond integers, so state files keep their numbers.

use serde::{Deserialize, Serialize};
use std::ops::{Add, Sub};

/// The clock never passes this (about 146 years after boot): every delay
/// the model adds is far smaller, so `now + delay` cannot overflow, and
/// `Kernel::check_invariants` refuses a clock or deadline beyond it.
pub const MAX_CLOCK_NS: u64 = 1 << 62;

/// A point on the virtual clock, in nanoseconds since boot. `Hash` is the
/// count's, except inside `Kernel::fingerprint`, where an instant hashes
/// as its distance from the kernel's `now` (`fingerprint/canon.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Instant(u64);

/// A span of virtual time, in nanoseconds.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Duration(u64);

impl Instant {
    /// Boot: where the clock starts.
    pub const BOOT: Instant = Instant(0);
    /// The latest instant the clock can reach.
    pub const MAX: Instant = Instant(MAX_CLOCK_NS);

    /// The instant `ns` nanoseconds after boot, capped at [`Instant::MAX`].
    pub const fn from_nanos(ns: u64) -> Instant {
        Instant(if ns > MAX_CLOCK_NS { MAX_CLOCK_NS } else { ns })
    }

    /// Nanoseconds since boot (what dmesg and pcap timestamps print).
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Time since boot.
    pub const fn since_boot(self) -> Duration {
        Duration(self.0)
    }

    /// `self - earlier`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }

    /// Whether the value lies on the clock (at most [`Instant::MAX`]); only
    /// a hand-edited state file can hold one that does not.
    pub fn is_valid(self) -> bool {
        self.0 <= MAX_CLOCK_NS
    }
}

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub const fn from_nanos(ns: u64) -> Duration {
        Duration(ns)
    }

    pub const fn from_millis(ms: u64) -> Duration {
        Duration(ms.saturating_mul(1_000_000))
    }

    pub const fn from_secs(s: u64) -> Duration {
        Duration(s.saturating_mul(1_000_000_000))
    }

    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000_000
    }
}

/// `time_after`: a deadline `d` from now, saturating at [`Instant::MAX`].
impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant::from_nanos(self.0.saturating_add(d.0))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturating: a deadline already passed is zero away.
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        Duration(self.0.saturating_add(d.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_saturate_at_the_clock_bound() {
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(Instant::from_nanos(u64::MAX), Instant::MAX);
        assert_eq!(
            Instant::BOOT + Duration::from_millis(100),
            Instant::from_nanos(100_000_000)
        );
        assert_eq!(Instant::BOOT - Instant::MAX, Duration::ZERO);
    }
}
