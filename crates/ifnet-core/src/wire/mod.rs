//! Link-layer wire formats: checked views over byte buffers and `Repr`
//! types that parse and emit them (smoltcp's `wire` style).
//!
//! Every view is generic over `T: AsRef<[u8]>` (read) and `T: AsMut<[u8]>`
//! (write); nothing here allocates, so the datapath can parse and emit in
//! place. A view's `new_checked` returns [`Error::Truncated`] when the
//! buffer is shorter than the header; a `Repr::parse` returns
//! [`Error::Malformed`] when the bytes are long enough but not acceptable.
//!
//! | module       | link type (`dev->type`)        | header the skb carries            |
//! |--------------|--------------------------------|-----------------------------------|
//! | [`ethernet`] | ARPHRD_ETHER, ARPHRD_LOOPBACK  | 14-byte Ethernet II (ETH_HLEN)    |
//! | [`ipoib`]    | ARPHRD_INFINIBAND              | 20-byte pseudo header + 4 bytes   |
//! | [`raw`]      | ARPHRD_NONE (tun, IFF_TUN)     | none: the IP header comes first   |
//! | [`sll`]      | pcap only: LINKTYPE_LINUX_SLL  | 16-byte Linux cooked header       |
//!
//! [`mcast`] carries the per-type multicast link-layer mapping
//! (`arp_mc_map` / `ndisc_mc_map`); [`ipv6`] the IPv6 header and the
//! neighbour-discovery messages DAD sends above any of them.

/// Declares a view over a byte buffer, `$name<T: AsRef<[u8]>>`, with the
/// four methods every view has: `new_unchecked`, `new_checked` and
/// `check_len` (both [`Error::Truncated`] below `$min_len` bytes, named
/// `$min_name` in the docs) and `into_inner`. The format's own accessors go
/// in the file's `impl` blocks.
macro_rules! frame_view {
    ($(#[$doc:meta])* $name:ident, min_len: $min_len:expr, $min_name:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<T: AsRef<[u8]>> {
            buffer: T,
        }

        impl<T: AsRef<[u8]>> $name<T> {
            /// Wraps `buffer` without checking its length; accessors may panic.
            pub const fn new_unchecked(buffer: T) -> $name<T> {
                $name { buffer }
            }

            /// Wraps `buffer`, checking its length as `check_len` does.
            pub fn new_checked(buffer: T) -> $crate::wire::Result<$name<T>> {
                let view = Self::new_unchecked(buffer);
                view.check_len()?;
                Ok(view)
            }

            #[doc = concat!("`Err(Truncated)` below ", $min_name, ".")]
            pub fn check_len(&self) -> $crate::wire::Result<()> {
                if self.buffer.as_ref().len() < $min_len {
                    Err($crate::wire::Error::Truncated)
                } else {
                    Ok(())
                }
            }

            /// The buffer the view wraps.
            pub fn into_inner(self) -> T {
                self.buffer
            }
        }
    };
}

pub mod ethernet;
pub mod flow;
pub mod ipoib;
pub mod ipv6;
pub mod mcast;
pub mod raw;
pub mod sll;

pub use ethernet::{eth_pkt_type, EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr};
pub use ipoib::{
    ipoib_rx_pkt_type, InfinibandAddress, IpoibFrame, IpoibHardFrame, IpoibHardRepr, IpoibRepr,
};
pub use mcast::{
    arp_mc_map, ip_eth_mc_map, ip_ib_mc_map, ipv6_eth_mc_map, ipv6_ib_mc_map, ndisc_mc_map,
};
pub use raw::{IpVersion, RawFrame, RawRepr};
pub use sll::{SllFrame, SllRepr};

use crate::consts::{ARPHRD_ETHER, ARPHRD_INFINIBAND, ARPHRD_LOOPBACK, ARPHRD_NONE};

/// Why a buffer could not be viewed or parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Error {
    /// The buffer is shorter than the header (or than a length it declares).
    #[error("truncated link-layer header")]
    Truncated,
    /// The header is complete but carries a value the format does not allow.
    #[error("malformed link-layer header")]
    Malformed,
}

/// `Result` with this module's [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

