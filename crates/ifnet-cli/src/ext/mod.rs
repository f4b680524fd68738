//! ifnet's own commands, for what `ip` cannot express: the hardware bus
//! (`hw`: hot-plug, segments), faults on wires (`faults`), traffic
//! (`pktgen`, after net/core/pktgen.c) and captures (`capture`, as
//! tcpdump -w writes them), the kernel log (`dmesg`), driver statistics
//! (`ethtool -S`), the virtual clock (`sleep`), the seed-004 walk-through
//! (`demo`), and the explorer (`explore`, crates/ifnet-sim).

pub mod bond;
pub mod capture;
pub mod demo;
pub mod dmesg;
pub mod ethtool;
pub mod explore;
pub mod faults;
pub mod hw;
pub mod hw_ipoib;
pub mod pktgen;
pub mod sleep;
