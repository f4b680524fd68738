//! An agent as a world holds it: shared between forked worlds until one
//! of them changes it, with a version (the step cache's key) and what is
//! cached about that version (its own hash, its choices).

use crate::agent::{Agent, Choice};
use ifnet_core::fingerprint::FpHasher;
use ifnet_core::Kernel;
use std::hash::Hasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// An agent as a world holds it.
#[derive(Clone)]
pub(crate) struct AgentSlot {
    /// Shared with forked worlds until one changes it (`agent_mut`): most
    /// steps change one agent, or none.
    pub(crate) agent: Arc<dyn Agent>,
    /// What is cached about this version of the agent, shared by the
    /// worlds that share the agent (so computed once per version; a
    /// plain cell per world cost more than the allocation it saves).
    pub(crate) cache: Arc<SlotCache>,
    /// Equal in two worlds exactly when they share the unchanged agent
    /// (the step cache's key).
    pub(crate) ver: u64,
}

impl AgentSlot {
    /// The agent's own hash (cached).
    pub(crate) fn own_hash(&self) -> u128 {
        *self.cache.hash.get_or_init(|| {
            let mut h = FpHasher::default();
            let mut dh: &mut dyn Hasher = &mut h;
            self.agent.hash_state(&mut dh);
            h.finish128()
        })
    }
}

/// An agent version's cached results.
#[derive(Default)]
pub(crate) struct SlotCache {
    /// Its own hash, for an agent whose hash is self-contained
    /// (`Agent::hash_is_self_contained`).
    hash: OnceLock<u128>,
    /// Its choices, for an agent whose choices do not read the kernel
    /// (`Agent::choices_read_kernel`).
    choices: OnceLock<Vec<Choice>>,
}

impl AgentSlot {
    /// `Agent::choices`, cached for the agent's version where they do not
    /// depend on the kernel.
    pub(crate) fn choices(&self, kernel: &Kernel) -> std::borrow::Cow<'_, [Choice]> {
        if self.agent.choices_read_kernel() {
            return self.agent.choices(kernel).into();
        }
        self.cache
            .choices
            .get_or_init(|| self.agent.choices(kernel))
            .as_slice()
            .into()
    }
}

/// Source of agent versions (never reused in a process).
static NEXT_AGENT_VERSION: AtomicU64 = AtomicU64::new(1);

pub(crate) fn next_agent_version() -> u64 {
    NEXT_AGENT_VERSION.fetch_add(1, Ordering::Relaxed)
}

/// The agent to change, copied first if another world shares it.
pub(crate) fn agent_mut(a: &mut Arc<dyn Agent>) -> &mut dyn Agent {
    if Arc::get_mut(a).is_none() {
        *a = a.clone_arc();
    }
    Arc::get_mut(a).expect("an agent just copied has no other owner")
}
