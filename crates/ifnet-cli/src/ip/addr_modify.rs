//! `ipaddr_modify()` (ip/ipaddress.c): `ip address add|change|replace|del`
//! built into one RTM_NEWADDR / RTM_DELADDR as iproute2 6.1 builds it (its
//! argument loop, the attribute order, the 280-byte request, the default
//! scope, `brd +`/`brd -`, the lifetime checks), and `ipaddr_flush()`:
//! rounds of "dump, then delete what the filter keeps" until nothing is
//! left (ten at most), errors other than EADDRNOTAVAIL reported.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope, CacheInfo,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::ip::addr_parse::{get_addr, get_prefix, rtscope_a2n, InetPrefix};
use crate::ip::addr_parse::{AF_INET, AF_INET6, AF_UNSPEC, PREFIXLEN_SPECIFIED};
use crate::ip::ipaddress::{ip_addr_list, primary_only, IPADDR_USAGE};
use crate::ip::print_addr::{
    label_rejects, lookup_flag, prefix_rejects, print_addrinfo, AddrAttrs, AddrFilter,
    IFA_F_MCAUTOJOIN,
};
use crate::ip::util::{addattr_l, get_unsigned, matches};
use crate::session::Session;
use crate::{duparg, duparg2, invarg, Abort, Argv, IpResult};

pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
/// sizeof the request: nlmsghdr + ifaddrmsg + buf[256].
const REQ_MAX: usize = 16 + 8 + 256;
const INFINITY: u32 = u32::MAX;
/// ip.c's `max_flush_loops`.
const MAX_FLUSH_LOOPS: u32 = 10;

fn ip_of(p: &InetPrefix) -> IpAddr {
    if p.family == AF_INET6 {
        IpAddr::V6(Ipv6Addr::from(p.data))
    } else {
        IpAddr::V4(Ipv4Addr::new(p.data[0], p.data[1], p.data[2], p.data[3]))
    }
}

/// What the loop collected.
#[derive(Default)]
struct Modify {
    m: AddressMessage,
    /// `nlmsg_len` of the request being built.
    len: usize,
    dev: Option<String>,
    lcl: InetPrefix,
    lcl_arg: Option<String>,
    local_len: u8,
    peer: Option<InetPrefix>,
    /// 0: none, >0 an address, -1 `+`, -2 `-`.
    brd_len: i32,
    any_len: u8,
    scoped: bool,
    valid: Option<u32>,
    preferred: Option<u32>,
    flags: u32,
}

impl Modify {
    fn family(&self) -> u8 {
        u8::from(self.m.header.family)
    }

    fn set_family(&mut self, f: u8) {
        if self.family() == AF_UNSPEC {
            self.m.header.family = AddressFamily::from(f);
        }
    }

    /// `addattr_l()` within the request's bound.
    fn put(&mut self, err: &mut Vec<u8>, a: AddressAttribute, alen: usize) {
        if addattr_l(err, &mut self.len, REQ_MAX, alen) {
            self.m.attributes.push(a);
        }
    }
}

/// `set_lifetime()`.
fn set_lifetime(arg: &str) -> Option<u32> {
    if arg == "forever" {
        Some(INFINITY)
    } else {
        get_unsigned(arg)
    }
}

/// `peer PREFIX` (`remote`): IFA_ADDRESS and the prefix length.
fn modify_peer(s: &mut Session, r: &mut Modify, v: &str) -> Result<(), Abort> {
    if r.peer.is_some() {
        return Err(duparg(&mut s.err, "peer", v));
    }
    let p = get_prefix(s, v, r.family())?;
    r.set_family(p.family);
    r.put(
        &mut s.err,
        AddressAttribute::Address(ip_of(&p)),
        p.bytelen.into(),
    );
    r.m.header.prefix_len = p.bitlen.max(0) as u8;
    r.peer = Some(p);
    Ok(())
}

/// `broadcast ADDR` (`brd`; `+` and `-` are computed from the prefix).
fn modify_broadcast(s: &mut Session, r: &mut Modify, v: &str) -> Result<(), Abort> {
    if r.brd_len != 0 {
        return Err(duparg(&mut s.err, "broadcast", v));
    }
    if v == "+" {
        r.brd_len = -1;
    } else if v == "-" {
        r.brd_len = -2;
    } else {
        let p = get_addr(s, v, r.family())?;
        r.set_family(p.family);
        if let IpAddr::V4(b) = ip_of(&p) {
            r.put(&mut s.err, AddressAttribute::Broadcast(b), 4);
        } else {
            // An IPv6 "broadcast": IFA_BROADCAST with 16 bytes,
            // which ifa_ipv4_policy never sees (inet6 ignores it).
            r.len += 20;
        }
        r.brd_len = i32::from(p.bytelen);
    }
    Ok(())
}

