//! Scenarios: reading `ip -batch` files and their `#` directives (`# pins:`,
//! `# flags:`, `#@ in`, `#@ netns del|add`), splitting them into steps and
//! rendering the file each step runs.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use super::netns::{NsNames, Role};

/// One batch file (or one generated command sequence).
#[derive(Clone, Debug)]
pub struct Scenario {
    /// File stem; the batch runs as `<name>.batch`.
    pub name: String,
    /// The `# pins:` line (without the `# pins:` prefix).
    pub pins: String,
    /// Run with `-force`.
    pub force: bool,
    /// `# flags: -d`: the batch and the final `link show`s run with `-d`
    /// (details: IFLA_LINKINFO data, promiscuity, queues, …).
    pub details: bool,
    /// `# flags: -j`: the batch runs with `-j`, so its `link show` lines
    /// print JSON, compared as text (key order included).
    pub json: bool,
    /// `# flags: -4` / `-6`: the batch and the final views run with that
    /// preferred family.
    pub family: Option<String>,
    /// `# racy: WHY`: the kernel leaves different link-locals from run to
    /// run (one made while a link was briefly ready, or not: linkwatch
    /// races the batch's next command); link-locals are left out of the
    /// address views on both sides (fixed MACs too: whether one exists is
    /// what races).
    pub racy_addrs: bool,
    /// `# mask: bridge-ids`: bridge and port ids in `-d` output are masked
    /// (they derive from random MAC addresses unless the file fixes them).
    pub mask_bridge_ids: bool,
    /// Every `# flags:` word but `-force`, in order: the global options
    /// the batch runs with (`-d`, `-j`, `-o`, `-br`, `-c`, `-echo`, `-N`, …).
    pub options: Vec<String>,
    /// Lines of the file, placeholders unsubstituted.
    pub lines: Vec<String>,
}

/// A step of a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// One `ip -n NS -batch FILE` run; `lines` are 0-based line indices.
    Batch {
        ns: Role,
        lines: Vec<usize>,
    },
    NetnsDel(Role),
    NetnsAdd(Role),
}

