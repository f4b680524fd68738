//! Seeded random walks and PCT (Burckhardt et al., "A Randomized Scheduler
//! with Probabilistic Guarantees of Finding Bugs", 2010): for scenarios too
//! large to exhaust. Each walk runs from the initial world to a final
//! state or the depth bound; the same seed gives the same walks.

use super::{Config, Judge, Outcome, Progress, Violation};
use crate::props::Props;
use crate::step::Footprint;
use crate::world::World;
use std::collections::BTreeMap;

/// splitmix64: small, seedable, reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

fn actor(fp: &Footprint) -> usize {
    fp.agent.map_or(0, |a| a + 1)
}

/// PCT's state for one walk: a priority per actor, and the steps at which
/// the running actor's priority drops.
struct Pct {
    prio: BTreeMap<usize, u64>,
    change_at: Vec<usize>,
}

impl Pct {
    fn new(rng: &mut Rng, actors: usize, depth: u32, max_steps: usize) -> Pct {
        let prio = (0..actors)
            .map(|a| (a, depth as u64 + 1 + rng.next_u64() % 1_000_000))
            .collect();
        let change_at = (1..depth).map(|_| rng.below(max_steps.max(1))).collect();
        Pct { prio, change_at }
    }

    fn choose(&mut self, step_no: usize, en: &[(crate::step::Step, Footprint)]) -> usize {
        let best = (0..en.len())
            .max_by_key(|&i| {
                (
                    self.prio.get(&actor(&en[i].1)).copied().unwrap_or(0),
                    usize::MAX - i,
                )
            })
            .unwrap_or(0);
        if let Some(k) = self.change_at.iter().position(|&c| c == step_no) {
            self.prio.insert(actor(&en[best].1), k as u64);
        }
        best
    }
}

pub fn run(
    start: &World,
    props: &Props,
    cfg: &Config,
    walks: u64,
    seed: u64,
    pct: Option<u32>,
    progress: &mut dyn FnMut(Progress),
) -> Outcome {
    let mut out = Outcome {
        complete: false,
        ..Default::default()
    };
    let mut seen: crate::fast_hash::FastSet<u128> = Default::default();
    let mut judge = Judge::new(props);
    let mut rng = Rng::new(seed);
    for n in 0..walks {
        let mut w = start.clone();
        let mut path = Vec::new();
        let mut sched = pct.map(|d| Pct::new(&mut rng, start.agents().len() + 1, d, cfg.max_depth));
        seen.insert(w.fingerprint().0);
        loop {
            let en = w.enabled();
            if let Some((inv, msg)) = judge.judge(&w, en.is_empty(), &mut out.witnesses) {
                out.violation = Some(Violation {
                    invariant: inv,
                    message: msg,
                    schedule: path,
                });
                out.states = seen.len() as u64;
                return out;
            }
            if en.is_empty() || path.len() >= cfg.max_depth {
                break;
            }
            let pick = match &mut sched {
                Some(p) => p.choose(path.len(), &en),
                None => rng.below(en.len()),
            };
            let step = en[pick].0.clone();
            w.apply_enabled(&step);
            out.steps += 1;
            path.push(step);
            seen.insert(w.fingerprint().0);
            out.max_depth_seen = out.max_depth_seen.max(path.len());
        }
        if n.is_multiple_of(256) {
            progress(Progress {
                states: seen.len() as u64,
                steps: out.steps,
                depth: path.len(),
                queue: (walks - n) as usize,
            });
        }
        if seen.len() >= cfg.max_states {
            break;
        }
    }
    out.states = seen.len() as u64;
    out
}
