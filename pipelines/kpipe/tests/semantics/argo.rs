//! The second backend: what Argo's workflow controller does with the Argo
//! lowering's output — the YAML `kpipe compile` writes, checked against the
//! three vendored Argo schemas first — for what the tables pin:
//!
//! - the entrypoint DAG's tasks in `dependencies` order; a task whose
//!   dependency failed is not run;
//! - `withItems` items, `withParam` lists (substituted, then read as JSON);
//! - each `when` with its `{{…}}` substituted as the controller does
//!   (parameters and outputs as their text; `{{item}}` a string item's text,
//!   any other item's JSON) and evaluated by the govaluate oracle of
//!   `kpipe-testkit`;
//! - the task's arguments passed to its template and substituted into the
//!   container's `args` (`{{inputs.parameters.X}}`, `{{retries}}` = 0);
//! - `onExit` run last with `{{workflow.status}}` `Succeeded` or `Failed`.
//!
//! Steps do what the row's [`Behaviour`] says.

use std::collections::BTreeMap;

use kpipe::compiler::ir::bind::Bound;
use kpipe::compiler::lint::{SchemaVersion, lint, parse_yaml};
use kpipe::{CompileOptions, Pipeline};
use kpipe_testkit::govaluate;
use serde_json::Value as Json;

use crate::model::{Behaviour, Fate, Observed};

/// `p` compiled to an Argo Workflow, as JSON, after checking it against
/// every vendored Argo schema.
pub(crate) fn compile(p: &Pipeline) -> Json {
    let yaml = p
        .compile(&CompileOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    for version in SchemaVersion::ALL {
        let issues = lint(&yaml, version);
        assert!(issues.is_empty(), "{version:?}: {issues:#?}\n{yaml}");
    }
    parse_yaml(&yaml).unwrap_or_else(|e| panic!("{e:?}"))
}

/// The template named `name`.
pub(crate) fn template<'a>(wf: &'a Json, name: &str) -> &'a Json {
    wf["spec"]["templates"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == name))
        .unwrap_or_else(|| panic!("no template {name}"))
}

/// The entrypoint DAG's task named `name`.
pub(crate) fn dag_task<'a>(wf: &'a Json, name: &str) -> &'a Json {
    let entry = wf["spec"]["entrypoint"].as_str().unwrap_or_default();
    template(wf, entry)["dag"]["tasks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == name))
        .unwrap_or_else(|| panic!("no DAG task {name}"))
}

/// A run of the workflow as Argo would make it.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) observed: Observed,
    /// `{{workflow.status}}` at the end.
    pub(crate) status: &'static str,
}

/// How a finished task of the DAG left things.
struct Node {
    fate: Fate,
    outputs: BTreeMap<String, String>,
}

