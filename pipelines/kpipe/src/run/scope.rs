//! Argo's `{{…}}` references, resolved the way the workflow controller
//! resolves them for one task.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};

use super::Finished;

/// What a reference can see: the workflow's parameters and identity, the
/// finished tasks' outputs, the task's inputs, its loop item and attempt.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scope<'a> {
    pub(crate) params: &'a BTreeMap<String, String>,
    pub(crate) workflow_name: &'a str,
    /// The workflow's final status (only an exit handler has one).
    pub(crate) workflow_status: Option<&'a str>,
    pub(crate) finished: &'a BTreeMap<String, Finished>,
    /// The template's input parameters (`{{inputs.parameters.NAME}}`).
    pub(crate) inputs: Option<&'a BTreeMap<String, String>>,
    pub(crate) item: Option<&'a serde_json::Value>,
    /// The attempt of a retried step (`{{retries}}`: 0, then 1, …).
    pub(crate) retries: Option<u32>,
}

impl Scope<'_> {
    /// `text` with every reference replaced; an unknown reference is an
    /// error naming it.
    pub(crate) fn resolve(&self, text: &str) -> anyhow::Result<String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                out.push_str(&rest[start..]);
                return Ok(out);
            };
            out.push_str(&self.value(after[..end].trim())?);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn value(&self, key: &str) -> anyhow::Result<String> {
        if let Some(p) = key.strip_prefix("workflow.parameters.") {
            return self
                .params
                .get(p)
                .cloned()
                .with_context(|| format!("unknown parameter `{p}`"));
        }
        if let Some(p) = key.strip_prefix("inputs.parameters.")
            && let Some(inputs) = self.inputs
        {
            return inputs
                .get(p)
                .cloned()
                .with_context(|| format!("the step has no input parameter `{p}`"));
        }
        match key {
            "workflow.status" => {
                return Ok(self.workflow_status.unwrap_or("Running").to_owned());
            }
            "workflow.name" => return Ok(self.workflow_name.to_owned()),
            "retries" => {
                return self
                    .retries
                    .map(|r| r.to_string())
                    .context("`{{retries}}` is only known inside a step's command");
            }
            "item" => {
                return match self.item {
                    Some(serde_json::Value::String(s)) => Ok(s.clone()),
                    Some(v) => Ok(v.to_string()),
                    None => bail!("`{{{{item}}}}` outside a loop"),
                };
            }
            _ => {}
        }
        if let Some(field) = key.strip_prefix("item.") {
            return match self.item.and_then(|i| i.get(field)) {
                Some(serde_json::Value::String(s)) => Ok(s.clone()),
                Some(v) => Ok(v.to_string()),
                None => bail!("the loop item has no field `{field}`"),
            };
        }
        if let Some(rest) = key.strip_prefix("tasks.") {
            // tasks.TASK.outputs.parameters.NAME
            let mut parts = rest.splitn(4, '.');
            let (task, kind, name) = (parts.next(), parts.nth(1), parts.next());
            return match (task.and_then(|t| self.finished.get(t)), kind, name) {
                (Some(f), Some("parameters"), Some(n)) => f
                    .params
                    .get(n)
                    .cloned()
                    .with_context(|| format!("`{key}` is not available")),
                _ => bail!("`{key}` is not available locally"),
            };
        }
        bail!("`{{{{{key}}}}}` cannot be resolved by a local run")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_every_kind_of_reference() {
        let params = BTreeMap::from([("who".to_owned(), "world".to_owned())]);
        let inputs = BTreeMap::from([("n".to_owned(), "3".to_owned())]);
        let mut finished = BTreeMap::new();
        finished.insert(
            "list".to_owned(),
            Finished {
                params: BTreeMap::from([("names".to_owned(), "[\"a\"]".to_owned())]),
                ..Finished::default()
            },
        );
        let item = serde_json::json!({"region": "eu", "size": 3});
        let scope = Scope {
            params: &params,
            workflow_name: "wf-local",
            workflow_status: Some("Failed"),
            finished: &finished,
            inputs: Some(&inputs),
            item: Some(&item),
            retries: Some(2),
        };
        let text = "{{workflow.parameters.who}} {{inputs.parameters.n}} {{workflow.status}} \
                    {{workflow.name}} {{retries}} {{item.region}}/{{item.size}} \
                    {{tasks.list.outputs.parameters.names}} {{ workflow.parameters.who }}";
        assert_eq!(
            scope.resolve(text).unwrap_or_else(|e| panic!("{e:#}")),
            "world 3 Failed wf-local 2 eu/3 [\"a\"] world"
        );
        for (bad, message) in [
            ("{{workflow.parameters.nope}}", "unknown parameter `nope`"),
            ("{{item.nope}}", "no field `nope`"),
            ("{{tasks.x.outputs.parameters.y}}", "not available locally"),
            (
                "{{steps.a.outputs.result}}",
                "cannot be resolved by a local run",
            ),
        ] {
            let err = scope
                .resolve(bad)
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default();
            assert!(err.contains(message), "{bad}: {err}");
        }
        assert_eq!(
            scope.resolve("a {{ unclosed").unwrap_or_default(),
            "a {{ unclosed"
        );
    }
}
