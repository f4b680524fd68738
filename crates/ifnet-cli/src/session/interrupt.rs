//! Ctrl-C (SIGINT) and SIGTERM: stop long work cleanly, with the state saved.
//!
//! While an invocation holds the state lock and works, a signal only sets
//! a flag; bounded loops (a batch between commands, pktgen between bursts)
//! poll it, stop, and the invocation saves what it did and exits 130. While
//! it holds nothing — waiting for the lock or for batch input, after saving —
//! the signal's default action runs at once: nothing is lost by dying there,
//! and a process blocked in read() must not need a second Ctrl-C.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The exit status of an invocation stopped by a signal (the shell's 128 + SIGINT).
pub const EXIT_INTERRUPTED: i32 = 130;

struct Flags {
    /// A signal arrived since [`install`].
    pending: Arc<AtomicBool>,
    /// Nothing is held: a signal terminates at once.
    idle: Arc<AtomicBool>,
}

static FLAGS: OnceLock<Flags> = OnceLock::new();

/// Registers the handlers (once per process). Until [`set_idle`]`(false)`
/// the process is idle and signals keep their default action.
pub fn install() {
    FLAGS.get_or_init(|| {
        let f = Flags {
            pending: Arc::new(AtomicBool::new(false)),
            idle: Arc::new(AtomicBool::new(true)),
        };
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // The conditional default first: when idle, the flag does not
            // matter, the process ends.
            let _ = signal_hook::flag::register_conditional_default(sig, Arc::clone(&f.idle));
            let _ = signal_hook::flag::register(sig, Arc::clone(&f.pending));
        }
        f
    });
}

/// Marks whether the process holds nothing that a signal would lose.
pub fn set_idle(idle: bool) {
    if let Some(f) = FLAGS.get() {
        f.idle.store(idle, Ordering::SeqCst);
    }
}

/// Whether a signal asked the process to stop.
pub fn pending() -> bool {
    FLAGS
        .get()
        .is_some_and(|f| f.pending.load(Ordering::SeqCst))
}
