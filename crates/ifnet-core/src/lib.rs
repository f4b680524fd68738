//! ifnet-core: the Linux network-device layer as a deterministic, sans-I/O model.
//!
//! One [`Kernel`] owns every namespace, device, module and queue (DESIGN.md
//! rule 1: one owner, one lock). User space reaches it only through genuine
//! rtnetlink bytes ([`Kernel::rtnl_request`]), uevents, sysfs reads and the
//! hardware bus. Time is virtual and passed in; nothing runs "later" except
//! through the work queue.
#![forbid(unsafe_code)]

pub mod adjacency;
pub mod chunked;
pub mod client;
pub mod consts;
pub mod datapath;
mod dev_cell;
pub mod driver;
pub mod drivers;
pub mod errno;
pub mod eventlog;
pub mod events;
pub mod fingerprint;
pub mod flags;
pub mod hw;
pub mod hwaddr;
pub mod ids;
pub mod inet;
pub mod invariants;
pub mod kernel;
pub mod limits;
pub mod linkwatch;
pub mod load;
pub mod modules;
pub mod name;
pub mod net;
pub mod netdev;
pub mod netns_move;
pub mod notifier;
pub mod profile;
pub mod register;
pub mod rtnetlink;
pub mod shared;
pub mod stats;
pub mod sysfs;
pub mod time;
pub mod user_space;
pub mod window;
pub mod wire;
pub mod workqueue;

pub use errno::{Errno, KError, KResult};
pub use eventlog::{KernelEvent, LogLine, LoggedEvent};
pub use events::{McastMessage, Overrun, Uevent, UeventAction};
pub use fingerprint::Fingerprint;
pub use hw::HwSpec;
pub use hwaddr::{HwAddr, IfName};
pub use ids::{DevId, NetId};
pub use kernel::Kernel;
pub use notifier::{EventRecord, NetdevEvent};
pub use profile::KernelProfile;
pub use window::{RtnlHeld, Step, Window};
