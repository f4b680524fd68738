//! Replaying a schedule step by step (with what each actor saw and what
//! the kernel did), minimising a counterexample (greedy removal of steps
//! while the same invariant still breaks: the shortest found), and the
//! determinism self-check (a replay run twice gives the same records).

use super::{Judge, Violation};
use crate::props::Props;
use crate::step::Step;
use crate::world::{StepRecord, World};
use std::collections::BTreeMap;

/// The result of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub records: Vec<StepRecord>,
    /// The invariant broken after the last step run, and its message.
    pub violation: Option<(String, String)>,
    /// Index of the violating step.
    pub violating_step: Option<usize>,
    /// The scenario's witnesses, and whether the replay reached them.
    pub witnesses: BTreeMap<String, bool>,
}

/// Replays `schedule`; stops at the first broken invariant. An error if a
/// step is not enabled where the schedule puts it.
pub fn replay(
    start: &World,
    props: &Props,
    schedule: &[Step],
    detail: bool,
) -> Result<Replay, String> {
    let mut w = start.clone();
    w.set_detail(detail);
    let mut r = Replay {
        records: Vec::new(),
        violation: None,
        violating_step: None,
        witnesses: props
            .witnesses
            .iter()
            .map(|w| (w.name().to_string(), false))
            .collect(),
    };
    let mut judge = Judge::new(props);
    if let Some(v) = judge.judge(&w, w.enabled().is_empty(), &mut r.witnesses) {
        r.violation = Some(v);
        return Ok(r);
    }
    for (i, s) in schedule.iter().enumerate() {
        let rec = w
            .apply(s)
            .map_err(|e| format!("step {} of the schedule: {e}", i + 1))?;
        r.records.push(rec);
        if let Some(v) = judge.judge(&w, w.enabled().is_empty(), &mut r.witnesses) {
            r.violation = Some(v);
            r.violating_step = Some(i);
            return Ok(r);
        }
    }
    Ok(r)
}

/// The longest schedule greedy minimisation works on.
pub const MINIMISE_MAX_STEPS: usize = 2_000;

fn breaks(start: &World, props: &Props, schedule: &[Step], inv: &str) -> bool {
    matches!(replay(start, props, schedule, false), Ok(r) if r.violation.as_ref().is_some_and(|(i, _)| i == inv))
}

/// Greedy minimisation: drop each step in turn (from the end) while the
/// schedule still replays to the same invariant; then cut it at the
/// violating step. Quadratic in the schedule's length, so only schedules
/// of at most [`MINIMISE_MAX_STEPS`] are minimised (longer ones are only
/// cut).
pub fn minimise(start: &World, props: &Props, v: Violation) -> Violation {
    let mut s = v.schedule.clone();
    let mut i = if s.len() <= MINIMISE_MAX_STEPS {
        s.len()
    } else {
        0
    };
    while i > 0 {
        i -= 1;
        let mut t = s.clone();
        t.remove(i);
        if breaks(start, props, &t, &v.invariant) {
            s = t;
        }
    }
    if let Ok(r) = replay(start, props, &s, false) {
        if let (Some(at), Some((inv, msg))) = (r.violating_step, r.violation) {
            s.truncate(at + 1);
            return Violation {
                invariant: inv,
                message: msg,
                schedule: s,
            };
        }
    }
    v
}

/// Runs a replay twice and compares: the model is deterministic, so a
/// difference is a bug in it (or in an agent).
pub fn self_check(start: &World, props: &Props, schedule: &[Step]) -> Result<Replay, String> {
    let a = replay(start, props, schedule, true)?;
    let b = replay(start, props, schedule, true)?;
    if a != b {
        return Err("non-deterministic: two replays of the same schedule differ".into());
    }
    Ok(a)
}
