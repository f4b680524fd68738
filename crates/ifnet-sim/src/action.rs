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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surprise: Option<bool>,
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
    Plug { bus: String, spec: HwSpec },
    Unplug { bus: String, surprise: bool },
    Up(DevRef),
    NetnsAdd(String),
    NetnsDel(String),
    Move { dev: DevRef, netns: String },
}

/// The message for hardware only the netvsc work provides.
pub const NETVSC_PENDING: &str =
    "needs the Hyper-V netvsc driver (hw add BUSID type netvsc / type vf … serial N), which is not merged on this branch yet";

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
    let mac_s = need(&a.mac, "mac", "plug")?;
    let mac = HwAddr::parse(mac_s)
        .filter(|m| m.len() == 6 && m.is_valid_ether())
        .ok_or_else(|| format!("bad MAC address {mac_s:?}"))?;
    if a.serial.is_some() {
        return Err(format!("`serial` {NETVSC_PENDING}"));
    }
    if a.standby.is_some() && kind != "virtio-net" {
        return Err("`standby` is for type virtio-net".into());
    }
    let driver = a.driver.clone();
    if let Some(d) = &driver {
        check_name("driver", d)?;
    }
    let spec = match kind {
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
        "netvsc" => return Err(format!("type netvsc {NETVSC_PENDING}")),
        other => {
            return Err(format!(
                "unknown device type {other:?} (nic, vf, virtio-net; netvsc pending)"
            ))
        }
    };
    Ok(Action::Plug {
        bus: bus.to_string(),
        spec,
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
            other => Err(format!(
                "unknown action {other:?} (plug, unplug, up, netns-add, netns-del, move)"
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
        assert!(p.check().unwrap_err().contains("netvsc"));
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
}
