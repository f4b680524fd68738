//! iproute2's output layer: `lib/json_writer.c` (a streaming JSON writer with
//! its exact spacing in pretty mode) and `lib/json_print.c` (print_* calls
//! that go either to text or to JSON). Ported rather than replaced with
//! serde_json because ip's byte layout ("[ {", `"flags": [ "A","B" ]`) is
//! part of what users diff against.

use crate::ip::color::{ColorAttr, Palette, CLEAR};

/// Where a print call is meant to appear (`enum output_type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ctx {
    /// PRINT_FP: text output only.
    Fp,
    /// PRINT_JSON: JSON output only.
    Json,
    /// PRINT_ANY: both.
    Any,
}

/// `struct json_writer`.
#[derive(Debug, Default)]
struct JsonWriter {
    depth: usize,
    pretty: bool,
    sep: Option<u8>,
}

/// A text-or-JSON printer over an output buffer (json_print.c's `_jw`).
#[derive(Debug, Default)]
pub struct Printer {
    jw: Option<JsonWriter>,
    json_enabled: bool,
    pretty: bool,
    /// `_SL_`: "\\" with `-o` (oneline), else "\n".
    oneline: bool,
    /// The palette when colour is enabled (`color_is_enabled`).
    palette: Option<Palette>,
    pub out: Vec<u8>,
}

impl Printer {
    pub fn new(json: bool, pretty: bool) -> Printer {
        Printer {
            jw: None,
            json_enabled: json,
            pretty,
            oneline: false,
            palette: None,
            out: Vec::new(),
        }
    }

    /// `_SL_ = oneline ? "\\" : "\n"` (ip.c main).
    pub fn set_oneline(&mut self, oneline: bool) {
        self.oneline = oneline;
    }

    /// `enable_color()` with its palette, or colour off.
    pub fn set_color(&mut self, palette: Option<Palette>) {
        self.palette = palette;
    }

