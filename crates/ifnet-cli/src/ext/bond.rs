//! `ifnet bond`: bonding's views outside netlink — `show [BOND]` prints
//! `/proc/net/bonding/BOND` as the kernel does (bond_procfs.c), or lists
//! the bonds (`ls /proc/net/bonding`); `sysfs DEV ATTR` reads
//! `/sys/class/net/DEV/bonding/…` or `…/bonding_slave/…`; `slaves BOND
//! +DEV|-DEV` writes `bonding/slaves` (bond_option_slaves_set: bond_enslave
//! without extack, refusals in `ifnet dmesg`).

use crate::session::Session;
use crate::{Abort, IpResult};

const USAGE: &str = "Usage: ifnet bond show [ BOND ]
       ifnet bond sysfs DEV { bonding/ATTR | bonding_slave/ATTR }
       ifnet bond slaves BOND { +DEV | -DEV }
";

/// `ifnet bond …`.
pub fn do_bond(s: &mut Session, words: &[String]) -> IpResult {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["show"] => {
            let mut text = String::new();
            for b in s.k.bond_proc_list(s.net) {
                text.push_str(&b);
                text.push('\n');
            }
            s.p.text(&text);
            Ok(0)
        }
        ["show", bond] => {
            let shown =
                s.k.dev_get_by_name(s.net, bond)
                    .and_then(|d| s.k.bond_proc_show(d));
            match shown {
                Some(t) => {
                    s.p.text(&t);
                    Ok(0)
                }
                None => {
                    s.eprint(&format!(
                        "cat: /proc/net/bonding/{bond}: No such file or directory\n"
                    ));
                    Err(Abort::Exit(1))
                }
            }
        }
        ["sysfs", dev, attr] if attr.starts_with("bonding") => {
            match s.k.sysfs_read_by_name(s.net, dev, attr) {
                Some(v) => {
                    s.p.text(&format!("{v}\n"));
                    Ok(0)
                }
                None => {
                    s.eprint(&format!(
                        "cat: /sys/class/net/{dev}/{attr}: No such file or directory\n"
                    ));
                    Err(Abort::Exit(1))
                }
            }
        }
        ["slaves", bond, cmd] => {
            let Some(b) = s.k.sysfs_lookup(s.net, bond) else {
                s.eprint(&format!(
                    "sh: /sys/class/net/{bond}/bonding/slaves: No such file or directory\n"
                ));
                return Err(Abort::Exit(1));
            };
            // A write to sysfs: the kernel changed (at least its log).
            s.dirty = true;
            match s.k.bond_sysfs_slaves_write(b, cmd) {
                Ok(()) => {
                    s.k.run_until_idle();
                    Ok(0)
                }
                Err(e) => {
                    // The kernel state (its log) is kept: exit 1, saved.
                    s.eprint(&format!("sh: write error: {}\n", e.errno.strerror()));
                    Err(Abort::Ret(-1))
                }
            }
        }
        _ => {
            s.eprint(USAGE);
            Err(Abort::Exit(255))
        }
    }
}
