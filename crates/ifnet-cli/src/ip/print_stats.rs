//! `ip -s link` counters: iproute2 6.1 `__print_link_stats()` and
//! `print_stats64()` (ip/ipaddress.c), column sizing included.

use netlink_packet_route::link::{LinkAttribute, LinkMessage, Stats64};

use crate::ip::jsonw::Ctx;
use crate::session::Session;

/// `get_rtnl_link_stats_rta()`: IFLA_STATS64, else IFLA_STATS widened.
fn stats_of(lm: &LinkMessage) -> Option<Stats64> {
    let mut s64 = None;
    let mut s32 = None;
    for a in &lm.attributes {
        match a {
            LinkAttribute::Stats64(s) => s64 = Some(*s),
            LinkAttribute::Stats(s) => s32 = Some(*s),
            _ => {}
        }
    }
    if s64.is_some() {
        return s64;
    }
    let s = s32?;
    let mut o = Stats64::default();
    o.rx_packets = s.rx_packets as u64;
    o.tx_packets = s.tx_packets as u64;
    o.rx_bytes = s.rx_bytes as u64;
    o.tx_bytes = s.tx_bytes as u64;
    o.rx_errors = s.rx_errors as u64;
    o.tx_errors = s.tx_errors as u64;
    o.rx_dropped = s.rx_dropped as u64;
    o.tx_dropped = s.tx_dropped as u64;
    o.multicast = s.multicast as u64;
    o.collisions = s.collisions as u64;
    o.rx_length_errors = s.rx_length_errors as u64;
    o.rx_over_errors = s.rx_over_errors as u64;
    o.rx_crc_errors = s.rx_crc_errors as u64;
    o.rx_frame_errors = s.rx_frame_errors as u64;
    o.rx_fifo_errors = s.rx_fifo_errors as u64;
    o.rx_missed_errors = s.rx_missed_errors as u64;
    o.tx_aborted_errors = s.tx_aborted_errors as u64;
    o.tx_carrier_errors = s.tx_carrier_errors as u64;
    o.tx_fifo_errors = s.tx_fifo_errors as u64;
    o.tx_heartbeat_errors = s.tx_heartbeat_errors as u64;
    o.tx_window_errors = s.tx_window_errors as u64;
    o.rx_compressed = s.rx_compressed as u64;
    o.tx_compressed = s.tx_compressed as u64;
    o.rx_nohandler = s.rx_nohandler as u64;
    o.rx_otherhost_dropped = 0;
    Some(o)
}

/// `__print_link_stats()`.
pub fn print_link_stats(s: &mut Session, lm: &LinkMessage) {
    let Some(st) = stats_of(lm) else { return };
    let cc = lm.attributes.iter().rev().find_map(|a| match a {
        LinkAttribute::CarrierChanges(c) => Some(*c as u64),
        _ => None,
    });
    if s.p.is_json() {
        json_stats(s, &st, cc);
    } else {
        text_stats(s, &st, cc);
    }
}

/// `print_stats64()`'s JSON: "stats64" with an "rx" and a "tx" object.
/// The counter lists are tables, one direction a line (rustfmt would give
/// each value a line of its own).
#[rustfmt::skip]
fn json_stats(s: &mut Session, st: &Stats64, cc: Option<u64>) {
    let more = s.opts.stats > 1;
    let nonzero = |v: u64| (v != 0).then_some(v);
    let p = &mut s.p;
    p.open_object(Some("stats64"));
    json_direction(p, "rx",
        (&["bytes", "packets", "errors", "dropped", "over_errors", "multicast"],
         &[st.rx_bytes, st.rx_packets, st.rx_errors, st.rx_dropped, st.rx_over_errors, st.multicast]),
        st.rx_compressed,
        more.then_some(JsonMore {
            errors: (&["length_errors", "crc_errors", "frame_errors", "fifo_errors", "missed_errors"],
                     &[st.rx_length_errors, st.rx_crc_errors, st.rx_frame_errors, st.rx_fifo_errors, st.rx_missed_errors]),
            optional: &[("nohandler", nonzero(st.rx_nohandler)), ("otherhost", nonzero(st.rx_otherhost_dropped))],
        }));
    json_direction(p, "tx",
        (&["bytes", "packets", "errors", "dropped", "carrier_errors", "collisions"],
         &[st.tx_bytes, st.tx_packets, st.tx_errors, st.tx_dropped, st.tx_carrier_errors, st.collisions]),
        st.tx_compressed,
        more.then_some(JsonMore {
            errors: (&["aborted_errors", "fifo_errors", "window_errors", "heartbeat_errors"],
                     &[st.tx_aborted_errors, st.tx_fifo_errors, st.tx_window_errors, st.tx_heartbeat_errors]),
            optional: &[("carrier_changes", cc)],
        }));
    p.close_object();
}

