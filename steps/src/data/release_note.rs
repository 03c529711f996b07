//! Release notes from pull request bodies, with the Kubernetes release
//! tooling's rules (k8s.io/release `pkg/notes`):
//!
//! - a `/release-note-none` command, or a ```` ```release-note ```` block
//!   holding only `NONE`, `N/A` or `NA` (any case, optionally quoted), means
//!   no note; so does an empty block;
//! - otherwise the first ```` ```release-note ```` (or `release-notes`) block
//!   is the note: CRLF normalised, `action required` lines dropped, a lone
//!   list item unlisted, trimmed.
//!
//! Unlike the original project, a note that merely *starts* with "na" (e.g.
//! "Namespace deletion …") is kept.

use std::sync::OnceLock;

use regex::Regex;

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| match Regex::new(pattern) {
        Ok(r) => r,
        Err(e) => panic!("kpipe bug: invalid built-in pattern {pattern}: {e}"),
    })
}

fn excluded() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r#"(?i)```release-notes?\s*(?:'|")?(?:none|n/a|na)(?:'|")?\s*```"#,
    )
}

fn empty() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)```release-notes?\s*```")
}

fn block() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?s)```release-notes?[ \t]*\n(.+?)\n[ \t]*```")
}

fn action_required() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?im)^\s*action required:?\s*$\n?")
}

/// The release note of a PR body, or `None` when it has none (no block, an
/// empty block, or NONE).
pub fn extract(body: &str) -> Option<String> {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    if body.contains("/release-note-none") || excluded().is_match(&body) || empty().is_match(&body)
    {
        return None;
    }
    let raw = block().captures(&body)?.get(1)?.as_str();
    let note = action_required().replace_all(raw, "");
    let note = note.trim();
    let note = unlist(note);
    let note = note.trim();
    if note.is_empty() || is_none_like(note) {
        return None;
    }
    Some(note.to_owned())
}

/// `- note` or `* note` as the only list item becomes `note`.
fn unlist(note: &str) -> &str {
    let lines: Vec<&str> = note.lines().collect();
    if let [only] = lines.as_slice() {
        for p in ["- ", "* "] {
            if let Some(rest) = only.trim_start().strip_prefix(p) {
                return rest;
            }
        }
    }
    note
}

/// The block's whole content is NONE / N/A / NA (quoted or not).
fn is_none_like(note: &str) -> bool {
    let t = note.trim_matches(|c: char| c == '"' || c == '\'' || c == '`' || c.is_whitespace());
    ["none", "n/a", "na"]
        .iter()
        .any(|n| t.eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_the_block_with_crlf() {
        let body = "Fixes #1\r\n\r\n**Release note**:\r\n```release-note\r\nFixed a kubelet panic.\r\n```\r\n";
        assert_eq!(extract(body).as_deref(), Some("Fixed a kubelet panic."));
    }

    #[test]
    fn none_variants_mean_no_note() {
        for block in [
            "NONE", "none", "None", "N/A", "n/a", "NA", "\"NONE\"", "'none'", "  NONE  ", "",
        ] {
            let body = format!("```release-note\n{block}\n```");
            assert_eq!(extract(&body), None, "{block:?}");
        }
        assert_eq!(extract("```release-notes\r\nNONE\r\n```"), None);
        assert_eq!(
            extract("/release-note-none\n```release-note\nText\n```"),
            None
        );
        assert_eq!(extract("no block here"), None);
        assert_eq!(extract("```release-note\n```"), None);
    }

    #[test]
    fn notes_starting_with_na_are_kept() {
        for note in [
            "Namespace deletion no longer hangs.",
            "NA values are rejected",
            "national holidays",
        ] {
            let body = format!("```release-note\n{note}\n```");
            assert_eq!(extract(&body).as_deref(), Some(note));
        }
    }

    #[test]
    fn drops_action_required_and_unlists() {
        let body = "```release-note\nACTION REQUIRED:\n- kubeadm: the flag was removed.\n```";
        assert_eq!(
            extract(body).as_deref(),
            Some("kubeadm: the flag was removed.")
        );
        let multi = "```release-note\n- one\n- two\n```\n```docs\nx\n```";
        assert_eq!(extract(multi).as_deref(), Some("- one\n- two"));
    }
}
