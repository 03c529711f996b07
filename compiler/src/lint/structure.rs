//! Graph checks of a manifest that a JSON schema cannot express.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::LintIssue;
use super::schema::Kind;
use crate::ir::deps as graph;
use crate::names::references;

pub(crate) fn check(doc: &Value, kind: Kind) -> Vec<LintIssue> {
    let (spec, base) = match kind {
        Kind::CronWorkflow => (
            doc.pointer("/spec/workflowSpec"),
            "spec.workflowSpec".to_owned(),
        ),
        _ => (doc.get("spec"), "spec".to_owned()),
    };
    let Some(spec) = spec else {
        return vec![issue(&base, "missing")];
    };
    let mut out = Vec::new();
    let templates: Vec<&Value> = spec
        .get("templates")
        .and_then(Value::as_array)
        .map(|t| t.iter().collect())
        .unwrap_or_default();
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, t) in templates.iter().enumerate() {
        if let Some(name) = t.get("name").and_then(Value::as_str)
            && let Some(first) = names.insert(name, i)
        {
            out.push(issue(
                &format!("{base}.templates[{i}]({name})"),
                &format!("template name `{name}` is already used by templates[{first}]"),
            ));
        }
    }
    let uses_ref = spec.get("workflowTemplateRef").is_some();
    let known = |name: &str| names.contains_key(name);
    match spec.get("entrypoint").and_then(Value::as_str) {
        Some(e) if !known(e) && !uses_ref => out.push(issue(
            &format!("{base}.entrypoint"),
            &format!("entrypoint `{e}` is not a template of this workflow"),
        )),
        None if kind == Kind::Workflow && !uses_ref => out.push(issue(
            &format!("{base}.entrypoint"),
            "missing: a Workflow needs an entrypoint template",
        )),
        _ => {}
    }
    if let Some(e) = spec.get("onExit").and_then(Value::as_str)
        && !known(e)
    {
        out.push(issue(
            &format!("{base}.onExit"),
            &format!("exit handler `{e}` is not a template of this workflow"),
        ));
    }
    for (i, t) in templates.iter().enumerate() {
        let tname = t.get("name").and_then(Value::as_str).unwrap_or("");
        let at = format!("{base}.templates[{i}]({tname})");
        // Argo runs a template of exactly one type.
        let types: Vec<&str> = TEMPLATE_TYPES
            .iter()
            .copied()
            .filter(|k| t.get(*k).is_some())
            .collect();
        match types.as_slice() {
            [_] => {}
            [] if t.is_object() => out.push(issue(
                &at,
                &format!(
                    "the template has no type: give it one of {}",
                    TEMPLATE_TYPES.join(", ")
                ),
            )),
            [] => {}
            many => out.push(issue(
                &at,
                &format!("the template has more than one type: {}", many.join(", ")),
            )),
        }
        if let Some(tasks) = t.pointer("/dag/tasks").and_then(Value::as_array) {
            check_dag(&at, tasks, &known, &mut out);
        }
        if let Some(groups) = t.get("steps").and_then(Value::as_array) {
            // Step names are unique across all groups of a template.
            let mut steps: HashMap<&str, (usize, usize)> = HashMap::new();
            for (g, group) in groups.iter().enumerate() {
                for (s, step) in group.as_array().into_iter().flatten().enumerate() {
                    if let Some(name) = step.get("name").and_then(Value::as_str)
                        && let Some((fg, fs)) = steps.insert(name, (g, s))
                    {
                        out.push(issue(
                            &format!("{at}.steps[{g}][{s}]"),
                            &format!("step name `{name}` is already used by steps[{fg}][{fs}]"),
                        ));
                    }
                    if let Some(target) = step.get("template").and_then(Value::as_str)
                        && !known(target)
                    {
                        out.push(issue(
                            &format!("{at}.steps[{g}][{s}]"),
                            &format!("template `{target}` does not exist"),
                        ));
                    }
                }
            }
        }
    }
    out
}

/// The keys that give a template its type (Argo v3.1 to v4; each schema
/// rejects those its version lacks).
const TEMPLATE_TYPES: [&str; 10] = [
    "container",
    "containerSet",
    "dag",
    "data",
    "http",
    "plugin",
    "resource",
    "script",
    "steps",
    "suspend",
];

