//! The neighbour-discovery frames DAD needs (net/ipv6/ndisc.c, RFC 4861):
//! `ndisc_send_ns` of a DAD probe (from ::, to the solicited-node group,
//! with the RFC 7527 nonce option), and on receipt `ndisc_recv_ns` (a
//! probe for an address this device has answers with an advertisement to
//! all-nodes, or fails our own DAD if ours is tentative) and
//! `ndisc_recv_na` (an advertisement for a tentative address fails DAD).
//! Ethernet framing only; what a device accepts is what it has joined
//! (`ip6_mc_input`'s `ipv6_chk_mcast_addr`).

use super::ifaddr::{solicited_node, IFA_F_OPTIMISTIC, IFA_F_TENTATIVE};
use crate::consts::ARPHRD_ETHER;
use crate::ids::DevId;
use crate::kernel::Kernel;
use std::net::{IpAddr, Ipv6Addr};

const ETH_HLEN: usize = 14;
const IPV6_HLEN: usize = 40;
const ETH_P_IPV6: [u8; 2] = [0x86, 0xdd];
const NEXTHDR_ICMP: u8 = 58;
const NDISC_NEIGHBOUR_SOLICITATION: u8 = 135;
const NDISC_NEIGHBOUR_ADVERTISEMENT: u8 = 136;
/// ND option types.
const ND_OPT_TARGET_LL_ADDR: u8 = 2;
const ND_OPT_NONCE: u8 = 14;
/// Where the ICMPv6 message starts in an Ethernet frame.
const ICMP6_AT: usize = ETH_HLEN + IPV6_HLEN;
/// ICMPv6 header (4) + reserved/flags (4) + target (16).
const ND_MSG_LEN: usize = 24;

/// Whether `frame` may be a neighbour-discovery message: the cheap test
/// the receive path makes on every frame.
#[inline]
pub(crate) fn maybe_ndisc(frame: &[u8]) -> bool {
    frame.len() >= ICMP6_AT + ND_MSG_LEN
        && frame[12..14] == ETH_P_IPV6
        && frame[ETH_HLEN + 6] == NEXTHDR_ICMP
        && matches!(
            frame[ICMP6_AT],
            NDISC_NEIGHBOUR_SOLICITATION | NDISC_NEIGHBOUR_ADVERTISEMENT
        )
}

fn ipv6_at(frame: &[u8], at: usize) -> Ipv6Addr {
    let mut o = [0u8; 16];
    o.copy_from_slice(&frame[at..at + 16]);
    Ipv6Addr::from(o)
}

/// The ICMPv6 checksum over the pseudo-header and the message.
fn icmp6_checksum(src: &Ipv6Addr, dst: &Ipv6Addr, msg: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut add = |b: &[u8]| {
        for c in b.chunks(2) {
            let w = if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from(c[0]) << 8
            };
            sum += u32::from(w);
        }
    };
    add(&src.octets());
    add(&dst.octets());
    add(&(msg.len() as u32).to_be_bytes());
    add(&[0, 0, 0, NEXTHDR_ICMP]);
    add(msg);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Ethernet frame carrying one ICMPv6 message, hop limit 255.
fn icmp6_frame(
    dst_mac: [u8; 6],
    src_mac: &[u8],
    src: Ipv6Addr,
    dst: Ipv6Addr,
    msg: &mut [u8],
) -> Vec<u8> {
    msg[2..4].copy_from_slice(&[0, 0]);
    let csum = icmp6_checksum(&src, &dst, msg);
    msg[2..4].copy_from_slice(&csum.to_be_bytes());
    let mut f = Vec::with_capacity(ICMP6_AT + msg.len());
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&src_mac[..6]);
    f.extend_from_slice(&ETH_P_IPV6);
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&(msg.len() as u16).to_be_bytes());
    f.extend_from_slice(&[NEXTHDR_ICMP, 255]);
    f.extend_from_slice(&src.octets());
    f.extend_from_slice(&dst.octets());
    f.extend_from_slice(msg);
    f
}

/// `ipv6_eth_mc_map()`: 33:33 and the group's low 32 bits.
fn eth_mc_map(g: &Ipv6Addr) -> [u8; 6] {
    let o = g.octets();
    [0x33, 0x33, o[12], o[13], o[14], o[15]]
}

/// The ND options of a message (type, value) — malformed ones end the walk.
fn nd_options(opts: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut rest = opts;
    std::iter::from_fn(move || {
        if rest.len() < 8 {
            return None;
        }
        let (typ, len) = (rest[0], usize::from(rest[1]) * 8);
        if len == 0 || len > rest.len() {
            return None;
        }
        let (opt, tail) = rest.split_at(len);
        rest = tail;
        Some((typ, &opt[2..]))
    })
}

impl Kernel {
    /// `ndisc_send_ns(dev, target, solicited-node(target), ::, nonce)`.
    pub(crate) fn ndisc_send_dad_ns(&mut self, dev: DevId, target: Ipv6Addr, nonce: u64) {
        let d = self.dev(dev);
        if d.dev_type != ARPHRD_ETHER || d.dev_addr.len() != 6 {
            return;
        }
        let src_mac = d.dev_addr;
        let dst = solicited_node(&target);
        let mut msg = vec![0u8; ND_MSG_LEN];
        msg[0] = NDISC_NEIGHBOUR_SOLICITATION;
        msg[8..24].copy_from_slice(&target.octets());
        if nonce != 0 {
            msg.extend_from_slice(&[ND_OPT_NONCE, 1]);
            msg.extend_from_slice(&nonce.to_be_bytes()[2..]);
        }
        let frame = icmp6_frame(
            eth_mc_map(&dst),
            src_mac.as_bytes(),
            Ipv6Addr::UNSPECIFIED,
            dst,
            &mut msg,
        );
        self.dev_queue_xmit(dev, &frame);
    }

