//! Interface identifiers for link-local addresses (net/ipv6/addrconf.c):
//! `ipv6_generate_eui64` (modified EUI-64 from the MAC, RFC 4291) and
//! `ipv6_generate_stable_address` (RFC 7217: one SHA-1 block over the
//! secret, the prefix, the permanent hardware address and the DAD count,
//! as `sha1_transform` computes it), with the `random` mode's secret
//! (`ipv6_gen_mode_random_init`) from the model's generator.

use crate::consts::{ARPHRD_ETHER, ARPHRD_INFINIBAND, ETH_ALEN};
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::NetDevice;
use std::net::Ipv6Addr;

/// `idgen_retries` (net.ipv6.idgen_retries).
const IDGEN_RETRIES: u8 = 3;
/// `MAX_ADDR_LEN`.
const MAX_ADDR_LEN: usize = 32;
/// `INFINIBAND_ALEN`.
const INFINIBAND_ALEN: usize = 20;

/// `ipv6_generate_eui64()` for the link types the model has:
/// `addrconf_ifid_eui48` (Ethernet) and `addrconf_ifid_infiniband`.
pub fn ipv6_generate_eui64(d: &NetDevice) -> Option<[u8; 8]> {
    let a = d.dev_addr.as_bytes();
    let mut eui = [0u8; 8];
    match d.dev_type {
        ARPHRD_ETHER if a.len() == ETH_ALEN => {
            eui[..3].copy_from_slice(&a[..3]);
            eui[3] = 0xff;
            eui[4] = 0xfe;
            eui[5..].copy_from_slice(&a[3..6]);
            eui[0] ^= 2;
            Some(eui)
        }
        ARPHRD_INFINIBAND if a.len() == INFINIBAND_ALEN => {
            eui.copy_from_slice(&a[12..20]);
            eui[0] |= 2;
            Some(eui)
        }
        _ => None,
    }
}

/// `ipv6_reserved_interfaceid()`.
fn ipv6_reserved_interfaceid(a: &Ipv6Addr) -> bool {
    let o = a.octets();
    let w2 = u32::from_be_bytes([o[8], o[9], o[10], o[11]]);
    let w3 = u32::from_be_bytes([o[12], o[13], o[14], o[15]]);
    (w2 | w3) == 0
        || (w2 == 0x0200_5eff && w3 & 0xfe00_0000 == 0xfe00_0000)
        || (w2 == 0xfdff_ffff && w3 & 0xffff_ff80 == 0xffff_ff80)
}

impl Kernel {
    /// `ipv6_gen_mode_random_init()`: a random secret, once per inet6_dev.
    pub(crate) fn ipv6_gen_mode_random_init(&mut self, dev: DevId) {
        if self.dev(dev).inet.stable_secret.is_some() {
            return;
        }
        let mut s = [0u8; 16];
        s[..8].copy_from_slice(&self.inet_random().to_le_bytes());
        s[8..].copy_from_slice(&self.inet_random().to_le_bytes());
        self.dev_mut(dev).inet.stable_secret = Some(s);
    }

    /// `ipv6_generate_stable_address()`: `None` without a secret (no
    /// namespace default secret is ever set in the model) or when every
    /// retry gives a reserved identifier.
    pub(crate) fn ipv6_generate_stable_address(
        &self,
        dev: DevId,
        prefix: Ipv6Addr,
        dad_count: u8,
    ) -> Option<Ipv6Addr> {
        let d = self.dev(dev);
        let secret = d.inet.stable_secret?;
        let mut dad_count = dad_count;
        loop {
            let mut data = [0u8; 64];
            data[..16].copy_from_slice(&secret);
            data[16..24].copy_from_slice(&prefix.octets()[..8]);
            let hw = d.perm_addr.as_bytes();
            let n = hw.len().min(MAX_ADDR_LEN).min(d.dev_addr.len());
            data[24..24 + n].copy_from_slice(&hw[..n]);
            data[24 + MAX_ADDR_LEN] = dad_count;
            let digest = sha1_transform(SHA1_IV, &data);
            let mut o = prefix.octets();
            // s6_addr32[2] = digest[0], s6_addr32[3] = digest[1], stored in
            // the CPU's (little-endian) byte order.
            o[8..12].copy_from_slice(&digest[0].to_le_bytes());
            o[12..16].copy_from_slice(&digest[1].to_le_bytes());
            let a = Ipv6Addr::from(o);
            if !ipv6_reserved_interfaceid(&a) {
                return Some(a);
            }
            dad_count += 1;
            if dad_count > IDGEN_RETRIES {
                return None;
            }
        }
    }

    /// Deterministic random bits for addrconf (DAD delays and nonces, the
    /// `random` secret), from a stream of their own so that addresses do
    /// not change the MACs `eth_hw_addr_random` hands out.
    pub(crate) fn inet_random(&mut self) -> u64 {
        let st = &mut self.tables.inet_rng_state;
        *st = st.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *st;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `sha1_init_raw()`.
const SHA1_IV: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// `sha1_transform()`: one SHA-1 compression of a 64-byte block (no
/// padding, no length: the kernel uses the raw transform).
fn sha1_transform(mut h: [u32; 5], block: &[u8; 64]) -> [u32; 5] {
    let mut w = [0u32; 80];
    for (i, c) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    }
    for i in 16..80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = h;
    for (i, wi) in w.iter().enumerate() {
        let (f, k) = match i {
            0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
            20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*wi);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }
    for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
        *x = x.wrapping_add(y);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compression of the padded one-block message "abc" is SHA-1("abc").
    #[test]
    fn sha1_transform_matches_the_standard_vector() {
        let mut block = [0u8; 64];
        block[..3].copy_from_slice(b"abc");
        block[3] = 0x80;
        block[63] = 24;
        assert_eq!(
            sha1_transform(SHA1_IV, &block),
            [
                0xa999_3e36,
                0x4706_816a,
                0xba3e_2571,
                0x7850_c26c,
                0x9cd0_d89d
            ]
        );
    }

    #[test]
    fn reserved_identifiers() {
        assert!(ipv6_reserved_interfaceid(&"fe80::".parse().unwrap()));
        assert!(ipv6_reserved_interfaceid(
            &"fe80::200:5eff:fe00:1".parse().unwrap()
        ));
        assert!(!ipv6_reserved_interfaceid(&"fe80::1".parse().unwrap()));
    }
}
