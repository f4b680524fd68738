//! The "physical" network: every NIC on the hardware bus is cabled to a
//! named segment (default `lan`) that connects all NICs on it, so two hosts
//! (namespaces) can talk. This is the cable (`segment_xmit`), not a driver:
//! the NIC's xmit and receive are in drivers/nic.rs. Faults (`drop`, `delay`, `corrupt` percentages,
//! from a seed) stack on a segment or on a veth, like smoltcp's
//! FaultInjector stacks on any device.

use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::time::{Duration, Instant};
use crate::workqueue::Work;
use serde::{Deserialize, Serialize};

/// Default segment name.
pub const DEFAULT_SEGMENT: &str = "lan";
/// Default InfiniBand segment name (an IB subnet: HCA ports and a switch).
pub const DEFAULT_IB_SEGMENT: &str = "ib";
/// Bound on frames held back by `delay` faults.
pub const DELAYED_FRAMES_MAX: usize = 1 << 16;

/// Faults applied to frames crossing a wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Faults {
    /// Percent of frames lost on the wire (nobody counts them).
    pub drop_pct: u8,
    /// Delay added to every frame, in milliseconds.
    pub delay_ms: u32,
    /// Percent of frames with a flipped bit: a NIC counts an FCS error and
    /// drops them; a veth delivers them damaged.
    pub corrupt_pct: u8,
    /// Seed of the fault generator.
    pub seed: u64,
}

impl Faults {
    pub fn is_none(&self) -> bool {
        self.drop_pct == 0 && self.delay_ms == 0 && self.corrupt_pct == 0
    }
}

/// Faults plus the state of their generator (reset when they are set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FaultState {
    pub faults: Faults,
    pub rng: u64,
}

impl FaultState {
    fn new(faults: Faults) -> FaultState {
        FaultState {
            faults,
            rng: faults.seed,
        }
    }

    /// splitmix64: deterministic rolls from the seed.
    fn roll(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fate(&mut self, now: Instant) -> Fate {
        let f = self.faults;
        if f.is_none() {
            return Fate::Deliver;
        }
        if f.drop_pct > 0 && self.roll() % 100 < u64::from(f.drop_pct) {
            return Fate::Lost;
        }
        if f.corrupt_pct > 0 && self.roll() % 100 < u64::from(f.corrupt_pct) {
            return Fate::Corrupt;
        }
        if f.delay_ms > 0 {
            let delay = Duration::from_millis(u64::from(f.delay_ms));
            return Fate::Delay(now + delay);
        }
        Fate::Deliver
    }
}

/// A named segment: the NICs cabled to it and its faults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Segment {
    pub name: String,
    pub members: Vec<DevId>,
    pub faults: FaultState,
}

/// A frame in flight on a delaying wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DelayedFrame {
    #[serde(rename = "due_ns")]
    pub due: Instant,
    pub to: DevId,
    pub from_wire: WireKind,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WireKind {
    Segment,
    Veth,
}

/// Outcome of passing a frame through a wire's faults.
enum Fate {
    Deliver,
    Lost,
    Corrupt,
    Delay(Instant),
}

