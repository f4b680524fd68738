//! Line diffs for mismatch reports (kernel side `-`, ifnet side `+`).

use std::fmt::Write as _;

/// The first line (1-based) where `a` and `b` differ, with both lines.
pub fn first_difference(a: &str, b: &str) -> Option<(usize, String, String)> {
    let la: Vec<&str> = a.lines().collect();
    let lb: Vec<&str> = b.lines().collect();
    for i in 0..la.len().max(lb.len()) {
        let x = la.get(i).copied();
        let y = lb.get(i).copied();
        if x != y {
            let show = |l: Option<&str>| match l {
                Some(l) => format!("{l:?}"),
                None => "<no line>".to_string(),
            };
            return Some((i + 1, show(x), show(y)));
        }
    }
    None
}

/// A line diff: common lines prefixed by two spaces, kernel-only lines by
/// `- `, ifnet-only lines by `+ `. Each output line is indented by `indent`.
pub fn line_diff(kernel: &str, ifnet: &str, indent: &str) -> String {
    let a: Vec<&str> = kernel.lines().collect();
    let b: Vec<&str> = ifnet.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut out = String::new();
    if n * m > 4_000_000 {
        // Too big for the quadratic table: show both sides whole.
        for l in &a {
            let _ = writeln!(out, "{indent}- {l}");
        }
        for l in &b {
            let _ = writeln!(out, "{indent}+ {l}");
        }
        return out;
    }
    // lcs[i][j] = LCS length of a[i..] and b[j..]
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            let _ = writeln!(out, "{indent}  {}", a[i]);
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            let _ = writeln!(out, "{indent}+ {}", b[j]);
            j += 1;
        } else {
            let _ = writeln!(out, "{indent}- {}", a[i]);
            i += 1;
        }
    }
    out
}

/// Indent every line of `text`.
pub fn indented(text: &str, indent: &str) -> String {
    let mut out = String::new();
    for l in text.lines() {
        let _ = writeln!(out, "{indent}{l}");
    }
    if text.is_empty() {
        let _ = writeln!(out, "{indent}<empty>");
    }
    out
}
