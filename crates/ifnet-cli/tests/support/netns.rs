//! Network namespace names for one differential run: the roles a scenario
//! uses (`@MAIN@`, `@X1@`, `@X2@`), the real per-run names they stand for,
//! the run's temporary directory, and the leak check for namespaces this
//! process left behind.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The role of a namespace in a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Main,
    X1,
    X2,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Main, Role::X1, Role::X2];

    pub fn placeholder(self) -> &'static str {
        match self {
            Role::Main => "@MAIN@",
            Role::X1 => "@X1@",
            Role::X2 => "@X2@",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Role::Main => "main",
            Role::X1 => "x1",
            Role::X2 => "x2",
        }
    }

    pub(super) fn from_placeholder(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.placeholder() == s)
    }
}

/// Real namespace names for one run: `ifnet-diff-<pid>-<counter>-{main,x1,x2}`.
#[derive(Clone, Debug)]
pub struct NsNames {
    prefix: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl NsNames {
    pub fn fresh() -> NsNames {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        NsNames {
            prefix: format!("ifnet-diff-{}-{}", std::process::id(), n),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn name(&self, r: Role) -> String {
        format!("{}-{}", self.prefix, r.suffix())
    }

    /// Replace the placeholders by the real names.
    pub fn substitute(&self, s: &str) -> String {
        let mut s = s.to_string();
        for r in Role::ALL {
            s = s.replace(r.placeholder(), &self.name(r));
        }
        s
    }

    /// Replace the real names by the placeholders.
    pub fn unsubstitute(&self, s: &str) -> String {
        let mut s = s.to_string();
        for r in Role::ALL {
            s = s.replace(&self.name(r), r.placeholder());
        }
        s
    }
}

/// A temporary directory, removed on drop unless `IFNET_DIFF_KEEP=1`.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(names: &NsNames) -> Result<TempDir, String> {
        let path = std::env::temp_dir().join(names.prefix());
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var("IFNET_DIFF_KEEP").as_deref() != Ok("1") {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Namespaces this process created and still has (for leak checks).
pub fn leftover_namespaces() -> Vec<String> {
    let prefix = format!("ifnet-diff-{}-", std::process::id());
    fs::read_dir("/var/run/netns")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default()
}
