//! A world's fingerprint from its parts: the world's own
//! (`World::fingerprint`), or those of a world the step cache has not made
//! yet (`World::fingerprint_after`), hashed alike.

use crate::agent_slot::AgentSlot;
use crate::facts::Facts;
use crate::versioned::Versioned;
use crate::world::{HwDone, Parker};
use ifnet_core::fingerprint::FpHasher;
use ifnet_core::{Fingerprint, NetId};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// `v`'s hash under the canonical names in force (context `ctx`), kept
/// with it.
fn canonical_hash<T: Hash>(v: &Versioned<T>, ctx: u128) -> u128 {
    let mut h = FpHasher::default();
    (**v).hash(&mut h);
    let x = h.finish128();
    v.keep_canonical_hash(ctx, x);
    x
}

/// A world's agents as its fingerprint reads them: its own, or its own
/// with one of them replaced (the world a step of that agent makes).
#[derive(Clone, Copy)]
pub(crate) struct AgentsView<'a> {
    pub(crate) base: &'a [AgentSlot],
    pub(crate) replaced: Option<(usize, &'a AgentSlot)>,
}

impl<'a> AgentsView<'a> {
    fn iter(self) -> impl Iterator<Item = &'a AgentSlot> {
        self.base
            .iter()
            .enumerate()
            .map(move |(j, a)| match self.replaced {
                Some((i, r)) if i == j => r,
                _ => a,
            })
    }
}

/// What a world's fingerprint is made of (`fingerprint_of`).
pub(crate) struct FpParts<'a> {
    pub(crate) kernel: &'a crate::kcell::KernelCell,
    pub(crate) hw_done: HwDone,
    pub(crate) parker: &'a Option<Parker>,
    pub(crate) facts: &'a Versioned<Facts>,
    pub(crate) nets: &'a Versioned<BTreeMap<String, NetId>>,
    pub(crate) agents: AgentsView<'a>,
}

/// A world's fingerprint from its parts (`World::fingerprint`, and the
/// step cache's fingerprint of a world it has not made): the kernel's
/// (cached while the kernel is unchanged) with the user-space state. The
/// facts and namespace names name kernel objects: their hashes are taken
/// under the kernel's canonical names and kept while both they and the
/// canonical context are unchanged, so that most states hash neither
/// them nor build the canonical names again.
pub(crate) fn fingerprint_of(p: &FpParts<'_>) -> Fingerprint {
    let (kernel, ctx) = p.kernel.fingerprint_and_context();
    let mut h = FpHasher::default();
    kernel.0.hash(&mut h);
    p.hw_done.hash(&mut h);
    // A parker names a bus and a kind, no kernel object.
    p.parker.hash(&mut h);
    let cached = (p.facts.canonical_hash(ctx), p.nets.canonical_hash(ctx));
    let self_contained = p.agents.iter().all(|a| a.agent.hash_is_self_contained());
    match cached {
        (Some(f), Some(n)) if self_contained => {
            (f, n).hash(&mut h);
            hash_agents(p.agents, &mut h);
        }
        _ => p.kernel.with_canonical_names(|ctx| {
            let f = cached.0.unwrap_or_else(|| canonical_hash(p.facts, ctx));
            let n = cached.1.unwrap_or_else(|| canonical_hash(p.nets, ctx));
            (f, n).hash(&mut h);
            hash_agents(p.agents, &mut h);
        }),
    }
    Fingerprint(h.finish128())
}

/// The agents' part of the fingerprint: a self-contained agent's own
/// hash (cached while it is unchanged), the others' state (under the
/// kernel's canonical names: the caller is inside them).
fn hash_agents(agents: AgentsView<'_>, h: &mut FpHasher) {
    for a in agents.iter() {
        if a.agent.hash_is_self_contained() {
            a.own_hash().hash(h);
        } else {
            let mut dh: &mut dyn Hasher = h;
            a.agent.hash_state(&mut dh);
        }
    }
}
