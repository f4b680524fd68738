//! Steps: the atomic moves a scheduler chooses between (DESIGN.md
//! "Concurrency model"), their lanes, what they touch (for partial-order
//! reduction), and the schedule string that names a run step by step.

use std::fmt;

/// One schedulable step. Its [`Step::token`] is what a schedule string
/// holds; tokens are unique among the steps enabled in one state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// The next hardware event of the plan with this index starts (a plug:
    /// the bus device's `add` uevent and its driver's probe, up to the
    /// first declared window; an unplug; a carrier change).
    Hw(usize),
    /// The kernel operation parked in a declared window advances to its
    /// next window or to its end (then a plug's `bind` uevent follows).
    Kernel,
    /// The due kernel work item with this sequence number runs (a chosen
    /// one: the kernel's workers run concurrently).
    Work(u64),
    /// The virtual clock advances to the next work item's due time.
    Clock,
    /// Agent `agent`'s thread `thread` takes its next step.
    Agent { agent: usize, thread: u32 },
}

impl Step {
    /// The schedule token: `hw0`, `k`, `w7`, `t`, `a2.5`.
    pub fn token(&self) -> String {
        match self {
            Step::Hw(i) => format!("hw{i}"),
            Step::Kernel => "k".into(),
            Step::Work(s) => format!("w{s}"),
            Step::Clock => "t".into(),
            Step::Agent { agent, thread } => format!("a{agent}.{thread}"),
        }
    }

    /// Parses one token of a schedule string.
    pub fn parse(tok: &str) -> Result<Step, String> {
        let bad = || format!("bad step {tok:?} in the schedule (expected hwN, k, wN, t or aN.M)");
        if tok == "k" {
            return Ok(Step::Kernel);
        }
        if tok == "t" {
            return Ok(Step::Clock);
        }
        if let Some(n) = tok.strip_prefix("hw") {
            return n.parse().map(Step::Hw).map_err(|_| bad());
        }
        if let Some(n) = tok.strip_prefix('w') {
            return n.parse().map(Step::Work).map_err(|_| bad());
        }
        if let Some(rest) = tok.strip_prefix('a') {
            let (a, t) = rest.split_once('.').ok_or_else(bad)?;
            let agent = a.parse().map_err(|_| bad())?;
            let thread = t.parse().map_err(|_| bad())?;
            return Ok(Step::Agent { agent, thread });
        }
        Err(bad())
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.token())
    }
}

/// The longest schedule string accepted (in steps): bounds replay input.
pub const MAX_SCHEDULE_STEPS: usize = 100_000;

/// A schedule: the steps of a run, written as tokens separated by spaces
/// or commas.
pub fn parse_schedule(s: &str) -> Result<Vec<Step>, String> {
    let toks: Vec<&str> = s
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    if toks.len() > MAX_SCHEDULE_STEPS {
        return Err(format!(
            "the schedule has {} steps; at most {MAX_SCHEDULE_STEPS} are accepted",
            toks.len()
        ));
    }
    toks.into_iter().map(Step::parse).collect()
}

/// Writes a schedule string.
pub fn schedule_string(steps: &[Step]) -> String {
    steps.iter().map(Step::token).collect::<Vec<_>>().join(" ")
}

/// What a step touches, declared before it runs (sleep sets need it for
/// the enabled steps of a state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    /// The actor: `None` for hardware, kernel, work and clock steps (one
    /// actor, the machine), `Some(i)` for agent `i`.
    pub agent: Option<usize>,
    /// The agent's thread.
    pub thread: u32,
    /// It touches only its thread's own state.
    pub local: bool,
    /// It may change kernel state (a request that writes, a plug).
    pub writes_kernel: bool,
    /// It may deliver messages to other agents (udev's broadcast).
    pub sends: bool,
    /// The agents its messages can reach (bit `j` for agent `j`; an agent
    /// past bit 63 always counts as reached): those listening to
    /// anything, but the sender.
    pub receivers: u64,
}

