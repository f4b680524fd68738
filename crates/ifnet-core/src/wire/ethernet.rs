//! Ethernet II framing (IEEE 802.3 clause 3 / `struct ethhdr` in
//! uapi/linux/if_ether.h): 6-byte destination, 6-byte source, 2-byte
//! EtherType, then the payload. Linux loopback uses the same framing
//! (`loopback_setup` installs `eth_header_ops`).

use super::{PacketType, Result};
use core::fmt;

/// ETH_ALEN.
pub const ADDR_LEN: usize = 6;
/// ETH_HLEN.
pub const HEADER_LEN: usize = 14;

mod field {
    use core::ops::{Range, RangeFrom};
    pub const DESTINATION: Range<usize> = 0..6;
    pub const SOURCE: Range<usize> = 6..12;
    pub const ETHERTYPE: Range<usize> = 12..14;
    pub const PAYLOAD: RangeFrom<usize> = 14..;
}

/// A 48-bit Ethernet (EUI-48) address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct EthernetAddress(pub [u8; 6]);

impl EthernetAddress {
    /// ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: EthernetAddress = EthernetAddress([0xff; 6]);

    /// The address in `data`, which must be exactly 6 bytes long.
    pub fn from_bytes(data: &[u8]) -> Option<EthernetAddress> {
        data.try_into().ok().map(EthernetAddress)
    }

    pub const fn as_bytes(&self) -> &[u8; 6] {
        &self.0
    }

    /// `is_multicast_ether_addr`: the I/G bit (bit 0 of octet 0) is set.
    /// Broadcast is multicast.
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// `is_unicast_ether_addr`: not multicast (all-zero counts as unicast).
    pub const fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }

    /// `is_broadcast_ether_addr`.
    pub const fn is_broadcast(&self) -> bool {
        let a = self.0;
        a[0] & a[1] & a[2] & a[3] & a[4] & a[5] == 0xff
    }

    /// `is_local_ether_addr`: the U/L bit (bit 1 of octet 0) is set —
    /// a locally administered address such as `eth_random_addr` makes.
    pub const fn is_local(&self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// `is_zero_ether_addr`.
    pub const fn is_zero(&self) -> bool {
        let a = self.0;
        a[0] | a[1] | a[2] | a[3] | a[4] | a[5] == 0
    }

    /// `is_valid_ether_addr`: neither multicast nor all-zero.
    pub const fn is_valid(&self) -> bool {
        !self.is_multicast() && !self.is_zero()
    }

    /// `is_link_local_ether_addr`: 01:80:c2:00:00:0X, the IEEE 802.1D
    /// reserved group addresses a bridge never forwards by default.
    pub const fn is_link_local(&self) -> bool {
        let a = self.0;
        a[0] == 0x01 && a[1] == 0x80 && a[2] == 0xc2 && a[3] == 0 && a[4] == 0 && a[5] & 0xf0 == 0
    }
}

impl fmt::Display for EthernetAddress {
    /// `%pM`, as `ip link` prints it: lower-case, colon-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            a[0], a[1], a[2], a[3], a[4], a[5]
        )
    }
}

/// The EtherType field (`ETH_P_*`, uapi/linux/if_ether.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EthernetProtocol {
    /// ETH_P_IP 0x0800.
    Ipv4,
    /// ETH_P_ARP 0x0806.
    Arp,
    /// ETH_P_RARP 0x8035.
    Rarp,
    /// ETH_P_8021Q 0x8100 (C-tag).
    VlanC,
    /// ETH_P_IPV6 0x86DD.
    Ipv6,
    /// ETH_P_SLOW 0x8809 (LACP, marker).
    Slow,
    /// ETH_P_8021AD 0x88A8 (S-tag).
    VlanS,
    /// ETH_P_TIPC 0x88CA.
    Tipc,
    /// ETH_P_LLDP 0x88CC.
    Lldp,
    /// Anything else, including 802.3 length values (< 0x0600).
    Unknown(u16),
}

impl EthernetProtocol {
    /// `!eth_proto_is_802_3`: a value below ETH_P_802_3_MIN (0x0600) is an
    /// 802.3 length, not an EtherType; `eth_type_trans` then reports
    /// ETH_P_802_3 or ETH_P_802_2 as the protocol.
    pub fn is_length(self) -> bool {
        u16::from(self) < 0x0600
    }
}

