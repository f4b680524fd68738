//! `ifnet pktgen dev X [ dst MAC ] [ count N ] [ size BYTES ]`: Linux's
//! in-kernel packet generator (net/core/pktgen.c) reduced to one run.
//!
//! One frame is built the way `fill_packet_ipv4()` builds it — Ethernet
//! header (destination `dst`, default ff:ff:ff:ff:ff:ff; source = the
//! device's address; EtherType IPv4), a 20-byte IPv4 header (TTL 32,
//! protocol UDP, header checksum as `ip_send_check` computes it), an 8-byte
//! UDP header (ports 9 → 9, checksum 0 as pktgen leaves it without
//! UDPCSUM) and the 16-byte `struct pktgen_hdr` (magic 0xbe9be955, sequence
//! number, timestamp), zero-padded — and handed to `dev_queue_xmit` `count`
//! times (default 1000, pktgen's `pg_count_d`). The buffer is reused: only
//! the sequence number is rewritten in place between frames, as
//! pktgen with `clone_skb 0` numbers every packet, so the loop allocates
//! nothing per frame.
//!
//! `size` is `pkt_size`: the bytes handed to `dev_queue_xmit` (skb->len,
//! what `tx_bytes` counts and what tshark shows as `frame.len`), **not**
//! counting the 4-byte FCS the NIC appends on a real wire — so `size 64`
//! is a 68-byte frame on copper. Like pktgen it is at least 42 (14 + 20 +
//! 8; smaller values are raised silently, as `pktgen_if_write` does), and
//! the UDP payload always holds the whole 16-byte pktgen header, so frames
//! are at least 58 bytes. The IPv4 addresses are 198.18.0.1 → 198.18.0.2
//! (RFC 2544's benchmarking range): pktgen takes them from `src_min` /
//! `dst_min`, and ifnet has no IP addresses to default to.
//!
//! The result line follows pktgen's `Result:` line in
//! /proc/net/pktgen/DEV; the microseconds are the wall time of the
//! transmit loop (informational only).

use std::time::Instant;

use ifnet_core::wire::{EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr};
use ifnet_core::DevId;

use crate::ip::util::{get_unsigned_nowrap, ll_addr_a2n, matches};
use crate::session::Session;
use crate::{duparg, invarg, Abort, Argv, IpResult};

const USAGE: &str = "Usage: ifnet pktgen dev DEVICE [ dst LLADDR ] [ count NUMBER ] [ size BYTES ]
";

/// `PKTGEN_MAGIC`.
pub const PKTGEN_MAGIC: u32 = 0xbe9b_e955;
/// `pg_count_d`: packets per run by default.
pub const DEFAULT_COUNT: u64 = 1000;
/// Default `pkt_size` (issue 3; Linux pktgen's own default is ETH_ZLEN, 60).
pub const DEFAULT_SIZE: usize = 64;
/// `pktgen_if_write("pkt_size")` raises anything below 14 + 20 + 8.
pub const MIN_SIZE: usize = 14 + 20 + 8;
/// The largest frame ifnet builds (an IPv4 total length must fit in 16 bits).
pub const MAX_SIZE: usize = 14 + 65535;
/// The most frames one run sends (a few seconds through a veth pair;
/// pktgen's own `count 0` = forever has no place in one invocation).
pub const MAX_COUNT: u64 = 1_000_000_000;
/// Frames between two looks at the interrupt flag.
const INTERRUPT_POLL_FRAMES: u64 = 1 << 16;
/// sizeof(struct pktgen_hdr): magic, seq_num, tv_sec, tv_usec.
pub const PKTGEN_HDR_LEN: usize = 16;
/// Offset of `pktgen_hdr.seq_num` in an Ethernet frame.
pub const SEQ_OFFSET: usize = 14 + 20 + 8 + 4;
/// pktgen's default UDP ports (`udp_src_min`, `udp_dst_min`: discard).
pub const UDP_PORT: u16 = 9;
/// RFC 2544 benchmarking addresses (198.18.0.0/15).
pub const SRC_IP: [u8; 4] = [198, 18, 0, 1];
pub const DST_IP: [u8; 4] = [198, 18, 0, 2];

