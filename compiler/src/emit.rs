//! The one module that knows the YAML library.
//!
//! kpipe uses serde-saphyr rather than the archived serde_yaml: serde_yaml
//! writes strings such as `yes`, `on`, `NO`, `2024-01-01` or `12:30` bare, and
//! Kubernetes and Argo (YAML 1.1 readers) turn them into booleans, dates or
//! numbers. serde-saphyr quotes every such string. Swapping the library means
//! changing this file only.

use serde::Serialize;

/// Serialises `value` as a YAML document (no `---` header, trailing newline),
/// quoting every string a YAML 1.1 reader would retype.
///
/// # Errors
/// The serialiser's message when `value` cannot be represented.
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| e.to_string())
}

/// A YAML syntax error, with its position when the parser knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line, if known.
    pub line: Option<usize>,
    /// 1-based column, if known.
    pub column: Option<usize>,
    /// The parser's message.
    pub message: String,
}

/// Parses one YAML document into a JSON value (for schema validation).
pub(crate) fn parse_yaml(text: &str) -> Result<serde_json::Value, YamlError> {
    serde_saphyr::from_str::<serde_json::Value>(text).map_err(yaml_error)
}

/// Parses every document of a YAML stream (`---`-separated) into JSON values.
pub(crate) fn parse_yaml_documents(text: &str) -> Result<Vec<serde_json::Value>, YamlError> {
    serde_saphyr::from_multiple::<serde_json::Value>(text).map_err(yaml_error)
}

fn yaml_error(e: serde_saphyr::Error) -> YamlError {
    let message = e.to_string();
    let (line, column) = match e.location() {
        Some(l) => (Some(l.line() as usize), Some(l.column() as usize)),
        None => (None, None),
    };
    YamlError {
        line,
        column,
        message,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Strings a YAML 1.1 reader (Kubernetes, Argo) would retype when bare.
    const HAZARDS: &[&str] = &[
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "N",
        "YES",
        "NO",
        "On",
        "Off",
        "true",
        "False",
        "TRUE",
        "null",
        "~",
        "",
        "2024-01-01",
        "2001-12-14t21:59:43.10-05:00",
        "12:30",
        "1_000",
        "0o17",
        "0x1F",
        "017",
        "1e3",
        ".inf",
        "-.inf",
        ".NaN",
        "10",
        "3.14",
        "+1",
        "0b101",
        "{{inputs.parameters.pr}}",
        "- item",
        "a: b",
        "#comment",
        "@at",
        "`tick",
        "*alias",
        "&anchor",
        "!tag",
        "%percent",
        "|",
        ">",
        "'",
        "\"",
    ];

    #[test]
    fn yaml_1_1_hazards_stay_strings() {
        let map: BTreeMap<String, String> = HAZARDS
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("k{i:02}"), (*s).to_owned()))
            .collect();
        let yaml = to_yaml(&map).unwrap_or_default();
        for (key, want) in &map {
            let line = yaml
                .lines()
                .find(|l| l.starts_with(&format!("{key}:")))
                .unwrap_or_default();
            let raw = line[key.len() + 1..].trim();
            assert!(
                raw.starts_with('"') || raw.starts_with('\'') || !needs_quotes(want),
                "{want:?} emitted bare as `{line}`"
            );
        }
        // And a YAML reader gets the strings back.
        let back: BTreeMap<String, String> = serde_saphyr::from_str(&yaml).unwrap_or_default();
        assert_eq!(back, map);
    }

    /// True when a YAML 1.1 reader would not read `s` back as the same string
    /// if it were written bare.
    fn needs_quotes(s: &str) -> bool {
        s != "- item" && s.chars().all(|c| c.is_ascii_alphabetic()) && s.len() > 1 && {
            let lower = s.to_ascii_lowercase();
            ["yes", "no", "on", "off", "true", "false", "null"].contains(&lower.as_str())
        } || s.is_empty()
            || s.chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || "+-.~{[#@`*&!%|>'\"".contains(c))
            || ["y", "n", "Y", "N"].contains(&s)
    }

    #[test]
    fn parse_errors_carry_positions() {
        let err = parse_yaml("a: 1\nb: [1, 2\n").err().unwrap_or(YamlError {
            line: None,
            column: None,
            message: String::new(),
        });
        assert!(err.line.is_some(), "{err:?}");
    }
}
