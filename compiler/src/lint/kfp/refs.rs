//! What KFP's protos cannot say about an IR file: references resolve
//! (`componentRef`, `executorLabel`, producers and their output keys,
//! component inputs, platform executors), `dependentTasks` name tasks of the
//! same DAG without a cycle, every placeholder names a declared input or
//! output, every condition reads an input of its task.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::super::LintIssue;
use super::strict::issue;
use crate::ir::deps as graph;

type Obj = Map<String, Value>;

fn obj(v: Option<&Value>) -> Option<&Obj> {
    v.and_then(Value::as_object)
}

fn keys(v: Option<&Value>) -> BTreeSet<&str> {
    obj(v)
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

pub(crate) fn check(spec: &Value, platform: Option<&Value>, out: &mut Vec<LintIssue>) {
    match spec.get("schemaVersion").and_then(Value::as_str) {
        Some("2.1.0") => {}
        other => out.push(issue(
            "schemaVersion",
            &format!(
                "KFP 2.x accepts only `2.1.0`, found {}",
                other.map_or("nothing".to_owned(), |s| format!("`{s}`"))
            ),
        )),
    }
    if spec
        .pointer("/pipelineInfo/name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        out.push(issue(
            "pipelineInfo.name",
            "missing: KFP requires the pipeline's name",
        ));
    }
    let components = obj(spec.get("components"));
    let executors = obj(spec.pointer("/deploymentSpec/executors"));
    match spec.get("root") {
        Some(root) => dag(root, "root", components, out),
        None => out.push(issue("root", "missing: KFP requires the root DAG")),
    }
    for (name, c) in components.into_iter().flatten() {
        let at = format!("components[{name}]");
        if let Some(label) = c.get("executorLabel").and_then(Value::as_str) {
            match executors.and_then(|e| e.get(label)) {
                Some(exec) => {
                    placeholders(exec, c, &format!("deploymentSpec.executors[{label}]"), out)
                }
                None => out.push(issue(
                    &format!("{at}.executorLabel"),
                    &format!("executor `{label}` is not in deploymentSpec.executors"),
                )),
            }
        }
        dag(c, &at, components, out);
    }
    let platform_executors = platform
        .and_then(|p| p.pointer("/platforms/kubernetes/deploymentSpec/executors"))
        .and_then(Value::as_object);
    for label in platform_executors.into_iter().flat_map(|e| e.keys()) {
        if executors.is_none_or(|e| !e.contains_key(label)) {
            out.push(issue(
                &format!("platforms[kubernetes].deploymentSpec.executors[{label}]"),
                &format!("executor `{label}` is not in the pipeline's deploymentSpec.executors"),
            ));
        }
    }
}

