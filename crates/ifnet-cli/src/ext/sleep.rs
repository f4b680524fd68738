//! `ifnet sleep DURATION`: lets the virtual clock run, as time passing on
//! an idle machine would. Between invocations only deferred work that is
//! due runs (linkwatch, DAD, bridge timers), so the clock otherwise stands
//! still after a command settles; address lifetimes (`valid_lft`,
//! `preferred_lft`, devinet's `check_lifetime` and addrconf's
//! `addrconf_verify`) count down only while it moves. Every work item that
//! falls due on the way runs in order (`Kernel::sleep`). DURATION is GNU
//! sleep's: a non-negative decimal number of seconds with an optional
//! suffix s, m, h or d; several are added up.

use crate::session::Session;
use crate::{Abort, IpResult};
use ifnet_core::time::{Duration, MAX_CLOCK_NS};

/// `ifnet sleep DURATION…`.
pub fn do_sleep(s: &mut Session, words: &[String]) -> IpResult {
    if words.is_empty() {
        s.eprint("sleep: missing operand\nTry 'sleep --help' for more information.\n");
        return Err(Abort::Exit(1));
    }
    let mut total: u64 = 0;
    for w in words {
        let Some(ns) = parse_interval(w) else {
            s.eprint(&format!(
                "sleep: invalid time interval '{w}'\nTry 'sleep --help' for more information.\n"
            ));
            return Err(Abort::Exit(1));
        };
        total = total.saturating_add(ns);
    }
    s.k.sleep(Duration::from_nanos(total.min(MAX_CLOCK_NS)));
    s.dirty = true;
    Ok(0)
}

/// `12`, `1.5`, `.5s`, `2m`, `1h`, `3d` → nanoseconds (saturating).
fn parse_interval(w: &str) -> Option<u64> {
    let (num, mult) = match w.char_indices().last()? {
        (i, 's') => (&w[..i], 1u64),
        (i, 'm') => (&w[..i], 60),
        (i, 'h') => (&w[..i], 3600),
        (i, 'd') => (&w[..i], 86_400),
        _ => (w, 1),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
        return None;
    }
    let secs = int.bytes().fold(0u64, |a, b| {
        a.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    });
    let mut nanos = 0u64;
    for (i, b) in frac.bytes().take(9).enumerate() {
        nanos += u64::from(b - b'0') * 10u64.pow(8 - i as u32);
    }
    let per = mult.saturating_mul(1_000_000_000);
    Some(
        secs.saturating_mul(per)
            .saturating_add(nanos.saturating_mul(mult)),
    )
}

#[cfg(test)]
mod tests {
    use super::parse_interval;

    #[test]
    fn intervals_as_gnu_sleep_reads_them() {
        assert_eq!(parse_interval("2"), Some(2_000_000_000));
        assert_eq!(parse_interval("1.5"), Some(1_500_000_000));
        assert_eq!(parse_interval(".5s"), Some(500_000_000));
        assert_eq!(parse_interval("2m"), Some(120_000_000_000));
        assert_eq!(parse_interval("1d"), Some(86_400_000_000_000));
        assert_eq!(parse_interval("99999999999999999999d"), Some(u64::MAX));
        for bad in ["", ".", "s", "-1", "1x", "1.2.3", "a"] {
            assert_eq!(parse_interval(bad), None, "{bad}");
        }
    }
}
