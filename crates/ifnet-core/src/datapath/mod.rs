//! Frames through the devices: `dev_queue_xmit` → driver `ndo_start_xmit`
//! → wire → `netif_receive_skb` with the rx_handler chain → local delivery.
//!
//! Frames are borrowed byte slices all the way through, so the steady-state
//! veth path does not allocate. Delivery is synchronous and depth-bounded
//! (`XMIT_RECURSION_LIMIT`), like the kernel's recursion guard; only frames
//! a wire delays (fault injection) are copied and queued on the clock.

pub mod addrlist;
pub mod bridge_fdb;
pub mod capture;
pub mod segment;

use crate::consts::*;
use crate::driver::Driver;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::RxHandler;

/// `XMIT_RECURSION_LIMIT`.
pub const XMIT_RECURSION_LIMIT: u8 = 8;
/// `ETH_HLEN`.
pub const ETH_HLEN: usize = 14;

/// What `dev_queue_xmit` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Xmit {
    /// NET_XMIT_SUCCESS: the driver took the frame.
    Sent,
    /// Dropped; the reason names the counter that went up.
    Dropped(DropReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Device not UP: -ENETDOWN, `dev_core_stats_tx_dropped_inc`.
    DeviceDown,
    /// A queueing device without carrier: the noop qdisc drops it (counted
    /// by the qdisc, not in the device counters, as in Linux).
    NoCarrier,
    /// The driver dropped it (veth peer down, frame too short, …).
    Driver,
    /// Dead loop on a virtual device.
    Recursion,
}

/// What an rx_handler decides (`rx_handler_result_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxHandlerResult {
    /// The handler took the frame.
    Consumed,
    /// Deliver again, as received by this (upper) device.
    Another(DevId),
    /// Deliver only to handlers bound to this exact device.
    Exact,
    /// Normal delivery.
    Pass,
}

impl Kernel {
    /// `dev_queue_xmit()`.
    pub fn dev_queue_xmit(&mut self, dev: DevId, frame: &[u8]) -> Xmit {
        let d = self.dev(dev);
        if !d.is_up() {
            self.dev_mut(dev).stats.tx_dropped += 1;
            return Xmit::Dropped(DropReason::DeviceDown);
        }
        if self.xmit_depth >= XMIT_RECURSION_LIMIT {
            self.dev_mut(dev).stats.tx_dropped += 1;
            return Xmit::Dropped(DropReason::Recursion);
        }
        // A device with a real qdisc and no carrier has its tx queue on
        // the noop qdisc after dev_deactivate().
        if !d.carrier && d.priv_flags & IFF_NO_QUEUE == 0 && d.tx_queue_len != 0 {
            self.dev_mut(dev).qdisc_drops += 1;
            return Xmit::Dropped(DropReason::NoCarrier);
        }
        if self.captures_active() {
            self.capture_frame(dev, frame, true);
        }
        self.xmit_depth += 1;
        let r = self.ndo_start_xmit(dev, frame);
        self.xmit_depth -= 1;
        r
    }

    /// `ndo_start_xmit`.
    fn ndo_start_xmit(&mut self, dev: DevId, frame: &[u8]) -> Xmit {
        match self.dev(dev).driver {
            Driver::Loopback => self.loopback_xmit(dev, frame),
            Driver::Veth { peer } => self.veth_xmit(dev, peer, frame),
            Driver::Bridge(_) => self.br_dev_xmit(dev, frame),
            Driver::Nic { .. } => self.nic_xmit(dev, frame),
            Driver::NetFailover(_) => self.net_failover_xmit(dev, frame),
        }
    }

    /// `loopback_xmit()`: counted once, seen as received by lo itself.
    fn loopback_xmit(&mut self, dev: DevId, frame: &[u8]) -> Xmit {
        let s = &mut self.dev_mut(dev).stats;
        s.count_tx(frame.len());
        s.count_rx(frame.len());
        self.netif_receive(dev, frame);
        Xmit::Sent
    }

    /// `veth_xmit()`: the peer must be UP (`is_skb_forwardable`); a drop
    /// counts tx_dropped here and rx_dropped on the peer.
    fn veth_xmit(&mut self, dev: DevId, peer: Option<DevId>, frame: &[u8]) -> Xmit {
        let Some(peer) = peer else {
            self.dev_mut(dev).stats.tx_dropped += 1;
            return Xmit::Dropped(DropReason::Driver);
        };
        if frame.len() < ETH_HLEN || !self.dev(peer).is_up() {
            self.dev_mut(dev).stats.tx_dropped += 1;
            if frame.len() >= ETH_HLEN {
                self.dev_mut(peer).stats.rx_dropped += 1;
            }
            return Xmit::Dropped(DropReason::Driver);
        }
        self.dev_mut(dev).stats.count_tx(frame.len());
        if self.veth_faults.is_empty() || self.veth_wire(dev, peer, frame) {
            self.dev_mut(peer).stats.count_rx(frame.len());
            self.netif_receive(peer, frame);
        }
        Xmit::Sent
    }

    /// `__netif_receive_skb_core()`: taps, then the rx_handler chain, then
    /// local delivery. `dev` has already counted the frame as received.
    pub(crate) fn netif_receive(&mut self, dev: DevId, frame: &[u8]) {
        let mut cur = dev;
        for _ in 0..=XMIT_RECURSION_LIMIT {
            if self.captures_active() {
                self.capture_frame(cur, frame, false);
            }
            match self.rx_handler(cur, frame) {
                RxHandlerResult::Consumed => return,
                RxHandlerResult::Another(upper) => cur = upper,
                RxHandlerResult::Exact | RxHandlerResult::Pass => {
                    self.deliver_local(cur, frame);
                    return;
                }
            }
        }
    }

    /// Calls the device's rx_handler, if any.
    fn rx_handler(&mut self, dev: DevId, frame: &[u8]) -> RxHandlerResult {
        match self.dev(dev).rx_handler {
            None => RxHandlerResult::Pass,
            Some(RxHandler::BridgePort) => self.br_handle_frame(dev, frame),
            Some(RxHandler::Failover) => self.net_failover_handle_frame(dev),
            // The failover, netvsc and bonding handlers come with their
            // modules; until then a claimed port passes frames up.
            Some(_) => RxHandlerResult::Pass,
        }
    }

    /// Protocol delivery on the device that ends up with the frame: the
    /// model's "stack" only counts what reached it.
    fn deliver_local(&mut self, dev: DevId, _frame: &[u8]) {
        self.dev_mut(dev).delivered_packets += 1;
    }
}
