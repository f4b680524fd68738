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
use crate::drivers::call_rx_handler;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::NetDevice;

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
            return self.dev_xmit_drop(dev, DropReason::DeviceDown);
        }
        if self.inflight.xmit_depth >= XMIT_RECURSION_LIMIT {
            return self.dev_xmit_drop(dev, DropReason::Recursion);
        }
        // A device with a real qdisc and no carrier has its tx queue on
        // the noop qdisc after dev_deactivate().
        if !d.carrier && d.priv_flags & IFF_NO_QUEUE == 0 && d.tx_queue_len != 0 {
            return self.dev_xmit_drop(dev, DropReason::NoCarrier);
        }
        if self.captures_active() {
            self.capture_frame(dev, frame, true);
        }
        self.inflight.xmit_depth += 1;
        let r = self.ndo_start_xmit(dev, frame);
        self.inflight.xmit_depth -= 1;
        r
    }

    /// Where `dev_queue_xmit` counts a frame it drops before the driver:
    /// `dev_core_stats_tx_dropped_inc`, or the noop qdisc's drops.
    #[cold]
    fn dev_xmit_drop(&mut self, dev: DevId, reason: DropReason) -> Xmit {
        let d = self.dev_mut(dev);
        match reason {
            DropReason::NoCarrier => d.qdisc_drops += 1,
            _ => d.stats.tx_dropped += 1,
        }
        Xmit::Dropped(reason)
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
            // rcu_dereference(skb->dev->rx_handler), from the one lookup
            // that also delivers when there is none (the common case).
            let d = self.dev_mut(cur);
            let Some(rx_handler) = d.rx_handler else {
                deliver_local(d, frame);
                self.ip6_rcv_ndisc(cur, frame);
                return;
            };
            match call_rx_handler(self, rx_handler, cur, frame) {
                RxHandlerResult::Consumed => return,
                RxHandlerResult::Another(upper) => cur = upper,
                RxHandlerResult::Exact | RxHandlerResult::Pass => {
                    deliver_local(self.dev_mut(cur), frame);
                    self.ip6_rcv_ndisc(cur, frame);
                    return;
                }
            }
        }
    }
}

/// Protocol delivery on the device that ends up with the frame: the
/// model's "stack" only counts what reached it.
#[inline]
fn deliver_local(dev: &mut NetDevice, _frame: &[u8]) {
    dev.delivered_packets += 1;
}

impl Kernel {
    /// The IPv6 part of local delivery the model carries out: a
    /// neighbour-discovery message goes to `ndisc_rcv` (found through the
    /// device's `header_ops->parse_protocol`, cheaply, on every frame).
    #[inline]
    fn ip6_rcv_ndisc(&mut self, dev: DevId, frame: &[u8]) {
        // No link header is shorter than IPoIB's 4 bytes: a frame without
        // room for one, an IPv6 header and an nd_msg is not ND, whatever
        // the device (the common case of small frames costs one compare).
        const MIN_NDISC_FRAME: usize =
            4 + crate::wire::ipv6::HEADER_LEN + crate::wire::ipv6::ND_MSG_LEN;
        if frame.len() < MIN_NDISC_FRAME {
            return;
        }
        let Some(hops) = self.dev_header_ops(dev) else {
            return;
        };
        if crate::inet::ndisc::maybe_ndisc(hops, frame) {
            self.ndisc_rcv(dev, frame);
        }
    }
}
