//! Exhaustive depth-first search over a world's steps, with a fingerprint
//! visited set and sleep sets (Godefroid): after exploring step `t` from a
//! state, its siblings explored later carry `t` in their sleep set while
//! they run steps independent of it, so that commuting orders are tried
//! once. A state revisited with a smaller sleep set explores the steps its
//! earlier visit slept on (the stored set becomes the intersection), so
//! the reduction never loses a state. Sharding splits the tree at the
//! first level with enough branches, deterministically.

use super::{Config, Judge, Outcome, Progress, Violation};
use crate::fast_hash::FastMap;
use crate::props::Props;
use crate::step::{Footprint, Step};
use crate::step_cache::{Looked, StepCache};
use crate::world::World;

struct Frame {
    /// `None` once its last step took it.
    world: Option<World>,
    /// Steps still to try, with footprints.
    todo: Vec<(Step, Footprint)>,
    /// Steps tried from here (for siblings' sleep sets).
    done: Vec<(Step, Footprint)>,
    sleep: Vec<(Step, Footprint)>,
    last_lane: Option<Option<usize>>,
    /// The previous step's actor has a step enabled here (computed once).
    last_can_go_on: bool,
    preemptions: u32,
}

/// What one search keeps across its subtrees.
struct Search<'a> {
    cfg: &'a Config,
    judge: Judge<'a>,
    /// Fingerprint → the sleep set it was explored with (step tokens)
    /// and the fewest preemptions it was reached with.
    visited: FastMap<u128, (Vec<Step>, u32)>,
    cache: StepCache,
}

fn lane_key(fp: &Footprint) -> Option<usize> {
    fp.agent
}

/// The frontier a shard starts from: paths to the first level that has at
/// least `4 * n` states (or the deepest level reached), split round-robin.
fn shard_roots(start: &World, cfg: &Config, i: u32, n: u32) -> Vec<(Vec<Step>, World)> {
    let mut level: Vec<(Vec<Step>, World)> = vec![(Vec::new(), start.clone())];
    for _ in 0..cfg.max_depth.min(32) {
        if level.len() >= 4 * n as usize {
            break;
        }
        let mut next = Vec::new();
        let mut grew = false;
        for (path, w) in &level {
            let en = w.enabled();
            if en.is_empty() {
                next.push((path.clone(), w.clone()));
                continue;
            }
            grew = true;
            for (s, _) in en {
                let mut c = w.clone();
                if c.apply(&s).is_ok() {
                    let mut p = path.clone();
                    p.push(s);
                    next.push((p, c));
                }
            }
        }
        level = next;
        if !grew {
            break;
        }
    }
    level
        .into_iter()
        .enumerate()
        .filter(|(k, _)| *k as u32 % n == i)
        .map(|(_, x)| x)
        .collect()
}

pub fn run(
    start: &World,
    props: &Props,
    cfg: &Config,
    progress: &mut dyn FnMut(Progress),
) -> Outcome {
    let roots = match cfg.shard {
        Some((i, n)) => shard_roots(start, cfg, i, n),
        None => vec![(Vec::new(), start.clone())],
    };
    let mut out = Outcome {
        complete: true,
        ..Default::default()
    };
    let mut sx = Search {
        cfg,
        judge: Judge::new(props),
        // Room for a small search's states; a larger one grows it.
        visited: FastMap::with_capacity_and_hasher(4096.min(cfg.max_states), Default::default()),
        cache: StepCache::new(cfg.step_cache),
    };
    for (prefix, root) in roots {
        if (out.violation.is_some() && !cfg.keep_going) || !out.complete {
            break;
        }
        // The prefix's own states belong to every shard that starts below
        // them: replay it to count and check them.
        let mut w = start.clone();
        for (n, s) in prefix.iter().enumerate() {
            if matches!(visit(&w, &mut sx.visited, &[], 0), Visit::New) {
                if let Some((inv, msg)) = sx.judge.judge(&w, false, &mut out.witnesses) {
                    out.violation.get_or_insert(Violation {
                        invariant: inv,
                        message: msg,
                        schedule: prefix[..n].to_vec(),
                    });
                }
            }
            let _ = w.apply(s);
            out.steps += 1;
        }
        let _ = w;
        explore_from(root, prefix, &mut sx, &mut out, progress);
    }
    if cfg.keep_fingerprints {
        let mut v: Vec<u128> = sx.visited.keys().copied().collect();
        v.sort_unstable();
        out.fingerprints = v;
    }
    out.states = sx.visited.len() as u64;
    out.cache_hits = sx.cache.hits;
    out.cache_misses = sx.cache.misses;
    out
}

/// What a visit found.
enum Visit {
    New,
    /// Seen before with a sleep set holding these steps that this visit's
    /// does not: only they are left to explore.
    Again(Vec<Step>),
    Seen,
}

