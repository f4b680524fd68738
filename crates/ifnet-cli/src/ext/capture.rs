//! `ifnet capture dev X -w FILE`, `ifnet capture stop dev X`,
//! `ifnet capture show`: a packet tap (`ptype_all`) on a device, written as
//! a pcap file the way `tcpdump -i X -w FILE` writes one on Linux.
//!
//! The kernel model keeps the frames its taps see (`dev_queue_xmit_nit`
//! on transmit, `__netif_receive_skb_core` on receive) in a bounded buffer
//! inside the state; the CLI is the user-space side of the packet socket.
//! `capture dev` writes the pcap global header (nanosecond timestamps, the
//! link type libpcap's `map_arphrd_to_dlt` picks for the device type) and
//! attaches the tap with the file's path as its tag; every invocation then
//! ends with [`drain_all`], which appends what any tap saw to its file, so
//! every frame X sends or receives, in any invocation, lands in the file.
//! `capture stop` drains and detaches; a capture whose device went away is
//! drained one last time and forgotten.
//!
//! IPoIB devices (ARPHRD_INFINIBAND) are written as LINKTYPE_LINUX_SLL:
//! libpcap has no DLT for them and falls back to a cooked socket, which
//! strips the 24-byte hard header and prepends a 16-byte SLL header
//! (`ifnet_core::wire::SllRepr::ipoib`). Device types ifnet does not
//! model are written cooked too, with the whole frame as payload.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use ifnet_core::consts::ARPHRD_INFINIBAND;
use ifnet_core::datapath::capture::CapturedFrame;
use ifnet_core::wire::ipoib::InfinibandAddress;
use ifnet_core::wire::{
    ipoib_rx_pkt_type, linktype, EthernetProtocol, IpoibHardFrame, LinkType, PacketType, SllFrame,
    SllRepr,
};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};

use crate::ext::pktgen::find_dev;
use crate::ip::util::matches;
use crate::session::Session;
use crate::{duparg, Abort, Argv, IpResult};

const USAGE: &str = "Usage: ifnet capture dev DEVICE -w FILE
       ifnet capture stop dev DEVICE
       ifnet capture show
";

/// tcpdump's default snapshot length (MAXIMUM_SNAPLEN).
pub const SNAPLEN: u32 = 262_144;
/// Bytes of a pcap global header.
const PCAP_HDR_LEN: usize = 24;

fn usage(s: &mut Session) -> Abort {
    s.eprint(USAGE);
    Abort::Exit(255)
}

/// The pcap LINKTYPE a capture on a device of type `dev_type` is written
/// with (cooked for types ifnet does not model, as libpcap falls back).
pub fn pcap_linktype(dev_type: u16) -> u32 {
    LinkType::from_arphrd(dev_type)
        .map(LinkType::pcap_linktype)
        .unwrap_or(linktype::LINUX_SLL)
}

/// The pcap global header ifnet writes: native byte order, nanosecond
/// timestamps (the virtual clock is in ns), tcpdump's snaplen.
pub fn pcap_header(dev_type: u16) -> PcapHeader {
    PcapHeader {
        version_major: 2,
        version_minor: 4,
        ts_correction: 0,
        ts_accuracy: 0,
        snaplen: SNAPLEN,
        datalink: DataLink::from(pcap_linktype(dev_type)),
        ts_resolution: TsResolution::NanoSecond,
        endianness: Endianness::native(),
    }
}

/// The record bytes of one captured frame: the frame itself, or for a
/// cooked link type an SLL header and the frame without its hard header.
pub fn pcap_record<'a>(dev_type: u16, f: &'a CapturedFrame, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    if pcap_linktype(dev_type) != linktype::LINUX_SLL {
        return &f.data;
    }
    let (repr, payload) = if dev_type == ARPHRD_INFINIBAND {
        match IpoibHardFrame::new_checked(&f.data[..]) {
            Ok(h) => {
                let pkt_type = if f.outgoing {
                    PacketType::Outgoing
                } else {
                    let dst = h.hwaddr();
                    ipoib_rx_pkt_type(&dst, &InfinibandAddress::broadcast(dst.pkey()))
                };
                (
                    SllRepr::ipoib(pkt_type, h.ethertype()),
                    &f.data[ifnet_core::wire::ipoib::HARD_HEADER_LEN..],
                )
            }
            // Shorter than the hard header: keep the bytes, protocol unknown.
            Err(_) => (
                SllRepr::ipoib(io_pkt_type(f), EthernetProtocol::Unknown(0)),
                &f.data[..],
            ),
        }
    } else {
        (
            SllRepr::new(io_pkt_type(f), dev_type, &[], EthernetProtocol::Unknown(0)),
            &f.data[..],
        )
    };
    scratch.clear();
    scratch.resize(repr.buffer_len(), 0);
    repr.emit(&mut SllFrame::new_unchecked(&mut scratch[..]));
    scratch.extend_from_slice(payload);
    scratch
}

