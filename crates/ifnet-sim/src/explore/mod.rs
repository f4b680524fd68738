//! The search: exhaustive depth-first with a fingerprint visited set and
//! sleep sets (`dfs.rs`), seeded random walks and PCT (`walk.rs`),
//! counterexample replay and minimisation (`replay.rs`); the run's
//! configuration and its report.

pub mod dfs;
pub mod replay;
pub mod walk;

use crate::props::Props;
use crate::step::Step;
pub use crate::step_cache::CacheMode;
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
    /// The step cache (`step_cache.rs`): on, off, or on with every hit
    /// run again and compared (tests).
    pub step_cache: CacheMode,
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
            step_cache: CacheMode::On,
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
    /// Steps the step cache answered, and steps it ran.
    pub cache_hits: u64,
    pub cache_misses: u64,
}

/// A progress report, every few thousand states.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub states: u64,
    pub steps: u64,
    pub depth: usize,
    pub queue: usize,
}

/// The properties' verdict on states. A property reads the kernel and the
/// facts and nothing else, so the verdict is remembered by their versions
/// (`KernelCell::version`, `Versioned::version`): a state that differs
/// from one judged before only in an agent, the hardware plan or a
/// cursor is not judged again.
pub(crate) struct Judge<'p> {
    props: &'p Props,
    memo: crate::fast_hash::FastMap<(u64, u64, bool), Verdict>,
}

#[derive(Clone)]
struct Verdict {
    /// The first broken invariant: its name and message.
    violated: Option<(String, String)>,
    witnessed: Vec<&'static str>,
}

impl Verdict {
    fn of(props: &Props, o: &crate::props::Observed<'_>, terminal: bool) -> Verdict {
        Verdict {
            violated: props
                .violated(o, terminal)
                .map(|(i, m)| (i.name().to_string(), m)),
            witnessed: props
                .witnesses
                .iter()
                .filter(|&&wit| crate::props::witnessed_observed(o, wit))
                .map(|wit| wit.name())
                .collect(),
        }
    }
}

/// Verdicts remembered at most (a full memo is emptied).
const MAX_VERDICTS: usize = 1 << 14;

impl<'p> Judge<'p> {
    pub(crate) fn new(props: &'p Props) -> Judge<'p> {
        Judge {
            props,
            memo: crate::fast_hash::FastMap::with_capacity_and_hasher(1024, Default::default()),
        }
    }

    /// Notes the witnesses `w` reaches into `seen` and returns the broken
    /// invariant, if any (with its name and message).
    pub(crate) fn judge(
        &mut self,
        w: &World,
        terminal: bool,
        seen: &mut BTreeMap<String, bool>,
    ) -> Option<(String, String)> {
        let key = (w.kernel.version(), w.facts.version(), terminal);
        if self.memo.len() >= MAX_VERDICTS && !self.memo.contains_key(&key) {
            self.memo.clear();
        }
        let props = self.props;
        let v = self
            .memo
            .entry(key)
            .or_insert_with(|| Verdict::of(props, &w.observed(), terminal));
        for name in &v.witnessed {
            if seen.get(*name) != Some(&true) {
                seen.insert(name.to_string(), true);
            }
        }
        v.violated.clone()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::props::{Invariant, Witness};

    /// A verdict is remembered by the kernel's and the facts' versions: a
    /// change of the facts alone (same kernel) is judged again, and a
    /// state that shares both is answered from the memo alike.
    #[test]
    fn judge_follows_the_facts() {
        let s = crate::Scenario::parse(crate::builtin::get("azure-vf-hotadd").unwrap()).unwrap();
        let mut w = s.build(None, &BTreeMap::new()).unwrap();
        let props = Props {
            invariants: vec![Invariant::CloudInitNoError],
            witnesses: vec![Witness::RenameWhileUp],
        };
        let mut judge = Judge::new(&props);
        let mut seen = BTreeMap::new();
        assert_eq!(judge.judge(&w, false, &mut seen), None);
        assert!(seen.is_empty());
        let kernel = w.kernel.version();
        w.facts.crash("cloud-init", "boom".into());
        w.facts.rename_while_up = true;
        assert_eq!(w.kernel.version(), kernel, "the kernel is unchanged");
        let v = judge.judge(&w, false, &mut seen);
        assert_eq!(v, Some(("cloud-init-no-error".into(), "boom".into())));
        assert_eq!(seen.get("rename-while-up"), Some(&true));
        let copy = w.clone();
        assert_eq!(judge.judge(&copy, false, &mut BTreeMap::new()), v);
    }
}