/// Runs `wf` with the parameters `bound` (submitted as `-p NAME=TEXT`);
/// `Err` where the controller would fail the workflow (a `when` it cannot
/// evaluate, a reference without a value).
pub(crate) fn run(wf: &Json, bound: &Bound, b: &Behaviour) -> Result<Run, String> {
    let spec = &wf["spec"];
    let mut params: BTreeMap<String, String> = spec["arguments"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (text(&p["name"]), text(&p["value"])))
        .collect();
    for p in bound.given() {
        params.insert(p.name.clone(), p.text.clone());
    }
    let entry = spec["entrypoint"].as_str().unwrap_or_default();
    let tasks = template(wf, entry)["dag"]["tasks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    while nodes.len() < tasks.len() {
        let before = nodes.len();
        for task in &tasks {
            let name = text(&task["name"]);
            let deps: Vec<String> = task["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .map(text)
                .collect();
            if nodes.contains_key(&name) || deps.iter().any(|d| !nodes.contains_key(d)) {
                continue;
            }
            let blocked = deps
                .iter()
                .any(|d| matches!(nodes[d].fate, Fate::Failed(_) | Fate::NotRun));
            let node = if blocked {
                Node {
                    fate: Fate::NotRun,
                    outputs: BTreeMap::new(),
                }
            } else {
                run_task(wf, task, &params, &nodes, b)?
            };
            nodes.insert(name, node);
        }
        if nodes.len() == before {
            return Err("the DAG has a cycle or a dependency on a missing task".to_owned());
        }
    }
    let failed = nodes.values().any(|n| matches!(n.fate, Fate::Failed(_)));
    let status = if failed { "Failed" } else { "Succeeded" };
    let mut observed: Observed = nodes.into_iter().map(|(k, n)| (k, n.fate)).collect();
    if let Some(exit) = spec["onExit"].as_str() {
        let globals = |key: &str| match key {
            "workflow.status" => Some(status.to_owned()),
            _ => global(key, &params),
        };
        let argv = container_args(template(wf, exit), &globals)?;
        let fate = if b.fails_on(exit, &argv) {
            Fate::Failed(vec![argv])
        } else {
            Fate::Ran(vec![argv])
        };
        observed.insert(exit.to_owned(), fate);
    }
    Ok(Run { observed, status })
}

fn run_task(
    wf: &Json,
    task: &Json,
    params: &BTreeMap<String, String>,
    nodes: &BTreeMap<String, Node>,
    b: &Behaviour,
) -> Result<Node, String> {
    let name = text(&task["name"]);
    let lookup = |key: &str, item: Option<&Json>| -> Option<String> {
        if let Some(rest) = key.strip_prefix("tasks.") {
            let (t, output) = rest.split_once(".outputs.parameters.")?;
            return nodes.get(t)?.outputs.get(output).cloned();
        }
        match (key, item) {
            ("item", Some(item)) => Some(item_text(item)),
            (k, Some(item)) if k.starts_with("item.") => item.get(&k[5..]).map(item_text),
            _ => global(key, params),
        }
    };
    let items: Option<Vec<Json>> = if let Some(items) = task["withItems"].as_array() {
        Some(items.clone())
    } else if let Some(list) = task["withParam"].as_str() {
        let list = govaluate::substitute(list, &|k| lookup(k, None))?;
        Some(serde_json::from_str(&list).map_err(|e| format!("withParam `{list}`: {e}"))?)
    } else {
        None
    };
    let iterations: Vec<Option<&Json>> = match &items {
        Some(items) => items.iter().map(Some).collect(),
        None => vec![None],
    };
    let template = template(wf, task["template"].as_str().unwrap_or_default());
    let mut runs = Vec::new();
    let mut failed = false;
    // Each output's value in each run that succeeded.
    let mut written: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let declared: Vec<String> = template["outputs"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| text(&o["name"]))
        .collect();
    for item in iterations {
        let at = |k: &str| lookup(k, item);
        if let Some(when) = task["when"].as_str() {
            let expr = govaluate::substitute(when, &at)?;
            if !govaluate::evaluate(&expr)? {
                continue;
            }
        }
        let mut args = BTreeMap::new();
        for p in task["arguments"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let value = govaluate::substitute(&text(&p["value"]), &at)?;
            args.insert(text(&p["name"]), value);
        }
        let inputs = |key: &str| match key.strip_prefix("inputs.parameters.") {
            Some(n) => args.get(n).cloned(),
            None if key == "retries" => Some("0".to_owned()),
            None => global(key, params),
        };
        let argv = container_args(template, &inputs)?;
        let fails = b.fails_on(&name, &argv);
        failed |= fails;
        if !fails {
            for o in &declared {
                if let Some(v) = b.output_of(&name, o, &argv) {
                    written.entry(o.clone()).or_default().push(v);
                }
            }
        }
        runs.push(argv);
    }
    // A loop's output is its items' values aggregated as Argo does
    // (`processAggregateNodeOutputs`); else the one run's value.
    let outputs = written
        .into_iter()
        .filter_map(|(o, values)| match &items {
            Some(_) => Some((o, aggregated(&values))),
            None => values.into_iter().next().map(|v| (o, v)),
        })
        .collect();
    let fate = if failed {
        Fate::Failed(runs)
    } else if runs.is_empty() && task["when"].is_string() && items.is_none_or(|i| !i.is_empty()) {
        Fate::Skipped
    } else {
        Fate::Ran(runs)
    };
    Ok(Node { fate, outputs })
}

/// The container's `args` with every `{{…}}` substituted, less the files
/// of output parameters (where the step writes, not what it sees).
fn container_args(
    template: &Json,
    values: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>, String> {
    let outputs: Vec<String> = template["outputs"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| text(&o["valueFrom"]["path"]))
        .collect();
    template["container"]["args"]
        .as_array()
        .into_iter()
        .flatten()
        .map(text)
        .filter(|a| !outputs.contains(a))
        .map(|a| govaluate::substitute(&a, values))
        .collect()
}

/// Argo's `aggregatedJSONValueList`: the values as one JSON list, of the
/// parsed values when every one is a JSON object or list, else of their
/// text.
fn aggregated(values: &[String]) -> String {
    let parsed: Option<Vec<Json>> = values
        .iter()
        .map(|v| {
            serde_json::from_str::<Json>(v)
                .ok()
                .filter(|j| j.is_object() || j.is_array())
        })
        .collect();
    match parsed {
        Some(list) if !list.is_empty() => Json::Array(list).to_string(),
        _ => Json::Array(values.iter().cloned().map(Json::String).collect()).to_string(),
    }
}

/// Global variables: the workflow's parameters and name.
fn global(key: &str, params: &BTreeMap<String, String>) -> Option<String> {
    match key.strip_prefix("workflow.parameters.") {
        Some(p) => params.get(p).cloned(),
        None if key == "workflow.name" => Some("semantics-abcde".to_owned()),
        None => None,
    }
}

/// How Argo substitutes a loop item (`Item.String`): a string as its text,
/// anything else as its JSON.
fn item_text(item: &Json) -> String {
    match item {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}
