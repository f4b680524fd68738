//! `ip -batch FILE` (iproute2 6.1 lib/utils.c `do_batch()`,
//! `getcmdline()`, `makeargs()`): comments, backslash continuations,
//! "Command failed FILE:LINE", `-force`, and exit() inside a command ending
//! the whole batch.
//!
//! Lines are bytes, read as getline() reads them and cut as the C string
//! functions cut them: a NUL ends the line's text (strchr, strstr and
//! makeargs stop there). Two things ip does not do, because ifnet is one
//! process holding a lock where ip only holds RTNL per request:
//! - input that can keep ifnet waiting (a pipe, a FIFO, a terminal,
//!   stdin) is read by a thread; when no line is ready, the [`Waiter`]
//!   settles and saves the state and releases the lock, and takes it back
//!   when the next line arrives, so a slow writer never blocks other
//!   invocations. A regular file is read directly and never waits.
//! - a logical line is bounded ([`MAX_LINE_BYTES`]); a longer one ends the
//!   batch with a message instead of growing without limit (`-batch
//!   /dev/zero`).

use std::io::{BufRead, IsTerminal, Read, Write};
use std::sync::mpsc;

use crate::ip::args::makeargs;
use crate::session::Session;
use crate::Abort;

/// Commands between two progress lines on a terminal.
const PROGRESS_EVERY: usize = 1000;
/// The longest logical line (continuations joined) ifnet reads. ip's
/// getline() has no bound; no command ip accepts comes near it (makeargs
/// takes 511 words, a name 15 bytes, an alias 255).
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Lines the reader thread may read ahead of the commands (a bounded queue).
const READ_AHEAD_LINES: usize = 256;
/// How long a batch waits for the next line before it releases the state.
const QUIET_WAIT_MS: u64 = 50;
/// Bound on lines of one batch (a batch of 2^32 lines would also wrap
/// ip's int cmdlineno).
const MAX_LINES: usize = i32::MAX as usize;

/// One physical line as getline() returns it.
#[derive(Debug, PartialEq, Eq)]
pub enum Physical {
    /// The bytes up to and including '\n' (none at the end of the file).
    Line(Vec<u8>),
    /// More than [`MAX_LINE_BYTES`] without a newline.
    TooLong,
    /// End of input, or a read error (getline() returns -1 for both).
    Eof,
    /// The file could not be opened (errno).
    CannotOpen(i32),
}

/// What a batch does around a wait for input.
pub trait Waiter {
    /// No line is ready: settle, save and release the lock.
    fn release(&mut self, s: &mut Session) -> Result<(), String>;
    /// A line arrived: take the lock and the current state again.
    fn retake(&mut self, s: &mut Session) -> Result<(), String>;
}

/// getline() with a bound: reads up to '\n' into `buf`.
pub fn read_physical(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> Physical {
    buf.clear();
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Physical::Eof,
        };
        if chunk.is_empty() {
            return match buf.is_empty() {
                true => Physical::Eof,
                false => Physical::Line(std::mem::take(buf)),
            };
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(p) => (p + 1, true),
            None => (chunk.len(), false),
        };
        if buf.len() + take > MAX_LINE_BYTES + 1 {
            return Physical::TooLong;
        }
        buf.extend_from_slice(&chunk[..take]);
        r.consume(take);
        if done {
            return Physical::Line(std::mem::take(buf));
        }
    }
}

/// Where physical lines come from.
enum Source {
    /// A regular file: read in place, it never keeps anyone waiting.
    Direct(Box<dyn BufRead>, Vec<u8>),
    /// Anything that can block: a thread reads, a bounded queue carries.
    Threaded(mpsc::Receiver<Physical>),
}

impl Source {
    fn open(name: &str) -> Source {
        if let Some(f) = open_if_regular(name) {
            return Source::Direct(f, Vec::with_capacity(256));
        }
        let (tx, rx) = mpsc::sync_channel(READ_AHEAD_LINES);
        let name = name.to_string();
        std::thread::spawn(move || reader_thread(&name, tx));
        Source::Threaded(rx)
    }

    fn next(&mut self, s: &mut Session, w: &mut dyn Waiter) -> Result<Physical, String> {
        match self {
            Source::Direct(r, buf) => Ok(read_physical(r.as_mut(), buf)),
            Source::Threaded(rx) => match rx.try_recv() {
                Ok(p) => Ok(p),
                Err(mpsc::TryRecvError::Disconnected) => Ok(Physical::Eof),
                Err(mpsc::TryRecvError::Empty) => {
                    // A writer that is merely a little behind (`cat f |`)
                    // does not cost a save and a reload.
                    if let Ok(p) = rx.recv_timeout(std::time::Duration::from_millis(QUIET_WAIT_MS))
                    {
                        return Ok(p);
                    }
                    w.release(s)?;
                    let p = rx.recv().unwrap_or(Physical::Eof);
                    if p != Physical::Eof {
                        w.retake(s)?;
                    }
                    Ok(p)
                }
            },
        }
    }
}