/// Counters of a direction: their keys and values, in print order.
type Counters<'a> = (&'a [&'a str], &'a [u64]);

/// What `-s -s` adds to a direction's JSON object: the error counters,
/// then counters printed only when present (`None` is left out).
struct JsonMore<'a> {
    errors: Counters<'a>,
    optional: &'a [(&'a str, Option<u64>)],
}

/// One direction's object ("rx" or "tx") of `print_stats64()`'s JSON: the
/// counters always printed, "compressed" when not zero, then `more`.
fn json_direction(
    p: &mut crate::ip::jsonw::Printer,
    name: &str,
    (keys, values): Counters<'_>,
    compressed: u64,
    more: Option<JsonMore<'_>>,
) {
    let put = |p: &mut crate::ip::jsonw::Printer, k: &str, v: u64| {
        p.num(Ctx::Json, Some(k), "", v as i128)
    };
    p.open_object(Some(name));
    for (k, &v) in keys.iter().zip(values) {
        put(p, k, v);
    }
    if compressed != 0 {
        put(p, "compressed", compressed);
    }
    if let Some(more) = more {
        let (keys, values) = more.errors;
        for (k, &v) in keys.iter().zip(values) {
            put(p, k, v);
        }
        for &(k, v) in more.optional {
            if let Some(v) = v {
                put(p, k, v);
            }
        }
    }
    p.close_object();
}

/// How `print_num()` prints (`-h`, `-iec`) and what `_SL_` is (`-o`).
struct NumFmt {
    human: bool,
    iec: bool,
    sl: &'static str,
}

impl NumFmt {
    /// `size_columns()`: widen each column to the widest number (not with
    /// -h, whose numbers are short).
    fn size_columns(&self, cols: &mut [usize; 8], vals: [u64; 8]) {
        if self.human {
            return;
        }
        for (c, v) in cols.iter_mut().zip(vals) {
            *c = (*c).max(v.to_string().len());
        }
    }

    /// `print_num()`: "%*llu ", or with -h the count scaled by 1000 (1024
    /// with -iec) to a prefix of "kMGTPE" with two, one or no decimals.
    fn num(&self, w: usize, count: u64) -> String {
        let base: u64 = if self.iec { 1024 } else { 1000 };
        if !self.human || count < base {
            return format!("{count:>w$} ");
        }
        let prefixes = b"kMGTPE";
        let (mut powi, mut at) = (1u64, 0usize);
        loop {
            powi = powi.saturating_mul(base);
            if count / base < powi || at + 1 == prefixes.len() {
                break;
            }
            at += 1;
        }
        let (mut precision, mut powj) = (2usize, 1u64);
        while precision > 0 {
            powj *= 10;
            if count / powi < powj {
                break;
            }
            precision -= 1;
        }
        let i = if self.iec { "i" } else { "" };
        let v = format!(
            "{:.*}{}{i}",
            precision,
            count as f64 / powi as f64,
            prefixes[at] as char
        );
        format!("{v:>w$} ")
    }
}