    /// `ndisc_send_na(dev, ff02::1, target, router=0, solicited=0,
    /// override=1, inc_opt=1)`: the answer to a DAD probe.
    fn ndisc_send_dad_na(&mut self, dev: DevId, target: Ipv6Addr) {
        let src_mac = self.dev(dev).dev_addr;
        let dst = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
        let mut msg = vec![0u8; ND_MSG_LEN];
        msg[0] = NDISC_NEIGHBOUR_ADVERTISEMENT;
        msg[4] = 0x20; // override
        msg[8..24].copy_from_slice(&target.octets());
        msg.extend_from_slice(&[ND_OPT_TARGET_LL_ADDR, 1]);
        msg.extend_from_slice(&src_mac.as_bytes()[..6]);
        let frame = icmp6_frame(eth_mc_map(&dst), src_mac.as_bytes(), target, dst, &mut msg);
        self.dev_queue_xmit(dev, &frame);
    }

    /// `ndisc_rcv()` for a frame delivered to the stack on `dev`.
    #[cold]
    pub(crate) fn ndisc_rcv(&mut self, dev: DevId, frame: &[u8]) {
        let d = self.dev(dev);
        if d.dev_type != ARPHRD_ETHER || !d.inet.v6 || frame[ETH_HLEN + 7] != 255 {
            return;
        }
        let daddr = ipv6_at(frame, ETH_HLEN + 24);
        let listens = if daddr.is_multicast() {
            d.addr_lists.groups.iter().any(|g| g.0 == IpAddr::V6(daddr))
        } else {
            d.inet.addr6.iter().any(|a| a.addr == daddr)
        };
        if !listens {
            return;
        }
        let saddr = ipv6_at(frame, ETH_HLEN + 8);
        let target = ipv6_at(frame, ICMP6_AT + 8);
        let src_mac = frame[6..12].to_vec();
        let opts = &frame[ICMP6_AT + ND_MSG_LEN..];
        if frame[ICMP6_AT] == NDISC_NEIGHBOUR_SOLICITATION {
            let nonce = nd_options(opts)
                .find(|(t, v)| *t == ND_OPT_NONCE && v.len() >= 6)
                .map_or(0, |(_, v)| {
                    let mut b = [0u8; 8];
                    b[2..].copy_from_slice(&v[..6]);
                    u64::from_be_bytes(b)
                });
            self.ndisc_recv_ns(dev, saddr, daddr, target, nonce, &src_mac);
        } else {
            let solicited = frame[ICMP6_AT + 4] & 0x40 != 0;
            self.ndisc_recv_na(dev, daddr, target, solicited, &src_mac);
        }
    }

    /// `ndisc_recv_ns()`: the DAD part.
    fn ndisc_recv_ns(
        &mut self,
        dev: DevId,
        saddr: Ipv6Addr,
        daddr: Ipv6Addr,
        target: Ipv6Addr,
        nonce: u64,
        src_mac: &[u8],
    ) {
        if target.is_multicast() {
            return;
        }
        let dad = saddr.is_unspecified();
        if dad && daddr != solicited_node(&target) {
            return;
        }
        let Some(ifp) = self.inet6_ifa(dev, &target) else {
            return;
        };
        if ifp.flags & (IFA_F_TENTATIVE | IFA_F_OPTIMISTIC) != 0 {
            if !dad {
                return;
            }
            if nonce != 0 && ifp.dad_nonce == nonce {
                // Our own probe, looped back.
                return;
            }
            return self.addrconf_dad_failure(dev, target, src_mac);
        }
        if dad {
            self.ndisc_send_dad_na(dev, target);
        }
    }

    /// `ndisc_recv_na()`: the DAD part.
    fn ndisc_recv_na(
        &mut self,
        dev: DevId,
        daddr: Ipv6Addr,
        target: Ipv6Addr,
        solicited: bool,
        src_mac: &[u8],
    ) {
        if target.is_multicast() || (daddr.is_multicast() && solicited) {
            return;
        }
        let Some(ifp) = self.inet6_ifa(dev, &target) else {
            return;
        };
        if ifp.flags & IFA_F_TENTATIVE != 0 {
            return self.addrconf_dad_failure(dev, target, src_mac);
        }
        let name = self.dev(dev).name;
        let mac: Vec<String> = src_mac.iter().map(|b| format!("{b:02x}")).collect();
        self.printk(format!(
            "IPv6: NA: {} advertised our address {target} on {name}!",
            mac.join(":")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DAD probe as ndisc_send_ns builds it: 86 bytes with the nonce,
    /// a checksum that verifies.
    #[test]
    fn dad_probe_layout() {
        let target: Ipv6Addr = "fe80::ff:fe00:a".parse().unwrap();
        let dst = solicited_node(&target);
        let mut msg = vec![0u8; ND_MSG_LEN];
        msg[0] = NDISC_NEIGHBOUR_SOLICITATION;
        msg[8..24].copy_from_slice(&target.octets());
        msg.extend_from_slice(&[ND_OPT_NONCE, 1, 1, 2, 3, 4, 5, 6]);
        let f = icmp6_frame(
            eth_mc_map(&dst),
            &[2, 0, 0, 0, 0, 0xa],
            Ipv6Addr::UNSPECIFIED,
            dst,
            &mut msg,
        );
        assert_eq!(f.len(), 86);
        assert!(maybe_ndisc(&f));
        assert_eq!(&f[..6], &[0x33, 0x33, 0xff, 0x00, 0x00, 0x0a]);
        assert_eq!(
            icmp6_checksum(&Ipv6Addr::UNSPECIFIED, &dst, &f[ICMP6_AT..]),
            0
        );
    }
}
