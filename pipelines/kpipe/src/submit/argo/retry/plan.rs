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

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use serde_json::{Map, Value, json};

use super::pod_name::pod_name;

/// Execution nodes: the ones that fail for themselves.
const EXECUTION: [&str; 4] = ["Pod", "Container", "HTTP", "Plugin"];
/// Nodes that group others (a template's DAG or steps, a loop, a step group).
const GROUP: [&str; 4] = ["DAG", "TaskGroup", "StepGroup", "Steps"];

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

/// Why a workflow is not retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Its phase is not final (`Pending`, `Running`, none yet).
    NotFinished { phase: String },
    /// It succeeded and no step was chosen to run again.
    Succeeded,
    /// Its nodes are in Argo's database.
    Offloaded,
    /// Its nodes are compressed into `status.compressedNodes`.
    Compressed,
    /// `--node` names no node.
    UnknownNodes {
        names: Vec<String>,
        steps: Vec<String>,
    },
    /// `status.nodes` does not hang together.
    Inconsistent(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotFinished { phase } => {
                let phase = if phase.is_empty() { "not started" } else { phase };
                write!(
                    f,
                    "it has not finished (phase {phase}): only a failed workflow is retried; wait for it to end, or stop it first"
                )
            }
            Refusal::Succeeded => f.write_str(
                "it succeeded, so nothing failed; to run chosen steps again, add --restart-successful --node STEP",
            ),
            Refusal::Offloaded => f.write_str(
                "its node status is offloaded to Argo's database (status.offloadNodeStatusVersion), which the Kubernetes API does not serve; retry it with `argo retry` through the Argo Server",
            ),
            Refusal::Compressed => f.write_str(
                "its node status is compressed (status.compressedNodes), which kpipe does not read; retry it with `argo retry`",
            ),
            Refusal::UnknownNodes { names, steps } => write!(
                f,
                "--node {}: no such step in it; its steps: {}",
                names.join(", "),
                steps.join(", ")
            ),
            Refusal::Inconsistent(why) => write!(
                f,
                "its status.nodes does not hang together ({why}); retry it with `argo retry`"
            ),
        }
    }
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

/// `status.nodes` as a graph: each node's children (the nodes that depend
/// on it, or that it groups) and one parent.
struct Graph<'a> {
    /// By id.
    nodes: BTreeMap<&'a str, &'a Value>,
    /// The parent of each node but the workflow's and the exit handler's.
    parent: BTreeMap<&'a str, &'a str>,
    /// The workflow's node (none when there are no nodes).
    root: Option<&'a str>,
    /// Breadth-first from the workflow's node (the exit handler's left out).
    order: Vec<&'a str>,
}

impl<'a> Graph<'a> {
    fn new(workflow: &str, nodes: &'a Value) -> Result<Self, Refusal> {
        let nodes: BTreeMap<&str, &Value> = nodes
            .as_object()
            .into_iter()
            .flatten()
            .map(|(id, n)| (id.as_str(), n))
            .collect();
        let mut parent = BTreeMap::new();
        for (id, node) in &nodes {
            for child in children(node) {
                let Some((child, _)) = nodes.get_key_value(child) else {
                    return Err(Refusal::Inconsistent(format!(
                        "node {id} lists a child {child} that is not among its nodes"
                    )));
                };
                // The last parent by id wins, as in Argo 3.7.
                parent.insert(*child, *id);
            }
        }
        let on_exit = format!("{workflow}.onExit");
        let mut root = None;
        for (id, node) in &nodes {
            let name = node["name"].as_str().unwrap_or("");
            if name == workflow {
                root = Some(*id);
            } else if !parent.contains_key(id) && !name.starts_with(&on_exit) {
                return Err(Refusal::Inconsistent(format!(
                    "node {id} ({name}) has no parent"
                )));
            }
        }
        let mut graph = Self {
            nodes,
            parent,
            root,
            order: Vec::new(),
        };
        match root {
            Some(root) => graph.order = graph.breadth_first(root, true),
            None if graph.nodes.is_empty() => {}
            None => {
                return Err(Refusal::Inconsistent(format!(
                    "no node is named after the workflow {workflow}"
                )));
            }
        }
        Ok(graph)
    }

