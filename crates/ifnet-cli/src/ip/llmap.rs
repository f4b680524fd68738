//! iproute2's per-process link cache (`lib/ll_map.c`), kept faithfully
//! because it leaks into what a batch prints: entries survive for the whole
//! `-batch` run, are only dropped by index after a modify, and
//! `ll_entry_update()` rehashes a renamed entry without copying the new name
//! (so the entry becomes unreachable by either name, while index lookups
//! still return the old name).

use std::collections::HashMap;

/// The cache's tables (std's hasher: a per-process cache of a few names).
type Map<K, V> = HashMap<K, V>;

/// IDXMAP_SIZE.
const BUCKETS: u32 = 1024;

/// iproute2 `namehash()` (djb2), used to pick the name bucket.
pub fn namehash(s: &str) -> u32 {
    s.bytes().fold(5381u32, |h, c| {
        h.wrapping_shl(5)
            .wrapping_add(h)
            .wrapping_add(c as i8 as u32)
    })
}

#[derive(Debug, Clone)]
struct Entry {
    index: u32,
    flags: u32,
    name: String,
    /// Name bucket the entry is linked into (may disagree with `name`).
    bucket: u32,
    /// Altname entries: (name, bucket).
    alts: Vec<(String, u32)>,
    /// Insertion stamp in the name bucket; newer entries are found first
    /// (hlist_add_head).
    stamp: u64,
}

/// One link as a dump or GETLINK reply describes it.
#[derive(Debug, Clone, Default)]
pub struct LinkSeen {
    pub index: u32,
    pub flags: u32,
    pub name: Option<String>,
    pub altnames: Vec<String>,
}

/// `struct ll_cache` tables. Indexed by ifindex, plus a name → indices map
/// over the *stored* names so lookups stay O(1) for big batches.
#[derive(Debug, Default)]
pub struct LlCache {
    entries: Map<u32, Entry>,
    names: Map<String, Vec<u32>>,
    stamp: u64,
    /// ll_init_map()'s `static int initialized`.
    pub initialized: bool,
}

impl LlCache {
    fn next_stamp(&mut self) -> u64 {
        self.stamp += 1;
        self.stamp
    }

    /// `ll_get_by_name()`: search the name's bucket, newest first.
    pub fn index_by_name(&self, name: &str) -> Option<u32> {
        let h = namehash(name) % BUCKETS;
        let mut best: Option<(u64, u32)> = None;
        for idx in self.names.get(name).into_iter().flatten() {
            let Some(e) = self.entries.get(idx) else {
                continue;
            };
            let hit = (e.bucket == h && e.name == name)
                || e.alts.iter().any(|(a, b)| *b == h && a == name);
            if hit {
                best = best.max(Some((e.stamp, e.index)));
            }
        }
        best.map(|(_, i)| i)
    }

    /// `ll_index_to_name()` cache part (the stored, possibly stale, name).
    pub fn name_by_index(&self, index: u32) -> Option<&str> {
        self.entries.get(&index).map(|e| e.name.as_str())
    }

    /// `ll_index_to_flags()`; `None` is C's -1.
    pub fn flags_by_index(&self, index: u32) -> Option<u32> {
        self.entries.get(&index).map(|e| e.flags)
    }

    fn link_names(&mut self, index: u32, names: impl Iterator<Item = String>) {
        for n in names {
            let v = self.names.entry(n).or_default();
            if !v.contains(&index) {
                v.push(index);
            }
        }
    }

    fn unlink_names(&mut self, index: u32, names: impl Iterator<Item = String>) {
        for n in names {
            if let Some(v) = self.names.get_mut(&n) {
                v.retain(|i| *i != index);
                if v.is_empty() {
                    self.names.remove(&n);
                }
            }
        }
    }