impl Scenario {
    pub fn from_file(path: &Path) -> Result<Scenario, String> {
        let text = fs::read_to_string(path)
            .map_err(|e| format!("cannot read batch file {}: {e}", path.display()))?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("bad batch file name {}", path.display()))?
            .to_string();
        let sc = Scenario::from_text(&name, &text);
        if sc.pins.is_empty() {
            return Err(format!(
                "{}: missing `# pins: <kernel function> — what` line",
                path.display()
            ));
        }
        sc.steps()?;
        Ok(sc)
    }

    pub fn from_text(name: &str, text: &str) -> Scenario {
        let lines: Vec<String> = text.lines().map(|l| l.to_string()).collect();
        let mut pins = String::new();
        let mut force = false;
        let mut details = false;
        let mut json = false;
        let mut family = None;
        let mut racy_addrs = false;
        let mut options = Vec::new();
        let mut mask_bridge_ids = false;
        for l in &lines {
            let t = l.trim();
            if let Some(p) = t.strip_prefix("# pins:") {
                if pins.is_empty() {
                    pins = p.trim().to_string();
                }
            } else if t.starts_with("# racy:") {
                racy_addrs = true;
            } else if let Some(m) = t.strip_prefix("# mask:") {
                mask_bridge_ids |= m.split_whitespace().any(|w| w == "bridge-ids");
            } else if let Some(f) = t.strip_prefix("# flags:") {
                force |= f.split_whitespace().any(|w| w == "-force");
                details |= f.split_whitespace().any(|w| w == "-d");
                json |= f.split_whitespace().any(|w| w == "-j");
                if let Some(w) = f.split_whitespace().find(|w| *w == "-4" || *w == "-6") {
                    family = Some(w.to_string());
                }
                options.extend(
                    f.split_whitespace()
                        .filter(|w| *w != "-force")
                        .map(str::to_string),
                );
            }
        }
        Scenario {
            name: name.to_string(),
            pins,
            force,
            details,
            json,
            family,
            racy_addrs,
            mask_bridge_ids,
            options,
            lines,
        }
    }

    /// Split the file into steps at the `#@` directives.
    pub fn steps(&self) -> Result<Vec<Step>, String> {
        let mut steps = Vec::new();
        let mut ns = Role::Main;
        let mut cur: Vec<usize> = Vec::new();
        let flush = |steps: &mut Vec<Step>, ns: Role, cur: &mut Vec<usize>, lines: &[String]| {
            let has_cmd = cur.iter().any(|&i| {
                let t = lines[i].trim();
                !t.is_empty() && !t.starts_with('#')
            });
            if has_cmd {
                steps.push(Step::Batch {
                    ns,
                    lines: std::mem::take(cur),
                });
            } else {
                cur.clear();
            }
        };
        for (i, l) in self.lines.iter().enumerate() {
            let t = l.trim();
            let Some(d) = t.strip_prefix("#@") else {
                cur.push(i);
                continue;
            };
            flush(&mut steps, ns, &mut cur, &self.lines);
            let words: Vec<&str> = d.split_whitespace().collect();
            let role = |w: &str| {
                Role::from_placeholder(w)
                    .ok_or_else(|| format!("{}:{}: unknown namespace {w:?}", self.name, i + 1))
            };
            match words.as_slice() {
                ["in", r] => ns = role(r)?,
                ["netns", "del", r] => {
                    let r = role(r)?;
                    if r == Role::Main {
                        return Err(format!("{}:{}: cannot delete @MAIN@", self.name, i + 1));
                    }
                    steps.push(Step::NetnsDel(r));
                }
                ["netns", "add", r] => steps.push(Step::NetnsAdd(role(r)?)),
                _ => return Err(format!("{}:{}: unknown directive {t:?}", self.name, i + 1)),
            }
        }
        flush(&mut steps, ns, &mut cur, &self.lines);
        Ok(steps)
    }

    /// The namespaces the scenario needs: always `@MAIN@`, plus each extra one
    /// it mentions.
    pub fn roles(&self) -> Vec<Role> {
        let mut v = vec![Role::Main];
        for r in [Role::X1, Role::X2] {
            if self.lines.iter().any(|l| l.contains(r.placeholder())) {
                v.push(r);
            }
        }
        v
    }

    /// The `# flags:` options given to `ip` before `-n` (all but
    /// `-force`, in the file's order).
    pub fn global_options(&self) -> Vec<String> {
        self.options.clone()
    }

    pub fn file_name(&self) -> String {
        format!("{}.batch", self.name)
    }

    /// The file for one step: every line of the scenario keeps its number;
    /// lines outside `only` are blank.
    pub(super) fn render(&self, names: &NsNames, only: &[usize]) -> String {
        let keep: BTreeSet<usize> = only.iter().copied().collect();
        let mut s = String::new();
        for (i, l) in self.lines.iter().enumerate() {
            if keep.contains(&i) {
                s.push_str(&names.substitute(l));
            }
            s.push('\n');
        }
        s
    }

    /// Hardware addresses written in the batch file: these are deterministic
    /// and are not masked in the outputs.
    pub fn literal_addresses(&self) -> BTreeSet<String> {
        let mut set = BTreeSet::new();
        for l in &self.lines {
            for w in l.split_whitespace() {
                let w = w.to_ascii_lowercase();
                if is_hwaddr(&w) {
                    set.insert(w);
                }
            }
        }
        set
    }

    /// The file with line numbers, for reports.
    pub fn listing(&self) -> String {
        let mut s = String::new();
        for (i, l) in self.lines.iter().enumerate() {
            let _ = writeln!(s, "    {:>3} | {l}", i + 1);
        }
        s
    }
}

fn is_hwaddr(w: &str) -> bool {
    let parts: Vec<&str> = w.split(':').collect();
    parts.len() >= 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Load every `*.batch` file of a directory, sorted by name.
pub fn load_batches(dir: &Path) -> Result<Vec<Scenario>, String> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "batch"))
        .collect();
    paths.sort();
    paths.iter().map(|p| Scenario::from_file(p)).collect()
}

/// `tests/batches` at the repository root.
pub fn batches_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/batches")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/batches"))
}