fn usage(s: &mut Session) -> Abort {
    s.eprint(USAGE);
    Abort::Exit(255)
}

/// `ll_name_to_index()` → "Cannot find device" (ip's `return -1`, exit 1).
pub(crate) fn find_dev(s: &mut Session, name: &str) -> Result<DevId, Abort> {
    match s.k.dev_get_by_name(s.net, name) {
        Some(d) => Ok(d),
        None => {
            s.eprint(&format!("Cannot find device \"{name}\"\n"));
            Err(Abort::Ret(-1))
        }
    }
}

/// RFC 1071 Internet checksum (`ip_fast_csum` over the IPv4 header).
pub fn inet_csum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        sum += u32::from(*b) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// `fill_packet_ipv4()`: the frame pktgen sends, `size` bytes (raised to
/// hold the headers and the pktgen header), sequence number `seq`.
pub fn build_frame(src: [u8; 6], dst: [u8; 6], size: usize, seq: u32, now_ns: u64) -> Vec<u8> {
    let size = size.clamp(MIN_SIZE, MAX_SIZE);
    let datalen = (size - 14 - 20 - 8).max(PKTGEN_HDR_LEN);
    let mut buf = vec![0u8; 14 + 20 + 8 + datalen];
    let eth = EthernetRepr {
        src_addr: EthernetAddress(src),
        dst_addr: EthernetAddress(dst),
        ethertype: EthernetProtocol::Ipv4,
    };
    let mut frame = EthernetFrame::new_unchecked(&mut buf[..]);
    eth.emit(&mut frame);
    let ip = &mut frame.payload_mut()[..];
    let tot_len = (20 + 8 + datalen) as u16;
    ip[0] = 0x45; // version 4, ihl 5
    ip[1] = 0; // tos
    ip[2..4].copy_from_slice(&tot_len.to_be_bytes());
    // id 0, frag_off 0
    ip[8] = 32; // ttl
    ip[9] = 17; // IPPROTO_UDP
    ip[12..16].copy_from_slice(&SRC_IP);
    ip[16..20].copy_from_slice(&DST_IP);
    let csum = inet_csum(&ip[..20]);
    ip[10..12].copy_from_slice(&csum.to_be_bytes());
    let udp = &mut ip[20..];
    udp[0..2].copy_from_slice(&UDP_PORT.to_be_bytes());
    udp[2..4].copy_from_slice(&UDP_PORT.to_be_bytes());
    udp[4..6].copy_from_slice(&((8 + datalen) as u16).to_be_bytes());
    // udp check 0: pktgen computes it only with the UDPCSUM flag
    let pgh = &mut udp[8..];
    pgh[0..4].copy_from_slice(&PKTGEN_MAGIC.to_be_bytes());
    pgh[4..8].copy_from_slice(&seq.to_be_bytes());
    let secs = (now_ns / 1_000_000_000) as u32;
    let usecs = ((now_ns % 1_000_000_000) / 1000) as u32;
    pgh[8..12].copy_from_slice(&secs.to_be_bytes());
    pgh[12..16].copy_from_slice(&usecs.to_be_bytes());
    buf
}

/// What one run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PktgenResult {
    /// `pkt_dev->sofar`: frames the device took (NET_XMIT_SUCCESS).
    pub sent: u64,
    /// `pkt_dev->errors`: frames `dev_queue_xmit` dropped.
    pub dropped: u64,
    /// A signal stopped the run before `count` frames.
    pub interrupted: bool,
}

/// The transmit loop: `count` frames from `dev`, one buffer, the sequence
/// number rewritten in place.
pub fn xmit_loop(
    k: &mut ifnet_core::Kernel,
    dev: DevId,
    buf: &mut [u8],
    count: u64,
) -> PktgenResult {
    let mut r = PktgenResult::default();
    let mut seq = u32::from_be_bytes([
        buf[SEQ_OFFSET],
        buf[SEQ_OFFSET + 1],
        buf[SEQ_OFFSET + 2],
        buf[SEQ_OFFSET + 3],
    ]);
    for i in 0..count.min(MAX_COUNT) {
        // Ctrl-C stops the run between two bursts; what was sent counts.
        if i % INTERRUPT_POLL_FRAMES == 0 && i > 0 && crate::session::interrupt::pending() {
            r.interrupted = true;
            break;
        }
        buf[SEQ_OFFSET..SEQ_OFFSET + 4].copy_from_slice(&seq.to_be_bytes());
        seq = seq.wrapping_add(1);
        match k.dev_queue_xmit(dev, buf) {
            ifnet_core::datapath::Xmit::Sent => r.sent += 1,
            ifnet_core::datapath::Xmit::Dropped(_) => r.dropped += 1,
        }
    }
    r
}

