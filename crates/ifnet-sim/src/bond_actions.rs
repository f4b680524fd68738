//! The bonding actions a scenario names (seed 003): making an
//! active-backup bond, enslaving a port to it, and pulling or restoring a
//! port's cable — each through the request a real tool sends (RTM_NEWLINK
//! with IFLA_INFO_DATA, IFLA_MASTER) or the bus's own call (`hw_carrier`).

use crate::action::Action;
use crate::hardware::resolve;
use crate::world::World;
use ifnet_core::client::{link_named, Client};
use ifnet_core::{DevId, Kernel};
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::{BondMode, InfoBond, InfoData, InfoKind, LinkAttribute, LinkInfo};
use netlink_packet_route::RouteNetlinkMessage;

/// Runs a bonding action; None for any other action.
pub fn run(w: &mut World, action: &Action) -> Option<(bool, String)> {
    let init = w.kernel.init_net();
    Some(match action {
        Action::BondAdd {
            name,
            miimon,
            updelay,
            downdelay,
        } => {
            let mut m = link_named(name);
            m.attributes.push(LinkAttribute::LinkInfo(vec![
                LinkInfo::Kind(InfoKind::Bond),
                LinkInfo::Data(InfoData::Bond(vec![
                    InfoBond::Mode(BondMode::ActiveBackup),
                    InfoBond::MiiMon(*miimon),
                    InfoBond::UpDelay(*updelay),
                    InfoBond::DownDelay(*downdelay),
                ])),
            ]));
            let r = Client::new(&mut w.kernel, init).request(
                RouteNetlinkMessage::NewLink(m),
                NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            );
            let errno = r.as_ref().err().map(|e| e.errno);
            (
                r.is_ok(),
                format!("RTM_NEWLINK {name} type bond → {errno:?}"),
            )
        }
        Action::Enslave { dev, master } => {
            let Some(d) = resolve(&w.kernel, dev) else {
                return Some((false, format!("Cannot find device \"{dev}\"")));
            };
            let name = w.kernel.dev(d).name.to_string();
            let r = Client::new(&mut w.kernel, init).set_master(&name, Some(master));
            let errno = r.as_ref().err().map(|e| e.errno);
            (
                r.is_ok(),
                format!("RTM_NEWLINK {name} master {master} → {errno:?}"),
            )
        }
        Action::Carrier { bus, on } => match w.kernel.hw_carrier(bus, *on) {
            Ok(()) => (true, format!("cable {}", if *on { "in" } else { "pulled" })),
            Err(e) => (false, format!("hw carrier failed: {:?}", e.errno)),
        },
        _ => return None,
    })
}

/// Whether `dev` is the only slave of a bond: its unregistering then
/// leaves the bond empty (`bond_release_and_destroy` is not involved for
/// a bond made over netlink; the bond stays, with no slaves).
pub fn is_last_bond_slave(k: &Kernel, dev: DevId) -> bool {
    let Some(m) = k.try_dev(dev).and_then(|d| d.master) else {
        return false;
    };
    k.try_dev(m)
        .and_then(|b| b.driver.bond())
        .is_some_and(|b| b.slaves.len() == 1 && b.slaves[0].dev == dev)
}

/// Whether a bond has failed over: a slave that lost its link is not the
/// active one while another slave is.
pub fn bond_failed_over(k: &Kernel) -> bool {
    k.nets().into_iter().any(|net| {
        k.devices_in(net).into_iter().any(|d| {
            let Some(b) = k.dev(d).driver.bond() else {
                return false;
            };
            let failed = b.slaves.iter().any(|s| s.link_failure_count > 0);
            failed
                && b.curr_active_slave
                    .is_some_and(|a| b.slave(a).is_some_and(|s| s.link_failure_count == 0))
        })
    })
}

/// The bond's one TX path (active-backup): the active slave is one of its
/// slaves and the only one not marked backup.
pub fn bond_tx_path_error(k: &Kernel) -> Option<String> {
    for (_, d) in k.listed_devices() {
        {
            let Some(b) = k.dev(d).driver.bond() else {
                continue;
            };
            let name = &k.dev(d).name;
            let active: Vec<_> = b
                .slaves
                .iter()
                .filter(|s| !s.backup)
                .map(|s| s.dev)
                .collect();
            let ok = match b.curr_active_slave {
                Some(a) => b.slave(a).is_some() && active == [a],
                None => active.is_empty(),
            };
            if !ok {
                return Some(format!(
                    "bond {name}: active slave {:?}, slaves not in backup {active:?}",
                    b.curr_active_slave
                ));
            }
        }
    }
    None
}