/// `anycast ADDR`: IFA_ANYCAST (an IPv4 one is counted, not sent).
fn modify_anycast(s: &mut Session, r: &mut Modify, v: &str) -> Result<(), Abort> {
    if r.any_len != 0 {
        return Err(duparg(&mut s.err, "anycast", v));
    }
    let p = get_addr(s, v, r.family())?;
    r.set_family(p.family);
    match ip_of(&p) {
        IpAddr::V6(x) => r.put(&mut s.err, AddressAttribute::Anycast(x), 16),
        IpAddr::V4(_) => r.len += 8,
    }
    r.any_len = p.bytelen;
    Ok(())
}

/// A flag word of `ifa_flag_names` (`home`, `nodad`, …): set, or the
/// warning ip prints for a read-only or IPv6-only one.
fn modify_flag(
    s: &mut Session,
    r: &mut Modify,
    name: &str,
    mask: u32,
    readonly: bool,
    v6only: bool,
) {
    if readonly {
        s.eprint(&format!(
            "Warning: {name} option is not mutable from userspace\n"
        ));
    } else if v6only && r.family() != AF_INET6 {
        s.eprint(&format!(
            "Warning: {name} option can be set only for IPv6 addresses\n"
        ));
    } else {
        r.flags |= mask;
    }
}

/// The local address (`local PREFIX`, or the bare word): IFA_LOCAL; `help`
/// prints the usage.
fn modify_local(s: &mut Session, r: &mut Modify, w: &str) -> Result<(), Abort> {
    if matches(w, "help") {
        s.eprint(IPADDR_USAGE);
        return Err(Abort::Exit(255));
    }
    if r.local_len != 0 {
        return Err(duparg2(&mut s.err, "local", w));
    }
    let p = get_prefix(s, w, r.family())?;
    r.set_family(p.family);
    r.put(
        &mut s.err,
        AddressAttribute::Local(ip_of(&p)),
        p.bytelen.into(),
    );
    r.local_len = p.bytelen;
    r.lcl = p;
    r.lcl_arg = Some(w.to_string());
    Ok(())
}

/// The argument loop of `ipaddr_modify()`.
fn parse_modify(s: &mut Session, words: &[String], r: &mut Modify) -> Result<(), Abort> {
    let mut a = Argv::new(words);
    while a.left() > 0 {
        let w = a.cur();
        if w == "peer" || w == "remote" {
            let v = a.next_arg(&mut s.err)?;
            modify_peer(s, r, v)?;
        } else if matches(w, "broadcast") || w == "brd" {
            let v = a.next_arg(&mut s.err)?;
            modify_broadcast(s, r, v)?;
        } else if w == "anycast" {
            let v = a.next_arg(&mut s.err)?;
            modify_anycast(s, r, v)?;
        } else if w == "scope" {
            let v = a.next_arg(&mut s.err)?;
            let sc = rtscope_a2n(v).ok_or_else(|| invarg(&mut s.err, "invalid scope value.", v))?;
            r.m.header.scope = AddressScope::from(sc);
            r.scoped = true;
        } else if w == "dev" {
            r.dev = Some(a.next_arg(&mut s.err)?.to_string());
        } else if w == "label" {
            let v = a.next_arg(&mut s.err)?;
            r.put(
                &mut s.err,
                AddressAttribute::Label(v.to_string()),
                v.len() + 1,
            );
        } else if matches(w, "metric") || matches(w, "priority") || matches(w, "preference") {
            let v = a.next_arg(&mut s.err)?;
            let m = get_unsigned(v)
                .ok_or_else(|| invarg(&mut s.err, "\"metric\" value is invalid\n", v))?;
            r.put(&mut s.err, AddressAttribute::RoutePriority(m), 4);
        } else if matches(w, "valid_lft") {
            if r.valid.is_some() {
                return Err(duparg(&mut s.err, "valid_lft", w));
            }
            let v = a.next_arg(&mut s.err)?;
            r.valid =
                Some(set_lifetime(v).ok_or_else(|| invarg(&mut s.err, "valid_lft value", v))?);
        } else if matches(w, "preferred_lft") {
            if r.preferred.is_some() {
                return Err(duparg(&mut s.err, "preferred_lft", w));
            }
            let v = a.next_arg(&mut s.err)?;
            r.preferred =
                Some(set_lifetime(v).ok_or_else(|| invarg(&mut s.err, "preferred_lft value", v))?);
        } else if let Some((name, mask, readonly, v6only)) = lookup_flag(w) {
            modify_flag(s, r, name, mask, readonly, v6only);
        } else {
            let mut w = w;
            if w == "local" {
                w = a.next_arg(&mut s.err)?;
            }
            modify_local(s, r, w)?;
        }
        a.advance();
    }
    Ok(())
}

