//! Fixtures of the hv_netvsc tests (`netvsc*.rs`, `profile_fields.rs`):
//! the Azure shape — a synthetic NIC on the VMBus and a VF behind hv_pci
//! with the same MAC, cabled to one segment with a peer NIC.
#![allow(dead_code)]

use ifnet_core::hw::HwSpec;
use ifnet_core::{DevId, HwAddr, Kernel, KernelProfile, NetId};

pub const NETVSC_BUS: &str = "f8615163-0000-1000-2000-000d3a8b0001";
pub const VF_BUS: &str = "7870:00:00.0";
pub const PEER_BUS: &str = "0000:00:09.0";
pub const MAC: &str = "00:0d:3a:8b:00:01";
pub const PEER_MAC: &str = "52:54:00:00:00:99";
pub const SEGMENT: &str = "vnet";
/// `netdev_printk` prefixes: `<driver> <bus-id> <ifname>: `.
pub const NV: &str = "hv_netvsc f8615163-0000-1000-2000-000d3a8b0001";
pub const VF: &str = "mana 7870:00:00.0";

pub fn kernel(profile: &str) -> Kernel {
    Kernel::new(KernelProfile::preset(profile).unwrap())
}

pub fn mac(s: &str) -> HwAddr {
    HwAddr::parse(s).unwrap()
}

pub fn netvsc_spec() -> HwSpec {
    netvsc_spec_mac(MAC)
}

pub fn netvsc_spec_mac(m: &str) -> HwSpec {
    HwSpec::Netvsc {
        mac: mac(m),
        segment: Some(SEGMENT.into()),
    }
}

pub fn vf_spec(serial: u32) -> HwSpec {
    vf_spec_with(MAC, serial, false)
}

pub fn vf_spec_with(m: &str, serial: u32, no_assoc: bool) -> HwSpec {
    HwSpec::HvVf {
        mac: mac(m),
        serial,
        driver: Some("mana".into()),
        segment: Some(SEGMENT.into()),
        no_assoc,
    }
}

pub fn peer_spec() -> HwSpec {
    HwSpec::Nic {
        mac: mac(PEER_MAC),
        driver: None,
        segment: Some(SEGMENT.into()),
    }
}

pub fn dev(k: &Kernel, net: NetId, name: &str) -> DevId {
    k.dev_get_by_name(net, name)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// sysfs `flags` (`%#x`) as a number.
pub fn sysfs_flags(k: &Kernel, net: NetId, name: &str) -> u32 {
    let s = k.sysfs_read_by_name(net, name, "flags").unwrap();
    u32::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

/// The kernel log lines logged since `from` (an index into `dmesg()`).
pub fn log_since(k: &Kernel, from: usize) -> Vec<String> {
    k.dmesg().into_iter().skip(from).collect()
}

/// The netvsc (eth0) and its VF (eth1), plugged in that order.
pub fn pair(profile: &str) -> (Kernel, NetId) {
    let mut k = kernel(profile);
    k.hw_add(NETVSC_BUS, netvsc_spec()).unwrap();
    k.hw_add(VF_BUS, vf_spec(1)).unwrap();
    let init = k.init_net();
    (k, init)
}

/// An Ethernet frame from `src` to `dst` with `n` in its payload.
pub fn frame(dst: &str, src: &str, n: u8) -> Vec<u8> {
    let mut f = Vec::with_capacity(64);
    f.extend_from_slice(mac(dst).as_bytes());
    f.extend_from_slice(mac(src).as_bytes());
    f.extend_from_slice(&[0x88, 0xb5]); // local experimental ethertype
    f.extend(std::iter::repeat_n(n, 46));
    f
}
