//! iproute2 6.1 `lib/color.c`: whether output is coloured
//! (`check_enable_color`), the palette (`set_color_palette`: light unless
//! COLORFGBG names a dark background) and the escape codes
//! `color_fprintf` wraps a printed field in.

use crate::ip::args::{COLOR_OPT_ALWAYS, COLOR_OPT_NEVER};

/// `enum color_attr` (include/color.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorAttr {
    Ifname,
    Mac,
    Inet,
    Inet6,
    OperUp,
    OperDown,
    None,
}

/// `color_codes[]`, by `enum color`.
const CODES: [&str; 15] = [
    "\x1b[31m",
    "\x1b[32m",
    "\x1b[33m",
    "\x1b[34m",
    "\x1b[35m",
    "\x1b[36m",
    "\x1b[37m",
    "\x1b[1;31m",
    "\x1b[1;32m",
    "\x1b[1;33m",
    "\x1b[1;34m",
    "\x1b[1;35m",
    "\x1b[1;36m",
    "\x1b[1;37m",
    "\x1b[0m",
];

/// `C_CLEAR`.
pub const CLEAR: &str = "\x1b[0m";

/// `attr_colors_light[]` / `attr_colors_dark[]`: indexes into [`CODES`]
/// for ifname, mac, inet, inet6, operstate up, operstate down.
const LIGHT: [usize; 6] = [5, 2, 4, 3, 1, 0];
const DARK: [usize; 6] = [12, 9, 11, 10, 8, 7];

/// The palette colour output uses (`is_dark_bg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    pub dark: bool,
}

impl Palette {
    /// `set_color_palette()`: COLORFGBG's last field 0-6 or 8 means a
    /// dark background.
    pub fn from_colorfgbg(v: Option<&str>) -> Palette {
        let dark = v
            .and_then(|p| p.rfind(';').map(|i| &p.as_bytes()[i + 1..]))
            .is_some_and(|rest| matches!(rest, [b'0'..=b'6' | b'8']));
        Palette { dark }
    }

    /// The escape code that starts a field of `attr`; none for
    /// COLOR_NONE.
    pub fn code(&self, attr: ColorAttr) -> Option<&'static str> {
        let i = match attr {
            ColorAttr::Ifname => 0,
            ColorAttr::Mac => 1,
            ColorAttr::Inet => 2,
            ColorAttr::Inet6 => 3,
            ColorAttr::OperUp => 4,
            ColorAttr::OperDown => 5,
            ColorAttr::None => return None,
        };
        let table = if self.dark { DARK } else { LIGHT };
        Some(CODES[table[i]])
    }
}

/// `check_enable_color(color, json)`: never with `-j` or `=never`; with
/// `-c` / `=always`, or `=auto` on a terminal.
pub fn check_enable_color(color: u8, json: bool, stdout_is_tty: bool) -> bool {
    if json || color == COLOR_OPT_NEVER {
        return false;
    }
    color == COLOR_OPT_ALWAYS || stdout_is_tty
}

/// `oper_state_color()`: UP green, DOWN red, the others plain.
pub fn oper_state_color(state: u8) -> ColorAttr {
    match state {
        6 => ColorAttr::OperUp,
        2 => ColorAttr::OperDown,
        _ => ColorAttr::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip::args::COLOR_OPT_AUTO;

    /// set_color_palette(): only a last COLORFGBG field of 0-6 or 8 is dark.
    #[test]
    fn set_color_palette_reads_colorfgbg() {
        assert!(!Palette::from_colorfgbg(None).dark);
        assert!(Palette::from_colorfgbg(Some("15;0")).dark);
        assert!(Palette::from_colorfgbg(Some("15;default;8")).dark);
        assert!(!Palette::from_colorfgbg(Some("0;15")).dark);
        assert!(!Palette::from_colorfgbg(Some("15;7")).dark);
        assert!(!Palette::from_colorfgbg(Some("15;00")).dark);
        assert!(!Palette::from_colorfgbg(Some("0")).dark, "no ';'");
    }

    /// color_fprintf(): light palette cyan names, yellow MACs, green UP,
    /// red DOWN; the dark one the bold variants.
    #[test]
    fn color_fprintf_codes() {
        let light = Palette { dark: false };
        assert_eq!(light.code(ColorAttr::Ifname), Some("\x1b[36m"));
        assert_eq!(light.code(ColorAttr::Mac), Some("\x1b[33m"));
        assert_eq!(light.code(oper_state_color(6)), Some("\x1b[32m"));
        assert_eq!(light.code(oper_state_color(2)), Some("\x1b[31m"));
        assert_eq!(light.code(oper_state_color(3)), None);
        let dark = Palette { dark: true };
        assert_eq!(dark.code(ColorAttr::Ifname), Some("\x1b[1;36m"));
        assert_eq!(dark.code(ColorAttr::Mac), Some("\x1b[1;33m"));
    }

    /// check_enable_color(): -j and never win; auto needs a terminal.
    #[test]
    fn check_enable_color_rules() {
        assert!(check_enable_color(COLOR_OPT_ALWAYS, false, false));
        assert!(!check_enable_color(COLOR_OPT_ALWAYS, true, true));
        assert!(!check_enable_color(COLOR_OPT_NEVER, false, true));
        assert!(check_enable_color(COLOR_OPT_AUTO, false, true));
        assert!(!check_enable_color(COLOR_OPT_AUTO, false, false));
    }
}