fn text_stats(s: &mut Session, st: &Stats64, cc: Option<u64>) {
    let more = s.opts.stats > 1;
    let f = NumFmt {
        human: s.opts.human > 0,
        iec: s.opts.iec,
        sl: s.p.sl(),
    };
    let c = columns(&f, st, cc, more);
    let mut o = String::new();
    o += &direction(
        &f,
        &c,
        "RX",
        ["missed", "mcast"],
        rx_numbers(st),
        st.rx_compressed,
    );
    if more {
        o += &rx_errors(&f, &c, st);
    }
    o += f.sl;
    o += &direction(
        &f,
        &c,
        "TX",
        ["carrier", "collsns"],
        tx_numbers(st),
        st.tx_compressed,
    );
    if more {
        o += &tx_errors(&f, &c, st, cc);
    }
    s.p.text(&o);
}

/// The numbers of the RX line: bytes, packets, errors, dropped, missed,
/// mcast.
fn rx_numbers(st: &Stats64) -> [u64; 6] {
    [
        st.rx_bytes,
        st.rx_packets,
        st.rx_errors,
        st.rx_dropped,
        st.rx_missed_errors,
        st.multicast,
    ]
}

/// The numbers of the TX line: bytes, packets, errors, dropped, carrier,
/// collsns.
fn tx_numbers(st: &Stats64) -> [u64; 6] {
    [
        st.tx_bytes,
        st.tx_packets,
        st.tx_errors,
        st.tx_dropped,
        st.tx_carrier_errors,
        st.collisions,
    ]
}

/// A direction line's eight columns: its six numbers, compressed, and the
/// unused last column.
fn line_columns(six: [u64; 6], compressed: u64) -> [u64; 8] {
    let [a, b, c, d, e, f] = six;
    [a, b, c, d, e, f, compressed, 0]
}

/// print_stats64()'s `cols[]`: the minimum widths, widened by
/// `size_columns()` to the numbers printed.
fn columns(f: &NumFmt, st: &Stats64, cc: Option<u64>, more: bool) -> [usize; 8] {
    let mut c = [10usize, 7, 6, 7, 7, 7, 10, 9];
    f.size_columns(&mut c, line_columns(rx_numbers(st), st.rx_compressed));
    if more {
        f.size_columns(
            &mut c,
            [
                0,
                st.rx_length_errors,
                st.rx_crc_errors,
                st.rx_frame_errors,
                st.rx_fifo_errors,
                st.rx_over_errors,
                st.rx_nohandler,
                st.rx_otherhost_dropped,
            ],
        );
    }
    f.size_columns(&mut c, line_columns(tx_numbers(st), st.tx_compressed));
    if more {
        f.size_columns(
            &mut c,
            [
                0,
                0,
                st.tx_aborted_errors,
                st.tx_fifo_errors,
                st.tx_window_errors,
                st.tx_heartbeat_errors,
                cc.unwrap_or(0),
                0,
            ],
        );
    }
    c
}

/// One direction of `print_stats64()`: the header line ("RX: bytes packets
/// errors dropped <last two> [compressed]") and its numbers, without the
/// trailing newline (the error columns may follow on the same line).
fn direction(
    f: &NumFmt,
    c: &[usize; 8],
    label: &str,
    last: [&str; 2],
    vals: [u64; 6],
    compressed: u64,
) -> String {
    let comp = if compressed != 0 { "compressed" } else { "" };
    let mut o = format!(
        "    {label}: {:>w0$} {:>w1$} {:>w2$} {:>w3$} {:>w4$} {:>w5$} {:>w6$}{}    ",
        "bytes",
        "packets",
        "errors",
        "dropped",
        last[0],
        last[1],
        comp,
        f.sl,
        w0 = c[0] - 4,
        w1 = c[1],
        w2 = c[2],
        w3 = c[3],
        w4 = c[4],
        w5 = c[5],
        w6 = c[6]
    );
    for (w, v) in c.iter().zip(vals) {
        o += &f.num(*w, v);
    }
    if compressed != 0 {
        o += &f.num(c[6], compressed);
    }
    o
}