/// What `ifnet pktgen` was asked for (each key at most once).
#[derive(Default)]
struct PktgenArgs {
    dev: Option<String>,
    dst: Option<[u8; 6]>,
    count: Option<u64>,
    size: Option<usize>,
}

/// The arguments of `ifnet pktgen`: `dev`, `dst` (`dst_mac`), `count` and
/// `size` (`pkt_size`), each once; `help` or anything else is the usage.
fn parse_pktgen_args(s: &mut Session, words: &[String]) -> Result<PktgenArgs, Abort> {
    let mut a = Argv::new(words);
    let mut args = PktgenArgs::default();
    let PktgenArgs {
        dev,
        dst,
        count,
        size,
    } = &mut args;
    while a.left() > 0 {
        let w = a.cur();
        if matches(w, "help") {
            return Err(usage(s));
        }
        let key = match w {
            "dev" => "dev",
            "dst" | "dst_mac" => "dst",
            "count" => "count",
            "size" | "pkt_size" => "size",
            _ => {
                s.eprint(&format!("ifnet: pktgen: unknown argument \"{w}\"\n"));
                return Err(usage(s));
            }
        };
        let v = a.next_arg(&mut s.err)?;
        match key {
            "dev" => {
                if dev.is_some() {
                    return Err(duparg(&mut s.err, "dev", v));
                }
                *dev = Some(v.to_string());
            }
            "dst" => {
                if dst.is_some() {
                    return Err(duparg(&mut s.err, "dst", v));
                }
                let addr = match ll_addr_a2n(v) {
                    Ok(a) => a,
                    Err(msg) => {
                        s.eprint(&format!("{msg}\n"));
                        return Err(Abort::Ret(-1));
                    }
                };
                let Ok(mac) = <[u8; 6]>::try_from(addr.as_slice()) else {
                    return Err(invarg(&mut s.err, "Invalid \"dst\" value", v));
                };
                *dst = Some(mac);
            }
            "count" => {
                if count.is_some() {
                    return Err(duparg(&mut s.err, "count", v));
                }
                // pktgen's count 0 means "forever"; one invocation must end.
                match v.parse::<u64>() {
                    Ok(n) if n > 0 => *count = Some(n),
                    _ => return Err(invarg(&mut s.err, "Invalid \"count\" value", v)),
                }
            }
            _ => {
                if size.is_some() {
                    return Err(duparg(&mut s.err, "size", v));
                }
                // ifnet's own command: "-N" is refused, not wrapped.
                match get_unsigned_nowrap(v) {
                    Some(n) if (n as usize) <= MAX_SIZE => *size = Some(n as usize),
                    _ => return Err(invarg(&mut s.err, "Invalid \"size\" value", v)),
                }
            }
        }
        a.advance();
    }
    Ok(args)
}

