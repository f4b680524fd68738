//! Scenario files (TOML): the kernel profile, the set-up, the hardware
//! events and their order, the agents and their versions, the invariants
//! and witnesses. `Scenario::parse` checks everything (no panics on any
//! input; each mistake has its own message) and `Scenario::build` makes
//! the initial [`World`].

use crate::action::{Action, ActionSpec};
use crate::agents::{self, cloudinit, networkd, nm, script, udev, Version};
use crate::props::{Invariant, Props, Witness};
use crate::world::{HwEvent, World};
use ifnet_core::{Kernel, KernelProfile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The largest scenario file accepted.
pub const MAX_SCENARIO_BYTES: usize = 1 << 20;
/// Bounds on a scenario's lists.
pub const MAX_ACTIONS: usize = 64;
const _: () = assert!(MAX_ACTIONS <= crate::world::HwDone::MAX);
pub const MAX_AGENTS: usize = 16;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSpec {
    /// udev, nm, networkd, cloud-init or script (default: the table's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// udev: extra rules files (`azure-unmanaged-sriov`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// nm, networkd, cloud-init: the DHCP lease they configure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<String>,
    /// cloud-init: `azure` or `fallback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datasource: Option<String>,
    /// cloud-init (azure): the primary NIC's MAC from IMDS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_mac: Option<String>,
    /// script: the commands, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<ActionSpec>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "latest")]
    pub kernel: String,
    #[serde(default)]
    pub agents: BTreeMap<String, AgentSpec>,
    #[serde(default)]
    pub setup: Vec<ActionSpec>,
    #[serde(default)]
    pub hardware: Vec<ActionSpec>,
    /// Groups of identical hardware events (by name): symmetry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symmetric: Vec<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invariants: Option<Vec<String>>,
    #[serde(default)]
    pub witnesses: Vec<String>,
}

fn latest() -> String {
    "latest".into()
}

/// The invariants a scenario checks when it names none.
pub const DEFAULT_INVARIANTS: [&str; 8] = [
    "kernel",
    "no-address-on-slave",
    "slave-has-udev-name",
    "nm-no-default-for-vf",
    "no-device-lost",
    "no-ref-at-unregister",
    "cloud-init-no-error",
    "one-tx-path",
];

impl Scenario {
    /// Parses and checks a scenario file.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        if text.len() > MAX_SCENARIO_BYTES {
            return Err(format!(
                "the scenario is larger than {MAX_SCENARIO_BYTES} bytes"
            ));
        }
        let s: Scenario =
            toml::from_str(text).map_err(|e| format!("bad scenario: {}", e.message()))?;
        s.validate()?;
        Ok(s)
    }

    /// The scenario as a file to start from.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    fn validate(&self) -> Result<(), String> {
        if self.name.is_empty() || self.name.len() > 64 {
            return Err("`name` must be 1 to 64 characters".into());
        }
        if self.setup.len() > MAX_ACTIONS
            || self.hardware.len() > MAX_ACTIONS
            || self.agents.len() > MAX_AGENTS
        {
            return Err(format!(
                "at most {MAX_ACTIONS} actions of each kind and {MAX_AGENTS} agents"
            ));
        }
        if KernelProfile::preset(&self.kernel).is_none() {
            return Err(unknown_kernel(&self.kernel));
        }
        for (name, a) in &self.agents {
            check_agent(name, a)?;
        }
        self.props()?;
        for a in &self.setup {
            a.check()?;
        }
        self.hw_events()?;
        Ok(())
    }

    pub fn props(&self) -> Result<Props, String> {
        let names: Vec<String> = match &self.invariants {
            Some(v) => v.clone(),
            None => DEFAULT_INVARIANTS.iter().map(|s| s.to_string()).collect(),
        };
        let invariants = names
            .iter()
            .map(|n| Invariant::parse(n))
            .collect::<Result<Vec<_>, _>>()?;
        let witnesses = self
            .witnesses
            .iter()
            .map(|n| Witness::parse(n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Props {
            invariants,
            witnesses,
        })
    }

    fn hw_events(&self) -> Result<(Vec<HwEvent>, Vec<Vec<usize>>), String> {
        let names: Vec<String> = self
            .hardware
            .iter()
            .enumerate()
            .map(|(i, a)| a.name.clone().unwrap_or_else(|| format!("hw{i}")))
            .collect();
        let index = |n: &str| {
            names
                .iter()
                .position(|x| x == n)
                .ok_or_else(|| format!("unknown hardware event {n:?}"))
        };
        let mut evs = Vec::new();
        for (i, a) in self.hardware.iter().enumerate() {
            if names[..i].contains(&names[i]) {
                return Err(format!("two hardware events are named {:?}", names[i]));
            }
            let after = a
                .after
                .iter()
                .map(|n| index(n))
                .collect::<Result<Vec<_>, _>>()?;
            if after.iter().any(|&j| j >= i) {
                return Err(format!(
                    "hardware event {:?} must come after the events it waits for",
                    names[i]
                ));
            }
            evs.push(HwEvent {
                name: names[i].clone(),
                action: a.check()?,
                after,
            });
        }
        let groups = self
            .symmetric
            .iter()
            .map(|g| g.iter().map(|n| index(n)).collect::<Result<Vec<_>, _>>())
            .collect::<Result<Vec<_>, _>>()?;
        Ok((evs, groups))
    }

    /// Builds the initial world on `kernel` (default: the scenario's),
    /// with agent versions overridden by `versions` (`udev=252`).
    pub fn build(
        &self,
        kernel: Option<&str>,
        versions: &BTreeMap<String, String>,
    ) -> Result<World, String> {
        let kname = kernel.unwrap_or(&self.kernel);
        let profile = KernelProfile::preset(kname).ok_or_else(|| unknown_kernel(kname))?;
        for k in versions.keys() {
            if !self.agents.contains_key(k) {
                return Err(format!("--agent {k}=…: the scenario has no agent {k:?}"));
            }
        }
        let mut w = World::new(Kernel::new(profile), BTreeMap::new());
        for a in &self.setup {
            let action = a.check()?;
            let (ok, line) = crate::hardware::run_action(&mut w, &action);
            while w.kernel.parked().is_some() {
                w.kernel
                    .resume(None)
                    .map_err(|e| format!("set-up: {:?}", e.errno))?;
            }
            w.parker = None;
            if !ok {
                return Err(format!("set-up `{}` failed: {line}", action.describe()));
            }
            w.kernel.run_until_idle();
        }
        w.facts = Default::default();
        let mut w = World::new(w.kernel.into_inner(), (*w.nets).clone());
        for (name, spec) in &self.agents {
            let mut spec = spec.clone();
            if let Some(v) = versions.get(name) {
                spec.version = Some(v.clone());
            }
            w.add_agent(make_agent(name, &spec)?);
        }
        let (evs, groups) = self.hw_events()?;
        for e in evs {
            w.add_hw(e)?;
        }
        w.symmetric = std::sync::Arc::new(groups);
        Ok(w)
    }
}

