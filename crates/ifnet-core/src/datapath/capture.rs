//! Packet taps (`ptype_all`): a capture attached to a device sees every
//! frame it sends (`dev_queue_xmit_nit`) and receives
//! (`__netif_receive_skb_core`), with the virtual time. The model keeps the
//! frames in a bounded buffer; the CLI drains them into a pcap file.

use crate::chunked::Chunked;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::time::Instant;
use serde::{Deserialize, Serialize};

/// Bound on frames buffered per capture between two drains; beyond it
/// frames are counted as dropped, like a full packet-socket buffer.
pub const CAPTURE_BUFFER_FRAMES: usize = 1 << 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedFrame {
    #[serde(rename = "ts_ns")]
    pub ts: Instant,
    /// Sent by the device (PACKET_OUTGOING) rather than received.
    pub outgoing: bool,
    pub data: Vec<u8>,
}

/// What a drain or a stop hands out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    /// What the user-space side attached to this capture (the CLI keeps
    /// the pcap file path here so any later invocation can append to it).
    pub tag: String,
    /// ARPHRD type when the capture started (decides the pcap link type).
    pub dev_type: u16,
    pub frames: Vec<CapturedFrame>,
    pub dropped: u64,
    /// The device went away: the capture ended.
    pub ended: bool,
}

/// A capture as the kernel keeps it: its frames in `Arc`-shared chunks,
/// so that a kernel's clone does not copy them (`chunked.rs`). On disk it
/// has `Capture`'s shape.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct CaptureBuf {
    pub tag: String,
    pub dev_type: u16,
    pub frames: Chunked<CapturedFrame>,
    pub dropped: u64,
    pub ended: bool,
}

impl Kernel {
    pub(crate) fn captures_active(&self) -> bool {
        !self.obs.captures.is_empty()
    }

    pub(crate) fn capture_frame(&mut self, dev: DevId, frame: &[u8], outgoing: bool) {
        let now = self.now;
        if let Some(c) = self.obs.captures.get_mut(&dev) {
            if c.ended {
                return;
            }
            if c.frames.len() >= CAPTURE_BUFFER_FRAMES {
                c.dropped += 1;
                return;
            }
            c.frames.push_back(CapturedFrame {
                ts: now,
                outgoing,
                data: frame.to_vec(),
            });
        }
    }

    /// Attaches a capture labelled `tag`; false if one is already attached.
    pub fn capture_start(&mut self, dev: DevId, tag: &str) -> bool {
        if self.obs.captures.contains_key(&dev) || self.try_dev(dev).is_none() {
            return false;
        }
        let dev_type = self.dev(dev).dev_type;
        self.obs.captures.insert(
            dev,
            CaptureBuf {
                tag: tag.to_string(),
                dev_type,
                ..CaptureBuf::default()
            },
        );
        true
    }

    /// The tag of the capture on `dev`, if any.
    pub fn capture_tag(&self, dev: DevId) -> Option<&str> {
        self.obs.captures.get(&dev).map(|c| c.tag.as_str())
    }

    /// Takes the frames captured so far.
    pub fn capture_drain(&mut self, dev: DevId) -> Option<Capture> {
        let c = self.obs.captures.get_mut(&dev)?;
        let out = Capture {
            tag: c.tag.clone(),
            dev_type: c.dev_type,
            frames: c.frames.take_all(),
            dropped: std::mem::take(&mut c.dropped),
            ended: c.ended,
        };
        if c.ended {
            self.obs.captures.remove(&dev);
        }
        Some(out)
    }

    /// Detaches a capture, returning what it had not yet handed out.
    pub fn capture_stop(&mut self, dev: DevId) -> Option<Capture> {
        let mut c = self.obs.captures.remove(&dev)?;
        Some(Capture {
            frames: c.frames.take_all(),
            tag: c.tag,
            dev_type: c.dev_type,
            dropped: c.dropped,
            ended: c.ended,
        })
    }

    /// Every device with a capture attached (or ended and not yet drained).
    pub fn capture_devices(&self) -> Vec<DevId> {
        self.obs.captures.keys().copied().collect()
    }

    /// Called at unregister: the capture ends with the device.
    pub(crate) fn capture_dev_gone(&mut self, dev: DevId) {
        if let Some(c) = self.obs.captures.get_mut(&dev) {
            c.ended = true;
        }
    }
}
