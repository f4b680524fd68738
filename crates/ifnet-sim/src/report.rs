//! The run's report: the `-j` object (`scenario`, `kernel`, `states`,
//! `steps`, `seconds`, `violation`, `witnesses`), its text form, the exit
//! status (0 clean, 1 violation, 2 a witness never reached), and merging
//! the reports of shards (`ifnet explore merge`).

use crate::explore::{Outcome, Violation};
use crate::step::{lane_of, schedule_string, Step};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepJson {
    pub lane: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViolationJson {
    pub invariant: String,
    pub message: String,
    pub schedule: String,
    pub steps: Vec<StepJson>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub scenario: String,
    pub kernel: String,
    pub states: u64,
    pub steps: u64,
    pub seconds: f64,
    pub complete: bool,
    pub violation: Option<ViolationJson>,
    pub witnesses: BTreeMap<String, bool>,
    /// `[i, n]` for a shard's report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<[u32; 2]>,
    /// A shard's visited fingerprints (hex), for merging.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fingerprints: Vec<String>,
}

impl Report {
    pub fn new(
        scenario: &str,
        kernel: &str,
        out: &Outcome,
        seconds: f64,
        steps_json: Option<Vec<StepJson>>,
    ) -> Report {
        Report {
            scenario: scenario.into(),
            kernel: kernel.into(),
            states: out.states,
            steps: out.steps,
            seconds,
            complete: out.complete,
            violation: out
                .violation
                .as_ref()
                .map(|v| violation_json(v, steps_json.unwrap_or_default())),
            witnesses: out.witnesses.clone(),
            shard: None,
            fingerprints: out
                .fingerprints
                .iter()
                .map(|f| format!("{f:032x}"))
                .collect(),
        }
    }

    /// 0: no violation and every witness reached; 1: a violation; 2: a
    /// witness never reached.
    pub fn exit_code(&self) -> i32 {
        if self.violation.is_some() {
            1
        } else if self.witnesses.values().any(|r| !r) {
            2
        } else {
            0
        }
    }

    /// The text form.
    pub fn text(&self) -> String {
        let mut s = format!(
            "scenario {} on kernel {}: {} states, {} steps in {:.3} s{}\n",
            self.scenario,
            self.kernel,
            self.states,
            self.steps,
            self.seconds,
            if self.complete { " (exhaustive)" } else { "" }
        );
        match &self.violation {
            Some(v) => {
                s.push_str(&format!("VIOLATION {}: {}\n", v.invariant, v.message));
                for (i, st) in v.steps.iter().enumerate() {
                    s.push_str(&format!("  {:>3} [{}] {}\n", i + 1, st.lane, st.text));
                }
                s.push_str(&format!("replay: --replay '{}'\n", v.schedule));
            }
            None => s.push_str("no violation\n"),
        }
        for (w, r) in &self.witnesses {
            s.push_str(&format!(
                "witness {w}: {}\n",
                if *r { "reached" } else { "NEVER REACHED" }
            ));
        }
        s
    }
}

fn violation_json(v: &Violation, steps: Vec<StepJson>) -> ViolationJson {
    ViolationJson {
        invariant: v.invariant.clone(),
        message: v.message.clone(),
        schedule: schedule_string(&v.schedule),
        steps,
    }
}

/// The lanes and texts of a schedule without running it (when no replay
/// is at hand).
pub fn plain_steps(schedule: &[Step], agents: &[String]) -> Vec<StepJson> {
    schedule
        .iter()
        .map(|s| StepJson {
            lane: lane_of(s, agents),
            text: s.token(),
        })
        .collect()
}

/// Merges shard reports: the union of their visited states, the summed
/// steps, the first violation (the shortest schedule, then the lowest
/// shard), and a witness reached in any shard.
pub fn merge(reports: &[Report]) -> Result<Report, String> {
    let first = reports.first().ok_or("no reports to merge")?;
    let mut fps = BTreeSet::new();
    let mut out = Report {
        shard: None,
        fingerprints: Vec::new(),
        violation: None,
        witnesses: BTreeMap::new(),
        states: 0,
        steps: 0,
        seconds: 0.0,
        complete: true,
        ..first.clone()
    };
    let n = first.shard.map(|s| s[1]);
    let mut seen_shards = BTreeSet::new();
    for r in reports {
        if r.scenario != first.scenario || r.kernel != first.kernel {
            return Err(format!(
                "reports of different runs: {} on {} and {} on {}",
                first.scenario, first.kernel, r.scenario, r.kernel
            ));
        }
        let Some([i, m]) = r.shard else {
            return Err("a report is not a shard's (run with --shard I/N)".into());
        };
        if Some(m) != n || !seen_shards.insert(i) {
            return Err(format!("shard {i}/{m} is repeated or from another split"));
        }
        fps.extend(r.fingerprints.iter().cloned());
        out.steps += r.steps;
        out.seconds = out.seconds.max(r.seconds);
        out.complete &= r.complete;
        for (w, reached) in &r.witnesses {
            *out.witnesses.entry(w.clone()).or_insert(false) |= reached;
        }
        if let Some(v) = &r.violation {
            let better = out
                .violation
                .as_ref()
                .is_none_or(|o| v.steps.len() < o.steps.len());
            if better {
                out.violation = Some(v.clone());
            }
        }
    }
    if n.is_some_and(|n| seen_shards.len() as u32 != n) {
        out.complete = false;
    }
    out.states = fps.len() as u64;
    Ok(out)
}
