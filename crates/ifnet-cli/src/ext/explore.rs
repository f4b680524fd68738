//! `ifnet explore`: the explorer from the command line (crates/ifnet-sim).
//! `list` and `show NAME` print the built-in scenarios; `merge FILE…`
//! combines shards' `-j` reports; otherwise it explores a scenario (a
//! built-in name or a TOML file) exhaustively, by random walks or PCT, or
//! replays a schedule. Exit status 0: no violation and every witness
//! reached; 1: a violation; 2: a witness never reached, or bad usage. It
//! keeps no state file. A progress line goes to stderr on a terminal.

use crate::ip::args::Opts;
use ifnet_sim::run::{execute, parse_shard, Request};
use std::io::IsTerminal;

const USAGE: &str = "Usage: ifnet [-j] explore { list | show NAME | merge FILE... }
       ifnet [-j] explore NAME|FILE [ --kernel V ] [ --agent NAME=VERSION ]... [ --seed S ]
                  [ --random N [ --pct D ] ] [ --max-depth D ] [ --max-preemptions P ]
                  [ --shard I/N ] [ --replay SCHEDULE ] [ --html FILE ]
                  [ --no-reduction ] [ --no-symmetry ] [ --keep-going ]
";

fn usage(msg: &str) -> i32 {
    eprintln!("ifnet explore: {msg}");
    eprint!("{USAGE}");
    2
}

/// Runs `ifnet explore ARGS…`.
pub fn run(opts: &Opts, args: &[String]) -> i32 {
    match args.first().map(String::as_str) {
        None => usage("needs a scenario (NAME or FILE), list, show or merge"),
        Some("help") => {
            print!("{USAGE}");
            0
        }
        Some("list") => list(),
        Some("show") => show(args.get(1).map(String::as_str)),
        Some("merge") => merge(opts, &args[1..]),
        Some(_) => explore(opts, args),
    }
}

fn list() -> i32 {
    for (name, text) in ifnet_sim::builtin::BUILTIN {
        let s = match ifnet_sim::Scenario::parse(text) {
            Ok(s) => s,
            Err(e) => return usage(&format!("built-in {name}: {e}")),
        };
        let first = s
            .description
            .split(". ")
            .next()
            .unwrap_or("")
            .replace('\n', " ");
        println!("{name:<24} {}", first.trim());
    }
    0
}

fn show(name: Option<&str>) -> i32 {
    match name.and_then(ifnet_sim::builtin::get) {
        Some(t) => {
            print!("{t}");
            0
        }
        None => usage("show needs the name of a built-in scenario (ifnet explore list)"),
    }
}

fn merge(opts: &Opts, files: &[String]) -> i32 {
    if files.is_empty() {
        return usage("merge needs the shards' -j reports");
    }
    let mut reports = Vec::new();
    for f in files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) if t.len() <= 256 << 20 => t,
            Ok(_) => return usage(&format!("{f}: too large")),
            Err(e) => return usage(&format!("{f}: {e}")),
        };
        match serde_json::from_str(&text) {
            Ok(r) => reports.push(r),
            Err(e) => return usage(&format!("{f}: not an explore -j report: {e}")),
        }
    }
    match ifnet_sim::report::merge(&reports) {
        Ok(r) => print_report(opts, &r),
        Err(e) => usage(&e),
    }
}

fn value<'a>(args: &'a [String], i: &mut usize, name: &str) -> Result<&'a str, String> {
    *i += 1;
    args.get(*i)
        .map(String::as_str)
        .ok_or_else(|| format!("{name} needs a value"))
}

fn num<T: std::str::FromStr>(v: &str, name: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("bad {name} {v:?}"))
}

fn parse(opts: &Opts, args: &[String]) -> Result<Request, String> {
    let mut r = Request {
        scenario: args[0].clone(),
        kernel: opts.kernel.clone(),
        ..Default::default()
    };
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "--kernel" => r.kernel = Some(value(args, &mut i, a)?.to_string()),
            "--seed" => r.seed = num(value(args, &mut i, a)?, a)?,
            "--random" => r.random = Some(num(value(args, &mut i, a)?, a)?),
            "--pct" => r.pct = Some(num(value(args, &mut i, a)?, a)?),
            "--max-depth" => {
                r.max_depth = Some(num::<usize>(value(args, &mut i, a)?, a)?.min(100_000))
            }
            "--max-preemptions" => r.max_preemptions = Some(num(value(args, &mut i, a)?, a)?),
            "--shard" => r.shard = Some(parse_shard(value(args, &mut i, a)?)?),
            "--replay" => r.replay = Some(value(args, &mut i, a)?.to_string()),
            "--html" => r.html = Some(value(args, &mut i, a)?.to_string()),
            "--agent" => {
                let v = value(args, &mut i, a)?;
                let (k, ver) = v
                    .split_once('=')
                    .ok_or_else(|| format!("bad --agent {v:?} (expected NAME=VERSION)"))?;
                r.agents.insert(k.to_string(), ver.to_string());
            }
            "--no-reduction" => r.no_reduction = true,
            "--no-symmetry" => r.no_symmetry = true,
            "--keep-going" => r.keep_going = true,
            _ => return Err(format!("unknown argument {a:?}")),
        }
        i += 1;
    }
    Ok(r)
}

fn explore(opts: &Opts, args: &[String]) -> i32 {
    let req = match parse(opts, args) {
        Ok(r) => r,
        Err(e) => return usage(&e),
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        b
    });
    let t0 = std::time::Instant::now();
    let mut on_progress = |p: ifnet_sim::explore::Progress| {
        if let Some(b) = &bar {
            let rate = p.steps as f64 / t0.elapsed().as_secs_f64().max(1e-9);
            b.set_message(format!(
                "states {}  steps/s {:.0}  depth {}  queue {}",
                p.states, rate, p.depth, p.queue
            ));
            b.tick();
        }
    };
    let resp = execute(&req, &mut on_progress);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ifnet explore: {e}");
            return 2;
        }
    };
    if let (Some(path), Some(page)) = (&req.html, &resp.html) {
        if let Err(e) = std::fs::write(path, page) {
            eprintln!("ifnet explore: {path}: {e}");
            return 2;
        }
    }
    if !opts.json {
        for (n, (lane, text, detail)) in resp.replayed.iter().enumerate() {
            println!("{:>3} [{lane}] {text}", n + 1);
            for d in detail {
                println!("        {d}");
            }
        }
    }
    print_report(opts, &resp.report)
}

fn print_report(opts: &Opts, r: &ifnet_sim::report::Report) -> i32 {
    if opts.json {
        match serde_json::to_string(r) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("ifnet explore: {e}");
                return 2;
            }
        }
    } else {
        print!("{}", r.text());
    }
    r.exit_code()
}
