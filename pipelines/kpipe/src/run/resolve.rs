//! The values a task reads, resolved for a local run: pipeline parameters,
//! finished tasks' output parameters, the loop item, the workflow's name
//! and status. What a value or a condition means is the compiler's
//! ([`Value::resolve`], [`Cond::evaluate`]); this module only says where
//! each value comes from here.

use std::collections::BTreeMap;

use anyhow::bail;
use kpipe_compiler::ir::{Cond, Value, item_text};

use super::Finished;

/// What a task's values can see.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scope<'a> {
    /// Every pipeline parameter's value.
    pub(crate) params: &'a BTreeMap<String, String>,
    pub(crate) workflow_name: &'a str,
    /// The workflow's final status (only an exit handler has one).
    pub(crate) workflow_status: Option<&'a str>,
    pub(crate) finished: &'a BTreeMap<String, Finished>,
    pub(crate) item: Option<&'a serde_json::Value>,
}

impl Scope<'_> {
    /// The text of one value that is not a literal, if it is known.
    fn leaf(&self, v: &Value) -> Option<String> {
        match v {
            Value::Param(p) => self.params.get(p.name()).cloned(),
            Value::Output(o) => self.finished.get(o.task())?.params.get(o.output()).cloned(),
            Value::Collected(o) => {
                let items = &self.finished.get(o.task())?.items;
                let values: Option<Vec<&String>> =
                    items.iter().map(|item| item.get(o.output())).collect();
                Some(collected(&values?))
            }
            Value::Item => item_text(self.item?, None),
            Value::ItemField(f) => item_text(self.item?, Some(f)),
            Value::WorkflowName => Some(self.workflow_name.to_owned()),
            Value::WorkflowStatus => Some(self.workflow_status.unwrap_or("Running").to_owned()),
            Value::Literal(s) => Some(s.clone()),
            Value::Retries | Value::Concat(_) => None,
        }
    }

    /// The value's text, or an error naming what is missing.
    pub(crate) fn value(&self, v: &Value) -> anyhow::Result<String> {
        if let Some(text) = v.resolve(&|leaf| self.leaf(leaf)) {
            return Ok(text);
        }
        let missing = v
            .leaves()
            .into_iter()
            .find(|l| self.leaf(l).is_none())
            .unwrap_or(v);
        match missing {
            Value::Param(p) => bail!("unknown parameter `{}`", p.name()),
            Value::Output(o) => bail!(
                "`{}.{}` is not available: `{}` did not write it",
                o.task(),
                o.output(),
                o.task()
            ),
            Value::Item => bail!("the loop item is read outside a loop"),
            Value::ItemField(f) => bail!("the loop item has no field `{f}`"),
            Value::Retries => bail!("the attempt number is only known inside a step's command"),
            other => bail!("`{}` is not known", other.describe()),
        }
    }

    /// Whether `c` holds, and the condition with its values filled in (for
    /// the message of a skipped task).
    pub(crate) fn holds(&self, c: &Cond) -> anyhow::Result<(bool, String)> {
        let lookup = |leaf: &Value| self.leaf(leaf);
        let shown = c.describe_with(&lookup);
        match c.evaluate(&lookup) {
            Ok(holds) => Ok((holds, shown)),
            Err(e) => bail!("its `when` ({}) cannot be evaluated: {e}", c.describe()),
        }
    }
}

/// Every item's value of an output as one JSON list, as Argo aggregates a
/// loop's outputs (`aggregatedJSONValueList`): when every value is a JSON
/// object or list, the list of those; otherwise the list of the values'
/// text.
pub(crate) fn collected(values: &[&String]) -> String {
    let parsed: Option<Vec<serde_json::Value>> = values
        .iter()
        .map(|v| {
            serde_json::from_str::<serde_json::Value>(v)
                .ok()
                .filter(|j| j.is_object() || j.is_array())
        })
        .collect();
    match parsed {
        Some(json) if !json.is_empty() => serde_json::Value::Array(json).to_string(),
        _ => serde_json::Value::Array(
            values
                .iter()
                .map(|v| serde_json::Value::String((*v).clone()))
                .collect(),
        )
        .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kpipe_compiler::{ContainerStep, Pipeline};

    #[test]
    fn resolves_every_kind_of_value_and_names_what_is_missing() {
        let p = Pipeline::new("p");
        let who = p.string_param("who", "world");
        let n = p.int_param("n", 3);
        let list = p.add(ContainerStep::new("list", ["true"]).output_param("names"));
        let names = list.out.param("names").cloned();
        let params = BTreeMap::from([
            ("who".to_owned(), "world".to_owned()),
            ("n".to_owned(), "10".to_owned()),
        ]);
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
            item: Some(&item),
        };
        let joined = Value::concat([
            Value::from(&who),
            Value::from(" "),
            Value::item_field("region"),
            Value::from("/"),
            Value::item_field("size"),
            Value::from(" "),
            Value::WorkflowStatus,
            Value::from(" "),
            Value::WorkflowName,
        ]);
        assert_eq!(
            scope.value(&joined).unwrap_or_else(|e| panic!("{e:#}")),
            "world eu/3 Failed wf-local"
        );
        if let Some(names) = &names {
            assert_eq!(
                scope.value(&Value::from(names)).unwrap_or_default(),
                "[\"a\"]"
            );
        }
        let err = |v: Value| {
            scope
                .value(&v)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            err(Value::item_field("nope")),
            "the loop item has no field `nope`"
        );
        assert!(err(Value::Retries).contains("attempt number"));
        let (holds, shown) = scope
            .holds(&n.gt(9).and(who.eq("world")))
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert!(holds);
        assert_eq!(shown, "(10 > 9) && ('world' == 'world')");
    }
}
