//! IP over InfiniBand as Linux carries it (drivers/infiniband/ulp/ipoib).
//!
//! **On the IB wire** (RFC 4391 §6) an IPoIB datagram is a 4-byte
//! encapsulation header — 2-byte EtherType, 2 reserved bytes (zero on send,
//! ignored on receipt) — then the IP/ARP packet: [`IpoibFrame`],
//! [`IpoibRepr`]. IB routing headers (LRH/GRH/BTH/DETH) sit below it and are
//! not modelled.
//!
//! **In the kernel** an IPoIB device has `hard_header_len` IPOIB_HARD_LEN =
//! 24: `ipoib_hard_header` pushes the 4-byte header and then, in front of
//! it, a 20-byte `struct ipoib_pseudo_header` holding the destination
//! hardware address, so that `ipoib_start_xmit` can find the destination
//! without a dst_entry. On receive, `skb_add_pseudo_hdr` pushes 20 *zero*
//! bytes in front of the header and sets the MAC header there. That 24-byte
//! layout is [`IpoibHardFrame`] / [`IpoibHardRepr`]; the datapath carries
//! frames in it.
//!
//! **What tcpdump sees.** A SOCK_RAW packet socket on ib0 would see the
//! 24 bytes (destination on transmit, zeros on receive), but libpcap never
//! opens one: `map_arphrd_to_dlt` has no case for ARPHRD_INFINIBAND, so it
//! warns "arptype 32 not supported by libpcap - falling back to cooked
//! socket" and captures through SOCK_DGRAM as LINKTYPE_LINUX_SLL (113): the
//! kernel strips the hard header, and the 16-byte cooked header carries
//! pkttype, hatype 32, halen 0 (`ipoib_header_ops` has no `parse`) and the
//! EtherType. ifnet writes IPoIB captures the same way (see
//! [`super::LinkType::pcap_linktype`] and [`super::sll`]).
//!
//! The 20-byte hardware address (INFINIBAND_ALEN) is [`InfinibandAddress`]:
//! a flags byte (IPOIB_FLAGS_RC 0x80 = connected mode supported), a 24-bit
//! QP number and the 16-byte port GID (RFC 4391 §9.1.1).

use super::{EthernetProtocol, PacketType, Result};
use core::fmt;

/// INFINIBAND_ALEN.
pub const ADDR_LEN: usize = 20;
/// IPOIB_ENCAP_LEN: the RFC 4391 header.
pub const HEADER_LEN: usize = 4;
/// IPOIB_PSEUDO_LEN: `struct ipoib_pseudo_header`.
pub const PSEUDO_HEADER_LEN: usize = 20;
/// IPOIB_HARD_LEN: `dev->hard_header_len` of an IPoIB device.
pub const HARD_HEADER_LEN: usize = PSEUDO_HEADER_LEN + HEADER_LEN;
/// IPOIB_FLAGS_RC: the address's owner supports connected mode.
pub const FLAGS_RC: u8 = 0x80;

/// A 20-byte IPoIB hardware address: flags, QPN, GID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct InfinibandAddress(pub [u8; 20]);

impl InfinibandAddress {
    /// `ipv4_bcast_addr` in ipoib_main.c, copied to `dev->broadcast` by
    /// `ipoib_setup_common`: QPN 0xffffff, MGID ff12:401b:<P_Key>::ffff:ffff
    /// with the P_Key bytes (8 and 9) still zero.
    pub const BROADCAST_TEMPLATE: InfinibandAddress = InfinibandAddress([
        0x00, 0xff, 0xff, 0xff, 0xff, 0x12, 0x40, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xff, 0xff, 0xff, 0xff,
    ]);

    /// `dev->broadcast` after `ipoib_intf_init`/`ipoib_parent_init`: the
    /// template with the P_Key, full-membership bit 0x8000 forced on
    /// (`priv->pkey |= 0x8000`), in bytes 8 and 9. The default P_Key 0xffff
    /// gives 00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:ff:ff:ff:ff.
    pub const fn broadcast(pkey: u16) -> InfinibandAddress {
        let pkey = pkey | 0x8000;
        let mut a = Self::BROADCAST_TEMPLATE.0;
        a[8] = (pkey >> 8) as u8;
        a[9] = pkey as u8;
        InfinibandAddress(a)
    }