/// The input, when it is a regular file (stdin included) that can be read
/// without waiting.
fn open_if_regular(name: &str) -> Option<Box<dyn BufRead>> {
    if name == "-" {
        let stdin = std::io::stdin();
        let st = rustix::fs::fstat(&stdin).ok()?;
        let regular = rustix::fs::FileType::from_raw_mode(st.st_mode).is_file();
        return regular.then(|| Box::new(std::io::BufReader::new(stdin)) as Box<dyn BufRead>);
    }
    // stat(), not open(): opening a FIFO blocks until a writer comes.
    if !std::fs::metadata(name).ok()?.is_file() {
        return None;
    }
    let f = std::fs::File::open(name).ok()?;
    Some(Box::new(std::io::BufReader::with_capacity(1 << 16, f)))
}

/// Opens `name` (freopen(), which may block on a FIFO) and sends its lines.
fn reader_thread(name: &str, tx: mpsc::SyncSender<Physical>) {
    let r: Box<dyn Read> = if name == "-" {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(name) {
            Ok(f) => Box::new(f),
            Err(e) => {
                let _ = tx.send(Physical::CannotOpen(e.raw_os_error().unwrap_or(2)));
                return;
            }
        }
    };
    let mut r = std::io::BufReader::with_capacity(1 << 16, r);
    let mut buf = Vec::with_capacity(256);
    loop {
        let p = read_physical(&mut r, &mut buf);
        let last = !matches!(p, Physical::Line(_));
        if tx.send(p).is_err() || last {
            return;
        }
    }
}

/// A line's text as the C string functions see it: up to the first NUL,
/// then up to the first '#'.
fn c_text(mut line: Vec<u8>) -> Vec<u8> {
    if let Some(p) = line.iter().position(|&b| b == 0) {
        line.truncate(p);
    }
    if let Some(p) = line.iter().position(|&b| b == b'#') {
        line.truncate(p);
    }
    line
}

/// What getcmdline() produced.
#[derive(Debug, PartialEq, Eq)]
pub enum CmdLine {
    /// One logical line and the physical lines it used.
    Line(Vec<u8>, usize),
    Eof,
    /// A physical or joined line beyond [`MAX_LINE_BYTES`], at this line.
    TooLong(usize),
    CannotOpen(i32),
}

