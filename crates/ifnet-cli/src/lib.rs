//! ifnet-cli: the `ifnet` command, an iproute2-6.1-compatible front end to
//! the ifnet kernel model.
//!
//! Three parts, each a folder: `ip` (iproute2's objects, parsed and
//! printed as its C sources do, and the lib/ pieces they share), `ext`
//! (ifnet's own commands: hw, pktgen, capture, faults, dmesg, demo) and
//! `session` (one invocation: the rtnetlink socket, the state file and its
//! lock, batch, Ctrl-C). `app` is the process: ip.c's object table.
#![forbid(unsafe_code)]

pub mod app;
pub mod ext;
pub mod ip;
pub mod session;

/// How a C function of iproute2 stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abort {
    /// `return N;` — the command fails with this (negative) value; in batch
    /// mode that is "Command failed".
    Ret(i32),
    /// `exit(N)` — the whole process (and the batch) ends now.
    Exit(i32),
}

/// A command's result: the C return value (0, -1, -2, …) or an exit.
pub type IpResult = Result<i32, Abort>;

/// `incomplete_command()`.
pub fn incomplete(err: &mut Vec<u8>) -> Abort {
    err.extend_from_slice(b"Command line is not complete. Try option \"help\"\n");
    Abort::Exit(255)
}

/// `invarg(msg, arg)`.
pub fn invarg(err: &mut Vec<u8>, msg: &str, arg: &str) -> Abort {
    err.extend_from_slice(format!("Error: argument \"{arg}\" is wrong: {msg}\n").as_bytes());
    Abort::Exit(255)
}

/// `duparg(key, arg)`.
pub fn duparg(err: &mut Vec<u8>, key: &str, arg: &str) -> Abort {
    err.extend_from_slice(
        format!("Error: duplicate \"{key}\": \"{arg}\" is the second value.\n").as_bytes(),
    );
    Abort::Exit(255)
}

/// `duparg2(key, arg)`.
pub fn duparg2(err: &mut Vec<u8>, key: &str, arg: &str) -> Abort {
    err.extend_from_slice(
        format!("Error: either \"{key}\" is duplicate, or \"{arg}\" is a garbage.\n").as_bytes(),
    );
    Abort::Exit(255)
}

/// A cursor over a command's words with iproute2's NEXT_ARG().
pub struct Argv<'a> {
    pub words: &'a [String],
    pub pos: usize,
}

impl<'a> Argv<'a> {
    pub fn new(words: &'a [String]) -> Argv<'a> {
        Argv { words, pos: 0 }
    }

    pub fn left(&self) -> usize {
        self.words.len().saturating_sub(self.pos)
    }

    pub fn cur(&self) -> &'a str {
        self.words.get(self.pos).map(|s| s.as_str()).unwrap_or("")
    }

    pub fn advance(&mut self) {
        self.pos += 1;
    }

    /// NEXT_ARG(): step to the value, or "Command line is not complete".
    pub fn next_arg(&mut self, err: &mut Vec<u8>) -> Result<&'a str, Abort> {
        self.pos += 1;
        if self.left() == 0 {
            return Err(incomplete(err));
        }
        Ok(self.cur())
    }

    pub fn rest(&self) -> &'a [String] {
        self.words.get(self.pos..).unwrap_or(&[])
    }
}