/// pcap `LINKTYPE_*` values (tcpdump.org link-layer header types; libpcap's
/// `pcap-common.c`). These are the numbers a capture file's header carries.
pub mod linktype {
    /// LINKTYPE_ETHERNET (DLT_EN10MB): Ethernet II / 802.3 frames.
    pub const ETHERNET: u32 = 1;
    /// LINKTYPE_RAW: raw IPv4 or IPv6, no link header (version nibble decides).
    pub const RAW: u32 = 101;
    /// LINKTYPE_LINUX_SLL: 16-byte Linux "cooked" header, then the payload.
    pub const LINUX_SLL: u32 = 113;
    /// LINKTYPE_IPV4: raw IPv4 only.
    pub const IPV4: u32 = 228;
    /// LINKTYPE_IPV6: raw IPv6 only.
    pub const IPV6: u32 = 229;
    /// LINKTYPE_IPOIB: registered as "RFC 4391 IP-over-InfiniBand", but both
    /// tcpdump (print-ipoib.c, IPOIB_HDRLEN 44) and Wireshark (packet-ipoib.c,
    /// WTAP_ENCAP_IP_OVER_IB_PCAP) decode it as a 40-byte GRH-or-address
    /// prefix plus the 4-byte header — a Solaris layout Linux never produces.
    /// ifnet does not write it; see [`super::LinkType::pcap_linktype`].
    pub const IPOIB: u32 = 242;
}

/// The link types ifnet models, by `dev->type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkType {
    /// ARPHRD_ETHER (1): Ethernet II framing (`ether_setup`).
    Ether,
    /// ARPHRD_LOOPBACK (772): `loopback_setup` uses `eth_header_ops`, so the
    /// frames are Ethernet II with zero addresses.
    Loopback,
    /// ARPHRD_NONE (0xFFFE): no link header (tun in IFF_TUN mode).
    None,
    /// ARPHRD_INFINIBAND (32): IPoIB (`ipoib_setup_common`).
    Infiniband,
}

impl LinkType {
    /// The ARPHRD_* value (`dev->type`, `ip -d link` `link/...`).
    pub const fn arphrd(self) -> u16 {
        match self {
            LinkType::Ether => ARPHRD_ETHER,
            LinkType::Loopback => ARPHRD_LOOPBACK,
            LinkType::None => ARPHRD_NONE,
            LinkType::Infiniband => ARPHRD_INFINIBAND,
        }
    }

    /// The link type for an ARPHRD_* value, if ifnet models it.
    pub const fn from_arphrd(arphrd: u16) -> Option<LinkType> {
        match arphrd {
            ARPHRD_ETHER => Some(LinkType::Ether),
            ARPHRD_LOOPBACK => Some(LinkType::Loopback),
            ARPHRD_NONE => Some(LinkType::None),
            ARPHRD_INFINIBAND => Some(LinkType::Infiniband),
            _ => Option::None,
        }
    }

    /// `dev->hard_header_len`: the link header the skb carries at
    /// `dev_queue_xmit` (ETH_HLEN 14; IPOIB_HARD_LEN 24; 0 for tun).
    pub const fn hard_header_len(self) -> usize {
        match self {
            LinkType::Ether | LinkType::Loopback => ethernet::HEADER_LEN,
            LinkType::None => 0,
            LinkType::Infiniband => ipoib::HARD_HEADER_LEN,
        }
    }

    /// `dev->addr_len` (ETH_ALEN 6, INFINIBAND_ALEN 20, 0 for tun).
    pub const fn addr_len(self) -> usize {
        match self {
            LinkType::Ether | LinkType::Loopback => ethernet::ADDR_LEN,
            LinkType::None => 0,
            LinkType::Infiniband => ipoib::ADDR_LEN,
        }
    }

