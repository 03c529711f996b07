//! Name rules of Kubernetes (DNS-1123 labels) and Argo (parameters, artifacts).

/// Why `name` is not a DNS-1123 label, or `None` when it is one.
pub(crate) fn dns1123_label_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".to_owned());
    }
    if name.len() > 63 {
        return Some(format!(
            "it has {} characters, at most 63 are allowed",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!("it contains `{c}`"));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("it starts or ends with `-`".to_owned());
    }
    None
}

/// Why `name` is not a valid Argo parameter or artifact name.
pub(crate) fn argo_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".to_owned());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Some(format!("it contains `{c}`"));
    }
    if name.starts_with('-') {
        return Some("it starts with `-`".to_owned());
    }
    None
}

/// The names referenced as `{{PREFIX.NAME}}` in `text` (e.g. prefix
/// `workflow.parameters`).
pub(crate) fn references<'t>(text: &'t str, prefix: &str) -> Vec<&'t str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        if let Some(name) = inner.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) {
            out.push(name);
        }
        rest = &after[end + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert_eq!(dns1123_label_problem("update-api"), None);
        assert_eq!(dns1123_label_problem("a1"), None);
        assert!(dns1123_label_problem("Train").is_some());
        assert!(dns1123_label_problem("-x").is_some());
        assert!(dns1123_label_problem("x_y").is_some());
        assert!(dns1123_label_problem("").is_some());
        assert!(dns1123_label_problem(&"a".repeat(64)).is_some());
    }

    #[test]
    fn argo_names() {
        assert_eq!(argo_name_problem("update_file-2"), None);
        assert!(argo_name_problem("a b").is_some());
        assert!(argo_name_problem("-a").is_some());
    }

    #[test]
    fn finds_references() {
        let t = "x {{workflow.parameters.pr}} {{ workflow.parameters.n }} {{inputs.parameters.q}} {{workflow.parameters.open";
        assert_eq!(references(t, "workflow.parameters"), ["pr", "n"]);
        assert_eq!(references(t, "inputs.parameters"), ["q"]);
    }
}