impl Kernel {
    /// The segment called `name`, created on first use.
    pub(crate) fn segment_mut(&mut self, name: &str) -> &mut Segment {
        let i = match self.world.segments.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                self.world.segments.push(Segment {
                    name: name.to_string(),
                    ..Segment::default()
                });
                self.world.segments.len() - 1
            }
        };
        &mut self.world.segments[i]
    }

    /// Sets the faults of a segment; setting them restarts the generator
    /// from the seed, so a seeded run repeats.
    pub fn segment_set_faults(&mut self, segment: &str, faults: Faults) {
        self.segment_mut(segment).faults = FaultState::new(faults);
    }

    /// The faults of a segment, if it exists.
    pub fn segment_faults(&self, segment: &str) -> Option<Faults> {
        self.world
            .segments
            .iter()
            .find(|s| s.name == segment)
            .map(|s| s.faults.faults)
    }

    /// Sets the faults of a veth device (applied to what it transmits);
    /// no faults removes the entry, so the fast path is taken again.
    pub fn veth_set_faults(&mut self, dev: DevId, faults: Faults) {
        if faults.is_none() {
            self.world.veth_faults.remove(&dev);
        } else {
            self.world.veth_faults.insert(dev, FaultState::new(faults));
        }
    }

    /// The faults of a veth device, if any.
    pub fn veth_faults(&self, dev: DevId) -> Option<Faults> {
        self.world.veth_faults.get(&dev).map(|f| f.faults)
    }

    /// The cable: `dev`'s frame to every other NIC on its segment, through
    /// the segment's faults. False if `dev` is on no segment.
    pub(crate) fn segment_xmit(&mut self, dev: DevId, frame: &[u8]) -> bool {
        let seg = self.nic_segment(dev);
        let Some(si) = self
            .world
            .segments
            .iter()
            .position(|s| Some(s.name.as_str()) == seg)
        else {
            return false;
        };
        let mut i = 0;
        while let Some(&to) = self.world.segments[si].members.get(i) {
            i += 1;
            if to == dev
                || self.dev(to).dev_type != self.dev(dev).dev_type
                || !self.hv_vswitch_forwards(dev, to, frame)
            {
                continue;
            }
            let now = self.now;
            match self.world.segments[si].faults.fate(now) {
                Fate::Lost => {}
                Fate::Deliver => self.nic_receive(to, frame, false),
                Fate::Corrupt => self.nic_receive(to, frame, true),
                Fate::Delay(due) => self.delay_frame(due, to, WireKind::Segment, frame),
            }
        }
        true
    }

    /// Whether a device of link type `dev_type` may be cabled to `name`:
    /// a segment carries one link type, that of the devices on it (an
    /// InfiniBand subnet is not an Ethernet LAN).
    pub(crate) fn segment_accepts(&self, name: &str, dev_type: u16) -> bool {
        let Some(seg) = self.world.segments.iter().find(|s| s.name == name) else {
            return true;
        };
        seg.members
            .iter()
            .all(|&m| self.try_dev(m).is_none_or(|d| d.dev_type == dev_type))
    }

    /// The InfiniBand fabric: an IPoIB frame (24-byte hard header) from
    /// `dev` to the interfaces of every other HCA port on its port's
    /// segment that share its P_Key (the HCA's P_Key check; the
    /// membership bit aside), through the segment's faults. Which of them
    /// take it is their receive path's filter (`ipoib_ib_handle_rx_wc`).
    pub(crate) fn ib_segment_xmit(&mut self, dev: DevId, frame: &[u8]) -> bool {
        let Some(port) = self.ipoib_port(dev) else {
            return false;
        };
        let pkey = self.ipoib_priv(dev).map_or(0, |p| p.pkey & 0x7fff);
        let seg = self.nic_segment(port).map(str::to_string);
        let Some(si) = self
            .world
            .segments
            .iter()
            .position(|s| Some(s.name.as_str()) == seg.as_deref())
        else {
            return false;
        };
        let mut i = 0;
        while let Some(&m) = self.world.segments[si].members.get(i) {
            i += 1;
            if m == port || self.ipoib_priv(m).is_none() {
                continue;
            }
            for to in self.ipoib_port_interfaces(m) {
                if self.ipoib_priv(to).is_none_or(|p| p.pkey & 0x7fff != pkey) {
                    continue;
                }
                let now = self.now;
                match self.world.segments[si].faults.fate(now) {
                    Fate::Lost => {}
                    Fate::Deliver => self.ipoib_ib_handle_rx_wc(to, frame, false),
                    Fate::Corrupt => self.ipoib_ib_handle_rx_wc(to, frame, true),
                    Fate::Delay(due) => self.delay_frame(due, to, WireKind::Segment, frame),
                }
            }
        }
        true
    }

    /// Applies a veth's faults; returns whether to deliver now.
    pub(crate) fn veth_wire(&mut self, dev: DevId, peer: DevId, frame: &[u8]) -> bool {
        let now = self.now;
        let Some(state) = self.world.veth_faults.get_mut(&dev) else {
            return true;
        };
        match state.fate(now) {
            Fate::Deliver => true,
            Fate::Lost => false,
            Fate::Corrupt => {
                let at = (state.roll() as usize) % frame.len().max(1);
                let mut copy = frame.to_vec();
                if let Some(b) = copy.get_mut(at) {
                    *b ^= 0x01;
                }
                self.dev_mut(peer).stats.count_rx(copy.len());
                self.netif_receive(peer, &copy);
                false
            }
            Fate::Delay(due) => {
                self.delay_frame(due, peer, WireKind::Veth, frame);
                false
            }
        }
    }

    fn delay_frame(&mut self, due: Instant, to: DevId, from_wire: WireKind, frame: &[u8]) {
        if self.world.delayed_frames.len() >= DELAYED_FRAMES_MAX {
            return; // the wire's buffer is full: the frame is lost
        }
        self.world.delayed_frames.push(DelayedFrame {
            due,
            to,
            from_wire,
            data: frame.to_vec(),
        });
        self.deferred.workqueue.schedule(Work::WireDelivery, due);
    }

    /// Delivers every delayed frame whose time has come, in order.
    pub(crate) fn wire_delivery(&mut self) {
        let now = self.now;
        let (due, later): (Vec<DelayedFrame>, Vec<DelayedFrame>) =
            std::mem::take(&mut self.world.delayed_frames)
                .into_iter()
                .partition(|f| f.due <= now);
        self.world.delayed_frames = later;
        for f in due {
            match f.from_wire {
                WireKind::Segment
                    if self
                        .try_dev(f.to)
                        .is_some_and(|d| d.driver.ipoib().is_some()) =>
                {
                    self.ipoib_ib_handle_rx_wc(f.to, &f.data, false)
                }
                WireKind::Segment => self.nic_receive(f.to, &f.data, false),
                WireKind::Veth => {
                    if self.try_dev(f.to).is_some_and(|d| d.is_up()) {
                        self.dev_mut(f.to).stats.count_rx(f.data.len());
                        self.netif_receive(f.to, &f.data);
                    }
                }
            }
        }
        if let Some(next) = self.world.delayed_frames.iter().map(|f| f.due).min() {
            self.deferred.workqueue.schedule(Work::WireDelivery, next);
        }
    }
}
