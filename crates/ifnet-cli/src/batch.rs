//! `ip -batch FILE` (iproute2 6.1 lib/utils.c `do_batch()`,
//! `getcmdline()`, `makeargs()`): comments, backslash continuations,
//! "Command failed FILE:LINE", `-force`, and exit() inside a command ending
//! the whole batch.

use std::io::{BufRead, IsTerminal, Write};

use crate::args::makeargs;
use crate::session::Session;
use crate::Abort;

/// Commands between two progress lines on a terminal.
const PROGRESS_EVERY: usize = 1000;

/// `getcmdline()`: one logical line with `#` comments cut and `\`
/// continuations joined; returns the line and how many physical lines it
/// used, or None at EOF.
fn getcmdline(
    lines: &mut dyn Iterator<Item = String>,
    err: &mut Vec<u8>,
) -> Option<(String, usize)> {
    let mut line = lines.next()?;
    let mut used = 1;
    if let Some(p) = line.find('#') {
        line.truncate(p);
    }
    while let Some(stripped) = line.strip_suffix("\\\n") {
        let mut next = match lines.next() {
            Some(n) => n,
            None => {
                err.extend_from_slice(b"Missing continuation line\n");
                return None;
            }
        };
        used += 1;
        if let Some(p) = next.find('#') {
            next.truncate(p);
        }
        line = format!("{stripped}{next}");
    }
    Some((line, used))
}

/// Reads lines keeping their '\n' (getline() semantics), through one
/// reused buffer.
fn read_lines(mut r: Box<dyn BufRead>) -> impl Iterator<Item = String> {
    let mut buf = Vec::with_capacity(256);
    std::iter::from_fn(move || {
        buf.clear();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(match std::str::from_utf8(&buf) {
                Ok(line) => line.to_owned(),
                Err(_) => String::from_utf8_lossy(&buf).into_owned(),
            }),
        }
    })
}

/// Flushes what a command printed to the real stdout/stderr.
pub fn flush(s: &mut Session) {
    if s.p.out.is_empty() && s.err.is_empty() {
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&s.p.out);
    let _ = out.flush();
    s.p.out.clear();
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(&s.err);
    s.err.clear();
}

/// Runs one batch command (ip's `cmd` callback).
pub type RunOne<'a> = dyn FnMut(&mut Session, &[String]) -> Result<i32, Abort> + 'a;

/// `do_batch(name, force, cmd)`. `run` executes one command and returns
/// ip's `do_cmd()` value (0 ok, nonzero failed) or an exit.
pub fn do_batch(s: &mut Session, name: &str, run: &mut RunOne) -> Result<i32, Abort> {
    let reader: Box<dyn BufRead> = if name == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        match std::fs::File::open(name) {
            Ok(f) => Box::new(std::io::BufReader::with_capacity(1 << 16, f)),
            Err(e) => {
                let msg = crate::util::strerror(e.raw_os_error().unwrap_or(2));
                s.eprint(&format!("Cannot open file \"{name}\" for reading: {msg}\n"));
                return Ok(1);
            }
        }
    };
    let tty = std::io::stderr().is_terminal();
    let mut lines = read_lines(reader);
    let mut lineno = 0;
    let mut ret = 0;
    let mut done = 0usize;
    while let Some((line, used)) = getcmdline(&mut lines, &mut s.err) {
        lineno += used;
        let words = match makeargs(&line) {
            Ok(w) => w,
            Err(msg) => {
                s.eprint(&format!("{msg}\n"));
                return Err(Abort::Exit(1));
            }
        };
        if words.is_empty() {
            continue;
        }
        let r = run(s, &words)?;
        if r != 0 {
            s.eprint(&format!("Command failed {name}:{lineno}\n"));
            ret = 1;
            if !s.opts.force {
                break;
            }
        }
        done += 1;
        if tty && done.is_multiple_of(PROGRESS_EVERY) {
            flush(s);
            let _ = write!(std::io::stderr(), "\rifnet: {done} commands done");
        }
        flush(s);
    }
    if tty && done >= PROGRESS_EVERY {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    Ok(ret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> impl Iterator<Item = String> {
        v.iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn getcmdline_comments_and_continuations() {
        // getcmdline(): '#' starts a comment; "\\\n" joins the next line.
        let mut err = Vec::new();
        let mut it = lines(&["link show # c\n", "link set \\\n", "v0 up\n"]);
        assert_eq!(
            getcmdline(&mut it, &mut err).unwrap(),
            ("link show ".into(), 1)
        );
        assert_eq!(
            getcmdline(&mut it, &mut err).unwrap(),
            ("link set v0 up\n".into(), 2)
        );
        assert!(getcmdline(&mut it, &mut err).is_none());
    }

    #[test]
    fn getcmdline_missing_continuation() {
        let mut err = Vec::new();
        let mut it = lines(&["link set \\\n"]);
        assert!(getcmdline(&mut it, &mut err).is_none());
        assert_eq!(err, b"Missing continuation line\n");
    }
}
