//! A scripted administrator: runs a scenario's `steps` in order, one per
//! scheduler step, each an RTNL-taking request (`ip netns add`, `ip link
//! set … netns …` — which parks in the namespace move's first declared
//! window —, `ip link set … up`, `ip netns del`). It lets a scenario put
//! user commands among the agents' and the kernel's steps.

use crate::action::Action;
use crate::agent::{Agent, Choice, Cx, Listens, Msg};
use ifnet_core::Kernel;
use std::hash::{Hash, Hasher};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Script {
    pub name: String,
    pub steps: std::sync::Arc<Vec<Action>>,
    pub next: usize,
}

impl Agent for Script {
    fn name(&self) -> &str {
        &self.name
    }
    fn describe(&self) -> String {
        format!("script ({} steps)", self.steps.len())
    }
    fn hash_state(&self, mut h: &mut dyn Hasher) {
        self.next.hash(&mut h);
    }
    fn listens(&self) -> Listens {
        Listens::NONE
    }
    fn deliver(&mut self, _m: &Msg) {}
    fn choices_read_kernel(&self) -> bool {
        false
    }
    fn choices(&self, _k: &Kernel) -> Vec<Choice> {
        if self.next < self.steps.len() {
            vec![Choice {
                thread: 0,
                needs_rtnl: true,
                writes_kernel: true,
                sends: false,
                local: false,
            }]
        } else {
            Vec::new()
        }
    }
    fn step(&mut self, _thread: u32, cx: &mut Cx<'_>) -> String {
        let a = self.steps[self.next].clone();
        self.next += 1;
        // The world runs it: it owns the namespace names and the parked
        // operation.
        cx.script_action = Some(a.clone());
        a.describe()
    }
}
