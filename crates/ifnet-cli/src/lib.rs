//! ifnet-cli: the `ifnet` command, an iproute2-6.1-compatible front end to
//! the ifnet kernel model.
//!
//! The modules mirror iproute2's source files so that each behaviour can be
//! traced to the C function it copies: `args` (ip.c main), `link_parse`
//! (iplink.c iplink_parse), `link_modify` (iplink.c iplink_modify,
//! link_veth.c veth_parse_opt), `link_show` (ipaddress.c
//! ipaddr_list_flush_or_save), `print_link` (print_linkinfo), `jsonw`
//! (json_writer.c/json_print.c), `session` (libnetlink.c, ll_map.c), `batch`
//! (utils.c do_batch), `netns` (ipnetns.c), `monitor` (ipmonitor.c); plus
//! ifnet's own `state`, `hw` and `app`.
#![forbid(unsafe_code)]

pub mod app;
pub mod args;
pub mod batch;
pub mod capture;
pub mod demo;
pub mod dmesg;
pub mod faults;
pub mod hold;
pub mod hw;
pub mod interrupt;
pub mod jsonw;
pub mod link_modify;
pub mod link_parse;
pub mod link_prop;
pub mod link_show;
pub mod llmap;
pub mod maddr;
pub mod monitor;
pub mod netns;
pub mod pktgen;
pub mod print_bridge;
pub mod print_link;
pub mod print_stats;
pub mod session;
pub mod state;
pub mod statefs;
pub mod util;

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