/// The DAG of component `c` (the root or a sub-DAG component), if it has one.
fn dag(c: &Value, at: &str, components: Option<&Obj>, out: &mut Vec<LintIssue>) {
    let component = |name: &str| components.and_then(|all| all.get(name));
    let Some(tasks) = obj(c.pointer("/dag/tasks")) else {
        return;
    };
    let own_params = keys(c.pointer("/inputDefinitions/parameters"));
    let own_artifacts = keys(c.pointer("/inputDefinitions/artifacts"));
    let names: Vec<&str> = tasks.keys().map(String::as_str).collect();
    let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); names.len()];
    for (i, (name, task)) in tasks.iter().enumerate() {
        let here = format!("{at}.dag.tasks[{name}]");
        let callee = task.pointer("/componentRef/name").and_then(Value::as_str);
        let callee_spec = callee.and_then(&component);
        match callee {
            None => out.push(issue(
                &format!("{here}.componentRef"),
                "missing: every task names its component",
            )),
            Some(c) if callee_spec.is_none() => out.push(issue(
                &format!("{here}.componentRef.name"),
                &format!("component `{c}` is not in components"),
            )),
            Some(_) => {}
        }
        let mut depend = |dep: &str, path: String, out: &mut Vec<LintIssue>| match index.get(dep) {
            Some(&j) if j != i => {
                deps[i].insert(j);
            }
            Some(_) => out.push(issue(&path, &format!("task `{dep}` depends on itself"))),
            None => out.push(issue(&path, &format!("`{dep}` is not a task of this DAG"))),
        };
        for (k, d) in task
            .get("dependentTasks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(d) = d.as_str() {
                depend(d, format!("{here}.dependentTasks[{k}]"), out);
            }
        }
        let task_params = keys(task.pointer("/inputs/parameters"));
        let task_artifacts = keys(task.pointer("/inputs/artifacts"));
        for (kind, entries) in [
            ("parameters", task.pointer("/inputs/parameters")),
            ("artifacts", task.pointer("/inputs/artifacts")),
        ] {
            for (input, spec) in obj(entries).into_iter().flatten() {
                let path = format!("{here}.inputs.{kind}[{input}]");
                if let Some(c) = callee_spec
                    && !keys(c.pointer(&format!("/inputDefinitions/{kind}")))
                        .contains(input.as_str())
                {
                    out.push(issue(
                        &path,
                        &format!(
                            "the component declares no input {} `{input}`",
                            singular(kind)
                        ),
                    ));
                }
                let (producer_field, key_field, outputs) = if kind == "parameters" {
                    ("taskOutputParameter", "outputParameterKey", "parameters")
                } else {
                    ("taskOutputArtifact", "outputArtifactKey", "artifacts")
                };
                if let Some(producer) = spec
                    .pointer(&format!("/{producer_field}/producerTask"))
                    .and_then(Value::as_str)
                {
                    depend(
                        producer,
                        format!("{path}.{producer_field}.producerTask"),
                        out,
                    );
                    let key = spec
                        .pointer(&format!("/{producer_field}/{key_field}"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let produced = tasks
                        .get(producer)
                        .and_then(|t| t.pointer("/componentRef/name"))
                        .and_then(Value::as_str)
                        .and_then(&component)
                        .map(|c| {
                            keys(c.pointer(&format!("/outputDefinitions/{outputs}"))).contains(key)
                        });
                    if produced == Some(false) {
                        out.push(issue(
                            &format!("{path}.{producer_field}.{key_field}"),
                            &format!("task `{producer}` has no output {} `{key}`", singular(kind)),
                        ));
                    }
                }
                if let Some(producer) = spec
                    .pointer("/taskFinalStatus/producerTask")
                    .and_then(Value::as_str)
                {
                    depend(
                        producer,
                        format!("{path}.taskFinalStatus.producerTask"),
                        out,
                    );
                }
                let (field, own) = if kind == "parameters" {
                    ("componentInputParameter", &own_params)
                } else {
                    ("componentInputArtifact", &own_artifacts)
                };
                if let Some(name) = spec.get(field).and_then(Value::as_str)
                    && !own.contains(name)
                {
                    out.push(issue(
                        &format!("{path}.{field}"),
                        &format!(
                            "`{name}` is not an input {} of the enclosing component",
                            singular(kind)
                        ),
                    ));
                }
            }
        }
        // Inputs the called component requires and nobody provides.
        let item = task
            .pointer("/parameterIterator/itemInput")
            .and_then(Value::as_str);
        for (kind, provided) in [("parameters", &task_params), ("artifacts", &task_artifacts)] {
            let declared =
                callee_spec.and_then(|c| obj(c.pointer(&format!("/inputDefinitions/{kind}"))));
            for (input, def) in declared.into_iter().flatten() {
                let optional = def
                    .get("isOptional")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    || def.get("defaultValue").is_some();
                if !optional && !provided.contains(input.as_str()) && Some(input.as_str()) != item {
                    out.push(issue(
                        &format!("{here}.inputs.{kind}"),
                        &format!(
                            "the component's input {} `{input}` is not provided",
                            singular(kind)
                        ),
                    ));
                }
            }
        }
        if let Some(iterator) = task.get("parameterIterator") {
            if let Some(item) = item
                && callee_spec.is_some_and(|c| {
                    !keys(c.pointer("/inputDefinitions/parameters")).contains(item)
                })
            {
                out.push(issue(
                    &format!("{here}.parameterIterator.itemInput"),
                    &format!("the component declares no input parameter `{item}`"),
                ));
            }
            if let Some(source) = iterator
                .pointer("/items/inputParameter")
                .and_then(Value::as_str)
                && !task_params.contains(source)
            {
                out.push(issue(
                    &format!("{here}.parameterIterator.items.inputParameter"),
                    &format!("`{source}` is not an input parameter of this task"),
                ));
            }
        }
        if let Some(cond) = task
            .pointer("/triggerPolicy/condition")
            .and_then(Value::as_str)
        {
            for (kind, name) in condition_inputs(cond) {
                let known = if kind == "artifacts" {
                    &task_artifacts
                } else {
                    &task_params
                };
                if !known.contains(name.as_str()) {
                    out.push(issue(
                        &format!("{here}.triggerPolicy.condition"),
                        &format!(
                            "reads `{name}`, which is not an input {} of this task",
                            singular(if kind == "artifacts" {
                                kind
                            } else {
                                "parameters"
                            })
                        ),
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

fn singular(kind: &str) -> &str {
    kind.strip_suffix('s').unwrap_or(kind)
}

/// `inputs.parameter_values['x']`, `inputs.parameters['x']` and
/// `inputs.artifacts['x']` in a CEL condition: (kind, name).
fn condition_inputs(cond: &str) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    for (prefix, kind) in [
        ("inputs.parameter_values[", "parameter_values"),
        ("inputs.parameters[", "parameters"),
        ("inputs.artifacts[", "artifacts"),
    ] {
        for (i, _) in cond.match_indices(prefix) {
            if let Some(name) = quoted(&cond[i + prefix.len()..]) {
                found.push((kind, name));
            }
        }
    }
    found
}

/// The string literal at the start of `s` (`'x'` or `"x"`).
fn quoted(s: &str) -> Option<String> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let rest = &s[1..];
    let end = rest.find(quote)?;
    Some(rest[..end].to_owned())
}

/// Every `{{$.inputs.parameters['x']}}`, `{{$.inputs.artifacts['x']…}}`,
/// `{{$.outputs.artifacts['x']…}}` and `{{$.outputs.parameters['x']…}}` in
/// executor `exec` names an input or output component `c` declares.
fn placeholders(exec: &Value, c: &Value, at: &str, out: &mut Vec<LintIssue>) {
    let Some(container) = exec.get("container") else {
        return;
    };
    let strings = ["command", "args"].into_iter().flat_map(|field| {
        container
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(move |(i, v)| v.as_str().map(|s| (format!("container.{field}[{i}]"), s)))
    });
    for (path, s) in strings {
        for (prefix, pointer, what) in [
            (
                "{{$.inputs.parameters[",
                "/inputDefinitions/parameters",
                "input parameter",
            ),
            (
                "{{$.inputs.artifacts[",
                "/inputDefinitions/artifacts",
                "input artifact",
            ),
            (
                "{{$.outputs.parameters[",
                "/outputDefinitions/parameters",
                "output parameter",
            ),
            (
                "{{$.outputs.artifacts[",
                "/outputDefinitions/artifacts",
                "output artifact",
            ),
        ] {
            for (i, _) in s.match_indices(prefix) {
                let Some(name) = quoted(&s[i + prefix.len()..]) else {
                    out.push(issue(
                        &format!("{at}.{path}"),
                        &format!("malformed placeholder in `{s}`"),
                    ));
                    continue;
                };
                if !keys(c.pointer(pointer)).contains(name.as_str()) {
                    out.push(issue(
                        &format!("{at}.{path}"),
                        &format!("placeholder names {what} `{name}`, which the component does not declare"),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inputs_a_condition_reads() {
        let c = "int(inputs.parameter_values['pipelinechannel--n']) == 3 && inputs.parameters[\"x\"] == 'a'";
        assert_eq!(
            condition_inputs(c),
            [
                ("parameter_values", "pipelinechannel--n".to_owned()),
                ("parameters", "x".to_owned())
            ]
        );
    }
}