    /// A unicast address from its parts (flags, 24-bit QPN, GID).
    pub const fn new(flags: u8, qpn: u32, gid: [u8; 16]) -> InfinibandAddress {
        let mut a = [0u8; 20];
        a[0] = flags;
        a[1] = (qpn >> 16) as u8;
        a[2] = (qpn >> 8) as u8;
        a[3] = qpn as u8;
        let mut i = 0;
        while i < 16 {
            a[4 + i] = gid[i];
            i += 1;
        }
        InfinibandAddress(a)
    }

    /// The address in `data`, which must be exactly 20 bytes long.
    pub fn from_bytes(data: &[u8]) -> Option<InfinibandAddress> {
        data.try_into().ok().map(InfinibandAddress)
    }

    pub const fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// Byte 0: reserved/flags (IPOIB_FLAGS_RC, IPOIB_FLAGS_UC).
    pub const fn flags(&self) -> u8 {
        self.0[0]
    }

    /// `IPOIB_CM_SUPPORTED`: the flags byte has IPOIB_FLAGS_RC.
    pub const fn connected_mode(&self) -> bool {
        self.0[0] & FLAGS_RC != 0
    }

    /// Bytes 1..4: the 24-bit queue pair number (IPOIB_QPN_MASK).
    pub const fn qpn(&self) -> u32 {
        (self.0[1] as u32) << 16 | (self.0[2] as u32) << 8 | self.0[3] as u32
    }

    /// Bytes 4..20: the GID (for a group, the MGID).
    pub fn gid(&self) -> [u8; 16] {
        let mut g = [0; 16];
        g.copy_from_slice(&self.0[4..]);
        g
    }

    /// `hwaddr[4] == 0xff`: the GID is a multicast GID, which is the test
    /// `ipoib_start_xmit` makes.
    pub const fn is_multicast(&self) -> bool {
        self.0[4] == 0xff
    }

    /// Bytes 8..10 of a multicast address: the P_Key.
    pub const fn pkey(&self) -> u16 {
        (self.0[8] as u16) << 8 | self.0[9] as u16
    }

    /// `broadcast[5] & 0xF`: the MGID scope nibble.
    pub const fn scope(&self) -> u8 {
        self.0[5] & 0x0f
    }
}

impl fmt::Display for InfinibandAddress {
    /// As `ip link` prints link/infiniband: 20 lower-case hex bytes joined
    /// by colons.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// How `ipoib_ib_handle_rx_wc` sets `skb->pkt_type`: a non-multicast
/// destination GID is HOST; the broadcast MGID (`dev->broadcast + 4`) is
/// BROADCAST; any other MGID is MULTICAST. Only the GIDs are compared.
pub fn ipoib_rx_pkt_type(dst: &InfinibandAddress, broadcast: &InfinibandAddress) -> PacketType {
    if !dst.is_multicast() {
        PacketType::Host
    } else if dst.0[4..] == broadcast.0[4..] {
        PacketType::Broadcast
    } else {
        PacketType::Multicast
    }
}

frame_view! {
    /// A view of an RFC 4391 §6 IPoIB datagram: 4-byte header, then payload.
    IpoibFrame,
    min_len: HEADER_LEN,
    "IPOIB_ENCAP_LEN"
}

impl<T: AsRef<[u8]>> IpoibFrame<T> {
    /// `struct ipoib_header.proto`.
    pub fn ethertype(&self) -> EthernetProtocol {
        let b = self.buffer.as_ref();
        EthernetProtocol::from(u16::from_be_bytes([b[0], b[1]]))
    }

