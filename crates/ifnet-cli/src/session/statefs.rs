//! The file-system side of the state file, written for a hostile
//! neighbour: another local user who can write the directory the state
//! lives in, plant symlinks, FIFOs or files there, and hold locks.
//!
//! - Nothing is opened through a symlink in the last path component
//!   (O_NOFOLLOW), nothing blocks on open (O_NONBLOCK: a FIFO or a tty named
//!   as the state is refused, not waited on), and whatever was opened is
//!   checked with fstat — the object itself, not its name — before use.
//! - The temporary file of an atomic save has an unpredictable name and is
//!   created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, so nothing planted
//!   is ever followed or truncated; the saved file keeps the old one's mode.
//! - The default directory is private: created 0700, keyed by uid, and
//!   refused when someone else owns it or others can write it (what
//!   ssh-agent and tmux do with their socket directories).
//! - A state file owned by another user is refused: its contents decide
//!   which files ifnet appends captures to.

use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::session::state::StateError;

/// The largest state file ifnet reads (a 4,000-device kernel is ~3 MB):
/// a planted multi-gigabyte file is refused instead of eating memory.
pub const STATE_MAX_BYTES: u64 = 256 << 20;

/// Attempts at an unused temporary name before giving up (each name has
/// 64 random bits; only a planted file can collide).
const TEMP_NAME_ATTEMPTS: usize = 16;

/// The effective uid files are checked against.
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn fail(what: &str, path: &Path, e: impl std::fmt::Display) -> StateError {
    StateError(format!("ifnet: cannot {what} {}: {e}", path.display()))
}

/// Flags for every open of a state-related file: no symlink in the last
/// component, no blocking on FIFOs or devices, no controlling tty, no fd
/// leaking into children.
fn safe_flags() -> OFlags {
    OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC
}

/// The default state directory: `$XDG_RUNTIME_DIR/ifnet`, else
/// `/tmp/ifnet-<uid>` (by uid: `$USER` is whatever the caller's
/// environment says, and two users could share one name).
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR").filter(|p| !p.is_empty()) {
        return Path::new(&d).join("ifnet");
    }
    std::env::temp_dir().join(format!("ifnet-{}", euid()))
}

/// Creates `dir` mode 0700 if it is missing, then checks that it is a real
/// directory, owned by the caller, that no one else can write.
pub fn ensure_private_dir(dir: &Path) -> Result<(), StateError> {
    let created = std::fs::DirBuilder::new().mode(0o700).create(dir);
    if let Err(e) = created {
        if e.kind() != std::io::ErrorKind::AlreadyExists {
            return Err(fail("create state directory", dir, e));
        }
    }
    check_private_dir(dir)
}

/// The checks of [`ensure_private_dir`] on an existing directory.
pub fn check_private_dir(dir: &Path) -> Result<(), StateError> {
    let md = std::fs::symlink_metadata(dir).map_err(|e| fail("inspect", dir, e))?;
    let refuse = |why: String| {
        StateError(format!(
            "ifnet: refusing to use state directory {}: {why}; remove it, or name another \
             place with --state, $IFNET_STATE or $XDG_RUNTIME_DIR",
            dir.display()
        ))
    };
    if md.file_type().is_symlink() {
        return Err(refuse("it is a symbolic link".into()));
    }
    if !md.is_dir() {
        return Err(refuse("it is not a directory".into()));
    }
    let me = euid();
    if md.uid() != me {
        return Err(refuse(format!(
            "it is owned by uid {}, not by you (uid {me})",
            md.uid()
        )));
    }
    if md.mode() & 0o022 != 0 {
        return Err(refuse(format!(
            "others can write it (mode {:04o}; `chmod go-w {}` fixes that)",
            md.mode() & 0o7777,
            dir.display()
        )));
    }
    Ok(())
}

/// Creates the parent directories of an explicitly named state file
/// (mode 0700 for the ones ifnet creates).
pub fn create_parents(path: &Path) -> Result<(), StateError> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| fail("create", dir, e))
}

/// Refuses, before anything is created next to it, a state path that is
/// empty, a symbolic link, anything but a regular file, or a file of
/// another user. A missing file is fine (a new kernel boots).
pub fn check_state_path(path: &Path) -> Result<(), StateError> {
    if path.as_os_str().is_empty() {
        return Err(StateError(
            "ifnet: the state file name is empty (--state \"\")".into(),
        ));
    }
    match std::fs::symlink_metadata(path) {
        Ok(md) => check_state_object(path, md.file_type().is_symlink(), &md),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(fail("inspect state file", path, e)),
    }
}

fn check_state_object(
    path: &Path,
    is_symlink: bool,
    md: &std::fs::Metadata,
) -> Result<(), StateError> {
    if is_symlink {
        return Err(StateError(format!(
            "ifnet: state file {} is a symbolic link; ifnet does not follow it (an atomic \
             save would replace the link, not its target) — name the target itself",
            path.display()
        )));
    }
    if !md.file_type().is_file() {
        return Err(StateError(format!(
            "ifnet: state file {} is not a regular file ({}); name a regular file",
            path.display(),
            kind_name(md)
        )));
    }
    let me = euid();
    if md.uid() != me {
        return Err(StateError(format!(
            "ifnet: state file {} is owned by uid {}, not by you (uid {me}); refusing to \
             use it (a state decides which files ifnet writes)",
            path.display(),
            md.uid()
        )));
    }
    Ok(())
}

