//! One explorer invocation, independent of the CLI: load a scenario (a
//! built-in name or a file), build its world, search or replay, and
//! produce the report, the replayed steps and the HTML page. `ifnet
//! explore` parses arguments into [`Request`] and prints what
//! [`execute`] returns.

use crate::explore::{replay, search, Config, Mode, Progress};
use crate::report::{Report, StepJson};
use crate::scenario::Scenario;
use crate::step::parse_schedule;
use crate::world::World;
use std::collections::BTreeMap;

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// A built-in scenario's name or a file's path.
    pub scenario: String,
    pub kernel: Option<String>,
    pub agents: BTreeMap<String, String>,
    pub seed: u64,
    pub random: Option<u64>,
    pub pct: Option<u32>,
    pub max_depth: Option<usize>,
    pub max_preemptions: Option<u32>,
    pub shard: Option<(u32, u32)>,
    pub replay: Option<String>,
    pub html: Option<String>,
    pub no_reduction: bool,
    pub no_symmetry: bool,
    pub keep_going: bool,
}

/// What came out.
#[derive(Debug, Clone)]
pub struct Response {
    pub report: Report,
    /// A replay's steps, each with what the actor saw (text output).
    pub replayed: Vec<(String, String, Vec<String>)>,
    /// The HTML page, when asked for.
    pub html: Option<String>,
}

/// Bounds on a run's arguments.
pub const MAX_WALKS: u64 = 10_000_000;
pub const MAX_PCT_DEPTH: u32 = 64;

/// The largest scenario file read.
const MAX_FILE: u64 = crate::scenario::MAX_SCENARIO_BYTES as u64;

/// Loads a scenario: a built-in name, else a file.
pub fn load(name: &str) -> Result<Scenario, String> {
    if let Some(t) = crate::builtin::get(name) {
        return Scenario::parse(t);
    }
    let meta = std::fs::metadata(name).map_err(|e| format!("no built-in scenario {name:?} and no such file ({e}); `ifnet explore list` shows the built-in ones"))?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return Err(format!(
            "{name}: not a scenario file of at most {MAX_FILE} bytes"
        ));
    }
    let text = std::fs::read_to_string(name).map_err(|e| format!("{name}: {e}"))?;
    Scenario::parse(&text).map_err(|e| format!("{name}: {e}"))
}

fn config(r: &Request) -> Config {
    let mode = match (r.random, r.pct) {
        (Some(walks), Some(depth)) => Mode::Pct {
            walks,
            seed: r.seed,
            depth,
        },
        (Some(walks), None) => Mode::Random {
            walks,
            seed: r.seed,
        },
        (None, _) => Mode::Exhaustive,
    };
    let d = Config::default();
    Config {
        mode,
        max_depth: r.max_depth.unwrap_or(d.max_depth),
        max_preemptions: r.max_preemptions,
        shard: r.shard,
        keep_fingerprints: r.shard.is_some(),
        reduction: !r.no_reduction,
        symmetry: !r.no_symmetry,
        keep_going: r.keep_going,
        ..d
    }
}

fn records_json(w: &World, rep: &replay::Replay) -> Vec<StepJson> {
    let _ = w;
    rep.records
        .iter()
        .map(|r| StepJson {
            lane: r.lane.clone(),
            text: r.text.clone(),
        })
        .collect()
}

fn lanes(w: &World) -> Vec<String> {
    let mut v = vec!["hardware".to_string(), "kernel".to_string()];
    v.extend(w.agent_names());
    v
}

/// Runs a request.
pub fn execute(r: &Request, progress: &mut dyn FnMut(Progress)) -> Result<Response, String> {
    if r.pct.is_some() && r.random.is_none() {
        return Err("--pct D needs --random N (the number of runs)".into());
    }
    if r.random.is_some_and(|n| n == 0 || n > MAX_WALKS) {
        return Err(format!("--random takes 1 to {MAX_WALKS} walks"));
    }
    if r.pct.is_some_and(|d| d == 0 || d > MAX_PCT_DEPTH) {
        return Err(format!("--pct takes a depth of 1 to {MAX_PCT_DEPTH}"));
    }
    if r.max_depth == Some(0) {
        return Err("--max-depth must be at least 1".into());
    }
    let sc = load(&r.scenario)?;
    let world = sc.build(r.kernel.as_deref(), &r.agents)?;
    let props = sc.props()?;
    let kernel = world.kernel.profile().name.clone();
    let t0 = std::time::Instant::now();
    if let Some(s) = &r.replay {
        let schedule = parse_schedule(s)?;
        let rep = replay::self_check(&world, &props, &schedule)?;
        let mut out = crate::explore::Outcome {
            steps: rep.records.len() as u64,
            states: rep.records.len() as u64 + 1,
            witnesses: rep.witnesses.clone(),
            ..Default::default()
        };
        if let Some((inv, msg)) = &rep.violation {
            let upto = rep.violating_step.map_or(0, |i| i + 1);
            out.violation = Some(crate::explore::Violation {
                invariant: inv.clone(),
                message: msg.clone(),
                schedule: schedule[..upto].to_vec(),
            });
        }
        let html = r.html.as_ref().map(|_| page(&sc, &kernel, &world, &rep));
        let steps = records_json(&world, &rep);
        let report = Report::new(
            &sc.name,
            &kernel,
            &out,
            t0.elapsed().as_secs_f64(),
            Some(steps),
        );
        let replayed = rep
            .records
            .into_iter()
            .map(|x| (x.lane, x.text, x.detail))
            .collect();
        return Ok(Response {
            report,
            replayed,
            html,
        });
    }
    let cfg = config(r);
    let out = search(&world, &props, &cfg, progress);
    let secs = t0.elapsed().as_secs_f64();
    let mut rep_steps = None;
    let mut html = None;
    if let Some(v) = &out.violation {
        let rep = replay::self_check(&world, &props, &v.schedule)?;
        if rep.violation.as_ref().map(|x| &x.0) != Some(&v.invariant) {
            return Err(format!(
                "the counterexample does not replay to {}: a bug in the explorer",
                v.invariant
            ));
        }
        rep_steps = Some(records_json(&world, &rep));
        html = r.html.as_ref().map(|_| page(&sc, &kernel, &world, &rep));
    } else if r.html.is_some() {
        let rep = replay::replay(&world, &props, &[], true)?;
        html = Some(page(&sc, &kernel, &world, &rep));
    }
    let mut report = Report::new(&sc.name, &kernel, &out, secs, rep_steps);
    report.shard = r.shard.map(|(i, n)| [i, n]);
    Ok(Response {
        report,
        replayed: Vec::new(),
        html,
    })
}

fn page(sc: &Scenario, kernel: &str, w: &World, rep: &replay::Replay) -> String {
    let summary = match &rep.violation {
        Some((inv, msg)) => format!("VIOLATION {inv}: {msg}"),
        None => "no violation".to_string(),
    };
    crate::html::render(
        &format!("{} on kernel {kernel}", sc.name),
        &summary,
        &lanes(w),
        &rep.records,
        rep.violating_step,
    )
}

/// `--shard I/N`.
pub fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("bad --shard {s:?} (expected I/N with 0 <= I < N <= 4096)");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (u32, u32) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if n == 0 || n > 4096 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}
