//! Actions a scenario names — plugging and unplugging bus devices, setting a
//! link up, creating, deleting and moving into namespaces — as the
//! scenario file spells them (`ActionSpec`, one flat table checked by
//! hand so that every mistake gets its own message) and as the world runs
//! them ([`Action`]).

use ifnet_core::{HwAddr, HwSpec};
use serde::{Deserialize, Serialize};

/// One `[[setup]]`, `[[hardware]]` or script entry as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    #[serde(rename = "do")]
    pub op: String,
    /// A hardware event's name (for `after` and symmetry groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Hardware events that must have happened first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// A Hyper-V VF's serial (its PCI slot name, what netvsc matches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<u32>,
    /// A Hyper-V VF whose host association message is not sent at plug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_assoc: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surprise: Option<bool>,
    /// An IPoIB port's GUID (`type = "ipoib"`), as a hex string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The bond a device is enslaved to (`do = "enslave"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
    /// A bond's miimon / updelay / downdelay in ms (`do = "bond-add"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miimon: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updelay: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downdelay: Option<u32>,
    /// A port's cable (`do = "carrier"`): in (true) or pulled (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<bool>,
}

/// A device an action works on: by its name in init_net, or by the bus
/// device whose driver registered it (wherever it lives now).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DevRef {
    Name(String),
    Bus(String),
}

impl std::fmt::Display for DevRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DevRef::Name(n) => f.write_str(n),
            DevRef::Bus(b) => write!(f, "the netdev of {b}"),
        }
    }
}

/// A checked action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    Plug {
        bus: String,
        spec: HwSpec,
    },
    Unplug {
        bus: String,
        surprise: bool,
    },
    Up(DevRef),
    NetnsAdd(String),
    NetnsDel(String),
    Move {
        dev: DevRef,
        netns: String,
    },
    /// `ip link add NAME type bond mode active-backup miimon … updelay …
    /// downdelay …`.
    BondAdd {
        name: String,
        miimon: u32,
        updelay: u32,
        downdelay: u32,
    },
    /// `ip link set DEV master BOND`.
    Enslave {
        dev: DevRef,
        master: String,
    },
    /// `ifnet hw carrier BUS on|off`: a cable pulled or put back.
    Carrier {
        bus: String,
        on: bool,
    },
}

fn need<'a>(v: &'a Option<String>, what: &str, op: &str) -> Result<&'a str, String> {
    v.as_deref()
        .ok_or_else(|| format!("`do = \"{op}\"` needs `{what}`"))
}

fn check_name(kind: &str, s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 64 || s.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(format!("bad {kind} {s:?}"));
    }
    Ok(())
}

fn dev_ref(a: &ActionSpec) -> Result<DevRef, String> {
    match (&a.dev, &a.bus) {
        (Some(d), None) => {
            if ifnet_core::name::dev_valid_name(d) {
                Ok(DevRef::Name(d.clone()))
            } else {
                Err(format!("bad device name {d:?}"))
            }
        }
        (None, Some(b)) => {
            check_name("bus id", b)?;
            Ok(DevRef::Bus(b.clone()))
        }
        _ => Err(format!(
            "`do = \"{}\"` needs exactly one of `dev` and `bus`",
            a.op
        )),
    }
}

fn plug(a: &ActionSpec) -> Result<Action, String> {
    let bus = need(&a.bus, "bus", "plug")?;
    check_name("bus id", bus)?;
    let kind = need(&a.kind, "type", "plug")?;
    if kind == "ipoib" {
        return plug_ipoib(a, bus);
    }
    if a.guid.is_some() {
        return Err("`guid` is for type ipoib".into());
    }
    let mac_s = need(&a.mac, "mac", "plug")?;
    let mac = HwAddr::parse(mac_s)
        .filter(|m| m.len() == 6 && m.is_valid_ether())
        .ok_or_else(|| format!("bad MAC address {mac_s:?}"))?;
    if a.serial.is_some() && kind != "vf" {
        return Err("`serial` is for type vf (a Hyper-V VF)".into());
    }
    if a.no_assoc.is_some() && a.serial.is_none() {
        return Err("`no_assoc` is for a Hyper-V VF (type vf with `serial`)".into());
    }
    if a.standby.is_some() && kind != "virtio-net" {
        return Err("`standby` is for type virtio-net".into());
    }
    let driver = a.driver.clone();
    if let Some(d) = &driver {
        check_name("driver", d)?;
    }
    let spec = match kind {
        "vf" if a.serial.is_some() => {
            // hw add … type vf … serial N: the hv_pci VF (HV_VF_DRIVERS).
            if let Some(d) = driver.as_deref() {
                if !ifnet_core::hw::HV_VF_DRIVERS.contains(&d) {
                    return Err(format!(
                        "a Hyper-V VF's driver is one of {} (not {d:?})",
                        ifnet_core::hw::HV_VF_DRIVERS.join(", ")
                    ));
                }
            }
            HwSpec::HvVf {
                mac,
                serial: a.serial.unwrap_or_default(),
                driver,
                segment: None,
                no_assoc: a.no_assoc.unwrap_or(false),
            }
        }
        "nic" => HwSpec::Nic {
            mac,
            driver,
            segment: None,
        },
        "vf" => HwSpec::Vf {
            mac,
            driver,
            segment: None,
        },
        "virtio-net" if driver.is_none() => HwSpec::VirtioNet {
            mac,
            standby: a.standby.unwrap_or(false),
            segment: None,
        },
        "virtio-net" => return Err("type virtio-net has its own driver".into()),
        "netvsc" if driver.is_none() => HwSpec::Netvsc { mac, segment: None },
        "netvsc" => return Err("type netvsc has its own driver (hv_netvsc)".into()),
        other => {
            return Err(format!(
                "unknown device type {other:?} (nic, vf, virtio-net, netvsc, ipoib)"
            ))
        }
    };
    Ok(Action::Plug {
        bus: bus.to_string(),
        spec,
    })
}

