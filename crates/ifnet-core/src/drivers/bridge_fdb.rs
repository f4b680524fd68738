//! The bridge's frames and forwarding database (br_device.c's xmit,
//! br_input.c, br_forward.c, br_fdb.c): `br_dev_xmit` (its
//! `ndo_start_xmit`), `br_handle_frame` (the port rx_handler), learning
//! (`br_fdb_update`), flooding (`br_flood`), forwarding (`br_forward`),
//! local delivery (`br_pass_frame_up`) and ageing (`br_fdb_cleanup` on the
//! virtual clock). Frames are read through `wire::EthernetFrame`.

use crate::datapath::{RxHandlerResult, Xmit, ETH_HLEN};
use crate::drivers::bridge::PortState;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::time::{Duration, Instant};
use crate::wire::EthernetFrame;
use crate::workqueue::Work;
use serde::{Deserialize, Serialize};

/// `BR_DEFAULT_AGEING_TIME`: 300 s.
pub const BR_DEFAULT_AGEING_TIME: Duration = Duration::from_secs(300);
/// Bound on learned entries per bridge (the kernel's default
/// `fdb_max_learned` is unlimited; the model bounds it to stay finite).
pub const FDB_MAX_LEARNED: usize = 1 << 16;

/// One `struct net_bridge_fdb_entry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FdbEntry {
    /// `None` for local entries (the bridge's or a port's own address).
    pub port: Option<DevId>,
    pub is_local: bool,
    #[serde(rename = "updated_ns")]
    pub updated: Instant,
}

impl Kernel {
    /// `br_fdb_find_rcu()`.
    pub fn br_fdb_find(&self, br: DevId, addr: [u8; 6]) -> Option<FdbEntry> {
        let b = self.dev(br).driver.bridge()?;
        b.fdb.get(&addr).copied()
    }

    /// The bridge's whole table, in address order (`bridge fdb show`).
    pub fn br_fdb_entries(&self, br: DevId) -> Vec<([u8; 6], FdbEntry)> {
        self.dev(br)
            .driver
            .bridge()
            .map(|b| b.fdb.iter().map(|(k, v)| (*k, *v)).collect())
            .unwrap_or_default()
    }

    /// `br_fdb_add_local()` / `br_fdb_change_mac_address()`: local entries for
    /// the bridge's and its ports' addresses.
    pub(crate) fn br_fdb_sync_local(&mut self, br: DevId) {
        let mut locals: Vec<[u8; 6]> = Vec::new();
        let own = self.dev(br).dev_addr;
        if let Ok(a) = <[u8; 6]>::try_from(own.as_bytes()) {
            locals.push(a);
        }
        for &p in &self.dev(br).lowers {
            if let Ok(a) = <[u8; 6]>::try_from(self.dev(p).dev_addr.as_bytes()) {
                locals.push(a);
            }
        }
        let now = self.now;
        let b = self.dev_mut(br).driver.bridge_mut().expect("bridge");
        b.fdb.retain(|_, e| !e.is_local);
        for a in locals {
            b.fdb.insert(
                a,
                FdbEntry {
                    port: None,
                    is_local: true,
                    updated: now,
                },
            );
        }
    }

    /// Forgets what was learned on a port (`br_fdb_delete_by_port`).
    pub(crate) fn br_fdb_delete_by_port(&mut self, br: DevId, port: DevId) {
        if let Some(b) = self.dev_mut(br).driver.bridge_mut() {
            b.fdb.retain(|_, e| e.port != Some(port));
        }
    }

