//! Link type `none` (ARPHRD_NONE): no link-layer header, the frame is the
//! IP packet. This is what a tun device in IFF_TUN|IFF_NO_PI mode carries;
//! `tun_get_user` picks `skb->protocol` from the version nibble of the first
//! byte (4 → ETH_P_IP, 6 → ETH_P_IPV6, anything else or an empty packet →
//! -EINVAL, dropped). Captured as LINKTYPE_RAW (101), which readers also
//! decode by the version nibble.

use super::{Error, EthernetProtocol, Result};

/// The IP version a raw frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpVersion {
    Ipv4,
    Ipv6,
}

impl IpVersion {
    /// The `skb->protocol` `tun_get_user` assigns.
    pub const fn ethertype(self) -> EthernetProtocol {
        match self {
            IpVersion::Ipv4 => EthernetProtocol::Ipv4,
            IpVersion::Ipv6 => EthernetProtocol::Ipv6,
        }
    }

    /// The version for an EtherType, if it is IPv4 or IPv6.
    pub fn from_ethertype(p: EthernetProtocol) -> Option<IpVersion> {
        match p {
            EthernetProtocol::Ipv4 => Some(IpVersion::Ipv4),
            EthernetProtocol::Ipv6 => Some(IpVersion::Ipv6),
            _ => None,
        }
    }
}

frame_view! {
    /// A view of a raw-IP frame.
    RawFrame,
    min_len: 1,
    "one byte (the version nibble's)"
}

impl<T: AsRef<[u8]>> RawFrame<T> {
    /// `data[0] >> 4`.
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[0] >> 4
    }

    /// The whole frame: there is no link header.
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> RawFrame<T> {
    pub fn payload_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
}

/// What a raw frame says about itself: its IP version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawRepr {
    pub version: IpVersion,
}

impl RawRepr {
    /// As `tun_get_user`: version 4 or 6, else `Err(Malformed)` (-EINVAL).
    pub fn parse<T: AsRef<[u8]>>(frame: &RawFrame<T>) -> Result<RawRepr> {
        frame.check_len()?;
        let version = match frame.version() {
            4 => IpVersion::Ipv4,
            6 => IpVersion::Ipv6,
            _ => return Err(Error::Malformed),
        };
        Ok(RawRepr { version })
    }

    /// No link header.
    pub const fn buffer_len(&self) -> usize {
        0
    }

    /// Nothing to write: the IP header already carries the version.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, _frame: &mut RawFrame<T>) {}

    pub const fn ethertype(&self) -> EthernetProtocol {
        self.version.ethertype()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tun_get_user (IFF_TUN | IFF_NO_PI): version nibble 4 → ETH_P_IP,
    /// 6 → ETH_P_IPV6.
    #[test]
    fn tun_get_user_version_nibble() {
        // IPv4 header start: version 4, IHL 5.
        let v4 = [0x45u8, 0x00, 0x00, 0x14];
        let r = RawRepr::parse(&RawFrame::new_checked(&v4[..]).unwrap()).unwrap();
        assert_eq!(r.version, IpVersion::Ipv4);
        assert_eq!(r.ethertype(), EthernetProtocol::Ipv4);
        assert_eq!(r.buffer_len(), 0);
        // IPv6 header start: version 6, traffic class 0.
        let v6 = [0x60u8, 0x00, 0x00, 0x00];
        let f = RawFrame::new_checked(&v6[..]).unwrap();
        assert_eq!(RawRepr::parse(&f).unwrap().version, IpVersion::Ipv6);
        assert_eq!(f.payload(), &v6[..]);
        assert_eq!(
            IpVersion::from_ethertype(EthernetProtocol::Ipv6),
            Some(IpVersion::Ipv6)
        );
        assert_eq!(IpVersion::from_ethertype(EthernetProtocol::Arp), None);
    }

    /// tun_get_user: any other version, or an empty packet (ip_version 0),
    /// is -EINVAL.
    #[test]
    fn tun_get_user_rejects() {
        let v5 = [0x50u8, 0];
        let f = RawFrame::new_checked(&v5[..]).unwrap();
        assert_eq!(RawRepr::parse(&f).unwrap_err(), Error::Malformed);
        assert_eq!(
            RawFrame::new_checked(&[][..]).unwrap_err(),
            Error::Truncated
        );
    }

    /// Emitting a raw repr writes nothing (there is no link header).
    #[test]
    fn raw_emit_is_identity() {
        let mut buf = [0x45u8, 1, 2, 3];
        let r = RawRepr {
            version: IpVersion::Ipv4,
        };
        r.emit(&mut RawFrame::new_unchecked(&mut buf[..]));
        assert_eq!(buf, [0x45, 1, 2, 3]);
    }
}