/// `plug` of `type = "ipoib"`: an HCA port (`hw add … type ipoib guid G`)
/// on the default InfiniBand segment, 2048-byte IB MTU.
fn plug_ipoib(a: &ActionSpec, bus: &str) -> Result<Action, String> {
    if a.mac.is_some() || a.driver.is_some() || a.serial.is_some() || a.standby.is_some() {
        return Err("type ipoib takes `guid` (no mac, driver, serial or standby)".into());
    }
    let g = need(&a.guid, "guid", "plug")?;
    let hex = g.strip_prefix("0x").unwrap_or(g);
    let guid = u64::from_str_radix(hex, 16)
        .ok()
        .filter(|&v| v != 0)
        .ok_or_else(|| format!("bad GUID {g:?} (a non-zero 64-bit hex number)"))?;
    Ok(Action::Plug {
        bus: bus.to_string(),
        spec: HwSpec::Ipoib {
            guid,
            qpn: ifnet_core::hw::DEFAULT_IPOIB_QPN,
            segment: None,
            ib_mtu: 2048,
        },
    })
}

/// `bond-add`: the bond's name and its timers (miimon 100 ms unless
/// given; updelay and downdelay 0).
fn bond_add(a: &ActionSpec) -> Result<Action, String> {
    let name = need(&a.dev, "dev", "bond-add")?;
    if !ifnet_core::name::dev_valid_name(name) {
        return Err(format!("bad device name {name:?}"));
    }
    let ms = |v: Option<u32>, d: u32| v.unwrap_or(d).min(60_000);
    Ok(Action::BondAdd {
        name: name.to_string(),
        miimon: ms(a.miimon, 100),
        updelay: ms(a.updelay, 0),
        downdelay: ms(a.downdelay, 0),
    })
}

impl ActionSpec {
    /// Checks the entry and turns it into an action.
    pub fn check(&self) -> Result<Action, String> {
        let netns = || -> Result<String, String> {
            let n = need(&self.netns, "netns", &self.op)?;
            check_name("namespace name", n)?;
            Ok(n.to_string())
        };
        match self.op.as_str() {
            "plug" => plug(self),
            "unplug" => {
                let bus = need(&self.bus, "bus", "unplug")?;
                Ok(Action::Unplug {
                    bus: bus.to_string(),
                    surprise: self.surprise.unwrap_or(false),
                })
            }
            "up" => Ok(Action::Up(dev_ref(self)?)),
            "netns-add" => Ok(Action::NetnsAdd(netns()?)),
            "netns-del" => Ok(Action::NetnsDel(netns()?)),
            "move" => Ok(Action::Move {
                dev: dev_ref(self)?,
                netns: netns()?,
            }),
            "bond-add" => bond_add(self),
            "enslave" => {
                let m = need(&self.master, "master", "enslave")?;
                if !ifnet_core::name::dev_valid_name(m) {
                    return Err(format!("bad device name {m:?}"));
                }
                Ok(Action::Enslave {
                    dev: dev_ref(self)?,
                    master: m.to_string(),
                })
            }
            "carrier" => {
                let bus = need(&self.bus, "bus", "carrier")?;
                check_name("bus id", bus)?;
                let on = self
                    .on
                    .ok_or("`do = \"carrier\"` needs `on` (true or false)")?;
                Ok(Action::Carrier {
                    bus: bus.to_string(),
                    on,
                })
            }
            other => Err(format!(
                "unknown action {other:?} (plug, unplug, up, netns-add, netns-del, move, bond-add, enslave, carrier)"
            )),
        }
    }
}

