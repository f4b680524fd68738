//! `struct net_device`: the state of one network device.
//!
//! Fields mirror the kernel's names. Driver-private state lives in
//! [`crate::driver::Driver`]; adjacency, references and queues are plain ids.

use crate::consts::*;
use crate::driver::Driver;
use crate::hwaddr::{HwAddr, IfName};
use crate::ids::{DevId, NetId};
use crate::shared::Shared;
use serde::{Deserialize, Serialize};

/// Who installed the rx_handler (`netdev_rx_handler_register`); at most one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RxHandler {
    BridgePort,
    Failover,
    Netvsc,
    Bond,
}

/// A reference held on a device (`netdev_hold`). `tracker` names the holder
/// as ref_tracker would; `None` is an untracked `dev_hold`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DevRef {
    pub holder: String,
    pub tracked: bool,
}

/// The root qdisc kind, as `ip link show` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Qdisc {
    Noop,
    Noqueue,
    PfifoFast,
    FqCodel,
    Mq,
}

impl Qdisc {
    pub fn name(self) -> &'static str {
        match self {
            Qdisc::Noop => "noop",
            Qdisc::Noqueue => "noqueue",
            Qdisc::PfifoFast => "pfifo_fast",
            Qdisc::FqCodel => "fq_codel",
            Qdisc::Mq => "mq",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetDevice {
    pub id: DevId,
    pub name: IfName,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub altnames: Vec<String>,
    pub ifindex: u32,
    pub net: NetId,
    /// ARPHRD_* link type.
    pub dev_type: u16,
    pub dev_addr: HwAddr,
    #[serde(default, skip_serializing_if = "HwAddr::is_empty")]
    pub perm_addr: HwAddr,
    pub broadcast: HwAddr,
    pub mtu: u32,
    pub min_mtu: u32,
    pub max_mtu: u32,
    pub flags: u32,
    /// `dev->gflags`: IFF_PROMISC / IFF_ALLMULTI as user space asked for
    /// them (`__dev_change_flags`); what `netif_get_flags` reports, while
    /// `flags` carries the bits the counters decide.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub gflags: u32,
    pub priv_flags: u64,
    /// `!test_bit(__LINK_STATE_NOCARRIER)`.
    pub carrier: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub dormant: bool,
    pub operstate: OperState,
    /// IF_LINK_MODE_* (0 default, 1 dormant, 2 testing).
    #[serde(default, skip_serializing_if = "is_zero_u8")]
    pub link_mode: u8,
    /// Root qdisc as `ip` prints it: "noop" until first open.
    pub qdisc: Qdisc,
    pub tx_queue_len: u32,
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub group: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ifalias: Option<String>,
    pub name_assign_type: NameAssign,
    pub addr_assign_type: AddrAssign,
    pub reg_state: RegState,
    #[serde(default, skip_serializing_if = "is_false")]
    pub netns_immutable: bool,
    /// Parent bus device (e.g. "0000:00:03.0"), as `SET_NETDEV_DEV` sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<std::sync::Arc<str>>,
    pub driver: Driver,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<DevId>,
    #[serde(default, skip_serializing_if = "no_lowers")]
    pub lowers: Shared<Vec<DevId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rx_handler: Option<RxHandler>,
    pub refs: Shared<Vec<DevRef>>,
    pub carrier_up_count: u32,
    pub carrier_down_count: u32,
    /// `dev->promiscuity`: users that want promiscuous mode (a bridge
    /// port holds one, `br_port_set_promisc`).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub promiscuity: u32,
    /// `dev->allmulti`: users that want all multicast (a bridge port holds
    /// one, `br_add_if`).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub allmulti: u32,
    /// Queue counts and GSO/GRO limits (`num_tx_queues`, `gso_max_size`, …).
    #[serde(default, skip_serializing_if = "crate::limits::DevLimits::is_default")]
    pub limits: crate::limits::DevLimits,
    /// Position in `dev_base_head` (registration order within its netns).
    pub list_seq: u64,
    /// Queued on the linkwatch list (`dev->link_watch_list` non-empty).
    #[serde(default, skip_serializing_if = "is_false")]
    pub linkwatch_pending: bool,
    /// `dev->moving_ns`, true only inside `change_net_namespace`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub moving_ns: bool,
    /// `dev->uc`, `dev->mc` and the IP groups joined on the device (the
    /// multicast side of inetdev/addrconf).
    #[serde(default, skip_serializing_if = "no_addr_lists")]
    pub(crate) addr_lists: Shared<crate::datapath::addrlist::DevAddrLists>,
    /// rtnl_link_stats64 as the driver and core count them.
    #[serde(default, skip_serializing_if = "crate::stats::DevStats::is_zero")]
    pub stats: crate::stats::DevStats,
    /// Frames the noop qdisc dropped (a queueing device without carrier):
    /// `tc -s` would show them; `ip -s link` does not.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub qdisc_drops: u64,
    /// Frames handed to the protocol stack on this device.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub delivered_packets: u64,
}

impl NetDevice {
    /// A device as `alloc_netdev` leaves it: not registered, carrier on.
    pub fn alloc(id: DevId, net: NetId, name: IfName, driver: Driver) -> NetDevice {
        NetDevice {
            id,
            name,
            altnames: Vec::new(),
            ifindex: 0,
            net,
            dev_type: ARPHRD_ETHER,
            dev_addr: HwAddr::EMPTY,
            perm_addr: HwAddr::EMPTY,
            broadcast: HwAddr::EMPTY,
            mtu: ETH_DATA_LEN,
            min_mtu: ETH_MIN_MTU,
            max_mtu: ETH_DATA_LEN,
            flags: 0,
            gflags: 0,
            priv_flags: IFF_XMIT_DST_RELEASE | IFF_XMIT_DST_RELEASE_PERM,
            carrier: true,
            dormant: false,
            operstate: OperState::Unknown,
            link_mode: 0,
            qdisc: Qdisc::Noop,
            tx_queue_len: 1000,
            group: 0,
            ifalias: None,
            name_assign_type: NameAssign::Unknown,
            addr_assign_type: AddrAssign::Perm,
            reg_state: RegState::Uninitialized,
            netns_immutable: false,
            parent: None,
            driver,
            master: None,
            lowers: Shared::default(),
            rx_handler: None,
            addr_lists: Default::default(),
            refs: Shared::default(),
            carrier_up_count: 0,
            carrier_down_count: 0,
            promiscuity: 0,
            allmulti: 0,
            limits: crate::limits::DevLimits::default(),
            list_seq: 0,
            linkwatch_pending: false,
            moving_ns: false,
            stats: crate::stats::DevStats::default(),
            qdisc_drops: 0,
            delivered_packets: 0,
        }
    }

    /// `ether_setup()`: the Ethernet defaults.
    pub fn ether_setup(&mut self) {
        self.dev_type = ARPHRD_ETHER;
        self.mtu = ETH_DATA_LEN;
        self.min_mtu = ETH_MIN_MTU;
        self.max_mtu = ETH_DATA_LEN;
        self.broadcast = HwAddr::new(&[0xff; 6]).expect("6 bytes");
        // addr_len = ETH_ALEN; an address already set (eth_hw_addr_random
        // before ether_setup in br_dev_setup) is kept.
        if self.dev_addr.len() != ETH_ALEN {
            self.dev_addr = HwAddr::zeroed(ETH_ALEN);
        }
        self.tx_queue_len = 1000;
        self.flags = IFF_BROADCAST | IFF_MULTICAST;
        self.priv_flags |= IFF_TX_SKB_SHARING;
    }

    pub fn is_up(&self) -> bool {
        self.flags & IFF_UP != 0
    }

    /// `netif_running()`: __LINK_STATE_START, which follows IFF_UP here.
    pub fn running(&self) -> bool {
        self.is_up()
    }

    /// The operstate user space sees (IFLA_OPERSTATE, sysfs `operstate`):
    /// a device that is not running always reports DOWN.
    pub fn reported_operstate(&self) -> OperState {
        if self.running() {
            self.operstate
        } else {
            OperState::Down
        }
    }

    /// `netif_oper_up()`.
    pub fn oper_up(&self) -> bool {
        matches!(self.operstate, OperState::Up | OperState::Unknown)
    }

    /// `rtnl_dev_get_flags()`: `flags` with IFF_PROMISC / IFF_ALLMULTI
    /// taken from `gflags` (what the user asked for, not the counters).
    pub fn rtnl_dev_get_flags(&self) -> u32 {
        (self.flags & !(IFF_PROMISC | IFF_ALLMULTI)) | (self.gflags & (IFF_PROMISC | IFF_ALLMULTI))
    }

    /// `netif_get_flags()`: IFF_PROMISC/ALLMULTI from `gflags`, and
    /// IFF_RUNNING/LOWER_UP/DORMANT as user space sees them.
    pub fn user_flags(&self) -> u32 {
        let mut flags = self.rtnl_dev_get_flags() & !(IFF_RUNNING | IFF_LOWER_UP | IFF_DORMANT);
        if self.running() {
            if self.oper_up() {
                flags |= IFF_RUNNING;
            }
            if self.carrier {
                flags |= IFF_LOWER_UP;
            }
            if self.dormant {
                flags |= IFF_DORMANT;
            }
        }
        flags
    }
}

// serde helpers: the state file leaves out fields at their defaults.
fn no_lowers(v: &Shared<Vec<DevId>>) -> bool {
    v.is_empty()
}
fn no_addr_lists(v: &Shared<crate::datapath::addrlist::DevAddrLists>) -> bool {
    v.is_empty()
}
fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero_u8(v: &u8) -> bool {
    *v == 0
}
fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}
fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}