    fn forwarding_ports(&self, br: DevId) -> impl Iterator<Item = DevId> + '_ {
        self.dev(br)
            .driver
            .bridge()
            .into_iter()
            .flat_map(|b| b.ports.iter())
            .filter(|p| p.state == PortState::Forwarding)
            .map(|p| p.dev)
    }

    /// `br_flood()`: every forwarding port but the one it came in on.
    fn br_flood(&mut self, br: DevId, except: Option<DevId>, frame: &[u8]) {
        let mut i = 0;
        // Index-based walk: a delivery may not change the port list, but
        // borrowing rules keep us from holding an iterator across it.
        loop {
            let Some(port) = self.forwarding_ports(br).nth(i) else {
                return;
            };
            i += 1;
            if Some(port) != except {
                self.dev_queue_xmit(port, frame);
            }
        }
    }

    /// `br_pass_frame_up()`: the bridge device receives the frame (counted
    /// after `eth_type_trans`, i.e. without the Ethernet header).
    fn br_pass_frame_up(&mut self, br: DevId, frame: &[u8]) {
        if !self.dev(br).is_up() {
            return;
        }
        self.dev_mut(br).stats.count_rx(frame.len() - ETH_HLEN);
        self.netif_receive(br, frame);
    }

    /// `br_fdb_update()`: learn or refresh `src` on `port`.
    fn br_fdb_update(&mut self, br: DevId, port: DevId, src: [u8; 6]) {
        let now = self.now;
        let b = self.dev_mut(br).driver.bridge_mut().expect("bridge");
        let full = b.fdb.len() >= FDB_MAX_LEARNED;
        match b.fdb.get_mut(&src) {
            Some(e) if e.is_local => return, // own address as source
            Some(e) => {
                e.port = Some(port);
                e.updated = now;
                return;
            }
            None if full => return,
            None => {}
        }
        b.fdb.insert(
            src,
            FdbEntry {
                port: Some(port),
                is_local: false,
                updated: now,
            },
        );
        let due = now + b.ageing_time;
        self.deferred.workqueue.schedule(Work::BridgeFdbGc(br), due);
    }

    /// `br_fdb_cleanup()`: drop entries idle longer than the ageing time and
    /// rearm for the next expiry.
    pub(crate) fn br_fdb_cleanup(&mut self, br: DevId) {
        let now = self.now;
        let Some(b) = self.try_dev(br).and_then(|d| d.driver.bridge()) else {
            return;
        };
        let ageing = b.ageing_time;
        let b = self.dev_mut(br).driver.bridge_mut().expect("bridge");
        let expiry = |e: &FdbEntry| e.updated + ageing;
        b.fdb.retain(|_, e| e.is_local || expiry(e) > now);
        let next = b.fdb.values().filter(|e| !e.is_local).map(expiry).min();
        if let Some(due) = next {
            self.deferred.workqueue.schedule(Work::BridgeFdbGc(br), due);
        }
    }
}

/// `br_dev_xmit()`: frames the bridge device itself sends.
pub(crate) fn br_dev_xmit(k: &mut Kernel, br: DevId, frame: &[u8]) -> Xmit {
    k.dev_mut(br).stats.count_tx(frame.len());
    let Ok(eth) = EthernetFrame::new_checked(frame) else {
        return Xmit::Sent;
    };
    let dst = eth.dst_addr();
    if dst.is_multicast() {
        k.br_flood(br, None, frame);
    } else {
        match k.br_fdb_find(br, dst.0) {
            Some(FdbEntry { port: Some(p), .. }) => {
                k.dev_queue_xmit(p, frame);
            }
            Some(_) => {}
            None => k.br_flood(br, None, frame),
        }
    }
    Xmit::Sent
}

/// `br_handle_frame()` + `br_handle_frame_finish()`: the port's
/// rx_handler. Everything it sees is consumed: forwarded, flooded,
/// passed up as the bridge, or dropped.
#[inline]
pub(crate) fn br_handle_frame(k: &mut Kernel, port: DevId, frame: &[u8]) -> RxHandlerResult {
    let Some(br) = k.dev(port).master else {
        return RxHandlerResult::Pass;
    };
    let Ok(eth) = EthernetFrame::new_checked(frame) else {
        return RxHandlerResult::Consumed;
    };
    let (dst, src) = (eth.dst_addr(), eth.src_addr());
    if src.is_multicast() || src.is_zero() {
        return RxHandlerResult::Consumed; // !is_valid_ether_addr(h_source)
    }
    let state = k
        .dev(br)
        .driver
        .bridge()
        .and_then(|b| b.ports.iter().find(|p| p.dev == port))
        .map(|p| p.state);
    if state != Some(PortState::Forwarding) {
        return RxHandlerResult::Consumed;
    }
    k.br_fdb_update(br, port, src.0);
    if dst.is_multicast() {
        k.br_flood(br, Some(port), frame);
        k.br_pass_frame_up(br, frame);
        return RxHandlerResult::Consumed;
    }
    match k.br_fdb_find(br, dst.0) {
        Some(FdbEntry { is_local: true, .. }) => k.br_pass_frame_up(br, frame),
        Some(FdbEntry { port: Some(to), .. }) if to != port => {
            k.dev_queue_xmit(to, frame);
        }
        Some(_) => {}
        None => k.br_flood(br, Some(port), frame),
    }
    RxHandlerResult::Consumed
}