fn rx_errors(f: &NumFmt, c: &[usize; 8], st: &Stats64) -> String {
    let (nh_w, nh) = if st.rx_nohandler != 0 {
        (c[6] + 1, " nohandler")
    } else {
        (0, "")
    };
    let (oh_w, oh) = if st.rx_otherhost_dropped != 0 {
        (c[7] + 1, " otherhost")
    } else {
        (0, "")
    };
    let mut o = format!(
        "{}    RX errors:{:>a$} {:>b$} {:>d$} {:>e$} {:>f$} {:>g$}{:>h$}{:>i$}{}",
        f.sl,
        "",
        "length",
        "crc",
        "frame",
        "fifo",
        "overrun",
        nh,
        oh,
        f.sl,
        a = c[0] - 10,
        b = c[1],
        d = c[2],
        e = c[3],
        f = c[4],
        g = c[5],
        h = nh_w,
        i = oh_w
    );
    o += &" ".repeat(c[0] + 5);
    for (w, v) in [
        (c[1], st.rx_length_errors),
        (c[2], st.rx_crc_errors),
        (c[3], st.rx_frame_errors),
        (c[4], st.rx_fifo_errors),
        (c[5], st.rx_over_errors),
    ] {
        o += &f.num(w, v);
    }
    if st.rx_nohandler != 0 {
        o += &f.num(c[6], st.rx_nohandler);
    }
    if st.rx_otherhost_dropped != 0 {
        o += &f.num(c[7], st.rx_otherhost_dropped);
    }
    o
}

fn tx_errors(f: &NumFmt, c: &[usize; 8], st: &Stats64, cc: Option<u64>) -> String {
    let mut o = format!(
        "{}    TX errors:{:>a$} {:>b$} {:>d$} {:>e$} {:>f$} {:>g$}{}",
        f.sl,
        "",
        "aborted",
        "fifo",
        "window",
        "heartbt",
        if cc.is_some() { "transns" } else { "" },
        f.sl,
        a = c[0] - 10,
        b = c[1],
        d = c[2],
        e = c[3],
        f = c[4],
        g = c[5]
    );
    o += &" ".repeat(c[0] + 5);
    for (w, v) in [
        (c[1], st.tx_aborted_errors),
        (c[2], st.tx_fifo_errors),
        (c[3], st.tx_window_errors),
        (c[4], st.tx_heartbeat_errors),
    ] {
        o += &f.num(w, v);
    }
    if let Some(v) = cc {
        o += &f.num(c[5], v);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// print_num() with -h and -h -iec, against what ip 6.1 printed here
    /// for a loopback that had carried 1979336 bytes in 2468 packets.
    #[test]
    fn print_num_human_readable() {
        let si = NumFmt {
            human: true,
            iec: false,
            sl: "\n",
        };
        assert_eq!(si.num(10, 1_979_336), "     1.98M ");
        assert_eq!(si.num(7, 2468), "  2.47k ");
        assert_eq!(si.num(6, 999), "   999 ");
        let iec = NumFmt { iec: true, ..si };
        assert_eq!(iec.num(10, 1_979_336), "    1.89Mi ");
        assert_eq!(iec.num(7, 2468), " 2.41ki ");
        assert_eq!(iec.num(7, 1023), "   1023 ");
        assert_eq!(si.num(4, u64::MAX), "18.4E ");
        let plain = NumFmt { human: false, ..si };
        assert_eq!(plain.num(10, 1_979_336), "   1979336 ");
    }

    /// size_columns(): -h keeps the minimum widths.
    #[test]
    fn size_columns_skipped_when_human() {
        let mut c = [10usize, 7, 6, 7, 7, 7, 10, 9];
        let f = NumFmt {
            human: true,
            iec: false,
            sl: "\n",
        };
        f.size_columns(&mut c, [u64::MAX; 8]);
        assert_eq!(c, [10, 7, 6, 7, 7, 7, 10, 9]);
        let f = NumFmt { human: false, ..f };
        f.size_columns(&mut c, [123_456_789_012, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(c[0], 12);
    }
}