    /// `struct ipoib_header.reserved`.
    pub fn reserved(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[2], b[3]])
    }

    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> IpoibFrame<T> {
    pub fn set_ethertype(&mut self, p: EthernetProtocol) {
        self.buffer.as_mut()[0..2].copy_from_slice(&u16::from(p).to_be_bytes());
    }

    pub fn set_reserved(&mut self, v: u16) {
        self.buffer.as_mut()[2..4].copy_from_slice(&v.to_be_bytes());
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
}

/// The RFC 4391 header's one meaningful field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpoibRepr {
    pub ethertype: EthernetProtocol,
}

impl IpoibRepr {
    /// Reads the header; the reserved field is ignored on receipt (RFC 4391 §6).
    pub fn parse<T: AsRef<[u8]>>(frame: &IpoibFrame<T>) -> Result<IpoibRepr> {
        frame.check_len()?;
        Ok(IpoibRepr {
            ethertype: frame.ethertype(),
        })
    }

    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header with reserved = 0, as `ipoib_hard_header` does.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut IpoibFrame<T>) {
        frame.set_ethertype(self.ethertype);
        frame.set_reserved(0);
    }
}

frame_view! {
    /// A view of an IPoIB skb from its MAC header: the 20-byte pseudo header
    /// (destination hardware address; zeros on receive), the 4-byte header,
    /// then the payload.
    IpoibHardFrame,
    min_len: HARD_HEADER_LEN,
    "IPOIB_HARD_LEN"
}

impl<T: AsRef<[u8]>> IpoibHardFrame<T> {
    /// `ipoib_pseudo_header.hwaddr`.
    pub fn hwaddr(&self) -> InfinibandAddress {
        let mut a = [0; 20];
        a.copy_from_slice(&self.buffer.as_ref()[..PSEUDO_HEADER_LEN]);
        InfinibandAddress(a)
    }

    /// The RFC 4391 part (header and payload): what goes on the IB wire.
    pub fn encap(&self) -> IpoibFrame<&[u8]> {
        IpoibFrame::new_unchecked(&self.buffer.as_ref()[PSEUDO_HEADER_LEN..])
    }

    pub fn ethertype(&self) -> EthernetProtocol {
        self.encap().ethertype()
    }

    /// The network-layer packet (what a cooked capture records).
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HARD_HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> IpoibHardFrame<T> {
    pub fn set_hwaddr(&mut self, a: &InfinibandAddress) {
        self.buffer.as_mut()[..PSEUDO_HEADER_LEN].copy_from_slice(&a.0);
    }

    /// The RFC 4391 part, writable.
    pub fn encap_mut(&mut self) -> IpoibFrame<&mut [u8]> {
        IpoibFrame::new_unchecked(&mut self.buffer.as_mut()[PSEUDO_HEADER_LEN..])
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HARD_HEADER_LEN..]
    }
}

/// The 24-byte hard header `ipoib_hard_header` builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpoibHardRepr {
    /// The pseudo header: destination on transmit, all zero on receive.
    pub dst_addr: InfinibandAddress,
    pub ethertype: EthernetProtocol,
}

impl IpoibHardRepr {
    pub fn parse<T: AsRef<[u8]>>(frame: &IpoibHardFrame<T>) -> Result<IpoibHardRepr> {
        frame.check_len()?;
        Ok(IpoibHardRepr {
            dst_addr: frame.hwaddr(),
            ethertype: frame.ethertype(),
        })
    }

    pub const fn buffer_len(&self) -> usize {
        HARD_HEADER_LEN
    }

    /// `ipoib_hard_header` + `push_pseudo_header`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut IpoibHardFrame<T>) {
        frame.set_hwaddr(&self.dst_addr);
        IpoibRepr {
            ethertype: self.ethertype,
        }
        .emit(&mut frame.encap_mut());
    }

    /// The hard header as `skb_add_pseudo_hdr` leaves it on receive.
    pub const fn received(ethertype: EthernetProtocol) -> IpoibHardRepr {
        IpoibHardRepr {
            dst_addr: InfinibandAddress([0; 20]),
            ethertype,
        }
    }
}

#[cfg(test)]
mod tests;
