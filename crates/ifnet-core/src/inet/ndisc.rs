//! The neighbour-discovery frames DAD needs (net/ipv6/ndisc.c, RFC 4861):
//! `ndisc_send_ns` of a DAD probe (from ::, to the solicited-node group,
//! with the RFC 7527 nonce option), and on receipt `ndisc_recv_ns` (a
//! probe for an address this device has answers with an advertisement to
//! all-nodes, or fails our own DAD if ours is tentative) and
//! `ndisc_recv_na` (an advertisement for a tentative address fails DAD).
//! Frames are built and read through the device's `header_ops` (`create`
//! for the hard header, `parse_protocol` for where IPv6 starts) and the
//! `wire::ipv6` representations, so any link type with header ops works;
//! what a device accepts is what it has joined (`ip6_mc_input`'s
//! `ipv6_chk_mcast_addr`).

use super::ifaddr::{solicited_node, IFA_F_OPTIMISTIC, IFA_F_TENTATIVE};
use crate::consts::ARPHRD_INFINIBAND;
use crate::driver::HeaderOps;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::wire::ipv6::{
    Ipv6Repr, NdiscRepr, HEADER_LEN, NDISC_NEIGHBOUR_ADVERTISEMENT, NDISC_NEIGHBOUR_SOLICITATION,
    ND_MSG_LEN, NEXTHDR_ICMP,
};
use crate::wire::{ndisc_mc_map, EthernetProtocol};
use std::net::{IpAddr, Ipv6Addr};

/// `ndisc_addr_option_pad()`: InfiniBand addresses start 2 bytes into a
/// link-layer address option.
fn ndisc_addr_option_pad(dev_type: u16) -> usize {
    if dev_type == ARPHRD_INFINIBAND {
        2
    } else {
        0
    }
}

/// Whether `frame`, received on a device with `hops`, may be a
/// neighbour-discovery message: the cheap test the receive path makes on
/// every frame before `ndisc_rcv` parses it properly.
#[inline]
pub(crate) fn maybe_ndisc(hops: &HeaderOps, frame: &[u8]) -> bool {
    let Some((EthernetProtocol::Ipv6, at)) = (hops.parse_protocol)(frame) else {
        return false;
    };
    frame.len() >= at + HEADER_LEN + ND_MSG_LEN
        && frame[at + 6] == NEXTHDR_ICMP
        && matches!(
            frame[at + HEADER_LEN],
            NDISC_NEIGHBOUR_SOLICITATION | NDISC_NEIGHBOUR_ADVERTISEMENT
        )
}

/// The 6 bytes dmesg prints as the sender (`eth_hdr(skb)->h_source`, `%pM`):
/// the source address `header_ops->parse` finds, zeros where it finds
/// none (IPoIB).
fn h_source(hops: &HeaderOps, frame: &[u8]) -> [u8; 6] {
    let mut mac = [0u8; 6];
    if let Some(a) = (hops.parse)(frame) {
        let b = a.as_bytes();
        let n = b.len().min(6);
        mac[..n].copy_from_slice(&b[..n]);
    }
    mac
}

impl Kernel {
    /// `ndisc_send_skb()` of one message: the device's hard header to the
    /// link-layer form of `dst` (`ndisc_mc_map`), the IPv6 header (hop
    /// limit 255), the message.
    fn ndisc_send(&mut self, dev: DevId, src: Ipv6Addr, dst: Ipv6Addr, nd: &NdiscRepr) {
        let d = self.dev(dev);
        let Some(hops) = self.dev_header_ops(dev) else {
            return;
        };
        let Some(ll_dst) = ndisc_mc_map(dst, d.dev_type, &d.broadcast, true) else {
            return;
        };
        let mut msg = Vec::with_capacity(ND_MSG_LEN + 32);
        nd.emit(&src, &dst, ndisc_addr_option_pad(d.dev_type), &mut msg);
        let mut frame = Vec::with_capacity(hops.hard_header_len + HEADER_LEN + msg.len());
        if !(hops.create)(
            &mut frame,
            EthernetProtocol::Ipv6,
            ll_dst.as_bytes(),
            d.dev_addr.as_bytes(),
        ) {
            return;
        }
        let ip = Ipv6Repr {
            src_addr: src,
            dst_addr: dst,
            next_header: NEXTHDR_ICMP,
            hop_limit: 255,
            payload_len: msg.len(),
        };
        ip.emit(&mut frame);
        frame.extend_from_slice(&msg);
        self.dev_queue_xmit(dev, &frame);
    }

