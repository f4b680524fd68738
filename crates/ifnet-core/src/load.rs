//! Loading saved state: rebuild the derived indexes (name hash, altnames,
//! ifindex table) from the devices, and check every invariant a corrupt or
//! hand-edited file could break, so a bad file is rejected, never trusted.

use crate::consts::RegState;
use crate::ids::{DevId, NetId};
use crate::kernel::Kernel;

impl Kernel {
    /// Rebuilds indexes after deserialising; `Err` names the first broken
    /// invariant (the state is then unusable and must not be saved).
    pub fn rebuild_after_load(&mut self) -> Result<(), String> {
        if !self.devs.is_consistent() || !self.nets.is_consistent() {
            return Err("slab free lists are inconsistent".into());
        }
        if !self.net_exists(self.init_net) {
            return Err("init_net is missing".into());
        }
        for (_, net) in self.netns_names.iter() {
            if !self.net_exists(*net) {
                return Err("a named namespace does not exist".into());
            }
        }
        let nets: Vec<NetId> = self.nets();
        for &n in &nets {
            let net = self.net_mut(n);
            net.names.clear();
            net.altnames.clear();
            net.by_index.clear();
        }
        let devs: Vec<(DevId, NetId, RegState)> = self
            .devs
            .iter::<DevId>()
            .map(|(id, d)| (id, d.net, d.reg_state))
            .collect();
        for (id, net, state) in devs {
            let d = self.dev(id);
            if d.id != id {
                return Err(format!("device {} has a mismatched id", d.name));
            }
            if state != RegState::Registered {
                continue;
            }
            if !self.net_exists(net) {
                return Err(format!(
                    "device {} is in a namespace that does not exist",
                    d.name
                ));
            }
            if !crate::name::dev_valid_name(d.name.as_str()) || d.ifindex == 0 {
                return Err(format!(
                    "device {:?} has an invalid name or ifindex",
                    d.name
                ));
            }
            for link in d.master.iter().chain(d.lowers.iter()) {
                if self.try_dev(*link).is_none() {
                    return Err(format!("device {} links to a missing device", d.name));
                }
            }
            if let Some(p) = d.driver.veth_peer() {
                if self.try_dev(p).is_none() {
                    return Err(format!("veth {} has a missing peer", d.name));
                }
            }
            let (name, ifindex, alts) = (d.name, d.ifindex, d.altnames.clone());
            let n = self.net_mut(net);
            if n.names.insert(name, id).is_some() || n.by_index.insert(ifindex, id).is_some() {
                return Err(format!("duplicate name or ifindex for {name}"));
            }
            for a in alts {
                if n.altnames.insert(a, id).is_some() {
                    return Err(format!("duplicate altname on {name}"));
                }
            }
        }
        for &d in &self.linkwatch_list {
            if self.try_dev(d).is_none() {
                return Err("linkwatch list names a missing device".into());
            }
        }
        Ok(())
    }
}