    /// `ll_remember_index()` for RTM_NEWLINK.
    pub fn remember(&mut self, seen: &LinkSeen) {
        let stamp = self.next_stamp();
        if let Some(e) = self.entries.get_mut(&seen.index) {
            e.flags = seen.flags;
            if let Some(n) = &seen.name {
                if *n != e.name {
                    // ll_entry_update(): rehash, but the name is NOT copied.
                    e.bucket = namehash(n) % BUCKETS;
                    e.stamp = stamp;
                }
            }
            let alts_same = e.alts.len() == seen.altnames.len()
                && e.alts.iter().zip(&seen.altnames).all(|(a, b)| a.0 == *b);
            if !alts_same {
                let old: Vec<String> = e.alts.iter().map(|a| a.0.clone()).collect();
                e.alts = alt_entries(&seen.altnames);
                let keep = e.name.clone();
                self.unlink_names(seen.index, old.into_iter().filter(|n| *n != keep));
                self.link_names(seen.index, seen.altnames.iter().cloned());
            }
            return;
        }
        let Some(name) = &seen.name else { return };
        self.entries.insert(
            seen.index,
            Entry {
                index: seen.index,
                flags: seen.flags,
                name: name.clone(),
                bucket: namehash(name) % BUCKETS,
                alts: alt_entries(&seen.altnames),
                stamp,
            },
        );
        let all = std::iter::once(name.clone()).chain(seen.altnames.iter().cloned());
        self.link_names(seen.index, all);
    }

    /// `ll_remember_index()` for RTM_DELLINK, and `ll_drop_by_index()`.
    pub fn drop_index(&mut self, index: u32) {
        if let Some(e) = self.entries.remove(&index) {
            let all = std::iter::once(e.name).chain(e.alts.into_iter().map(|a| a.0));
            self.unlink_names(index, all);
        }
    }
}

fn alt_entries(names: &[String]) -> Vec<(String, u32)> {
    names
        .iter()
        .map(|n| (n.clone(), namehash(n) % BUCKETS))
        .collect()
}

/// `ll_idx_a2n()`: `sscanf(name, "if%u")`.
pub fn idx_a2n(name: &str) -> u32 {
    let Some(rest) = name.strip_prefix("if") else {
        return 0;
    };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (neg, digits) = match rest.as_bytes().first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    let d: String = digits.chars().take_while(|c| c.is_ascii_digit()).collect();
    if d.is_empty() {
        return 0;
    }
    let v = d.parse::<u64>().map(|v| v as u32).unwrap_or(u32::MAX);
    if neg {
        v.wrapping_neg()
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(index: u32, name: &str) -> LinkSeen {
        LinkSeen {
            index,
            flags: 0,
            name: Some(name.into()),
            altnames: vec![],
        }
    }

    #[test]
    fn ll_remember_index_and_lookup() {
        let mut c = LlCache::default();
        c.remember(&seen(2, "v0"));
        assert_eq!(c.index_by_name("v0"), Some(2));
        assert_eq!(c.name_by_index(2), Some("v0"));
        c.drop_index(2);
        assert_eq!(c.index_by_name("v0"), None);
    }

    #[test]
    fn ll_entry_update_keeps_old_name() {
        // ll_entry_update() rehashes without strcpy(): the renamed entry is
        // found by neither name, and ll_index_to_name() returns the old one.
        let mut c = LlCache::default();
        c.remember(&seen(2, "v0"));
        c.remember(&seen(2, "v1"));
        assert_eq!(c.index_by_name("v1"), None);
        assert_eq!(c.index_by_name("v0"), None);
        assert_eq!(c.name_by_index(2), Some("v0"));
    }

    #[test]
    fn ll_idx_a2n_parses_if_n() {
        assert_eq!(idx_a2n("if5"), 5);
        assert_eq!(idx_a2n("if5x"), 5);
        assert_eq!(idx_a2n("ifx"), 0);
        assert_eq!(idx_a2n("eth0"), 0);
    }

    #[test]
    fn namehash_djb2() {
        assert_eq!(namehash(""), 5381);
        assert_eq!(namehash("a"), 5381 * 33 + 97);
    }
}