    /// `_SL_`.
    pub fn sl(&self) -> &'static str {
        if self.oneline {
            "\\"
        } else {
            "\n"
        }
    }

    pub fn is_json(&self) -> bool {
        self.jw.is_some()
    }

    fn json_for(&self, t: Ctx) -> bool {
        self.jw.is_some() && t != Ctx::Fp
    }

    fn fp_for(&self, t: Ctx) -> bool {
        self.jw.is_none() && t != Ctx::Json
    }

    /// `new_json_obj(json)`: opens the top-level array when -j is on.
    pub fn new_json_obj(&mut self) {
        if self.json_enabled {
            self.jw = Some(JsonWriter {
                pretty: self.pretty,
                ..Default::default()
            });
            self.start_array();
        }
    }

    /// `delete_json_obj()`: closes the array and ends with a newline.
    pub fn delete_json_obj(&mut self) {
        if self.jw.is_some() {
            self.end_array();
            self.out.push(b'\n');
            self.jw = None;
        }
    }

    pub fn text(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    // --- json_writer.c primitives -------------------------------------

    fn eor(&mut self) {
        let jw = self.jw.as_mut().expect("json context");
        if let Some(c) = jw.sep {
            self.out.push(c);
        }
        jw.sep = Some(b',');
    }

    fn eol(&mut self) {
        let jw = self.jw.as_ref().expect("json context");
        if !jw.pretty {
            return;
        }
        self.out.push(b'\n');
        for _ in 0..jw.depth {
            self.out.extend_from_slice(b"    ");
        }
    }

    fn begin(&mut self, c: u8) {
        self.eor();
        self.out.push(c);
        let jw = self.jw.as_mut().expect("json context");
        jw.depth += 1;
        jw.sep = None;
    }

    fn end(&mut self, c: u8) {
        let jw = self.jw.as_mut().expect("json context");
        jw.depth = jw.depth.saturating_sub(1);
        if jw.sep.is_some() {
            self.eol();
        }
        self.out.push(c);
        self.jw.as_mut().expect("json context").sep = Some(b',');
    }

    fn name(&mut self, name: &str) {
        self.eor();
        self.eol();
        self.jw.as_mut().expect("json context").sep = None;
        self.puts(name);
        self.out.push(b':');
        if self.pretty {
            self.out.push(b' ');
        }
    }

    fn puts(&mut self, s: &str) {
        self.out.push(b'"');
        for &b in s.as_bytes() {
            match b {
                b'\t' => self.out.extend_from_slice(b"\\t"),
                b'\n' => self.out.extend_from_slice(b"\\n"),
                b'\r' => self.out.extend_from_slice(b"\\r"),
                0x0c => self.out.extend_from_slice(b"\\f"),
                0x08 => self.out.extend_from_slice(b"\\b"),
                b'\\' => self.out.extend_from_slice(b"\\\\"),
                b'"' => self.out.extend_from_slice(b"\\\""),
                _ => self.out.push(b),
            }
        }
        self.out.push(b'"');
    }

    fn raw_value(&mut self, key: Option<&str>, v: &str) {
        match key {
            Some(k) => {
                self.name(k);
                self.eor();
            }
            None => self.eor(),
        }
        self.out.extend_from_slice(v.as_bytes());
    }

    fn start_array(&mut self) {
        self.begin(b'[');
        if self.pretty {
            self.out.push(b' ');
        }
    }

    fn end_array(&mut self) {
        let has_sep = self.jw.as_ref().is_some_and(|j| j.sep.is_some());
        if self.pretty && has_sep {
            self.out.push(b' ');
        }
        self.jw.as_mut().expect("json context").sep = None;
        self.end(b']');
    }

    // --- json_print.c API ---------------------------------------------

    pub fn open_object(&mut self, key: Option<&str>) {
        if self.is_json() {
            if let Some(k) = key {
                self.name(k);
            }
            self.begin(b'{');
        }
    }

    pub fn close_object(&mut self) {
        if self.is_json() {
            self.end(b'}');
        }
    }

    /// `open_json_array(type, str)`: in text mode prints `str` literally.
    pub fn open_array(&mut self, t: Ctx, key: &str) {
        if self.json_for(t) {
            self.name(key);
            self.start_array();
        } else if self.fp_for(t) {
            self.text(key);
        }
    }

    /// `open_json_array(type, NULL)` inside JSON.
    pub fn open_anon_array(&mut self, t: Ctx) {
        if self.json_for(t) {
            self.start_array();
        }
    }

    pub fn close_array(&mut self, t: Ctx, text: &str) {
        if self.json_for(t) {
            self.end_array();
        } else if self.fp_for(t) {
            self.text(text);
        }
    }

    /// `print_string(t, key, fmt, value)`; `text` is the formatted text.
    pub fn string(&mut self, t: Ctx, key: Option<&str>, text: &str, value: &str) {
        if self.json_for(t) {
            match key {
                Some(k) => {
                    self.name(k);
                    self.eor();
                    self.puts(value);
                }
                None => {
                    self.eor();
                    self.puts(value);
                }
            }
        } else if self.fp_for(t) {
            self.text(text);
        }
    }

    /// `print_color_string(t, color, key, fmt, value)`: as `string`, the
    /// text wrapped in the colour's escape codes when colour is on
    /// (`color_fprintf`).
    pub fn color_string(
        &mut self,
        t: Ctx,
        attr: ColorAttr,
        key: Option<&str>,
        text: &str,
        value: &str,
    ) {
        if self.fp_for(t) {
            self.color_text(attr, text);
        } else {
            self.string(t, key, text, value);
        }
    }

    /// `color_fprintf(stdout, attr, "%s", text)` in text mode.
    pub fn color_text(&mut self, attr: ColorAttr, text: &str) {
        match self.palette.and_then(|p| p.code(attr)) {
            Some(code) => {
                self.text(code);
                self.text(text);
                self.text(CLEAR);
            }
            None => self.text(text),
        }
    }

    /// `print_int`/`print_uint`/`print_u64`: numbers.
    pub fn num(&mut self, t: Ctx, key: Option<&str>, text: &str, value: i128) {
        if self.json_for(t) {
            self.raw_value(key, &value.to_string());
        } else if self.fp_for(t) {
            self.text(text);
        }
    }

    pub fn bool(&mut self, t: Ctx, key: Option<&str>, text: &str, value: bool) {
        if self.json_for(t) {
            self.raw_value(key, if value { "true" } else { "false" });
        } else if self.fp_for(t) {
            self.text(text);
        }
    }

    pub fn null(&mut self, t: Ctx, key: Option<&str>, text: &str) {
        if self.json_for(t) {
            self.raw_value(key, "null");
        } else if self.fp_for(t) {
            self.text(text);
        }
    }

    /// `jsonw_name(key)` + `jsonw_printf("%s", v)`: an unquoted value (the
    /// bridge timers' "%i.%.2i").
    pub fn raw(&mut self, key: &str, v: &str) {
        if self.is_json() {
            self.raw_value(Some(key), v);
        }
    }

    /// `print_nl()`: `_SL_` in text mode only.
    pub fn nl(&mut self) {
        if !self.is_json() {
            let sl = self.sl();
            self.text(sl);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(pretty: bool) -> String {
        let mut p = Printer::new(true, pretty);
        p.new_json_obj();
        p.open_object(None);
        p.num(Ctx::Any, Some("ifindex"), "", 1);
        p.string(Ctx::Any, Some("ifname"), "", "lo");
        p.open_array(Ctx::Any, "flags");
        p.string(Ctx::Any, None, "", "LOOPBACK");
        p.string(Ctx::Any, None, "", "UP");
        p.close_array(Ctx::Any, "> ");
        p.open_object(Some("linkinfo"));
        p.string(Ctx::Any, Some("info_kind"), "", "veth");
        p.close_object();
        p.close_object();
        p.delete_json_obj();
        String::from_utf8(p.out).unwrap()
    }

    #[test]
    fn jsonw_compact_layout() {
        // json_writer.c: compact output, newline from jsonw_destroy().
        assert_eq!(
            sample(false),
            "[{\"ifindex\":1,\"ifname\":\"lo\",\"flags\":[\"LOOPBACK\",\"UP\"],\
             \"linkinfo\":{\"info_kind\":\"veth\"}}]\n"
        );
    }

    #[test]
    fn jsonw_pretty_layout() {
        // json_writer.c pretty mode: 4-space indent, "[ {" and inline arrays.
        let want = "[ {\n        \"ifindex\": 1,\n        \"ifname\": \"lo\",\n        \
                    \"flags\": [ \"LOOPBACK\",\"UP\" ],\n        \"linkinfo\": {\n            \
                    \"info_kind\": \"veth\"\n        }\n    } ]\n";
        assert_eq!(sample(true), want);
    }

    #[test]
    fn jsonw_empty_array() {
        let mut p = Printer::new(true, false);
        p.new_json_obj();
        p.delete_json_obj();
        assert_eq!(String::from_utf8(p.out).unwrap(), "[]\n");
        let mut p = Printer::new(true, true);
        p.new_json_obj();
        p.delete_json_obj();
        assert_eq!(String::from_utf8(p.out).unwrap(), "[ ]\n");
    }

    #[test]
    fn jsonw_escapes() {
        let mut p = Printer::new(true, false);
        p.new_json_obj();
        p.string(Ctx::Any, None, "", "a\"b\\c\nd");
        p.delete_json_obj();
        assert_eq!(String::from_utf8(p.out).unwrap(), "[\"a\\\"b\\\\c\\nd\"]\n");
    }
}
