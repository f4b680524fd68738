//! A read-only sysfs view of a device (`/sys/class/net/<name>/…`), the way
//! udev and cloud-init read it (userspace-clients.md §4).

use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;

impl Kernel {
    /// The device behind `/sys/class/net/<name>` as a process in `net`
    /// sees it: the kobjects sysfs holds (a registered device tagged with
    /// that namespace), not the name hash — inside a declared window a
    /// device can be in sysfs and not yet (or no longer) listed.
    pub fn sysfs_lookup(&self, net: NetId, name: &str) -> Option<DevId> {
        self.tables
            .devs
            .iter::<DevId>()
            .find(|(_, d)| {
                d.reg_state == crate::consts::RegState::Registered
                    && d.net == net
                    && d.name.as_str() == name
            })
            .map(|(id, _)| id)
    }

    /// `netdev_name()`: the device's name, while the id is live.
    pub fn netdev_name(&self, dev: DevId) -> Option<&str> {
        self.try_dev(dev).map(|d| d.name.as_str())
    }

    /// Reads `/sys/class/net/<name>/<attr>` from namespace `net`.
    pub fn sysfs_read_by_name(&self, net: NetId, name: &str, attr: &str) -> Option<String> {
        self.sysfs_read(self.sysfs_lookup(net, name)?, attr)
    }

    /// `ls /sys/class/net` in namespace `net`, sorted as `ls` sorts.
    pub fn sysfs_list(&self, net: NetId) -> Vec<String> {
        let mut v: Vec<String> = self
            .tables
            .devs
            .iter::<DevId>()
            .filter(|(_, d)| d.reg_state == crate::consts::RegState::Registered && d.net == net)
            .map(|(_, d)| d.name.to_string())
            .collect();
        v.sort();
        v
    }

    /// Reads `/sys/class/net/<dev>/<attr>`; `None` if the file does not exist.
    pub fn sysfs_read(&self, dev: DevId, attr: &str) -> Option<String> {
        let d = self.try_dev(dev)?;
        if d.reg_state != crate::consts::RegState::Registered {
            return None;
        }
        let v = match attr {
            "ifindex" => d.ifindex.to_string(),
            "iflink" => self.dev_get_iflink(dev).to_string(),
            "type" => d.dev_type.to_string(),
            "flags" => format!("{:#x}", d.flags),
            "address" => d.dev_addr.to_string(),
            "broadcast" => d.broadcast.to_string(),
            "addr_len" => d.dev_addr.len().to_string(),
            "mtu" => d.mtu.to_string(),
            "tx_queue_len" => d.tx_queue_len.to_string(),
            "operstate" => d.reported_operstate().name().to_ascii_lowercase(),
            "carrier" if d.running() => u8::from(d.carrier).to_string(),
            "dormant" if d.running() => u8::from(d.dormant).to_string(),
            "name_assign_type" if d.name_assign_type as u8 != 0 => {
                (d.name_assign_type as u8).to_string()
            }
            "addr_assign_type" => (d.addr_assign_type as u8).to_string(),
            "ifalias" => d.ifalias.clone().unwrap_or_default(),
            "carrier_changes" => (d.carrier_up_count + d.carrier_down_count).to_string(),
            "carrier_up_count" => d.carrier_up_count.to_string(),
            "carrier_down_count" => d.carrier_down_count.to_string(),
            "master" => self.try_dev(d.master?)?.name.to_string(),
            "device/driver" => d.driver.driver_name()?.to_string(),
            "uevent" => format!("INTERFACE={}\nIFINDEX={}", d.name, d.ifindex),
            _ => {
                if attr.starts_with("bonding") {
                    return self.bond_sysfs_read(dev, attr);
                }
                if let Some(v) = self.ipoib_sysfs_read(dev, attr) {
                    return Some(v);
                }
                if let Some(n) = attr.strip_prefix("upper_") {
                    let m = self.dev(d.master?);
                    return (m.name.as_str() == n).then(|| self.devpath(m.id));
                }
                if let Some(n) = attr.strip_prefix("lower_") {
                    return d
                        .lowers
                        .iter()
                        .find(|&&l| self.dev(l).name.as_str() == n)
                        .map(|&l| self.devpath(l));
                }
                return None;
            }
        };
        Some(v)
    }
}