    /// The pcap LINKTYPE an ifnet capture on this device is written with:
    /// the one `tcpdump -i DEV -w FILE` writes on Linux, so the two files
    /// compare byte for byte past the file header.
    ///
    /// - Ether and Loopback → ETHERNET (1): libpcap's `map_arphrd_to_dlt`
    ///   maps both ARPHRD_ETHER and ARPHRD_LOOPBACK to DLT_EN10MB.
    /// - None → RAW (101): `map_arphrd_to_dlt` maps ARPHRD_NONE to DLT_RAW.
    /// - Infiniband → LINUX_SLL (113). `map_arphrd_to_dlt` has no case for
    ///   ARPHRD_INFINIBAND, so libpcap warns "arptype 32 not supported by
    ///   libpcap - falling back to cooked socket" and captures with a
    ///   SOCK_DGRAM socket as DLT_LINUX_SLL: the kernel strips the 24-byte
    ///   hard header and libpcap prepends a cooked header (hatype 32,
    ///   halen 0 because `ipoib_header_ops` has no `parse`, protocol =
    ///   skb->protocol). tshark decodes that as SLL → IP/ARP/IPv6. The
    ///   alternative, LINKTYPE_IPOIB (242), is decoded by tshark and tcpdump
    ///   only with a 40-byte GRH/address prefix that Linux never produces,
    ///   so ifnet would have to invent bytes no real capture contains.
    pub const fn pcap_linktype(self) -> u32 {
        match self {
            LinkType::Ether | LinkType::Loopback => linktype::ETHERNET,
            LinkType::None => linktype::RAW,
            LinkType::Infiniband => linktype::LINUX_SLL,
        }
    }
}

/// `skb->pkt_type` (PACKET_* in uapi/linux/if_packet.h), as packet sockets
/// report it in `sll_pkttype` and the SLL capture header carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// PACKET_HOST (0): to us.
    Host,
    /// PACKET_BROADCAST (1): to all.
    Broadcast,
    /// PACKET_MULTICAST (2): to a group.
    Multicast,
    /// PACKET_OTHERHOST (3): to someone else (promiscuous).
    OtherHost,
    /// PACKET_OUTGOING (4): sent by us (seen by taps on transmit).
    Outgoing,
    /// PACKET_LOOPBACK (5): multicast looped back.
    Loopback,
    /// Any other value.
    Unknown(u16),
}

impl From<u16> for PacketType {
    fn from(v: u16) -> Self {
        match v {
            0 => PacketType::Host,
            1 => PacketType::Broadcast,
            2 => PacketType::Multicast,
            3 => PacketType::OtherHost,
            4 => PacketType::Outgoing,
            5 => PacketType::Loopback,
            v => PacketType::Unknown(v),
        }
    }
}

impl From<PacketType> for u16 {
    fn from(t: PacketType) -> u16 {
        match t {
            PacketType::Host => 0,
            PacketType::Broadcast => 1,
            PacketType::Multicast => 2,
            PacketType::OtherHost => 3,
            PacketType::Outgoing => 4,
            PacketType::Loopback => 5,
            PacketType::Unknown(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libpcap pcap-linux.c `map_arphrd_to_dlt`: ETHER and LOOPBACK → EN10MB,
    /// NONE → RAW; INFINIBAND unmapped → cooked fallback (LINUX_SLL).
    #[test]
    fn map_arphrd_to_dlt_choices() {
        assert_eq!(LinkType::Ether.pcap_linktype(), 1);
        assert_eq!(LinkType::Loopback.pcap_linktype(), 1);
        assert_eq!(LinkType::None.pcap_linktype(), 101);
        assert_eq!(LinkType::Infiniband.pcap_linktype(), 113);
    }

    /// ether_setup / loopback_setup / ipoib_setup_common: type, addr_len and
    /// hard_header_len of each device type.
    #[test]
    fn setup_values_per_type() {
        for (lt, arphrd, alen, hlen) in [
            (LinkType::Ether, 1u16, 6usize, 14usize),
            (LinkType::Loopback, 772, 6, 14),
            (LinkType::None, 0xfffe, 0, 0),
            (LinkType::Infiniband, 32, 20, 24),
        ] {
            assert_eq!(lt.arphrd(), arphrd);
            assert_eq!(LinkType::from_arphrd(arphrd), Some(lt));
            assert_eq!(lt.addr_len(), alen);
            assert_eq!(lt.hard_header_len(), hlen);
        }
        assert_eq!(LinkType::from_arphrd(776), None); // ARPHRD_SIT: not modelled
    }

    /// uapi/linux/if_packet.h PACKET_* values round-trip, unknown preserved.
    #[test]
    fn packet_type_values() {
        for v in 0u16..10 {
            assert_eq!(u16::from(PacketType::from(v)), v);
        }
        assert_eq!(PacketType::from(4), PacketType::Outgoing);
    }
}