/// `ipaddr_modify(cmd, flags, argc, argv)`.
pub fn ipaddr_modify(s: &mut Session, cmd: u16, nl_flags: u16, words: &[String]) -> IpResult {
    let mut r = Modify {
        len: 16 + 8,
        ..Modify::default()
    };
    r.m.header.family = AddressFamily::from(s.opts.family);
    parse_modify(s, words, &mut r)?;
    if r.flags <= 0xff {
        r.m.header.flags = AddressHeaderFlags::from_bits_retain(r.flags as u8);
    } else {
        let f = AddressAttribute::Flags(AddressFlags::from_bits_retain(r.flags));
        r.put(&mut s.err, f, 4);
    }
    let Some(dev) = r.dev.clone() else {
        s.eprint("Not enough information: \"dev\" argument is required.\n");
        return Ok(-1);
    };
    finish_request(s, cmd, &mut r)?;
    if r.m.header.prefix_len == 0 {
        r.m.header.prefix_len = r.lcl.bitlen.max(0) as u8;
    }
    if r.brd_len < 0 && cmd != RTM_DELADDR {
        if r.family() != AF_INET {
            s.eprint("Broadcast can be set only for IPv4 addresses\n");
            return Ok(-1);
        }
        brd_from_peer(s, &mut r);
    }
    if !r.scoped && cmd != RTM_DELADDR {
        let host = r.lcl.family == AF_INET && r.lcl.bytelen >= 1 && r.lcl.data[0] == 127;
        r.m.header.scope = AddressScope::from(if host { 254 } else { 0 });
    }
    r.m.header.index = s.ll_name_to_index(&dev);
    if r.m.header.index == 0 {
        s.eprint(&format!("Cannot find device \"{dev}\"\n"));
        return Ok(-1);
    }
    if r.valid.is_some() || r.preferred.is_some() {
        let (valid, preferred) = (r.valid.unwrap_or(INFINITY), r.preferred.unwrap_or(INFINITY));
        if valid == 0 {
            s.eprint("valid_lft is zero\n");
            return Ok(-1);
        }
        if valid < preferred {
            s.eprint("preferred_lft is greater than valid_lft\n");
            return Ok(-1);
        }
        let mut ci = CacheInfo::default();
        ci.ifa_valid = valid;
        ci.ifa_preferred = preferred;
        r.put(&mut s.err, AddressAttribute::CacheInfo(ci), 16);
    }
    if r.flags & IFA_F_MCAUTOJOIN != 0 && !ip_of(&r.lcl).is_multicast() {
        s.eprint("autojoin needs multicast address\n");
        return Ok(-1);
    }
    let inner = if cmd == RTM_DELADDR {
        RouteNetlinkMessage::DelAddress(r.m)
    } else {
        RouteNetlinkMessage::NewAddress(r.m)
    };
    if s.opts.echo {
        return match s.echo_talk(inner, nl_flags) {
            Ok(answer) => {
                print_echo(s, &answer);
                Ok(0)
            }
            Err(_) => Ok(-2),
        };
    }
    match s.talk(inner, nl_flags, false, true) {
        Ok(_) => Ok(0),
        Err(_) => Ok(-2),
    }
}

/// `rtnl_echo_talk(…, print_addrinfo)`: the answer's first message (an
/// IPv4 address's RTM_NEWADDR/DELADDR, reported back because the request
/// carried NLM_F_ECHO; for IPv6 only the ack, which prints nothing) through
/// the process's `filter`, in a JSON array of one object with `-j`.
fn print_echo(s: &mut Session, answer: &[u8]) {
    s.p.new_json_obj();
    s.p.open_object(None);
    let first = ifnet_core::client::split_messages(answer).next();
    let msg = first.and_then(|m| NetlinkMessage::<RouteNetlinkMessage>::deserialize(m).ok());
    let f = s.addr_filter.clone();
    match msg.map(|m| m.payload) {
        Some(NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(m))) => {
            crate::ip::print_addr::print_addrinfo(s, &m, false, &f);
        }
        Some(NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelAddress(m))) => {
            crate::ip::print_addr::print_addrinfo(s, &m, true, &f);
        }
        _ => {}
    }
    s.p.close_object();
    s.p.delete_json_obj();
}

