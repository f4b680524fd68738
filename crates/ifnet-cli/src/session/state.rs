//! The persisted kernel: one JSON state file, replaced atomically (temp
//! file, rename) under an exclusive lock on a sibling `.lock` file
//! held for the whole load → modify → save cycle, so concurrent
//! invocations serialise like RTNL users and lose nothing. A file that does
//! not parse or does not rebuild is reported and never overwritten.

use std::fs::File;
use std::path::{Path, PathBuf};

use ifnet_core::user_space::NetnsNames;
use ifnet_core::{Kernel, KernelProfile};
use serde::{Deserialize, Serialize};

use crate::session::statefs;

/// Bumped when the file layout (not the kernel's) changes.
/// 2: ids and slab slots stored as arrays (1: as objects).
/// 3: netns names beside the kernel (user space's), mounts in it.
const FORMAT: u32 = 3;

#[derive(Serialize)]
struct OnDiskRef<'a> {
    format: u32,
    netns_names: &'a NetnsNames,
    kernel: &'a Kernel,
}

#[derive(Deserialize)]
struct OnDisk {
    format: u32,
    netns_names: NetnsNames,
    kernel: Kernel,
}

/// Why the state could not be used. The text is printed as is.
#[derive(Debug)]
pub struct StateError(pub String);

/// Where the state lives: `--state`, `$IFNET_STATE`, then a per-user path
/// in a private directory (see [`statefs::default_dir`]).
pub struct StatePath {
    pub path: PathBuf,
    /// The per-user default: its directory must be private.
    pub is_default: bool,
}

pub fn state_path(opt: Option<&str>) -> StatePath {
    if let Some(p) = opt {
        return StatePath {
            path: PathBuf::from(p),
            is_default: false,
        };
    }
    if let Some(p) = std::env::var_os("IFNET_STATE").filter(|p| !p.is_empty()) {
        return StatePath {
            path: PathBuf::from(p),
            is_default: false,
        };
    }
    StatePath {
        path: statefs::default_dir().join("state.json"),
        is_default: true,
    }
}

/// Makes the state's directory ready: the default one is created 0700 and
/// must be private; a named file's parents are created 0700 if missing.
/// (The path itself is checked by [`lock`], before the lock file is made.)
pub fn prepare(sp: &StatePath) -> Result<(), StateError> {
    match (sp.is_default, sp.path.parent()) {
        (true, Some(dir)) => {
            statefs::create_parents(dir)?;
            statefs::ensure_private_dir(dir)
        }
        _ => statefs::create_parents(&sp.path),
    }
}

/// An exclusive (or shared) hold on the state; released on drop.
pub struct Lock {
    _file: File,
}

/// How long a contended lock is waited for quietly before ifnet says who
/// holds it.
const LOCK_QUIET_MS: u64 = 1000;
const LOCK_POLL_MS: u64 = 10;

/// Takes the lock on `PATH.lock` (opened without following symlinks).
/// When another invocation holds it for more than a moment, says which.
pub fn lock(path: &Path, exclusive: bool) -> Result<Lock, StateError> {
    statefs::check_state_path(path)?;
    let lp = statefs::sibling(path, ".lock");
    let f = statefs::open_side_file(&lp)?;
    let failed =
        |e: std::io::Error| StateError(format!("ifnet: cannot lock {}: {e}", lp.display()));
    for _ in 0..LOCK_QUIET_MS / LOCK_POLL_MS {
        let r = if exclusive {
            f.try_lock()
        } else {
            f.try_lock_shared()
        };
        match r {
            Ok(()) => return Ok(Lock { _file: f }),
            Err(std::fs::TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(LOCK_POLL_MS))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(failed(e)),
        }
    }
    let who = match statefs::lock_holder(&f) {
        Some((pid, cmd)) => format!("pid {pid} ({cmd})"),
        None => "another process".to_string(),
    };
    eprintln!(
        "ifnet: waiting for the state lock {}, held by {who}",
        lp.display()
    );
    let r = if exclusive { f.lock() } else { f.lock_shared() };
    r.map_err(failed)?;
    Ok(Lock { _file: f })
}

/// The preset for `--kernel`, or an error listing the known ones.
pub fn profile_for(name: &str) -> Result<KernelProfile, StateError> {
    KernelProfile::preset(name).ok_or_else(|| {
        StateError(format!(
            "ifnet: unknown kernel profile \"{name}\" (known: 5.0, 5.1, 5.10, 6.1, 6.2, 6.6, 6.12, 6.18, latest)"
        ))
    })
}

/// Loads the kernel and the netns names, or boots a new kernel when there
/// is no file yet. Returns them and whether the kernel was freshly created.
pub fn load(path: &Path, kernel: Option<&str>) -> Result<(Kernel, NetnsNames, bool), StateError> {
    load_with(path, kernel, None)
}