fn check_dag(at: &str, tasks: &[Value], known: &dyn Fn(&str) -> bool, out: &mut Vec<LintIssue>) {
    let names: Vec<&str> = tasks
        .iter()
        .map(|t| t.get("name").and_then(Value::as_str).unwrap_or(""))
        .collect();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        // The first task of a name is the one dependencies resolve to.
        if let Some(&first) = index.get(name) {
            out.push(issue(
                &format!("{at}.dag.tasks[{i}]({name})"),
                &format!("task name `{name}` is already used by tasks[{first}]"),
            ));
        } else {
            index.insert(name, i);
        }
    }
    let mut deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); tasks.len()];
    for (i, task) in tasks.iter().enumerate() {
        let here = format!("{at}.dag.tasks[{i}]({})", names[i]);
        if let Some(target) = task.get("template").and_then(Value::as_str)
            && !known(target)
        {
            out.push(issue(
                &format!("{here}.template"),
                &format!("template `{target}` does not exist"),
            ));
        }
        let mut named: Vec<(String, String)> = task
            .get("dependencies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|d| (d.to_owned(), format!("{here}.dependencies")))
            .collect();
        if let Some(expr) = task.get("depends").and_then(Value::as_str) {
            named.extend(
                depends_names(expr)
                    .into_iter()
                    .map(|d| (d, format!("{here}.depends"))),
            );
        }
        for (dep, path) in named {
            match index.get(dep.as_str()) {
                Some(&j) => {
                    deps[i].insert(j);
                }
                None => out.push(issue(
                    &path,
                    &format!("depends on `{dep}`, which is not a task of this DAG"),
                )),
            }
        }
        let artifacts = task
            .pointer("/arguments/artifacts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for (a, art) in artifacts.enumerate() {
            let Some(from) = art.get("from").and_then(Value::as_str) else {
                continue;
            };
            for r in references(from, "tasks") {
                let producer = r.split('.').next().unwrap_or("");
                if !index.contains_key(producer) {
                    out.push(issue(
                        &format!("{here}.arguments.artifacts[{a}].from"),
                        &format!("refers to task `{producer}`, which is not a task of this DAG"),
                    ));
                }
            }
        }
    }
    for cycle in graph::cycles(&deps) {
        let path: Vec<&str> = cycle.iter().map(|&i| names[i]).collect();
        out.push(issue(
            &format!("{at}.dag.tasks"),
            &format!("dependencies form a cycle: {}", path.join(" → ")),
        ));
    }
}

/// Task names in an Argo `depends` expression (`a && (b.Succeeded || !c.Failed)`).
fn depends_names(expr: &str) -> Vec<String> {
    expr.split(|c: char| "&|!() \t\n".contains(c))
        .filter(|s| !s.is_empty())
        .map(|s| s.split('.').next().unwrap_or(s).to_owned())
        .collect()
}

fn issue(path: &str, message: &str) -> LintIssue {
    LintIssue {
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_names_and_template_types() {
        let doc = serde_json::json!({"spec": {"entrypoint": "main", "templates": [
            {"name": "main", "dag": {"tasks": [
                {"name": "a", "template": "s"},
                {"name": "b", "template": "s"},
                {"name": "a", "template": "s"},
            ]}},
            {"name": "s", "steps": [[{"name": "x", "template": "main"}], [{"name": "x", "template": "main"}]]},
            {"name": "none", "inputs": {}},
            {"name": "two", "container": {}, "script": {}},
        ]}});
        let found: Vec<String> = check(&doc, Kind::Workflow)
            .iter()
            .map(LintIssue::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "spec.templates[0](main).dag.tasks[2](a): task name `a` is already used by tasks[0]",
                "spec.templates[1](s).steps[1][0]: step name `x` is already used by steps[0][0]",
                "spec.templates[2](none): the template has no type: give it one of container, containerSet, dag, data, http, plugin, resource, script, steps, suspend",
                "spec.templates[3](two): the template has more than one type: container, script",
            ]
        );
    }

    #[test]
    fn parses_depends_expressions() {
        assert_eq!(
            depends_names("a && (b.Succeeded || !c-d.Failed)"),
            ["a", "b", "c-d"]
        );
    }
}