fn io_pkt_type(f: &CapturedFrame) -> PacketType {
    if f.outgoing {
        PacketType::Outgoing
    } else {
        PacketType::Host
    }
}

/// Where a capture writes, as the state records it: the path and the
/// identity of the file `capture dev` created there. A later invocation
/// writes only to that very file, still owned by the same user — never to
/// whatever the path (or a planted state) names now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureFile {
    pub dev: u64,
    pub ino: u64,
    pub uid: u32,
    pub path: String,
}

impl CaptureFile {
    /// The tag the kernel model keeps for the tap.
    pub fn to_tag(&self) -> String {
        format!("pcap:{}:{}:{}:{}", self.dev, self.ino, self.uid, self.path)
    }

    /// The inverse of [`CaptureFile::to_tag`]; None for anything else.
    pub fn from_tag(tag: &str) -> Option<CaptureFile> {
        let rest = tag.strip_prefix("pcap:")?;
        let mut it = rest.splitn(4, ':');
        let dev = it.next()?.parse().ok()?;
        let ino = it.next()?.parse().ok()?;
        let uid = it.next()?.parse().ok()?;
        let path = it.next()?.to_string();
        Some(CaptureFile {
            dev,
            ino,
            uid,
            path,
        })
    }
}

/// The path a tag names, for messages.
fn tag_path(tag: &str) -> String {
    CaptureFile::from_tag(tag)
        .map(|c| c.path)
        .unwrap_or_else(|| tag.to_string())
}

/// open() flags for capture files: never through a symlink in the last
/// component, never blocking on a FIFO or device.
fn capture_flags() -> rustix::fs::OFlags {
    use rustix::fs::OFlags;
    OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC
}

/// A regular file owned by the caller, or why not.
fn check_own_regular(f: &std::fs::File) -> std::io::Result<std::fs::Metadata> {
    use std::os::unix::fs::MetadataExt;
    let md = f.metadata()?;
    if !md.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if md.uid() != crate::session::statefs::euid() {
        return Err(std::io::Error::other(format!(
            "owned by uid {}, not by you",
            md.uid()
        )));
    }
    Ok(md)
}

/// Creates `path` (or truncates a regular file of the caller's there) with
/// the global header for `dev_type`, as tcpdump -w does, but never through
/// a symlink and never into someone else's file.
pub fn pcap_create(path: &Path, dev_type: u16) -> std::io::Result<CaptureFile> {
    use rustix::fs::{Mode, OFlags};
    use std::os::unix::fs::MetadataExt;
    let flags = OFlags::WRONLY | OFlags::CREATE | capture_flags();
    let fd = rustix::fs::open(path, flags, Mode::from_raw_mode(0o644)).map_err(|e| match e {
        rustix::io::Errno::LOOP => std::io::Error::other("is a symbolic link; not followed"),
        e => e.into(),
    })?;
    let file = std::fs::File::from(fd);
    let md = check_own_regular(&file)?;
    file.set_len(0)?;
    let w = PcapWriter::with_header(file, pcap_header(dev_type)).map_err(std::io::Error::other)?;
    w.into_writer().sync_data()?;
    // Later invocations may run elsewhere: the absolute path.
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(CaptureFile {
        dev: md.dev(),
        ino: md.ino(),
        uid: md.uid(),
        path: abs.to_string_lossy().into_owned(),
    })
}

/// Opens the file a capture started with, and only that file.
fn open_capture(c: &CaptureFile) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::MetadataExt;
    let flags = rustix::fs::OFlags::RDWR | capture_flags();
    let fd = rustix::fs::open(&c.path, flags, rustix::fs::Mode::empty())?;
    let file = std::fs::File::from(fd);
    let md = check_own_regular(&file)?;
    if md.dev() != c.dev || md.ino() != c.ino || md.uid() != c.uid {
        return Err(std::io::Error::other(
            "no longer the file this capture created",
        ));
    }
    Ok(file)
}

