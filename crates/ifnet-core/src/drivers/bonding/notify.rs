//! What NETDEV_NOTIFY_PEERS makes the stack send, which bonding counts on:
//! IPv4's `inetdev_send_gratuitous_arp()` (devinet.c) — one
//! `arp_send(ARPOP_REQUEST, ETH_P_ARP, ifa_local, dev, ifa_local, NULL,
//! dev->dev_addr, NULL)` per address, built by `arp_create()` for any
//! link type (ar_hrd = dev->type, so 32 and a 20-byte sender on IPoIB) —
//! and IPv6's `ndisc_send_unsol_na()` (an override NA to all-nodes per
//! address that is not tentative, optimistic ones without override).

use crate::consts::*;
use crate::ids::DevId;
use crate::inet::ifaddr::{IFA_F_OPTIMISTIC, IFA_F_TENTATIVE};
use crate::kernel::Kernel;
use crate::wire::EthernetProtocol;
use std::net::Ipv4Addr;

/// ARPOP_REQUEST.
pub const ARPOP_REQUEST: u16 = 1;
/// ETH_P_IP, the protocol ARP resolves.
const ETH_P_IP: u16 = 0x0800;

/// `arp_create()`'s ARP header and body: hardware type, protocol, lengths,
/// opcode, sender hardware/IP, target hardware (zeros without one)/IP.
pub fn arp_body(
    hrd: u16,
    op: u16,
    sha: &[u8],
    sip: Ipv4Addr,
    tha: Option<&[u8]>,
    tip: Ipv4Addr,
) -> Vec<u8> {
    let hln = sha.len();
    let mut v = Vec::with_capacity(8 + 2 * (hln + 4));
    v.extend_from_slice(&hrd.to_be_bytes());
    v.extend_from_slice(&ETH_P_IP.to_be_bytes());
    v.push(hln as u8);
    v.push(4);
    v.extend_from_slice(&op.to_be_bytes());
    v.extend_from_slice(sha);
    v.extend_from_slice(&sip.octets());
    match tha {
        Some(t) => v.extend_from_slice(t),
        None => v.resize(v.len() + hln, 0),
    }
    v.extend_from_slice(&tip.octets());
    v
}

/// A parsed ARP packet (what a test or a capture reads back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArpPacket {
    pub hrd: u16,
    pub op: u16,
    pub sha: Vec<u8>,
    pub sip: Ipv4Addr,
    pub tha: Vec<u8>,
    pub tip: Ipv4Addr,
}

/// Parses an ARP body (after the hard header); None if it is not one for
/// IPv4 or is short.
pub fn arp_parse(b: &[u8]) -> Option<ArpPacket> {
    if b.len() < 8 || u16::from_be_bytes([b[2], b[3]]) != ETH_P_IP || b[5] != 4 {
        return None;
    }
    let hln = usize::from(b[4]);
    let need = 8 + 2 * (hln + 4);
    if b.len() < need {
        return None;
    }
    let ip = |at: usize| Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3]);
    Some(ArpPacket {
        hrd: u16::from_be_bytes([b[0], b[1]]),
        op: u16::from_be_bytes([b[6], b[7]]),
        sha: b[8..8 + hln].to_vec(),
        sip: ip(8 + hln),
        tha: b[12 + hln..12 + 2 * hln].to_vec(),
        tip: ip(12 + 2 * hln),
    })
}

impl Kernel {
    /// `arp_send()` of a gratuitous request: nothing on an IFF_NOARP
    /// device; the hard header to `dev->broadcast`.
    fn arp_send_gratuitous(&mut self, dev: DevId, ip: Ipv4Addr) {
        let d = self.dev(dev);
        if d.flags & IFF_NOARP != 0 {
            return;
        }
        let Some(hops) = self.dev_header_ops(dev) else {
            return;
        };
        let (bcast, addr) = (d.broadcast, d.dev_addr);
        let mut frame = Vec::with_capacity(hops.hard_header_len + 64);
        if !(hops.create)(
            &mut frame,
            EthernetProtocol::Arp,
            bcast.as_bytes(),
            addr.as_bytes(),
        ) {
            return;
        }
        frame.extend(arp_body(
            d.dev_type,
            ARPOP_REQUEST,
            addr.as_bytes(),
            ip,
            None,
            ip,
        ));
        self.dev_queue_xmit(dev, &frame);
    }

    /// `inetdev_send_gratuitous_arp()`: one per IPv4 address.
    pub(crate) fn inetdev_send_gratuitous_arp(&mut self, dev: DevId) {
        let ips: Vec<Ipv4Addr> = self
            .dev(dev)
            .inet
            .ifa_list
            .iter()
            .map(|i| i.local)
            .collect();
        for ip in ips {
            self.arp_send_gratuitous(dev, ip);
        }
    }

    /// `ndisc_send_unsol_na()`: an NA to all-nodes per address, skipping
    /// tentative ones until DAD completes.
    pub(crate) fn ndisc_send_unsol_na(&mut self, dev: DevId) {
        let addrs: Vec<_> = self
            .dev(dev)
            .inet
            .addr6
            .iter()
            .filter(|a| a.flags & IFA_F_TENTATIVE == 0 || a.flags & IFA_F_OPTIMISTIC != 0)
            .map(|a| a.addr)
            .collect();
        for a in addrs {
            self.ndisc_send_unsol_na_one(dev, a);
        }
    }

    /// The NETDEV_NOTIFY_PEERS consumers (`inetdev_event`,
    /// `ndisc_netdev_event`), called from the inet notifier.
    pub(crate) fn inet_notify_peers(&mut self, dev: DevId) {
        if !self.dev(dev).inet.v4_off {
            self.inetdev_send_gratuitous_arp(dev);
        }
        if self.dev(dev).inet.v6 {
            self.ndisc_send_unsol_na(dev);
        }
    }
}
