//! Comparing the two sides: exit codes, stdout/stderr text and `-j link
//! show` objects, each difference a `Mismatch`; and the readable `Report`
//! of one scenario.

use std::fmt::Write as _;

use super::batch::Scenario;
use super::cmd::CmdOut;
use super::execute::Outcome;
use super::json::Json;
use super::textdiff;

/// One difference between the kernel and ifnet.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// Short classification, e.g. `step 2 (-n @MAIN@ -batch x.batch): stderr`.
    pub what: String,
    /// Both sides and the first differing line.
    pub detail: String,
}

fn text_mismatch(what: String, kernel: &str, ifnet: &str) -> Option<Mismatch> {
    if kernel == ifnet {
        return None;
    }
    let mut d = String::new();
    if let Some((n, a, b)) = textdiff::first_difference(kernel, ifnet) {
        let _ = writeln!(d, "  first difference at line {n}:");
        let _ = writeln!(d, "    kernel: {a}");
        let _ = writeln!(d, "    ifnet : {b}");
    } else {
        let _ = writeln!(d, "  (differ only in trailing newline)");
    }
    let _ = writeln!(d, "  diff (- kernel, + ifnet):");
    d.push_str(&textdiff::line_diff(kernel, ifnet, "    "));
    Some(Mismatch { what, detail: d })
}

fn dev_label(d: &Json) -> String {
    let idx = d.get("ifindex").map(|v| v.compact()).unwrap_or_default();
    let name = d.get("ifname").map(|v| v.compact()).unwrap_or_default();
    format!("{idx}: {name}")
}

fn json_mismatch(what: String, kernel: &Json, ifnet: &Json) -> Option<Mismatch> {
    if kernel == ifnet {
        return None;
    }
    let mut d = String::new();
    match (kernel.as_array(), ifnet.as_array()) {
        (Some(ka), Some(fa)) => {
            if ka.len() != fa.len() {
                let _ = writeln!(
                    d,
                    "  device count: kernel {} [{}], ifnet {} [{}]",
                    ka.len(),
                    ka.iter().map(dev_label).collect::<Vec<_>>().join(", "),
                    fa.len(),
                    fa.iter().map(dev_label).collect::<Vec<_>>().join(", ")
                );
            }
            for (i, (k, f)) in ka.iter().zip(fa).enumerate() {
                if k == f {
                    continue;
                }
                let _ = writeln!(
                    d,
                    "  device #{i} (kernel {}, ifnet {}):",
                    dev_label(k),
                    dev_label(f)
                );
                match (k, f) {
                    (Json::Obj(km), Json::Obj(fm)) => {
                        for (key, kv) in km {
                            match f.get(key) {
                                None => {
                                    let _ = writeln!(
                                        d,
                                        "    {key}: kernel {}, ifnet <missing>",
                                        kv.compact()
                                    );
                                }
                                Some(fv) if fv != kv => {
                                    let _ = writeln!(
                                        d,
                                        "    {key}: kernel {}, ifnet {}",
                                        kv.compact(),
                                        fv.compact()
                                    );
                                }
                                _ => {}
                            }
                        }
                        for (key, fv) in fm {
                            if k.get(key).is_none() {
                                let _ = writeln!(
                                    d,
                                    "    {key}: kernel <missing>, ifnet {}",
                                    fv.compact()
                                );
                            }
                        }
                    }
                    _ => {
                        let _ =
                            writeln!(d, "    kernel {}\n    ifnet  {}", k.compact(), f.compact());
                    }
                }
            }
            for k in ka.iter().skip(fa.len()) {
                let _ = writeln!(d, "  only in kernel: {}", k.compact());
            }
            for f in fa.iter().skip(ka.len()) {
                let _ = writeln!(d, "  only in ifnet : {}", f.compact());
            }
        }
        _ => {
            let _ = writeln!(d, "  kernel: {}", kernel.compact());
            let _ = writeln!(d, "  ifnet : {}", ifnet.compact());
        }
    }
    Some(Mismatch { what, detail: d })
}