/// Appends frames to the capture's pcap file, in the byte order, timestamp
/// resolution and snaplen its global header declares (an emptied file gets
/// a fresh header for `dev_type`). Returns the records written.
pub fn pcap_append(
    c: &CaptureFile,
    dev_type: u16,
    frames: &[CapturedFrame],
) -> std::io::Result<usize> {
    let mut file = open_capture(c)?;
    let mut hdr = [0u8; PCAP_HDR_LEN];
    let have = file.read(&mut hdr)?;
    let (header, fresh) = if have == 0 {
        (pcap_header(dev_type), true)
    } else {
        if have < PCAP_HDR_LEN {
            file.read_exact(&mut hdr[have..])?;
        }
        let (_, h) = PcapHeader::from_slice(&hdr).map_err(std::io::Error::other)?;
        (h, false)
    };
    // PcapWriter writes the header first; keep it only for a fresh file.
    let mut w =
        PcapWriter::with_header(Vec::with_capacity(PCAP_HDR_LEN + frames.len() * 96), header)
            .map_err(std::io::Error::other)?;
    let mut scratch = Vec::new();
    for f in frames {
        let rec = pcap_record(dev_type, f, &mut scratch);
        let incl = rec.len().min(header.snaplen as usize);
        let pkt = PcapPacket::new(
            Duration::from_nanos(f.ts.as_nanos()),
            rec.len() as u32,
            &rec[..incl],
        );
        w.write_packet(&pkt).map_err(std::io::Error::other)?;
    }
    let bytes = w.into_writer();
    let skip = if fresh { 0 } else { PCAP_HDR_LEN };
    file.seek(SeekFrom::End(0))?;
    file.write_all(&bytes[skip..])?;
    Ok(frames.len())
}

/// The end of every invocation: every tap's frames go to its file. A tap
/// whose device went away is drained and forgotten. Marks the state dirty
/// when a buffer was emptied (the frames must not be written twice).
pub fn drain_all(s: &mut Session) {
    for dev in s.k.capture_devices() {
        let Some(c) = s.k.capture_drain(dev) else {
            continue;
        };
        if c.frames.is_empty() && c.dropped == 0 && !c.ended {
            continue;
        }
        s.dirty = true;
        report(s, &c.tag, c.dev_type, &c.frames, c.dropped);
    }
}

fn report(s: &mut Session, tag: &str, dev_type: u16, frames: &[CapturedFrame], dropped: u64) {
    let path = tag_path(tag);
    let written = match CaptureFile::from_tag(tag) {
        Some(c) => pcap_append(&c, dev_type, frames),
        None => Err(std::io::Error::other(
            "the state names no capture file ifnet created",
        )),
    };
    if let Err(e) = written {
        s.eprint(&format!(
            "ifnet: capture: cannot write {} frames to {path}: {e}\n",
            frames.len()
        ));
    }
    if dropped > 0 {
        s.eprint(&format!(
            "ifnet: capture: {dropped} frames dropped for {path} (buffer full)\n"
        ));
    }
}

/// `ifnet capture …`.
pub fn do_capture(s: &mut Session, words: &[String]) -> IpResult {
    match words.first().map(String::as_str) {
        None => Err(usage(s)),
        Some(w) if matches(w, "help") => Err(usage(s)),
        Some(w) if matches(w, "stop") => capture_stop(s, &words[1..]),
        Some(w) if matches(w, "show") || matches(w, "list") => capture_show(s),
        Some("start") => capture_start(s, &words[1..]),
        Some(_) => capture_start(s, words),
    }
}

