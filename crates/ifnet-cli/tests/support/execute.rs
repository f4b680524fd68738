//! Running a scenario on one side: the `Backend` trait both sides implement,
//! `execute` (namespace setup, the batch steps, the final `link show` of
//! each namespace) and the normalisation of what it saw (namespace names →
//! placeholders, random hardware addresses masked).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use super::batch::{Scenario, Step};
use super::cmd::CmdOut;
use super::json::{self, Json};
use super::netns::{NsNames, Role};
use super::NO_ORACLE_ENV;

/// One side of the comparison: the kernel through `ip`, or `ifnet`.
pub(super) trait Backend {
    fn side(&self) -> &'static str;
    fn netns_add(&mut self, name: &str) -> Result<CmdOut, String>;
    fn netns_del(&mut self, name: &str, survivors: &[String]) -> Result<CmdOut, String>;
    /// `GLOBAL -n NS [-force] -batch FILE` (GLOBAL: `-d`, `-j` from
    /// `# flags:`).
    fn batch(
        &mut self,
        ns: &str,
        force: bool,
        global: &[String],
        file: &str,
    ) -> Result<CmdOut, String>;
    /// Bring the system to idle (linkwatch done) before the next look.
    fn settle(&mut self, live: &[String]) -> Result<(), String>;
    /// `-n NS [-d] [-j] link show`.
    fn show(&mut self, ns: &str, json: bool, details: bool) -> Result<CmdOut, String>;
    /// How a batch step is shown in reports.
    fn batch_label(&self, ns: Role, force: bool, file: &str) -> String {
        format!(
            "-n {} {}-batch {file}",
            ns.placeholder(),
            if force { "-force " } else { "" }
        )
    }
}

// ---------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------

/// A step's result, outputs normalized (names → placeholders, MACs masked).
#[derive(Clone, Debug)]
pub struct StepResult {
    pub label: String,
    pub out: CmdOut,
}

/// What one namespace looks like at the end.
#[derive(Clone, Debug)]
pub struct NsView {
    pub role: Role,
    pub text: CmdOut,
    pub json_raw: CmdOut,
    pub json: Result<Json, String>,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub side: &'static str,
    pub steps: Vec<StepResult>,
    pub views: Vec<NsView>,
}

/// Replaces real names by placeholders and masks random hardware addresses.
struct Normalizer<'a> {
    names: &'a NsNames,
    keep: BTreeSet<String>,
    bridge_ids: bool,
}

pub const MASK: &str = "<hwaddr>";

impl Normalizer<'_> {
    fn text(&self, s: &str) -> String {
        let s = self.names.unsubstitute(s);
        let mut out = String::with_capacity(s.len());
        for (i, line) in s.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&super::details::mask_line(
                &self.mask_line(line),
                self.bridge_ids,
            ));
        }
        out
    }

    /// `link/ether XX:..` and `permaddr XX:..` → placeholder; `brd` is kept.
    /// The same for `"address":"XX:.."` and `"permaddr":"XX:.."` in JSON
    /// printed by a `-j` batch.
    fn mask_line(&self, line: &str) -> String {
        const KEYS: [(&str, char); 4] = [
            ("link/ether ", ' '),
            ("permaddr ", ' '),
            ("\"address\":\"", '"'),
            ("\"permaddr\":\"", '"'),
        ];
        let mut out = String::new();
        let mut rest = line;
        loop {
            let hit = KEYS
                .iter()
                .filter_map(|(k, end)| rest.find(k).map(|p| (p, k.len(), *end)))
                .min();
            let Some((p, klen, stop)) = hit else {
                out.push_str(rest);
                return out;
            };
            out.push_str(&rest[..p + klen]);
            rest = &rest[p + klen..];
            let end = rest.find(stop).unwrap_or(rest.len());
            let addr = &rest[..end];
            if self.keep.contains(&addr.to_ascii_lowercase()) {
                out.push_str(addr);
            } else {
                out.push_str(MASK);
            }
            rest = &rest[end..];
        }
    }

    fn out(&self, o: CmdOut) -> CmdOut {
        CmdOut {
            rc: o.rc,
            stdout: self.text(&o.stdout),
            stderr: self.text(&o.stderr),
        }
    }

    fn json(&self, raw: &str) -> Result<Json, String> {
        let mut j = json::parse(raw).map_err(|e| format!("{e}; output was {raw:?}"))?;
        let keep = &self.keep;
        let names = self.names;
        let bridge_ids = self.bridge_ids;
        j.for_each_object_mut(&mut |m| {
            super::details::mask_members(m, bridge_ids);
            for (k, v) in m.iter_mut() {
                if let Json::Str(s) = v {
                    if (k == "address" || k == "perm_address")
                        && !keep.contains(&s.to_ascii_lowercase())
                    {
                        *s = MASK.to_string();
                    } else {
                        *s = names.unsubstitute(s);
                    }
                }
            }
        });
        Ok(j)
    }
}