/// `load` with `--cpus`: the possible CPUs of a kernel booted now (else
/// this machine's); an existing state booted with others is an error.
pub fn load_with(
    path: &Path,
    kernel: Option<&str>,
    cpus: Option<u32>,
) -> Result<(Kernel, NetnsNames, bool), StateError> {
    let Some(bytes) = statefs::read_state(path)? else {
        let profile = profile_for(kernel.unwrap_or("latest"))?;
        return Ok((boot(profile, cpus), NetnsNames::default(), true));
    };
    let (k, names) = decode(path, &bytes)?;
    if let Some(want) = kernel {
        check_profile(path, &k, want)?;
    }
    if let Some(n) = cpus.filter(|&n| n != k.num_possible_cpus()) {
        return Err(StateError(format!(
            "ifnet: state file {} models {} possible CPUs, not {n}; `ifnet --cpus {n} reset` \
             boots a kernel with {n}",
            path.display(),
            k.num_possible_cpus()
        )));
    }
    Ok((k, names, false))
}

/// The most possible CPUs the model takes (`NR_CPUS` of a distribution
/// kernel).
pub const MAX_CPUS: u32 = 8192;

/// A freshly booted kernel on this machine's hardware: its possible CPUs
/// are `--cpus`, else what /sys/devices/system/cpu/possible lists.
pub fn boot(profile: KernelProfile, cpus: Option<u32>) -> Kernel {
    let mut k = Kernel::new(profile);
    k.set_num_possible_cpus(cpus.unwrap_or_else(host_possible_cpus));
    k
}

/// `num_possible_cpus()` of this machine: the CPUs listed in
/// /sys/devices/system/cpu/possible ("0-1", "0,2-5"), 1 if unreadable.
pub fn host_possible_cpus() -> u32 {
    std::fs::read_to_string("/sys/devices/system/cpu/possible")
        .ok()
        .and_then(|t| parse_cpu_list(t.trim()))
        .unwrap_or(1)
}

/// A kernel cpulist ("0-3,8,10-11") as a count; None if malformed.
pub fn parse_cpu_list(text: &str) -> Option<u32> {
    let mut n: u32 = 0;
    for part in text.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
            None => {
                let a = part.parse::<u32>().ok()?;
                (a, a)
            }
        };
        n = n.checked_add(b.checked_sub(a)?.checked_add(1)?)?;
    }
    (1..=MAX_CPUS).contains(&n).then_some(n)
}

/// Parses and rebuilds a state file's bytes: the kernel and the names
/// user space gave its namespaces (which must agree with its mounts).
pub fn decode(path: &Path, bytes: &[u8]) -> Result<(Kernel, NetnsNames), StateError> {
    let corrupt = |why: String| {
        StateError(format!(
            "ifnet: state file {} is corrupt ({why}); it was left untouched — \
             remove it or run `ifnet reset` to start over",
            path.display()
        ))
    };
    let disk: OnDisk = match serde_json::from_slice(bytes) {
        Ok(d) => d,
        // An older layout does not parse as this one: name its format
        // rather than calling it corrupt.
        Err(e) => {
            return Err(match serde_json::from_slice::<FormatOnly>(bytes) {
                Ok(f) if f.format < FORMAT => older_format(path, f.format),
                _ => corrupt(e.to_string()),
            })
        }
    };
    if disk.format < FORMAT {
        return Err(older_format(path, disk.format));
    }
    if disk.format != FORMAT {
        return Err(corrupt(format!("unknown format {}", disk.format)));
    }
    let mut k = disk.kernel;
    k.rebuild_after_load().map_err(corrupt)?;
    disk.netns_names.check(&k).map_err(corrupt)?;
    Ok((k, disk.netns_names))
}

/// Just the version of a state file (the rest is skipped).
#[derive(Deserialize)]
struct FormatOnly {
    format: u32,
}

fn older_format(path: &Path, format: u32) -> StateError {
    StateError(format!(
        "ifnet: state file {} has format {format} from an older ifnet (this one reads \
         {FORMAT}); it was left untouched — run `ifnet reset` to start over",
        path.display()
    ))
}

/// A `--kernel` that disagrees with the stored profile is an error.
fn check_profile(path: &Path, k: &Kernel, want: &str) -> Result<(), StateError> {
    let want_p = profile_for(want)?;
    let have = &k.profile().name;
    if *have != want_p.name {
        return Err(StateError(format!(
            "ifnet: state file {} was created with kernel profile {have}, but --kernel {want} \
             asks for {}; run `ifnet --kernel {want} reset` to start over with that profile",
            path.display(),
            want_p.name
        )));
    }
    Ok(())
}

/// What `save` reserves: a device takes ~700 bytes of JSON (with its
/// address lists), plus room for the rings and tables.
const SAVE_BYTES_PER_DEVICE: usize = 1024;
const SAVE_SLACK_BYTES: usize = 256 * 1024;