impl From<u16> for EthernetProtocol {
    fn from(v: u16) -> Self {
        match v {
            0x0800 => EthernetProtocol::Ipv4,
            0x0806 => EthernetProtocol::Arp,
            0x8035 => EthernetProtocol::Rarp,
            0x8100 => EthernetProtocol::VlanC,
            0x86DD => EthernetProtocol::Ipv6,
            0x8809 => EthernetProtocol::Slow,
            0x88A8 => EthernetProtocol::VlanS,
            0x88CA => EthernetProtocol::Tipc,
            0x88CC => EthernetProtocol::Lldp,
            v => EthernetProtocol::Unknown(v),
        }
    }
}

impl From<EthernetProtocol> for u16 {
    fn from(p: EthernetProtocol) -> u16 {
        match p {
            EthernetProtocol::Ipv4 => 0x0800,
            EthernetProtocol::Arp => 0x0806,
            EthernetProtocol::Rarp => 0x8035,
            EthernetProtocol::VlanC => 0x8100,
            EthernetProtocol::Ipv6 => 0x86DD,
            EthernetProtocol::Slow => 0x8809,
            EthernetProtocol::VlanS => 0x88A8,
            EthernetProtocol::Tipc => 0x88CA,
            EthernetProtocol::Lldp => 0x88CC,
            EthernetProtocol::Unknown(v) => v,
        }
    }
}

impl fmt::Display for EthernetProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EthernetProtocol::Unknown(v) => write!(f, "0x{v:04x}"),
            p => write!(f, "{p:?}"),
        }
    }
}

frame_view! {
    /// A read/write view of an Ethernet II frame.
    EthernetFrame,
    min_len: HEADER_LEN,
    "ETH_HLEN"
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Header length (always ETH_HLEN; untagged view).
    pub const fn header_len() -> usize {
        HEADER_LEN
    }

    pub fn dst_addr(&self) -> EthernetAddress {
        let mut a = [0; 6];
        a.copy_from_slice(&self.buffer.as_ref()[field::DESTINATION]);
        EthernetAddress(a)
    }

    pub fn src_addr(&self) -> EthernetAddress {
        let mut a = [0; 6];
        a.copy_from_slice(&self.buffer.as_ref()[field::SOURCE]);
        EthernetAddress(a)
    }

    pub fn ethertype(&self) -> EthernetProtocol {
        let b = &self.buffer.as_ref()[field::ETHERTYPE];
        EthernetProtocol::from(u16::from_be_bytes([b[0], b[1]]))
    }
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// The bytes after the header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD]
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> EthernetFrame<&'a T> {
    /// The bytes after the header, borrowed for the buffer's lifetime.
    pub fn into_payload(self) -> &'a [u8] {
        &self.buffer.as_ref()[field::PAYLOAD]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    pub fn set_dst_addr(&mut self, addr: EthernetAddress) {
        self.buffer.as_mut()[field::DESTINATION].copy_from_slice(&addr.0);
    }

    pub fn set_src_addr(&mut self, addr: EthernetAddress) {
        self.buffer.as_mut()[field::SOURCE].copy_from_slice(&addr.0);
    }

    pub fn set_ethertype(&mut self, p: EthernetProtocol) {
        self.buffer.as_mut()[field::ETHERTYPE].copy_from_slice(&u16::from(p).to_be_bytes());
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for EthernetFrame<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// The header fields of an Ethernet II frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthernetRepr {
    pub src_addr: EthernetAddress,
    pub dst_addr: EthernetAddress,
    pub ethertype: EthernetProtocol,
}

impl EthernetRepr {
    /// Reads the header of a checked frame.
    pub fn parse<T: AsRef<[u8]>>(frame: &EthernetFrame<T>) -> Result<EthernetRepr> {
        frame.check_len()?;
        Ok(EthernetRepr {
            src_addr: frame.src_addr(),
            dst_addr: frame.dst_addr(),
            ethertype: frame.ethertype(),
        })
    }

    /// Bytes the header occupies.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header (as `eth_header` does); the payload is untouched.
    /// Panics if the frame is shorter than ETH_HLEN (check it first).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut EthernetFrame<T>) {
        frame.set_dst_addr(self.dst_addr);
        frame.set_src_addr(self.src_addr);
        frame.set_ethertype(self.ethertype);
    }
}

/// `eth_skb_pkt_type` (called from `eth_type_trans`): how a received frame
/// addressed to `dst` is classified on a device with `dev_addr` and
/// `dev_broadcast`.
pub fn eth_pkt_type(
    dst: EthernetAddress,
    dev_addr: EthernetAddress,
    dev_broadcast: EthernetAddress,
) -> PacketType {
    if dst == dev_addr {
        PacketType::Host
    } else if dst.is_multicast() {
        if dst == dev_broadcast {
            PacketType::Broadcast
        } else {
            PacketType::Multicast
        }
    } else {
        PacketType::OtherHost
    }
}

#[cfg(test)]
mod tests;
