//! What `ip -d` shows that the kernel and ifnet cannot agree on, made equal
//! on both sides before comparing:
//!
//! - `addrgenmode` / `inet6_addr_gen_mode` (IFLA_AF_SPEC's IPv6 part) is
//!   dropped: ifnet does not model IPv6 address configuration;
//! - the bridge's `gc_timer` and a port's `forward_delay_timer` are masked:
//!   they count down in wall-clock time on the kernel side and in virtual
//!   time (settled: run until idle) on ifnet's.
//!
//! Text lines and compact JSON (`-j` inside a batch) are both handled.

use super::json::{Json, Members};

/// The placeholder for a masked value.
pub const DETAIL_MASK: &str = "<masked>";

/// Text keys whose value is masked, and text keys dropped with their value.
const TEXT_MASKED: [&str; 2] = ["gc_timer ", "forward_delay_timer "];
const TEXT_DROPPED: [&str; 1] = ["addrgenmode "];
/// JSON keys whose value is masked, and keys dropped.
const JSON_MASKED: [&str; 2] = ["gc_timer", "forward_delay_timer"];
const JSON_DROPPED: [&str; 1] = ["inet6_addr_gen_mode"];

/// Bridge and port ids (`# mask: bridge-ids`): text and JSON keys.
const TEXT_BRIDGE_IDS: [&str; 3] = ["bridge_id ", "designated_root ", "designated_bridge "];
const JSON_BRIDGE_IDS: [&str; 2] = ["bridge_id", "root_id"];

/// One line of `ip -d` output (text or compact JSON) with the host- and
/// time-dependent values masked and the unmodelled ones dropped; bridge
/// ids too with `bridge_ids`.
pub fn mask_line(line: &str, bridge_ids: bool) -> String {
    let mut s = line.to_string();
    if bridge_ids {
        for key in TEXT_BRIDGE_IDS {
            s = rewrite_text(&s, key, false);
        }
        for key in JSON_BRIDGE_IDS {
            s = rewrite_json(&s, key, false);
        }
    }
    for key in TEXT_MASKED {
        s = rewrite_text(&s, key, false);
    }
    for key in TEXT_DROPPED {
        s = rewrite_text(&s, key, true);
    }
    for key in JSON_MASKED {
        s = rewrite_json(&s, key, false);
    }
    for key in JSON_DROPPED {
        s = rewrite_json(&s, key, true);
    }
    s
}

/// `KEY<spaces>VALUE ` → `KEY<masked> `, or removed with its value.
fn rewrite_text(line: &str, key: &str, drop: bool) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(p) = rest.find(key) {
        // A key starts a word: at the line start or after a space.
        if p > 0 && !rest[..p].ends_with(' ') {
            out.push_str(&rest[..p + key.len()]);
            rest = &rest[p + key.len()..];
            continue;
        }
        out.push_str(&rest[..p]);
        let after = rest[p + key.len()..].trim_start_matches(' ');
        let end = after.find(' ').unwrap_or(after.len());
        if !drop {
            out.push_str(key);
            out.push_str(DETAIL_MASK);
        }
        rest = &after[end..];
        if drop {
            rest = rest.strip_prefix(' ').unwrap_or(rest);
        }
    }
    out.push_str(rest);
    out
}

/// `"KEY":VALUE` (up to `,` `}` `]`) → `"KEY":"<masked>"`, or removed with
/// its separator.
fn rewrite_json(line: &str, key: &str, drop: bool) -> String {
    let pat = format!("\"{key}\":");
    let mut out = String::new();
    let mut rest = line;
    while let Some(p) = rest.find(&pat) {
        out.push_str(&rest[..p]);
        let after = rest[p + pat.len()..].trim_start_matches(' ');
        let end = if let Some(stripped) = after.strip_prefix('"') {
            stripped.find('"').map_or(after.len(), |e| e + 2)
        } else {
            after.find([',', '}', ']']).unwrap_or(after.len())
        };
        rest = &after[end..];
        if drop {
            if let Some(r) = rest.strip_prefix(',') {
                rest = r;
            } else if out.ends_with(',') {
                out.pop();
            }
        } else {
            out.push_str(&pat);
            out.push('"');
            out.push_str(DETAIL_MASK);
            out.push('"');
        }
    }
    out.push_str(rest);
    out
}

/// The same for a parsed `-j link show` object.
pub fn mask_members(m: &mut Members, bridge_ids: bool) {
    m.retain(|(k, _)| !JSON_DROPPED.contains(&k.as_str()));
    for (k, v) in m.iter_mut() {
        let id = bridge_ids && JSON_BRIDGE_IDS.contains(&k.as_str());
        if JSON_MASKED.contains(&k.as_str()) || id {
            *v = Json::Str(DETAIL_MASK.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask_line_plain(l: &str) -> String {
        mask_line(l, false)
    }

    #[test]
    fn masks_bridge_ids_when_asked() {
        let l = "bridge_id 8000.2:0:0:0:0:1 designated_root 8000.2:0:0:0:0:1 root_port 0 ";
        assert_eq!(mask_line(l, false), l);
        assert_eq!(
            mask_line(l, true),
            "bridge_id <masked> designated_root <masked> root_port 0 "
        );
    }

    #[test]
    fn masks_text_and_json() {
        assert_eq!(
            mask_line_plain(
                "    veth addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 "
            ),
            "    veth numtxqueues 2 numrxqueues 2 gso_max_size 65536 "
        );
        assert_eq!(
            mask_line_plain("hello_timer    0.00 gc_timer  298.01 group_fwd_mask 0 "),
            "hello_timer    0.00 gc_timer <masked> group_fwd_mask 0 "
        );
        assert_eq!(
            mask_line_plain(
                r#"{"a":1,"inet6_addr_gen_mode":"eui64","num_tx_queues":2,"gc_timer":298.01}"#
            ),
            r#"{"a":1,"num_tx_queues":2,"gc_timer":"<masked>"}"#
        );
        assert_eq!(
            mask_line_plain(r#"{"inet6_addr_gen_mode":"eui64"}"#),
            r#"{}"#
        );
    }
}