/// Writes the kernel atomically ([`statefs::write_atomically`]: a temp
/// file nothing planted can redirect, then a rename over the old file), so
/// a reader (or an invocation killed mid-write) only ever sees the old
/// state or the new one. Call it holding the exclusive lock.
///
/// No fsync: the file stands for a running kernel's memory, which does not
/// survive a machine crash either. Flushing 3 MB to disk cost more than
/// half of a 4,000-device save. If the machine does crash before the page
/// cache is written back, the file may be short or empty; the loader then
/// refuses it as corrupt and leaves it for `ifnet reset`, like a reboot.
pub fn save(path: &Path, k: &Kernel, names: &NetnsNames) -> Result<(), StateError> {
    // Encoded in memory first: serde_json writes many tiny fragments, which
    // a Vec takes far faster than an io::BufWriter does. Sized from the
    // device count so it does not regrow (each regrowth copies and faults).
    let devices: usize = k.nets().into_iter().map(|n| k.net(n).device_count()).sum();
    let mut data = Vec::with_capacity(devices * SAVE_BYTES_PER_DEVICE + SAVE_SLACK_BYTES);
    serde_json::to_writer(
        &mut data,
        &OnDiskRef {
            format: FORMAT,
            netns_names: names,
            kernel: k,
        },
    )
    .map_err(|e| StateError(format!("ifnet: cannot encode state: {e}")))?;
    statefs::write_atomically(path, &data)
}

/// A monitor's subscription to link notifications: a shared lock on
/// `PATH.listen`, held for the monitor's life. The kernel drops it when the
/// process dies, however it dies, so nothing is left for anyone to prune.
pub struct Listening {
    _file: File,
}

fn listen_path(path: &Path) -> PathBuf {
    statefs::sibling(path, ".listen")
}

/// Subscribes the calling process (the socket's bind to RTNLGRP_LINK).
pub fn listen(path: &Path) -> Result<Listening, StateError> {
    let lp = listen_path(path);
    let f = statefs::open_side_file(&lp)?;
    f.lock_shared()
        .map_err(|e| StateError(format!("ifnet: cannot lock {}: {e}", lp.display())))?;
    Ok(Listening { _file: f })
}

/// `netlink_has_listeners()`: whether some live process holds a
/// subscription (an exclusive lock cannot be had while one does).
pub fn has_listeners(path: &Path) -> bool {
    let Ok(f) = statefs::open_side_file(&listen_path(path)) else {
        return false;
    };
    match f.try_lock() {
        Ok(()) => {
            let _ = f.unlock();
            false
        }
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ifnet-state-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d.join("state.json")
    }

    /// The kernel's cpulist format, as /sys/devices/system/cpu/possible
    /// writes it (`cpumap_print_list_to_buf`).
    #[test]
    fn cpu_lists_count_their_cpus() {
        assert_eq!(parse_cpu_list("0"), Some(1));
        assert_eq!(parse_cpu_list("0-1"), Some(2));
        assert_eq!(parse_cpu_list("0,2-5,8"), Some(6));
        assert_eq!(parse_cpu_list(""), None);
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("0-99999"), None);
    }

    /// A state file written by format 1 (ids as objects) is named as such
    /// and never rewritten.
    #[test]
    fn older_format_is_named_not_called_corrupt() {
        let path = scratch("older");
        let old = br#"{"format":1,"kernel":{"devs":{"slots":[{"generation":0,"value":null}]}}}"#;
        fs::write(&path, old).unwrap();
        let err = load(&path, None).expect_err("format 1 refused").0;
        assert!(err.contains("has format 1 from an older ifnet"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), old, "left untouched");
        fs::write(&path, br#"{"format":9,"kernel":{}}"#).unwrap();
        let err = load(&path, None).expect_err("format 9 refused").0;
        assert!(err.contains("is corrupt"), "{err}");
        let _ = fs::remove_dir_all(path.parent().unwrap());
    }

    /// save() then load(): the same kernel, and no temporary file left
    /// behind (the write goes through a temp file and a rename).
    #[test]
    fn save_round_trips_and_leaves_no_temp_file() {
        let path = scratch("roundtrip");
        let mut k = Kernel::new(KernelProfile::latest());
        let init = k.init_net();
        let mut c = ifnet_core::client::Client::new(&mut k, init);
        for i in 0..300 {
            c.add_veth(&format!("a{i}"), &format!("b{i}")).unwrap();
        }
        let mut names = NetnsNames::default();
        let ns = names.add(&mut k, "x").unwrap();
        ifnet_core::client::Client::new(&mut k, init)
            .set_netns("a0", ns, None)
            .unwrap();
        k.run_until_idle();
        save(&path, &k, &names).unwrap();
        let (mut back, back_names, created) = load(&path, None).unwrap();
        assert!(!created);
        assert_eq!(back_names, names);
        assert_eq!(back.netns_mounts(ns), 1);
        let before = ifnet_core::client::Client::new(&mut k, init).dump();
        let init2 = back.init_net();
        let after = ifnet_core::client::Client::new(&mut back, init2).dump();
        assert_eq!(format!("{before:?}"), format!("{after:?}"));
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["state.json".to_string()], "only the state file");
        let _ = fs::remove_dir_all(path.parent().unwrap());
    }
}
