//! Writing HTML: every piece of outside text goes through [`esc`].

use std::fmt::Write as _;

/// `text` escaped for element content and quoted attribute values, by the
/// compiler's escaper (the one the SVG drawing in the report uses). Line
/// breaks stay as they are: HTML keeps them in attributes too (XML does not,
/// hence the escaper's `&#10;`), and a log stays a log in the page's source.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        kpipe_compiler::escape_into(&mut out, line);
    }
    out
}

/// An id made of `[a-z0-9-]` for `name` (task names are DNS labels, but a
/// hostile one must not break out of the attribute either way).
pub(crate) fn id(prefix: &str, name: &str) -> String {
    let mut out = String::from(prefix);
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            out.push(c.to_ascii_lowercase());
        } else {
            let _ = write!(out, "_{:x}", u32::from(c));
        }
    }
    out
}

/// `1.2 s`, `850 ms`.
pub(crate) fn duration(secs: f64) -> String {
    if secs < 1.0 {
        format!("{:.0} ms", secs * 1e3)
    } else {
        format!("{secs:.1} s")
    }
}

/// `12 B`, `3.4 KiB`, `1.2 MiB`.
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The page's style: readable without scripts, states coloured like the
/// graph's nodes.
pub(crate) const CSS: &str = r#"
:root { color-scheme: light; --ok:#1a7f37; --fail:#cf222e; --skip:#8c959f; --cache:#0969da; --retry:#bf8700; --notrun:#6e7781; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; color: #1f2328; }
h1 { font-size: 22px; margin: 8px 0; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; }
code, pre { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: 4px 0; }
table { border-collapse: collapse; margin: 4px 0 12px; } th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.meta { color: #57606a; margin: 0 0 8px; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; color: #fff; font-size: 12px; font-weight: 600; vertical-align: middle; }
.state-succeeded { background: var(--ok); } .state-failed { background: var(--fail); } .state-skipped { background: var(--skip); }
.state-cached { background: var(--cache); } .state-retried { background: var(--retry); } .state-not-run { background: var(--notrun); }
.failure { border: 2px solid var(--fail); border-radius: 8px; padding: 8px 16px; background: #ffebe9; }
.failure h2 { border: 0; margin: 4px 0; color: var(--fail); }
.graph { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px; }
.graph.fit svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.failure pre { margin: 4px 0 8px; background: #fff; }
.task { border: 1px solid #d0d7de; border-left: 6px solid var(--notrun); border-radius: 6px; padding: 10px 14px; margin: 12px 0; }
.task[data-state=succeeded] { border-left-color: var(--ok); } .task[data-state=failed] { border-left-color: var(--fail); }
.task[data-state=skipped] { border-left-color: var(--skip); } .task[data-state=cached] { border-left-color: var(--cache); }
.task[data-state=retried] { border-left-color: var(--retry); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 4px 0 8px; } dt { color: #57606a; } dd { margin: 0; }
details > summary { cursor: pointer; color: #0969da; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 12px; }
figure { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px; } figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: #57606a; } figcaption b { color: #1f2328; } figcaption .path { overflow-wrap: anywhere; }
caption { caption-side: top; text-align: left; white-space: nowrap; color: #57606a; padding: 2px 0; }
figure.roc { display: inline-block; } svg.roc { background: #fff; }
.markdown { border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 14px; margin: 8px 0; } .markdown table { margin: 8px 0; }
.markdown h1, .markdown h2, .markdown h3, .markdown h4 { font-size: 15px; border: 0; margin: 10px 0 4px; padding: 0; }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes_and_keeps_line_breaks() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>\nline 2\t\u{1b}[0m"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\nline 2&#9;\u{FFFD}[0m"
        );
        assert_eq!(esc(""), "");
        assert_eq!(esc("\n\n"), "\n\n");
    }
}