impl Action {
    /// One line for reports.
    pub fn describe(&self) -> String {
        match self {
            Action::Plug { bus, spec } => {
                let kind = match spec {
                    HwSpec::Nic { .. } => "nic",
                    HwSpec::Vf { .. } => "vf",
                    HwSpec::VirtioNet { standby: true, .. } => "virtio-net standby",
                    HwSpec::VirtioNet { .. } => "virtio-net",
                    HwSpec::Netvsc { .. } => "netvsc",
                    HwSpec::HvVf { .. } => "hyper-v vf",
                    HwSpec::Ipoib { .. } => "ipoib",
                };
                format!("plug {bus} ({kind}, mac {})", spec.mac())
            }
            Action::Unplug { bus, surprise } => {
                format!("unplug {bus}{}", if *surprise { " (surprise)" } else { "" })
            }
            Action::Up(d) => format!("ip link set {d} up"),
            Action::NetnsAdd(n) => format!("ip netns add {n}"),
            Action::NetnsDel(n) => format!("ip netns del {n}"),
            Action::Move { dev, netns } => format!("ip link set {dev} netns {netns}"),
            Action::BondAdd {
                name,
                miimon,
                updelay,
                downdelay,
            } => format!(
                "ip link add {name} type bond mode active-backup miimon {miimon} updelay {updelay} downdelay {downdelay}"
            ),
            Action::Enslave { dev, master } => format!("ip link set {dev} master {master}"),
            Action::Carrier { bus, on } => {
                format!("hw carrier {bus} {}", if *on { "on" } else { "off" })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(op: &str) -> ActionSpec {
        ActionSpec {
            op: op.into(),
            ..Default::default()
        }
    }

    #[test]
    fn bad_actions_say_why() {
        assert!(spec("fly").check().unwrap_err().contains("unknown action"));
        assert!(spec("plug").check().unwrap_err().contains("needs `bus`"));
        let mut p = spec("plug");
        p.bus = Some("0000:00:09.0".into());
        p.kind = Some("netvsc".into());
        p.mac = Some("00:15:5d:00:00:01".into());
        assert!(matches!(
            p.check(),
            Ok(Action::Plug {
                spec: HwSpec::Netvsc { .. },
                ..
            })
        ));
        p.serial = Some(1);
        assert!(p.check().unwrap_err().contains("`serial` is for type vf"));
        p.kind = Some("vf".into());
        p.driver = Some("e1000".into());
        assert!(p.check().unwrap_err().contains("Hyper-V VF's driver"));
        p.driver = Some("mana".into());
        p.no_assoc = Some(true);
        assert!(matches!(
            p.check(),
            Ok(Action::Plug {
                spec: HwSpec::HvVf {
                    serial: 1,
                    no_assoc: true,
                    ..
                },
                ..
            })
        ));
        p.serial = None;
        assert!(p.check().unwrap_err().contains("`no_assoc`"));
        p.no_assoc = None;
        p.driver = None;
        p.kind = Some("vf".into());
        p.mac = Some("zz".into());
        assert!(p.check().unwrap_err().contains("bad MAC"));
        p.mac = Some("01:00:00:00:00:01".into());
        assert!(p.check().unwrap_err().contains("bad MAC"), "multicast");
        p.mac = Some("00:15:5d:00:00:01".into());
        assert!(p.check().is_ok());
        let mut m = spec("move");
        m.netns = Some("ns1".into());
        assert!(m.check().unwrap_err().contains("exactly one"));
        m.dev = Some("a/b".into());
        assert!(m.check().unwrap_err().contains("bad device name"));
    }

    /// The seed-003 actions: `plug` of type ipoib (a GUID, nothing
    /// Ethernet), `bond-add`, `enslave` (needs `master`), `carrier` (needs
    /// `on`), each with its own message.
    #[test]
    fn bond_actions_say_why() {
        let mut p = spec("plug");
        p.bus = Some("0000:05:00.0".into());
        p.kind = Some("ipoib".into());
        assert!(p.check().unwrap_err().contains("needs `guid`"));
        p.guid = Some("0xzz".into());
        assert!(p.check().unwrap_err().contains("bad GUID"));
        p.guid = Some("0".into());
        assert!(p.check().unwrap_err().contains("bad GUID"), "zero");
        p.guid = Some("0x0002c90300a1b201".into());
        let Action::Plug {
            spec: HwSpec::Ipoib { guid, .. },
            ..
        } = p.check().unwrap()
        else {
            panic!("an IPoIB plug")
        };
        assert_eq!(guid, 0x0002_c903_00a1_b201);
        p.mac = Some("00:15:5d:00:00:01".into());
        assert!(p.check().unwrap_err().contains("takes `guid`"));
        let mut e = spec("enslave");
        e.dev = Some("ib0".into());
        assert!(e.check().unwrap_err().contains("needs `master`"));
        e.master = Some("bond0".into());
        assert!(e.check().is_ok());
        let mut c = spec("carrier");
        c.bus = Some("0000:05:00.0".into());
        assert!(c.check().unwrap_err().contains("needs `on`"));
        c.on = Some(false);
        assert_eq!(c.check().unwrap().describe(), "hw carrier 0000:05:00.0 off");
        let mut b = spec("bond-add");
        assert!(b.check().unwrap_err().contains("needs `dev`"));
        b.dev = Some("bond0".into());
        b.miimon = Some(u32::MAX);
        let Action::BondAdd {
            miimon, updelay, ..
        } = b.check().unwrap()
        else {
            panic!("a bond")
        };
        assert_eq!((miimon, updelay), (60_000, 0), "bounded, defaults");
    }
}
