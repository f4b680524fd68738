//! ifnet-sim, the explorer: modelled user-space agents (systemd-udevd and
//! its rules, NetworkManager, systemd-networkd, cloud-init, a scripted
//! administrator, or your own [`agent::Agent`]) run against the ifnet
//! kernel model in atomic steps a scheduler chooses (DESIGN.md
//! "Concurrency model"); scenarios are TOML files; the search (exhaustive
//! with sleep sets and symmetry, random walks, PCT) checks invariants after
//! every step and prints a counterexample schedule that replays.
#![forbid(unsafe_code)]

pub mod action;
pub mod agent;
pub(crate) mod agent_slot;
pub mod agents;
pub mod bond_actions;
pub mod builtin;
pub mod explore;
pub mod facts;
pub mod fast_hash;
pub mod hardware;
pub mod html;
pub mod kcell;
pub mod memo;
pub mod props;
pub mod pump;
pub mod report;
pub mod run;
pub mod scenario;
pub mod step;
pub mod step_cache;
pub(crate) mod step_memo;
pub mod versioned;
pub mod world;
pub(crate) mod world_fp;

pub use scenario::Scenario;
pub use step::Step;
pub use world::World;