/// IFA_ADDRESS from the local address (or the wildcard-deletion warning).
fn finish_request(s: &mut Session, cmd: u16, r: &mut Modify) -> Result<(), Abort> {
    if r.peer.is_none() && r.local_len != 0 {
        if cmd == RTM_DELADDR && r.lcl.family == AF_INET && r.lcl.flags & PREFIXLEN_SPECIFIED == 0 {
            let arg = r.lcl_arg.clone().unwrap_or_default();
            s.eprint(&format!(
                "Warning: Executing wildcard deletion to stay compatible with old scripts.\n         Explicitly specify the prefix length ({arg}/{}) to avoid this warning.\n         This special behaviour is likely to disappear in further releases,\n         fix your scripts!\n",
                u32::from(r.local_len) * 8
            ));
        } else {
            r.peer = Some(r.lcl);
            let a = AddressAttribute::Address(ip_of(&r.lcl));
            r.put(&mut s.err, a, r.lcl.bytelen.into());
        }
    }
    Ok(())
}

/// `brd +` / `brd -`: the peer prefix with its host bits set or cleared
/// (nothing for prefixes longer than /30).
fn brd_from_peer(s: &mut Session, r: &mut Modify) {
    let brd = r.peer.unwrap_or_default();
    if brd.bitlen > 30 {
        return;
    }
    let mut v = u32::from_be_bytes([brd.data[0], brd.data[1], brd.data[2], brd.data[3]]);
    let host = if brd.bitlen <= 0 {
        u32::MAX
    } else {
        u32::MAX >> brd.bitlen
    };
    if r.brd_len == -1 {
        v |= host;
    } else {
        v &= !host;
    }
    r.put(
        &mut s.err,
        AddressAttribute::Broadcast(Ipv4Addr::from(v)),
        4,
    );
    r.brd_len = 4;
}

/// Whether `print_addrinfo()`'s filters keep `m` (the flush selects with
/// them).
fn flush_keeps(s: &mut Session, m: &AddressMessage, f: &AddrFilter) -> bool {
    let t = AddrAttrs::of(m);
    let h = &m.header;
    let local = t.local.as_deref().or(t.address.as_deref());
    !(f.ifindex != 0 && f.ifindex != h.index
        || (f.scope ^ u8::from(h.scope)) & f.scopemask != 0
        || (f.flags ^ t.ifa_flags(m)) & f.flagmask != 0
        || f.family != 0 && f.family != u8::from(h.family)
        || label_rejects(s, f, h.index, t.label.as_deref())
        || prefix_rejects(f, local))
}

/// `ipaddr_flush()`.
pub fn ipaddr_flush(s: &mut Session, f: &AddrFilter) -> IpResult {
    let stats = s.opts.stats;
    for round in 0..MAX_FLUSH_LOOPS {
        let Some(addrs) = ip_addr_list(s, f.family, f.ifindex) else {
            s.eprint("Flush terminated\n");
            return Err(Abort::Exit(1));
        };
        let mut doomed = Vec::new();
        for m in addrs {
            if !flush_keeps(s, &m, f) {
                continue;
            }
            if stats >= 2 {
                let mut pf = f.clone();
                pf.oneline = true;
                print_addrinfo(s, &m, false, &pf);
            }
            doomed.push(m);
        }
        if doomed.is_empty() {
            flush_done(s, round);
            return Ok(0);
        }
        let n = doomed.len();
        if let Err(errno) = s.send_deladdrs(doomed) {
            if errno != 99 {
                s.eprint(&format!(
                    "Failed to send flush request: {}\n",
                    crate::ip::util::strerror(errno)
                ));
                return Ok(1);
            }
        }
        if stats > 0 {
            s.p.text(&format!(
                "\n*** Round {}, deleting {n} addresses ***\n",
                round + 1
            ));
        }
        if primary_only(f) {
            flush_done(s, round + 1);
            return Ok(0);
        }
    }
    s.eprint(&format!(
        "*** Flush remains incomplete after {MAX_FLUSH_LOOPS} rounds. ***\n"
    ));
    Ok(1)
}

fn flush_done(s: &mut Session, round: u32) {
    if s.opts.stats > 0 {
        if round == 0 {
            s.p.text("Nothing to flush.\n");
        } else {
            let pl = if round > 1 { "s" } else { "" };
            s.p.text(&format!(
                "*** Flush is complete after {round} round{pl} ***\n"
            ));
        }
    }
}
