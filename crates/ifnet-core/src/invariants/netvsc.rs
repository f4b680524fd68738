//! hv_netvsc's state (drivers/netvsc*.rs): `netvsc_dev_list` holds each
//! registered netvsc once and nothing else; a bound VF is a live Ethernet
//! device whose master is that netvsc, with netvsc's rx_handler, its
//! `dev_hold` and IFF_SLAVE; nothing else has netvsc's rx_handler; a
//! netvsc waits for the host's association only while a VF is bound and
//! the host has not allocated one; a loaded module has the notifier.

use super::all_unique;
use crate::consts::*;
use crate::drivers::netvsc_vf::NETVSC_VF_HOLD;
use crate::ids::DevId;
use crate::kernel::Kernel;
use crate::netdev::RxHandler;

impl Kernel {
    pub(super) fn check_netvsc(&self) -> Result<(), String> {
        let list = &self.modules.netvsc.dev_list;
        if !all_unique(list) || (!list.is_empty() && !self.modules.netvsc.loaded) {
            return Err("netvsc_dev_list repeats a device or the module is not loaded".into());
        }
        if list.iter().any(|&n| {
            self.registered(n)
                .is_none_or(|d| d.driver.netvsc().is_none())
        }) {
            return Err("netvsc_dev_list holds a device that is not a registered netvsc".into());
        }
        let parked = self.parked_dev();
        for (id, d) in self.tables.devs.iter::<DevId>() {
            if let Some(p) = d.driver.netvsc() {
                // A netvsc parked in register_netdevice is not listed yet.
                let listed = list.contains(&id);
                let want = d.reg_state == RegState::Registered && parked != Some(id);
                if listed != want || p.nvdev != (d.reg_state == RegState::Registered) {
                    return Err(format!("netvsc {} is wrongly on netvsc_dev_list", d.name));
                }
                if p.vf_add_waiting && (p.vf_alloc || p.vf_netdev.is_none() || p.vf_add_done > 0) {
                    return Err(format!("netvsc {} waits for no association", d.name));
                }
                let flows_max = crate::drivers::netvsc::HV_VF_FLOWS_MAX;
                if p.vf_flows.len() > flows_max || (!p.vf_flows.is_empty() && !p.data_path_is_vf) {
                    return Err(format!(
                        "netvsc {} has {} VF-path flows (at most {flows_max}, none off the VF path)",
                        d.name,
                        p.vf_flows.len()
                    ));
                }
                if let Some(vf) = p.vf_netdev {
                    self.check_netvsc_vf(id, vf)?;
                } else if !d.lowers.is_empty() || p.data_path_is_vf {
                    return Err(format!(
                        "netvsc {} has lowers or a VF path but no VF",
                        d.name
                    ));
                }
            } else if list.contains(&id) {
                return Err(format!("{} is on netvsc_dev_list", d.name));
            }
            if d.rx_handler == Some(RxHandler::Netvsc) {
                let bound = d
                    .master
                    .and_then(|m| self.try_dev(m))
                    .and_then(|m| m.driver.netvsc())
                    .is_some_and(|p| p.vf_netdev == Some(id));
                if !bound {
                    return Err(format!(
                        "{} has netvsc's rx_handler but is no bound VF",
                        d.name
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_netvsc_vf(&self, ndev: DevId, vf: DevId) -> Result<(), String> {
        let Some(v) = self.registered(vf) else {
            return Err("a netvsc's vf_netdev is not a registered device".into());
        };
        let n = self.dev(ndev);
        let held = v.refs.iter().any(|r| r.holder == NETVSC_VF_HOLD);
        if v.master != Some(ndev)
            || n.lowers.as_slice() != [vf]
            || v.rx_handler != Some(RxHandler::Netvsc)
            || v.flags & IFF_SLAVE == 0
            || v.dev_type != ARPHRD_ETHER
            || !held
        {
            return Err(format!(
                "{} is not joined to netvsc {} as a VF",
                v.name, n.name
            ));
        }
        Ok(())
    }
}
