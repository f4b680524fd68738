//! `Hash` for the state structs whose fields are not all hashed as they
//! are: a field left out, or one whose value is only a name or an order.
//!
//! Every other state struct derives `Hash`. Each impl here destructures
//! its struct without `..`, so a field added later does not compile until
//! it is hashed here or left out with a reason: nothing is left out
//! silently (and `tests/fingerprint/fields.rs` mutates every saved field to check
//! that it counts). What is left out or hashed as something else, and why:
//! - `Net::names`, `Net::altnames`: indexes rebuilt from the devices at
//!   load (`rebuild_after_load`), equal whenever the devices are;
//!   `Net::inum`: the namespace's name, hashed as its rank through
//!   `Net::id` (`canon.rs`), as `NetDevice::id` is its device's key.
//! - `NetDevice::list_seq`: hashed as the device's rank in its namespace's
//!   list; `DevTables::next_list_seq`, `DevTables::next_ns_inum`,
//!   `WorkQueue::next_seq`, `BridgePriv::timer_seq`: counters that only
//!   hand out fresh names or orders (the next one is larger, whatever its
//!   value).
//! - `WorkItem::seq`: the queue keeps items in seq order, and that order
//!   is hashed; `BridgePort::fwd_delay_seq`: hashed as its rank among the
//!   bridge's armed timers (the order timers due together fire in), and
//!   not at all for a port whose timer is not armed.
//! - `Deferred::linkwatch_nextevent` at or before `now`: every such value
//!   behaves as `now` (`linkwatch_schedule_work` and
//!   `__linkwatch_run_queue` compare it with `now` and take the later).

use super::hasher::hash_unordered;
use crate::drivers::bridge::{BridgePort, BridgePriv};
use crate::kernel::parts::{Deferred, HwWorld};
use crate::net::Net;
use crate::netdev::NetDevice;
use crate::workqueue::{WorkItem, WorkQueue};
use std::hash::{Hash, Hasher};

impl Hash for Net {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let Net {
            id,
            inum: _,
            names: _,
            altnames: _,
            by_index,
            ifindex_cursor,
            peer_ids,
            dying,
            mounts,
        } = self;
        id.hash(h);
        by_index.hash(h);
        ifindex_cursor.hash(h);
        // Keyed by namespace id: slot order is not canonical.
        hash_unordered(peer_ids.iter(), h);
        dying.hash(h);
        mounts.hash(h);
    }
}

impl Hash for NetDevice {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let NetDevice {
            id,
            name,
            altnames,
            ifindex,
            net,
            dev_type,
            dev_addr,
            perm_addr,
            broadcast,
            mtu,
            min_mtu,
            max_mtu,
            flags,
            gflags,
            priv_flags,
            carrier,
            dormant,
            operstate,
            link_mode,
            qdisc,
            tx_queue_len,
            group,
            ifalias,
            name_assign_type,
            addr_assign_type,
            reg_state,
            netns_immutable,
            parent,
            driver,
            master,
            lowers,
            rx_handler,
            refs,
            carrier_up_count,
            carrier_down_count,
            promiscuity,
            allmulti,
            list_seq: _,
            linkwatch_pending,
            moving_ns,
            addr_lists,
            inet,
            stats,
            qdisc_drops,
            delivered_packets,
            limits,
        } = self;
        // Small fields two or more to a word: a device is most of a
        // fingerprint, and each write costs about as much as a word.
        let pair = |hi: u32, lo: u32| (u64::from(hi) << 32) | u64::from(lo);
        let bits = u64::from(*carrier)
            | (u64::from(*dormant) << 1)
            | (u64::from(*netns_immutable) << 2)
            | (u64::from(*linkwatch_pending) << 3)
            | (u64::from(*moving_ns) << 4)
            | ((*operstate as u64) << 8)
            | (u64::from(*link_mode) << 16)
            | ((*qdisc as u64) << 24)
            | ((*name_assign_type as u64) << 32)
            | ((*addr_assign_type as u64) << 40)
            | ((*reg_state as u64) << 48);
        (id, name, altnames, net).hash(h);
        h.write_u64(pair(*ifindex, u32::from(*dev_type)));
        (dev_addr, perm_addr, broadcast).hash(h);
        h.write_u64(pair(*mtu, *min_mtu));
        h.write_u64(pair(*max_mtu, *flags));
        h.write_u64(pair(*gflags, 0));
        h.write_u64(*priv_flags);
        limits.hash(h);
        h.write_u64(bits);
        h.write_u64(pair(*tx_queue_len, *group));
        ifalias.hash(h);
        (parent, driver, master, lowers, rx_handler, refs).hash(h);
        h.write_u64(pair(*carrier_up_count, *carrier_down_count));
        h.write_u64(pair(*promiscuity, *allmulti));
        super::canon::list_rank(*id).hash(h);
        (addr_lists, inet, stats, qdisc_drops, delivered_packets).hash(h);
    }
}

impl Hash for BridgePriv {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let BridgePriv {
            ports,
            bridge_id_addr,
            mtu_set_by_user,
            fdb,
            ageing_time,
            gc_armed,
            features_computed,
            timer_seq: _,
        } = self;
        // The armed timers' sequence numbers, to rank each among them.
        let mut armed: Vec<u64> = ports
            .iter()
            .filter(|p| p.fwd_delay_due.is_some())
            .map(|p| p.fwd_delay_seq)
            .collect();
        armed.sort_unstable();
        h.write_usize(ports.len());
        for port in ports {
            let BridgePort {
                dev,
                port_no,
                state,
                fwd_delay_due,
                fwd_delay_seq,
            } = port;
            (dev, port_no, state, fwd_delay_due).hash(h);
            if fwd_delay_due.is_some() {
                h.write_usize(armed.partition_point(|s| s < fwd_delay_seq));
            }
        }
        (bridge_id_addr, mtu_set_by_user, fdb, ageing_time).hash(h);
        (gc_armed, features_computed).hash(h);
    }
}

impl Hash for WorkItem {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let WorkItem { due, seq: _, work } = self;
        (due, work).hash(h);
    }
}

impl Hash for WorkQueue {
    fn hash<H: Hasher>(&self, h: &mut H) {
        // `index` is derived from `items`.
        let WorkQueue {
            items,
            next_seq: _,
            index: _,
        } = self;
        // In queueing (= seq) order: the order ties are broken in.
        h.write_usize(items.len());
        for i in items.values() {
            i.hash(h);
        }
    }
}

impl Hash for Deferred {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let Deferred {
            workqueue,
            linkwatch_list,
            linkwatch_nextevent,
        } = self;
        (workqueue, linkwatch_list).hash(h);
        match super::canon::now() {
            Some(now) => linkwatch_nextevent.as_nanos().saturating_sub(now).hash(h),
            None => linkwatch_nextevent.hash(h),
        }
    }
}

impl Hash for HwWorld {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let HwWorld {
            hw,
            segments,
            veth_faults,
            delayed_frames,
            possible_cpus,
        } = self;
        (hw, segments, possible_cpus).hash(h);
        // Keyed by device id: slot order is not canonical.
        hash_unordered(veth_faults.iter(), h);
        delayed_frames.hash(h);
    }
}