/// Records a visit. A state seen before is explored again only for the
/// steps its earlier visits all slept on and this one does not, or
/// wholly when it is reached with fewer preemptions.
fn visit(
    w: &World,
    visited: &mut FastMap<u128, (Vec<Step>, u32)>,
    sleep: &[(Step, Footprint)],
    pre: u32,
) -> Visit {
    visit_fp(w.fingerprint().0, visited, sleep, pre)
}

/// `visit` of the state with fingerprint `fp`.
fn visit_fp(
    fp: u128,
    visited: &mut FastMap<u128, (Vec<Step>, u32)>,
    sleep: &[(Step, Footprint)],
    pre: u32,
) -> Visit {
    match visited.get_mut(&fp) {
        None => {
            let tokens = sleep.iter().map(|(s, _)| s.clone()).collect();
            visited.insert(fp, (tokens, pre));
            Visit::New
        }
        Some((old, old_pre)) => {
            if pre < *old_pre {
                *old_pre = pre;
                old.retain(|s| asleep(sleep, s));
                return Visit::New;
            }
            if covered(old, *old_pre, sleep, pre) {
                return Visit::Seen;
            }
            let missed: Vec<Step> = old.iter().filter(|s| !asleep(sleep, s)).cloned().collect();
            old.retain(|s| asleep(sleep, s));
            Visit::Again(missed)
        }
    }
}

/// Whether `visit` of a state with fingerprint `fp` would find it seen
/// (and change nothing): it is, with no more preemptions than now and
/// with a sleep set this one holds.
fn is_seen(
    visited: &FastMap<u128, (Vec<Step>, u32)>,
    fp: u128,
    sleep: &[(Step, Footprint)],
    pre: u32,
) -> bool {
    visited
        .get(&fp)
        .is_some_and(|(old, old_pre)| covered(old, *old_pre, sleep, pre))
}

/// Whether an earlier visit (its sleep set `old`, its preemptions
/// `old_pre`) explored all that this one would: it slept on nothing this
/// one explores, with no more preemptions.
fn covered(old: &[Step], old_pre: u32, sleep: &[(Step, Footprint)], pre: u32) -> bool {
    pre >= old_pre && old.iter().all(|s| asleep(sleep, s))
}

/// Whether `step` is in the sleep set `sleep`.
fn asleep(sleep: &[(Step, Footprint)], step: &Step) -> bool {
    sleep.iter().any(|(s, _)| s == step)
}

fn explore_from(
    root: World,
    prefix: Vec<Step>,
    sx: &mut Search<'_>,
    out: &mut Outcome,
    progress: &mut dyn FnMut(Progress),
) {
    let cfg = sx.cfg;
    let mut path = prefix;
    let base = path.len();
    let Some(root_frame) = root_frame(root, &path, sx, out) else {
        return;
    };
    let mut stack = vec![root_frame];

    loop {
        let queue = stack.len();
        let Some(top) = stack.last_mut() else {
            break;
        };
        let Some((step, fp)) = next_step(top) else {
            stack.pop();
            if path.len() > base {
                path.pop();
            }
            continue;
        };
        let pre = top.preemptions + u32::from(is_preemption(top, &fp));
        if cfg.max_preemptions.is_some_and(|m| pre > m) {
            top.done.push((step, fp));
            continue;
        }
        let Some(parent) = top.world.as_ref() else {
            continue;
        };
        let looked = parent.look_up(&step, &mut sx.cache);
        let child_sleep = sleep_of(top, &fp, cfg.reduction);
        // A hit's world is known by its fingerprint before it is made: a
        // step back into a state seen makes no world.
        let predicted = match &looked {
            Looked::Hit(o) => parent.fingerprint_after(&step, o, &mut sx.cache),
            _ => None,
        };
        out.steps += 1;
        if out.steps.is_multiple_of(4096) {
            progress(Progress {
                states: sx.visited.len() as u64,
                steps: out.steps,
                depth: path.len() + 1,
                queue,
            });
        }
        if let Some(p) = predicted.filter(|_| !sx.cache.checked()) {
            if is_seen(&sx.visited, p.0, &child_sleep, pre) {
                top.done.push((step, fp));
                if top.todo.is_empty() {
                    top.world = None;
                }
                continue;
            }
        }
        let Some(mut child) = fork_child(top, &step, fp) else {
            continue;
        };
        child.apply_looked(&step, looked, &mut sx.cache);
        let fingerprint = match predicted {
            Some(p) if sx.cache.checked() => {
                assert_eq!(p, child.fingerprint(), "the predicted world of {step}");
                p
            }
            Some(p) => p,
            None => child.fingerprint(),
        };
        path.push(step.clone());
        let seen = visit_fp(fingerprint.0, &mut sx.visited, &child_sleep, pre);
        let only = match seen {
            Visit::Seen => {
                path.pop();
                continue;
            }
            Visit::Again(missed) => Some(missed),
            Visit::New => None,
        };
        // Built in place and filled by `arrive`: a world is moved as
        // few times as it can be.
        let mut frame = Frame {
            world: Some(child),
            todo: Vec::new(),
            done: Vec::new(),
            sleep: child_sleep,
            last_lane: None,
            last_can_go_on: false,
            preemptions: pre,
        };
        match arrive(&mut frame, fp, only.as_deref(), &path, sx, out) {
            Arrive::Stop => return,
            Arrive::Pop => {
                path.pop();
            }
            Arrive::Push => stack.push(frame),
        }
    }
}