/// The differences between one command's two runs: `{what} exit code`,
/// `{what} stderr` and `{what} {stdout_name}`, in that order.
fn cmd_out_mismatches(
    v: &mut Vec<Mismatch>,
    what: &str,
    stdout_name: &str,
    kernel: &CmdOut,
    ifnet: &CmdOut,
) {
    if kernel.rc != ifnet.rc {
        v.push(Mismatch {
            what: format!("{what} exit code"),
            detail: format!("  kernel {}, ifnet {}\n", kernel.rc, ifnet.rc),
        });
    }
    v.extend(text_mismatch(
        format!("{what} stderr"),
        &kernel.stderr,
        &ifnet.stderr,
    ));
    v.extend(text_mismatch(
        format!("{what} {stdout_name}"),
        &kernel.stdout,
        &ifnet.stdout,
    ));
}

/// All differences between the two outcomes.
pub fn compare(kernel: &Outcome, ifnet: &Outcome, racy_addrs: bool) -> Vec<Mismatch> {
    let mut v = Vec::new();
    for (i, (k, f)) in kernel.steps.iter().zip(&ifnet.steps).enumerate() {
        let step = format!("step {} [{}]:", i + 1, k.label);
        cmd_out_mismatches(&mut v, &step, "stdout", &k.out, &f.out);
    }
    if kernel.steps.len() != ifnet.steps.len() {
        v.push(Mismatch {
            what: "number of steps".into(),
            detail: format!(
                "  kernel {}, ifnet {} (harness bug)\n",
                kernel.steps.len(),
                ifnet.steps.len()
            ),
        });
    }
    for kv in &kernel.views {
        let ns = kv.role.placeholder();
        let Some(fv) = ifnet.views.iter().find(|f| f.role == kv.role) else {
            v.push(Mismatch {
                what: format!("{ns}: namespace"),
                detail: "  exists in the kernel, not in ifnet\n".into(),
            });
            continue;
        };
        let show = format!("{ns}: `link show`");
        cmd_out_mismatches(&mut v, &show, "text", &kv.text, &fv.text);
        if racy_addrs {
            let (mut kv, mut fv) = (kv.clone(), fv.clone());
            drop_link_locals(&mut kv);
            drop_link_locals(&mut fv);
            v.extend(addr_view_mismatches(&kv, &fv, ns));
        } else {
            v.extend(addr_view_mismatches(kv, fv, ns));
        }
        match (&kv.json, &fv.json) {
            (Ok(kj), Ok(fj)) => v.extend(json_mismatch(format!("{ns}: `-j link show`"), kj, fj)),
            (Ok(_), Err(e)) => v.push(Mismatch {
                what: format!("{ns}: `-j link show`"),
                detail: format!(
                    "  ifnet output is not comparable: {e}\n  stderr: {}\n",
                    fv.json_raw.stderr.trim()
                ),
            }),
            (Err(e), _) => v.push(Mismatch {
                what: format!("{ns}: `-j link show`"),
                detail: format!("  kernel output is not comparable (harness bug?): {e}\n"),
            }),
        }
    }
    for fv in &ifnet.views {
        if !kernel.views.iter().any(|k| k.role == fv.role) {
            v.push(Mismatch {
                what: format!("{}: namespace", fv.role.placeholder()),
                detail: "  exists in ifnet, not in the kernel\n".into(),
            });
        }
    }
    v
}

/// Removes every IPv6 link-local (`fe80::/10`, masked or not) from an
/// address view: its line and its lifetimes line, its `addr_info` object.
/// A `# racy:` batch's kernel outcome races linkwatch — whether a device
/// had carrier long enough to configure its link-local — so neither side's
/// link-locals are compared there; everything else is.
fn drop_link_locals(v: &mut super::execute::NsView) {
    let ll = "inet6 fe80:";
    let mut out = String::new();
    let mut skip_next = false;
    for line in v.addr_text.stdout.split_inclusive('\n') {
        if skip_next {
            skip_next = false;
            if line.trim_start().starts_with("valid_lft") {
                continue;
            }
        }
        if line.contains(ll) {
            skip_next = true;
            continue;
        }
        out.push_str(line);
    }
    v.addr_text.stdout = out;
    if let Ok(j) = &mut v.addr_json {
        j.for_each_object_mut(&mut |m| {
            for (k, val) in m.iter_mut() {
                if k == "addr_info" {
                    if let Json::Arr(a) = val {
                        a.retain(|x| {
                            !x.get("local")
                                .and_then(Json::as_str)
                                .is_some_and(|l| l.starts_with("fe80:"))
                        });
                    }
                }
            }
        });
    }
}

