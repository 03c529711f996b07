//! Text in the drawing: XML escaping and width estimates.
//!
//! The drawing uses a monospace font family (DejaVu Sans Mono first: an
//! advance of 0.602 em for every glyph, the same in bold), so a label's
//! width is its number of columns times [`ADVANCE`] times the font size.
//! Wide characters (CJK, emoji) count two columns, combining marks none.

use std::fmt::Write;

/// Width of one column, in em (a little above DejaVu Sans Mono's 0.602).
pub(crate) const ADVANCE: f64 = 0.62;

/// Columns `s` takes in a monospace font.
pub(crate) fn columns(s: &str) -> usize {
    s.chars().map(char_columns).sum()
}

fn char_columns(c: char) -> usize {
    match c as u32 {
        0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// Width of `s` at `font_px`.
pub(crate) fn width(s: &str, font_px: f64) -> f64 {
    columns(s) as f64 * ADVANCE * font_px
}

/// Appends `x` rounded to one decimal, without a trailing `.0` (the
/// drawing's coordinates; hundreds of thousands in a big graph, so no
/// float formatting).
pub(crate) fn number_into(out: &mut String, x: f64) {
    let tenths = if x.is_finite() {
        (x * 10.0).round() as i64
    } else {
        0
    };
    if tenths < 0 {
        out.push('-');
    }
    let abs = tenths.unsigned_abs();
    let _ = write!(out, "{}", abs / 10);
    if abs % 10 != 0 {
        out.push('.');
        out.push(char::from(b'0' + (abs % 10) as u8));
    }
}

/// `s` cut to at most `max` columns, with `…` when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if columns(s) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_columns(c);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Appends `s` escaped for XML text and attribute values (both quote
/// kinds); characters XML 1.0 forbids become U+FFFD, and line breaks and
/// tabs are kept as character references so attributes keep them. The one
/// escaper of kpipe's markup: the SVG drawing's, and HTML's (the run report).
pub fn escape_into(out: &mut String, s: &str) {
    // most text needs nothing: copy it whole (0xEF starts U+FFFE/U+FFFF)
    let plain = |b: &u8| !matches!(b, 0..=0x1F | b'&' | b'<' | b'>' | b'"' | b'\'' | 0xEF);
    if s.as_bytes().iter().all(plain) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape(s: &str) -> String {
        let mut out = String::new();
        escape_into(&mut out, s);
        out
    }

    #[test]
    fn escapes_markup_quotes_and_forbidden_characters() {
        assert_eq!(
            escape("<script>alert('x' & \"y\")</script>\u{1}\n"),
            "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;\u{FFFD}&#10;"
        );
    }

    #[test]
    fn writes_numbers_with_one_decimal() {
        let mut out = String::new();
        for x in [0.0, -0.0, 12.0, 12.34, 12.35, -0.04, -0.06, -7.25, f64::NAN] {
            number_into(&mut out, x);
            out.push(' ');
        }
        assert_eq!(out, "0 0 12 12.3 12.4 0 -0.1 -7.3 0 ");
    }

    #[test]
    fn counts_wide_and_zero_width_columns() {
        assert_eq!(columns("train"), 5);
        assert_eq!(columns("模型"), 4);
        assert_eq!(columns("e\u{301}"), 1);
    }

    #[test]
    fn truncates_to_columns_with_an_ellipsis() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abcdefg", 6), "abcde…");
        assert_eq!(columns(&truncate("模型模型模型", 6)), 5);
    }
}