fn kind_name(md: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = md.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// Reads the state file (None when there is none), through the same
/// checks as [`check_state_path`] applied to the opened object.
pub fn read_state(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    let fd = match rustix::fs::open(path, OFlags::RDONLY | safe_flags(), Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(Errno::LOOP) => return check_state_path(path).map(|_| None),
        Err(e) => return Err(fail("read state file", path, e)),
    };
    let f = File::from(fd);
    let md = f
        .metadata()
        .map_err(|e| fail("inspect state file", path, e))?;
    check_state_object(path, false, &md)?;
    if md.len() > STATE_MAX_BYTES {
        return Err(StateError(format!(
            "ifnet: state file {} is {} bytes, more than the {STATE_MAX_BYTES} ifnet reads; \
             it was left untouched — remove it or run `ifnet reset`",
            path.display(),
            md.len()
        )));
    }
    let mut bytes = Vec::with_capacity(md.len() as usize);
    f.take(STATE_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail("read state file", path, e))?;
    Ok(Some(bytes))
}

/// Opens (creating, mode 0600) a lock or listener file next to the state,
/// without following a planted symlink, and checks it is a regular file.
pub fn open_side_file(path: &Path) -> Result<File, StateError> {
    let flags = OFlags::RDONLY | OFlags::CREATE | safe_flags();
    let fd = rustix::fs::open(path, flags, Mode::from_raw_mode(0o600)).map_err(|e| match e {
        Errno::LOOP => StateError(format!(
            "ifnet: {} is a symbolic link; refusing to follow it",
            path.display()
        )),
        e => fail("open", path, e),
    })?;
    let st = rustix::fs::fstat(&fd).map_err(|e| fail("inspect", path, e))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(StateError(format!(
            "ifnet: {} is not a regular file; remove it",
            path.display()
        )));
    }
    Ok(File::from(fd))
}

/// `PATH` + `suffix`, as a sibling file.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// 64 bits no other process can predict (std's per-process random
/// SipHash keys, mixed with the pid and the time).
fn random_u64() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(now);
    h.finish()
}

/// The prefix every temporary file of `path` starts with.
fn temp_prefix(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    Some(format!("{name}.tmp"))
}

/// Removes temporary files a killed writer left beside `path`. Runs under
/// the exclusive lock, so no live writer owns any of them. `unlink` removes
/// a planted symlink itself, never its target.
pub fn remove_stale_temps(path: &Path) {
    let Some(prefix) = temp_prefix(path) else {
        return;
    };
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten().take(100_000) {
        let stale = e
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix));
        let not_dir = e.file_type().is_ok_and(|t| !t.is_dir());
        if stale && not_dir {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Creates a fresh temporary file beside `path`: an unpredictable name,
/// O_EXCL|O_NOFOLLOW (a planted name is never followed or truncated, only
/// skipped), mode 0600.
fn create_temp(path: &Path) -> Result<(PathBuf, File), StateError> {
    let prefix = temp_prefix(path).ok_or_else(|| {
        StateError(format!(
            "ifnet: state file {} has no usable file name",
            path.display()
        ))
    })?;
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | safe_flags();
    let mut last = Errno::EXIST;
    for _ in 0..TEMP_NAME_ATTEMPTS {
        let name = format!("{prefix}.{}.{:016x}", std::process::id(), random_u64());
        let tmp = path.with_file_name(name);
        match rustix::fs::open(&tmp, flags, Mode::from_raw_mode(0o600)) {
            Ok(fd) => return Ok((tmp, File::from(fd))),
            Err(e @ Errno::EXIST) => last = e,
            Err(e) => return Err(fail("create temporary state file for", path, e)),
        }
    }
    Err(fail("create temporary state file for", path, last))
}

/// Replaces `path` with `data` atomically (temp file, rename). The new file
/// keeps the old one's permission bits; a new one is 0600.
pub fn write_atomically(path: &Path, data: &[u8]) -> Result<(), StateError> {
    use std::io::Write;
    remove_stale_temps(path);
    let old_mode = std::fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.file_type().is_file())
        .map(|m| m.mode() & 0o777);
    let (tmp, mut f) = create_temp(path)?;
    let written = f.write_all(data).and_then(|_| match old_mode {
        Some(mode) => rustix::fs::fchmod(&f, Mode::from_raw_mode(mode)).map_err(Into::into),
        None => Ok(()),
    });
    drop(f);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail("write state file", path, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail("replace state file", path, e)
    })
}

/// Who holds a lock on `f` (pid and command line), from /proc/locks.
pub fn lock_holder(f: &File) -> Option<(u32, String)> {
    let md = f.metadata().ok()?;
    let (maj, min) = (rustix::fs::major(md.dev()), rustix::fs::minor(md.dev()));
    let want = format!("{maj:02x}:{min:02x}:{}", md.ino());
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let pid: u32 = locks.lines().find_map(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; waiters
        // are listed with "->" before the type.
        (w.get(1) == Some(&"FLOCK") && w.get(5) == Some(&want.as_str()))
            .then(|| w.get(4)?.parse().ok())
            .flatten()
    })?;
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmd: Vec<String> = cmd
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    Some((pid, cmd.join(" ")))
}