/// The final `link show` (text and `-j`, with `-d` if asked) of every
/// namespace still alive.
fn final_views(
    be: &mut dyn Backend,
    sc: &Scenario,
    names: &NsNames,
    norm: &Normalizer,
    roles: &[Role],
    live: &BTreeSet<Role>,
) -> Result<Vec<NsView>, String> {
    let mut views = Vec::new();
    for &r in roles {
        if !live.contains(&r) {
            continue;
        }
        let text = be.show(&names.name(r), false, sc.details)?;
        let json_raw = be.show(&names.name(r), true, sc.details)?;
        let json = if json_raw.rc == 0 {
            norm.json(&json_raw.stdout)
        } else {
            Err(format!("exit code {}", json_raw.rc))
        };
        views.push(NsView {
            role: r,
            text: norm.out(text),
            json_raw: norm.out(json_raw),
            json,
        });
    }
    Ok(views)
}

pub(super) fn execute(
    be: &mut dyn Backend,
    sc: &Scenario,
    names: &NsNames,
    dir: &Path,
    strict_setup: bool,
) -> Result<Outcome, String> {
    let norm = Normalizer {
        names,
        keep: sc.literal_addresses(),
        bridge_ids: sc.mask_bridge_ids,
    };
    let roles = sc.roles();
    let mut live: BTreeSet<Role> = BTreeSet::new();
    let mut steps = Vec::new();
    let live_names =
        |live: &BTreeSet<Role>| -> Vec<String> { live.iter().map(|r| names.name(*r)).collect() };

    for &r in &roles {
        let o = be.netns_add(&names.name(r))?;
        if o.rc == 0 {
            live.insert(r);
        } else if strict_setup {
            return Err(format!(
                "cannot create network namespace {} (need root, iproute2 and netns \
                 support; set {NO_ORACLE_ENV}=1 to skip the differential tests): {}",
                names.name(r),
                o.stderr.trim()
            ));
        }
        steps.push(StepResult {
            label: format!("netns add {}", r.placeholder()),
            out: norm.out(o),
        });
    }

    let file = sc.file_name();
    for step in sc.steps()? {
        match step {
            Step::Batch { ns, lines } => {
                fs::write(dir.join(&file), sc.render(names, &lines))
                    .map_err(|e| format!("cannot write {}: {e}", dir.join(&file).display()))?;
                let o = be.batch(&names.name(ns), sc.force, &sc.global_options(), &file)?;
                let first = lines.first().map_or(0, |l| l + 1);
                let last = lines.last().map_or(0, |l| l + 1);
                steps.push(StepResult {
                    label: format!(
                        "{} (lines {first}-{last})",
                        be.batch_label(ns, sc.force, &file)
                    ),
                    out: norm.out(o),
                });
            }
            Step::NetnsDel(r) => {
                let mut survivors = live.clone();
                survivors.remove(&r);
                let o = be.netns_del(&names.name(r), &live_names(&survivors))?;
                if o.rc == 0 {
                    live.remove(&r);
                }
                steps.push(StepResult {
                    label: format!("netns del {}", r.placeholder()),
                    out: norm.out(o),
                });
            }
            Step::NetnsAdd(r) => {
                let o = be.netns_add(&names.name(r))?;
                if o.rc == 0 {
                    live.insert(r);
                }
                steps.push(StepResult {
                    label: format!("netns add {}", r.placeholder()),
                    out: norm.out(o),
                });
            }
        }
        be.settle(&live_names(&live))?;
    }

    let views = final_views(be, sc, names, &norm, &roles, &live)?;
    Ok(Outcome {
        side: be.side(),
        steps,
        views,
    })
}