fn unknown_kernel(k: &str) -> String {
    format!(
        "unknown kernel profile {k:?} (presets: {}, latest)",
        ifnet_core::profile::PRESETS.join(", ")
    )
}

fn check_agent(name: &str, a: &AgentSpec) -> Result<(), String> {
    make_agent(name, a).map(|_| ())
}

fn version(a: &AgentSpec, default: &str) -> Result<Version, String> {
    Version::parse(a.version.as_deref().unwrap_or(default))
}

fn lease(a: &AgentSpec) -> Result<String, String> {
    let l = a.lease.clone().unwrap_or_else(|| "10.0.0.4/24".into());
    let ok = l.split_once('/').is_some_and(|(ip, len)| {
        ip.parse::<std::net::Ipv4Addr>().is_ok() && len.parse::<u8>().is_ok_and(|n| n <= 32)
    });
    if ok {
        Ok(l)
    } else {
        Err(format!("bad lease {l:?} (expected an IPv4 address/prefix)"))
    }
}

/// Builds an agent from its table.
pub fn make_agent(name: &str, a: &AgentSpec) -> Result<Box<dyn crate::agent::Agent>, String> {
    let kind = a.kind.as_deref().unwrap_or(name);
    let builtin = ["udev", "nm", "networkd", "cloud-init"];
    if builtin.contains(&kind) && kind != name {
        return Err(format!(
            "agent {name:?}: a {kind} agent's table must be named [agents.{kind}]"
        ));
    }
    if !a.steps.is_empty() && kind != "script" {
        return Err(format!("agent {name:?}: only a script has `steps`"));
    }
    if !a.rules.is_empty() && kind != "udev" {
        return Err(format!("agent {name:?}: only udev has `rules`"));
    }
    Ok(match kind {
        "udev" => {
            let mut files = udev::RuleFiles::default();
            for r in &a.rules {
                match r.as_str() {
                    "azure-unmanaged-sriov" => files.azure_sriov = true,
                    other => {
                        return Err(format!(
                            "unknown udev rules file {other:?} (azure-unmanaged-sriov)"
                        ))
                    }
                }
            }
            Box::new(udev::Udev::new(version(a, agents::SYSTEMD_CURRENT)?, files))
        }
        "nm" => Box::new(nm::NetworkManager::new(
            version(a, agents::NM_CURRENT)?,
            lease(a)?,
        )),
        "networkd" => Box::new(networkd::Networkd::new(
            version(a, agents::SYSTEMD_CURRENT)?,
            lease(a)?,
        )),
        "cloud-init" => {
            let source = match a.datasource.as_deref().unwrap_or("fallback") {
                "azure" => cloudinit::Source::Azure,
                "fallback" => cloudinit::Source::Fallback,
                o => {
                    return Err(format!(
                        "unknown cloud-init datasource {o:?} (azure, fallback)"
                    ))
                }
            };
            let mac = a.primary_mac.clone().unwrap_or_default();
            if source == cloudinit::Source::Azure && ifnet_core::HwAddr::parse(&mac).is_none() {
                return Err("cloud-init with datasource azure needs `primary_mac`".into());
            }
            Box::new(cloudinit::CloudInit::new(
                version(a, agents::CLOUD_INIT_CURRENT)?,
                source,
                mac,
                lease(a)?,
            ))
        }
        "script" => {
            if a.steps.len() > MAX_ACTIONS {
                return Err(format!("a script has at most {MAX_ACTIONS} steps"));
            }
            let steps = a
                .steps
                .iter()
                .map(ActionSpec::check)
                .collect::<Result<Vec<Action>, _>>()?;
            if steps
                .iter()
                .any(|s| matches!(s, Action::Plug { .. } | Action::Unplug { .. }))
            {
                return Err(format!(
                    "agent {name:?}: plugging is hardware's, not a script's"
                ));
            }
            Box::new(script::Script {
                name: name.to_string(),
                steps: std::sync::Arc::new(steps),
                next: 0,
            })
        }
        other => {
            return Err(format!(
                "unknown agent kind {other:?} (udev, nm, networkd, cloud-init, script)"
            ))
        }
    })
}