/// The `address show` views of one namespace (text, stderr, `-j`).
fn addr_view_mismatches(
    kv: &super::execute::NsView,
    fv: &super::execute::NsView,
    ns: &str,
) -> Vec<Mismatch> {
    let mut v = Vec::new();
    v.extend(text_mismatch(
        format!("{ns}: `address show` text"),
        &kv.addr_text.stdout,
        &fv.addr_text.stdout,
    ));
    v.extend(text_mismatch(
        format!("{ns}: `address show` stderr"),
        &kv.addr_text.stderr,
        &fv.addr_text.stderr,
    ));
    match (&kv.addr_json, &fv.addr_json) {
        (Ok(kj), Ok(fj)) => v.extend(json_mismatch(format!("{ns}: `-j address show`"), kj, fj)),
        (Ok(_), Err(e)) => v.push(Mismatch {
            what: format!("{ns}: `-j address show`"),
            detail: format!(
                "  ifnet output is not comparable: {e}\n  stderr: {}\n",
                fv.addr_json_raw.stderr.trim()
            ),
        }),
        (Err(e), _) => v.push(Mismatch {
            what: format!("{ns}: `-j address show`"),
            detail: format!("  kernel output is not comparable (harness bug?): {e}\n"),
        }),
    }
    v
}

/// The result of running one scenario on both sides.
pub struct Report {
    pub scenario: Scenario,
    pub kernel: Outcome,
    pub ifnet: Outcome,
    pub mismatches: Vec<Mismatch>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// A readable account: the scenario, its file, every mismatch.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "=== MISMATCH {} — {} difference(s)\n    # pins: {}",
            self.scenario.file_name(),
            self.mismatches.len(),
            self.scenario.pins
        );
        let _ = writeln!(s, "--- batch file:");
        s.push_str(&self.scenario.listing());
        for m in &self.mismatches {
            let _ = writeln!(s, "--- {}", m.what);
            s.push_str(&m.detail);
        }
        let _ = writeln!(s, "--- outputs, kernel side:");
        s.push_str(&render_outcome(&self.kernel));
        let _ = writeln!(s, "--- outputs, ifnet side:");
        s.push_str(&render_outcome(&self.ifnet));
        s
    }

    /// One line per mismatch: `name: what`.
    pub fn summary_lines(&self) -> Vec<String> {
        self.mismatches
            .iter()
            .map(|m| format!("{}: {}", self.scenario.file_name(), m.what))
            .collect()
    }
}

/// Every step's output and the final `link show` of each namespace.
pub fn render_outcome(o: &Outcome) -> String {
    let mut s = String::new();
    for st in &o.steps {
        let _ = writeln!(s, "  $ {}  → exit {}", st.label, st.out.rc);
        for l in st.out.stdout.lines() {
            let _ = writeln!(s, "    out| {l}");
        }
        for l in st.out.stderr.lines() {
            let _ = writeln!(s, "    err| {l}");
        }
    }
    for v in &o.views {
        let _ = writeln!(
            s,
            "  $ -n {} link show  → exit {}",
            v.role.placeholder(),
            v.text.rc
        );
        s.push_str(&textdiff::indented(&v.text.stdout, "    | "));
        for l in v.text.stderr.lines() {
            let _ = writeln!(s, "    err| {l}");
        }
        let _ = writeln!(
            s,
            "  $ -n {} address show  → exit {}",
            v.role.placeholder(),
            v.addr_text.rc
        );
        s.push_str(&textdiff::indented(&v.addr_text.stdout, "    | "));
    }
    s
}
