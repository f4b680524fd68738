//! The RTM_GETADDR dump: `rtnl_dump_all()` (AF_UNSPEC: IPv4 then IPv6),
//! `inet_dump_addr()` and `inet6_dump_addr()` with their strict-check
//! request validation (`inet_valid_dump_ifaddr_req`,
//! `inet6_valid_dump_ifaddr_req`: a zero header but for the ifindex, no
//! attribute but IFA_TARGET_NETNSID), resumable across reads at (device,
//! address index) like `ctx->ifindex` / `ctx->ip_idx`.

use super::rtnl_addr::{Ifa, AF_INET, AF_INET6, RTM_NEWADDR};
use crate::errno::{Errno, KError};
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;
use crate::rtnetlink::socket::{DumpCursor, DumpPos, DumpWhat};
use crate::rtnetlink::NLM_F_DUMP_FILTERED;
use netlink_packet_core::NLM_F_MULTIPART;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};

impl Kernel {
    /// A strict RTM_GETADDR dump whose request is shorter than an
    /// `ifaddrmsg` (`inet_valid_dump_ifaddr_req`'s first test; AF_UNSPEC
    /// stops at IPv4's): a cursor whose NLMSG_DONE carries -EINVAL.
    pub(crate) fn rtnl_dump_addr_short(&self, net: NetId, family: u8, seq: u32) -> DumpCursor {
        let (families, pfx) = match family {
            AF_INET6 => (vec![AF_INET6], "ipv6"),
            AF_INET => (vec![AF_INET], "ipv4"),
            _ => (vec![AF_INET, AF_INET6], "ipv4"),
        };
        DumpCursor {
            net,
            seq,
            flags: NLM_F_MULTIPART,
            what: DumpWhat::Addr {
                families,
                ifindex: 0,
                netnsid: None,
            },
            next_ifindex: 0,
            ip_idx: 0,
            error: Some(KError::msg_fmt(
                Errno::EINVAL,
                format!("{pfx}: Invalid header for address dump request"),
            )),
        }
    }

    /// Starts an RTM_GETADDR dump from a socket in `net`. A request the
    /// strict check refuses gives a cursor whose NLMSG_DONE carries the
    /// error.
    pub(crate) fn rtnl_dump_addr_start(
        &self,
        net: NetId,
        m: &AddressMessage,
        seq: u32,
        strict: bool,
    ) -> DumpCursor {
        let families = match u8::from(m.header.family) {
            AF_INET => vec![AF_INET],
            AF_INET6 => vec![AF_INET6],
            // No dumpit of its own: rtnl_dump_all() over the families.
            _ => vec![AF_INET, AF_INET6],
        };
        let mut cb = DumpCursor {
            net,
            seq,
            flags: NLM_F_MULTIPART,
            what: DumpWhat::Addr {
                families: families.clone(),
                ifindex: 0,
                netnsid: None,
            },
            next_ifindex: 0,
            ip_idx: 0,
            error: None,
        };
        if !strict {
            return cb;
        }
        let pfx = if families[0] == AF_INET {
            "ipv4"
        } else {
            "ipv6"
        };
        let fail = |cb: &mut DumpCursor, e: KError| cb.error = Some(e);
        let h = &m.header;
        if h.prefix_len != 0 || h.flags.bits() != 0 || u8::from(h.scope) != 0 {
            fail(
                &mut cb,
                KError::msg_fmt(
                    Errno::EINVAL,
                    format!("{pfx}: Invalid values in header for address dump request"),
                ),
            );
            return cb;
        }
        let mut tgt = net;
        let mut netnsid = None;
        for a in &m.attributes {
            match a {
                AddressAttribute::TargetNetNsId(id) => match self.net_by_peer_id(net, *id) {
                    Some(n) => {
                        tgt = n;
                        netnsid = Some(*id);
                    }
                    None => {
                        fail(
                            &mut cb,
                            KError::msg_fmt(
                                Errno::EINVAL,
                                format!("{pfx}: Invalid target network namespace id"),
                            ),
                        );
                        return cb;
                    }
                },
                _ => {
                    fail(
                        &mut cb,
                        KError::msg_fmt(
                            Errno::EINVAL,
                            format!("{pfx}: Unsupported attribute in dump request"),
                        ),
                    );
                    return cb;
                }
            }
        }
        cb.net = tgt;
        if h.index != 0 {
            cb.flags |= NLM_F_DUMP_FILTERED;
            if self.dev_get_by_index(tgt, h.index).is_none() {
                cb.error = Some(KError::new(Errno::ENODEV));
            }
        }
        cb.what = DumpWhat::Addr {
            families,
            ifindex: h.index,
            netnsid,
        };
        cb
    }

    /// The next address message of an address dump after the cursor.
    pub(crate) fn inet_dump_addr_next(
        &self,
        cb: &DumpCursor,
        families: &[u8],
        ifindex: u32,
        netnsid: Option<i32>,
    ) -> Option<(Vec<u8>, DumpPos)> {
        let net = self.tables.nets.get(cb.net)?;
        for (k, &family) in families.iter().enumerate() {
            let (from_idx, from_ip) = if k == 0 {
                (cb.next_ifindex, cb.ip_idx)
            } else {
                (0, 0)
            };
            let devs: Vec<(u32, DevId)> = if ifindex != 0 {
                net.by_index
                    .get(&ifindex)
                    .map(|&d| (ifindex, d))
                    .filter(|(i, _)| *i >= from_idx)
                    .into_iter()
                    .collect()
            } else {
                net.by_index
                    .range(from_idx..)
                    .map(|(&i, &d)| (i, d))
                    .collect()
            };
            for (idx, dev) in devs {
                let start = if idx == from_idx { from_ip } else { 0 };
                let Some(ifa) = self.dump_addr_at(dev, family, start) else {
                    continue;
                };
                let msg = self.addr_fill_dump(dev, &ifa, cb, netnsid);
                let pos = DumpPos {
                    ifindex: idx,
                    ip_idx: start + 1,
                    families_left: families.len() - k,
                };
                return Some((msg, pos));
            }
        }
        None
    }

    /// Address `i` of a device in a family, if the device has that
    /// family's protocol device and that many addresses.
    fn dump_addr_at(&self, dev: DevId, family: u8, i: usize) -> Option<Ifa> {
        let inet = &self.dev(dev).inet;
        if family == AF_INET {
            if !self.in_dev_exists(dev) {
                return None;
            }
            inet.ifa_list.get(i).cloned().map(Ifa::V4)
        } else {
            if !inet.v6 {
                return None;
            }
            inet.addr6.get(i).cloned().map(Ifa::V6)
        }
    }

    fn addr_fill_dump(
        &self,
        dev: DevId,
        ifa: &Ifa,
        cb: &DumpCursor,
        netnsid: Option<i32>,
    ) -> Vec<u8> {
        self.addr_fill_full(RTM_NEWADDR, dev, ifa, cb.seq, 0, cb.flags, netnsid)
    }
}
