//! Differential harness: run an iproute2 batch through the real kernel (`ip` in
//! fresh network namespaces) and through `ifnet` (a fresh state file), then
//! compare what user space sees: exit codes, stdout/stderr lines, `link show`
//! text (random hardware addresses masked) and `-j link show` objects.
//!
//! # Batch files
//!
//! A batch file is an ordinary `ip -batch` file; it stays runnable by `ip`
//! unchanged. The harness reads a few comment lines:
//!
//! - `# pins: <kernel function> — what` — what the scenario pins (required);
//! - `# flags: -force` — run the batch with `-force`;
//! - `# flags: -d` — run the batch and the final `link show`s with `-d`
//!   (details); what cannot agree is masked (`details.rs`); set the
//!   addresses of bridge ports in the file, since bridge ids derive from them;
//! - `# flags: -j` — run the batch with `-j`: its `link show` lines print
//!   JSON, compared as text (so key order counts);
//! - `# mask: bridge-ids` — also mask bridge and port ids in `-d` output
//!   (for generated sequences, whose bridges have random addresses);
//! - any other `# flags:` word (`-o`, `-br`, `-c`, `-echo`, `-N`, `-s`,
//!   `-h`, `-4`, …) is one more global option of the batch, on both sides,
//!   in the file's order (the final views stay plain, `-j` and `-d`);
//! - `#@ in @X1@` — the following lines run with `-n @X1@` (`@MAIN@`, `@X1@`,
//!   `@X2@`); the default is `@MAIN@`;
//! - `#@ netns del @X1@`, `#@ netns add @X1@` — delete or (re)create an extra
//!   namespace between two runs of `ip` (on the kernel side the harness waits
//!   until the namespace's teardown, `default_device_exit_batch`, is over).
//!
//! The lines between two directives form one step, run as one `ip -batch`
//! invocation. Each step runs a file with the *same name and line numbers* as
//! the whole file (lines of other steps blanked), so `Command failed FILE:LINE`
//! is identical on both sides. `@X1@`/`@X2@`/`@MAIN@` are replaced by the
//! namespace names (`ifnet-diff-<pid>-<n>-x1`, …); in the outputs the names are
//! turned back into the placeholders.
//!
//! # Environment
//!
//! - `IFNET_NO_KERNEL_ORACLE=1`: skip the differential tests (with a notice).
//! - `IFNET_DIFF_KEEP=1`: keep the temporary directories (batch copies, state).
#![allow(dead_code)]

mod batch;
mod cmd;
mod compare;
mod details;
mod execute;
mod ifnet_side;
pub mod json;
mod kernel_side;
mod netns;
pub mod textdiff;

use std::path::Path;

// The harness's API as `support::…`; each test file uses part of it.
#[allow(unused_imports)]
pub use {
    batch::{batches_dir, load_batches, Scenario, Step},
    cmd::{run_cmd, CmdOut},
    compare::{compare, render_outcome, Mismatch, Report},
    execute::{NsView, Outcome, StepResult, MASK},
    ifnet_side::run_ifnet,
    kernel_side::{kernel_oracle_available, run_kernel},
    netns::{leftover_namespaces, NsNames, Role, TempDir},
};

/// Set to `1` to skip every differential test (no root / no netns here).
pub const NO_ORACLE_ENV: &str = "IFNET_NO_KERNEL_ORACLE";

/// Run one scenario through the kernel and through ifnet and compare.
/// `Err` means the harness or the kernel oracle failed (not a mismatch).
pub fn run_scenario(ifnet_bin: &Path, sc: &Scenario) -> Result<Report, String> {
    let names = NsNames::fresh();
    let dir = TempDir::new(&names)?;
    let kernel = run_kernel(sc, &names, &dir.path)?;
    let ifnet = run_ifnet(ifnet_bin, sc, &names, &dir.path)?;
    let mismatches = compare(&kernel, &ifnet);
    Ok(Report {
        scenario: sc.clone(),
        kernel,
        ifnet,
        mismatches,
    })
}
