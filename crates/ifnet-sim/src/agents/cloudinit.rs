//! cloud-init (agents.md §3; cloudinit/net/__init__.py at 04eacd06e): one
//! run of `get_interfaces()` over sysfs — it never reads `flags` — with the
//! filters of its version (the Azure `BLACKLIST_DRIVERS` of 20.4,
//! 8ec8c3fc6; the MAC-based `filter_hyperv_vf_with_synthetic_interface`
//! of 23.2, 642276120), the duplicate-MAC RuntimeError of
//! `get_interfaces_by_mac_on_linux()`, then the network config: the
//! Azure datasource's `determine_device_driver_for_mac()`
//! (DataSourceAzure.py) or the fallback NIC (`find_candidate_nics_on_linux`,
//! `generate_fallback_config`), applied with its DHCP lease.

use super::Version;
use crate::agent::{Agent, Choice, Cx, Listens, Msg};
use ifnet_core::client::Client;
use ifnet_core::Kernel;
use std::hash::{Hash, Hasher};

/// One entry of `get_interfaces()`: (name, mac, driver).
pub type Iface = (String, String, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The Azure datasource: the primary NIC's MAC from IMDS.
    Azure,
    /// No datasource network config: `generate_fallback_config()`.
    Fallback,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloudInit {
    pub version: Version,
    pub source: Source,
    pub primary_mac: String,
    pub lease: String,
    /// The device chosen in the first step, configured in the second.
    chosen: Option<Vec<String>>,
    done: bool,
}

const HV_NETVSC: &str = "hv_netvsc";

/// `get_interfaces()` filters of `version` over what sysfs shows (the
/// fallback path turns the has-master filter off, agents.md §0 item 1).
/// Returns the interfaces or the duplicate-MAC RuntimeError.
pub fn get_interfaces(
    version: Version,
    all: &[(Iface, bool)],
    fallback: bool,
) -> Result<Vec<Iface>, String> {
    let mut v: Vec<Iface> = all
        .iter()
        .filter(|((name, mac, _), has_master)| {
            name != "lo"
                && mac != "00:00:00:00:00:00"
                && !mac.is_empty()
                && (fallback || !has_master)
        })
        .map(|(i, _)| i.clone())
        .collect();
    if version.at_least(23, 2) {
        // filter_hyperv_vf_with_synthetic_interface (:1100).
        let synth: Vec<String> = v
            .iter()
            .filter(|i| i.2 == HV_NETVSC)
            .map(|i| i.1.clone())
            .collect();
        v.retain(|i| i.2 == HV_NETVSC || !synth.contains(&i.1));
    } else if version.at_least(20, 4) {
        // Azure BLACKLIST_DRIVERS (8ec8c3fc6).
        v.retain(|i| i.2 != "mlx4_core" && i.2 != "mlx5_core");
    }
    for (a, i) in v.iter().enumerate() {
        if let Some(j) = v[a + 1..].iter().find(|j| j.1 == i.1) {
            return Err(format!(
                "duplicate mac found! both '{}' and '{}' have mac '{}'.",
                i.0, j.0, i.1
            ));
        }
    }
    Ok(v)
}

/// `determine_device_driver_for_mac()`: hv_netvsc if any interface with
/// the MAC uses it; else the one interface's driver ("Assuming driver for
/// interface with mac=…"); else none.
pub fn driver_for_mac(ifaces: &[Iface], mac: &str) -> Option<String> {
    let with: Vec<&Iface> = ifaces.iter().filter(|i| i.1 == mac).collect();
    if with.iter().any(|i| i.2 == HV_NETVSC) {
        return Some(HV_NETVSC.into());
    }
    (with.len() == 1).then(|| with[0].2.clone())
}

impl CloudInit {
    pub fn new(version: Version, source: Source, primary_mac: String, lease: String) -> CloudInit {
        CloudInit {
            version,
            source,
            primary_mac,
            lease,
            chosen: None,
            done: false,
        }
    }

    fn scan(&mut self, cx: &mut Cx<'_>) -> String {
        let mut all = Vec::new();
        for name in cx.sysfs_list() {
            let mac = cx.sysfs(&name, "address").unwrap_or_default();
            let driver = cx.sysfs(&name, "device/driver").unwrap_or_default();
            let master = cx.sysfs(&name, "master").is_some();
            all.push(((name, mac, driver), master));
        }
        let fallback = self.source == Source::Fallback;
        let ifaces = match get_interfaces(self.version, &all, fallback) {
            Ok(v) => v,
            Err(e) => {
                self.done = true;
                cx.facts.crash("cloud-init", format!("RuntimeError: {e}"));
                return format!("get_interfaces: RuntimeError: {e}");
            }
        };
        let chosen: Vec<String> = match self.source {
            Source::Azure => match driver_for_mac(&ifaces, &self.primary_mac) {
                Some(d) => ifaces
                    .iter()
                    .filter(|i| i.1 == self.primary_mac && i.2 == d)
                    .map(|i| i.0.clone())
                    .collect(),
                None => ifaces
                    .iter()
                    .filter(|i| i.1 == self.primary_mac)
                    .map(|i| i.0.clone())
                    .collect(),
            },
            Source::Fallback => {
                let mut names: Vec<String> = ifaces
                    .iter()
                    .map(|i| i.0.clone())
                    .filter(|n| !n.starts_with("veth"))
                    .collect();
                names.sort_by_key(|n| (n != "eth0", n.clone()));
                names.into_iter().take(1).collect()
            }
        };
        let listed: Vec<&str> = ifaces.iter().map(|i| i.0.as_str()).collect();
        let text = format!(
            "get_interfaces = [{}]; config for {:?}",
            listed.join(", "),
            chosen
        );
        self.chosen = Some(chosen);
        text
    }

    fn apply(&mut self, cx: &mut Cx<'_>) -> String {
        self.done = true;
        let names = self.chosen.take().unwrap_or_default();
        let mut out = Vec::new();
        for n in names {
            let Some(dev) = cx.kernel.dev_get_by_name(cx.net, &n) else {
                out.push(format!("{n}: gone"));
                continue;
            };
            let mut c = Client::new(cx.kernel, cx.net);
            let _ = c.set_up(&n, true);
            let ifindex = c.kernel.dev(dev).ifindex;
            let r = super::add_addr_by_index(&mut c, ifindex, &self.lease);
            if r.is_ok() {
                cx.facts.configured("cloud-init", dev);
            }
            out.push(format!(
                "{n}: dhcp4 {} → {:?}",
                self.lease,
                r.err().map(|e| e.errno)
            ));
        }
        format!("network config applied: {}", out.join("; "))
    }
}

impl Agent for CloudInit {
    fn name(&self) -> &str {
        "cloud-init"
    }
    fn describe(&self) -> String {
        format!("cloud-init {}", self.version)
    }
    fn hash_state(&self, mut h: &mut dyn Hasher) {
        self.hash(&mut h);
    }
    /// Its state holds names, ifindexes and strings, no kernel ids.
    fn hash_is_self_contained(&self) -> bool {
        true
    }
    fn listens(&self) -> Listens {
        Listens::NONE
    }
    fn deliver(&mut self, _m: &Msg) {}
    fn choices_read_kernel(&self) -> bool {
        false
    }
    fn choices(&self, _k: &Kernel) -> Vec<Choice> {
        if self.done {
            return Vec::new();
        }
        let applying = self.chosen.is_some();
        vec![Choice {
            thread: 0,
            needs_rtnl: applying,
            writes_kernel: applying,
            sends: false,
            local: false,
        }]
    }
    fn step(&mut self, _thread: u32, cx: &mut Cx<'_>) -> String {
        if self.chosen.is_none() {
            self.scan(cx)
        } else {
            self.apply(cx)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i(n: &str, mac: &str, d: &str) -> (Iface, bool) {
        ((n.into(), mac.into(), d.into()), false)
    }

    /// 642276120 (23.2) `filter_hyperv_vf_with_synthetic_interface`: a VF
    /// sharing the hv_netvsc MAC is dropped — only when the netvsc is
    /// listed (agents.md §3.3).
    #[test]
    fn hyperv_vf_filter_23_2() {
        let v = Version::parse("23.2").unwrap();
        let both = [
            i("eth0", "00:15:5d:00:00:01", "hv_netvsc"),
            i("eth1", "00:15:5d:00:00:01", "mana"),
        ];
        let got = get_interfaces(v, &both, false).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "eth0");
        let vf_only = [i("eth1", "00:15:5d:00:00:01", "mana")];
        let got = get_interfaces(v, &vf_only, false).unwrap();
        assert_eq!(
            driver_for_mac(&got, "00:15:5d:00:00:01").as_deref(),
            Some("mana"),
            "Assuming driver for interface with mac"
        );
    }

    /// Before 23.2: BLACKLIST_DRIVERS (20.4, 8ec8c3fc6) hides mlx4/mlx5 but
    /// not MANA, and the duplicate MAC raises (LP #1844191 / GH #3450).
    #[test]
    fn duplicate_mac_before_23_2() {
        let v = Version::parse("22.4").unwrap();
        let mlx = [
            i("eth0", "00:15:5d:00:00:01", "hv_netvsc"),
            i("eth1", "00:15:5d:00:00:01", "mlx5_core"),
        ];
        assert_eq!(get_interfaces(v, &mlx, false).unwrap().len(), 1);
        let mana = [
            i("eth0", "00:15:5d:00:00:01", "hv_netvsc"),
            i("eth1", "00:15:5d:00:00:01", "mana"),
        ];
        let e = get_interfaces(v, &mana, false).unwrap_err();
        assert!(
            e.starts_with("duplicate mac found! both 'eth0' and 'eth1'"),
            "{e}"
        );
        let old = Version::parse("19.3").unwrap();
        assert!(get_interfaces(old, &mlx, false).is_err());
    }

    /// get_interfaces drops a device with a master, except in fallback
    /// (find_candidate_nics_on_linux turns that filter off, agents.md §0.1).
    #[test]
    fn master_filter_and_fallback() {
        let v = Version::parse("24.1").unwrap();
        let slave = [(
            (
                "eth1".to_string(),
                "52:54:00:00:00:02".to_string(),
                "mlx5_core".to_string(),
            ),
            true,
        )];
        assert!(get_interfaces(v, &slave, false).unwrap().is_empty());
        assert_eq!(get_interfaces(v, &slave, true).unwrap().len(), 1);
        assert_eq!(driver_for_mac(&[], "x"), None);
    }
}
