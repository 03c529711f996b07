//! A Workflow's `status.nodes` as a graph, and the walks `argo retry`
//! makes over it: which nodes the user chose, which run again, and which
//! of their ancestors are reset ([`super::plan`] has the rules).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::Value;

use super::refusal::Refusal;

/// Execution nodes: the ones that fail for themselves.
const EXECUTION: [&str; 4] = ["Pod", "Container", "HTTP", "Plugin"];
/// Nodes that group others (a template's DAG or steps, a loop, a step group).
const GROUP: [&str; 4] = ["DAG", "TaskGroup", "StepGroup", "Steps"];

/// `status.nodes` as a graph: each node's children (the nodes that depend
/// on it, or that it groups) and one parent.
pub(super) struct Graph<'a> {
    /// By id.
    pub(super) nodes: BTreeMap<&'a str, &'a Value>,
    /// The parent of each node but the workflow's and the exit handler's.
    parent: BTreeMap<&'a str, &'a str>,
    /// The workflow's node (none when there are no nodes).
    root: Option<&'a str>,
    /// Breadth-first from the workflow's node (the exit handler's left out).
    pub(super) order: Vec<&'a str>,
}

impl<'a> Graph<'a> {
    pub(super) fn new(workflow: &str, nodes: &'a Value) -> Result<Self, Refusal> {
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

    pub(super) fn node(&self, id: &str) -> &'a Value {
        self.nodes.get(id).copied().unwrap_or(&Value::Null)
    }

    pub(super) fn text(&self, id: &str, field: &str) -> &'a str {
        self.node(id)[field].as_str().unwrap_or("")
    }

    pub(super) fn kind(&self, id: &str) -> &'a str {
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
    pub(super) fn chosen(&self, names: &[String]) -> Result<BTreeSet<&'a str>, Refusal> {
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
    pub(super) fn reset_and_remove(
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