/// `ifnet pktgen …`.
pub fn do_pktgen(s: &mut Session, words: &[String]) -> IpResult {
    let PktgenArgs {
        dev,
        dst,
        count,
        size,
    } = parse_pktgen_args(s, words)?;
    let Some(name) = dev else {
        s.eprint("ifnet: pktgen needs \"dev DEVICE\"\n");
        return Err(usage(s));
    };
    let id = find_dev(s, &name)?;
    // What user space can read of the device: /sys/class/net/DEV/{type,address}.
    let dev_type = crate::ip::maddr::sysfs_u32(s, id, "type").unwrap_or(0);
    // pktgen_setup_dev(): "not an ethernet or loopback device".
    if dev_type != u32::from(ifnet_core::consts::ARPHRD_ETHER)
        && dev_type != u32::from(ifnet_core::consts::ARPHRD_LOOPBACK)
    {
        s.eprint(&format!(
            "Error: pktgen: \"{name}\" is not an ethernet or loopback device.\n"
        ));
        return Ok(-2);
    }
    let src =
        s.k.sysfs_read(id, "address")
            .and_then(|a| crate::ip::util::ll_addr_a2n(a.trim()).ok())
            .and_then(|a| <[u8; 6]>::try_from(a.as_slice()).ok())
            .unwrap_or([0; 6]);
    let size = size.unwrap_or(DEFAULT_SIZE);
    let count = count.unwrap_or(DEFAULT_COUNT);
    if count > MAX_COUNT {
        s.eprint(&format!(
            "Error: pktgen: count {count} is more than one run sends (at most {MAX_COUNT}).\n"
        ));
        return Ok(-2);
    }
    let mut buf = build_frame(src, dst.unwrap_or([0xff; 6]), size, 0, s.k.now().as_nanos());
    s.dirty = true;
    let t0 = Instant::now();
    let r = xmit_loop(&mut s.k, id, &mut buf, count);
    let usec = t0.elapsed().as_micros().max(1) as u64;
    if r.interrupted {
        s.eprint(&format!(
            "ifnet: pktgen interrupted after {} of {count} frames; state saved\n",
            r.sent + r.dropped
        ));
    }
    print_pktgen_result(s, &name, &r, usec, buf.len());
    Ok(0)
}

/// pktgen's "Result: OK: …" of a run of `len`-byte frames that took `usec`
/// (with -j, one JSON object).
fn print_pktgen_result(s: &mut Session, name: &str, r: &PktgenResult, usec: u64, len: usize) {
    let pps = r.sent.saturating_mul(1_000_000) / usec;
    let bps = pps.saturating_mul(len as u64 * 8);
    if s.opts.json {
        s.p.text(&format!(
            "{{\"dev\":{},\"sent\":{},\"dropped\":{},\"size\":{},\"usec\":{usec}}}\n",
            serde_json::Value::String(name.to_string()),
            r.sent,
            r.dropped,
            len
        ));
    } else {
        s.p.text(&format!(
            "Result: OK: {usec}(c{usec}+d0) usec, {} ({}byte,0frags)\n  {pps}pps {}Mb/sec ({bps}bps) errors: {}\n",
            r.sent,
            len,
            bps / 1_000_000,
            r.dropped
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// fill_packet_ipv4 + ip_send_check: the IPv4 header checksums to zero,
    /// lengths follow pkt_size, the pktgen header carries the magic.
    #[test]
    fn pktgen_fill_packet_ipv4_layout() {
        let f = build_frame([2, 0, 0, 0, 0, 1], [0xff; 6], 64, 7, 1_500_000_000);
        assert_eq!(f.len(), 64);
        assert_eq!(&f[12..14], &[0x08, 0x00]);
        assert_eq!(inet_csum(&f[14..34]), 0);
        assert_eq!(u16::from_be_bytes([f[16], f[17]]), 50);
        assert_eq!(u16::from_be_bytes([f[38], f[39]]), 30);
        assert_eq!(&f[42..46], &PKTGEN_MAGIC.to_be_bytes());
        assert_eq!(&f[SEQ_OFFSET..SEQ_OFFSET + 4], &7u32.to_be_bytes());
        assert_eq!(&f[50..54], &1u32.to_be_bytes());
        assert_eq!(&f[54..58], &500_000u32.to_be_bytes());
    }

    /// pktgen_if_write("pkt_size") raises small sizes to 42, and
    /// fill_packet_ipv4 always leaves room for the pktgen header (58).
    #[test]
    fn pktgen_pkt_size_floor() {
        assert_eq!(build_frame([2; 6], [0xff; 6], 0, 0, 0).len(), 58);
        assert_eq!(build_frame([2; 6], [0xff; 6], 60, 0, 0).len(), 60);
        assert_eq!(build_frame([2; 6], [0xff; 6], 1514, 0, 0).len(), 1514);
    }
}
