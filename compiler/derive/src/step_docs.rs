//! A step function's documentation, split into its command's help and each
//! parameter's: rustdoc's argument list (`` - `rows`: how many rows ``,
//! optionally under `# Arguments`) documents the parameters without a
//! doc comment inside the signature.

use std::collections::BTreeMap;

use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// The help of the step's command, and of each parameter (by name).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Docs {
    pub(crate) about: Vec<String>,
    pub(crate) params: BTreeMap<String, Vec<String>>,
}

/// The lines of the `#[doc = "…"]` attributes (doc comments) among
/// `attrs`; a doc attribute that is not a string literal is left out.
pub(crate) fn doc_lines(attrs: &[Attribute]) -> Vec<String> {
    let mut lines = Vec::new();
    for attr in attrs {
        if let Meta::NameValue(nv) = &attr.meta
            && nv.path.is_ident("doc")
            && let Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) = &nv.value
        {
            // `split`, not `lines`: a blank `///` line is `""`, which
            // `lines` drops, and it separates the help's paragraphs.
            let value = s.value();
            lines.extend(
                value
                    .split('\n')
                    .map(|l| l.trim_end_matches('\r').to_owned()),
            );
        }
    }
    lines
}

/// Splits the function's doc lines: list items naming a parameter (and
/// their indented continuation lines) go to that parameter; a `# Arguments`
/// or `# Parameters` heading whose section holds only such items is
/// dropped; the rest is the command's help.
pub(crate) fn split(lines: &[String], params: &[String]) -> Docs {
    let mut docs = Docs::default();
    let mut current: Option<String> = None;
    let mut heading: Option<usize> = None;
    for line in lines {
        if let Some((name, text)) = param_item(line, params) {
            docs.params.entry(name.clone()).or_default().push(text);
            current = Some(name);
            continue;
        }
        let trimmed = line.trim();
        if let Some(name) = &current
            && !trimmed.is_empty()
            && line.starts_with("   ")
            && !trimmed.starts_with(['-', '*'])
        {
            docs.params
                .entry(name.clone())
                .or_default()
                .push(trimmed.to_owned());
            continue;
        }
        current = None;
        if is_arguments_heading(trimmed) {
            heading = Some(docs.about.len());
        } else if !trimmed.is_empty() {
            heading = None;
        }
        docs.about.push(line.clone());
    }
    if let Some(at) = heading {
        docs.about.truncate(at);
    }
    tidy(&mut docs.about);
    docs
}

/// `` - `name`: text `` (or `*`, and `-`, `–` or `—` instead of `:`) for
/// a parameter `name`.
fn param_item(line: &str, params: &[String]) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix(['-', '*'])?;
    let rest = rest.trim_start().strip_prefix('`')?;
    let (name, rest) = rest.split_once('`')?;
    if !params.iter().any(|p| p == name) {
        return None;
    }
    let rest = rest.trim_start();
    let text = rest
        .strip_prefix(':')
        .or_else(|| rest.strip_prefix('-'))
        .or_else(|| rest.strip_prefix('–'))
        .or_else(|| rest.strip_prefix('—'))?;
    Some((name.to_owned(), text.trim().to_owned()))
}

fn is_arguments_heading(trimmed: &str) -> bool {
    let title = trimmed.trim_start_matches('#');
    title.len() < trimmed.len() && matches!(title.trim(), "Arguments" | "Parameters" | "Args")
}

/// Drops the blank lines a removed list leaves: at the end, and runs of
/// more than one.
fn tidy(lines: &mut Vec<String>) {
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    for line in lines.drain(..) {
        let blank = line.trim().is_empty();
        if blank && out.last().is_none_or(|l| l.trim().is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    *lines = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(|l| format!(" {l}")).collect()
    }

    fn names() -> Vec<String> {
        vec!["rows".to_owned(), "test_share".to_owned()]
    }

    #[test]
    fn list_items_naming_parameters_become_their_help() {
        let docs = split(
            &lines(
                "Generate rows.\n\nMore about it.\n\n- `rows`: how many rows\n  (at least 1)\n* `test_share` — the share held out\n- `other`: not a parameter",
            ),
            &names(),
        );
        assert_eq!(
            docs.about,
            lines("Generate rows.\n\nMore about it.\n\n- `other`: not a parameter")
        );
        assert_eq!(docs.params["rows"], ["how many rows", "(at least 1)"]);
        assert_eq!(docs.params["test_share"], ["the share held out"]);
    }

    #[test]
    fn an_arguments_section_of_parameters_is_dropped() {
        let docs = split(
            &lines("Fit a line.\n\n# Arguments\n\n* `rows` - how many rows\n"),
            &names(),
        );
        assert_eq!(docs.about, lines("Fit a line."));
        assert_eq!(docs.params["rows"], ["how many rows"]);
        // A heading followed by other text stays.
        let kept = split(&lines("# Arguments\n\nSee the README."), &names());
        assert_eq!(kept.about, lines("# Arguments\n\nSee the README."));
    }

    #[test]
    fn text_mentioning_a_parameter_is_not_an_item() {
        let docs = split(&lines("Uses `rows` rows: y = 3x + 2."), &names());
        assert_eq!(docs.about, lines("Uses `rows` rows: y = 3x + 2."));
        assert!(docs.params.is_empty());
    }
}