/// Checks the root of a (sub)search; `None` when there is nothing to
/// explore below it (seen by an earlier shard root, or violating).
fn root_frame(root: World, path: &[Step], sx: &mut Search<'_>, out: &mut Outcome) -> Option<Frame> {
    if !matches!(visit(&root, &mut sx.visited, &[], 0), Visit::New) && !path.is_empty() {
        return None;
    }
    let terminal = root.enabled().is_empty();
    if let Some((inv, msg)) = sx.judge.judge(&root, terminal, &mut out.witnesses) {
        out.violation = Some(Violation {
            invariant: inv,
            message: msg,
            schedule: path.to_vec(),
        });
        return None;
    }
    let todo = root.enabled();
    Some(Frame {
        world: Some(root),
        todo,
        done: Vec::new(),
        sleep: Vec::new(),
        last_lane: None,
        last_can_go_on: false,
        preemptions: 0,
    })
}

/// The sleep set of the child a step of footprint `fp` makes: the
/// parent's sleepers and already-tried siblings that commute with it.
fn sleep_of(top: &Frame, fp: &Footprint, reduction: bool) -> Vec<(Step, Footprint)> {
    if !reduction {
        return Vec::new();
    }
    top.sleep
        .iter()
        .chain(top.done.iter())
        .filter(|(_, f)| f.independent(fp))
        .cloned()
        .collect()
}

/// The world `step` is to run on (it joins the frame's tried steps). The
/// frame's last step takes its world (nothing reads it after: the frame
/// pops next); the others fork a copy.
fn fork_child(top: &mut Frame, step: &Step, fp: Footprint) -> Option<World> {
    top.done.push((step.clone(), fp));
    if top.todo.is_empty() {
        top.world.take()
    } else {
        top.world.clone()
    }
}

enum Arrive {
    /// The search ends (a violation, or the state bound).
    Stop,
    /// Do not go below this state.
    Pop,
    /// Explore below it: the frame is ready.
    Push,
}

/// Checks a newly reached state (`f`, reached by a step of footprint `fp`,
/// with its sleep set and preemptions) and decides whether to explore
/// below it: then fills in the steps to try (`only` them, when a revisit
/// left just those).
fn arrive(
    f: &mut Frame,
    fp: Footprint,
    only: Option<&[Step]>,
    path: &[Step],
    sx: &mut Search<'_>,
    out: &mut Outcome,
) -> Arrive {
    let (cfg, states) = (sx.cfg, sx.visited.len());
    out.max_depth_seen = out.max_depth_seen.max(path.len());
    let Some(world) = f.world.as_ref() else {
        return Arrive::Pop;
    };
    let enabled = world.enabled();
    let terminal = enabled.is_empty();
    if let Some((inv, msg)) = sx.judge.judge(world, terminal, &mut out.witnesses) {
        out.violation.get_or_insert(Violation {
            invariant: inv,
            message: msg,
            schedule: path.to_vec(),
        });
        return if cfg.keep_going {
            Arrive::Pop
        } else {
            Arrive::Stop
        };
    }
    if states >= cfg.max_states {
        out.complete = false;
        return Arrive::Stop;
    }
    if path.len() >= cfg.max_depth {
        if !enabled.is_empty() {
            out.depth_cut = true;
            out.complete = false;
        }
        return Arrive::Pop;
    }
    let last = lane_key(&fp);
    f.last_lane = Some(last);
    f.last_can_go_on = enabled.iter().any(|(_, g)| lane_key(g) == last);
    f.todo = enabled
        .into_iter()
        .filter(|(s, _)| !asleep(&f.sleep, s) && only.is_none_or(|o| o.contains(s)))
        .collect();
    Arrive::Push
}

fn next_step(f: &mut Frame) -> Option<(Step, Footprint)> {
    if f.todo.is_empty() {
        return None;
    }
    Some(f.todo.remove(0))
}

/// Switching away from the previous step's actor while it could go on.
fn is_preemption(f: &Frame, fp: &Footprint) -> bool {
    f.last_lane
        .is_some_and(|last| f.last_can_go_on && last != lane_key(fp))
}
