//! The Linux "cooked" capture header, LINKTYPE_LINUX_SLL (113): 16 bytes
//! that libpcap builds from a SOCK_DGRAM packet socket's `sockaddr_ll`
//! (pcap/sll.h `struct sll_header`; pcap-linux.c fills it), followed by the
//! packet with its link-layer header removed.
//!
//! | offset | size | field                                              |
//! |--------|------|----------------------------------------------------|
//! | 0      | 2    | packet type (PACKET_*: 0 host … 4 outgoing)        |
//! | 2      | 2    | ARPHRD_* type of the device                        |
//! | 4      | 2    | link-layer address length (`sll_halen`)            |
//! | 6      | 8    | first 8 bytes of the link-layer address            |
//! | 14     | 2    | protocol (`skb->protocol`, an EtherType)           |
//!
//! All multi-byte fields are big-endian. ifnet writes this header for
//! IPoIB captures because that is what libpcap on Linux writes (see
//! [`super::LinkType::pcap_linktype`]).

use super::{EthernetProtocol, PacketType, Result};
use crate::consts::ARPHRD_INFINIBAND;

/// SLL_HDR_LEN.
pub const HEADER_LEN: usize = 16;
/// SLL_ADDRLEN: bytes of address the header has room for.
pub const ADDR_LEN: usize = 8;

mod field {
    use core::ops::Range;
    pub const PKTTYPE: Range<usize> = 0..2;
    pub const HATYPE: Range<usize> = 2..4;
    pub const HALEN: Range<usize> = 4..6;
    pub const ADDR: Range<usize> = 6..14;
    pub const PROTOCOL: Range<usize> = 14..16;
}

frame_view! {
    /// A view of a cooked-capture record: header then payload.
    SllFrame,
    min_len: HEADER_LEN,
    "SLL_HDR_LEN"
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

impl<T: AsRef<[u8]>> SllFrame<T> {
    pub fn packet_type(&self) -> PacketType {
        PacketType::from(be16(&self.buffer.as_ref()[field::PKTTYPE]))
    }

    pub fn hatype(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::HATYPE])
    }

    pub fn halen(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::HALEN])
    }

    pub fn addr(&self) -> [u8; ADDR_LEN] {
        let mut a = [0; ADDR_LEN];
        a.copy_from_slice(&self.buffer.as_ref()[field::ADDR]);
        a
    }

    pub fn protocol(&self) -> EthernetProtocol {
        EthernetProtocol::from(be16(&self.buffer.as_ref()[field::PROTOCOL]))
    }

    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> SllFrame<T> {
    pub fn set_packet_type(&mut self, t: PacketType) {
        self.buffer.as_mut()[field::PKTTYPE].copy_from_slice(&u16::from(t).to_be_bytes());
    }

    pub fn set_hatype(&mut self, v: u16) {
        self.buffer.as_mut()[field::HATYPE].copy_from_slice(&v.to_be_bytes());
    }

    pub fn set_halen(&mut self, v: u16) {
        self.buffer.as_mut()[field::HALEN].copy_from_slice(&v.to_be_bytes());
    }

    pub fn set_addr(&mut self, a: &[u8; ADDR_LEN]) {
        self.buffer.as_mut()[field::ADDR].copy_from_slice(a);
    }

    pub fn set_protocol(&mut self, p: EthernetProtocol) {
        self.buffer.as_mut()[field::PROTOCOL].copy_from_slice(&u16::from(p).to_be_bytes());
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
}

/// The fields of a cooked header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SllRepr {
    pub packet_type: PacketType,
    /// ARPHRD_* of the capturing device.
    pub hatype: u16,
    /// The address length the kernel reported (may exceed 8).
    pub halen: u16,
    /// The first 8 bytes of the address, zero-padded.
    pub addr: [u8; ADDR_LEN],
    pub protocol: EthernetProtocol,
}

impl SllRepr {
    /// A header for a device of type `hatype` whose `header_ops->parse`
    /// reported `ll_addr` (empty if the device has no `parse`): `halen` is
    /// the full length, `addr` keeps the first 8 bytes (libpcap copies
    /// SLL_ADDRLEN bytes).
    pub fn new(
        packet_type: PacketType,
        hatype: u16,
        ll_addr: &[u8],
        protocol: EthernetProtocol,
    ) -> SllRepr {
        let mut addr = [0; ADDR_LEN];
        let n = ll_addr.len().min(ADDR_LEN);
        addr[..n].copy_from_slice(&ll_addr[..n]);
        SllRepr {
            packet_type,
            hatype,
            halen: ll_addr.len() as u16,
            addr,
            protocol,
        }
    }

    /// What libpcap records for a packet on an IPoIB device: hatype
    /// ARPHRD_INFINIBAND, halen 0 (`ipoib_header_ops` has only `create`, so
    /// `dev_parse_header` returns 0), protocol = skb->protocol.
    pub fn ipoib(packet_type: PacketType, protocol: EthernetProtocol) -> SllRepr {
        SllRepr::new(packet_type, ARPHRD_INFINIBAND, &[], protocol)
    }

    pub fn parse<T: AsRef<[u8]>>(frame: &SllFrame<T>) -> Result<SllRepr> {
        frame.check_len()?;
        Ok(SllRepr {
            packet_type: frame.packet_type(),
            hatype: frame.hatype(),
            halen: frame.halen(),
            addr: frame.addr(),
            protocol: frame.protocol(),
        })
    }

    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut SllFrame<T>) {
        frame.set_packet_type(self.packet_type);
        frame.set_hatype(self.hatype);
        frame.set_halen(self.halen);
        frame.set_addr(&self.addr);
        frame.set_protocol(self.protocol);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Error;

    /// pcap/sll.h struct sll_header, as pcap-linux.c fills it for an
    /// outgoing IPv4 packet on ib0: pkttype 4 (PACKET_OUTGOING), hatype 32,
    /// halen 0, zero address, protocol 0x0800.
    #[test]
    fn sll_header_ipoib_golden() {
        let golden: [u8; 16] = [
            0x00, 0x04, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00,
        ];
        let r = SllRepr::ipoib(PacketType::Outgoing, EthernetProtocol::Ipv4);
        let mut out = [0xffu8; 16];
        r.emit(&mut SllFrame::new_checked(&mut out[..]).unwrap());
        assert_eq!(out, golden);
        let f = SllFrame::new_checked(&golden[..]).unwrap();
        assert_eq!(SllRepr::parse(&f).unwrap(), r);
        assert!(f.payload().is_empty());
    }

    /// packet_rcv: sll_halen = dev_parse_header(); for Ethernet
    /// (eth_header_parse) that is the 6-byte source address.
    #[test]
    fn sll_header_ethernet_source() {
        let src = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
        let r = SllRepr::new(PacketType::Broadcast, 1, &src, EthernetProtocol::Arp);
        let mut out = [0u8; 16];
        r.emit(&mut SllFrame::new_unchecked(&mut out[..]));
        assert_eq!(
            out,
            [0, 1, 0, 1, 0, 6, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0, 0x08, 0x06]
        );
    }

    /// SLL_ADDRLEN: a 20-byte address keeps halen 20 and its first 8 bytes.
    #[test]
    fn sll_addr_truncated_to_8() {
        let a: [u8; 20] = core::array::from_fn(|i| i as u8 + 1);
        let r = SllRepr::new(PacketType::Host, 32, &a, EthernetProtocol::Ipv6);
        assert_eq!(r.halen, 20);
        assert_eq!(r.addr, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(
            SllFrame::new_checked(&[0u8; 15][..]).unwrap_err(),
            Error::Truncated
        );
    }
}
