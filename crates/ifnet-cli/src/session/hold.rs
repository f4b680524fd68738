//! One invocation's hold on the state: the exclusive lock, the kernel
//! loaded under it, and the cycle lock → load → run → settle → save →
//! unlock — which a batch reading slow input runs more than once, so that
//! it never keeps the lock while it waits (batch::Waiter).

use std::path::{Path, PathBuf};

use ifnet_core::user_space::NetnsNames;
use ifnet_core::Kernel;

use crate::session::state::{self, StateError};
use crate::session::Session;

/// The listener id standing for "some `ifnet monitor` is subscribed".
const ANY_MONITOR: u32 = 0;

/// The exclusive lock and what it protects.
pub struct Hold {
    path: PathBuf,
    lock: Option<state::Lock>,
    /// No file existed: the fresh kernel is saved even if nothing changed.
    created: bool,
}

impl Hold {
    /// Locks and loads; `kernel` is `--kernel` and `cpus` `--cpus`
    /// (checked against the file).
    pub fn acquire(
        path: &Path,
        kernel: Option<&str>,
        cpus: Option<u32>,
    ) -> Result<(Hold, Kernel, NetnsNames), StateError> {
        let lock = state::lock(path, true)?;
        crate::session::interrupt::set_idle(false);
        let (k, names, created) = load_with_listeners(path, kernel, cpus)?;
        let hold = Hold {
            path: path.to_path_buf(),
            lock: Some(lock),
            created,
        };
        Ok((hold, k, names))
    }

    /// The end of the invocation's work (or of a burst of batch input): run
    /// deferred work until idle, write out captures, save if anything
    /// changed, and release the lock.
    pub fn finish(&mut self, s: &mut Session) -> Result<(), StateError> {
        if self.lock.is_none() {
            return Ok(());
        }
        s.k.run_until_idle();
        crate::ext::capture::drain_all(s);
        crate::session::batch::flush(s);
        if s.dirty || self.created {
            state::save(&self.path, &s.k, &s.names)?;
        }
        s.dirty = false;
        self.created = false;
        self.lock = None;
        crate::session::interrupt::set_idle(true);
        Ok(())
    }

    /// Takes the lock again and replaces the session's kernel with the
    /// current state (other invocations may have changed it meanwhile).
    pub fn retake(&mut self, s: &mut Session) -> Result<(), StateError> {
        let lock = state::lock(&self.path, true)?;
        crate::session::interrupt::set_idle(false);
        let (k, names, created) = load_with_listeners(&self.path, None, None)?;
        s.k = k;
        s.names = names;
        s.dirty = false;
        self.created = created;
        self.lock = Some(lock);
        s.k.linkwatch_assume_recent_run();
        s.net = match &s.opts.netns {
            None => s.k.init_net(),
            Some(name) => s.names.get(name).ok_or_else(|| {
                StateError(format!(
                    "ifnet: network namespace \"{name}\" was deleted while this batch waited \
                     for input"
                ))
            })?,
        };
        Ok(())
    }
}

/// Loads the kernel and tells it whether a monitor listens
/// (`netlink_has_listeners`): subscriptions live outside the state.
fn load_with_listeners(
    path: &Path,
    kernel: Option<&str>,
    cpus: Option<u32>,
) -> Result<(Kernel, NetnsNames, bool), StateError> {
    let (mut k, names, created) = state::load_with(path, kernel, cpus)?;
    if state::has_listeners(path) {
        k.mcast_listen(ANY_MONITOR);
    }
    Ok((k, names, created))
}

/// The batch's waits for input release the state and retake it.
impl crate::session::batch::Waiter for Hold {
    fn release(&mut self, s: &mut Session) -> Result<(), String> {
        self.finish(s).map_err(|e| e.0)
    }

    fn retake(&mut self, s: &mut Session) -> Result<(), String> {
        Hold::retake(self, s).map_err(|e| e.0)
    }
}
