//! Fixed-capacity value types: hardware addresses (up to MAX_ADDR_LEN bytes,
//! 6 for Ethernet, 20 for IPoIB) and interface names (up to IFNAMSIZ-1 bytes).
//! Both live inline in the device so a million devices cost no extra heap.

use crate::consts::{IFNAMSIZ, MAX_ADDR_LEN};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A link-layer address of variable length.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HwAddr {
    len: u8,
    bytes: [u8; MAX_ADDR_LEN],
}

impl HwAddr {
    pub const EMPTY: HwAddr = HwAddr {
        len: 0,
        bytes: [0; MAX_ADDR_LEN],
    };

    /// `None` if `b` is longer than MAX_ADDR_LEN.
    pub fn new(b: &[u8]) -> Option<HwAddr> {
        if b.len() > MAX_ADDR_LEN {
            return None;
        }
        let mut bytes = [0; MAX_ADDR_LEN];
        bytes[..b.len()].copy_from_slice(b);
        Some(HwAddr {
            len: b.len() as u8,
            bytes,
        })
    }

    pub fn zeroed(len: usize) -> HwAddr {
        HwAddr::new(&vec![0; len.min(MAX_ADDR_LEN)]).expect("bounded")
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_zero(&self) -> bool {
        self.as_bytes().iter().all(|&b| b == 0)
    }

    /// `is_valid_ether_addr`: not multicast, not all-zero.
    pub fn is_valid_ether(&self) -> bool {
        self.len == 6 && self.bytes[0] & 1 == 0 && !self.is_zero()
    }

    /// Parses "aa:bb:cc:dd:ee:ff" (any number of octets).
    pub fn parse(s: &str) -> Option<HwAddr> {
        let mut out = Vec::new();
        for part in s.split(':') {
            if part.is_empty() || part.len() > 2 {
                return None;
            }
            out.push(u8::from_str_radix(part, 16).ok()?);
        }
        HwAddr::new(&out)
    }
}

/// The length and the address's own bytes (the unused tail is always
/// zero, so this agrees with `Eq`): one word for an Ethernet address,
/// where hashing all MAX_ADDR_LEN bytes was a fifth of a device's
/// fingerprint.
impl std::hash::Hash for HwAddr {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        if self.len < 8 {
            let mut w = [0u8; 8];
            w.copy_from_slice(&self.bytes[..8]);
            h.write_u64(u64::from_le_bytes(w) | (u64::from(self.len) << 56));
        } else {
            h.write_u8(self.len);
            h.write(self.as_bytes());
        }
    }
}

impl fmt::Display for HwAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.as_bytes().iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for HwAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HwAddr({self})")
    }
}

impl Serialize for HwAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // "aa:bb:…" without the fmt machinery: the state file holds a few
        // of these per device and saving is on every invocation's path.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; MAX_ADDR_LEN * 3];
        let mut n = 0;
        for (i, b) in self.as_bytes().iter().enumerate() {
            if i > 0 {
                buf[n] = b':';
                n += 1;
            }
            buf[n] = HEX[(b >> 4) as usize];
            buf[n + 1] = HEX[(b & 0xf) as usize];
            n += 2;
        }
        s.serialize_str(std::str::from_utf8(&buf[..n]).expect("ASCII"))
    }
}

impl Default for HwAddr {
    fn default() -> Self {
        HwAddr::EMPTY
    }
}

impl<'de> Deserialize<'de> for HwAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(HwAddr::EMPTY);
        }
        HwAddr::parse(&s).ok_or_else(|| serde::de::Error::custom("bad hardware address"))
    }
}

/// An interface name: at most IFNAMSIZ-1 bytes, stored inline. Hashed as
/// its `str` (the unused tail is always zero).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IfName {
    len: u8,
    bytes: [u8; IFNAMSIZ - 1],
}

impl IfName {
    /// `None` if the name does not fit in IFNAMSIZ-1 bytes.
    pub fn new(s: &str) -> Option<IfName> {
        let b = s.as_bytes();
        if b.len() >= IFNAMSIZ {
            return None;
        }
        let mut bytes = [0; IFNAMSIZ - 1];
        bytes[..b.len()].copy_from_slice(b);
        Some(IfName {
            len: b.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Built only from &str, truncated at a char boundary by `truncated`.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }

    /// snprintf(res, IFNAMSIZ, …) semantics: keep the first 15 bytes, backing
    /// off to a char boundary so the name stays valid UTF-8.
    pub fn truncated(s: &str) -> IfName {
        let mut end = s.len().min(IFNAMSIZ - 1);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        IfName::new(&s[..end]).expect("fits")
    }
}

impl std::hash::Hash for IfName {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        // What `str`'s Hash writes, without re-checking the UTF-8.
        h.write(&self.bytes[..self.len as usize]);
        h.write_u8(0xff);
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl Serialize for IfName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for IfName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        IfName::new(&s).ok_or_else(|| serde::de::Error::custom("interface name too long"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infiniband_address_is_twenty_bytes() {
        let ib = HwAddr::new(&[0x80; 20]).unwrap();
        assert_eq!(ib.len(), 20);
        assert_eq!(HwAddr::parse(&ib.to_string()), Some(ib));
        assert!(HwAddr::new(&[0; 33]).is_none());
    }

    #[test]
    fn ifname_is_at_most_fifteen_bytes() {
        assert!(IfName::new("abcdefghijklmno").is_some());
        assert!(IfName::new("abcdefghijklmnop").is_none());
        assert_eq!(
            IfName::truncated("abcdefghijklmnopq").as_str(),
            "abcdefghijklmno"
        );
    }
}