    fn node(&self, id: &str) -> &'a Value {
        self.nodes.get(id).copied().unwrap_or(&Value::Null)
    }

    fn text(&self, id: &str, field: &str) -> &'a str {
        self.node(id)[field].as_str().unwrap_or("")
    }

    fn kind(&self, id: &str) -> &'a str {
        self.text(id, "type")
    }

    fn failed(&self, id: &str) -> bool {
        matches!(self.text(id, "phase"), "Failed" | "Error")
    }

    fn parent(&self, id: &str) -> Option<&'a str> {
        self.parent.get(id).copied()
    }

    fn children(&self, id: &str) -> impl Iterator<Item = &'a str> + use<'a> {
        let node = self.node(id);
        children(node)
    }

    /// `from` (when `include`) and every node below it, breadth first.
    fn breadth_first(&self, from: &'a str, include: bool) -> Vec<&'a str> {
        let mut seen = BTreeSet::from([from]);
        let mut queue = VecDeque::from([from]);
        let mut out = Vec::new();
        while let Some(id) = queue.pop_front() {
            if id != from || include {
                out.push(id);
            }
            for child in self.children(id) {
                if let Some((child, _)) = self.nodes.get_key_value(child)
                    && seen.insert(*child)
                {
                    queue.push_back(*child);
                }
            }
        }
        out
    }

    /// The nodes `--node` names, each by display name, name or id.
    fn chosen(&self, names: &[String]) -> Result<BTreeSet<&'a str>, Refusal> {
        let mut chosen = BTreeSet::new();
        let mut unknown = Vec::new();
        for name in names {
            let matching: Vec<&str> = (self.nodes.keys())
                .filter(|id| {
                    **id == name
                        || self.text(id, "name") == name
                        || self.text(id, "displayName") == name
                })
                .copied()
                .collect();
            if matching.is_empty() {
                unknown.push(name.clone());
            }
            chosen.extend(matching);
        }
        if unknown.is_empty() {
            return Ok(chosen);
        }
        let steps: BTreeSet<&str> = (self.nodes.keys())
            .filter(|id| Some(**id) != self.root && EXECUTION.contains(&self.kind(id)))
            .map(|id| self.text(id, "displayName"))
            .collect();
        Err(Refusal::UnknownNodes {
            names: unknown,
            steps: steps.into_iter().map(str::to_owned).collect(),
        })
    }

    /// Whether a node below `id` that was not chosen succeeded.
    fn succeeded_below(&self, id: &str, chosen: &BTreeSet<&str>) -> bool {
        (self.breadth_first(self.node_id(id), false).iter())
            .any(|c| !chosen.contains(c) && self.text(c, "phase") == "Succeeded")
    }

    fn node_id(&self, id: &str) -> &'a str {
        self.nodes.get_key_value(id).map_or("", |(k, _)| k)
    }

    /// The nodes to reset and the nodes to remove.
    fn reset_and_remove(
        &self,
        chosen: &BTreeSet<&'a str>,
    ) -> Result<(BTreeSet<&'a str>, BTreeSet<&'a str>), Refusal> {
        let mut again = chosen.clone();
        for (id, node) in &self.nodes {
            if !self.failed(id) || !EXECUTION.contains(&self.kind(id)) {
                continue;
            }
            // A failed attempt of a retried step: judged by its Retry node.
            let judged = if node["nodeFlag"]["retried"] == true {
                (self.nodes.keys())
                    .find(|p| self.kind(p) == "Retry" && self.children(p).any(|c| c == *id))
                    .copied()
                    .or_else(|| self.parent(id))
                    .unwrap_or(id)
            } else {
                id
            };
            if !self.succeeded_below(judged, chosen) {
                again.insert(*id);
            }
        }
        let mut reset = BTreeSet::new();
        let mut removed = BTreeSet::new();
        for id in self.order.iter().filter(|id| again.contains(*id)) {
            if !removed.contains(id) {
                self.reset_path(id, &mut reset, &mut removed)?;
            }
        }
        Ok((reset, removed))
    }

    /// Removes `start` and its descendants; resets what groups it on the
    /// way up to the workflow's node.
    fn reset_path(
        &self,
        start: &'a str,
        reset: &mut BTreeSet<&'a str>,
        removed: &mut BTreeSet<&'a str>,
    ) -> Result<(), Refusal> {
        removed.extend(self.breadth_first(start, true));
        if Some(start) == self.root {
            return Ok(());
        }
        let mut current = Some(start);
        let mut steps = 0;
        while let Some(id) = current {
            self.bounded(&mut steps)?;
            let kind = self.kind(id);
            if GROUP.contains(&kind) {
                reset.insert(id);
                current = self.reset_boundaries(id, reset)?;
                continue;
            }
            if kind == "Retry" && self.failed(id) {
                reset.insert(id);
            }
            if kind == "Container" {
                let pod = self.up_to(id, |n| self.kind(n) == "Pod")?;
                removed.extend(self.breadth_first(pod, true));
                current = self.parent(pod);
                continue;
            }
            current = self.parent(id);
        }
        Ok(())
    }

    /// From group node `id` up to the workflow's: resets each boundary,
    /// and a `Retry` or step/task group right above each. Returns where the
    /// walk goes on (none at the top).
    fn reset_boundaries(
        &self,
        id: &'a str,
        reset: &mut BTreeSet<&'a str>,
    ) -> Result<Option<&'a str>, Refusal> {
        let mut current = id;
        let mut steps = 0;
        loop {
            self.bounded(&mut steps)?;
            if let Some(p) = self.parent(current)
                && self.kind(p) == "Retry"
            {
                reset.insert(p);
                current = p;
            }
            if let Some(p) = self.parent(current)
                && matches!(self.kind(p), "StepGroup" | "TaskGroup")
            {
                reset.insert(p);
            }
            let boundary = self.text(current, "boundaryID");
            if boundary.is_empty() {
                return Ok(self.parent(current));
            }
            current = self.up_to(current, |n| n == boundary)?;
            reset.insert(current);
        }
    }

    /// The first of `id` and its ancestors that `is` holds for.
    fn up_to(&self, id: &'a str, is: impl Fn(&str) -> bool) -> Result<&'a str, Refusal> {
        let mut current = id;
        let mut steps = 0;
        while !is(current) {
            self.bounded(&mut steps)?;
            current = self.parent(current).ok_or_else(|| {
                Refusal::Inconsistent(format!(
                    "node {id}'s boundary or pod is not among its ancestors"
                ))
            })?;
        }
        Ok(current)
    }

    /// A walk up that takes more steps than there are nodes goes round in
    /// a circle.
    fn bounded(&self, steps: &mut usize) -> Result<(), Refusal> {
        *steps += 1;
        if *steps > self.nodes.len() + 1 {
            return Err(Refusal::Inconsistent(
                "its parent links form a cycle".to_owned(),
            ));
        }
        Ok(())
    }
}

/// A node's `children` ids.
fn children(node: &Value) -> impl Iterator<Item = &str> {
    node["children"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
