//! Differential suite (DESIGN.md rule 7, issue 2 acceptance 2 and 4): every
//! batch file under `tests/batches/` runs through the real kernel (`ip -n NS
//! -batch FILE` in fresh network namespaces) and through `ifnet`, and the two
//! must agree on exit codes, error lines, `link show` text (random hardware
//! addresses masked) and `-j link show` objects of every namespace involved.
//!
//! Each batch file names the kernel function it pins on its `# pins:` line.
//! The rule `batch_files_are_well_formed` checks: the names are the first
//! word of each `/`- or `,`-separated part of the text before ` — `; each
//! must be a function the model has — `fn NAME` somewhere under
//! `crates/ifnet-core/src` or `crates/ifnet-cli/src` (which use the kernel's
//! and iproute2's function names), or `NAME` / `NAME(…)` in backticks in a
//! doc comment there (where a model function says which kernel function it
//! stands for, e.g. "/// `rtnl_link_ops->get_link_net`" does not count but
//! "/// `eth_mac_addr()`" does). Whatever follows ` — ` is free text.
//!
//! Environment:
//! - `IFNET_NO_KERNEL_ORACLE=1` skips the suite (no root / netns here);
//! - `IFNET_DIFF_ONLY=a,b` runs only the batches whose name contains `a` or `b`;
//! - `IFNET_DIFF_JOBS=N` runs N batches at a time (default: CPU count, at most 4);
//! - `IFNET_DIFF_VERBOSE=1` prints every full report, not only the first lines.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use support::{Report, Scenario};

const IFNET: &str = env!("CARGO_BIN_EXE_ifnet");

/// Every batch must parse and carry a `# pins:` line; there must be at least
/// 40 of them (acceptance 2). Runs without the kernel.
#[test]
fn batch_files_are_well_formed() {
    let all = support::load_batches(&support::batches_dir()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        all.len() >= 40,
        "tests/batches holds {} batch files, acceptance 2 wants at least 40",
        all.len()
    );
    let model = model_function_names();
    for sc in &all {
        let steps = sc.steps().unwrap_or_else(|e| panic!("{e}"));
        assert!(!steps.is_empty(), "{}: no commands", sc.file_name());
        let names = pinned_names(&sc.pins);
        assert!(
            !names.is_empty(),
            "{}: `# pins:` names no function: {:?}",
            sc.file_name(),
            sc.pins
        );
        for n in names {
            assert!(
                model.contains(n),
                "{}: `# pins:` names {n}, which the model neither defines (`fn {n}`) \
                 nor names in a doc comment",
                sc.file_name()
            );
        }
    }
}

/// The function names of a `# pins:` line (see the module comment).
fn pinned_names(pins: &str) -> Vec<&str> {
    let head = pins.split(" — ").next().unwrap_or("");
    head.split(['/', ','])
        .filter_map(|part| part.split_whitespace().next())
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every `fn NAME` and every backticked `NAME` / `NAME(…)` of a doc comment
/// in the model's sources.
fn model_function_names() -> std::collections::BTreeSet<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut names = std::collections::BTreeSet::new();
    let mut dirs = vec![
        root.join("crates/ifnet-core/src"),
        root.join("crates/ifnet-cli/src"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines() {
                    collect_names(line, &mut names);
                }
            }
        }
    }
    names
}

