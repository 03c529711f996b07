//! What `argo retry` changes in a finished Workflow, computed from the
//! Workflow alone (no I/O, the clock passed in).
//!
//! The rules are those of Argo's `FormulateRetryWorkflow`
//! (`workflow/util/util.go`) at v3.6.19, read for their meaning and written
//! anew here, plus three fixes Argo 3.7 made to the walk that resets a
//! node's ancestors (#14769: a loop's `TaskGroup` is reset with its
//! iteration; #14796: only a failed `Retry` node is reset; #16450: a node
//! with several parents takes the last by id, not a random one):
//!
//! - Only a `Failed` or `Error` workflow is retried; a `Succeeded` one only
//!   with nodes chosen to run again (`--restart-successful --node`); any
//!   other phase is refused.
//! - The nodes to run again: the chosen ones, and every failed or errored
//!   execution node (`Pod`, `Container`, `HTTP`, `Plugin`) that no succeeded
//!   descendant (one not chosen) depends on. A failed attempt of a retried
//!   step is judged by its `Retry` node.
//! - In breadth-first order from the workflow's node, each such node not
//!   already removed is removed with all its descendants (the steps that
//!   depend on it); on its way up to the workflow's node, every `DAG`,
//!   `Steps`, `StepGroup` and `TaskGroup`, every failed `Retry`, and the
//!   boundary (the template's own node) of each is reset: phase `Running`
//!   (`Skipped` stays `Skipped`), no message, `startedAt` now, no
//!   `finishedAt`; a `Suspend` node's outputs go back to `supplied`. A
//!   `Container` removes its pod with it.
//! - Everything else is kept as it is, less the removed nodes in its
//!   `children` and `outboundNodes`. The `onExit` handler's nodes are
//!   removed (it runs again).
//! - The pods of removed `Pod` nodes (the `onExit` handler's included) are
//!   deleted: their new pods get the same names.
//! - The workflow: phase `Running` (label `workflows.argoproj.io/phase`
//!   too), no `completed` or `workflow-archiving-status` label, condition
//!   `Completed` `False`, no message, `startedAt` now, no `finishedAt`, no
//!   `shutdown` (spec and stored spec), no persistent volume claims, no
//!   `activeDeadlineSeconds: 0` (what `argo stop` sets).
//!
//! Left out: node status offloaded to Argo's database or compressed into
//! `status.compressedNodes` (only the Argo Server reads those: refused,
//! naming `argo retry`), `argo retry -p` (new parameter values), and the
//! Argo Server's instance-id check.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::graph::Graph;
use super::pod_name::pod_name;
use super::refusal::Refusal;

const COMPLETED_LABEL: &str = "workflows.argoproj.io/completed";
const ARCHIVING_LABEL: &str = "workflows.argoproj.io/workflow-archiving-status";
const PHASE_LABEL: &str = "workflows.argoproj.io/phase";

/// Which succeeded steps run again besides the failed ones
/// (`--restart-successful --node NAME…`): none when empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Restart {
    /// Each a node's display name (the step's name, `train`), its full
    /// name (`<workflow>.train`) or its id.
    pub(crate) nodes: Vec<String>,
}

/// The retry of one workflow.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    /// The workflow to write back (its `metadata.resourceVersion` as read).
    pub(crate) workflow: Value,
    /// The pods to delete first.
    pub(crate) pods: Vec<String>,
    /// The steps that run again (display names of the removed pod nodes).
    pub(crate) steps: Vec<String>,
}

