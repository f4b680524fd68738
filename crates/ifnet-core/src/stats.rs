//! Per-device counters (`struct rtnl_link_stats64`), counted where Linux
//! counts them: drivers count what they send and receive, the core counts
//! what it drops before a driver sees it (`dev_core_stats_*_inc`).

use serde::{Deserialize, Serialize};

/// The state file leaves zero counters out (most of them are zero on most
/// devices, and the file is written after every invocation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DevStats {
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub rx_packets: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub tx_packets: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub rx_bytes: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub tx_bytes: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub rx_errors: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub tx_errors: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub rx_dropped: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub tx_dropped: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub multicast: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub collisions: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub rx_crc_errors: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub rx_nohandler: u64,
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

impl DevStats {
    pub fn is_zero(&self) -> bool {
        *self == DevStats::default()
    }

    pub fn count_tx(&mut self, len: usize) {
        self.tx_packets += 1;
        self.tx_bytes += len as u64;
    }

    pub fn count_rx(&mut self, len: usize) {
        self.rx_packets += 1;
        self.rx_bytes += len as u64;
    }

    /// `net_failover_fold_stats()`: add what `new` counted since `old`.
    pub fn fold(&mut self, new: &DevStats, old: &DevStats) {
        let d = |n: u64, o: u64| n.wrapping_sub(o);
        self.rx_packets += d(new.rx_packets, old.rx_packets);
        self.tx_packets += d(new.tx_packets, old.tx_packets);
        self.rx_bytes += d(new.rx_bytes, old.rx_bytes);
        self.tx_bytes += d(new.tx_bytes, old.tx_bytes);
        self.rx_errors += d(new.rx_errors, old.rx_errors);
        self.tx_errors += d(new.tx_errors, old.tx_errors);
        self.rx_dropped += d(new.rx_dropped, old.rx_dropped);
        self.tx_dropped += d(new.tx_dropped, old.tx_dropped);
        self.multicast += d(new.multicast, old.multicast);
        self.collisions += d(new.collisions, old.collisions);
        self.rx_crc_errors += d(new.rx_crc_errors, old.rx_crc_errors);
        self.rx_nohandler += d(new.rx_nohandler, old.rx_nohandler);
    }

    /// The sum of two sets of counters.
    pub fn plus(&self, o: &DevStats) -> DevStats {
        let mut s = *self;
        s.fold(o, &DevStats::default());
        s
    }

    /// The netlink form.
    pub fn to_stats64(&self) -> netlink_packet_route::link::Stats64 {
        let mut s = netlink_packet_route::link::Stats64::default();
        s.rx_packets = self.rx_packets;
        s.tx_packets = self.tx_packets;
        s.rx_bytes = self.rx_bytes;
        s.tx_bytes = self.tx_bytes;
        s.rx_errors = self.rx_errors;
        s.tx_errors = self.tx_errors;
        s.rx_dropped = self.rx_dropped;
        s.tx_dropped = self.tx_dropped;
        s.multicast = self.multicast;
        s.collisions = self.collisions;
        s.rx_crc_errors = self.rx_crc_errors;
        s.rx_nohandler = self.rx_nohandler;
        s
    }
}
