//! Frames through the devices, the generic part: `dev_queue_xmit` → the
//! driver's `ndo_start_xmit` (in its own file under drivers/) → …
//! → `netif_receive_skb` with the rx_handler chain (each handler in its
//! owner's file) → local delivery, with the taps on the way.
//!
//! Frames are borrowed byte slices all the way through, so the steady-state
//! veth path does not allocate. Delivery is synchronous and depth-bounded
//! (`XMIT_RECURSION_LIMIT`), like the kernel's recursion guard; only frames
//! a wire delays (fault injection) are copied and queued on the clock.

pub mod addrlist;
pub mod capture;
pub mod segment;

use crate::consts::*;
use crate::drivers::rx_handler_func;
use crate::ids::DevId;
use crate::kernel::Kernel;

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
        // dev->netdev_ops->ndo_start_xmit, read while `d` is at hand.
        let ndo_start_xmit = d.driver.ops().netdev_ops.ndo_start_xmit;
        if self.captures_active() {
            self.capture_frame(dev, frame, true);
        }
        self.xmit_depth += 1;
        let r = ndo_start_xmit(self, dev, frame);
        self.xmit_depth -= 1;
        r
    }

    /// `__netif_receive_skb_core()`: taps, then the rx_handler chain, then
    /// local delivery. `dev` has already counted the frame as received.
    #[inline]
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
    #[inline]
    fn rx_handler(&mut self, dev: DevId, frame: &[u8]) -> RxHandlerResult {
        match self.dev(dev).rx_handler.and_then(rx_handler_func) {
            None => RxHandlerResult::Pass,
            Some(handler) => handler(self, dev, frame),
        }
    }

    /// Protocol delivery on the device that ends up with the frame: the
    /// model's "stack" only counts what reached it.
    #[inline]
    fn deliver_local(&mut self, dev: DevId, _frame: &[u8]) {
        self.dev_mut(dev).delivered_packets += 1;
    }
}
