//! The search: exhaustive depth-first with a fingerprint visited set and
//! sleep sets (`dfs.rs`), seeded random walks and PCT (`walk.rs`),
//! counterexample replay and minimisation (`replay.rs`); the run's
//! configuration and its report.

pub mod dfs;
pub mod replay;
pub mod walk;

use crate::props::Props;
use crate::step::Step;
use crate::world::World;
use std::collections::BTreeMap;

/// How to search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Exhaustive,
    /// `walks` random walks from `seed`.
    Random {
        walks: u64,
        seed: u64,
    },
    /// PCT (probabilistic concurrency testing) with `depth` priority
    /// change points, `walks` runs from `seed`.
    Pct {
        walks: u64,
        seed: u64,
        depth: u32,
    },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub max_depth: usize,
    /// Bound on states (exhaustive) before the search stops incomplete.
    pub max_states: usize,
    /// Sleep sets on (partial-order reduction).
    pub reduction: bool,
    /// Symmetry groups honoured.
    pub symmetry: bool,
    /// Bound on preemptions (switching away from a lane that could go on).
    pub max_preemptions: Option<u32>,
    /// `(i, n)`: explore shard `i` of `n`.
    pub shard: Option<(u32, u32)>,
    /// Keep the visited fingerprints in the report (shards, tests).
    pub keep_fingerprints: bool,
    /// Go on past a violation (not below it) to count the whole space;
    /// the first violation found is reported.
    pub keep_going: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            mode: Mode::Exhaustive,
            max_depth: 200,
            max_states: 2_000_000,
            reduction: true,
            symmetry: true,
            max_preemptions: None,
            shard: None,
            keep_fingerprints: false,
            keep_going: false,
        }
    }
}

/// A broken invariant and the schedule that reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub invariant: String,
    pub message: String,
    pub schedule: Vec<Step>,
}

/// What a search found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub states: u64,
    pub steps: u64,
    /// The search covered everything within its bounds.
    pub complete: bool,
    /// The depth bound cut some path.
    pub depth_cut: bool,
    pub violation: Option<Violation>,
    pub witnesses: BTreeMap<String, bool>,
    pub fingerprints: Vec<u128>,
    pub max_depth_seen: usize,
}

/// A progress report, every few thousand states.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub states: u64,
    pub steps: u64,
    pub depth: usize,
    pub queue: usize,
}

/// Checks a state: a broken invariant (with its name and message).
pub(crate) fn check_state(w: &World, props: &Props, terminal: bool) -> Option<(String, String)> {
    props
        .violated(w, terminal)
        .map(|(i, m)| (i.name().to_string(), m))
}

pub(crate) fn note_witnesses(w: &World, props: &Props, seen: &mut BTreeMap<String, bool>) {
    for &wit in &props.witnesses {
        if crate::props::witnessed(w, wit) {
            seen.insert(wit.name().to_string(), true);
        }
    }
}

/// Runs the search `cfg` asks for over `start`.
pub fn search(
    start: &World,
    props: &Props,
    cfg: &Config,
    progress: &mut dyn FnMut(Progress),
) -> Outcome {
    let mut start = start.clone();
    if !cfg.symmetry {
        start.symmetric = Default::default();
    }
    let mut out = match cfg.mode {
        Mode::Exhaustive => dfs::run(&start, props, cfg, progress),
        Mode::Random { walks, seed } => walk::run(&start, props, cfg, walks, seed, None, progress),
        Mode::Pct { walks, seed, depth } => {
            walk::run(&start, props, cfg, walks, seed, Some(depth), progress)
        }
    };
    for &wit in &props.witnesses {
        out.witnesses.entry(wit.name().to_string()).or_insert(false);
    }
    if let Some(v) = out.violation.take() {
        out.violation = Some(replay::minimise(&start, props, v));
    }
    out
}
