//! A rough model of the names per namespace, to aim generated commands
//! (an unknown `master` would end the whole batch in iproute2); whether it
//! is right does not matter for the comparison.

use super::{Dev, Op, Spec};
use crate::support::Role;

/// A rough model of names per namespace — only to aim the generated
/// commands; whether it is right does not matter for the comparison.
#[derive(Clone, Debug)]
struct SimDev {
    ns: Role,
    name: String,
    bridge: bool,
    lo: bool,
    peer: Option<usize>,
    alive: bool,
}

struct Sim {
    devs: Vec<SimDev>,
    cur: Role,
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() < 16
        && n != "."
        && n != ".."
        && !n.contains(|c: char| c == '/' || c == ':' || c.is_whitespace())
}

impl Sim {
    fn new() -> Sim {
        let devs = Role::ALL
            .iter()
            .map(|&ns| SimDev {
                ns,
                name: "lo".into(),
                bridge: false,
                lo: true,
                peer: None,
                alive: true,
            })
            .collect();
        Sim {
            devs,
            cur: Role::Main,
        }
    }

    fn in_ns(&self, ns: Role) -> impl Iterator<Item = (usize, &SimDev)> {
        self.devs
            .iter()
            .enumerate()
            .filter(move |(_, d)| d.alive && d.ns == ns)
    }

    fn taken(&self, ns: Role, name: &str) -> bool {
        self.in_ns(ns).any(|(_, d)| d.name == name)
    }

    fn find(&self, ns: Role, name: &str) -> Option<usize> {
        self.in_ns(ns).find(|(_, d)| d.name == name).map(|(i, _)| i)
    }

    /// What `dev_get_valid_name` would give, roughly.
    fn alloc(&self, ns: Role, want: &str) -> Option<String> {
        if !valid_name(want) {
            return None;
        }
        match want.find('%') {
            None => (!self.taken(ns, want)).then(|| want.to_string()),
            Some(p) => {
                if &want[p..p + 2.min(want.len() - p)] != "%d" || want[p + 2..].contains('%') {
                    return None;
                }
                (0..100)
                    .map(|i| want.replacen("%d", &i.to_string(), 1))
                    .find(|n| n.len() < 16 && !self.taken(ns, n))
            }
        }
    }

    fn pick(&self, d: Dev) -> String {
        let pick_from = |v: Vec<&SimDev>, i: u8| v[usize::from(i) % v.len()].name.clone();
        match d {
            Dev::Named(n) => n.to_string(),
            Dev::Existing(i) => pick_from(self.in_ns(self.cur).map(|(_, d)| d).collect(), i),
            Dev::Bridge(i) => {
                let bridges: Vec<&SimDev> = self
                    .in_ns(self.cur)
                    .map(|(_, d)| d)
                    .filter(|d| d.bridge)
                    .collect();
                if bridges.is_empty() {
                    self.pick(Dev::Existing(i))
                } else {
                    pick_from(bridges, i)
                }
            }
        }
    }

    fn add(&mut self, name: String, bridge: bool) -> usize {
        self.devs.push(SimDev {
            ns: self.cur,
            name,
            bridge,
            lo: false,
            peer: None,
            alive: true,
        });
        self.devs.len() - 1
    }

    fn kill(&mut self, i: usize) {
        self.devs[i].alive = false;
        if let Some(p) = self.devs[i].peer {
            self.devs[p].alive = false;
        }
    }

    fn apply(&mut self, op: &Op) {
        let cur = self.cur;
        match op {
            Op::AddVeth(n, p, _) => {
                let Some(pn) = self.alloc(cur, p.as_deref().unwrap_or("veth%d")) else {
                    return;
                };
                let pi = self.add(pn, false);
                match self.alloc(cur, n) {
                    Some(nn) => {
                        let ni = self.add(nn, false);
                        self.devs[pi].peer = Some(ni);
                        self.devs[ni].peer = Some(pi);
                    }
                    None => self.devs[pi].alive = false,
                }
            }
            Op::AddBridge(n) => {
                if let Some(nn) = self.alloc(cur, n) {
                    self.add(nn, true);
                }
            }
            Op::Rename(d, n) => {
                if let Some(i) = self.find(cur, d) {
                    if n != d {
                        if let Some(nn) = self.alloc(cur, n) {
                            self.devs[i].name = nn;
                        }
                    }
                }
            }
            Op::Move(d, ns, n) => {
                let Some(i) = self.find(cur, d) else { return };
                if self.devs[i].lo || self.devs[i].bridge {
                    return;
                }
                if *ns != cur {
                    if !self.taken(*ns, d) {
                        self.devs[i].ns = *ns;
                    } else {
                        match n
                            .as_deref()
                            .filter(|n| n != d)
                            .and_then(|n| self.alloc(*ns, n))
                        {
                            Some(nn) => {
                                self.devs[i].ns = *ns;
                                self.devs[i].name = nn;
                            }
                            None => return,
                        }
                    }
                }
                if let Some(n) = n {
                    let name = self.devs[i].name.clone();
                    if *n != name {
                        if let Some(nn) = self.alloc(*ns, n) {
                            self.devs[i].name = nn;
                        }
                    }
                }
            }
            Op::Del(d) => {
                if let Some(i) = self.find(cur, d) {
                    if !self.devs[i].lo {
                        self.kill(i);
                    }
                }
            }
            Op::In(ns) => self.cur = *ns,
            Op::Cycle(ns) => {
                let doomed: Vec<usize> = self
                    .in_ns(*ns)
                    .filter(|(_, d)| !d.lo)
                    .map(|(i, _)| i)
                    .collect();
                for i in doomed {
                    self.kill(i);
                }
            }
            Op::Up(_)
            | Op::Down(_)
            | Op::Master(..)
            | Op::NoMaster(_)
            | Op::Mtu(..)
            | Op::Flag(..)
            | Op::Attr(..)
            | Op::GroupSet(..)
            | Op::GroupDel(_) => {}
        }
    }
}

/// Turn specs into concrete commands, aiming each at a device that
/// (probably) exists at that point.
pub fn resolve(specs: &[Spec]) -> Vec<Op> {
    let mut sim = Sim::new();
    let mut ops = Vec::with_capacity(specs.len());
    for s in specs {
        let op = match *s {
            Spec::AddVeth(n, p, x) => Op::AddVeth(n.into(), p.map(Into::into), x),
            Spec::AddBridge(n) => Op::AddBridge(n.into()),
            Spec::Up(d) => Op::Up(sim.pick(d)),
            Spec::Down(d) => Op::Down(sim.pick(d)),
            Spec::Rename(d, n) => Op::Rename(sim.pick(d), n.into()),
            Spec::Master(d, m) => Op::Master(sim.pick(d), sim.pick(m)),
            Spec::NoMaster(d) => Op::NoMaster(sim.pick(d)),
            Spec::Mtu(d, m) => Op::Mtu(sim.pick(d), m),
            Spec::Flag(d, w, on) => Op::Flag(sim.pick(d), w, on),
            Spec::Attr(d, k, v) => Op::Attr(sim.pick(d), k, v),
            Spec::GroupSet(g, w) => Op::GroupSet(g, w),
            Spec::GroupDel(g) => Op::GroupDel(g),
            Spec::Move(d, ns, n) => Op::Move(sim.pick(d), ns, n.map(Into::into)),
            Spec::Del(d) => Op::Del(sim.pick(d)),
            Spec::In(ns) => Op::In(ns),
            Spec::Cycle(ns) => Op::Cycle(ns),
        };
        sim.apply(&op);
        ops.push(op);
    }
    ops
}