fn collect_names(line: &str, names: &mut std::collections::BTreeSet<String>) {
    for (i, _) in line.match_indices("fn ") {
        let before = line[..i].chars().next_back();
        if before.is_none_or(|c| !is_ident(c)) {
            let name: String = line[i + 3..].chars().take_while(|&c| is_ident(c)).collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    let t = line.trim_start();
    if t.starts_with("///") || t.starts_with("//!") {
        for span in t.split('`').skip(1).step_by(2) {
            let name: String = span.chars().take_while(|&c| is_ident(c)).collect();
            let rest = &span[name.len()..];
            if !name.is_empty() && (rest.is_empty() || rest.starts_with('(')) {
                names.insert(name);
            }
        }
    }
}

/// Runs every batch file through `ip` and `ifnet` and fails listing all
/// mismatches, each with the batch's name and its `# pins:` line.
#[test]
fn batches_match_the_kernel() {
    if !support::kernel_oracle_available("batches_match_the_kernel") {
        return;
    }
    let mut all = support::load_batches(&support::batches_dir()).unwrap_or_else(|e| panic!("{e}"));
    if let Ok(only) = std::env::var("IFNET_DIFF_ONLY") {
        let pats: Vec<&str> = only.split(',').filter(|p| !p.is_empty()).collect();
        all.retain(|sc| pats.iter().any(|p| sc.name.contains(p)));
    }
    let jobs = std::env::var("IFNET_DIFF_JOBS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(4)
        })
        .max(1);

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Result<Report, String>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(sc) = all.get(i) else { break };
                let run = || support::run_scenario(std::path::Path::new(IFNET), sc);
                let r = std::panic::catch_unwind(|| match run() {
                    // The kernel's asynchronous work (linkwatch, DAD) can
                    // lose a race with a batch's next command on a loaded
                    // machine and leave a different trace (a link-local
                    // made or not); ifnet runs it between commands, as
                    // the kernel does on an idle one. One more run decides.
                    Ok(rep) if !rep.ok() => {
                        let again = run();
                        if again.as_ref().is_ok_and(|r| r.ok()) {
                            eprintln!(
                                "NOTE: {} matched on its second run (kernel timing)",
                                sc.file_name()
                            );
                        }
                        again
                    }
                    other => other,
                })
                .unwrap_or_else(|p| {
                    Err(format!(
                        "harness panicked: {}",
                        p.downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default()
                    ))
                });
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);

    let verbose = std::env::var("IFNET_DIFF_VERBOSE").as_deref() == Ok("1");
    let mut failed: Vec<(&Scenario, Vec<String>)> = Vec::new();
    let mut harness_errors: Vec<String> = Vec::new();
    let mut passed = 0;
    for (i, r) in &results {
        let sc = &all[*i];
        match r {
            Ok(rep) if rep.ok() => passed += 1,
            Ok(rep) => {
                let full = rep.render();
                if verbose {
                    eprintln!("{full}");
                } else {
                    // Enough to act on; IFNET_DIFF_VERBOSE=1 prints the rest.
                    let short: Vec<&str> = full.lines().take(60).collect();
                    eprintln!("{}", short.join("\n"));
                    if full.lines().count() > 60 {
                        eprintln!("    … (IFNET_DIFF_VERBOSE=1 for the full report)\n");
                    }
                }
                failed.push((sc, rep.summary_lines()));
            }
            Err(e) => harness_errors.push(format!("{}: {e}", sc.file_name())),
        }
    }

    let leaked = support::leftover_namespaces();
    assert!(
        leaked.is_empty(),
        "namespaces left behind by the harness: {leaked:?}"
    );

    let mut msg = String::new();
    if !harness_errors.is_empty() {
        msg.push_str("harness / kernel oracle errors:\n");
        for e in &harness_errors {
            msg.push_str(&format!("  {e}\n"));
        }
    }
    if !failed.is_empty() {
        msg.push_str(&format!(
            "{} of {} batch files differ from the kernel ({passed} match):\n",
            failed.len(),
            results.len()
        ));
        for (sc, lines) in &failed {
            msg.push_str(&format!("  {}  (# pins: {})\n", sc.file_name(), sc.pins));
            for l in lines {
                msg.push_str(&format!("      {l}\n"));
            }
        }
    }
    eprintln!(
        "differential: {} batch files, {passed} match the kernel, {} differ, {} harness errors",
        results.len(),
        failed.len(),
        harness_errors.len()
    );
    assert!(msg.is_empty(), "{msg}");
}

/// Not a check: prints what the kernel does with each batch (for writing
/// batch files). `IFNET_DIFF_ONLY=name cargo test -p ifnet-cli --test
/// differential -- --ignored --nocapture kernel_outcomes`
#[test]
#[ignore]
fn kernel_outcomes() {
    if !support::kernel_oracle_available("kernel_outcomes") {
        return;
    }
    let mut all = support::load_batches(&support::batches_dir()).unwrap_or_else(|e| panic!("{e}"));
    if let Ok(only) = std::env::var("IFNET_DIFF_ONLY") {
        let pats: Vec<&str> = only.split(',').filter(|p| !p.is_empty()).collect();
        all.retain(|sc| pats.iter().any(|p| sc.name.contains(p)));
    }
    for sc in &all {
        let names = support::NsNames::fresh();
        let dir = support::TempDir::new(&names).unwrap();
        match support::run_kernel(sc, &names, &dir.path) {
            Ok(o) => println!(
                "##### {}  (# pins: {})\n{}{}",
                sc.file_name(),
                sc.pins,
                sc.listing(),
                support::render_outcome(&o)
            ),
            Err(e) => println!("##### {}: ERROR {e}", sc.file_name()),
        }
    }
    assert!(support::leftover_namespaces().is_empty());
}