impl Footprint {
    /// Two steps commute when different agents take them, neither changes
    /// the kernel and neither sends to the other: two agents reading sysfs
    /// or netlink commute, and so do their private steps. Two threads of
    /// one agent commute when both are local and read-only (two udevd
    /// workers running rules). Everything the machine does (hardware,
    /// kernel, work, clock) is dependent with all.
    ///
    /// A message reaches only agents that listen: a step that sends
    /// commutes with another agent's step if that agent receives nothing
    /// (cloud-init and a script listen to nothing): the message changes
    /// only the sender and its receivers, and neither step writes the
    /// kernel that the other reads.
    pub fn independent(&self, other: &Footprint) -> bool {
        let quiet = !self.writes_kernel && !other.writes_kernel && !self.sends && !other.sends;
        let reaches =
            |f: &Footprint, to: usize| f.sends && (to >= 64 || f.receivers & (1u64 << to) != 0);
        match (self.agent, other.agent) {
            (Some(a), Some(b)) if a != b => {
                !self.writes_kernel
                    && !other.writes_kernel
                    && !reaches(self, b)
                    && !reaches(other, a)
            }
            (Some(_), Some(_)) => quiet && self.thread != other.thread && self.local && other.local,
            _ => false,
        }
    }
}

/// The lane a step is drawn in (reports, the HTML timeline).
pub fn lane_of(step: &Step, agent_names: &[String]) -> String {
    match step {
        Step::Hw(_) => "hardware".into(),
        Step::Kernel | Step::Work(_) | Step::Clock => "kernel".into(),
        Step::Agent { agent, .. } => agent_names
            .get(*agent)
            .cloned()
            .unwrap_or_else(|| format!("agent{agent}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        let steps = vec![
            Step::Hw(0),
            Step::Kernel,
            Step::Work(12),
            Step::Clock,
            Step::Agent {
                agent: 2,
                thread: 7,
            },
        ];
        let s = schedule_string(&steps);
        assert_eq!(s, "hw0 k w12 t a2.7");
        assert_eq!(parse_schedule(&s).unwrap(), steps);
        assert_eq!(
            parse_schedule("hw0,k").unwrap(),
            vec![Step::Hw(0), Step::Kernel]
        );
        assert!(parse_schedule("hw0 x").unwrap_err().contains("\"x\""));
        assert!(parse_schedule("a1").is_err());
        assert!(parse_schedule("a1.99999999999999999999").is_err());
    }

    /// Sleep-set independence: two reading agents commute; a writer, a
    /// sender, one agent's two threads and the machine do not.
    #[test]
    fn independence() {
        let r = |a| Footprint {
            agent: Some(a),
            thread: 0,
            local: false,
            writes_kernel: false,
            sends: false,
            receivers: 0,
        };
        assert!(r(0).independent(&r(1)));
        assert!(!r(0).independent(&r(0)));
        let w = Footprint {
            writes_kernel: true,
            ..r(1)
        };
        assert!(!r(0).independent(&w));
        let s = Footprint {
            sends: true,
            receivers: 1 << 0,
            ..r(1)
        };
        assert!(!r(0).independent(&s), "agent 0 receives what 1 sends");
        assert!(!s.independent(&r(0)));
        assert!(r(2).independent(&s), "agent 2 listens to nothing");
        let far = Footprint {
            agent: Some(70),
            ..r(0)
        };
        assert!(
            !far.independent(&s),
            "an agent past bit 63 counts as reached"
        );
        let m = Footprint {
            agent: None,
            thread: 0,
            local: false,
            writes_kernel: true,
            sends: true,
            receivers: u64::MAX,
        };
        assert!(!r(0).independent(&m));
        let t = |thread, local| Footprint {
            thread,
            local,
            ..r(0)
        };
        assert!(
            t(1, true).independent(&t(2, true)),
            "two udevd workers' rules"
        );
        assert!(!t(1, true).independent(&t(1, true)), "one thread");
        assert!(!t(1, true).independent(&t(2, false)), "a non-local step");
    }
}