fn capture_start(s: &mut Session, words: &[String]) -> IpResult {
    let mut a = Argv::new(words);
    let (mut dev, mut file) = (None::<String>, None::<String>);
    while a.left() > 0 {
        let w = a.cur();
        let v = match w {
            "dev" | "-i" | "-w" | "file" | "write" => a.next_arg(&mut s.err)?.to_string(),
            w if matches(w, "help") => return Err(usage(s)),
            _ => {
                s.eprint(&format!("ifnet: capture: unknown argument \"{w}\"\n"));
                return Err(usage(s));
            }
        };
        let slot = if matches!(w, "dev" | "-i") {
            ("dev", &mut dev)
        } else {
            ("-w", &mut file)
        };
        if slot.1.is_some() {
            return Err(duparg(&mut s.err, slot.0, &v));
        }
        *slot.1 = Some(v);
        a.advance();
    }
    let (Some(name), Some(file)) = (dev, file) else {
        s.eprint("ifnet: capture needs \"dev DEVICE\" and \"-w FILE\"\n");
        return Err(usage(s));
    };
    let id = find_dev(s, &name)?;
    if let Some(tag) = s.k.capture_tag(id) {
        let tag = tag_path(tag);
        s.eprint(&format!(
            "Error: a capture is already attached to \"{name}\" (writing {tag}).\n"
        ));
        return Ok(-2);
    }
    let dev_type = crate::ip::maddr::sysfs_u32(s, id, "type")
        .and_then(|t| u16::try_from(t).ok())
        .unwrap_or(0);
    let target = match pcap_create(Path::new(&file), dev_type) {
        Ok(t) => t,
        Err(e) => {
            s.eprint(&format!("ifnet: capture: {file}: {e}\n"));
            return Ok(-1);
        }
    };
    s.dirty = true;
    s.k.capture_start(id, &target.to_tag());
    Ok(0)
}

fn capture_stop(s: &mut Session, words: &[String]) -> IpResult {
    let name = match words {
        [d, name] if d == "dev" => name.clone(),
        [name] if name != "dev" => name.clone(),
        [d] if d == "dev" => return Err(crate::incomplete(&mut s.err)),
        _ => return Err(usage(s)),
    };
    let id = find_dev(s, &name)?;
    let Some(c) = s.k.capture_stop(id) else {
        s.eprint(&format!("Error: no capture is attached to \"{name}\".\n"));
        return Ok(-2);
    };
    s.dirty = true;
    report(s, &c.tag, c.dev_type, &c.frames, c.dropped);
    Ok(0)
}

fn capture_show(s: &mut Session) -> IpResult {
    let mut out = String::new();
    for dev in s.k.capture_devices() {
        let Some(tag) = s.k.capture_tag(dev) else {
            continue;
        };
        let tag = tag_path(tag);
        let name =
            s.k.netdev_name(dev)
                .map(str::to_string)
                .unwrap_or_else(|| "(gone)".into());
        out += &format!("{name}: {tag}\n");
    }
    s.p.text(&out);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ifnet_core::wire::IpoibHardRepr;

    /// libpcap map_arphrd_to_dlt: Ethernet and loopback → EN10MB, NONE →
    /// RAW, INFINIBAND and unknown types → cooked (LINUX_SLL).
    #[test]
    fn capture_linktype_map_arphrd_to_dlt() {
        assert_eq!(pcap_linktype(1), 1);
        assert_eq!(pcap_linktype(772), 1);
        assert_eq!(pcap_linktype(0xfffe), 101);
        assert_eq!(pcap_linktype(32), 113);
        assert_eq!(pcap_linktype(776), 113);
    }

    /// packet_rcv on a SOCK_DGRAM socket for ib0 (dev_queue_xmit_nit on
    /// transmit): the 24-byte hard header is stripped and libpcap prepends
    /// sll_header { pkttype 4, hatype 32, halen 0, protocol 0x0800 }.
    #[test]
    fn capture_ipoib_record_is_cooked() {
        let mut frame = vec![0u8; 24 + 4];
        IpoibHardRepr {
            dst_addr: InfinibandAddress::broadcast(0xffff),
            ethertype: EthernetProtocol::Ipv4,
        }
        .emit(&mut IpoibHardFrame::new_unchecked(&mut frame[..]));
        frame[24..].copy_from_slice(&[0x45, 0, 0, 4]);
        let f = CapturedFrame {
            ts: ifnet_core::time::Instant::BOOT,
            outgoing: true,
            data: frame.clone(),
        };
        let mut scratch = Vec::new();
        let rec = pcap_record(32, &f, &mut scratch).to_vec();
        assert_eq!(
            rec,
            [0, 4, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0x45, 0, 0, 4]
        );
        // Received: the pseudo header is zero → PACKET_HOST.
        let f = CapturedFrame {
            ts: ifnet_core::time::Instant::BOOT,
            outgoing: false,
            data: {
                let mut d = frame;
                d[..20].fill(0);
                d
            },
        };
        assert_eq!(&pcap_record(32, &f, &mut scratch)[..2], &[0, 0]);
    }
}