/// `getcmdline()`: one logical line, '#' comments cut, "\\\n" continuations
/// joined (appended in place: linear in the line's length).
fn getcmdline(
    next: &mut dyn FnMut() -> Result<Physical, String>,
    err: &mut Vec<u8>,
) -> Result<CmdLine, String> {
    let mut line = match next()? {
        Physical::Line(l) => c_text(l),
        Physical::Eof => return Ok(CmdLine::Eof),
        Physical::TooLong => return Ok(CmdLine::TooLong(1)),
        Physical::CannotOpen(e) => return Ok(CmdLine::CannotOpen(e)),
    };
    let mut used = 1;
    while line.ends_with(b"\\\n") {
        line.truncate(line.len() - 2);
        if line.len() > MAX_LINE_BYTES {
            return Ok(CmdLine::TooLong(used));
        }
        let more = match next()? {
            Physical::Line(l) => c_text(l),
            Physical::TooLong => return Ok(CmdLine::TooLong(used + 1)),
            Physical::Eof | Physical::CannotOpen(_) => {
                err.extend_from_slice(b"Missing continuation line\n");
                return Ok(CmdLine::Eof);
            }
        };
        used += 1;
        line.extend_from_slice(&more);
    }
    // The bound is on the text; a physical line may add its '\n'.
    if line.len() > MAX_LINE_BYTES + 1 {
        return Ok(CmdLine::TooLong(used));
    }
    Ok(CmdLine::Line(line, used))
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

/// The words of one logical line, or how the batch ends.
fn words_of(s: &mut Session, line: &[u8], name: &str, lineno: usize) -> Result<Vec<String>, Abort> {
    let Ok(text) = std::str::from_utf8(line) else {
        // ifnet's names and words are UTF-8; turning other bytes into
        // U+FFFD would make different names collide.
        s.eprint(&format!(
            "ifnet: {name}:{lineno}: the line is not valid UTF-8; ifnet handles only UTF-8 \
             names and arguments\n"
        ));
        return Err(Abort::Ret(-1));
    };
    makeargs(text).map_err(|msg| {
        s.eprint(&format!("{msg}\n"));
        Abort::Exit(1)
    })
}

/// `do_batch(name, force, cmd)`. `run` executes one command and returns
/// ip's `do_cmd()` value (0 ok, nonzero failed) or an exit; `w` releases
/// and retakes the state around waits for input.
pub fn do_batch(
    s: &mut Session,
    name: &str,
    run: &mut RunOne,
    w: &mut dyn Waiter,
) -> Result<i32, Abort> {
    let mut src = Source::open(name);
    let tty = std::io::stderr().is_terminal();
    let (mut lineno, mut ret, mut done) = (0usize, 0, 0usize);
    loop {
        let mut err = Vec::new();
        let got = getcmdline(&mut || src.next(s, w), &mut err);
        s.err.extend_from_slice(&err);
        let got = got.map_err(|e| {
            s.eprint(&format!("{e}\n"));
            Abort::Exit(1)
        })?;
        let (line, used) = match got {
            CmdLine::Line(l, used) => (l, used),
            CmdLine::Eof => break,
            CmdLine::CannotOpen(e) => {
                let msg = crate::ip::util::strerror(e);
                s.eprint(&format!("Cannot open file \"{name}\" for reading: {msg}\n"));
                return Ok(1);
            }
            CmdLine::TooLong(used) => {
                s.eprint(&format!(
                    "ifnet: {name}:{}: line longer than {MAX_LINE_BYTES} bytes; batch stopped\n",
                    lineno + used
                ));
                return Err(Abort::Exit(1));
            }
        };
        lineno = (lineno + used).min(MAX_LINES);
        let r = match words_of(s, &line, name, lineno) {
            Ok(words) if words.is_empty() => continue,
            Ok(words) => run(s, &words)?,
            Err(Abort::Ret(v)) => v,
            Err(e) => return Err(e),
        };
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
        if crate::session::interrupt::pending() {
            s.eprint(&format!(
                "ifnet: interrupted after {name}:{lineno}; state saved\n"
            ));
            return Err(Abort::Exit(crate::session::interrupt::EXIT_INTERRUPTED));
        }
    }
    if tty && done >= PROGRESS_EVERY {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    Ok(ret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(v: &[&[u8]]) -> impl FnMut() -> Result<Physical, String> {
        let mut it: Vec<Physical> = v.iter().map(|l| Physical::Line(l.to_vec())).collect();
        it.reverse();
        move || Ok(it.pop().unwrap_or(Physical::Eof))
    }

    #[test]
    fn getcmdline_comments_and_continuations() {
        // getcmdline(): '#' starts a comment; "\\\n" joins the next line.
        let mut err = Vec::new();
        let mut it = feed(&[b"link show # c\n", b"link set \\\n", b"v0 up\n"]);
        let l = |s: &str, n| CmdLine::Line(s.as_bytes().to_vec(), n);
        assert_eq!(getcmdline(&mut it, &mut err), Ok(l("link show ", 1)));
        assert_eq!(getcmdline(&mut it, &mut err), Ok(l("link set v0 up\n", 2)));
        assert_eq!(getcmdline(&mut it, &mut err), Ok(CmdLine::Eof));
    }

    #[test]
    fn getcmdline_missing_continuation() {
        let mut err = Vec::new();
        let mut it = feed(&[b"link set \\\n"]);
        assert_eq!(getcmdline(&mut it, &mut err), Ok(CmdLine::Eof));
        assert_eq!(err, b"Missing continuation line\n");
    }

    /// strchr/strstr/makeargs stop at a NUL: what follows it on the same
    /// physical line is not part of the command, not even a continuation.
    #[test]
    fn getcmdline_nul_ends_the_c_string() {
        let mut err = Vec::new();
        let mut it = feed(&[b"link add v0\0junk type veth\n", b"a\0\\\n", b"b\n"]);
        let l = |s: &[u8], n| CmdLine::Line(s.to_vec(), n);
        assert_eq!(getcmdline(&mut it, &mut err), Ok(l(b"link add v0", 1)));
        assert_eq!(getcmdline(&mut it, &mut err), Ok(l(b"a", 1)));
    }

    /// A joined line beyond MAX_LINE_BYTES stops at the physical line that
    /// crosses it: an endless run of continuations ends.
    #[test]
    fn getcmdline_continuations_are_bounded() {
        let mut err = Vec::new();
        let mut it = || Ok(Physical::Line(b"ab\\\n".to_vec()));
        let got = getcmdline(&mut it, &mut err).unwrap();
        assert_eq!(got, CmdLine::TooLong(MAX_LINE_BYTES / 2 + 1));
    }

    /// read_physical: stops at '\n', refuses more than MAX_LINE_BYTES
    /// without one (`-batch /dev/zero`), returns a last unterminated line.
    #[test]
    fn read_physical_bounds_a_line() {
        let mut buf = Vec::new();
        let mut r = std::io::Cursor::new(b"a b\nc".to_vec());
        assert_eq!(
            read_physical(&mut r, &mut buf),
            Physical::Line(b"a b\n".to_vec())
        );
        assert_eq!(
            read_physical(&mut r, &mut buf),
            Physical::Line(b"c".to_vec())
        );
        assert_eq!(read_physical(&mut r, &mut buf), Physical::Eof);
        let mut zero = std::io::BufReader::new(std::io::repeat(0));
        assert_eq!(read_physical(&mut zero, &mut buf), Physical::TooLong);
        let exact = vec![b'x'; MAX_LINE_BYTES];
        let mut r = std::io::Cursor::new([&exact[..], b"\n"].concat());
        assert!(
            matches!(read_physical(&mut r, &mut buf), Physical::Line(l) if l.len() == MAX_LINE_BYTES + 1)
        );
    }
}