    /// `ndisc_send_ns(dev, target, solicited-node(target), ::, nonce)`.
    pub(crate) fn ndisc_send_dad_ns(&mut self, dev: DevId, target: Ipv6Addr, nonce: u64) {
        let nd = NdiscRepr::NeighborSolicit {
            target,
            nonce: (nonce != 0).then_some(nonce),
            source_lladdr: None,
        };
        self.ndisc_send(dev, Ipv6Addr::UNSPECIFIED, solicited_node(&target), &nd);
    }

    /// `ndisc_send_na(dev, ff02::1, target, router=0, solicited=0,
    /// override=1, inc_opt=1)`: the answer to a DAD probe.
    fn ndisc_send_dad_na(&mut self, dev: DevId, target: Ipv6Addr) {
        let lladdr = self.dev(dev).dev_addr;
        let nd = NdiscRepr::NeighborAdvert {
            router: false,
            solicited: false,
            override_: true,
            target,
            target_lladdr: Some(lladdr.as_bytes()),
        };
        let all_nodes = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
        self.ndisc_send(dev, target, all_nodes, &nd);
    }

    /// One `ndisc_send_na(dev, ff02::1, addr, router=0, solicited=0,
    /// override=1, inc_opt=1)` of `ndisc_send_unsol_na()` (bonding's peer
    /// notification): the same message as the answer to a DAD probe.
    pub(crate) fn ndisc_send_unsol_na_one(&mut self, dev: DevId, target: Ipv6Addr) {
        self.ndisc_send_dad_na(dev, target);
    }

    /// `ndisc_rcv()` for a frame delivered to the stack on `dev`: the
    /// checks of `ipv6_rcv`, `icmpv6_rcv` (checksum) and `ndisc_rcv`
    /// (hop limit 255, code 0), then the destination the device listens to.
    #[cold]
    pub(crate) fn ndisc_rcv(&mut self, dev: DevId, frame: &[u8]) {
        let d = self.dev(dev);
        let Some(hops) = self.dev_header_ops(dev) else {
            return;
        };
        let Some((EthernetProtocol::Ipv6, at)) = (hops.parse_protocol)(frame) else {
            return;
        };
        if !d.inet.v6 {
            return;
        }
        let Ok((ip, payload)) = Ipv6Repr::parse(&frame[at..]) else {
            return;
        };
        if ip.next_header != NEXTHDR_ICMP || ip.hop_limit != 255 {
            return;
        }
        let Ok(Some(nd)) = NdiscRepr::parse(&ip.src_addr, &ip.dst_addr, payload) else {
            return;
        };
        let daddr = ip.dst_addr;
        let listens = if daddr.is_multicast() {
            d.addr_lists.groups.iter().any(|g| g.0 == IpAddr::V6(daddr))
        } else {
            d.inet.addr6.iter().any(|a| a.addr == daddr)
        };
        if !listens {
            return;
        }
        let src_mac = h_source(hops, frame);
        match nd {
            NdiscRepr::NeighborSolicit {
                target,
                nonce,
                source_lladdr,
            } => {
                if ip.src_addr.is_unspecified() && source_lladdr.is_some() {
                    // "NS: bad DAD packet (link-layer address option)"
                    return;
                }
                let nonce = nonce.unwrap_or(0);
                self.ndisc_recv_ns(dev, ip.src_addr, daddr, target, nonce, &src_mac);
            }
            NdiscRepr::NeighborAdvert {
                target, solicited, ..
            } => self.ndisc_recv_na(dev, daddr, target, solicited, &src_mac),
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