/// The retry of `workflow` (as read from the API server) at time `now`
/// (RFC 3339).
pub(crate) fn plan(workflow: &Value, restart: &Restart, now: &str) -> Result<Plan, Refusal> {
    let status = &workflow["status"];
    if status["offloadNodeStatusVersion"]
        .as_str()
        .is_some_and(|v| !v.is_empty())
    {
        return Err(Refusal::Offloaded);
    }
    if status["compressedNodes"]
        .as_str()
        .is_some_and(|v| !v.is_empty())
    {
        return Err(Refusal::Compressed);
    }
    match status["phase"].as_str().unwrap_or("") {
        "Failed" | "Error" => {}
        "Succeeded" if !restart.nodes.is_empty() => {}
        "Succeeded" => return Err(Refusal::Succeeded),
        phase => {
            return Err(Refusal::NotFinished {
                phase: phase.to_owned(),
            });
        }
    }
    let name = workflow["metadata"]["name"].as_str().unwrap_or("");
    let graph = Graph::new(name, &status["nodes"])?;
    let chosen = graph.chosen(&restart.nodes)?;
    let (reset, removed) = graph.reset_and_remove(&chosen)?;

    let mut nodes = Map::new();
    for id in reset.difference(&removed) {
        nodes.insert((*id).to_owned(), reset_node(graph.node(id), now));
    }
    let mut pods = Vec::new();
    let mut steps = Vec::new();
    for id in graph.order.iter().filter(|id| removed.contains(*id)) {
        if graph.kind(id) == "Pod" {
            pods.push(pod_name(workflow, graph.node(id)));
            steps.push(graph.text(id, "displayName").to_owned());
        }
    }
    let on_exit = format!("{name}.onExit");
    for (id, node) in &graph.nodes {
        let node_name = graph.text(id, "name");
        if node_name.starts_with(&on_exit) {
            if node["type"] == "Pod" {
                pods.push(pod_name(workflow, node));
            }
            continue;
        }
        if !removed.contains(id) && !nodes.contains_key(*id) {
            nodes.insert((*id).to_owned(), (*node).clone());
        }
    }
    for node in nodes.values_mut() {
        for list in ["children", "outboundNodes"] {
            let Some(ids) = node.get_mut(list).and_then(Value::as_array_mut) else {
                continue;
            };
            ids.retain(|id| !id.as_str().is_some_and(|id| removed.contains(id)));
            if ids.is_empty() {
                node.as_object_mut().map(|o| o.remove(list));
            }
        }
    }
    let mut seen = BTreeSet::new();
    pods.retain(|p| seen.insert(p.clone()));
    let mut seen = BTreeSet::new();
    steps.retain(|s| seen.insert(s.clone()));
    Ok(Plan {
        workflow: running_again(workflow, nodes, now),
        pods,
        steps,
    })
}

/// The workflow with `nodes` as its status' nodes, running again.
fn running_again(workflow: &Value, nodes: Map<String, Value>, now: &str) -> Value {
    let mut wf = workflow.clone();
    let labels = &mut wf["metadata"]["labels"];
    if !labels.is_object() {
        *labels = json!({});
    }
    if let Some(labels) = labels.as_object_mut() {
        labels.remove(COMPLETED_LABEL);
        labels.remove(ARCHIVING_LABEL);
        labels.insert(PHASE_LABEL.to_owned(), json!("Running"));
    }
    if let Some(spec) = wf.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("shutdown");
        if spec.get("activeDeadlineSeconds").and_then(Value::as_i64) == Some(0) {
            spec.remove("activeDeadlineSeconds");
        }
    }
    let status = &mut wf["status"];
    let completed = json!({"type": "Completed", "status": "False"});
    match status["conditions"].as_array_mut() {
        Some(conditions) => match conditions.iter_mut().find(|c| c["type"] == "Completed") {
            Some(c) => *c = completed,
            None => conditions.push(completed),
        },
        None => status["conditions"] = json!([completed]),
    }
    // (`get_mut`, not indexing, which would add a null)
    if let Some(stored) =
        (status.get_mut("storedWorkflowTemplateSpec")).and_then(Value::as_object_mut)
    {
        stored.remove("shutdown");
    }
    if let Some(s) = status.as_object_mut() {
        s.insert("phase".into(), json!("Running"));
        s.insert("startedAt".into(), json!(now));
        for gone in ["message", "finishedAt", "persistentVolumeClaims", "nodes"] {
            s.remove(gone);
        }
        if !nodes.is_empty() {
            s.insert("nodes".into(), Value::Object(nodes));
        }
    }
    wf
}

/// A node run again: `Running` (a skipped one stays `Skipped`), no
/// message, started now, not finished; a `Suspend` node waits for its
/// values to be supplied again.
fn reset_node(node: &Value, now: &str) -> Value {
    let mut node = node.clone();
    if node["type"] == "Suspend"
        && let Some(params) =
            (node.pointer_mut("/outputs/parameters")).and_then(Value::as_array_mut)
    {
        for p in params {
            *p = json!({"name": p["name"], "valueFrom": {"supplied": {}}});
        }
    }
    if let Some(n) = node.as_object_mut() {
        if n.get("phase").and_then(Value::as_str) != Some("Skipped") {
            n.insert("phase".into(), json!("Running"));
        }
        n.remove("message");
        n.remove("finishedAt");
        n.insert("startedAt".into(), json!(now));
    }
    node
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
