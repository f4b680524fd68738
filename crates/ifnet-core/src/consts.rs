//! uapi constants: interface flags, private flags, link types, name and
//! address assignment types, operational states, registration states.

use serde::{Deserialize, Serialize};

// include/uapi/linux/if.h — net_device_flags
pub const IFF_UP: u32 = 1 << 0;
pub const IFF_BROADCAST: u32 = 1 << 1;
pub const IFF_DEBUG: u32 = 1 << 2;
pub const IFF_LOOPBACK: u32 = 1 << 3;
pub const IFF_POINTOPOINT: u32 = 1 << 4;
pub const IFF_NOTRAILERS: u32 = 1 << 5;
pub const IFF_RUNNING: u32 = 1 << 6;
pub const IFF_NOARP: u32 = 1 << 7;
pub const IFF_PROMISC: u32 = 1 << 8;
pub const IFF_ALLMULTI: u32 = 1 << 9;
pub const IFF_MASTER: u32 = 1 << 10;
pub const IFF_SLAVE: u32 = 1 << 11;
pub const IFF_MULTICAST: u32 = 1 << 12;
pub const IFF_PORTSEL: u32 = 1 << 13;
pub const IFF_AUTOMEDIA: u32 = 1 << 14;
pub const IFF_DYNAMIC: u32 = 1 << 15;
pub const IFF_LOWER_UP: u32 = 1 << 16;
pub const IFF_DORMANT: u32 = 1 << 17;
pub const IFF_ECHO: u32 = 1 << 18;

/// Flags user space may change with SIOCSIFFLAGS / ifi_change
/// (`__dev_change_flags` keeps the rest from `dev->flags`).
pub const IFF_CHANGEABLE: u32 = IFF_UP
    | IFF_DEBUG
    | IFF_NOTRAILERS
    | IFF_NOARP
    | IFF_DYNAMIC
    | IFF_MULTICAST
    | IFF_PORTSEL
    | IFF_AUTOMEDIA;
/// IFF_VOLATILE: flags the kernel owns.
pub const IFF_VOLATILE: u32 = IFF_LOOPBACK
    | IFF_POINTOPOINT
    | IFF_BROADCAST
    | IFF_ECHO
    | IFF_MASTER
    | IFF_SLAVE
    | IFF_RUNNING
    | IFF_LOWER_UP
    | IFF_DORMANT;

// include/linux/netdevice.h — netdev_priv_flags (6.18 values)
pub const IFF_802_1Q_VLAN: u64 = 1 << 0;
pub const IFF_EBRIDGE: u64 = 1 << 1;
pub const IFF_BONDING: u64 = 1 << 2;
pub const IFF_ISATAP: u64 = 1 << 3;
pub const IFF_WAN_HDLC: u64 = 1 << 4;
pub const IFF_XMIT_DST_RELEASE: u64 = 1 << 5;
pub const IFF_DONT_BRIDGE: u64 = 1 << 6;
pub const IFF_DISABLE_NETPOLL: u64 = 1 << 7;
pub const IFF_MACVLAN_PORT: u64 = 1 << 8;
pub const IFF_BRIDGE_PORT: u64 = 1 << 9;
pub const IFF_OVS_DATAPATH: u64 = 1 << 10;
pub const IFF_TX_SKB_SHARING: u64 = 1 << 11;
pub const IFF_UNICAST_FLT: u64 = 1 << 12;
pub const IFF_TEAM_PORT: u64 = 1 << 13;
pub const IFF_SUPP_NOFCS: u64 = 1 << 14;
pub const IFF_LIVE_ADDR_CHANGE: u64 = 1 << 15;
pub const IFF_MACVLAN: u64 = 1 << 16;
pub const IFF_XMIT_DST_RELEASE_PERM: u64 = 1 << 17;
pub const IFF_L3MDEV_MASTER: u64 = 1 << 18;
pub const IFF_NO_QUEUE: u64 = 1 << 19;
pub const IFF_OPENVSWITCH: u64 = 1 << 20;
pub const IFF_L3MDEV_SLAVE: u64 = 1 << 21;
pub const IFF_TEAM: u64 = 1 << 22;
pub const IFF_RXFH_CONFIGURED: u64 = 1 << 23;
pub const IFF_PHONY_HEADROOM: u64 = 1 << 24;
pub const IFF_MACSEC: u64 = 1 << 25;
pub const IFF_NO_RX_HANDLER: u64 = 1 << 26;
pub const IFF_FAILOVER: u64 = 1 << 27;
pub const IFF_FAILOVER_SLAVE: u64 = 1 << 28;
pub const IFF_L3MDEV_RX_HANDLER: u64 = 1 << 29;
/// Bit 30 until v6.2 (8065a779f17e added it, bd039b5ea2a9 removed it).
pub const IFF_LIVE_RENAME_OK: u64 = 1 << 30;
/// Bit 30 from v6.2 (8a321cf7becc reused the freed bit).
pub const IFF_NO_ADDRCONF: u64 = 1 << 30;
pub const IFF_TX_SKB_NO_LINEAR: u64 = 1 << 31;

// include/uapi/linux/if_arp.h
pub const ARPHRD_ETHER: u16 = 1;
pub const ARPHRD_INFINIBAND: u16 = 32;
pub const ARPHRD_LOOPBACK: u16 = 772;
pub const ARPHRD_NONE: u16 = 0xFFFE;

pub const ETH_ALEN: usize = 6;
pub const INFINIBAND_ALEN: usize = 20;
pub const MAX_ADDR_LEN: usize = 32;
pub const IFNAMSIZ: usize = 16;
pub const ALTIFNAMSIZ: usize = 128;
pub const ETH_MIN_MTU: u32 = 68;
pub const ETH_DATA_LEN: u32 = 1500;
pub const ETH_MAX_MTU: u32 = 0xFFFF;

/// `dev->name_assign_type` (include/uapi/linux/netdevice.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NameAssign {
    Unknown = 0,
    Enum = 1,
    Predictable = 2,
    User = 3,
    Renamed = 4,
}

/// `dev->addr_assign_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AddrAssign {
    Perm = 0,
    Random = 1,
    Stolen = 2,
    Set = 3,
}

/// RFC 2863 operational state (`IF_OPER_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OperState {
    Unknown = 0,
    NotPresent = 1,
    Down = 2,
    LowerLayerDown = 3,
    Testing = 4,
    Dormant = 5,
    Up = 6,
}

impl OperState {
    /// How iproute2 and sysfs spell it.
    pub fn name(self) -> &'static str {
        match self {
            OperState::Unknown => "UNKNOWN",
            OperState::NotPresent => "NOTPRESENT",
            OperState::Down => "DOWN",
            OperState::LowerLayerDown => "LOWERLAYERDOWN",
            OperState::Testing => "TESTING",
            OperState::Dormant => "DORMANT",
            OperState::Up => "UP",
        }
    }
    pub fn from_u8(v: u8) -> OperState {
        match v {
            1 => OperState::NotPresent,
            2 => OperState::Down,
            3 => OperState::LowerLayerDown,
            4 => OperState::Testing,
            5 => OperState::Dormant,
            6 => OperState::Up,
            _ => OperState::Unknown,
        }
    }
}

/// `enum netdev_reg_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RegState {
    Uninitialized,
    Registered,
    Unregistering,
    Unregistered,
    Released,
}
